/* check_experiment.c: the experiment object: every catalog problem builds
   with the default options, refusals name their setting, the engines give
   what they give alone, the simulate kind meets closed forms (on catalog
   SDEs and SDEs from expressions), the order kind measures a scheme's
   order against a closed form, and provenance prints numbers in their
   shortest form.  */
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

/* The numbers a library caller sets are checked as the tools' options
   are: each out-of-range value is refused with a reason that starts with
   its name and states the range.  */
START_TEST (test_experiment_bad_numbers)
{
  for (int i = 0; i < 10; i++)
    {
      sde_experiment_opts o;
      sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
      const char *want[] = { "horizon=0: must be in (0, 1e9]",
                             "paths=1: must be in [2, 2^32]",
                             "target-ci=-1: must be in [0, 1e6]",
                             "bound: must be positive",
                             "tau=0: must be positive",
                             "sigma=-1: must be >= 0",
                             "alpha=2: must be in [0, 1]",
                             "max-seconds: must be >= 0",
                             "chunk=100000: must be at most 65536",
                             "horizon=inf: must be in (0, 1e9]" };
      switch (i)
        {
        case 0:
          o.horizon = 0;
          break;
        case 1:
          o.paths = 1;
          break;
        case 2:
          o.target_ci = -1;
          break;
        case 3:
          o.bound = 0;
          break;
        case 4:
          o.tau = 0;
          break;
        case 5:
          o.sigma = -1;
          break;
        case 6:
          o.alpha = 2;
          break;
        case 7:
          o.max_seconds = -1;
          break;
        case 8:
          o.chunk = 100000;
          break;
        default:
          o.horizon = HUGE_VAL;
          break;
        }
      last_reason[0] = '\0';
      ck_assert_ptr_null (sde_experiment_alloc (&o));
      ck_assert_msg (strstr (last_reason, want[i]) != NULL, "%d: got '%s'", i,
                     last_reason);
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

/* The simulate kind on an SDE from expressions: GBM by two schemes, with
   the exact mean and variance from the moments of x0 and x0^2.  */
START_TEST (test_experiment_simulate_user_sde)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_SIMULATE);
  o.drift = "-x0";
  o.diffusion = "0.5*x0";
  o.x0 = "1";
  o.moments = "x0: x0*exp(-t); x0^2: x0^2*exp(-1.75*t)";
  o.scheme = "em,weak2";
  o.step = 0.125;
  o.paths = 20000;
  o.checkpoints = "1";
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_msg (x != NULL, "%s", last_reason);
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  size_t n;
  const sde_moment *m = sde_experiment_moments (x, &n);
  ck_assert_int_eq ((int)n, 4); /* 2 schemes x 2 observables */
  ck_assert_str_eq (sde_experiment_process (x, 1), "weak2");
  ck_assert_ptr_null (sde_experiment_process (x, 2));
  /* Euler-Maruyama's mean is x0 (1 - h)^N exactly; the SDE's e^{-1}.  */
  ck_assert_within_se (m[0].mean, pow (1 - 0.125, 8), m[0].se_mean, 4);
  ck_assert_close (m[0].exact_mean, exp (-1), 1e-12);
  ck_assert_close (m[0].exact_var, exp (-1.75) - exp (-2), 1e-12);
  ck_assert (isnan (m[1].exact_var));
  ck_assert_within_se (m[2].mean, exp (-1), m[2].se_mean, 4);
  ck_assert_str_eq (value_of (x, "sde"),
                    "sde:drift=-x0,diffusion=0.5*x0,x0=1,moments=x0: "
                    "x0*exp(-t); x0^2: x0^2*exp(-1.75*t)");
  sde_experiment_free (x);
  /* Milstein on noise that does not commute: refused, with the reason.  */
  o.drift = "0, 0";
  o.diffusion = "[1, 0; 0, x0]";
  o.moments = NULL;
  o.scheme = "em,milstein";
  ck_assert_ptr_null (sde_experiment_alloc (&o));
  const char *want = "scheme: milstein needs commutative noise, and this "
                     "SDE's noise is non-commutative ((L^0 b_1 - L^1 b_0)_1 "
                     "= 1 is 1 at x0, t = 0; Levy areas are not "
                     "implemented): use em, weak-euler or weak2";
  ck_assert_str_eq (last_reason, want);
}
END_TEST

