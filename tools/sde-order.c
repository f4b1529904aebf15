/* sde-order.c: the convergence of schemes on one SDE, given by expressions
   or from the catalog: weak and strong errors at the horizon over a grid of
   step sizes on one Brownian path per sample, with CIs, fitted orders and
   the seconds each row took (MATH.md section 9).  The run is the
   library's (sdekit/experiment.h, kind order); this file is its options.  */
#include <config.h>

#include "sweep.h"

static const cli_option options[] = {
  SW_OPT_SDE,
  SW_OPT_EXACT,
  SW_OPT_MOMENTS,
  { "x0", SW_X0, "LIST", "the start of a --drift SDE: one value or d values",
    "0" },
  { "sde", 's', "SPEC",
    "or an SDE of the catalog, NAME[:KEY=VALUE,...] from --list-sdes, posed "
    "as expressions with its moments (and gbm's exact solution); or "
    "sde:drift=...,diffusion=... as the provenance prints it",
    "gbm" },
  { "schemes", 'm', "LIST", "the schemes, a comma list from --list-schemes",
    "em,milstein,weak2 (em,weak2 for non-commutative noise)" },
  { "steps", SW_STEPS, "GRID",
    "step sizes h: 2^-2:2^-8 (every power of two between), A:B:K (K "
    "geometric) or a list; each must divide the horizon",
    "2^-2:2^-6" },
  { "horizon", 'T', "T", "the time at which the errors are measured", "1" },
  { "kind", SW_KIND, "KIND",
    "weak (E phi(X_h) - E phi(X)), strong (E |X_h - X|) or both", "both" },
  { "observable", 'O', "LIST",
    "the weak errors' test functions: x<i>, x<i>x<j>, norm2; one that reads "
    "as a PHI of --moments has its exact moment",
    "the PHIs of --moments, else x0" },
  { "paths", 'n', "N", "sample paths, shared by every scheme and step size",
    "10000" },
  { "bound", SW_BOUND, "B", "a path diverges beyond |x_i| > B", "1e10" },
  { "seed", 'S', "SEED", "seed of the random streams", "1" },
  { "threads", SW_THREADS, "N",
    "threads; the errors do not depend on it (0: all cores)", "0" },
  { "format", 'f', "FMT", "text, md, latex, csv or json", "text" },
  { "output", 'o', "FILE", "write the table to FILE (atomically)", NULL },
  { "fits", SW_FITS, "FILE",
    "write the fits table to FILE too (in --format; with csv the only way "
    "to get it)",
    NULL },
  { "wide", SW_WIDE, NULL,
    "show every column in text, md and latex (csv and json always have them)",
    NULL },
  { "columns", SW_COLUMNS, "LIST",
    "the columns to show in text, md and latex, e.g. h,scheme,error,se,seconds",
    NULL },
  { "standalone", SW_STANDALONE, NULL,
    "latex and .tex figures: a whole document, not a fragment to \\input",
    NULL },
  { "plot", 'P', "FILE",
    "the log-log figure of the errors against h: FILE.png, .svg, .pdf "
    "(gnuplot) or .tex (pgfplots)",
    NULL },
  { "plot-script", SW_PLOT_SCRIPT, "FILE",
    "keep the gnuplot script of --plot in FILE", NULL },
  { "plot-work", SW_PLOT_WORK, "FILE",
    "the work-precision figure: the errors against the seconds each row "
    "took (same types as --plot)",
    NULL },
  { "expect-order", SW_EXPECT, "P",
    "exit with status 3 unless every fitted order is consistent with P", NULL },
  { "tolerance", SW_TOL, "Q", "tolerance of --expect-order", "0.1" },
  { "list-schemes", SW_LIST_SCHEMES, NULL, "list the schemes and exit", NULL },
  { "list-sdes", SW_LIST_SDES, NULL,
    "list the catalog's SDEs with their parameters and exit", NULL },
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-order",
  "Measure the weak and strong convergence orders of SDE schemes: errors at "
  "the horizon T over a grid of step sizes h, every scheme and h on one "
  "Brownian path per sample, against the exact solution, exact moments or "
  "a finer reference, with 95% CIs, fitted orders and the seconds each row "
  "took.",
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage, 3 when "
  "--expect-order fails.",
  options,
};

int
main (int argc, char **argv)
{
  return sweep_main (&tool, SDE_EXPERIMENT_ORDER, argc, argv);
}
