/* problem.c: owned problems, the one-path adapter, finite-difference
   derivatives, and the generic constant-matrix callbacks.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "problem_internal.h"

sde_owned_problem *
sde__problem_new (const char *name, size_t d, size_t r)
{
  sde_owned_problem *op = calloc (1, sizeof *op);
  if (op == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for problem"), NULL;
  op->pb.owned = &op->pb;
  op->x0 = calloc (d, sizeof (double));
  if (op->x0 == NULL)
    {
      free (op);
      return sde_error (GSL_ENOMEM, "out of memory for problem"), NULL;
    }
  op->pb.name = name;
  op->pb.dim = d;
  op->pb.noise_dim = r;
  op->pb.x0 = op->x0;
  op->pb.law = SDE_ORACLE_GAUSSIAN;
  op->pb.params = op;
  snprintf (op->spec, sizeof op->spec, "%s", name);
  return op;
}

/* Only the public struct is read: a user's sde_problem may end where its
   fields do.  */
sde_owned_problem *
sde__problem_owned (const sde_problem *pb)
{
  return pb && pb->owned == pb ? (sde_owned_problem *)pb : NULL;
}

void
sde_problem_free (sde_problem *pb)
{
  sde_owned_problem *op = sde__problem_owned (pb);
  if (op == NULL)
    return; /* NULL, a user-filled struct or a copy */
  if (op->destroy)
    op->destroy (op);
  sde__cmat_free (&op->hcm);
  sde__cmat_free (&op->scm);
  free (op->hess);
  free (op->factor);
  free (op->xstar);
  free (op->x0);
  op->pb.owned = NULL;
  free (op);
}

const char *
sde_problem_spec (const sde_problem *pb)
{
  const sde_owned_problem *op = sde__problem_owned (pb);
  return op ? op->spec : pb->name;
}

const char *
sde__num (double x)
{
  static _Thread_local char ring[4][32];
  static _Thread_local unsigned next;
  char *b = ring[next++ % 4];
  sde_shortest (b, sizeof ring[0], x);
  return b;
}

void
sde__spec_add (sde_owned_problem *op, const char *key, const double *v,
               size_t n)
{
  size_t len = strlen (op->spec);
  len += (size_t)snprintf (op->spec + len, sizeof op->spec - len,
                           "%s%s=", strchr (op->spec, ':') ? "," : ":", key);
  for (size_t i = 0; i < n && len < sizeof op->spec; i++)
    {
      char num[32];
      sde_shortest (num, sizeof num, v[i]);
      len += (size_t)snprintf (op->spec + len, sizeof op->spec - len, "%s%s",
                               i ? "," : "", num);
    }
}

int
sde__problem_analyse (sde_problem *pb)
{
  sde_owned_problem *op = sde__problem_owned (pb);
  if (op == NULL)
    return GSL_SUCCESS;
  const size_t d = pb->dim, r = pb->noise_dim;
  sde__cmat_free (&op->hcm);
  sde__cmat_free (&op->scm);
  int st = GSL_SUCCESS;
  if (pb->hess_const)
    st = sde__cmat_init (&op->hcm, pb->hess_const, d, d);
  if (st == GSL_SUCCESS && pb->factor_const)
    st = sde__cmat_init (&op->scm, pb->factor_const, d, r);
  return st;
}

/* The analysis, while it is still that of the problem's matrix A.  */
static const sde__cmat *
analysed (const sde__cmat *m, const double *a, size_t rows, size_t cols,
          sde__cmat *view)
{
  if (a == NULL)
    return NULL;
  if (m && m->a == a && m->rows == rows && m->cols == cols)
    return m;
  sde__cmat_view (view, a, rows, cols);
  return view;
}

const sde__cmat *
sde__problem_hess_cm (const sde_problem *pb, sde__cmat *view)
{
  const sde_owned_problem *op = sde__problem_owned (pb);
  return analysed (op ? &op->hcm : NULL, pb->hess_const, pb->dim, pb->dim,
                   view);
}

