/* check_stepper.c: unit tests of the SDE schemes and the fixed-grid
   driver: one step against closed forms, exact discrete moments on GBM,
   strong and weak orders.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fused.h"
#include "sdekit/optim.h"
#include "sdekit/rng.h"
#include "sdekit/stepper.h"
#include "sdekit/system.h"
#include "sdekit/system_expr.h"
#include "testutil.h"

/* ---- A linear test system dX = A X dt + sum_j B_j X dW_j in R^2. ---- */

typedef struct
{
  double A[2][2];
  double B[2][2][2]; /* B[j] */
} linear2;

static int
lin_drift (double t, size_t P, const double *x, double *out, double *work,
           void *params)
{
  (void)t;
  (void)work;
  const linear2 *L = params;
  for (size_t i = 0; i < 2; i++)
    for (size_t p = 0; p < P; p++)
      out[i * P + p] = L->A[i][0] * x[p] + L->A[i][1] * x[P + p];
  return 0;
}

static int
lin_diffusion (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  (void)t;
  (void)work;
  const linear2 *L = params;
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 2; j++)
      for (size_t p = 0; p < P; p++)
        out[(i * 2 + j) * P + p]
            = L->B[j][i][0] * x[p] + L->B[j][i][1] * x[P + p];
  return 0;
}

static int
lin_jacobian (double t, size_t P, const double *x, double *out, double *work,
              void *params)
{
  (void)t;
  (void)x;
  (void)work;
  const linear2 *L = params;
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 2; j++)
      for (size_t k = 0; k < 2; k++)
        for (size_t p = 0; p < P; p++)
          out[((i * 2 + j) * 2 + k) * P + p] = L->B[j][i][k];
  return 0;
}

static void
lin_system (sde_system *sys, linear2 *L, unsigned noise)
{
  memset (sys, 0, sizeof *sys);
  sys->dim = 2;
  sys->noise_dim = 2;
  sys->noise = noise;
  sys->drift = lin_drift;
  sys->diffusion = lin_diffusion;
  sys->jacobian = lin_jacobian;
  sys->params = L;
}

/* y = M v for 2x2 M.  */
static void
mv (const double M[2][2], const double *v, double *y)
{
  double a = M[0][0] * v[0] + M[0][1] * v[1];
  double b = M[1][0] * v[0] + M[1][1] * v[1];
  y[0] = a;
  y[1] = b;
}

/* Non-commuting B_1, B_2; commuting ones (B_2 = 2 B_1 + I).  */
static const linear2 L_general
    = { { { -1.0, 0.3 }, { 0.2, -0.5 } },
        { { { 0.4, 0.1 }, { 0.0, 0.3 } }, { { 0.0, -0.2 }, { 0.5, 0.1 } } } };
static const linear2 L_commuting
    = { { { -1.0, 0.3 }, { 0.2, -0.5 } },
        { { { 0.4, 0.1 }, { 0.0, 0.3 } }, { { 1.8, 0.2 }, { 0.0, 1.6 } } } };

static const double x0v[2] = { 0.7, -1.3 };
static const double dwv[2] = { 0.21, -0.34 };
static const double hstep = 0.05;

/* One step of scheme NAME on linear system L with the hand-picked dw and
   aux = {v}; returns x'.  */
static void
one_step (const char *name, const linear2 *L, unsigned noise, double v,
          double *out)
{
  sde_system sys;
  linear2 Lc = *L;
  lin_system (&sys, &Lc, noise);
  sde_stepper *s = sde_stepper_alloc (sde_stepper_type_find (name), &sys, 1);
  ck_assert_ptr_nonnull (s);
  double x[2] = { x0v[0], x0v[1] }, aux[1] = { v };
  ck_assert_int_eq (sde_stepper_apply (s, 0.0, hstep, 1, x, dwv, aux), 0);
  out[0] = x[0];
  out[1] = x[1];
  sde_stepper_free (s);
}

START_TEST (test_stepper_em_one_step_closed_form)
{
  /* x + A x h + sum_j B_j x dW_j.  */
  const linear2 *L = &L_general;
  double ax[2], bx[2], want[2];
  mv (L->A, x0v, ax);
  for (int i = 0; i < 2; i++)
    want[i] = x0v[i] + ax[i] * hstep;
  for (int j = 0; j < 2; j++)
    {
      mv (L->B[j], x0v, bx);
      for (int i = 0; i < 2; i++)
        want[i] += bx[i] * dwv[j];
    }
  const char *names[] = { "em", "weak-euler" };
  for (int k = 0; k < 2; k++)
    {
      double got[2];
      one_step (names[k], L, SDE_NOISE_GENERAL, 0, got);
      ck_assert_close (got[0], want[0], 1e-14);
      ck_assert_close (got[1], want[1], 1e-14);
    }
}
END_TEST

