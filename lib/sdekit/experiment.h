/* experiment.h: a whole weak-error experiment in one object: the problem,
   its noise and how the noise scales with eta (MATH.md sections 1 and 2),
   the methods, the reference (a limit SDE, the slow SDE or a method), the
   engine, the eta grid, the observables and the stopping rule.  It is made
   from the same specifications the tools take, validated as a whole, run
   eta by eta into rows (sde_weak_point) and fitted; the rules that are
   mathematics (the eta scaling, the theory's order and its kind, the
   engine choice, the underdamped limit's condition) live here, so every
   tool and binding applies them alike.

   A C program compares SGDM with SME-1 on its own loss in a few calls:

     sde_experiment_opts o;
     sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
     o.loss = "(x0^2 - 1)^2 / 4";
     o.methods = "sgdm:beta=0.9";
     sde_experiment *x = sde_experiment_alloc (&o);
     sde_experiment_run (x, report, NULL);

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error, which names the offending setting by its
   option name ("methods: ...").  GSL's default handler prints it and
   ABORTS the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_EXPERIMENT_H
#define SDEKIT_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/ensemble.h>
#include <sdekit/report.h>
#include <sdekit/system_expr.h>
#include <sdekit/weak.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  SDE_EXPERIMENT_COMPARE = 0, /* time t = k eta: SME-1, SME-2, underdamped */
  SDE_EXPERIMENT_SLOW,        /* near a manifold, t = k eta^2: slow SDE */
  SDE_EXPERIMENT_SIMULATE,    /* one SDE or methods at one step: moments */
  SDE_EXPERIMENT_ORDER        /* schemes on one SDE over step sizes h:
                                 weak and strong errors (sdekit/order.h) */
} sde_experiment_kind;

/* The settings, named as the tools' long options.  Strings are borrowed
   until sde_experiment_alloc returns; NULL (or NAN for numbers) takes the
   kind's default, which sde_experiment_defaults writes in.  */
typedef struct
{
  sde_experiment_kind kind;
  const char *problem;      /* catalog spec, or an expr: spec */
  const sde_problem *user;  /* a caller's own problem instead (borrowed:
                               it must outlive the experiment), e.g. one
                               whose gradient is a Python callback */
  const char *loss;         /* an expression loss instead of problem */
  const char *cov, *factor; /* the loss's noise covariance or factor */
  const char *x0;           /* a start in place of the problem's */
  const char *noise;        /* oracle law (NULL: the problem's own) */
  double tau;               /* temperature held fixed (SDE scaling) */
  double sigma;             /* noise scale held fixed instead (NAN: tau) */
  const char *methods;
  double alpha, c; /* momentum family 1 - beta = c eta^alpha */
  const char *reference;
  const char *schedule;
  const char *eta; /* the grid */
  double horizon;
  const char *checkpoints; /* "every" or a list of times */
  const char *observables;
  const char *engine;       /* auto, mc, exact or density */
  const char *density_grid; /* LO:HI:N (0:0:0 automatic) */
  const char *estimator;    /* coupled or independent */
  uint64_t paths, max_paths, pilot;
  double target_ci;
  double bound;
  uint64_t seed;
  int threads;
  /* Paths per canonical chunk (0: 256, the tools' value).  Paths are run,
     counted and summed in chunks, and a problem's callbacks see one chunk
     per call: the numbers depend on it (never on the threads).  A larger
     chunk suits callbacks that cost per call, such as Python functions;
     at most 65536.  */
  size_t chunk;
  double max_seconds;  /* 0: no budget */
  const char *phi;     /* slow: auto, flow or bdf */
  double gtol;         /* slow: Phi converged when |grad L| <= gtol */
  uint64_t phi_steps;  /* slow: gradient-flow budget of one Phi */
  const char *datadir; /* data sets (NULL: the installed ones) */
  /* simulate: an SDE (catalog spec) with a scheme and step instead of
     methods, and the generator (philox, or a GSL generator's name) */
  const char *sde, *scheme;
  double step;
  const char *rng;
  /* simulate and order: an SDE from expressions (sdekit/system_expr.h)
     in place of the catalog's: drift and diffusion (both), the form
     ("ito" or "stratonovich"), an exact solution and exact moments, from
     x0.  sde may instead hold the same SDE as text, "sde:drift=...,
     diffusion=...", as the provenance line prints it.  In simulate,
     scheme may be a comma list (one process each).  */
  const char *drift, *diffusion, *form, *exact, *moments;
  const sde_system_expr *user_sde; /* or a caller's own (borrowed: it must
                                      outlive the experiment) */
  /* order: the step sizes h (a grid as eta's), and which errors: "weak",
     "strong" or "both".  The schemes are scheme's comma list; a catalog
     sde is posed as expressions, with its exact solution and moments.  */
  const char *steps, *errors;
} sde_experiment_opts;

/* The defaults of KIND (those of the tools' --help).  */
void sde_experiment_defaults (sde_experiment_opts *o, sde_experiment_kind kind);

typedef struct sde_experiment sde_experiment;

/* Builds and validates the whole experiment before any work: every
   setting, every eta of the grid (steps, checkpoints, momentum, minibatch,
   the underdamped condition, the cost), the reference and its scheme, the
   engine.  NULL with a reason naming the setting.  */
