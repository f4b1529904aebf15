/* check_manifold.c: unit tests of Phi, the manifold geometry and the two
   slow-SDE integrators against the closed forms of MATH.md section 6.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "manifold_internal.h"
#include "sdekit/ensemble.h"
#include "sdekit/manifold.h"
#include "testutil.h"

static sde_manifold *
manifold (const sde_problem *pb, int flow)
{
  sde_manifold_opts o;
  sde_manifold_defaults (&o);
  o.flow = flow;
  sde_manifold *m = sde_manifold_alloc (pb, pb->x0, &o);
  ck_assert_ptr_nonnull (m);
  return m;
}

/* The gradient flow (GSL's BDF) reproduces the closed forms of Phi.  */
START_TEST (test_manifold_flow_matches_closed_form)
{
  /* The sparse points have c_j = u_j^2 - v_j^2 of both signs and
     u_j v_j of both signs (w* = (1, 0, 0) there).  */
  const char *specs[] = { "circle", "circle:d=3", "valley",
                          "sparse:m=3,n=6,k=1,x0=1.5,1,0.8,0.8,0.2,0.3",
                          "sparse:m=3,n=6,k=1,x0=-0.5,1,-0.3,-1.5,0.2,0.9" };
  const double pts[][6] = { { 1.3, 0.4 },
                            { -0.2, 0.9, 0.5 },
                            { 0.7, 0.5 },
                            { 1.5, 1, 0.8, 0.8, 0.2, 0.3 },
                            { -0.5, 1.2, -0.3, -1.5, 0.2, 0.9 } };
  for (int k = 0; k < 5; k++)
    {
      sde_problem *pb = sde_problem_alloc (specs[k], NULL);
      ck_assert_ptr_nonnull (pb);
      ck_assert_ptr_nonnull (pb->phi);
      sde_manifold *mf = manifold (pb, 1), *mc = manifold (pb, 0);
      double a[6], b[6];
      size_t sf = 0, sc = 7;
      ck_assert_int_eq (sde_manifold_phi (mf, pts[k], a, &sf), 0);
      ck_assert_int_eq (sde_manifold_phi (mc, pts[k], b, &sc), 0);
      ck_assert_uint_gt (sf, 0);
      ck_assert_uint_eq (sc, 0);
      for (size_t i = 0; i < pb->dim; i++)
        ck_assert_close (a[i], b[i], 1e-8); /* flow at relative 1e-10 */
      const size_t dims[] = { 1, 2, 1, 3, 3 };
      ck_assert_uint_eq (sde_manifold_dim (mf), dims[k]);
      sde_manifold_free (mf);
      sde_manifold_free (mc);
      sde_problem_free (pb);
    }
}
END_TEST

/* Circle, Sigma = s I: P = t t^T, H+ = z z^T / 4 and the drift of
   Brownian motion on the circle, -(s/2) z; with the analytic third
   derivative and with the finite difference of <hess L, S>.  */
START_TEST (test_manifold_circle_geometry)
{
  sde_problem *pb = sde_problem_alloc ("circle:s=0.5", NULL);
  ck_assert_ptr_nonnull (pb);
  sde_problem fd = *pb;
  fd.third = NULL;
  for (int k = 0; k < 2; k++)
    {
      sde_manifold *m = manifold (k ? &fd : pb, 0);
      const double th = 0.3, z[2] = { cos (th), sin (th) },
                   t[2] = { -sin (th), cos (th) };
      double P[4], Hp[4], dr[2];
      ck_assert_int_eq (sde_manifold_geometry (m, z, P, Hp, dr), 0);
      for (int i = 0; i < 2; i++)
        {
          for (int j = 0; j < 2; j++)
            {
              ck_assert_close (P[i * 2 + j], t[i] * t[j], 1e-12);
              ck_assert_close (Hp[i * 2 + j], z[i] * z[j] / 4, 1e-12);
            }
          ck_assert_close (dr[i], -0.25 * z[i], k ? 1e-7 : 1e-12);
        }
      sde_manifold_free (m);
    }
  sde_problem_free (pb);
}
END_TEST

