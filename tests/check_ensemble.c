/* check_ensemble.c: unit tests of the Monte Carlo engine: exact sums,
   bitwise invariance to threads and batching, coupling, divergence.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fused.h"
#include "sdekit/ensemble.h"
#include "testutil.h"
#include "xsum.h"

/* Sums of the same numbers in three orders are bitwise equal, and match a
   long double sum of well-scaled values.  */
START_TEST (test_ensemble_xsum_order_independent)
{
  enum
  {
    N = 10000
  };
  double *v = malloc (sizeof (double) * N);
  sde_rng *r = sde_rng_alloc (NULL, 1);
  sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0, 0, 1, N, v, 1);
  sde_rng_free (r);
  for (int k = 0; k < N; k++)
    v[k] = ldexp (v[k], (k % 61) - 30); /* magnitudes 2^-30 .. 2^30 */
  sde_xsum a, b, c, c2;
  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  memset (&c, 0, sizeof c);
  memset (&c2, 0, sizeof c2);
  long double ref = 0;
  for (int k = 0; k < N; k++)
    {
      ck_assert_int_eq (sde__xsum_add (&a, v[k]), 0);
      sde__xsum_add (&b, v[N - 1 - k]);
      sde__xsum_add (k % 2 ? &c : &c2, v[k]);
      ref += v[k];
    }
  sde__xsum_merge (&c, &c2);
  double x = sde__xsum_value (&a);
  ck_assert (memcmp (&x, &(double){ sde__xsum_value (&b) }, 8) == 0);
  ck_assert (memcmp (&x, &(double){ sde__xsum_value (&c) }, 8) == 0);
  ck_assert_close (x, (double)ref, 1e-12);
  /* Cancellation: 1e20 + 1 - 1e20 is exactly 1.  */
  memset (&a, 0, sizeof a);
  sde__xsum_add (&a, 1e20);
  sde__xsum_add (&a, 1.0);
  sde__xsum_add (&a, -1e20);
  ck_assert_close (sde__xsum_value (&a), 1.0, 0);
  ck_assert_int_eq (sde__xsum_add (&a, INFINITY), 1);
  ck_assert_int_eq (sde__xsum_add (&a, 1e300), 1);
  free (v);
}
END_TEST

/* One value is held as itself truncated toward zero at 2^-512 (the
   lowest bin), whatever its binade: from the top of the range down
   through the partly truncated values to the dropped subnormals.  */
START_TEST (test_ensemble_xsum_one_value)
{
  const double v[] = { 1.0,
                       -3.0,
                       0x1.fffffffffffffp479,
                       -0x1.0p479,
                       0x1.23456789abcdefp-1,
                       -0x1.fedcba98765431p-300,
                       0x1.8p-512,
                       -0x1.fffffffffffffp-500,
                       0x1.5555555555555p-470,
                       0x1.fffffffffffffp-520,
                       -0x1.0000000000001p-560,
                       0x1.0p-575,
                       0x1.0p-1022,
                       -0x1.0p-1060,
                       0x0.0000000000001p-1022,
                       0x1.999999999999ap-4 };
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
    {
      sde_xsum a;
      memset (&a, 0, sizeof a);
      ck_assert_int_eq (sde__xsum_add (&a, v[k]), 0);
      const double want = ldexp (trunc (ldexp (v[k], 512)), -512);
      const double got = sde__xsum_value (&a);
      ck_assert_msg (memcmp (&got, &want, sizeof got) == 0
                         || (got == 0 && want == 0),
                     "value %a held as %a, want %a", v[k], got, want);
    }
  sde_xsum a;
  memset (&a, 0, sizeof a);
  ck_assert_int_eq (sde__xsum_add (&a, 0x1.0p480), 1);
  ck_assert_int_eq (sde__xsum_add (&a, -NAN), 1);
}
END_TEST

/* SGD and SGDM against SME-1 (weak2, 4 substeps) on a 2-D quadratic.  */
typedef struct
{
  sde_problem *pb;
  sde_optim m[2];
  sde_limit lim;
  sde_system sys;
  sde_process proc[3];
  sde_observable obs[2];
  size_t check[3];
  sde_ensemble e;
  sde_rng *rng;
} fixture;

