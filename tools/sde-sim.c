/* sde-sim.c: simulate an SDE from the catalog with a chosen scheme, or a
   discrete optimizer on a problem, and print moments of observables over
   time with standard errors (and, for catalog SDEs, the exact values).  */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "par.h"
#include "sdekit/ensemble.h"
#include "sdekit/report.h"
#include "setup.h"

enum
{
  OPT_RNG = 256,
  OPT_LIST_SCHEMES,
  OPT_LIST_SDES,
  OPT_LIST_PROBLEMS,
  OPT_LIST_METHODS,
  OPT_THREADS,
  OPT_SCHEDULE,
  OPT_X0,
  OPT_BOUND,
  OPT_LOSS,
  OPT_TAU
};

static const cli_option options[] = {
  { "sde", 's', "SPEC",
    "simulate the SDE NAME[:KEY=VALUE,...] from --list-sdes (the default "
    "mode)",
    "gbm" },
  { "scheme", 'm', "NAME", "SDE mode: the scheme, from --list-schemes", "em" },
  { "step", 'k', "H", "SDE mode: the step size; must divide the horizon",
    "0.01" },
  { "problem", 'p', "SPEC",
    "simulate optimizers on the problem NAME[:KEY=VALUE,...] from "
    "--list-problems",
    NULL },
  { "loss", OPT_LOSS, "EXPR",
    "simulate optimizers on the loss EXPR in x0, x1, ... (isotropic unit "
    "Gaussian noise)",
    NULL },
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
  { "tau", OPT_TAU, "TAU",
    "optimizer mode: hold the temperature instead: sigma = sqrt(TAU/ETA)",
    NULL },
  { "schedule", OPT_SCHEDULE, "SPEC",
    "optimizer mode: learning-rate schedule: constant, "
    "step:at=T1,...,factor=F, cosine, table:t=...,v=...",
    "constant" },
  { "x0", OPT_X0, "LIST",
    "optimizer mode: initial point (one value or d values); an SDE's is in "
    "--sde",
    "the problem's" },
  { "observable", 'O', "LIST",
    "what to average: x<i>, norm2, loss, cos:w=..., trace",
    "x0 (SDE), loss,x0 (methods)" },
  { "horizon", 'T', "T", "final time (SDE time t = k eta for methods)", "1" },
  { "times", 't', "LIST",
    "comma-separated output times, each a multiple of the step, or 'every' "
    "step (every k-th beyond 4096 steps)",
    "T/4,T/2,3T/4,T" },
  { "paths", 'n', "N", "number of sample paths", "100000" },
  { "bound", OPT_BOUND, "B",
    "a path diverges when a coordinate exceeds B in absolute value", "1e10" },
  { "seed", 'S', "SEED", "seed of the random streams", "1" },
  { "rng", OPT_RNG, "NAME",
    "philox (counter-based) or a GSL generator name (one thread)", "philox" },
  { "threads", OPT_THREADS, "N",
    "threads; the numbers do not depend on it (0: all cores)", "0" },
  { "format", 'f', "FMT", "table format: text, csv, md, latex or json",
    "text" },
  { "output", 'o', "FILE",
    "write the table to FILE (atomically) instead of stdout", NULL },
  { "list-schemes", OPT_LIST_SCHEMES, NULL, "list the schemes and exit", NULL },
  { "list-sdes", OPT_LIST_SDES, NULL,
    "list the SDEs with their parameters and exit", NULL },
  { "list-problems", OPT_LIST_PROBLEMS, NULL,
    "list the problems with their parameters and exit", NULL },
  { "list-methods", OPT_LIST_METHODS, NULL, "list the optimizers and exit",
    NULL },
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-sim",
  "Simulate an Ito SDE dX = a dt + b dW from the catalog, or stochastic "
  "optimizers x' = x - eta g on a problem, and print the mean and variance "
  "of observables at the output times with standard errors (SE); for "
  "catalog SDEs also the exact values and the bias in SE units.",
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage.",
  options,
};

