/* compare.h: the parts of a convergence table shared by sde-compare and
   sde-slow: the error and fit tables, the notes that flag Monte Carlo
   noise, --expect-order, and the log-log figure (--plot).  */
#ifndef SDEKIT_COMPARE_H
#define SDEKIT_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "sdekit/report.h"
#include "sdekit/weak.h"

/* Options sde-compare and sde-slow share, with one meaning and one parser:
   the keys of the long-only ones (a tool's own start at CMP_OPT_NEXT) and
   their values.  */
enum
{
  CMP_OPT_LOSS = 256,
  CMP_OPT_ALPHA,
  CMP_OPT_C,
  CMP_OPT_TARGET,
  CMP_OPT_MAXPATHS,
  CMP_OPT_THREADS,
  CMP_OPT_EXPECT,
  CMP_OPT_TOL,
  CMP_OPT_LIST_PROBLEMS,
  CMP_OPT_LIST_METHODS,
  CMP_OPT_X0,
  CMP_OPT_BOUND,
  CMP_OPT_NEXT
};

/* Their --help entries, where the two tools say the same.  */
#define CMP_OPTION_LOSS                                                        \
  {                                                                            \
    "loss", CMP_OPT_LOSS, "EXPR",                                              \
        "a loss in x0, x1, ... instead, with isotropic unit Gaussian noise",   \
        NULL                                                                   \
  }
#define CMP_OPTIONS_FAMILY                                                     \
  { "alpha", CMP_OPT_ALPHA, "A",                                               \
    "momentum family 1 - beta = c eta^A for momentum methods without beta",    \
    NULL },                                                                    \
  {                                                                            \
    "c", CMP_OPT_C, "C", "the constant c of the momentum family", "1"          \
  }
#define CMP_OPTIONS_PATHS                                                      \
  { "paths", 'n', "N", "paths per eta (the first batch with --target-ci)",     \
    "10000" },                                                                 \
  {                                                                            \
    "target-ci", CMP_OPT_TARGET, "F",                                          \
        "add paths until the 95% CI half-width is at most F |e|, or F times "  \
        "1e-6 of the observable's scale for an error that is zero (0: off)",   \
        "0.1"                                                                  \
  }
#define CMP_OPTION_ESTIMATOR                                                   \
  {                                                                            \
    "estimator", 'E', "KIND", "coupled (common Brownian path) or independent", \
        "coupled"                                                              \
  }
#define CMP_OPTION_BOUND                                                       \
  {                                                                            \
    "bound", CMP_OPT_BOUND, "B", "a path diverges beyond |x_i| > B", "1e10"    \
  }
#define CMP_OPTIONS_OUTPUT                                                     \
  { "seed", 'S', "SEED", "seed of the random streams", "1" },                  \
      { "threads", CMP_OPT_THREADS, "N",                                       \
        "threads; the table does not depend on it (0: all cores)", "0" },      \
      { "format", 'f', "FMT", "text, md, latex, csv or json", "text" },        \
      { "output", 'o', "FILE",                                                 \
        "write the table to FILE (atomically, row by row)", NULL },            \
      { "plot", 'P', "FILE",                                                   \
        "the log-log figure: FILE.png, .svg, .pdf (gnuplot) or .tex "          \
        "(a pgfplots picture to \\input)",                                     \
        NULL },                                                                \
      { "expect-order", CMP_OPT_EXPECT, "P",                                   \
        "exit with status 3 unless every fitted order is within --tolerance "  \
        "of P",                                                                \
        NULL },                                                                \
      { "tolerance", CMP_OPT_TOL, "Q", "tolerance of --expect-order", "0.1" }, \
      { "list-problems", CMP_OPT_LIST_PROBLEMS, NULL,                          \
        "list the problems and exit", NULL },                                  \
  {                                                                            \
    "list-methods", CMP_OPT_LIST_METHODS, NULL,                                \
        "list the optimizers and exit", NULL                                   \
  }

typedef struct
{
  const char *problem, *loss, *noise, *methods, *ref, *eta, *checkpoints;
  const char *obs, *x0, *estimator, *output, *plot;
  double sigma, alpha, cfam, T, T_max, target, expect, tol, bound;
  uint64_t paths, maxpaths, seed;
  const sde_report_format *fmt;
  int threads;
} compare_args;

/* The defaults the two tools share: methods SGD and SGDM (beta = 0.9),
   checkpoints at every step, the coupled estimator, horizon 1 (at most
   1e9), --target-ci 0.1 from 10000 paths up to 2000000, seed 1, text.  */
void compare_args_init (compare_args *a);

/* Stores a shared option's checked value in A: 1 when KEY is one, 2 when
   it was a listing, already printed (the tool then ends with status 0),
   0 for any other key.  Bad values end the program with status 2.  */
int compare_arg (compare_args *a, int key, const char *arg);

typedef struct
{
  sde_report *rep;
  const char *const *method_names; /* nmethods */
  const char *const *obs_names;    /* nobs */
  const double *theory;            /* per method: the theory's order */
  const char *const *theory_kind;  /* per method: "exact", "bound", ... */
  size_t nmethods, nobs;
  const char *ref_name;
  const unsigned *svag;          /* per method: SVAG's l (1: plain) */
  const char *const *svag_inner; /* per method: the wrapped method */
  int sde_reference;             /* show the reference's substeps and error */
  /* Why the reference changes with eta (fixed sigma, SME-2, a fixed
     minibatch): the consistency check across etas does not apply.  NULL:
     one reference for every eta.  */
  const char *ref_varies;
  /* every row so far, for the fits and the figure (grown as needed) */
  sde_weak_point *rows;
  size_t nrows, cap;
  int warned_target;
} compare;

/* Starts the error table.  */
void compare_begin (compare *c);

/* The row callback of sde_weak_run: prints and keeps the rows (a status
   with a reason when memory or the output fails).  */
int compare_rows (void *ctx, const sde_weak_point *rows, size_t n);

/* Frees the rows kept (the struct itself is the caller's).  */
void compare_free (compare *c);

/* Prints the fit table and the warnings; fills fits[method * nobs + obs]
   (may be NULL).  */
void compare_fits (compare *c, sde_weak_fit *fits);

/* --expect-order: the exit status (0, or 3 when a fitted order misses
   P +- Q or cannot be fitted).  */
int compare_expect (const compare *c, const sde_weak_fit *fits, double P,
                    double Q);

/* --plot=FILE: .png, .svg or .pdf through gnuplot, .tex as a pgfplots
   picture to \input (figure.c).  Returns, or exits 1 with a message
   (gnuplot failed, a write failed, no error above 0 to draw).  */
void compare_plot (const compare *c, const sde_weak_fit *fits, const char *file,
                   const char *title);

/* Checks a --plot file name before the run (exit 2 on an unknown
   extension).  */
void compare_plot_check (const char *file);

#endif /* SDEKIT_COMPARE_H */
