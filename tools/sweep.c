/* sweep.c: the one main of the experiment tools: options in, the library's
   experiment out, into the table, the fits file, the figure, progress on
   stderr and --expect-order.  The mathematics is the library's
   (sdekit/experiment.h).  */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "figure.h"
#include "par.h"
#include "sdekit/optim.h"
#include "sdekit/problem.h"
#include "sdekit/spec.h"
#include "sdekit/stepper.h"
#include "sdekit/system.h"
#include "sweep.h"

typedef struct
{
  sde_experiment_opts x;
  const char *output, *fits, *plot, *plot_script, *plot_work, *columns;
  const sde_report_format *fmt;
  int wide, standalone;
  int progress; /* -1 auto, 0 never, 1 always */
  double expect, tol;
  sde_experiment_kind kind;
} sweep_args;

static void
list_problems (void)
{
  const char *d, *p;
  for (size_t i = 0; sde_problem_name (i, &d, &p); i++)
    printf ("%s: %s\n    %s\n", sde_problem_name (i, NULL, NULL), d, p);
}

static void
list_methods (void)
{
  for (const sde_optim_type *const *t = sde_optim_types (); *t; t++)
    printf ("%-9s %s\n", (*t)->name, (*t)->description);
  printf ("%-9s %s\n", "svag",
          "svag:l=L,METHOD: SVAG(L), eta/L and L times the steps");
}

static void
list_sdes (void)
{
  const char *desc, *params;
  for (size_t i = 0; sde_system_name (i, &desc, &params); i++)
    printf ("%-6s %-28s %s\n", sde_system_name (i, NULL, NULL), params, desc);
}

static void
list_schemes (void)
{
  for (const sde_stepper_type *const *t = sde_stepper_types (); *t; t++)
    printf ("%-12s weak %g  %s\n", (*t)->name, (*t)->weak_order,
            (*t)->description);
}

/* The problem and the methods; 0 for a key that is not one of them.  */
static int
problem_arg (sde_experiment_opts *x, int key, const char *arg)
{
  switch (key)
    {
    case 'p':
      x->problem = arg;
      break;
    case SW_LOSS:
      x->loss = arg;
      break;
    case SW_NOISE_COV:
      x->cov = arg;
      break;
    case SW_NOISE_FACTOR:
      x->factor = arg;
      break;
    case SW_X0:
      x->x0 = arg;
      break;
    case 'N':
      x->noise = arg;
      break;
    case SW_TAU:
      x->tau = cli_double ("tau", arg, 0, 1, 1e12, 0);
      break;
    case 'g':
      x->sigma = cli_double ("sigma", arg, 0, 0, 1e12, 0);
      break;
    case 'M':
      x->methods = arg;
      break;
    case SW_ALPHA:
      x->alpha = cli_double ("alpha", arg, 0, 0, 1, 0);
      break;
    case SW_C:
      x->c = cli_double ("c", arg, 0, 1, 1e12, 0);
      break;
    case 'r':
      x->reference = arg;
      break;
    case SW_SCHEDULE:
      x->schedule = arg;
      break;
    default:
      return 0;
    }
  return 1;
}

