/* check_rng.c: unit tests of the counter-based streams and their laws.  */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "rng_internal.h"
#include "sdekit/rng.h"
#include "testutil.h"

#define SEED UINT64_C (20230517)

/* Known-answer vectors of Philox4x32-10 from the Random123 distribution
   (kat_vectors): counter, key, output.  */
static const uint32_t kat[3][10] = {
  { 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 },
  { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
    0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
  { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
    0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 },
};

static const char *const isas[] = { "generic", "avx2", "avx512" };

START_TEST (test_rng_philox_known_answers)
{
  for (int v = 0; v < 3; v++)
    {
      uint32_t out[4];
      sde__philox1 (kat[v] + 4, kat[v], out);
      for (int j = 0; j < 4; j++)
        ck_assert_uint_eq (out[j], kat[v][6 + j]);
      /* Every kernel, with the vector in lane 0 and in a tail lane.  */
      for (int k = 0; k < 3; k++)
        {
          sde__philox_fn f = sde__philox_kernel (isas[k]);
          if (f == NULL)
            continue;
          for (uint32_t lane = 0; lane < 40; lane += 39)
            {
              uint64_t lo[40], hi[40];
              f (kat[v] + 4, kat[v][0], kat[v][1], kat[v][2] - lane, kat[v][3],
                 40, lo, hi);
              ck_assert_uint_eq (lo[lane] & 0xffffffff, kat[v][6]);
              ck_assert_uint_eq (lo[lane] >> 32, kat[v][7]);
              ck_assert_uint_eq (hi[lane] & 0xffffffff, kat[v][8]);
              ck_assert_uint_eq (hi[lane] >> 32, kat[v][9]);
            }
        }
    }
}
END_TEST

START_TEST (test_rng_kernels_agree_bitwise)
{
  sde__philox_fn ref = sde__philox_kernel ("generic");
  const uint32_t key[2] = { 0x12345678, 0x9abcdef0 };
  enum
  {
    N = 1000
  };
  static uint64_t lo0[N], hi0[N], lo1[N], hi1[N];
  ref (key, 7, 11, 0xfffffff0u, 13, N, lo0, hi0); /* path wraps 2^32 */
  for (int k = 1; k < 3; k++)
    {
      sde__philox_fn f = sde__philox_kernel (isas[k]);
      if (f == NULL)
        continue;
      for (size_t n = 1; n <= N; n += 37)
        {
          f (key, 7, 11, 0xfffffff0u, 13, n, lo1, hi1);
          ck_assert_int_eq (memcmp (lo0, lo1, n * 8), 0);
          ck_assert_int_eq (memcmp (hi0, hi1, n * 8), 0);
        }
    }
}
END_TEST

/* Every law: the block fill equals sample_one at every coordinate, and the
   result does not depend on how the paths are split into blocks.  */
START_TEST (test_rng_random_access_equals_fill)
{
  sde_rng *r = sde_rng_alloc ("philox", SEED);
  enum
  {
    P = 601,
    N = 261
  };
  double *x = malloc (sizeof (double) * P * N);
  double *y = malloc (sizeof (double) * P * N);
  for (int law = 0; law < SDE_RNG_NLAWS; law++)
    {
      double param = law == SDE_RNG_STUDENT ? 5.0 : 0.0;
      ck_assert_int_eq (
          sde_rng_sample (r, law, param, 3, 1234567, 1000, P, N, x, P),
          GSL_SUCCESS);
      for (size_t i = 0; i < N; i += 13)
        for (size_t p = 0; p < P; p += 17)
          {
            double one = sde_rng_sample_one (r, law, param, 3, 1234567,
                                             1000 + p, (uint32_t)i);
            ck_assert_msg (memcmp (&one, &x[i * P + p], 8) == 0,
                           "law %s draw %zu path %zu: %.17g vs %.17g",
                           sde_rng_law_name (law), i, p, one, x[i * P + p]);
          }
      /* Blocks of 1, 7 and 300 paths with a wider leading dimension.  */
      const size_t widths[] = { 1, 7, 300 };
      for (int w = 0; w < 3; w++)
        {
          for (size_t p0 = 0; p0 < P; p0 += widths[w])
            {
              size_t np = P - p0 < widths[w] ? P - p0 : widths[w];
              ck_assert_int_eq (sde_rng_sample (r, law, param, 3, 1234567,
                                                1000 + p0, np, N, y + p0, P),
                                GSL_SUCCESS);
            }
          ck_assert_int_eq (memcmp (x, y, sizeof (double) * P * N), 0);
        }
    }
  free (x);
  free (y);
  sde_rng_free (r);
}
END_TEST

/* The polynomial log/sin/cos of the Box-Muller transform against long
   double: one pair from known words, for many words.  */
START_TEST (test_rng_normal_transform_accuracy)
{
  sde_rng *r = sde_rng_alloc (NULL, SEED);
  const uint32_t key[2] = { (uint32_t)SEED, (uint32_t)(SEED >> 32) };
  double worst = 0;
  for (uint32_t i = 0; i < 200000; i++)
    {
      uint32_t ctr[4] = { i / 2, 5, 9, 2u << 16 }, o[4];
      sde__philox1 (key, ctr, o);
      uint64_t lo = o[0] | (uint64_t)o[1] << 32;
      uint64_t hi = o[2] | (uint64_t)o[3] << 32;
      long double u = ((long double)(lo >> 12) + 0.5L) * 0x1p-52L;
      long double f
          = ((long double)(hi & ((UINT64_C (1) << 50) - 1)) + 0.5L) * 0x1p-50L;
      long double phi = f * 0.78539816339744830961566084581987572L;
      long double rad = sqrtl (-2.0L * logl (u));
      long double a = (hi >> 63) ? sinl (phi) : cosl (phi);
      long double b = (hi >> 63) ? cosl (phi) : sinl (phi);
      long double want = (i & 1) ? ((hi >> 61) & 1 ? -b : b) * rad
                                 : ((hi >> 62) & 1 ? -a : a) * rad;
      double got = sde_rng_sample_one (r, SDE_RNG_NORMAL, 0, 2, 5, 9, i);
      double err = (double)fabsl ((got - want) / want);
      if (err > worst)
        worst = err;
    }
  /* A few ulps: the log, the sqrt, the angle scaling and the product.  */
  ck_assert_msg (worst < 1e-15, "worst relative error %.3g", worst);
  sde_rng_free (r);
}
END_TEST

/* sqrt(n) times the Kolmogorov-Smirnov distance of x (sorted in place)
   from CDF; below 1.95 is p > 0.001.  */
static double
ks_statistic (double *x, size_t n, double (*cdf) (double, double), double param)
{
  gsl_sort (x, 1, n);
  double d = 0;
  for (size_t i = 0; i < n; i++)
    {
      double F = cdf (x[i], param);
      double dp = (double)(i + 1) / n - F, dm = F - (double)i / n;
      d = fmax (d, fmax (dp, dm));
    }
  return sqrt ((double)n) * d;
}

static double
cdf_normal (double x, double unused)
{
  (void)unused;
  return gsl_cdf_ugaussian_P (x);
}

/* The scaled t: x = t sqrt((nu-2)/nu).  */
static double
cdf_student (double x, double nu)
{
  return gsl_cdf_tdist_P (x / sqrt ((nu - 2) / nu), nu);
}

/* Kolmogorov-Smirnov of 10^6 normals against gsl_cdf_ugaussian_P, and of
   Student-t variates against gsl_cdf_tdist_P.  */
START_TEST (test_rng_normal_kolmogorov_smirnov)
{
  enum
  {
    N = 1000000
  };
  sde_rng *r = sde_rng_alloc (NULL, SEED);
  double *x = malloc (sizeof (double) * N);
  /* 1000 paths by 1000 draws: all four counter coordinates vary.  */
  ck_assert_int_eq (
      sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0, 0, 1000, 1000, x, 1000),
      GSL_SUCCESS);
  double ks = ks_statistic (x, N, cdf_normal, 0);
  ck_assert_msg (ks < 1.95, "normal: sqrt(n) D = %g", ks);
  const double nus[] = { 2.5, 3.5, 12 };
  for (int k = 0; k < 3; k++)
    {
      ck_assert_int_eq (sde_rng_sample (r, SDE_RNG_STUDENT, nus[k], 1, 0, 0,
                                        1000, 200, x, 1000),
                        GSL_SUCCESS);
      ks = ks_statistic (x, 200000, cdf_student, nus[k]);
      ck_assert_msg (ks < 1.95, "student %g: sqrt(n) D = %g", nus[k], ks);
    }
  free (x);
  sde_rng_free (r);
}
END_TEST

