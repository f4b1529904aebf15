/* manifold_phi.c: Phi(x) = lim_s phi(x, s) of the gradient flow
   d phi/ds = -grad L(phi) over blocks of paths (MATH.md section 6, "Phi
   fit for the job").

   The finish.  From a point y near the manifold Gamma, Newton's method
   on N^T grad L(y + N c) = 0, with N the normal eigenvectors of H(y),
   lands on Gamma at zeta; Phi(y) = zeta + P w + 1/2 d^2 Phi(zeta)[w w^T]
   + O(|w|^3) with w = y - zeta (Taylor), and 1/2 d^2 Phi[Sigma] is the
   Katzenberger drift's formula with Sigma = w w^T.  So A(y) = zeta + P w
   - 1/2 P L'''[Sigma_diamond(w w^T)], pulled back onto Gamma by Newton,
   is Phi(y) up to O(|w|^3).

   Its error, measured.  Phi is constant along the flow, so for y1 a
   flow step beyond x, A(x) - A(y1) = E(x) - E(y1) with E = A - Phi.
   The step contracts the offset by about e^(-z) (z = 0.17 here: one
   step of the flow), so E(y1) is about e^(-3z) E(x) = 0.60 E(x) and
   |E(y1)| is about |A(x) - A(y1)| / (e^(3z) - 1) = 1.5 |A(x) - A(y1)|:
   A(y1) is accepted when that is at most ptol |x - Gamma|^2 + patol.
   (On the
   circle the fibres of the flow are straight and E = 0.)  Otherwise the
   cubic model E = C |w|^3, with C from the two values, says how far to
   flow: to an offset w* with C w*^3 = tol / 2, and A there is Phi.

   The flow.  The Dormand-Prince 5(4) pair (Dormand & Prince, J. Comput.
   Appl. Math. 6:19, 1980; Hairer, Norsett & Wanner, "Solving ODEs I",
   2nd ed., table II.5.2) with one step size per path, each step's local
   error at most rtol times its length: near Gamma the flow moves along it
   by O(|w|^2) in all, and errors relative to each step are relative
   errors of that motion too.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "manifold_internal.h"
#include "simd.h"

/* A path left out of a phase.  */
#define SKIP (-1)
/* A path waiting for the sample's verdict.  */
#define DEFER (-2)
/* The check's flow stretch z / lambda_min: A's cubic error falls by
   e^(-3z) over it.  */
#define STRETCH 0.17
/* Without a finish at x, the first round flows to this fraction of the
   offset: near Gamma that is where Newton applies again (inside the
   circle, H has no normal basis within r < 1/sqrt 2, its normal
   eigenvalue being the smaller); afar, the later rounds' theta goes
   faster.  */
#define THETA0 0.3
/* A first step h0 / lambda: Dormand-Prince's local error on a decaying
   mode e^(-lambda s) is rtol = 1e-6 of the step's length at about
   lambda h = 0.18, so the first step is taken and makes a stretch.  */
#define H0 0.17

struct sde__phi_ws
{
  const sde_problem *pb;
  size_t d, cap;
  /* The flowing paths, compacted (leading dimension: how many flow).  */
  double *y, *k[7], *t;             /* d x cap each */
  double *h, *vt, *s, *se, *gn;     /* cap each: step, target offset,
                                       time, end time */
  double *e2, *l2, *fac, *g2, *ray; /* cap each: one step's verdicts */
  size_t *idx, *nst;
  /* Per path of the block.  */
  double *gx, *a0, *y1;   /* d x cap: -grad L(x), A(x), the probe point */
  double *h0, *v0, *lam0; /* cap each: first step, offset, Rayleigh */
  double *tgt, *se0;      /* cap each: the flow's target offset, time */
  double *yc, *vc;        /* d x cap, cap: a round's start and offset */
  double *cf;             /* cap: the first check's error coefficient */
  double *vend, *lend;    /* cap each: where a flow stopped, its offset
                             |grad L| / lambda and Rayleigh quotient */
  int *c0, *sel, *c1;     /* A(yc)'s outcome; a phase's paths; scratch */
  /* The finish.  */
  double *H;          /* d x d x cap */
  double *N;          /* d x d per path: the eigenvectors of H, normal ones
                         first (columns) */
  double *lp;         /* d per path: their eigenvalues */
  double *S2;         /* d x d x cap */
  double *ys;         /* d x cap: where the finish started */
  double *n1;         /* d x cap: the first column of each path's N, for
                         Newton's steps over paths with one normal */
  size_t *m;          /* normal dimension per path */
  double *pw;         /* problem scratch */
  double *A, *V, *ev; /* one path's eigenproblem */
  double *j2;         /* 6 x cap: jacobi2 of every path's H, d = 2 */
  int j2ok;           /* whether j2 holds the H in w->H */
  /* Rounds for a few paths of a block run in a workspace of their own,
     gathered (NULL in that workspace itself), with their points, outcomes
     and step counts in gy, gout and gsteps.  */
  struct sde__phi_ws *sub;
  double *gy;
  int *gout;
  size_t *gsteps;
};

/* ---- Dormand-Prince 5(4) ---- */

static const double dp_a[7][6] = {
  { 0 },
  { 1.0 / 5 },
  { 3.0 / 40, 9.0 / 40 },
  { 44.0 / 45, -56.0 / 15, 32.0 / 9 },
  { 19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729 },
  { 9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656 },
  { 35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84 }
};

/* The fifth-order weights (row 7 above) minus the embedded fourth-order
   ones.  */
static const double dp_e[7]
    = { 71.0 / 57600,      0,          -71.0 / 16695, 71.0 / 1920,
        -17253.0 / 339200, 22.0 / 525, -1.0 / 40 };

/* ---- Workspace ---- */

void
sde__phi_ws_free (sde__phi_ws *w)
{
  if (w == NULL)
    return;
  free (w->y);
  free (w->gx);
  free (w->H);
  free (w->pw);
  free (w->A);
  free (w->idx);
  free (w->c0);
  free (w->j2);
  free (w->gy);
  free (w->gout);
  free (w->gsteps);
  sde__phi_ws_free (w->sub);
  free (w);
}

static sde__phi_ws *
ws_alloc (const sde_problem *pb, size_t cap, int sub)
{
  sde__phi_ws *w = calloc (1, sizeof *w);
  if (w == NULL)
    return NULL;
  const size_t d = pb->dim;
  w->pb = pb;
  w->d = d;
  w->cap = cap;
  w->y = malloc (sizeof (double) * (9 * d + 10) * cap);
  w->gx = malloc (sizeof (double) * (4 * d + 9) * cap);
  w->H = malloc (sizeof (double) * (3 * d * d + 3 * d) * cap);
  w->pw = malloc (sizeof (double) * (pb->work + 3 * d + 1) * cap);
  w->A = malloc (sizeof (double) * (2 * d * d + d));
  w->idx = malloc (sizeof (size_t) * 3 * cap);
  w->c0 = malloc (sizeof (int) * 3 * cap);
  w->j2 = d == 2 ? malloc (sizeof (double) * 6 * cap) : NULL;
  if (sub)
    {
      w->gy = malloc (sizeof (double) * d * cap);
      w->gout = malloc (sizeof (int) * cap);
      w->gsteps = malloc (sizeof (size_t) * cap);
    }
  else
    w->sub = ws_alloc (pb, cap, 1);
  if (!w->y || !w->gx || !w->H || !w->pw || !w->A || !w->idx || !w->c0
      || (d == 2 && !w->j2) || (sub && (!w->gy || !w->gout || !w->gsteps))
      || (!sub && !w->sub))
    {
      sde__phi_ws_free (w);
      return NULL;
    }
  for (int s = 0; s < 7; s++)
    w->k[s] = w->y + (size_t)(s + 1) * d * cap;
  w->t = w->y + 8 * d * cap;
  double *r = w->y + 9 * d * cap;
  double **rows[] = { &w->h,  &w->vt, &w->s,   &w->se, &w->gn,
                      &w->e2, &w->l2, &w->fac, &w->g2, &w->ray };
  for (size_t k = 0; k < 10; k++)
    *rows[k] = r + k * cap;
  w->a0 = w->gx + d * cap;
  w->y1 = w->a0 + d * cap;
  w->yc = w->y1 + d * cap;
  r = w->yc + d * cap;
  double **per[] = { &w->h0, &w->v0, &w->lam0, &w->tgt, &w->se0,
                     &w->vc, &w->cf, &w->vend, &w->lend };
  for (size_t k = 0; k < 9; k++)
    *per[k] = r + k * cap;
  w->N = w->H + d * d * cap;
  w->S2 = w->N + d * d * cap;
  w->lp = w->S2 + d * d * cap;
  w->ys = w->lp + d * cap;
  w->n1 = w->ys + d * cap;
  w->V = w->A + d * d;
  w->ev = w->V + d * d;
  w->sel = w->c0 + cap;
  w->c1 = w->sel + cap;
  w->nst = w->idx + cap;
  w->m = w->nst + cap;
  return w;
}