static void
fixture_init (fixture *f, int coupled, double eta, const char *problem)
{
  memset (f, 0, sizeof *f);
  f->pb = sde_problem_alloc (problem, NULL);
  ck_assert_ptr_nonnull (f->pb);
  const char *ms[] = { "sgd", "sgdm:beta=0.5" };
  for (int i = 0; i < 2; i++)
    {
      const char *s = ms[i];
      ck_assert_int_eq (sde_optim_parse (&f->m[i], &s), 0);
      ck_assert_int_eq (sde_optim_set (&f->m[i], eta), 0);
    }
  const double tau = 0.5;
  f->lim = (sde_limit){ SDE_LIMIT_SME1, f->pb, tau, 0, 0, NULL, NULL };
  ck_assert_int_eq (sde_system_limit (&f->sys, &f->lim), 0);
  sde_oracle o = { f->pb, SDE_ORACLE_GAUSSIAN, sqrt (tau / eta), 0, 0, 0, 1 };
  for (int i = 0; i < 2; i++)
    f->proc[i] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                .label = ms[i],
                                .method = &f->m[i],
                                .oracle = o,
                                .x0 = f->pb->x0,
                                .dim = f->pb->dim };
  f->proc[2] = (sde_process){ .kind = SDE_PROCESS_SDE,
                              .label = "sde",
                              .sys = &f->sys,
                              .scheme = sde_stepper_weak2,
                              .substeps = 4,
                              .x0 = f->pb->x0,
                              .dim = f->pb->dim };
  ck_assert_int_eq (
      sde_observable_parse ("x0,loss", f->pb->dim, f->pb, f->obs, 2), 2);
  size_t n = (size_t)llround (1.0 / eta);
  f->check[0] = n / 4;
  f->check[1] = n / 2;
  f->check[2] = n;
  f->rng = sde_rng_alloc (NULL, 77);
  f->e = (sde_ensemble){ .eta = eta,
                         .nsteps = n,
                         .check = f->check,
                         .ncheck = 3,
                         .obs = f->obs,
                         .nobs = 2,
                         .proc = f->proc,
                         .nproc = 3,
                         .ref = 2,
                         .coupled = coupled,
                         .rng = f->rng,
                         .stream0 = 16,
                         .bound = 1e10,
                         .chunk = 64,
                         .threads = 1 };
}

static void
fixture_free (fixture *f)
{
  sde_rng_free (f->rng);
  sde_problem_free (f->pb);
}

/* One run with 1 thread, one with 2, and one in three batches merged
   (the third in cleared sums): the same bits.  */
START_TEST (test_ensemble_bitwise_threads_and_batches)
{
  fixture f;
  fixture_init (&f, 1, 1.0 / 32, "quadratic:h=1,3,x0=1,-1");
  const uint64_t N = 64 * 37 + 5; /* a partial last chunk */
  sde_ensemble_sums *a = sde_ensemble_sums_alloc (&f.e);
  ck_assert_int_eq (sde_ensemble_run (&f.e, 0, N, a), 0);
  f.e.threads = 2;
  sde_ensemble_sums *b = sde_ensemble_sums_alloc (&f.e);
  ck_assert_int_eq (sde_ensemble_run (&f.e, 0, N, b), 0);
  sde_ensemble_sums *c = sde_ensemble_sums_alloc (&f.e);
  sde_ensemble_sums *c2 = sde_ensemble_sums_alloc (&f.e);
  ck_assert_int_eq (sde_ensemble_run (&f.e, 0, 64 * 10, c), 0);
  ck_assert_int_eq (sde_ensemble_run (&f.e, 64 * 10, 64 * 20, c2), 0);
  sde_ensemble_sums_merge (c, c2);
  sde_ensemble_sums_clear (c2);
  ck_assert_uint_eq (sde_ensemble_paths (c2), 0);
  ck_assert_int_eq (sde_ensemble_run (&f.e, 64 * 30, N - 64 * 30, c2), 0);
  sde_ensemble_sums_merge (c, c2);
  size_t na, nb, nc;
  int64_t *da = sde_ensemble_sums_data (a, &na);
  int64_t *db = sde_ensemble_sums_data (b, &nb);
  int64_t *dc = sde_ensemble_sums_data (c, &nc);
  ck_assert_uint_eq (na, nb);
  ck_assert_int_eq (memcmp (da, db, na * sizeof (int64_t)), 0);
  ck_assert_int_eq (memcmp (da, dc, na * sizeof (int64_t)), 0);
  ck_assert_uint_eq (sde_ensemble_paths (a), N);
  /* A start that is not a whole chunk is refused.  */
  ck_assert_int_eq (sde_ensemble_run (&f.e, 10, 64, c2), GSL_EINVAL);
  sde_ensemble_sums_free (a);
  sde_ensemble_sums_free (b);
  sde_ensemble_sums_free (c);
  sde_ensemble_sums_free (c2);
  fixture_free (&f);
}
END_TEST

/* Coupling: the paired difference of SGD and the SDE has a far smaller
   variance than the sum of their variances (MATH.md 8.3); both estimate
   the same difference within SE.  The differences agree with the
   difference of the values.  */
