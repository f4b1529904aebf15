/* experiment_table.c: an experiment's results as tables (MATH.md 8.4): the
   errors row by row, then the fits with their local slopes, the SVAG fits,
   the notes that flag Monte Carlo noise and unreliable orders, one verdict
   line per method, and --expect-order.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "experiment_internal.h"
#include "sdekit/spec.h"

#define Z95 1.959963984540054

/* ---- Columns ---- */

/* The default human view (text, Markdown, LaTeX) fits in 100 columns: eta,
   method, observable, e with its 95% half-width, N and the floor flag;
   --wide or --columns show the others.  Machine formats (CSV, JSON) carry
   every column but the human-only display ones.  */

static const sde_column error_cols[] = {
  { "eta", "$\\eta$", 10, 'g', 6, 0, NULL, NULL },
  { "method", "method", 18, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, "phi", NULL },
  { "error_ci", "$e \\pm$ 95\\% CI", 22, 'e', 2, SDE_COLUMN_HUMAN,
    "error \u00b1 95% CI", NULL },
  { "N", "$N$", 9, 'd', 0, 0, NULL, NULL },
  { "floor", "floor", 5, 's', 0, 0, NULL, "*|" },
  { "estimate", "$\\hat E\\varphi(x)$", 12, 'g', 7, SDE_COLUMN_WIDE, NULL,
    NULL },
  { "reference", "$\\hat E\\varphi(X)$", 12, 'g', 7, SDE_COLUMN_WIDE, NULL,
    NULL },
  { "error", "$e$", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "se", "SE", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "ci_lo", "95\\% CI lo", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "ci_hi", "95\\% CI hi", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "ci_z", "$z$", 5, 'f', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "se_estimate", "SE$(\\hat E\\varphi(x))$", 11, 'e', 2, SDE_COLUMN_WIDE,
    NULL, NULL },
  { "se_reference", "SE$(\\hat E\\varphi(X))$", 12, 'e', 2, SDE_COLUMN_WIDE,
    NULL, NULL },
  { "t_max", "$t^*$", 7, 'g', 4, SDE_COLUMN_WIDE, NULL, NULL },
  { "error_T", "$e_T$", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "se_T", "SE$_T$", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "vrf", "VRF", 8, 'g', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "kurtosis", "kurt.", 8, 'g', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "diverged", "div.", 8, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "diverged_ref", "div.ref", 7, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "substeps", "$M$", 5, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "ref_error", "ref.err", 10, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "ref_error_se", "SE(ref.err)", 12, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "grid_error", "grid err.", 10, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "pilot", "pilot", 7, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "stop", "stop", 7, 's', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "seconds", "s", 8, 'f', 2, SDE_COLUMN_WIDE, NULL, NULL },
};

/* The fits table; its first column names the methods, or the schemes of
   an order experiment.  */
#define FIT_COLS(FIRST, FROM, FROM_LATEX, FROM_TITLE)                          \
  { FIRST, FIRST, 18, 's', 0, 0, NULL, NULL },                                 \
      { "observable", "$\\varphi$", 10, 's', 0, 0, "phi", NULL },              \
      { "order_ci",       "order $p \\pm$ 95\\% CI", 16,  'f', 3,              \
        SDE_COLUMN_HUMAN, "order \u00b1 CI",         NULL },                   \
      { "theory", "theory", 7, 'g', 3, 0, NULL, NULL },                        \
      { "theory_kind", "", 6, 's', 0, 0, "kind", NULL },                       \
      { "points", "points", 4, 'd', 0, 0, "pts", NULL },                       \
      { FROM, FROM_LATEX, 9, 'g', 4, 0, FROM_TITLE, NULL },                    \
      { "chi2_dof", "$\\chi^2$/dof", 8, 'g', 3, 0, "chi2/dof", NULL },         \
      { "order", "order $p$", 8, 'f', 3, SDE_COLUMN_WIDE, NULL, NULL },        \
      { "se", "SE", 7, 'f', 3, SDE_COLUMN_WIDE, NULL, NULL },                  \
      { "ci_lo", "95\\% CI lo", 8, 'f', 3, SDE_COLUMN_WIDE, NULL, NULL },      \
      { "ci_hi", "95\\% CI hi", 8, 'f', 3, SDE_COLUMN_WIDE, NULL, NULL },      \
      { "log_c", "$\\log C$", 8, 'f', 3, SDE_COLUMN_WIDE, NULL, NULL },        \
      { "floored", "floor", 5, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },          \
      { "skipped", "skipped", 7, 'd', 0, SDE_COLUMN_WIDE, NULL, NULL },        \
      { "local_slopes",  "local slopes", 24,  'f', 2,                          \
        SDE_COLUMN_WIDE, "local slopes", NULL },                               \
      { "local_slopes_se",                                                     \
        "SE of the local slopes",                                              \
        24,                                                                    \
        'f',                                                                   \
        2,                                                                     \
        SDE_COLUMN_WIDE,                                                       \
        NULL,                                                                  \
        NULL },                                                                \
      { "warnings", "warnings", 20, 's', 0, SDE_COLUMN_WIDE, NULL, NULL },

