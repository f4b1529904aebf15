/* sde-slow.c: SGD and SGDM near a manifold of minimizers against the slow
   SDE (MATH.md section 6; Theorem 4.5 of Wang, Malladi, Wang, Lyu & Li
   2023), over t / eta^2 steps in the fixed-sigma scaling, with the same
   tables, formats, fits and figures as sde-compare.  */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "compare.h"
#include "par.h"
#include "sdekit/ensemble.h"
#include "sdekit/manifold.h"
#include "sdekit/report.h"
#include "sdekit/spec.h"
#include "sdekit/weak.h"
#include "setup.h"

#define MAXM (SDE_ENSEMBLE_MAXPROC - 2)
#define MAXETA 64

enum
{
  OPT_PHI = CMP_OPT_NEXT,
  OPT_GTOL,
  OPT_PHI_STEPS
};

static const cli_option options[] = {
  { "problem", 'p', "SPEC",
    "a problem with a manifold of minimizers NAME[:KEY=VALUE,...] "
    "(--list-problems): circle, valley, labelvalley, sparse, ...",
    "circle:s=1,0.25" },
  CMP_OPTION_LOSS,
  { "noise", 'N', "LAW", "gaussian, rademacher, label, student:nu=V",
    "the problem's own" },
  { "sigma", 'g', "SIGMA",
    "the fixed noise scale: g = grad L + sigma z (Sigma = sigma^2 S S^T)",
    "1" },
  { "methods", 'M', "LIST",
    "optimizers, e.g. sgd,sgdm:beta=0.9 (--list-methods); all at one "
    "effective learning rate eta",
    "sgd,sgdm:beta=0.9" },
  CMP_OPTIONS_FAMILY,
  { "reference", 'r', "REF",
    "slow[:type=projected|explicit,substeps=M|auto], or a method (e.g. sgd) "
    "observed at Phi like the others",
    "slow:type=projected,substeps=auto" },
  { "eta", 'e', "GRID",
    "learning rates: 2^-2:2^-5, A:B:K or a list; eta^2 must divide the "
    "horizon",
    "2^-2:2^-5" },
  { "horizon", 'T', "T", "horizon in slow time t = k eta^2", "1" },
  { "checkpoints", 'C', "TIMES",
    "'every' step (the error is the maximum over time) or a list of slow "
    "times",
    "every" },
  { "observable", 'O', "LIST",
    "test functions of Phi(x_k): x<i>, norm2, loss, cos:w=..., trace "
    "(tr hess L)",
    "x0" },
  CMP_OPTIONS_PATHS,
  { "max-paths", CMP_OPT_MAXPATHS, "N", "cap of --target-ci", "1000000" },
  CMP_OPTION_ESTIMATOR,
  { "x0", CMP_OPT_X0, "LIST",
    "initial point; off the manifold, the slow SDE starts at Phi(x0) and the "
    "burn-in is reported",
    "the problem's" },
  { "phi", OPT_PHI, "HOW",
    "Phi by the problem's closed form where it has one (auto) or always by "
    "the gradient flow (flow)",
    "auto" },
  { "gtol", OPT_GTOL, "G", "Phi converged when |grad L| <= G", "1e-11" },
  { "phi-steps", OPT_PHI_STEPS, "N", "gradient-flow step budget of one Phi",
    "100000" },
  CMP_OPTION_BOUND,
  CMP_OPTIONS_OUTPUT,
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
  "on the unit circle with anisotropic noise, where the mixed-block drift "
  "matters.\n"
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage, 3 "
  "when --expect-order fails.",
  options,
};

typedef struct
{
  sde_problem *pb;
  double *x0, z0[64];
  sde_optim methods[MAXM], res[MAXM];
  size_t nm;
  sde_oracle orc;
  int ref_method; /* the reference is a method, not the slow SDE */
  sde_optim refm, refres;
  const sde_slow_type *type;
  double sigma;
  sde_manifold *man;
  sde_system sys;
  sde_process proc[SDE_ENSEMBLE_MAXPROC];
  sde_observable obs[16];
  size_t nobs;
  const char *checkpoints;
  double T;
  size_t *check;
  int coupled, threads, progress;
  double bound;
  sde_rng *rng;
  size_t neta, cur;
  /* Phi per eta: calls and gradient-flow steps of the last run */
  uint64_t calls[MAXETA], steps[MAXETA];
} ctx;

