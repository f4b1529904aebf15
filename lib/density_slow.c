/* density_slow.c: the slow SDE on a curve of minimizers by the backward
   Kolmogorov equation of its arc-length coordinate, u_t = a u' + (b^2/2)
   u'' (doc/MATH.md section 6.1).  Closed curves: Fourier collocation
   (Trefethen, "Spectral methods in MATLAB", SIAM 2000, ch. 3); open ones:
   Chebyshev collocation with Neumann rows on a truncated arc (ibid.,
   ch. 6-7) whose leak is bounded by a supermartingale.  Time: the exponential
   of the discrete generator by scaling and squaring with the [13/13] Pade
   approximant (Higham, SIAM J. Matrix Anal. Appl. 26, 1179, 2005).  The curve:
   gamma' = t(Phi(gamma)) by GSL's rk8pd.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_sf_erf.h>

#include "sdekit/density_slow.h"
#include "sdekit/spec.h"

#define MAXD 64
#define HMAX 0.5 /* longest tracing step in arc length */
#define TRACE_TOL 1e-13
#define MARGIN 1.5 /* open domain half-width over the leak-bounded one */
#define NSAMPLE 64 /* coefficient samples per side when sizing a domain */

typedef struct
{
  double s, y[MAXD], ref[MAXD]; /* arc length, point, oriented tangent */
} cursor;

struct sde_slow_density
{
  sde_manifold *m;
  sde_system sys; /* the projected form: its diffusion is sigma S(x) */
  sde_slow_density_opts o;
  size_t d, r;
  cursor start;
  double *P, *S, *work, mu[MAXD];
  int closed, deterministic;
  double length;
  sde_slow_density_grid g;
  gsl_odeiv2_system ode;
  gsl_odeiv2_step *step;
  gsl_odeiv2_control *con;
  gsl_odeiv2_evolve *ev;
  double ref[MAXD]; /* the orientation the tangent field follows */
  double b2seen;    /* the ODE path's largest b^2 */
};

void
sde_slow_density_defaults (sde_slow_density_opts *o)
{
  o->tol = 1e-9;
  o->n0 = 16;
  o->nmax = 512;
  o->leak = 1e-13;
  o->lmax = 100;
  o->drop_drift = 0;
}

int
sde_slow_density_applies (const sde_manifold *m, char *why, size_t len)
{
  size_t k = sde_manifold_dim (m);
  if (k == 1)
    return 1;
  if (why)
    snprintf (why, len,
              "the manifold has dimension %zu; the slow density engine "
              "handles curves (dimension 1)",
              k);
  return 0;
}

/* ---- Geometry along the curve ---- */

/* The unit tangent from the rank-one projector P = t t^T, oriented along
   REF (NULL: its largest component positive).  GSL_EDOM when it turned by
   more than 60 degrees from REF: a tracing step too long to trust.  */
static int
tangent (const sde_slow_density *d, const double *P, const double *ref,
         double *t)
{
  const size_t n = d->d;
  size_t k = 0;
  for (size_t i = 1; i < n; i++)
    if (P[i * n + i] > P[k * n + k])
      k = i;
  double nk = sqrt (P[k * n + k]), v[MAXD], dot = 0, big = 0;
  if (!(nk > 0))
    return GSL_EDOM;
  for (size_t i = 0; i < n; i++)
    {
      v[i] = P[i * n + k] / nk;
      dot += ref ? v[i] * ref[i] : 0;
      if (fabs (v[i]) > fabs (big))
        big = v[i];
    }
  double sg = ref ? (dot < 0 ? -1 : 1) : (big < 0 ? -1 : 1);
  for (size_t i = 0; i < n; i++)
    t[i] = sg * v[i];
  return ref && fabs (dot) < 0.5 ? GSL_EDOM : GSL_SUCCESS;
}

/* b^2 = t^T Sigma t = sum_j |P sigma S_j|^2 at z (P in d->P): the tangent
   part of the noise, free of the tangent's sign.  A part below 1e-24 tr
   Sigma is the rounding of a normal noise (label noise): none.  */
static int
noise_b2 (sde_slow_density *d, const double *z, double *b2)
{
  const size_t n = d->d, r = d->r;
  int st = d->sys.diffusion (0, 1, z, d->S, d->work, d->sys.params);
  double v = 0, tot = 0;
  for (size_t j = 0; j < r && !st; j++)
    for (size_t i = 0; i < n; i++)
      {
        double c = 0;
        for (size_t k = 0; k < n; k++)
          c += d->P[i * n + k] * d->S[k * r + j];
        v += c * c;
        tot += d->S[i * r + j] * d->S[i * r + j];
      }
  *b2 = v <= 1e-24 * tot ? 0 : v;
  return st;
}

/* At a point Z of the curve with tangent REF: a = t . mu (the H+ part of
   the explicit drift is normal) and b^2.  */
static int
coefficients (sde_slow_density *d, const double *z, const double *ref,
              double *a, double *b2)
{
  double t[MAXD];
  int st = sde_manifold_geometry (d->m, z, d->P, NULL, d->mu);
  if (st == GSL_SUCCESS)
    st = tangent (d, d->P, ref, t);
  if (st == GSL_SUCCESS)
    st = noise_b2 (d, z, b2);
  if (st)
    return sde_error (st, "slow density: the geometry failed on the curve");
  double v = 0;
  for (size_t i = 0; i < d->d; i++)
    v += t[i] * d->mu[i];
  *a = d->o.drop_drift ? 0 : v;
  return GSL_SUCCESS;
}

/* The tangent field t(Phi(y)): its flow traces the curve by arc length.  A
   failure makes GSL's evolve halve the step.  */
static int
field (double s, const double *y, double *f, void *params)
{
  (void)s;
  sde_slow_density *d = params;
  double z[MAXD];
  if (sde_manifold_phi (d->m, y, z, NULL)
      || sde_manifold_geometry (d->m, z, d->P, NULL, NULL)
      || tangent (d, d->P, d->ref, f))
    return GSL_EDOM;
  return GSL_SUCCESS;
}

/* One accepted step of the tracing ODE from C toward TARGET; the point is
   re-projected by Phi (the normal error stays at rounding) and the
   orientation follows.  Quiet: the caller reports a failure.  */
