/* check_weak.c: the statistics of a weak-error table checked against
   independent computations: the SE of a known Gaussian, the weighted fit
   and its chi-square widening on synthetic points with known answers, the
   local slopes and their SEs, the step count, the target rule, a second
   batch, and the unbiased maximum over checkpoints (MATH.md 8.2).  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sdekit/ensemble.h"
#include "sdekit/weak.h"
#include "testutil.h"

/* dX = s dW: X_T ~ N(x0, s^2 T).  */
static int
bm_drift (double t, size_t P, const double *x, double *out, double *work,
          void *params)
{
  (void)t, (void)x, (void)work, (void)params;
  memset (out, 0, sizeof (double) * P);
  return GSL_SUCCESS;
}

static int
bm_diffusion (double t, size_t P, const double *x, double *out, double *work,
              void *params)
{
  (void)t, (void)x, (void)work;
  const double s = *(const double *)params;
  for (size_t p = 0; p < P; p++)
    out[p] = s;
  return GSL_SUCCESS;
}

/* The SE of the mean of N draws of N(m, v) is sqrt(v / N): the engine's SE
   must be that to within the sampling error of the variance (a missing
   1/sqrt(N) would be off by a factor of 100 here).  */
START_TEST (test_weak_se_of_a_known_gaussian)
{
  double s = 1.5;
  sde_system sys
      = { 1, 1, SDE_NOISE_ADDITIVE, bm_drift, bm_diffusion, NULL, &s, 0 };
  const double x0[1] = { 0.25 };
  sde_process proc = { .kind = SDE_PROCESS_SDE,
                       .label = "bm",
                       .sys = &sys,
                       .scheme = sde_stepper_em,
                       .substeps = 1,
                       .x0 = x0,
                       .dim = 1 };
  sde_observable obs;
  ck_assert_int_eq (sde_observable_parse ("x0", 1, NULL, &obs, 1), 1);
  size_t check[1] = { 4 };
  sde_rng *rng = sde_rng_alloc (NULL, 5);
  sde_ensemble e = { .eta = 0.25,
                     .nsteps = 4,
                     .check = check,
                     .ncheck = 1,
                     .obs = &obs,
                     .nobs = 1,
                     .proc = &proc,
                     .nproc = 1,
                     .ref = -1,
                     .coupled = 0,
                     .rng = rng,
                     .bound = 1e10,
                     .chunk = 256,
                     .threads = 1 };
  sde_ensemble_sums *sums = sde_ensemble_sums_alloc (&e);
  const uint64_t N = 10240;
  ck_assert_int_eq (sde_ensemble_run (&e, 0, N, sums), 0);
  sde_stat st = sde_ensemble_value (sums, 0, 0, 0);
  const double var = s * s * 1.0;
  ck_assert_int_eq ((int)st.n, (int)N);
  /* The variance within 4 of its SEs, sqrt(2/N) var for a Gaussian.  */
  ck_assert_within_se (st.var, var, sqrt (2.0 / (double)N) * var, 4);
  ck_assert_close (st.se, sqrt (st.var / (double)N), 1e-12);
  ck_assert_within_se (st.mean, x0[0], sqrt (var / (double)N), 4);
  sde_ensemble_sums_free (sums);
  sde_rng_free (rng);
}
END_TEST

static sde_weak_point
point (double eta, double e, double se)
{
  sde_weak_point p;
  memset (&p, 0, sizeof p);
  p.eta = eta;
  p.e = e;
  p.se = se;
  p.floor = !(fabs (e) >= 2 * se);
  return p;
}

/* The weighted fit against the closed-form weighted least squares computed
   here with weights (e / SE)^2, on points that do not lie on a line (so a
   change of weights changes the answer), and its chi-square widening.  */