/* The order kind on the catalog's GBM with little noise: Euler-Maruyama's
   weak errors within 4 SE of their closed form x0 ((1 + l h)^N - e^{l T}),
   order 1, the verdict of --expect-order both ways.  */
START_TEST (test_experiment_order_gbm)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_ORDER);
  o.sde = "gbm:lambda=1.5,mu=0.1,x0=0.1";
  o.scheme = "em";
  o.steps = "2^-3:2^-7";
  o.errors = "weak";
  o.paths = 4000;
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_msg (x != NULL, "%s", last_reason);
  ck_assert_int_eq ((int)sde_experiment_nmethods (x), 1);
  ck_assert_int_eq ((int)sde_experiment_nobs (x), 2);
  ck_assert_str_eq (sde_experiment_observable (x, 1), "x0^2");
  ck_assert_ptr_null (sde_experiment_observable (x, 2));
  const char *kind;
  ck_assert_double_eq (sde_experiment_theory (x, 0, &kind), 1);
  ck_assert_str_eq (kind, "exact");
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  size_t n;
  const sde_weak_point *r = sde_experiment_rows (x, &n);
  ck_assert_int_eq ((int)n, 10);
  for (size_t k = 0; k < 5; k++)
    {
      const double h = r[k].eta, N = 1 / h;
      ck_assert_int_eq ((int)r[k].obs, 0);
      ck_assert_within_se (r[k].e, 0.1 * (pow (1 + 1.5 * h, N) - exp (1.5)),
                           r[k].se, 4);
    }
  sde_weak_fit f;
  sde_experiment_fit (x, 0, 0, &f);
  ck_assert_msg (f.ok && fabs (f.order - 1) < 0.15, "order %g", f.order);
  char why[512];
  ck_assert_int_eq (sde_experiment_expect (x, 1, 0.15, why, sizeof why), 0);
  ck_assert_int_eq (sde_experiment_expect (x, 2, 0.1, why, sizeof why), 3);
  ck_assert (strstr (why, "em x0: order") != NULL);
  sde_experiment_free (x);
}
END_TEST

/* The order kind on a caller's SDE (borrowed): strong errors alone,
   against the Euler-Maruyama reference where the noise does not commute;
   the refusals name their setting.  */
START_TEST (test_experiment_order_user_sde)
{
  sde_system_expr_spec sp = { "0, 0", "[1, 0; 0, x0]", "0", NULL, NULL, NULL };
  sde_system_expr *s = sde_system_expr_alloc (&sp);
  ck_assert_ptr_nonnull (s);
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_ORDER);
  o.user_sde = s;
  o.errors = "strong";
  o.steps = "2^-1:2^-3";
  o.paths = 1000;
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_msg (x != NULL, "%s", last_reason);
  ck_assert_int_eq ((int)sde_experiment_nmethods (x), 2); /* em, weak2 */
  ck_assert_str_eq (sde_experiment_method (x, 1), "weak2");
  ck_assert_int_eq ((int)sde_experiment_nobs (x), 1);
  ck_assert_str_eq (sde_experiment_observable (x, 0), "strong");
  ck_assert_double_eq (sde_experiment_theory (x, 0, NULL), 0.5);
  ck_assert (isnan (sde_experiment_theory (x, 1, NULL)));
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  size_t n;
  const sde_weak_point *r = sde_experiment_rows (x, &n);
  ck_assert_int_eq ((int)n, 6);
  for (size_t k = 0; k < n; k++)
    ck_assert (r[k].e > 0 && r[k].substeps > 0 && isfinite (r[k].ref_err));
  sde_experiment_free (x);
  static const struct
  {
    const char *scheme, *steps, *errors, *problem, *want;
  } bad[] = {
    { "milstein", NULL, NULL, NULL, "schemes: milstein needs commutative" },
    { "em,rk4", NULL, NULL, NULL, "schemes=em,rk4: unknown scheme rk4" },
    { NULL, "0.3,0.1", NULL, NULL, "steps: h=0.3 does not divide the horizon" },
    { NULL, "0.5", NULL, NULL, "steps=0.5: an order needs at least two" },
    { NULL, NULL, "sideways", NULL, "kind=sideways: use weak, strong or both" },
    { NULL, NULL, NULL, "doublewell", "problem: an order experiment runs" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      sde_experiment_defaults (&o, SDE_EXPERIMENT_ORDER);
      o.user_sde = s;
      o.scheme = bad[i].scheme;
      o.steps = bad[i].steps;
      o.errors = bad[i].errors ? bad[i].errors : "both";
      o.problem = bad[i].problem;
      last_reason[0] = '\0';
      ck_assert_ptr_null (sde_experiment_alloc (&o));
      ck_assert_msg (strncmp (last_reason, bad[i].want, strlen (bad[i].want))
                         == 0,
                     "%zu: %s", i, last_reason);
    }
  /* The caller's SDE excludes the expression settings.  */
  sde_experiment_defaults (&o, SDE_EXPERIMENT_ORDER);
  o.user_sde = s;
  o.drift = "x0";
  ck_assert_ptr_null (sde_experiment_alloc (&o));
  ck_assert_str_eq (last_reason, "drift: the SDE is the caller's (user_sde): "
                                 "leave the others unset");
  sde_system_expr_free (s);
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

/* The canonical chunk: 256 by default and as the tools run; another
   chunk is said in the provenance, gives rows that do not depend on the
   threads, and the paths run are counted in it.  */
static void
run_rows (size_t chunk, int threads, sde_weak_point *rows, size_t *n,
          char *prov, size_t len)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.eta = "2^-2:2^-4";
  o.paths = 3000;
  o.target_ci = 0.5;
  o.max_paths = 20000;
  o.chunk = chunk;
  o.threads = threads;
  sde_experiment *x = sde_experiment_alloc (&o);
  ck_assert_msg (x != NULL, "%s", last_reason);
  ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
  const sde_weak_point *r = sde_experiment_rows (x, n);
  memcpy (rows, r, sizeof *rows * *n);
  const char *v = value_of (x, "chunk");
  snprintf (prov, len, "%s", v ? v : "");
  sde_experiment_free (x);
}

