/* optim.c: the optimizer registry and what every type shares: the parse
   of "name:key=value,..." with SVAG(l) as a wrapper around any method,
   the resolution at a learning rate eta, the step with its schedule, and
   the momentum family 1 - beta = c eta^alpha (MATH.md section 3).  Each
   type lives in its own file, lib/optim_NAME.c.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fused.h"
#include "sdekit/optim.h"
#include "sdekit/spec.h"

/* The registry, one line per type in the order of --list-methods: type
   NAME is the object sde__optim_NAME of lib/optim_NAME.c (heavy-ball and
   Nesterov share lib/optim_hb.c).  */
#define SDE_OPTIM_REGISTRY(X)                                                  \
  X (sgd)                                                                      \
  X (sgdm)                                                                     \
  X (hb)                                                                       \
  X (nesterov)                                                                 \
  X (qhm)                                                                      \
  /* (the end) */

#define SDE_OPTIM_DECLARE(name) extern const sde_optim_type sde__optim_##name;
SDE_OPTIM_REGISTRY (SDE_OPTIM_DECLARE)
#define SDE_OPTIM_ENTRY(name) &sde__optim_##name,
static const sde_optim_type *const registry[]
    = { SDE_OPTIM_REGISTRY (SDE_OPTIM_ENTRY) NULL };

const sde_optim_type *const *
sde_optim_types (void)
{
  return registry;
}

static const sde_optim_type *
find_in (const sde_optim_type *const *types, const char *name)
{
  for (const sde_optim_type *const *t = types; name && *t; t++)
    if (strcmp ((*t)->name, name) == 0)
      return *t;
  return NULL;
}

const sde_optim_type *
sde_optim_type_find (const char *name)
{
  return find_in (registry, name);
}

/* "unknown method 'NAME' (sgd, sgdm, ..., svag)" from the types given.  */
static int
unknown (const sde_optim_type *const *types, const char *name)
{
  char list[256] = "";
  size_t n = 0;
  for (const sde_optim_type *const *t = types; *t && n < sizeof list; t++)
    n += (size_t)snprintf (list + n, sizeof list - n, "%s, ", (*t)->name);
  return sde_error (GSL_EINVAL, "unknown method '%s' (%ssvag)", name, list);
}

static int parse_one (sde_optim *o, const sde_optim_type *const *types,
                      const char **text);

/* svag:l=L,METHOD: the method inside, run at eta/l for l times the
   steps.  */
static int
parse_svag (sde_optim *o, const sde_optim_type *const *types, sde_spec *spec,
            const char **text)
{
  double l;
  int st;
  if ((st = sde_spec_double (spec, "l", 1, 1, 1e6, &l))
      || (st = sde_spec_check_used (spec)))
    return st;
  if (l != floor (l))
    return sde_error (GSL_EINVAL, "svag: l must be an integer (got %g)", l);
  if (**text == '\0')
    return sde_error (GSL_EINVAL, "svag needs a method after it: svag:l=%g,sgd",
                      l);
  if (strncmp (*text, "svag", 4) == 0)
    return sde_error (GSL_EINVAL, "svag cannot wrap svag");
  st = parse_one (o, types, text);
  if (st)
    return st;
  o->svag = (unsigned)l;
  char inner[256];
  snprintf (inner, sizeof inner, "%s", o->spec);
  snprintf (o->spec, sizeof o->spec, "svag:l=%u,%.230s", o->svag, inner);
  return GSL_SUCCESS;
}

static int
parse_one (sde_optim *o, const sde_optim_type *const *types, const char **text)
{
  memset (o, 0, sizeof *o);
  o->lr = o->beta = o->alpha = o->c = NAN;
  o->svag = 1;
  sde_schedule_parse (&o->schedule, NULL);
  const char *start = *text;
  sde_spec spec;
  int st = sde_spec_parse (&spec, text);
  if (st)
    return st;
  if (strcmp (spec.name, "svag") == 0)
    return parse_svag (o, types, &spec, text);
  o->type = find_in (types, spec.name);
  if (o->type == NULL)
    return unknown (types, spec.name);
  if (o->type->parse && (st = o->type->parse (o, &spec)))
    return st;
  if ((st = sde_spec_check_used (&spec)))
    return st;
  size_t len = (size_t)(*text - start);
  if (len && start[len - 1] == ',')
    len--;
  snprintf (o->spec, sizeof o->spec, "%.*s", (int)len, start);
  return GSL_SUCCESS;
}

