/* experiment_order.c: the order kind of experiment: schemes on one SDE
   over a grid of step sizes h (MATH.md section 9, sdekit/order.h), every
   setting validated before any work; the errors table, one row per
   scheme, observable (or the strong error) and h, with the seconds each
   took for a work-precision view; then the fits, notes, verdicts and
   --expect-order of experiment_table.c, which read these rows as they
   read a sweep's.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiment_internal.h"
#include "sdekit/spec.h"
#include "spec_internal.h"

#define Z95 1.959963984540054
#define MAXFINE 0x1p26 /* order.c's fine steps over [0, T] */

/* The default human view fits in 100 columns: h, scheme, observable, e
   with its 95% half-width, N, the floor flag and the seconds (error
   against work); --wide shows the rest.  */
static const sde_column order_cols[] = {
  { "h", "$h$", 10, 'g', 6, 0, NULL, NULL },
  { "scheme", "scheme", 11, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, "phi", NULL },
  { "error_ci", "$e \\pm$ 95\\% CI", 22, 'e', 2, SDE_COLUMN_HUMAN,
    "error \u00b1 95% CI", NULL },
  { "N", "$N$", 9, 'd', 0, 0, NULL, NULL },
  { "floor", "floor", 5, 's', 0, 0, NULL, "*|" },
  { "seconds", "s", 9, 'e', 2, 0, NULL, NULL },
  { "against", "against", 9, 's', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "estimate", "$\\hat E\\varphi(X_h)$", 12, 'g', 7, SDE_COLUMN_WIDE, NULL,
    NULL },
  { "reference", "$\\hat E\\varphi(X)$", 12, 'g', 7, SDE_COLUMN_WIDE, NULL,
    NULL },
  { "error", "$e$", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "se", "SE", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "ci_lo", "95\\% CI lo", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "ci_hi", "95\\% CI hi", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "se_estimate", "SE$(\\hat E\\varphi(X_h))$", 11, 'e', 2, SDE_COLUMN_WIDE,
    NULL, NULL },
  { "se_reference", "SE$(\\hat E\\varphi(X))$", 12, 'e', 2, SDE_COLUMN_WIDE,
    NULL, NULL },
  { "diverged", "div.", 8, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "substeps", "$M$", 5, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "ref_error", "ref.err", 10, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "ref_error_se", "SE(ref.err)", 12, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "stop", "stop", 7, 's', 0, SDE_COLUMN_WIDE, NULL, NULL },
};

#define NCOLS(a) (sizeof (a) / sizeof (a)[0])
#define CELL_OR_NONE(v) (isnan (v) ? SDE_CELL_NONE : SDE_CELL_D (v))

/* ---- Settings ---- */

/* Settings of the other kinds would be ignored: refused.  */
static int
check_foreign (const sde_experiment_opts *o)
{
  const char *m = o->problem   ? "problem"
                  : o->loss    ? "loss"
                  : o->user    ? "user"
                  : o->methods ? "methods"
                  : o->noise   ? "noise"
                  : o->eta     ? "eta"
                               : NULL;
  if (m)
    return sde_error (GSL_EINVAL,
                      "%s: an order experiment runs schemes on an SDE (--sde "
                      "or --drift and --diffusion), not optimizers",
                      m);
  return GSL_SUCCESS;
}

static int
setup_errors (sde_experiment *x)
{
  const char *e = x->o.errors ? x->o.errors : "both";
  x->weak = strcmp (e, "weak") == 0 || strcmp (e, "both") == 0;
  x->strong = strcmp (e, "strong") == 0 || strcmp (e, "both") == 0;
  if (!x->weak && !x->strong)
    return sde_error (GSL_EINVAL, "kind=%s: use weak, strong or both",
                      sde_q (e));
  return GSL_SUCCESS;
}