/* Sample moments of each law against the exact ones, within 5 SE: the
   SE of a sample mean of g is sqrt(Var g / n), so m1, m2 need m2, m4 and
   the fourth moment needs m8 (all finite).  */
static void
check_moments (sde_rng *r, sde_rng_law law, double param, double m1, double m2,
               double m4, double m8)
{
  enum
  {
    P = 2000,
    N = 500
  };
  const double n = (double)P * N;
  double *x = malloc (sizeof (double) * P * N);
  ck_assert_int_eq (sde_rng_sample (r, law, param, 4, 77, 0, P, N, x, P),
                    GSL_SUCCESS);
  double s1 = 0, s2 = 0, s4 = 0;
  for (size_t k = 0; k < (size_t)P * N; k++)
    {
      double v = x[k], v2 = v * v;
      s1 += v;
      s2 += v2;
      s4 += v2 * v2;
    }
  double var1 = m2 - m1 * m1, var2 = m4 - m2 * m2, var4 = m8 - m4 * m4;
  ck_assert_within_se (s1 / n, m1, sqrt (var1 / n), 5);
  ck_assert_within_se (s2 / n, m2, sqrt (var2 / n), 5);
  ck_assert_within_se (s4 / n, m4, sqrt (var4 / n), 5);
  free (x);
}