static const sde_column fit_cols[]
    = { FIT_COLS ("method", "eta_max", "from $\\eta$", "from eta") };
static const sde_column fit_cols_order[]
    = { FIT_COLS ("scheme", "h_max", "from $h$", "from h") };

#define NCOLS(a) (sizeof (a) / sizeof (a)[0])

/* A number, or "not available" for NAN.  */
#define CELL_OR_NONE(v) (isnan (v) ? SDE_CELL_NONE : SDE_CELL_D (v))

/* The fits table of X's kind.  */
static const sde_column *
fits_of (const sde_experiment *x)
{
  return x->o.kind == SDE_EXPERIMENT_ORDER ? fit_cols_order : fit_cols;
}

/* What the grid is: learning rates, or the step sizes of schemes.  */
static const char *
grid_word (const sde_experiment *x)
{
  return x->o.kind == SDE_EXPERIMENT_ORDER ? "h" : "eta";
}

double
sde__xp_theory (const sde_experiment *x, size_t m, size_t o, const char **kind)
{
  if (x->o.kind != SDE_EXPERIMENT_ORDER)
    {
      *kind = x->theory_kind[m];
      return x->theory[m];
    }
  /* A scheme's order is the theorem's (Kloeden & Platen 1992, chapters
     10, 14): generic, so a faster one is worth a look.  */
  const sde_stepper_type *T = x->schemes[m];
  double p = o < x->nweak ? T->weak_order : T->strong_order;
  /* Additive noise makes Milstein's correction vanish: Euler-Maruyama is
     Milstein there, of strong order 1 (Kloeden & Platen 1992, 10.3).  */
  if (o >= x->nweak && p == 0.5 && (x->sys.noise & SDE_NOISE_ADDITIVE))
    p = 1;
  *kind = p > 0 ? "exact" : "";
  return p > 0 ? p : NAN;
}

/* ---- Rows ---- */

int
sde__xp_keep_rows (sde_experiment *x, const sde_weak_point *rows, size_t n)
{
  if (x->nrows + n > x->cap)
    {
      size_t cap = x->cap ? 2 * x->cap : 64;
      while (cap < x->nrows + n)
        cap *= 2;
      sde_weak_point *r = realloc (x->rows, sizeof *r * cap);
      if (r == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for %zu table rows", cap);
      x->rows = r;
      x->cap = cap;
    }
  memcpy (x->rows + x->nrows, rows, sizeof *rows * n);
  x->nrows += n;
  return GSL_SUCCESS;
}

int
sde__xp_write_head (sde_experiment *x, sde_report *rep)
{
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < x->nmeta && !st; i++)
    st = sde_report_meta (rep, x->meta[i].key, x->meta[i].value);
  return st ? st
            : sde_report_table (rep, "errors", error_cols, NCOLS (error_cols));
}

static int
is_exact (const sde_weak_point *p)
{
  return strcmp (p->stop, "exact") == 0 || strcmp (p->stop, "density") == 0;
}

