/* check_system_expr.c: unit tests of SDEs written as text: coefficients,
   Jacobians against finite differences, the Stratonovich correction, the
   noise structure (scalar, diagonal, additive, commutative, not), exact
   solutions and moments checked by Ito's formula, the specification text,
   and the error messages.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sdekit/stepper.h"
#include "sdekit/system_expr.h"
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

static sde_system_expr *
make (const char *drift, const char *diffusion, const char *x0,
      const char *form, const char *exact, const char *moments)
{
  sde_system_expr_spec sp = { drift, diffusion, x0, form, exact, moments };
  last_reason[0] = '\0';
  last_code = 0;
  return sde_system_expr_alloc (&sp);
}

static sde_system_expr *
make_ok (const char *drift, const char *diffusion, const char *x0,
         const char *form, const char *exact, const char *moments)
{
  sde_system_expr *s = make (drift, diffusion, x0, form, exact, moments);
  ck_assert_msg (s != NULL, "rejected: %s", last_reason);
  return s;
}

/* Refused with GSL_EINVAL and exactly the reason WANT.  */
static void
refused (const char *want, const char *drift, const char *diffusion,
         const char *x0, const char *exact, const char *moments)
{
  sde_system_expr *s = make (drift, diffusion, x0, NULL, exact, moments);
  ck_assert_ptr_null (s);
  ck_assert_int_eq (last_code, GSL_EINVAL);
  ck_assert_str_eq (last_reason, want);
}

/* Refused with GSL_EINVAL and a reason starting with PREFIX.  */
static void
refused_prefix (const char *prefix, const char *drift, const char *diffusion,
                const char *x0, const char *exact, const char *moments)
{
  sde_system_expr *s = make (drift, diffusion, x0, NULL, exact, moments);
  ck_assert_ptr_null (s);
  ck_assert_int_eq (last_code, GSL_EINVAL);
  ck_assert_msg (strncmp (last_reason, prefix, strlen (prefix)) == 0,
                 "reason '%s' does not start with '%s'", last_reason, prefix);
}

/* The drift, diffusion and jacobian at one point.  */
static void
eval_point (const sde_system *sys, double t, const double *x, double *a,
            double *b, double *db)
{
  double work[4096];
  ck_assert (sys->work < 4096);
  ck_assert_int_eq (sys->drift (t, 1, x, a, work, sys->params), 0);
  ck_assert_int_eq (sys->diffusion (t, 1, x, b, work, sys->params), 0);
  if (db)
    ck_assert_int_eq (sys->jacobian (t, 1, x, db, work, sys->params), 0);
}

START_TEST (test_system_expr_gbm_coefficients)
{
  sde_system_expr *s = make_ok ("1.5*x0", "0.1*x0", "0.5", NULL, NULL, NULL);
  ck_assert_int_eq ((int)s->sys.dim, 1);
  ck_assert_int_eq ((int)s->sys.noise_dim, 1);
  /* r = d = 1: scalar, and diagonal too.  */
  ck_assert_uint_eq (s->sys.noise, SDE_NOISE_SCALAR | SDE_NOISE_DIAGONAL
                                       | SDE_NOISE_COMMUTATIVE);
  ck_assert_double_eq (s->x0[0], 0.5);
  double x = 2, a, b, db;
  eval_point (&s->sys, 0, &x, &a, &b, &db);
  ck_assert_double_eq (a, 3.0);
  ck_assert_double_eq (b, 0.2);
  ck_assert_double_eq (db, 0.1);
  ck_assert_str_eq (s->spec, "sde:drift=1.5*x0,diffusion=0.1*x0,x0=0.5");
  ck_assert_str_eq (s->noise_note, "scalar noise: commutative");
  sde_system_expr_free (s);
}
END_TEST

/* A time-dependent 2 x 3 system: every jacobian entry against a central
   difference, blocks of paths against single points.  */