sde__phi_ws *
sde__phi_ws_alloc (const sde_problem *pb, size_t cap)
{
  return ws_alloc (pb, cap, 0);
}

size_t
sde__phi_ws_cap (const sde__phi_ws *w)
{
  return w->cap;
}

/* ---- Linear algebra of one path ---- */

/* One rotation diagonalizes a 2 x 2 matrix (Golub & Van Loan, Alg.
   8.5.1); eigenvalues ascending.  */
static void
jacobi2 (const double *A, double *lam, double *V)
{
  double a = A[0], b = 0.5 * (A[1] + A[2]), e = A[3], t = 0;
  if (b != 0)
    {
      double tau = (e - a) / (2 * b), at = fabs (tau);
      t = (tau >= 0 ? 1 : -1) / (at + (at < 1e150 ? sqrt (1 + tau * tau) : at));
    }
  double c = 1 / sqrt (1 + t * t), s = t * c;
  double l0 = a - t * b, l1 = e + t * b;
  int sw = l0 > l1;
  lam[0] = sw ? l1 : l0, lam[1] = sw ? l0 : l1;
  /* Columns (c, -s) for l0 and (s, c) for l1.  */
  V[0] = sw ? s : c, V[2] = sw ? c : -s;
  V[1] = sw ? c : s, V[3] = sw ? -s : c;
}

/* jacobi2 of n 2 x 2 matrices (rows h0..h3 of their entries) into the
   eigenvalues l0o, l1o and V[0..3] in v0..v3: its operations in its order, the
   branches as selects, in one loop that vectorizes.  */
SDE_CLONES static void
jacobi2_block (size_t n, const double *restrict h0, const double *restrict h1,
               const double *restrict h2, const double *restrict h3,
               double *restrict l0o, double *restrict l1o, double *restrict v0,
               double *restrict v1, double *restrict v2, double *restrict v3)
{
  for (size_t p = 0; p < n; p++)
    {
      double a = h0[p], b = 0.5 * (h1[p] + h2[p]), e = h3[p];
      /* Both sides of each choice computed, so that the loop vectorizes
         without trapping concerns.  */
      double tau = (e - a) / (2 * b), at = fabs (tau);
      double r1 = sqrt (1 + tau * tau), r = at < 1e150 ? r1 : at;
      double sg = tau >= 0 ? 1.0 : -1.0;
      double t1 = sg / (at + r), t = b != 0 ? t1 : 0;
      double c = 1 / sqrt (1 + t * t), s = t * c;
      double l0 = a - t * b, l1 = e + t * b;
      int sw = l0 > l1;
      l0o[p] = sw ? l1 : l0;
      l1o[p] = sw ? l0 : l1;
      v0[p] = sw ? s : c;
      v2[p] = sw ? c : -s;
      v1[p] = sw ? c : s;
      v3[p] = sw ? -s : c;
    }
}

/* Before normal_basis over the paths of a block whose H is in w->H, the
   paths with SEL OK (all with SEL NULL): when they are most of the
   block, the eigenproblems of all at once.  */
static void
eig_block (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const int *sel)
{
  size_t k = 0;
  for (size_t p = 0; sel && p < n; p++)
    k += sel[p] == SDE__PHI_OK;
  w->j2ok = w->d == 2 && c->k == 1 && (sel == NULL || 2 * k >= n);
  const double *H = w->H;
  double *j = w->j2;
  if (w->j2ok)
    jacobi2_block (n, H, H + n, H + 2 * n, H + 3 * n, j, j + n, j + 2 * n,
                   j + 3 * n, j + 4 * n, j + 5 * n);
}

void
sde__jacobi_eigen (size_t d, double *A, double *lam, double *V)
{
  if (d == 2)
    {
      jacobi2 (A, lam, V);
      return;
    }
  for (size_t i = 0; i < d * d; i++)
    V[i] = 0;
  for (size_t i = 0; i < d; i++)
    V[i * d + i] = 1;
  for (int sweep = 0; sweep < 60; sweep++)
    {
      double off = 0, all = 0;
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          {
            double a2 = A[i * d + j] * A[i * d + j];
            all += a2;
            off += i != j ? a2 : 0;
          }
      if (!(off > 1e-32 * all))
        break;
      for (size_t p = 0; p + 1 < d; p++)
        for (size_t q = p + 1; q < d; q++)
          {
            double apq = A[p * d + q];
            if (apq == 0)
              continue;
            /* Golub & Van Loan, Matrix Computations, Alg. 8.5.1.  */
            double tau = (A[q * d + q] - A[p * d + p]) / (2 * apq);
            double at = fabs (tau);
            double t = (tau >= 0 ? 1 : -1)
                       / (at + (at < 1e150 ? sqrt (1 + tau * tau) : at));
            double c = 1 / sqrt (1 + t * t), s = t * c; /* |t| <= 1 */
            for (size_t k = 0; k < d; k++)
              {
                double u = A[k * d + p], v = A[k * d + q];
                A[k * d + p] = c * u - s * v;
                A[k * d + q] = s * u + c * v;
              }
            for (size_t k = 0; k < d; k++)
              {
                double u = A[p * d + k], v = A[q * d + k];
                A[p * d + k] = c * u - s * v;
                A[q * d + k] = s * u + c * v;
              }
            for (size_t k = 0; k < d; k++)
              {
                double u = V[k * d + p], v = V[k * d + q];
                V[k * d + p] = c * u - s * v;
                V[k * d + q] = s * u + c * v;
              }
          }
    }
  for (size_t i = 0; i < d; i++)
    lam[i] = A[i * d + i];
  /* Ascending, vectors along.  */
  for (size_t i = 0; i + 1 < d; i++)
    {
      size_t b = i;
      for (size_t j = i + 1; j < d; j++)
        b = lam[j] < lam[b] ? j : b;
      if (b == i)
        continue;
      double tl = lam[i];
      lam[i] = lam[b], lam[b] = tl;
      for (size_t k = 0; k < d; k++)
        {
          double tv = V[k * d + i];
          V[k * d + i] = V[k * d + b], V[k * d + b] = tv;
        }
    }
}

/* Solves the m x m SPD system A z = b in place (b <- z) by Cholesky;
   nonzero when A is not positive definite.  */
static int
chol_solve (size_t m, double *A, double *b)
{
  for (size_t j = 0; j < m; j++)
    {
      double s = A[j * m + j];
      for (size_t k = 0; k < j; k++)
        s -= A[j * m + k] * A[j * m + k];
      if (!(s > 0))
        return 1;
      A[j * m + j] = sqrt (s);
      for (size_t i = j + 1; i < m; i++)
        {
          double u = A[i * m + j];
          for (size_t k = 0; k < j; k++)
            u -= A[i * m + k] * A[j * m + k];
          A[i * m + j] = u / A[j * m + j];
        }
    }
  for (size_t i = 0; i < m; i++)
    {
      double u = b[i];
      for (size_t k = 0; k < i; k++)
        u -= A[i * m + k] * b[k];
      b[i] = u / A[i * m + i];
    }
  for (size_t i = m; i-- > 0;)
    {
      double u = b[i];
      for (size_t k = i + 1; k < m; k++)
        u -= A[k * m + i] * b[k];
      b[i] = u / A[i * m + i];
    }
  return 0;
}

/* ---- Block evaluations ---- */

/* f = -grad L at the n paths of y (leading dimension n).  */
SDE_CLONES static int
field (sde__phi_ws *w, size_t n, const double *y, double *f)
{
  int st = w->pb->grad (w->pb, n, y, f, w->pw);
  for (size_t i = 0; i < w->d * n; i++)
    f[i] = -f[i];
  return st;
}

static int
hessian (sde__phi_ws *w, size_t n, const double *y, double *H)
{
  const sde_problem *pb = w->pb;
  const size_t d = w->d;
  if (H == w->H)
    w->j2ok = 0; /* eig_block's values are of the old H */
  if (pb->hess_const)
    {
      for (size_t e = 0; e < d * d; e++)
        for (size_t p = 0; p < n; p++)
          H[e * n + p] = pb->hess_const[e];
      return GSL_SUCCESS;
    }
  if (pb->hess)
    return pb->hess (pb, n, y, H, w->pw);
  return sde_problem_fd_hess (pb, n, y, 1e-5, H, w->pw);
}

