/* sde-compare.c: weak errors of stochastic optimizers against their SDE
   (or against another optimizer) as the learning rate shrinks, with
   confidence intervals, noise-floor flags and fitted orders: the
   convergence-rate tables of MATH.md section 8.  The experiment is the
   library's (sdekit/experiment.h); this file is its options.  */
#include <config.h>

#include "sweep.h"

static const cli_option options[] = {
  { "problem", 'p', "SPEC",
    "the problem NAME[:KEY=VALUE,...] (--list-problems)", "doublewell" },
  SW_OPT_LOSS,
  { "x0", SW_X0, "LIST", "initial point", "the problem's" },
  { "noise", 'N', "LAW",
    "gaussian, rademacher, label, student:nu=V, minibatch[:B=N,replace=0|1]",
    "the problem's own" },
  { "tau", SW_TAU, "TAU",
    "hold the temperature tau = eta sigma^2 fixed as eta shrinks (the SDE "
    "scaling; minibatch: B = eta/TAU)",
    "0.5; minibatch: a fixed B = 8" },
  { "sigma", 'g', "SIGMA",
    "hold sigma fixed instead (tau = eta sigma^2 -> 0; for SME-2)", NULL },
  { "methods", 'M', "LIST",
    "optimizers compared, e.g. sgd,sgdm:beta=0.9,svag:l=4,sgd "
    "(--list-methods); all at one effective learning rate",
    "sgd,sgdm:beta=0.9" },
  SW_OPT_FAMILY,
  { "reference", 'r', "REF",
    "sme1[:scheme=S,substeps=M|auto], sme2[:...], underdamped:c=C[,...], "
    "or a method (e.g. sgd); the scheme is weak2, or em for noise S(x) "
    "of more than 8 columns (finite sums)",
    "sme1:substeps=auto" },
  { "schedule", SW_SCHEDULE, "SPEC",
    "learning-rate schedule in SDE time (constant, step:..., cosine, "
    "table:...)",
    "constant" },
  { "eta", 'e', "GRID", "learning rates: 2^-3:2^-9, A:B:K or a list",
    "2^-3:2^-9" },
  { "horizon", 'T', "T", "horizon in SDE time (each eta must divide it)", "1" },
  { "checkpoints", 'C', "TIMES",
    "'every' step (every k-th beyond 4096 steps), or a list of times; the "
    "error is the largest over them",
    "every" },
  { "observable", 'O', "LIST",
    "test functions: x<i>, x<i>x<j>, norm2, loss, cos:w=..., trace, or "
    "expr:EXPR in x0, x1, ... (e.g. expr:exp(-x0^2))",
    "norm2" },
  { "engine", SW_ENGINE, "ENGINE",
    "auto, mc (Monte Carlo), exact (linear-Gaussian: quadratic loss, "
    "constant Gaussian noise) or density (1-D SGD: the law on a grid); "
    "exact and density have no sampling error",
    "auto" },
  { "density-grid", SW_GRID, "LO:HI:N",
    "density engine: the domain and grid points (0: chosen per eta)", "0:0:0" },
  SW_OPT_PATHS ("10000"),
  { "max-paths", SW_MAXPATHS, "N", "cap of --target-ci", "2000000" },
  SW_OPT_RUN,
  SW_OPT_OUTPUT,
  { "list-schemes", SW_LIST_SCHEMES, NULL, "list the SDE schemes and exit",
    NULL },
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-compare",
  "Measure the weak error e(eta) = max_t |E phi(x_k) - E phi(X_t)| of "
  "stochastic optimizers against their SDE limit (or another optimizer) "
  "over a grid of learning rates, with 95% confidence intervals, "
  "noise-floor flags and weighted least-squares orders.",
  "With no arguments it compares SGD and SGDM (beta = 0.9, equal effective "
  "learning rate) with SME-1 on the double well.\n"
  "Exit status: 0 on success (also when --max-seconds stopped the run), 1 "
  "on a runtime failure, 2 on bad usage, 3 when --expect-order fails.",
  options,
};

int
main (int argc, char **argv)
{
  return sweep_main (&tool, SDE_EXPERIMENT_COMPARE, argc, argv);
}
