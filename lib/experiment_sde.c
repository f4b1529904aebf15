/* experiment_sde.c: the SDE of a simulate or order experiment written as
   expressions (sdekit/system_expr.h): from the drift, diffusion, form,
   exact and moments settings, from its text form, from a caller's own, or
   a catalog SDE posed as expressions so that its exact solution on the
   Brownian path and its moments are known (Kloeden & Platen 1992, eq.
   (4.4.2) for geometric Brownian motion); its schemes, which must apply
   to its noise, and its exact moments matched to observables by name.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiment_internal.h"
#include "sdekit/spec.h"
#include "spec_internal.h"

int
sde__xp_user_sde_given (const sde_experiment_opts *o)
{
  return o->drift || o->diffusion || o->form || o->exact || o->moments
         || o->user_sde || (o->sde && strncmp (o->sde, "sde:", 4) == 0);
}

/* The first expression setting given, for a refusal that names it.  */
static const char *
first_expr_setting (const sde_experiment_opts *o)
{
  return o->drift       ? "drift"
         : o->diffusion ? "diffusion"
         : o->exact     ? "exact"
         : o->moments   ? "moments"
         : o->form
             ? (strcmp (o->form, "stratonovich") ? "form" : "stratonovich")
             : NULL;
}

/* A catalog SDE as expressions, with its exact solution on the path (GBM)
   and its first two moments, into the spec's strings (BUF holds them).  */
static int
catalog_spec (const char *name, sde_system_expr_spec *sp, char *buf, size_t len)
{
  sde__clear_error ();
  sde_system_named *n = sde_system_alloc (name ? name : "gbm");
  if (n == NULL && sde__last_code () == GSL_ENOMEM)
    return GSL_ENOMEM; /* reported */
  if (n == NULL)
    return sde_error (GSL_EINVAL, "sde: %s", sde__last_error (GSL_EINVAL));
  char p[4][32];
  for (size_t i = 0; i < 3; i++)
    sde_shortest (p[i], sizeof p[i], n->param[i]);
  sde_shortest (p[3], sizeof p[3], n->x0[0]);
  const size_t q = len / 6;
  int st = GSL_SUCCESS;
  if (strncmp (n->spec, "gbm:", 4) == 0)
    {
      /* dX = l X dt + m X dW: X_t = x0 exp((l - m^2/2) t + m W_t).  */
      const char *l = p[0], *m = p[1];
      snprintf (buf, q, "(%s)*x0", l);
      snprintf (buf + q, q, "(%s)*x0", m);
      snprintf (buf + 2 * q, q, "x0*exp(((%s) - (%s)^2/2)*t + (%s)*W)", l, m,
                m);
      snprintf (buf + 3 * q, q,
                "x0: x0*exp((%s)*t); x0^2: x0^2*exp((2*(%s) + (%s)^2)*t)", l, l,
                m);
      snprintf (buf + 4 * q, q, "%s", p[3]);
      sp->exact = buf + 2 * q;
    }
  else if (strncmp (n->spec, "ou:", 3) == 0)
    {
      /* dX = th (M - X) dt + s dW: Gaussian, mean M + (x0 - M) e^{-th t},
         variance s^2 (1 - e^{-2 th t}) / (2 th).  */
      const char *th = p[0], *M = p[1], *s = p[2];
      snprintf (buf, q, "(%s)*((%s) - x0)", th, M);
      snprintf (buf + q, q, "%s", s);
      snprintf (buf + 3 * q, q,
                "x0: (%s) + (x0 - (%s))*exp(-(%s)*t); x0^2: ((%s) + (x0 - "
                "(%s))*exp(-(%s)*t))^2 + (%s)^2*(1 - exp(-2*(%s)*t))/(2*(%s))",
                M, M, th, M, M, th, s, th, th);
      snprintf (buf + 4 * q, q, "%s", p[3]);
      sp->exact = NULL;
    }
  else
    st = sde_error (GSL_EINVAL, "sde=%s: no expression form of this SDE",
                    sde_q (name));
  sp->drift = buf;
  sp->diffusion = buf + q;
  sp->moments = buf + 3 * q;
  sp->x0 = buf + 4 * q;
  sde_system_free (n);
  return st;
}

