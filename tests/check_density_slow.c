/* check_density_slow.c: unit tests of the slow-SDE density engine against
   the closed forms of doc/MATH.md section 6.1 and against Monte Carlo.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdekit/density_slow.h"
#include "sdekit/ensemble.h"
#include "testutil.h"

typedef struct
{
  sde_problem *pb;
  sde_manifold *m;
  sde_slow_density *d;
} fixture;

static fixture
setup (const char *spec, double sigma, const sde_slow_density_opts *o)
{
  fixture f;
  f.pb = sde_problem_alloc (spec, NULL);
  ck_assert_ptr_nonnull (f.pb);
  sde_manifold_opts mo;
  sde_manifold_defaults (&mo);
  mo.sigma = sigma;
  f.m = sde_manifold_alloc (f.pb, f.pb->x0, &mo);
  ck_assert_ptr_nonnull (f.m);
  f.d = sde_slow_density_alloc (f.m, f.pb->x0, o);
  return f;
}

static void
teardown (fixture *f)
{
  sde_slow_density_free (f->d);
  sde_manifold_free (f->m);
  sde_problem_free (f->pb);
}

/* Brownian motion on the circle (isotropic Sigma = sigma^2 s I): E
   cos(theta_t - theta_0) = exp(-sigma^2 s t / 2), from any start.  */
START_TEST (test_density_slow_circle_isotropic)
{
  const double th0 = 0.7, s = 0.8, sigma = 1.5;
  fixture f = setup ("circle:s=0.8,x0=0.76484218728448842,0.64421768723769102",
                     sigma, NULL);
  ck_assert_ptr_nonnull (f.d);
  sde_observable obs[2];
  ck_assert_int_eq (sde_observable_parse ("x0,x1", 2, f.pb, obs, 2), 2);
  const double t[] = { 0, 0.1, 0.5, 1, 3 };
  double v[10], e[10];
  ck_assert_int_eq (sde_slow_density_expect (f.d, t, 5, obs, 2, v, e), 0);
  for (int k = 0; k < 5; k++)
    {
      double c = v[2 * k] * cos (th0) + v[2 * k + 1] * sin (th0);
      ck_assert_close (c, exp (-sigma * sigma * s * t[k] / 2), 1e-12);
      ck_assert_double_le (e[2 * k], 1e-9);
    }
  sde_slow_density_grid g;
  sde_slow_density_info (f.d, &g);
  ck_assert (g.closed && !g.deterministic);
  ck_assert_close (g.length, 2 * M_PI, 1e-12);
  ck_assert_double_le (g.err, 1e-9);
  ck_assert_uint_gt (g.n, g.ncheck);
  FILE *null = fopen ("/dev/null", "w");
  ck_assert_int_gt (sde_slow_density_fprintf (null, f.d), 40);
  fclose (null);
  teardown (&f);
}
END_TEST

/* The same with Phi by the gradient flow: the trace must not depend on
   the closed form.  */
START_TEST (test_density_slow_circle_flow_phi)
{
  sde_problem *pb = sde_problem_alloc ("circle:s=1", NULL);
  sde_manifold_opts mo;
  sde_manifold_defaults (&mo);
  mo.flow = 1;
  sde_manifold *m = sde_manifold_alloc (pb, pb->x0, &mo);
  sde_slow_density *d = sde_slow_density_alloc (m, pb->x0, NULL);
  ck_assert_ptr_nonnull (d);
  sde_observable obs;
  sde_observable_parse ("x0", 2, pb, &obs, 1);
  const double t = 1;
  double v, e;
  ck_assert_int_eq (sde_slow_density_expect (d, &t, 1, &obs, 1, &v, &e), 0);
  ck_assert_close (v, exp (-0.5), 1e-10);
  sde_slow_density_grid g;
  sde_slow_density_info (d, &g);
  ck_assert_close (g.length, 2 * M_PI, 1e-10);
  sde_slow_density_free (d);
  sde_manifold_free (m);
  sde_problem_free (pb);
}
END_TEST

/* Anisotropic Sigma = diag(s1, s2) on the circle: with the Sigma_diamond
   drift a = (s1 - s2)/2 sin 2 theta = (b^2)'/2 the generator is
   (1/2)(b^2 u')' and the stationary law is uniform, E cos^2 = 1/2; without
   it, p ~ 1/b^2 and E cos^2 = sqrt(s1) / (sqrt(s1) + sqrt(s2)) = 2/3.  */