/* Keeps the paths with keep[p] of the n paths of the d-row array a
   (leading dimension n), in order, with leading dimension nk.  In place:
   each value moves to an index no larger than its own, visited in
   increasing order.  */
static void
compact (double *a, size_t rows, size_t n, const unsigned char *keep, size_t nk)
{
  for (size_t i = 0; i < rows; i++)
    for (size_t p = 0, q = 0; p < n; p++)
      if (keep[p])
        a[i * nk + q++] = a[i * n + p];
}

/* The verdicts of one step for each path, in loops over paths that
   vectorize: the relative error r = rtol |step| / |error estimate| into
   e2 (accept when r >= 1), the next step's factor 0.9 r^(1/4) within
   [0.2, 4] into fac (the exponent 1/4 rather than the error's 1/5: the
   cheaper root costs nothing in rejections here), |grad L|^2 at the new
   point into g2, and the Rayleigh quotient g^T H g / |g|^2 at the step's
   start into ray, from its first two stages: k2 - k1 = (h/5) H g +
   O(h^2), with k1 = -g.  */
SDE_CLONES static void
dp_verdicts (sde__phi_ws *w, double rtol, size_t n)
{
  const size_t d = w->d;
  double *restrict e = w->gn; /* scratch row */
  double *restrict e2 = w->e2, *restrict l2 = w->l2, *restrict g2 = w->g2;
  double *restrict ray = w->ray, *restrict k2s = w->fac;
  for (size_t p = 0; p < n; p++)
    e2[p] = l2[p] = g2[p] = ray[p] = k2s[p] = 0;
  for (size_t i = 0; i < d; i++)
    {
      memset (e, 0, sizeof (double) * n);
      for (int j = 0; j < 7; j++)
        {
          const double *restrict kj = w->k[j] + i * n;
          if (dp_e[j] != 0)
            for (size_t p = 0; p < n; p++)
              e[p] += dp_e[j] * kj[p];
        }
      const double *restrict ti = w->t + i * n, *restrict yi = w->y + i * n;
      const double *restrict k1 = w->k[0] + i * n, *restrict k2
                                                   = w->k[1] + i * n;
      const double *restrict k7 = w->k[6] + i * n;
      for (size_t p = 0; p < n; p++)
        {
          e2[p] += e[p] * e[p];
          l2[p] += (ti[p] - yi[p]) * (ti[p] - yi[p]);
          g2[p] += k7[p] * k7[p];
          ray[p] -= k1[p] * (k2[p] - k1[p]);
          k2s[p] += k1[p] * k1[p];
        }
    }
  const double *restrict h = w->h;
  for (size_t p = 0; p < n; p++)
    {
      const double err = h[p] * sqrt (e2[p]);
      const double r = rtol * sqrt (l2[p]) / err;
      const double rc = r < 1e4 ? r : 1e4; /* also for err = 0 */
      double f = 0.9 * sqrt (sqrt (rc));
      ray[p] = 5 * ray[p] / (h[p] * k2s[p]);
      k2s[p] = f < 0.2 ? 0.2 : f > 4 ? 4 : f; /* fac */
      e2[p] = err > 0 ? r : 1e4;
    }
}

/* One Dormand-Prince step of the n flowing paths (k[0] holds the field
   at y): stages into k[1..6], the new point into t, the verdicts.  */
SDE_CLONES static int
dp_step (sde__phi_ws *w, double rtol, size_t n)
{
  const size_t d = w->d;
  for (int s = 1; s < 7; s++)
    {
      for (size_t i = 0; i < d; i++)
        {
          double *ti = w->t + i * n;
          memcpy (ti, w->y + i * n, sizeof (double) * n);
          for (int j = 0; j < s; j++)
            {
              const double a = dp_a[s][j], *kj = w->k[j] + i * n;
              if (a != 0)
                for (size_t p = 0; p < n; p++)
                  ti[p] += w->h[p] * a * kj[p];
            }
        }
      int st = field (w, n, w->t, w->k[s]);
      if (st)
        return st;
    }
  dp_verdicts (w, rtol, n);
  return GSL_SUCCESS;
}

/* ---- Newton in the normal space ---- */

/* The eigenvectors of H at path p as columns of its block of w->N, the
   normal ones (the d - k of largest modulus) first, their eigenvalues in
   w->lp; returns the normal dimension, 0 when a normal eigenvalue is not
   positive (Newton does not apply).  */
static size_t normal_basis2 (sde__phi_ws *w, const sde__phi_cfg *c, size_t n,
                             size_t p);

static size_t
normal_basis (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, size_t p)
{
  const size_t d = w->d;
  if (d == 2 && c->k == 1)
    return normal_basis2 (w, c, n, p);
  for (size_t e = 0; e < d * d; e++)
    w->A[e] = w->H[e * n + p];
  sde__jacobi_eigen (d, w->A, w->ev, w->V);
  double mx = 0; /* fmax, inline: the eigenvalues' NaNs left out */
  for (size_t i = 0; i < d; i++)
    mx = fabs (w->ev[i]) > mx ? fabs (w->ev[i]) : mx;
  size_t k = c->k;
  if (k == 0) /* before the rank is known: count with a looser tolerance */
    for (size_t i = 0; i < d; i++)
      k += fabs (w->ev[i]) <= 1e-4 * mx;
  if (k == 0 || k >= d)
    return 0;
  /* The k eigenvalues of least modulus are tangent: mark them.  */
  unsigned char tan[64];
  memset (tan, 0, d);
  for (size_t s = 0; s < k; s++)
    {
      size_t b = d;
      for (size_t i = 0; i < d; i++)
        if (!tan[i] && (b == d || fabs (w->ev[i]) < fabs (w->ev[b])))
          b = i;
      tan[b] = 1;
    }
  double *N = w->N + p * d * d, *lp = w->lp + p * d;
  size_t m = 0, t = d - k;
  for (size_t i = 0; i < d; i++)
    {
      if (!tan[i] && !(w->ev[i] > c->rank_tol * mx))
        return 0;
      size_t col = tan[i] ? t++ : m++;
      lp[col] = tan[i] ? 0 : w->ev[i];
      for (size_t j = 0; j < d; j++)
        N[j * d + col] = w->V[j * d + i];
      for (size_t j = 0; j < d && col == 0; j++)
        w->n1[j * n + p] = w->V[j * d + i];
    }
  return m;
}

/* normal_basis of a curve in the plane (d = 2, k = 1): one rotation, and
   the same choices as the general case without its copies and loops:
   the tangent eigenvalue is the one of smaller modulus (the first on a
   tie), and the columns are written in the same order.  */
static size_t
normal_basis2 (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, size_t p)
{
  double ev[2], V[4];
  if (w->j2ok)
    {
      ev[0] = w->j2[p], ev[1] = w->j2[n + p];
      for (size_t i = 0; i < 4; i++)
        V[i] = w->j2[(2 + i) * n + p];
    }
  else
    {
      const double *H = w->H;
      const double A[4] = { H[p], H[n + p], H[2 * n + p], H[3 * n + p] };
      jacobi2 (A, ev, V);
    }
  const double a0 = fabs (ev[0]), a1 = fabs (ev[1]);
  double mx = a0 > 0 ? a0 : 0;
  mx = a1 > mx ? a1 : mx;
  const size_t t = a1 < a0, q = 1 - t; /* tangent, normal */
  double *N = w->N + 4 * p, *lp = w->lp + 2 * p;
  if (t == 0)
    lp[1] = 0, N[1] = V[0], N[3] = V[2];
  if (!(ev[q] > c->rank_tol * mx))
    return 0;
  lp[0] = ev[q], N[0] = V[q], N[2] = V[2 + q];
  w->n1[p] = V[q], w->n1[n + p] = V[2 + q];
  if (t == 1)
    lp[1] = 0, N[1] = V[1], N[3] = V[3];
  return 1;
}

/* One Newton step of path p, column q of the block's arrays (leading
   dimension n): y += N z, (N^T H N) z = -N^T g.  Nonzero when N^T H N is
   not positive definite.  (One normal: newton_scalars1 and
   newton_core's loop.)  */