int
sde__xp_write_rows (sde_experiment *x, sde_report *rep,
                    const sde_weak_point *rows, size_t n)
{
  for (size_t k = 0; k < n; k++)
    {
      const sde_weak_point *p = &rows[k];
      const int exact = is_exact (p);
      const double half = exact ? 0 : p->crit * p->se;
      sde_cell row[] = {
        SDE_CELL_D (p->eta),
        SDE_CELL_S (x->methods[p->method].spec),
        SDE_CELL_S (x->obs[p->obs].name),
        exact ? SDE_CELL_D (p->e) : SDE_CELL_PM (p->e, half),
        exact ? SDE_CELL_NONE : SDE_CELL_I ((long long)p->n),
        SDE_CELL_B (p->floor),
        SDE_CELL_D (p->est),
        SDE_CELL_D (p->est_ref),
        SDE_CELL_D (p->e),
        SDE_CELL_D (p->se),
        SDE_CELL_D (p->lo),
        SDE_CELL_D (p->hi),
        exact ? SDE_CELL_NONE : CELL_OR_NONE (p->crit),
        SDE_CELL_D (p->se_est),
        SDE_CELL_D (p->se_ref),
        SDE_CELL_D (p->t_star),
        SDE_CELL_D (p->e_final),
        SDE_CELL_D (p->se_final),
        exact ? SDE_CELL_NONE : SDE_CELL_D (p->vrf),
        exact ? SDE_CELL_NONE : SDE_CELL_D (p->kurtosis),
        SDE_CELL_I ((long long)p->diverged),
        SDE_CELL_I ((long long)p->diverged_ref),
        x->ref != XP_REF_METHOD && !exact ? SDE_CELL_I ((long long)p->substeps)
                                          : SDE_CELL_NONE,
        CELL_OR_NONE (p->ref_err),
        isnan (p->ref_err) ? SDE_CELL_NONE : CELL_OR_NONE (p->ref_err_se),
        CELL_OR_NONE (p->grid_err),
        exact ? SDE_CELL_NONE : SDE_CELL_I ((long long)p->pilot),
        SDE_CELL_S (p->stop),
        SDE_CELL_D (p->seconds),
      };
      int st = sde_report_row (rep, row);
      if (st)
        return sde_error (st, "writing the table failed");
    }
  return GSL_SUCCESS;
}

/* ---- Fits ---- */

/* The rows of (method M, observable O), in decreasing eta, into OUT.  */
static size_t
series (const sde_experiment *x, size_t m, size_t o, sde_weak_point *out)
{
  size_t n = 0;
  for (size_t k = 0; k < x->nrows; k++)
    if (x->rows[k].method == m && x->rows[k].obs == o)
      out[n++] = x->rows[k];
  return n;
}

/* sde_experiment_fit, with a status: out of memory is no missing order.  */
static int
fit_of (const sde_experiment *x, size_t m, size_t o, sde_weak_fit *fit)
{
  sde_weak_point *pts = malloc (sizeof *pts * (x->nrows ? x->nrows : 1));
  if (pts == NULL)
    {
      memset (fit, 0, sizeof *fit);
      fit->order = fit->se = fit->lo = fit->hi = NAN;
      return sde_error (GSL_ENOMEM, "out of memory fitting an order");
    }
  sde_weak_fit_points (pts, series (x, m, o, pts), fit);
  free (pts);
  return GSL_SUCCESS;
}

void
sde_experiment_fit (const sde_experiment *x, size_t m, size_t o,
                    sde_weak_fit *fit)
{
  fit_of (x, m, o, fit);
}

/* What the fits table cannot say in its cells: why there is no order,
   what makes one unreliable, and what the theory says at alpha = 1.  */
