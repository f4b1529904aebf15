/* manifold.c: Phi, the tangent projector, the inverse Lyapunov operator
   and the Katzenberger drift of the slow SDE (MATH.md section 6; Li, Wang &
   Arora 2022, Lemma 4.3 and Corollary 5.3 give d Phi = P on the manifold
   and the second derivative used here).  GSL workspaces are kept per
   OpenMP thread.  */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "manifold_internal.h"
#include "sdekit/manifold.h"
#include "sdekit/spec.h"
#include "slow_tangent.h"

typedef struct slot slot;

struct sde_manifold
{
  const sde_problem *pb;
  sde_manifold_opts o;
  size_t d, r, k; /* ambient, noise columns, manifold dimension */
  size_t nslots;
  slot *slots;
  pthread_mutex_t lock;
};

struct slot
{
  sde_manifold *m;
  gsl_eigen_symmv_workspace *eig;
  gsl_matrix *H, *V;
  gsl_vector *lam;
  gsl_odeiv2_system ode;
  gsl_odeiv2_driver *drv;
  double *work; /* problem scratch for one path, and matrices */
  double *S, *Sig, *A, *B, *t1, *t2, *x;
  sde__phi_ws *ws; /* Phi over blocks of paths */
  double *bx, *by; /* a gathered block, d x cap each */
  int *code;
  size_t *nst, *map;
};

void
sde_manifold_defaults (sde_manifold_opts *o)
{
  o->sigma = 1;
  o->gtol = 1e-11;
  o->max_steps = 100000;
  o->rank_tol = 1e-7;
  o->flow = 0;
  o->rtol = 1e-6;
  o->ptol = 1e-7;
  o->bdf = 0;
}

size_t
sde_manifold_dim (const sde_manifold *m)
{
  return m->k;
}

/* ---- per-thread slots ---- */

static int
ode_rhs (double s, const double *y, double *f, void *params)
{
  (void)s;
  slot *sl = params;
  const sde_problem *pb = sl->m->pb;
  int st = pb->grad (pb, 1, y, f, sl->work);
  for (size_t i = 0; i < sl->m->d; i++)
    f[i] = -f[i];
  return st ? GSL_EBADFUNC : GSL_SUCCESS;
}

static int
hessian (slot *sl, const double *x, double *H)
{
  const sde_problem *pb = sl->m->pb;
  const size_t d = sl->m->d;
  if (pb->hess_const)
    {
      memcpy (H, pb->hess_const, sizeof (double) * d * d);
      return GSL_SUCCESS;
    }
  if (pb->hess)
    return pb->hess (pb, 1, x, H, sl->work);
  /* sde_problem_fd_hess wants pb->work + 3 d doubles for one path.  */
  return sde_problem_fd_hess (pb, 1, x, 1e-5, H, sl->work);
}

static int
ode_jac (double s, const double *y, double *J, double *dfdt, void *params)
{
  (void)s;
  slot *sl = params;
  const size_t d = sl->m->d;
  int st = hessian (sl, y, J);
  for (size_t i = 0; i < d * d; i++)
    J[i] = -J[i];
  for (size_t i = 0; i < d; i++)
    dfdt[i] = 0;
  return st ? GSL_EBADFUNC : GSL_SUCCESS;
}

static void
slot_free (slot *sl)
{
  if (sl->eig)
    gsl_eigen_symmv_free (sl->eig);
  gsl_matrix_free (sl->H);
  gsl_matrix_free (sl->V);
  gsl_vector_free (sl->lam);
  if (sl->drv)
    gsl_odeiv2_driver_free (sl->drv);
  free (sl->work);
  sde__phi_ws_free (sl->ws);
  free (sl->bx);
  free (sl->code);
  free (sl->nst);
}

