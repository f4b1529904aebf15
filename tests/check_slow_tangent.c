/* check_slow_tangent.c: unit tests of the slow SDE's tangent form on a
   one-dimensional manifold (MATH.md 6.2): its coefficients against the
   circle's closed forms, Milstein's strong order 1 where Euler-Maruyama
   has 1/2, and the law against the density engine.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sdekit/density_slow.h"
#include "sdekit/manifold.h"
#include "sdekit/observable.h"
#include "sdekit/stepper.h"
#include "slow_tangent.h"
#include "testutil.h"

static const double S1 = 1, S2 = 0.25;

typedef struct
{
  sde_problem *pb;
  sde_manifold *m;
  sde_system sys;
} fixture;

static fixture
setup (void)
{
  fixture f;
  f.pb = sde_problem_alloc ("circle:s=1,0.25", NULL);
  ck_assert_ptr_nonnull (f.pb);
  f.m = sde_manifold_alloc (f.pb, f.pb->x0, NULL);
  ck_assert_ptr_nonnull (f.m);
  ck_assert_int_eq (sde_slow_system (&f.sys, sde_slow_tangent, f.m), 0);
  return f;
}

static void
teardown (fixture *f)
{
  sde_manifold_free (f->m);
  sde_problem_free (f->pb);
}

/* On the unit circle with Sigma = diag(s1, s2) (MATH.md 6.1.3): b^2 =
   s1 sin^2 + s2 cos^2, db/dtheta = (s1 - s2) sin cos / b, dt/ds = -n.  */
START_TEST (test_slow_tangent_coef_circle)
{
  fixture f = setup ();
  for (double th = -3; th < 3.2; th += 0.37)
    {
      double z[2] = { cos (th), sin (th) }, t[2], b, db, dt[2];
      ck_assert_int_eq (sde__slow_tangent_coef (f.m, z, t, &b, &db, dt), 0);
      const double o = -t[0] * sin (th) + t[1] * cos (th); /* +-1 */
      ck_assert_close (fabs (o), 1, 1e-12);
      const double s = sin (th), c = cos (th);
      const double b0 = sqrt (S1 * s * s + S2 * c * c);
      ck_assert_close (b, b0, 1e-12);
      ck_assert_close (o * db, (S1 - S2) * s * c / b0, 1e-9);
      ck_assert_close (dt[0], -c, 1e-9);
      ck_assert_close (dt[1], -s, 1e-9);
    }
  /* A two-dimensional manifold has no tangent form.  */
  sde_problem *pb = sde_problem_alloc ("circle:d=3", NULL);
  sde_manifold *m = sde_manifold_alloc (pb, pb->x0, NULL);
  sde_system sys;
  ck_assert_int_eq (sde_slow_system (&sys, sde_slow_tangent, m), GSL_EINVAL);
  sde_manifold_free (m);
  sde_problem_free (pb);
  teardown (&f);
}
END_TEST

/* One path's step with scalar increment DB: dW = u DB, u = S^T t / |S^T
   t| with t counter-clockwise, so u . dW = DB on every level.  */
static void
step (fixture *f, sde_stepper *s, double h, double *z, double DB)
{
  double P[4];
  ck_assert_int_eq (sde_manifold_geometry (f->m, z, P, NULL, NULL), 0);
  const int j = P[0] >= P[3] ? 0 : 1;
  double t[2] = { P[j], P[2 + j] }, n = hypot (t[0], t[1]);
  double o = -t[0] * z[1] + t[1] * z[0] > 0 ? 1 : -1;
  t[0] *= o / n, t[1] *= o / n;
  double q[2] = { sqrt (S1) * t[0], sqrt (S2) * t[1] }, b = hypot (q[0], q[1]);
  double dw[2] = { q[0] / b * DB, q[1] / b * DB };
  ck_assert_int_eq (sde_stepper_apply (s, 0, h, 1, z, dw, NULL), 0);
  ck_assert_int_eq (sde_manifold_project (f->m, 1, z, 0, NULL), 0);
}

