/* exact.c: the linear-Gaussian engine (MATH.md section 5, our derivation).
   In the eigenbasis of H = Q diag(lambda) Q^T every method and every limit
   SDE decouples into modes of size q (1 for SGD and SME, 2 with a momentum
   buffer or for the underdamped SDE): mode i moves by a q x q matrix A_i
   per step, and the noise adds Sigma~_ij K_ij to the covariance block of
   modes (i, j), Sigma~ = Q^T S S^T Q.  Jumps of n equal steps use repeated
   squaring, A(2n) = A(n)^2 and G(2n) = G(n) + A_i(n) G(n) A_j(n)^T, so the
   cost of a table grows like log(1/eta) unless every step is a
   checkpoint.  The propagation runs in long double.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "sdekit/exact.h"
#include "sdekit/spec.h"

typedef long double real;

struct sde_exact
{
  const sde_problem *pb;
  size_t d;
  double *lam; /* eigenvalues */
  double *Q;   /* d x d, column k the k-th eigenvector */
  real *sig;   /* Sigma~, d x d */
  double *xs;  /* x* (d) */
  real *qxs;   /* Q^T x* (d) */
  real xs2;    /* |x*|^2 */
};

int
sde_exact_applies (const sde_problem *pb, sde_oracle_law law,
                   const sde_observable *obs, size_t nobs, char *why,
                   size_t len)
{
  const char *r = NULL;
  if (pb->hess_const == NULL || pb->grad == NULL)
    r = "the loss is not quadratic (no constant Hessian)";
  else if (pb->factor_const == NULL)
    r = "the noise factor S(x) is not constant";
  else if (law != SDE_ORACLE_GAUSSIAN && law != SDE_ORACLE_NONE)
    r = "the noise is not Gaussian";
  else if (pb->dim > 512)
    r = "the dimension is above 512";
  for (size_t o = 0; r == NULL && o < nobs; o++)
    if (obs[o].kind == SDE_OBS_USER || obs[o].kind == SDE_OBS_EXPR)
      r = "a user or expression observable has no closed form here";
  if (r && why)
    snprintf (why, len, "%s", r);
  return r == NULL;
}

void
sde_exact_free (sde_exact *ex)
{
  if (ex == NULL)
    return;
  free (ex->lam);
  free (ex->Q);
  free (ex->sig);
  free (ex->xs);
  free (ex->qxs);
  free (ex);
}

/* H0 = Q diag(lam) Q^T by GSL's symmetric eigensolver, Q row-major with
   column k the k-th eigenvector.  */