static int
slot_init (slot *sl, sde_manifold *m)
{
  const size_t d = m->d, r = m->r;
  memset (sl, 0, sizeof *sl);
  sl->m = m;
  size_t pw = m->pb->work + 3 * d + 16;
  size_t nw = pw + d * r + 4 * d * d + 3 * d;
  double *work = malloc (sizeof (double) * nw);
  if (work == NULL)
    return GSL_ENOMEM;
  sl->work = work;
  sl->eig = gsl_eigen_symmv_alloc (d);
  sl->H = gsl_matrix_alloc (d, d);
  sl->V = gsl_matrix_alloc (d, d);
  sl->lam = gsl_vector_alloc (d);
  if (!sl->eig || !sl->H || !sl->V || !sl->lam)
    return GSL_ENOMEM;
  sl->S = sl->work + pw;
  sl->Sig = sl->S + d * r;
  sl->A = sl->Sig + d * d;
  sl->B = sl->A + d * d;
  sl->t1 = sl->B + d * d;
  sl->t2 = sl->t1 + d;
  sl->x = sl->t2 + d;
  sl->ode = (gsl_odeiv2_system){ ode_rhs, ode_jac, d, sl };
  /* The flow's error moves Phi along Gamma, where nothing corrects it:
     relative 1e-10.  */
  sl->drv = gsl_odeiv2_driver_alloc_y_new (&sl->ode, gsl_odeiv2_step_msbdf,
                                           1e-3, 1e-13, 1e-10);
  if (sl->drv == NULL)
    return GSL_ENOMEM;
  gsl_odeiv2_driver_set_nmax (sl->drv, m->o.max_steps);
  /* Blocks of at most 256 paths and about 64 K doubles of matrices.  */
  size_t cap = 65536 / (d * d);
  cap = cap < 8 ? 8 : cap > 256 ? 256 : cap;
  sl->ws = sde__phi_ws_alloc (m->pb, cap);
  sl->bx = malloc (sizeof (double) * 2 * d * cap);
  sl->code = malloc (sizeof (int) * cap);
  sl->nst = malloc (sizeof (size_t) * 2 * cap);
  if (!sl->ws || !sl->bx || !sl->code || !sl->nst)
    return GSL_ENOMEM;
  sl->by = sl->bx + d * cap;
  sl->map = sl->nst + cap;
  return GSL_SUCCESS;
}

static slot *
acquire (sde_manifold *m, int *locked)
{
  size_t me = 0;
#ifdef _OPENMP
  me = (size_t)omp_get_thread_num ();
#endif
  if (me + 1 < m->nslots)
    {
      *locked = 0;
      return &m->slots[me];
    }
  pthread_mutex_lock (&m->lock);
  *locked = 1;
  return &m->slots[m->nslots - 1];
}

static void
release (sde_manifold *m, int locked)
{
  if (locked)
    pthread_mutex_unlock (&m->lock);
}

/* ---- Phi ---- */

static double
gnorm (slot *sl, const double *x)
{
  const size_t d = sl->m->d;
  double g[64], s = 0;
  sl->m->pb->grad (sl->m->pb, 1, x, g, sl->work);
  for (size_t i = 0; i < d; i++)
    s += g[i] * g[i];
  return sqrt (s);
}

/* Eigenvalues of H at x into sl->lam (ascending), vectors into sl->V;
   returns the number of near-zero eigenvalues and the largest |lambda|.  */
static int
spectrum (slot *sl, const double *x, size_t *nzero, double *lmax, double *lneg)
{
  const size_t d = sl->m->d;
  int st = hessian (sl, x, sl->H->data);
  if (st)
    return st;
  /* Symmetrise against rounding in finite-difference Hessians.  */
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < i; j++)
      {
        double v
            = 0.5
              * (gsl_matrix_get (sl->H, i, j) + gsl_matrix_get (sl->H, j, i));
        gsl_matrix_set (sl->H, i, j, v);
        gsl_matrix_set (sl->H, j, i, v);
      }
  st = gsl_eigen_symmv (sl->H, sl->lam, sl->V, sl->eig);
  if (st)
    return st;
  gsl_eigen_symmv_sort (sl->lam, sl->V, GSL_EIGEN_SORT_VAL_ASC);
  double mx = 0;
  for (size_t i = 0; i < d; i++)
    mx = fmax (mx, fabs (gsl_vector_get (sl->lam, i)));
  size_t z = 0;
  double neg = 0;
  for (size_t i = 0; i < d; i++)
    {
      double l = gsl_vector_get (sl->lam, i);
      if (fabs (l) <= sl->m->o.rank_tol * fmax (mx, 1e-300))
        z++;
      else if (l < 0)
        neg = fmin (neg, l);
    }
  *nzero = z;
  *lmax = mx;
  *lneg = neg;
  return GSL_SUCCESS;
}