START_TEST (test_weak_fit_weights_and_chi2)
{
  const double eta[5] = { 0.5, 0.25, 0.125, 0.0625, 0.03125 };
  const double e[5] = { 0.52, 0.24, 0.131, 0.0598, 0.0317 };
  const double se[5] = { 0.02, 0.01, 0.004, 0.003, 0.0005 };
  sde_weak_point pts[5];
  double sw = 0, sx = 0, sy = 0;
  for (int i = 0; i < 5; i++)
    {
      pts[i] = point (eta[i], e[i], se[i]);
      double w = (e[i] / se[i]) * (e[i] / se[i]);
      sw += w, sx += w * log (eta[i]), sy += w * log (e[i]);
    }
  double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
  for (int i = 0; i < 5; i++)
    {
      double w = (e[i] / se[i]) * (e[i] / se[i]), dx = log (eta[i]) - mx;
      sxx += w * dx * dx, sxy += w * dx * (log (e[i]) - my);
    }
  const double p = sxy / sxx, c = my - p * mx;
  double chi2 = 0;
  for (int i = 0; i < 5; i++)
    {
      double w = (e[i] / se[i]) * (e[i] / se[i]);
      double r = log (e[i]) - c - p * log (eta[i]);
      chi2 += w * r * r;
    }
  sde_weak_fit f;
  sde_weak_fit_points (pts, 5, &f);
  ck_assert (f.ok);
  ck_assert_int_eq ((int)f.used, 5);
  ck_assert_close (f.order, p, 1e-12);
  ck_assert_close (f.logc, c, 1e-12);
  ck_assert_close (f.chi2dof, chi2 / 3, 1e-12);
  /* These points scatter: chi2/dof > 1 widens the SE by its root.  */
  ck_assert (f.chi2dof > 1);
  ck_assert_close (f.se, sqrt (1 / sxx) * sqrt (chi2 / 3), 1e-12);
  ck_assert_close (f.hi - f.lo, 2 * 1.959963984540054 * f.se, 1e-12);
  /* Unweighted, the slope differs: the weights matter here.  */
  double ux = 0, uy = 0, uxx = 0, uxy = 0;
  for (int i = 0; i < 5; i++)
    ux += log (eta[i]) / 5, uy += log (e[i]) / 5;
  for (int i = 0; i < 5; i++)
    uxx += pow (log (eta[i]) - ux, 2),
        uxy += (log (eta[i]) - ux) * (log (e[i]) - uy);
  ck_assert (fabs (uxy / uxx - p) > 1e-3);
}
END_TEST

/* Points exactly on e = 3 eta^1.5 with small SEs: the order is exactly
   1.5, chi2 0 and the SE not widened; a floored point is left out; fewer
   than three usable points give no order.  */
START_TEST (test_weak_fit_exact_power_law_and_few_points)
{
  sde_weak_point pts[5];
  for (int i = 0; i < 5; i++)
    {
      double eta = ldexp (1, -i - 1), e = 3 * pow (eta, 1.5);
      pts[i] = point (eta, e, 0.01 * e);
    }
  sde_weak_fit f;
  sde_weak_fit_points (pts, 5, &f);
  ck_assert (f.ok && f.flags == 0 && f.all_flags == 0 && f.skipped == 0);
  ck_assert (f.eta_max == 0.5);
  ck_assert_close (f.order, 1.5, 1e-12);
  ck_assert_close (f.logc, log (3), 1e-12);
  ck_assert (f.chi2dof < 1e-20);
  pts[4] = point (pts[4].eta, 1e-9, 1e-6); /* inside the floor */
  sde_weak_fit_points (pts, 5, &f);
  ck_assert_int_eq ((int)f.used, 4);
  ck_assert_int_eq ((int)f.floored, 1);
  ck_assert_close (f.order, 1.5, 1e-12);
  sde_weak_fit_points (pts + 2, 3, &f);
  ck_assert (!f.ok && isnan (f.order) && (f.flags & SDE_WEAK_FIT_FEW));
}
END_TEST

/* Local slopes and their delta-method SEs against the formulas, and the
   warnings: a sign change, drifting slopes, scatter.  */