static int
eigen (const double *H0, size_t d, double *lam, double *Q)
{
  gsl_matrix *H = gsl_matrix_alloc (d, d), *V = gsl_matrix_alloc (d, d);
  gsl_vector *ev = gsl_vector_alloc (d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc (d);
  const int have = H && V && ev && w;
  int st = GSL_ENOMEM;
  if (have)
    {
      memcpy (H->data, H0, sizeof (double) * d * d);
      st = gsl_eigen_symmv (H, ev, V, w);
    }
  for (size_t i = 0; st == GSL_SUCCESS && i < d; i++)
    {
      lam[i] = gsl_vector_get (ev, i);
      for (size_t j = 0; j < d; j++)
        Q[i * d + j] = gsl_matrix_get (V, i, j);
    }
  if (w)
    gsl_eigen_symmv_free (w);
  gsl_matrix_free (H);
  gsl_matrix_free (V);
  gsl_vector_free (ev);
  if (!have)
    return sde_error (GSL_ENOMEM, "exact engine: out of memory");
  if (st)
    GSL_ERROR ("exact engine: eigen-decomposition failed", st);
  return GSL_SUCCESS;
}

/* S~ = Q^T S, Sigma~ = S~ S~^T.  */
static int
noise_cov (sde_exact *ex, const double *S, size_t r)
{
  const size_t d = ex->d;
  real *St = malloc (sizeof (real) * d * r);
  if (St == NULL)
    return sde_error (GSL_ENOMEM, "exact engine: out of memory");
  for (size_t k = 0; k < d; k++)
    for (size_t c = 0; c < r; c++)
      {
        real s = 0;
        for (size_t i = 0; i < d; i++)
          s += (real)ex->Q[i * d + k] * S[i * r + c];
        St[k * r + c] = s;
      }
  for (size_t k = 0; k < d; k++)
    for (size_t l = 0; l < d; l++)
      {
        real s = 0;
        for (size_t c = 0; c < r; c++)
          s += St[k * r + c] * St[l * r + c];
        ex->sig[k * d + l] = s;
      }
  free (St);
  return GSL_SUCCESS;
}

sde_exact *
sde_exact_alloc (const sde_problem *pb)
{
  char why[128];
  if (!sde_exact_applies (pb, SDE_ORACLE_GAUSSIAN, NULL, 0, why, sizeof why))
    {
      sde_error (GSL_EINVAL, "exact engine: %s", why);
      return NULL;
    }
  const size_t d = pb->dim;
  sde_exact *ex = calloc (1, sizeof *ex);
  if (ex == NULL)
    return sde_error (GSL_ENOMEM, "exact engine: out of memory"), NULL;
  ex->pb = pb;
  ex->d = d;
  ex->lam = malloc (sizeof (double) * d);
  ex->Q = malloc (sizeof (double) * d * d);
  ex->sig = malloc (sizeof (real) * d * d);
  ex->xs = calloc (d, sizeof (double));
  ex->qxs = calloc (d, sizeof (real));
  if (!ex->lam || !ex->Q || !ex->sig || !ex->xs || !ex->qxs)
    {
      sde_exact_free (ex);
      return sde_error (GSL_ENOMEM, "exact engine: out of memory"), NULL;
    }
  /* Both report their failure.  */
  if (eigen (pb->hess_const, d, ex->lam, ex->Q)
      || noise_cov (ex, pb->factor_const, pb->noise_dim))
    {
      sde_exact_free (ex);
      return NULL;
    }
  if (pb->xstar)
    memcpy (ex->xs, pb->xstar, sizeof (double) * d);
  for (size_t k = 0; k < d; k++)
    for (size_t i = 0; i < d; i++)
      ex->qxs[k] += (real)ex->Q[i * d + k] * ex->xs[i];
  for (size_t i = 0; i < d; i++)
    ex->xs2 += (real)ex->xs[i] * ex->xs[i];
  return ex;
}

/* ---- Gaussian state in the eigenbasis ---- */

typedef struct
{
  size_t d, q;
  int full; /* all pairs, or only i = j */
  real *mu; /* d q */
  real *P;  /* block (i, j) at ((i d + j) q q), a q x q row-major */
  real *wt; /* d, scratch of observe */
} gstate;

/* One step of a process: per mode A_i; per pair the noise G_ij =
   sig_ij K_ij with K_ij = b_i b_j^T (rank one) or from a kernel.  */
typedef struct
{
  size_t q;
  real *A; /* d q q */
  real *b; /* d q, when kern is NULL */
  void (*kern) (const void *p, size_t i, size_t j, real *K);
  const void *kp;
  real *cache; /* kernels of the pairs, d d q q, filled once per prop */
  int cached;
} prop;

static inline void
mm (size_t q, const real *a, const real *b, real *c) /* c = a b */
{
  real t[4];
  for (size_t i = 0; i < q; i++)
    for (size_t j = 0; j < q; j++)
      {
        real s = 0;
        for (size_t k = 0; k < q; k++)
          s += a[i * q + k] * b[k * q + j];
        t[i * q + j] = s;
      }
  memcpy (c, t, sizeof (real) * q * q);
}

static inline void
mmt (size_t q, const real *a, const real *b, real *c) /* c = a b^T */
{
  real t[4];
  for (size_t i = 0; i < q; i++)
    for (size_t j = 0; j < q; j++)
      {
        real s = 0;
        for (size_t k = 0; k < q; k++)
          s += a[i * q + k] * b[j * q + k];
        t[i * q + j] = s;
      }
  memcpy (c, t, sizeof (real) * q * q);
}

static void
kernel (const prop *p, size_t i, size_t j, real *K)
{
  const size_t q = p->q;
  if (p->kern && p->cache && p->cached)
    memcpy (K, p->cache + (i * (size_t)p->cached + j) * q * q,
            sizeof (real) * q * q);
  else if (p->kern)
    p->kern (p->kp, i, j, K);
  else
    for (size_t a = 0; a < q; a++)
      for (size_t c = 0; c < q; c++)
        K[a * q + c] = p->b[i * q + a] * p->b[j * q + c];
}

/* One step: mu_i = A_i mu_i, P_ij = A_i P_ij A_j^T + sig_ij K_ij.  */
static void
step1 (const sde_exact *ex, gstate *g, const prop *p)
{
  const size_t d = g->d, q = g->q, qq = q * q;
  for (size_t i = 0; i < d; i++)
    {
      const real *A = p->A + i * qq;
      real t[2] = { 0, 0 };
      for (size_t a = 0; a < q; a++)
        for (size_t c = 0; c < q; c++)
          t[a] += A[a * q + c] * g->mu[i * q + c];
      memcpy (g->mu + i * q, t, sizeof (real) * q);
    }
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < (g->full ? d : i + 1); j++)
      {
        real K[4], tmp[4], *P = g->P + (i * d + j) * qq;
        const real sij = ex->sig[i * d + j];
        kernel (p, i, j, K);
        mm (q, p->A + i * qq, P, tmp);
        mmt (q, tmp, p->A + j * qq, P);
        for (size_t k = 0; k < qq; k++)
          P[k] += sij * K[k];
        if (j != i)
          {
            real *Pt = g->P + (j * d + i) * qq;
            for (size_t a = 0; a < q; a++)
              for (size_t c = 0; c < q; c++)
                Pt[c * q + a] = P[a * q + c];
          }
      }
}