START_TEST (test_rng_law_moments_within_se)
{
  const char *names[] = { "philox", "mt19937" };
  for (int g = 0; g < 2; g++)
    {
      sde_rng *r = sde_rng_alloc (names[g], SEED);
      ck_assert_ptr_nonnull (r);
      /* N(0,1): E x^2k = (2k-1)!!.  */
      check_moments (r, SDE_RNG_NORMAL, 0, 0, 1, 3, 105);
      /* U(0,1): E x^k = 1/(k+1).  */
      check_moments (r, SDE_RNG_UNIFORM, 0, 0.5, 1.0 / 3, 0.2, 1.0 / 9);
      check_moments (r, SDE_RNG_TWOPOINT, 0, 0, 1, 1, 1);
      /* +-sqrt3 w.p. 1/6: E x^2 = 1, E x^4 = 3, E x^8 = 27.  */
      check_moments (r, SDE_RNG_THREEPOINT, 0, 0, 1, 3, 27);
      /* t(nu) scaled to variance 1, at nu = 12 where E x^8 is finite;
         heavier tails are checked by Kolmogorov-Smirnov.  */
      double nu = 12, c = (nu - 2) / nu;
      double t4 = 3 * nu * nu / ((nu - 2) * (nu - 4)) * c * c;
      double t8 = 105 * pow (nu, 4)
                  / ((nu - 2) * (nu - 4) * (nu - 6) * (nu - 8)) * pow (c, 4);
      check_moments (r, SDE_RNG_STUDENT, nu, 0, 1, t4, t8);
      sde_rng_free (r);
    }
}
END_TEST

/* Pearson correlation of two fills, |rho| < 5/sqrt(n).  */
static double
correlation (const double *a, const double *b, size_t n)
{
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (size_t k = 0; k < n; k++)
    {
      sa += a[k];
      sb += b[k];
      saa += a[k] * a[k];
      sbb += b[k] * b[k];
      sab += a[k] * b[k];
    }
  double ca = saa - sa * sa / n, cb = sbb - sb * sb / n;
  return (sab - sa * sb / n) / sqrt (ca * cb);
}