static int
walk_step (sde_slow_density *d, cursor *c, double target, double *h)
{
  memcpy (d->ref, c->ref, sizeof (double) * d->d);
  if (fabs (*h) > HMAX)
    *h = copysign (HMAX, *h);
  int st = gsl_odeiv2_evolve_apply (d->ev, d->con, d->step, &d->ode, &c->s,
                                    target, h, c->y);
  double z[MAXD], t[MAXD];
  if (st == GSL_SUCCESS)
    st = sde_manifold_phi (d->m, c->y, z, NULL);
  if (st == GSL_SUCCESS)
    st = sde_manifold_geometry (d->m, z, d->P, NULL, NULL);
  if (st == GSL_SUCCESS)
    st = tangent (d, d->P, c->ref, t);
  if (st)
    return st;
  memcpy (c->y, z, sizeof (double) * d->d);
  memcpy (c->ref, t, sizeof (double) * d->d);
  return GSL_SUCCESS;
}

static int
walk (sde_slow_density *d, cursor *c, double target)
{
  gsl_odeiv2_evolve_reset (d->ev);
  double h = target - c->s;
  while (c->s != target)
    {
      int st = walk_step (d, c, target, &h);
      if (st)
        return sde_error (st,
                          "slow density: tracing the curve failed at arc "
                          "length %.6g from zeta0 (%s)",
                          c->s, gsl_strerror (st));
    }
  return GSL_SUCCESS;
}

static double
dist (const double *x, const double *y, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += (x[i] - y[i]) * (x[i] - y[i]);
  return sqrt (s);
}

/* Newton's method on q(s) = (gamma(s) - zeta0) . t0 from the step that
   began at A: the arc length where the curve comes back.  */
static int
closure_root (sde_slow_density *d, const cursor *a, double s, cursor *e)
{
  const size_t n = d->d;
  for (int it = 0; it < 50; it++)
    {
      *e = *a;
      int st = walk (d, e, s);
      if (st)
        return st;
      double q = 0, dq = 0;
      for (size_t i = 0; i < n; i++)
        {
          q += (e->y[i] - d->start.y[i]) * d->start.ref[i];
          dq += e->ref[i] * d->start.ref[i];
        }
      if (fabs (q) <= 1e-15 * (1 + fabs (s)) || !(dq > 0.5))
        return dq > 0.5 ? GSL_SUCCESS : GSL_EDOM;
      s -= q / dq;
    }
  return GSL_EMAXITER;
}

/* Walks from zeta0 up to lmax: the curve is closed when it comes back to
   zeta0 through the normal hyperplane there, moving forward; otherwise it
   is taken as open.  */
static int
trace_closure (sde_slow_density *d)
{
  const size_t n = d->d;
  const double lmax = d->o.lmax;
  cursor c = d->start, a;
  double rmax = 0, qprev = 0, h = HMAX;
  gsl_odeiv2_evolve_reset (d->ev);
  while (c.s < lmax)
    {
      a = c;
      /* A curve that ends (Phi or the rank fails) is open; expect
         refuses only if the process may reach that far.  */
      if (walk_step (d, &c, lmax, &h))
        return GSL_SUCCESS;
      double r = dist (c.y, d->start.y, n), q = 0;
      for (size_t i = 0; i < n; i++)
        q += (c.y[i] - d->start.y[i]) * d->start.ref[i];
      rmax = fmax (rmax, r);
      if (qprev < 0 && q >= 0 && r < 0.5 * rmax)
        {
          cursor e;
          if (closure_root (d, &a, c.s, &e) == GSL_SUCCESS
              && dist (e.y, d->start.y, n) <= 1e-8 * (1 + rmax))
            {
              d->closed = 1;
              d->length = e.s;
              return GSL_SUCCESS;
            }
          gsl_odeiv2_evolve_reset (d->ev);
        }
      qprev = q;
    }
  return GSL_SUCCESS;
}

/* ---- Allocation ---- */

void
sde_slow_density_free (sde_slow_density *d)
{
  if (d == NULL)
    return;
  if (d->ev)
    gsl_odeiv2_evolve_free (d->ev);
  if (d->con)
    gsl_odeiv2_control_free (d->con);
  if (d->step)
    gsl_odeiv2_step_free (d->step);
  free (d->P);
  free (d);
}

static int
check_opts (const sde_slow_density_opts *o)
{
  if (!(o->tol > 0) || !(o->leak > 0) || !(o->leak < 1) || !(o->lmax > 0)
      || !isfinite (o->lmax) || o->n0 < 8 || o->nmax < o->n0 || o->nmax > 4096)
    return sde_error (GSL_EINVAL,
                      "slow density: bad options (tol %g, leak %g, lmax %g, "
                      "n0 %zu, nmax %zu; need tol, leak > 0, leak < 1, lmax "
                      "> 0, 8 <= n0 <= nmax <= 4096)",
                      o->tol, o->leak, o->lmax, o->n0, o->nmax);
  return GSL_SUCCESS;
}

static int
setup (sde_slow_density *d, sde_manifold *m, const double *x0)
{
  int st = sde_slow_system (&d->sys, sde_slow_projected, m);
  if (st)
    return st;
  d->d = d->sys.dim;
  d->r = d->sys.noise_dim;
  if (d->d > MAXD)
    return sde_error (GSL_EINVAL, "slow density: at most %d dimensions", MAXD);
  d->P = malloc (sizeof (double)
                 * (d->d * d->d + d->d * d->r + d->sys.work + 1));
  d->step = gsl_odeiv2_step_alloc (gsl_odeiv2_step_rk8pd, d->d);
  d->con = gsl_odeiv2_control_y_new (TRACE_TOL, TRACE_TOL);
  d->ev = gsl_odeiv2_evolve_alloc (d->d);
  if (!d->P || !d->step || !d->con || !d->ev)
    return sde_error (GSL_ENOMEM, "slow density: out of memory");
  d->S = d->P + d->d * d->d;
  d->work = d->S + d->d * d->r;
  d->ode = (gsl_odeiv2_system){ field, NULL, d->d, d };
  if ((st = sde_manifold_phi (m, x0, d->start.y, NULL))
      || (st = sde_manifold_geometry (m, d->start.y, d->P, NULL, NULL))
      || (st = tangent (d, d->P, NULL, d->start.ref)))
    return sde_error (st, "slow density: no tangent at Phi(x0)");
  return GSL_SUCCESS;
}