START_TEST (test_weak_local_slopes_and_warnings)
{
  sde_weak_point pts[4]
      = { point (0.4, 0.2, 0.002), point (0.2, 0.09, 0.001),
          point (0.1, 0.05, 0.001), point (0.05, 0.02, 0.0004) };
  double sl[3], se[3];
  sde_weak_local_slopes (pts, 4, sl, se);
  for (int i = 0; i < 3; i++)
    {
      const sde_weak_point *a = &pts[i], *b = &pts[i + 1];
      ck_assert_close (sl[i], log (a->e / b->e) / log (a->eta / b->eta), 1e-12);
      ck_assert_close (
          se[i], hypot (a->se / a->e, b->se / b->e) / log (a->eta / b->eta),
          1e-12);
    }
  sde_weak_fit f;
  sde_weak_fit_points (pts, 4, &f);
  /* Slopes 1.15, 0.85, 1.32 with SEs of about 0.03: they drift and
     scatter.  */
  ck_assert (f.flags & SDE_WEAK_FIT_SCATTER);
  pts[2].e = -0.05;
  sde_weak_fit_points (pts, 4, &f);
  ck_assert (f.flags & SDE_WEAK_FIT_SIGN);
  char buf[256];
  ck_assert (
      strstr (sde_weak_fit_warning (f.flags, buf, sizeof buf), "change sign")
      != NULL);
}
END_TEST

/* Precise errors e = eta + 4 eta^2 (SE 0.1% of e) show the eta^2 term:
   over all etas the slopes drift, so the order comes from the longest
   tail of small etas whose slopes agree within their SEs, and it is the
   fit of exactly those points.  The tail must keep three points: the
   noiseless-looking series e = eta^2 + eta^3 with one point left has no
   clean tail, and the fit stays the whole series' with its warning.  */
START_TEST (test_weak_fit_tail_where_the_slopes_settle)
{
  enum
  {
    N = 9
  };
  sde_weak_point pts[N];
  for (int i = 0; i < N; i++)
    {
      double eta = ldexp (1, -i - 1), e = eta + 4 * eta * eta;
      pts[i] = point (eta, e, 1e-3 * e);
    }
  sde_weak_fit all, f, t;
  sde_weak_fit_points (pts, N, &f);
  ck_assert (f.ok && f.flags == 0 && f.skipped > 0 && f.skipped + 3 <= N);
  ck_assert (f.all_flags & SDE_WEAK_FIT_DRIFT);
  ck_assert (f.eta_max == pts[f.skipped].eta);
  ck_assert_int_eq ((int)(f.used + f.skipped), N);
  /* The same numbers as a fit of the tail alone, which is clean.  */
  sde_weak_fit_points (pts + f.skipped, N - f.skipped, &t);
  ck_assert (t.skipped == 0 && t.flags == 0);
  ck_assert_close (f.order, t.order, 1e-12);
  ck_assert_close (f.se, t.se, 1e-12);
  /* One eta more is not clean: the tail is the longest.  */
  sde_weak_fit_points (pts + f.skipped - 1, N - f.skipped + 1, &all);
  ck_assert (all.skipped > 0 || (all.flags & SDE_WEAK_FIT_DRIFT)
             || (all.flags & SDE_WEAK_FIT_SCATTER));
  /* The local slope at the tail's end is 1 + 4 eta / (1 + 4 eta) +
     O(eta^2) above 1: the fitted order is within 0.05 of 1 and its CI
     does not reach the whole series' drifted fit of 1.3.  */
  ck_assert (fabs (f.order - 1) < 0.05 && f.hi < 1.3);
  /* Steeper precise data with no clean three-point tail.  */
  for (int i = 0; i < 4; i++)
    {
      double eta = ldexp (1, -i - 1), e = eta * eta + 8 * eta * eta * eta;
      pts[i] = point (eta, e, 1e-4 * e);
    }
  sde_weak_fit_points (pts, 4, &f);
  ck_assert (f.ok && f.skipped == 0 && (f.flags & SDE_WEAK_FIT_DRIFT));
  ck_assert (f.flags == f.all_flags && f.eta_max == 0.5);
}
END_TEST

/* The sweep through its callbacks: a process pair on a deterministic map
   where everything is known.  SGD without noise on L = x^2/2 gives x_k =
   (1 - eta)^k exactly; against a second SGD started elsewhere the error at
   the only checkpoint T is known, t_max = T, and the step count is T /
   eta (an extra step would change the numbers).  */
