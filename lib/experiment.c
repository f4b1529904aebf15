/* experiment.c: building and validating a weak-error experiment from its
   settings (MATH.md sections 1 to 6): the problem and its start, the
   noise and how it scales with eta, the methods, the reference, the grid,
   the observables and the engine, each refusal naming its setting.  */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "experiment_internal.h"
#include "sdekit/exact.h"
#include "sdekit/spec.h"
#include "spec_internal.h"

void
sde_experiment_defaults (sde_experiment_opts *o, sde_experiment_kind kind)
{
  const int slow = kind == SDE_EXPERIMENT_SLOW;
  const int sim = kind == SDE_EXPERIMENT_SIMULATE;
  const int order = kind == SDE_EXPERIMENT_ORDER;
  *o = (sde_experiment_opts){
    .kind = kind,
    .tau = NAN,
    .sigma = slow ? 1.0 : NAN,
    .methods = sim || order ? NULL : "sgd,sgdm:beta=0.9",
    .alpha = NAN,
    .c = 1,
    .horizon = 1,
    .engine = "auto",
    .density_grid = "0:0:0",
    .estimator = "coupled",
    .paths = sim    ? 100000
             : slow ? 1000
                    : 10000,
    .errors = order ? "both" : NULL,
    .max_paths = slow ? 1000000 : 2000000,
    .pilot = 0,
    .target_ci = 0.1,
    .bound = 1e10,
    .seed = 1,
    .threads = 0,
    .max_seconds = 0,
    .phi = "auto",
    .gtol = 1e-11,
    .phi_steps = 100000,
    .step = NAN,
  };
}

size_t
sde__xp_chunk (const sde_experiment *x)
{
  return x->o.chunk ? x->o.chunk : 256;
}