static int
newton_step (sde__phi_ws *w, size_t n, size_t q, size_t p, const double *g)
{
  const size_t d = w->d, m = w->m[p];
  const double *N = w->N + p * d * d;
  double *A = w->A, *b = w->V, *HN = w->V + d;
  for (size_t a = 0; a < m; a++)
    {
      double s = 0;
      for (size_t j = 0; j < d; j++)
        s += N[j * d + a] * g[j * n + q];
      b[a] = -s;
      for (size_t i = 0; i < d; i++)
        {
          double u = 0;
          for (size_t j = 0; j < d; j++)
            u += w->H[(i * d + j) * n + q] * N[j * d + a];
          HN[i] = u;
        }
      for (size_t c = 0; c <= a; c++)
        {
          double u = 0;
          for (size_t i = 0; i < d; i++)
            u += N[i * d + c] * HN[i];
          A[a * m + c] = A[c * m + a] = u;
        }
    }
  if (chol_solve (m, A, b))
    return 1;
  for (size_t i = 0; i < d; i++)
    {
      double s = 0;
      for (size_t a = 0; a < m; a++)
        s += N[i * d + a] * b[a];
      w->y[i * n + q] += s;
    }
  return 0;
}

/* The normal bases of the paths with out OK at y (w->N, w->m): H there,
   and its eigenvectors; a path where they do not give one gets out
   NEWTON.  */
static int
bases (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const double *y,
       int *out)
{
  int st = hessian (w, n, y, w->H);
  if (st)
    return st;
  eig_block (w, c, n, out);
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK && (w->m[p] = normal_basis (w, c, n, p)) == 0)
      out[p] = SDE__PHI_NEWTON;
  return GSL_SUCCESS;
}

/* bases for the paths with sel OK, their failures into out.  */
static int
bases_where (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const double *y,
             int *out, const int *sel)
{
  int any = 0;
  for (size_t p = 0; p < n; p++)
    any |= sel[p] == SDE__PHI_OK;
  int st = any ? hessian (w, n, y, w->H) : GSL_SUCCESS;
  if (any && !st)
    eig_block (w, c, n, sel);
  for (size_t p = 0; p < n && any && !st; p++)
    if (sel[p] == SDE__PHI_OK && (w->m[p] = normal_basis (w, c, n, p)) == 0)
      out[p] = SDE__PHI_NEWTON;
  return st;
}

/* |v| of each of the n paths of the d-row array v into r: norm_at's
   operations in its order, in loops over paths that vectorize.  */
SDE_CLONES static void
norms (const double *restrict v, size_t d, size_t n, double *restrict r)
{
  for (size_t p = 0; p < n; p++)
    r[p] = 0;
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < n; p++)
      r[p] += v[i * n + p] * v[i * n + p];
  for (size_t p = 0; p < n; p++)
    r[p] = sqrt (r[p]);
}

/* The scalars of newton_step for paths with one normal (its column in
   n1, leading dimension n), n^T g into nb and n^T H n into nhn: the same
   operations in the same order, in loops over all n paths that vectorize (the
   values of paths with other normal dimensions are left unused).  */
SDE_CLONES static void
newton_scalars1 (sde__phi_ws *w, size_t n, const double *restrict n1,
                 const double *restrict g, double *restrict nb,
                 double *restrict nhn)
{
  const size_t d = w->d;
  const double *restrict H = w->H;
  double *restrict u = w->ray;
  for (size_t p = 0; p < n; p++)
    nb[p] = nhn[p] = 0;
  for (size_t i = 0; i < d; i++)
    {
      for (size_t p = 0; p < n; p++)
        u[p] = 0;
      for (size_t j = 0; j < d; j++)
        for (size_t p = 0; p < n; p++)
          u[p] += H[(i * d + j) * n + p] * n1[j * n + p];
      for (size_t p = 0; p < n; p++)
        {
          nhn[p] += n1[i * n + p] * u[p];
          nb[p] += n1[i * n + p] * g[i * n + p];
        }
    }
}

/* newton_core's verdicts on the last steps, in a loop that vectorizes:
   for the paths with out OK and |grad L| above gtol, a new |grad L| gp
   at most f times the last (or at most gtol) is taken into gn, and the
   others get BAD (an overshoot).  MORE says whether some path goes on;
   returns whether any got BAD.  */
SDE_CLONES static int
newton_verdicts (size_t n, const int *restrict out, const double *restrict gp,
                 double *restrict gn, double gtol, double f,
                 unsigned char *restrict wait, unsigned char *restrict bad,
                 int *more)
{
  int m = 0, any = 0;
  for (size_t p = 0; p < n; p++)
    {
      const int act = (out[p] == SDE__PHI_OK) & !(gn[p] <= gtol);
      const int ok = (gp[p] <= f * gn[p]) | !(gp[p] > gtol);
      wait[p] = 0;
      bad[p] = act & !ok;
      any |= bad[p];
      gn[p] = act & ok ? gp[p] : gn[p];
      m |= act & ok & (gp[p] > gtol);
    }
  *more = m;
  return any;
}

/* The paths that take a step (out OK, |grad L| above gtol, not waiting
   after a halving): with one normal into STEP1, else into OTHER; returns
   whether there are others.  */
SDE_CLONES static int
newton_pick (size_t n, const int *restrict out, const double *restrict gn,
             double gtol, const unsigned char *restrict wait,
             const unsigned char *restrict one, unsigned char *restrict step1,
             unsigned char *restrict other)
{
  int any = 0;
  for (size_t p = 0; p < n; p++)
    {
      const int act = (out[p] == SDE__PHI_OK) & (gn[p] > gtol) & !wait[p];
      step1[p] = act & one[p];
      other[p] = act & !one[p];
      any |= other[p];
    }
  return any;
}

/* After the steps: a failed one gives out NEWTON, the others count.  */
SDE_CLONES static void
newton_tally (size_t n, const unsigned char *restrict step1,
              const unsigned char *restrict other,
              const unsigned char *restrict fail, int *restrict out,
              size_t *restrict steps)
{
  for (size_t p = 0; p < n; p++)
    {
      const int took = step1[p] | other[p];
      out[p] = took & fail[p] ? SDE__PHI_NEWTON : out[p];
      steps[p] += (size_t)(took & !fail[p]);
    }
}

/* newton_step for the paths with STEP (one normal, its column in n1):
   the point into prev, y -= (nb / nhn) n1, and FAIL where nhn is not
   positive (y left alone); in loops that vectorize.  */
SDE_CLONES static void
newton_steps1 (size_t d, size_t n, const unsigned char *restrict step,
               double *restrict y, double *restrict prev,
               const double *restrict n1, const double *restrict nb,
               const double *restrict nhn, unsigned char *restrict fail)
{
  for (size_t p = 0; p < n; p++)
    fail[p] = step[p] & !(nhn[p] > 0);
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < n; p++)
      {
        const double yv = y[i * n + p];
        prev[i * n + p] = step[p] ? yv : prev[i * n + p];
        y[i * n + p]
            = step[p] & !fail[p] ? yv - nb[p] / nhn[p] * n1[i * n + p] : yv;
      }
}

/* Newton's method from w->y (paths with out OK, their bases in w->N:
   column q is path ix[q], or q without ix; n1 their first columns, with
   the columns of w->y) on N^T grad L(y + N c) = 0, in place, until
   |grad L| <= gtol; quadratic
   convergence at least halves |grad L| per step.  A step that does not
   (an overshoot from afar: from inside the circle Newton's first step
   lands farther out than it started) is halved, up to HALVE times; a path
   that still stalls (rounding, or a start outside Newton's basin) gets out
   NEWTON.  f0, when not NULL, is -grad L at y, with H there in w->H: the
   first iteration needs neither again.  */
static int
newton_core (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const size_t *ix,
             const double *n1, int *out, size_t *steps, const double *f0)
{
  enum
  {
    HALVE = 6
  };
  const size_t d = w->d;
  double *g = w->k[0], *prev = w->k[1]; /* the point before each step */
  double *gp = w->e2, *nb = w->l2, *nhn = w->g2;
  unsigned char half[256] = { 0 }, wait[256], bad[256], step1[256], fail[256],
                one[256];
  for (size_t p = 0; p < n; p++)
    one[p] = w->m[ix ? ix[p] : p] == 1;
  for (size_t p = 0; p < n; p++)
    w->gn[p] = HUGE_VAL;
  for (int it = 0; it < 16; it++)
    {
      const int known = it == 0 && f0 != NULL;
      int st = GSL_SUCCESS, more = 0;
      if (known)
        for (size_t i = 0; i < d * n; i++)
          g[i] = -f0[i];
      else if ((st = w->pb->grad (w->pb, n, w->y, g, w->pw)))
        return st;
      norms (g, d, n, gp);
      /* The first steps from afar may overshoot: they need only decrease
         |grad L|.  */
      int over = newton_verdicts (n, out, gp, w->gn, c->gtol,
                                  it < 3 ? 0.99 : 0.5, wait, bad, &more);
      for (size_t p = 0; p < n && over; p++)
        if (bad[p])
          {
            if (!(half[p] < HALVE && isfinite (w->gn[p])))
              {
                out[p] = SDE__PHI_NEWTON;
                continue;
              }
            half[p]++, wait[p] = 1, more = 1;
            for (size_t i = 0; i < d; i++)
              w->y[i * n + p] = 0.5 * (w->y[i * n + p] + prev[i * n + p]);
          }
      /* The Hessian only where a step is taken.  */
      if (!more || (!known && (st = hessian (w, n, w->y, w->H))))
        return st;
      newton_scalars1 (w, n, n1, g, nb, nhn);
      /* The steps: paths with one normal in a loop that vectorizes, the
         others by newton_step.  */
      int other = newton_pick (n, out, w->gn, c->gtol, wait, one, step1, bad);
      newton_steps1 (d, n, step1, w->y, prev, n1, nb, nhn, fail);
      for (size_t p = 0; p < n && other; p++)
        if (bad[p])
          {
            for (size_t i = 0; i < d; i++)
              prev[i * n + p] = w->y[i * n + p];
            fail[p] = newton_step (w, n, p, ix ? ix[p] : p, g) != 0;
          }
      newton_tally (n, step1, bad, fail, out, steps);
    }
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK && w->gn[p] > c->gtol)
      out[p] = SDE__PHI_NEWTON;
  return GSL_SUCCESS;
}