static int
build (void *vctx, size_t i, double eta, size_t substeps, sde_ensemble *e)
{
  ctx *c = vctx;
  const double h = eta * eta; /* slow time per step */
  const sde_problem *pb = c->pb;
  size_t np = 0;
  c->cur = i;
  for (size_t k = 0; k < c->nm + (size_t)c->ref_method; k++)
    {
      sde_optim *r = k < c->nm ? &c->res[k] : &c->refres;
      *r = k < c->nm ? c->methods[k] : c->refm;
      if (sde_optim_set (r, eta))
        return GSL_EDOM;
      r->dt = h / r->svag; /* the ensemble's clock is slow time */
      c->proc[np] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                   .label = r->spec,
                                   .method = r,
                                   .oracle = c->orc,
                                   .x0 = c->x0,
                                   .dim = pb->dim,
                                   .manifold = c->man };
      c->proc[np].oracle.sigma = c->sigma;
      c->proc[np++].oracle.svag = r->svag;
    }
  if (!c->ref_method)
    for (int twice = 0; twice < 2; twice++)
      c->proc[np++] = (sde_process){ .kind = SDE_PROCESS_SDE,
                                     .label = twice ? "check" : "reference",
                                     .sys = &c->sys,
                                     .scheme = sde_stepper_em,
                                     .substeps = substeps << twice,
                                     .x0 = c->z0,
                                     .dim = pb->dim,
                                     .manifold = c->man };
  size_t nsteps = setup_steps ("eta", c->T, h);
  free (c->check);
  size_t nc
      = setup_checkpoints ("checkpoints", c->checkpoints, c->T, h, &c->check);
  *e = (sde_ensemble){ .eta = h,
                       .nsteps = nsteps,
                       .check = c->check,
                       .ncheck = nc,
                       .obs = c->obs,
                       .nobs = c->nobs,
                       .proc = c->proc,
                       .nproc = np,
                       .ref = (int)c->nm,
                       .coupled = c->coupled,
                       .rng = c->rng,
                       .stream0 = (uint32_t)(SDE_ENSEMBLE_STREAMS * i),
                       .bound = c->bound,
                       .chunk = 256,
                       .threads = c->threads };
  if (c->progress)
    fprintf (stderr, "\rsde-slow: eta = %g (%zu of %zu) ...", eta, i + 1,
             c->neta);
  return GSL_SUCCESS;
}

/* par_run, keeping the Phi counts of the eta being run.  */
static int
run (void *vctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
     sde_ensemble_sums *s)
{
  ctx *c = vctx;
  int st = par_run (NULL, e, path0, npaths, s);
  uint64_t calls = 0, steps = 0;
  for (size_t i = 0; i < e->nproc; i++)
    {
      uint64_t n;
      calls += sde_ensemble_phi_calls (s, i, &n);
      steps += n;
    }
  c->calls[c->cur] = calls;
  c->steps[c->cur] = steps;
  return st;
}

static void
parse_reference (ctx *c, const char *spec, size_t *substeps, int *auto_sub)
{
  sde_spec s;
  const char *rest = spec;
  if (sde_spec_parse (&s, &rest))
    cli_die (CLI_USAGE, "--reference=%s: %s", spec, cli_reason ());
  if (strcmp (s.name, "slow"))
    {
      rest = spec;
      if (sde_optim_parse (&c->refm, &rest) || *rest)
        cli_die (CLI_USAGE, "--reference=%s: %s", spec,
                 *rest ? "one method only" : cli_reason ());
      if (!isnan (c->refm.lr))
        cli_die (CLI_USAGE,
                 "--reference=%s: the rate comes from --eta, drop lr", spec);
      c->ref_method = 1;
      return;
    }
  if (*rest)
    cli_die (CLI_USAGE, "--reference=%s: unexpected '%s'", spec, rest);
  const char *ty = sde_spec_string (&s, "type");
  c->type = sde_slow_type_find (ty ? ty : "projected");
  if (c->type == NULL)
    cli_die (CLI_USAGE, "--reference: type=%s: use projected or explicit", ty);
  const char *sub = sde_spec_string (&s, "substeps");
  *auto_sub = sub == NULL || strcmp (sub, "auto") == 0;
  *substeps = *auto_sub ? 1 : cli_uint ("reference substeps", sub, 1, 4096);
  if (sde_spec_check_used (&s))
    cli_die (CLI_USAGE, "--reference: %s", cli_reason ());
}