sde_experiment *sde_experiment_alloc (const sde_experiment_opts *o);
void sde_experiment_free (sde_experiment *x);

/* Provenance lines, in order: entry I's key and value (I from 0); returns
   the number of entries.  Numbers print in their shortest round-trip
   form.  */
size_t sde_experiment_provenance (const sde_experiment *x, size_t i,
                                  const char **key, const char **value);

/* Progress, reported between batches of paths.  */
typedef struct
{
  size_t eta_index, neta;
  double eta;
  uint64_t paths;   /* paths run at this eta so far */
  double elapsed;   /* seconds since the run started */
  double remaining; /* estimated seconds left (NAN: no estimate yet) */
} sde_experiment_progress;

/* What a caller hooks into a run (any may be NULL).  PROGRESS returning
   nonzero stops the run cleanly (SDE_ESTOP; finished rows are kept).
   RUN replaces sde_ensemble_run for a batch (a parallel runner splits the
   paths and reduces the sums: MPI).  */
typedef struct
{
  void *ctx;
  int (*progress) (void *ctx, const sde_experiment_progress *p);
  int (*run) (void *ctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
              sde_ensemble_sums *s);
} sde_experiment_hooks;

/* Runs the experiment, eta by eta.  When REP is not NULL the error table
   is written to it row by row as each eta finishes, then the fits, the
   notes and one verdict line per method and observable.  Returns
   GSL_SUCCESS, SDE_ESTOP when stopped by the hook or by max_seconds (the
   finished rows, their fits and a note are written), or the first
   failure (the finished rows and a note are written; the reason through
   gsl_error).  */
int sde_experiment_run (sde_experiment *x, sde_report *rep,
                        const sde_experiment_hooks *h);

/* Adds a provenance line (e.g. the command line), shown right after the
   version line.  */
int sde_experiment_annotate (sde_experiment *x, const char *key,
                             const char *value);

/* Whether COLUMNS (a comma list for --columns) names only columns of the
   tables an experiment of KIND writes: GSL_EINVAL naming the first that
   is not one.  */
int sde_experiment_check_columns (sde_experiment_kind kind,
                                  const char *columns);

/* Writes the provenance and the fits table alone to REP (a --fits file;
   with CSV, which holds one table per file, the only way to the fits).  */
int sde_experiment_write_fits (sde_experiment *x, sde_report *rep);

/* ---- Results (after a run, complete or not) ---- */

/* The rows so far, in the order written.  */
const sde_weak_point *sde_experiment_rows (const sde_experiment *x,
                                           size_t *nrows);

/* The I-th note of the run (NULL past the last); a note that starts with
   "warning: " is one a tool should also show on stderr.  */
const char *sde_experiment_note (const sde_experiment *x, size_t i);

/* Methods and observables: counts and names (as in the rows).  In an
   order experiment the methods are the schemes, and the observables the
   weak ones followed by "strong", whose rows are the strong errors
   E |X_h(T) - X(T)|.  */
size_t sde_experiment_nmethods (const sde_experiment *x);
size_t sde_experiment_nobs (const sde_experiment *x);
const char *sde_experiment_method (const sde_experiment *x, size_t m);
const char *sde_experiment_observable (const sde_experiment *x, size_t o);

/* The theory's order of method M against the reference, and its kind:
   "exact" (the order is the theorem's), "bound" (an upper bound on the
   error: a faster order agrees), "ours" (our derivation, MATH.md), "none"
   (the theory predicts no convergence; the order is 0) or "" (no theory:
   order NAN).  In an order experiment: the scheme's weak order when only
   weak errors are measured, its strong order when only strong ones (""
   and NAN for a scheme without one), NAN when both.  */
double sde_experiment_theory (const sde_experiment *x, size_t m,
                              const char **kind);

/* The fit of (method M, observable O) over the rows so far.  */
void sde_experiment_fit (const sde_experiment *x, size_t m, size_t o,
                         sde_weak_fit *fit);

/* --expect-order: 0 when every fit is consistent with order P within Q
   (MATH.md 8.2: the fit's 95% interval reaches P -+ Q, or only P - Q where
   the theory is a bound, and no warning), else 3 with the reasons written
   into WHY (one line per failing fit).  */
int sde_experiment_expect (const sde_experiment *x, double P, double Q,
                           char *why, size_t len);

/* Moments of a simulation (SDE_EXPERIMENT_SIMULATE): process P (a method,
   or the SDE), time t, observable O, with standard errors and, for a
   catalog SDE with a closed form, the exact mean and variance (NAN when
   unknown).  */
typedef struct
{
  size_t process, obs;
  double t;
  double mean, se_mean, var, se_var;
  double exact_mean, exact_var;
  uint64_t n, diverged;
} sde_moment;

/* The moments so far, and the name of process P.  */
const sde_moment *sde_experiment_moments (const sde_experiment *x, size_t *n);
const char *sde_experiment_process (const sde_experiment *x, size_t p);

/* A one-line title for figures ("doublewell: weak error against
   SME-1").  */
const char *sde_experiment_title (const sde_experiment *x);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_EXPERIMENT_H */