/* Fills the kernel cache of a kernel-based prop (pairs in use only).  */
static void
fill_cache (prop *p, size_t d, int full)
{
  if (p->kern == NULL || p->cache == NULL || p->cached)
    return;
  const size_t qq = p->q * p->q;
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < (full ? d : i + 1); j++)
      {
        p->kern (p->kp, i, j, p->cache + (i * d + j) * qq);
        if (j != i)
          for (size_t a = 0; a < p->q; a++)
            for (size_t c = 0; c < p->q; c++)
              p->cache[(j * d + i) * qq + c * p->q + a]
                  = p->cache[(i * d + j) * qq + a * p->q + c];
      }
  p->cached = (int)d;
}

/* Advances the state by n >= 1 steps of P.  */
static void
advance (const sde_exact *ex, gstate *g, prop *p, size_t n)
{
  const size_t d = g->d, q = g->q, qq = q * q;
  fill_cache (p, d, g->full);
  if (n == 1)
    {
      step1 (ex, g, p);
      return;
    }
  /* Per mode A_i^n by binary powers (q <= 2, so 2 x 2 blocks).  */
  for (size_t i = 0; i < d; i++)
    {
      real r[4], s[4];
      memset (r, 0, sizeof (real) * qq);
      for (size_t a = 0; a < q; a++)
        r[a * q + a] = 1;
      memcpy (s, p->A + i * qq, sizeof (real) * qq);
      for (size_t m = n; m; m >>= 1)
        {
          if (m & 1)
            mm (q, s, r, r);
          if (m > 1)
            mm (q, s, s, s);
        }
      /* Mean.  */
      real t[2] = { 0, 0 };
      for (size_t a = 0; a < q; a++)
        for (size_t c = 0; c < q; c++)
          t[a] += r[a * q + c] * g->mu[i * q + c];
      memcpy (g->mu + i * q, t, sizeof (real) * q);
    }
  /* Per pair: G(n) by the same binary decomposition, combining segments
     as G(k1 + k2) = A_i(k2) G(k1) A_j(k2)^T + G(k2).  */
  for (size_t i = 0; i < d; i++)
    for (size_t j = g->full ? i : i; j < (g->full ? d : i + 1); j++)
      {
        real sij = ex->sig[i * d + j];
        real Gs[4], Ai[4], Aj[4], Gr[4] = { 0, 0, 0, 0 }, Ari[4], Arj[4];
        real tmp[4];
        kernel (p, i, j, Gs);
        for (size_t k = 0; k < qq; k++)
          Gs[k] *= sij;
        memcpy (Ai, p->A + i * qq, sizeof (real) * qq);
        memcpy (Aj, p->A + j * qq, sizeof (real) * qq);
        memset (Ari, 0, sizeof Ari);
        memset (Arj, 0, sizeof Arj);
        for (size_t a = 0; a < q; a++)
          Ari[a * q + a] = Arj[a * q + a] = 1;
        for (size_t m = n; m; m >>= 1)
          {
            if (m & 1)
              {
                /* Append a segment of 2^s steps: Gr = As_i Gr As_j^T + Gs */
                mm (q, Ai, Gr, tmp);
                mmt (q, tmp, Aj, Gr);
                for (size_t k = 0; k < qq; k++)
                  Gr[k] += Gs[k];
                mm (q, Ai, Ari, Ari);
                mm (q, Aj, Arj, Arj);
              }
            if (m > 1)
              {
                mm (q, Ai, Gs, tmp);
                mmt (q, tmp, Aj, tmp);
                for (size_t k = 0; k < qq; k++)
                  Gs[k] += tmp[k];
                mm (q, Ai, Ai, Ai);
                mm (q, Aj, Aj, Aj);
              }
          }
        real *P = g->P + (i * d + j) * qq;
        mm (q, Ari, P, tmp);
        mmt (q, tmp, Arj, P);
        for (size_t k = 0; k < qq; k++)
          P[k] += Gr[k];
        if (j != i)
          {
            /* P_ji = P_ij^T.  */
            real *Pt = g->P + (j * d + i) * qq;
            for (size_t a = 0; a < q; a++)
              for (size_t c = 0; c < q; c++)
                Pt[c * q + a] = P[a * q + c];
          }
      }
}