/* Flat valley, Sigma = diag(s_x, s_y): the drift is
   (-(s_y/4) a'/a, 0) with a = 1 + x^2 (MATH.md 6).  */
START_TEST (test_manifold_valley_drift)
{
  sde_problem *pb = sde_problem_alloc ("valley:s=0.7,0.3", NULL);
  ck_assert_ptr_nonnull (pb);
  sde_manifold *m = manifold (pb, 0);
  const double xs[] = { -1.5, 0.2, 0.7, 2.0 };
  for (int k = 0; k < 4; k++)
    {
      double z[2] = { xs[k], 0 }, dr[2], x = xs[k];
      ck_assert_int_eq (sde_manifold_geometry (m, z, NULL, NULL, dr), 0);
      ck_assert_close (dr[0], -(0.3 / 4) * 2 * x / (1 + x * x), 1e-12);
      ck_assert_close (dr[1], 0, 1e-12);
    }
  sde_manifold_free (m);
  sde_problem_free (pb);
}
END_TEST

/* The two integrators check each other: the explicit drift equals
   (1/2) d^2 Phi [Sigma], measured by second differences of Phi along the
   noise columns, sum_c (Phi(z + e c) + Phi(z - e c) - 2 z) / (2 e^2).  With
   anisotropic noise on the circle the mixed-block (Sigma_diamond) term is
   what makes the tangent part nonzero.  */
START_TEST (test_manifold_drift_is_second_derivative_of_phi)
{
  const char *specs[]
      = { "circle:s=1,0.25", "valley:s=0.7,0.3", "circle:d=3,s=1,0.5,0.2" };
  const double pts[][3] = { { 0.8, 0.6, 0 }, { 0.7, 0, 0 }, { 0.6, 0, 0.8 } };
  for (int k = 0; k < 3; k++)
    {
      sde_problem *pb = sde_problem_alloc (specs[k], NULL);
      ck_assert_ptr_nonnull (pb);
      sde_manifold *m = manifold (pb, 0);
      const size_t d = pb->dim, r = pb->noise_dim;
      double dr[3], fd[3] = { 0, 0, 0 }, P[9];
      ck_assert_int_eq (sde_manifold_geometry (m, pts[k], P, NULL, dr), 0);
      const double e = 1e-3;
      for (size_t c = 0; c < r; c++)
        for (int sg = -1; sg <= 1; sg += 2)
          {
            double y[3], f[3];
            for (size_t i = 0; i < d; i++)
              y[i] = pts[k][i] + sg * e * pb->factor_const[i * r + c];
            ck_assert_int_eq (sde_manifold_phi (m, y, f, NULL), 0);
            for (size_t i = 0; i < d; i++)
              fd[i] += (f[i] - pts[k][i]) / (2 * e * e);
          }
      double tang = 0;
      for (size_t i = 0; i < d; i++)
        {
          ck_assert_close (dr[i], fd[i], 1e-5);
          for (size_t j = 0; j < d; j++)
            tang += fabs (P[i * d + j] * dr[j]);
        }
      if (k == 0)
        ck_assert_double_gt (tang, 0.05); /* the Sigma_diamond drift */
      sde_manifold_free (m);
      sde_problem_free (pb);
    }
}
END_TEST

/* ---- Monte Carlo against exact values of the discrete schemes ---- */

/* Isotropic circle: one step rotates by phi with E cos phi = c(h), so
   E cos(theta_n - theta_0) = c(h)^n exactly.  Projected Euler:
   phi = arg(1 + sqrt(sh) a, sqrt(sh) b) for a, b standard normals;
   explicit + Phi: phi = arg(1 - sh/2, sqrt(sh) b).  */
typedef struct
{
  double sh, a;
  int explicit_form;
} cpar;

static double
normal_pdf (double x)
{
  return exp (-0.5 * x * x) / sqrt (2 * M_PI);
}

static double
inner (double b, void *v)
{
  const cpar *p = v;
  double u = p->explicit_form ? 1 - p->sh / 2 : 1 + sqrt (p->sh) * p->a;
  double w = sqrt (p->sh) * b;
  return u / hypot (u, w) * normal_pdf (b);
}

