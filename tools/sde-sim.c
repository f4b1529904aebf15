/* sde-sim.c: simulate an SDE from the catalog with a chosen scheme, or
   discrete optimizers on a problem, and print moments of observables over
   time with standard errors (and, for catalog SDEs, the exact values).
   The simulation is the library's (sdekit/experiment.h, kind simulate);
   this file is its options.  */
#include <config.h>

#include "sweep.h"

static const cli_option options[] = {
  { "sde", 's', "SPEC",
    "simulate the SDE NAME[:KEY=VALUE,...] from --list-sdes (the default "
    "mode), or sde:drift=...,diffusion=... as the provenance prints it",
    "gbm" },
  SW_OPT_SDE,
  SW_OPT_MOMENTS,
  { "scheme", 'm', "LIST",
    "SDE mode: the scheme from --list-schemes, or a comma list of them (one "
    "process each)",
    "em" },
  { "step", 'k', "H", "SDE mode: the step size; must divide the horizon",
    "0.01" },
  { "problem", 'p', "SPEC",
    "simulate optimizers on the problem NAME[:KEY=VALUE,...] from "
    "--list-problems",
    NULL },
  SW_OPT_LOSS,
  { "method", 'M', "LIST",
    "optimizers, e.g. sgd,sgdm:beta=0.9,hb:lr=0.01,momentum=0.9,"
    "svag:l=4,sgd (see --list-methods)",
    "sgd" },
  { "eta", 'e', "ETA",
    "optimizer mode: the learning rate (the effective one for momentum)",
    "0.01" },
  { "noise", 'N', "LAW",
    "optimizer mode: gaussian, rademacher, label, student:nu=V or "
    "minibatch:B=N,replace=0|1",
    "the problem's own" },
  { "sigma", 'g', "SIGMA",
    "optimizer mode: noise scale sigma of g = grad L + sigma z (not for "
    "minibatch noise, whose scale comes from B)",
    "1" },
  { "tau", SW_TAU, "TAU",
    "optimizer mode: hold the temperature instead: sigma = sqrt(TAU/ETA)",
    NULL },
  { "schedule", SW_SCHEDULE, "SPEC",
    "optimizer mode: learning-rate schedule: constant, "
    "step:at=T1,...,factor=F, cosine, table:t=...,v=...",
    "constant" },
  { "x0", SW_X0, "LIST",
    "initial point (one value or d values) of the optimizers or of a --drift "
    "SDE; a catalog SDE's is in --sde",
    "the problem's, or 0" },
  { "observable", 'O', "LIST",
    "what to average: x<i>, x<i>x<j>, norm2, loss, cos:w=..., trace, or "
    "expr:EXPR in x0, x1, ...",
    "x0 (SDE; the PHIs of --moments), loss,x0 (methods)" },
  { "horizon", 'T', "T", "final time (SDE time t = k eta for methods)", "1" },
  { "times", 't', "LIST",
    "comma-separated output times, each a multiple of the step, or 'every' "
    "step (every k-th beyond 4096 steps)",
    "T/4,T/2,3T/4,T" },
  { "paths", 'n', "N", "number of sample paths", "100000" },
  { "bound", SW_BOUND, "B",
    "a path diverges when a coordinate exceeds B in absolute value", "1e10" },
  { "seed", 'S', "SEED", "seed of the random streams", "1" },
  { "rng", SW_RNG, "NAME",
    "philox (counter-based) or a GSL generator name (one thread)", "philox" },
  { "threads", SW_THREADS, "N",
    "threads; the numbers do not depend on it (0: all cores)", "0" },
  { "format", 'f', "FMT", "table format: text, csv, md, latex or json",
    "text" },
  { "output", 'o', "FILE",
    "write the table to FILE (atomically) instead of stdout", NULL },
  { "wide", SW_WIDE, NULL,
    "show every column in text, md and latex (csv and json always have "
    "them)",
    NULL },
  { "columns", SW_COLUMNS, "LIST", "the columns to show in text, md and latex",
    NULL },
  { "standalone", SW_STANDALONE, NULL,
    "latex: a whole document, not a fragment to \\input", NULL },
  { "list-schemes", SW_LIST_SCHEMES, NULL, "list the schemes and exit", NULL },
  { "list-sdes", SW_LIST_SDES, NULL,
    "list the SDEs with their parameters and exit", NULL },
  { "list-problems", SW_LIST_PROBLEMS, NULL,
    "list the problems with their parameters and exit", NULL },
  { "list-methods", SW_LIST_METHODS, NULL, "list the optimizers and exit",
    NULL },
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-sim",
  "Simulate an Ito SDE dX = a dt + b dW from the catalog or from "
  "expressions, or stochastic optimizers x' = x - eta g on a problem, and "
  "print the mean and variance of observables at the output times with "
  "standard errors (SE); where the SDE's moments are known also the exact "
  "values and the bias in SE units.",
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage.",
  options,
};

int
main (int argc, char **argv)
{
  return sweep_main (&tool, SDE_EXPERIMENT_SIMULATE, argc, argv);
}