/* One Newton step on the normal space, y <- y - H+ grad L(y), with the
   k smallest |lambda| taken as tangent.  Near Gamma the rest of the
   gradient flow is this step plus O(|grad L|^2), so it replaces the
   flow's slow linear tail.  Returns 1 (and leaves y) when H has a
   non-positive normal eigenvalue.  */
static int
newton_step (slot *sl, double *y)
{
  sde_manifold *m = sl->m;
  const size_t d = m->d;
  size_t z;
  double mx, neg, g[64];
  if (spectrum (sl, y, &z, &mx, &neg))
    return 1;
  size_t k = m->k;
  if (k == 0) /* during alloc: count with a looser tolerance */
    for (size_t i = 0; i < d; i++)
      k += fabs (gsl_vector_get (sl->lam, i)) <= 1e-4 * mx;
  /* The k eigenvalues of least modulus are tangent.  */
  int tan[64] = { 0 };
  for (size_t c = 0; c < k; c++)
    {
      size_t best = d;
      for (size_t i = 0; i < d; i++)
        if (!tan[i]
            && (best == d
                || fabs (gsl_vector_get (sl->lam, i))
                       < fabs (gsl_vector_get (sl->lam, best))))
          best = i;
      tan[best] = 1;
    }
  for (size_t i = 0; i < d; i++)
    if (!tan[i] && !(gsl_vector_get (sl->lam, i) > 0))
      return 1;
  m->pb->grad (m->pb, 1, y, g, sl->work);
  for (size_t i = 0; i < d; i++)
    if (!tan[i])
      {
        double c = 0;
        for (size_t j = 0; j < d; j++)
          c += gsl_matrix_get (sl->V, j, i) * g[j];
        c /= gsl_vector_get (sl->lam, i);
        for (size_t j = 0; j < d; j++)
          y[j] -= c * gsl_matrix_get (sl->V, j, i);
      }
  return 0;
}

/* Phi by GSL's BDF flow, with Newton's finish once |grad L| <= 1e-6:
   the reference the block method is checked against, and its fallback
   where Newton does not apply at the switch.  */
static int
phi_bdf (slot *sl, const double *x, double *y, size_t *steps)
{
  sde_manifold *m = sl->m;
  const size_t d = m->d;
  *steps = 0;
  memcpy (y, x, sizeof (double) * d);
  gsl_odeiv2_driver_reset (sl->drv);
  double s = 0, ds = 1e-2, g = gnorm (sl, y);
  /* The flow until |grad L| <= 1e-6 (error of the Newton finish about
     1e-12), then Newton; the flow all the way if Newton stalls.  */
  double gswitch = fmax (m->o.gtol, 1e-6);
  size_t total = 0, seen = 0;
  int newton = 0;
  while (g > m->o.gtol)
    {
      if (g <= gswitch && newton < 4)
        {
          double keep[64];
          memcpy (keep, y, sizeof (double) * d);
          if (newton_step (sl, y) == 0)
            {
              double g2 = gnorm (sl, y);
              total++;
              if (g2 < 0.5 * g)
                {
                  g = g2;
                  newton++;
                  continue;
                }
            }
          memcpy (y, keep, sizeof (double) * d);
          gswitch = 0; /* Newton does not help here: flow to the end */
          gsl_odeiv2_driver_reset (sl->drv);
          seen = 0;
        }
      int st = gsl_odeiv2_driver_apply (sl->drv, &s, s + ds, y);
      total += sl->drv->n - seen; /* n counts since the last reset */
      seen = sl->drv->n;
      if (st == GSL_EMAXITER || total > m->o.max_steps)
        return sde_error (GSL_EMAXITER,
                          "Phi did not converge within %zu gradient-flow "
                          "steps (|grad L| = %.3g at flow time %.3g)",
                          m->o.max_steps, g, s);
      if (st)
        return sde_error (st, "Phi: the gradient flow failed (%s)",
                          gsl_strerror (st));
      g = gnorm (sl, y);
      ds *= 2;
      if (!(s < 1e15))
        return sde_error (GSL_EMAXITER,
                          "Phi did not converge (|grad L| = "
                          "%.3g)",
                          g);
    }
  *steps = total;
  return GSL_SUCCESS;
}

/* The block method's settings: checks by flow steps on 1 path in
   SAMPLE of a block, those farthest from Gamma.  */