static double
outer (double a, void *v)
{
  cpar p = *(const cpar *)v;
  p.a = a;
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc (200);
  gsl_function f = { inner, &p };
  double r, err;
  gsl_integration_qagi (&f, 1e-14, 1e-13, 200, ws, &r, &err);
  gsl_integration_workspace_free (ws);
  return r * normal_pdf (a);
}

static double
circle_c (double sh, int explicit_form)
{
  cpar p = { sh, 0, explicit_form };
  if (explicit_form)
    return outer (0, &p) / normal_pdf (0);
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc (200);
  gsl_function f = { outer, &p };
  double r, err;
  gsl_integration_qagi (&f, 1e-13, 1e-12, 200, ws, &r, &err);
  gsl_integration_workspace_free (ws);
  return r;
}

/* Runs the slow SDE of kind T on PB from x0 for n steps of h, N paths;
   returns the statistics of x_0 at the end.  */
static sde_stat
run_slow (const sde_problem *pb, const sde_slow_type *T, double h, size_t n,
          size_t N, int threads)
{
  sde_manifold *m = manifold (pb, 0);
  sde_system sys;
  ck_assert_int_eq (sde_slow_system (&sys, T, m), 0);
  sde_process proc = { .kind = SDE_PROCESS_SDE,
                       .label = T->name,
                       .sys = &sys,
                       .scheme = sde_stepper_em,
                       .substeps = 1,
                       .x0 = pb->x0,
                       .dim = pb->dim,
                       .manifold = m };
  sde_observable obs;
  ck_assert_int_eq (sde_observable_parse ("x0", pb->dim, pb, &obs, 1), 1);
  sde_rng *rng = sde_rng_alloc (NULL, 2024);
  size_t check = n;
  sde_ensemble e = { .eta = h,
                     .nsteps = n,
                     .check = &check,
                     .ncheck = 1,
                     .obs = &obs,
                     .nobs = 1,
                     .proc = &proc,
                     .nproc = 1,
                     .ref = -1,
                     .coupled = 1,
                     .rng = rng,
                     .stream0 = 0,
                     .bound = 1e6,
                     .chunk = 256,
                     .threads = threads };
  sde_ensemble_sums *S = sde_ensemble_sums_alloc (&e);
  ck_assert_int_eq (sde_ensemble_run (&e, 0, N, S), 0);
  sde_stat st = sde_ensemble_value (S, 0, 0, 0);
  uint64_t steps = 1;
  ck_assert_uint_eq (sde_ensemble_phi_calls (S, 0, &steps), N * n);
  ck_assert_uint_eq (steps, 0); /* the closed form */
  ck_assert_uint_eq (sde_ensemble_diverged (S, 0), 0);
  sde_ensemble_sums_free (S);
  sde_rng_free (rng);
  sde_manifold_free (m);
  return st;
}

START_TEST (test_slow_circle_exact_discrete)
{
  sde_problem *pb = sde_problem_alloc ("circle:s=0.8", NULL);
  ck_assert_ptr_nonnull (pb);
  const double s = 0.8, t = 1.0;
  for (int ex = 0; ex < 2; ex++)
    {
      const double h = 1.0 / 32;
      const size_t n = 32;
      const sde_slow_type *T = ex ? sde_slow_explicit : sde_slow_projected;
      sde_stat st = run_slow (pb, T, h, n, 20000, 2);
      double want = pow (circle_c (s * h, ex), (double)n);
      ck_assert_within_se (st.mean, want, st.se, 4);
      /* The discrete values converge to exp(-s t / 2) at order 1.  */
      double e1 = pow (circle_c (s * h, ex), n) - exp (-s * t / 2);
      double e2 = pow (circle_c (s * h / 2, ex), 2 * n) - exp (-s * t / 2);
      ck_assert_double_gt (fabs (e1 / e2), 1.8);
      ck_assert_double_lt (fabs (e1 / e2), 2.2);
    }
  sde_problem_free (pb);
}
END_TEST

