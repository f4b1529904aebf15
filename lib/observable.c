/* observable.c: test functions for weak errors (MATH.md section 8.1).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/expr.h"
#include "sdekit/observable.h"
#include "sdekit/spec.h"

/* expr:TEXT, TEXT being the LEN bytes at T: compiled over x0..x<d-1>.  */
static int
parse_expr (const char *t, size_t len, size_t d, sde_observable *o)
{
  char text[SDE_OBSERVABLE_MAXNAME];
  if (len == 0)
    return sde_error (GSL_EINVAL, "observable expr: the expression is empty");
  if (len + 5 >= sizeof text)
    return sde_error (GSL_EINVAL,
                      "observable expr:%.20s...: longer than %d characters",
                      sde_q (t), SDE_OBSERVABLE_MAXNAME - 6);
  memcpy (text, t, len);
  text[len] = '\0';
  sde_expr_ctx *ctx = sde_expr_ctx_alloc (d, 0, NULL);
  if (ctx == NULL)
    return sde_error (GSL_ENOMEM, "out of memory");
  char why[300] = "";
  const sde_expr *e = sde_expr_parse_why (ctx, text, why, sizeof why);
  int st = GSL_SUCCESS;
  if (e == NULL)
    st = *why ? sde_error (GSL_EINVAL, "observable expr:%s: %s", sde_q (text),
                           why)
              : GSL_ENOMEM;
  else if ((o->prog = sde_expr_compile (ctx, &e, 1)) == NULL)
    st = GSL_ENOMEM;
  sde_expr_ctx_free (ctx);
  if (st)
    return st;
  o->kind = SDE_OBS_EXPR;
  /* Per path, enough for any block size: the rows are padded to 8.  */
  o->work = 2 * sde_expr_prog_work (o->prog, 1);
  memcpy (o->name, "expr:", 5);
  memcpy (o->name + 5, text, len + 1);
  return GSL_SUCCESS;
}

void
sde_observable_release (sde_observable *obs, size_t n)
{
  for (size_t k = 0; k < n; k++)
    {
      sde_expr_prog_free (obs[k].prog);
      obs[k].prog = NULL;
    }
}

/* Whether obs[n]'s name is new among the first N.  */
static int
unique (const sde_observable *obs, size_t n)
{
  for (size_t k = 0; k < n; k++)
    if (strcmp (obs[k].name, obs[n].name) == 0)
      return sde_error (GSL_EINVAL, "observable %s appears twice", obs[n].name);
  return GSL_SUCCESS;
}

/* The catalog's observable SPEC into O (whose dim and prob are set).  */
static int
named (sde_spec *spec, size_t d, const sde_problem *pb, sde_observable *o)
{
  const char *nm = spec->name;
  if (nm[0] == 'x' && nm[1] >= '0' && nm[1] <= '9')
    {
      /* x<i> or x<i>x<j>.  */
      char *end;
      unsigned long i = strtoul (nm + 1, &end, 10), j = 0;
      const int lead0 = nm[1] == '0' && end - (nm + 1) > 1;
      int prod = *end == 'x' && end[1] >= '0' && end[1] <= '9';
      const char *second = end + 1;
      if (prod)
        j = strtoul (second, &end, 10);
      if (*end || lead0 || (prod && second[0] == '0' && end - second > 1))
        {
          sde_error (GSL_EINVAL,
                     "observable '%s': use x0, x1, ..., or x0x1 for a "
                     "product",
                     sde_q (nm));
          return GSL_EINVAL;
        }
      if (i >= d || j >= d)
        {
          sde_error (GSL_EINVAL,
                     "observable %s: the state has only %zu "
                     "coordinates",
                     nm, d);
          return GSL_EINVAL;
        }
      o->kind = prod ? SDE_OBS_PRODUCT : SDE_OBS_COORD;
      o->index = i;
      o->index2 = j;
    }
  else if (strcmp (nm, "norm2") == 0)
    o->kind = SDE_OBS_NORM2;
  else if (strcmp (nm, "loss") == 0 || strcmp (nm, "trace") == 0)
    {
      o->kind = nm[0] == 'l' ? SDE_OBS_LOSS : SDE_OBS_TRACE;
      if (pb == NULL || (o->kind == SDE_OBS_LOSS && pb->loss == NULL)
          || (o->kind == SDE_OBS_TRACE && !pb->hess && !pb->hess_const))
        {
          sde_error (GSL_EINVAL,
                     "observable %s needs a problem with a "
                     "%s",
                     nm, o->kind == SDE_OBS_LOSS ? "loss" : "Hessian");
          return GSL_EINVAL;
        }
    }
  else if (strcmp (nm, "cos") == 0)
    {
      o->kind = SDE_OBS_COS;
      /* w is stored whole, one weight per coordinate.  */
      if (d > SDE_OBSERVABLE_MAXW)
        {
          sde_error (GSL_EINVAL,
                     "observable cos: the state has %zu coordinates, "
                     "more than the %d cos supports",
                     d, SDE_OBSERVABLE_MAXW);
          return GSL_EINVAL;
        }
      if (sde_spec_list (spec, "w", -1e12, 1e12, o->w, SDE_OBSERVABLE_MAXW,
                         &o->n))
        return GSL_EINVAL;
      if (o->n == 0)
        o->w[0] = 1, o->n = 1;
      if (o->n != 1 && o->n != d)
        {
          sde_error (GSL_EINVAL,
                     "observable cos: w needs 1 or %zu "
                     "values",
                     d);
          return GSL_EINVAL;
        }
      if (o->n == 1)
        for (size_t i = 1; i < d; i++)
          o->w[i] = o->w[0];
      o->n = d;
    }
  else
    {
      sde_error (GSL_EINVAL,
                 "unknown observable '%s' (x<i>, x<i>x<j>, norm2, loss, "
                 "cos:w=..., trace, expr:EXPR)",
                 sde_q (nm));
      return GSL_EINVAL;
    }
  return GSL_SUCCESS;
}