START_TEST (test_ensemble_coupling_reduces_variance)
{
  const double eta = 1.0 / 64;
  double se[2], mean[2];
  for (int coupled = 0; coupled < 2; coupled++)
    {
      fixture f;
      fixture_init (&f, coupled, eta, "doublewell");
      sde_ensemble_sums *s = sde_ensemble_sums_alloc (&f.e);
      ck_assert_int_eq (sde_ensemble_run (&f.e, 0, 20000, s), 0);
      sde_stat d = sde_ensemble_diff (s, 0, 0, 2);
      sde_stat va = sde_ensemble_value (s, 0, 0, 2);
      sde_stat vr = sde_ensemble_value (s, 2, 0, 2);
      ck_assert_close (d.mean, va.mean - vr.mean, 1e-12);
      se[coupled] = d.se;
      mean[coupled] = d.mean;
      if (!coupled)
        /* Independent sides: Var d - Var a - Var r = -2 Cov(a, r), whose
           estimate has SE sqrt(Var a Var r / n).  */
        ck_assert_within_se (d.var - va.var - vr.var, 0,
                             2 * sqrt (va.var * vr.var / d.n), 5);
      sde_ensemble_sums_free (s);
      fixture_free (&f);
    }
  ck_assert_msg (se[0] > 10 * se[1], "SE independent %g, coupled %g", se[0],
                 se[1]);
  ck_assert_within_se (mean[0], mean[1], hypot (se[0], se[1]), 5);
}
END_TEST

/* Paths beyond the bound are counted per process and left out.  */
START_TEST (test_ensemble_counts_divergence)
{
  fixture f;
  fixture_init (&f, 1, 1.0 / 8, "doublewell");
  f.proc[0].oracle.sigma = 30; /* SGD alone gets wild noise */
  f.e.bound = 100;
  sde_ensemble_sums *s = sde_ensemble_sums_alloc (&f.e);
  ck_assert_int_eq (sde_ensemble_run (&f.e, 0, 4000, s), 0);
  uint64_t dv = sde_ensemble_diverged (s, 0);
  ck_assert (dv > 0 && dv < 4000);
  ck_assert_uint_eq (sde_ensemble_diverged (s, 2), 0);
  sde_stat v = sde_ensemble_value (s, 0, 0, 2);
  ck_assert_uint_eq ((uint64_t)v.n, 4000 - dv);
  ck_assert (isfinite (v.mean));
  sde_ensemble_sums_free (s);
  fixture_free (&f);
}
END_TEST

START_TEST (test_ensemble_rejects_bad_settings)
{
  fixture f;
  fixture_init (&f, 1, 1.0 / 8, "doublewell");
  sde_ensemble_sums *s = sde_ensemble_sums_alloc (&f.e);
  sde_ensemble bad = f.e;
  size_t back[2] = { 4, 2 };
  bad.check = back;
  bad.ncheck = 2;
  ck_assert_int_eq (sde_ensemble_run (&bad, 0, 64, s), GSL_EINVAL);
  bad = f.e;
  bad.eta = 0.2; /* the methods were resolved at 1/8 */
  ck_assert_int_eq (sde_ensemble_run (&bad, 0, 64, s), GSL_EINVAL);
  bad = f.e;
  bad.ref = 5;
  ck_assert_int_eq (sde_ensemble_run (&bad, 0, 64, s), GSL_EINVAL);
  sde_ensemble_sums_free (s);
  fixture_free (&f);
}
END_TEST

/* Chunks run in sub-blocks of 16, 24 or 40 paths give the bits of
   whole chunks, on a diagonal and a dense (dgemm) problem, with a partial
   last chunk.  */
START_TEST (test_ensemble_bitwise_sub_blocks)
{
  const char *probs[]
      = { "quadratic:h=1,3,x0=1,-1", "quadratic:d=20,cond=10,seed=4,x0=0.5" };
  const size_t Q[] = { 16, 24, 40, 0 };
  for (int t = 0; t < 2; t++)
    {
      fixture f;
      fixture_init (&f, 1, 1.0 / 16, probs[t]);
      const uint64_t N = 64 * 5 + 13;
      sde_ensemble_sums *a = sde_ensemble_sums_alloc (&f.e);
      ck_assert_int_eq (sde__ensemble_run_sub (&f.e, 0, N, a, 64), 0);
      size_t na, nb;
      int64_t *da = sde_ensemble_sums_data (a, &na);
      for (int q = 0; q < 4; q++)
        {
          sde_ensemble_sums *b = sde_ensemble_sums_alloc (&f.e);
          ck_assert_int_eq (sde__ensemble_run_sub (&f.e, 0, N, b, Q[q]), 0);
          int64_t *db = sde_ensemble_sums_data (b, &nb);
          ck_assert_uint_eq (na, nb);
          ck_assert_msg (memcmp (da, db, na * sizeof (int64_t)) == 0,
                         "%s: sub-blocks of %zu change the sums", probs[t],
                         Q[q]);
          sde_ensemble_sums_free (b);
        }
      sde_ensemble_sums_free (a);
      fixture_free (&f);
    }
}
END_TEST

static Suite *
ensemble_suite (void)
{
  Suite *s = suite_create ("ensemble");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_ensemble_xsum_order_independent);
  tcase_add_test (tc, test_ensemble_xsum_one_value);
  tcase_add_test (tc, test_ensemble_bitwise_threads_and_batches);
  tcase_add_test (tc, test_ensemble_bitwise_sub_blocks);
  tcase_add_test (tc, test_ensemble_coupling_reduces_variance);
  tcase_add_test (tc, test_ensemble_counts_divergence);
  tcase_add_test (tc, test_ensemble_rejects_bad_settings);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (ensemble_suite ());
}
