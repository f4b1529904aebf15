/* sde-compare.c: weak errors of stochastic optimizers against their SDE
   (or against another optimizer) as the learning rate shrinks, with
   confidence intervals, noise-floor flags and fitted orders: the
   convergence-rate tables of MATH.md section 8.  */
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
#include "sdekit/density.h"
#include "sdekit/ensemble.h"
#include "sdekit/exact.h"
#include "sdekit/report.h"
#include "sdekit/spec.h"
#include "sdekit/weak.h"
#include "setup.h"

#define MAXM (SDE_ENSEMBLE_MAXPROC - 2)

enum
{
  OPT_TAU = CMP_OPT_NEXT,
  OPT_LIST_SCHEMES,
  OPT_SCHEDULE,
  OPT_ENGINE,
  OPT_GRID
};

static const cli_option options[] = {
  { "problem", 'p', "SPEC",
    "the problem NAME[:KEY=VALUE,...] (--list-problems)", "doublewell" },
  CMP_OPTION_LOSS,
  { "noise", 'N', "LAW",
    "gaussian, rademacher, label, student:nu=V, minibatch[:B=N,replace=0|1]",
    "the problem's own" },
  { "tau", OPT_TAU, "TAU",
    "hold the temperature tau = eta sigma^2 fixed as eta shrinks (the SDE "
    "scaling)",
    "0.5" },
  { "sigma", 'g', "SIGMA",
    "hold sigma fixed instead (tau = eta sigma^2 -> 0; for SME-2)", NULL },
  { "methods", 'M', "LIST",
    "optimizers compared, e.g. sgd,sgdm:beta=0.9,svag:l=4,sgd "
    "(--list-methods); all at one effective learning rate",
    "sgd,sgdm:beta=0.9" },
  CMP_OPTIONS_FAMILY,
  { "reference", 'r', "REF",
    "sme1[:scheme=S,substeps=M|auto], sme2[:...], underdamped:c=C[,...], "
    "or a method (e.g. sgd); the scheme is weak2, or em for noise S(x) "
    "of more than 8 columns (finite sums)",
    "sme1:substeps=auto" },
  { "eta", 'e', "GRID", "learning rates: 2^-3:2^-9, A:B:K or a list",
    "2^-3:2^-9" },
  { "horizon", 'T', "T", "horizon in SDE time (each eta must divide it)", "1" },
  { "checkpoints", 'C', "TIMES",
    "'every' step, or every k-th step beyond 4096 steps so there are at "
    "most 4096 (the error is the maximum over them), or a list of times",
    "every" },
  { "observable", 'O', "LIST",
    "test functions: x<i>, norm2, loss, cos:w=..., "
    "trace",
    "norm2" },
  CMP_OPTIONS_PATHS,
  { "max-paths", CMP_OPT_MAXPATHS, "N", "cap of --target-ci", "2000000" },
  CMP_OPTION_ESTIMATOR,
  { "x0", CMP_OPT_X0, "LIST", "initial point", "the problem's" },
  { "schedule", OPT_SCHEDULE, "SPEC",
    "learning-rate schedule in SDE time (constant, step:..., cosine, "
    "table:...)",
    "constant" },
  CMP_OPTION_BOUND,
  { "engine", OPT_ENGINE, "ENGINE",
    "auto, mc (Monte Carlo), exact (linear-Gaussian: quadratic loss, "
    "constant Gaussian noise) or density (1-D SGD: the law on a grid); "
    "exact and density have no sampling error",
    "auto" },
  { "density-grid", OPT_GRID, "LO:HI:N",
    "density engine: the domain and grid points (0: chosen per eta)", "0:0:0" },
  CMP_OPTIONS_OUTPUT,
  { "list-schemes", OPT_LIST_SCHEMES, NULL, "list the SDE schemes and exit",
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
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage, 3 "
  "when --expect-order fails.",
  options,
};

typedef enum
{
  REF_SME1,
  REF_SME2,
  REF_UNDERDAMPED,
  REF_METHOD
} refkind;

typedef struct
{
  sde_problem *pb;
  double *x0, *xud; /* start, and (x0, m0) for the underdamped SDE */
  sde_optim methods[MAXM], res[MAXM];
  size_t nm;
  sde_oracle orc;
  int auto_batch;
  refkind ref;
  sde_optim refm, refres;
  const sde_stepper_type *scheme;
  double udc;
  int tau_scaling;
  double tau, sigma;
  sde_schedule schedule;
  sde_limit lim;
  sde_problem *limpb; /* L + wd |x|^2/2 when the methods decay weights */
  sde_system sys, sys2;
  sde_process proc[SDE_ENSEMBLE_MAXPROC];
  sde_observable obs[16];
  size_t nobs;
  const char *checkpoints;
  double T;
  size_t *check;
  int coupled, threads, progress;
  double bound;
  sde_rng *rng;
  size_t neta;
} ctx;

static double
schedule_lambda (double t, const void *p)
{
  return sde_schedule_factor (p, t);
}

/* The oracle at eta and the temperature it gives (MATH.md 1 and 2).  */
static int
eta_noise (const ctx *c, double eta, sde_oracle *o, double *tau)
{
  *o = c->orc;
  const sde_problem *pb = c->pb;
  if (o->law == SDE_ORACLE_MINIBATCH)
    {
      double n = (double)pb->nsamples;
      if (c->auto_batch)
        {
          double B = eta / c->tau;
          if (fabs (B - round (B)) > 1e-9 * B || round (B) < 1 || round (B) > n)
            return sde_error (GSL_EINVAL,
                              "minibatch B = eta/tau = %g at eta = %g is not "
                              "a whole number in [1, %g]",
                              B, eta, n);
          o->batch = (size_t)round (B);
        }
      double B = (double)o->batch;
      *tau = eta / B * (o->replace ? 1.0 : (n - B) / (n - 1));
    }
  else if (c->tau_scaling)
    {
      o->sigma = sqrt (c->tau / eta);
      *tau = c->tau;
    }
  else
    {
      o->sigma = c->sigma;
      *tau = eta * c->sigma * c->sigma;
    }
  return GSL_SUCCESS;
}

/* The reference's limit SDE at eta into c->sys.  */
static int
make_limit (ctx *c, double eta, double tau)
{
  c->lim = (sde_limit){ .kind = c->ref == REF_SME1   ? SDE_LIMIT_SME1
                                : c->ref == REF_SME2 ? SDE_LIMIT_SME2
                                                     : SDE_LIMIT_UNDERDAMPED,
                        .prob = c->limpb ? c->limpb : c->pb,
                        .tau = tau,
                        .eta = eta,
                        .c = c->udc };
  if (c->schedule.kind != SDE_SCHEDULE_CONSTANT)
    {
      c->lim.lambda = schedule_lambda;
      c->lim.lambda_params = &c->schedule;
    }
  return sde_system_limit (&c->sys, &c->lim);
}

static int
build (void *vctx, size_t i, double eta, size_t substeps, sde_ensemble *e)
{
  ctx *c = vctx;
  for (size_t k = 0; k < c->nm; k++)
    {
      c->res[k] = c->methods[k];
      if (sde_optim_set (&c->res[k], eta))
        return GSL_EDOM;
    }
  sde_oracle o;
  double tau;
  const sde_problem *pb = c->pb;
  int st = eta_noise (c, eta, &o, &tau);
  if (st)
    return st;
  size_t np = 0;
  for (size_t k = 0; k < c->nm; k++)
    {
      c->proc[np] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                   .label = c->methods[k].spec,
                                   .method = &c->res[k],
                                   .oracle = o,
                                   .x0 = c->x0,
                                   .dim = pb->dim };
      c->proc[np++].oracle.svag = c->res[k].svag;
    }
  int check = 0;
  if (c->ref == REF_METHOD)
    {
      c->refres = c->refm;
      if (sde_optim_set (&c->refres, eta))
        return GSL_EDOM;
      c->proc[np] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                                   .label = c->refm.spec,
                                   .method = &c->refres,
                                   .oracle = o,
                                   .x0 = c->x0,
                                   .dim = pb->dim };
      c->proc[np++].oracle.svag = c->refres.svag;
    }
  else
    {
      if ((st = make_limit (c, eta, tau)))
        return st;
      const int ud = c->ref == REF_UNDERDAMPED;
      for (int twice = 0; twice < 2; twice++)
        c->proc[np++] = (sde_process){ .kind = SDE_PROCESS_SDE,
                                       .label = twice ? "check" : "reference",
                                       .sys = &c->sys,
                                       .scheme = c->scheme,
                                       .substeps = substeps << twice,
                                       .flip = ud,
                                       .x0 = ud ? c->xud : c->x0,
                                       .dim = c->sys.dim };
      check = 1;
    }
  (void)check;
  size_t nsteps = setup_steps ("eta", c->T, eta);
  free (c->check);
  size_t nc = setup_checkpoints (
      "checkpoints",
      strcmp (c->checkpoints, "every") == 0 ? "every" : c->checkpoints, c->T,
      eta, &c->check);
  *e = (sde_ensemble){ .eta = eta,
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
    fprintf (stderr, "\rsde-compare: eta = %g (%zu of %zu) ...", eta, i + 1,
             c->neta);
  return GSL_SUCCESS;
}