enum
{
  NL = 5,
  FINE = 512
};

/* Strong errors E|zeta_h(T) - zeta_fine(T)| of scheme T at h = T/2^l, l
   = 2..6, against h = T/512 on the same scalar Brownian path; the fitted
   order and its SE (least squares in log-log, each point weighted by its
   relative SE).  */
static void
strong_order (fixture *f, const sde_stepper_type *T, size_t N, double *p,
              double *se)
{
  sde_stepper *s = sde_stepper_alloc (T, &f->sys, 1);
  ck_assert_ptr_nonnull (s);
  gsl_rng *rng = gsl_rng_alloc (gsl_rng_mt19937);
  gsl_rng_set (rng, 20261202);
  const double Tend = 0.5;
  double sum[NL] = { 0 }, sum2[NL] = { 0 }, dB[FINE];
  for (size_t k = 0; k < N; k++)
    {
      for (int i = 0; i < FINE; i++)
        dB[i] = gsl_ran_gaussian (rng, sqrt (Tend / FINE));
      double zf[2] = { 1, 0 };
      for (int i = 0; i < FINE; i++)
        step (f, s, Tend / FINE, zf, dB[i]);
      for (int l = 0; l < NL; l++)
        {
          const int n = 4 << l, r = FINE / n;
          double z[2] = { 1, 0 };
          for (int i = 0; i < n; i++)
            {
              double D = 0;
              for (int c = 0; c < r; c++)
                D += dB[i * r + c];
              step (f, s, Tend / n, z, D);
            }
          const double e = hypot (z[0] - zf[0], z[1] - zf[1]);
          sum[l] += e, sum2[l] += e * e;
        }
    }
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int l = 0; l < NL; l++)
    {
      const double m = sum[l] / N;
      const double sd = sqrt ((sum2[l] / N - m * m) / (N - 1));
      const double x = log (0.5 / (4 << l)), y = log (m);
      const double w = 1 / ((sd / m) * (sd / m));
      sw += w, sx += w * x, sy += w * y, sxx += w * x * x, sxy += w * x * y;
      if (getenv ("SDEKIT_VERBOSE"))
        printf ("%s h=2^-%d e=%.4g se=%.2g\n", T->name, l + 3, m, sd);
    }
  const double det = sw * sxx - sx * sx;
  *p = (sw * sxy - sx * sy) / det;
  *se = sqrt (sw / det);
  gsl_rng_free (rng);
  sde_stepper_free (s);
}

/* A noise factor that depends on the state (the circle as an expression
   with S(x) = diag(1 + x1^2, 1/2)): b^2 = S11^2 sin^2 + S22^2 cos^2 with
   S11 = 1 + sin^2 theta, and its derivative along the curve, where S
   changes too (S11' = 2 sin cos), against the closed forms.  */
START_TEST (test_slow_tangent_coef_state_factor)
{
  sde_problem_expr_spec spec
      = { "(x0^2+x1^2-1)^2/2", NULL, "diag(1+x1^2, 0.5)", "1,0" };
  sde_problem *pb = sde_problem_alloc_expr_spec (&spec);
  ck_assert_ptr_nonnull (pb);
  sde_manifold *m = sde_manifold_alloc (pb, pb->x0, NULL);
  ck_assert_ptr_nonnull (m);
  for (double th = -3; th < 3.2; th += 0.41)
    {
      double z[2] = { cos (th), sin (th) }, t[2], b, db, dt[2];
      ck_assert_int_eq (sde__slow_tangent_coef (m, z, t, &b, &db, dt), 0);
      const double o = -t[0] * sin (th) + t[1] * cos (th); /* +-1 */
      const double s = sin (th), c = cos (th), a = 1 + s * s;
      const double b0 = sqrt (a * a * s * s + 0.25 * c * c);
      const double db2
          = 2 * a * (2 * s * c) * s * s + 2 * s * c * (a * a - 0.25);
      ck_assert_close (b, b0, 1e-12);
      ck_assert_close (o * db, db2 / (2 * b0), 1e-8);
    }
  sde_manifold_free (m);
  sde_problem_free (pb);
}
END_TEST

