/* check_order.c: unit tests of the convergence of schemes on one SDE, on
   the literature's test problems posed as expressions: geometric Brownian
   motion (with the exact moments of Euler-Maruyama, MATH.md section 7),
   Roessler's scalar weak-order test and his 2-D non-commutative test
   (Debrabant & Roessler, arXiv:1303.5103, as in the weak-convergence
   tests of SciML's StochasticDiffEq.jl), Kloeden & Platen's reducible
   test SDE dX = -(a + b^2 X)(1 - X^2) dt + b (1 - X^2) dW, and the 2-D
   non-commutative dX0 = dW0, dX1 = X0 dW1.  Every exact solution and
   moment is checked by Ito's formula when the SDE is allocated.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sdekit/order.h"
#include "testutil.h"

static char last_reason[1024];
static int last_code;

static void
capture (const char *reason, const char *file, int line, int code)
{
  (void)file, (void)line;
  snprintf (last_reason, sizeof last_reason, "%s", reason);
  last_code = code;
}

/* GBM dX = 1.01 X dt + 0.87 X dW from 1/2 on [0, 1] (SciML's
   prob_sde_linear).  */
#define GBM_DRIFT "1.01*x0"
#define GBM_DIFF "0.87*x0"
#define GBM_EXACT "x0*exp((1.01 - 0.87^2/2)*t + 0.87*W)"
#define GBM_MOM "x0: x0*exp(1.01*t); x0^2: x0^2*exp((2*1.01 + 0.87^2)*t)"

/* Roessler's scalar test with asinh(x) = log(x + sqrt(x^2 + 1)):
   X_t = sinh(asinh(x0) + t + W_t), phi = h(asinh x) with h(z) = z^3 -
   6 z^2 + 8 z, E phi(X_t) = t^3 - 3t^2 + 2t from x0 = 0.  */
#define AS "log(x0 + sqrt(x0^2 + 1))"
#define RS_MOM                                                                 \
  AS "^3 - 6*" AS "^2 + 8*" AS ": (" AS " + t)^3 + 3*t*(" AS " + t) - 6*((" AS \
     " + t)^2 + t) + 8*(" AS " + t)"

typedef struct
{
  sde_system_expr *s;
  sde_observable obs[SDE_ORDER_MAXOBS];
  double h[SDE_ORDER_MAXH];
  sde_order_job job;
} setup;

/* A job on the SDE from T 2^-k0 down to T 2^-k1, schemes given by name.  */
static void
setup_job (setup *u, const char *drift, const char *diff, const char *x0,
           const char *exact, const char *moments, double T, int k0, int k1,
           const char *schemes, uint64_t paths)
{
  static const sde_stepper_type *types[SDE_ORDER_MAXSCHEMES];
  memset (u, 0, sizeof *u);
  sde_system_expr_spec sp = { drift, diff, x0, NULL, exact, moments };
  u->s = sde_system_expr_alloc (&sp);
  ck_assert_msg (u->s != NULL, "%s", last_reason);
  sde_order_job_expr (&u->job, u->s, u->obs, SDE_ORDER_MAXOBS);
  for (int k = k0; k <= k1; k++)
    u->h[u->job.nh++] = T * ldexp (1, -k);
  u->job.h = u->h;
  u->job.T = T;
  char buf[128];
  snprintf (buf, sizeof buf, "%s", schemes);
  size_t n = 0;
  for (char *save = NULL, *t = strtok_r (buf, ",", &save); t;
       t = strtok_r (NULL, ",", &save))
    {
      types[n] = sde_stepper_type_find (t);
      ck_assert_ptr_nonnull (types[n]);
      n++;
    }
  u->job.schemes = types;
  u->job.nschemes = n;
  u->job.rng = sde_rng_alloc ("philox", 20240601);
  u->job.paths = paths;
}

static void
setup_free (setup *u)
{
  sde_rng_free (u->job.rng);
  sde_system_expr_free (u->s);
}

static sde_order_result *
run_ok (const sde_order_job *job)
{
  sde_order_result *r = NULL;
  last_reason[0] = '\0';
  int st = sde_order_run (job, &r);
  ck_assert_msg (st == 0, "sde_order_run: %d: %s", st, last_reason);
  return r;
}

/* The fitted order is within TOL of THEORY, and says so when not.  */
static void
order_near (const sde_weak_fit *f, double theory, double tol, const char *what)
{
  ck_assert_msg (f->ok && fabs (f->order - theory) <= tol,
                 "%s: order %.3f, SE %.3f, CI [%.3f, %.3f]; theory %g +- %g",
                 what, f->order, f->se, f->lo, f->hi, theory, tol);
}