int
sde__xp_setup_user_sde (sde_experiment *x, int catalog)
{
  const sde_experiment_opts *o = &x->o;
  const char *e = first_expr_setting (o);
  if (o->user_sde)
    {
      if (e || o->sde || o->x0)
        return sde_error (GSL_EINVAL,
                          "%s: the SDE is the caller's (user_sde): leave the "
                          "others unset",
                          e        ? e
                          : o->sde ? "sde"
                                   : "x0");
      x->usde = (sde_system_expr *)o->user_sde;
      x->usde_borrowed = 1;
      x->sys = x->usde->sys;
      return GSL_SUCCESS;
    }
  if (o->sde && (o->drift || o->diffusion))
    return sde_error (GSL_EINVAL, "sde: --sde and --drift/--diffusion both "
                                  "give the SDE: choose one");
  char *buf = NULL;
  sde__clear_error ();
  if (o->sde && strncmp (o->sde, "sde:", 4) == 0)
    {
      /* The text form holds every field: one given beside it would be
         silently ignored.  */
      if (e || o->x0)
        return sde_error (GSL_EINVAL,
                          "%s: the SDE is given as text in --sde, which "
                          "holds its %s: set it there",
                          e ? e : "x0", e ? e : "x0");
      x->usde = sde_system_expr_alloc_text (o->sde);
    }
  else if (o->drift || o->diffusion)
    {
      if (o->drift == NULL || o->diffusion == NULL)
        return sde_error (GSL_EINVAL,
                          "%s: an SDE needs both --drift and --diffusion",
                          o->drift ? "diffusion" : "drift");
      sde_system_expr_spec sp
          = { o->drift, o->diffusion, o->x0, o->form, o->exact, o->moments };
      x->usde = sde_system_expr_alloc (&sp);
    }
  else if (e)
    return sde_error (
        GSL_EINVAL, "%s applies to an SDE given by --drift and --diffusion", e);
  else if (catalog)
    {
      if (o->x0)
        return sde_error (GSL_EINVAL, "x0: a catalog SDE's start is in "
                                      "--sde=NAME:x0=VALUE");
      const size_t len = 6 * 512;
      sde_system_expr_spec sp = { 0 };
      if ((buf = malloc (len)) == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for an SDE");
      int st = catalog_spec (o->sde, &sp, buf, len);
      if (st)
        {
          free (buf);
          return st;
        }
      x->usde = sde_system_expr_alloc (&sp);
    }
  else
    return GSL_SUCCESS;
  free (buf);
  if (x->usde == NULL)
    {
      /* The reason starts with the field, which is the setting's name
         (the form is given only as "stratonovich").  */
      const char *why = sde__last_error (GSL_EINVAL);
      const int code = strstr (why, "out of memory") ? GSL_ENOMEM : GSL_EINVAL;
      if (strncmp (why, "form:", 5) == 0)
        return sde_error (code, "stratonovich%s", why + 4);
      return code == GSL_ENOMEM ? code : GSL_EINVAL;
    }
  x->sys = x->usde->sys;
  return GSL_SUCCESS;
}

/* Whether scheme T integrates the SDE: Milstein refuses noise that is not
   commutative, with the commutator that is not zero.  */
static int
check_scheme (sde_experiment *x, const sde_stepper_type *T, const char *setting)
{
  const unsigned commuting = SDE_NOISE_SCALAR | SDE_NOISE_DIAGONAL
                             | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE;
  if (x->usde && (T->needs & SDE_STEPPER_COMMUTATIVE)
      && !(x->sys.noise & commuting))
    {
      const char *why = x->usde->noise_note;
      if (strncmp (why, "not commutative: ", 17) == 0)
        why += 17;
      return sde_error (GSL_EINVAL,
                        "%s: %s needs commutative noise, and this SDE's noise "
                        "is non-commutative (%s; Levy areas are not "
                        "implemented): use em, weak-euler or weak2",
                        setting, T->name, why);
    }
  x->scheme = T;
  return sde__xp_check_scheme (x, setting);
}

int
sde__xp_parse_schemes (sde_experiment *x, const char *list, const char *setting)
{
  char buf[256];
  if (strlen (list) >= sizeof buf)
    return sde_error (GSL_EINVAL, "%s: the list is too long", setting);
  snprintf (buf, sizeof buf, "%s", list);
  x->nschemes = 0;
  char *save = NULL;
  for (char *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      const sde_stepper_type *T = sde_stepper_type_find (t);
      if (T == NULL)
        return sde_error (GSL_EINVAL,
                          "%s=%s: unknown scheme %s (--list-schemes)", setting,
                          sde_q (list), sde_q (t));
      for (size_t k = 0; k < x->nschemes; k++)
        if (x->schemes[k] == T)
          return sde_error (GSL_EINVAL, "%s=%s: %s is given twice", setting,
                            sde_q (list), T->name);
      if (x->nschemes == SDE_ORDER_MAXSCHEMES)
        return sde_error (GSL_EINVAL, "%s: at most %d schemes", setting,
                          SDE_ORDER_MAXSCHEMES);
      x->schemes[x->nschemes++] = T;
    }
  if (x->nschemes == 0 || list[0] == ',' || list[strlen (list) - 1] == ','
      || strstr (list, ",,"))
    return sde_error (GSL_EINVAL, "%s=%s: a comma list of scheme names",
                      setting, sde_q (list));
  for (size_t k = 0; k < x->nschemes; k++)
    {
      int st = check_scheme (x, x->schemes[k], setting);
      if (st)
        return st;
    }
  x->scheme = x->schemes[0];
  return GSL_SUCCESS;
}

/* The moment whose test function reads NAME, or -1.  */
static int
moment_named (const sde_system_expr *s, const char *name)
{
  for (size_t k = 0; k < s->nmoments; k++)
    if (strcmp (sde_system_expr_phi_text (s, k), name) == 0)
      return (int)k;
  return -1;
}

int
sde__xp_user_observables (sde_experiment *x, const char *list)
{
  const sde_system_expr *s = x->usde;
  if (list == NULL && s->nmoments)
    {
      /* The moments' test functions, each with its moment.  */
      sde_order_job job = { 0 };
      x->nobs = sde_order_job_expr (&job, s, x->obs, SDE_WEAK_MAXOBS);
      for (size_t o = 0; o < x->nobs; o++)
        {
          /* A name that would be cut short is replaced, and said.  */
          const char *text = sde_system_expr_phi_text (s, o);
          x->obs_moment[o] = (int)o;
          if (strlen (text) < sizeof x->obs[o].name)
            continue;
          snprintf (x->obs[o].name, sizeof x->obs[o].name, "phi%zu", o + 1);
          sde__xp_note (x, "phi%zu = %s", o + 1, text);
        }
      return GSL_SUCCESS;
    }
  sde__clear_error ();
  const int n = sde_observable_parse (list ? list : "x0", s->sys.dim, NULL,
                                      x->obs, SDE_WEAK_MAXOBS);
  if (n < 0)
    return sde_error (GSL_EINVAL, "observable: %s",
                      sde__last_error (GSL_EINVAL));
  x->nobs = (size_t)n;
  for (size_t o = 0; o < x->nobs; o++)
    x->obs_moment[o] = moment_named (s, x->obs[o].name);
  return GSL_SUCCESS;
}

int
sde__xp_user_moment (size_t obs, double t, double *value, void *params)
{
  const sde_experiment *x = params;
  if (obs >= x->nobs || x->obs_moment[obs] < 0)
    return GSL_EUNSUP;
  return sde_system_expr_moment ((size_t)x->obs_moment[obs], t, value, x->usde);
}
