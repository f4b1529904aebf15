/* problem_catalog.c: built-in losses with analytic derivatives: quadratics
   (diagonal, dense or generated; Li, Tai & E's with S = H, "Stochastic
   modified equations and dynamics of stochastic gradient algorithms I",
   JMLR 2019, section 5), the double well, a 2-D nonconvex loss, the unit
   circle valley, the flat valley and its label-noise version (MATH.md
   section 6); data-set problems live in problem_data.c.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "problem_internal.h"
#include "sdekit/rng.h"
#include "simd.h"

#define MAXD 512 /* generated quadratics; value lists are shorter */
#define MAXLIST 4096

/* ---- Quadratics: L = 1/2 (x - x*)^T H (x - x*). ---- */

/* H as analysed (sparse rows or dgemm), never copied per path.  */
static const sde__cmat *
quad_h (const sde_problem *pb, sde__cmat *view)
{
  return sde__problem_hess_cm (pb, view);
}

SDE_CLONES static int
quad_loss (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  const size_t d = pb->dim;
  const double *xs = pb->xstar;
  sde__cmat view;
  const sde__cmat *H = quad_h (pb, &view);
  double *restrict y = work;
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      y[i * P + p] = x[i * P + p] - xs[i];
  for (size_t p = 0; p < P; p++)
    out[p] = 0;
  if (H->dense)
    {
      /* L = y . (H y) / 2, H y by one dgemm.  */
      double *restrict z = y + d * P;
      int st = sde__gemm (d, d, 0.5, H->a, P, y, 0.0, z);
      if (st)
        return st;
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < P; p++)
          out[p] += y[i * P + p] * z[i * P + p];
      return GSL_SUCCESS;
    }
  for (size_t i = 0; i < d; i++)
    {
      size_t lo, hi;
      sde__cm_row (H, i, &lo, &hi);
      for (size_t k = lo; k < hi; k++)
        {
          const double hij = 0.5 * sde__cm_val (H, i, k);
          if (hij == 0)
            continue;
          const double *restrict yj = y + sde__cm_col (H, i, k) * P;
          for (size_t p = 0; p < P; p++)
            out[p] += hij * y[i * P + p] * yj[p];
        }
    }
  return GSL_SUCCESS;
}

/* grad L = H x + c, c = -H x*: over a row's nonzeros, the first writing
   and the others adding; or one dgemm for a dense H.  */
SDE_CLONES static int
quad_grad (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  const size_t d = pb->dim;
  sde__cmat view;
  const sde__cmat *H = quad_h (pb, &view);
  (void)work;
  /* c = -H x*, and whether it is not 0, from setup_quadratic.  */
  const double *c = ((const sde_owned_problem *)pb->params)->extra;
  const int shifted = c[d] != 0;
  if (H->dense)
    {
      for (size_t i = 0; shifted && i < d; i++)
        for (size_t p = 0; p < P; p++)
          out[i * P + p] = c[i];
      return sde__gemm (d, d, 1.0, H->a, P, x, shifted ? 1.0 : 0.0, out);
    }
  for (size_t i = 0; i < d; i++)
    {
      double *restrict oi = out + i * P;
      const double ci = c[i];
      size_t lo, hi;
      sde__cm_row (H, i, &lo, &hi);
      /* The first nonzero term writes, the others add: one pass fewer.  */
      int first = 1;
      for (size_t k = lo; k < hi; k++)
        {
          const double hij = sde__cm_val (H, i, k);
          if (hij == 0)
            continue;
          const double *restrict xj = x + sde__cm_col (H, i, k) * P;
          if (first)
            for (size_t p = 0; p < P; p++)
              oi[p] = ci + hij * xj[p];
          else
            for (size_t p = 0; p < P; p++)
              oi[p] += hij * xj[p];
          first = 0;
        }
      if (first)
        for (size_t p = 0; p < P; p++)
          oi[p] = ci;
    }
  return GSL_SUCCESS;
}

static int
zero_third (const sde_problem *pb, size_t P, const double *x, const double *S,
            double *out, double *work)
{
  (void)x, (void)S, (void)work;
  memset (out, 0, sizeof (double) * pb->dim * P);
  return GSL_SUCCESS;
}