static void
fit_notes (sde_experiment *x, size_t m, size_t o, const sde_weak_fit *f,
           const sde_weak_point *pts, size_t n, const double *ls, int one_eta)
{
  const char *mn = sde_experiment_method (x, m);
  const char *on = sde_experiment_observable (x, o);
  char warn[512];
  size_t exact = 0;
  for (size_t i = 0; i < n; i++)
    exact += pts[i].se == 0;
  if (!f->ok && !one_eta && f->used == 2 && exact == n)
    {
      double slope = NAN;
      for (size_t i = 0; i + 1 < n && isnan (slope); i++)
        slope = ls[i];
      sde__xp_note (x,
                    "%s %s: two exact points: local slope %.4f, no fitted "
                    "order (a power law needs a third point to be tested)",
                    mn, on, slope);
    }
  else if (!f->ok && !one_eta)
    sde__xp_note (x,
                  "%s %s: %zu usable point%s (%zu in the noise floor): no "
                  "order is fitted from fewer than three",
                  mn, on, f->used, f->used == 1 ? "" : "s", f->floored);
  else if (f->ok && (f->flags & ~(unsigned)SDE_WEAK_FIT_FEW))
    sde__xp_note (x, "%s %s: warning: %s; the order %.3f is not reliable", mn,
                  on, sde_weak_fit_warning (f->flags, warn, sizeof warn),
                  f->order);
  else if (f->ok && f->skipped)
    sde__xp_note (x,
                  "%s %s: over all %zu %s %s; the order is fitted on the "
                  "%zu smallest (%s <= %g), where they do not",
                  mn, on, n,
                  x->o.kind == SDE_EXPERIMENT_ORDER ? "step sizes" : "etas",
                  sde_weak_fit_warning (f->all_flags, warn, sizeof warn),
                  n - f->skipped, grid_word (x), f->eta_max);
  const char *kind;
  sde__xp_theory (x, m, o, &kind);
  if (o == 0 && strcmp (kind, "none") == 0)
    sde__xp_note (x,
                  "%s: the theory predicts no convergence to the reference "
                  "here (alpha = 1: momentum changes the limit, MATH.md "
                  "4.3): an order near 0 is the expected result",
                  mn);
}

/* The warnings of a fit as a list of strings (machine formats).  */
static size_t
warning_list (unsigned flags, const char **out)
{
  static const struct
  {
    unsigned flag;
    const char *name;
  } w[] = { { SDE_WEAK_FIT_FEW, "few points" },
            { SDE_WEAK_FIT_SIGN, "sign change" },
            { SDE_WEAK_FIT_DRIFT, "slopes drift" },
            { SDE_WEAK_FIT_SCATTER, "scatter" } };
  size_t n = 0;
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
    if (flags & w[i].flag)
      out[n++] = w[i].name;
  return n;
}

static int
fit_row (sde_experiment *x, sde_report *rep, size_t m, size_t o,
         sde_weak_point *pts, double *ls, double *lse, int one_eta)
{
  const size_t n = series (x, m, o, pts);
  sde_weak_fit f;
  sde_weak_fit_points (pts, n, &f);
  sde_weak_local_slopes (pts, n, ls, lse);
  const char *warn[4];
  const size_t nw = warning_list (f.flags, warn);
  const char *kind;
  const double th = sde__xp_theory (x, m, o, &kind);
  sde_cell cells[] = {
    SDE_CELL_S (sde_experiment_method (x, m)),
    SDE_CELL_S (sde_experiment_observable (x, o)),
    f.ok ? SDE_CELL_PM (f.order, f.hi - f.order) : SDE_CELL_NONE,
    isnan (th) ? SDE_CELL_NONE : SDE_CELL_D (th),
    SDE_CELL_S (kind),
    SDE_CELL_I ((long long)f.used),
    f.ok ? CELL_OR_NONE (f.eta_max) : SDE_CELL_NONE,
    f.ok && !isnan (f.chi2dof) ? SDE_CELL_D (f.chi2dof) : SDE_CELL_NONE,
    f.ok ? SDE_CELL_D (f.order) : SDE_CELL_NONE,
    f.ok ? CELL_OR_NONE (f.se) : SDE_CELL_NONE,
    f.ok ? CELL_OR_NONE (f.lo) : SDE_CELL_NONE,
    f.ok ? CELL_OR_NONE (f.hi) : SDE_CELL_NONE,
    f.ok ? SDE_CELL_D (f.logc) : SDE_CELL_NONE,
    SDE_CELL_I ((long long)f.floored),
    SDE_CELL_I ((long long)f.skipped),
    SDE_CELL_DV (ls, n ? n - 1 : 0),
    SDE_CELL_DV (lse, n ? n - 1 : 0),
    SDE_CELL_SV (warn, nw),
  };
  int st = rep ? sde_report_row (rep, cells) : GSL_SUCCESS;
  fit_notes (x, m, o, &f, pts, n, ls, one_eta);
  return st;
}