enum
{
  SAMPLE = 64
};

static sde__phi_cfg
phi_cfg (const sde_manifold *m)
{
  return (sde__phi_cfg){ .k = m->k,
                         .rank_tol = m->o.rank_tol,
                         .gtol = m->o.gtol,
                         .max_steps = m->o.max_steps,
                         .rtol = m->o.rtol,
                         .ptol = m->o.ptol,
                         .patol = SDE_MANIFOLD_PATOL,
                         .theta = 1e-2,
                         .gabs = fmax (m->o.gtol, SDE_MANIFOLD_GABS),
                         .sample = SAMPLE };
}

/* Phi of the N gathered paths of sl->bx (leading dimension n) into
   sl->by, a status per path into sl->code; a path where Newton does not
   apply at the switch goes on by the BDF flow from its start.  Returns a
   callback's status (which fails the whole block).  */
static int
phi_gathered (slot *sl, size_t n, uint64_t *steps)
{
  sde_manifold *m = sl->m;
  const size_t d = m->d;
  sde__phi_cfg c = phi_cfg (m);
  int st = sde__phi_block (sl->ws, &c, n, sl->bx, sl->by, sl->code, sl->nst);
  if (st)
    return st;
  for (size_t p = 0; p < n; p++)
    {
      *steps += sl->nst[p];
      if (sl->code[p] == SDE__PHI_BUDGET)
        sl->code[p] = sde_error (GSL_EMAXITER,
                                 "Phi did not converge within %zu "
                                 "gradient-flow steps",
                                 m->o.max_steps);
      else if (sl->code[p] == SDE__PHI_BAD)
        sl->code[p] = sde_error (GSL_EDOM, "Phi: the gradient flow left the "
                                           "finite numbers");
      else if (sl->code[p] == SDE__PHI_NEWTON)
        {
          double xi[64], yi[64];
          size_t k = 0;
          for (size_t i = 0; i < d; i++)
            xi[i] = sl->bx[i * n + p];
          sl->code[p] = phi_bdf (sl, xi, yi, &k);
          *steps += k;
          for (size_t i = 0; i < d; i++)
            sl->by[i * n + p] = yi[i];
        }
    }
  return GSL_SUCCESS;
}

static int
phi_slot (slot *sl, const double *x, double *y, size_t *steps)
{
  sde_manifold *m = sl->m;
  const sde_problem *pb = m->pb;
  *steps = 0;
  if (pb->phi && !m->o.flow)
    return pb->phi (pb, 1, x, y, sl->work);
  if (m->o.bdf)
    return phi_bdf (sl, x, y, steps);
  uint64_t n = 0;
  memcpy (sl->bx, x, sizeof (double) * m->d);
  int st = phi_gathered (sl, 1, &n);
  memcpy (y, sl->by, sizeof (double) * m->d);
  *steps = (size_t)n;
  return st ? st : sl->code[0];
}

/* The limit must be a minimizer with the manifold's rank.  */
static int
check_limit (slot *sl, const double *y)
{
  sde_manifold *m = sl->m;
  size_t z;
  double mx, neg;
  int st = spectrum (sl, y, &z, &mx, &neg);
  if (st)
    return st;
  if (neg < 0)
    return sde_error (GSL_EDOM,
                      "the gradient flow stopped at a point that is not a "
                      "minimizer (Hessian eigenvalue %.3g): the start is "
                      "outside every basin",
                      neg);
  if (m->k && z != m->k)
    return sde_error (GSL_EDOM,
                      "the Hessian's rank is not constant near the manifold "
                      "(%zu zero eigenvalues here, %zu at Phi(x0))",
                      z, m->k);
  return GSL_SUCCESS;
}

int
sde_manifold_phi (sde_manifold *m, const double *x, double *phi, size_t *steps)
{
  int locked;
  slot *sl = acquire (m, &locked);
  size_t n = 0;
  int st = phi_slot (sl, x, phi, &n);
  release (m, locked);
  if (steps)
    *steps = n;
  return st;
}