/* The anisotropic circle's tangent noise b(theta) is state-dependent, so
   Euler-Maruyama's strong order is 1/2 and Milstein's 1 (with isotropic
   noise b is constant and the two coincide).  The fits allow 3 SE plus
   0.1 of pre-asymptotic slope, and Milstein must beat EM by more than 3
   combined SEs.  */
START_TEST (test_slow_tangent_strong_order)
{
  fixture f = setup ();
  double pm, sm, pe, see;
  strong_order (&f, sde_stepper_milstein, 400, &pm, &sm);
  strong_order (&f, sde_stepper_em, 400, &pe, &see);
  if (getenv ("SDEKIT_VERBOSE"))
    printf ("strong order: milstein %.3f (SE %.3f), em %.3f (SE %.3f)\n", pm,
            sm, pe, see);
  ck_assert_double_le (fabs (pm - 1), 3 * sm + 0.1);
  ck_assert_double_le (fabs (pe - 0.5), 3 * see + 0.1);
  ck_assert_double_gt (pm - pe, 3 * hypot (sm, see));
  teardown (&f);
}
END_TEST

/* The law: Milstein's E x0 at t = 0.5 from (1, 0) at h = 2^-4 and 2^-5
   on one Brownian path, Richardson-extrapolated (weak order 1), against
   the density engine within 3 SE.  */
START_TEST (test_slow_tangent_weak_density)
{
  fixture f = setup ();
  sde_slow_density *sd = sde_slow_density_alloc (f.m, f.pb->x0, NULL);
  ck_assert_ptr_nonnull (sd);
  sde_observable obs;
  ck_assert_int_eq (sde_observable_parse ("x0", 2, f.pb, &obs, 1), 1);
  const double tq = 0.5;
  double want, err;
  ck_assert_int_eq (sde_slow_density_expect (sd, &tq, 1, &obs, 1, &want, &err),
                    0);
  sde_stepper *s = sde_stepper_alloc (sde_stepper_milstein, &f.sys, 1);
  gsl_rng *rng = gsl_rng_alloc (gsl_rng_mt19937);
  gsl_rng_set (rng, 7);
  const size_t N = 4000;
  double sum = 0, sum2 = 0, dB[32];
  for (size_t k = 0; k < N; k++)
    {
      double zc[2] = { 1, 0 }, zf[2] = { 1, 0 };
      for (int i = 0; i < 32; i++)
        dB[i] = gsl_ran_gaussian (rng, sqrt (tq / 32));
      for (int i = 0; i < 32; i++)
        step (&f, s, tq / 32, zf, dB[i]);
      for (int i = 0; i < 16; i++)
        step (&f, s, tq / 16, zc, dB[2 * i] + dB[2 * i + 1]);
      const double r = 2 * zf[0] - zc[0];
      sum += r, sum2 += r * r;
    }
  const double m = sum / N, se = sqrt ((sum2 / N - m * m) / (N - 1));
  if (getenv ("SDEKIT_VERBOSE"))
    printf ("weak: milstein %.5f (SE %.2g), density %.8f\n", m, se, want);
  ck_assert_within_se (m, want, se, 3);
  gsl_rng_free (rng);
  sde_stepper_free (s);
  sde_slow_density_free (sd);
  teardown (&f);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("slow_tangent");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_slow_tangent_coef_circle);
  tcase_add_test (tc, test_slow_tangent_coef_state_factor);
  tcase_add_test (tc, test_slow_tangent_strong_order);
  tcase_add_test (tc, test_slow_tangent_weak_density);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (suite ());
}
