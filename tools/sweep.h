/* sweep.h: the command line of the experiment tools (sde-compare,
   sde-slow): one set of options and one parser, mapped onto the library's
   experiment (sdekit/experiment.h), and one main that runs it into the
   table, the fits file, the figure and --expect-order.  A tool is its
   option table and its description.  */
#ifndef SDEKIT_SWEEP_H
#define SDEKIT_SWEEP_H

#include "cli.h"
#include "sdekit/experiment.h"

/* Option keys (long-only ones from 256).  */
enum
{
  SW_LOSS = 256,
  SW_NOISE_COV,
  SW_NOISE_FACTOR,
  SW_TAU,
  SW_ALPHA,
  SW_C,
  SW_SCHEDULE,
  SW_TARGET,
  SW_MAXPATHS,
  SW_PILOT,
  SW_THREADS,
  SW_EXPECT,
  SW_TOL,
  SW_X0,
  SW_BOUND,
  SW_ENGINE,
  SW_GRID,
  SW_PHI,
  SW_GTOL,
  SW_PHI_STEPS,
  SW_FITS,
  SW_WIDE,
  SW_COLUMNS,
  SW_STANDALONE,
  SW_PLOT_SCRIPT,
  SW_PROGRESS,
  SW_MAX_SECONDS,
  SW_LIST_PROBLEMS,
  SW_LIST_METHODS,
  SW_LIST_SCHEMES,
  SW_LIST_SDES,
  SW_RNG,
  SW_DRIFT,
  SW_DIFFUSION,
  SW_STRATONOVICH,
  SW_EXACT,
  SW_MOMENTS,
  SW_STEPS,
  SW_KIND,
  SW_PLOT_WORK
};

/* The --help entries the tools share, word for word.  */
#define SW_OPT_SDE                                                             \
  { "drift", SW_DRIFT, "LIST",                                                 \
    "an SDE from expressions instead of --sde: the drift a(t, x), d entries "  \
    "in x0, x1, ... and t separated by commas, e.g. '-x0, x0 - x1'",           \
    NULL },                                                                    \
      { "diffusion", SW_DIFFUSION, "B",                                        \
        "its diffusion b(t, x), d x r: [B00,B01;B10,B11] (rows separated by "  \
        "';'), diag(B0,...,Bd-1) or one EXPR (times I)",                       \
        NULL },                                                                \
  {                                                                            \
    "stratonovich", SW_STRATONOVICH, NULL,                                     \
        "the SDE is dX = a dt + b o dW (Stratonovich), converted to Ito "      \
        "symbolically",                                                        \
        NULL                                                                   \
  }
#define SW_OPT_EXACT                                                           \
  {                                                                            \
    "exact", SW_EXACT, "LIST",                                                 \
        "its exact solution X_t = F(t, x0, W_t): d entries in t, x0, x1, ... " \
        "and W0, W1, ... (W when r = 1), checked by Ito's formula",            \
        NULL                                                                   \
  }
#define SW_OPT_MOMENTS                                                         \
  {                                                                            \
    "moments", SW_MOMENTS, "LIST",                                             \
        "its exact moments 'PHI: U; PHI: U': E phi(X_t) = u(t, x0) in t and "  \
        "x0, x1, ..., checked by the backward Kolmogorov equation; the PHIs "  \
        "are the default observables",                                         \
        NULL                                                                   \
  }
#define SW_OPT_LOSS                                                            \
  { "loss", SW_LOSS, "EXPR",                                                   \
    "a loss in x0, x1, ... instead of --problem (see the man page for the "    \
    "syntax)",                                                                 \
    NULL },                                                                    \
      { "noise-cov", SW_NOISE_COV, "COV",                                      \
        "the loss's noise covariance: EXPR (times I), diag(E1,...) or "        \
        "[E11,E12;E21,E22]",                                                   \
        "1" },                                                                 \
  {                                                                            \
    "noise-factor", SW_NOISE_FACTOR, "S",                                      \
        "or its noise factor S (Sigma = S S^T): [S11,...;...] (d x r), "       \
        "diag(...) or EXPR",                                                   \
        NULL                                                                   \
  }