/* Label noise on the flat valley: the slow SDE is the ODE zeta' =
   -(delta^2/2) zeta.  The explicit form is deterministic Euler,
   zeta_n = zeta_0 (1 - delta^2 h / 2)^n exactly; projected Euler is random
   and must agree with the ODE within its SE plus the explicit scheme's
   O(h) bias.  */
START_TEST (test_slow_labelvalley)
{
  sde_problem *pb = sde_problem_alloc ("labelvalley:delta=0.5,x0=1.5,0", NULL);
  ck_assert_ptr_nonnull (pb);
  const double d2 = 0.25, h = 1.0 / 64, z0 = 1.5;
  const size_t n = 64;
  sde_stat ex = run_slow (pb, sde_slow_explicit, h, n, 512, 1);
  double euler = z0 * pow (1 - d2 * h / 2, (double)n);
  ck_assert_close (ex.mean, euler, 1e-12);
  ck_assert_double_lt (ex.var, 1e-14); /* rounding in the shifted sums */
  double ode = z0 * exp (-d2 / 2);
  sde_stat pr = run_slow (pb, sde_slow_projected, h, n, 4096, 1);
  ck_assert_msg (fabs (pr.mean - ode) <= 4 * pr.se + 2 * fabs (euler - ode),
                 "projected %.8g, ODE %.8g (SE %.2g, Euler bias %.2g)", pr.mean,
                 ode, pr.se, euler - ode);
  sde_problem_free (pb);
}
END_TEST

/* A method observed at Phi(x): the observable sees points of the
   manifold (|Phi(x)|^2 = 1 on the circle), the state itself is not.  */
START_TEST (test_slow_method_observed_at_phi)
{
  sde_problem *pb = sde_problem_alloc ("circle:s=1,0.25", NULL);
  ck_assert_ptr_nonnull (pb);
  const double eta = 1.0 / 16;
  sde_optim opt;
  const char *spec = "sgd";
  ck_assert_int_eq (sde_optim_parse (&opt, &spec), 0);
  ck_assert_int_eq (sde_optim_set (&opt, eta), 0);
  sde_manifold *m = manifold (pb, 1);
  sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, 1.0, 0, 0, 0, 1 };
  sde_process proc[2];
  for (int i = 0; i < 2; i++)
    proc[i] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                             .label = "sgd",
                             .method = &opt,
                             .oracle = o,
                             .x0 = pb->x0,
                             .dim = 2,
                             .manifold = i ? m : NULL };
  sde_observable obs;
  ck_assert_int_eq (sde_observable_parse ("norm2", 2, pb, &obs, 1), 1);
  sde_rng *rng = sde_rng_alloc (NULL, 5);
  size_t check[2] = { 8, 16 };
  sde_ensemble e = { .eta = eta,
                     .nsteps = 16,
                     .check = check,
                     .ncheck = 2,
                     .obs = &obs,
                     .nobs = 1,
                     .proc = proc,
                     .nproc = 2,
                     .ref = 0,
                     .coupled = 1,
                     .rng = rng,
                     .stream0 = 0,
                     .bound = 1e6,
                     .chunk = 64,
                     .threads = 2 };
  sde_ensemble_sums *S = sde_ensemble_sums_alloc (&e);
  ck_assert_int_eq (sde_ensemble_run (&e, 0, 1000, S), 0);
  for (size_t c = 0; c < 2; c++)
    {
      sde_stat raw = sde_ensemble_value (S, 0, 0, c),
               on = sde_ensemble_value (S, 1, 0, c);
      ck_assert_close (on.mean, 1, 1e-9);
      ck_assert_double_lt (on.var, 1e-16);
      ck_assert_double_gt (raw.var, 1e-4); /* SGD itself is off the circle */
    }
  uint64_t steps = 0;
  ck_assert_uint_eq (sde_ensemble_phi_calls (S, 1, &steps), 2 * 1000);
  ck_assert_uint_gt (steps, 2 * 1000); /* the flow took steps */
  ck_assert_uint_eq (sde_ensemble_phi_calls (S, 0, NULL), 0);
  sde_ensemble_sums_free (S);
  sde_rng_free (rng);
  sde_manifold_free (m);
  sde_problem_free (pb);
}
END_TEST