const sde__cmat *
sde__problem_factor_cm (const sde_problem *pb, sde__cmat *view)
{
  const sde_owned_problem *op = sde__problem_owned (pb);
  return analysed (op ? &op->scm : NULL, pb->factor_const, pb->dim,
                   pb->noise_dim, view);
}

sde__factor_apply_fn
sde__problem_factor_apply (const sde_problem *pb)
{
  const sde_owned_problem *op = sde__problem_owned (pb);
  return op && pb->factor_const == NULL ? op->factor_apply : NULL;
}

int
sde__hess_const (const sde_problem *pb, size_t P, const double *x, double *out,
                 double *work)
{
  (void)x;
  (void)work;
  const size_t d = pb->dim;
  for (size_t k = 0; k < d * d; k++)
    for (size_t p = 0; p < P; p++)
      out[k * P + p] = pb->hess_const[k];
  return GSL_SUCCESS;
}

int
sde__factor_const (const sde_problem *pb, size_t P, const double *x,
                   double *out, double *work)
{
  (void)x;
  (void)work;
  const size_t n = pb->dim * pb->noise_dim;
  for (size_t k = 0; k < n; k++)
    for (size_t p = 0; p < P; p++)
      out[k * P + p] = pb->factor_const[k];
  return GSL_SUCCESS;
}