START_TEST (test_stepper_milstein_one_step_closed_form)
{
  /* Linear commutative noise: L^j b_k = B_k B_j x, so x' = x + A x h
     + sum_j B_j x dW_j + 1/2 sum_jk B_k B_j x (dW_j dW_k - delta_jk h).
     The derivative-free variant replaces B_k B_j x by
     (b_k(x + A x h + B_j x sqrt h) - b_k(x)) / sqrt h
     = B_k B_j x + sqrt(h) B_k A x.  */
  const linear2 *L = &L_commuting;
  const double sh = sqrt (hstep);
  double ax[2], want[2], wantdf[2];
  mv (L->A, x0v, ax);
  for (int i = 0; i < 2; i++)
    want[i] = wantdf[i] = x0v[i] + ax[i] * hstep;
  for (int j = 0; j < 2; j++)
    {
      double bjx[2];
      mv (L->B[j], x0v, bjx);
      for (int i = 0; i < 2; i++)
        {
          want[i] += bjx[i] * dwv[j];
          wantdf[i] += bjx[i] * dwv[j];
        }
      for (int k = 0; k < 2; k++)
        {
          double bkbjx[2], bkax[2];
          mv (L->B[k], bjx, bkbjx);
          mv (L->B[k], ax, bkax);
          double q = dwv[j] * dwv[k] - (j == k ? hstep : 0);
          for (int i = 0; i < 2; i++)
            {
              want[i] += 0.5 * bkbjx[i] * q;
              wantdf[i] += 0.5 * (bkbjx[i] + sh * bkax[i]) * q;
            }
        }
    }
  double got[2];
  one_step ("milstein", L, SDE_NOISE_COMMUTATIVE, 0, got);
  ck_assert_close (got[0], want[0], 1e-14);
  ck_assert_close (got[1], want[1], 1e-14);
  one_step ("milstein-df", L, SDE_NOISE_COMMUTATIVE, 0, got);
  ck_assert_close (got[0], wantdf[0], 1e-14);
  ck_assert_close (got[1], wantdf[1], 1e-14);
}
END_TEST

START_TEST (test_stepper_weak2_one_step_closed_form)
{
  /* For linear coefficients Platen's scheme reduces to
     x' = x + A x h + h^2/2 A^2 x + sum_j (B_j x + h/2 (A B_j + B_j A) x) dW_j
        + 1/2 sum_j B_j B_j x (dW_j^2 - h)
        + 1/2 sum_j sum_{r != j} B_j B_r x (dW_j dW_r + V_rj),
     with V_10 = v and V_01 = -v (non-commuting B_j exercise the V terms). */
  const linear2 *L = &L_general;
  const double v = 0.05;
  double ax[2], aax[2], want[2];
  mv (L->A, x0v, ax);
  mv (L->A, ax, aax);
  for (int i = 0; i < 2; i++)
    want[i] = x0v[i] + ax[i] * hstep + 0.5 * hstep * hstep * aax[i];
  for (int j = 0; j < 2; j++)
    {
      double bjx[2], abjx[2], bjax[2], bjbjx[2];
      mv (L->B[j], x0v, bjx);
      mv (L->A, bjx, abjx);
      mv (L->B[j], ax, bjax);
      mv (L->B[j], bjx, bjbjx);
      for (int i = 0; i < 2; i++)
        want[i] += (bjx[i] + 0.5 * hstep * (abjx[i] + bjax[i])) * dwv[j]
                   + 0.5 * bjbjx[i] * (dwv[j] * dwv[j] - hstep);
      int r = 1 - j;
      double brx[2], bjbrx[2];
      mv (L->B[r], x0v, brx);
      mv (L->B[j], brx, bjbrx);
      double vrj = r > j ? v : -v;
      for (int i = 0; i < 2; i++)
        want[i] += 0.5 * bjbrx[i] * (dwv[j] * dwv[r] + vrj);
    }
  double got[2];
  one_step ("weak2", L, SDE_NOISE_GENERAL, v, got);
  ck_assert_close (got[0], want[0], 1e-14);
  ck_assert_close (got[1], want[1], 1e-14);
}
END_TEST

/* Additive noise with a time-dependent factor and a nonlinear drift:
   a_i(x) = -x_i + 0.3 sin(x_{1-i}), b(t) = (1 + t) B0.  */
static const double B0[2][2] = { { 0.4, -0.2 }, { 0.1, 0.5 } };

static int
add_drift (double t, size_t P, const double *x, double *out, double *work,
           void *params)
{
  (void)t;
  (void)work;
  (void)params;
  for (size_t p = 0; p < P; p++)
    {
      out[p] = -x[p] + 0.3 * sin (x[P + p]);
      out[P + p] = -x[P + p] + 0.3 * sin (x[p]);
    }
  return 0;
}

static int
add_diffusion (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  (void)x;
  (void)work;
  (void)params;
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 2; j++)
      for (size_t p = 0; p < P; p++)
        out[(i * 2 + j) * P + p] = (1 + t) * B0[i][j];
  return 0;
}

static void
add_step (unsigned noise, double t, double *x)
{
  sde_system sys;
  memset (&sys, 0, sizeof sys);
  sys.dim = sys.noise_dim = 2;
  sys.noise = noise;
  sys.drift = add_drift;
  sys.diffusion = add_diffusion;
  sde_stepper *s = sde_stepper_alloc (sde_stepper_weak2, &sys, 1);
  ck_assert_ptr_nonnull (s);
  /* The short form draws no aux variates; the general one gets some.  */
  ck_assert_uint_eq (sde_stepper_aux (s), noise & SDE_NOISE_ADDITIVE ? 0 : 1);
  double aux[1] = { 0.05 };
  ck_assert_int_eq (sde_stepper_apply (s, t, hstep, 1, x, dwv, aux), 0);
  sde_stepper_free (s);
}