static void
list_schemes (void)
{
  printf ("%-12s %-7s %-5s %s\n", "scheme", "strong", "weak", "description");
  for (const sde_stepper_type *const *t = sde_stepper_types (); *t; t++)
    {
      char strong[16] = "-";
      if ((*t)->strong_order > 0)
        snprintf (strong, sizeof strong, "%g", (*t)->strong_order);
      printf ("%-12s %-7s %-5g %s\n", (*t)->name, strong, (*t)->weak_order,
              (*t)->description);
    }
}

static void
list_sdes (void)
{
  const char *desc, *params;
  for (size_t i = 0; sde_system_name (i, &desc, &params); i++)
    printf ("%-6s %-28s %s\n", sde_system_name (i, NULL, NULL), params, desc);
}

static void
list_problems (void)
{
  const char *desc, *params;
  for (size_t i = 0; sde_problem_name (i, &desc, &params); i++)
    printf ("%s: %s\n    %s\n", sde_problem_name (i, NULL, NULL), desc, params);
}

static void
list_methods (void)
{
  for (const sde_optim_type *const *t = sde_optim_types (); *t; t++)
    printf ("%-9s %s\n", (*t)->name, (*t)->description);
  printf ("%-9s %s\n", "svag",
          "svag:l=L,METHOD: SVAG(L) of Li, Malladi & Arora: eta/L, L times "
          "the steps, two oracle samples combined");
}