/* H from h=... (diagonal), H=... (dense, d^2 values) or d,cond,seed
   (eigenvalues cond^(-i/(d-1)), i.e. from 1 down to 1/cond, rotated by a
   Haar-random orthogonal Q when dense=1).  */
/* A Haar-random orthogonal d x d matrix from the seed: the QR factors of
   a Gaussian matrix with the signs of R's diagonal folded into Q.  H =
   Q diag(lam) Q^T, made exactly symmetric.  */
static int
rotated (size_t d, const double *lam, uint64_t seed, double *H)
{
  gsl_matrix *A = gsl_matrix_alloc (d, d), *Q = gsl_matrix_alloc (d, d);
  gsl_matrix *R = gsl_matrix_alloc (d, d);
  gsl_vector *tau = gsl_vector_alloc (d);
  sde_rng *r = sde_rng_alloc (NULL, seed);
  const int have = A && Q && R && tau && r;
  int st = have ? GSL_SUCCESS : GSL_ENOMEM;
  if (st == GSL_SUCCESS)
    st = sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0, 0, 1, d * d, A->data, 1);
  if (st == GSL_SUCCESS)
    st = gsl_linalg_QR_decomp (A, tau);
  if (st == GSL_SUCCESS)
    st = gsl_linalg_QR_unpack (A, tau, Q, R);
  sde_rng_free (r);
  for (size_t j = 0; st == GSL_SUCCESS && j < d; j++)
    if (gsl_matrix_get (R, j, j) < 0)
      for (size_t i = 0; i < d; i++)
        gsl_matrix_set (Q, i, j, -gsl_matrix_get (Q, i, j));
  for (size_t i = 0; st == GSL_SUCCESS && i < d; i++)
    for (size_t j = i; j < d; j++)
      {
        double s = 0;
        for (size_t k = 0; k < d; k++)
          s += gsl_matrix_get (Q, i, k) * lam[k] * gsl_matrix_get (Q, j, k);
        H[i * d + j] = H[j * d + i] = s;
      }
  gsl_matrix_free (A);
  gsl_matrix_free (Q);
  gsl_matrix_free (R);
  gsl_vector_free (tau);
  if (!have)
    return sde_error (GSL_ENOMEM, "out of memory for the generated Hessian");
  return st; /* a failure of the calls above is reported */
}

/* The generated d x d Hessian into a new *HD: eigenvalues cond^(-i/(d-1)),
   rotated when DENSE.  */
static int
generated (size_t d, double cond, double seed, double dense, double **Hd)
{
  double *lam = malloc (d * sizeof (double));
  double *H = calloc (d * d, sizeof (double));
  if (lam == NULL || H == NULL)
    {
      free (lam);
      free (H);
      return sde_error (GSL_ENOMEM, "out of memory for the generated Hessian");
    }
  for (size_t i = 0; i < d; i++)
    lam[i] = d > 1 ? pow (cond, -(double)i / (double)(d - 1)) : 1.0;
  int st = GSL_SUCCESS;
  if (dense > 0 && d > 1)
    st = rotated (d, lam, (uint64_t)seed, H);
  else
    for (size_t i = 0; i < d; i++)
      H[i * d + i] = lam[i];
  free (lam);
  if (st)
    {
      free (H);
      return st;
    }
  *Hd = H;
  return GSL_SUCCESS;
}

/* H from h=... (diagonal), H=... (dense, d^2 values) or d,cond,seed
   (eigenvalues cond^(-i/(d-1)), i.e. from 1 down to 1/cond, rotated by a
   Haar-random orthogonal Q when dense=1).  */
