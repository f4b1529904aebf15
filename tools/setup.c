/* setup.c: command-line values to library objects, with one-line errors
   naming the option (exit status 2).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "sdekit/spec.h"
#include "setup.h"

sde_problem *
setup_problem (const char *problem, const char *loss,
               const char *problem_default)
{
  if (problem && loss)
    cli_die (CLI_USAGE, "--problem and --loss exclude each other");
  sde_problem *pb;
  if (loss)
    {
      pb = sde_problem_alloc_expr (loss, 1.0, NULL);
      if (pb == NULL)
        cli_die (cli_bad_input (), "--loss: %s", cli_reason ());
      return pb;
    }
  const char *spec = problem ? problem : problem_default;
  pb = sde_problem_alloc (spec, NULL);
  if (pb == NULL)
    cli_die (cli_bad_input (), "--problem=%s: %s", sde_q (spec), cli_reason ());
  return pb;
}

double *
setup_x0 (const sde_problem *pb, const char *x0)
{
  const size_t d = pb->dim;
  double *v = malloc (sizeof (double) * (d > 64 ? d : 64));
  if (v == NULL)
    cli_die (CLI_RUNTIME, "out of memory for --x0");
  memcpy (v, pb->x0, sizeof (double) * d);
  if (x0)
    {
      size_t n = cli_doubles ("x0", x0, -1e300, 0, 1e300, 0, v, 64);
      if (n == 1)
        for (size_t i = 1; i < d; i++)
          v[i] = v[0];
      else if (n != d)
        cli_die (CLI_USAGE, "--x0 needs 1 or %zu values, got %zu", d, n);
    }
  return v;
}

void
setup_noise (sde_oracle *o, const sde_problem *pb, const char *noise)
{
  memset (o, 0, sizeof *o);
  o->prob = pb;
  o->law = pb->law;
  o->svag = 1;
  o->sigma = 1;
  if (pb->law == SDE_ORACLE_MINIBATCH)
    o->batch = 1, o->replace = 1;
  if (noise)
    {
      sde_spec spec;
      const char *rest = noise;
      if (sde_spec_parse (&spec, &rest) || *rest)
        cli_die (CLI_USAGE, "--noise=%s: %s", noise,
                 *rest ? "unexpected text" : cli_reason ());
      int law = sde_oracle_law_find (spec.name);
      if (law < 0)
        cli_die (CLI_USAGE,
                 "--noise=%s: unknown law (gaussian, rademacher, "
                 "label, student, minibatch, none)",
                 spec.name);
      if (strcmp (spec.name, "label") == 0 && pb->law != SDE_ORACLE_RADEMACHER)
        cli_die (CLI_USAGE,
                 "--noise=label: %s has no label noise (try "
                 "labelvalley or sparse)",
                 pb->name);
      o->law = (sde_oracle_law)law;
      double v;
      if (o->law == SDE_ORACLE_STUDENT)
        {
          if (sde_spec_double (&spec, "nu", 5, 2, 1e6, &v))
            cli_die (CLI_USAGE, "--noise: %s", cli_reason ());
          o->nu = v;
        }
      if (o->law == SDE_ORACLE_MINIBATCH)
        {
          if (sde_spec_double (&spec, "B", 1, 1, 1e9, &v))
            cli_die (CLI_USAGE, "--noise: %s", cli_reason ());
          if (v != floor (v))
            cli_die (CLI_USAGE, "--noise: minibatch B must be an integer");
          o->batch = (size_t)v;
          if (sde_spec_double (&spec, "replace", 1, 0, 1, &v))
            cli_die (CLI_USAGE, "--noise: %s", cli_reason ());
          o->replace = v != 0;
        }
      if (sde_spec_check_used (&spec))
        cli_die (CLI_USAGE, "--noise: %s", cli_reason ());
    }
  if (sde_oracle_check (o))
    cli_die (CLI_USAGE, "--noise: %s", cli_reason ());
}

size_t
setup_methods (const char *opt, const char *list, sde_optim *m, size_t max)
{
  size_t n = 0;
  const char *s = list;
  if (*s == '\0')
    cli_die (CLI_USAGE, "--%s is empty", opt);
  while (*s)
    {
      if (n == max)
        cli_die (CLI_USAGE, "--%s: at most %zu methods", opt, max);
      if (sde_optim_parse (&m[n], &s))
        cli_die (CLI_USAGE, "--%s: %s", opt, cli_reason ());
      for (size_t k = 0; k < n; k++)
        if (strcmp (m[k].spec, m[n].spec) == 0)
          cli_die (CLI_USAGE, "--%s: %s appears twice", opt, m[n].spec);
      n++;
    }
  return n;
}

void
setup_schedule (const char *spec, double horizon, sde_optim *m, size_t n)
{
  sde_schedule s;
  if (sde_schedule_parse (&s, spec))
    cli_die (CLI_USAGE, "--schedule=%s: %s", spec, cli_reason ());
  if (s.kind == SDE_SCHEDULE_COSINE && s.horizon == 0)
    s.horizon = horizon;
  for (size_t i = 0; i < n; i++)
    m[i].schedule = s;
}

size_t
setup_observables (const char *list, size_t d, const sde_problem *pb,
                   sde_observable *obs, size_t max)
{
  int n = sde_observable_parse (list, d, pb, obs, max);
  if (n < 0)
    cli_die (CLI_USAGE, "--observable=%s: %s", list, cli_reason ());
  return (size_t)n;
}

void
setup_scheme (const char *opt, const sde_stepper_type *T, const sde_system *sys)
{
  const unsigned commuting
      = SDE_NOISE_DIAGONAL | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE;
  /* Checked before the allocation, whose first complaint for Milstein
     would be the missing jacobian, with a hint (milstein-df) that fails
     the same way on this noise.  */
  if ((T->needs & SDE_STEPPER_COMMUTATIVE) && sys->noise_dim > 1
      && !(sys->noise & commuting))
    cli_die (CLI_USAGE,
             "--%s: %s needs commutative noise, and this SDE's %zu noise "
             "columns are not known to commute (Levy areas are not "
             "implemented): use em, weak-euler or weak2",
             opt, T->name, sys->noise_dim);
  sde_stepper *probe = sde_stepper_alloc (T, sys, 1);
  if (probe == NULL)
    cli_die (CLI_USAGE, "--%s: %s", opt, cli_reason ());
  sde_stepper_free (probe);
}

