/* sde-slow.c: SGD and SGDM near a manifold of minimizers against the slow
   SDE (MATH.md section 6; Theorem 4.5 of Wang, Malladi, Wang, Lyu & Li
   2023), over t / eta^2 steps in the fixed-sigma scaling, with the same
   tables, formats, fits and figures as sde-compare.  The experiment is
   the library's (sdekit/experiment.h); this file is its options.  */
#include <config.h>

#include "sweep.h"

static const cli_option options[] = {
  { "problem", 'p', "SPEC",
    "a problem with a manifold of minimizers NAME[:KEY=VALUE,...] "
    "(--list-problems): circle, valley, labelvalley, sparse, ...",
    "labelvalley:delta=1,x0=1.5,0" },
  SW_OPT_LOSS,
  { "x0", SW_X0, "LIST",
    "initial point; off the manifold, the slow SDE starts at Phi(x0) and the "
    "burn-in is reported",
    "the problem's" },
  { "noise", 'N', "LAW", "gaussian, rademacher, label, student:nu=V",
    "the problem's own" },
  { "sigma", 'g', "SIGMA",
    "the fixed noise scale: g = grad L + sigma z (Sigma = sigma^2 S S^T)",
    "1" },
  { "methods", 'M', "LIST",
    "optimizers, e.g. sgd,sgdm:beta=0.9 (--list-methods); all at one "
    "effective learning rate eta",
    "sgd,sgdm:beta=0.9" },
  SW_OPT_FAMILY,
  { "reference", 'r', "REF",
    "slow[:type=projected|explicit|tangent,scheme=em|weak-euler|milstein|"
    "milstein-df|weak2,substeps=M|auto], or a method (e.g. sgd) observed "
    "at Phi like the others; projected takes em only, explicit the schemes "
    "that evaluate on the manifold and whose noise condition holds (em, "
    "weak-euler), tangent (1-D manifolds: scalar noise) all; a scheme "
    "without a type takes tangent on a 1-D manifold, and Monte Carlo",
    "slow:type=projected,substeps=auto" },
  { "eta", 'e', "GRID",
    "learning rates: 2^-1:2^-7, A:B:K or a list; eta^2 must divide the "
    "horizon",
    "2^-1:2^-7" },
  { "horizon", 'T', "T", "horizon in slow time t = k eta^2", "1" },
  { "checkpoints", 'C', "TIMES",
    "'every' step (the error is the maximum over time) or a list of slow "
    "times",
    "every" },
  { "observable", 'O', "LIST",
    "test functions of Phi(x_k): x<i>, norm2, loss, cos:w=..., trace "
    "(tr hess L), or expr:EXPR in x0, x1, ...",
    "x0" },
  { "engine", SW_ENGINE, "ENGINE",
    "the slow SDE's law: auto (density where it applies, else Monte Carlo), "
    "density (Fokker-Planck on a 1-D manifold: no sampling error) or mc",
    "auto" },
  SW_OPT_PATHS ("1000"),
  { "max-paths", SW_MAXPATHS, "N", "cap of --target-ci", "1000000" },
  { "phi", SW_PHI, "HOW",
    "Phi by the problem's closed form where it has one (auto), else by the "
    "gradient flow finished by Newton's method on grad L = 0 (flow, also "
    "where a closed form exists), or by GSL's BDF flow path by path (bdf, "
    "slow: a check)",
    "auto" },
  { "gtol", SW_GTOL, "G", "Phi converged when |grad L| <= G", "1e-11" },
  { "phi-steps", SW_PHI_STEPS, "N", "gradient-flow step budget of one Phi",
    "100000" },
  SW_OPT_RUN,
  SW_OPT_OUTPUT,
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-slow",
  "Measure the weak error of SGD and SGDM near a manifold of minimizers "
  "against the slow SDE, e(eta) = max_t |E phi(Phi(x_{t/eta^2})) - E "
  "phi(zeta_t)|, over a grid of learning rates at fixed sigma, with 95% "
  "confidence intervals, noise-floor flags and fitted orders.",
  "With no arguments it compares SGD and SGDM (beta = 0.9) with the slow SDE "
  "of label-noise SGD on a flat valley, an ODE that the density engine "
  "solves without sampling error, over seven etas down to 2^-7, where SGD's "
  "local slopes have settled (the man page says why).\n"
  "Exit status: 0 on success (also when --max-seconds stopped the run), 1 "
  "on a runtime failure, 2 on bad usage, 3 when --expect-order fails.",
  options,
};

int
main (int argc, char **argv)
{
  return sweep_main (&tool, SDE_EXPERIMENT_SLOW, argc, argv);
}