/* The experiment's settings; 0 for a key that is not one of them.  */
static int
experiment_arg (sde_experiment_opts *x, int key, const char *arg)
{
  if (problem_arg (x, key, arg))
    return 1;
  switch (key)
    {
    case 'e':
      x->eta = arg;
      break;
    case 'T':
      x->horizon = cli_double ("horizon", arg, 0, 1, 1e9, 0);
      break;
    case 'C':
      x->checkpoints = arg;
      break;
    case 'O':
      x->observables = arg;
      break;
    case SW_ENGINE:
      x->engine = arg;
      break;
    case SW_GRID:
      x->density_grid = arg;
      break;
    case 'E':
      x->estimator = arg;
      break;
    case 'n':
      x->paths = cli_uint ("paths", arg, 2, UINT64_C (1) << 32);
      break;
    case SW_MAXPATHS:
      x->max_paths = cli_uint ("max-paths", arg, 2, UINT64_C (1) << 32);
      break;
    case SW_PILOT:
      x->pilot = cli_uint ("pilot", arg, 0, UINT64_C (1) << 32);
      break;
    case SW_TARGET:
      x->target_ci = cli_double ("target-ci", arg, 0, 0, 1e6, 0);
      break;
    case SW_BOUND:
      x->bound = cli_double ("bound", arg, 0, 1, INFINITY, 0);
      break;
    case 'S':
      x->seed = cli_uint ("seed", arg, 0, UINT64_MAX);
      break;
    case SW_THREADS:
      x->threads = (int)cli_uint ("threads", arg, 0, 1024);
      break;
    case SW_MAX_SECONDS:
      x->max_seconds = cli_double ("max-seconds", arg, 0, 0, 1e9, 0);
      break;
    case SW_PHI:
      x->phi = arg;
      break;
    case 's':
      x->sde = arg;
      break;
    case 'm':
      x->scheme = arg;
      break;
    case 'k':
      x->step = cli_double ("step", arg, 0, 1, INFINITY, 0);
      break;
    case 't':
      x->checkpoints = arg;
      break;
    case SW_RNG:
      x->rng = arg;
      break;
    case SW_DRIFT:
      x->drift = arg;
      break;
    case SW_DIFFUSION:
      x->diffusion = arg;
      break;
    case SW_STRATONOVICH:
      x->form = "stratonovich";
      break;
    case SW_EXACT:
      x->exact = arg;
      break;
    case SW_MOMENTS:
      x->moments = arg;
      break;
    case SW_STEPS:
      x->steps = arg;
      break;
    case SW_KIND:
      x->errors = arg;
      break;
    case SW_GTOL:
      x->gtol = cli_double ("gtol", arg, 0, 1, 1, 0);
      break;
    case SW_PHI_STEPS:
      x->phi_steps = cli_uint ("phi-steps", arg, 1, UINT64_C (1) << 32);
      break;
    default:
      return 0;
    }
  return 1;
}

/* The tool's own settings; 2 for a listing (already printed).  */
static int
tool_arg (sweep_args *a, int key, const char *arg)
{
  switch (key)
    {
    case 'f':
      if ((a->fmt = sde_report_format_find (arg)) == NULL)
        cli_die (CLI_USAGE, "--format=%s: use text, md, latex, csv or json",
                 sde_q (arg));
      break;
    case 'o':
      a->output = arg;
      break;
    case SW_FITS:
      a->fits = arg;
      break;
    case SW_WIDE:
      a->wide = 1;
      break;
    case SW_COLUMNS:
      a->columns = arg;
      break;
    case SW_STANDALONE:
      a->standalone = 1;
      break;
    case 'P':
      a->plot = arg;
      break;
    case SW_PLOT_SCRIPT:
      a->plot_script = arg;
      break;
    case SW_PLOT_WORK:
      a->plot_work = arg;
      break;
    case SW_EXPECT:
      a->expect = cli_double ("expect-order", arg, -100, 0, 100, 0);
      break;
    case SW_TOL:
      a->tol = cli_double ("tolerance", arg, 0, 0, 100, 0);
      break;
    case SW_PROGRESS:
      if (strcmp (arg, "auto") && strcmp (arg, "always")
          && strcmp (arg, "never"))
        cli_die (CLI_USAGE, "--progress=%s: use auto, always or never",
                 sde_q (arg));
      a->progress
          = strcmp (arg, "auto") == 0 ? -1 : strcmp (arg, "always") == 0;
      break;
    case SW_LIST_PROBLEMS:
      list_problems ();
      return 2;
    case SW_LIST_METHODS:
      list_methods ();
      return 2;
    case SW_LIST_SCHEMES:
      list_schemes ();
      return 2;
    case SW_LIST_SDES:
      list_sdes ();
      return 2;
    default:
      return experiment_arg (&a->x, key, arg);
    }
  return 1;
}

/* ---- Progress on stderr ---- */

typedef struct
{
  int on, tty;
  const char *prog;
  double last; /* when the last line was written */
} progress_state;

static void
duration (char *buf, size_t len, double s)
{
  if (!(s >= 0) || isnan (s))
    snprintf (buf, len, "?");
  else if (s < 90)
    snprintf (buf, len, "%.0f s", s);
  else if (s < 5400)
    snprintf (buf, len, "%.0f min", s / 60);
  else
    snprintf (buf, len, "%.1f h", s / 3600);
}