/* |grad L(x)|.  */
static double
grad_norm (const sde_problem *pb, const double *x, double *work)
{
  double g[64], s = 0;
  pb->grad (pb, 1, x, g, work);
  for (size_t i = 0; i < pb->dim; i++)
    s += g[i] * g[i];
  return sqrt (s);
}

/* The burn-in from an x0 off the manifold: the steps gradient descent at
   rate eta takes to cut |grad L| a thousandfold (0 when it does not
   within the horizon).  */
static uint64_t
burn_in (const sde_problem *pb, const double *x0, double eta, uint64_t kmax)
{
  double x[64], g[64], *w = malloc (sizeof (double) * (pb->work + 8));
  if (w == NULL)
    cli_die (CLI_RUNTIME, "out of memory");
  memcpy (x, x0, sizeof (double) * pb->dim);
  const double g0 = grad_norm (pb, x, w);
  uint64_t k = 0;
  for (; k < kmax; k++)
    {
      pb->grad (pb, 1, x, g, w);
      double s = 0;
      for (size_t i = 0; i < pb->dim; i++)
        s += g[i] * g[i];
      if (sqrt (s) <= 1e-3 * g0 || !isfinite (s))
        break;
      for (size_t i = 0; i < pb->dim; i++)
        x[i] -= eta * g[i];
    }
  free (w);
  return k < kmax ? k : 0;
}