static int
gstate_init (gstate *g, const sde_exact *ex, size_t q, int full,
             const double *x0, const double *m0)
{
  const size_t d = ex->d;
  g->d = d;
  g->q = q;
  g->full = full;
  g->mu = calloc (d * q, sizeof (real));
  g->P = calloc (d * d * q * q, sizeof (real));
  g->wt = malloc (sizeof (real) * d);
  if (g->mu == NULL || g->P == NULL || g->wt == NULL)
    {
      free (g->mu);
      free (g->P);
      free (g->wt);
      return sde_error (GSL_ENOMEM, "exact engine: out of memory");
    }
  /* y~ = Q^T (x0 - x*), m~ = Q^T m0.  */
  for (size_t k = 0; k < d; k++)
    {
      real s = 0, t = 0;
      for (size_t i = 0; i < d; i++)
        {
          s += (real)ex->Q[i * d + k] * ((real)x0[i] - ex->xs[i]);
          if (m0)
            t += (real)ex->Q[i * d + k] * m0[i];
        }
      g->mu[k * q] = s;
      if (q == 2)
        g->mu[k * q + 1] = t;
    }
  return GSL_SUCCESS;
}

static void
gstate_free (gstate *g)
{
  free (g->mu);
  free (g->P);
  free (g->wt);
}