static int
quad_hessian (sde_spec *spec, double **Hout, size_t *dout, char *canon,
              size_t clen)
{
  double *v = malloc (sizeof (double) * MAXLIST), *Hd = NULL;
  double dd, cond, seed, dense;
  size_t nh = 0, nH = 0, d = 0;
  int st;
  if (v == NULL)
    return sde_error (GSL_ENOMEM, "%s: out of memory", spec->name);
  if ((st = sde_spec_list (spec, "h", -1e12, 1e12, v, MAXLIST, &nh))
      || (st
          = sde_spec_list (spec, "H", -1e12, 1e12, v + nh, MAXLIST - nh, &nH))
      || (st = sde_spec_double (spec, "d", 0, 1, MAXD, &dd))
      || (st = sde_spec_double (spec, "cond", 10, 1, 1e12, &cond))
      || (st = sde_spec_double (spec, "seed", 1, 0, 4294967295.0, &seed))
      || (st = sde_spec_double (spec, "dense", 1, 0, 1, &dense)))
    goto done;
  if (nh && nH)
    {
      st = sde_error (GSL_EINVAL, "%s: give h or H, not both", spec->name);
      goto done;
    }
  /* The keys of a generated Hessian would be ignored beside h or H:
     refuse them, except a d that agrees (checked below).  */
  static const char *const gen[] = { "cond", "seed", "dense" };
  for (size_t k = 0; (nh || nH) && k < 3; k++)
    if (sde_spec_string (spec, gen[k]))
      {
        st = sde_error (GSL_EINVAL,
                        "%s: %s applies to generated Hessians (d=...), not "
                        "with %s",
                        spec->name, gen[k], nh ? "h" : "H");
        goto done;
      }
  if (nh)
    {
      d = nh;
      Hd = calloc (d * d, sizeof (double));
      if (Hd == NULL)
        {
          st = sde_error (GSL_ENOMEM, "%s: out of memory", spec->name);
          goto done;
        }
      for (size_t i = 0; i < d; i++)
        Hd[i * d + i] = v[i];
      size_t len = (size_t)snprintf (canon, clen, "h=");
      for (size_t i = 0; i < d && len < clen; i++)
        len += (size_t)snprintf (canon + len, clen - len, "%s%s", i ? "," : "",
                                 sde__num (v[i]));
    }
  else if (nH)
    {
      d = (size_t)llround (sqrt ((double)nH));
      const double *w = v;
      if (d * d != nH)
        {
          st = sde_error (GSL_EINVAL,
                          "%s: H needs d*d values for some d, got %zu",
                          spec->name, nH);
          goto done;
        }
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++)
          if (w[i * d + j] != w[j * d + i])
            {
              st = sde_error (GSL_EINVAL,
                              "%s: H is not symmetric (H%zu%zu != H%zu%zu)",
                              spec->name, i, j, j, i);
              goto done;
            }
      Hd = malloc (nH * sizeof (double));
      if (Hd == NULL)
        {
          st = sde_error (GSL_ENOMEM, "%s: out of memory", spec->name);
          goto done;
        }
      memcpy (Hd, w, nH * sizeof (double));
      size_t len = (size_t)snprintf (canon, clen, "H=");
      for (size_t i = 0; i < nH && len < clen; i++)
        len += (size_t)snprintf (canon + len, clen - len, "%s%s", i ? "," : "",
                                 sde__num (w[i]));
    }
  else
    {
      d = dd > 0 ? (size_t)dd : 2;
      if (dd != floor (dd) || seed != floor (seed))
        {
          st = sde_error (GSL_EINVAL, "%s: d and seed must be integers",
                          spec->name);
          goto done;
        }
      if ((st = generated (d, cond, seed, dense, &Hd)))
        goto done;
      snprintf (canon, clen, "d=%zu,cond=%s,seed=%.0f,dense=%.0f", d,
                sde__num (cond), seed, dense);
    }
  if ((nh || nH) && sde_spec_string (spec, "d") && dd != (double)d)
    {
      st = sde_error (GSL_EINVAL,
                      "%s: d=%g disagrees with %s, which gives d=%zu",
                      spec->name, dd, nh ? "h" : "H", d);
      goto done;
    }
  *dout = d;
  *Hout = Hd;
  Hd = NULL;
done:
  free (Hd);
  free (v);
  return st;
}

static void
quad_destroy (sde_owned_problem *op)
{
  free (op->extra);
}

/* c = -H x* for quad_grad into op->extra, and at c[d] whether any c_i is
   not 0: c_i -= H_ij x*_j over j in order.  */
