/* check_density.c: unit tests of the density engine against the exact
   linear-Gaussian engine and against Monte Carlo.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sdekit/density.h"
#include "sdekit/ensemble.h"
#include "sdekit/exact.h"
#include "testutil.h"

static sde_optim
sgd (double eta, const char *spec)
{
  sde_optim m;
  const char *s = spec;
  ck_assert_int_eq (sde_optim_parse (&m, &s), 0);
  ck_assert_int_eq (sde_optim_set (&m, eta), 0);
  return m;
}

/* On a quadratic the law is Gaussian: the density engine must reproduce
   the exact engine to 1e-10 for SGD, SVAG, SME-1 and SME-2.  */
START_TEST (test_density_matches_exact_on_quadratic)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1.5,s=0.7,x0=1.2", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[3];
  ck_assert_int_eq (sde_observable_parse ("x0,norm2,cos:w=2", 1, pb, obs, 3),
                    3);
  const double etas[] = { 0.125, 1.0 / 32 };
  for (int i = 0; i < 2; i++)
    {
      const double eta = etas[i], tau = 0.5, sigma = sqrt (tau / eta);
      const size_t n = (size_t)llround (1 / eta);
      size_t check[3] = { 1, n / 2, n };
      sde_density_grid g = { 0 };
      ck_assert_int_eq (sde_density_choose (pb, pb->x0, eta / 2, tau, 1, &g),
                        0);
      double a[9], b[9];
      const char *ms[] = { "sgd", "svag:l=2,sgd" };
      for (int k = 0; k < 2; k++)
        {
          sde_optim m = sgd (eta, ms[k]);
          ck_assert_int_eq (sde_density_method (pb, &m, sigma, pb->x0, eta,
                                                check, 3, obs, 3, &g, a),
                            0);
          sde_exact_method (ex, &m, sigma, pb->x0, eta, check, 3, obs, 3, b);
          for (int j = 0; j < 9; j++)
            ck_assert_close (a[j], b[j], 1e-10);
        }
      for (int two = 0; two < 2; two++)
        {
          sde_limit lim = {
            two ? SDE_LIMIT_SME2 : SDE_LIMIT_SME1, pb, tau, eta, 0, NULL, NULL
          };
          ck_assert_int_eq (sde_density_sde (pb, &lim, pb->x0, eta, 4, check, 3,
                                             obs, 3, &g, a),
                            0);
          sde_exact_sde (ex, &lim, pb->x0, NULL, eta, check, 3, obs, 3, b);
          for (int j = 0; j < 9; j++)
            ck_assert_close (a[j], b[j], 1e-10);
        }
      ck_assert (g.lost < 1e-12);
    }
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* On the double well Monte Carlo agrees within 5 SE, for SGD and SME-1,
   at three times.  */