START_TEST (test_system_expr_jacobian_matches_finite_differences)
{
  sde_system_expr *s = make_ok (
      "sin(x0)*x1 - t, x0^2/(1 + x1^2)",
      "[exp(-x0^2), x0*x1, t*cos(x1); sqrt(1 + x0^2 + x1^2), 2, x1^3]",
      "0.3, -0.7", NULL, NULL, NULL);
  const sde_system *sys = &s->sys;
  ck_assert_int_eq ((int)sys->dim, 2);
  ck_assert_int_eq ((int)sys->noise_dim, 3);
  const double x[2] = { 0.4, -1.3 }, t = 0.7, h = 1e-6;
  double a[2], b[6], db[12], bp[6], bm[6];
  eval_point (sys, t, x, a, b, db);
  ck_assert_double_eq (a[0], sin (0.4) * -1.3 - 0.7);
  ck_assert_double_eq (b[2], 0.7 * cos (-1.3));
  for (size_t k = 0; k < 2; k++)
    {
      double xp[2] = { x[0], x[1] }, xm[2] = { x[0], x[1] };
      xp[k] += h, xm[k] -= h;
      eval_point (sys, t, xp, a, bp, NULL);
      eval_point (sys, t, xm, a, bm, NULL);
      for (size_t ij = 0; ij < 6; ij++)
        ck_assert_close (db[ij * 2 + k], (bp[ij] - bm[ij]) / (2 * h), 1e-8);
    }
  /* Four paths at once, coordinate-major, equal the points bitwise.  */
  double X[8], B[24], work[4096];
  for (size_t p = 0; p < 4; p++)
    X[p] = 0.1 * (double)p - 0.2, X[4 + p] = 0.3 * (double)p;
  ck_assert_int_eq (sys->diffusion (t, 4, X, B, work, sys->params), 0);
  for (size_t p = 0; p < 4; p++)
    {
      double xp[2] = { X[p], X[4 + p] };
      eval_point (sys, t, xp, a, b, NULL);
      for (size_t ij = 0; ij < 6; ij++)
        ck_assert_double_eq (B[ij * 4 + p], b[ij]);
    }
  ck_assert_uint_eq (sys->noise, 0);
  sde_system_expr_free (s);
}
END_TEST

/* dX = l X dt + m X o dW is the Ito SDE dX = (l + m^2/2) X dt + m X dW.  */
START_TEST (test_system_expr_stratonovich_gbm_drift)
{
  sde_system_expr *s
      = make_ok ("1.5*x0", "0.4*x0", "1", "stratonovich", NULL, NULL);
  char buf[64];
  sde_system_expr_drift_text (s, 0, buf, sizeof buf);
  ck_assert_str_eq (buf, "1.58*x0");
  ck_assert_int_eq (s->stratonovich, 1);
  double x = 2, a, b;
  eval_point (&s->sys, 0, &x, &a, &b, NULL);
  ck_assert_close (a, 2 * (1.5 + 0.08), 1e-15);
  ck_assert_double_eq (b, 0.8);
  ck_assert_str_eq (s->spec,
                    "sde:drift=1.5*x0,diffusion=0.4*x0,x0=1,form=stratonovich");
  sde_system_expr_free (s);
  /* Two dimensions, two noises: a_i + 1/2 sum_jk b_kj d_k b_ij.  */
  s = make_ok ("0, 0", "[x1, 1; 0, x0]", "1", "stratonovich", NULL, NULL);
  const double x2[2] = { 0.7, -0.4 };
  double a2[2], b2[4];
  eval_point (&s->sys, 0, x2, a2, b2, NULL);
  /* i = 0: b_10 d_1 b_00 = 0 * 1; b_01 d_0 b_00 + b_11 d_1 b_01 = 0.
     i = 1: b_01 d_0 b_11 = 1 * 1, so a_1 = 1/2.  */
  ck_assert_double_eq (a2[0], 0);
  ck_assert_double_eq (a2[1], 0.5);
  sde_system_expr_free (s);
  ck_assert_ptr_null (make ("x0", "x0", NULL, "ito-ish", NULL, NULL));
  ck_assert_str_eq (last_reason,
                    "form: 'ito-ish' is neither ito nor stratonovich");
}
END_TEST