/* E x_i = x*_i + (Q mu~)_i.  */
static real
mean_coord (const sde_exact *ex, const gstate *g, size_t i)
{
  const size_t d = ex->d;
  real s = ex->xs[i];
  for (size_t k = 0; k < d; k++)
    s += (real)ex->Q[i * d + k] * g->mu[k * g->q];
  return s;
}

/* E phi from the x-part (component 0) of the state.  Q is orthogonal, so
   |x|^2 and the loss need O(d) work; products and cosines O(d^2).  WT:
   scratch of d (hot loops do not allocate).  */
static double
observe (const sde_exact *ex, const gstate *g, const sde_observable *o,
         real *wt)
{
  const size_t d = ex->d, q = g->q, qq = q * q;
  real v = 0;
  switch (o->kind)
    {
    case SDE_OBS_COORD:
      v = mean_coord (ex, g, o->index);
      break;
    case SDE_OBS_PRODUCT:
      {
        real c = 0;
        for (size_t k = 0; k < d; k++)
          for (size_t l = 0; l < d; l++)
            c += (real)ex->Q[o->index * d + k] * g->P[(k * d + l) * qq]
                 * ex->Q[o->index2 * d + l];
        v = c + mean_coord (ex, g, o->index) * mean_coord (ex, g, o->index2);
      }
      break;
    case SDE_OBS_NORM2:
      /* |x* + Q mu|^2 + tr C = |x*|^2 + 2 (Q^T x*).mu + |mu|^2 + tr C~.  */
      v = ex->xs2;
      for (size_t k = 0; k < d; k++)
        {
          real m = g->mu[k * q];
          v += 2 * ex->qxs[k] * m + m * m + g->P[(k * d + k) * qq];
        }
      break;
    case SDE_OBS_LOSS:
      for (size_t k = 0; k < d; k++)
        v += 0.5L * ex->lam[k]
             * (g->P[(k * d + k) * qq] + g->mu[k * q] * g->mu[k * q]);
      break;
    case SDE_OBS_TRACE:
      for (size_t k = 0; k < d; k++)
        v += ex->lam[k];
      break;
    case SDE_OBS_COS:
      {
        real m = 0, s2 = 0;
        for (size_t i = 0; i < d; i++)
          m += o->w[i] * mean_coord (ex, g, i);
        for (size_t k = 0; k < d; k++)
          {
            real s = 0;
            for (size_t i = 0; i < d; i++)
              s += (real)o->w[i] * ex->Q[i * d + k];
            wt[k] = s;
          }
        for (size_t k = 0; k < d; k++)
          for (size_t l = 0; l < d; l++)
            s2 += wt[k] * g->P[(k * d + l) * qq] * wt[l];
        v = cosl (m) * expl (-s2 / 2);
      }
      break;
    default:
      v = NAN;
    }
  return (double)v;
}

static int
needs_full (const sde_observable *obs, size_t nobs)
{
  for (size_t o = 0; o < nobs; o++)
    if (obs[o].kind == SDE_OBS_COS || obs[o].kind == SDE_OBS_PRODUCT)
      return 1;
  return 0;
}

static int
check_obs (const sde_observable *obs, size_t nobs)
{
  for (size_t o = 0; o < nobs; o++)
    if (obs[o].kind == SDE_OBS_USER || obs[o].kind == SDE_OBS_EXPR)
      return sde_error (GSL_EINVAL,
                        "exact engine: observable %s has no "
                        "closed form",
                        obs[o].name);
  return GSL_SUCCESS;
}

/* ---- Discrete methods ---- */

int
sde_exact_applies_method (const sde_optim *m, char *why, size_t len)
{
  const char *r = NULL;
  if (m->type == NULL || m->type->linear == NULL)
    r = "the method has no linear-Gaussian map (its type gives no linear)";
  else if (m->type->state < 1 || m->type->state > 2)
    r = "the method keeps more than one buffer";
  else if (m->wd != 0)
    r = "weight decay is not implemented";
  if (r && why)
    snprintf (why, len, "%s", r);
  return r == NULL;
}