START_TEST (test_density_agrees_with_monte_carlo)
{
  sde_problem *pb = sde_problem_alloc ("doublewell", NULL);
  sde_observable obs[2];
  sde_observable_parse ("x0,norm2", 1, pb, obs, 2);
  const double eta = 1.0 / 16, tau = 0.5, sigma = sqrt (tau / eta);
  size_t check[3] = { 4, 8, 16 };
  sde_optim m = sgd (eta, "sgd");
  sde_limit lim = { SDE_LIMIT_SME1, pb, tau, 0, 0, NULL, NULL };
  sde_system sys;
  sde_system_limit (&sys, &lim);
  sde_density_grid g = { 0 };
  sde_density_choose (pb, pb->x0, eta, tau, 1, &g);
  double dm[6], ds[6];
  sde_density_method (pb, &m, sigma, pb->x0, eta, check, 3, obs, 2, &g, dm);
  sde_density_sde (pb, &lim, pb->x0, eta, 4, check, 3, obs, 2, &g, ds);
  sde_process proc[2]
      = { { .kind = SDE_PROCESS_METHOD,
            .label = "sgd",
            .method = &m,
            .oracle = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 },
            .x0 = pb->x0,
            .dim = 1 },
          { .kind = SDE_PROCESS_SDE,
            .label = "sde",
            .sys = &sys,
            .scheme = sde_stepper_weak2,
            .substeps = 16,
            .x0 = pb->x0,
            .dim = 1 } };
  sde_rng *rng = sde_rng_alloc (NULL, 12);
  sde_ensemble e = { .eta = eta,
                     .nsteps = 16,
                     .check = check,
                     .ncheck = 3,
                     .obs = obs,
                     .nobs = 2,
                     .proc = proc,
                     .nproc = 2,
                     .ref = -1,
                     .coupled = 0,
                     .rng = rng,
                     .stream0 = 0,
                     .bound = 1e10,
                     .chunk = 256,
                     .threads = 0 };
  sde_ensemble_sums *s = sde_ensemble_sums_alloc (&e);
  ck_assert_int_eq (sde_ensemble_run (&e, 0, 400000, s), 0);
  for (size_t c = 0; c < 3; c++)
    for (size_t o = 0; o < 2; o++)
      {
        sde_stat a = sde_ensemble_value (s, 0, o, c);
        sde_stat b = sde_ensemble_value (s, 1, o, c);
        ck_assert_within_se (a.mean, dm[c * 2 + o], a.se, 5);
        ck_assert_within_se (b.mean, ds[c * 2 + o], b.se, 5);
      }
  /* The weak error itself is resolved far beyond Monte Carlo's reach: it
     differs between the two sides by several SE.  */
  ck_assert (fabs (dm[5] - ds[5]) > 1e-3);
  sde_ensemble_sums_free (s);
  sde_rng_free (rng);
  sde_problem_free (pb);
}
END_TEST

START_TEST (test_density_applies_and_grid)
{
  char why[128];
  sde_problem *q = sde_problem_alloc ("quadratic:h=1,2", NULL);
  sde_optim m = sgd (0.1, "sgd");
  ck_assert_int_eq (
      sde_density_applies (q, SDE_ORACLE_GAUSSIAN, &m, 1, why, sizeof why), 0);
  ck_assert (strstr (why, "one-dimensional") != NULL);
  sde_problem *dw = sde_problem_alloc ("doublewell", NULL);
  sde_optim mm = sgd (0.1, "sgdm:beta=0.9");
  ck_assert_int_eq (
      sde_density_applies (dw, SDE_ORACLE_GAUSSIAN, &mm, 1, why, sizeof why),
      0);
  ck_assert_int_ne (
      sde_density_applies (dw, SDE_ORACLE_GAUSSIAN, &m, 1, why, sizeof why), 0);
  /* The automatic domain covers the wells, not more than needed: the
     stationary tail at its edge is below e^-40 and not below e^-80.  */
  sde_density_grid g = { 0 };
  ck_assert_int_eq (sde_density_choose (dw, dw->x0, 0.01, 0.5, 1, &g), 0);
  ck_assert (g.lo < -1 && g.hi > 1);
  for (int side = 0; side < 2; side++)
    {
      double x = side ? g.hi : g.lo, L = pow (x * x - 1, 2) / 4;
      ck_assert (2 * L / 0.5 > 39 && 2 * L / 0.5 < 80);
    }
  /* Six points per standard deviation of a step's noise.  */
  ck_assert ((g.hi - g.lo) / (double)g.n <= sqrt (0.01 * 0.5) / 6 * 1.01);
  sde_problem_free (q);
  sde_problem_free (dw);
}
END_TEST

static Suite *
density_suite (void)
{
  Suite *s = suite_create ("density");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_density_matches_exact_on_quadratic);
  tcase_add_test (tc, test_density_agrees_with_monte_carlo);
  tcase_add_test (tc, test_density_applies_and_grid);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (density_suite ());
}