START_TEST (test_rng_neighbours_uncorrelated)
{
  enum
  {
    P = 1001,
    N = 400
  };
  const size_t n = (size_t)(P - 1) * N;
  sde_rng *r = sde_rng_alloc (NULL, SEED);
  double *x = malloc (sizeof (double) * P * N);
  double *y = malloc (sizeof (double) * P * N);
  double *a = malloc (sizeof (double) * n), *b = malloc (sizeof (double) * n);
  for (int law = 0; law < SDE_RNG_NLAWS; law++)
    {
      double param = law == SDE_RNG_STUDENT ? 6 : 0;
      ck_assert_int_eq (sde_rng_sample (r, law, param, 9, 100, 50, P, N, x, P),
                        GSL_SUCCESS);
      /* Neighbouring paths p, p+1.  */
      for (size_t i = 0, k = 0; i < N; i++)
        for (size_t p = 0; p + 1 < P; p++, k++)
          {
            a[k] = x[i * P + p];
            b[k] = x[i * P + p + 1];
          }
      double rho = correlation (a, b, n);
      ck_assert_msg (fabs (rho) < 5 / sqrt ((double)n), "%s paths: rho %g",
                     sde_rng_law_name (law), rho);
      /* Neighbouring draws i, i+1 of one path (same Philox block).  */
      for (size_t i = 0, k = 0; i + 1 < N; i++)
        for (size_t p = 0; p + 1 < P; p++, k++)
          {
            a[k] = x[i * P + p];
            b[k] = x[(i + 1) * P + p];
          }
      size_t nd = (size_t)(N - 1) * (P - 1);
      rho = correlation (a, b, nd);
      ck_assert_msg (fabs (rho) < 5 / sqrt ((double)nd), "%s draws: rho %g",
                     sde_rng_law_name (law), rho);
      /* Neighbouring steps, then neighbouring streams.  */
      for (int what = 0; what < 2; what++)
        {
          ck_assert_int_eq (sde_rng_sample (r, law, param, what ? 10 : 9,
                                            what ? 100 : 101, 50, P, N, y, P),
                            GSL_SUCCESS);
          rho = correlation (x, y, (size_t)P * N);
          ck_assert_msg (fabs (rho) < 5 / sqrt ((double)P * N), "%s %s: rho %g",
                         sde_rng_law_name (law), what ? "streams" : "steps",
                         rho);
        }
    }
  free (a);
  free (b);
  free (x);
  free (y);
  sde_rng_free (r);
}
END_TEST

/* Three-point frequencies 1/6, 1/6, 2/3 within 5 SE.  */
START_TEST (test_rng_threepoint_frequencies)
{
  enum
  {
    P = 1000,
    N = 1000
  };
  sde_rng *r = sde_rng_alloc (NULL, SEED);
  double *x = malloc (sizeof (double) * P * N);
  sde_rng_sample (r, SDE_RNG_THREEPOINT, 0, 1, 2, 3, P, N, x, P);
  double cp = 0, cm = 0, n = (double)P * N;
  for (size_t k = 0; k < (size_t)P * N; k++)
    {
      cp += x[k] == sqrt (3.0);
      cm += x[k] == -sqrt (3.0);
      ck_assert (x[k] == 0 || fabs (x[k]) == sqrt (3.0));
    }
  double se = sqrt ((1.0 / 6) * (5.0 / 6) / n);
  ck_assert_within_se (cp / n, 1.0 / 6, se, 5);
  ck_assert_within_se (cm / n, 1.0 / 6, se, 5);
  free (x);
  sde_rng_free (r);
}
END_TEST

/* Integers in [0, 7): chi-square with 6 degrees of freedom, p > 0.001
   (critical value 22.46); fills equal across block splits.  */
START_TEST (test_rng_index_uniform_and_blockwise)
{
  enum
  {
    P = 700,
    N = 300
  };
  const char *names[] = { "philox", "taus2" };
  for (int g = 0; g < 2; g++)
    {
      sde_rng *r = sde_rng_alloc (names[g], SEED);
      uint32_t *k = malloc (sizeof (uint32_t) * P * N);
      uint32_t *k2 = malloc (sizeof (uint32_t) * P * N);
      ck_assert_int_eq (sde_rng_sample_index (r, 7, 5, 6, 0, P, N, k, P),
                        GSL_SUCCESS);
      double count[7] = { 0 };
      for (size_t j = 0; j < (size_t)P * N; j++)
        {
          ck_assert_uint_lt (k[j], 7);
          count[k[j]]++;
        }
      double chi2 = 0, e = (double)P * N / 7;
      for (int j = 0; j < 7; j++)
        chi2 += (count[j] - e) * (count[j] - e) / e;
      ck_assert_msg (chi2 < 22.46, "chi2 %g", chi2);
      if (g == 0)
        {
          for (size_t p0 = 0; p0 < P; p0 += 100)
            sde_rng_sample_index (r, 7, 5, 6, p0, 100, N, k2 + p0, P);
          ck_assert_int_eq (memcmp (k, k2, sizeof (uint32_t) * P * N), 0);
        }
      free (k);
      free (k2);
      sde_rng_free (r);
    }
}
END_TEST