#define SW_OPT_FAMILY                                                          \
  { "alpha", SW_ALPHA, "A",                                                    \
    "momentum family 1 - beta = c eta^A for momentum methods without beta",    \
    NULL },                                                                    \
  {                                                                            \
    "c", SW_C, "C", "the constant c of the momentum family", "1"               \
  }
#define SW_OPT_PATHS(DEFAULT)                                                  \
  { "paths", 'n', "N", "paths per eta (the first batch with --target-ci)",     \
    DEFAULT },                                                                 \
      { "target-ci", SW_TARGET, "F",                                           \
        "add paths until the 95% CI half-width is at most F |e|, or F times "  \
        "1e-6 of the observable's scale for an error that is zero (0: off)",   \
        "0.1" },                                                               \
  {                                                                            \
    "pilot", SW_PILOT, "N",                                                    \
        "paths that choose t_max, apart from those that estimate e "           \
        "(0: paths/4)",                                                        \
        "0"                                                                    \
  }
#define SW_OPT_RUN                                                             \
  { "estimator", 'E', "KIND", "coupled (common Brownian path) or independent", \
    "coupled" },                                                               \
      { "bound", SW_BOUND, "B", "a path diverges beyond |x_i| > B", "1e10" },  \
      { "seed", 'S', "SEED", "seed of the random streams", "1" },              \
      { "threads", SW_THREADS, "N",                                            \
        "threads; the table does not depend on it (0: all cores)", "0" },      \
      { "max-seconds", SW_MAX_SECONDS, "S",                                    \
        "stop after S seconds, keeping every finished row (0: no limit)",      \
        "0" },                                                                 \
  {                                                                            \
    "progress", SW_PROGRESS, "WHEN",                                           \
        "progress on stderr: auto (on a terminal), always or never", "auto"    \
  }
#define SW_OPT_OUTPUT                                                          \
  { "format", 'f', "FMT", "text, md, latex, csv or json", "text" },            \
      { "output", 'o', "FILE",                                                 \
        "write the table to FILE (atomically, row by row)", NULL },            \
      { "fits", SW_FITS, "FILE",                                               \
        "write the fits table to FILE too (in --format; with csv the only "    \
        "way to get it)",                                                      \
        NULL },                                                                \
      { "wide", SW_WIDE, NULL,                                                 \
        "show every column in text, md and latex (csv and json always have "   \
        "them)",                                                               \
        NULL },                                                                \
      { "columns", SW_COLUMNS, "LIST",                                         \
        "the columns to show in text, md and latex, e.g. "                     \
        "eta,method,error,se,t_max",                                           \
        NULL },                                                                \
      { "standalone", SW_STANDALONE, NULL,                                     \
        "latex and .tex figures: a whole document, not a fragment to "         \
        "\\input",                                                             \
        NULL },                                                                \
      { "plot", 'P', "FILE",                                                   \
        "the log-log figure: FILE.png, .svg, .pdf (gnuplot) or .tex "          \
        "(pgfplots)",                                                          \
        NULL },                                                                \
      { "plot-script", SW_PLOT_SCRIPT, "FILE",                                 \
        "keep the gnuplot script of --plot in FILE", NULL },                   \
      { "expect-order", SW_EXPECT, "P",                                        \
        "exit with status 3 unless every fitted order is consistent with P "   \
        "(one-sided where the theory is a bound)",                             \
        NULL },                                                                \
      { "tolerance", SW_TOL, "Q", "tolerance of --expect-order", "0.1" },      \
      { "list-problems", SW_LIST_PROBLEMS, NULL, "list the problems and exit", \
        NULL },                                                                \
  {                                                                            \
    "list-methods", SW_LIST_METHODS, NULL, "list the optimizers and exit",     \
        NULL                                                                   \
  }

/* Parses the options with TOOL's table into an experiment of KIND and runs
   it: the table to --output (or stdout), the fits to --fits, the figure to
   --plot; progress on stderr.  Returns the exit status (0, 1, 3); usage
   errors exit with status 2 before any output.  */
int sweep_main (const cli_tool *tool, sde_experiment_kind kind, int argc,
                char **argv);

#endif /* SDEKIT_SWEEP_H */
