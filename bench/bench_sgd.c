/* bench_sgd.c: path-steps per second of one SGD ensemble,
   x_{k+1} = x_k - eta (H x_k + sigma xi_k), xi_k ~ N(0, I), over N paths
   and K steps, ending with the mean of x_0 over the paths.  Contestants:
   sdekit's ensemble engine (one SGD process, Gaussian oracle, coupled, one
   checkpoint at step K, observable x0) on one and two threads, and a plain
   GSL loop (per path, per step, gsl_ran_gaussian_ziggurat on mt19937).
   Also the Gaussian-generation limit: normals per second of sdekit's block
   fill, as bench_normals measures it and in the engine's own block shape.

   Usage:
     bench_sgd --problem SPEC
         print d, H (d rows) and x0 of the problem, for the Python peers;
     bench_sgd CASE SPEC NPATHS NSTEPS ETA SIGMA [PEERS]
         run the contestants (PEERS, comma-separated: sdekit, gsl,
         limit; default all).  "sdekit" runs the engine on one and on two
         threads and the normals fill, block by block in turn, and prints
         the paired ratios: paired-cost, the normals per second of the fill
         over d times the one-thread path-steps per second (cost per
         path-step over the cost of its d normals), and paired-scaling,
         two threads over one.

   Each contestant prints one line "CASE NAME RATE MEAN SE NOTE" (RATE in
   path-steps or normals per second, the median over timed blocks; MEAN and
   SE of x_0 at step K); run-sgd.sh adds the Python peers and forms the
   ratios.  Lines starting with '#' are comments.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sdekit/ensemble.h"

#define BLOCKS 10 /* timed blocks per run; the rate is their median */
#define TRIALS 7  /* trials of the normals fill */
#define CHUNK 256 /* paths per canonical chunk, as the tools use */

/* The engine's chunk: CHUNK unless SDE_BENCH_CHUNK says otherwise (a
   diagnostic: larger chunks amortize the per-call overheads).  */
static size_t chunk = CHUNK;

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Wall and process CPU time.  On a busy machine the CPU time of a
   one-thread contestant leaves out the time it waited for a core, so its
   rate per CPU second is the steadier measure of the cost per core.  */
typedef struct
{
  double wall, cpu;
} stamp;

static stamp
stamp_now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (stamp){ now (), (double)t.tv_sec + 1e-9 * (double)t.tv_nsec };
}

/* Work per second of wall time and of CPU time since T0.  */
typedef struct
{
  double wall, cpu;
} rate;