START_TEST (test_system_expr_noise_structure_detected)
{
  /* Diagonal: b_ii a function of x_i.  */
  sde_system_expr *s
      = make_ok ("-x0, -x1", "diag(x0, x1^2 + 1)", NULL, NULL, NULL, NULL);
  ck_assert_uint_eq (s->sys.noise, SDE_NOISE_DIAGONAL | SDE_NOISE_COMMUTATIVE);
  ck_assert_str_eq (s->noise_note, "diagonal noise: commutative");
  sde_system_expr_free (s);
  /* A diagonal matrix whose entries read the other coordinate is not
     "diagonal" noise; here it is not commutative either.  */
  s = make_ok ("0, 0", "diag(x1, 1)", "1", NULL, NULL, NULL);
  ck_assert_uint_eq (s->sys.noise, 0);
  sde_system_expr_free (s);
  /* Additive, time-dependent.  */
  s = make_ok ("-x0, -x1", "[1, 0.5; 0.2, t]", NULL, NULL, NULL, NULL);
  ck_assert_uint_eq (s->sys.noise, SDE_NOISE_ADDITIVE | SDE_NOISE_COMMUTATIVE);
  sde_system_expr_free (s);
  /* Commuting linear noise B1 x, B2 x with B1 B2 = B2 B1: the swap and
     the identity simplify to 0; two upper triangular Toeplitz matrices
     do not, and are found commutative at the points.  */
  s = make_ok ("0, 0", "[x1, x0; x0, x1]", "1", NULL, NULL, NULL);
  ck_assert_uint_eq (s->sys.noise, SDE_NOISE_COMMUTATIVE);
  ck_assert_str_eq (s->noise_note,
                    "commutative: L^j b_k - L^k b_j simplifies to 0");
  sde_system_expr_free (s);
  s = make_ok ("0, 0", "[x0 + 2*x1, 3*x0 + x1; x1, 3*x1]", "1", NULL, NULL,
               NULL);
  ck_assert_uint_eq (s->sys.noise, SDE_NOISE_COMMUTATIVE);
  ck_assert_str_eq (s->noise_note,
                    "commutative at x0 and 48 points about it (L^j b_k - "
                    "L^k b_j does not simplify to 0)");
  sde_system_expr_free (s);
  /* Not commutative: B1 = I, B2 = e1 e1^T... here b = [x0, 1; x1, 0].  */
  s = make_ok ("0, 0", "[x0, 1; x1, 0]", "1", NULL, NULL, NULL);
  ck_assert_uint_eq (s->sys.noise, 0);
  ck_assert_str_eq (s->noise_note, "not commutative: (L^0 b_1 - L^1 b_0)_0 = "
                                   "-1 is -1 at x0, t = 0");
  sde_system_expr_free (s);
}
END_TEST

/* dX0 = dW0, dX1 = X0 dW1 (the 2-D test with E X1(t)^2 = x1^2 + x0^2 t +
   t^2/2), and Roessler's non-commutative test: both refused by Milstein,
   with the commutator named.  */
START_TEST (test_system_expr_noncommutative_refused_by_milstein)
{
  sde_system_expr *s = make_ok ("0, 0", "[1, 0; 0, x0]", "0", NULL, NULL,
                                "x1^2: x1^2 + x0^2*t + t^2/2");
  ck_assert_uint_eq (s->sys.noise, 0);
  ck_assert_str_eq (s->noise_note, "not commutative: (L^0 b_1 - L^1 b_0)_1 = "
                                   "1 is 1 at x0, t = 0");
  last_reason[0] = '\0';
  ck_assert_ptr_null (sde_stepper_alloc (sde_stepper_milstein, &s->sys, 8));
  ck_assert_int_eq (last_code, GSL_EINVAL);
  ck_assert_str_eq (last_reason,
                    "milstein: noise is neither scalar, diagonal nor "
                    "commutative; it would need Levy areas, which are not "
                    "implemented");
  ck_assert_ptr_null (sde_stepper_alloc (sde_stepper_milstein_df, &s->sys, 8));
  sde_stepper *em = sde_stepper_alloc (sde_stepper_em, &s->sys, 8);
  ck_assert_ptr_nonnull (em);
  sde_stepper_free (em);
  sde_system_expr_free (s);
  s = make_ok ("-273/512*x0, -1/160*x0 - (-785/512 + sqrt(2)/8)*x1",
               "[1/4*x0, 1/16*x0; (1 - 2*sqrt(2))/4*x0, 1/10*x0 + 1/16*x1]",
               "1", NULL, NULL, "x0^2: x0^2*exp(-t)");
  ck_assert_uint_eq (s->sys.noise, 0);
  ck_assert_str_eq (s->noise_note, "not commutative: (L^0 b_1 - L^1 b_0)_1 = "
                                   "0.025*x0 is 0.025 at x0, t = 0");
  ck_assert_ptr_null (sde_stepper_alloc (sde_stepper_milstein, &s->sys, 8));
  sde_system_expr_free (s);
}
END_TEST