int
main (int argc, char **argv)
{
  compare_args a;
  compare_args_init (&a);
  /* Slow time t = k eta^2: shorter horizons, fixed sigma = 1, x0 seen.  */
  a.obs = "x0";
  a.sigma = 1;
  a.T_max = 1e6;
  a.maxpaths = 1000000;
  sde_manifold_opts mo;
  sde_manifold_defaults (&mo);
  ctx c;
  memset (&c, 0, sizeof c);
  const char *arg;
  int o;

  par_init (&argc, &argv);
  cli_parallel (par_rank () == 0, par_abort, par_agree);
  cli_init (&tool, argc, argv);
  while ((o = cli_next (argc, argv, &arg)) != -1)
    switch (o)
      {
      case OPT_PHI:
        if (strcmp (arg, "auto") && strcmp (arg, "flow"))
          cli_die (CLI_USAGE, "--phi=%s: use auto or flow", arg);
        mo.flow = strcmp (arg, "flow") == 0;
        break;
      case OPT_GTOL:
        mo.gtol = cli_double ("gtol", arg, 0, 1, 1, 0);
        break;
      case OPT_PHI_STEPS:
        mo.max_steps = cli_uint ("phi-steps", arg, 1, UINT64_C (1) << 32);
        break;
      default:
        switch (compare_arg (&a, o, arg))
          {
          case 0:
            cli_die (CLI_USAGE, "unhandled option (see --help)");
          case 2:
            return CLI_OK;
          }
      }
  c.T = a.T;
  c.sigma = a.sigma;
  c.bound = a.bound;
  c.checkpoints = a.checkpoints;

  /* ---- Validate everything before any output exists. ---- */
  c.pb = setup_problem (a.problem, a.loss, "circle:s=1,0.25");
  const char *popt = a.loss ? "--loss" : "--problem";
  c.x0 = setup_x0 (c.pb, a.x0);
  setup_noise (&c.orc, c.pb, a.noise);
  if (c.orc.law == SDE_ORACLE_MINIBATCH)
    cli_die (CLI_USAGE, "--noise=minibatch: the slow SDE needs a noise "
                        "covariance sigma^2 S S^T with fixed sigma; use the "
                        "problem's law");
  if (c.pb->dim > 64)
    cli_die (CLI_USAGE,
             "%s: the slow SDE handles at most 64 "
             "dimensions (%s has %zu)",
             popt, sde_q (sde_problem_spec (c.pb)), c.pb->dim);
  c.nm = setup_methods ("methods", a.methods, c.methods, MAXM);
  for (size_t k = 0; k < c.nm; k++)
    {
      if (c.methods[k].type->family && !isnan (a.alpha)
          && isnan (c.methods[k].beta) && isnan (c.methods[k].alpha))
        {
          c.methods[k].alpha = a.alpha;
          c.methods[k].c = a.cfam;
          char buf[256];
          snprintf (buf, sizeof buf, "%s%salpha=%g,c=%g", c.methods[k].spec,
                    strchr (c.methods[k].spec, ':') ? "," : ":", a.alpha,
                    a.cfam);
          snprintf (c.methods[k].spec, sizeof c.methods[k].spec, "%s", buf);
        }
      if (!isnan (c.methods[k].lr))
        cli_die (CLI_USAGE,
                 "--methods: %s fixes lr; in a sweep the rate comes "
                 "from --eta (lr = eta (1 - momentum))",
                 c.methods[k].spec);
      if (c.methods[k].wd != 0)
        cli_die (CLI_USAGE,
                 "--methods: %s has weight decay, which moves the "
                 "minimizers off the manifold",
                 c.methods[k].spec);
    }
  size_t substeps = 1;
  int auto_sub = 1;
  parse_reference (&c, a.ref ? a.ref : "slow", &substeps, &auto_sub);
  double etas[MAXETA];
  c.neta = sde_weak_grid (a.eta ? a.eta : "2^-2:2^-5", etas, MAXETA);
  if (c.neta == 0)
    cli_die (CLI_USAGE, "--eta: %s", cli_reason ());
  for (size_t i = 0; i < c.neta; i++)
    {
      size_t *chk;
      const double h = etas[i] * etas[i];
      char opt[64];
      snprintf (opt, sizeof opt, "eta=%g: eta^2", etas[i]);
      setup_steps (opt, c.T, h);
      setup_checkpoints ("checkpoints", c.checkpoints, c.T, h, &chk);
      free (chk);
      for (size_t k = 0; k < c.nm; k++)
        {
          sde_optim t = c.methods[k];
          if (sde_optim_set (&t, etas[i]))
            cli_die (CLI_USAGE, "--methods: %s", cli_reason ());
        }
    }
  double cost = 0;
  for (size_t i = 0; i < c.neta; i++)
    cost += c.T / (etas[i] * etas[i]) * (double)a.paths
            * ((double)c.nm + (c.ref_method ? 1.0 : 3.0 * (double)substeps));
  setup_cost (cost);
  c.nobs = setup_observables (a.obs, c.pb->dim, c.pb, c.obs, 16);
  c.coupled = strcmp (a.estimator, "coupled") == 0;
  c.threads = a.threads;
  if (a.paths > a.maxpaths && a.target > 0)
    a.maxpaths = a.paths;
  if (a.plot)
    compare_plot_check (a.plot);
  c.man = sde_manifold_alloc (c.pb, c.x0, &mo);
  if (c.man == NULL)
    cli_die (cli_bad_input (), "%s=%s, x0: %s", popt,
             sde_q (sde_problem_spec (c.pb)), cli_reason ());
  if (sde_manifold_phi (c.man, c.x0, c.z0, NULL))
    cli_die (CLI_USAGE, "--x0: %s", cli_reason ());
  if (!c.ref_method)
    {
      if (sde_slow_system (&c.sys, c.type, c.man))
        cli_die (CLI_USAGE, "--reference: %s", cli_reason ());
      double dr[64];
      if (sde_manifold_geometry (c.man, c.z0, NULL, NULL, dr))
        cli_die (cli_bad_input (), "%s=%s: %s", popt,
                 sde_q (sde_problem_spec (c.pb)), cli_reason ());
    }
  c.rng = sde_rng_alloc (NULL, a.seed);
  if (c.rng == NULL)
    cli_die (CLI_RUNTIME, "%s", cli_reason_for (GSL_ENOMEM));
  c.progress = isatty (STDERR_FILENO) && par_rank () == 0;

  /* ---- Run ---- */
  FILE *out = cli_output_open (a.output);
  sde_report *rep = sde_report_alloc (out, a.fmt, NULL);
  if (rep == NULL)
    cli_die (CLI_RUNTIME, "%s", cli_reason_for (GSL_ENOMEM));
  cli_output_report (rep);
  char buf[1024];
  sde_report_meta (rep, "sdekit", PACKAGE_VERSION);
  sde_report_meta (rep, "command", cli_command_line ());
  snprintf (buf, sizeof buf, "%llu", (unsigned long long)a.seed);
  sde_report_meta (rep, "seed", buf);
  sde_report_meta (rep, "problem", sde_problem_spec (c.pb));
  if (a.x0)
    sde_report_meta (rep, "x0", a.x0); /* in place of the spec's x0 */
  snprintf (buf, sizeof buf,
            "%s, sigma = %.17g held fixed; time t = k eta^2 (slow time)",
            sde_oracle_law_name (c.orc.law), c.sigma);
  sde_report_meta (rep, "noise", buf);
  snprintf (buf, sizeof buf,
            "dimension %zu in R^%zu; Phi by %s (|grad L| <= %g, at most %zu "
            "flow steps)",
            sde_manifold_dim (c.man), c.pb->dim,
            (c.pb->phi && !mo.flow) ? "the closed form" : "the gradient flow",
            mo.gtol, mo.max_steps);
  sde_report_meta (rep, "manifold", buf);
  if (c.ref_method)
    snprintf (buf, sizeof buf, "%s, observed at Phi", c.refm.spec);
  else
    snprintf (buf, sizeof buf,
              "slow SDE, %s (Euler-Maruyama, re-projected by Phi), "
              "substeps %s",
              c.type->name, auto_sub ? "auto (from 1)" : "fixed");
  sde_report_meta (rep, "reference", buf);
  sde_report_meta (rep, "estimator",
                   !c.coupled ? "independent samples"
                   : c.orc.law == SDE_ORACLE_GAUSSIAN
                       ? "coupled: common Brownian path"
                       : "independent samples (the oracle is not Gaussian)");
  snprintf (buf, sizeof buf,
            "slow-time horizon %.17g (t / eta^2 steps), checkpoints %s", c.T,
            c.checkpoints);
  sde_report_meta (rep, "time", buf);
  if (a.target > 0)
    snprintf (buf, sizeof buf,
              "%llu first, then up to %llu until the 95%% "
              "CI half-width is %g |e|",
              (unsigned long long)a.paths, (unsigned long long)a.maxpaths,
              a.target);
  else
    snprintf (buf, sizeof buf, "%llu per eta", (unsigned long long)a.paths);
  sde_report_meta (rep, "paths", buf);
  /* On the manifold, or the burn-in of an x0 off it.  */
  {
    double *w = malloc (sizeof (double) * (c.pb->work + 8));
    if (w == NULL)
      cli_die (CLI_RUNTIME, "out of memory");
    double g0 = grad_norm (c.pb, c.x0, w);
    free (w);
    int off = 0;
    for (size_t i = 0; i < c.pb->dim; i++)
      off |= fabs (c.x0[i] - c.z0[i]) > 1e-9 * (1 + fabs (c.z0[i]));
    if (!off)
      sde_report_meta (rep, "start", "x0 is on the manifold");
    else
      {
        int n = snprintf (buf, sizeof buf,
                          "x0 is off the manifold (|grad L(x0)| = %.3g); "
                          "the slow SDE starts at Phi(x0) = (",
                          g0);
        for (size_t i = 0; i < c.pb->dim && n < 700; i++)
          n += snprintf (buf + n, sizeof buf - n, "%s%.6g", i ? ", " : "",
                         c.z0[i] + 0.0); /* + 0.0: no "-0" */
        n += snprintf (buf + n, sizeof buf - n, "); burn-in");
        for (size_t i = 0; i < c.neta && n < 900; i++)
          {
            uint64_t K
                = burn_in (c.pb, c.x0, etas[i],
                           (uint64_t)llround (c.T / (etas[i] * etas[i])));
            n += snprintf (buf + n, sizeof buf - n, "%s eta=%g: ", i ? ";" : "",
                           etas[i]);
            n += K ? snprintf (
                     buf + n, sizeof buf - n, "%llu steps (slow time %.3g)",
                     (unsigned long long)K, (double)K * etas[i] * etas[i])
                   : snprintf (buf + n, sizeof buf - n,
                               "longer than the horizon");
          }
        sde_report_meta (rep, "start", buf);
      }
  }

  compare cmp;
  memset (&cmp, 0, sizeof cmp);
  const char *mnames[MAXM], *onames[16], *kinds[MAXM], *inner[MAXM];
  unsigned svl[MAXM];
  double th[MAXM];
  for (size_t k = 0; k < c.nm; k++)
    {
      mnames[k] = c.methods[k].spec;
      /* Theorem 4.5 gives convergence, not a rate: the table measures it. */
      th[k] = NAN;
      kinds[k] = "";
      svl[k] = c.methods[k].svag;
      inner[k] = c.methods[k].spec;
      if (svl[k] > 1 || strncmp (inner[k], "svag:", 5) == 0)
        inner[k] = strchr (inner[k], ',') + 1;
    }
  for (size_t k = 0; k < c.nobs; k++)
    onames[k] = c.obs[k].name;
  cmp.rep = rep;
  cmp.method_names = mnames;
  cmp.obs_names = onames;
  cmp.theory = th;
  cmp.theory_kind = kinds;
  cmp.nmethods = c.nm;
  cmp.nobs = c.nobs;
  cmp.sde_reference = !c.ref_method;
  cmp.svag = svl;
  cmp.svag_inner = inner;
  compare_begin (&cmp);
  cli_output_keep ();

  sde_weak_sweep sw = { .eta = etas,
                        .neta = c.neta,
                        .nmethods = c.nm,
                        .paths = a.paths,
                        .max_paths = a.maxpaths,
                        .target_ci = a.target,
                        .check_ref = !c.ref_method,
                        .substeps = substeps,
                        .auto_substeps = auto_sub && !c.ref_method,
                        .max_substeps = 64,
                        .ref_order = 1,
                        .ctx = &c,
                        .build = build,
                        .row_ctx = &cmp,
                        .row = compare_rows,
                        .run = run };
  cli_reason_clear ();
  int st = sde_weak_run (&sw);
  if (c.progress)
    fputs ("\r\033[K", stderr);
  if (st)
    {
      /* The reason is read once: a late worker cannot change it between
         the note and the message.  */
      char reason[1100];
      snprintf (reason, sizeof reason, "%s", cli_reason_for (st));
      char stop[1200];
      snprintf (stop, sizeof stop, "run stopped: %s", reason);
      sde_report_note (rep, stop);
      sde_report_set_failed (rep);
      sde_report_finish (rep);
      cli_output_commit ();
      cli_die (CLI_RUNTIME, "%s", reason);
    }
  for (size_t i = 0; i < c.neta; i++)
    if (c.calls[i] && c.steps[i])
      {
        snprintf (buf, sizeof buf,
                  "eta=%g: %llu evaluations of Phi, %.1f gradient-flow steps "
                  "each on average",
                  etas[i], (unsigned long long)c.calls[i],
                  (double)c.steps[i] / (double)c.calls[i]);
        sde_report_note (rep, buf);
      }
  sde_weak_fit fits[MAXM * 16];
  compare_fits (&cmp, fits);
  if (sde_report_finish (rep))
    cli_die (CLI_RUNTIME, "writing the table failed: %s", strerror (errno));
  cli_output_commit ();
  sde_report_free (rep);
  if (a.plot && par_rank () == 0)
    {
      snprintf (buf, sizeof buf, "%s: weak error against %s",
                sde_problem_spec (c.pb),
                c.ref_method ? c.refm.spec : "the slow SDE");
      compare_plot (&cmp, fits, a.plot, buf);
    }
  int status = isnan (a.expect) ? CLI_OK
                                : compare_expect (&cmp, fits, a.expect, a.tol);
  compare_free (&cmp);
  free (c.check);
  free (c.x0);
  sde_manifold_free (c.man);
  sde_rng_free (c.rng);
  sde_problem_free (c.pb);
  par_finalize ();
  return status;
}