START_TEST (test_density_slow_circle_anisotropic_stationary)
{
  sde_observable obs[3];
  const double t[] = { 100, 150 };
  double v[6], e[6];
  for (int drop = 0; drop < 2; drop++)
    {
      sde_slow_density_opts o;
      sde_slow_density_defaults (&o);
      o.drop_drift = drop;
      fixture f = setup ("circle:s=1,0.25,x0=0.6,0.8", 1.3, &o);
      ck_assert_ptr_nonnull (f.d);
      sde_observable_parse ("x0x0,x0,x0x1", 2, f.pb, obs, 3);
      ck_assert_int_eq (sde_slow_density_expect (f.d, t, 2, obs, 3, v, e), 0);
      const double want = drop ? 2.0 / 3 : 0.5;
      for (int k = 0; k < 2; k++)
        {
          ck_assert_close (v[3 * k], want, 1e-10);
          ck_assert_close (v[3 * k + 1], 0, 1e-10);
          ck_assert_close (v[3 * k + 2], 0, 1e-10);
          ck_assert_double_le (e[3 * k], 1e-9);
        }
      teardown (&f);
    }
}
END_TEST

/* The coefficients on the anisotropic circle, theta = s from (1, 0):
   a = sigma^2 (s1 - s2)/2 sin 2s, b^2 = sigma^2 (s1 sin^2 s + s2 cos^2 s),
   gamma = (cos s, sin s), for s of either sign and past one turn.  */
START_TEST (test_density_slow_curve_circle)
{
  const double s1 = 1, s2 = 0.25, sg2 = 1.69;
  fixture f = setup ("circle:s=1,0.25", 1.3, NULL);
  ck_assert_ptr_nonnull (f.d);
  const double s[] = { 0.3, 2.5, -1.2, -4, 7, 0 };
  double gam[12], a[6], b2[6];
  ck_assert_int_eq (sde_slow_density_curve (f.d, 6, s, gam, a, b2), 0);
  for (int k = 0; k < 6; k++)
    {
      ck_assert_close (gam[2 * k], cos (s[k]), 1e-11);
      ck_assert_close (gam[2 * k + 1], sin (s[k]), 1e-11);
      ck_assert_close (a[k], sg2 * (s1 - s2) / 2 * sin (2 * s[k]), 1e-10);
      double sn = sin (s[k]), cs = cos (s[k]);
      ck_assert_close (b2[k], sg2 * (s1 * sn * sn + s2 * cs * cs), 1e-10);
    }
  teardown (&f);
}
END_TEST

/* Label noise on the flat valley: no tangent noise, zeta' = -(sigma^2
   delta^2 / 2) zeta (MATH.md 6 with the noise scale sigma).  */
START_TEST (test_density_slow_labelvalley_decay)
{
  for (int k = 0; k < 2; k++)
    {
      const double sigma = k ? 2 : 1, d2 = 0.25, z0 = 1.5;
      fixture f = setup ("labelvalley:delta=0.5,x0=1.5,0", sigma, NULL);
      ck_assert_ptr_nonnull (f.d);
      sde_observable obs[2];
      sde_observable_parse ("x0,x0x0", 2, f.pb, obs, 2);
      const double t[] = { 0.5, 1, 4 };
      double v[6], e[6];
      ck_assert_int_eq (sde_slow_density_expect (f.d, t, 3, obs, 2, v, e), 0);
      for (int j = 0; j < 3; j++)
        {
          double z = z0 * exp (-sigma * sigma * d2 * t[j] / 2);
          ck_assert_close (v[2 * j], z, 1e-11);
          ck_assert_close (v[2 * j + 1], z * z, 1e-11);
          ck_assert_double_le (e[2 * j], 1e-10);
        }
      sde_slow_density_grid g;
      sde_slow_density_info (f.d, &g);
      ck_assert (g.deterministic && g.n == 0);
      teardown (&f);
    }
}
END_TEST

/* Flat valley with Sigma = diag(1, 2), sigma = 1: a = -s/(1 + s^2), b = 1.
   Its scale function S = s + s^3/3 (A S = 0) and G = 2 S arctan s - s^2/3
   - (2/3) ln(1 + s^2) (A G = 1) give E S(zeta_t) = S(zeta_0) and E
   G(zeta_t) = G(zeta_0) + t exactly, on an open curve.  */