static double
exact_at (sde_system_expr *s, double t, const double *w, size_t i)
{
  double x[SDE_SYSTEM_EXPR_MAXD], work[256];
  ck_assert (sde_system_expr_exact_work (s) < 256);
  ck_assert_int_eq (sde_system_expr_exact (t, 1, w, x, work, s), 0);
  return x[i];
}

START_TEST (test_system_expr_exact_solutions_checked)
{
  /* GBM, written with W and with W0.  */
  sde_system_expr *s = make_ok ("1.5*x0", "0.1*x0", "0.5", NULL,
                                "x0*exp((1.5 - 0.1^2/2)*t + 0.1*W)", NULL);
  ck_assert_int_eq (s->has_exact, 1);
  const double w = 0.3;
  ck_assert_close (exact_at (s, 2, &w, 0), 0.5 * exp (1.495 * 2 + 0.03), 1e-14);
  sde_system_expr_free (s);
  s = make_ok ("1.5*x0", "0.1*x0", "0.5", NULL,
               "x0*exp((1.5 - 0.1^2/2)*t + 0.1*W0)", NULL);
  sde_system_expr_free (s);
  /* Without the Ito correction it is the Stratonovich solution.  */
  refused ("exact: does not solve the SDE: by Ito's formula the drift of X0 "
           "is 0.8649522283 at t = 0.0833333, but the drift entry 0 there is "
           "0.8620786329",
           "1.5*x0", "0.1*x0", "0.5", "x0*exp(1.5*t + 0.1*W)", NULL);
  refused ("exact: X0 is 1 at t = 0 and W = 0, but x0 gives 0.5", "1.5*x0",
           "0.1*x0", "0.5", "exp(1.495*t + 0.1*W)", NULL);
  refused_prefix ("exact: does not solve the SDE: by Ito's formula dX0/dW0 ",
                  "1.5*x0", "0.1*x0", "0.5",
                  "x0*exp((1.5 - 0.1^2/2)*t + 0.2*W)", NULL);
  /* Kloeden & Platen's test: dX = -(a + b^2 X)(1 - X^2) dt + b (1 - X^2)
     dW, a = 1, b = 0.5.  */
  s = make_ok ("-(1 + 0.25*x0)*(1 - x0^2)", "0.5*(1 - x0^2)", "0.3", NULL,
               "((1 + x0)*exp(-2*t + W) + x0 - 1)/((1 + x0)*exp(-2*t + W) + "
               "1 - x0)",
               NULL);
  const double e = 1.3 * exp (-2 + 0.3);
  ck_assert_close (exact_at (s, 1, &w, 0), (e - 0.7) / (e + 0.7), 1e-14);
  sde_system_expr_free (s);
  /* Two noises: X_i = x_i + W_i + t.  */
  s = make_ok ("1, 1", "[1, 0; 0, 1]", "1, 2", NULL, "x0 + W0 + t, x1 + W1 + t",
               NULL);
  const double w2[2] = { 0.5, -1 };
  ck_assert_double_eq (exact_at (s, 1, w2, 1), 2.0);
  sde_system_expr_free (s);
  refused_prefix ("exact: entry 1: unknown variable 'W' at position 19 "
                  "(variables: W0, W1, t, x0, x1)",
                  "1, 1", "[1, 0; 0, 1]", "1, 2", "x0 + W0 + t, x1 + W + t",
                  NULL);
}
END_TEST