static int
quad_shift (sde_owned_problem *op)
{
  const size_t d = op->pb.dim;
  double *c = calloc (d + 1, sizeof (double));
  if (c == NULL)
    return sde_error (GSL_ENOMEM, "%s: out of memory", op->pb.name);
  for (size_t i = 0; i < d; i++)
    {
      for (size_t j = 0; j < d; j++)
        c[i] -= op->hess[i * d + j] * op->xstar[j];
      if (c[i] != 0)
        c[d] = 1;
    }
  op->extra = c;
  op->destroy = quad_destroy;
  return GSL_SUCCESS;
}

/* quadratic (S = diag(sqrt(s))) and lte (S = sqrt(s) H).  */
static int
setup_quadratic (sde_owned_problem **out, sde_spec *spec, int lte)
{
  double *H = NULL;
  size_t d = 0;
  char canon[960]; /* long H lists are cut: the command line keeps them */
  int st = quad_hessian (spec, &H, &d, canon, sizeof canon);
  if (st)
    return st;
  sde_owned_problem *op = sde__problem_new (lte ? "lte" : "quadratic", d, d);
  if (op == NULL)
    {
      free (H);
      return GSL_ENOMEM;
    }
  *out = op;
  snprintf (op->spec, sizeof op->spec, "%s:%s", op->pb.name, canon);
  op->hess = H;
  op->pb.hess_const = H;
  op->pb.loss = quad_loss;
  op->pb.grad = quad_grad;
  op->pb.hess = sde__hess_const;
  op->pb.third = zero_third;
  op->pb.work = 2 * d; /* x - x* and H (x - x*) for the loss */
  op->xstar = calloc (d, sizeof (double));
  if (op->xstar == NULL)
    return sde_error (GSL_ENOMEM, "%s: out of memory", spec->name);
  op->pb.xstar = op->xstar;
  double v[64];
  size_t n;
  if ((st = sde_spec_list (spec, "xstar", -1e300, 1e300, v, 64, &n)))
    return st;
  if (n && n != 1 && n != d)
    return sde_error (GSL_EINVAL, "%s: xstar needs 1 or %zu values", spec->name,
                      d);
  for (size_t i = 0; n && i < d; i++)
    op->xstar[i] = v[n == 1 ? 0 : i];
  if (n)
    sde__spec_add (op, "xstar", v, n);
  if ((st = quad_shift (op)))
    return st;
  if (lte)
    {
      double s;
      if ((st = sde_spec_double (spec, "s", 1, 0, 1e12, &s)))
        return st;
      op->factor = malloc (d * d * sizeof (double));
      if (op->factor == NULL)
        return sde_error (GSL_ENOMEM, "%s: out of memory", spec->name);
      for (size_t k = 0; k < d * d; k++)
        op->factor[k] = sqrt (s) * H[k];
      op->pb.factor_const = op->factor;
      op->pb.factor = sde__factor_const;
      sde__spec_add (op, "s", &s, 1);
    }
  else if ((st = sde__param_noise_diag (op, spec, 1.0)))
    return st;
  return sde__param_x0 (op, spec, 1.0);
}

static int
setup_quad (sde_owned_problem **op, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  return setup_quadratic (op, spec, 0);
}

static int
setup_lte (sde_owned_problem **op, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  return setup_quadratic (op, spec, 1);
}

/* ---- Double well L = (x^2 - a)^2 / 4. ---- */

SDE_CLONES static int
dw_loss (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)work;
  const double a = ((const sde_owned_problem *)pb->params)->par[0];
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p] * x[p] - a;
      out[p] = 0.25 * u * u;
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
dw_grad (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)work;
  const double a = ((const sde_owned_problem *)pb->params)->par[0];
  for (size_t p = 0; p < P; p++)
    out[p] = x[p] * (x[p] * x[p] - a);
  return GSL_SUCCESS;
}

SDE_CLONES static int
dw_hess (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)work;
  const double a = ((const sde_owned_problem *)pb->params)->par[0];
  for (size_t p = 0; p < P; p++)
    out[p] = 3 * x[p] * x[p] - a;
  return GSL_SUCCESS;
}