/* The theory's order of method m against the reference (MATH.md 4).  */
static void
theory (const ctx *c, const sde_optim *m, double *p, const char **kind)
{
  const int momentum = m->type != sde_optim_sgd;
  double alpha = !isnan (m->alpha) ? m->alpha : 0.0;
  *p = NAN;
  *kind = "";
  switch (c->ref)
    {
    case REF_SME1:
      if (!momentum)
        *p = 1, *kind = "exact";
      else
        *p = fmin (1.0, (1 - alpha) / 2), *kind = alpha < 1 ? "bound" : "none";
      break;
    case REF_SME2:
      if (!momentum)
        *p = 2, *kind = "exact";
      break;
    case REF_UNDERDAMPED:
      *p = 1, *kind = "ours";
      break;
    case REF_METHOD:
      if (momentum && c->refm.type == sde_optim_sgd)
        *p = (1 - alpha) / 2, *kind = alpha < 1 ? "bound" : "none";
      break;
    }
}

/* The exact engine: expectations of every method and of the reference at
   each eta, in the order of the Monte Carlo sweep.  */
static int
run_exact (ctx *c, const double *etas, compare *cmp)
{
  sde_exact *ex = sde_exact_alloc (c->pb);
  if (ex == NULL)
    return GSL_EINVAL;
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < c->neta && !st; i++)
    {
      const double eta = etas[i];
      sde_ensemble e;
      /* build resolves the methods, sigma and the limit SDE for this eta
         exactly as for Monte Carlo.  */
      if ((st = build (c, i, eta, 1, &e)))
        break;
      const size_t nc = e.ncheck, nm = c->nm, no = c->nobs;
      double *val = malloc (sizeof (double) * (nm + 1) * nc * no);
      sde_weak_point *rows = malloc (sizeof *rows * nm * no);
      if (val == NULL || rows == NULL)
        {
          free (val);
          free (rows);
          st = sde_error (GSL_ENOMEM, "out of memory at eta = %g", eta);
          break;
        }
      const double t0 = cli_wall ();
      for (size_t k = 0; k < nm && !st; k++)
        st = sde_exact_method (ex, &c->res[k], e.proc[k].oracle.sigma, c->x0,
                               eta, e.check, nc, c->obs, no, val + k * nc * no);
      if (!st && c->ref == REF_METHOD)
        st = sde_exact_method (ex, &c->refres, e.proc[nm].oracle.sigma, c->x0,
                               eta, e.check, nc, c->obs, no,
                               val + nm * nc * no);
      else if (!st)
        st = sde_exact_sde (ex, &c->lim, c->x0,
                            c->xud ? c->xud + c->pb->dim : NULL, eta, e.check,
                            nc, c->obs, no, val + nm * nc * no);
      if (!st)
        {
          sde_weak_rows_exact (eta, nm, no, nc, e.check, val, rows);
          for (size_t r = 0; r < nm * no; r++)
            rows[r].seconds = cli_wall () - t0;
          st = compare_rows (cmp, rows, nm * no);
        }
      free (val);
      free (rows);
    }
  sde_exact_free (ex);
  return st;
}

