/* experiment_run.c: running an experiment eta by eta on its engine: the
   Monte Carlo sweep (MATH.md 8.3), the exact linear-Gaussian moments (MATH.md
   5) or the density engine, which must vouch for every row or give way to
   Monte Carlo (--engine=auto) or fail (--engine=density); with progress,
   a time budget, and rows delivered as each eta finishes.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiment_internal.h"
#include "sdekit/exact.h"
#include "sdekit/spec.h"
#include "spec_internal.h"

/* ---- Progress and the time budget ---- */

/* Seconds left: the time per eta grows like eta^-q, q fitted to the first
   and last finished etas (2 before two are done with a CI target, where
   paths grow like 1/eta; 1 without).  The eta being run is scaled from
   the last finished one, or from its own fraction FRAC done.  */
static double
remaining (const sde_experiment *x, size_t i, double frac, double now)
{
  double q = x->o.target_ci > 0 ? 2 : 1;
  if (i >= 2 && x->eta_seconds[0] > 0 && x->eta_seconds[i - 1] > 0)
    {
      const double f = log (x->eta_seconds[i - 1] / x->eta_seconds[0])
                       / log (x->eta[0] / x->eta[i - 1]);
      if (f > 0 && f < 4)
        q = f;
    }
  /* The eta being run: from the last finished, else from its fraction. */
  double spent = now;
  for (size_t j = 0; j < i; j++)
    spent -= x->eta_seconds[j];
  double here;
  if (i > 0 && x->eta_seconds[i - 1] > 0)
    here = x->eta_seconds[i - 1] * pow (x->eta[i - 1] / x->eta[i], q);
  else if (frac > 0)
    here = spent / frac;
  else
    return NAN;
  double left = fmax (here - spent, 0);
  for (size_t j = i + 1; j < x->neta; j++)
    left += here * pow (x->eta[i] / x->eta[j], q);
  return left;
}

/* Reports progress; nonzero when the run must stop (the hook said so, or
   the time budget is spent).  */
static int
tick (sde_experiment *x, size_t i, uint64_t paths, double frac)
{
  const double now = sde__xp_wall () - x->t_start;
  if (x->hooks && x->hooks->progress)
    {
      sde_experiment_progress p
          = { i, x->neta, x->eta[i], paths, now, remaining (x, i, frac, now) };
      if (x->hooks->progress (x->hooks->ctx, &p))
        return 1;
    }
  return x->o.max_seconds > 0 && now > x->o.max_seconds;
}

static int
sweep_progress (void *ctx, size_t i, uint64_t paths)
{
  sde_experiment *x = ctx;
  const double target = (double)x->o.paths;
  return tick (x, i, paths, fmin ((double)paths / target, 0.99));
}

static int
sweep_run (void *ctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
           sde_ensemble_sums *s)
{
  sde_experiment *x = ctx;
  const sde_experiment_hooks *h = x->hooks;
  int st = h && h->run ? h->run (h->ctx, e, path0, npaths, s)
                       : sde_ensemble_run (e, path0, npaths, s);
  /* The Phi counts of the eta being run, for the notes.  */
  uint64_t calls = 0, steps = 0;
  for (size_t i = 0; i < e->nproc; i++)
    {
      uint64_t n;
      calls += sde_ensemble_phi_calls (s, i, &n);
      steps += n;
    }
  x->phi_calls[x->cur] = calls;
  x->phi_steps[x->cur] = steps;
  return st;
}

/* ---- Rows as they finish ---- */

typedef struct
{
  sde_experiment *x;
  sde_report *rep;
} row_sink;

static int
deliver (void *ctx, const sde_weak_point *rows, size_t n)
{
  row_sink *k = ctx;
  sde_experiment *x = k->x;
  const size_t i = x->cur;
  x->eta_seconds[i] = n ? rows[0].seconds : 0;
  int st = sde__xp_keep_rows (x, rows, n);
  if (!st && k->rep)
    st = sde__xp_write_rows (x, k->rep, rows, n);
  return st;
}

/* The slow SDE's law by the density engine at the checkpoints of the
   ensemble built for eta number I (slow time).  */
static int
slow_reference (void *ctx, size_t i, const sde_ensemble *e, double *val,
                double *err)
{
  sde_experiment *x = ctx;
  (void)i;
  double *t = malloc (sizeof (double) * e->ncheck);
  if (t == NULL)
    return sde_error (GSL_ENOMEM, "out of memory");
  for (size_t c = 0; c < e->ncheck; c++)
    t[c] = (double)e->check[c] * e->eta;
  sde__clear_error ();
  int st = sde_slow_density_expect (x->sd, t, e->ncheck, x->obs, x->nobs, val,
                                    err);
  free (t);
  if (st)
    return sde_error (st, "the density engine for the slow SDE: %s",
                      sde__last_error (st));
  return GSL_SUCCESS;
}