sde_slow_density *
sde_slow_density_alloc (sde_manifold *m, const double *x0,
                        const sde_slow_density_opts *o)
{
  char why[160];
  if (!sde_slow_density_applies (m, why, sizeof why))
    {
      sde_error (GSL_EINVAL, "%s", why);
      return NULL;
    }
  sde_slow_density *d = calloc (1, sizeof *d);
  if (d == NULL)
    {
      sde_error (GSL_ENOMEM, "slow density: out of memory");
      return NULL;
    }
  d->m = m;
  if (o)
    d->o = *o;
  else
    sde_slow_density_defaults (&d->o);
  double a, b2 = 0;
  int st = check_opts (&d->o);
  if (st == GSL_SUCCESS)
    st = setup (d, m, x0);
  if (st == GSL_SUCCESS)
    st = coefficients (d, d->start.y, d->start.ref, &a, &b2);
  if (st == GSL_SUCCESS)
    st = trace_closure (d);
  if (st)
    {
      sde_slow_density_free (d);
      return NULL;
    }
  d->deterministic = b2 == 0; /* no noise at zeta0: try the ODE */
  d->g.closed = d->closed;
  d->g.deterministic = d->deterministic;
  d->g.length = d->closed ? d->length : 0;
  return d;
}

/* ---- The matrix exponential ---- */

/* E = exp(dt A) for the m x m matrix A, by scaling and squaring with the
   [13/13] Pade approximant (Higham 2005, Algorithm 2.3, the m = 13
   branch): backward error below the unit roundoff once the 1-norm is at
   most theta_13.  W holds 6 m^2 doubles, PERM m entries.  */
static int
expm (const double *A, size_t m, double dt, double *E, double *w,
      gsl_permutation *perm)
{
  const double theta13 = 5.371920351148152;
  const size_t mm = m * m;
  double b[14], norm = 0;
  b[13] = 1; /* b_j = (26 - j)! 13! / (26! j! (13 - j)!), scaled */
  for (int j = 12; j >= 0; j--)
    b[j] = b[j + 1] * (j + 1) * (26 - j) / (13 - j);
  for (size_t k = 0; k < m; k++)
    {
      double c = 0;
      for (size_t i = 0; i < m; i++)
        c += fabs (A[i * m + k]);
      norm = fmax (norm, c * dt);
    }
  int s = norm > theta13 ? (int)ceil (log2 (norm / theta13)) : 0;
  const double sc = dt / ldexp (1, s);
  double *X = w, *X2 = w + mm, *X4 = w + 2 * mm, *X6 = w + 3 * mm;
  double *T = w + 4 * mm, *Y = w + 5 * mm;
  gsl_matrix_view vX = gsl_matrix_view_array (X, m, m),
                  v2 = gsl_matrix_view_array (X2, m, m),
                  v4 = gsl_matrix_view_array (X4, m, m),
                  v6 = gsl_matrix_view_array (X6, m, m),
                  vT = gsl_matrix_view_array (T, m, m),
                  vY = gsl_matrix_view_array (Y, m, m),
                  vE = gsl_matrix_view_array (E, m, m);
#define MUL(C, A_, B_)                                                         \
  gsl_blas_dgemm (CblasNoTrans, CblasNoTrans, 1, &A_.matrix, &B_.matrix, 0,    \
                  &C.matrix)
  for (size_t k = 0; k < mm; k++)
    X[k] = sc * A[k];
  MUL (v2, vX, vX);
  MUL (v4, v2, v2);
  MUL (v6, v2, v4);
  /* U = X [X6 (b13 X6 + b11 X4 + b9 X2) + b7 X6 + b5 X4 + b3 X2 + b1 I] */
  for (size_t k = 0; k < mm; k++)
    T[k] = b[13] * X6[k] + b[11] * X4[k] + b[9] * X2[k];
  MUL (vY, v6, vT);
  for (size_t k = 0; k < mm; k++)
    Y[k] += b[7] * X6[k] + b[5] * X4[k] + b[3] * X2[k];
  for (size_t i = 0; i < m; i++)
    Y[i * m + i] += b[1];
  MUL (vT, vX, vY); /* T = U */
  /* V = X6 (b12 X6 + b10 X4 + b8 X2) + b6 X6 + b4 X4 + b2 X2 + b0 I */
  for (size_t k = 0; k < mm; k++)
    Y[k] = b[12] * X6[k] + b[10] * X4[k] + b[8] * X2[k];
  MUL (vX, v6, vY); /* X = V */
  for (size_t k = 0; k < mm; k++)
    X[k] += b[6] * X6[k] + b[4] * X4[k] + b[2] * X2[k];
  for (size_t i = 0; i < m; i++)
    X[i * m + i] += b[0];
  /* (V - U) E = V + U */
  for (size_t k = 0; k < mm; k++)
    {
      double v = X[k], u = T[k];
      X[k] = v - u;
      E[k] = v + u;
    }
  int sg, st = gsl_linalg_LU_decomp (&vX.matrix, perm, &sg);
  for (size_t k = 0; k < m && st == GSL_SUCCESS; k++)
    {
      gsl_vector_view col = gsl_matrix_column (&vE.matrix, k);
      st = gsl_linalg_LU_svx (&vX.matrix, perm, &col.vector);
    }
  for (int k = 0; k < s && st == GSL_SUCCESS; k++)
    {
      MUL (vY, vE, vE);
      memcpy (E, Y, sizeof (double) * mm);
    }
#undef MUL
  return st;
}

/* Folds a and b^2 at arc length s into the extremes of its side.  */
static void
fold (double s, double a, double b2, double amax[2], double b2max[2])
{
  int side = s < 0;
  amax[side] = fmax (amax[side], side ? -a : a);
  b2max[side] = fmax (b2max[side], b2);
}

/* ---- Grids ---- */

/* The domain of one call: a closed curve's period, or an open arc
   [-W, W] about zeta0 whose inner [-w, w] the leak bound covers; the data
   are blended to constants between (erfc of width delta about c), so they
   meet the Neumann rows to all orders.  */
typedef struct
{
  int closed;
  double L;
  double w, W, c, delta, leak;
  double yc[2][MAXD]; /* gamma(-c), gamma(+c) */
} domain;

typedef struct
{
  size_t n;    /* nodes: n (Fourier) or n + 1 (Chebyshev) */
  size_t nn;   /* number of nodes */
  size_t m;    /* unknowns: n, or the n - 1 interior Chebyshev nodes */
  size_t read; /* the unknown at zeta0 */
  double *s, *y, *a, *b2, *x; /* arc length, points, a, b^2 at the nodes */
  double *A, *U, *E, *Y, *w;  /* generator, data, exp(dt A), scratch */
  double dt;                  /* the dt of E, or -1 */
  gsl_permutation *perm;
  double *f;      /* data at the nodes, nobs x nn */
  double *D, *D2; /* differentiation matrices */
} grid;