/* Euler-Maruyama's exact weak error on GBM (MATH.md section 7): E X_N =
   x0 (1 + l h)^N, E X_N^2 = x0^2 ((1 + l h)^2 + m^2 h)^N.  */
static double
em_gbm_error (int second, double l, double m, double x0, double h, double T)
{
  const double N = T / h;
  if (second)
    return x0 * x0
           * (pow ((1 + l * h) * (1 + l * h) + m * m * h, N)
              - exp ((2 * l + m * m) * T));
  return x0 * (pow (1 + l * h, N) - exp (l * T));
}

START_TEST (test_order_gbm_em_errors_in_ci_and_orders)
{
  setup u;
  setup_job (&u, GBM_DRIFT, GBM_DIFF, "0.5", GBM_EXACT, GBM_MOM, 1, 3, 8,
             "em,milstein", 10000);
  sde_order_result *r = run_ok (&u.job);
  ck_assert_int_eq (r->against[0], SDE_ORDER_EXACT);
  ck_assert_int_eq (r->strong_against, SDE_ORDER_EXACT);
  ck_assert_ptr_null (r->ref_weak);
  ck_assert_ptr_null (r->ref_strong);
  for (size_t o = 0; o < 2; o++)
    {
      const sde_weak_point *p = sde_order_rows (r, SDE_ORDER_WEAK, 0, o);
      for (size_t k = 0; k < r->nh; k++)
        {
          ck_assert_int_eq ((int)p[k].n, 10000);
          ck_assert_double_eq (p[k].eta, u.h[k]);
          ck_assert_int_eq ((int)p[k].method, 0);
          ck_assert_int_eq ((int)p[k].obs, (int)o);
          ck_assert_within_se (
              p[k].e, em_gbm_error ((int)o, 1.01, 0.87, 0.5, u.h[k], 1),
              p[k].se, 4);
          ck_assert (p[k].seconds >= 0);
        }
      /* The exact solution's mean against the exact moment.  */
      ck_assert (r->has_check);
      ck_assert_within_se (r->check[o].est, r->check[o].exact, r->check[o].se,
                           4);
    }
  order_near (&r->weak_fit[0], 1.0, 0.15, "em weak E X");
  order_near (&r->strong_fit[0], 0.5, 0.05, "em strong");
  ck_assert_int_eq ((int)sde_order_rows (r, SDE_ORDER_STRONG, 1, 0)[0].obs, 2);
  /* Milstein's strong order 1 where the asymptotic regime has begun.  */
  sde_weak_fit f;
  sde_weak_fit_points (sde_order_rows (r, SDE_ORDER_STRONG, 1, 0) + 1,
                       r->nh - 1, &f);
  order_near (&f, 1.0, 0.1, "milstein strong");
  sde_order_result_free (r);
  setup_free (&u);
}
END_TEST

START_TEST (test_order_weak2_weak_order_two)
{
  /* Roessler's scalar test, on coarse steps (finer ones reach the noise
     floor, the weak errors falling as h^2 and their SEs as h).  */
  setup u;
  setup_job (&u, "x0/2 + sqrt(x0^2 + 1)", "sqrt(x0^2 + 1)", "0",
             "sinh(" AS " + t + W)", RS_MOM, 1, 2, 4, "weak2,em", 100000);
  sde_order_result *r = run_ok (&u.job);
  const sde_weak_fit *f = &r->weak_fit[0];
  /* The tolerance of SciML's test of the same problem.  */
  order_near (f, 2.0, 0.3, "weak2 on Roessler's test");
  for (size_t k = 0; k < r->nh; k++)
    ck_assert (fabs (r->weak[r->nh + k].e) > fabs (r->weak[k].e));
  /* E phi(X_1) = 0.  */
  ck_assert_within_se (r->check[0].est, 0, r->check[0].se, 4);
  sde_order_result_free (r);
  setup_free (&u);
  /* GBM with little noise (Roessler's diagonal test in one dimension):
     the asymptotic regime from h = 1/8.  */
  setup_job (&u, "1.5*x0", "0.1*x0", "0.1", "x0*exp(1.495*t + 0.1*W)",
             "x0: x0*exp(1.5*t)", 1, 3, 7, "weak2,em", 4000);
  r = run_ok (&u.job);
  order_near (&r->weak_fit[0], 2.0, 0.1, "weak2 on GBM");
  order_near (&r->weak_fit[1], 1.0, 0.1, "em on GBM");
  for (size_t k = 0; k < r->nh; k++)
    ck_assert_within_se (r->weak[r->nh + k].e,
                         em_gbm_error (0, 1.5, 0.1, 0.1, u.h[k], 1),
                         r->weak[r->nh + k].se, 4);
  sde_order_result_free (r);
  setup_free (&u);
}
END_TEST