/* newton_core from y for the paths with out OK, in place: on all n when
   f0 is given or all take part, else on those gathered (path by path the
   same operations, and the others' gradients and Hessians are not
   evaluated).  */
static int
newton (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y, int *out,
        size_t *steps, const double *f0)
{
  const size_t d = w->d;
  size_t ix[256], na = 0;
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK)
      ix[na++] = p;
  int st;
  if (na == 0)
    return GSL_SUCCESS;
  if (f0 != NULL || na == n)
    {
      memcpy (w->y, y, sizeof (double) * d * n);
      if ((st = newton_core (w, c, n, NULL, w->n1, out, steps, f0)) == 0)
        memcpy (y, w->y, sizeof (double) * d * n);
      return st;
    }
  int oa[256];
  size_t sa[256];
  double *n1 = w->k[2];
  for (size_t q = 0; q < na; q++)
    {
      const size_t p = ix[q];
      for (size_t i = 0; i < d; i++)
        {
          w->y[i * na + q] = y[i * n + p];
          n1[i * na + q] = w->n1[i * n + p];
        }
      oa[q] = out[p], sa[q] = steps[p];
    }
  st = newton_core (w, c, na, ix, n1, oa, sa, NULL);
  for (size_t q = 0; q < na; q++)
    {
      const size_t p = ix[q];
      for (size_t i = 0; i < d && st == 0; i++)
        y[i * n + p] = w->y[i * na + q];
      out[p] = oa[q], steps[p] = sa[q];
    }
  return st;
}

/* ---- The flow ---- */

/* |g|, |H|_F^2 and g^T H g of each of the n paths (g and H with leading
   dimension n), in loops over paths that vectorize: norm_at's and the
   double sum's operations in their order.  */
SDE_CLONES static void
start_sums (size_t d, size_t n, const double *restrict g,
            const double *restrict H, double *restrict gn, double *restrict f2,
            double *restrict gHg)
{
  norms (g, d, n, gn);
  for (size_t p = 0; p < n; p++)
    f2[p] = gHg[p] = 0;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      for (size_t p = 0; p < n; p++)
        {
          const double hij = H[(i * d + j) * n + p];
          f2[p] += hij * hij;
          gHg[p] += g[i * n + p] * hij * g[j * n + p];
        }
}

/* At x, for every path: -grad L into gx, H and its normal basis (w->N,
   w->m; c0 NEWTON where there is none), the offset from Gamma v0 =
   |H+ grad L| (the Rayleigh estimate |g|^2 / g^T H g * |g| without a
   basis), the least normal eigenvalue into lam0 and a first step
   0.2 / |H|_F (within the stable range of the largest eigenvalue).
   Paths with non-finite values get BAD.  */
static int
start (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const double *x,
       int *out)
{
  const size_t d = w->d;
  int st = field (w, n, x, w->gx);
  if (st || (st = hessian (w, n, x, w->H)))
    return st;
  eig_block (w, c, n, NULL);
  double *f2s = w->e2, *gHgs = w->l2, *gs = w->g2;
  start_sums (d, n, w->gx, w->H, gs, f2s, gHgs);
  for (size_t p = 0; p < n; p++)
    {
      const double f2 = f2s[p], gHg = gHgs[p], g = gs[p];
      out[p] = isfinite (g) && isfinite (f2) ? SDE__PHI_OK : SDE__PHI_BAD;
      w->h0[p] = f2 > 0 ? H0 / sqrt (f2) : 1;
      w->lam0[p] = gHg > 0 ? gHg / (g * g) : sqrt (f2);
      w->v0[p] = g / w->lam0[p];
      w->c0[p] = out[p];
      if (out[p] != SDE__PHI_OK || (w->m[p] = normal_basis (w, c, n, p)) == 0)
        {
          w->c0[p] = out[p] == SDE__PHI_OK ? SDE__PHI_NEWTON : out[p];
          continue;
        }
      const double *N = w->N + p * d * d, *lp = w->lp + p * d;
      double v2 = 0;
      for (size_t a = 0; a < w->m[p]; a++)
        {
          double u = 0;
          for (size_t j = 0; j < d; j++)
            u += N[j * d + a] * w->gx[j * n + p];
          v2 += u * u / (lp[a] * lp[a]);
        }
      w->v0[p] = sqrt (v2);
      w->lam0[p] = lp[0]; /* ascending: the least normal one */
    }
  return GSL_SUCCESS;
}

/* Removes the finished paths (copying their points to yout at idx) and
   compacts the state; returns the paths still flowing.  */
static size_t
retire (sde__phi_ws *w, size_t n, size_t nall, double *yout,
        unsigned char *keep)
{
  const size_t d = w->d;
  size_t nk = 0;
  for (size_t p = 0; p < n; p++)
    {
      nk += keep[p];
      if (!keep[p])
        for (size_t i = 0; i < d; i++)
          yout[i * nall + w->idx[p]] = w->y[i * n + p];
    }
  if (nk == n)
    return n;
  compact (w->y, d, n, keep, nk);
  compact (w->k[0], d, n, keep, nk);
  compact (w->h, 1, n, keep, nk);
  compact (w->vt, 1, n, keep, nk);
  compact (w->s, 1, n, keep, nk);
  compact (w->se, 1, n, keep, nk);
  for (size_t p = 0, q = 0; p < n; p++)
    if (keep[p])
      {
        w->idx[q] = w->idx[p];
        w->nst[q++] = w->nst[p];
      }
  return nk;
}

/* Accepts or rejects each path's step and sizes the next; keep marks the
   paths that go on flowing, out the outcome of those that stop.  A path
   stops at its end time se, or once its offset from Gamma, |grad L| /
   lambda with the Rayleigh quotient lambda, is at most its target vt, or
   once |grad L| <= gabs.  */
static void
dp_control (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, int *out,
            unsigned char *keep)
{
  const size_t d = w->d;
  for (size_t p = 0; p < n; p++)
    {
      keep[p] = 1;
      /* Every attempt counts against the budget.  */
      if (++w->nst[p] > c->max_steps)
        {
          keep[p] = 0, out[w->idx[p]] = SDE__PHI_BUDGET;
          continue;
        }
      /* A step too long for a stiff start can overflow: a rejection, until
         the step itself underflows.  */
      if (!isfinite (w->e2[p]) || !isfinite (w->g2[p]))
        {
          w->h[p] *= 0.2;
          if (!(w->h[p] > 0))
            keep[p] = 0, out[w->idx[p]] = SDE__PHI_BAD;
          continue;
        }
      if (!(w->e2[p] >= 1))
        {
          w->h[p] *= w->fac[p] < 1 ? w->fac[p] : 1;
          continue;
        }
      for (size_t i = 0; i < d; i++)
        {
          w->y[i * n + p] = w->t[i * n + p];
          w->k[0][i * n + p] = w->k[6][i * n + p];
        }
      w->s[p] += w->h[p];
      const double g = sqrt (w->g2[p]), lam = w->ray[p];
      if (g <= c->gabs || (lam > 0 && g <= lam * w->vt[p])
          || w->s[p] >= w->se[p] * (1 - 1e-12))
        {
          keep[p] = 0;
          w->vend[w->idx[p]] = lam > 0 ? g / lam : HUGE_VAL;
          w->lend[w->idx[p]] = lam;
        }
      w->h[p] *= w->fac[p];
    }
}

