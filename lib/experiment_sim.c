/* experiment_sim.c: the simulate kind of experiment: one SDE integrated by
   a scheme (MATH.md 7), or optimizers at one learning rate (MATH.md 3),
   and the mean and variance of observables at output times with their
   standard errors, next to the exact values where the SDE has them.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiment_internal.h"
#include "sdekit/spec.h"
#include "spec_internal.h"

static int
refuse (const char *setting)
{
  /* Out of memory is no bad setting: the reason is already reported.  */
  if (sde__last_code () == GSL_ENOMEM)
    return GSL_ENOMEM;
  return sde_error (GSL_EINVAL, "%s: %s", setting,
                    sde__last_error (GSL_EINVAL));
}

/* Settings of one mode given in the other would be ignored: refused.  */
static int
check_mode (const sde_experiment_opts *o, int sde_mode)
{
  const int user = sde__xp_user_sde_given (o);
  if (sde_mode)
    {
      const char *m = o->noise            ? "noise"
                      : o->schedule       ? "schedule"
                      : o->x0 && !user    ? "x0"
                      : !isnan (o->sigma) ? "sigma"
                      : !isnan (o->tau)   ? "tau"
                      : o->eta            ? "eta"
                                          : NULL;
      if (m)
        return sde_error (GSL_EINVAL,
                          "%s applies to optimizers (--problem, --loss or "
                          "--method)%s, not to %s: set the SDE's parameters "
                          "in --sde=NAME:KEY=VALUE (--list-sdes)",
                          m, strcmp (m, "x0") ? "" : " and to --drift",
                          strcmp (m, "x0") ? "an SDE" : "a catalog SDE");
      return GSL_SUCCESS;
    }
  if (o->sde || user)
    return sde_error (GSL_EINVAL,
                      "%s: --%s simulates an SDE; --problem, --loss and "
                      "--method simulate optimizers: choose one",
                      o->sde ? "sde" : "drift", o->sde ? "sde" : "drift");
  const char *s = o->scheme ? "scheme" : !isnan (o->step) ? "step" : NULL;
  if (s)
    return sde_error (GSL_EINVAL,
                      "%s applies to an SDE (--sde), not to optimizers: they "
                      "step by --eta",
                      s);
  return GSL_SUCCESS;
}

static int
setup_sde (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  int st;
  if (sde__xp_user_sde_given (o))
    {
      if ((st = sde__xp_setup_user_sde (x, 0)))
        return st;
    }
  else
    {
      sde__clear_error ();
      x->named = sde_system_alloc (o->sde ? o->sde : "gbm");
      if (x->named == NULL)
        return refuse ("sde");
      x->sys = x->named->sys;
    }
  x->step = isnan (o->step) ? 0.01 : o->step;
  if (!(x->step > 0))
    return sde_error (GSL_EINVAL, "step: must be positive");
  return sde__xp_parse_schemes (x, o->scheme ? o->scheme : "em", "scheme");
}

/* Methods at one learning rate, all at one effective rate.  */
static int
setup_methods_at_eta (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  double eta = 0.01;
  if (o->eta && (sde_parse_double (o->eta, &eta) || !(eta > 0)))
    return sde_error (GSL_EINVAL, "eta=%s: not a positive number",
                      sde_q (o->eta));
  x->step = 0;
  for (size_t k = 0; k < x->nm; k++)
    {
      sde__clear_error ();
      if (sde_optim_set (&x->methods[k], eta))
        return refuse ("method");
      x->res[k] = x->methods[k];
      if (k && fabs (x->res[k].eta - x->step) > 1e-12 * x->step)
        return sde_error (GSL_EINVAL,
                          "method: the methods need one effective learning "
                          "rate (%g and %g)",
                          x->step, x->res[k].eta);
      x->step = x->res[k].eta;
    }
  x->eta[0] = x->step;
  /* Minibatch noise has its scale from B and exact gradients have none:
     a sigma or tau would be silently ignored.  */
  const int given = !isnan (o->sigma) || !isnan (o->tau);
  const char *which = !isnan (o->sigma) ? "sigma" : "tau";
  if (given && x->orc.law == SDE_ORACLE_MINIBATCH)
    return sde_error (GSL_EINVAL,
                      "%s: minibatch noise takes its scale from the batch "
                      "(sigma = 1/sqrt(B)): choose B in --noise instead",
                      which);
  if (given && x->orc.law == SDE_ORACLE_NONE)
    return sde_error (GSL_EINVAL,
                      "%s: the noise law is none: there is no noise to scale",
                      which);
  if (!isnan (o->sigma) && !isnan (o->tau))
    return sde_error (GSL_EINVAL, "tau: --sigma and --tau exclude each other");
  x->orc.sigma = !isnan (o->tau)     ? sqrt (o->tau / x->step)
                 : !isnan (o->sigma) ? o->sigma
                                     : 1.0;
  return GSL_SUCCESS;
}