/* One pass of the density engine at eta on grid g: values of the methods
   and the reference into val.  */
static int
density_pass (ctx *c, const sde_ensemble *e, double eta, sde_density_grid *g,
              double *val)
{
  const size_t nc = e->ncheck, nm = c->nm, no = c->nobs;
  int st = GSL_SUCCESS;
  for (size_t k = 0; k < nm && !st; k++)
    st = sde_density_method (c->pb, &c->res[k], e->proc[k].oracle.sigma, c->x0,
                             eta, e->check, nc, c->obs, no, g,
                             val + k * nc * no);
  if (!st)
    st = sde_density_sde (c->pb, &c->lim, c->x0, eta, 4, e->check, nc, c->obs,
                          no, g, val + nm * nc * no);
  return st;
}

/* The density engine at the i-th eta: the same pass on the chosen grid
   and on one with two thirds of its points; their difference is the grid
   error, which must be small against |e| for the engine to vouch for the
   row.  Fills rows (nm * nobs) and a note on the grid.  */
static int
density_eta (ctx *c, size_t i, double eta, const sde_density_grid *g0,
             sde_weak_point *rows, char *note, size_t len)
{
  sde_ensemble e;
  int st = build (c, i, eta, 1, &e);
  if (st)
    return st;
  const size_t nc = e.ncheck, nm = c->nm, no = c->nobs;
  /* The finest step noise among the methods sets the grid.  */
  unsigned lmax = 1;
  for (size_t k = 0; k < nm; k++)
    lmax = c->res[k].svag > lmax ? c->res[k].svag : lmax;
  sde_density_grid g = *g0;
  if ((st
       = sde_density_choose (c->pb, c->x0, eta / lmax, c->lim.tau, c->T, &g)))
    return st;
  sde_density_grid gc = g;
  gc.n = (g.n * 2 / 3) & ~(size_t)1;
  double *val = malloc (sizeof (double) * (nm + 1) * nc * no * 2);
  sde_weak_point *rc = malloc (sizeof *rc * nm * no);
  if (val == NULL || rc == NULL)
    {
      free (val);
      free (rc);
      return sde_error (GSL_ENOMEM, "out of memory at eta = %g", eta);
    }
  double *valc = val + (nm + 1) * nc * no;
  const double t0 = cli_wall ();
  st = density_pass (c, &e, eta, &g, val);
  if (!st)
    st = density_pass (c, &e, eta, &gc, valc);
  if (!st)
    {
      sde_weak_rows_exact (eta, nm, no, nc, e.check, val, rows);
      sde_weak_rows_exact (eta, nm, no, nc, e.check, valc, rc);
      for (size_t r = 0; r < nm * no && !st; r++)
        {
          sde_weak_point *p = &rows[r];
          p->grid_err = fabs (p->e - rc[r].e);
          p->seconds = cli_wall () - t0;
          p->stop = "density";
          /* The grid error, and what the probability lost past the edges
             could change, must be a small part of the error measured (or
             of rounding for an error that is zero).  */
          const double scale = fmax (fabs (p->est), fabs (p->est_ref));
          const double lost = fmax (g.lost, gc.lost) * scale;
          const double small = fmax (0.01 * fabs (p->e), 1e-12 * scale);
          if (!(p->grid_err <= small) || !(lost <= small))
            st = sde_error (
                GSL_ESANITY,
                "density engine: at eta = %g the %s %.3g of %s "
                "is not small against |e| = %.3g",
                eta, p->grid_err > small ? "grid error" : "probability lost",
                p->grid_err > small ? p->grid_err : lost,
                c->methods[p->method].spec, fabs (p->e));
        }
      snprintf (note, len,
                "eta=%g: density grid [%.6g, %.6g] with %zu points (and "
                "%zu for the grid error); probability lost at the edges "
                "%.2g, negative %.2g",
                eta, g.lo, g.hi, g.n, gc.n, fmax (g.lost, gc.lost),
                fmax (g.negative, gc.negative));
    }
  free (val);
  free (rc);
  return st;
}