/* dX0 = dW0, dX1 = X0 dW1 from 0: E X1(t)^2 = t^2/2, and Euler-Maruyama's
   E X1_N^2 = T^2/2 - T h/2 exactly, so its weak error is -T h/2.  */
START_TEST (test_order_noncommutative_2d)
{
  setup u;
  setup_job (&u, "0, 0", "[1, 0; 0, x0]", "0", NULL,
             "x1^2: x1^2 + x0^2*t + t^2/2", 1, 1, 4, "em,milstein", 20000);
  u.job.ref_refine = 4;
  sde_order_result *r = NULL;
  last_reason[0] = '\0';
  ck_assert_int_eq (sde_order_run (&u.job, &r), GSL_EINVAL);
  ck_assert_ptr_null (r);
  ck_assert_str_eq (last_reason,
                    "milstein: noise is neither scalar, diagonal nor "
                    "commutative; it would need Levy areas, which are not "
                    "implemented");
  u.job.nschemes = 1;
  r = run_ok (&u.job);
  ck_assert_int_eq (r->against[0], SDE_ORDER_MOMENT);
  ck_assert_int_eq (r->strong_against, SDE_ORDER_REFERENCE);
  ck_assert_ptr_eq (r->ref_strong, sde_stepper_em);
  ck_assert_double_eq (r->ref_h, 1.0 / 64);
  sde_weak_point p[4];
  memcpy (p, r->weak, sizeof p);
  for (size_t k = 0; k < r->nh; k++)
    ck_assert_within_se (p[k].e, -u.h[k] / 2, p[k].se, 4);
  order_near (&r->weak_fit[0], 1.0, 0.2, "em weak, non-commutative");
  order_near (&r->strong_fit[0], 0.5, 0.1, "em strong, non-commutative");
  for (size_t k = 0; k < r->nh; k++)
    {
      /* The reference takes 64 steps.  */
      ck_assert_int_eq ((int)r->strong[k].substeps, 64 / (2 << k));
      ck_assert (r->strong[k].ref_err > 0
                 && r->strong[k].ref_err < r->strong[k].e);
    }
  sde_order_result_free (r);
  /* The same against the weak order 2 reference: paired differences.  */
  u.job.against = SDE_ORDER_REFERENCE;
  r = run_ok (&u.job);
  ck_assert_ptr_eq (r->ref_weak, sde_stepper_weak2);
  for (size_t k = 0; k < r->nh; k++)
    ck_assert_within_se (
        p[k].e, r->weak[k].e,
        hypot (p[k].se, r->weak[k].se) + fabs (r->weak[k].ref_err), 4);
  sde_order_result_free (r);
  setup_free (&u);
}
END_TEST

/* Roessler's non-commutative test: E X0(t)^2 = exp(-t); X0 is linear in
   itself, so EM's E X0_N^2 = ((1 + a h)^2 + (c1^2 + c2^2) h)^N with a =
   -273/512, c1 = 1/4, c2 = 1/16.  */
START_TEST (test_order_roessler_noncommutative)
{
  setup u;
  setup_job (&u, "-273/512*x0, -1/160*x0 - (-785/512 + sqrt(2)/8)*x1",
             "[1/4*x0, 1/16*x0; (1 - 2*sqrt(2))/4*x0, 1/10*x0 + 1/16*x1]", "1",
             NULL, "x0^2: x0^2*exp(-t)", 1, 1, 5, "em,weak2", 20000);
  u.job.ref_refine = 2; /* the strong errors are not the point here */
  sde_order_result *r = run_ok (&u.job);
  const double a = -273.0 / 512, q = 1.0 / 16 + 1.0 / 256;
  for (size_t k = 0; k < r->nh; k++)
    {
      const double h = u.h[k], N = 1 / h;
      const double want = pow ((1 + a * h) * (1 + a * h) + q * h, N) - exp (-1);
      ck_assert_within_se (r->weak[k].e, want, r->weak[k].se, 4);
    }
  order_near (&r->weak_fit[0], 1.0, 0.2, "em on Roessler's 2-D test");
  sde_order_result_free (r);
  setup_free (&u);
}
END_TEST

/* Against a reference instead of the exact solution (Kloeden & Platen's
   test, a = 1, b = 1/2): the rows agree within their SEs and the
   reference's estimated error.  */