int
sde__param_noise_diag (sde_owned_problem *op, sde_spec *spec, double def)
{
  const size_t d = op->pb.dim;
  double s[64];
  size_t n;
  int st = sde_spec_list (spec, "s", 0, 1e12, s, 64, &n);
  if (st)
    return st;
  if (n == 0)
    s[0] = def, n = 1;
  if (n != 1 && n != d)
    return sde_error (GSL_EINVAL, "%s: s needs 1 or %zu values, got %zu",
                      spec->name, d, n);
  op->factor = calloc (d * d, sizeof (double));
  if (op->factor == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for noise factor");
  for (size_t i = 0; i < d; i++)
    op->factor[i * d + i] = sqrt (s[n == 1 ? 0 : i]);
  op->pb.noise_dim = d;
  op->pb.factor_const = op->factor;
  op->pb.factor = sde__factor_const;
  sde__spec_add (op, "s", s, n);
  return GSL_SUCCESS;
}

int
sde__param_x0 (sde_owned_problem *op, sde_spec *spec, double def)
{
  const size_t d = op->pb.dim;
  double v[64];
  size_t n;
  int st = sde_spec_list (spec, "x0", -1e300, 1e300, v, 64, &n);
  if (st)
    return st;
  if (n == 0)
    v[0] = def, n = 1;
  if (n != 1 && n != d)
    return sde_error (GSL_EINVAL, "%s: x0 needs 1 or %zu values, got %zu",
                      spec->name, d, n);
  for (size_t i = 0; i < d; i++)
    op->x0[i] = v[n == 1 ? 0 : i];
  /* The spec gets the start the problem ends up with, which a setup may
     still change (sde__spec_x0).  */
  return GSL_SUCCESS;
}

void
sde__spec_x0 (sde_owned_problem *op)
{
  const size_t d = op->pb.dim;
  size_t n = 1;
  for (size_t i = 1; i < d; i++)
    if (op->x0[i] != op->x0[0])
      n = d;
  sde__spec_add (op, "x0", op->x0, n);
}

/* ---- One-path adapter ---- */

static int
path_eval (const sde_problem *pb, sde_problem_path_fn f, size_t len, size_t P,
           const double *x, double *out, double *work)
{
  const sde_problem_paths *cb = pb->params;
  const size_t d = pb->dim;
  double *xp = work, *op = work + d; /* first path's scratch */
  for (size_t p = 0; p < P; p++)
    {
      for (size_t i = 0; i < d; i++)
        xp[i] = x[i * P + p];
      int st = f (xp, op, cb->params);
      if (st)
        return st;
      for (size_t k = 0; k < len; k++)
        out[k * P + p] = op[k];
    }
  return GSL_SUCCESS;
}

static int
path_loss (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  const sde_problem_paths *cb = pb->params;
  return path_eval (pb, cb->loss, 1, P, x, out, work);
}

static int
path_grad (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  const sde_problem_paths *cb = pb->params;
  return path_eval (pb, cb->grad, pb->dim, P, x, out, work);
}

static int
path_hess (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  const sde_problem_paths *cb = pb->params;
  return path_eval (pb, cb->hess, pb->dim * pb->dim, P, x, out, work);
}

static int
path_factor (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  const sde_problem_paths *cb = pb->params;
  return path_eval (pb, cb->factor, pb->dim * pb->noise_dim, P, x, out, work);
}

static int
identity_factor (const sde_problem *pb, size_t P, const double *x, double *out,
                 double *work)
{
  (void)x;
  (void)work;
  const size_t d = pb->dim;
  memset (out, 0, sizeof (double) * d * d * P);
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      out[(i * d + i) * P + p] = 1.0;
  return GSL_SUCCESS;
}

int
sde_problem_set_path (sde_problem *pb, size_t dim, size_t noise_dim,
                      const sde_problem_paths *cb)
{
  if (dim == 0 || cb == NULL || cb->loss == NULL || cb->grad == NULL)
    GSL_ERROR ("one-path problem needs d > 0, a loss and a gradient",
               GSL_EINVAL);
  if (cb->factor && noise_dim == 0)
    GSL_ERROR ("a noise factor needs r > 0", GSL_EINVAL);
  memset (pb, 0, sizeof *pb);
  pb->name = "user";
  pb->dim = dim;
  pb->noise_dim = cb->factor ? noise_dim : dim;
  pb->loss = path_loss;
  pb->grad = path_grad;
  pb->hess = cb->hess ? path_hess : NULL;
  pb->factor = cb->factor ? path_factor : identity_factor;
  pb->law = SDE_ORACLE_GAUSSIAN;
  pb->params = (void *)cb;
  /* x (d) and the largest output (d d or d r) of one path.  */
  size_t big = dim * (dim > pb->noise_dim ? dim : pb->noise_dim);
  pb->work = dim + big; /* per path: generous, used for one path only */
  return GSL_SUCCESS;
}

/* ---- Weight decay: L + wd |x|^2 / 2, the noise of the inner problem ---- */

static const sde_problem *
decay_inner (const sde_problem *pb, double *wd)
{
  const sde_owned_problem *op = pb->params;
  *wd = op->par[0];
  return op->extra;
}

static int
decay_loss (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  int st = in->loss (in, P, x, out, work);
  for (size_t i = 0; st == 0 && i < pb->dim; i++)
    for (size_t p = 0; p < P; p++)
      out[p] += 0.5 * wd * x[i * P + p] * x[i * P + p];
  return st;
}

static void
add_decay (double wd, size_t n, const double *x, double *out)
{
  for (size_t k = 0; k < n; k++)
    out[k] += wd * x[k];
}

static int
decay_grad (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  int st = in->grad (in, P, x, out, work);
  if (st == 0)
    add_decay (wd, pb->dim * P, x, out);
  return st;
}

static int
decay_batch (const sde_problem *pb, size_t P, const double *x,
             const uint32_t *idx, size_t B, double *out, double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  int st = in->batch (in, P, x, idx, B, out, work);
  if (st == 0)
    add_decay (wd, pb->dim * P, x, out);
  return st;
}

static int
decay_hess (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  const size_t d = pb->dim;
  int st = in->hess_const ? sde__hess_const (in, P, x, out, work)
                          : in->hess (in, P, x, out, work);
  for (size_t i = 0; st == 0 && i < d; i++)
    for (size_t p = 0; p < P; p++)
      out[(i * d + i) * P + p] += wd;
  return st;
}

/* The decay term has no third derivatives and no noise.  */
static int
decay_third (const sde_problem *pb, size_t P, const double *x, const double *S,
             double *out, double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  return in->third (in, P, x, S, out, work);
}

static int
decay_factor (const sde_problem *pb, size_t P, const double *x, double *out,
              double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  return in->factor (in, P, x, out, work);
}

static int
decay_factor_apply (const sde_problem *pb, size_t P, const double *x,
                    const double *z, double *sz, double *g, double *work)
{
  double wd;
  const sde_problem *in = decay_inner (pb, &wd);
  int st = sde__problem_factor_apply (in) (in, P, x, z, sz, g, work);
  if (st == 0 && g)
    add_decay (wd, pb->dim * P, x, g);
  return st;
}

sde_problem *
sde_problem_alloc_decay (const sde_problem *pb, double wd)
{
  if (pb == NULL || pb->grad == NULL || pb->loss == NULL)
    GSL_ERROR_NULL ("weight decay needs a problem with a loss and a gradient",
                    GSL_EINVAL);
  if (!(wd >= 0) || !isfinite (wd))
    {
      sde_error (GSL_EINVAL, "weight decay wd=%g must be finite and >= 0", wd);
      return NULL;
    }
  sde_owned_problem *op = sde__problem_new (pb->name, pb->dim, pb->noise_dim);
  if (op == NULL)
    return NULL;
  op->extra = (void *)pb;
  op->par[0] = wd;
  const char *in = sde_problem_spec (pb);
  char num[32];
  sde_shortest (num, sizeof num, wd);
  snprintf (op->spec, sizeof op->spec, "%.900s (weight decay wd=%s)", in, num);
  op->pb.loss = decay_loss;
  op->pb.grad = decay_grad;
  op->pb.hess = pb->hess || pb->hess_const ? decay_hess : NULL;
  op->pb.third = pb->third ? decay_third : NULL;
  op->pb.factor_const = pb->factor_const;
  op->pb.factor = pb->factor_const ? sde__factor_const
                  : pb->factor     ? decay_factor
                                   : NULL;
  if (pb->x0)
    memcpy (op->x0, pb->x0, sizeof (double) * pb->dim);
  else
    op->pb.x0 = NULL;
  op->pb.law = pb->law;
  op->pb.nsamples = pb->nsamples;
  op->pb.batch = pb->batch ? decay_batch : NULL;
  op->pb.work = pb->work;
  if (sde__problem_factor_apply (pb))
    op->factor_apply = decay_factor_apply;
  if (sde__problem_analyse (&op->pb))
    {
      sde_problem_free (&op->pb);
      return NULL;
    }
  return &op->pb;
}

/* ---- Finite differences ---- */

size_t
sde_problem_work (const sde_problem *pb)
{
  return pb->work + 3 * pb->dim;
}

int
sde_problem_fd_grad (const sde_problem *pb, size_t P, const double *x, double h,
                     double *out, double *work)
{
  const size_t d = pb->dim;
  double *xs = work, *lp = xs + d * P, *lm = lp + P, *w = lm + P;
  for (size_t j = 0; j < d; j++)
    {
      memcpy (xs, x, sizeof (double) * d * P);
      for (size_t p = 0; p < P; p++)
        xs[j * P + p] = x[j * P + p] + h;
      int st = pb->loss (pb, P, xs, lp, w);
      for (size_t p = 0; st == 0 && p < P; p++)
        xs[j * P + p] = x[j * P + p] - h;
      if (st == 0)
        st = pb->loss (pb, P, xs, lm, w);
      if (st)
        return st;
      for (size_t p = 0; p < P; p++)
        out[j * P + p] = (lp[p] - lm[p]) / (2 * h);
    }
  return GSL_SUCCESS;
}

int
sde_problem_fd_hess (const sde_problem *pb, size_t P, const double *x, double h,
                     double *out, double *work)
{
  const size_t d = pb->dim;
  double *xs = work, *gp = xs + d * P, *gm = gp + d * P, *w = gm + d * P;
  for (size_t j = 0; j < d; j++)
    {
      memcpy (xs, x, sizeof (double) * d * P);
      for (size_t p = 0; p < P; p++)
        xs[j * P + p] = x[j * P + p] + h;
      int st = pb->grad (pb, P, xs, gp, w);
      for (size_t p = 0; st == 0 && p < P; p++)
        xs[j * P + p] = x[j * P + p] - h;
      if (st == 0)
        st = pb->grad (pb, P, xs, gm, w);
      if (st)
        return st;
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < P; p++)
          out[(i * d + j) * P + p] = (gp[i * P + p] - gm[i * P + p]) / (2 * h);
    }
  return GSL_SUCCESS;
}