/* Every eta by the density engine into rows (neta * nm * nobs) and notes
   (neta * 256), before anything is written: --engine=auto falls back to
   Monte Carlo when the engine cannot vouch for every row.  */
static int
density_all (ctx *c, const double *etas, const sde_density_grid *g0,
             sde_weak_point *rows, char *notes)
{
  const size_t per = c->nm * c->nobs;
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < c->neta && !st; i++)
    st = density_eta (c, i, etas[i], g0, rows + i * per, notes + i * 256, 256);
  return st;
}

/* The density engine's rows into the table, eta by eta; with
   precomputed rows (auto), those.  */
static int
run_density (ctx *c, const double *etas, compare *cmp,
             const sde_density_grid *g0, const sde_weak_point *done,
             const char *notes)
{
  const size_t per = c->nm * c->nobs;
  sde_weak_point *rows = malloc (sizeof *rows * per);
  char note[256];
  int st = rows ? GSL_SUCCESS : sde_error (GSL_ENOMEM, "out of memory");
  for (size_t i = 0; i < c->neta && !st; i++)
    {
      if (done)
        {
          memcpy (rows, done + i * per, sizeof *rows * per);
          snprintf (note, sizeof note, "%s", notes + i * 256);
        }
      else if ((st = density_eta (c, i, etas[i], g0, rows, note, sizeof note)))
        break;
      st = compare_rows (cmp, rows, per);
      sde_report_note (cmp->rep, note);
    }
  free (rows);
  return st;
}

/* Why the reference SDE differs from one eta to the next, or NULL: then
   its estimates at different etas must agree (compare.c's consistency
   check).  */
static const char *
ref_varies (const ctx *c)
{
  if (c->ref == REF_METHOD)
    return NULL;
  if (c->ref == REF_SME2)
    return "SME-2's drift has eta in it";
  if (c->orc.law == SDE_ORACLE_MINIBATCH)
    {
      if (!c->auto_batch)
        return "a fixed minibatch B: tau = eta/B";
      if (!c->orc.replace)
        return "B = eta/tau without replacement: tau (n - B)/(n - 1)";
      return NULL;
    }
  if (!c->tau_scaling)
    return "sigma is fixed: tau = eta sigma^2";
  return NULL;
}

static void
parse_reference (ctx *c, const char *spec)
{
  sde_spec s;
  const char *rest = spec;
  if (sde_spec_parse (&s, &rest))
    cli_die (CLI_USAGE, "--reference=%s: %s", spec, cli_reason ());
  if (strcmp (s.name, "sme1") && strcmp (s.name, "sme2")
      && strcmp (s.name, "underdamped"))
    {
      rest = spec;
      if (sde_optim_parse (&c->refm, &rest) || *rest)
        cli_die (CLI_USAGE, "--reference=%s: %s", spec,
                 *rest ? "one method only" : cli_reason ());
      c->ref = REF_METHOD;
      return;
    }
  if (*rest)
    cli_die (CLI_USAGE, "--reference=%s: unexpected '%s'", spec, rest);
  c->ref = s.name[0] == 'u'   ? REF_UNDERDAMPED
           : s.name[3] == '1' ? REF_SME1
                              : REF_SME2;
  const char *sch = sde_spec_string (&s, "scheme");
  /* weak2 evaluates S(x) 4r + 1 times a substep: for state-dependent
     noise of many columns (a finite sum has r = n) the default is em.  */
  const int wide = c->pb->factor_const == NULL && c->pb->noise_dim > 8;
  c->scheme = sde_stepper_type_find (sch ? sch : wide ? "em" : "weak2");
  if (c->scheme == NULL)
    cli_die (CLI_USAGE, "--reference: unknown scheme '%s' (--list-schemes)",
             sch);
  if (c->ref == REF_UNDERDAMPED
      && sde_spec_double (&s, "c", 1, 0, 1e12, &c->udc))
    cli_die (CLI_USAGE, "--reference: %s", cli_reason ());
  const char *m0 = sde_spec_string (&s, "m0");
  if (m0 && strcmp (m0, "0")
      && !(c->ref == REF_UNDERDAMPED && strcmp (m0, "grad") == 0))
    cli_die (CLI_USAGE, "--reference: m0=%s (0, or grad for underdamped)", m0);
  c->xud = NULL;
  (void)sde_spec_string (&s, "substeps"); /* read by the caller */
  if (sde_spec_check_used (&s))
    cli_die (CLI_USAGE, "--reference: %s", cli_reason ());
}