/* Phi without the closed form: the block method (TOL > 0: its ptol and
   rtol; 0: the defaults), or GSL's BDF flow (TOL < 0).  */
static sde_manifold *
manifold_block (const sde_problem *pb, double tol)
{
  sde_manifold_opts o;
  sde_manifold_defaults (&o);
  o.flow = 1;
  o.bdf = tol < 0;
  if (tol > 0)
    o.ptol = o.rtol = tol;
  sde_manifold *m = sde_manifold_alloc (pb, pb->x0, &o);
  ck_assert_ptr_nonnull (m);
  return m;
}

/* The block method (Newton in the normal space with Phi's second-order
   term, the flow where needed) on the circle and the flat valley written
   as expressions, against their closed forms, point by point and over
   blocks of paths (300: two blocks), near and far from the manifold.  The
   valley's fibres are curved, so the second-order term and its error
   check matter there.  At ptol = rtol = 1e-10: within a few units of the
   manifold to 1e-10; far away to 1e-10 times the distance (rounding of the
   second-order term, far below the contract ptol |x - Gamma|^2).  */
START_TEST (test_phi_block_matches_closed_form)
{
  const char *loss[] = { "(x0^2+x1^2-1)^2/2", "(1+x0^2)*x1^2/2" };
  const char *spec[] = { "circle", "valley" };
  const double pts[][2]
      = { { 1.3, 0.4 }, { 1.0001, -0.0002 }, { -0.2, 0.05 }, { 5, -3 },
          { -40, 25 },  { 0.7, 0.5 },        { -2, 1.5 },    { 0.01, 3 } };
  for (int k = 0; k < 2; k++)
    {
      sde_problem *pe
          = sde_problem_alloc_expr (loss[k], 1, k ? "0.5,0" : "1,0");
      sde_problem *pc = sde_problem_alloc (spec[k], NULL);
      ck_assert_ptr_nonnull (pe);
      ck_assert_ptr_nonnull (pc);
      ck_assert_ptr_null (pe->phi);
      sde_manifold *m = manifold_block (pe, 1e-10), *mc = manifold (pc, 0);
      ck_assert_uint_eq (sde_manifold_dim (m), 1);
      enum
      {
        NB = 300
      };
      double *blk = malloc (sizeof (double) * 2 * NB);
      for (size_t p = 0; p < NB; p++)
        for (int i = 0; i < 2; i++)
          blk[i * NB + p] = pts[p % 8][i] * (1 + 0.01 * (double)(p / 8));
      for (size_t p = 0; p < NB; p++)
        {
          double x[2] = { blk[p], blk[NB + p] }, a[2], b[2];
          size_t sa = 0, sb = 7;
          ck_assert_int_eq (sde_manifold_phi (m, x, a, &sa), 0);
          ck_assert_int_eq (sde_manifold_phi (mc, x, b, &sb), 0);
          ck_assert_uint_gt (sa, 0);
          const double dist = hypot (x[0] - b[0], x[1] - b[1]);
          for (int i = 0; i < 2; i++)
            ck_assert_close (a[i], b[i], 1e-10 * fmax (1, dist));
        }
      double *want = malloc (sizeof (double) * 4 * NB), *x = want + 2 * NB;
      memcpy (want, blk, sizeof (double) * 2 * NB);
      memcpy (x, blk, sizeof (double) * 2 * NB);
      uint64_t steps = 0;
      ck_assert_int_eq (sde_manifold_project (m, NB, blk, 0, &steps), 0);
      ck_assert_int_eq (sde_manifold_project (mc, NB, want, 0, NULL), 0);
      ck_assert_uint_ge (steps, NB);
      for (size_t p = 0; p < NB; p++)
        {
          const double dist = hypot (x[p] - want[p], x[NB + p] - want[NB + p]);
          ck_assert_close (blk[p], want[p], 1e-10 * fmax (1, dist));
          ck_assert_close (blk[NB + p], want[NB + p], 1e-10 * fmax (1, dist));
        }
      free (want);
      free (blk);
      sde_manifold_free (m);
      sde_manifold_free (mc);
      sde_problem_free (pe);
      sde_problem_free (pc);
    }
}
END_TEST

