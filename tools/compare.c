/* compare.c: error and fit tables with their warnings, --expect-order, and
   the convergence figure (figure.c), shared by sde-compare and sde-slow.  */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "compare.h"
#include "figure.h"
#include "sdekit/optim.h"
#include "sdekit/problem.h"
#include "sdekit/spec.h"

static const sde_column error_cols[] = {
  { "eta", "$\\eta$", 10, 'g', 6, 0, NULL, NULL },
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, NULL, NULL },
  { "N", "$N$", 9, 'd', 0, 0, NULL, NULL },
  { "estimate", "$\\hat E\\varphi(x)$", 12, 'g', 7, 0, NULL, NULL },
  { "reference", "$\\hat E\\varphi(X)$", 12, 'g', 7, 0, NULL, NULL },
  { "error", "$e$", 11, 'e', 3, 0, NULL, NULL },
  { "se", "SE", 9, 'e', 2, 0, NULL, NULL },
  { "ci_lo", "95\\% CI lo", 11, 'e', 3, 0, NULL, NULL },
  { "ci_hi", "95\\% CI hi", 11, 'e', 3, 0, NULL, NULL },
  { "floor", "floor", 5, 's', 0, 0, NULL, "*|" },
  { "ci_z", "$z$", 5, 'f', 2, 0, NULL, NULL },
  { "se_estimate", "SE$(\\hat E\\varphi(x))$", 11, 'e', 2, 0, NULL, NULL },
  { "se_reference", "SE$(\\hat E\\varphi(X))$", 12, 'e', 2, 0, NULL, NULL },
  { "t_max", "$t^*$", 7, 'g', 4, 0, NULL, NULL },
  { "error_T", "$e_T$", 11, 'e', 3, 0, NULL, NULL },
  { "se_T", "SE$_T$", 9, 'e', 2, 0, NULL, NULL },
  { "vrf", "VRF", 8, 'g', 3, 0, NULL, NULL },
  { "kurtosis", "kurt.", 8, 'g', 3, 0, NULL, NULL },
  { "diverged", "div.", 8, 'd', 0, 0, NULL, NULL },
  { "diverged_ref", "div.ref", 7, 'd', 0, 0, NULL, NULL },
  { "substeps", "$M$", 5, 'd', 0, 0, NULL, NULL },
  { "ref_error", "ref.err", 10, 'e', 2, 0, NULL, NULL },
  { "ref_error_se", "SE(ref.err)", 12, 'e', 2, 0, NULL, NULL },
  { "grid_error", "grid err.", 10, 'e', 2, 0, NULL, NULL },
  { "stop", "stop", 6, 's', 0, 0, NULL, NULL },
  { "seconds", "s", 8, 'f', 2, 0, NULL, NULL },
};

static const sde_column fit_cols[] = {
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, NULL, NULL },
  { "order", "order $p$", 8, 'f', 3, 0, NULL, NULL },
  { "se", "SE", 7, 'f', 3, 0, NULL, NULL },
  { "ci_lo", "95\\% CI lo", 8, 'f', 3, 0, NULL, NULL },
  { "ci_hi", "95\\% CI hi", 8, 'f', 3, 0, NULL, NULL },
  { "theory", "theory", 7, 'g', 3, 0, NULL, NULL },
  { "theory_kind", "", 6, 's', 0, 0, NULL, NULL },
  { "points", "points", 6, 'd', 0, 0, NULL, NULL },
  { "floored", "floor", 5, 'd', 0, 0, NULL, NULL },
  { "chi2_dof", "$\\chi^2$/dof", 8, 'g', 3, 0, NULL, NULL },
  { "local_slopes", "local slopes", 24, 'f', 2, 0, NULL, NULL },
  { "local_slopes_se", "SE of the local slopes", 24, 'f', 2, 0, NULL, NULL },
};

void
compare_begin (compare *c)
{
  sde_report_table (c->rep, "errors", error_cols,
                    sizeof error_cols / sizeof error_cols[0]);
  cli_output_mark ();
}