static int
setup_steps (sde_experiment *x)
{
  const char *spec = x->o.steps ? x->o.steps : "2^-2:2^-6";
  sde__clear_error ();
  x->nh = sde_weak_grid (spec, x->h, SDE_ORDER_MAXH);
  if (x->nh == 0)
    return sde_error (GSL_EINVAL, "steps: %s", sde__last_error (GSL_EINVAL));
  if (x->nh < 2)
    return sde_error (GSL_EINVAL,
                      "steps=%s: an order needs at least two step sizes "
                      "(three for a fit)",
                      sde_q (spec));
  for (size_t k = 0; k < x->nh; k++)
    {
      const double q = x->T / x->h[k];
      char h[32], T[32];
      sde_shortest (h, sizeof h, x->h[k]);
      sde_shortest (T, sizeof T, x->T);
      if (x->h[k] > x->T)
        return sde_error (GSL_EINVAL,
                          "steps: h=%s is larger than the horizon %s", h, T);
      if (q > MAXFINE || fabs (q - nearbyint (q)) > 1e-9 * q)
        return sde_error (GSL_EINVAL,
                          "steps: h=%s does not divide the horizon %s into "
                          "at most 2^26 steps (T/h = %.6g)",
                          h, T, q);
    }
  return GSL_SUCCESS;
}

static int
setup_observables (sde_experiment *x)
{
  int st = GSL_SUCCESS;
  x->nobs = 0;
  if (x->weak)
    st = sde__xp_user_observables (x, x->o.observables);
  else if (x->o.observables)
    st = sde_error (GSL_EINVAL, "observable: --kind=strong measures the "
                                "strong error alone, of no observable");
  if (st)
    return st;
  if (x->nobs > SDE_ORDER_MAXOBS - 1)
    return sde_error (GSL_EINVAL, "observable: at most %d observables",
                      SDE_ORDER_MAXOBS - 1);
  x->nweak = x->nobs;
  if (x->strong)
    x->obs_moment[x->nobs++] = -1;
  return GSL_SUCCESS;
}

/* The library's job for X (whose arrays it borrows).  */
static void
make_job (sde_experiment *x, sde_order_job *job)
{
  sde_observable unused[1];
  memset (job, 0, sizeof *job);
  sde_order_job_expr (job, x->usde, unused, 0);
  job->obs = x->obs;
  job->nobs = x->weak ? x->nweak : 0;
  job->moment = sde__xp_user_moment;
  job->moment_params = x;
  job->T = x->T;
  job->schemes = x->schemes;
  job->nschemes = x->nschemes;
  job->h = x->h;
  job->nh = x->nh;
  job->rng = x->rng;
  job->paths = x->o.paths;
  job->threads = x->o.threads;
  job->bound = x->o.bound;
}

/* What the run costs in path-steps, the references' included.  */
static double
cost (const sde_experiment *x)
{
  double steps = 0;
  for (size_t k = 0; k < x->nh; k++)
    steps += x->T / x->h[k];
  const double refs
      = x->usde->has_exact ? 0 : 2 * 1.5 * 8 * x->T / x->h[x->nh - 1];
  return (double)x->o.paths * ((double)x->nschemes * steps + refs);
}

static int
order_meta (sde_experiment *x)
{
  char buf[1024];
  size_t n = 0;
  sde__xp_meta (x, "sdekit", "%s", PACKAGE_VERSION);
  sde__xp_meta (x, "seed", "%llu", (unsigned long long)x->o.seed);
  sde__xp_meta (x, "rng", "%s", sde_rng_name (x->rng));
  sde__xp_meta (x, "sde", "%s", x->usde->spec);
  sde__xp_meta (x, "noise", "%s", x->usde->noise_note);
  buf[0] = '\0';
  for (size_t k = 0; k < x->nschemes && n < sizeof buf; k++)
    n += (size_t)snprintf (buf + n, sizeof buf - n, "%s%s (weak %g, strong %g)",
                           k ? ", " : "", x->schemes[k]->name,
                           x->schemes[k]->weak_order,
                           x->schemes[k]->strong_order);
  sde__xp_meta (x, "schemes", "%s", buf);
  n = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < x->nh && n < sizeof buf; k++)
    {
      char h[32];
      sde_shortest (h, sizeof h, x->h[k]);
      n += (size_t)snprintf (buf + n, sizeof buf - n, "%s%s", k ? ", " : "", h);
    }
  sde__xp_meta (x, "steps", "h = %s", buf);
  return sde__xp_meta (x, "errors", "%s at T = %g, %llu paths",
                       x->weak && x->strong ? "weak and strong"
                       : x->weak            ? "weak"
                                            : "strong",
                       x->T, (unsigned long long)x->o.paths);
}