double
sde__xp_wall (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The name of a setting in the kind's tool: sde-sim says --method and
   --times where the sweeps say --methods and --checkpoints.  */
const char *
sde__xp_name (const sde_experiment *x, const char *setting)
{
  if (x->o.kind != SDE_EXPERIMENT_SIMULATE)
    return setting;
  if (strcmp (setting, "methods") == 0)
    return "method";
  if (strcmp (setting, "checkpoints") == 0)
    return "times";
  return setting;
}

/* A setting's refusal: "SETTING: the nested reason".  */
static int
refuse (int code, const char *setting)
{
  /* Out of memory is no bad setting: the reason is already reported.  */
  if (code == GSL_ENOMEM || sde__last_code () == GSL_ENOMEM)
    return GSL_ENOMEM;
  return sde_error (GSL_EINVAL, "%s: %s", setting, sde__last_error (code));
}

/* Sets KEY to VALUE; a new key goes in at position AT (or last).  A key
   given again replaces its value (the engine line after a fallback).  */
static int
meta_put (sde_experiment *x, const char *key, const char *value, size_t at)
{
  for (size_t i = 0; i < x->nmeta; i++)
    if (strcmp (x->meta[i].key, key) == 0)
      {
        snprintf (x->meta[i].value, sizeof x->meta[i].value, "%s", value);
        return GSL_SUCCESS;
      }
  xp_meta *m = realloc (x->meta, sizeof *m * (x->nmeta + 1));
  if (m == NULL)
    {
      x->nomem = 1; /* the callers that go on check it once */
      return sde_error (GSL_ENOMEM, "out of memory for the provenance");
    }
  x->meta = m;
  if (at > x->nmeta)
    at = x->nmeta;
  memmove (m + at + 1, m + at, sizeof *m * (x->nmeta - at));
  snprintf (m[at].key, sizeof m[at].key, "%s", key);
  snprintf (m[at].value, sizeof m[at].value, "%s", value);
  x->nmeta++;
  return GSL_SUCCESS;
}

int
sde__xp_meta (sde_experiment *x, const char *key, const char *fmt, ...)
{
  char buf[sizeof x->meta->value];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  return meta_put (x, key, buf, SIZE_MAX);
}

int
sde__xp_note (sde_experiment *x, const char *fmt, ...)
{
  char buf[2048];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  char **n = realloc (x->notes, sizeof *n * (x->nnotes + 1));
  if (n != NULL)
    x->notes = n;
  if (n == NULL || (n[x->nnotes] = strdup (buf)) == NULL)
    {
      x->nomem = 1;
      return sde_error (GSL_ENOMEM, "out of memory for the notes");
    }
  x->nnotes++;
  return GSL_SUCCESS;
}

/* X in its shortest round-trip form, in one of four rotating buffers.  */
static const char *
num (double v)
{
  static _Thread_local char ring[4][32];
  static _Thread_local unsigned next;
  char *b = ring[next++ % 4];
  sde_shortest (b, sizeof ring[0], v);
  return b;
}

/* ---- Problem, start and noise ---- */

int
sde__xp_setup_problem (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  if (o->problem && o->loss)
    return sde_error (GSL_EINVAL, "loss: --problem and --loss exclude each "
                                  "other");
  if (o->user && (o->problem || o->loss))
    return sde_error (GSL_EINVAL, "problem: a problem of the caller's and "
                                  "--problem or --loss exclude each other");
  if ((o->cov || o->factor) && !o->loss)
    return sde_error (GSL_EINVAL, "%s: a noise expression needs --loss",
                      o->cov ? "noise-cov" : "noise-factor");
  sde__clear_error ();
  if (o->user)
    {
      if (o->user->dim == 0 || o->user->grad == NULL || o->user->x0 == NULL
          || (o->user->law != SDE_ORACLE_NONE && o->user->factor == NULL))
        return sde_error (GSL_EINVAL,
                          "problem: the caller's problem needs a dimension, "
                          "a gradient, a start and a noise factor");
      x->pb = (sde_problem *)o->user; /* borrowed: not freed */
      x->pb_borrowed = 1;
    }
  else if (o->loss)
    {
      sde_problem_expr_spec s = { o->loss, o->cov, o->factor, o->x0 };
      sde__clear_error ();
      x->pb = sde_problem_alloc_expr_spec (&s);
      if (x->pb == NULL && sde__last_code () == GSL_ENOMEM)
        return GSL_ENOMEM; /* reported */
      if (x->pb == NULL)
        {
          /* A reason about the noise or the start names its own option.  */
          const char *why = sde__last_error (GSL_EINVAL);
          if (strncmp (why, "cov: ", 5) == 0)
            return sde_error (GSL_EINVAL, "noise-cov: %s", why + 5);
          if (strncmp (why, "factor: ", 8) == 0)
            return sde_error (GSL_EINVAL, "noise-factor: %s", why + 8);
          if (strncmp (why, "x0: ", 4) == 0)
            return sde_error (GSL_EINVAL, "%s", why);
          return refuse (GSL_EINVAL, "loss");
        }
    }
  else
    {
      const char *spec = o->problem ? o->problem
                         : o->kind == SDE_EXPERIMENT_SLOW
                             ? "labelvalley:delta=1,x0=1.5,0"
                             : "doublewell";
      if ((x->pb = sde_problem_alloc (spec, o->datadir)) == NULL)
        return refuse (GSL_EINVAL, "problem");
    }
  const size_t d = x->pb->dim;
  x->x0 = malloc (sizeof (double) * (d > 64 ? d : 64));
  if (x->x0 == NULL)
    return sde_error (GSL_ENOMEM, "x0: out of memory");
  memcpy (x->x0, x->pb->x0, sizeof (double) * d);
  if (o->x0 && !o->loss)
    {
      sde_spec s;
      char buf[4200];
      snprintf (buf, sizeof buf, "x0:v=%s", o->x0);
      const char *rest = buf;
      size_t n = 0;
      if (strlen (o->x0) > 4000 || sde_spec_parse (&s, &rest) || *rest
          || sde_spec_list (&s, "v", -1e300, 1e300, x->x0, 64, &n))
        return refuse (GSL_EINVAL, "x0");
      if (n == 1)
        for (size_t i = 1; i < d; i++)
          x->x0[i] = x->x0[0];
      else if (n != d)
        return sde_error (GSL_EINVAL, "x0: needs 1 or %zu values, got %zu", d,
                          n);
    }
  return GSL_SUCCESS;
}

/* The oracle's law from --noise (NULL: the problem's own).  */
static int
setup_law (sde_experiment *x, int *gave_b)
{
  sde_oracle *orc = &x->orc;
  const sde_problem *pb = x->pb;
  memset (orc, 0, sizeof *orc);
  orc->prob = pb;
  orc->law = pb->law;
  orc->svag = 1;
  orc->sigma = 1;
  *gave_b = 0;
  if (pb->law == SDE_ORACLE_MINIBATCH)
    orc->batch = 1, orc->replace = 1;
  if (x->o.noise)
    {
      sde_spec s;
      const char *rest = x->o.noise;
      sde__clear_error ();
      if (sde_spec_parse (&s, &rest))
        return refuse (GSL_EINVAL, "noise");
      if (*rest)
        return sde_error (GSL_EINVAL, "noise: unexpected '%s'", sde_q (rest));
      const int law = sde_oracle_law_find (s.name);
      if (law < 0)
        return sde_error (GSL_EINVAL,
                          "noise: unknown law '%s' (gaussian, rademacher, "
                          "label, student, minibatch, none)",
                          sde_q (s.name));
      if (strcmp (s.name, "label") == 0 && pb->law != SDE_ORACLE_RADEMACHER)
        return sde_error (GSL_EINVAL,
                          "noise: label: %s has no label noise (try "
                          "labelvalley or sparse)",
                          pb->name);
      orc->law = (sde_oracle_law)law;
      double v;
      int st = 0;
      if (orc->law == SDE_ORACLE_STUDENT
          && !(st = sde_spec_double (&s, "nu", 5, 2, 1e6, &v)))
        orc->nu = v;
      if (!st && orc->law == SDE_ORACLE_MINIBATCH)
        {
          *gave_b = sde_spec_string (&s, "B") != NULL;
          if (!(st = sde_spec_double (&s, "B", 1, 1, 1e9, &v)))
            {
              if (v != floor (v))
                return sde_error (GSL_EINVAL,
                                  "noise: minibatch B must be an integer");
              orc->batch = (size_t)v;
              if (!(st = sde_spec_double (&s, "replace", 1, 0, 1, &v)))
                orc->replace = v != 0;
            }
        }
      if (st || (st = sde_spec_check_used (&s)))
        return refuse (st, "noise");
    }
  sde__clear_error ();
  return sde_oracle_check (orc) ? refuse (GSL_EINVAL, "noise") : GSL_SUCCESS;
}

int
sde__xp_setup_law (sde_experiment *x)
{
  int gave_b;
  return setup_law (x, &gave_b);
}

/* How the noise scales with eta (MATH.md 1): tau fixed (sigma =
   sqrt(tau/eta)), sigma fixed, or for a minibatch B = eta/tau or a fixed
   B.  A minibatch problem without tau or B takes a fixed B = min(8, n), so
   every catalog problem runs with the default options.  */
static int
setup_scaling (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  int gave_b, st = setup_law (x, &gave_b);
  if (st)
    return st;
  const int have_tau = !isnan (o->tau), have_sigma = !isnan (o->sigma);
  const int slow = o->kind == SDE_EXPERIMENT_SLOW;
  if (have_tau && have_sigma && !slow)
    return sde_error (GSL_EINVAL, "tau: --tau and --sigma exclude each other");
  if (x->orc.law == SDE_ORACLE_MINIBATCH)
    {
      if (slow)
        return sde_error (GSL_EINVAL,
                          "noise: minibatch: the slow SDE needs a noise "
                          "covariance sigma^2 S S^T with fixed sigma; use "
                          "the problem's law");
      if (have_sigma)
        return sde_error (GSL_EINVAL,
                          "sigma: minibatch noise takes its scale from the "
                          "batch: give --noise=minibatch:B=N for a fixed "
                          "sigma = 1/sqrt(B)");
      if (gave_b && have_tau)
        return sde_error (GSL_EINVAL,
                          "tau: --noise=minibatch with B fixes sigma = "
                          "1/sqrt(B): drop --tau, or drop B to get B = "
                          "eta/tau");
      x->auto_batch = have_tau;
      if (!have_tau && !gave_b)
        x->orc.batch = x->pb->nsamples < 8 ? x->pb->nsamples : 8;
      x->tau = o->tau;
      return GSL_SUCCESS;
    }
  if (have_sigma && x->orc.law == SDE_ORACLE_NONE)
    return sde_error (GSL_EINVAL, "sigma: the noise law is none: there is no "
                                  "noise to scale");
  x->tau_scaling = !slow && !have_sigma;
  x->tau = have_tau ? o->tau : 0.5;
  x->sigma = o->sigma;
  return GSL_SUCCESS;
}

int
sde__xp_eta_noise (const sde_experiment *x, double eta, sde_oracle *o,
                   double *tau)
{
  *o = x->orc;
  const sde_problem *pb = x->pb;
  if (o->law == SDE_ORACLE_MINIBATCH)
    {
      const double n = (double)pb->nsamples;
      if (x->auto_batch)
        {
          const double B = eta / x->tau;
          if (fabs (B - round (B)) > 1e-9 * B || round (B) < 1 || round (B) > n)
            return sde_error (GSL_EINVAL,
                              "eta: minibatch B = eta/tau = %g at eta = %g is "
                              "not a whole number in [1, %g]",
                              B, eta, n);
          o->batch = (size_t)round (B);
        }
      const double B = (double)o->batch;
      *tau = eta / B * (o->replace ? 1.0 : (n - B) / (n - 1));
    }
  else if (x->tau_scaling)
    {
      o->sigma = sqrt (x->tau / eta);
      *tau = x->tau;
    }
  else
    {
      o->sigma = x->sigma;
      *tau = eta * x->sigma * x->sigma;
    }
  return GSL_SUCCESS;
}

/* ---- Methods ---- */

int
sde__xp_setup_methods (sde_experiment *x, const char *def)
{
  const sde_experiment_opts *o = &x->o;
  const char *s = o->methods ? o->methods : def;
  const char *M = sde__xp_name (x, "methods");
  if (s == NULL || *s == '\0')
    return sde_error (GSL_EINVAL, "%s: empty list", M);
  sde__clear_error ();
  while (*s)
    {
      if (x->nm == XP_MAXM)
        return sde_error (GSL_EINVAL, "%s: at most %d methods", M, XP_MAXM);
      sde_optim *m = &x->methods[x->nm];
      if (sde_optim_parse (m, &s))
        return refuse (GSL_EINVAL, M);
      for (size_t k = 0; k < x->nm; k++)
        if (strcmp (x->methods[k].spec, m->spec) == 0)
          return sde_error (GSL_EINVAL, "%s: %s appears twice", M, m->spec);
      /* --alpha: the family for momentum methods that fix no beta.  */
      if (m->type->family && !isnan (o->alpha) && isnan (m->beta)
          && isnan (m->alpha))
        {
          m->alpha = o->alpha;
          m->c = o->c;
          char buf[sizeof m->spec];
          snprintf (buf, sizeof buf, "%.180s%salpha=%s,c=%s", m->spec,
                    strchr (m->spec, ':') ? "," : ":", num (o->alpha),
                    num (o->c));
          memcpy (m->spec, buf, sizeof buf);
        }
      if (!isnan (m->lr) && o->kind != SDE_EXPERIMENT_SIMULATE)
        return sde_error (GSL_EINVAL,
                          "methods: %s fixes lr; in a sweep the rate comes "
                          "from --eta (lr = eta (1 - momentum))",
                          m->spec);
      if (m->wd != 0 && o->kind == SDE_EXPERIMENT_SLOW)
        return sde_error (GSL_EINVAL,
                          "methods: %s has weight decay, which moves the "
                          "minimizers off the manifold",
                          m->spec);
      x->nm++;
    }
  sde_schedule sch;
  sde__clear_error ();
  if (sde_schedule_parse (&sch, o->schedule))
    return refuse (GSL_EINVAL, "schedule");
  if (sch.kind == SDE_SCHEDULE_COSINE && sch.horizon == 0)
    sch.horizon = x->T;
  x->schedule = sch;
  for (size_t k = 0; k < x->nm; k++)
    x->methods[k].schedule = sch;
  return GSL_SUCCESS;
}

/* ---- Reference ---- */

static int
parse_method_reference (sde_experiment *x, const char *spec)
{
  const char *rest = spec;
  sde__clear_error ();
  if (sde_optim_parse (&x->refm, &rest))
    return refuse (GSL_EINVAL, "reference");
  if (*rest)
    return sde_error (GSL_EINVAL, "reference: %s: one method only",
                      sde_q (spec));
  if (!isnan (x->refm.lr))
    return sde_error (GSL_EINVAL,
                      "reference: %s: the rate comes from --eta, drop lr",
                      sde_q (spec));
  x->refm.schedule = x->schedule;
  x->ref = XP_REF_METHOD;
  return GSL_SUCCESS;
}

/* substeps=M or auto (the tool's initial 4, or 1 for the slow SDE).  */
static int
parse_substeps (sde_experiment *x, sde_spec *s, size_t first, size_t max)
{
  const char *sub = sde_spec_string (s, "substeps");
  x->auto_substeps = sub == NULL || strcmp (sub, "auto") == 0;
  x->substeps = first;
  if (x->auto_substeps)
    return GSL_SUCCESS;
  double v;
  if (sde_parse_double (sub, &v) || v != floor (v) || v < 1 || v > (double)max)
    return sde_error (GSL_EINVAL,
                      "reference: substeps=%s: use auto or a whole number in "
                      "[1, %zu]",
                      sde_q (sub), max);
  x->substeps = (size_t)v;
  return GSL_SUCCESS;
}

/* slow[:type=T,scheme=S]: projected Euler by default; a scheme other
   than em without a type takes the tangent form on a one-dimensional
   manifold, else the explicit one (decided in setup_manifold: slow_type
   NULL).  */
static int
parse_slow_scheme (sde_experiment *x, sde_spec *s)
{
  const char *ty = sde_spec_string (s, "type");
  const char *sch = sde_spec_string (s, "scheme");
  x->scheme = sde_stepper_type_find (sch ? sch : "em");
  if (x->scheme == NULL)
    return sde_error (GSL_EINVAL,
                      "reference: unknown scheme '%s' (em, weak-euler, "
                      "milstein, milstein-df or weak2)",
                      sde_q (sch));
  x->slow_scheme_named = sch != NULL;
  x->slow_type = sde_slow_type_find (ty ? ty : "projected");
  if (x->slow_type == NULL)
    return sde_error (GSL_EINVAL,
                      "reference: type=%s: use projected, explicit or tangent",
                      sde_q (ty));
  if (ty == NULL && x->scheme != sde_stepper_em)
    x->slow_type = NULL;
  if (x->slow_type == sde_slow_projected && x->scheme != sde_stepper_em)
    return sde_error (GSL_EINVAL,
                      "reference: type=projected is Euler-Maruyama followed "
                      "by Phi; scheme=%s needs type=explicit or tangent",
                      x->scheme->name);
  return GSL_SUCCESS;
}

static int
setup_reference (sde_experiment *x)
{
  const int slow = x->o.kind == SDE_EXPERIMENT_SLOW;
  const char *spec = x->o.reference ? x->o.reference
                     : slow         ? "slow:type=projected,substeps=auto"
                                    : "sme1:substeps=auto";
  sde_spec s;
  const char *rest = spec;
  sde__clear_error ();
  if (spec == NULL || sde_spec_parse (&s, &rest))
    return refuse (GSL_EINVAL, "reference");
  const int sde
      = slow ? strcmp (s.name, "slow") == 0
             : (strcmp (s.name, "sme1") == 0 || strcmp (s.name, "sme2") == 0
                || strcmp (s.name, "underdamped") == 0);
  if (!sde)
    return parse_method_reference (x, spec);
  if (*rest)
    return sde_error (GSL_EINVAL, "reference: unexpected '%s'", sde_q (rest));
  int st;
  if (slow)
    {
      x->ref = XP_REF_SLOW;
      if ((st = parse_slow_scheme (x, &s)))
        return st;
      st = parse_substeps (x, &s, 1, 4096);
    }
  else
    {
      x->ref = s.name[0] == 'u'   ? XP_REF_UNDERDAMPED
               : s.name[3] == '1' ? XP_REF_SME1
                                  : XP_REF_SME2;
      const char *sch = sde_spec_string (&s, "scheme");
      /* weak2 evaluates S(x) 4r + 1 times a substep: for state-dependent
         noise of many columns (a finite sum has r = n) the default is em.  */
      const int wide = x->pb->factor_const == NULL && x->pb->noise_dim > 8;
      x->scheme = sde_stepper_type_find (sch ? sch : wide ? "em" : "weak2");
      if (x->scheme == NULL)
        return sde_error (GSL_EINVAL,
                          "reference: unknown scheme '%s' (--list-schemes)",
                          sde_q (sch));
      x->udc = 1;
      if (x->ref == XP_REF_UNDERDAMPED
          && (st = sde_spec_double (&s, "c", 1, 0, 1e12, &x->udc)))
        return refuse (st, "reference");
      const char *m0 = sde_spec_string (&s, "m0");
      if (m0 && strcmp (m0, "0")
          && !(x->ref == XP_REF_UNDERDAMPED && strcmp (m0, "grad") == 0))
        return sde_error (GSL_EINVAL,
                          "reference: m0=%s (0, or grad for underdamped)",
                          sde_q (m0));
      x->ud_m0grad = m0 && strcmp (m0, "grad") == 0;
      st = parse_substeps (x, &s, 4, 1 << 16);
    }
  if (st)
    return st;
  return sde_spec_check_used (&s) ? refuse (GSL_EINVAL, "reference")
                                  : GSL_SUCCESS;
}

/* Weight decay wd makes the methods' limit that of L + wd |x|^2 / 2 (MATH.md
   3); one SDE serves them only when they share it.  The underdamped SDE
   starts at (x0, m0).  */
static int
setup_limit_problem (sde_experiment *x)
{
  if (x->ref == XP_REF_METHOD || x->ref == XP_REF_SLOW)
    return GSL_SUCCESS;
  for (size_t k = 1; k < x->nm; k++)
    if (x->methods[k].wd != x->methods[0].wd)
      return sde_error (GSL_EINVAL,
                        "methods: %s and %s have different weight decay, so "
                        "no one SDE is the limit of both (compare them with "
                        "--reference=METHOD)",
                        x->methods[0].spec, x->methods[k].spec);
  if (x->nm > 0 && x->methods[0].wd != 0)
    {
      sde__clear_error ();
      x->limpb = sde_problem_alloc_decay (x->pb, x->methods[0].wd);
      if (x->limpb == NULL)
        return refuse (GSL_EINVAL, "methods");
    }
  if (x->ref == XP_REF_SME2 && x->tau_scaling)
    return sde_error (GSL_EINVAL, "reference: sme2 is the fixed-sigma "
                                  "expansion: give --sigma (MATH.md 4.2)");
  if (x->ref != XP_REF_UNDERDAMPED)
    return GSL_SUCCESS;
  const size_t d = x->pb->dim;
  x->xud = calloc (2 * d, sizeof (double));
  if (x->xud == NULL)
    return sde_error (GSL_ENOMEM, "reference: out of memory");
  memcpy (x->xud, x->x0, sizeof (double) * d);
  if (x->ud_m0grad)
    {
      const sde_problem *gp = x->limpb ? x->limpb : x->pb;
      double *w = malloc (sizeof (double) * (gp->work + 1));
      if (w == NULL)
        return sde_error (GSL_ENOMEM, "reference: out of memory");
      int st = gp->grad (gp, 1, x->x0, x->xud + d, w);
      free (w);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

/* ---- The grid ---- */

/* Slow time per step: eta, or eta^2 near a manifold.  */
static double
time_step (const sde_experiment *x, double eta)
{
  return x->o.kind == SDE_EXPERIMENT_SLOW ? eta * eta : eta;
}

/* T / h as a whole number of steps, or 0 when it is not one.  */
static size_t
steps_of (double T, double h)
{
  const double n = T / h;
  /* Range first: llround of a huge ratio is undefined.  */
  if (!(n >= 0.5) || n > XP_MAXSTEPS)
    return 0;
  const size_t k = (size_t)llround (n);
  return fabs (n - (double)k) > 1e-9 * n ? 0 : k;
}

size_t
sde__xp_steps (const sde_experiment *x, double eta)
{
  return steps_of (x->T, time_step (x, eta));
}

size_t
sde__xp_checkpoints (const sde_experiment *x, double eta, size_t **out)
{
  const double h = time_step (x, eta);
  const size_t n = steps_of (x->T, h);
  const char *spec = x->o.checkpoints;
  *out = NULL;
  if (n == 0)
    return 0;
  if (strcmp (spec, "quarters") == 0)
    {
      /* The steps nearest T/4, T/2, 3T/4 and T, without repeats.  */
      if ((*out = malloc (sizeof (size_t) * 4)) == NULL)
        return 0;
      size_t m = 0;
      for (int i = 1; i <= 4; i++)
        {
          const size_t k = (size_t)llround ((double)n * i / 4.0);
          if (k >= 1 && (m == 0 || k > (*out)[m - 1]))
            (*out)[m++] = k;
        }
      return m;
    }
  if (strcmp (spec, "every") == 0)
    {
      /* Every step, or every s-th beyond XP_MAXCHECK (and the last): the
         sums kept per checkpoint must not grow with the steps.  */
      const size_t stride = (n + XP_MAXCHECK - 1) / XP_MAXCHECK;
      const size_t m = n / stride + (n % stride != 0);
      if ((*out = malloc (sizeof (size_t) * m)) == NULL)
        return 0;
      for (size_t k = 0; k < m; k++)
        (*out)[k] = k + 1 < m ? (k + 1) * stride : n;
      return m;
    }
  double t[256];
  sde_spec s;
  char buf[4200];
  size_t m = 0;
  snprintf (buf, sizeof buf, "c:t=%s", spec);
  const char *rest = buf;
  if (strlen (spec) > 4000 || sde_spec_parse (&s, &rest) || *rest
      || sde_spec_list (&s, "t", 0, x->T, t, 256, &m) || m == 0)
    return 0;
  if ((*out = malloc (sizeof (size_t) * m)) == NULL)
    return 0;
  for (size_t i = 0; i < m; i++)
    {
      const double k = t[i] / h;
      const size_t ki = (size_t)llround (k);
      if (fabs (k - (double)ki) > 1e-9 * (k > 1 ? k : 1) || ki == 0
          || (i && ki <= (*out)[i - 1]))
        {
          free (*out);
          *out = NULL;
          return 0;
        }
      (*out)[i] = ki;
    }
  return m;
}

/* Why the checkpoints at eta cannot be: for the message.  */
int
sde__xp_checkpoint_error (const sde_experiment *x, double eta)
{
  const double h = time_step (x, eta);
  const char *spec = x->o.checkpoints;
  const char *C = sde__xp_name (x, "checkpoints");
  if (strcmp (spec, "every") == 0 || strcmp (spec, "quarters") == 0)
    return sde_error (GSL_ENOMEM, "%s: out of memory", C);
  return sde_error (GSL_EINVAL,
                    "%s=%s: the times must increase within (0, %s] and each "
                    "be a multiple of the step %s",
                    C, sde_q (spec), num (x->T), num (h));
}

/* The resolved methods at eta, and the underdamped condition.  */
static int
check_methods_at (sde_experiment *x, double eta)
{
  for (size_t k = 0; k < x->nm; k++)
    {
      sde_optim t = x->methods[k];
      sde__clear_error ();
      if (sde_optim_set (&t, eta))
        return refuse (GSL_EINVAL, "methods");
      /* The underdamped SDE is the limit of momentum with 1 - beta = c eta
         only (MATH.md 4.3): against anything else the table would measure
         no convergence and claim order 1.  */
      const double omb = 1 - t.mom, want = x->udc * eta;
      if (x->ref == XP_REF_UNDERDAMPED && fabs (omb - want) > 1e-9 * want)
        return sde_error (GSL_EINVAL,
                          "reference: underdamped:c=%s is the limit of "
                          "momentum with 1 - beta = c eta (MATH.md 4.3), but "
                          "%s has 1 - beta = %s at eta = %s, not %s: use "
                          "sgdm:alpha=1,c=%s (or --alpha=1 --c=%s)",
                          num (x->udc), x->methods[k].spec, num (omb),
                          num (eta), num (want), num (x->udc), num (x->udc));
    }
  if (x->ref == XP_REF_METHOD)
    {
      sde_optim t = x->refm;
      sde__clear_error ();
      if (sde_optim_set (&t, eta))
        return refuse (GSL_EINVAL, "reference");
    }
  sde_oracle o;
  double tau;
  return sde__xp_eta_noise (x, eta, &o, &tau);
}

static int
setup_grid (sde_experiment *x)
{
  const char *spec = x->o.eta                           ? x->o.eta
                     : x->o.kind == SDE_EXPERIMENT_SLOW ? "2^-1:2^-7"
                                                        : "2^-3:2^-9";
  sde__clear_error ();
  x->neta = sde_weak_grid (spec, x->eta, XP_MAXETA);
  if (x->neta == 0)
    return refuse (GSL_EINVAL, "eta");
  for (size_t i = 0; i < x->neta; i++)
    {
      const double eta = x->eta[i], h = time_step (x, eta);
      const double n = x->T / h;
      if (h > x->T)
        return sde_error (GSL_EINVAL, "eta=%s is larger than the horizon %s",
                          num (eta), num (x->T));
      if (n > XP_MAXSTEPS)
        return sde_error (GSL_EINVAL,
                          "eta=%s: the horizon %s takes %.3g steps, more "
                          "than 2^40",
                          num (eta), num (x->T), n);
      if (sde__xp_steps (x, eta) == 0)
        return sde_error (GSL_EINVAL,
                          "eta=%s: %s does not divide the horizon %s (T/h = "
                          "%.6g)",
                          num (eta),
                          x->o.kind == SDE_EXPERIMENT_SLOW ? "eta^2" : "eta",
                          num (x->T), n);
      size_t *chk;
      if (sde__xp_checkpoints (x, eta, &chk) == 0)
        return sde__xp_checkpoint_error (x, eta);
      free (chk);
      int st = check_methods_at (x, eta);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

static int
setup_observables (sde_experiment *x)
{
  const char *list = x->o.observables                   ? x->o.observables
                     : x->o.kind == SDE_EXPERIMENT_SLOW ? "x0"
                                                        : "norm2";
  sde__clear_error ();
  const int n
      = sde_observable_parse (list, x->pb->dim, x->pb, x->obs, SDE_WEAK_MAXOBS);
  if (n < 0)
    return refuse (GSL_EINVAL, "observable");
  x->nobs = (size_t)n;
  return GSL_SUCCESS;
}

/* ---- The reference SDE ---- */

static double
schedule_lambda (double t, const void *p)
{
  return sde_schedule_factor (p, t);
}

int
sde__xp_limit (sde_experiment *x, double eta, double tau)
{
  x->lim = (sde_limit){ .kind = x->ref == XP_REF_SME1   ? SDE_LIMIT_SME1
                                : x->ref == XP_REF_SME2 ? SDE_LIMIT_SME2
                                                        : SDE_LIMIT_UNDERDAMPED,
                        .prob = x->limpb ? x->limpb : x->pb,
                        .tau = tau,
                        .eta = eta,
                        .c = x->udc };
  if (x->schedule.kind != SDE_SCHEDULE_CONSTANT)
    {
      x->lim.lambda = schedule_lambda;
      x->lim.lambda_params = &x->schedule;
    }
  return sde_system_limit (&x->sys, &x->lim);
}

/* Whether the reference's scheme applies to its SDE: a usage error before
   any output (Milstein on noise that is not known to commute).  */
int
sde__xp_check_scheme (sde_experiment *x, const char *setting)
{
  const sde_system *sys = &x->sys;
  const sde_stepper_type *T = x->scheme;
  const unsigned commuting
      = SDE_NOISE_DIAGONAL | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE;
  if ((T->needs & SDE_STEPPER_COMMUTATIVE) && sys->noise_dim > 1
      && !(sys->noise & commuting))
    return sde_error (GSL_EINVAL,
                      "%s: %s needs commutative noise, and this SDE's %zu "
                      "noise columns are not known to commute (Levy areas "
                      "are not implemented): use em, weak-euler or weak2",
                      setting, T->name, sys->noise_dim);
  sde__clear_error ();
  sde_stepper *probe = sde_stepper_alloc (T, sys, 1);
  if (probe == NULL)
    return refuse (GSL_EINVAL, setting);
  sde_stepper_free (probe);
  return GSL_SUCCESS;
}

/* ---- Near a manifold ---- */

/* The slow reference's scheme: its noise condition, then one trial step
   from Phi(x0), so that a scheme that evaluates the coefficients where
   the form does not define them (the explicit form off the manifold) is
   refused before any work.  */
static int
check_slow_scheme (sde_experiment *x)
{
  char setting[64];
  snprintf (setting, sizeof setting, "reference: type=%s, scheme=%s",
            x->slow_type->name, x->scheme->name);
  const unsigned commuting
      = SDE_NOISE_DIAGONAL | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE;
  if ((x->scheme->needs & SDE_STEPPER_COMMUTATIVE) && x->sys.noise_dim > 1
      && !(x->sys.noise & commuting))
    return sde_error (GSL_EINVAL,
                      "%s: %s needs commutative noise, and the explicit "
                      "form's %zu ambient columns P sigma S are not in "
                      "general (Levy areas are not implemented): on a "
                      "one-dimensional manifold use type=tangent, whose "
                      "noise is scalar",
                      setting, x->scheme->name, x->sys.noise_dim);
  int st = sde__xp_check_scheme (x, setting);
  if (st)
    return st;
  sde_stepper *s = sde_stepper_alloc (x->scheme, &x->sys, 1);
  if (s == NULL)
    return refuse (GSL_EINVAL, setting);
  const size_t d = x->sys.dim, r = x->sys.noise_dim;
  const size_t na = sde_stepper_aux (s);
  double z[64], dw[64], aux[256];
  const double h = 1.0 / 64;
  memcpy (z, x->z0, sizeof (double) * d);
  for (size_t j = 0; j < r && j < 64; j++)
    dw[j] = (j % 2 ? -0.5 : 1.0) * sqrt (h);
  for (size_t j = 0; j < na && j < 256; j++)
    aux[j] = j % 2 ? -h : h;
  sde__clear_error ();
  st = r <= 64 && na <= 256 ? sde_stepper_apply (s, 0, h, 1, z, dw, aux)
                            : GSL_SUCCESS;
  sde_stepper_free (s);
  if (st)
    return sde_error (GSL_EINVAL,
                      "%s: a trial step fails (%s): the scheme evaluates "
                      "the coefficients off the manifold, where the "
                      "explicit form has no tangent space; use "
                      "type=tangent",
                      setting, sde__last_error (st));
  return GSL_SUCCESS;
}

static int
setup_manifold (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  const char *popt = o->loss ? "loss" : "problem";
  if (x->pb->dim > 64)
    return sde_error (GSL_EINVAL,
                      "%s: the slow SDE handles at most 64 dimensions (%s "
                      "has %zu)",
                      popt, sde_q (sde_problem_spec (x->pb)), x->pb->dim);
  sde_manifold_opts mo;
  sde_manifold_defaults (&mo);
  mo.sigma = x->sigma;
  mo.gtol = o->gtol;
  mo.max_steps = o->phi_steps;
  if (o->phi && strcmp (o->phi, "auto") && strcmp (o->phi, "flow")
      && strcmp (o->phi, "bdf"))
    return sde_error (GSL_EINVAL, "phi=%s: use auto, flow or bdf",
                      sde_q (o->phi));
  mo.bdf = o->phi && strcmp (o->phi, "bdf") == 0;
  mo.flow = mo.bdf || (o->phi && strcmp (o->phi, "flow") == 0);
  sde__clear_error ();
  x->man = sde_manifold_alloc (x->pb, x->x0, &mo);
  if (x->man == NULL && sde__last_code () == GSL_ENOMEM)
    return GSL_ENOMEM; /* reported */
  if (x->man == NULL)
    return sde_error (GSL_EINVAL, "%s=%s, x0: %s", popt,
                      sde_q (sde_problem_spec (x->pb)),
                      sde__last_error (GSL_EINVAL));
  sde__clear_error ();
  if (sde_manifold_phi (x->man, x->x0, x->z0, NULL))
    return refuse (GSL_EINVAL, "x0");
  if (x->ref != XP_REF_SLOW)
    return GSL_SUCCESS;
  if (x->slow_type == NULL)
    x->slow_type
        = sde_manifold_dim (x->man) == 1 ? sde_slow_tangent : sde_slow_explicit;
  sde__clear_error ();
  double dr[64];
  if (sde_slow_system (&x->sys, x->slow_type, x->man)
      || sde_manifold_geometry (x->man, x->z0, NULL, NULL, dr))
    return refuse (GSL_EINVAL, "reference");
  return x->scheme == sde_stepper_em ? GSL_SUCCESS : check_slow_scheme (x);
}

/* ---- Engines ---- */

/* Whether the exact engine applies, with the reason into x->engine_why
   when not.  */
static int
exact_applies (sde_experiment *x)
{
  char *why = x->engine_why;
  const size_t len = sizeof x->engine_why;
  if (x->o.kind == SDE_EXPERIMENT_SLOW)
    return snprintf (why, len, "the slow SDE"), 0;
  if (!sde_exact_applies (x->pb, x->orc.law, x->obs, x->nobs, why, len))
    return 0;
  for (size_t k = 0; k < x->nm; k++)
    if (x->methods[k].wd != 0)
      return snprintf (why, len, "weight decay"), 0;
  if (x->ref == XP_REF_METHOD && x->refm.wd != 0)
    return snprintf (why, len, "weight decay in the reference"), 0;
  if (x->ref == XP_REF_SME1 && x->schedule.kind != SDE_SCHEDULE_CONSTANT
      && x->schedule.kind != SDE_SCHEDULE_STEP)
    return snprintf (why, len, "SME-1 with a %s schedule",
                     x->schedule.kind == SDE_SCHEDULE_COSINE ? "cosine"
                                                             : "table"),
           0;
  return 1;
}

static int
density_applies (sde_experiment *x, char *why, size_t len)
{
  if (x->o.kind == SDE_EXPERIMENT_SLOW)
    return snprintf (why, len, "the slow SDE"), 0;
  if (!sde_density_applies (x->pb, x->orc.law, x->methods, x->nm, why, len))
    return 0;
  if (x->ref != XP_REF_SME1 && x->ref != XP_REF_SME2)
    return snprintf (why, len, "the reference is not SME-1 or SME-2"), 0;
  if (x->schedule.kind != SDE_SCHEDULE_CONSTANT)
    return snprintf (why, len, "a schedule"), 0;
  if (x->limpb)
    return snprintf (why, len, "weight decay"), 0;
  return 1;
}

static int
parse_grid (sde_experiment *x)
{
  double g[3];
  sde_spec s;
  char buf[300];
  size_t n = 0;
  const char *spec = x->o.density_grid ? x->o.density_grid : "0:0:0";
  snprintf (buf, sizeof buf, "g:v=%.250s", spec);
  for (char *q = buf; *q; q++)
    if (*q == ':' && q > buf + 3)
      *q = ',';
  const char *rest = buf;
  if (strlen (spec) > 250 || sde_spec_parse (&s, &rest) || *rest
      || sde_spec_list (&s, "v", -1e12, 1e12, g, 3, &n) || n != 3
      || (g[2] != 0 && (g[2] < 16 || g[2] != floor (g[2])))
      || ((g[0] != 0 || g[1] != 0) && !(g[1] > g[0])))
    return sde_error (GSL_EINVAL,
                      "density-grid=%s: use LO:HI:N with LO < HI and N >= 16 "
                      "(0:0:0 for automatic)",
                      sde_q (spec));
  x->grid0 = (sde_density_grid){ .lo = g[0], .hi = g[1], .n = (size_t)g[2] };
  return GSL_SUCCESS;
}

/* Near a manifold the reference may be the slow SDE's law on a grid
   (density_slow.h): the methods' errors then carry only their own Monte
   Carlo noise and no reference error.  */
static int
setup_slow_engine (sde_experiment *x, const char *engine)
{
  if (strcmp (engine, "exact") == 0)
    return sde_error (GSL_EINVAL, "engine=exact: not near a manifold (use "
                                  "auto, mc or density)");
  char why[300] = "";
  int ok = x->ref == XP_REF_SLOW;
  if (!ok)
    snprintf (why, sizeof why, "the reference is a method");
  else
    ok = sde_slow_density_applies (x->man, why, sizeof why);
  if (strcmp (engine, "density") == 0 && !ok)
    return sde_error (GSL_EINVAL, "engine=density: %s (use --engine=mc)", why);
  if (ok && x->slow_scheme_named && strcmp (engine, "auto") == 0)
    {
      ok = 0;
      snprintf (why, sizeof why,
                "the reference names a scheme (%s), which Monte Carlo runs",
                x->scheme->name);
    }
  snprintf (x->engine_why, sizeof x->engine_why, "%s", why);
  if (!ok || strcmp (engine, "mc") == 0)
    return GSL_SUCCESS;
  sde__clear_error ();
  x->sd = sde_slow_density_alloc (x->man, x->x0, NULL);
  if (x->sd == NULL)
    {
      if (sde__last_code () == GSL_ENOMEM)
        return GSL_ENOMEM; /* reported; no reason to fall back */
      if (strcmp (engine, "density") == 0)
        return refuse (GSL_EINVAL, "engine=density");
      snprintf (x->engine_why, sizeof x->engine_why, "%s",
                sde__last_error (GSL_EINVAL));
      return GSL_SUCCESS;
    }
  /* A trial over the horizon, so that auto falls back to Monte Carlo
     before any row rather than failing on the first eta.  */
  enum
  {
    NTRIAL = 32
  };
  double t[NTRIAL], *val = malloc (sizeof (double) * 2 * NTRIAL * x->nobs);
  if (val == NULL)
    return sde_error (GSL_ENOMEM, "out of memory");
  for (size_t k = 0; k < NTRIAL; k++)
    t[k] = x->o.horizon * (double)(k + 1) / NTRIAL;
  int st = sde_slow_density_expect (x->sd, t, NTRIAL, x->obs, x->nobs, val,
                                    val + NTRIAL * x->nobs);
  free (val);
  if (st == GSL_ENOMEM)
    return st;
  if (st)
    {
      if (strcmp (engine, "density") == 0)
        return refuse (st, "engine=density");
      snprintf (x->engine_why, sizeof x->engine_why, "%s",
                sde__last_error (st));
      sde_slow_density_free (x->sd);
      x->sd = NULL;
    }
  return GSL_SUCCESS;
}

static int
setup_engine (sde_experiment *x)
{
  const char *engine = x->o.engine ? x->o.engine : "auto";
  int st;
  if (strcmp (engine, "auto") && strcmp (engine, "mc")
      && strcmp (engine, "exact") && strcmp (engine, "density"))
    return sde_error (GSL_EINVAL, "engine=%s: use auto, mc, exact or density",
                      sde_q (engine));
  if ((st = parse_grid (x)))
    return st;
  if (x->o.kind == SDE_EXPERIMENT_SLOW)
    {
      x->coupled
          = x->o.estimator == NULL || strcmp (x->o.estimator, "coupled") == 0;
      x->engine = XP_ENGINE_MC;
      return setup_slow_engine (x, engine);
    }
  if (x->o.estimator && strcmp (x->o.estimator, "coupled")
      && strcmp (x->o.estimator, "independent"))
    return sde_error (GSL_EINVAL, "estimator=%s: use coupled or independent",
                      sde_q (x->o.estimator));
  x->coupled
      = x->o.estimator == NULL || strcmp (x->o.estimator, "coupled") == 0;
  const int exact = exact_applies (x);
  if (strcmp (engine, "exact") == 0 && !exact)
    return sde_error (GSL_EINVAL, "engine=exact: %s (use --engine=mc)",
                      x->engine_why);
  char dwhy[300] = "";
  const int dens = density_applies (x, dwhy, sizeof dwhy);
  if (strcmp (engine, "density") == 0 && !dens)
    return sde_error (GSL_EINVAL, "engine=density: %s (use --engine=mc)", dwhy);
  x->engine = XP_ENGINE_MC;
  if (exact && strcmp (engine, "mc") && strcmp (engine, "density"))
    x->engine = XP_ENGINE_EXACT;
  else if (dens && strcmp (engine, "mc"))
    x->engine = XP_ENGINE_DENSITY;
  /* The reference SDE and its scheme, built now at the first eta, so a
     combination the library refuses is an error before any output (the
     schedule and the noise do not change with eta).  */
  if (x->ref == XP_REF_SLOW || x->ref == XP_REF_METHOD)
    return GSL_SUCCESS;
  sde_oracle o;
  double tau;
  if ((st = sde__xp_eta_noise (x, x->eta[0], &o, &tau)))
    return st;
  sde__clear_error ();
  if (sde__xp_limit (x, x->eta[0], tau))
    return sde_error (
        GSL_EINVAL, "reference=%s%s%s: %s",
        x->ref == XP_REF_SME1   ? "sme1"
        : x->ref == XP_REF_SME2 ? "sme2"
                                : "underdamped",
        x->schedule.kind != SDE_SCHEDULE_CONSTANT ? " with --schedule=" : "",
        x->schedule.kind != SDE_SCHEDULE_CONSTANT ? x->schedule.spec : "",
        sde__last_error (GSL_EINVAL));
  return x->engine == XP_ENGINE_MC ? sde__xp_check_scheme (x, "reference")
                                   : GSL_SUCCESS;
}

/* The work asked for, before any: path-steps of the first batch (pilot
   included), or a thousand grid points per step for the engines without
   paths.  */
static int
check_cost (sde_experiment *x)
{
  double cost = 0;
  const double per_eta
      = (double)x->nm
        + (x->ref == XP_REF_METHOD ? 1.0 : 3.0 * (double)x->substeps);
  for (size_t i = 0; i < x->neta; i++)
    cost += x->T / time_step (x, x->eta[i])
            * (x->engine == XP_ENGINE_MC ? 1.25 * (double)x->o.paths : 1000.0)
            * per_eta;
  if (cost > XP_MAXCOST)
    return sde_error (GSL_EINVAL,
                      "paths: the run needs about %.3g path-steps (paths x "
                      "steps x "
                      "processes x substeps), over %.0f days on one core at "
                      "10^8 a second: refused (lower --paths or the horizon, "
                      "or raise eta)",
                      cost, cost / 1e8 / 86400);
  return GSL_SUCCESS;
}

/* ---- Theory (MATH.md 4) ---- */

static void
set_theory (sde_experiment *x)
{
  for (size_t k = 0; k < x->nm; k++)
    {
      const sde_optim *m = &x->methods[k];
      /* Plain SGD has the theorems of MATH.md 4; a momentum family Theorem
         3.5's bound; a type that is neither, no claim.  */
      const int sgd = m->type->plain, family = m->type->family;
      const double alpha = !isnan (m->alpha) ? m->alpha : 0.0;
      double p = NAN;
      const char *kind = "";
      switch (x->ref)
        {
        case XP_REF_SME1:
          if (sgd)
            p = 1, kind = "exact";
          else if (family)
            p = fmin (1.0, (1 - alpha) / 2),
            kind = alpha < 1 ? "bound" : "none";
          break;
        case XP_REF_SME2:
          if (sgd)
            p = 2, kind = "exact";
          break;
        case XP_REF_UNDERDAMPED:
          p = 1, kind = "ours";
          break;
        case XP_REF_METHOD:
          if (family && x->refm.type->plain)
            p = (1 - alpha) / 2, kind = alpha < 1 ? "bound" : "none";
          break;
        case XP_REF_SLOW:
          /* Theorem 4.5 proves convergence, not a rate: the table measures
             it.  */
          break;
        }
      x->theory[k] = p;
      x->theory_kind[k] = kind;
    }
}

/* ---- Provenance ---- */

static const char *
ref_name (const sde_experiment *x)
{
  switch (x->ref)
    {
    case XP_REF_SME1:
      return "SME-1";
    case XP_REF_SME2:
      return "SME-2";
    case XP_REF_UNDERDAMPED:
      return "the underdamped SDE";
    case XP_REF_SLOW:
      return "the slow SDE";
    default:
      return x->refm.spec;
    }
}

static void
noise_meta (sde_experiment *x)
{
  const sde_oracle *o = &x->orc;
  if (x->o.kind == SDE_EXPERIMENT_SLOW)
    sde__xp_meta (x, "noise",
                  "%s, sigma = %s held fixed; time t = k eta^2 (slow time)",
                  sde_oracle_law_name (o->law), num (x->sigma));
  else if (o->law == SDE_ORACLE_MINIBATCH)
    {
      char b[32];
      snprintf (b, sizeof b, "%zu", o->batch);
      sde__xp_meta (x, "noise", "minibatch, %s, B = %s",
                    o->replace ? "with replacement" : "without replacement",
                    x->auto_batch ? "eta/tau" : b);
      if (x->auto_batch)
        sde__xp_meta (x, "scaling",
                      "tau = %s held fixed (SDE scaling: B = "
                      "eta/tau)",
                      num (x->tau));
      else
        sde__xp_meta (x, "scaling",
                      "B = %zu held fixed: sigma = 1/sqrt(B), tau = eta/B "
                      "(%s)",
                      o->batch,
                      x->o.noise ? "as given"
                                 : "the default for minibatch "
                                   "noise; --tau=T for B = eta/T");
    }
  else
    {
      sde__xp_meta (x, "noise", "%s, %s", sde_oracle_law_name (o->law),
                    x->tau_scaling ? "sigma = sqrt(tau/eta)" : "sigma fixed");
      if (x->tau_scaling)
        sde__xp_meta (x, "scaling", "tau = %s held fixed (SDE scaling)",
                      num (x->tau));
      else
        sde__xp_meta (x, "scaling", "sigma = %s held fixed (tau = eta sigma^2)",
                      num (x->sigma));
    }
}

static void
reference_meta (sde_experiment *x)
{
  if (x->ref == XP_REF_METHOD)
    sde__xp_meta (x, "reference", "%s%s", x->refm.spec,
                  x->man ? ", observed at Phi" : "");
  else if (x->ref == XP_REF_SLOW && x->sd)
    sde__xp_meta (x, "reference",
                  "slow SDE, by the density engine (its law on the curve "
                  "on a self-refined grid: no sampling error, each value's "
                  "error estimate <= 1e-9)");
  else if (x->ref == XP_REF_SLOW && x->scheme != sde_stepper_em)
    {
      char so[64] = "no strong order";
      if (x->scheme->strong_order > 0)
        snprintf (so, sizeof so, "strong order %g%s", x->scheme->strong_order,
                  x->slow_type == sde_slow_tangent ? " in its tangent noise"
                                                   : "");
      sde__xp_meta (x, "reference",
                    "slow SDE, %s form, scheme %s (%s, weak order %g; "
                    "re-projected by Phi), substeps %s",
                    x->slow_type->name, x->scheme->name, so,
                    fmin (x->scheme->weak_order, 1),
                    x->auto_substeps ? "auto (from 1)" : "fixed");
    }
  else if (x->ref == XP_REF_SLOW)
    sde__xp_meta (x, "reference",
                  "slow SDE, %s (Euler-Maruyama, re-projected by Phi), "
                  "substeps %s",
                  x->slow_type->name,
                  x->auto_substeps ? "auto (from 1)" : "fixed");
  else if (x->engine != XP_ENGINE_MC)
    sde__xp_meta (x, "reference", "%s, solved by the %s engine",
                  x->ref == XP_REF_SME1   ? "SME-1"
                  : x->ref == XP_REF_SME2 ? "SME-2"
                                          : "underdamped SDE",
                  x->engine == XP_ENGINE_EXACT ? "exact" : "density");
  else
    {
      char sub[32];
      snprintf (sub, sizeof sub, "auto (from %zu)", x->substeps);
      sde__xp_meta (x, "reference", "%s, scheme %s, substeps %s",
                    x->ref == XP_REF_SME1   ? "SME-1"
                    : x->ref == XP_REF_SME2 ? "SME-2"
                                            : "underdamped SDE",
                    x->scheme->name, x->auto_substeps ? sub : "fixed");
    }
}

void
sde__xp_engine_meta (sde_experiment *x, const char *refused)
{
  const int automatic = x->engine_auto;
  if (x->engine == XP_ENGINE_EXACT)
    sde__xp_meta (x, "engine",
                  "exact (linear-Gaussian moments, no sampling error)%s",
                  automatic ? ": picked by --engine=auto" : "");
  else if (x->engine == XP_ENGINE_DENSITY)
    sde__xp_meta (x, "engine",
                  "density (the law on a grid, no sampling "
                  "error)%s",
                  automatic ? ": picked by --engine=auto" : "");
  else if (refused)
    sde__xp_meta (x, "engine",
                  "mc (Monte Carlo), by --engine=auto: the density engine "
                  "cannot vouch for its numbers: %.400s",
                  refused);
  else if (x->o.kind == SDE_EXPERIMENT_SLOW)
    sde__xp_meta (x, "engine", "mc for the methods; the reference %s%s%s",
                  x->sd ? "by the density engine"
                        : "by Monte Carlo (density engine: ",
                  x->sd ? "" : x->engine_why, x->sd ? "" : ")");
  else
    sde__xp_meta (x, "engine", "mc (Monte Carlo)%s%s%s",
                  automatic && x->o.kind != SDE_EXPERIMENT_SLOW
                      ? "; auto: exact does not apply ("
                      : "",
                  automatic && x->o.kind != SDE_EXPERIMENT_SLOW ? x->engine_why
                                                                : "",
                  automatic && x->o.kind != SDE_EXPERIMENT_SLOW ? ")" : "");
  reference_meta (x);
  if (x->engine == XP_ENGINE_MC)
    sde__xp_meta (x, "estimator", "%s",
                  x->sd         ? "each method's own paths against the exact "
                                  "reference"
                  : !x->coupled ? "independent samples"
                  : x->orc.law == SDE_ORACLE_GAUSSIAN
                          || x->o.kind != SDE_EXPERIMENT_SLOW
                      ? "coupled: common Brownian path"
                      : "independent samples (the oracle is not Gaussian)");
  if (x->engine != XP_ENGINE_MC)
    sde__xp_meta (x, "paths", "none: the %s engine has no sampling error",
                  x->engine == XP_ENGINE_EXACT ? "exact" : "density");
  else if (x->o.target_ci > 0)
    sde__xp_meta (x, "paths",
                  "%llu, up to %llu until 1.96 SE <= %s |e|; t_max picked on a "
                  "pilot of %s",
                  (unsigned long long)x->o.paths,
                  (unsigned long long)x->o.max_paths, num (x->o.target_ci),
                  x->o.pilot ? num ((double)x->o.pilot) : "paths/4");
  else
    sde__xp_meta (x, "paths", "%llu per eta; t_max picked on a pilot of %s",
                  (unsigned long long)x->o.paths,
                  x->o.pilot ? num ((double)x->o.pilot) : "paths/4");
}

/* The burn-in from an x0 off the manifold: the steps gradient descent at
   rate eta takes to cut |grad L| a thousandfold (0 when it does not
   within the horizon).  */
static uint64_t
burn_in (const sde_problem *pb, const double *x0, double eta, uint64_t kmax,
         double *w)
{
  double x[64], g[64], g0 = 0;
  memcpy (x, x0, sizeof (double) * pb->dim);
  for (uint64_t k = 0; k < kmax; k++)
    {
      if (pb->grad (pb, 1, x, g, w))
        return 0;
      double s = 0;
      for (size_t i = 0; i < pb->dim; i++)
        s += g[i] * g[i];
      if (k == 0)
        g0 = sqrt (s);
      if (sqrt (s) <= 1e-3 * g0 || !isfinite (s))
        return isfinite (s) ? k : 0;
      for (size_t i = 0; i < pb->dim; i++)
        x[i] -= eta * g[i];
    }
  return 0;
}

static int
start_meta (sde_experiment *x)
{
  const sde_problem *pb = x->pb;
  int off = 0;
  for (size_t i = 0; i < pb->dim; i++)
    off |= fabs (x->x0[i] - x->z0[i]) > 1e-9 * (1 + fabs (x->z0[i]));
  if (!off)
    return sde__xp_meta (x, "start", "x0 is on the manifold");
  double *w = malloc (sizeof (double) * (pb->work + 8));
  if (w == NULL)
    return sde_error (GSL_ENOMEM, "out of memory");
  char buf[1200];
  int n = snprintf (buf, sizeof buf,
                    "x0 is off the manifold; the slow SDE starts at Phi(x0) "
                    "= (");
  for (size_t i = 0; i < pb->dim && n < 700; i++)
    n += snprintf (buf + n, sizeof buf - (size_t)n, "%s%.6g", i ? ", " : "",
                   x->z0[i] + 0.0); /* + 0.0: no "-0" */
  n += snprintf (buf + n, sizeof buf - (size_t)n, "); burn-in");
  for (size_t i = 0; i < x->neta && n < 1000; i++)
    {
      const double eta = x->eta[i];
      const uint64_t K
          = burn_in (pb, x->x0, eta, (uint64_t)llround (x->T / (eta * eta)), w);
      n += snprintf (buf + n, sizeof buf - (size_t)n,
                     "%s eta=%s: ", i ? ";" : "", num (eta));
      n += K ? snprintf (buf + n, sizeof buf - (size_t)n,
                         "%llu steps (slow time %.3g)", (unsigned long long)K,
                         (double)K * eta * eta)
             : snprintf (buf + n, sizeof buf - (size_t)n,
                         "longer than the horizon");
    }
  free (w);
  return sde__xp_meta (x, "start", "%s", buf);
}

static int
build_meta (sde_experiment *x)
{
  sde__xp_meta (x, "sdekit", "%s", PACKAGE_VERSION);
  sde__xp_meta (x, "seed", "%llu", (unsigned long long)x->o.seed);
  sde__xp_meta (x, "problem", "%s", sde_problem_spec (x->pb));
  if (x->o.x0 && !x->o.loss)
    sde__xp_meta (x, "x0", "%s", x->o.x0); /* in place of the spec's */
  if (x->limpb)
    sde__xp_meta (x, "limit", "%s", sde_problem_spec (x->limpb));
  noise_meta (x);
  if (x->man)
    {
      sde_manifold_opts d;
      sde_manifold_defaults (&d);
      const int bdf = x->o.phi && strcmp (x->o.phi, "bdf") == 0;
      const int flow = bdf || (x->o.phi && strcmp (x->o.phi, "flow") == 0);
      if (x->pb->phi && !flow)
        sde__xp_meta (x, "manifold",
                      "dimension %zu in R^%zu; Phi by the "
                      "closed form",
                      sde_manifold_dim (x->man), x->pb->dim);
      else if (bdf)
        sde__xp_meta (x, "manifold",
                      "dimension %zu in R^%zu; Phi by GSL's BDF gradient "
                      "flow (|grad L| <= %s, at most %llu flow steps)",
                      sde_manifold_dim (x->man), x->pb->dim, num (x->o.gtol),
                      (unsigned long long)x->o.phi_steps);
      else
        sde__xp_meta (x, "manifold",
                      "dimension %zu in R^%zu; Phi by Newton's method on "
                      "grad L = 0 in the normal space with Phi's "
                      "second-order term (|grad L| <= %s), its error "
                      "held to %s |x - Gamma|^2 + %s: checked by a flow "
                      "step (in blocks, on the 1 path in 64 farthest from "
                      "Gamma, and the others by the error coefficient "
                      "those give, 10x safety), "
                      "after the gradient flow (Dormand-Prince 5(4), local "
                      "error <= %s of each step, at most %llu steps) where "
                      "needed",
                      sde_manifold_dim (x->man), x->pb->dim, num (x->o.gtol),
                      num (d.ptol), num (SDE_MANIFOLD_PATOL), num (d.rtol),
                      (unsigned long long)x->o.phi_steps);
    }
  sde__xp_engine_meta (x, NULL);
  const char *chk = x->o.checkpoints;
  if (x->o.kind == SDE_EXPERIMENT_SLOW)
    sde__xp_meta (x, "time",
                  "slow-time horizon %s (t / eta^2 steps), checkpoints %s",
                  num (x->T), chk);
  else
    sde__xp_meta (
        x, "time", "horizon %s, checkpoints %s%s, schedule %s", num (x->T),
        strcmp (chk, "every") == 0 ? "at every step" : chk,
        strcmp (chk, "every") == 0 ? " (every k-th step beyond 4096 steps)"
                                   : "",
        x->schedule.spec);
  int st = x->man ? start_meta (x) : GSL_SUCCESS;
  return st ? st : x->nomem ? GSL_ENOMEM : GSL_SUCCESS;
}

/* ---- The object ---- */

static int
check_numbers (const sde_experiment_opts *o)
{
  if (!(o->horizon > 0) || !(o->horizon <= (o->kind ? 1e6 : 1e9)))
    return sde_error (GSL_EINVAL, "horizon=%s: must be in (0, %s]",
                      num (o->horizon), o->kind ? "1e6" : "1e9");
  if (o->paths < 2 || o->paths > (UINT64_C (1) << 32))
    return sde_error (GSL_EINVAL, "paths=%llu: must be in [2, 2^32]",
                      (unsigned long long)o->paths);
  if (!(o->target_ci >= 0) || o->target_ci > 1e6)
    return sde_error (GSL_EINVAL, "target-ci=%s: must be in [0, 1e6]",
                      num (o->target_ci));
  if (!(o->bound > 0))
    return sde_error (GSL_EINVAL, "bound: must be positive");
  if (!isnan (o->tau) && !(o->tau > 0))
    return sde_error (GSL_EINVAL, "tau=%s: must be positive", num (o->tau));
  if (!isnan (o->sigma) && !(o->sigma >= 0))
    return sde_error (GSL_EINVAL, "sigma=%s: must be >= 0", num (o->sigma));
  if (!isnan (o->alpha) && !(o->alpha >= 0 && o->alpha <= 1))
    return sde_error (GSL_EINVAL, "alpha=%s: must be in [0, 1]",
                      num (o->alpha));
  if (!(o->max_seconds >= 0))
    return sde_error (GSL_EINVAL, "max-seconds: must be >= 0");
  if (o->chunk > 65536)
    return sde_error (GSL_EINVAL, "chunk=%zu: must be at most 65536", o->chunk);
  return GSL_SUCCESS;
}

sde_experiment *
sde_experiment_alloc (const sde_experiment_opts *o)
{
  sde__clear_error (); /* sde__last_code concerns this call */
  sde_experiment *x = calloc (1, sizeof *x);
  if (x == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for an experiment"), NULL;
  x->o = *o;
  x->T = o->horizon;
  if (x->o.max_paths < x->o.paths && x->o.target_ci > 0)
    x->o.max_paths = x->o.paths;
  x->engine_auto = o->engine == NULL || strcmp (o->engine, "auto") == 0;
  /* The one setting read after alloc returns: kept.  */
  x->spec_checkpoints
      = strdup (o->checkpoints                       ? o->checkpoints
                : o->kind == SDE_EXPERIMENT_SIMULATE ? "quarters"
                                                     : "every");
  x->o.checkpoints = x->spec_checkpoints;
  int st = x->spec_checkpoints
               ? check_numbers (o)
               : sde_error (GSL_ENOMEM, "out of memory for an experiment");
  if (!st && o->kind == SDE_EXPERIMENT_SIMULATE)
    {
      if (!(st = sde__xp_setup_sim (x)))
        st = sde__xp_sim_meta (x);
      goto done;
    }
  if (!st && o->kind == SDE_EXPERIMENT_ORDER)
    {
      st = sde__xp_setup_order (x);
      goto done;
    }
  if (!st)
    st = sde__xp_setup_problem (x);
  if (!st)
    st = setup_scaling (x);
  if (!st)
    st = sde__xp_setup_methods (x, "sgd,sgdm:beta=0.9");
  if (!st)
    st = setup_reference (x);
  if (!st)
    st = setup_limit_problem (x);
  if (!st)
    st = setup_grid (x);
  if (!st)
    st = setup_observables (x);
  if (!st && o->kind == SDE_EXPERIMENT_SLOW)
    st = setup_manifold (x);
  if (!st)
    st = setup_engine (x);
  if (!st)
    st = check_cost (x);
  if (!st && (x->rng = sde_rng_alloc (NULL, o->seed)) == NULL)
    st = GSL_ENOMEM;
  if (!st)
    st = build_meta (x);
done:
  if (!st && sde__xp_chunk (x) != 256)
    st = sde__xp_meta (x, "chunk",
                       "%zu paths per canonical chunk (the numbers depend "
                       "on it; the tools use 256)",
                       sde__xp_chunk (x));
  if (!st && x->nomem) /* a provenance line was lost (reported) */
    st = GSL_ENOMEM;
  /* The settings' strings were the caller's: none is read after here.  */
  x->o.problem = x->o.loss = x->o.cov = x->o.factor = x->o.x0 = NULL;
  x->o.noise = x->o.methods = x->o.reference = x->o.schedule = NULL;
  x->o.eta = x->o.observables = x->o.density_grid = NULL;
  x->o.engine = x->o.estimator = x->o.phi = x->o.datadir = NULL;
  x->o.drift = x->o.diffusion = x->o.form = x->o.exact = x->o.moments = NULL;
  x->o.sde = x->o.scheme = x->o.rng = x->o.steps = x->o.errors = NULL;
  if (st)
    {
      sde_experiment_free (x);
      return NULL;
    }
  if (o->kind != SDE_EXPERIMENT_SIMULATE && o->kind != SDE_EXPERIMENT_ORDER)
    {
      set_theory (x);
      snprintf (x->title, sizeof x->title, "%.400s: weak error against %.150s",
                sde_problem_spec (x->pb), ref_name (x));
    }
  return x;
}

void
sde_experiment_free (sde_experiment *x)
{
  if (x == NULL)
    return;
  sde_observable_release (x->obs, x->nobs);
  sde_slow_density_free (x->sd);
  sde_manifold_free (x->man);
  sde_system_free (x->named);
  if (!x->usde_borrowed)
    sde_system_expr_free (x->usde);
  sde_order_result_free (x->ord);
  free (x->moments);
  sde_problem_free (x->limpb);
  if (!x->pb_borrowed)
    sde_problem_free (x->pb);
  sde_rng_free (x->rng);
  free (x->x0);
  free (x->xud);
  free (x->check);
  free (x->spec_checkpoints);
  free (x->rows);
  for (size_t i = 0; i < x->nnotes; i++)
    free (x->notes[i]);
  free (x->notes);
  free (x->meta);
  free (x);
}

int
sde_experiment_annotate (sde_experiment *x, const char *key, const char *value)
{
  /* Right after the version line: a command line reads first.  */
  return meta_put (x, key, value, 1);
}

size_t
sde_experiment_provenance (const sde_experiment *x, size_t i, const char **key,
                           const char **value)
{
  if (i < x->nmeta)
    {
      if (key)
        *key = x->meta[i].key;
      if (value)
        *value = x->meta[i].value;
    }
  return x->nmeta;
}

size_t
sde_experiment_nmethods (const sde_experiment *x)
{
  return x->nm;
}

size_t
sde_experiment_nobs (const sde_experiment *x)
{
  return x->nobs;
}

const char *
sde_experiment_method (const sde_experiment *x, size_t m)
{
  if (m >= x->nm)
    return NULL;
  return x->o.kind == SDE_EXPERIMENT_ORDER ? x->schemes[m]->name
                                           : x->methods[m].spec;
}

const char *
sde_experiment_observable (const sde_experiment *x, size_t o)
{
  if (o >= x->nobs)
    return NULL;
  return x->o.kind == SDE_EXPERIMENT_ORDER && o == x->nweak ? "strong"
                                                            : x->obs[o].name;
}

double
sde_experiment_theory (const sde_experiment *x, size_t m, const char **kind)
{
  const char *k = "";
  double p = NAN;
  if (m < x->nm && x->o.kind != SDE_EXPERIMENT_ORDER)
    k = x->theory_kind[m], p = x->theory[m];
  else if (m < x->nm && x->weak != x->strong)
    p = sde__xp_theory (x, m, x->weak ? 0 : x->nweak, &k);
  if (kind)
    *kind = k;
  return p;
}

const char *
sde_experiment_title (const sde_experiment *x)
{
  return x->title;
}

/* ---- The ensemble at one eta (the Monte Carlo sweep's build) ---- */

/* The methods (and a method reference) resolved at eta, as processes.  */
static size_t
method_processes (sde_experiment *x, double eta, const sde_oracle *o)
{
  const int slow = x->o.kind == SDE_EXPERIMENT_SLOW;
  const size_t n = x->nm + (x->ref == XP_REF_METHOD);
  for (size_t k = 0; k < n; k++)
    {
      sde_optim *r = k < x->nm ? &x->res[k] : &x->refres;
      *r = k < x->nm ? x->methods[k] : x->refm;
      sde_optim_set (r, eta); /* checked for every eta at alloc */
      if (slow)
        r->dt = eta * eta / r->svag; /* the ensemble's clock: slow time */
      x->proc[k] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                  .label = r->spec,
                                  .method = r,
                                  .oracle = *o,
                                  .x0 = x->x0,
                                  .dim = x->pb->dim,
                                  .manifold = x->man };
      x->proc[k].oracle.svag = r->svag;
    }
  return n;
}

int
sde__xp_build (void *ctx, size_t i, double eta, size_t substeps,
               sde_ensemble *e)
{
  sde_experiment *x = ctx;
  sde_oracle o;
  double tau;
  int st = sde__xp_eta_noise (x, eta, &o, &tau);
  if (st)
    return st;
  x->cur = i;
  size_t np = method_processes (x, eta, &o);
  if (x->ref != XP_REF_METHOD && x->sd == NULL)
    {
      if (x->ref != XP_REF_SLOW && (st = sde__xp_limit (x, eta, tau)))
        return st;
      const int ud = x->ref == XP_REF_UNDERDAMPED;
      for (int twice = 0; twice < 2; twice++)
        x->proc[np++] = (sde_process){ .kind = SDE_PROCESS_SDE,
                                       .label = twice ? "check" : "reference",
                                       .sys = &x->sys,
                                       .scheme = x->scheme,
                                       .substeps = substeps << twice,
                                       .flip = ud,
                                       .x0 = ud       ? x->xud
                                             : x->man ? x->z0
                                                      : x->x0,
                                       .dim = x->sys.dim,
                                       .manifold = x->man };
    }
  free (x->check);
  const size_t nc = sde__xp_checkpoints (x, eta, &x->check);
  if (nc == 0)
    return sde__xp_checkpoint_error (x, eta);
  *e = (sde_ensemble){ .eta = time_step (x, eta),
                       .nsteps = sde__xp_steps (x, eta),
                       .check = x->check,
                       .ncheck = nc,
                       .obs = x->obs,
                       .nobs = x->nobs,
                       .proc = x->proc,
                       .nproc = np,
                       .ref = x->sd ? -1 : (int)x->nm,
                       .coupled = x->coupled,
                       .rng = x->rng,
                       .stream0 = (uint32_t)(SDE_ENSEMBLE_STREAMS * i),
                       .bound = x->o.bound,
                       .chunk = sde__xp_chunk (x),
                       .threads = x->o.threads };
  return GSL_SUCCESS;
}