static void
grid_free (grid *G)
{
  free (G->s);
  if (G->perm)
    gsl_permutation_free (G->perm);
  memset (G, 0, sizeof *G);
}

static int
grid_alloc (grid *G, size_t n, int closed, size_t d, size_t nobs)
{
  memset (G, 0, sizeof *G);
  G->n = n;
  G->nn = closed ? n : n + 1;
  G->m = closed ? n : n - 1;
  G->read = closed ? 0 : n / 2 - 1;
  const size_t nn = G->nn, m = G->m, q = nobs + 1;
  size_t dn = closed ? 0 : nn * nn; /* Chebyshev D and D^2 */
  size_t tot = nn * (4 + d + nobs) + 2 * dn + m * m * 8 + 2 * m * q;
  G->s = malloc (sizeof (double) * tot);
  G->perm = gsl_permutation_alloc (m);
  if (!G->s || !G->perm)
    {
      grid_free (G);
      return sde_error (GSL_ENOMEM,
                        "slow density: out of memory for a "
                        "grid of %zu points",
                        n);
    }
  G->y = G->s + nn;
  G->a = G->y + nn * d;
  G->b2 = G->a + nn;
  G->x = G->b2 + nn;
  G->f = G->x + nn;
  G->D = G->f + nn * nobs;
  G->D2 = G->D + dn;
  G->A = G->D2 + dn;
  G->E = G->A + m * m;
  G->w = G->E + m * m;
  G->U = G->w + 6 * m * m;
  G->Y = G->U + m * q;
  G->dt = -1;
  return GSL_SUCCESS;
}

/* Walks from zeta0 to each node in turn (outward on each side) and
   evaluates the coefficients there.  */
static int
grid_nodes (sde_slow_density *d, grid *G, const domain *dom)
{
  const size_t n = G->n, dd = d->d;
  if (dom->closed)
    for (size_t j = 0; j < n; j++)
      G->s[j] = dom->L * (double)j / (double)n;
  else
    for (size_t j = 0; j <= n; j++) /* x_j = cos(pi j / n), symmetric */
      G->s[j]
          = dom->W
            * sin (M_PI * ((double)n - 2.0 * (double)j) / (2.0 * (double)n));
  /* Closed: j = 0..n-1 forward.  Open: j = n/2 down to 0, then n/2 + 1 up
     to n.  */
  size_t half = dom->closed ? n : n / 2;
  for (int side = 0; side < (dom->closed ? 1 : 2); side++)
    {
      cursor c = d->start;
      size_t cnt = side ? n - half : half + (dom->closed ? 0 : 1);
      for (size_t k = 0; k < cnt; k++)
        {
          size_t j = dom->closed ? k : side ? half + 1 + k : half - k;
          int st = walk (d, &c, G->s[j]);
          if (st == GSL_SUCCESS)
            st = coefficients (d, c.y, c.ref, &G->a[j], &G->b2[j]);
          if (st)
            return st;
          memcpy (G->y + j * dd, c.y, sizeof (double) * dd);
        }
    }
  return GSL_SUCCESS;
}

/* Fourier collocation on n nodes of a period L (Trefethen 2000, (3.10)
   and (3.12)): A = diag(a) D1 + diag(b^2/2) D2.  */
static void
fourier_operator (grid *G, double L)
{
  const size_t n = G->n;
  const double h = 2 * M_PI / (double)n, k1 = 2 * M_PI / L;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      {
        double d1 = 0, d2 = -M_PI * M_PI / (3 * h * h) - 1.0 / 6;
        if (i != j)
          {
            double sg = ((i + n - j) % 2) ? -1 : 1;
            double x = 0.5 * h * ((double)i - (double)j);
            d1 = 0.5 * sg / tan (x);
            d2 = -0.5 * sg / (sin (x) * sin (x));
          }
        G->A[i * n + j] = G->a[i] * k1 * d1 + 0.5 * G->b2[i] * k1 * k1 * d2;
      }
}

/* Chebyshev collocation on [-W, W] (Trefethen 2000, cheb.m with the
   differences x_i - x_j in product form); the Neumann rows u'(+-W) = 0
   give the boundary values in terms of the interior ones, which leaves
   the (n-1) x (n-1) interior generator.  */
static void
chebyshev_operator (grid *G, double W)
{
  const size_t n = G->n, nn = n + 1, m = n - 1;
  double *D = G->D, *D2 = G->D2;
  for (size_t i = 0; i <= n; i++)
    {
      double row = 0;
      for (size_t j = 0; j <= n; j++)
        if (i != j)
          {
            double ci = (i == 0 || i == n) ? 2 : 1;
            double cj = (j == 0 || j == n) ? 2 : 1;
            double sg = ((i + j) % 2) ? -1 : 1;
            double dx
                = 2 * sin (M_PI * (double)(i + j) / (2.0 * (double)n))
                  * sin (M_PI * ((double)j - (double)i) / (2.0 * (double)n));
            D[i * nn + j] = ci / cj * sg / dx / W;
            row += D[i * nn + j];
          }
      D[i * nn + i] = -row;
    }
  gsl_matrix_view vD = gsl_matrix_view_array (D, nn, nn),
                  v2 = gsl_matrix_view_array (D2, nn, nn);
  gsl_blas_dgemm (CblasNoTrans, CblasNoTrans, 1, &vD.matrix, &vD.matrix, 0,
                  &v2.matrix);
  /* [u_0; u_n] = M u_I with B M = -[D_0I; D_nI].  */
  const double b00 = D[0], b0n = D[n], bn0 = D[n * nn], bnn = D[n * nn + n];
  const double det = b00 * bnn - b0n * bn0;
  for (size_t i = 1; i <= m; i++)
    {
      double Li0 = G->a[i] * D[i * nn] + 0.5 * G->b2[i] * D2[i * nn];
      double Lin = G->a[i] * D[i * nn + n] + 0.5 * G->b2[i] * D2[i * nn + n];
      for (size_t k = 1; k <= m; k++)
        {
          double r0 = -D[k], rn = -D[n * nn + k];
          double m0 = (bnn * r0 - b0n * rn) / det;
          double mn = (b00 * rn - bn0 * r0) / det;
          double Lik
              = G->a[i] * D[i * nn + k] + 0.5 * G->b2[i] * D2[i * nn + k];
          G->A[(i - 1) * m + (k - 1)] = Lik + Li0 * m0 + Lin * mn;
        }
    }
}