SDE_CLONES static int
dw_third (const sde_problem *pb, size_t P, const double *x, const double *S,
          double *out, double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    out[p] = 6 * x[p] * S[p];
  return GSL_SUCCESS;
}

static int
setup_doublewell (sde_owned_problem **out, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  sde_owned_problem *op = sde__problem_new ("doublewell", 1, 1);
  if (op == NULL)
    return GSL_ENOMEM;
  *out = op;
  int st = sde_spec_double (spec, "a", 1, -1e6, 1e6, &op->par[0]);
  if (st)
    return st;
  sde__spec_add (op, "a", op->par, 1);
  op->pb.loss = dw_loss;
  op->pb.grad = dw_grad;
  op->pb.hess = dw_hess;
  op->pb.third = dw_third;
  if ((st = sde__param_noise_diag (op, spec, 1.0)))
    return st;
  return sde__param_x0 (op, spec, 0.5);
}

/* ---- 2-D nonconvex: L = (x^2 - 1)^2 / 4 + k (y - c x^2)^2 / 2. ---- */

SDE_CLONES static int
nc_loss (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)work;
  const double *q = ((const sde_owned_problem *)pb->params)->par;
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p], a = u * u - 1, b = v - q[1] * u * u;
      out[p] = 0.25 * a * a + 0.5 * q[0] * b * b;
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
nc_grad (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)work;
  const double *q = ((const sde_owned_problem *)pb->params)->par;
  const double k = q[0], c = q[1];
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p], b = v - c * u * u;
      out[p] = u * (u * u - 1) - 2 * k * c * u * b;
      out[P + p] = k * b;
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
nc_hess (const sde_problem *pb, size_t P, const double *x, double *out,
         double *work)
{
  (void)work;
  const double *q = ((const sde_owned_problem *)pb->params)->par;
  const double k = q[0], c = q[1];
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p];
      out[p] = 3 * u * u - 1 + 6 * k * c * c * u * u - 2 * k * c * v;
      out[P + p] = out[2 * P + p] = -2 * k * c * u;
      out[3 * P + p] = k;
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
nc_third (const sde_problem *pb, size_t P, const double *x, const double *S,
          double *out, double *work)
{
  (void)work;
  const double *q = ((const sde_owned_problem *)pb->params)->par;
  const double k = q[0], c = q[1];
  /* T000 = 6u + 12 k c^2 u, T001 = T010 = T100 = -2 k c, others 0.  */
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], t000 = 6 * u + 12 * k * c * c * u, t001 = -2 * k * c;
      double s00 = S[p], s01 = S[P + p], s10 = S[2 * P + p];
      out[p] = t000 * s00 + t001 * (s01 + s10);
      out[P + p] = t001 * s00;
    }
  return GSL_SUCCESS;
}

static int
setup_nonconvex (sde_owned_problem **out, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  sde_owned_problem *op = sde__problem_new ("nonconvex2d", 2, 2);
  if (op == NULL)
    return GSL_ENOMEM;
  *out = op;
  int st = sde_spec_double (spec, "k", 1, 0, 1e6, &op->par[0]);
  if (st == 0)
    st = sde_spec_double (spec, "c", 0.5, -1e6, 1e6, &op->par[1]);
  if (st)
    return st;
  sde__spec_add (op, "k", op->par, 1);
  sde__spec_add (op, "c", op->par + 1, 1);
  op->pb.loss = nc_loss;
  op->pb.grad = nc_grad;
  op->pb.hess = nc_hess;
  op->pb.third = nc_third;
  if ((st = sde__param_noise_diag (op, spec, 1.0)))
    return st;
  return sde__param_x0 (op, spec, 0.5);
}

/* ---- Unit circle valley L = (|x|^2 - 1)^2 / 2 in R^d. ---- */