/* The GSL adapter repeats itself block by block.  */
START_TEST (test_rng_gsl_adapter_reproducible)
{
  sde_rng *r = sde_rng_alloc ("mt19937", 99);
  ck_assert_str_eq (sde_rng_name (r), "mt19937");
  ck_assert_int_eq (sde_rng_is_counter (r), 0);
  double a[64], b[64];
  sde_rng_sample (r, SDE_RNG_NORMAL, 0, 1, 2, 3, 8, 8, a, 8);
  sde_rng_sample (r, SDE_RNG_UNIFORM, 0, 1, 2, 4, 8, 8, b, 8);
  sde_rng_sample (r, SDE_RNG_NORMAL, 0, 1, 2, 3, 8, 8, b, 8);
  ck_assert_int_eq (memcmp (a, b, sizeof a), 0);
  ck_assert (isnan (sde_rng_sample_one (r, SDE_RNG_NORMAL, 0, 1, 2, 3, 0)));
  sde_rng_free (r);
}
END_TEST

/* GSL generators take 32-bit block seeds: wider ones crash ran1 and ran2
   and would not reach more seeds of the others.  Every generator draws
   blocks at coordinates whose hash is far from small.  */
START_TEST (test_rng_gsl_every_generator_seeds)
{
  const gsl_rng_type **t = gsl_rng_types_setup ();
  size_t n = 0;
  for (; *t; t++, n++)
    {
      sde_rng *r = sde_rng_alloc ((*t)->name, UINT64_C (0x9e3779b97f4a7c15));
      ck_assert_ptr_nonnull (r);
      double a[16], b[16];
      for (uint64_t step = 0; step < 4; step++)
        {
          ck_assert_int_eq (sde_rng_sample (r, SDE_RNG_UNIFORM, 0, 7, step,
                                            UINT64_C (0xfffff000), 4, 4, a, 4),
                            GSL_SUCCESS);
          ck_assert_int_eq (sde_rng_sample (r, SDE_RNG_UNIFORM, 0, 7, step,
                                            UINT64_C (0xfffff000), 4, 4, b, 4),
                            GSL_SUCCESS);
          ck_assert_int_eq (memcmp (a, b, sizeof a), 0);
          for (size_t k = 0; k < 16; k++)
            ck_assert (a[k] > 0 && a[k] < 1);
        }
      sde_rng_free (r);
    }
  ck_assert_uint_gt (n, 50);
}
END_TEST

START_TEST (test_rng_bad_arguments_rejected)
{
  ck_assert_ptr_null (sde_rng_alloc ("no-such-generator", 1));
  sde_rng *r = sde_rng_alloc (NULL, 1);
  double x[4];
  ck_assert_int_eq (
      sde_rng_sample (r, SDE_RNG_NORMAL, 0, 70000, 0, 0, 1, 1, x, 1),
      GSL_EINVAL);
  ck_assert_int_eq (sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, UINT64_C (1) << 48,
                                    0, 1, 1, x, 1),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0,
                                    UINT64_C (0xffffffff), 2, 1, x, 2),
                    GSL_EINVAL);
  ck_assert_int_eq (
      sde_rng_sample (r, SDE_RNG_STUDENT, 2.0, 0, 0, 0, 1, 1, x, 1), GSL_EDOM);
  ck_assert_int_eq (sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0, 0, 4, 2, x, 3),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_rng_law_find ("rademacher"), SDE_RNG_TWOPOINT);
  ck_assert_int_eq (sde_rng_law_find ("cauchy"), -1);
  sde_rng_free (r);
  sde_rng_free (NULL);
}
END_TEST

static Suite *
rng_suite (void)
{
  Suite *s = suite_create ("rng");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_rng_philox_known_answers);
  tcase_add_test (tc, test_rng_kernels_agree_bitwise);
  tcase_add_test (tc, test_rng_random_access_equals_fill);
  tcase_add_test (tc, test_rng_normal_transform_accuracy);
  tcase_add_test (tc, test_rng_normal_kolmogorov_smirnov);
  tcase_add_test (tc, test_rng_law_moments_within_se);
  tcase_add_test (tc, test_rng_neighbours_uncorrelated);
  tcase_add_test (tc, test_rng_threepoint_frequencies);
  tcase_add_test (tc, test_rng_index_uniform_and_blockwise);
  tcase_add_test (tc, test_rng_gsl_adapter_reproducible);
  tcase_add_test (tc, test_rng_gsl_every_generator_seeds);
  tcase_add_test (tc, test_rng_bad_arguments_rejected);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (rng_suite ());
}