int
sde__xp_setup_order (sde_experiment *x)
{
  const sde_experiment_opts *o = &x->o;
  int st = check_foreign (o);
  if (!st)
    st = setup_errors (x);
  if (!st)
    st = sde__xp_setup_user_sde (x, 1);
  if (st)
    return st;
  /* Milstein where it applies: a default that refused the SDE would
     make every non-commutative SDE a usage error.  */
  const unsigned commuting = SDE_NOISE_SCALAR | SDE_NOISE_DIAGONAL
                             | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE;
  const char *def = x->sys.noise & commuting ? "em,milstein,weak2" : "em,weak2";
  if ((st = sde__xp_parse_schemes (x, o->scheme ? o->scheme : def, "schemes"))
      || (st = setup_steps (x)) || (st = setup_observables (x)))
    return st;
  x->nm = x->nschemes;
  if (cost (x) > XP_MAXCOST)
    return sde_error (GSL_EINVAL,
                      "paths: the run needs about %.3g path-steps, over %.0f "
                      "days on one core at 10^8 a second: refused",
                      cost (x), cost (x) / 1e8 / 86400);
  if ((x->rng = sde_rng_alloc (NULL, o->seed)) == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for the generator");
  /* The library's own checks (the fine grid, its buffers), before any
     output; what is left to refuse is the grid of steps.  */
  sde_order_job job;
  make_job (x, &job);
  sde__clear_error ();
  st = sde_order_validate (&job);
  if (st == GSL_EINVAL)
    {
      const char *why = sde__last_error (st);
      return sde_error (st, "steps: %s",
                        strncmp (why, "order: ", 7) ? why : why + 7);
    }
  if (st)
    return st;
  snprintf (x->title, sizeof x->title, "%.400s: errors at T = %g",
            x->usde->spec, x->T);
  return order_meta (x);
}

/* ---- The run and its table ---- */

const char *
sde__xp_versus (const sde_experiment *x, size_t o)
{
  const sde_order_result *r = x->ord;
  if (r == NULL)
    return "?";
  const sde_order_against a = o < x->nweak ? r->against[o] : r->strong_against;
  switch (a)
    {
    case SDE_ORDER_EXACT:
      return "the exact solution";
    case SDE_ORDER_MOMENT:
      return "the exact moment";
    default:
      return "the reference";
    }
}

static int
write_row (sde_experiment *x, sde_report *rep, const sde_weak_point *p)
{
  const int none = isnan (p->e);
  const size_t o = p->obs;
  const sde_order_result *r = x->ord;
  const sde_order_against a = o < x->nweak ? r->against[o] : r->strong_against;
  sde_cell row[] = {
    SDE_CELL_D (p->eta),
    SDE_CELL_S (sde_experiment_method (x, p->method)),
    SDE_CELL_S (sde_experiment_observable (x, o)),
    none ? SDE_CELL_NONE : SDE_CELL_PM (p->e, p->crit * p->se),
    SDE_CELL_I ((long long)p->n),
    SDE_CELL_B (p->floor),
    SDE_CELL_D (p->seconds),
    SDE_CELL_S (sde_order_against_name (a)),
    CELL_OR_NONE (p->est),
    CELL_OR_NONE (p->est_ref),
    CELL_OR_NONE (p->e),
    CELL_OR_NONE (p->se),
    CELL_OR_NONE (p->lo),
    CELL_OR_NONE (p->hi),
    CELL_OR_NONE (p->se_est),
    CELL_OR_NONE (p->se_ref),
    SDE_CELL_I ((long long)p->diverged),
    a == SDE_ORDER_REFERENCE ? SDE_CELL_I ((long long)p->substeps)
                             : SDE_CELL_NONE,
    CELL_OR_NONE (p->ref_err),
    isnan (p->ref_err) ? SDE_CELL_NONE : CELL_OR_NONE (p->ref_err_se),
    SDE_CELL_S (p->stop),
  };
  int st = sde_report_row (rep, row);
  return st ? sde_error (st, "writing the table failed") : GSL_SUCCESS;
}

/* The results as the experiment's rows: method = scheme, obs = the weak
   observable, or nweak for the strong error.  */
static int
keep_rows (sde_experiment *x)
{
  const sde_order_result *r = x->ord;
  int st = GSL_SUCCESS;
  for (size_t s = 0; s < r->nschemes && !st; s++)
    for (size_t o = 0; o < x->nobs && !st; o++)
      {
        const int strong = o == x->nweak;
        const sde_weak_point *p = sde_order_rows (
            r, strong ? SDE_ORDER_STRONG : SDE_ORDER_WEAK, s, o);
        for (size_t k = 0; k < r->nh && !st; k++)
          {
            sde_weak_point q = p[k];
            q.method = s;
            q.obs = o;
            st = sde__xp_keep_rows (x, &q, 1);
          }
      }
  return st;
}

/* What the table cannot say in its cells.  */
static void
order_notes (sde_experiment *x)
{
  const sde_order_result *r = x->ord;
  sde__xp_note (x,
                "%s%s%s; every scheme and h on one Brownian path per sample "
                "(a coarse step sums the fine increments)",
                x->weak ? "weak errors e = E phi(X_h(T)) - E phi(X(T))" : "",
                x->weak && x->strong ? "; " : "",
                x->strong ? "rows 'strong': strong errors E |X_h(T) - X(T)|"
                          : "");
  for (size_t o = 0; o < x->nobs; o++)
    {
      const int strong = o == x->nweak;
      const sde_order_against a = strong ? r->strong_against : r->against[o];
      const char *on = sde_experiment_observable (x, o);
      if (a == SDE_ORDER_EXACT)
        sde__xp_note (x,
                      "%s: against the exact solution on the same path "
                      "(paired differences)",
                      on);
      else if (a == SDE_ORDER_MOMENT)
        sde__xp_note (x, "%s: against its exact moment", on);
      else
        {
          const sde_stepper_type *T = strong ? r->ref_strong : r->ref_weak;
          sde__xp_note (x,
                        "%s: against %s at h = %g on the same path (paired "
                        "differences); its own error, estimated from a run "
                        "at twice its step, is ref_error",
                        on, T ? T->name : "?", r->ref_h);
        }
    }
  for (size_t o = 0; r->has_check && o < x->nweak; o++)
    {
      const sde_order_check *c = &r->check[o];
      if (isnan (c->exact))
        continue;
      sde__xp_note (
          x,
          "%scheck: the exact solution's mean of %s at T, %.7g "
          "+- %.2g (95%%), against its exact moment %.7g: z = "
          "%.2f%s",
          fabs (c->z) > 4 ? "warning: " : "", sde_experiment_observable (x, o),
          c->est, Z95 * c->se, c->exact, c->z,
          fabs (c->z) > 4 ? ": they disagree; one of them is wrong" : "");
    }
  if (r->diverged_exact)
    sde__xp_note (x,
                  "warning: the exact solution diverged on %llu paths, "
                  "left out",
                  (unsigned long long)r->diverged_exact);
  sde__xp_note (x, "s: the seconds the scheme's steps took at that h, summed "
                   "over threads (the shared Brownian increments left out): "
                   "error against s is the work-precision view");
}

int
sde__xp_run_order (sde_experiment *x, sde_report *rep)
{
  sde_order_job job;
  make_job (x, &job);
  sde_order_result_free (x->ord);
  x->ord = NULL;
  int st = sde_order_run (&job, &x->ord);
  if (!st)
    st = keep_rows (x);
  for (size_t i = 0; i < x->nmeta && rep && !st; i++)
    st = sde_report_meta (rep, x->meta[i].key, x->meta[i].value);
  if (!st && rep)
    st = sde_report_table (rep, "errors", order_cols, NCOLS (order_cols));
  for (size_t k = 0; k < x->nrows && rep && !st; k++)
    st = write_row (x, rep, &x->rows[k]);
  if (!st)
    order_notes (x);
  if (!st && rep)
    st = sde__xp_write_tail (x, rep);
  return st;
}

int
sde__xp_check_order_columns (const char *columns, const sde_table_def *fits)
{
  const sde_table_def t[] = {
    { "errors", order_cols, NCOLS (order_cols) },
    *fits,
  };
  return sde_report_columns_check (columns, t, 2);
}