/* Blocks of the finite paths of x through phi_gathered.  */
static int
project_blocks (slot *sl, size_t P, double *x, int tolerant, uint64_t *steps)
{
  const size_t d = sl->m->d, cap = sde__phi_ws_cap (sl->ws);
  size_t p = 0;
  while (p < P)
    {
      size_t n = 0;
      for (; p < P && n < cap; p++)
        {
          int finite = 1;
          for (size_t i = 0; i < d; i++)
            finite &= isfinite (x[i * P + p]);
          if (finite) /* a diverged path stays diverged */
            sl->map[n++] = p;
        }
      for (size_t i = 0; i < d; i++)
        for (size_t q = 0; q < n; q++)
          sl->bx[i * n + q] = x[i * P + sl->map[q]];
      uint64_t k = 0;
      int st = phi_gathered (sl, n, &k);
      if (steps)
        *steps += k;
      for (size_t q = 0; q < n && !st; q++)
        if (sl->code[q] && !tolerant)
          st = sl->code[q];
      if (st && !tolerant)
        return st;
      for (size_t i = 0; i < d; i++)
        for (size_t q = 0; q < n; q++)
          x[i * P + sl->map[q]] = st || sl->code[q] ? NAN : sl->by[i * n + q];
    }
  return GSL_SUCCESS;
}

int
sde_manifold_project (sde_manifold *m, size_t P, double *x, int tolerant,
                      uint64_t *steps)
{
  const size_t d = m->d;
  int locked;
  slot *sl = acquire (m, &locked);
  double xi[64], yi[64];
  int st = GSL_SUCCESS;
  if (!(m->pb->phi && !m->o.flow) && !m->o.bdf)
    {
      st = project_blocks (sl, P, x, tolerant, steps);
      release (m, locked);
      return st;
    }
  for (size_t p = 0; p < P; p++)
    {
      int finite = 1;
      for (size_t i = 0; i < d; i++)
        finite &= isfinite (xi[i] = x[i * P + p]);
      if (!finite)
        continue; /* a diverged path stays diverged */
      size_t n = 0;
      int sp = phi_slot (sl, xi, yi, &n);
      if (steps)
        *steps += n;
      if (sp && !tolerant)
        {
          st = sp;
          break;
        }
      for (size_t i = 0; i < d; i++)
        x[i * P + p] = sp ? NAN : yi[i];
    }
  release (m, locked);
  return st;
}

/* ---- Geometry ---- */

/* L'''[S] at x: the problem's contraction, or a central difference of
   <hess L(x), S> coordinate by coordinate.  */
static int
third (slot *sl, const double *x, const double *Smat, double *out)
{
  const sde_problem *pb = sl->m->pb;
  const size_t d = sl->m->d;
  if (pb->third)
    return pb->third (pb, 1, x, Smat, out, sl->work);
  double xs[64], *H = sl->B;
  const double e = 1e-4;
  for (size_t i = 0; i < d; i++)
    {
      double v[2];
      for (int s = 0; s < 2; s++)
        {
          memcpy (xs, x, sizeof (double) * d);
          xs[i] += s ? -e : e;
          int st = hessian (sl, xs, H);
          if (st)
            return st;
          double c = 0;
          for (size_t k = 0; k < d * d; k++)
            c += H[k] * Smat[k];
          v[s] = c;
        }
      out[i] = (v[0] - v[1]) / (2 * e);
    }
  return GSL_SUCCESS;
}

/* Sigma = sigma^2 S S^T at x into sl->Sig (and S into sl->S).  */
static int
sigma_at (slot *sl, const double *x)
{
  const sde_problem *pb = sl->m->pb;
  const size_t d = sl->m->d, r = sl->m->r;
  int st = GSL_SUCCESS;
  if (pb->factor_const)
    memcpy (sl->S, pb->factor_const, sizeof (double) * d * r);
  else
    st = pb->factor (pb, 1, x, sl->S, sl->work);
  const double s2 = sl->m->o.sigma * sl->m->o.sigma;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      {
        double v = 0;
        for (size_t c = 0; c < r; c++)
          v += sl->S[i * r + c] * sl->S[j * r + c];
        sl->Sig[i * d + j] = s2 * v;
      }
  return st;
}