static int
run_mc (sde_experiment *x, row_sink *sink)
{
  sde_weak_sweep w
      = { .eta = x->eta,
          .neta = x->neta,
          .nmethods = x->nm,
          .paths = x->o.paths,
          .pilot = x->o.pilot,
          .max_paths = x->o.max_paths,
          .target_ci = x->o.target_ci,
          .check_ref = x->ref != XP_REF_METHOD,
          .substeps = x->ref != XP_REF_METHOD ? x->substeps : 1,
          .auto_substeps = x->auto_substeps && x->ref != XP_REF_METHOD,
          .max_substeps = x->ref == XP_REF_SLOW ? 64 : 256,
          .ref_order = !x->scheme              ? 1
                       : x->ref == XP_REF_SLOW ? fmin (x->scheme->weak_order, 1)
                                               : x->scheme->weak_order,
          .ctx = x,
          .build = sde__xp_build,
          .row_ctx = sink,
          .row = deliver,
          .progress = sweep_progress,
          .run = sweep_run,
          .reference = x->sd ? slow_reference : NULL };
  return sde_weak_run (&w);
}

/* ---- The exact engine ---- */

static int
exact_eta (sde_experiment *x, const sde_exact *ex, size_t i,
           sde_weak_point *rows)
{
  const double eta = x->eta[i];
  sde_ensemble e;
  /* build resolves the methods, sigma and the limit SDE for this eta
     exactly as for Monte Carlo.  */
  int st = sde__xp_build (x, i, eta, 1, &e);
  if (st)
    return st;
  const size_t nc = e.ncheck, nm = x->nm, no = x->nobs;
  double *val = malloc (sizeof (double) * (nm + 1) * nc * no);
  if (val == NULL)
    return sde_error (GSL_ENOMEM, "out of memory at eta = %g", eta);
  const double t0 = sde__xp_wall ();
  for (size_t k = 0; k < nm && !st; k++)
    st = sde_exact_method (ex, &x->res[k], e.proc[k].oracle.sigma, x->x0, eta,
                           e.check, nc, x->obs, no, val + k * nc * no);
  if (!st && x->ref == XP_REF_METHOD)
    st = sde_exact_method (ex, &x->refres, e.proc[nm].oracle.sigma, x->x0, eta,
                           e.check, nc, x->obs, no, val + nm * nc * no);
  else if (!st)
    st = sde_exact_sde (ex, &x->lim, x->x0, x->xud ? x->xud + x->pb->dim : NULL,
                        eta, e.check, nc, x->obs, no, val + nm * nc * no);
  if (!st)
    {
      sde_weak_rows_exact (eta, nm, no, nc, e.check, val, rows);
      for (size_t r = 0; r < nm * no; r++)
        rows[r].seconds = sde__xp_wall () - t0;
    }
  free (val);
  return st;
}

static int
run_exact (sde_experiment *x, row_sink *sink, sde_weak_point *rows)
{
  sde__clear_error ();
  sde_exact *ex = sde_exact_alloc (x->pb);
  if (ex == NULL && sde__last_code () == GSL_ENOMEM)
    return GSL_ENOMEM; /* reported */
  if (ex == NULL)
    return sde_error (GSL_EINVAL, "exact engine: %s",
                      sde__last_error (GSL_EINVAL));
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < x->neta && !st; i++)
    {
      if (tick (x, i, 0, 0))
        {
          st = SDE_ESTOP;
          break;
        }
      x->cur = i;
      if (!(st = exact_eta (x, ex, i, rows)))
        st = deliver (sink, rows, x->nm * x->nobs);
    }
  sde_exact_free (ex);
  return st;
}

/* ---- The density engine ---- */

/* One pass at eta on grid g: the methods and the reference into val.  */
static int
density_pass (sde_experiment *x, const sde_ensemble *e, double eta,
              sde_density_grid *g, double *val)
{
  const size_t nc = e->ncheck, nm = x->nm, no = x->nobs;
  int st = GSL_SUCCESS;
  for (size_t k = 0; k < nm && !st; k++)
    st = sde_density_method (x->pb, &x->res[k], e->proc[k].oracle.sigma, x->x0,
                             eta, e->check, nc, x->obs, no, g,
                             val + k * nc * no);
  if (!st)
    st = sde_density_sde (x->pb, &x->lim, x->x0, eta, 4, e->check, nc, x->obs,
                          no, g, val + nm * nc * no);
  return st;
}

/* The grid error and what the probability lost past the edges could
   change must be a small part of |e| (or of rounding for an error that
   is zero), else the engine cannot vouch for the row.  */