static const sde_column svag_cols[] = {
  { "method", "method", 18, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, "phi", NULL },
  { "eta", "$\\eta$", 10, 'g', 6, 0, NULL, NULL },
  { "order_in_1/l", "order in $1/\\ell$", 12, 'f', 3, 0, "order in 1/l", NULL },
  { "se", "SE", 7, 'f', 3, 0, NULL, NULL },
  { "ci_lo", "95\\% CI lo", 8, 'f', 3, 0, NULL, NULL },
  { "ci_hi", "95\\% CI hi", 8, 'f', 3, 0, NULL, NULL },
  { "theory", "theory", 7, 'g', 3, 0, NULL, NULL },
  { "points", "points", 4, 'd', 0, 0, "pts", NULL },
};

/* The wrapped method of SVAG(l), e.g. "sgd" of "svag:l=4,sgd".  */
static const char *
inner (const sde_optim *m)
{
  const char *s = m->spec;
  return strncmp (s, "svag:", 5) == 0 && strchr (s, ',') ? strchr (s, ',') + 1
                                                         : s;
}

/* At one eta, SVAG(l) of one method for three or more l: the error against
   the SDE falls like 1/l (Li, Malladi & Arora 2021); its order in 1/l.  */
static int
svag_fits (sde_experiment *x, sde_report *rep, sde_weak_point *pts)
{
  int have = 0, st = GSL_SUCCESS;
  for (size_t m = 0; m < x->nm && !st; m++)
    {
      size_t members = 0, seen = 0;
      for (size_t q = 0; q < x->nm; q++)
        {
          const int same
              = strcmp (inner (&x->methods[q]), inner (&x->methods[m])) == 0;
          members += same;
          seen |= same && q < m;
        }
      if (seen || members < 3)
        continue;
      for (size_t o = 0; o < x->nobs && !st; o++)
        {
          size_t n = 0;
          for (size_t k = 0; k < x->nrows; k++)
            {
              const sde_optim *mk = &x->methods[x->rows[k].method];
              if (x->rows[k].obs == o
                  && strcmp (inner (mk), inner (&x->methods[m])) == 0)
                {
                  pts[n] = x->rows[k];
                  pts[n++].eta = 1.0 / mk->svag;
                }
            }
          sde_weak_fit f;
          sde_weak_fit_points (pts, n, &f);
          if (!have
              && (st = sde_report_table (rep, "svag_fits", svag_cols,
                                         NCOLS (svag_cols))))
            break;
          have = 1;
          sde_cell cells[] = {
            SDE_CELL_S (inner (&x->methods[m])),
            SDE_CELL_S (x->obs[o].name),
            SDE_CELL_D (x->rows[0].eta),
            f.ok ? SDE_CELL_D (f.order) : SDE_CELL_NONE,
            f.ok ? CELL_OR_NONE (f.se) : SDE_CELL_NONE,
            f.ok ? CELL_OR_NONE (f.lo) : SDE_CELL_NONE,
            f.ok ? CELL_OR_NONE (f.hi) : SDE_CELL_NONE,
            SDE_CELL_D (1.0),
            SDE_CELL_I ((long long)f.used),
          };
          st = sde_report_row (rep, cells);
        }
    }
  return st;
}

/* ---- Notes ---- */