/* The block method's defaults (manifold.c's phi_cfg) for a curve, every
   path checked by its own flow step.  */
static sde__phi_cfg
curve_cfg (void)
{
  return (sde__phi_cfg){ .k = 1,
                         .rank_tol = 1e-7,
                         .gtol = 1e-11,
                         .max_steps = 100000,
                         .rtol = 1e-6,
                         .ptol = 1e-7,
                         .patol = SDE_MANIFOLD_PATOL,
                         .theta = 1e-2,
                         .gabs = SDE_MANIFOLD_GABS,
                         .sample = 0 };
}

/* The block method on the n points x (x[i*n + p]) of the circle written
   as an expression: every path must come back OK and on x / |x| to TOL;
   the steps of each into steps.  */
static void
circle_block (size_t n, const double *x, double tol, size_t *steps)
{
  sde_problem *pe = sde_problem_alloc_expr ("(x0^2+x1^2-1)^2/2", 1, "1,0");
  ck_assert_ptr_nonnull (pe);
  double y[2 * 8];
  int out[8];
  ck_assert_uint_le (n, 8);
  const sde__phi_cfg c = curve_cfg ();
  sde__phi_ws *w = sde__phi_ws_alloc (pe, n);
  ck_assert_ptr_nonnull (w);
  ck_assert_int_eq (sde__phi_block (w, &c, n, x, y, out, steps), 0);
  for (size_t p = 0; p < n; p++)
    {
      const double r = hypot (x[p], x[n + p]);
      ck_assert_int_eq (out[p], SDE__PHI_OK);
      ck_assert_close (y[p], x[p] / r, tol);
      ck_assert_close (y[n + p], x[n + p] / r, tol);
    }
  sde__phi_ws_free (w);
  sde_problem_free (pe);
}

/* Far from the manifold (SGD with a large step can leave the basin's
   neighbourhood by orders of magnitude) the block method flows in rounds,
   each to a fraction of the offset its flow reached, with a first step fit
   for the curvature where it starts, and lands: every path comes back OK
   (not handed to the per-path BDF fallback, which is slower by orders of
   magnitude), and Phi on the circle as an expression is x / |x| to 1e-9
   (the default tolerance is looser than that only in its absolute
   terms).  */
START_TEST (test_phi_block_far_points)
{
  const double x[2 * 5]
      = { -200714, 3e3, -40, 1e6, 1.2, -18740.5, 1e3, 250, -2e6, 0.1 };
  size_t steps[5];
  circle_block (5, x, 1e-9, steps);
}
END_TEST

/* Inside the circle, Newton's first step along the radius overshoots
   (from r = 0.79 it lands at r = 1.13, where |grad L| is larger): halved,
   it converges, so A(x) needs no gradient flow first.  Counted in steps:
   Newton's iterations and the check's flow steps, against the flow to a
   hundredth of the offset that a failed Newton start costs.  */
START_TEST (test_phi_block_newton_overshoot)
{
  const double x[2 * 3] = { 0.79, 0.74, 0.78, -0.047, -0.045, 0.0385 };
  size_t steps[3];
  circle_block (3, x, 1e-12, steps);
  for (size_t p = 0; p < 3; p++)
    ck_assert_uint_le (steps[p], 20); /* 40 and more without halving */
}
END_TEST

/* Where no closed form exists: a circle in R^3 with a coupled normal
   direction (normal space of dimension 2, curved fibres), the sphere (a
   manifold of dimension 2), and a tilted ellipse.  The block method at
   tight tolerances (ptol = rtol = 1e-10) against GSL's BDF flow (relative 1e-10
   per step: agreement to 1e-8) and, on the first problem, against the flow
   integrated by classical RK4 with step 2e-5 to s = 80 (run once outside
   the library; its error is below 1e-12); at the default tolerances
   within the flow's rtol (1e-6) of the tight result.  */