int
sde__xp_setup_sim (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  const int sde_mode = !(o->problem || o->loss || o->methods || o->user);
  int st = check_mode (o, sde_mode);
  if (st)
    return st;
  x->sim_sde = sde_mode;
  if (sde_mode)
    st = setup_sde (x);
  else
    {
      if (!(st = sde__xp_setup_problem (x)) && !(st = sde__xp_setup_law (x))
          && !(st = sde__xp_setup_methods (x, "sgd")))
        st = setup_methods_at_eta (x);
    }
  if (st)
    return st;
  const size_t d = sde_mode ? x->sys.dim : x->pb->dim;
  const char *list = o->observables ? o->observables
                     : sde_mode     ? "x0"
                                    : "loss,x0";
  if (x->usde)
    st = sde__xp_user_observables (x, o->observables);
  else
    {
      sde__clear_error ();
      const int n
          = sde_observable_parse (list, d, x->pb, x->obs, SDE_WEAK_MAXOBS);
      if (n < 0)
        return refuse ("observable");
      x->nobs = (size_t)n;
    }
  if (st)
    return st;
  const double steps = x->T / x->step;
  const size_t k = (size_t)llround (steps);
  if (x->step > x->T)
    return sde_error (GSL_EINVAL, "%s=%g is larger than the horizon %g",
                      sde_mode ? "step" : "eta", x->step, x->T);
  if (!(steps <= XP_MAXSTEPS) || fabs (steps - (double)k) > 1e-9 * steps)
    return sde_error (GSL_EINVAL,
                      "%s=%g does not divide the horizon %g into at most "
                      "2^40 steps (T/h = %.6g)",
                      sde_mode ? "step" : "eta", x->step, x->T, steps);
  size_t *chk;
  if (sde__xp_checkpoints (x, x->step, &chk) == 0)
    return sde__xp_checkpoint_error (x, x->step);
  free (chk);
  const double procs = sde_mode ? (double)x->nschemes : (double)x->nm;
  if ((double)k * (double)o->paths * procs > XP_MAXCOST)
    return sde_error (GSL_EINVAL,
                      "paths: the run needs about %.3g path-steps (paths x "
                      "steps x processes), over %.0f days on one core at "
                      "10^8 a second: refused",
                      (double)k * (double)o->paths * procs,
                      (double)k * (double)o->paths * procs / 1e8 / 86400);
  x->rng = sde_rng_alloc (o->rng, o->seed);
  return x->rng ? GSL_SUCCESS : refuse ("rng");
}

/* ---- Provenance ---- */

int
sde__xp_sim_meta (sde_experiment *x)
{
  sde__xp_meta (x, "sdekit", "%s", PACKAGE_VERSION);
  sde__xp_meta (x, "seed", "%llu", (unsigned long long)x->o.seed);
  sde__xp_meta (x, "rng", "%s", sde_rng_name (x->rng));
  const unsigned long long paths = (unsigned long long)x->o.paths;
  const size_t nsteps = (size_t)llround (x->T / x->step);
  if (x->sim_sde)
    {
      char names[256] = "";
      for (size_t k = 0, n = 0; k < x->nschemes && n < sizeof names; k++)
        n += (size_t)snprintf (names + n, sizeof names - n, "%s%s",
                               k ? "," : "", x->schemes[k]->name);
      sde__xp_meta (x, "sde", "%s", x->usde ? x->usde->spec : x->named->spec);
      if (x->usde)
        sde__xp_meta (x, "noise", "%s", x->usde->noise_note);
      return sde__xp_meta (x, "scheme", "%s, step %g, %zu steps, %llu paths",
                           names, x->step, nsteps, paths);
    }
  sde__xp_meta (x, "problem", "%s", sde_problem_spec (x->pb));
  if (x->o.x0 && !x->o.loss)
    sde__xp_meta (x, "x0", "%s", x->o.x0);
  const sde_oracle *o = &x->orc;
  if (o->law == SDE_ORACLE_MINIBATCH)
    sde__xp_meta (x, "noise",
                  "minibatch, B = %zu %s replacement, eta %g, %zu steps, %llu "
                  "paths",
                  o->batch, o->replace ? "with" : "without", x->step, nsteps,
                  paths);
  else
    sde__xp_meta (x, "noise", "%s, sigma %g, eta %g, %zu steps, %llu paths",
                  sde_oracle_law_name (o->law), o->sigma, x->step, nsteps,
                  paths);
  return sde__xp_meta (x, "schedule", "%s", x->methods[0].schedule.spec);
}

