/* check_experiment.c: the experiment object: every catalog problem builds
   with the default options, refusals name their setting, the engines give
   what they give alone, the simulate kind meets closed forms, and
   provenance prints numbers in their shortest form.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdekit/exact.h"
#include "sdekit/experiment.h"
#include "testutil.h"

static char last_reason[1024];

static void
keep (const char *reason, const char *file, int line, int code)
{
  (void)file, (void)line, (void)code;
  snprintf (last_reason, sizeof last_reason, "%s", reason);
}

static const char *
value_of (const sde_experiment *x, const char *key)
{
  const size_t n = sde_experiment_provenance (x, 0, NULL, NULL);
  for (size_t i = 0; i < n; i++)
    {
      const char *k, *v;
      sde_experiment_provenance (x, i, &k, &v);
      if (strcmp (k, key) == 0)
        return v;
    }
  return NULL;
}

/* Every catalog problem is a valid experiment with the default options
   (a minibatch problem takes a fixed B, not B = eta/tau = 0.25), and runs
   on a small grid.  */
START_TEST (test_experiment_every_catalog_problem)
{
  const char *d;
  for (size_t i = 0; sde_problem_name (i, &d, NULL); i++)
    {
      const char *name = sde_problem_name (i, NULL, NULL);
      sde_experiment_opts o;
      sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
      o.problem = name;
      o.datadir = getenv ("SDEKIT_DATADIR");
      sde_experiment *x = sde_experiment_alloc (&o);
      ck_assert_msg (x != NULL, "%s with the defaults: %s", name, last_reason);
      sde_experiment_free (x);
      o.eta = "2^-3:2^-4";
      o.paths = 512;
      o.target_ci = 0;
      /* Against a method: the finite sums' SDE reference is the speed
         issue's, not this test's.  */
      o.methods = "sgdm:beta=0.5";
      o.reference = "sgd";
      x = sde_experiment_alloc (&o);
      ck_assert_msg (x != NULL, "%s: %s", name, last_reason);
      ck_assert_msg (sde_experiment_run (x, NULL, NULL) == 0, "%s run: %s",
                     name, last_reason);
      size_t n;
      sde_experiment_rows (x, &n);
      ck_assert_int_eq ((int)n, 2 * (int)sde_experiment_nobs (x));
      sde_experiment_free (x);
    }
}
END_TEST

/* A refusal names the setting it concerns, by the option's name.  */
START_TEST (test_experiment_refusals_name_the_setting)
{
  static const struct
  {
    const char *key, *value, *want;
  } bad[] = {
    { "methods", "adam", "methods: " },
    { "methods", "sgd,sgd", "methods: sgd appears twice" },
    { "eta", "0.3", "eta=0.3" },
    { "eta", "2^-3:2^-4,", "eta: " },
    { "reference", "sme1:scheme=nosuch", "reference: unknown scheme" },
    { "observables", "norm2,norm2", "observable: " },
    { "problem", "nosuch", "problem: " },
    { "noise", "minibatch:B=4", "noise: " },
    { "engine", "exact", "engine=exact: " },
    { "checkpoints", "0.3", "checkpoints=0.3" },
    { "loss", "x0^2@", "loss: " },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      sde_experiment_opts o;
      sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
      const char *v = bad[i].value;
      if (strcmp (bad[i].key, "methods") == 0)
        o.methods = v;
      else if (strcmp (bad[i].key, "eta") == 0)
        o.eta = v;
      else if (strcmp (bad[i].key, "reference") == 0)
        o.reference = v;
      else if (strcmp (bad[i].key, "observables") == 0)
        o.observables = v;
      else if (strcmp (bad[i].key, "problem") == 0)
        o.problem = v;
      else if (strcmp (bad[i].key, "noise") == 0)
        o.noise = v;
      else if (strcmp (bad[i].key, "engine") == 0)
        o.engine = v;
      else if (strcmp (bad[i].key, "checkpoints") == 0)
        o.checkpoints = v;
      else
        o.loss = v;
      last_reason[0] = '\0';
      ck_assert_ptr_null (sde_experiment_alloc (&o));
      ck_assert_msg (strncmp (last_reason, bad[i].want, strlen (bad[i].want))
                         == 0,
                     "%s=%s: got '%s'", bad[i].key, v, last_reason);
    }
}
END_TEST

/* The exact engine through the experiment gives what the engine gives
   alone: SGD against SME-1 on a 2-D quadratic at two etas, to 1e-12; the
   theory is order 1 (exact) and the fit finds it.  */