SDE_CLONES static int
circle_loss (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  (void)work;
  const size_t d = pb->dim;
  for (size_t p = 0; p < P; p++)
    {
      double r2 = 0;
      for (size_t i = 0; i < d; i++)
        r2 += x[i * P + p] * x[i * P + p];
      out[p] = 0.5 * (r2 - 1) * (r2 - 1);
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
circle_grad (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  double *r2 = work;
  const size_t d = pb->dim;
  for (size_t p = 0; p < P; p++)
    r2[p] = 0;
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      r2[p] += x[i * P + p] * x[i * P + p];
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      out[i * P + p] = 2 * (r2[p] - 1) * x[i * P + p];
  return GSL_SUCCESS;
}

SDE_CLONES static int
circle_hess (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  (void)work;
  const size_t d = pb->dim;
  for (size_t p = 0; p < P; p++)
    {
      double r2 = 0;
      for (size_t i = 0; i < d; i++)
        r2 += x[i * P + p] * x[i * P + p];
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          out[(i * d + j) * P + p]
              = (i == j ? 2 * (r2 - 1) : 0) + 4 * x[i * P + p] * x[j * P + p];
    }
  return GSL_SUCCESS;
}

/* d_ijk L = 4 (x_k d_ij + x_i d_jk + x_j d_ik), so
   L'''[S] = 4 ((S + S^T) x + x tr S).  */
static int
circle_third (const sde_problem *pb, size_t P, const double *x, const double *S,
              double *out, double *work)
{
  (void)work;
  const size_t d = pb->dim;
  for (size_t p = 0; p < P; p++)
    {
      double tr = 0;
      for (size_t i = 0; i < d; i++)
        tr += S[(i * d + i) * P + p];
      for (size_t i = 0; i < d; i++)
        {
          double v = x[i * P + p] * tr;
          for (size_t j = 0; j < d; j++)
            v += (S[(i * d + j) * P + p] + S[(j * d + i) * P + p])
                 * x[j * P + p];
          out[i * P + p] = 4 * v;
        }
    }
  return GSL_SUCCESS;
}

static int
circle_phi (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  (void)work;
  const size_t d = pb->dim;
  for (size_t p = 0; p < P; p++)
    {
      double r2 = 0;
      for (size_t i = 0; i < d; i++)
        r2 += x[i * P + p] * x[i * P + p];
      if (!(r2 > 0))
        return sde_error (GSL_EDOM, "circle: Phi is undefined at the origin "
                                    "(outside every basin)");
      double inv = 1 / sqrt (r2);
      for (size_t i = 0; i < d; i++)
        out[i * P + p] = x[i * P + p] * inv;
    }
  return GSL_SUCCESS;
}

static int
setup_circle (sde_owned_problem **out, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  double dd;
  int st = sde_spec_double (spec, "d", 2, 2, MAXD, &dd);
  if (st)
    return st;
  if (dd != floor (dd))
    return sde_error (GSL_EINVAL, "circle: d must be an integer");
  size_t d = (size_t)dd;
  sde_owned_problem *op = sde__problem_new ("circle", d, d);
  if (op == NULL)
    return GSL_ENOMEM;
  *out = op;
  sde__spec_add (op, "d", &dd, 1);
  op->pb.loss = circle_loss;
  op->pb.grad = circle_grad;
  op->pb.hess = circle_hess;
  op->pb.third = circle_third;
  op->pb.phi = circle_phi;
  op->pb.work = 1;
  if ((st = sde__param_noise_diag (op, spec, 1.0)))
    return st;
  if ((st = sde__param_x0 (op, spec, 0.0)))
    return st;
  if (sde_spec_string (spec, "x0") == NULL)
    op->x0[0] = 1.0; /* default start on the circle at (1, 0, ...) */
  return GSL_SUCCESS;
}

/* ---- Flat valley L = a(x) y^2 / 2, a = 1 + x^2; label noise version. ---- */

SDE_CLONES static int
valley_loss (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p];
      out[p] = 0.5 * (1 + u * u) * v * v;
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
valley_grad (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p];
      out[p] = u * v * v;
      out[P + p] = (1 + u * u) * v;
    }
  return GSL_SUCCESS;
}

SDE_CLONES static int
valley_hess (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p];
      out[p] = v * v;
      out[P + p] = out[2 * P + p] = 2 * u * v;
      out[3 * P + p] = 1 + u * u;
    }
  return GSL_SUCCESS;
}

