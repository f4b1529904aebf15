/* sgd_plain.c: a plain C peer of bench_sgd's 1-D case, tuned: SGD
   ensembles x <- x - eta (h x + sigma xi), xi ~ N(0, 1), x0 = 1, with one
   xoshiro256+ generator (Blackman & Vigna 2018) per path pair of a chunk
   and Box-Muller (1958) pairs, all in one loop that gcc vectorizes with
   glibc's vector log and sin (libmvec).  Built with
     gcc -O3 -march=native -mprefer-vector-width=512 -fopenmp-simd
         -ffast-math -o sgd_plain sgd_plain.c -lm
   (-ffast-math only here, in a peer; 512-bit vectors ran 1.4x faster than
   gcc's default 256 on AVX-512).  Usage: sgd_plain PATHS STEPS ETA
   SIGMA H; prints "plain-c SECONDS PATHSTEPS_PER_SECOND MEAN_X2", MEAN_X2
   the mean of x^2 after STEPS steps, whose exact value is m_K with
   m_0 = 1, m_{k+1} = (1 - eta h)^2 m_k + (eta sigma)^2.  */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define HALF 256 /* path pairs per chunk: x and the generators fit in L1 */

static uint64_t s[4][HALF]; /* xoshiro256+ states, lane l in column l */
static double xa[HALF], xb[HALF];

/* The next xoshiro256+ output of a lane, from its state in locals: one
   load and store per lane for its two draws, which gcc vectorizes (two
   updates of s[][l] in one iteration defeat its dependence analysis).  */
#define XOSHIRO(r, a, b, c, d)                                                 \
  do                                                                           \
    {                                                                          \
      const uint64_t t_ = b << 17;                                             \
      r = a + d, c ^= a, d ^= b, b ^= c, a ^= d, c ^= t_;                      \
      d = (d << 45) | (d >> 19);                                               \
    }                                                                          \
  while (0)

int
main (int argc, char **argv)
{
  if (argc != 6)
    {
      fprintf (stderr, "usage: sgd_plain PATHS STEPS ETA SIGMA H\n");
      return 2;
    }
  const long n = atol (argv[1]), K = atol (argv[2]);
  const double eta = atof (argv[3]), sigma = atof (argv[4]), h = atof (argv[5]);
  const double a = 1 - eta * h, c = -eta * sigma;
  const double tpi53 = 2 * M_PI * 0x1p-53;
  uint64_t seed = 0x5deb1a5;
  for (size_t l = 0; l < 4 * HALF; l++) /* splitmix64 seeding */
    {
      uint64_t z = (seed += 0x9e3779b97f4a7c15);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
      z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
      s[l / HALF][l % HALF] = z ^ (z >> 31);
    }
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  double sum = 0;
  for (long p0 = 0; p0 < n; p0 += 2 * HALF)
    {
      const long m = n - p0 < 2 * HALF ? n - p0 : 2 * HALF;
      for (size_t l = 0; l < HALF; l++)
        xa[l] = xb[l] = 1.0;
      for (long k = 0; k < K; k++)
#pragma omp simd
        for (size_t l = 0; l < HALF; l++)
          {
            uint64_t q0 = s[0][l], q1 = s[1][l], q2 = s[2][l], q3 = s[3][l];
            uint64_t v1, v2;
            XOSHIRO (v1, q0, q1, q2, q3);
            XOSHIRO (v2, q0, q1, q2, q3);
            s[0][l] = q0, s[1][l] = q1, s[2][l] = q2, s[3][l] = q3;
            /* u1 in (0, 1]; th in [-pi, pi).  cos (th) is written
               sin (th + pi/2): gcc would merge sin and cos into sincos,
               whose vector form (scattered stores) is slower here.  */
            const double u1 = ((double)(int64_t)(v1 >> 11) + 1) * 0x1p-53;
            const double th = (double)(int64_t)(v2 >> 11) * tpi53 - M_PI;
            const double r = c * sqrt (-2 * log (u1));
            xa[l] = a * xa[l] + r * sin (th);
            xb[l] = a * xb[l] + r * sin (th + M_PI_2);
          }
      for (long l = 0; l < m; l++) /* a partial last chunk keeps m paths */
        sum += l < HALF ? xa[l] * xa[l] : xb[l - HALF] * xb[l - HALF];
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  const double secs
      = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  printf ("plain-c %.6f %.6g %.9g\n", secs, (double)n * (double)K / secs,
          sum / (double)n);
  return 0;
}