int
main (int argc, char **argv)
{
  const char *sched_arg = "constant", *engine = "auto";
  sde_density_grid grid0 = { 0 };
  double tau = 0.5;
  int have_tau = 0;
  compare_args a;
  compare_args_init (&a);
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
      case OPT_TAU:
        tau = cli_double ("tau", arg, 0, 1, 1e12, 0);
        have_tau = 1;
        break;
      case OPT_SCHEDULE:
        sched_arg = arg;
        break;
      case OPT_ENGINE:
        if (strcmp (arg, "mc") && strcmp (arg, "auto") && strcmp (arg, "exact")
            && strcmp (arg, "density"))
          cli_die (CLI_USAGE, "--engine=%s: use auto, mc, exact or density",
                   arg);
        engine = arg;
        break;
      case OPT_GRID:
        {
          double gv[3];
          char gbuf[128];
          snprintf (gbuf, sizeof gbuf, "%s", arg);
          for (char *q = gbuf; *q; q++)
            if (*q == ':')
              *q = ',';
          if (cli_doubles ("density-grid", gbuf, -1e12, 0, 1e12, 0, gv, 3) != 3
              || (gv[2] != 0 && (gv[2] < 16 || gv[2] != floor (gv[2])))
              || ((gv[0] != 0 || gv[1] != 0) && !(gv[1] > gv[0])))
            cli_die (CLI_USAGE,
                     "--density-grid=%s: use LO:HI:N with LO < HI "
                     "and N >= 16 (0 for automatic)",
                     arg);
          grid0.lo = gv[0];
          grid0.hi = gv[1];
          grid0.n = (size_t)gv[2];
        }
        break;
      case OPT_LIST_SCHEMES:
        for (const sde_stepper_type *const *t = sde_stepper_types (); *t; t++)
          printf ("%-12s weak %g  %s\n", (*t)->name, (*t)->weak_order,
                  (*t)->description);
        return CLI_OK;
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
  c.checkpoints = a.checkpoints;

  /* ---- Validate everything before any output exists. ---- */
  if (!isnan (a.sigma) && have_tau)
    cli_die (CLI_USAGE, "--tau and --sigma exclude each other");
  c.tau_scaling = isnan (a.sigma);
  c.tau = tau;
  c.sigma = a.sigma;
  c.pb = setup_problem (a.problem, a.loss, "doublewell");
  c.x0 = setup_x0 (c.pb, a.x0);
  setup_noise (&c.orc, c.pb, a.noise);
  if (c.orc.law == SDE_ORACLE_MINIBATCH)
    {
      int gave_b = a.noise && strstr (a.noise, "B=") != NULL;
      if (gave_b && have_tau)
        cli_die (CLI_USAGE, "--noise=minibatch with B fixes sigma = 1/sqrt(B): "
                            "drop --tau, or drop B to get B = eta/tau");
      c.auto_batch = !gave_b;
    }
  /* The oracle would ignore sigma: say so rather than run another
     experiment than the one asked for.  */
  if (!isnan (a.sigma) && c.orc.law == SDE_ORACLE_MINIBATCH)
    cli_die (CLI_USAGE,
             "--sigma: minibatch noise takes its scale from the batch: give "
             "--noise=minibatch:B=N for a fixed sigma = 1/sqrt(B)");
  if (!isnan (a.sigma) && c.orc.law == SDE_ORACLE_NONE)
    cli_die (CLI_USAGE, "--sigma: the noise law is none: there is no noise "
                        "to scale");
  c.nm = setup_methods ("methods", a.methods, c.methods, MAXM);
  setup_schedule (sched_arg, c.T, c.methods, c.nm);
  c.schedule = c.methods[0].schedule;
  for (size_t k = 0; k < c.nm; k++)
    if (c.methods[k].type != sde_optim_sgd && !isnan (a.alpha)
        && isnan (c.methods[k].beta) && isnan (c.methods[k].alpha))
      {
        c.methods[k].alpha = a.alpha;
        c.methods[k].c = a.cfam;
        char buf[256];
        snprintf (buf, sizeof buf, "%s%salpha=%g,c=%g", c.methods[k].spec,
                  strchr (c.methods[k].spec, ':') ? "," : ":", a.alpha, a.cfam);
        snprintf (c.methods[k].spec, sizeof c.methods[k].spec, "%s", buf);
      }
  for (size_t k = 0; k < c.nm; k++)
    if (!isnan (c.methods[k].lr))
      cli_die (CLI_USAGE,
               "--methods: %s fixes lr; in a sweep the rate comes "
               "from --eta (lr = eta (1 - momentum))",
               c.methods[k].spec);
  parse_reference (&c, a.ref ? a.ref : "sme1:substeps=auto");
  size_t substeps = 4;
  int auto_sub = 1;
  if (a.ref && c.ref != REF_METHOD)
    {
      const char *s = strstr (a.ref, "substeps=");
      if (s && strncmp (s + 9, "auto", 4) != 0)
        {
          char num[32];
          snprintf (num, sizeof num, "%.*s", (int)strcspn (s + 9, ","), s + 9);
          substeps = cli_uint ("reference substeps", num, 1, 1 << 16);
          auto_sub = 0;
        }
    }
  if (c.ref == REF_METHOD)
    c.refm.schedule = c.schedule;
  /* PyTorch weight decay wd makes the methods' limit that of
     L + wd |x|^2 / 2; one SDE reference serves them only when they share
     it.  */
  if (c.ref != REF_METHOD)
    for (size_t k = 1; k < c.nm; k++)
      if (c.methods[k].wd != c.methods[0].wd)
        cli_die (CLI_USAGE,
                 "--methods: %s and %s have different weight decay, so no "
                 "one SDE is the limit of both (compare them with "
                 "--reference=METHOD)",
                 c.methods[0].spec, c.methods[k].spec);
  if (c.ref != REF_METHOD && c.nm > 0 && c.methods[0].wd != 0)
    {
      c.limpb = sde_problem_alloc_decay (c.pb, c.methods[0].wd);
      if (c.limpb == NULL)
        cli_die (CLI_USAGE, "--methods: %s: %s", c.methods[0].spec,
                 cli_reason ());
    }
  if (c.ref == REF_SME2 && c.tau_scaling)
    cli_die (CLI_USAGE, "--reference=sme2 is the fixed-sigma expansion: give "
                        "--sigma (MATH.md 4.2)");
  if (c.ref == REF_UNDERDAMPED)
    {
      c.xud = calloc (2 * c.pb->dim, sizeof (double));
      if (c.xud == NULL)
        cli_die (CLI_RUNTIME, "out of memory");
      memcpy (c.xud, c.x0, sizeof (double) * c.pb->dim);
      if (a.ref && strstr (a.ref, "m0=grad"))
        {
          const sde_problem *gp = c.limpb ? c.limpb : c.pb;
          double *w = malloc (sizeof (double) * (gp->work + 1));
          if (w == NULL)
            cli_die (CLI_RUNTIME, "out of memory");
          gp->grad (gp, 1, c.x0, c.xud + c.pb->dim, w);
          free (w);
        }
    }
  double etas[256];
  c.neta = sde_weak_grid (a.eta ? a.eta : "2^-3:2^-9", etas, 256);
  if (c.neta == 0)
    cli_die (CLI_USAGE, "--eta: %s", cli_reason ());
  for (size_t i = 0; i < c.neta; i++)
    {
      size_t *chk;
      setup_steps ("eta", c.T, etas[i]);
      setup_checkpoints ("checkpoints",
                         strcmp (c.checkpoints, "every") == 0 ? "every"
                                                              : c.checkpoints,
                         c.T, etas[i], &chk);
      free (chk);
      for (size_t k = 0; k < c.nm; k++)
        {
          sde_optim t = c.methods[k];
          if (sde_optim_set (&t, etas[i]))
            cli_die (CLI_USAGE, "--methods: %s", cli_reason ());
          /* The underdamped SDE is the limit of momentum with
             1 - beta = c eta only (MATH.md 4.3): against anything else
             the table would measure no convergence and claim order 1. */
          const double omb = 1 - t.mom, want = c.udc * etas[i];
          if (c.ref == REF_UNDERDAMPED && fabs (omb - want) > 1e-9 * want)
            cli_die (CLI_USAGE,
                     "--reference=underdamped:c=%g is the limit of momentum "
                     "with 1 - beta = c eta (MATH.md 4.3), but %s has "
                     "1 - beta = %g at eta = %g, not %g: use "
                     "sgdm:alpha=1,c=%g (or --alpha=1 --c=%g)",
                     c.udc, c.methods[k].spec, omb, etas[i], want, c.udc,
                     c.udc);
        }
      if (c.auto_batch)
        {
          double B = etas[i] / tau, n = (double)c.pb->nsamples;
          if (fabs (B - round (B)) > 1e-9 * B || round (B) < 1 || round (B) > n)
            cli_die (CLI_USAGE,
                     "--eta=%g: minibatch B = eta/tau = %g is not a whole "
                     "number in [1, %g]",
                     etas[i], B, n);
        }
    }
  c.nobs = setup_observables (a.obs, c.pb->dim, c.pb, c.obs, 16);
  c.coupled = strcmp (a.estimator, "coupled") == 0;
  /* The reference SDE and its scheme, built now at the first eta, so a
     combination the library refuses is a usage error before any output
     (the schedule and the noise do not change with eta).  */
  sde_oracle probe_o;
  double probe_tau = 0;
  if (c.ref != REF_METHOD && eta_noise (&c, etas[0], &probe_o, &probe_tau) == 0
      && make_limit (&c, etas[0], probe_tau))
    cli_die (CLI_USAGE, "--reference=%s%s%s: %s", a.ref ? a.ref : "sme1",
             c.schedule.kind != SDE_SCHEDULE_CONSTANT ? " with --schedule="
                                                      : "",
             c.schedule.kind != SDE_SCHEDULE_CONSTANT ? c.schedule.spec : "",
             cli_reason ());
  char why[160] = "";
  int exact_ok
      = sde_exact_applies (c.pb, c.orc.law, c.obs, c.nobs, why, sizeof why);
  for (size_t k = 0; exact_ok && k < c.nm; k++)
    if (c.methods[k].wd != 0)
      exact_ok = 0, snprintf (why, sizeof why, "weight decay");
  if (exact_ok && c.ref == REF_METHOD && c.refm.wd != 0)
    exact_ok = 0, snprintf (why, sizeof why, "weight decay in the reference");
  if (exact_ok && c.ref == REF_SME1 && c.schedule.kind != SDE_SCHEDULE_CONSTANT
      && c.schedule.kind != SDE_SCHEDULE_STEP)
    exact_ok = 0,
    snprintf (why, sizeof why, "SME-1 with a %s schedule",
              c.schedule.kind == SDE_SCHEDULE_COSINE ? "cosine" : "table");
  if (strcmp (engine, "exact") == 0 && !exact_ok)
    cli_die (CLI_USAGE, "--engine=exact: %s (use --engine=mc)", why);
  int use_exact = exact_ok && strcmp (engine, "mc") != 0
                  && strcmp (engine, "density") != 0;
  char dwhy[160] = "";
  int dens_ok = sde_density_applies (c.pb, c.orc.law, c.methods, c.nm, dwhy,
                                     sizeof dwhy);
  if (dens_ok && c.ref != REF_SME1 && c.ref != REF_SME2)
    dens_ok = 0, snprintf (dwhy, sizeof dwhy,
                           "the reference is not SME-1 "
                           "or SME-2");
  if (dens_ok && c.schedule.kind != SDE_SCHEDULE_CONSTANT)
    dens_ok = 0, snprintf (dwhy, sizeof dwhy, "a schedule");
  if (dens_ok && c.limpb)
    dens_ok = 0, snprintf (dwhy, sizeof dwhy, "weight decay");
  if (strcmp (engine, "density") == 0 && !dens_ok)
    cli_die (CLI_USAGE, "--engine=density: %s (use --engine=mc)", dwhy);
  int use_density = dens_ok && !use_exact && strcmp (engine, "mc") != 0;
  /* The work asked for, before any: path-steps of the first batch, or a
     thousand grid points per step for the engines without paths.  */
  double cost = 0;
  for (size_t i = 0; i < c.neta; i++)
    cost += (c.T / etas[i])
            * (use_exact || use_density ? 1000.0 : (double)a.paths)
            * ((double)c.nm
               + (c.ref == REF_METHOD ? 1.0 : 3.0 * (double)substeps));
  setup_cost (cost);
  c.threads = a.threads;
  c.bound = a.bound;
  c.rng = sde_rng_alloc (NULL, a.seed);
  if (c.rng == NULL)
    cli_die (CLI_RUNTIME, "%s", cli_reason_for (GSL_ENOMEM));
  /* --engine=auto runs the density engine before anything is written, and
     takes Monte Carlo instead when the engine cannot vouch for a row.  */
  sde_weak_point *dens_rows = NULL;
  char *dens_notes = NULL, refused[600] = "";
  if (use_density && strcmp (engine, "auto") == 0)
    {
      dens_rows = malloc (sizeof *dens_rows * c.neta * c.nm * c.nobs);
      dens_notes = malloc (256 * c.neta);
      if (dens_rows == NULL || dens_notes == NULL)
        cli_die (CLI_RUNTIME, "out of memory");
      cli_reason_clear ();
      int dst = density_all (&c, etas, &grid0, dens_rows, dens_notes);
      if (dst)
        {
          snprintf (refused, sizeof refused, "%s", cli_reason_for (dst));
          free (dens_rows);
          free (dens_notes);
          dens_rows = NULL;
          dens_notes = NULL;
          use_density = 0;
        }
    }
  if (c.ref != REF_METHOD && !use_exact && !use_density)
    setup_scheme ("reference", c.scheme, &c.sys);
  if (a.paths > a.maxpaths && a.target > 0)
    a.maxpaths = a.paths;
  if (a.plot)
    compare_plot_check (a.plot);
  c.progress = isatty (STDERR_FILENO) && par_rank () == 0;

  /* ---- Run ---- */
  FILE *out = cli_output_open (a.output);
  cli_output_format (a.fmt);
  sde_report *rep = sde_report_alloc (out, (sde_format)a.fmt);
  if (rep == NULL)
    cli_die (CLI_RUNTIME, "%s", cli_reason_for (GSL_ENOMEM));
  char buf[1024];
  sde_report_meta (rep, "sdekit", PACKAGE_VERSION);
  sde_report_meta (rep, "command", cli_command_line ());
  snprintf (buf, sizeof buf, "%llu", (unsigned long long)a.seed);
  sde_report_meta (rep, "seed", buf);
  sde_report_meta (rep, "problem", sde_problem_spec (c.pb));
  if (a.x0)
    sde_report_meta (rep, "x0", a.x0); /* in place of the spec's x0 */
  if (c.limpb)
    sde_report_meta (rep, "limit", sde_problem_spec (c.limpb));
  if (c.orc.law == SDE_ORACLE_MINIBATCH)
    snprintf (buf, sizeof buf, "minibatch, %s, B = %s",
              c.orc.replace ? "with replacement" : "without replacement",
              c.auto_batch ? "eta/tau" : "fixed");
  else
    snprintf (buf, sizeof buf, "%s, %s", sde_oracle_law_name (c.orc.law),
              c.tau_scaling ? "sigma = sqrt(tau/eta)" : "sigma fixed");
  sde_report_meta (rep, "noise", buf);
  if (c.tau_scaling || c.orc.law == SDE_ORACLE_MINIBATCH)
    snprintf (buf, sizeof buf, "tau = %.17g held fixed (SDE scaling)", tau);
  else
    snprintf (buf, sizeof buf, "sigma = %.17g held fixed (tau = eta sigma^2)",
              a.sigma);
  sde_report_meta (rep, "scaling", buf);
  if (c.ref == REF_METHOD)
    snprintf (buf, sizeof buf, "%s", c.refm.spec);
  else if (use_exact || use_density)
    snprintf (buf, sizeof buf, "%s, solved by the %s engine",
              c.ref == REF_SME1   ? "SME-1"
              : c.ref == REF_SME2 ? "SME-2"
                                  : "underdamped SDE",
              use_exact ? "exact" : "density");
  else
    snprintf (buf, sizeof buf, "%s, scheme %s, substeps %s",
              c.ref == REF_SME1   ? "SME-1"
              : c.ref == REF_SME2 ? "SME-2"
                                  : "underdamped SDE",
              c.scheme->name, auto_sub ? "auto (from 4)" : "fixed");
  sde_report_meta (rep, "reference", buf);
  if (use_exact)
    snprintf (buf, sizeof buf,
              "exact (linear-Gaussian moments, no sampling "
              "error)%s",
              strcmp (engine, "auto") == 0 ? ": picked by --engine=auto" : "");
  else if (use_density)
    snprintf (buf, sizeof buf,
              "density (the law on a grid, no sampling error)%s",
              strcmp (engine, "auto") == 0 ? ": picked by --engine=auto" : "");
  else if (*refused)
    snprintf (buf, sizeof buf,
              "mc (Monte Carlo), by --engine=auto: the density engine "
              "cannot vouch for its numbers: %.400s",
              refused);
  else
    snprintf (buf, sizeof buf, "mc (Monte Carlo)%s%s",
              strcmp (engine, "auto") == 0 ? ", by --engine=auto: exact "
                                             "does not apply: "
                                           : "",
              strcmp (engine, "auto") == 0 ? why : "");
  sde_report_meta (rep, "engine", buf);
  if (!use_exact && !use_density)
    sde_report_meta (rep, "estimator",
                     c.coupled ? "coupled: common Brownian "
                                 "path"
                               : "independent samples");
  snprintf (
      buf, sizeof buf, "horizon %.17g, checkpoints %s%s, schedule %s", c.T,
      strcmp (c.checkpoints, "every") == 0 ? "at every step" : c.checkpoints,
      strcmp (c.checkpoints, "every") == 0
          ? " (every k-th step beyond 4096 steps)"
          : "",
      c.schedule.spec);
  sde_report_meta (rep, "time", buf);
  if (use_exact || use_density)
    snprintf (buf, sizeof buf, "none: the %s engine has no sampling error",
              use_exact ? "exact" : "density");
  else if (a.target > 0)
    snprintf (buf, sizeof buf,
              "%llu first, then up to %llu until the 95%% "
              "CI half-width is %g |e|",
              (unsigned long long)a.paths, (unsigned long long)a.maxpaths,
              a.target);
  else
    snprintf (buf, sizeof buf, "%llu per eta", (unsigned long long)a.paths);
  sde_report_meta (rep, "paths", buf);

  compare cmp;
  memset (&cmp, 0, sizeof cmp);
  const char *mnames[MAXM], *onames[16], *kinds[MAXM], *inner[MAXM];
  unsigned svl[MAXM];
  double th[MAXM];
  for (size_t k = 0; k < c.nm; k++)
    {
      mnames[k] = c.methods[k].spec;
      theory (&c, &c.methods[k], &th[k], &kinds[k]);
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
  cmp.sde_reference = c.ref != REF_METHOD;
  cmp.svag = svl;
  cmp.svag_inner = inner;
  cmp.ref_varies = ref_varies (&c);
  compare_begin (&cmp);
  cli_output_keep ();

  sde_weak_sweep sw = { .eta = etas,
                        .neta = c.neta,
                        .nmethods = c.nm,
                        .paths = a.paths,
                        .max_paths = a.maxpaths,
                        .target_ci = a.target,
                        .check_ref = c.ref != REF_METHOD,
                        .substeps = c.ref != REF_METHOD ? substeps : 1,
                        .auto_substeps = auto_sub,
                        .max_substeps = 256,
                        .ref_order = c.scheme ? c.scheme->weak_order : 1,
                        .ctx = &c,
                        .build = build,
                        .row_ctx = &cmp,
                        .row = compare_rows,
                        .run = par_run };
  cli_reason_clear ();
  int st = use_exact ? run_exact (&c, etas, &cmp)
           : use_density
               ? run_density (&c, etas, &cmp, &grid0, dens_rows, dens_notes)
               : sde_weak_run (&sw);
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
      sde_report_finish (rep);
      cli_output_commit ();
      cli_die (CLI_RUNTIME, "%s", reason);
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
                c.ref == REF_METHOD ? c.refm.spec
                : c.ref == REF_SME1 ? "SME-1"
                : c.ref == REF_SME2 ? "SME-2"
                                    : "the underdamped SDE");
      compare_plot (&cmp, fits, a.plot, buf);
    }
  int status = isnan (a.expect) ? CLI_OK
                                : compare_expect (&cmp, fits, a.expect, a.tol);
  compare_free (&cmp);
  free (dens_rows);
  free (dens_notes);
  free (c.check);
  free (c.x0);
  free (c.xud);
  sde_rng_free (c.rng);
  sde_problem_free (c.limpb);
  sde_problem_free (c.pb);
  par_finalize ();
  return status;
}