/* Row-level warnings.  */
static void
row_notes (sde_experiment *x)
{
  /* An order experiment's rows share their paths, and heavy tails show
     at every h alike: one note says so.  */
  const int order = x->o.kind == SDE_EXPERIMENT_ORDER;
  size_t heavy = 0;
  double kmax = 0;
  for (size_t k = 0; k < x->nrows; k++)
    {
      const sde_weak_point *p = &x->rows[k];
      const char *mn = sde_experiment_method (x, p->method);
      const char *on = sde_experiment_observable (x, p->obs),
                 *g = grid_word (x);
      if (p->floor && !is_exact (p))
        sde__xp_note (x,
                      "%s=%g %s %s: |e| < 2 SE: inside the Monte Carlo noise "
                      "floor, left out of the fit",
                      g, p->eta, mn, on);
      if (p->kurtosis > 100 && order)
        {
          heavy++;
          kmax = p->kurtosis > kmax ? p->kurtosis : kmax;
        }
      else if (p->kurtosis > 100)
        sde__xp_note (x,
                      "%s=%g %s %s: kurtosis %.3g of the paired differences: "
                      "their variance, hence the SE, is poorly estimated",
                      g, p->eta, mn, on, p->kurtosis);
      if (p->obs == 0 && (p->diverged || p->diverged_ref))
        sde__xp_note (x,
                      "%s=%g %s: %llu diverged paths (%llu of the reference), "
                      "left out of the averages",
                      g, p->eta, mn, (unsigned long long)p->diverged,
                      (unsigned long long)p->diverged_ref);
      if (!sde_weak_ref_ok (p))
        sde__xp_note (x,
                      "%s=%g %s %s: the reference's own error %.3g (SE %.2g) "
                      "may be above a tenth of |e|%s",
                      g, p->eta, mn, on, p->ref_err, p->ref_err_se,
                      fabs (p->ref_err) > 2 * p->ref_err_se
                          ? ""
                          : " (not resolved from noise: more paths, or the "
                            "coupled estimator, would tell)");
      if (strcmp (p->stop, "max") == 0 && !p->floor)
        sde__xp_note (x,
                      "%s=%g %s %s: --max-paths reached before the CI target",
                      g, p->eta, mn, on);
    }
  if (heavy)
    sde__xp_note (x,
                  "%zu of %zu rows have a kurtosis of their paired "
                  "differences above 100 (at most %.3g): their SEs are "
                  "poorly estimated",
                  heavy, x->nrows, kmax);
}

/* Why the reference SDE differs from one eta to the next, or NULL: then
   its estimates at different etas must agree.  */
static const char *
ref_varies (const sde_experiment *x)
{
  if (x->ref == XP_REF_METHOD)
    return NULL;
  if (x->ref == XP_REF_SME2)
    return "SME-2's drift has eta in it";
  if (x->ref == XP_REF_SLOW)
    return NULL;
  if (x->orc.law == SDE_ORACLE_MINIBATCH)
    {
      if (!x->auto_batch)
        return "a fixed minibatch B: tau = eta/B";
      if (!x->orc.replace)
        return "B = eta/tau without replacement: tau (n - B)/(n - 1)";
      return NULL;
    }
  if (!x->tau_scaling)
    return "sigma is fixed: tau = eta sigma^2";
  return NULL;
}

/* Consistency (Giles): successive reference estimates of the same
   expectation at the same time must agree within their errors, when the
   reference is one SDE for every eta.  */
static void
consistency_notes (sde_experiment *x, sde_weak_point *pts)
{
  int sampled = 0;
  for (size_t k = 0; k < x->nrows; k++)
    sampled |= x->rows[k].se_ref > 0;
  if (x->o.kind == SDE_EXPERIMENT_ORDER || x->ref == XP_REF_METHOD || !sampled)
    return;
  const char *why = ref_varies (x);
  if (why)
    {
      sde__xp_note (x,
                    "consistency check of the reference across etas "
                    "skipped: the reference changes with eta (%s)",
                    why);
      return;
    }
  for (size_t o = 0; o < x->nobs; o++)
    {
      const size_t n = series (x, 0, o, pts);
      for (size_t i = 0; i + 1 < n; i++)
        {
          const sde_weak_point *a = &pts[i], *b = &pts[i + 1];
          if (a->t_star != b->t_star)
            continue;
          /* Different etas use independent samples: the marginal SEs.  */
          double tol = 3 * hypot (a->se_ref, b->se_ref)
                       + (isnan (a->ref_err) ? 0 : fabs (a->ref_err))
                       + (isnan (b->ref_err) ? 0 : fabs (b->ref_err));
          double diff = fabs (a->est_ref - b->est_ref);
          if (tol > 0 && diff > tol && diff > 1e-12 * fabs (a->est_ref))
            sde__xp_note (x,
                          "consistency: the reference estimates of %s at "
                          "t=%g for eta=%g and eta=%g differ by %.3g, more "
                          "than %.3g",
                          x->obs[o].name, a->t_star, a->eta, b->eta, diff, tol);
        }
    }
}

/* One line per method and observable: the order with its interval against
   the theory, and whether they agree.  */