START_TEST (test_stepper_weak2_additive_short_form)
{
  /* K&P (15.1.3) with b independent of x:
     x' = x + (a(U) + a(x)) h/2 + (b(t) + b(t+h)) dW / 2,
     U = x + a(x) h + b(t) dW; the short form and the general one agree.  */
  const double t = 0.3;
  double a[2], u[2], au[2], want[2];
  add_drift (t, 1, (double[]){ x0v[0], x0v[1] }, a, NULL, NULL);
  for (int i = 0; i < 2; i++)
    u[i] = x0v[i] + a[i] * hstep
           + (1 + t) * (B0[i][0] * dwv[0] + B0[i][1] * dwv[1]);
  add_drift (t + hstep, 1, u, au, NULL, NULL);
  /* b at the end of the step is taken at (t + h)-, 2^-24 h inside.  */
  const double te = t + (hstep - hstep * 0x1p-24);
  for (int i = 0; i < 2; i++)
    want[i] = x0v[i] + 0.5 * (a[i] + au[i]) * hstep
              + 0.5 * (2 + t + te) * (B0[i][0] * dwv[0] + B0[i][1] * dwv[1]);
  double xs[2] = { x0v[0], x0v[1] }, xg[2] = { x0v[0], x0v[1] };
  add_step (SDE_NOISE_ADDITIVE, t, xs);
  add_step (SDE_NOISE_GENERAL, t, xg);
  for (int i = 0; i < 2; i++)
    {
      ck_assert_close (xs[i], want[i], 1e-14);
      ck_assert_close (xs[i], xg[i], 1e-14);
    }
}
END_TEST

static double
decay_lambda (double t, const void *params)
{
  (void)params;
  return 1 / (1 + t);
}

/* The SME-1 reference step fused as the ensemble runs it is bitwise the
   weak2 stepper's, on a diagonal, a dense (dgemm) and a 1-D factor, with a
   schedule that makes b(t) and b(t + h) differ, and on a block that is no
   multiple of the dgemm panel.  */
START_TEST (test_stepper_fused_reference_bitwise)
{
  const char *probs[]
      = { "doublewell", "quadratic:h=1,3,s=0.5,x0=1,-1",
          "lte:d=12,cond=10,seed=2", "quadratic:d=12,cond=10,seed=3,s=0.7" };
  const size_t P = 37;
  for (size_t t = 0; t < 4; t++)
    for (int sched = 0; sched < 2; sched++)
      {
        sde_problem *pb = sde_problem_alloc (probs[t], NULL);
        ck_assert_ptr_nonnull (pb);
        sde_limit lim = { .kind = SDE_LIMIT_SME1, .prob = pb, .tau = 0.5 };
        if (sched)
          lim.lambda = decay_lambda;
        sde_system sys;
        ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
        ck_assert (sde__limit_fusable (&sys, sde_stepper_weak2));
        ck_assert (!sde__limit_fusable (&sys, sde_stepper_em));
        sde_stepper *st = sde_stepper_alloc (sde_stepper_weak2, &sys, P);
        ck_assert_ptr_nonnull (st);
        const size_t d = pb->dim, r = pb->noise_dim;
        double *xa = malloc (sizeof (double) * d * P),
               *xb = malloc (sizeof (double) * d * P),
               *dw = malloc (sizeof (double) * r * P);
        sde_rng *rng = sde_rng_alloc (NULL, 9);
        sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 1, 0, 0, P, d, xa, P);
        memcpy (xb, xa, sizeof (double) * d * P);
        const double h = 0.03;
        for (size_t k = 0; k < 8; k++)
          {
            sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, k, 0, P, r, dw, P);
            for (size_t q = 0; q < r * P; q++)
              dw[q] *= sqrt (h);
            ck_assert_int_eq (
                sde_stepper_apply (st, (double)k * h, h, P, xa, dw, NULL), 0);
            ck_assert_int_eq (sde__limit_weak2_step (&sys, (double)k * h, h, P,
                                                     xb, dw,
                                                     sde__stepper_work (st)),
                              0);
            ck_assert_msg (memcmp (xa, xb, sizeof (double) * d * P) == 0,
                           "%s: fused step %zu differs", probs[t], k);
          }
        free (xa), free (xb), free (dw);
        sde_rng_free (rng);
        sde_stepper_free (st);
        sde_problem_free (pb);
      }
}
END_TEST

START_TEST (test_stepper_milstein_refuses_noncommutative)
{
  sde_system sys;
  linear2 L = L_general;
  lin_system (&sys, &L, SDE_NOISE_GENERAL);
  ck_assert_ptr_null (sde_stepper_alloc (sde_stepper_milstein, &sys, 4));
  ck_assert_ptr_null (sde_stepper_alloc (sde_stepper_milstein_df, &sys, 4));
  /* The numerical check agrees: B_1 B_2 != B_2 B_1 here, and commuting
     matrices pass.  */
  double x[2] = { 0.3, 0.9 };
  double *work = malloc (sizeof (double) * sde_system_work (&sys, 1));
  ck_assert_int_eq (sde_system_check_commutative (&sys, 0, 1, x, 1e-12, work),
                    GSL_FAILURE);
  linear2 Lc = L_commuting;
  lin_system (&sys, &Lc, SDE_NOISE_GENERAL);
  ck_assert_int_eq (sde_system_check_commutative (&sys, 0, 1, x, 1e-12, work),
                    GSL_SUCCESS);
  /* Without a jacobian Milstein is refused, its derivative-free form not. */
  sys.noise = SDE_NOISE_COMMUTATIVE;
  sys.jacobian = NULL;
  ck_assert_ptr_null (sde_stepper_alloc (sde_stepper_milstein, &sys, 4));
  sde_stepper *s = sde_stepper_alloc (sde_stepper_milstein_df, &sys, 4);
  ck_assert_ptr_nonnull (s);
  sde_stepper_free (s);
  free (work);
}
END_TEST