START_TEST (test_experiment_chunk)
{
  sde_weak_point a[16], b[16], c[16];
  size_t na, nb, nc;
  char pa[256], pb[256], pc[256];
  run_rows (0, 1, a, &na, pa, sizeof pa);
  run_rows (256, 2, b, &nb, pb, sizeof pb);
  ck_assert_int_eq ((int)na, 6);
  ck_assert_int_eq ((int)nb, 6);
  ck_assert_str_eq (pa, "");
  ck_assert_str_eq (pb, "");
  for (size_t k = 0; k < na; k++)
    ck_assert (a[k].e == b[k].e && a[k].se == b[k].se && a[k].n == b[k].n);
  run_rows (2048, 1, b, &nb, pb, sizeof pb);
  run_rows (2048, 2, c, &nc, pc, sizeof pc);
  ck_assert (strstr (pb, "2048 paths per canonical chunk") == pb);
  ck_assert_str_eq (pb, pc);
  for (size_t k = 0; k < nb; k++)
    {
      ck_assert (b[k].e == c[k].e && b[k].se == c[k].se && b[k].n == c[k].n);
      ck_assert_int_eq ((int)(b[k].n % 2048), 0);
      /* Another sample of the same law: within the CIs of the first.  */
      ck_assert_within_se (b[k].e, a[k].e, hypot (a[k].se, b[k].se), 4);
    }
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.chunk = 65537;
  ck_assert_ptr_null (sde_experiment_alloc (&o));
  ck_assert_str_eq (last_reason, "chunk=65537: must be at most 65536");
}
END_TEST

/* A caller's problem (opts.user, borrowed): the double well's gradient
   alone, with a constant noise factor.  SGD on it is what the density
   engine takes, but without a loss the engine cannot choose its grid:
   auto falls back to Monte Carlo, whose rows are those of the catalog's
   double well bitwise.  */
static int
dw_grad (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    out[p] = x[p] * (x[p] * x[p] - 1);
  return 0;
}

static int
dw_factor (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  (void)x, (void)work;
  for (size_t p = 0; p < P; p++)
    out[p] = pb->factor_const[0];
  return 0;
}

