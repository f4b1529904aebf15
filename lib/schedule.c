/* schedule.c: learning-rate schedules in SDE time, eta_k = eta lambda(t_k);
   with them the SDE of MATH.md 4.1 becomes dX = -lambda grad L dt +
   lambda sqrt(tau) Sigma^(1/2) dW (Li, Tai & E, JMLR 2019).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/optim.h"
#include "sdekit/spec.h"

int
sde_schedule_parse (sde_schedule *s, const char *text)
{
  memset (s, 0, sizeof *s);
  s->kind = SDE_SCHEDULE_CONSTANT;
  s->factor = 1;
  if (text == NULL || strcmp (text, "constant") == 0)
    {
      snprintf (s->spec, sizeof s->spec, "constant");
      return GSL_SUCCESS;
    }
  sde_spec spec;
  const char *rest = text;
  int st = sde_spec_parse (&spec, &rest);
  if (st)
    return st;
  if (*rest)
    return sde_error (GSL_EINVAL, "schedule: unexpected '%s'", rest);
  if (strcmp (spec.name, "step") == 0)
    {
      s->kind = SDE_SCHEDULE_STEP;
      if ((st = sde_spec_list (&spec, "at", 0, 1e12, s->t, SDE_SCHEDULE_MAX,
                               &s->n))
          || (st = sde_spec_double (&spec, "factor", 0.1, 0, 1e6, &s->factor)))
        return st;
      if (s->n == 0)
        return sde_error (GSL_EINVAL, "schedule step: needs at=T1,T2,...");
      for (size_t i = 1; i < s->n; i++)
        if (!(s->t[i] > s->t[i - 1]))
          return sde_error (GSL_EINVAL, "schedule step: at must increase");
    }
  else if (strcmp (spec.name, "cosine") == 0)
    {
      s->kind = SDE_SCHEDULE_COSINE;
      if ((st = sde_spec_double (&spec, "T", 0, 0, 1e12, &s->horizon)))
        return st;
    }
  else if (strcmp (spec.name, "table") == 0)
    {
      size_t nv;
      s->kind = SDE_SCHEDULE_TABLE;
      if ((st
           = sde_spec_list (&spec, "t", 0, 1e12, s->t, SDE_SCHEDULE_MAX, &s->n))
          || (st = sde_spec_list (&spec, "v", 0, 1e6, s->v, SDE_SCHEDULE_MAX,
                                  &nv)))
        return st;
      if (s->n == 0 || nv != s->n)
        return sde_error (GSL_EINVAL, "schedule table: t and v need the "
                                      "same number of values");
      for (size_t i = 1; i < s->n; i++)
        if (!(s->t[i] > s->t[i - 1]))
          return sde_error (GSL_EINVAL, "schedule table: t must increase");
    }
  else
    return sde_error (GSL_EINVAL,
                      "unknown schedule '%s' (constant, step, cosine, table)",
                      spec.name);
  if ((st = sde_spec_check_used (&spec)))
    return st;
  snprintf (s->spec, sizeof s->spec, "%s", text);
  return GSL_SUCCESS;
}

double
sde_schedule_factor (const sde_schedule *s, double t)
{
  switch (s->kind)
    {
    case SDE_SCHEDULE_STEP:
      {
        double f = 1;
        for (size_t i = 0; i < s->n && s->t[i] <= t; i++)
          f *= s->factor;
        return f;
      }
    case SDE_SCHEDULE_COSINE:
      return s->horizon > 0 ? 0.5 * (1 + cos (M_PI * fmin (t / s->horizon, 1)))
                            : 1.0;
    case SDE_SCHEDULE_TABLE:
      if (t <= s->t[0])
        return s->v[0];
      for (size_t i = 1; i < s->n; i++)
        if (t <= s->t[i])
          {
            double w = (t - s->t[i - 1]) / (s->t[i] - s->t[i - 1]);
            return s->v[i - 1] + w * (s->v[i] - s->v[i - 1]);
          }
      return s->v[s->n - 1];
    default:
      return 1.0;
    }
}