/* phi_o at the NP points PTS (point-major) into VALS[o * np + j].  */
static int
observe (sde_slow_density *d, const sde_observable *obs, size_t nobs, size_t np,
         const double *pts, double *vals)
{
  const size_t n = d->d;
  size_t wk = 1;
  for (size_t o = 0; o < nobs; o++)
    {
      size_t k = sde_observable_work (&obs[o], n);
      wk = k > wk ? k : wk;
    }
  double *x = malloc (sizeof (double) * np * (n + wk));
  if (x == NULL)
    return sde_error (GSL_ENOMEM, "slow density: out of memory");
  for (size_t j = 0; j < np; j++)
    for (size_t i = 0; i < n; i++)
      x[i * np + j] = pts[j * n + i];
  int st = GSL_SUCCESS;
  for (size_t o = 0; o < nobs && st == GSL_SUCCESS; o++)
    st = sde_observable_apply (&obs[o], np, x, vals + o * np, x + n * np);
  free (x);
  for (size_t k = 0; k < np * nobs && st == GSL_SUCCESS; k++)
    if (!isfinite (vals[k]))
      st = sde_error (GSL_EDOM,
                      "slow density: observable %s is not finite "
                      "on the curve",
                      obs[k / np].name);
  return st;
}

/* The largest coefficient in the top third of the spectrum of the data:
   Fourier, or Chebyshev (a_k = (2/n) sum'' f_j cos(pi j k / n)).  A grid
   is trusted only when this is below tol.  */
static double
data_tail (const grid *G, int closed, size_t nobs)
{
  const size_t n = G->n, nn = G->nn;
  double big = 0;
  for (size_t o = 0; o < nobs; o++)
    {
      const double *f = G->f + o * nn;
      for (size_t k = closed ? n / 3 : 2 * n / 3; k <= (closed ? n / 2 : n);
           k++)
        {
          double re = 0, im = 0;
          for (size_t j = 0; j < nn; j++)
            {
              double th = (closed ? 2 : 1) * M_PI * (double)((j * k) % (2 * n))
                          / (double)n;
              double wj = (!closed && (j == 0 || j == n)) ? 0.5 : 1;
              re += wj * f[j] * cos (th);
              im += closed ? f[j] * sin (th) : 0;
            }
          double c = closed ? hypot (re, im) / (double)n : 2 * fabs (re) / n;
          big = fmax (big, c);
        }
    }
  return big;
}

/* The data u(0, s) = phi(gamma(s)) at the nodes; on an open arc blended
   to the constants phi(gamma(+-c)) beyond +-w.  Then the unknowns: the
   data of each observable and a column of ones (checks the time
   stepping).  */
static int
grid_data (sde_slow_density *d, grid *G, const domain *dom,
           const sde_observable *obs, size_t nobs, double *tail)
{
  const size_t nn = G->nn, m = G->m, q = nobs + 1;
  int st = observe (d, obs, nobs, nn, G->y, G->f);
  *tail = st ? INFINITY : data_tail (G, dom->closed, nobs);
  if (st == GSL_SUCCESS && !dom->closed)
    {
      double *fcv = malloc (sizeof (double) * 2 * nobs);
      st = fcv ? observe (d, obs, nobs, 2, &dom->yc[0][0], fcv)
               : sde_error (GSL_ENOMEM, "slow density: out of memory");
      for (size_t j = 0; j < nn && st == GSL_SUCCESS; j++)
        {
          double r = fabs (G->s[j]);
          double g = 0.5 * gsl_sf_erfc ((r - dom->c) / dom->delta);
          size_t side = G->s[j] > 0;
          for (size_t o = 0; o < nobs; o++)
            {
              double k = fcv[o * 2 + side];
              G->f[o * nn + j] = k + (G->f[o * nn + j] - k) * g;
            }
        }
      free (fcv);
    }
  size_t off = dom->closed ? 0 : 1;
  for (size_t i = 0; i < m; i++)
    {
      for (size_t o = 0; o < nobs; o++)
        G->U[i * q + o] = G->f[o * nn + i + off];
      G->U[i * q + nobs] = 1;
    }
  return st;
}

/* Advances the unknowns through the times T: U <- exp(dt A) U, reusing
   exp(dt A) while dt repeats (uniform checkpoints cost one exponential).
   VALS[k * nobs + o] is read at zeta0; *DEFECT is the drift of the column
   of ones, which the exact semigroup keeps.  */
static int
propagate (grid *G, const double *t, size_t nt, size_t nobs, double *vals,
           double *defect)
{
  const size_t m = G->m, q = nobs + 1;
  double tc = 0;
  *defect = 0;
  for (size_t k = 0; k < nt; k++)
    {
      double dt = t[k] - tc;
      if (dt > 0)
        {
          if (!(fabs (dt - G->dt) <= 1e-15 * dt))
            {
              int st = expm (G->A, m, dt, G->E, G->w, G->perm);
              if (st)
                return sde_error (st, "slow density: the matrix "
                                      "exponential failed");
              G->dt = dt;
            }
          gsl_matrix_view vE = gsl_matrix_view_array (G->E, m, m),
                          vU = gsl_matrix_view_array (G->U, m, q),
                          vY = gsl_matrix_view_array (G->Y, m, q);
          gsl_blas_dgemm (CblasNoTrans, CblasNoTrans, 1, &vE.matrix, &vU.matrix,
                          0, &vY.matrix);
          memcpy (G->U, G->Y, sizeof (double) * m * q);
          tc = t[k];
        }
      for (size_t o = 0; o < nobs; o++)
        vals[k * nobs + o] = G->U[G->read * q + o];
      for (size_t i = 0; i < m; i++)
        *defect = fmax (*defect, fabs (G->U[i * q + nobs] - 1));
    }
  return GSL_SUCCESS;
}

/* One grid of n: nodes, operator, data, propagation.  VALS as in
   propagate; *TAIL the data's spectral tail, *DEFECT the time stepping's.
   On an open arc a and b^2 at the nodes of [-w, w] are folded into the
   extremes of each side (fold).  */