int
sde_optim_parse_with (sde_optim *o, const sde_optim_type *const *types,
                      const char **text)
{
  return parse_one (o, types ? types : registry, text);
}

int
sde_optim_parse (sde_optim *o, const char **text)
{
  return parse_one (o, registry, text);
}

int
sde_optim_parse_momentum (sde_optim *o, sde_spec *spec)
{
  int st;
  if ((st = sde_spec_double (spec, "beta", NAN, 0, 1, &o->beta))
      || (st = sde_spec_double (spec, "alpha", NAN, 0, 1, &o->alpha))
      || (st = sde_spec_double (spec, "c", NAN, 0, 1e12, &o->c)))
    return st;
  if (o->beta == 1)
    return sde_error (GSL_EINVAL, "%s: beta must be < 1", spec->name);
  if (!isnan (o->beta) && (!isnan (o->alpha) || !isnan (o->c)))
    return sde_error (GSL_EINVAL,
                      "%s: give beta or alpha,c (1-beta = c eta^alpha), "
                      "not both",
                      spec->name);
  if (isnan (o->alpha) != isnan (o->c) && isnan (o->beta))
    {
      if (isnan (o->c))
        o->c = 1;
      else
        o->alpha = 0;
    }
  return GSL_SUCCESS;
}

int
sde_optim_set_momentum (sde_optim *o, double eta)
{
  double mom;
  if (!isnan (o->beta))
    mom = o->beta;
  else if (!isnan (o->alpha))
    mom = 1 - o->c * pow (eta, o->alpha);
  else
    mom = 0.9; /* the common default */
  if (!(mom >= 0 && mom < 1))
    return sde_error (GSL_EDOM,
                      "%s: beta = 1 - c eta^alpha = %g is outside [0, 1) "
                      "at eta = %g",
                      o->spec, mom, eta);
  o->mom = mom;
  return GSL_SUCCESS;
}

int
sde_optim_set (sde_optim *o, double eta)
{
  if (o->type == NULL || o->type->apply == NULL)
    return sde_error (GSL_EINVAL, "%s: the method has no type with a step",
                      o->spec);
  o->mom = 0;
  o->eta = eta;
  o->step_lr = eta;
  int st = o->type->set ? o->type->set (o, eta) : GSL_SUCCESS;
  if (st)
    return st;
  if (!(o->eta > 0) || !isfinite (o->eta))
    return sde_error (GSL_EDOM, "%s: learning rate must be positive", o->spec);
  o->step_lr /= o->svag;
  o->dt = o->eta / o->svag;
  return GSL_SUCCESS;
}

double
sde__optim_lr (const sde_optim *o, size_t k)
{
  double lr = o->step_lr;
  if (o->schedule.kind != SDE_SCHEDULE_CONSTANT)
    lr *= sde_schedule_factor (&o->schedule, (double)k * o->dt);
  return lr;
}

int
sde_optim_apply (const sde_optim *o, size_t k, size_t P, size_t d, double *x,
                 double *m, const double *g)
{
  return o->type->apply (o, sde__optim_lr (o, k), P, d, x, m, g, k == 0);
}

const char *
sde_optim_name (const sde_optim *o, char *buf, size_t len)
{
  if (o->type->state < 2)
    snprintf (buf, len, "%s(eta=%.6g)", o->spec, o->eta);
  else
    snprintf (buf, len, "%s(eta=%.6g,beta=%.6g)", o->spec, o->eta, o->mom);
  return buf;
}