START_TEST (test_phi_block_matches_bdf)
{
  const char *loss[]
      = { "(x0^2+x1^2-1)^2/2+(1+x0^2)*x2^2/2", "(x0^2+x1^2+x2^2-1)^2/4",
          "(x0^2+3*x1^2+x0*x1-1)^2/2" };
  const char *x0[] = { "1,0,0", "0,0,1", "1,0" };
  const size_t dim[] = { 1, 2, 1 };
  const double pts[][3]
      = { { -1.1, -0.1, 2.5 }, { 1.3, 0.4, 0.5 },  { -0.2, 0.9, -0.7 },
          { 3, -2, 1.5 },      { 0.6, 0.1, 0.05 }, { 1.05, 0.1, 0.08 } };
  const double rk4[2][3] = { { -0.74818995929391, -0.663484577673003, 0 },
                             { 0.704567508714729, -0.709636967513365, 0 } };
  for (int k = 0; k < 3; k++)
    {
      sde_problem *pb = sde_problem_alloc_expr (loss[k], 1, x0[k]);
      ck_assert_ptr_nonnull (pb);
      sde_manifold *m = manifold_block (pb, 1e-10),
                   *mb = manifold_block (pb, -1), *md = manifold_block (pb, 0);
      ck_assert_uint_eq (sde_manifold_dim (m), dim[k]);
      for (int j = 0; j < 6; j++)
        {
          double a[3], b[3], c[3], g[3], work[64];
          ck_assert_int_eq (sde_manifold_phi (m, pts[j], a, NULL), 0);
          ck_assert_int_eq (sde_manifold_phi (mb, pts[j], b, NULL), 0);
          ck_assert_int_eq (sde_manifold_phi (md, pts[j], c, NULL), 0);
          for (size_t i = 0; i < pb->dim; i++)
            {
              ck_assert_close (a[i], b[i], 1e-8);
              ck_assert_close (c[i], a[i], 1e-6);
              if (k == 0 && (j == 0 || j == 3))
                ck_assert_close (a[i], rk4[j / 3][i], 1e-11);
            }
          /* On the manifold: grad L = 0 to the tolerance.  */
          ck_assert_int_eq (pb->grad (pb, 1, a, g, work), 0);
          for (size_t i = 0; i < pb->dim; i++)
            ck_assert_close (g[i], 0, 1e-11);
        }
      sde_manifold_free (m);
      sde_manifold_free (mb);
      sde_manifold_free (md);
      sde_problem_free (pb);
    }
}
END_TEST

/* Sampled checks (MATH.md 6.0): a block of 256 points near curved
   fibres (the circle in R^3 with a coupled normal direction, the tilted
   ellipse), where A(x) has an error of order |x - Gamma|^3, projected at
   the default tolerances, against Phi path by path at tight ones (each
   point checked by its own flow step): the sample's coefficient must send
   the others through the check.  Offsets up to 0.1, so Phi's tolerance
   1e-7 |x - Gamma|^2 is at most 1e-9.  */
START_TEST (test_phi_block_sampled_checks)
{
  const char *loss[]
      = { "(x0^2+x1^2-1)^2/2+(1+x0^2)*x2^2/2", "(x0^2+3*x1^2+x0*x1-1)^2/2" };
  const char *x0[] = { "1,0,0", "1,0" };
  enum
  {
    NB = 256
  };
  for (int k = 0; k < 2; k++)
    {
      sde_problem *pb = sde_problem_alloc_expr (loss[k], 1, x0[k]);
      ck_assert_ptr_nonnull (pb);
      sde_manifold *mt = manifold_block (pb, 1e-10),
                   *md = manifold_block (pb, 0);
      const size_t d = pb->dim;
      double *blk = malloc (sizeof (double) * 2 * d * NB), *x = blk + d * NB;
      for (size_t p = 0; p < NB; p++)
        {
          double z[3], t = 0.1 * (double)p, u = 0.1 * sin (3.7 * (double)p);
          z[0] = cos (t) * (1 + u), z[1] = sin (t) * (1 - u), z[2] = u;
          ck_assert_int_eq (sde_manifold_phi (mt, z, z, NULL), 0);
          for (size_t i = 0; i < d; i++)
            x[i * NB + p] = blk[i * NB + p]
                = z[i] + 0.1 * sin ((double)(p * 7 + i * 3));
        }
      ck_assert_int_eq (sde_manifold_project (md, NB, blk, 0, NULL), 0);
      for (size_t p = 0; p < NB; p++)
        {
          double xp[3], a[3];
          for (size_t i = 0; i < d; i++)
            xp[i] = x[i * NB + p];
          ck_assert_int_eq (sde_manifold_phi (mt, xp, a, NULL), 0);
          for (size_t i = 0; i < d; i++)
            ck_assert_close (blk[i * NB + p], a[i], 1e-8);
        }
      free (blk);
      sde_manifold_free (mt);
      sde_manifold_free (md);
      sde_problem_free (pb);
    }
}
END_TEST

