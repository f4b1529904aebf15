/* observable.c: test functions for weak errors (MATH.md section 8.1).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/observable.h"
#include "sdekit/spec.h"

int
sde_observable_parse (const char *list, size_t d, const sde_problem *pb,
                      sde_observable *obs, size_t max)
{
  size_t n = 0;
  const char *s = list;
  if (list == NULL || *list == '\0')
    {
      sde_error (GSL_EINVAL, "empty observable list");
      return -1;
    }
  while (*s)
    {
      sde_spec spec;
      if (sde_spec_parse (&spec, &s))
        return -1;
      if (n == max)
        {
          sde_error (GSL_EINVAL, "more than %zu observables", max);
          return -1;
        }
      sde_observable *o = &obs[n];
      memset (o, 0, sizeof *o);
      o->prob = pb;
      o->dim = d;
      const char *nm = spec.name;
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
              return -1;
            }
          if (i >= d || j >= d)
            {
              sde_error (GSL_EINVAL,
                         "observable %s: the state has only %zu "
                         "coordinates",
                         nm, d);
              return -1;
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
              return -1;
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
              return -1;
            }
          if (sde_spec_list (&spec, "w", -1e12, 1e12, o->w, SDE_OBSERVABLE_MAXW,
                             &o->n))
            return -1;
          if (o->n == 0)
            o->w[0] = 1, o->n = 1;
          if (o->n != 1 && o->n != d)
            {
              sde_error (GSL_EINVAL,
                         "observable cos: w needs 1 or %zu "
                         "values",
                         d);
              return -1;
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
                     "cos:w=..., trace)",
                     sde_q (nm));
          return -1;
        }
      if (sde_spec_check_used (&spec))
        return -1;
      if (o->kind == SDE_OBS_COS)
        {
          size_t len = (size_t)snprintf (o->name, sizeof o->name, "cos:w=");
          for (size_t i = 0; i < d && len < sizeof o->name; i++)
            len += (size_t)snprintf (o->name + len, sizeof o->name - len,
                                     "%s%g", i ? "," : "", o->w[i]);
        }
      else
        snprintf (o->name, sizeof o->name, "%s", nm);
      for (size_t k = 0; k < n; k++)
        if (strcmp (obs[k].name, o->name) == 0)
          {
            sde_error (GSL_EINVAL, "observable %s appears twice", o->name);
            return -1;
          }
      n++;
    }
  return (int)n;
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
    default:
      GSL_ERROR ("unknown observable", GSL_EINVAL);
    }
}