static rate
rate_since (stamp t0, double work)
{
  stamp t = stamp_now ();
  return (rate){ work / (t.wall - t0.wall), work / (t.cpu - t0.cpu) };
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median (double *v, size_t n)
{
  qsort (v, n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Keeps results alive so the compiler cannot drop the work.  */
static volatile double sink;

typedef struct
{
  const char *name; /* case label, e.g. "1d" */
  sde_problem *pb;
  size_t d;
  uint64_t npaths;
  size_t nsteps;
  double eta, sigma;
  double peer_limit; /* seconds a slow peer may take before it is scaled */
} bench_case;

/* Medians over N <= 16 blocks or trials of the wall and CPU rates.  */
static rate
median_rate (const rate *r, size_t n)
{
  double w[16], c[16];
  for (size_t i = 0; i < n; i++)
    w[i] = r[i].wall, c[i] = r[i].cpu;
  return (rate){ median (w, n), median (c, n) };
}

static void
print_rate (const bench_case *bc, const char *peer, const rate *rates, size_t n,
            double secs, double mean, double se, const char *note)
{
  double lo = rates[0].wall, hi = rates[0].wall;
  for (size_t i = 1; i < n; i++)
    lo = fmin (lo, rates[i].wall), hi = fmax (hi, rates[i].wall);
  rate m = median_rate (rates, n);
  printf ("# %s %s: %.2f s in all, %zu timed blocks from %.4g to %.4g /s\n",
          bc->name, peer, secs, n, lo, hi);
  printf ("%s %s %.4g %.4g %.9g %.3g %s\n", bc->name, peer, m.wall, m.cpu, mean,
          se, note);
  fflush (stdout);
}

/* ---- sdekit: the ensemble engine, as sde-sim assembles it ---- */

typedef struct
{
  sde_optim m;
  sde_observable obs;
  sde_process proc;
  size_t check;
  sde_rng *rng;
  sde_ensemble e;
  sde_ensemble_sums *sums;
} sdekit_run;

static void
sdekit_setup (sdekit_run *r, const bench_case *bc, int threads)
{
  const sde_problem *pb = bc->pb;
  const char *text = "sgd";
  if (sde_optim_parse (&r->m, &text) || sde_optim_set (&r->m, bc->eta))
    {
      fprintf (stderr, "bench_sgd: cannot set up sgd\n");
      exit (1);
    }
  sde_oracle orc = {
    .prob = pb, .law = SDE_ORACLE_GAUSSIAN, .sigma = bc->sigma, .svag = 1
  };
  if (sde_oracle_check (&orc)
      || sde_observable_parse ("x0", bc->d, pb, &r->obs, 1) != 1)
    {
      fprintf (stderr, "bench_sgd: bad oracle or observable\n");
      exit (1);
    }
  r->proc = (sde_process){ .kind = SDE_PROCESS_METHOD,
                           .label = "sgd",
                           .method = &r->m,
                           .oracle = orc,
                           .x0 = pb->x0,
                           .dim = bc->d };
  r->check = bc->nsteps;
  r->rng = sde_rng_alloc (NULL, 1);
  r->e = (sde_ensemble){ .eta = bc->eta,
                         .nsteps = bc->nsteps,
                         .check = &r->check,
                         .ncheck = 1,
                         .obs = &r->obs,
                         .nobs = 1,
                         .proc = &r->proc,
                         .nproc = 1,
                         .ref = -1,
                         .coupled = 1,
                         .rng = r->rng,
                         .stream0 = 0,
                         .bound = 1e10,
                         .chunk = chunk,
                         .threads = threads };
  r->sums = sde_ensemble_sums_alloc (&r->e);
  if (r->sums == NULL)
    {
      fprintf (stderr, "bench_sgd: out of memory\n");
      exit (1);
    }
}

/* Path-steps per second of paths [p0, p0 + n).  */
static rate
sdekit_block (sdekit_run *r, uint64_t p0, uint64_t n)
{
  stamp t0 = stamp_now ();
  if (sde_ensemble_run (&r->e, p0, n, r->sums))
    {
      fprintf (stderr, "bench_sgd: sde_ensemble_run failed\n");
      exit (1);
    }
  return rate_since (t0, (double)n * (double)r->e.nsteps);
}

/* Normals per second of sde_rng_sample in bench_normals' shape (256 paths
   by 64 draws per call), over about N normals.  */
static rate
fill_block (sde_rng *rng, size_t n)
{
  static double block[CHUNK * 64];
  static uint64_t step;
  const size_t calls = (n + CHUNK * 64 - 1) / (CHUNK * 64);
  stamp t0 = stamp_now ();
  double acc = 0;
  for (size_t s = 0; s < calls; s++, step++)
    {
      sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, step, 0, CHUNK, 64, block,
                      CHUNK);
      acc += block[step % (CHUNK * 64)];
    }
  sink += acc;
  return rate_since (t0, (double)(calls * CHUNK * 64));
}

static void
sdekit_print (const bench_case *bc, sdekit_run *r, const char *name,
              const rate *rates, size_t nb, double secs)
{
  sde_stat st = sde_ensemble_value (r->sums, 0, 0, 0);
  char note[128];
  snprintf (note, sizeof note, "full:%llu_paths_x_%zu_steps",
            (unsigned long long)sde_ensemble_paths (r->sums), bc->nsteps);
  print_rate (bc, name, rates, nb, secs, st.mean, st.se, note);
  sde_ensemble_sums_free (r->sums);
  sde_rng_free (r->rng);
}

/* The engine on one and on two threads, and the normals fill, block by
   block in turn, so that the scaling and the cost relative to the fill are
   ratios of neighbouring measurements: a noisy machine shifts both.  */
static void
run_sdekit (const bench_case *bc)
{
  sdekit_run one, two;
  sdekit_setup (&one, bc, 1);
  sdekit_setup (&two, bc, 2);
  sde_rng *frng = sde_rng_alloc (NULL, 42);
  /* Blocks of whole chunks, so that path0 stays a multiple of the chunk.  */
  uint64_t per = (bc->npaths + BLOCKS - 1) / BLOCKS;
  per = (per + chunk - 1) / chunk * chunk;
  rate r1[BLOCKS], r2[BLOCKS], rf[BLOCKS], scale[BLOCKS], cost[BLOCKS];
  double s1 = 0, s2 = 0, sf = 0;
  size_t nb = 0;
  fill_block (frng, 1000000); /* warm up the dispatcher */
  for (uint64_t p0 = 0; p0 < bc->npaths && nb < BLOCKS; p0 += per, nb++)
    {
      uint64_t n = bc->npaths - p0 < per ? bc->npaths - p0 : per;
      double t0 = now ();
      r1[nb] = sdekit_block (&one, p0, n);
      double t1 = now ();
      /* A quarter of the block's normals: enough for a stable rate.  */
      rf[nb] = fill_block (frng, (size_t)(n * bc->nsteps * bc->d / 4));
      double t2 = now ();
      r2[nb] = sdekit_block (&two, p0, n);
      s1 += t1 - t0, sf += t2 - t1, s2 += now () - t2;
      scale[nb] = (rate){ r2[nb].wall / r1[nb].wall, r2[nb].cpu / r1[nb].cpu };
      cost[nb] = (rate){ rf[nb].wall / ((double)bc->d * r1[nb].wall),
                         rf[nb].cpu / ((double)bc->d * r1[nb].cpu) };
    }
  sdekit_print (bc, &one, "sdekit-1t", r1, nb, s1);
  sdekit_print (bc, &two, "sdekit-2t", r2, nb, s2);
  printf ("# %s paired: the normals fill ran %.2f s between the blocks\n",
          bc->name, sf);
  rate m = median_rate (rf, nb);
  printf ("%s paired-fill %.4g %.4g nan nan normals/s_256x64_between_blocks\n",
          bc->name, m.wall, m.cpu);
  m = median_rate (cost, nb);
  printf ("%s paired-cost %.4g %.4g nan nan median_of_per-block_ratios\n",
          bc->name, m.wall, m.cpu);
  m = median_rate (scale, nb);
  printf ("%s paired-scaling %.4g %.4g nan nan median_of_per-block_ratios\n",
          bc->name, m.wall, m.cpu);
  fflush (stdout);
  sde_rng_free (frng);
}

/* ---- A plain GSL loop, path by path, as a C user would write it ---- */

static void
run_gsl (const bench_case *bc)
{
  const size_t d = bc->d, K = bc->nsteps;
  const double eta = bc->eta, sigma = bc->sigma;
  const double *H = bc->pb->hess_const, *x0 = bc->pb->x0;
  gsl_rng *r = gsl_rng_alloc (gsl_rng_mt19937);
  double *x = malloc (d * sizeof (double)), *g = malloc (d * sizeof (double));
  double s1 = 0, s2 = 0, t00 = now ();
  rate rates[BLOCKS];
  uint64_t per = (bc->npaths + BLOCKS - 1) / BLOCKS, done = 0;
  size_t nb = 0;
  while (done < bc->npaths && nb < BLOCKS)
    {
      uint64_t n = bc->npaths - done < per ? bc->npaths - done : per;
      stamp t0 = stamp_now ();
      if (d == 1)
        {
          const double h = H[0];
          for (uint64_t p = 0; p < n; p++)
            {
              double v = x0[0];
              for (size_t k = 0; k < K; k++)
                {
                  double z = gsl_ran_gaussian_ziggurat (r, 1.0);
                  double gr = h * v + sigma * z;
                  v -= eta * gr;
                }
              s1 += v;
              s2 += v * v;
            }
        }
      else
        for (uint64_t p = 0; p < n; p++)
          {
            memcpy (x, x0, d * sizeof (double));
            for (size_t k = 0; k < K; k++)
              {
                for (size_t i = 0; i < d; i++)
                  g[i] = sigma * gsl_ran_gaussian_ziggurat (r, 1.0);
                for (size_t i = 0; i < d; i++)
                  {
                    double a = 0;
                    for (size_t j = 0; j < d; j++)
                      a += H[i * d + j] * x[j];
                    g[i] += a;
                  }
                for (size_t i = 0; i < d; i++)
                  x[i] -= eta * g[i];
              }
            s1 += x[0];
            s2 += x[0] * x[0];
          }
      rates[nb++] = rate_since (t0, (double)n * (double)K);
      done += n;
      /* A slow peer stops after peer_limit seconds, at a block boundary:
         its rate is still the median over the blocks it ran.  */
      if (now () - t00 > bc->peer_limit && done < bc->npaths && nb >= 3)
        break;
    }
  double secs = now () - t00, nd = (double)done;
  double mean = s1 / nd, var = (s2 - nd * mean * mean) / (nd - 1);
  char note[128];
  if (done == bc->npaths)
    snprintf (note, sizeof note, "full:%llu_paths_x_%zu_steps",
              (unsigned long long)done, K);
  else
    snprintf (note, sizeof note,
              "SCALED:ran_%llu_of_%llu_paths_(time_limit_%gs)",
              (unsigned long long)done, (unsigned long long)bc->npaths,
              bc->peer_limit);
  print_rate (bc, "gsl-loop", rates, nb, secs, mean, sqrt (var / nd), note);
  sink += x[0] + g[0];
  free (x);
  free (g);
  gsl_rng_free (r);
}

/* ---- The Gaussian-generation limit ---- */

/* Normals per second of sde_rng_sample filling P paths by D draws per
   call; the median of TRIALS trials of about N normals each.  */
static rate
fill_rate (size_t P, size_t D, size_t n)
{
  sde_rng *rng = sde_rng_alloc (NULL, 42);
  double *block = malloc (P * D * sizeof (double)), acc = 0;
  rate r[TRIALS];
  const size_t calls = (n + P * D - 1) / (P * D);
  for (size_t s = 0; s < calls / 10 + 1; s++) /* warm up */
    sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, s, 0, P, D, block, P);
  for (int t = 0; t < TRIALS; t++)
    {
      stamp t0 = stamp_now ();
      for (size_t s = 0; s < calls; s++)
        {
          sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, s, 0, P, D, block, P);
          acc += block[s % (P * D)];
        }
      r[t] = rate_since (t0, (double)(calls * P * D));
    }
  sink += acc;
  free (block);
  sde_rng_free (rng);
  return median_rate (r, TRIALS);
}