static int
scale_fn (size_t P, const double *x, double *out, double *work, void *params)
{
  (void)work, (void)params;
  for (size_t p = 0; p < P; p++)
    out[p] = x[p] + x[p] * x[p] * x[p] / 3;
  return 0;
}

static double
gfun (double s)
{
  return 2 * (s + s * s * s / 3) * atan (s) - s * s / 3
         - 2.0 / 3 * log (1 + s * s);
}

static int
clock_fn (size_t P, const double *x, double *out, double *work, void *params)
{
  (void)work, (void)params;
  for (size_t p = 0; p < P; p++)
    out[p] = gfun (x[p]);
  return 0;
}

START_TEST (test_density_slow_valley_martingales)
{
  fixture f = setup ("valley:s=1,2,x0=0.5,0", 1, NULL);
  ck_assert_ptr_nonnull (f.d);
  sde_observable obs[2];
  memset (obs, 0, sizeof obs);
  sde_observable_set_fn (&obs[0], "S", scale_fn, NULL, 0);
  sde_observable_set_fn (&obs[1], "G", clock_fn, NULL, 0);
  const double t[] = { 0.25, 0.5, 1 }, z0 = 0.5;
  double v[6], e[6];
  ck_assert_int_eq (sde_slow_density_expect (f.d, t, 3, obs, 2, v, e), 0);
  for (int k = 0; k < 3; k++)
    {
      ck_assert_close (v[2 * k], z0 + z0 * z0 * z0 / 3, 1e-9);
      ck_assert_close (v[2 * k + 1], gfun (z0) + t[k], 1e-9);
      ck_assert_double_le (e[2 * k], 1e-9);
      ck_assert_double_le (e[2 * k + 1], 1e-9);
    }
  sde_slow_density_grid g;
  sde_slow_density_info (f.d, &g);
  ck_assert (!g.closed && !g.deterministic);
  ck_assert_double_le (g.leak, 1e-13);
  ck_assert (g.half > 3 && g.hi > g.half && g.lo < -g.half);
  /* The drift and noise along the line y = 0.  */
  const double s[] = { -2, 0.5, 3 };
  double gam[6], a[3], b2[3];
  ck_assert_int_eq (sde_slow_density_curve (f.d, 3, s, gam, a, b2), 0);
  for (int k = 0; k < 3; k++)
    {
      double x = z0 + s[k];
      ck_assert_close (gam[2 * k], x, 1e-12);
      ck_assert_close (gam[2 * k + 1], 0, 1e-12);
      ck_assert_close (a[k], -x / (1 + x * x), 1e-10);
      ck_assert_close (b2[k], 1, 1e-12);
    }
  teardown (&f);
}
END_TEST

/* Against Monte Carlo: projected Euler (sde_slow_system) on the
   anisotropic circle at steps h and h/2 on one Brownian path, extrapolated
   to h = 0 (weak order 1), within 4 SE of the sum of both SEs.  */
START_TEST (test_density_slow_against_monte_carlo)
{
  fixture f = setup ("circle:s=1,0.25", 1, NULL);
  ck_assert_ptr_nonnull (f.d);
  sde_observable obs[2];
  sde_observable_parse ("x0,x0x0", 2, f.pb, obs, 2);
  const double h = 1.0 / 64, t[] = { 0.5, 1 };
  size_t check[] = { 32, 64 };
  double v[4], e[4];
  ck_assert_int_eq (sde_slow_density_expect (f.d, t, 2, obs, 2, v, e), 0);
  sde_system sys;
  ck_assert_int_eq (sde_slow_system (&sys, sde_slow_projected, f.m), 0);
  sde_process proc[2];
  for (int k = 0; k < 2; k++)
    proc[k] = (sde_process){ .kind = SDE_PROCESS_SDE,
                             .label = k ? "h/2" : "h",
                             .sys = &sys,
                             .scheme = sde_stepper_em,
                             .substeps = (size_t)1 << k,
                             .x0 = f.pb->x0,
                             .dim = 2,
                             .manifold = f.m };
  sde_rng *rng = sde_rng_alloc (NULL, 77);
  sde_ensemble en = { .eta = h,
                      .nsteps = 64,
                      .check = check,
                      .ncheck = 2,
                      .obs = obs,
                      .nobs = 2,
                      .proc = proc,
                      .nproc = 2,
                      .ref = 0,
                      .coupled = 1,
                      .rng = rng,
                      .stream0 = 0,
                      .bound = 1e6,
                      .chunk = 256,
                      .threads = 0 };
  sde_ensemble_sums *S = sde_ensemble_sums_alloc (&en);
  ck_assert_int_eq (sde_ensemble_run (&en, 0, 1 << 17, S), 0);
  for (size_t c = 0; c < 2; c++)
    for (size_t o = 0; o < 2; o++)
      {
        sde_stat fine = sde_ensemble_value (S, 1, o, c);
        sde_stat step = sde_ensemble_diff (S, 1, o, c);
        double rich = fine.mean + step.mean, se = fine.se + step.se;
        ck_assert_within_se (rich, v[c * 2 + o], se, 4);
        ck_assert_double_lt (se, 2e-3);
      }
  sde_ensemble_sums_free (S);
  sde_rng_free (rng);
  teardown (&f);
}
END_TEST