int
sde_observable_parse (const char *list, size_t d, const sde_problem *pb,
                      sde_observable *obs, size_t max)
{
  size_t n = 0;
  const char *s = list;
  if (list == NULL || *list == '\0')
    {
      sde_error (GSL_EINVAL, "empty observable list");
      goto fail;
    }
  while (*s)
    {
      if (n == max)
        {
          sde_error (GSL_EINVAL, "more than %zu observables", max);
          goto fail;
        }
      sde_observable *o = &obs[n];
      memset (o, 0, sizeof *o);
      o->prob = pb;
      o->dim = d;
      if (strncmp (s, "expr:", 5) == 0)
        {
          const size_t len = strcspn (s + 5, ",");
          if (parse_expr (s + 5, len, d, o))
            goto fail;
          s += 5 + len + (s[5 + len] == ',');
          if (unique (obs, n))
            {
              sde_observable_release (o, 1);
              goto fail;
            }
          n++;
          continue;
        }
      sde_spec spec;
      if (sde_spec_parse (&spec, &s))
        goto fail;
      if (named (&spec, d, pb, o) || sde_spec_check_used (&spec))
        goto fail;
      if (o->kind == SDE_OBS_COS)
        {
          size_t len = (size_t)snprintf (o->name, sizeof o->name, "cos:w=");
          for (size_t i = 0; i < d && len < sizeof o->name; i++)
            len += (size_t)snprintf (o->name + len, sizeof o->name - len,
                                     "%s%g", i ? "," : "", o->w[i]);
        }
      else
        snprintf (o->name, sizeof o->name, "%s", spec.name);
      if (unique (obs, n))
        goto fail;
      n++;
    }
  return (int)n;
fail:
  sde_observable_release (obs, n);
  return -1;
}

void
sde_observable_set_fn (sde_observable *o, const char *name,
                       sde_observable_fn fn, void *params, size_t work)
{
  memset (o, 0, sizeof *o);
  o->kind = SDE_OBS_USER;
  o->dim = 0;
  snprintf (o->name, sizeof o->name, "%s", name);
  o->fn = fn;
  o->params = params;
  o->work = work;
}

size_t
sde_observable_work (const sde_observable *o, size_t d)
{
  switch (o->kind)
    {
    case SDE_OBS_LOSS:
      return o->prob->work;
    case SDE_OBS_TRACE:
      return o->prob->work + d * d;
    case SDE_OBS_USER:
    case SDE_OBS_EXPR:
      return o->work;
    default:
      return 0;
    }
}

int
sde_observable_apply (const sde_observable *o, size_t P, const double *x,
                      double *out, double *work)
{
  const sde_problem *pb = o->prob;
  switch (o->kind)
    {
    case SDE_OBS_COORD:
      memcpy (out, x + o->index * P, sizeof (double) * P);
      return GSL_SUCCESS;
    case SDE_OBS_PRODUCT:
      for (size_t p = 0; p < P; p++)
        out[p] = x[o->index * P + p] * x[o->index2 * P + p];
      return GSL_SUCCESS;
    case SDE_OBS_NORM2:
      for (size_t p = 0; p < P; p++)
        out[p] = 0;
      for (size_t i = 0; i < o->dim; i++)
        for (size_t p = 0; p < P; p++)
          out[p] += x[i * P + p] * x[i * P + p];
      return GSL_SUCCESS;
    case SDE_OBS_COS:
      for (size_t p = 0; p < P; p++)
        out[p] = 0;
      for (size_t i = 0; i < o->n; i++)
        for (size_t p = 0; p < P; p++)
          out[p] += o->w[i] * x[i * P + p];
      for (size_t p = 0; p < P; p++)
        out[p] = cos (out[p]);
      return GSL_SUCCESS;
    case SDE_OBS_LOSS:
      return pb->loss (pb, P, x, out, work);
    case SDE_OBS_TRACE:
      {
        const size_t d = pb->dim;
        if (pb->hess_const)
          {
            double tr = 0;
            for (size_t i = 0; i < d; i++)
              tr += pb->hess_const[i * d + i];
            for (size_t p = 0; p < P; p++)
              out[p] = tr;
            return GSL_SUCCESS;
          }
        double *H = work + pb->work * P;
        int st = pb->hess (pb, P, x, H, work);
        if (st)
          return st;
        for (size_t p = 0; p < P; p++)
          {
            double tr = 0;
            for (size_t i = 0; i < d; i++)
              tr += H[(i * d + i) * P + p];
            out[p] = tr;
          }
        return GSL_SUCCESS;
      }
    case SDE_OBS_USER:
      return o->fn (P, x, out, work, o->params);
    case SDE_OBS_EXPR:
      return sde_expr_prog_eval (o->prog, P, x, P, NULL, out, P, work);
    default:
      GSL_ERROR ("unknown observable", GSL_EINVAL);
    }
}