START_TEST (test_stepper_registry_finds_every_scheme)
{
  size_t n = 0;
  for (const sde_stepper_type *const *t = sde_stepper_types (); *t; t++, n++)
    {
      ck_assert_ptr_eq (sde_stepper_type_find ((*t)->name), *t);
      ck_assert (strlen ((*t)->description) > 10);
      ck_assert ((*t)->weak_order >= 1);
    }
  ck_assert_uint_eq (n, 5);
  ck_assert_ptr_null (sde_stepper_type_find ("runge-kutta-42"));
}
END_TEST

/* ---- Statistics on GBM. ---- */

/* Weighted least squares of log e on log h, weights (e/se)^2 (delta
   method); returns the slope and its standard error.  */
static void
fit_slope (size_t n, const double *h, const double *e, const double *se,
           double *slope, double *slope_se)
{
  double sw = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < n; i++)
    {
      double w = (e[i] / se[i]) * (e[i] / se[i]);
      sw += w;
      sx += w * log (h[i]);
      sy += w * log (fabs (e[i]));
    }
  double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; i++)
    {
      double w = (e[i] / se[i]) * (e[i] / se[i]);
      sxx += w * (log (h[i]) - mx) * (log (h[i]) - mx);
      sxy += w * (log (h[i]) - mx) * (log (fabs (e[i])) - my);
    }
  *slope = sxy / sxx;
  *slope_se = 1 / sqrt (sxx);
}

typedef struct
{
  double m1, m2, se1, se2; /* sample E X, E X^2 and their SEs */
} moments;

/* Integrates N paths of SYS from x0 over [0, 1] with nsteps steps of
   scheme T in blocks, returning the sample moments of X(1).  */
static moments
simulate (const sde_stepper_type *T, const sde_system *sys, double x0,
          size_t nsteps, size_t N, uint32_t stream, int brownian)
{
  enum
  {
    P = 1000
  };
  sde_rng *rng = sde_rng_alloc (NULL, 424242);
  sde_driver *d = sde_driver_alloc (T, sys, P);
  ck_assert_ptr_nonnull (d);
  double x[P], s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  for (size_t p0 = 0; p0 < N; p0 += P)
    {
      for (size_t p = 0; p < P; p++)
        x[p] = x0;
      sde_noise noise = { rng, stream, p0, 1, brownian };
      ck_assert_int_eq (
          sde_driver_apply (d, &noise, 0.0, 1.0 / nsteps, 0, nsteps, P, x), 0);
      for (size_t p = 0; p < P; p++)
        {
          double v = x[p], v2 = v * v;
          s1 += v;
          s2 += v2;
          s3 += v2 * v;
          s4 += v2 * v2;
        }
    }
  double n = (double)N;
  moments m = { s1 / n, s2 / n, 0, 0 };
  m.se1 = sqrt ((m.m2 - m.m1 * m.m1) / n);
  m.se2 = sqrt ((s4 / n - m.m2 * m.m2) / n);
  (void)s3;
  sde_driver_free (d);
  sde_rng_free (rng);
  return m;
}

/* EM and Milstein on GBM against their exact discrete moments (MATH.md
   section 7): E X_N = x0 (1 + lambda h)^N for both, E X_N^2 =
   x0^2 ((1 + lambda h)^2 + mu^2 h)^N for EM and
   x0^2 ((1 + lambda h)^2 + mu^2 h + mu^4 h^2 / 2)^N for Milstein.  */
START_TEST (test_stepper_gbm_discrete_moments_within_se)
{
  sde_system_named *g = sde_system_alloc ("gbm:lambda=0.8,mu=0.6,x0=1");
  ck_assert_ptr_nonnull (g);
  const double l = 0.8, mu = 0.6;
  const size_t N = 200000;
  const size_t steps[] = { 4, 16 };
  for (int k = 0; k < 2; k++)
    {
      double h = 1.0 / steps[k], n = (double)steps[k];
      moments em = simulate (sde_stepper_em, &g->sys, 1.0, steps[k], N, 0, 0);
      moments mi
          = simulate (sde_stepper_milstein, &g->sys, 1.0, steps[k], N, 0, 0);
      double mean = pow (1 + l * h, n);
      ck_assert_within_se (em.m1, mean, em.se1, 5);
      ck_assert_within_se (mi.m1, mean, mi.se1, 5);
      ck_assert_within_se (
          em.m2, pow ((1 + l * h) * (1 + l * h) + mu * mu * h, n), em.se2, 5);
      ck_assert_within_se (mi.m2,
                           pow ((1 + l * h) * (1 + l * h) + mu * mu * h
                                    + pow (mu, 4) * h * h / 2,
                                n),
                           mi.se2, 5);
      /* The same noise drives both: their second moments differ by the
         mu^4 h^2 / 2 term, which this run resolves at h = 1/4.  */
      if (k == 0)
        ck_assert (mi.m2 > em.m2);
    }
  sde_system_free (g);
}
END_TEST

/* Strong order with one Brownian path reused across five step sizes:
   E |X_N - X(1)|, X(1) = x0 exp((lambda - mu^2/2) + mu W(1)).  */