/* Every row so far, kept for the fits and the figure.  */
static int
keep_row (compare *c, const sde_weak_point *p)
{
  if (c->nrows == c->cap)
    {
      size_t cap = c->cap ? 2 * c->cap : 64;
      sde_weak_point *r = realloc (c->rows, sizeof *r * cap);
      if (r == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for %zu table rows", cap);
      c->rows = r;
      c->cap = cap;
    }
  c->rows[c->nrows++] = *p;
  return GSL_SUCCESS;
}

/* A number, or "not available" for NAN.  */
#define CELL_OR_NONE(x) (isnan (x) ? SDE_CELL_NONE : SDE_CELL_D (x))

int
compare_rows (void *ctx, const sde_weak_point *rows, size_t n)
{
  compare *c = ctx;
  for (size_t k = 0; k < n; k++)
    {
      const sde_weak_point *p = &rows[k];
      const int exact
          = strcmp (p->stop, "exact") == 0 || strcmp (p->stop, "density") == 0;
      int st = keep_row (c, p);
      if (st)
        return st;
      sde_cell row[] = {
        SDE_CELL_D (p->eta),
        SDE_CELL_S (c->method_names[p->method]),
        SDE_CELL_S (c->obs_names[p->obs]),
        exact ? SDE_CELL_NONE : SDE_CELL_I ((long long)p->n),
        SDE_CELL_D (p->est),
        SDE_CELL_D (p->est_ref),
        SDE_CELL_D (p->e),
        SDE_CELL_D (p->se),
        SDE_CELL_D (p->lo),
        SDE_CELL_D (p->hi),
        SDE_CELL_B (p->floor),
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
        c->sde_reference ? SDE_CELL_I ((long long)p->substeps) : SDE_CELL_NONE,
        CELL_OR_NONE (p->ref_err),
        isnan (p->ref_err) ? SDE_CELL_NONE : CELL_OR_NONE (p->ref_err_se),
        CELL_OR_NONE (p->grid_err),
        SDE_CELL_S (p->stop),
        SDE_CELL_D (p->seconds),
      };
      if (sde_report_row (c->rep, row))
        return sde_error (GSL_EFAILED, "writing the table failed");
      cli_output_mark ();
    }
  return 0;
}

void
compare_free (compare *c)
{
  free (c->rows);
  c->rows = NULL;
  c->nrows = c->cap = 0;
}

/* Room for any series of the table.  */
static sde_weak_point *
scratch (const compare *c)
{
  sde_weak_point *p = malloc (sizeof *p * (c->nrows ? c->nrows : 1));
  if (p == NULL)
    cli_die (CLI_RUNTIME, "out of memory for %zu table rows", c->nrows);
  return p;
}

/* The rows of one (method, observable), in decreasing eta.  */
static size_t
series (const compare *c, size_t m, size_t o, sde_weak_point *out)
{
  size_t n = 0;
  for (size_t k = 0; k < c->nrows; k++)
    if (c->rows[k].method == m && c->rows[k].obs == o)
      out[n++] = c->rows[k];
  return n;
}

static void note (compare *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
note (compare *c, const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  sde_report_note (c->rep, buf);
  cli_output_mark ();
}

/* Whether the format holds the errors table alone (CSV): the fits then
   stay out of the file, and a note says so.  */
static int
one_table (const compare *c)
{
  return (sde_report_format_of (c->rep)->flags & SDE_REPORT_ONE_TABLE) != 0;
}

static void
table (compare *c, const char *name, const sde_column *cols, size_t ncols)
{
  if (one_table (c))
    {
      note (c, "the %s table is not in this file: a %s file holds one table",
            name, sde_report_format_of (c->rep)->name);
      return;
    }
  sde_report_table (c->rep, name, cols, ncols);
  cli_output_mark ();
}

static void
row (compare *c, const sde_cell *cells)
{
  if (one_table (c))
    return;
  sde_report_row (c->rep, cells);
  cli_output_mark ();
}

static const sde_column svag_cols[] = {
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, NULL, NULL },
  { "eta", "$\\eta$", 10, 'g', 6, 0, NULL, NULL },
  { "order_in_1/l", "order in $1/\\ell$", 12, 'f', 3, 0, NULL, NULL },
  { "se", "SE", 7, 'f', 3, 0, NULL, NULL },
  { "ci_lo", "95\\% CI lo", 8, 'f', 3, 0, NULL, NULL },
  { "ci_hi", "95\\% CI hi", 8, 'f', 3, 0, NULL, NULL },
  { "theory", "theory", 7, 'g', 3, 0, NULL, NULL },
  { "points", "points", 6, 'd', 0, 0, NULL, NULL },
};

/* At one eta, SVAG(l) of the same method for several l: the error against
   the SDE should fall like 1/l (Li, Malladi & Arora 2021); fit its order
   in 1/l.  */
static void
svag_fits (compare *c, double eta)
{
  sde_weak_point *pts = scratch (c);
  int have_table = 0;
  for (size_t m = 0; m < c->nmethods; m++)
    {
      /* Group: the first method of each inner spec.  */
      int seen = 0;
      for (size_t q = 0; q < m; q++)
        if (strcmp (c->svag_inner[q], c->svag_inner[m]) == 0)
          seen = 1;
      if (seen)
        continue;
      size_t members = 0;
      for (size_t q = 0; q < c->nmethods; q++)
        members += strcmp (c->svag_inner[q], c->svag_inner[m]) == 0;
      if (members < 3)
        continue;
      for (size_t o = 0; o < c->nobs; o++)
        {
          size_t n = 0;
          for (size_t k = 0; k < c->nrows; k++)
            if (c->rows[k].obs == o
                && strcmp (c->svag_inner[c->rows[k].method], c->svag_inner[m])
                       == 0)
              {
                pts[n] = c->rows[k];
                pts[n++].eta = 1.0 / c->svag[c->rows[k].method];
              }
          sde_weak_fit f;
          sde_weak_fit_points (pts, n, &f);
          if (!have_table)
            table (c, "svag_fits", svag_cols,
                   sizeof svag_cols / sizeof svag_cols[0]);
          have_table = 1;
          sde_cell cells[] = {
            SDE_CELL_S (c->svag_inner[m]),
            SDE_CELL_S (c->obs_names[o]),
            SDE_CELL_D (eta),
            f.ok ? SDE_CELL_D (f.order) : SDE_CELL_NONE,
            f.ok ? CELL_OR_NONE (f.se) : SDE_CELL_NONE,
            f.ok ? CELL_OR_NONE (f.lo) : SDE_CELL_NONE,
            f.ok ? CELL_OR_NONE (f.hi) : SDE_CELL_NONE,
            SDE_CELL_D (1.0),
            SDE_CELL_I ((long long)f.used),
          };
          row (c, cells);
        }
    }
  free (pts);
}

/* What the fits table cannot say in its cells: why there is no order,
   what makes one unreliable, and what the theory says at alpha = 1.  */
static void
fit_notes (compare *c, size_t m, size_t o, const sde_weak_fit *f,
           const sde_weak_point *pts, size_t n, const double *ls, int one_eta)
{
  const char *mn = c->method_names[m], *on = c->obs_names[o];
  char warn[512];
  size_t exact = 0;
  for (size_t i = 0; i < n; i++)
    exact += pts[i].se == 0;
  if (!f->ok && !one_eta && f->used == 2 && exact == n)
    {
      /* Two exact points: their slope is exact, but one slope is not an
         order.  */
      double slope = NAN;
      for (size_t i = 0; i + 1 < n && isnan (slope); i++)
        slope = ls[i];
      note (c,
            "%s %s: two exact points: local slope %.4f, no fitted order "
            "(a power law needs a third point to be tested)",
            mn, on, slope);
    }
  else if (!f->ok && !one_eta)
    note (c,
          "%s %s: %zu usable point%s (%zu in the noise floor): no order is "
          "fitted from fewer than three",
          mn, on, f->used, f->used == 1 ? "" : "s", f->floored);
  else if (f->ok && (f->flags & ~(unsigned)SDE_WEAK_FIT_FEW))
    note (c, "%s %s: warning: %s; the order %.3f is not reliable", mn, on,
          sde_weak_fit_warning (f->flags, warn, sizeof warn), f->order);
  if (strcmp (c->theory_kind[m], "none") == 0)
    note (c,
          "%s: the theory predicts no convergence to the reference here "
          "(alpha = 1: momentum changes the limit, MATH.md 4.3): an order "
          "near 0 is the expected result",
          mn);
}

/* What a row of the errors table cannot say in its cells.  */
static void
row_notes (compare *c)
{
  for (size_t k = 0; k < c->nrows; k++)
    {
      const sde_weak_point *p = &c->rows[k];
      const char *mn = c->method_names[p->method], *on = c->obs_names[p->obs];
      if (p->floor)
        note (c,
              "eta=%g %s %s: |e| < 2 SE: inside the Monte Carlo noise "
              "floor, left out of the fit",
              p->eta, mn, on);
      if (p->kurtosis > 100)
        note (c,
              "eta=%g %s %s: kurtosis %.3g of the paired differences: "
              "their variance, hence the SE, is poorly estimated",
              p->eta, mn, on, p->kurtosis);
      if (p->diverged || p->diverged_ref)
        note (c,
              "eta=%g %s: %llu diverged paths (%llu of the reference), "
              "left out of the averages",
              p->eta, mn, (unsigned long long)p->diverged,
              (unsigned long long)p->diverged_ref);
      if (!sde_weak_ref_ok (p))
        note (c,
              "eta=%g %s %s: the reference's own error %.3g (SE %.2g) may "
              "be above a tenth of |e|%s",
              p->eta, mn, on, p->ref_err, p->ref_err_se,
              fabs (p->ref_err) > 2 * p->ref_err_se
                  ? ""
                  : " (not resolved from noise: more paths, or the coupled "
                    "estimator, would tell)");
      if (strcmp (p->stop, "max") == 0 && !p->floor)
        note (c, "eta=%g %s %s: --max-paths reached before the CI target",
              p->eta, mn, on);
    }
}

void
compare_fits (compare *c, sde_weak_fit *fits)
{
  int one_eta = c->nrows > 0;
  for (size_t k = 1; k < c->nrows; k++)
    one_eta &= c->rows[k].eta == c->rows[0].eta;
  if (one_eta && c->svag)
    svag_fits (c, c->rows[0].eta);
  table (c, "fits", fit_cols, sizeof fit_cols / sizeof fit_cols[0]);
  sde_weak_point *pts = scratch (c);
  double *ls = malloc (sizeof (double) * 2 * (c->nrows ? c->nrows : 1));
  if (ls == NULL)
    cli_die (CLI_RUNTIME, "out of memory for the local slopes");
  double *lse = ls + (c->nrows ? c->nrows : 1);
  for (size_t m = 0; m < c->nmethods; m++)
    for (size_t o = 0; o < c->nobs; o++)
      {
        size_t n = series (c, m, o, pts);
        sde_weak_fit f;
        sde_weak_fit_points (pts, n, &f);
        if (fits)
          fits[m * c->nobs + o] = f;
        sde_weak_local_slopes (pts, n, ls, lse);
        sde_cell cells[] = {
          SDE_CELL_S (c->method_names[m]),
          SDE_CELL_S (c->obs_names[o]),
          f.ok ? SDE_CELL_D (f.order) : SDE_CELL_NONE,
          f.ok ? CELL_OR_NONE (f.se) : SDE_CELL_NONE,
          f.ok ? CELL_OR_NONE (f.lo) : SDE_CELL_NONE,
          f.ok ? CELL_OR_NONE (f.hi) : SDE_CELL_NONE,
          isnan (c->theory[m]) ? SDE_CELL_NONE : SDE_CELL_D (c->theory[m]),
          SDE_CELL_S (c->theory_kind[m]),
          SDE_CELL_I ((long long)f.used),
          SDE_CELL_I ((long long)f.floored),
          f.ok && !isnan (f.chi2dof) ? SDE_CELL_D (f.chi2dof) : SDE_CELL_NONE,
          SDE_CELL_DV (ls, n ? n - 1 : 0),
          SDE_CELL_DV (lse, n ? n - 1 : 0),
        };
        row (c, cells);
        fit_notes (c, m, o, &f, pts, n, ls, one_eta);
      }

  if (one_eta)
    note (c, "one eta: no order in eta can be fitted");
  /* How t_max was chosen, when it was chosen from paths.  */
  uint64_t pilot = 0;
  for (size_t k = 0; k < c->nrows; k++)
    pilot = c->rows[k].pilot > pilot ? c->rows[k].pilot : pilot;
  if (pilot)
    note (c,
          "t_max is the checkpoint where |e| is largest on %llu pilot paths; "
          "e and its 95%% CI are estimated there on the N other paths, so "
          "the maximum over time is not biased upward by the noise",
          (unsigned long long)pilot);
  row_notes (c);
  /* Consistency (Giles): successive reference estimates of the same
     expectation at the same time must agree within their errors.  Only
     when the reference is one SDE for every eta.  */
  int sampled = 0;
  for (size_t k = 0; k < c->nrows; k++)
    sampled |= c->rows[k].se_ref > 0;
  if (c->sde_reference && c->ref_varies && sampled)
    note (c,
          "consistency check of the reference across etas skipped: the "
          "reference changes with eta (%s)",
          c->ref_varies);
  for (size_t o = 0; c->sde_reference && !c->ref_varies && o < c->nobs; o++)
    {
      size_t n = series (c, 0, o, pts);
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
            note (c,
                  "consistency: the reference estimates of %s at t=%g "
                  "for eta=%g and eta=%g differ by %.3g, more than %.3g",
                  c->obs_names[o], a->t_star, a->eta, b->eta, diff, tol);
        }
    }
  free (ls);
  free (pts);
}