START_TEST (test_system_expr_moments_checked)
{
  sde_system_expr *s = make_ok ("1.5*x0", "0.1*x0", "0.5", NULL, NULL,
                                "x0: x0*exp(1.5*t); x0^2: x0^2*exp(3.01*t)");
  ck_assert_int_eq ((int)s->nmoments, 2);
  double v;
  ck_assert_int_eq (sde_system_expr_moment (1, 2.0, &v, s), 0);
  ck_assert_close (v, 0.25 * exp (6.02), 1e-14);
  ck_assert_int_eq (sde_system_expr_moment (2, 2.0, &v, s), GSL_EUNSUP);
  ck_assert_str_eq (sde_system_expr_phi_text (s, 1), "x0^2");
  double x[3] = { 1, 2, 3 }, out[3], work[64];
  ck_assert (sde_system_expr_phi_work (s) < 64);
  ck_assert_int_eq (
      sde_system_expr_phi (3, x, out, work, sde_system_expr_phi_params (s, 1)),
      0);
  ck_assert_double_eq (out[2], 9);
  sde_system_expr_free (s);
  refused ("moments: entry 1: the expectation does not solve the backward "
           "Kolmogorov equation: du/dt = 1.432734342 but L u = 1.437510123 "
           "at t = 0.0833333 and a point near x0",
           "1.5*x0", "0.1*x0", "0.5", NULL,
           "x0: x0*exp(1.5*t); x0^2: x0^2*exp(3*t)");
  refused ("moments: entry 0: the expectation is 1 at t = 0, but phi(x0) is "
           "0.5: write it as a function of t and the initial point x0, x1, ...",
           "1.5*x0", "0.1*x0", "0.5", NULL, "x0: exp(1.5*t)");
  /* Known at x0 only (no x in it): the start is checked, not the PDE.  */
  s = make_ok ("1.5*x0", "0.1*x0", "0.5", NULL, NULL, "x0: 0.5*exp(1.5*t)");
  sde_system_expr_free (s);
  /* Roessler's scalar test: E h(asinh X_t) = t^3 - 3t^2 + 2t from 0, with
     asinh(x) = log(x + sqrt(x^2 + 1)) and h(z) = z^3 - 6z^2 + 8z.  */
  s = make_ok ("x0/2 + sqrt(x0^2 + 1)", "sqrt(x0^2 + 1)", "0", NULL,
               "sinh(log(x0 + sqrt(x0^2 + 1)) + t + W)",
               "log(x0 + sqrt(x0^2 + 1))^3 - 6*log(x0 + sqrt(x0^2 + 1))^2 "
               "+ 8*log(x0 + sqrt(x0^2 + 1)): "
               "(log(x0 + sqrt(x0^2 + 1)) + t)^3 "
               "+ 3*t*(log(x0 + sqrt(x0^2 + 1)) + t) "
               "- 6*((log(x0 + sqrt(x0^2 + 1)) + t)^2 + t) "
               "+ 8*(log(x0 + sqrt(x0^2 + 1)) + t)");
  ck_assert_int_eq (sde_system_expr_moment (0, 2.0, &v, s), 0);
  ck_assert_close (v, 0.0, 1e-13);
  sde_system_expr_free (s);
}
END_TEST

START_TEST (test_system_expr_errors_name_the_field)
{
  refused ("drift: entry 1: unknown variable 'y' at position 5 (variables: "
           "x0, x1, t)",
           "x1, y", "1", NULL, NULL, NULL);
  refused ("drift: unknown variable 'x1' at position 4 (variables: x0, t)",
           "x0*x1", "1", NULL, NULL, NULL);
  refused ("diffusion: entry (1,0): unknown variable 'x2' at position 8 "
           "(variables: x0, x1, t)",
           "x0, x1", "[1, 0; x2, 1]", NULL, NULL, NULL);
  refused ("diffusion: 3 rows, but the drift has d = 2 entries: a diffusion "
           "is d x r, rows separated by ';'",
           "x0, x1", "[1; 2; 3]", NULL, NULL, NULL);
  refused ("diffusion: row 1 (at position 7) has 1 entries, row 0 has 2",
           "x0, x1", "[1, 2; 3]", NULL, NULL, NULL);
  refused ("diffusion: diag(...) has 3 entries, but the drift has d = 2",
           "x0, x1", "diag(1, 2, 3)", NULL, NULL, NULL);
  refused ("diffusion: the '[' at position 1 is not closed by a ']' at the "
           "end",
           "x0", "[1, 2", NULL, NULL, NULL);
  refused ("diffusion: empty expression", "x0", " ", NULL, NULL, NULL);
  refused ("drift: entry 1 at position 4 is empty", "x0,, x1", "1", NULL, NULL,
           NULL);
  refused ("x0: needs 1 or 2 values, got 3", "x0, x1", "1", "1,2,3", NULL,
           NULL);
  refused ("x0: value 1 'abc' is not a number", "x0, x1", "1", "1, abc", NULL,
           NULL);
  refused ("exact: 1 entries, but the drift has d = 2", "x0, x1", "1", NULL,
           "x0", NULL);
  refused ("moments: entry 0 at position 1: write PHI: EXPECTATION (one ':')",
           "x0", "1", NULL, NULL, "x0");
  refused ("moments: entry 0: phi depends on t; it is a function of the "
           "state x0, x1, ... only",
           "x0", "1", NULL, NULL, "x0*t: 0");
  refused ("moments: entry 1, expectation: expected a number, variable, "
           "function or '(' at position 24, found end of input",
           "x0", "1", NULL, NULL, "x0: x0*exp(t); x0 : 1 +");
  ck_assert_ptr_null (sde_system_expr_alloc_text ("drift=x0,difusion=1"));
  ck_assert_str_eq (last_reason, "sde: unknown key 'difusion' (drift, "
                                 "diffusion, x0, form, exact, moments)");
  ck_assert_ptr_null (sde_system_expr_alloc_text ("drift=x0"));
  ck_assert_str_eq (last_reason, "sde: no diffusion=... in 'drift=x0'");
}
END_TEST