START_TEST (test_order_reference_agrees_with_exact)
{
  const char *drift = "-(1 + 0.25*x0)*(1 - x0^2)", *diff = "0.5*(1 - x0^2)";
  const char *exact = "((1 + x0)*exp(-2*t + W) + x0 - 1)/((1 + x0)*exp(-2*t "
                      "+ W) + 1 - x0)";
  setup u, v;
  setup_job (&u, drift, diff, "0.3", exact, NULL, 1, 3, 6, "em,milstein", 4000);
  setup_job (&v, drift, diff, "0.3", NULL, NULL, 1, 3, 6, "em,milstein", 4000);
  v.job.ref_refine = 4;
  sde_observable_parse ("x0", 1, NULL, u.obs, 1);
  sde_observable_parse ("x0", 1, NULL, v.obs, 1);
  u.job.obs = u.obs, u.job.nobs = 1;
  v.job.obs = v.obs, v.job.nobs = 1;
  sde_order_result *re = run_ok (&u.job), *rr = run_ok (&v.job);
  ck_assert_int_eq (rr->against[0], SDE_ORDER_REFERENCE);
  ck_assert_int_eq (rr->strong_against, SDE_ORDER_REFERENCE);
  ck_assert_ptr_eq (rr->ref_strong, sde_stepper_milstein);
  for (size_t i = 0; i < 2 * re->nh; i++)
    {
      const sde_weak_point *a = &re->weak[i], *b = &rr->weak[i];
      const sde_weak_point *c = &re->strong[i], *d = &rr->strong[i];
      ck_assert_within_se (b->e, a->e, hypot (a->se, b->se) + fabs (b->ref_err),
                           4);
      ck_assert_within_se (d->e, c->e, hypot (c->se, d->se) + fabs (d->ref_err),
                           4);
      ck_assert (isfinite (b->ref_err) && isfinite (d->ref_err));
    }
  order_near (&rr->strong_fit[1], 1.0, 0.15, "milstein strong against itself");
  sde_order_result_free (re);
  sde_order_result_free (rr);
  setup_free (&u);
  setup_free (&v);
}
END_TEST

/* Every row bitwise the same for 1, 2 and 3 threads and a last chunk that
   is not full; only the seconds differ.  */
START_TEST (test_order_bitwise_across_threads)
{
  setup u;
  setup_job (&u, "-x0, x0 - x1", "[1, 0.5; 0, x0]", "0.5", NULL,
             "x0: x0*exp(-t)", 1, 1, 4, "em,weak2", 1000);
  u.job.chunk = 16;
  u.job.against = SDE_ORDER_REFERENCE;
  sde_order_result *r[3];
  for (int t = 0; t < 3; t++)
    {
      u.job.threads = t + 1;
      r[t] = run_ok (&u.job);
      for (size_t k = 0; k < r[t]->nschemes * r[t]->nh; k++)
        r[t]->strong[k].seconds = r[t]->weak[k].seconds = 0;
    }
  ck_assert_ptr_nonnull (r[0]->ref_weak);
  for (int t = 1; t < 3; t++)
    {
      const size_t n = r[0]->nschemes * r[0]->nh;
      ck_assert_mem_eq (r[t]->weak, r[0]->weak, n * sizeof *r[0]->weak);
      ck_assert_mem_eq (r[t]->strong, r[0]->strong, n * sizeof *r[0]->strong);
      ck_assert_mem_eq (r[t]->weak_fit, r[0]->weak_fit,
                        r[0]->nschemes * sizeof *r[0]->weak_fit);
    }
  for (int t = 0; t < 3; t++)
    sde_order_result_free (r[t]);
  setup_free (&u);
}
END_TEST

/* Two-point increments of the weak Euler scheme's own: weak order 1
   against the moments, no strong errors.  */
START_TEST (test_order_native_law)
{
  setup u;
  setup_job (&u, "1.5*x0", "0.1*x0", "0.1", NULL, "x0: x0*exp(1.5*t)", 1, 4, 7,
             "weak-euler", 20000);
  u.job.native_law = 1;
  sde_order_result *r = run_ok (&u.job);
  for (size_t k = 0; k < r->nh; k++)
    {
      ck_assert_within_se (r->weak[k].e,
                           em_gbm_error (0, 1.5, 0.1, 0.1, u.h[k], 1),
                           r->weak[k].se, 4);
      ck_assert (isnan (r->strong[k].e));
      ck_assert_str_eq (r->strong[k].stop, "none");
    }
  ck_assert (!r->strong_fit[0].ok);
  order_near (&r->weak_fit[0], 1.0, 0.15, "weak-euler");
  sde_order_result_free (r);
  setup_free (&u);
}
END_TEST