static int
grid_solve (sde_slow_density *d, grid *G, const domain *dom, const double *t,
            size_t nt, const sde_observable *obs, size_t nobs, double *vals,
            double *tail, double *defect, double amax[2], double b2max[2])
{
  int st = grid_nodes (d, G, dom);
  if (st)
    return st;
  if (dom->closed)
    fourier_operator (G, dom->L);
  else
    {
      chebyshev_operator (G, dom->W);
      for (size_t j = 0; j < G->nn; j++)
        if (fabs (G->s[j]) <= dom->w)
          fold (G->s[j], G->a[j], G->b2[j], amax, b2max);
    }
  if ((st = grid_data (d, G, dom, obs, nobs, tail)))
    return st;
  return propagate (G, t, nt, nobs, vals, defect);
}

/* The values must lie in the range of phi on the curve: the nodes' range
   widened by the largest second difference (what a smooth phi can reach
   between nodes) and the error allowed.  */
static int
range_check (const grid *G, const sde_observable *obs, size_t nobs,
             const double *t, size_t nt, const double *vals, const double *err,
             double tol)
{
  const size_t nn = G->nn;
  for (size_t o = 0; o < nobs; o++)
    {
      const double *f = G->f + o * nn;
      double lo = f[0], hi = f[0], dd = 0;
      for (size_t j = 0; j < nn; j++)
        {
          lo = fmin (lo, f[j]);
          hi = fmax (hi, f[j]);
          if (j > 0 && j + 1 < nn)
            dd = fmax (dd, fabs (f[j + 1] - 2 * f[j] + f[j - 1]));
        }
      for (size_t k = 0; k < nt; k++)
        {
          double v = vals[k * nobs + o], sl = tol + err[k * nobs + o] + dd;
          if (!(v >= lo - sl && v <= hi + sl))
            return sde_error (GSL_ESANITY,
                              "slow density: E %s at t = %g is %.12g, "
                              "outside the range [%.12g, %.12g] of %s on the "
                              "curve: the value cannot be vouched for",
                              obs[o].name, t[k], v, lo, hi, obs[o].name);
        }
    }
  return GSL_SUCCESS;
}

/* The next grid: about sqrt(2) finer, even, at most nmax.  */
static size_t
next_n (size_t n, size_t nmax)
{
  size_t k = 2 * (size_t)lround ((double)n / M_SQRT2);
  if (k <= n)
    k = n + 2;
  return n < nmax && k > nmax ? nmax : k;
}

/* P(zeta leaves the arc [-w, w] through its right end by T) <= e^(lambda
   T) / cosh(theta w): h = cosh(theta s) on [0, w], 1 on [-w, 0], is C^1
   with A h <= lambda h, lambda = theta A + theta^2 B / 2, A the largest
   drift a > 0 and B the largest b^2 on [0, w] only, so e^(-lambda t) h(s_t)
   stopped at the exit is a supermartingale; theta = (w - A T) / (B T).
   The left end likewise; side 1 holds -a and b^2 on [-w, 0].  */
static double
leak_bound (double w, double T, const double amax[2], const double b2max[2])
{
  double e = 0;
  for (int side = 0; side < 2; side++)
    {
      double x = w - amax[side] * T, v = b2max[side] * T;
      if (x <= 0)
        return 1;
      if (v > 0)
        {
          double th = x / v;
          double lam = th * amax[side] + 0.5 * th * th * b2max[side];
          e += exp (lam * T - th * w) * 2 / (1 + exp (-2 * th * w));
        }
    }
  return fmin (e, 1);
}

/* The error estimate of each accepted value: the difference from the
   coarser grid, rounding, the drift of the column of ones times the value
   (the difference already shows the time stepping's error on the data),
   and on an open arc the leak bound times twice the largest |phi| there.
   GSL_ETOL when an estimate exceeds tol.  */
static int
accept (const grid *G, const domain *dom, const double *cur, const double *prev,
        size_t nt, size_t nobs, double defect, double tol, double *out,
        double *err)
{
  double worst = 0;
  size_t at = 0;
  for (size_t o = 0; o < nobs; o++)
    {
      double big = 0;
      for (size_t j = 0; j < G->nn; j++)
        big = fmax (big, fabs (G->f[o * G->nn + j]));
      double extra = 16 * GSL_DBL_EPSILON * (1 + big)
                     + (dom->closed ? 0 : 2 * dom->leak * big);
      for (size_t k = 0; k < nt; k++)
        {
          size_t i = k * nobs + o;
          out[i] = cur[i];
          err[i]
              = fabs (cur[i] - prev[i]) + extra + defect * (1 + fabs (cur[i]));
          if (err[i] > worst)
            worst = err[i], at = i;
        }
    }
  if (worst > tol)
    return sde_error (GSL_ETOL,
                      "slow density: the error estimate %.3g of "
                      "observable %zu at checkpoint %zu is above tol %g (the "
                      "grids agree to %.3g; time stepping %.3g; leak %.3g)",
                      worst, at % nobs, at / nobs, tol,
                      fabs (cur[at] - prev[at]), defect, dom->leak);
  return GSL_SUCCESS;
}

/* Grids n0, ~sqrt(2) n0, ... until two in a row agree within tol with
   the coarser one resolving the data (a trusted error estimate); the
   finer one's values are returned.  */