/* The specification text reads back into the same SDE.  */
START_TEST (test_system_expr_spec_round_trip)
{
  /* d X0 / d W0 = 0, not 1: refused by Ito's formula.  */
  sde_system_expr *s = make (" -x0 , x0 - x1", "[1, 0.5;\t0, x0]", "0.25,-1",
                             "stratonovich", "x0*exp(-t) + 0*W0, x1", NULL);
  ck_assert_ptr_null (s);
  s = make_ok (" -x0 , x0 - x1", "[1, 0.5;\t0, x0]", "0.25,-1", "stratonovich",
               NULL, "x0: x0*exp(-t)");
  ck_assert_str_eq (s->spec, "sde:drift=-x0 , x0 - x1,diffusion=[1, 0.5; 0, "
                             "x0],x0=0.25,-1,form=stratonovich,moments=x0: "
                             "x0*exp(-t)");
  /* The Ito drift of x1 carries 1/2 b_01 d_0 b_11 = 1/4.  */
  char buf[64];
  sde_system_expr_drift_text (s, 1, buf, sizeof buf);
  ck_assert_str_eq (buf, "x0 - x1 + 0.25");
  last_reason[0] = '\0';
  sde_system_expr *r = sde_system_expr_alloc_text (s->spec);
  ck_assert_msg (r != NULL, "%s", last_reason);
  ck_assert_str_eq (r->spec, s->spec);
  ck_assert_uint_eq (r->sys.noise, s->sys.noise);
  const double x[2] = { 0.3, 0.9 };
  double a[2], b[4], ar[2], br[4];
  eval_point (&s->sys, 0.5, x, a, b, NULL);
  eval_point (&r->sys, 0.5, x, ar, br, NULL);
  ck_assert_mem_eq (a, ar, sizeof a);
  ck_assert_mem_eq (b, br, sizeof b);
  sde_system_expr_free (r);
  sde_system_expr_free (s);
  ck_assert_ptr_null (
      sde_system_expr_alloc_text ("sde:drift=x0,diffusion=1,x0=1,drift=2"));
  ck_assert_str_eq (last_reason, "sde: drift given twice");
}
END_TEST

static Suite *
system_expr_suite (void)
{
  Suite *s = suite_create ("system_expr");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_system_expr_gbm_coefficients);
  tcase_add_test (tc, test_system_expr_jacobian_matches_finite_differences);
  tcase_add_test (tc, test_system_expr_stratonovich_gbm_drift);
  tcase_add_test (tc, test_system_expr_noise_structure_detected);
  tcase_add_test (tc, test_system_expr_noncommutative_refused_by_milstein);
  tcase_add_test (tc, test_system_expr_exact_solutions_checked);
  tcase_add_test (tc, test_system_expr_moments_checked);
  tcase_add_test (tc, test_system_expr_errors_name_the_field);
  tcase_add_test (tc, test_system_expr_spec_round_trip);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  gsl_set_error_handler (capture);
  return testutil_run (system_expr_suite ());
}