static double
strong_slope (const sde_stepper_type *T, double *slope_se)
{
  enum
  {
    P = 1000,
    NB = 4,
    FINE = 256
  };
  sde_system_named *g = sde_system_alloc ("gbm:lambda=1,mu=0.8,x0=1");
  sde_rng *rng = sde_rng_alloc (NULL, 777);
  sde_driver *d = sde_driver_alloc (T, &g->sys, P);
  double h[5], e[5], se[5], x[P], wt[P], z[P];
  for (int k = 0; k < 5; k++)
    {
      size_t nsteps = (size_t)16 << k, refine = FINE / nsteps;
      double s1 = 0, s2 = 0;
      for (size_t b = 0; b < NB; b++)
        {
          /* W(1) summed here from the fine normals, independently of the
             driver's own summation.  */
          memset (wt, 0, sizeof wt);
          for (size_t f = 0; f < FINE; f++)
            {
              sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 3, f, b * P, P, 1, z, P);
              for (size_t p = 0; p < P; p++)
                wt[p] += z[p] * sqrt (1.0 / FINE);
            }
          for (size_t p = 0; p < P; p++)
            x[p] = 1.0;
          sde_noise noise = { rng, 3, b * P, refine, 0 };
          ck_assert_int_eq (
              sde_driver_apply (d, &noise, 0, 1.0 / nsteps, 0, nsteps, P, x),
              0);
          for (size_t p = 0; p < P; p++)
            {
              double exact = exp ((1 - 0.32) + 0.8 * wt[p]);
              double err = fabs (x[p] - exact);
              s1 += err;
              s2 += err * err;
            }
        }
      double n = (double)P * NB;
      h[k] = 1.0 / nsteps;
      e[k] = s1 / n;
      se[k] = sqrt ((s2 / n - e[k] * e[k]) / n);
    }
  double slope;
  fit_slope (5, h, e, se, &slope, slope_se);
  sde_driver_free (d);
  sde_rng_free (rng);
  sde_system_free (g);
  return slope;
}

START_TEST (test_stepper_strong_orders_on_gbm)
{
  double se, p;
  p = strong_slope (sde_stepper_em, &se);
  ck_assert_msg (fabs (p - 0.5) < 0.15, "em strong slope %g (SE %g)", p, se);
  p = strong_slope (sde_stepper_milstein, &se);
  ck_assert_msg (fabs (p - 1.0) < 0.15, "milstein strong slope %g (SE %g)", p,
                 se);
  p = strong_slope (sde_stepper_milstein_df, &se);
  ck_assert_msg (fabs (p - 1.0) < 0.15, "milstein-df strong slope %g (SE %g)",
                 p, se);
}
END_TEST

/* Weak errors of E X(1) and E X(1)^2 on GBM dX = lambda X dt + mu X dW,
   x0 = 1, for nsteps steps of scheme T.  Independent sampling compares the
   sample moments with the exact e^lambda and e^(2 lambda + mu^2); the
   coupled estimator (Brownian increments only) averages the paired
   differences with the exact solution x0 exp((lambda - mu^2/2) + mu W(1))
   on the same W, whose variance is the strong error's square.  */
static void
gbm_weak_error (const sde_stepper_type *T, double lambda, double mu,
                size_t nsteps, size_t N, int coupled, double e[2], double se[2])
{
  enum
  {
    P = 1000
  };
  char spec[128];
  snprintf (spec, sizeof spec, "gbm:lambda=%.17g,mu=%.17g,x0=1", lambda, mu);
  sde_system_named *g = sde_system_alloc (spec);
  sde_rng *rng = sde_rng_alloc (NULL, 424242);
  sde_driver *d = sde_driver_alloc (T, &g->sys, P);
  ck_assert_ptr_nonnull (d);
  const double h = 1.0 / nsteps;
  double x[P], w[P], z[P], s[2] = { 0, 0 }, ss[2] = { 0, 0 };
  for (size_t p0 = 0; p0 < N; p0 += P)
    {
      for (size_t p = 0; p < P; p++)
        x[p] = 1.0, w[p] = 0.0;
      sde_noise noise = { rng, 11, p0, 1, coupled };
      ck_assert_int_eq (sde_driver_apply (d, &noise, 0.0, h, 0, nsteps, P, x),
                        0);
      if (coupled)
        for (size_t k = 0; k < nsteps; k++)
          {
            sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 11, k, p0, P, 1, z, P);
            for (size_t p = 0; p < P; p++)
              w[p] += sqrt (h) * z[p];
          }
      for (size_t p = 0; p < P; p++)
        {
          double ref[2] = { exp (lambda), exp (2 * lambda + mu * mu) };
          if (coupled)
            {
              ref[0] = exp (lambda - mu * mu / 2 + mu * w[p]);
              ref[1] = ref[0] * ref[0];
            }
          double v[2] = { x[p] - ref[0], x[p] * x[p] - ref[1] };
          for (int j = 0; j < 2; j++)
            {
              s[j] += v[j];
              ss[j] += v[j] * v[j];
            }
        }
    }
  for (int j = 0; j < 2; j++)
    {
      e[j] = s[j] / (double)N;
      se[j] = sqrt ((ss[j] / (double)N - e[j] * e[j]) / (double)N);
    }
  sde_driver_free (d);
  sde_rng_free (rng);
  sde_system_free (g);
}

/* The fitted slope of both weak errors within 0.15 of ORDER, with an SE
   below 0.1, over step counts nmin, 2 nmin, ...  */
static void
weak_slopes (const sde_stepper_type *T, double lambda, double mu, size_t N,
             int coupled, size_t nmin, int ngrid, double order)
{
  double h[6], e[2][6], se[2][6];
  for (int k = 0; k < ngrid; k++)
    {
      double ek[2], sek[2];
      gbm_weak_error (T, lambda, mu, nmin << k, N, coupled, ek, sek);
      h[k] = 1.0 / (double)(nmin << k);
      for (int j = 0; j < 2; j++)
        e[j][k] = ek[j], se[j][k] = sek[j];
    }
  for (int j = 0; j < 2; j++)
    {
      double p, sp;
      fit_slope ((size_t)ngrid, h, e[j], se[j], &p, &sp);
      ck_assert_msg (fabs (p - order) < 0.15 && sp < 0.1,
                     "%s%s E X^%d: slope %g SE %g, want %g", T->name,
                     coupled ? " (coupled)" : "", j + 1, p, sp, order);
    }
}