static int
progress (void *ctx, const sde_experiment_progress *p)
{
  progress_state *ps = ctx;
  if (!ps->on || (!ps->tty && p->elapsed - ps->last < 1.0))
    return 0;
  ps->last = p->elapsed;
  char el[32], left[32];
  duration (el, sizeof el, p->elapsed);
  duration (left, sizeof left, p->remaining);
  fprintf (stderr,
           "%s%s: eta %g (%zu of %zu): %llu paths, %s elapsed, about %s "
           "left%s",
           ps->tty ? "\r" : "", ps->prog, p->eta, p->eta_index + 1, p->neta,
           (unsigned long long)p->paths, el, left, ps->tty ? "\033[K" : "\n");
  fflush (stderr);
  return 0;
}

/* ---- The run ---- */

static sde_report *
open_report (FILE *out, const sweep_args *a, const char *what)
{
  sde_report_opts ro = { a->standalone, a->wide, a->columns };
  sde_report *rep = sde_report_alloc (out, a->fmt, &ro);
  if (rep == NULL)
    cli_die (cli_bad_input (), "%s%s", what, cli_reason ());
  return rep;
}

/* The fits table into --fits=FILE (in --format).  */
static void
write_fits (sde_experiment *x, const sweep_args *a)
{
  cli_target t;
  const char *err = cli_target_check (&t, "fits", a->fits);
  if (err)
    cli_die (CLI_RUNTIME, "%s", err);
  t.slot = 3;
  FILE *f = cli_target_open (&t);
  sde_report *rep = open_report (f, a, "--fits: ");
  if (sde_experiment_write_fits (x, rep) || sde_report_finish (rep))
    {
      cli_target_discard (&t);
      cli_die (CLI_RUNTIME, "--fits=%s: %s", sde_q (a->fits),
               cli_reason_for (GSL_EFAILED));
    }
  sde_report_free (rep);
  cli_target_commit (&t);
}

/* The log-log figure of the errors against the grid, or with WORK
   against the seconds each row took (a work-precision view, which has no
   fitted or theoretical slopes).  */
static void
draw (const sde_experiment *x, const sweep_args *a, const char *file, int work)
{
  const size_t nm = sde_experiment_nmethods (x), no = sde_experiment_nobs (x);
  const char *mn[SDE_ENSEMBLE_MAXPROC], *on[SDE_WEAK_MAXOBS];
  const char *kinds[SDE_ENSEMBLE_MAXPROC];
  double th[SDE_ENSEMBLE_MAXPROC];
  size_t nrows;
  const sde_weak_point *rows = sde_experiment_rows (x, &nrows);
  sde_weak_fit *fits = malloc (sizeof *fits * nm * no);
  sde_weak_point *pts = malloc (sizeof *pts * (nrows ? nrows : 1));
  if (fits == NULL || pts == NULL)
    cli_die (CLI_RUNTIME, "out of memory for the figure");
  for (size_t m = 0; m < nm; m++)
    {
      mn[m] = sde_experiment_method (x, m);
      th[m] = work ? NAN : sde_experiment_theory (x, m, &kinds[m]);
      if (work)
        kinds[m] = "";
      for (size_t o = 0; o < no; o++)
        {
          sde_experiment_fit (x, m, o, &fits[m * no + o]);
          fits[m * no + o].ok &= !work;
        }
    }
  for (size_t o = 0; o < no; o++)
    on[o] = sde_experiment_observable (x, o);
  for (size_t k = 0; k < nrows; k++)
    {
      pts[k] = rows[k];
      if (work)
        pts[k].eta = rows[k].seconds;
    }
  const int order = a->kind == SDE_EXPERIMENT_ORDER;
  const char *errors = a->x.errors ? a->x.errors : "both";
  figure_data d = { nm,
                    no,
                    mn,
                    on,
                    th,
                    kinds,
                    pts,
                    nrows,
                    fits,
                    sde_experiment_title (x),
                    work    ? "seconds of the scheme's steps"
                    : order ? "step size h"
                            : NULL,
                    !order                           ? NULL
                    : strcmp (errors, "strong") == 0 ? "strong error E|X_h - X|"
                    : strcmp (errors, "weak") == 0
                        ? "weak error |e|"
                        : "weak error |e|, strong error E|X_h - X|" };
  figure_options fo = { a->standalone, work ? NULL : a->plot_script,
                        work ? "plot-work" : "plot" };
  /* The figures share one output slot: each is set up again before it is
     drawn (the names were checked before the run).  */
  figure_check (file, &fo);
  figure_plot (&d, file, &fo);
  free (fits);
  free (pts);
}

static void
mark (void *ctx)
{
  (void)ctx;
  cli_output_mark ();
}