static int
vouch (sde_experiment *x, double eta, const sde_density_grid *g,
       const sde_density_grid *gc, sde_weak_point *rows,
       const sde_weak_point *coarse)
{
  for (size_t r = 0; r < x->nm * x->nobs; r++)
    {
      sde_weak_point *p = &rows[r];
      p->grid_err = fabs (p->e - coarse[r].e);
      p->stop = "density";
      const double scale = fmax (fabs (p->est), fabs (p->est_ref));
      const double lost = fmax (g->lost, gc->lost) * scale;
      const double small = fmax (0.01 * fabs (p->e), 1e-12 * scale);
      if (!(p->grid_err <= small) || !(lost <= small))
        return sde_error (
            GSL_ESANITY,
            "density engine: at eta = %g the %s %.3g of %s is "
            "not small against |e| = %.3g",
            eta, p->grid_err > small ? "grid error" : "probability lost",
            p->grid_err > small ? p->grid_err : lost,
            x->methods[p->method].spec, fabs (p->e));
    }
  return GSL_SUCCESS;
}

/* The density engine at the i-th eta: the same pass on the chosen grid
   and on one with two thirds of its points, whose difference is the grid
   error.  Fills rows and a note on the grid.  */
static int
density_eta (sde_experiment *x, size_t i, sde_weak_point *rows, char *note,
             size_t len)
{
  const double eta = x->eta[i];
  sde_ensemble e;
  int st = sde__xp_build (x, i, eta, 1, &e);
  if (st)
    return st;
  const size_t nc = e.ncheck, nm = x->nm, no = x->nobs;
  /* The finest step noise among the methods sets the grid.  */
  unsigned lmax = 1;
  for (size_t k = 0; k < nm; k++)
    lmax = x->res[k].svag > lmax ? x->res[k].svag : lmax;
  sde_density_grid g = x->grid0;
  if ((st
       = sde_density_choose (x->pb, x->x0, eta / lmax, x->lim.tau, x->T, &g)))
    return st;
  sde_density_grid gc = g;
  gc.n = (g.n * 2 / 3) & ~(size_t)1;
  double *val = malloc (sizeof (double) * (nm + 1) * nc * no * 2);
  sde_weak_point *rc = malloc (sizeof *rc * nm * no);
  if (val == NULL || rc == NULL)
    {
      free (val);
      free (rc);
      return sde_error (GSL_ENOMEM, "out of memory at eta = %g", eta);
    }
  const double t0 = sde__xp_wall ();
  if (!(st = density_pass (x, &e, eta, &g, val)))
    st = density_pass (x, &e, eta, &gc, val + (nm + 1) * nc * no);
  if (!st)
    {
      sde_weak_rows_exact (eta, nm, no, nc, e.check, val, rows);
      sde_weak_rows_exact (eta, nm, no, nc, e.check, val + (nm + 1) * nc * no,
                           rc);
      for (size_t r = 0; r < nm * no; r++)
        rows[r].seconds = sde__xp_wall () - t0;
      st = vouch (x, eta, &g, &gc, rows, rc);
      snprintf (note, len,
                "eta=%g: density grid [%.6g, %.6g] with %zu points (and %zu "
                "for the grid error); probability lost at the edges %.2g, "
                "negative %.2g",
                eta, g.lo, g.hi, g.n, gc.n, fmax (g.lost, gc.lost),
                fmax (g.negative, gc.negative));
    }
  free (val);
  free (rc);
  return st;
}

/* --engine=auto: every eta by the density engine before anything is
   written; when it cannot vouch for a row, Monte Carlo instead, and the
   provenance says why.  Fills ALL (neta x rows) and NOTES (neta x 256).  */
static int
density_first (sde_experiment *x, sde_weak_point *all, char *notes)
{
  const size_t per = x->nm * x->nobs;
  int st = GSL_SUCCESS;
  sde__clear_error ();
  for (size_t i = 0; i < x->neta && !st; i++)
    st = density_eta (x, i, all + i * per, notes + i * 256, 256);
  if (st == GSL_SUCCESS || st == GSL_ENOMEM)
    return st;
  char why[600];
  snprintf (why, sizeof why, "%s", sde__last_error (st));
  x->engine = XP_ENGINE_MC;
  sde__xp_engine_meta (x, why);
  /* The reference's scheme was not checked for an engine without paths:
     its refusal is the user's to see now.  */
  sde_oracle o;
  double tau;
  if ((st = sde__xp_eta_noise (x, x->eta[0], &o, &tau))
      || (st = sde__xp_limit (x, x->eta[0], tau)))
    return st;
  sde_stepper *probe = sde_stepper_alloc (x->scheme, &x->sys, 1);
  if (probe == NULL)
    return GSL_EINVAL;
  sde_stepper_free (probe);
  return GSL_SUCCESS;
}