static int
geometry_slot (slot *sl, const double *zeta, double *P, double *Hplus,
               double *drift)
{
  sde_manifold *m = sl->m;
  const size_t d = m->d;
  size_t z;
  double mx, neg;
  int st = spectrum (sl, zeta, &z, &mx, &neg);
  if (st)
    return st;
  if (z != m->k)
    return sde_error (GSL_EDOM,
                      "the Hessian's rank is not constant near the manifold "
                      "(%zu zero eigenvalues here, %zu at Phi(x0))",
                      z, m->k);
  const double tol = m->o.rank_tol * fmax (mx, 1e-300);
  double lam[64];
  int tan[64];
  for (size_t i = 0; i < d; i++)
    {
      lam[i] = gsl_vector_get (sl->lam, i);
      tan[i] = fabs (lam[i]) <= tol;
    }
#define V(i, k) gsl_matrix_get (sl->V, i, k)
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      {
        double s = 0;
        for (size_t k = 0; k < d; k++)
          if (tan[k])
            s += V (i, k) * V (j, k);
        sl->A[i * d + j] = s; /* P */
      }
  if (P)
    memcpy (P, sl->A, sizeof (double) * d * d);
  if (Hplus)
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++)
        {
          double s = 0;
          for (size_t k = 0; k < d; k++)
            if (!tan[k])
              s += V (i, k) * V (j, k) / lam[k];
          Hplus[i * d + j] = s;
        }
  if (drift == NULL)
    return GSL_SUCCESS;
  if ((st = sigma_at (sl, zeta)))
    return st;
  /* Sigma in the eigenbasis, C = V^T Sigma V, into B.  */
  double *C = sl->B, Sp[4096], Sd[4096];
  if (d > 64)
    return sde_error (GSL_EINVAL, "slow SDE: at most 64 dimensions");
  for (size_t a = 0; a < d; a++)
    for (size_t b = 0; b < d; b++)
      {
        double s = 0;
        for (size_t i = 0; i < d; i++)
          for (size_t j = 0; j < d; j++)
            s += V (i, a) * sl->Sig[i * d + j] * V (j, b);
        C[a * d + b] = s;
      }
  /* Sigma_par = sum over tangent pairs, Sigma_diamond = the rest divided by
     lambda_a + lambda_b (tangent lambdas are 0).  */
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      {
        double sp = 0, sd = 0;
        for (size_t a = 0; a < d; a++)
          for (size_t b = 0; b < d; b++)
            {
              double w = C[a * d + b] * V (i, a) * V (j, b);
              if (tan[a] && tan[b])
                sp += w;
              else
                sd += w / ((tan[a] ? 0 : lam[a]) + (tan[b] ? 0 : lam[b]));
            }
        Sp[i * d + j] = sp;
        Sd[i * d + j] = sd;
      }
  if ((st = third (sl, zeta, Sp, sl->t1))
      || (st = third (sl, zeta, Sd, sl->t2)))
    return st;
  /* drift = -1/2 H+ t1 - 1/2 P t2.  */
  for (size_t i = 0; i < d; i++)
    {
      double s = 0;
      for (size_t k = 0; k < d; k++)
        if (!tan[k])
          {
            double vk = 0;
            for (size_t j = 0; j < d; j++)
              vk += V (j, k) * sl->t1[j];
            s += V (i, k) * vk / lam[k];
          }
      double pt = 0;
      for (size_t j = 0; j < d; j++)
        pt += sl->A[i * d + j] * sl->t2[j];
      drift[i] = -0.5 * s - 0.5 * pt;
    }
#undef V
  return GSL_SUCCESS;
}

int
sde_manifold_geometry (sde_manifold *m, const double *zeta, double *P,
                       double *Hplus, double *drift)
{
  int locked;
  slot *sl = acquire (m, &locked);
  int st = geometry_slot (sl, zeta, P, Hplus, drift);
  release (m, locked);
  return st;
}

/* ---- Allocation ---- */

void
sde_manifold_free (sde_manifold *m)
{
  if (m == NULL)
    return;
  for (size_t k = 0; k < m->nslots; k++)
    slot_free (&m->slots[k]);
  free (m->slots);
  pthread_mutex_destroy (&m->lock);
  free (m);
}