static void
run_limit (const bench_case *bc)
{
  /* bench_normals' shape, and the engine's: for one Gaussian SGD process
     it draws G F r normals per chunk and call, with F = 1 fine step and
     G = 2 eta-steps per draw when r is odd (MATH.md 8.3).  */
  const size_t r = bc->d, engine = r % 2 ? 2 * r : r, n = 50000000;
  printf ("# %s limit: isa %s, median of %d trials of %zu normals\n", bc->name,
          sde_rng_isa (), TRIALS, n);
  rate f = fill_rate (CHUNK, 64, n);
  printf ("%s normals-256x64 %.4g %.4g nan nan as_bench_normals\n", bc->name,
          f.wall, f.cpu);
  f = fill_rate (chunk, engine, n);
  printf ("%s normals-engine %.4g %.4g nan nan engine_shape_%zux%zu\n",
          bc->name, f.wall, f.cpu, chunk, engine);
  fflush (stdout);
}

/* E x_K = (I - eta H)^K x0, coordinate 0.  */
static double
exact_mean (const bench_case *bc)
{
  const size_t d = bc->d;
  const double *H = bc->pb->hess_const;
  double *v = malloc (d * sizeof (double)), *w = malloc (d * sizeof (double));
  memcpy (v, bc->pb->x0, d * sizeof (double));
  for (size_t k = 0; k < bc->nsteps; k++)
    {
      for (size_t i = 0; i < d; i++)
        {
          double a = 0;
          for (size_t j = 0; j < d; j++)
            a += H[i * d + j] * v[j];
          w[i] = v[i] - bc->eta * a;
        }
      memcpy (v, w, d * sizeof (double));
    }
  double e = v[0];
  free (v);
  free (w);
  return e;
}