START_TEST (test_stepper_weak_orders_on_gbm)
{
  /* Independent sampling where the increments are not Brownian.  */
  weak_slopes (sde_stepper_weuler, -2, 0.2, 200000, 0, 8, 5, 1.0);
  /* Little noise keeps the SE far below Platen's O(h^2) bias.  */
  weak_slopes (sde_stepper_weak2, -2, 0.05, 1000000, 0, 16, 3, 2.0);
  /* Coupled: Euler-Maruyama, and Platen's scheme with Brownian increments
     (it keeps weak order 2), with strong noise.  */
  weak_slopes (sde_stepper_em, -2, 0.2, 100000, 1, 8, 5, 1.0);
  weak_slopes (sde_stepper_weak2, -1, 0.5, 200000, 1, 8, 4, 2.0);
}
END_TEST

/* ---- A step schedule on the limit SDE of a 1-D quadratic. ---- */

static double
sched_lambda (double t, const void *p)
{
  return sde_schedule_factor (p, t);
}

/* The exact mean and second moment of scheme T on the affine system SYS
   (additive noise) after N steps of size h from x0.  A step is x' = alpha x
   + g0 + g1 dW for every law the schemes use (E dW = 0, E dW^2 = h), so
   the moments follow from four evaluations per step, with no sampling.  */
static void
scheme_moments (const sde_stepper_type *T, const sde_system *sys, double h,
                size_t N, double x0, double *m1, double *m2)
{
  sde_stepper *s = sde_stepper_alloc (T, sys, 4);
  ck_assert_ptr_nonnull (s);
  const double sh = sqrt (h);
  double a = x0, b = x0 * x0;
  for (size_t k = 0; k < N; k++)
    {
      double x[4] = { 0, 1, 0, 0 }, dw[4] = { 0, 0, sh, -sh }, aux[4] = { 0 };
      ck_assert_int_eq (sde_stepper_apply (s, (double)k * h, h, 4, x, dw, aux),
                        0);
      double g0 = x[0], al = x[1] - g0, g1 = (x[2] - g0) / sh;
      ck_assert_close (x[3], g0 - g1 * sh, 1e-13); /* affine in dW */
      b = al * al * b + 2 * al * a * g0 + g0 * g0 + g1 * g1 * h;
      a = al * a + g0;
    }
  *m1 = a;
  *m2 = b;
  sde_stepper_free (s);
}

/* l on [a, b], taken inside at b: the one-sided value the piece has.  */
static double
lam_in (const sde_schedule *sch, double t, double a, double b)
{
  return sde_schedule_factor (sch, t < b ? t : nextafter (b, a));
}

/* dX = -l(t) c X dt + l(t) sqrt(tau s) dW: the moment equations m' = -l c
   m, v' = -2 l c v + l^2 tau s by RK4, piece by piece between the
   schedule's times (l is smooth on each piece), to rounding.  */
static void
sde_sched_moments (const sde_schedule *sch, double c, double ts, double T,
                   double x0, double *m1, double *m2)
{
  double m = x0, v = 0, a = 0;
  for (size_t i = 0; i <= sch->n; i++)
    {
      double b = i < sch->n && sch->t[i] < T ? sch->t[i] : T;
      if (b <= a)
        continue;
      const size_t N = 20000;
      const double h = (b - a) / (double)N;
      for (size_t k = 0; k < N; k++)
        {
          double t = a + (double)k * h, km[4], kv[4];
          for (int q = 0; q < 4; q++)
            {
              double f = q == 0 ? 0 : q == 3 ? 1 : 0.5;
              double tq = q == 0 ? t : t + f * h;
              double l = lam_in (sch, tq, a, b);
              double mq = m + (q ? f * h * km[q - 1] : 0);
              double vq = v + (q ? f * h * kv[q - 1] : 0);
              km[q] = -l * c * mq;
              kv[q] = -2 * l * c * vq + l * l * ts;
            }
          m += h / 6 * (km[0] + 2 * km[1] + 2 * km[2] + km[3]);
          v += h / 6 * (kv[0] + 2 * kv[1] + 2 * kv[2] + kv[3]);
        }
      a = b;
      if (b == T)
        break;
    }
  *m1 = m;
  *m2 = v + m * m;
}