sde_manifold *
sde_manifold_alloc (const sde_problem *pb, const double *x0,
                    const sde_manifold_opts *o)
{
  if (pb->dim > 64)
    {
      sde_error (GSL_EINVAL, "slow SDE: at most 64 dimensions (got %zu)",
                 pb->dim);
      return NULL;
    }
  if (pb->factor == NULL && pb->factor_const == NULL)
    {
      sde_error (GSL_EINVAL, "slow SDE: %s has no noise factor", pb->name);
      return NULL;
    }
  /* Below 1e-10 the flow's local error per step of a path near Gamma is
     under the rounding of its stages.  */
  if (o && !(o->rtol >= 1e-10 && o->rtol < 1 && o->ptol >= 0))
    {
      sde_error (GSL_EINVAL,
                 "slow SDE: Phi's rtol must be in [1e-10, 1) and ptol >= 0 "
                 "(got %g, %g)",
                 o->rtol, o->ptol);
      return NULL;
    }
  sde_manifold *m = calloc (1, sizeof *m);
  if (m == NULL)
    return sde_error (GSL_ENOMEM, "slow SDE: out of memory"), NULL;
  m->pb = pb;
  if (o)
    m->o = *o;
  else
    sde_manifold_defaults (&m->o);
  m->d = pb->dim;
  m->r = pb->noise_dim;
  size_t threads = 1;
#ifdef _OPENMP
  threads = (size_t)omp_get_max_threads ();
#endif
  m->nslots = threads + 1;
  slot *slots = calloc (m->nslots, sizeof (slot));
  if (slots == NULL || pthread_mutex_init (&m->lock, NULL) != 0)
    {
      free (slots);
      free (m);
      return sde_error (GSL_ENOMEM, "slow SDE: out of memory"), NULL;
    }
  m->slots = slots;
  for (size_t k = 0; k < m->nslots; k++)
    if (slot_init (&slots[k], m))
      {
        sde_manifold_free (m);
        return sde_error (GSL_ENOMEM, "slow SDE: out of memory"), NULL;
      }
  /* Phi(x0), and the rank of H there.  */
  double y[64];
  size_t steps;
  slot *sl = &m->slots[m->nslots - 1];
  int st = phi_slot (sl, x0, y, &steps);
  size_t z = 0;
  double mx, neg;
  if (!st)
    st = check_limit (sl, y);
  if (!st)
    st = spectrum (sl, y, &z, &mx, &neg);
  if (!st && z == 0)
    st = sde_error (GSL_EDOM,
                    "the Hessian at Phi(x0) has no zero "
                    "eigenvalue: %s has an isolated minimum here, "
                    "not a manifold",
                    pb->name);
  if (!st && z == m->d)
    st = sde_error (GSL_EDOM, "the Hessian at Phi(x0) vanishes: no normal "
                              "direction");
  if (st)
    {
      sde_manifold_free (m);
      return NULL;
    }
  m->k = z;
  return m;
}

/* ---- Slow-SDE systems ---- */

static const sde_slow_type projected_type
    = { "projected",
        "projected Euler zeta' = Phi(zeta + sigma S dW): derivative-free, "
        "carries the Katzenberger drift",
        0 };
static const sde_slow_type explicit_type
    = { "explicit",
        "explicit form: P sigma S dW - 1/2 H+ L'''[Sigma_par] dt - 1/2 P "
        "L'''[Sigma_diamond] dt, then Phi",
        1 };
static const sde_slow_type tangent_type
    = { "tangent",
        "tangent form on a one-dimensional manifold: the explicit form's "
        "coefficients at Phi(x), its noise the scalar t b dB with dB the "
        "increment projected on the unit tangent (commutative: Milstein "
        "applies), then Phi",
        1 };
const sde_slow_type *sde_slow_projected = &projected_type;
const sde_slow_type *sde_slow_explicit = &explicit_type;
const sde_slow_type *sde_slow_tangent = &tangent_type;
static const sde_slow_type *const slow_registry[]
    = { &projected_type, &explicit_type, &tangent_type, NULL };

const sde_slow_type *const *
sde_slow_types (void)
{
  return slow_registry;
}

const sde_slow_type *
sde_slow_type_find (const char *name)
{
  for (const sde_slow_type *const *t = slow_registry; name && *t; t++)
    if (strcmp ((*t)->name, name) == 0)
      return *t;
  return NULL;
}

static int
raw_drift (double t, size_t P, const double *x, double *out, double *work,
           void *params)
{
  (void)t, (void)x, (void)work;
  const sde_manifold *m = params;
  memset (out, 0, sizeof (double) * m->d * P);
  return GSL_SUCCESS;
}