/* The maps of one step of method m with rate lr (and noise sigma) in
   every mode; FIRST asks for the first step's.  */
static void
method_prop (const sde_exact *ex, const sde_optim *m, double lr, double sigma,
             int first, prop *p)
{
  const size_t q = p->q;
  for (size_t i = 0; i < ex->d; i++)
    m->type->linear (m, lr, sigma, ex->lam[i], first, p->A + i * q * q,
                     p->b + i * q);
}

int
sde_exact_method (const sde_exact *ex, const sde_optim *m, double sigma,
                  const double *x0, double eta, const size_t *check,
                  size_t ncheck, const sde_observable *obs, size_t nobs,
                  double *out)
{
  (void)eta;
  int st = check_obs (obs, nobs);
  if (st)
    return st;
  char why[96];
  if (!sde_exact_applies_method (m, why, sizeof why))
    return sde_error (GSL_EINVAL, "exact engine: %s: %s (use --engine=mc)",
                      m->spec, why);
  const size_t d = ex->d, q = m->type->state;
  const size_t l = m->svag ? m->svag : 1;
  const double sg = sigma * sqrt ((double)l);
  gstate g;
  if ((st = gstate_init (&g, ex, q, needs_full (obs, nobs), x0, NULL)))
    return st;
  prop p = { q,
             malloc (sizeof (real) * d * q * q),
             malloc (sizeof (real) * d * q),
             NULL,
             NULL,
             NULL,
             0 };
  if (p.A == NULL || p.b == NULL)
    {
      free (p.A);
      free (p.b);
      gstate_free (&g);
      return sde_error (GSL_ENOMEM, "exact engine: out of memory");
    }
  /* Step 0 goes alone when its map is its own (the type says so).  */
  real A0[4], b0[2];
  const int first_special
      = m->type->linear (m, m->step_lr, sg, ex->lam[0], 1, A0, b0) != 0;
  const int varying = m->schedule.kind != SDE_SCHEDULE_CONSTANT;
  size_t k = 0; /* method steps taken */
  if (!varying)
    method_prop (ex, m, m->step_lr, sg, 0, &p);
  for (size_t c = 0; c < ncheck; c++)
    {
      const size_t target = check[c] * l;
      while (k < target)
        {
          const int first = k == 0 && first_special;
          if (varying || first)
            {
              double lr
                  = m->step_lr
                    * sde_schedule_factor (&m->schedule, (double)k * m->dt);
              method_prop (ex, m, lr, sg, first, &p);
              advance (ex, &g, &p, 1);
              k++;
              if (!varying)
                method_prop (ex, m, m->step_lr, sg, 0, &p);
              continue;
            }
          advance (ex, &g, &p, target - k);
          k = target;
        }
      for (size_t o = 0; o < nobs; o++)
        out[c * nobs + o] = observe (ex, &g, &obs[o], g.wt);
    }
  free (p.A);
  free (p.b);
  gstate_free (&g);
  return GSL_SUCCESS;
}

/* ---- Limit SDEs ---- */

typedef struct
{
  const sde_exact *ex;
  double tau, h, lamf; /* lamf: schedule factor of the current step */
  const double *drift; /* per mode drift eigenvalue */
  real *K;             /* underdamped: precomputed pair kernels, d d 4 */
} sde_kp;

/* SME: K_ij = lamf^2 tau (1 - exp(-(a_i + a_j) lamf h)) / (lamf (a_i + a_j)),
   a the drift eigenvalues.  */
static void
sme_kernel (const void *vp, size_t i, size_t j, real *K)
{
  const sde_kp *p = vp;
  real s = (real)p->lamf * ((real)p->drift[i] + p->drift[j]);
  real f = s == 0 ? (real)p->h : -expm1l (-s * p->h) / s;
  K[0] = (real)p->tau * p->lamf * p->lamf * f;
}