static sde_problem *
problem (const char *spec)
{
  sde_problem *pb = sde_problem_alloc (spec, NULL);
  if (pb == NULL || pb->hess_const == NULL || pb->factor_const == NULL)
    {
      fprintf (stderr, "bench_sgd: %s: not a quadratic with constant noise\n",
               spec);
      exit (2);
    }
  /* The peers add sigma xi with S = I: check it is so.  */
  for (size_t i = 0; i < pb->dim; i++)
    for (size_t j = 0; j < pb->noise_dim; j++)
      if (pb->factor_const[i * pb->noise_dim + j] != (i == j))
        {
          fprintf (stderr, "bench_sgd: %s: noise factor is not I\n", spec);
          exit (2);
        }
  return pb;
}

int
main (int argc, char **argv)
{
  gsl_set_error_handler_off ();
  if (argc == 3 && strcmp (argv[1], "--problem") == 0)
    {
      sde_problem *pb = problem (argv[2]);
      const size_t d = pb->dim;
      printf ("%zu\n", d);
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          printf ("%.17g%c", pb->hess_const[i * d + j], j + 1 < d ? ' ' : '\n');
      for (size_t i = 0; i < d; i++)
        printf ("%.17g%c", pb->x0[i], i + 1 < d ? ' ' : '\n');
      sde_problem_free (pb);
      return 0;
    }
  if (argc < 7 || argc > 8)
    {
      fprintf (stderr,
               "usage: bench_sgd CASE SPEC NPATHS NSTEPS ETA SIGMA [PEERS]\n"
               "       bench_sgd --problem SPEC\n");
      return 2;
    }
  const char *peers = argc > 7 ? argv[7] : "sdekit,gsl,limit";
  const char *lim = getenv ("SDE_BENCH_PEER_LIMIT");
  bench_case bc = { .name = argv[1],
                    .pb = problem (argv[2]),
                    .npaths = strtoull (argv[3], NULL, 10),
                    .nsteps = strtoul (argv[4], NULL, 10),
                    .eta = strtod (argv[5], NULL),
                    .sigma = strtod (argv[6], NULL),
                    .peer_limit = lim ? strtod (lim, NULL) : 60 };
  bc.d = bc.pb->dim;
  const char *ch = getenv ("SDE_BENCH_CHUNK");
  if (ch && (chunk = strtoul (ch, NULL, 10)) == 0)
    chunk = CHUNK;
  if (chunk != CHUNK)
    printf ("# SDE_BENCH_CHUNK: the engine runs chunks of %zu paths, not "
            "the tools' %d\n",
            chunk, CHUNK);
  if (bc.npaths < 2 || bc.nsteps < 1 || !(bc.eta > 0) || !(bc.sigma >= 0))
    {
      fprintf (stderr, "bench_sgd: bad sizes\n");
      return 2;
    }
  printf ("# %s: %s, d = %zu, %llu paths x %zu steps, eta %g, sigma %g\n",
          bc.name, sde_problem_spec (bc.pb), bc.d,
          (unsigned long long)bc.npaths, bc.nsteps, bc.eta, bc.sigma);
  printf ("%s exact %.9g\n", bc.name, exact_mean (&bc));
  fflush (stdout);
  char list[256];
  snprintf (list, sizeof list, "%s", peers);
  char *save = NULL;
  for (char *p = strtok_r (list, ",", &save); p;
       p = strtok_r (NULL, ",", &save))
    if (strcmp (p, "sdekit") == 0)
      run_sdekit (&bc);
    else if (strcmp (p, "gsl") == 0)
      run_gsl (&bc);
    else if (strcmp (p, "limit") == 0)
      run_limit (&bc);
    else
      {
        fprintf (stderr, "bench_sgd: unknown peer '%s'\n", p);
        return 2;
      }
  sde_problem_free (bc.pb);
  return 0;
}