static int
verdicts (sde_experiment *x, sde_report *rep)
{
  int st = GSL_SUCCESS;
  char line[700], warn[400];
  for (size_t m = 0; m < x->nm && !st; m++)
    for (size_t o = 0; o < x->nobs && !st; o++)
      {
        sde_weak_fit f;
        if ((st = fit_of (x, m, o, &f)))
          break;
        const char *kind;
        const double th = sde__xp_theory (x, m, o, &kind);
        int n = x->o.kind == SDE_EXPERIMENT_ORDER
                    ? snprintf (
                        line, sizeof line,
                        "%s, %s against %s: ", sde_experiment_method (x, m),
                        sde_experiment_observable (x, o), sde__xp_versus (x, o))
                    : snprintf (
                        line, sizeof line, "%s vs %s, %s: ", x->methods[m].spec,
                        x->ref == XP_REF_SME1          ? "SME-1"
                        : x->ref == XP_REF_SME2        ? "SME-2"
                        : x->ref == XP_REF_UNDERDAMPED ? "the underdamped SDE"
                        : x->ref == XP_REF_SLOW        ? "the slow SDE"
                                                       : x->refm.spec,
                        x->obs[o].name);
        if (!f.ok)
          n += snprintf (line + n, sizeof line - (size_t)n,
                         "no order (%zu usable points)", f.used);
        else if (isnan (f.lo))
          n += snprintf (line + n, sizeof line - (size_t)n, "order %.3f",
                         f.order);
        else
          n += snprintf (line + n, sizeof line - (size_t)n,
                         "order %.2f [%.2f, %.2f]", f.order, f.lo, f.hi);
        if (!isnan (th))
          n += snprintf (line + n, sizeof line - (size_t)n, "; theory %g (%s)",
                         th, kind);
        else
          n += snprintf (line + n, sizeof line - (size_t)n, "; no theory");
        const char *say
            = !f.ok ? ""
              : (f.flags & ~(unsigned)SDE_WEAK_FIT_FEW)
                  ? sde_weak_fit_warning (f.flags, warn, sizeof warn)
              : isnan (th)      ? ""
              : f.hi < th - 0.1 ? "slower than the theory"
              : f.lo > th + 0.1 && strcmp (kind, "bound")
                  ? "faster than the theory"
                  : "consistent";
        if (*say)
          snprintf (line + n, sizeof line - (size_t)n, ": %s", say);
        st = sde_report_verdict (
            rep, strcmp (say, "consistent") == 0 || (*say == '\0' && f.ok),
            line);
      }
  return st;
}

int
sde__xp_write_tail (sde_experiment *x, sde_report *rep)
{
  const size_t cap = x->nrows ? x->nrows : 1;
  sde_weak_point *pts = malloc (sizeof *pts * cap);
  double *ls = malloc (sizeof (double) * 2 * cap);
  if (pts == NULL || ls == NULL)
    {
      free (pts);
      free (ls);
      return sde_error (GSL_ENOMEM, "out of memory for the fits");
    }
  int one_eta = x->nrows > 0, st = GSL_SUCCESS;
  for (size_t k = 1; k < x->nrows; k++)
    one_eta &= x->rows[k].eta == x->rows[0].eta;
  /* A format of one table per file (CSV) gets the fits in a file of their
     own (sde_experiment_write_fits); the notes still come from them.  */
  const int tables
      = !(sde_report_format_of (rep)->flags & SDE_REPORT_ONE_TABLE);
  if (one_eta && tables && x->o.kind != SDE_EXPERIMENT_ORDER)
    st = svag_fits (x, rep, pts);
  if (!st && tables)
    st = sde_report_table (rep, "fits", fits_of (x), NCOLS (fit_cols));
  sde_report *fits_to = tables ? rep : NULL;
  for (size_t m = 0; m < x->nm && !st; m++)
    for (size_t o = 0; o < x->nobs && !st; o++)
      st = fit_row (x, fits_to, m, o, pts, ls, ls + cap, one_eta);
  if (!tables)
    sde__xp_note (x, "the fits are in a table of their own: --fits=FILE");
  if (one_eta)
    sde__xp_note (x, "one %s: no order in %s can be fitted", grid_word (x),
                  grid_word (x));
  uint64_t pilot = 0;
  for (size_t k = 0; k < x->nrows; k++)
    pilot = x->rows[k].pilot > pilot ? x->rows[k].pilot : pilot;
  if (pilot)
    sde__xp_note (x,
                  "t_max is the checkpoint where |e| is largest on %llu "
                  "pilot paths; e and its 95%% CI are estimated there on the "
                  "N other paths, so the maximum over time is not biased "
                  "upward by the noise",
                  (unsigned long long)pilot);
  row_notes (x);
  consistency_notes (x, pts);
  for (size_t i = 0; i < x->nnotes && !st; i++)
    st = sde_report_note (rep, x->notes[i]);
  /* With one eta there is no order to judge: the note says so.  */
  if (!st && !one_eta)
    st = verdicts (x, rep);
  free (pts);
  free (ls);
  return st;
}