typedef struct
{
  sde_problem *pb;
  sde_optim m[2];
  sde_process proc[2];
  sde_observable obs;
  size_t check[8];
  size_t ncheck;
  double x0b[1];
  sde_rng *rng;
  int noisy, coupled;
  double sigma;
  sde_weak_point last[4];
  size_t nrows, calls;
} sweep_ctx;

static int
build (void *vctx, size_t i, double eta, size_t substeps, sde_ensemble *e)
{
  (void)i, (void)substeps;
  sweep_ctx *c = vctx;
  for (int k = 0; k < 2; k++)
    {
      const char *s = "sgd";
      sde_optim_parse (&c->m[k], &s);
      sde_optim_set (&c->m[k], eta);
      c->proc[k] = (sde_process){
        .kind = SDE_PROCESS_METHOD,
        .label = k ? "b" : "a",
        .method = &c->m[k],
        .oracle = { c->pb, c->noisy ? SDE_ORACLE_GAUSSIAN : SDE_ORACLE_NONE,
                    c->sigma, 0, 0, 0, 1 },
        .x0 = k ? c->x0b : c->pb->x0,
        .dim = 1
      };
    }
  const size_t n = (size_t)llround (1 / eta);
  for (size_t k = 0; k < c->ncheck; k++)
    c->check[k] = n * (k + 1) / c->ncheck;
  *e = (sde_ensemble){ .eta = eta,
                       .nsteps = n,
                       .check = c->check,
                       .ncheck = c->ncheck,
                       .obs = &c->obs,
                       .nobs = 1,
                       .proc = c->proc,
                       .nproc = 2,
                       .ref = 1,
                       .coupled = c->coupled,
                       .rng = c->rng,
                       .bound = 1e10,
                       .chunk = 256,
                       .threads = 1 };
  return GSL_SUCCESS;
}

static int
rows_cb (void *vctx, const sde_weak_point *rows, size_t n)
{
  sweep_ctx *c = vctx;
  memcpy (c->last, rows, sizeof *rows * n);
  c->nrows = n;
  c->calls++;
  return GSL_SUCCESS;
}

static void
ctx_init (sweep_ctx *c, const char *spec, int noisy)
{
  memset (c, 0, sizeof *c);
  c->pb = sde_problem_alloc (spec, NULL);
  ck_assert_ptr_nonnull (c->pb);
  ck_assert_int_eq (sde_observable_parse ("x0", 1, c->pb, &c->obs, 1), 1);
  c->rng = sde_rng_alloc (NULL, 9);
  c->noisy = noisy;
  c->coupled = 1;
  c->sigma = 1;
  c->ncheck = 1;
}

START_TEST (test_weak_sweep_steps_and_t_max)
{
  sweep_ctx c;
  ctx_init (&c, "quadratic:h=1,x0=1", 0);
  c.x0b[0] = 0.5;
  const double eta[1] = { 0.125 };
  sde_weak_sweep w = { .eta = eta,
                       .neta = 1,
                       .nmethods = 1,
                       .paths = 300,
                       .max_paths = 300,
                       .ctx = &c,
                       .build = build,
                       .row_ctx = &c,
                       .row = rows_cb };
  ck_assert_int_eq (sde_weak_run (&w), 0);
  ck_assert_int_eq ((int)c.nrows, 1);
  const double q = pow (0.875, 8);
  ck_assert_close (c.last[0].t_star, 1.0, 1e-15);
  ck_assert_close (c.last[0].est, q, 1e-13);
  ck_assert_close (c.last[0].e, q - 0.5 * q, 1e-13);
  ck_assert_int_eq ((int)c.last[0].n, 300);
  ck_assert_int_eq ((int)c.last[0].pilot, 0);
  sde_problem_free (c.pb);
  sde_rng_free (c.rng);
}
END_TEST

/* --target-ci: a row stopped on "target" has 1.96 SE <= F |e| (not SE <=
   F |e|), and a run whose first batch is short of it adds a second batch
   (no MPI involved).  */