/* The flow of the paths with out OK from x (field f there), each until
   time se[p] or offset vt[p], into y (the other paths' y is left
   alone).  */
static int
flow (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const double *x,
      const double *f, const double *se, const double *vt, double *y, int *out,
      size_t *steps)
{
  const size_t d = w->d;
  unsigned char keep[256];
  size_t na = 0;
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK)
      w->idx[na++] = p;
  for (size_t q = 0; q < na; q++)
    {
      const size_t p = w->idx[q];
      for (size_t i = 0; i < d; i++)
        {
          w->y[i * na + q] = x[i * n + p];
          w->k[0][i * na + q] = f[i * n + p];
        }
      w->h[q] = w->h0[p];
      w->vt[q] = vt[p];
      w->se[q] = se[p];
      w->s[q] = 0;
      w->nst[q] = 0;
    }
  while (na > 0)
    {
      /* No sliver at the stretch's end: within 1.1 steps of it, one
         step; within two, two equal ones.  */
      for (size_t q = 0; q < na; q++)
        {
          const double left = w->se[q] - w->s[q], h = w->h[q];
          w->h[q] = left <= 1.1 * h ? left : left < 2 * h ? 0.5 * left : h;
        }
      int st = dp_step (w, c->rtol, na);
      if (st)
        return st;
      dp_control (w, c, na, out, keep);
      for (size_t q = 0; q < na; q++)
        if (!keep[q])
          steps[w->idx[q]] += w->nst[q];
      na = retire (w, na, n, y, keep);
    }
  return GSL_SUCCESS;
}

/* ---- The second-order term ---- */

/* L'''[S] at the n points x for the matrices S (S[(j*d + k)*n + p]) into
   out (d rows of n): the problem's contraction, or central differences
   of <hess L, S> coordinate by coordinate.  */
static int
third_block (sde__phi_ws *w, size_t n, const double *x, const double *S,
             double *out)
{
  const sde_problem *pb = w->pb;
  const size_t d = w->d;
  if (pb->third)
    return pb->third (pb, n, x, S, out, w->pw);
  const double e = 1e-4;
  for (size_t i = 0; i < d; i++)
    for (int sg = 0; sg < 2; sg++)
      {
        memcpy (w->t, x, sizeof (double) * d * n);
        for (size_t p = 0; p < n; p++)
          w->t[i * n + p] += sg ? -e : e;
        int st = hessian (w, n, w->t, w->H);
        if (st)
          return st;
        for (size_t p = 0; p < n; p++)
          {
            double u = 0;
            for (size_t k = 0; k < d * d; k++)
              u += w->H[k * n + p] * S[k * n + p];
            out[i * n + p] = sg ? (out[i * n + p] - u) / (2 * e) : u;
          }
      }
  return GSL_SUCCESS;
}

/* Path p's coordinates of w = y_switch - zeta in the eigenbasis into
   w->ev, and Sigma_diamond(w w^T) (the inverse Lyapunov operator of H on
   the pairs not both tangent, as in the slow SDE's drift) into its block
   of w->S2.  */
static void
diamond (sde__phi_ws *w, size_t n, size_t p, const double *zeta)
{
  const size_t d = w->d, m = w->m[p];
  const double *N = w->N + p * d * d, *lp = w->lp + p * d;
  double *cw = w->ev, *M = w->A;
  for (size_t a = 0; a < d; a++)
    {
      double u = 0;
      for (size_t j = 0; j < d; j++)
        u += N[j * d + a] * (w->ys[j * n + p] - zeta[j * n + p]);
      cw[a] = u;
    }
  /* M = N D with D_ab = cw_a cw_b / (lp_a + lp_b), then M N^T.  */
  for (size_t i = 0; i < d; i++)
    for (size_t b = 0; b < d; b++)
      {
        double u = 0;
        for (size_t a = 0; a < d; a++)
          if (a < m || b < m)
            u += N[i * d + a] * cw[a] * cw[b] / (lp[a] + lp[b]);
        M[i * d + b] = u;
      }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      {
        double u = 0;
        for (size_t b = 0; b < d; b++)
          u += M[i * d + b] * N[j * d + b];
        w->S2[(i * d + j) * n + p] = u;
      }
}

/* diamond for a curve in the plane (d = 2, m = 1) over the n paths with
   OK (N 4 and lp 2 per path, ys and zeta with leading dimension n) into
   S2, zero for the others: its operations in its order (the sums' leading
   0 + kept), in a loop that vectorizes.  */
SDE_CLONES static void
diamond21_block (size_t n, const double *restrict N, const double *restrict lp,
                 const double *restrict ys, const double *restrict zeta,
                 const unsigned char *restrict ok, double *restrict S2)
{
  for (size_t p = 0; p < n; p++)
    {
      const double *Np = N + 4 * p, *lpp = lp + 2 * p;
      const double w0 = ys[p] - zeta[p], w1 = ys[n + p] - zeta[n + p];
      const double cw0 = 0 + Np[0] * w0 + Np[2] * w1;
      const double cw1 = 0 + Np[1] * w0 + Np[3] * w1;
      double M[4];
      for (size_t i = 0; i < 2; i++)
        {
          M[2 * i] = 0 + Np[2 * i] * cw0 * cw0 / (lpp[0] + lpp[0])
                     + Np[2 * i + 1] * cw1 * cw0 / (lpp[1] + lpp[0]);
          M[2 * i + 1] = 0 + Np[2 * i] * cw0 * cw1 / (lpp[0] + lpp[1]);
        }
      for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++)
          {
            const double u
                = 0 + M[2 * i] * Np[2 * j] + M[2 * i + 1] * Np[2 * j + 1];
            S2[(2 * i + j) * n + p] = ok[p] ? u : 0;
          }
    }
}

/* second_order's last loop for a curve in the plane (the tangent is
   column 1 of N): y += P w - 1/2 P t2 for the paths with OK, in a loop
   that vectorizes, the same operations in the same order.  */
SDE_CLONES static void
apply21_block (size_t n, const double *restrict N, const double *restrict ys,
               const double *restrict t2, const unsigned char *restrict ok,
               double *restrict y)
{
  for (size_t p = 0; p < n; p++)
    {
      const double *Np = N + 4 * p;
      const double pw
          = 0 + Np[1] * (ys[p] - y[p]) + Np[3] * (ys[n + p] - y[n + p]);
      const double pt = 0 + Np[1] * t2[p] + Np[3] * t2[n + p];
      const double f = pw - 0.5 * pt;
      const double y0 = y[p] + (0 + Np[1] * f), y1 = y[n + p] + (0 + Np[3] * f);
      y[p] = ok[p] ? y0 : y[p];
      y[n + p] = ok[p] ? y1 : y[n + p];
    }
}

/* Phi(y_s) = zeta + P w + 1/2 d^2 Phi(zeta)[w w^T] + O(|w|^3) for zeta
   on the manifold and w = y_s - zeta (Taylor), with 1/2 d^2 Phi[Sigma] =
   -1/2 H+ L'''[P Sigma P] - 1/2 P L'''[Sigma_diamond] (MATH.md 6; the
   first term is O(|P w|^2) = O(|w|^4) and left out).  Moves the Newton
   limits zeta (y, paths with out OK) by P w - 1/2 P L'''[Sigma_diamond],
   with the switch points from w->ys.  */
static int
second_order (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y,
              int *out)
{
  const size_t d = w->d;
  int st = bases (w, c, n, y, out);
  if (st)
    return st;
  double *t2 = w->k[1];
  if (d == 2)
    {
      /* A curve in the plane: every path with out OK has one normal (m is
         0 or 1 in the plane, and bases fails the paths with 0).  */
      unsigned char ok[256];
      for (size_t p = 0; p < n; p++)
        ok[p] = out[p] == SDE__PHI_OK;
      diamond21_block (n, w->N, w->lp, w->ys, y, ok, w->S2);
      if ((st = third_block (w, n, y, w->S2, t2)))
        return st;
      apply21_block (n, w->N, w->ys, t2, ok, y);
      return GSL_SUCCESS;
    }
  /* Zero where there is no diamond, for the contraction.  */
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK)
      diamond (w, n, p, y);
    else
      for (size_t e = 0; e < d * d; e++)
        w->S2[e * n + p] = 0;
  if ((st = third_block (w, n, y, w->S2, t2)))
    return st;
  for (size_t p = 0; p < n; p++)
    {
      if (out[p] != SDE__PHI_OK || w->m[p] == 0)
        continue;
      const double *N = w->N + p * d * d;
      double mv[64];
      for (size_t i = 0; i < d; i++)
        mv[i] = 0;
      for (size_t a = w->m[p]; a < d; a++)
        {
          double pw = 0, pt = 0;
          for (size_t j = 0; j < d; j++)
            {
              pw += N[j * d + a] * (w->ys[j * n + p] - y[j * n + p]);
              pt += N[j * d + a] * t2[j * n + p];
            }
          for (size_t i = 0; i < d; i++)
            mv[i] += N[i * d + a] * (pw - 0.5 * pt);
        }
      for (size_t i = 0; i < d; i++)
        y[i * n + p] += mv[i];
    }
  return GSL_SUCCESS;
}