/* ---- The run ---- */

static size_t
processes (sde_experiment *x)
{
  if (x->sim_sde)
    {
      for (size_t k = 0; k < x->nschemes; k++)
        x->proc[k] = (sde_process){ .kind = SDE_PROCESS_SDE,
                                    .label = x->schemes[k]->name,
                                    .sys = &x->sys,
                                    .scheme = x->schemes[k],
                                    .substeps = 1,
                                    .x0 = x->usde ? x->usde->x0 : x->named->x0,
                                    .dim = x->sys.dim };
      return x->nschemes;
    }
  for (size_t i = 0; i < x->nm; i++)
    {
      x->proc[i] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                  .label = x->methods[i].spec,
                                  .method = &x->res[i],
                                  .oracle = x->orc,
                                  .x0 = x->x0,
                                  .dim = x->pb->dim };
      x->proc[i].oracle.svag = x->res[i].svag;
    }
  return x->nm;
}

/* The exact mean of observable O at T from the SDE's moments, and its
   variance when the square's moment is given too.  */
static void
user_exact (sde_experiment *x, size_t o, double t, sde_moment *m)
{
  if (sde__xp_user_moment (o, t, &m->exact_mean, x))
    {
      m->exact_mean = NAN;
      return;
    }
  char sq[80];
  snprintf (sq, sizeof sq, "%s^2", x->obs[o].name);
  for (size_t k = 0; k < x->usde->nmoments; k++)
    if (strcmp (sde_system_expr_phi_text (x->usde, k), sq) == 0
        && sde_system_expr_moment (k, t, &m->exact_var, x->usde) == 0)
      m->exact_var -= m->exact_mean * m->exact_mean;
}