static void
ud_kernel (const void *vp, size_t i, size_t j, real *K)
{
  const sde_kp *p = vp;
  memcpy (K, p->K + (i * p->ex->d + j) * 4, sizeof (real) * 4);
}

/* Underdamped propagators over h: mode A_c = [[0, -1], [c lam, -c]],
   e^{A h} per mode and, by Van Loan's method (IEEE TAC 23, 1978), the pair
   integrals int_0^h e^{A_i s} b b^T e^{A_j^T s} ds with b = (0, c sqrt
   tau).  */
static int
ud_props (const sde_exact *ex, double c, double tau, double h, prop *p, real *K)
{
  const size_t d = ex->d;
  gsl_matrix *M = gsl_matrix_alloc (4, 4), *E = gsl_matrix_alloc (4, 4);
  gsl_matrix *a = gsl_matrix_alloc (2, 2), *ea = gsl_matrix_alloc (2, 2);
  const int have = M && E && a && ea;
  int st = have ? GSL_SUCCESS : GSL_ENOMEM;
  for (size_t i = 0; i < d && !st; i++)
    {
      gsl_matrix_set (a, 0, 0, 0);
      gsl_matrix_set (a, 0, 1, -h);
      gsl_matrix_set (a, 1, 0, c * ex->lam[i] * h);
      gsl_matrix_set (a, 1, 1, -c * h);
      st = gsl_linalg_exponential_ss (a, ea, GSL_PREC_DOUBLE);
      for (size_t k = 0; k < 4; k++)
        p->A[i * 4 + k] = gsl_matrix_get (ea, k / 2, k % 2);
    }
  const double bb = c * c * tau;
  for (size_t i = 0; i < d && !st; i++)
    for (size_t j = i; j < d && !st; j++)
      {
        /* [[-A_i, Q], [0, A_j^T]] h.  */
        gsl_matrix_set_zero (M);
        gsl_matrix_set (M, 0, 1, h);
        gsl_matrix_set (M, 1, 0, -c * ex->lam[i] * h);
        gsl_matrix_set (M, 1, 1, c * h);
        gsl_matrix_set (M, 1, 3, bb * h);
        gsl_matrix_set (M, 2, 3, c * ex->lam[j] * h);
        gsl_matrix_set (M, 3, 2, -h);
        gsl_matrix_set (M, 3, 3, -c * h);
        st = gsl_linalg_exponential_ss (M, E, GSL_PREC_DOUBLE);
        real F12[4], G[4];
        for (size_t r = 0; r < 2; r++)
          for (size_t s = 0; s < 2; s++)
            F12[r * 2 + s] = gsl_matrix_get (E, r, 2 + s);
        mm (2, p->A + i * 4, F12, G); /* e^{A_i h} F12 */
        memcpy (K + (i * d + j) * 4, G, sizeof G);
        for (size_t r = 0; r < 2; r++)
          for (size_t s = 0; s < 2; s++)
            K[(j * d + i) * 4 + s * 2 + r] = G[r * 2 + s];
      }
  gsl_matrix_free (M);
  gsl_matrix_free (E);
  gsl_matrix_free (a);
  gsl_matrix_free (ea);
  if (!have)
    return sde_error (GSL_ENOMEM, "exact engine: out of memory");
  if (st)
    GSL_ERROR ("exact engine: matrix exponential failed", st);
  return GSL_SUCCESS;
}

/* The drift eigenvalues and the propagator of an eta-step at schedule
   factor 1.  */