/* d_xxy = 2y, d_xyy = 2x, d_xxx = d_yyy = 0.  */
static int
valley_third (const sde_problem *pb, size_t P, const double *x, const double *S,
              double *out, double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p];
      double s00 = S[p], s01 = S[P + p], s10 = S[2 * P + p];
      double s11 = S[3 * P + p];
      out[p] = 2 * v * (s01 + s10) + 2 * u * s11;
      out[P + p] = 2 * v * s00 + 2 * u * (s01 + s10);
    }
  return GSL_SUCCESS;
}

/* The gradient flow keeps ln x + x^2/2 - y^2/2 constant (dx/dy =
   x y / (1 + x^2)), so Phi(x, y) = (x_inf, 0) with ln x_inf + x_inf^2 / 2 =
   ln x + x^2/2 - y^2/2, solved by Newton's method (x_inf has x's sign; x = 0
   stays 0).  */
static int
valley_phi (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  (void)pb, (void)work;
  for (size_t p = 0; p < P; p++)
    {
      double u = fabs (x[p]), v = x[P + p], z = u;
      if (u > 0)
        {
          double target = log (u) + 0.5 * u * u - 0.5 * v * v;
          /* In s = ln z the map s + e^(2s)/2 is convex and increasing.  */
          double s = log (u);
          for (int it = 0; it < 100; it++)
            {
              double e2 = exp (2 * s), f = s + 0.5 * e2 - target;
              double ds = f / (1 + e2);
              s -= ds;
              if (fabs (ds) < 1e-16 * (1 + fabs (s)))
                break;
            }
          z = exp (s);
        }
      out[p] = x[p] < 0 ? -z : z;
      out[P + p] = 0;
    }
  return GSL_SUCCESS;
}

/* Label noise: f = sqrt(a) y, noise eps grad f, eps = +-delta.  */
SDE_CLONES static int
labelvalley_factor (const sde_problem *pb, size_t P, const double *x,
                    double *out, double *work)
{
  (void)work;
  const double delta = ((const sde_owned_problem *)pb->params)->par[0];
  for (size_t p = 0; p < P; p++)
    {
      double u = x[p], v = x[P + p], sa = sqrt (1 + u * u);
      out[p] = delta * u * v / sa;
      out[P + p] = delta * sa;
    }
  return GSL_SUCCESS;
}

static int
setup_valley_common (sde_owned_problem **out, sde_spec *spec, int label)
{
  sde_owned_problem *op
      = sde__problem_new (label ? "labelvalley" : "valley", 2, label ? 1 : 2);
  if (op == NULL)
    return GSL_ENOMEM;
  *out = op;
  op->pb.loss = valley_loss;
  op->pb.grad = valley_grad;
  op->pb.hess = valley_hess;
  op->pb.third = valley_third;
  op->pb.phi = valley_phi;
  int st;
  if (label)
    {
      if ((st = sde_spec_double (spec, "delta", 1, 0, 1e6, &op->par[0])))
        return st;
      sde__spec_add (op, "delta", op->par, 1);
      op->pb.factor = labelvalley_factor;
      op->pb.law = SDE_ORACLE_RADEMACHER;
    }
  else if ((st = sde__param_noise_diag (op, spec, 1.0)))
    return st;
  if ((st = sde__param_x0 (op, spec, 0.0)))
    return st;
  if (sde_spec_string (spec, "x0") == NULL)
    op->x0[0] = 1.0; /* start on the valley floor at (1, 0) */
  return GSL_SUCCESS;
}

static int
setup_valley (sde_owned_problem **op, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  return setup_valley_common (op, spec, 0);
}

static int
setup_labelvalley (sde_owned_problem **op, sde_spec *spec, const char *datadir)
{
  (void)datadir;
  return setup_valley_common (op, spec, 1);
}

static int
setup_linreg (sde_owned_problem **op, sde_spec *spec, const char *datadir)
{
  return sde__problem_linreg (op, spec, datadir, 0);
}

static int
setup_logreg (sde_owned_problem **op, sde_spec *spec, const char *datadir)
{
  return sde__problem_linreg (op, spec, datadir, 1);
}

