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
    GSL_ERROR_NULL ("out of memory for problem", GSL_ENOMEM);
  op->magic = SDE_PROBLEM_MAGIC;
  op->x0 = calloc (d, sizeof (double));
  if (op->x0 == NULL)
    {
      free (op);
      GSL_ERROR_NULL ("out of memory for problem", GSL_ENOMEM);
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

void
sde_problem_free (sde_problem *pb)
{
  if (pb == NULL)
    return;
  sde_owned_problem *op = (sde_owned_problem *)pb;
  if (op->magic != SDE_PROBLEM_MAGIC)
    return; /* not ours: a user-filled struct */
  if (op->destroy)
    op->destroy (op);
  free (op->hess);
  free (op->factor);
  free (op->xstar);
  free (op->x0);
  op->magic = 0;
  free (op);
}

const char *
sde_problem_spec (const sde_problem *pb)
{
  const sde_owned_problem *op = (const sde_owned_problem *)pb;
  return op->magic == SDE_PROBLEM_MAGIC ? op->spec : pb->name;
}

void
sde__spec_add (sde_owned_problem *op, const char *key, const double *v,
               size_t n)
{
  size_t len = strlen (op->spec);
  len += (size_t)snprintf (op->spec + len, sizeof op->spec - len,
                           "%s%s=", strchr (op->spec, ':') ? "," : ":", key);
  for (size_t i = 0; i < n && len < sizeof op->spec; i++)
    len += (size_t)snprintf (op->spec + len, sizeof op->spec - len, "%s%.17g",
                             i ? "," : "", v[i]);
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
    GSL_ERROR ("out of memory for noise factor", GSL_ENOMEM);
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
  sde__spec_add (op, "x0", v, n);
  return GSL_SUCCESS;
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
  double *xs = work, *lp = xs + d * P, *lm = lp + P, *w = lm + 2 * P;
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