START_TEST (test_stepper_step_schedule_keeps_weak_orders)
{
  /* Platen's scheme takes a and b at the end of the step; a step schedule
     that jumps there must not leak its new value into the step, which
     would cost O(h) per jump and pull weak2 down to order 1.  Exact
     moments of every scheme against the SDE's, on a dyadic grid (jump at
     0.5) and on a decimal one whose times t + h round across the jump
     (0.2 + 0.1 > 0.3); smooth and piecewise linear schedules keep the
     orders too.  */
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1.5,s=0.64", NULL);
  ck_assert_ptr_nonnull (pb);
  const struct
  {
    const char *spec;
    double T, h0;
  } grid[] = { { "step:at=0.5,factor=0.25", 1.0, 0.125 },
               { "step:at=0.3,factor=0.25", 0.6, 0.1 },
               { "step:at=0.25,0.5,factor=1.5", 1.0, 0.125 },
               { "cosine:T=1", 1.0, 0.03125 }, /* past a sign change */
               { "table:t=0.25,0.75,v=1,0.2", 1.0, 0.125 } };
  for (size_t g = 0; g < sizeof grid / sizeof grid[0]; g++)
    {
      sde_schedule sch;
      ck_assert_int_eq (sde_schedule_parse (&sch, grid[g].spec), 0);
      sde_limit lim = { .kind = SDE_LIMIT_SME1,
                        .prob = pb,
                        .tau = 0.5,
                        .lambda = sched_lambda,
                        .lambda_params = &sch };
      sde_system sys;
      ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
      double w1, w2;
      sde_sched_moments (&sch, 1.5, 0.5 * 0.64, grid[g].T, 1.0, &w1, &w2);
      for (const sde_stepper_type *const *T = sde_stepper_types (); *T; T++)
        {
          double e1[3], e2[3];
          for (size_t j = 0; j < 3; j++)
            {
              double h = grid[g].h0 / (double)(1u << j), m1, m2;
              size_t N = (size_t)llround (grid[g].T / h);
              scheme_moments (*T, &sys, h, N, 1.0, &m1, &m2);
              e1[j] = fabs (m1 - w1);
              e2[j] = fabs (m2 - w2);
            }
          /* Halving h divides the error by about 2^order.  */
          const double want = 0.75 * pow (2.0, (*T)->weak_order);
          for (size_t j = 0; j + 1 < 3; j++)
            {
              ck_assert_msg (e1[j] / e1[j + 1] > want,
                             "%s, %s: mean errors %g, %g: ratio below %g",
                             (*T)->name, grid[g].spec, e1[j], e1[j + 1], want);
              ck_assert_msg (e2[j] / e2[j + 1] > want,
                             "%s, %s: E X^2 errors %g, %g: ratio below %g",
                             (*T)->name, grid[g].spec, e2[j], e2[j + 1], want);
            }
        }
    }
  sde_problem_free (pb);
}
END_TEST

/* A coarse step of size h with refine m sums the same fine normals that m
   steps of size h/m use: on dX = dW both end at the same W(T).  */
static int
bm_drift (double t, size_t P, const double *x, double *out, double *work,
          void *params)
{
  (void)t, (void)x, (void)work, (void)params;
  memset (out, 0, sizeof (double) * P);
  return 0;
}

static int
bm_diffusion (double t, size_t P, const double *x, double *out, double *work,
              void *params)
{
  (void)t, (void)x, (void)work, (void)params;
  for (size_t p = 0; p < P; p++)
    out[p] = 1.0;
  return 0;
}

START_TEST (test_stepper_driver_coarse_grid_reuses_fine_path)
{
  sde_system sys
      = { 1, 1, SDE_NOISE_ADDITIVE, bm_drift, bm_diffusion, NULL, NULL, 0 };
  sde_rng *rng = sde_rng_alloc (NULL, 5);
  sde_driver *d = sde_driver_alloc (sde_stepper_em, &sys, 64);
  double a[64] = { 0 }, b[64] = { 0 }, c[64] = { 0 };
  sde_noise fine = { rng, 2, 100, 1, 0 }, coarse = { rng, 2, 100, 8, 0 };
  sde_noise one = { rng, 2, 100, 64, 0 };
  sde_driver_apply (d, &fine, 0, 1.0 / 64, 0, 64, 64, a);
  sde_driver_apply (d, &coarse, 0, 1.0 / 8, 0, 8, 64, b);
  sde_driver_apply (d, &one, 0, 1.0, 0, 1, 64, c);
  for (int p = 0; p < 64; p++)
    {
      ck_assert_close (b[p], a[p], 1e-14);
      ck_assert_close (c[p], a[p], 1e-14);
    }
  /* Refinement needs normal increments.  */
  sde_driver *w = sde_driver_alloc (sde_stepper_weak2, &sys, 64);
  ck_assert_int_eq (sde_driver_apply (w, &coarse, 0, 1.0 / 8, 0, 8, 64, b),
                    GSL_EINVAL);
  sde_driver_free (w);
  sde_driver_free (d);
  sde_rng_free (rng);
}
END_TEST

/* The one-path form gives the same step as the block form.  */
static int
path_drift (double t, const double *x, double *out, void *params)
{
  return lin_drift (t, 1, x, out, NULL, params);
}

static int
path_diffusion (double t, const double *x, double *out, void *params)
{
  return lin_diffusion (t, 1, x, out, NULL, params);
}

static int
path_jacobian (double t, const double *x, double *out, void *params)
{
  return lin_jacobian (t, 1, x, out, NULL, params);
}

START_TEST (test_stepper_path_form_equals_block_form)
{
  linear2 L = L_commuting;
  sde_system blk, one;
  lin_system (&blk, &L, SDE_NOISE_COMMUTATIVE);
  sde_path_callbacks cb
      = { path_drift, path_diffusion, path_jacobian, &L, 0, 0 };
  ck_assert_int_eq (
      sde_system_set_path (&one, 2, 2, SDE_NOISE_COMMUTATIVE, &cb), 0);
  for (const sde_stepper_type *const *t = sde_stepper_types (); *t; t++)
    {
      sde_stepper *s1 = sde_stepper_alloc (*t, &blk, 3);
      sde_stepper *s2 = sde_stepper_alloc (*t, &one, 3);
      double x1[6] = { 0.1, 0.2, 0.3, -0.4, 0.5, -0.6 }, x2[6];
      memcpy (x2, x1, sizeof x1);
      double dw[6] = { 0.1, -0.2, 0.05, 0.3, -0.1, 0.2 };
      double aux[3] = { 0.01, -0.01, 0.01 };
      sde_stepper_apply (s1, 0, 0.01, 3, x1, dw, aux);
      sde_stepper_apply (s2, 0, 0.01, 3, x2, dw, aux);
      for (int i = 0; i < 6; i++)
        ck_assert_close (x2[i], x1[i], 1e-15);
      sde_stepper_free (s1);
      sde_stepper_free (s2);
    }
  ck_assert_int_eq (sde_system_set_path (&one, 0, 2, 0, &cb), GSL_EINVAL);
}
END_TEST