/* The moments of every process, time and observable from S.  */
static int
moments (sde_experiment *x, const sde_ensemble *e, const sde_ensemble_sums *s)
{
  const size_t n = e->nproc * e->ncheck * e->nobs;
  if ((x->moments = malloc (sizeof *x->moments * n)) == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for the moments");
  const uint64_t paths = sde_ensemble_paths (s);
  for (size_t i = 0; i < e->nproc; i++)
    for (size_t k = 0; k < e->ncheck; k++)
      for (size_t o = 0; o < e->nobs; o++)
        {
          sde_stat st = sde_ensemble_value (s, i, o, k);
          const double t = (double)e->check[k] * e->eta;
          if (st.n < 2)
            return sde_error (GSL_ERUNAWAY, "%s: every path diverged by t = %g",
                              sde_q (e->proc[i].label), t);
          sde_moment *m = &x->moments[x->nmoments++];
          *m = (sde_moment){ i,
                             o,
                             t,
                             st.mean,
                             st.se,
                             st.var,
                             st.se_var,
                             NAN,
                             NAN,
                             (uint64_t)st.n,
                             paths - (uint64_t)st.n };
          if (x->usde)
            user_exact (x, o, t, m);
          else if (x->sim_sde && x->obs[o].kind == SDE_OBS_COORD
                   && x->obs[o].index == 0)
            sde_system_exact (x->named, t, &m->exact_mean, &m->exact_var);
        }
  return GSL_SUCCESS;
}

int
sde__xp_run_sim (sde_experiment *x, const sde_experiment_hooks *h)
{
  free (x->check);
  const size_t nc = sde__xp_checkpoints (x, x->step, &x->check);
  if (nc == 0)
    return sde__xp_checkpoint_error (x, x->step);
  const int methods = !x->sim_sde;
  sde_ensemble e = { .eta = x->step,
                     .nsteps = (size_t)llround (x->T / x->step),
                     .check = x->check,
                     .ncheck = nc,
                     .obs = x->obs,
                     .nobs = x->nobs,
                     .proc = x->proc,
                     .nproc = processes (x),
                     .ref = -1,
                     .coupled = methods,
                     .rng = x->rng,
                     .stream0 = 0,
                     .bound = x->o.bound,
                     .chunk = sde__xp_chunk (x),
                     .threads = x->o.threads };
  sde_ensemble_sums *s = sde_ensemble_sums_alloc (&e);
  if (s == NULL)
    return GSL_ENOMEM;
  int st = h && h->run ? h->run (h->ctx, &e, 0, x->o.paths, s)
                       : sde_ensemble_run (&e, 0, x->o.paths, s);
  if (!st)
    st = moments (x, &e, s);
  sde_ensemble_sums_free (s);
  if (!st && !sde_rng_is_counter (x->rng))
    {
      /* A GSL generator is reseeded for every block from a 32-bit hash,
         so blocks can repeat (the birthday bound): say how likely.  */
      const double blocks
          = (double)e.nsteps * ceil ((double)x->o.paths / (double)e.chunk);
      const double pairs = blocks * (blocks - 1) / 2 / 4294967296.0;
      sde__xp_note (x,
                    "%s%s is reseeded for each of >= %.3g blocks of %zu "
                    "paths from a 32-bit seed: about %.2g pairs of blocks "
                    "repeat%s",
                    pairs >= 0.1 ? "warning: " : "", sde_rng_name (x->rng),
                    blocks, e.chunk, pairs,
                    pairs >= 0.1 ? " (use --rng=philox for large runs)" : "");
    }
  return st;
}

const sde_moment *
sde_experiment_moments (const sde_experiment *x, size_t *n)
{
  if (n)
    *n = x->nmoments;
  return x->moments;
}

const char *
sde_experiment_process (const sde_experiment *x, size_t p)
{
  if (x->o.kind != SDE_EXPERIMENT_SIMULATE)
    return sde_experiment_method (x, p);
  return x->sim_sde ? (p < x->nschemes ? x->schemes[p]->name : NULL)
                    : sde_experiment_method (x, p);
}

/* ---- The table ---- */

static const sde_column moment_cols[] = {
  { "process", "process", 14, 's', 0, 0, NULL, NULL },
  { "t", "$t$", 8, 'g', 6, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, "phi", NULL },
  { "mean_ci", "mean $\\pm$ 95\\% CI", 24, 'g', 7, SDE_COLUMN_HUMAN,
    "mean \u00b1 95% CI", NULL },
  { "exact_mean", "exact mean", 13, 'g', 7, 0, "exact mean", NULL },
  { "z_mean", "$z_{\\mathrm{mean}}$", 6, 'f', 2, 0, "z", NULL },
  { "diverged", "div.", 6, 'd', 0, 0, "div.", NULL },
  { "mean", "mean", 13, 'g', 7, SDE_COLUMN_WIDE, NULL, NULL },
  { "se_mean", "SE", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "var", "var", 13, 'g', 7, SDE_COLUMN_WIDE, NULL, NULL },
  { "se_var", "SE", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "exact_var", "exact var", 13, 'g', 7, SDE_COLUMN_WIDE, "exact var", NULL },
  { "z_var", "$z_{\\mathrm{var}}$", 7, 'f', 2, SDE_COLUMN_WIDE, NULL, NULL },
};

int
sde__xp_write_sim (sde_experiment *x, sde_report *rep)
{
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < x->nmeta && !st; i++)
    st = sde_report_meta (rep, x->meta[i].key, x->meta[i].value);
  if (!st)
    st = sde_report_table (rep, "moments", moment_cols,
                           sizeof moment_cols / sizeof moment_cols[0]);
  for (size_t k = 0; k < x->nmoments && !st; k++)
    {
      const sde_moment *m = &x->moments[k];
      const int known = !isnan (m->exact_mean);
      sde_cell row[] = {
        SDE_CELL_S (sde_experiment_process (x, m->process)),
        SDE_CELL_D (m->t),
        SDE_CELL_S (x->obs[m->obs].name),
        SDE_CELL_PM (m->mean, 1.959963984540054 * m->se_mean),
        known ? SDE_CELL_D (m->exact_mean) : SDE_CELL_NONE,
        known && m->se_mean > 0
            ? SDE_CELL_D ((m->mean - m->exact_mean) / m->se_mean)
            : SDE_CELL_NONE,
        SDE_CELL_I ((long long)m->diverged),
        SDE_CELL_D (m->mean),
        SDE_CELL_D (m->se_mean),
        SDE_CELL_D (m->var),
        SDE_CELL_D (m->se_var),
        known && !isnan (m->exact_var) ? SDE_CELL_D (m->exact_var)
                                       : SDE_CELL_NONE,
        known && !isnan (m->exact_var) && m->se_var > 0
            ? SDE_CELL_D ((m->var - m->exact_var) / m->se_var)
            : SDE_CELL_NONE,
      };
      st = sde_report_row (rep, row);
    }
  if (!st)
    sde__xp_note (x, "SE: standard errors; z: (estimate - exact) / SE, the "
                     "bias in SE units (|z| < 2: within Monte Carlo noise); "
                     "diverged paths are counted, not averaged");
  for (size_t i = 0; i < x->nnotes && !st; i++)
    st = sde_report_note (rep, x->notes[i]);
  return st;
}

int
sde__xp_check_sim_columns (const char *columns)
{
  static const sde_table_def t[] = {
    { "moments", moment_cols, sizeof moment_cols / sizeof moment_cols[0] },
  };
  return sde_report_columns_check (columns, t, 1);
}