/* Clear errors: no manifold at an isolated minimum, a start at a maximum
   (outside every basin), a Phi budget that runs out, and a rank change.  */
START_TEST (test_manifold_errors)
{
  sde_manifold_opts o;
  sde_manifold_defaults (&o);
  sde_problem *q = sde_problem_alloc ("quadratic:h=1,2", NULL);
  ck_assert_ptr_null (sde_manifold_alloc (q, q->x0, &o));
  sde_problem_free (q);
  sde_problem *c = sde_problem_alloc ("circle", NULL);
  o.rtol = 1e-11; /* under the rounding of a flow step */
  ck_assert_ptr_null (sde_manifold_alloc (c, c->x0, &o));
  o.rtol = 1e-6;
  const double origin[2] = { 0, 0 };
  ck_assert_ptr_null (sde_manifold_alloc (c, origin, &o)); /* closed form */
  o.flow = 1;
  ck_assert_ptr_null (sde_manifold_alloc (c, origin, &o)); /* the flow */
  sde_manifold *m = sde_manifold_alloc (c, c->x0, &o);
  ck_assert_ptr_nonnull (m);
  double y[2], P[4];
  ck_assert_int_eq (sde_manifold_geometry (m, origin, P, NULL, NULL), GSL_EDOM);
  sde_manifold_free (m);
  o.max_steps = 3;
  m = sde_manifold_alloc (c, c->x0, &o);
  ck_assert_ptr_nonnull (m); /* x0 is on the circle: no flow needed */
  /* Near the centre H has no normal basis, and the flow out is slow.  */
  const double far[2] = { 0.05, 0.02 };
  ck_assert_int_eq (sde_manifold_phi (m, far, y, NULL), GSL_EMAXITER);
  /* A block projection in tolerant mode marks the failure with NaN.  */
  double blk[4] = { 0.05, 1, 0.02, 0 };
  ck_assert_int_eq (sde_manifold_project (m, 2, blk, 1, NULL), 0);
  ck_assert (isnan (blk[0]) && isnan (blk[2]));
  ck_assert_close (blk[1], 1, 1e-12);
  blk[0] = 0.05, blk[2] = 0.02;
  ck_assert_int_eq (sde_manifold_project (m, 2, blk, 0, NULL), GSL_EMAXITER);
  sde_manifold_free (m);
  sde_problem_free (c);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("manifold");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_manifold_flow_matches_closed_form);
  tcase_add_test (tc, test_manifold_circle_geometry);
  tcase_add_test (tc, test_manifold_valley_drift);
  tcase_add_test (tc, test_manifold_drift_is_second_derivative_of_phi);
  tcase_add_test (tc, test_slow_circle_exact_discrete);
  tcase_add_test (tc, test_slow_labelvalley);
  tcase_add_test (tc, test_slow_method_observed_at_phi);
  tcase_add_test (tc, test_manifold_errors);
  tcase_add_test (tc, test_phi_block_matches_closed_form);
  tcase_add_test (tc, test_phi_block_far_points);
  tcase_add_test (tc, test_phi_block_newton_overshoot);
  tcase_add_test (tc, test_phi_block_matches_bdf);
  tcase_add_test (tc, test_phi_block_sampled_checks);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (suite ());
}