START_TEST (test_experiment_user_problem)
{
  static const double one = 1, half = 0.5;
  sde_problem pb;
  memset (&pb, 0, sizeof pb);
  pb.name = "mine";
  pb.dim = pb.noise_dim = 1;
  pb.grad = dw_grad;
  pb.factor = dw_factor;
  pb.factor_const = &one;
  pb.x0 = &half;
  pb.law = SDE_ORACLE_GAUSSIAN;
  sde_weak_point rows[2][4];
  size_t n[2];
  for (int k = 0; k < 2; k++)
    {
      sde_experiment_opts o;
      sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
      o.methods = "sgd";
      o.eta = "2^-2:2^-4";
      o.paths = 2000;
      o.target_ci = 0;
      o.engine = k ? "auto" : "mc";
      if (k)
        o.user = &pb;
      sde_experiment *x = sde_experiment_alloc (&o);
      ck_assert_msg (x != NULL, "%s", last_reason);
      if (k)
        {
          ck_assert_str_eq (value_of (x, "problem"), "mine");
          ck_assert (strncmp (value_of (x, "engine"), "mc ", 3) == 0);
        }
      ck_assert_int_eq (sde_experiment_run (x, NULL, NULL), 0);
      memcpy (rows[k], sde_experiment_rows (x, &n[k]), sizeof rows[k]);
      sde_experiment_free (x);
    }
  ck_assert_int_eq ((int)n[0], 3);
  ck_assert_int_eq ((int)n[1], 3);
  for (size_t i = 0; i < n[0]; i++)
    ck_assert (rows[0][i].e == rows[1][i].e && rows[0][i].se == rows[1][i].se);
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.user = &pb;
  o.methods = "sgd";
  o.engine = "density";
  ck_assert_ptr_null (sde_experiment_alloc (&o));
  ck_assert (strstr (last_reason, "has no loss") != NULL);
  /* The caller's problem excludes a catalog one.  */
  o.engine = "auto";
  o.problem = "doublewell";
  ck_assert_ptr_null (sde_experiment_alloc (&o));
  ck_assert (strstr (last_reason, "exclude each other") != NULL);
}
END_TEST

/* The default reference scheme: weak2, but em for state-dependent noise
   of more than 8 columns (a finite sum's r = n), where weak2 would take
   O(n^2) gradients a substep; a scheme given by name is kept.  */
START_TEST (test_experiment_reference_scheme_default)
{
  static const struct
  {
    const char *problem, *reference, *scheme;
  } cases[] = {
    { "doublewell", NULL, "scheme weak2" },
    { "quadratic:d=16", NULL, "scheme weak2" },
    { "linreg:data=diabetes", NULL, "scheme em" },
    { "logreg:data=diabetes", NULL, "scheme em" },
    { "sparse", NULL, "scheme em" },
    { "linreg:data=diabetes", "sme1:scheme=weak2", "scheme weak2" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      sde_experiment_opts o;
      sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
      o.problem = cases[i].problem;
      o.reference = cases[i].reference;
      o.datadir = getenv ("SDEKIT_DATADIR");
      o.engine = "mc"; /* a quadratic's exact engine has no scheme */
      o.noise = strstr (o.problem, "data=") ? "minibatch:B=8" : NULL;
      sde_experiment *x = sde_experiment_alloc (&o);
      ck_assert_msg (x != NULL, "%s: %s", o.problem, last_reason);
      const char *ref = value_of (x, "reference");
      ck_assert_msg (ref && strstr (ref, cases[i].scheme), "%s: %s", o.problem,
                     ref ? ref : "(none)");
      sde_experiment_free (x);
    }
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
  tcase_add_test (tc, test_experiment_bad_numbers);
  tcase_add_test (tc, test_experiment_exact_engine_and_theory);
  tcase_add_test (tc, test_experiment_theory_kinds);
  tcase_add_test (tc, test_experiment_simulate_gbm);
  tcase_add_test (tc, test_experiment_provenance_shortest);
  tcase_add_test (tc, test_experiment_chunk);
  tcase_add_test (tc, test_experiment_user_problem);
  tcase_add_test (tc, test_experiment_simulate_user_sde);
  tcase_add_test (tc, test_experiment_order_gbm);
  tcase_add_test (tc, test_experiment_order_user_sde);
  tcase_add_test (tc, test_experiment_reference_scheme_default);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  gsl_set_error_handler (keep);
  return testutil_run (experiment_suite ());
}