int
compare_expect (const compare *c, const sde_weak_fit *fits, double P, double Q)
{
  int bad = 0;
  char warn[512];
  for (size_t m = 0; m < c->nmethods; m++)
    for (size_t o = 0; o < c->nobs; o++)
      {
        const sde_weak_fit *f = &fits[m * c->nobs + o];
        /* Where the theory is a bound (Theorem 3.5's (1 - alpha)/2), a
           faster order passes: the test is one-sided.  Else the fit's 95%
           interval must reach P -+ Q.  */
        const int bound = strcmp (c->theory_kind[m], "bound") == 0;
        const char *why = NULL;
        if (!f->ok)
          why = "has no fitted order";
        else if (f->flags & ~(unsigned)SDE_WEAK_FIT_FEW)
          why = sde_weak_fit_warning (f->flags, warn, sizeof warn);
        else if (f->hi < P - Q)
          why = "is below";
        else if (!bound && f->lo > P + Q)
          why = "is above";
        if (why == NULL)
          continue;
        fprintf (stderr,
                 "%s: --expect-order=%g --tolerance=%g (%s): %s %s: order "
                 "%.3f, 95%% CI [%.3f, %.3f]: %s\n",
                 cli_prog (), P, Q, bound ? "at least P - Q" : "P -+ Q",
                 c->method_names[m], c->obs_names[o], f->order, f->lo, f->hi,
                 why);
        bad = 1;
      }
  return bad ? CLI_CHECK : CLI_OK;
}