int
main (int argc, char **argv)
{
  const char *sde = NULL, *scheme = "em", *rngname = "philox";
  const char *times_arg = NULL, *output = NULL, *problem = NULL, *loss = NULL;
  const char *methods_arg = "sgd", *noise = NULL, *schedule = "constant";
  const char *x0_arg = NULL, *obs_arg = NULL;
  double h = 0.01, T = 1.0, eta = 0.01, sigma = 1, tau = NAN, bound = 1e10;
  uint64_t npaths = 100000, seed = 1;
  const sde_report_format *fmt = sde_report_text;
  int threads = 0, have_sigma = 0, method_mode = 0;
  /* Options of one mode only: given in the other, they would be ignored. */
  const char *sde_only = NULL, *method_only = NULL;
  const char *arg;
  int c;

  par_init (&argc, &argv);
  cli_parallel (par_rank () == 0, par_abort, par_agree);
  cli_init (&tool, argc, argv);
  while ((c = cli_next (argc, argv, &arg)) != -1)
    switch (c)
      {
      case 's':
        sde = arg;
        break;
      case 'm':
        scheme = arg;
        sde_only = "--scheme";
        break;
      case 'k':
        h = cli_double ("step", arg, 0, 1, INFINITY, 0);
        sde_only = "--step";
        break;
      case 'p':
        problem = arg;
        method_mode = 1;
        break;
      case OPT_LOSS:
        loss = arg;
        method_mode = 1;
        break;
      case 'M':
        methods_arg = arg;
        method_mode = 1;
        break;
      case 'e':
        eta = cli_double ("eta", arg, 0, 1, 1e6, 0);
        method_only = "--eta";
        break;
      case 'N':
        noise = arg;
        method_only = "--noise";
        break;
      case 'g':
        sigma = cli_double ("sigma", arg, 0, 0, 1e12, 0);
        have_sigma = 1;
        method_only = "--sigma";
        break;
      case OPT_TAU:
        tau = cli_double ("tau", arg, 0, 0, 1e12, 0);
        method_only = "--tau";
        break;
      case OPT_SCHEDULE:
        schedule = arg;
        method_only = "--schedule";
        break;
      case OPT_X0:
        x0_arg = arg;
        method_only = "--x0";
        break;
      case 'O':
        obs_arg = arg;
        break;
      case 'T':
        T = cli_double ("horizon", arg, 0, 1, 1e12, 0);
        break;
      case 't':
        times_arg = arg;
        break;
      case 'n':
        npaths = cli_uint ("paths", arg, 2, UINT64_C (0xffffffff));
        break;
      case OPT_BOUND:
        bound = cli_double ("bound", arg, 0, 1, INFINITY, 0);
        break;
      case 'S':
        seed = cli_uint ("seed", arg, 0, UINT64_MAX);
        break;
      case OPT_RNG:
        rngname = arg;
        break;
      case OPT_THREADS:
        threads = (int)cli_uint ("threads", arg, 0, 1024);
        break;
      case 'f':
        fmt = sde_report_format_find (arg);
        if (fmt == NULL)
          cli_die (CLI_USAGE, "--format=%s: use text, csv, md, latex or json",
                   arg);
        break;
      case 'o':
        output = arg;
        break;
      case OPT_LIST_SCHEMES:
        list_schemes ();
        return CLI_OK;
      case OPT_LIST_SDES:
        list_sdes ();
        return CLI_OK;
      case OPT_LIST_PROBLEMS:
        list_problems ();
        return CLI_OK;
      case OPT_LIST_METHODS:
        list_methods ();
        return CLI_OK;
      default:
        cli_die (CLI_USAGE, "unhandled option (see --help)");
      }

  /* Validate everything before any output exists.  */
  if (sde && method_mode)
    cli_die (CLI_USAGE, "--sde simulates an SDE; --problem, --loss and "
                        "--method simulate optimizers: choose one");
  if (have_sigma && !isnan (tau))
    cli_die (CLI_USAGE, "--sigma and --tau exclude each other");
  if (!method_mode && method_only)
    cli_die (CLI_USAGE,
             "%s applies to optimizers (--problem, --loss or --method), not "
             "to an SDE: set the SDE's parameters in --sde=NAME:KEY=VALUE "
             "(--list-sdes)",
             method_only);
  if (method_mode && sde_only)
    cli_die (CLI_USAGE,
             "%s applies to an SDE (--sde), not to optimizers: they step by "
             "--eta",
             sde_only);
  sde_rng *rng = sde_rng_alloc (rngname, seed);
  if (rng == NULL)
    cli_die (cli_bad_input (), "--rng=%s: %s", sde_q (rngname), cli_reason ());

  sde_system_named *sys = NULL;
  sde_problem *pb = NULL;
  sde_optim methods[SDE_ENSEMBLE_MAXPROC];
  sde_process proc[SDE_ENSEMBLE_MAXPROC];
  sde_observable obs[16];
  size_t nproc = 0, nobs;
  double *x0 = NULL, step;
  const sde_stepper_type *type = NULL;
  memset (proc, 0, sizeof proc);

  if (!method_mode)
    {
      const char *spec = sde ? sde : "gbm";
      type = sde_stepper_type_find (scheme);
      if (type == NULL)
        cli_die (CLI_USAGE, "--scheme=%s: unknown scheme (see --list-schemes)",
                 scheme);
      sys = sde_system_alloc (spec);
      if (sys == NULL)
        cli_die (CLI_USAGE, "--sde=%s: %s", spec, cli_reason ());
      setup_scheme ("scheme", type, &sys->sys);
      step = h;
      nobs = setup_observables (obs_arg ? obs_arg : "x0", sys->sys.dim, NULL,
                                obs, 16);
      proc[0] = (sde_process){ .kind = SDE_PROCESS_SDE,
                               .label = type->name,
                               .sys = &sys->sys,
                               .scheme = type,
                               .substeps = 1,
                               .x0 = sys->x0,
                               .dim = sys->sys.dim };
      nproc = 1;
    }
  else
    {
      pb = setup_problem (problem, loss, "doublewell");
      x0 = setup_x0 (pb, x0_arg);
      nproc = setup_methods ("method", methods_arg, methods,
                             SDE_ENSEMBLE_MAXPROC);
      setup_schedule (schedule, T, methods, nproc);
      sde_oracle orc;
      setup_noise (&orc, pb, noise);
      step = 0;
      for (size_t i = 0; i < nproc; i++)
        {
          if (sde_optim_set (&methods[i], eta))
            cli_die (CLI_USAGE, "--method: %s", cli_reason ());
          if (i && fabs (methods[i].eta - step) > 1e-12 * step)
            cli_die (CLI_USAGE,
                     "--method: the methods need one effective "
                     "learning rate (%g and %g)",
                     step, methods[i].eta);
          step = methods[i].eta;
        }
      /* Minibatch noise has its scale from B and exact gradients have
         none: a sigma or tau would be silently ignored.  */
      if ((have_sigma || !isnan (tau))
          && (orc.law == SDE_ORACLE_MINIBATCH || orc.law == SDE_ORACLE_NONE))
        cli_die (CLI_USAGE, "%s: %s", have_sigma ? "--sigma" : "--tau",
                 orc.law == SDE_ORACLE_NONE
                     ? "the noise law is none: there is no noise to scale"
                     : "minibatch noise takes its scale from the batch "
                       "(sigma = 1/sqrt(B)): choose B in --noise instead");
      orc.sigma = isnan (tau) ? sigma : sqrt (tau / step);
      nobs = setup_observables (obs_arg ? obs_arg : "loss,x0", pb->dim, pb, obs,
                                16);
      for (size_t i = 0; i < nproc; i++)
        {
          proc[i] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                   .label = methods[i].spec,
                                   .method = &methods[i],
                                   .oracle = orc,
                                   .x0 = x0,
                                   .dim = pb->dim };
          proc[i].oracle.svag = methods[i].svag;
          if (sde_oracle_check (&proc[i].oracle))
            cli_die (CLI_USAGE, "--noise: %s", cli_reason ());
        }
    }
  /* The step first: its error names the step's option.  */
  size_t nsteps = setup_steps (method_mode ? "eta" : "step", T, step);
  setup_cost ((double)nsteps * (double)npaths * (double)nproc);
  size_t *check;
  size_t ncheck = setup_checkpoints ("times", times_arg, T, step, &check);

  sde_ensemble ens = { .eta = step,
                       .nsteps = nsteps,
                       .check = check,
                       .ncheck = ncheck,
                       .obs = obs,
                       .nobs = nobs,
                       .proc = proc,
                       .nproc = nproc,
                       .ref = -1,
                       .coupled = method_mode,
                       .rng = rng,
                       .stream0 = 0,
                       .bound = bound,
                       .chunk = 256,
                       .threads = threads };
  sde_ensemble_sums *sums = sde_ensemble_sums_alloc (&ens);
  if (sums == NULL)
    cli_die (CLI_RUNTIME, "out of memory");

  FILE *out = cli_output_open (output);
  sde_report *rep = sde_report_alloc (out, fmt, NULL);
  if (rep == NULL)
    cli_die (CLI_RUNTIME, "%s", cli_reason_for (GSL_ENOMEM));
  char buf[512];
  sde_report_meta (rep, "sdekit", PACKAGE_VERSION);
  sde_report_meta (rep, "command", cli_command_line ());
  snprintf (buf, sizeof buf, "%llu", (unsigned long long)seed);
  sde_report_meta (rep, "seed", buf);
  sde_report_meta (rep, "rng", sde_rng_name (rng));
  if (strcmp (sde_rng_name (rng), "philox") != 0)
    {
      /* A GSL generator is reseeded per block with a 32-bit hash, so
         blocks can repeat (birthday bound over at least steps x chunks
         blocks): say how likely that is rather than hide it.  */
      double blocks = (double)nsteps * ceil ((double)npaths / 256.0);
      double pairs = blocks * (blocks - 1) / 2 / 4294967296.0;
      snprintf (buf, sizeof buf,
                "%s is reseeded for each of >= %.3g blocks of 256 paths "
                "from a 32-bit seed: about %.2g pairs of blocks repeat%s",
                sde_rng_name (rng), blocks, pairs,
                pairs >= 0.1 ? " (use --rng=philox for large runs)" : "");
      sde_report_note (rep, buf);
      if (pairs >= 0.1 && par_rank () == 0)
        fprintf (stderr, "sde-sim: warning: %s\n", buf);
    }
  if (!method_mode)
    {
      sde_report_meta (rep, "sde", sys->spec);
      snprintf (buf, sizeof buf, "%s, step %.17g, %zu steps, %llu paths",
                type->name, h, nsteps, (unsigned long long)npaths);
      sde_report_meta (rep, "scheme", buf);
    }
  else
    {
      sde_report_meta (rep, "problem", sde_problem_spec (pb));
      if (x0_arg)
        sde_report_meta (rep, "x0", x0_arg); /* in place of the spec's x0 */
      const sde_oracle *o = &proc[0].oracle;
      if (o->law == SDE_ORACLE_MINIBATCH)
        snprintf (buf, sizeof buf,
                  "minibatch, B = %zu %s replacement, eta %.17g, %zu steps, "
                  "%llu paths",
                  o->batch, o->replace ? "with" : "without", step, nsteps,
                  (unsigned long long)npaths);
      else
        snprintf (buf, sizeof buf,
                  "%s, sigma %.17g, eta %.17g, %zu steps, "
                  "%llu paths",
                  sde_oracle_law_name (o->law), o->sigma, step, nsteps,
                  (unsigned long long)npaths);
      sde_report_meta (rep, "noise", buf);
      sde_report_meta (rep, "schedule", methods[0].schedule.spec);
    }

  cli_reason_clear ();
  int run_st = par_run (NULL, &ens, 0, npaths, sums);
  if (run_st)
    cli_die (CLI_RUNTIME, "simulation failed: %s", cli_reason_for (run_st));

  static const sde_column cols[] = {
    { "process", NULL, 14, 's', 0, 0, NULL, NULL },
    { "t", "$t$", 8, 'g', 6, 0, NULL, NULL },
    { "observable", NULL, 10, 's', 0, 0, NULL, NULL },
    { "mean", "mean", 13, 'g', 7, 0, NULL, NULL },
    { "se_mean", "SE", 9, 'e', 2, 0, NULL, NULL },
    { "var", "var", 13, 'g', 7, 0, NULL, NULL },
    { "se_var", "SE", 9, 'e', 2, 0, NULL, NULL },
    { "exact_mean", "exact mean", 13, 'g', 7, 0, NULL, NULL },
    { "exact_var", "exact var", 13, 'g', 7, 0, NULL, NULL },
    { "z_mean", "$z_{\\mathrm{mean}}$", 7, 'f', 2, 0, NULL, NULL },
    { "z_var", "$z_{\\mathrm{var}}$", 7, 'f', 2, 0, NULL, NULL },
    { "diverged", "div.", 8, 'd', 0, 0, NULL, NULL },
  };
  sde_report_table (rep, "moments", cols, sizeof cols / sizeof cols[0]);
  for (size_t i = 0; i < nproc; i++)
    for (size_t k = 0; k < ncheck; k++)
      for (size_t o = 0; o < nobs; o++)
        {
          sde_stat st = sde_ensemble_value (sums, i, o, k);
          double t = (double)check[k] * step, em = NAN, ev = NAN;
          int known = !method_mode && obs[o].kind == SDE_OBS_COORD
                      && sde_system_exact (sys, t, &em, &ev) == GSL_SUCCESS;
          if (st.n < 2)
            cli_die (CLI_RUNTIME, "%s: every path diverged by t = %g",
                     proc[i].label, t);
          sde_cell row[] = {
            SDE_CELL_S (proc[i].label),
            SDE_CELL_D (t),
            SDE_CELL_S (obs[o].name),
            SDE_CELL_D (st.mean),
            SDE_CELL_D (st.se),
            SDE_CELL_D (st.var),
            SDE_CELL_D (st.se_var),
            known ? SDE_CELL_D (em) : SDE_CELL_NONE,
            known ? SDE_CELL_D (ev) : SDE_CELL_NONE,
            known && st.se > 0 ? SDE_CELL_D ((st.mean - em) / st.se)
                               : SDE_CELL_NONE,
            known && st.se_var > 0 ? SDE_CELL_D ((st.var - ev) / st.se_var)
                                   : SDE_CELL_NONE,
            SDE_CELL_I ((long long)(npaths - (uint64_t)st.n)),
          };
          sde_report_row (rep, row);
        }
  sde_report_note (rep, "SE: standard errors; z: (estimate - exact) / SE, "
                        "the bias in SE units (|z| < 2: within Monte Carlo "
                        "noise); diverged paths are counted, not averaged");
  if (sde_report_finish (rep))
    cli_die (CLI_RUNTIME, "writing the table failed: %s", strerror (errno));
  cli_output_commit ();
  sde_report_free (rep);
  sde_ensemble_sums_free (sums);
  free (check);
  free (x0);
  sde_rng_free (rng);
  sde_system_free (sys);
  sde_problem_free (pb);
  par_finalize ();
  return CLI_OK;
}