START_TEST (test_stepper_catalog_specs_checked)
{
  const char *bad[]
      = { "gbm:lambda=abc", "gbm:mu=1,nu=2",    "brownian", "ou:theta=0",
          "ou:theta=nan",   "gbm:lambda=1e400", "gbm:" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg (sde_system_alloc (bad[i]) == NULL, "%s accepted", bad[i]);
  sde_system_named *s = sde_system_alloc ("ou:theta=2,mean=1,s=0.5,x0=3");
  double m, v;
  ck_assert_int_eq (sde_system_exact (s, 0.5, &m, &v), 0);
  ck_assert_close (m, 1 + 2 * exp (-1.0), 1e-15);
  ck_assert_close (v, 0.25 * (1 - exp (-2.0)) / 4, 1e-15);
  sde_system_free (s);
}
END_TEST

/* The driver's noise: the increments of step k from stream STREAM at
   index k times sqrt(h), weak2's auxiliary variables (two-point, one per
   pair of noise columns) from stream STREAM + 1 times h.  Two steps of
   weak2 on a 2-D SDE with non-commutative noise (r = 2: one aux row)
   through the driver equal the same steps by hand, bit for bit; and the
   driver refuses what it cannot honour.  */
START_TEST (test_driver_weak2_aux)
{
  enum
  {
    P = 7
  };
  sde_system_expr_spec spec
      = { "-x0/2, -x1", "[1, x0; x1, 0.5]", "1,2", NULL, NULL, NULL };
  sde_system_expr *se = sde_system_expr_alloc (&spec);
  ck_assert_ptr_nonnull (se);
  sde_rng *rng = sde_rng_alloc (NULL, 99);
  sde_driver *d = sde_driver_alloc (sde_stepper_weak2, &se->sys, P);
  sde_stepper *st = sde_stepper_alloc (sde_stepper_weak2, &se->sys, P);
  ck_assert_ptr_nonnull (d);
  ck_assert_ptr_nonnull (st);
  ck_assert_uint_eq (sde_stepper_aux (st), 1);
  const double h = 0.125;
  double x[2 * P], y[2 * P], dw[2 * P], aux[P];
  for (size_t p = 0; p < P; p++)
    x[p] = y[p] = 1 + 0.1 * (double)p, x[P + p] = y[P + p] = 2;
  sde_noise noise = { rng, 5, 3, 1, 0 };
  ck_assert_int_eq (sde_driver_apply (d, &noise, 0.0, h, 4, 2, P, x), 0);
  const sde_stepper_type *T = sde_stepper_weak2;
  for (uint64_t k = 4; k < 6; k++)
    {
      ck_assert_int_eq (sde_rng_sample (rng, T->law, 0, 5, k, 3, P, 2, dw, P),
                        0);
      ck_assert_int_eq (
          sde_rng_sample (rng, SDE_RNG_TWOPOINT, 0, 6, k, 3, P, 1, aux, P), 0);
      for (size_t i = 0; i < 2 * P; i++)
        dw[i] *= sqrt (h);
      for (size_t i = 0; i < P; i++)
        aux[i] *= h;
      ck_assert_int_eq (sde_stepper_apply (st, (double)k * h, h, P, y, dw, aux),
                        0);
    }
  ck_assert_mem_eq (x, y, sizeof x);
  /* More paths than allocated, a finer grid for two-point increments,
     a step that is not positive.  */
  ck_assert_int_eq (sde_driver_apply (d, &noise, 0.0, h, 0, 1, P + 1, x),
                    GSL_EINVAL);
  sde_noise fine = { rng, 5, 3, 2, 0 };
  ck_assert_int_eq (sde_driver_apply (d, &fine, 0.0, h, 0, 1, P, x),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_driver_apply (d, &noise, 0.0, 0.0, 0, 1, P, x),
                    GSL_EINVAL);
  ck_assert_ptr_eq (sde_stepper_type_of (sde_driver_stepper (d)), T);
  sde_stepper_free (st);
  sde_driver_free (d);
  sde_rng_free (rng);
  sde_system_expr_free (se);
}
END_TEST

static Suite *
stepper_suite (void)
{
  Suite *s = suite_create ("stepper");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_stepper_em_one_step_closed_form);
  tcase_add_test (tc, test_driver_weak2_aux);
  tcase_add_test (tc, test_stepper_milstein_one_step_closed_form);
  tcase_add_test (tc, test_stepper_weak2_one_step_closed_form);
  tcase_add_test (tc, test_stepper_weak2_additive_short_form);
  tcase_add_test (tc, test_stepper_fused_reference_bitwise);
  tcase_add_test (tc, test_stepper_milstein_refuses_noncommutative);
  tcase_add_test (tc, test_stepper_registry_finds_every_scheme);
  tcase_add_test (tc, test_stepper_gbm_discrete_moments_within_se);
  tcase_add_test (tc, test_stepper_strong_orders_on_gbm);
  tcase_add_test (tc, test_stepper_weak_orders_on_gbm);
  tcase_add_test (tc, test_stepper_step_schedule_keeps_weak_orders);
  tcase_add_test (tc, test_stepper_driver_coarse_grid_reuses_fine_path);
  tcase_add_test (tc, test_stepper_path_form_equals_block_form);
  tcase_add_test (tc, test_stepper_catalog_specs_checked);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (stepper_suite ());
}