/* A(from): Newton from y (on the plane from + span N, N in w->N for the
   paths with out OK) to zeta on Gamma, then Phi's second-order term at
   zeta, in place.  The result is off Gamma by O(|from - zeta|^4):
   pullback brings it back.  f0 as in newton.  */
static int
land (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const double *from,
      double *y, int *out, size_t *steps, const double *f0)
{
  memcpy (w->ys, from, sizeof (double) * w->d * n);
  int st = newton (w, c, n, y, out, steps, f0);
  if (st == GSL_SUCCESS)
    st = second_order (w, c, n, y, out);
  return st;
}

/* |B^T (y - a)| for path p over the columns b0 <= b < b1 of its basis in
   w->N: the normal offset of y from a point a of Gamma (0, m), or the
   tangential difference of two points (m, d).  */
static double
along (const sde__phi_ws *w, size_t n, size_t p, const double *y,
       const double *a, size_t b0, size_t b1)
{
  const size_t d = w->d;
  const double *N = w->N + p * d * d;
  double v2 = 0;
  for (size_t b = b0; b < b1; b++)
    {
      double u = 0;
      for (size_t j = 0; j < d; j++)
        u += N[j * d + b] * (y[j * n + p] - a[j * n + p]);
      v2 += u * u;
    }
  return sqrt (v2);
}

/* After A(y1) (in y): the paths it serves get out SKIP (those of this
   round also sel OK, for the pullback); the others keep out OK and get
   the flow's target offset in tgt: where the cubic model C |w|^3 of A's
   error, C from A(yc) - A(y1), meets half the tolerance (theta |yc -
   Gamma| when A(yc) or A(y1) failed).  Returns the number of paths that
   must flow on.  */
static size_t
decide (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, const double *y,
        int *out, int round)
{
  const size_t d = w->d;
  size_t nf = 0;
  for (size_t p = 0; p < n; p++)
    {
      w->sel[p] = SKIP;
      if (out[p] != SDE__PHI_OK && out[p] != SDE__PHI_NEWTON)
        continue;
      const double tol = c->ptol * w->v0[p] * w->v0[p] + c->patol;
      const int both = out[p] == SDE__PHI_OK && w->c0[p] == SDE__PHI_OK;
      const double e = both ? along (w, n, p, y, w->a0, w->m[p], d) : 0;
      /* The first check, from x: A(x) - A(y1) is E(x) (1 - e^(-3z)),
         about 0.88 E(x), less rounding.  */
      if (both && isnan (w->cf[p]))
        w->cf[p] = fmax (0, e - c->patol)
                   / (-expm1 (-3 * STRETCH) * w->v0[p] * w->v0[p] * w->v0[p]);
      if (both && e <= tol * expm1 (3 * STRETCH))
        {
          out[p] = SKIP, w->sel[p] = SDE__PHI_OK;
          continue;
        }
      const double vc = w->vc[p];
      const double v1 = both ? along (w, n, p, w->y1, y, 0, w->m[p]) : 0;
      const double v3 = vc * vc * vc - v1 * v1 * v1;
      w->tgt[p] = (round == 0 ? THETA0 : c->theta) * vc;
      if (both && v3 > 0)
        w->tgt[p] = fmin (cbrt (0.5 * tol * v3 / e), 0.5 * v1);
      w->se0[p] = HUGE_VAL;
      out[p] = SDE__PHI_OK;
      nf++;
    }
  return nf;
}

/* Where the offset of yc is within gabs / lambda, A(yc) (in w->a0, its
   outcome in w->c0) is accepted outright: its error is O(gabs^3) (out
   SKIP, sel OK).  The others flow from yc for STRETCH / lambda_min (A's
   cubic error falls by e^(-3 STRETCH), to 0.6), into
   w->y1, and A(y1) goes into y.  */
static int
probe (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y, int *out,
       size_t *steps)
{
  const size_t d = w->d;
  for (size_t p = 0; p < n; p++)
    {
      w->se0[p] = STRETCH / w->lam0[p];
      w->tgt[p] = 0;
      w->sel[p] = SKIP;
      if (out[p] == SDE__PHI_OK && w->c0[p] == SDE__PHI_OK
          && w->vc[p] * w->lam0[p] <= c->gabs)
        {
          out[p] = SKIP, w->sel[p] = SDE__PHI_OK;
          for (size_t i = 0; i < d; i++)
            y[i * n + p] = w->a0[i * n + p];
        }
    }
  memcpy (w->y1, w->yc, sizeof (double) * d * n);
  int st = field (w, n, w->yc, w->gx);
  if (st
      || (st = flow (w, c, n, w->yc, w->gx, w->se0, w->tgt, w->y1, out, steps)))
    return st;
  /* Newton from y1 starts where the plane y1 + span N, N the normal space
     at A(yc), meets A(yc): within O(|A(yc) - Phi|) of its end.  Where yc
     had no finish there is no A(yc) to compare A(y1) with, so A(y1) is
     not computed: such a path flows on from y1 (in y).  */
  int *c1 = w->c1;
  for (size_t p = 0; p < n; p++)
    {
      c1[p] = out[p] == SDE__PHI_OK && w->c0[p] == SDE__PHI_OK ? SDE__PHI_OK
                                                               : SKIP;
      if (out[p] != SDE__PHI_OK)
        continue;
      const double *N = w->N + p * d * d;
      for (size_t i = 0; i < d; i++)
        y[i * n + p] = w->y1[i * n + p];
      for (size_t b = 0; b < w->m[p] && c1[p] == SDE__PHI_OK; b++)
        {
          double u = 0;
          for (size_t j = 0; j < d; j++)
            u += N[j * d + b] * (w->a0[j * n + p] - w->y1[j * n + p]);
          for (size_t i = 0; i < d; i++)
            y[i * n + p] += u * N[i * d + b];
        }
    }
  if ((st = land (w, c, n, w->y1, y, c1, steps, NULL)))
    return st;
  for (size_t p = 0; p < n; p++)
    if (c1[p] != SKIP)
      out[p] = c1[p];
  return GSL_SUCCESS;
}

/* The paths with out OK flow from y1 to their target offsets, into yc;
   A(yc) into w->a0 with its outcome in w->c0, the offset and the least
   normal eigenvalue there into vc and lam0.  */
static int
advance (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, int *out,
         size_t *steps)
{
  const size_t d = w->d;
  int st = field (w, n, w->y1, w->gx);
  if (st
      || (st = flow (w, c, n, w->y1, w->gx, w->se0, w->tgt, w->yc, out, steps)))
    return st;
  /* Only the flowing paths' A and its outcome change: the deferred ones
     keep A(x) for the sample's verdict.  */
  int *c1 = w->c1;
  for (size_t p = 0; p < n; p++)
    {
      c1[p] = out[p] == SDE__PHI_OK ? SDE__PHI_OK : SKIP;
      for (size_t i = 0; i < d && c1[p] == SDE__PHI_OK; i++)
        w->a0[i * n + p] = w->yc[i * n + p];
    }
  if ((st = bases_where (w, c, n, w->a0, c1, c1))
      || (st = land (w, c, n, w->yc, w->a0, c1, steps, NULL)))
    return st;
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK)
      w->c0[p] = c1[p];
  for (size_t p = 0; p < n; p++)
    if (w->c0[p] == SDE__PHI_OK && out[p] == SDE__PHI_OK)
      {
        w->vc[p] = along (w, n, p, w->yc, w->a0, 0, w->m[p]);
        w->lam0[p] = w->lp[p * d];
      }
    else if (out[p] == SDE__PHI_OK && w->lend[p] > 0)
      {
        /* No finish at yc (far from Gamma): the flow's own estimates, so
           that the next target is closer still.  */
        w->vc[p] = w->vend[p];
        w->lam0[p] = w->lend[p];
      }
  /* The flows from yc start with a step fit for the curvature there.  */
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK && w->lend[p] > 0)
      w->h0[p] = H0 / w->lend[p];
  return GSL_SUCCESS;
}

/* Newton back onto Gamma for the paths accepted this round (sel OK), in
   the normal spaces of their last landing; a failure goes into out.  */