/* No observables: strong errors only, with a time-dependent drift (the
   steppers see t = n h) and an exact solution in t and W.  */
START_TEST (test_order_strong_only)
{
  setup u;
  setup_job (&u, "cos(t)*x0", "0.5*x0", "1", "x0*exp(sin(t) - t/8 + 0.5*W)",
             NULL, 1, 2, 6, "em,milstein", 2000);
  ck_assert_int_eq ((int)u.job.nobs, 0);
  sde_order_result *r = run_ok (&u.job);
  ck_assert_ptr_null (sde_order_rows (r, SDE_ORDER_WEAK, 0, 0));
  for (size_t s = 0; s < 2; s++)
    {
      const sde_weak_point *p = sde_order_rows (r, SDE_ORDER_STRONG, s, 0);
      ck_assert_int_eq ((int)p[0].obs, 0);
      ck_assert_int_eq ((int)p[0].n, 2000);
    }
  order_near (&r->strong_fit[0], 0.5, 0.1, "em, time-dependent drift");
  order_near (&r->strong_fit[1], 1.0, 0.1, "milstein, time-dependent drift");
  sde_order_result_free (r);
  /* Step counts 2, 3 and 4: a fine grid of 12 steps in windows of one.  */
  const double h[] = { 1.0 / 2, 1.0 / 3, 1.0 / 4 };
  u.job.h = h;
  u.job.nh = 3;
  r = run_ok (&u.job);
  for (size_t k = 0; k < 3; k++)
    ck_assert (r->strong[k].e > 0 && r->strong[k].n == 2000);
  ck_assert (r->strong[0].e > r->strong[1].e
             && r->strong[1].e > r->strong[2].e);
  sde_order_result_free (r);
  setup_free (&u);
}
END_TEST

static void
run_refused (const sde_order_job *job, const char *want)
{
  sde_order_result *r = NULL;
  last_reason[0] = '\0';
  ck_assert_int_eq (sde_order_run (job, &r), GSL_EINVAL);
  ck_assert_ptr_null (r);
  ck_assert_str_eq (last_reason, want);
}

START_TEST (test_order_errors)
{
  setup u;
  setup_job (&u, GBM_DRIFT, GBM_DIFF, "0.5", NULL, "x0: x0*exp(1.01*t)", 1, 1,
             3, "em", 100);
  const double bad[] = { 0.3, 0.1 }, flat[] = { 0.5, 0.5 };
  u.job.h = bad;
  u.job.nh = 2;
  run_refused (&u.job, "order: T / h = 3.3333333333333335 is not a whole "
                       "number of steps (h = 0.3, T = 1; at most 2^26 "
                       "steps)");
  u.job.h = flat;
  u.job.nh = 2;
  run_refused (&u.job,
               "order: step sizes must decrease strictly (h = 0.5 after 0.5)");
  u.job.h = u.h;
  u.job.nh = 3;
  u.job.against = SDE_ORDER_EXACT;
  run_refused (&u.job,
               "order: weak errors against the exact solution need one");
  u.job.against = SDE_ORDER_AUTO;
  u.job.ref_refine = 3;
  run_refused (&u.job, "order: ref_refine must be even (got 3)");
  u.job.ref_refine = 0;
  u.job.moment = NULL;
  u.job.against = SDE_ORDER_MOMENT;
  run_refused (&u.job, "order: observable x0 has no exact moment");
  u.job.against = SDE_ORDER_AUTO;
  u.job.paths = 0;
  run_refused (&u.job, "order: needs a system, x0, a generator, schemes, "
                       "step sizes, T > 0 and paths > 0");
  ck_assert_str_eq (sde_order_against_name (SDE_ORDER_REFERENCE), "reference");
  setup_free (&u);
}
END_TEST

static Suite *
order_suite (void)
{
  Suite *s = suite_create ("order");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300); /* sanitizer builds are far slower */
  tcase_add_test (tc, test_order_gbm_em_errors_in_ci_and_orders);
  tcase_add_test (tc, test_order_weak2_weak_order_two);
  tcase_add_test (tc, test_order_noncommutative_2d);
  tcase_add_test (tc, test_order_roessler_noncommutative);
  tcase_add_test (tc, test_order_reference_agrees_with_exact);
  tcase_add_test (tc, test_order_bitwise_across_threads);
  tcase_add_test (tc, test_order_native_law);
  tcase_add_test (tc, test_order_strong_only);
  tcase_add_test (tc, test_order_errors);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  gsl_set_error_handler (capture);
  return testutil_run (order_suite ());
}