static int
run_density (sde_experiment *x, row_sink *sink, sde_weak_point *rows,
             const sde_weak_point *done, const char *notes)
{
  const size_t per = x->nm * x->nobs;
  char note[256];
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < x->neta && !st; i++)
    {
      if (!done && tick (x, i, 0, 0))
        return SDE_ESTOP;
      x->cur = i;
      if (done)
        {
          memcpy (rows, done + i * per, sizeof *rows * per);
          snprintf (note, sizeof note, "%s", notes + i * 256);
        }
      else if ((st = density_eta (x, i, rows, note, sizeof note)))
        break;
      if (!(st = deliver (sink, rows, per)))
        st = sde__xp_note (x, "%s", note);
    }
  return st;
}

/* ---- The run ---- */

static int
run_engine (sde_experiment *x, row_sink *sink, const sde_weak_point *done,
            const char *notes)
{
  sde_weak_point *rows = malloc (sizeof *rows * x->nm * x->nobs);
  if (rows == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for the rows");
  int st;
  switch (x->engine)
    {
    case XP_ENGINE_EXACT:
      st = run_exact (x, sink, rows);
      break;
    case XP_ENGINE_DENSITY:
      st = run_density (x, sink, rows, done, notes);
      break;
    default:
      st = run_mc (x, sink);
    }
  free (rows);
  return st;
}

/* Notes on Phi per eta (the slow SDE's gradient flows).  */
static void
phi_notes (sde_experiment *x)
{
  for (size_t i = 0; i < x->neta; i++)
    if (x->phi_calls[i] && x->phi_steps[i])
      sde__xp_note (x,
                    "eta=%g: %llu evaluations of Phi, %.1f gradient-flow "
                    "steps each on average",
                    x->eta[i], (unsigned long long)x->phi_calls[i],
                    (double)x->phi_steps[i] / (double)x->phi_calls[i]);
}

int
sde_experiment_run (sde_experiment *x, sde_report *rep,
                    const sde_experiment_hooks *h)
{
  x->hooks = h;
  x->t_start = sde__xp_wall ();
  x->nrows = 0;
  if (x->o.kind == SDE_EXPERIMENT_ORDER)
    {
      int st = sde__xp_run_order (x, rep);
      return st ? st : x->nomem ? GSL_ENOMEM : GSL_SUCCESS;
    }
  if (x->o.kind == SDE_EXPERIMENT_SIMULATE)
    {
      int st = sde__xp_run_sim (x, h);
      if (!st && rep)
        st = sde__xp_write_sim (x, rep);
      /* A note that could not be kept was reported.  */
      return st ? st : x->nomem ? GSL_ENOMEM : GSL_SUCCESS;
    }
  sde_weak_point *done = NULL;
  char *notes = NULL;
  int st = GSL_SUCCESS;
  if (x->engine == XP_ENGINE_DENSITY && x->engine_auto)
    {
      done = malloc (sizeof *done * x->neta * x->nm * x->nobs);
      notes = malloc ((size_t)256 * x->neta);
      st = done && notes ? density_first (x, done, notes)
                         : sde_error (GSL_ENOMEM, "out of memory");
      if (x->engine != XP_ENGINE_DENSITY)
        {
          free (done);
          done = NULL;
        }
    }
  if (!st && rep)
    st = sde__xp_write_head (x, rep);
  row_sink sink = { x, rep };
  if (!st)
    st = run_engine (x, &sink, done, notes);
  free (done);
  free (notes);
  phi_notes (x);
  if (st == SDE_ESTOP)
    sde__xp_note (x, "run stopped %s after %.1f s: the rows above are finished",
                  x->o.max_seconds > 0
                          && sde__xp_wall () - x->t_start > x->o.max_seconds
                      ? "by --max-seconds"
                      : "on request",
                  sde__xp_wall () - x->t_start);
  else if (st)
    sde__xp_note (x, "run stopped: %s", sde__last_error (st));
  if (rep)
    {
      int wt = sde__xp_write_tail (x, rep);
      st = st ? st : wt;
    }
  /* A note that could not be kept was reported: the run is not whole.  */
  return st ? st : x->nomem ? GSL_ENOMEM : GSL_SUCCESS;
}

const char *
sde_experiment_note (const sde_experiment *x, size_t i)
{
  return i < x->nnotes ? x->notes[i] : NULL;
}

const sde_weak_point *
sde_experiment_rows (const sde_experiment *x, size_t *nrows)
{
  if (nrows)
    *nrows = x->nrows;
  return x->rows;
}