/* sigma S(x) per path.  */
static int
raw_diffusion (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  (void)t;
  sde_manifold *m = params;
  const sde_problem *pb = m->pb;
  const size_t n = m->d * m->r;
  int st = GSL_SUCCESS;
  if (pb->factor_const)
    for (size_t k = 0; k < n; k++)
      for (size_t p = 0; p < P; p++)
        out[k * P + p] = m->o.sigma * pb->factor_const[k];
  else
    {
      st = pb->factor (pb, P, x, out, work);
      for (size_t k = 0; k < n * P; k++)
        out[k] *= m->o.sigma;
    }
  return st;
}

static int
slow_drift (double t, size_t P, const double *x, double *out, double *work,
            void *params)
{
  (void)t, (void)work;
  sde_manifold *m = params;
  const size_t d = m->d;
  double z[64], dr[64];
  for (size_t p = 0; p < P; p++)
    {
      for (size_t i = 0; i < d; i++)
        z[i] = x[i * P + p];
      int st = sde_manifold_geometry (m, z, NULL, NULL, dr);
      if (st)
        return st;
      for (size_t i = 0; i < d; i++)
        out[i * P + p] = dr[i];
    }
  return GSL_SUCCESS;
}

/* P sigma S (d x r): the r ambient columns of the projected and explicit
   forms, so the slow SDE shares SGD's Brownian path (coupling).  The
   scalar tangent noise of a one-dimensional manifold, where Milstein
   applies, is type=tangent (slow_tangent.c, MATH.md 6.2).  */
static int
slow_diffusion (double t, size_t P, const double *x, double *out, double *work,
                void *params)
{
  (void)t, (void)work;
  sde_manifold *m = params;
  const size_t d = m->d, r = m->r;
  int locked;
  slot *sl = acquire (m, &locked);
  int st = GSL_SUCCESS;
  double *Pm = sl->A + 0; /* geometry_slot leaves P in A */
  for (size_t p = 0; p < P && !st; p++)
    {
      double z[64];
      for (size_t i = 0; i < d; i++)
        z[i] = x[i * P + p];
      if ((st = geometry_slot (sl, z, NULL, NULL, NULL))
          || (st = sigma_at (sl, z)))
        break;
      for (size_t i = 0; i < d; i++)
        for (size_t c = 0; c < r; c++)
          {
            double s = 0;
            for (size_t j = 0; j < d; j++)
              s += Pm[i * d + j] * sl->S[j * r + c];
            out[(i * r + c) * P + p] = m->o.sigma * s;
          }
    }
  release (m, locked);
  return st;
}

int
sde_slow_system (sde_system *sys, const sde_slow_type *T, sde_manifold *m)
{
  memset (sys, 0, sizeof *sys);
  sys->dim = m->d;
  sys->params = m;
  if (!T->explicit_form)
    {
      sys->noise_dim = m->r;
      sys->noise = m->pb->factor_const ? SDE_NOISE_ADDITIVE : SDE_NOISE_GENERAL;
      sys->drift = raw_drift;
      sys->diffusion = raw_diffusion;
      sys->work = m->pb->work;
      return GSL_SUCCESS;
    }
  sys->noise_dim = m->r;
  sys->noise = SDE_NOISE_GENERAL;
  sys->drift = slow_drift;
  sys->diffusion = slow_diffusion;
  sys->work = m->pb->work;
  if (T == &tangent_type)
    return sde__slow_tangent_system (sys, m);
  return GSL_SUCCESS;
}

/* ---- For the tangent form (slow_tangent.c) ---- */

void
sde__slow_dims (const sde_manifold *m, size_t *d, size_t *r, size_t *k)
{
  *d = m->d;
  *r = m->r;
  *k = m->k;
}

int
sde__slow_factor (sde_manifold *m, const double *x, double *S)
{
  int locked;
  slot *sl = acquire (m, &locked);
  int st = sigma_at (sl, x);
  for (size_t k = 0; k < m->d * m->r; k++)
    S[k] = m->o.sigma * sl->S[k];
  release (m, locked);
  return st;
}

int
sde__slow_third (sde_manifold *m, const double *x, const double *Smat,
                 double *out)
{
  int locked;
  slot *sl = acquire (m, &locked);
  int st = third (sl, x, Smat, out);
  release (m, locked);
  return st;
}

int
sde__slow_factor_const (const sde_manifold *m)
{
  return m->pb->factor_const != NULL;
}