/* Refusals: a two-dimensional manifold; an open curve whose arc may be
   left with probability above the leak allowed within lmax; a grid that
   cannot reach tol; bad times.  */
START_TEST (test_density_slow_refusals)
{
  char why[160];
  sde_problem *sph = sde_problem_alloc ("circle:d=3,x0=1,0,0", NULL);
  sde_manifold *m = sde_manifold_alloc (sph, sph->x0, NULL);
  ck_assert_int_eq (sde_slow_density_applies (m, why, sizeof why), 0);
  ck_assert (strstr (why, "dimension 2") != NULL);
  ck_assert_ptr_null (sde_slow_density_alloc (m, sph->x0, NULL));
  sde_manifold_free (m);
  sde_problem_free (sph);

  sde_slow_density_opts o;
  sde_slow_density_defaults (&o);
  o.lmax = 12;
  fixture f = setup ("valley", 1, &o);
  ck_assert_ptr_nonnull (f.d);
  ck_assert_int_ne (sde_slow_density_applies (f.m, why, sizeof why), 0);
  sde_observable obs;
  sde_observable_parse ("x0", 2, f.pb, &obs, 1);
  double t = 4, v, e;
  ck_assert_int_eq (sde_slow_density_expect (f.d, &t, 1, &obs, 1, &v, &e),
                    GSL_ETOL);
  t = 0.25; /* a short horizon stays well inside */
  ck_assert_int_eq (sde_slow_density_expect (f.d, &t, 1, &obs, 1, &v, &e), 0);
  const double bad[] = { 1, 0.5 };
  double v2[2];
  ck_assert_int_eq (sde_slow_density_expect (f.d, bad, 2, &obs, 1, v2, NULL),
                    GSL_EINVAL);
  teardown (&f);

  sde_slow_density_defaults (&o);
  o.nmax = 46; /* the anisotropic circle needs about 90 points */
  f = setup ("circle:s=1,0.25", 1, &o);
  sde_observable_parse ("x0x0", 2, f.pb, &obs, 1);
  t = 1;
  ck_assert_int_eq (sde_slow_density_expect (f.d, &t, 1, &obs, 1, &v, &e),
                    GSL_ETOL);
  teardown (&f);
  o.nmax = 8; /* below n0 */
  sde_problem *pb = sde_problem_alloc ("circle", NULL);
  m = sde_manifold_alloc (pb, pb->x0, NULL);
  ck_assert_ptr_null (sde_slow_density_alloc (m, pb->x0, &o));
  sde_slow_density_free (NULL);
  sde_manifold_free (m);
  sde_problem_free (pb);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("density_slow");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_density_slow_circle_isotropic);
  tcase_add_test (tc, test_density_slow_circle_flow_phi);
  tcase_add_test (tc, test_density_slow_circle_anisotropic_stationary);
  tcase_add_test (tc, test_density_slow_curve_circle);
  tcase_add_test (tc, test_density_slow_labelvalley_decay);
  tcase_add_test (tc, test_density_slow_valley_martingales);
  tcase_add_test (tc, test_density_slow_against_monte_carlo);
  tcase_add_test (tc, test_density_slow_refusals);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (suite ());
}