static int
sde_props (const sde_exact *ex, const sde_limit *lim, double eta, double *drift,
           prop *p, real *K)
{
  for (size_t i = 0; i < ex->d; i++)
    drift[i] = lim->kind == SDE_LIMIT_SME2
                   ? ex->lam[i] + 0.5 * lim->eta * ex->lam[i] * ex->lam[i]
                   : ex->lam[i];
  if (lim->kind == SDE_LIMIT_UNDERDAMPED)
    return ud_props (ex, lim->c, lim->tau, eta, p, K);
  for (size_t i = 0; i < ex->d; i++)
    p->A[i] = expl (-(real)drift[i] * eta);
  return GSL_SUCCESS;
}

int
sde_exact_sde (const sde_exact *ex, const sde_limit *lim, const double *x0,
               const double *m0, double eta, const size_t *check, size_t ncheck,
               const sde_observable *obs, size_t nobs, double *out)
{
  int st = check_obs (obs, nobs);
  if (st)
    return st;
  const size_t d = ex->d;
  const int ud = lim->kind == SDE_LIMIT_UNDERDAMPED;
  const size_t q = ud ? 2 : 1;
  const sde_schedule *sch = lim->lambda ? lim->lambda_params : NULL;
  if (sch && sch->kind != SDE_SCHEDULE_STEP
      && sch->kind != SDE_SCHEDULE_CONSTANT)
    return sde_error (GSL_EINVAL,
                      "exact engine: the SDE with a %s schedule "
                      "has no closed form (use --engine=mc)",
                      sch->kind == SDE_SCHEDULE_COSINE ? "cosine" : "table");
  gstate g;
  if ((st
       = gstate_init (&g, ex, q, needs_full (obs, nobs), x0, ud ? m0 : NULL)))
    return st;
  prop p = { q,    malloc (sizeof (real) * d * q * q),     NULL, NULL,
             NULL, malloc (sizeof (real) * d * d * q * q), 0 };
  double *drift = malloc (sizeof (double) * d);
  real *K = ud ? malloc (sizeof (real) * d * d * 4) : NULL;
  sde_kp kp = { ex, lim->tau, eta, 1.0, drift, K };
  p.kp = &kp;
  p.kern = ud ? ud_kernel : sme_kernel;
  if (p.A == NULL || p.cache == NULL || drift == NULL || (ud && K == NULL))
    st = sde_error (GSL_ENOMEM, "exact engine: out of memory");
  else
    st = sde_props (ex, lim, eta, drift, &p, K);
  /* A step schedule is constant within each eta-step when its switch times
     are multiples of eta; otherwise the step is split at the switch.  */
  size_t k = 0;
  for (size_t c = 0; !st && c < ncheck; c++)
    {
      while (k < check[c])
        {
          if (sch == NULL || sch->kind == SDE_SCHEDULE_CONSTANT)
            {
              advance (ex, &g, &p, check[c] - k);
              k = check[c];
              break;
            }
          /* Piecewise-constant factor over [k eta, (k+1) eta).  */
          double t0 = (double)k * eta, t1 = t0 + eta;
          double cut = t1;
          for (size_t s = 0; s < sch->n; s++)
            if (sch->t[s] > t0 && sch->t[s] < t1)
              cut = fmin (cut, sch->t[s]);
          for (double a = t0, bnd = cut; a < t1;)
            {
              double f = sde_schedule_factor (sch, a), hh = bnd - a;
              kp.lamf = f;
              kp.h = hh;
              p.cached = 0;
              for (size_t i = 0; i < d; i++)
                p.A[i] = expl (-(real)f * drift[i] * hh);
              advance (ex, &g, &p, 1);
              a = bnd;
              bnd = t1;
              for (size_t s = 0; s < sch->n; s++)
                if (sch->t[s] > a && sch->t[s] < bnd)
                  bnd = fmin (bnd, sch->t[s]);
            }
          k++;
        }
      if (!st)
        for (size_t o = 0; o < nobs; o++)
          out[c * nobs + o] = observe (ex, &g, &obs[o], g.wt);
    }
  free (p.A);
  free (p.cache);
  free (drift);
  free (K);
  gstate_free (&g);
  return st;
}