START_TEST (test_experiment_exact_engine_and_theory)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.problem = "quadratic:h=1,4,x0=1";
  o.methods = "sgd";
  o.eta = "2^-6:2^-10";
  o.checkpoints = "1";
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_ptr_nonnull (x);
  ck_assert (strstr (value_of (x, "engine"), "exact") != NULL);
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  size_t n;
  const sde_weak_point *rows = sde_experiment_rows (x, &n);
  ck_assert_int_eq ((int)n, 5);
  ck_assert_int_eq ((int)sde_experiment_nmethods (x), 1);
  sde_problem *pb = sde_problem_alloc (o.problem, NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs;
  sde_observable_parse ("norm2", 2, pb, &obs, 1);
  for (size_t i = 0; i < n; i++)
    {
      const double eta = rows[i].eta, tau = 0.5;
      sde_optim m;
      const char *s = "sgd";
      sde_optim_parse (&m, &s);
      sde_optim_set (&m, eta);
      size_t check[1] = { (size_t)llround (1 / eta) };
      sde_limit lim = { SDE_LIMIT_SME1, pb, tau, eta, 0, NULL, NULL };
      double a, b;
      sde_exact_method (ex, &m, sqrt (tau / eta), pb->x0, eta, check, 1, &obs,
                        1, &a);
      sde_exact_sde (ex, &lim, pb->x0, NULL, eta, check, 1, &obs, 1, &b);
      ck_assert_close (rows[i].e, a - b, 1e-12);
    }
  const char *kind;
  ck_assert_close (sde_experiment_theory (x, 0, &kind), 1, 0);
  ck_assert_str_eq (kind, "exact");
  sde_weak_fit f;
  sde_experiment_fit (x, 0, 0, &f);
  ck_assert (f.ok && fabs (f.order - 1) < 0.05);
  char why[512];
  ck_assert_int_eq (sde_experiment_expect (x, 1, 0.1, why, sizeof why), 0);
  ck_assert_int_eq (sde_experiment_expect (x, 2, 0.1, why, sizeof why), 3);
  ck_assert (strstr (why, "is below") != NULL);
  sde_exact_free (ex);
  sde_problem_free (pb);
  sde_experiment_free (x);
}
END_TEST

/* Momentum against SGD at alpha = 1: theory "none" (no convergence);
   under a bound (alpha = 0.5) a faster measured order passes
   --expect-order one-sidedly.  */
START_TEST (test_experiment_theory_kinds)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.problem = "quadratic:h=1,x0=1";
  o.methods = "sgdm";
  o.reference = "sgd";
  o.eta = "2^-6:2^-10";
  o.checkpoints = "1";
  o.alpha = 1;
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_ptr_nonnull (x);
  const char *kind;
  ck_assert_close (sde_experiment_theory (x, 0, &kind), 0, 0);
  ck_assert_str_eq (kind, "none");
  sde_experiment_free (x);
  o.alpha = 0.5;
  x = sde_experiment_alloc (&o);
  ck_assert_close (sde_experiment_theory (x, 0, &kind), 0.25, 0);
  ck_assert_str_eq (kind, "bound");
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  sde_weak_fit f;
  sde_experiment_fit (x, 0, 0, &f);
  /* On a quadratic the gap is O(eta^(1 - alpha)) (MATH.md 4.4), faster
     than the bound 1/4: the one-sided test passes.  */
  ck_assert (f.ok && f.lo > 0.25 + 0.1);
  char why[512];
  ck_assert_int_eq (sde_experiment_expect (x, 0.25, 0.1, why, sizeof why), 0);
  sde_experiment_free (x);
}
END_TEST

/* The simulate kind: GBM by Euler-Maruyama has E X_N = x0 (1 + lambda
   h)^N exactly (MATH.md 7); the mean at T sits within 4 SE of it, and the
   exact SDE moment column is the closed form.  */
START_TEST (test_experiment_simulate_gbm)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_SIMULATE);
  o.sde = "gbm:lambda=-1,mu=0.5,x0=1";
  o.step = 0.125;
  o.paths = 20000;
  o.checkpoints = "1";
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_msg (x != NULL, "%s", last_reason);
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  size_t n;
  const sde_moment *m = sde_experiment_moments (x, &n);
  ck_assert_int_eq ((int)n, 1);
  ck_assert_within_se (m[0].mean, pow (1 - 0.125, 8), m[0].se_mean, 4);
  ck_assert_close (m[0].exact_mean, exp (-1), 1e-12);
  ck_assert_str_eq (sde_experiment_process (x, 0), "em");
  sde_experiment_free (x);
  /* Settings of the other mode are refused.  */
  o.eta = "0.1";
  ck_assert_ptr_null (sde_experiment_alloc (&o));
  ck_assert (strstr (last_reason, "applies to optimizers") != NULL);
}
END_TEST

/* Provenance: numbers in their shortest round-trip form.  */
START_TEST (test_experiment_provenance_shortest)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.problem = "quadratic:h=0.1,x0=0.3";
  o.tau = 0.1;
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_ptr_nonnull (x);
  ck_assert_str_eq (value_of (x, "problem"), "quadratic:h=0.1,s=1,x0=0.3");
  ck_assert (strstr (value_of (x, "scaling"), "tau = 0.1 held") != NULL);
  ck_assert_int_eq (sde_experiment_annotate (x, "command", "sde-compare"), 0);
  const char *k;
  sde_experiment_provenance (x, 1, &k, NULL);
  ck_assert_str_eq (k, "command");
  sde_experiment_free (x);
}
END_TEST

static Suite *
experiment_suite (void)
{
  Suite *s = suite_create ("experiment");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_experiment_every_catalog_problem);
  tcase_add_test (tc, test_experiment_refusals_name_the_setting);
  tcase_add_test (tc, test_experiment_exact_engine_and_theory);
  tcase_add_test (tc, test_experiment_theory_kinds);
  tcase_add_test (tc, test_experiment_simulate_gbm);
  tcase_add_test (tc, test_experiment_provenance_shortest);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  gsl_set_error_handler (keep);
  return testutil_run (experiment_suite ());
}