static int
refine (sde_slow_density *d, domain *dom, const double *t, size_t nt,
        const sde_observable *obs, size_t nobs, double *out, double *err)
{
  const size_t nv = nt * nobs;
  double *prev = malloc (sizeof (double) * 2 * nv);
  double *cur = prev ? prev + nv : NULL;
  double amax[2] = { 0, 0 }, b2max[2] = { 0, 0 };
  double last = INFINITY, tail0 = INFINITY;
  size_t nprev = 0;
  grid G = { 0 };
  int st = prev ? GSL_SUCCESS
                : sde_error (GSL_ENOMEM, "slow density: out of memory");
  int done = 0;
  for (size_t n = d->o.n0; st == GSL_SUCCESS && n <= d->o.nmax;
       n = next_n (n, d->o.nmax))
    {
      double tail = INFINITY, defect = 0, diff = nprev ? 0 : INFINITY;
      grid_free (&G);
      st = grid_alloc (&G, n, dom->closed, d->d, nobs);
      if (st == GSL_SUCCESS)
        st = grid_solve (d, &G, dom, t, nt, obs, nobs, cur, &tail, &defect,
                         amax, b2max);
      for (size_t k = 0; k < nv && nprev; k++)
        diff = fmax (diff, fabs (cur[k] - prev[k]));
      if (st == GSL_SUCCESS && tail0 <= d->o.tol && diff <= d->o.tol)
        {
          if (!dom->closed) /* the bound again, the nodes' extremes in */
            dom->leak
                = fmax (dom->leak, leak_bound (dom->w, t[nt - 1], amax, b2max));
          d->g.n = n;
          d->g.ncheck = nprev;
          done = 1;
          st = accept (&G, dom, cur, prev, nt, nobs, defect, d->o.tol, out,
                       err);
          if (st == GSL_SUCCESS)
            st = range_check (&G, obs, nobs, t, nt, out, err, d->o.tol);
        }
      if (st || done || n == d->o.nmax)
        break;
      memcpy (prev, cur, sizeof (double) * nv);
      nprev = n;
      tail0 = tail;
      last = diff;
    }
  grid_free (&G);
  free (prev);
  if (st == GSL_SUCCESS && !done)
    st = sde_error (GSL_ETOL,
                    "slow density: the grid error estimate %.3g (spectral "
                    "tail of the data %.3g) is above tol %g with the "
                    "largest grid, %zu points; raise nmax or tol",
                    last, tail0, d->o.tol, d->o.nmax);
  return st;
}

/* ---- Open curves: the arc ---- */

/* Folds the coefficients at NSAMPLE points per side of [-w, w] into the
   extremes.  */
static int
sample_arc (sde_slow_density *d, double w, double amax[2], double b2max[2])
{
  for (int side = 0; side < 2; side++)
    {
      cursor c = d->start;
      for (int k = 1; k <= NSAMPLE; k++)
        {
          double a, b2, s = (side ? -w : w) * k / NSAMPLE;
          int st = walk (d, &c, s);
          if (st == GSL_SUCCESS)
            st = coefficients (d, c.y, c.ref, &a, &b2);
          if (st)
            return st;
          fold (s, a, b2, amax, b2max);
        }
    }
  return GSL_SUCCESS;
}

/* The arc [-w, w] whose leak bound by T is below opts->leak, widened
   until the coefficients sampled on it confirm the bound; the domain
   reaches MARGIN w.  */
static int
open_domain (sde_slow_density *d, double T, domain *dom)
{
  double amax[2] = { 0, 0 }, b2max[2] = { 0, 0 }, a, b2, w = 0;
  int st = coefficients (d, d->start.y, d->start.ref, &a, &b2);
  fold (1, a, b2, amax, b2max);
  fold (-1, a, b2, amax, b2max);
  const double z = sqrt (2 * log (4 / d->o.leak));
  for (int it = 0; it < 60 && st == GSL_SUCCESS; it++)
    {
      double guess = 0;
      for (int side = 0; side < 2; side++)
        guess = fmax (guess, amax[side] * T + z * sqrt (b2max[side] * T));
      w = fmax (fmax (1.25 * w, guess), 1e-6 * d->o.lmax);
      if (MARGIN * w > d->o.lmax)
        return sde_error (GSL_ETOL,
                          "slow density: by t = %g the process may travel "
                          "%.3g along the open curve, beyond the %g the "
                          "engine may trace (lmax): P(leaving) cannot be "
                          "bounded by %g",
                          T, w, d->o.lmax / MARGIN, d->o.leak);
      if ((st = sample_arc (d, w, amax, b2max)))
        break;
      if (leak_bound (w, T, amax, b2max) <= d->o.leak)
        {
          memset (dom, 0, sizeof *dom);
          dom->w = w;
          dom->W = MARGIN * w;
          dom->c = 0.5 * (dom->w + dom->W);
          dom->delta = (dom->W - dom->w) / 11; /* erfc(5.5)/2 = 4e-15 */
          dom->leak = leak_bound (w, T, amax, b2max);
          for (int side = 0; side < 2 && st == GSL_SUCCESS; side++)
            {
              cursor c = d->start;
              st = walk (d, &c, side ? dom->c : -dom->c);
              memcpy (dom->yc[side], c.y, sizeof (double) * d->d);
            }
          return st;
        }
    }
  return st ? st
            : sde_error (GSL_ETOL,
                         "slow density: no arc with a leak "
                         "bound below %g",
                         d->o.leak);
}

/* ---- No noise: the ODE zeta' = P mu ---- */

static int
flow_field (double t, const double *y, double *f, void *params)
{
  (void)t;
  sde_slow_density *d = params;
  const size_t n = d->d;
  double z[MAXD], b2;
  if (sde_manifold_phi (d->m, y, z, NULL)
      || sde_manifold_geometry (d->m, z, d->P, NULL, d->mu)
      || noise_b2 (d, z, &b2))
    return GSL_EBADFUNC;
  d->b2seen = fmax (d->b2seen, b2);
  for (size_t i = 0; i < n; i++)
    {
      double v = 0;
      for (size_t k = 0; k < n; k++)
        v += d->P[i * n + k] * d->mu[k];
      f[i] = d->o.drop_drift ? 0 : v;
    }
  return GSL_SUCCESS;
}

/* The flow by rk8pd at tolerance EPS, observed at Phi of its points.  */
static int
flow_run (sde_slow_density *d, double eps, const double *t, size_t nt,
          const sde_observable *obs, size_t nobs, double *vals)
{
  gsl_odeiv2_system sys = { flow_field, NULL, d->d, d };
  gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new (
      &sys, gsl_odeiv2_step_rk8pd, 1e-3, eps, eps);
  if (drv == NULL)
    return sde_error (GSL_ENOMEM, "slow density: out of memory");
  double y[MAXD], z[MAXD], tc = 0;
  memcpy (y, d->start.y, sizeof (double) * d->d);
  int st = GSL_SUCCESS;
  for (size_t k = 0; k < nt && st == GSL_SUCCESS; k++)
    {
      if (t[k] > tc)
        st = gsl_odeiv2_driver_apply (drv, &tc, t[k], y);
      if (st)
        st = sde_error (st,
                        "slow density: the flow failed before t = %g "
                        "(%s)",
                        t[k], gsl_strerror (st));
      else if ((st = sde_manifold_phi (d->m, y, z, NULL)) == GSL_SUCCESS)
        st = observe (d, obs, nobs, 1, z, vals + k * nobs);
    }
  gsl_odeiv2_driver_free (drv);
  return st;
}