static int
pullback (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y, int *out,
          size_t *steps)
{
  int any = 0;
  for (size_t p = 0; p < n; p++)
    any |= w->sel[p] == SDE__PHI_OK;
  int st = any ? newton (w, c, n, y, w->sel, steps, NULL) : GSL_SUCCESS;
  for (size_t p = 0; p < n; p++)
    if (w->sel[p] != SDE__PHI_OK && w->sel[p] != SKIP)
      out[p] = w->sel[p];
  return st;
}

/* The deferred paths (out DEFER) wait for the sample's verdict: where
   the largest error coefficient C the sample measured says A(x) (in
   w->a0) is within a tenth of Phi's tolerance, 10 C |x - Gamma|^3 <=
   ptol |x - Gamma|^2 + patol, and x is at most twice the sample's largest
   offset from Gamma, A(x) is accepted without a check of its own and
   pulled back onto Gamma (out SKIP); the others get out OK, for rounds of
   their own.  */
static int
trusted (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y, int *out,
         size_t *steps)
{
  const size_t d = w->d;
  double cmax = -1, vmax = 0;
  for (size_t p = 0; p < n; p++)
    if (out[p] != DEFER && !isnan (w->cf[p]))
      {
        cmax = fmax (cmax, w->cf[p]);
        vmax = fmax (vmax, w->v0[p]);
      }
  int any = 0;
  for (size_t p = 0; p < n; p++)
    {
      const double v = w->v0[p];
      const double tol = c->ptol * v * v + c->patol;
      w->sel[p] = SKIP;
      if (out[p] != DEFER)
        continue;
      out[p] = SDE__PHI_OK;
      if (w->c0[p] != SDE__PHI_OK || !(cmax >= 0) || !(v <= 2 * vmax)
          || !(10 * cmax * v * v * v <= tol))
        continue;
      out[p] = SKIP, w->sel[p] = SDE__PHI_OK, any = 1;
      for (size_t i = 0; i < d; i++)
        y[i * n + p] = w->a0[i * n + p];
    }
  return any ? pullback (w, c, n, y, out, steps) : GSL_SUCCESS;
}

/* With c->sample, in a block of at least 64 paths, all but the 1 in
   sample (at least 2) with A(x) and the largest offsets from Gamma get
   out DEFER: the sample's checks then stand for them, measured where the
   cubic error is largest.  */
static void
defer (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, int *out)
{
  if (c->sample == 0 || n < 64)
    return;
  size_t ns = n / c->sample;
  ns = ns < 2 ? 2 : ns;
  /* The ns largest offsets in one pass, kept in order (ties: the first
     path first), as ns passes for the largest left would pick them.  */
  size_t top[256], nt = 0;
  for (size_t p = 0; p < n; p++)
    {
      if (out[p] != SDE__PHI_OK || w->c0[p] != SDE__PHI_OK)
        continue;
      out[p] = DEFER;
      size_t i = nt < ns ? nt++ : ns;
      for (; i > 0 && w->v0[p] > w->v0[top[i - 1]]; i--)
        if (i < ns)
          top[i] = top[i - 1];
      if (i < ns)
        top[i] = p;
    }
  for (size_t k = 0; k < nt; k++)
    out[top[k]] = SDE__PHI_OK;
}

/* Rounds of probe, check and flow for the paths with out OK; each flow
   goes at least halfway.  */
static int
rounds_in (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y, int *out,
           size_t *steps)
{
  int left = 0, st;
  for (size_t p = 0; p < n; p++)
    left |= out[p] == SDE__PHI_OK;
  for (int round = 0; round < 8 && left; round++)
    {
      if ((st = probe (w, c, n, y, out, steps)))
        return st;
      size_t more = decide (w, c, n, y, out, round);
      if ((st = pullback (w, c, n, y, out, steps)))
        return st;
      if (more == 0)
        break;
      if ((st = advance (w, c, n, out, steps)))
        return st;
    }
  return GSL_SUCCESS;
}

/* Rows of per-path values between a block (leading dimension n) and its
   gathered paths ix[0..na) (leading dimension na), either way.  */
static void
move_rows (double *blk, size_t n, double *g, size_t na, size_t rows,
           const size_t *ix, int gather)
{
  for (size_t i = 0; i < rows; i++)
    for (size_t q = 0; q < na; q++)
      if (gather)
        g[i * na + q] = blk[i * n + ix[q]];
      else
        blk[i * n + ix[q]] = g[i * na + q];
}

/* The same for values stored path by path, LEN each.  */
static void
move_blocks (double *blk, double *g, size_t len, const size_t *ix, size_t na,
             int gather)
{
  for (size_t q = 0; q < na; q++)
    if (gather)
      memcpy (g + q * len, blk + ix[q] * len, sizeof (double) * len);
    else
      memcpy (blk + ix[q] * len, g + q * len, sizeof (double) * len);
}

/* What rounds_in reads or leaves of a path, between w (and y, out,
   steps) and its sub-workspace.  */
static void
move_state (sde__phi_ws *w, size_t n, double *y, int *out, size_t *steps,
            const size_t *ix, size_t na, int gather)
{
  sde__phi_ws *s = w->sub;
  const size_t d = w->d;
  move_rows (y, n, s->gy, na, d, ix, gather);
  move_rows (w->yc, n, s->yc, na, d, ix, gather);
  move_rows (w->a0, n, s->a0, na, d, ix, gather);
  move_rows (w->n1, n, s->n1, na, d, ix, gather);
  double *one[][2]
      = { { w->vc, s->vc },    { w->v0, s->v0 }, { w->lam0, s->lam0 },
          { w->h0, s->h0 },    { w->cf, s->cf }, { w->vend, s->vend },
          { w->lend, s->lend } };
  for (size_t k = 0; k < sizeof one / sizeof one[0]; k++)
    move_rows (one[k][0], n, one[k][1], na, 1, ix, gather);
  move_blocks (w->N, s->N, d * d, ix, na, gather);
  move_blocks (w->lp, s->lp, d, ix, na, gather);
  for (size_t q = 0; q < na; q++)
    {
      const size_t p = ix[q];
      if (gather)
        s->c0[q] = w->c0[p], s->m[q] = w->m[p], s->gout[q] = out[p],
        s->gsteps[q] = steps[p];
      else
        w->c0[p] = s->c0[q], w->m[p] = s->m[q], out[p] = s->gout[q],
        steps[p] = s->gsteps[q];
    }
}

/* rounds_in for the paths with out OK: when they are a few of the block
   (a sample's checks), gathered into the sub-workspace, so that the
   block's evaluations cover them only.  Path by path the same
   operations.  */
static int
rounds (sde__phi_ws *w, const sde__phi_cfg *c, size_t n, double *y, int *out,
        size_t *steps)
{
  size_t ix[256], na = 0;
  for (size_t p = 0; p < n; p++)
    if (out[p] == SDE__PHI_OK)
      ix[na++] = p;
  if (na == 0)
    return GSL_SUCCESS;
  if (w->sub == NULL || 4 * na > n)
    return rounds_in (w, c, n, y, out, steps);
  move_state (w, n, y, out, steps, ix, na, 1);
  int st = rounds_in (w->sub, c, na, w->sub->gy, w->sub->gout, w->sub->gsteps);
  move_state (w, n, y, out, steps, ix, na, 0);
  return st;
}

int
sde__phi_block (sde__phi_ws *w, const sde__phi_cfg *c, size_t n,
                const double *x, double *y, int *out, size_t *steps)
{
  if (n > w->cap || n > 256)
    return GSL_EINVAL;
  const size_t d = w->d;
  for (size_t p = 0; p < n; p++)
    steps[p] = 0, w->cf[p] = NAN;
  int st = start (w, c, n, x, out);
  if (st)
    return st;
  memcpy (w->yc, x, sizeof (double) * d * n);
  memcpy (w->a0, x, sizeof (double) * d * n);
  memcpy (w->vc, w->v0, sizeof (double) * n);
  /* Newton from x: start's field and Hessian there.  */
  if ((st = land (w, c, n, x, w->a0, w->c0, steps, w->gx)))
    return st;
  defer (w, c, n, out);
  if ((st = rounds (w, c, n, y, out, steps))
      || (st = trusted (w, c, n, y, out, steps))
      || (st = rounds (w, c, n, y, out, steps)))
    return st;
  for (size_t p = 0; p < n; p++)
    out[p] = out[p] == SKIP          ? SDE__PHI_OK
             : out[p] == SDE__PHI_OK ? SDE__PHI_NEWTON
                                     : out[p];
  return GSL_SUCCESS;
}