/* ---- The catalog ---- */

typedef struct
{
  const char *name, *description, *params;
  int (*setup) (sde_owned_problem **op, sde_spec *spec, const char *datadir);
} entry;

static const entry catalog[] = {
  { "quadratic", "L = (x-x*)^T H (x-x*) / 2, Gaussian noise S = diag(sqrt s)",
    "h=LIST | H=LIST (d*d) | d=2,cond=10,seed=1,dense=1; xstar=0,s=1,x0=1",
    setup_quad },
  { "lte", "Li-Tai-E quadratic: as quadratic with S = sqrt(s) H",
    "h=LIST | H=LIST | d=2,cond=10,seed=1,dense=1; xstar=0,s=1,x0=1",
    setup_lte },
  { "doublewell", "L = (x^2 - a)^2 / 4 in R", "a=1,s=1,x0=0.5",
    setup_doublewell },
  { "nonconvex2d", "L = (x0^2-1)^2/4 + k (x1 - c x0^2)^2 / 2",
    "k=1,c=0.5,s=1,x0=0.5", setup_nonconvex },
  { "circle", "L = (|x|^2 - 1)^2 / 2, minima on the unit sphere",
    "d=2,s=1,x0=1,0", setup_circle },
  { "valley", "flat valley L = (1 + x0^2) x1^2 / 2, minima on x1 = 0",
    "s=1,x0=1,0", setup_valley },
  { "labelvalley",
    "flat valley with label noise: f = sqrt(1 + x0^2) x1, g = grad L + "
    "eps grad f, eps = +-delta",
    "delta=1,x0=1,0", setup_labelvalley },
  { "sparse",
    "sparse regression w = u * v, L = |Z w - y|^2 / (2n), label noise",
    "m=10,n=20,k=2,seed=1,delta=1,x0=0.1", sde__problem_sparse },
  { "linreg", "finite-sum least squares L = sum (z_i.x - y_i)^2 / (2n)",
    "data=diabetes | data=synthetic,n=200,m=5,seed=1; ridge=0,x0=0",
    setup_linreg },
  { "logreg",
    "finite-sum logistic regression L = mean log(1 + e^(-y_i z_i.x)) + "
    "ridge |x|^2/2",
    "data=diabetes | data=synthetic,n=200,m=5,seed=1; ridge=0.01,x0=0",
    setup_logreg },
};

#define NCATALOG (sizeof catalog / sizeof catalog[0])

const char *
sde_problem_name (size_t index, const char **description, const char **params)
{
  if (index >= NCATALOG)
    return NULL;
  if (description)
    *description = catalog[index].description;
  if (params)
    *params = catalog[index].params;
  return catalog[index].name;
}

sde_problem *
sde_problem_alloc (const char *text, const char *datadir)
{
  sde_spec spec;
  const char *rest = text;
  /* An expression problem's own spec reads back through the catalog, so
     every problem's provenance can be pasted into --problem.  */
  if (text && strncmp (text, "expr:", 5) == 0)
    return sde_problem_alloc_expr_text (text);
  if (text == NULL || sde_spec_parse (&spec, &rest))
    return NULL;
  if (*rest != '\0')
    {
      sde_error (GSL_EINVAL, "unexpected '%s' after the problem", sde_q (rest));
      return NULL;
    }
  const entry *e = NULL;
  for (size_t i = 0; i < NCATALOG; i++)
    if (strcmp (catalog[i].name, spec.name) == 0)
      e = &catalog[i];
  if (e == NULL)
    {
      sde_error (GSL_EINVAL, "unknown problem '%s' (see --list-problems)",
                 spec.name);
      return NULL;
    }
  sde_owned_problem *op = NULL;
  int st = e->setup (&op, &spec, datadir);
  if (st == 0)
    st = sde_spec_check_used (&spec);
  if (st == 0)
    sde__spec_x0 (op);
  if (st == 0)
    st = sde__problem_analyse (&op->pb);
  if (st)
    {
      sde_problem_free (op ? &op->pb : NULL);
      return NULL;
    }
  return &op->pb;
}