static int
flow_expect (sde_slow_density *d, const double *t, size_t nt,
             const sde_observable *obs, size_t nobs, double *out, double *err)
{
  const size_t nv = nt * nobs;
  double *coarse = calloc (nv ? nv : 1, sizeof (double));
  if (coarse == NULL)
    return sde_error (GSL_ENOMEM, "slow density: out of memory");
  d->b2seen = 0;
  int st = flow_run (d, 1e-10, t, nt, obs, nobs, coarse);
  if (st == GSL_SUCCESS)
    st = flow_run (d, 1e-13, t, nt, obs, nobs, out);
  for (size_t k = 0; k < nv && st == GSL_SUCCESS; k++)
    err[k] = fabs (out[k] - coarse[k])
             + 16 * GSL_DBL_EPSILON * (1 + fabs (out[k]));
  free (coarse);
  /* Noise reached on the way: the law is not a point mass.  */
  if (st == GSL_SUCCESS && d->b2seen > 0)
    st = GSL_CONTINUE;
  return st;
}

/* ---- Expectations ---- */

static int
check_times (const double *t, size_t nt)
{
  for (size_t k = 0; k < nt; k++)
    if (!isfinite (t[k]) || t[k] < 0 || (k > 0 && t[k] < t[k - 1]))
      return sde_error (GSL_EINVAL,
                        "slow density: times must be finite, >= 0 and "
                        "non-decreasing (t[%zu] = %g)",
                        k, t[k]);
  return GSL_SUCCESS;
}

/* The grid engines: a closed curve's period, or an open arc.  */
static int
grid_expect (sde_slow_density *d, const double *t, size_t nt,
             const sde_observable *obs, size_t nobs, double *out, double *err)
{
  domain dom;
  memset (&dom, 0, sizeof dom);
  int st = GSL_SUCCESS;
  if (d->closed)
    {
      dom.closed = 1;
      dom.L = d->length;
    }
  else
    st = open_domain (d, t[nt - 1], &dom);
  if (st == GSL_SUCCESS)
    st = refine (d, &dom, t, nt, obs, nobs, out, err);
  d->g.lo = d->closed ? 0 : -dom.W;
  d->g.hi = d->closed ? d->length : dom.W;
  d->g.half = dom.w;
  d->g.leak = dom.leak;
  if (st == GSL_SUCCESS && !d->closed && dom.leak > d->o.leak)
    st = sde_error (GSL_ETOL,
                    "slow density: the probability of leaving the arc "
                    "[-%g, %g] by t = %g is bounded only by %.3g, above "
                    "the leak allowed, %g",
                    dom.w, dom.w, t[nt - 1], dom.leak, d->o.leak);
  return st;
}

int
sde_slow_density_expect (sde_slow_density *d, const double *t, size_t nt,
                         const sde_observable *obs, size_t nobs, double *out,
                         double *err)
{
  const size_t nv = nt * nobs;
  int st = check_times (t, nt);
  if (st || nv == 0)
    return st;
  double *e = err ? err : malloc (sizeof (double) * nv);
  if (e == NULL)
    return sde_error (GSL_ENOMEM, "slow density: out of memory");
  d->g.n = d->g.ncheck = 0;
  d->g.lo = d->g.hi = d->g.half = d->g.leak = 0;
  if (t[nt - 1] == 0) /* the point mass at zeta0 */
    {
      st = observe (d, obs, nobs, 1, d->start.y, out);
      for (size_t k = 0; k < nv && st == GSL_SUCCESS; k++)
        {
          out[k] = out[k % nobs];
          e[k] = 0;
        }
    }
  else
    {
      st = d->deterministic ? flow_expect (d, t, nt, obs, nobs, out, e)
                            : GSL_CONTINUE;
      d->g.deterministic = st != GSL_CONTINUE;
      if (st == GSL_CONTINUE)
        st = grid_expect (d, t, nt, obs, nobs, out, e);
    }
  d->g.err = 0;
  for (size_t k = 0; k < nv && st == GSL_SUCCESS; k++)
    d->g.err = fmax (d->g.err, e[k]);
  if (e != err)
    free (e);
  return st;
}

/* ---- The curve and its coefficients ---- */

int
sde_slow_density_curve (sde_slow_density *d, size_t n, const double *s,
                        double *gamma, double *a, double *b2)
{
  cursor c = d->start;
  for (size_t k = 0; k < n; k++)
    {
      double target = s[k], av, bv;
      if (!isfinite (target))
        return sde_error (GSL_EINVAL, "slow density: arc length %g", target);
      if (d->closed)
        target = remainder (target, d->length);
      /* Go on from the last point when it lies on the way.  */
      if ((target < 0) != (c.s < 0) || fabs (target) < fabs (c.s))
        c = d->start;
      int st = walk (d, &c, target);
      if (st == GSL_SUCCESS && (a || b2))
        st = coefficients (d, c.y, c.ref, &av, &bv);
      if (st)
        return st;
      if (gamma)
        memcpy (gamma + k * d->d, c.y, sizeof (double) * d->d);
      if (a)
        a[k] = av;
      if (b2)
        b2[k] = bv;
    }
  return GSL_SUCCESS;
}

void
sde_slow_density_info (const sde_slow_density *d, sde_slow_density_grid *g)
{
  *g = d->g;
}

int
sde_slow_density_fprintf (FILE *f, const sde_slow_density *d)
{
  const sde_slow_density_grid *g = &d->g;
  if (g->deterministic)
    return fprintf (f,
                    "slow density: no tangent noise (b = 0), the ODE "
                    "zeta' = P mu by rk8pd at tolerance 1e-13, checked at "
                    "1e-10; error estimate %.2g",
                    g->err);
  if (g->closed)
    return fprintf (f,
                    "slow density: closed curve of length %.12g; Fourier "
                    "collocation, %zu points (checked against %zu), exact "
                    "exponential (Pade 13); error estimate %.2g",
                    g->length, g->n, g->ncheck, g->err);
  return fprintf (f,
                  "slow density: open curve, arc length [%.6g, %.6g] from "
                  "zeta0, P(leaving [-%.6g, %.6g]) <= %.2g; Chebyshev "
                  "collocation with Neumann ends, %zu points (checked "
                  "against %zu), exact exponential (Pade 13); error "
                  "estimate %.2g",
                  g->lo, g->hi, g->half, g->half, g->leak, g->n, g->ncheck,
                  g->err);
}