static int
run (sde_experiment *x, const sweep_args *a, const char *prog)
{
  FILE *out = cli_output_open (a->output);
  sde_report *rep = open_report (out, a, "");
  sde_experiment_annotate (x, "command", cli_command_line ());
  cli_output_report (rep);
  sde_report_on_write (rep, mark, NULL);
  cli_output_keep ();
  progress_state ps = { a->progress < 0 ? isatty (STDERR_FILENO) : a->progress,
                        isatty (STDERR_FILENO), prog, -1e9 };
  ps.on = ps.on && par_rank () == 0;
  sde_experiment_hooks h = { &ps, progress, par_run };
  cli_reason_clear ();
  int st = sde_experiment_run (x, par_rank () == 0 ? rep : NULL, &h);
  if (ps.on && ps.tty)
    fputs ("\r\033[K", stderr);
  char reason[1100];
  snprintf (reason, sizeof reason, "%s", cli_reason_for (st));
  const int werr = errno;
  if (st && st != SDE_ESTOP)
    sde_report_set_failed (rep);
  /* A write that failed (a full disk) names the file and the error.  */
  if (sde_report_finish (rep) || ferror (out))
    {
      const int e = ferror (out) && werr ? werr : errno ? errno : EIO;
      if (a->output == NULL || strcmp (a->output, "-") == 0)
        cli_die (CLI_RUNTIME, "writing the table to standard output failed: %s",
                 strerror (e));
      cli_die (CLI_RUNTIME, "--output=%s: writing failed: %s",
               sde_q (a->output), strerror (e));
    }
  cli_output_commit ();
  sde_report_free (rep);
  for (size_t i = 0; sde_experiment_note (x, i); i++)
    if (par_rank () == 0
        && strncmp (sde_experiment_note (x, i), "warning: ", 9) == 0)
      fprintf (stderr, "%s: %s\n", prog, sde_experiment_note (x, i));
  if (st == SDE_ESTOP)
    fprintf (stderr,
             "%s: stopped by --max-seconds; the finished rows are "
             "kept\n",
             prog);
  else if (st)
    cli_die (CLI_RUNTIME, "%s", reason);
  return st;
}

int
sweep_main (const cli_tool *tool, sde_experiment_kind kind, int argc,
            char **argv)
{
  sweep_args a = { .fmt = sde_report_text,
                   .progress = -1,
                   .expect = NAN,
                   .tol = 0.1,
                   .kind = kind };
  sde_experiment_defaults (&a.x, kind);
  const char *arg;
  int o;
  par_init (&argc, &argv);
  cli_parallel (par_rank () == 0, par_abort, par_agree);
  cli_init (tool, argc, argv);
  while ((o = cli_next (argc, argv, &arg)) != -1)
    switch (tool_arg (&a, o, arg))
      {
      case 0:
        cli_die (CLI_USAGE, "unhandled option (see --help)");
      case 2:
        return CLI_OK;
      }
  if (a.plot)
    {
      figure_options fo = { a.standalone, a.plot_script, NULL };
      figure_check (a.plot, &fo);
    }
  if (a.plot_work)
    {
      figure_options fo = { a.standalone, NULL, "plot-work" };
      figure_check (a.plot_work, &fo);
    }
  if (a.columns && sde_experiment_check_columns (kind, a.columns))
    cli_die (CLI_USAGE, "--columns=%s: %s", sde_q (a.columns), cli_reason ());
  if (a.fits)
    {
      cli_target t;
      const char *err = cli_target_check (&t, "fits", a.fits);
      cli_agree (cli_writer () ? err : NULL);
    }
  cli_reason_clear ();
  sde_experiment *x = sde_experiment_alloc (&a.x);
  if (x == NULL)
    cli_die (cli_bad_input (), "--%s", cli_reason ());
  const int st = run (x, &a, tool->prog);
  if (par_rank () == 0)
    {
      if (a.fits)
        write_fits (x, &a);
      if (a.plot)
        draw (x, &a, a.plot, 0);
      if (a.plot_work)
        draw (x, &a, a.plot_work, 1);
    }
  int status = CLI_OK;
  if (!isnan (a.expect))
    {
      char why[4096];
      status = sde_experiment_expect (x, a.expect, a.tol, why, sizeof why);
      if (status && par_rank () == 0)
        fprintf (stderr, "%s: %s\n", tool->prog, why);
    }
  (void)st;
  sde_experiment_free (x);
  par_finalize ();
  return status;
}