START_TEST (test_weak_sweep_target_and_second_batch)
{
  sweep_ctx c;
  ctx_init (&c, "quadratic:h=1,x0=1", 1);
  c.x0b[0] = 0.9;
  c.ncheck = 4;
  c.coupled = 0; /* a difference with noise, so paths are needed */
  const double eta[1] = { 0.0625 }, F = 0.05;
  sde_weak_sweep w = { .eta = eta,
                       .neta = 1,
                       .nmethods = 1,
                       .paths = 256,
                       .max_paths = 1 << 20,
                       .target_ci = F,
                       .ctx = &c,
                       .build = build,
                       .row_ctx = &c,
                       .row = rows_cb };
  ck_assert_int_eq (sde_weak_run (&w), 0);
  const sde_weak_point *p = &c.last[0];
  ck_assert_str_eq (p->stop, "target");
  ck_assert (1.959963984540054 * p->se <= F * fabs (p->e));
  ck_assert_close (p->hi - p->e, 1.959963984540054 * p->se, 1e-12);
  ck_assert ((int)p->n > 256);
  ck_assert ((int)p->pilot == 256 / 4 || (int)p->pilot == 256);
  sde_problem_free (c.pb);
  sde_rng_free (c.rng);
}
END_TEST

/* The maximum over checkpoints is not biased upward: over many seeds, the
   estimate at the pilot-chosen t_max against the exact error there has z
   scores of mean 0 and variance 1.  Two SGD runs on L = x^2/2 from 1 and
   0.99 with independent noise: E x differs by 0.01 (1 - eta)^k, small
   against the noise, so the maximum is a real choice among noisy
   checkpoints (taking the largest estimate itself would give z about
   +1).  */
START_TEST (test_weak_maximum_unbiased)
{
  sweep_ctx c;
  ctx_init (&c, "quadratic:h=1,x0=1", 1);
  c.x0b[0] = 0.99;
  c.ncheck = 8;
  c.coupled = 0;
  const double eta[1] = { 0.125 };
  double sz = 0, sz2 = 0;
  const int R = 200;
  for (int r = 0; r < R; r++)
    {
      sde_rng_free (c.rng);
      c.rng = sde_rng_alloc (NULL, 100 + (uint64_t)r);
      sde_weak_sweep w = { .eta = eta,
                           .neta = 1,
                           .nmethods = 1,
                           .paths = 512,
                           .max_paths = 512,
                           .ctx = &c,
                           .build = build,
                           .row_ctx = &c,
                           .row = rows_cb };
      ck_assert_int_eq (sde_weak_run (&w), 0);
      const sde_weak_point *p = &c.last[0];
      const double k = p->t_star / 0.125, ex = 0.01 * pow (0.875, k);
      const double z = (p->e - ex) / p->se;
      sz += z, sz2 += z * z;
    }
  /* Mean z within 3.29 / sqrt(R); sum z^2 ~ chi2(200): 141..272 at
     99.9%.  */
  ck_assert_msg (fabs (sz / R) < 3.29 / sqrt (R), "mean z %g", sz / R);
  ck_assert_msg (sz2 > 141 && sz2 < 272, "sum z^2 %g", sz2);
  sde_problem_free (c.pb);
  sde_rng_free (c.rng);
}
END_TEST

static Suite *
weak_suite (void)
{
  Suite *s = suite_create ("weak");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_weak_se_of_a_known_gaussian);
  tcase_add_test (tc, test_weak_fit_weights_and_chi2);
  tcase_add_test (tc, test_weak_fit_exact_power_law_and_few_points);
  tcase_add_test (tc, test_weak_local_slopes_and_warnings);
  tcase_add_test (tc, test_weak_fit_tail_where_the_slopes_settle);
  tcase_add_test (tc, test_weak_sweep_steps_and_t_max);
  tcase_add_test (tc, test_weak_sweep_target_and_second_batch);
  tcase_add_test (tc, test_weak_maximum_unbiased);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (weak_suite ());
}