/* T / h as a whole number of steps, or 0 when it is not one.  */
static size_t
steps_of (double T, double h, double *ratio)
{
  double n = T / h;
  *ratio = n;
  /* Range first: llround of a huge ratio is undefined.  */
  if (!(n >= 0.5) || n > SETUP_MAXSTEPS)
    return 0;
  size_t k = (size_t)llround (n);
  return fabs (n - (double)k) > 1e-9 * n ? 0 : k;
}

size_t
setup_steps (const char *opt, double T, double h)
{
  if (h > T)
    cli_die (CLI_USAGE, "--%s=%g is larger than the horizon %g", opt, h, T);
  double n;
  size_t k = steps_of (T, h, &n);
  if (n > SETUP_MAXSTEPS)
    cli_die (CLI_USAGE,
             "--%s=%g: the horizon %g takes %.3g steps, more than 2^40", opt, h,
             T, n);
  if (k == 0)
    cli_die (CLI_USAGE, "--%s=%g does not divide the horizon %g (T/h = %.6g)",
             opt, h, T, n);
  return k;
}

static size_t *
checked_alloc (size_t n)
{
  size_t *p = malloc (sizeof (size_t) * (n ? n : 1));
  if (p == NULL)
    cli_die (CLI_RUNTIME, "out of memory for %zu checkpoints", n);
  return p;
}

size_t
setup_checkpoints (const char *opt, const char *spec, double T, double h,
                   size_t **out)
{
  double ratio;
  size_t nsteps = steps_of (T, h, &ratio);
  if (nsteps == 0)
    /* Callers check the step with setup_steps first, naming its option;
       this is the last line of defence.  */
    cli_die (CLI_USAGE,
             "--%s: the step %g does not divide the horizon %g into at "
             "most 2^40 steps",
             opt, h, T);
  if (spec && strcmp (spec, "every") == 0)
    {
      /* Every step, or every s-th beyond SETUP_MAXCHECK (and the last):
         the sums kept per checkpoint must not grow with the steps.  */
      size_t stride = (nsteps + SETUP_MAXCHECK - 1) / SETUP_MAXCHECK;
      size_t n = nsteps / stride + (nsteps % stride != 0);
      *out = checked_alloc (n);
      for (size_t k = 0; k < n; k++)
        (*out)[k] = k + 1 < n ? (k + 1) * stride : nsteps;
      return n;
    }
  double t[256];
  size_t n;
  if (spec == NULL)
    {
      /* The steps nearest T/4, T/2, 3T/4 and T, without repeats.  */
      *out = checked_alloc (4);
      n = 0;
      for (int i = 1; i <= 4; i++)
        {
          size_t k = (size_t)llround ((double)nsteps * i / 4.0);
          if (k >= 1 && (n == 0 || k > (*out)[n - 1]))
            (*out)[n++] = k;
        }
      return n;
    }
  n = cli_doubles (opt, spec, 0, 1, T, 0, t, 256);
  *out = checked_alloc (n);
  for (size_t i = 0; i < n; i++)
    {
      double k = t[i] / h;
      size_t ki = (size_t)llround (k);
      if (fabs (k - (double)ki) > 1e-9 * (k > 1 ? k : 1) || ki == 0)
        cli_die (CLI_USAGE,
                 "--%s: %g is not a positive multiple of the step "
                 "%g",
                 opt, t[i], h);
      if (i && ki <= (*out)[i - 1])
        cli_die (CLI_USAGE, "--%s must increase (%g after %g)", opt, t[i],
                 t[i - 1]);
      (*out)[i] = ki;
    }
  return n;
}

void
setup_cost (double pathsteps)
{
  if (pathsteps > SETUP_MAXCOST)
    cli_die (CLI_USAGE,
             "the run needs about %.3g path-steps (paths x steps x processes "
             "x substeps), over %.0f days on one core at 10^8 a second: "
             "refused (lower --paths or the horizon, or raise eta)",
             pathsteps, pathsteps / 1e8 / 86400);
}