int
sde_experiment_expect (const sde_experiment *x, double P, double Q, char *why,
                       size_t len)
{
  int bad = 0;
  size_t n = 0;
  char warn[512];
  if (len)
    why[0] = '\0';
  for (size_t m = 0; m < x->nm; m++)
    for (size_t o = 0; o < x->nobs; o++)
      {
        sde_weak_fit f;
        sde_experiment_fit (x, m, o, &f);
        /* Where the theory is a bound (Theorem 3.5's (1 - alpha)/2), a
           faster order passes: the test is one-sided.  Else the fit's 95%
           interval must reach P -+ Q.  */
        const char *kind;
        sde__xp_theory (x, m, o, &kind);
        const int bound = strcmp (kind, "bound") == 0;
        const char *r = NULL;
        if (!f.ok)
          r = "has no fitted order";
        else if (f.flags & ~(unsigned)SDE_WEAK_FIT_FEW)
          r = sde_weak_fit_warning (f.flags, warn, sizeof warn);
        else if (f.hi < P - Q)
          r = "is below";
        else if (!bound && f.lo > P + Q)
          r = "is above";
        if (r == NULL)
          continue;
        bad = 1;
        if (n < len)
          n += (size_t)snprintf (
              why + n, len - n,
              "%s--expect-order=%g --tolerance=%g (%s): %s %s: order %.3f, "
              "95%% CI [%.3f, %.3f]: %s",
              n ? "\n" : "", P, Q, bound ? "at least P - Q" : "P -+ Q",
              sde_experiment_method (x, m), sde_experiment_observable (x, o),
              f.order, f.lo, f.hi, r);
      }
  return bad ? 3 : 0;
}

int
sde_experiment_write_fits (sde_experiment *x, sde_report *rep)
{
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < x->nmeta && !st; i++)
    st = sde_report_meta (rep, x->meta[i].key, x->meta[i].value);
  const size_t cap = x->nrows ? x->nrows : 1;
  sde_weak_point *pts = malloc (sizeof *pts * cap);
  double *ls = malloc (sizeof (double) * 2 * cap);
  if (pts == NULL || ls == NULL)
    st = sde_error (GSL_ENOMEM, "out of memory for the fits");
  if (!st)
    st = sde_report_table (rep, "fits", fits_of (x), NCOLS (fit_cols));
  /* The notes were made with the main table: these fits add none.  */
  const size_t nnotes = x->nnotes;
  for (size_t m = 0; m < x->nm && !st; m++)
    for (size_t o = 0; o < x->nobs && !st; o++)
      st = fit_row (x, rep, m, o, pts, ls, ls + cap, 0);
  for (size_t i = nnotes; i < x->nnotes; i++)
    free (x->notes[i]);
  x->nnotes = nnotes;
  free (pts);
  free (ls);
  return st;
}

int
sde_experiment_check_columns (sde_experiment_kind kind, const char *columns)
{
  static const sde_table_def compare[] = {
    { "errors", error_cols, NCOLS (error_cols) },
    { "fits", fit_cols, NCOLS (fit_cols) },
    { "svag_fits", svag_cols, NCOLS (svag_cols) },
  };
  if (kind == SDE_EXPERIMENT_SIMULATE)
    return sde__xp_check_sim_columns (columns);
  if (kind == SDE_EXPERIMENT_ORDER)
    {
      const sde_table_def fits = { "fits", fit_cols_order, NCOLS (fit_cols) };
      return sde__xp_check_order_columns (columns, &fits);
    }
  return sde_report_columns_check (columns, compare, 3);
}