/* ---- Figure ---- */

void
compare_plot_check (const char *file)
{
  figure_check (file, NULL);
}

void
compare_plot (const compare *c, const sde_weak_fit *fits, const char *file,
              const char *title)
{
  const figure_data d = { .nmethods = c->nmethods,
                          .nobs = c->nobs,
                          .method_names = c->method_names,
                          .obs_names = c->obs_names,
                          .theory = c->theory,
                          .theory_kind = c->theory_kind,
                          .rows = c->rows,
                          .nrows = c->nrows,
                          .fits = fits,
                          .title = title };
  figure_plot (&d, file, NULL);
}

/* ---- Shared options ---- */

void
compare_args_init (compare_args *a)
{
  *a = (compare_args){ .methods = "sgd,sgdm:beta=0.9",
                       .checkpoints = "every",
                       .obs = "norm2",
                       .estimator = "coupled",
                       .sigma = NAN,
                       .alpha = NAN,
                       .cfam = 1,
                       .T = 1,
                       .T_max = 1e9,
                       .target = 0.1,
                       .expect = NAN,
                       .tol = 0.1,
                       .bound = 1e10,
                       .paths = 10000,
                       .maxpaths = 2000000,
                       .seed = 1,
                       .fmt = sde_report_text };
}

int
compare_arg (compare_args *a, int key, const char *arg)
{
  switch (key)
    {
    case 'p':
      a->problem = arg;
      break;
    case CMP_OPT_LOSS:
      a->loss = arg;
      break;
    case 'N':
      a->noise = arg;
      break;
    case 'g':
      a->sigma = cli_double ("sigma", arg, 0, 0, 1e12, 0);
      break;
    case 'M':
      a->methods = arg;
      break;
    case CMP_OPT_ALPHA:
      a->alpha = cli_double ("alpha", arg, 0, 0, 1, 0);
      break;
    case CMP_OPT_C:
      a->cfam = cli_double ("c", arg, 0, 1, 1e12, 0);
      break;
    case 'r':
      a->ref = arg;
      break;
    case 'e':
      a->eta = arg;
      break;
    case 'T':
      a->T = cli_double ("horizon", arg, 0, 1, a->T_max, 0);
      break;
    case 'C':
      a->checkpoints = arg;
      break;
    case 'O':
      a->obs = arg;
      break;
    case 'n':
      a->paths = cli_uint ("paths", arg, 2, UINT64_C (1) << 32);
      break;
    case CMP_OPT_TARGET:
      a->target = cli_double ("target-ci", arg, 0, 0, 1e6, 0);
      break;
    case CMP_OPT_MAXPATHS:
      a->maxpaths = cli_uint ("max-paths", arg, 2, UINT64_C (1) << 32);
      break;
    case 'E':
      if (strcmp (arg, "coupled") && strcmp (arg, "independent"))
        cli_die (CLI_USAGE, "--estimator=%s: use coupled or independent", arg);
      a->estimator = arg;
      break;
    case CMP_OPT_X0:
      a->x0 = arg;
      break;
    case CMP_OPT_BOUND:
      a->bound = cli_double ("bound", arg, 0, 1, INFINITY, 0);
      break;
    case 'S':
      a->seed = cli_uint ("seed", arg, 0, UINT64_MAX);
      break;
    case CMP_OPT_THREADS:
      a->threads = (int)cli_uint ("threads", arg, 0, 1024);
      break;
    case 'f':
      a->fmt = sde_report_format_find (arg);
      if (a->fmt == NULL)
        cli_die (CLI_USAGE, "--format=%s: use text, md, latex, csv or json",
                 arg);
      break;
    case 'o':
      a->output = arg;
      break;
    case 'P':
      a->plot = arg;
      break;
    case CMP_OPT_EXPECT:
      a->expect = cli_double ("expect-order", arg, -100, 0, 100, 0);
      break;
    case CMP_OPT_TOL:
      a->tol = cli_double ("tolerance", arg, 0, 0, 100, 0);
      break;
    case CMP_OPT_LIST_PROBLEMS:
      {
        const char *d, *p;
        for (size_t i = 0; sde_problem_name (i, &d, &p); i++)
          printf ("%s: %s\n    %s\n", sde_problem_name (i, NULL, NULL), d, p);
        return 2;
      }
    case CMP_OPT_LIST_METHODS:
      for (const sde_optim_type *const *t = sde_optim_types (); *t; t++)
        printf ("%-9s %s\n", (*t)->name, (*t)->description);
      printf ("%-9s %s\n", "svag",
              "svag:l=L,METHOD: SVAG(L), eta/L and L times the steps");
      return 2;
    default:
      return 0;
    }
  return 1;
}
