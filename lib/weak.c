/* weak.c: the eta sweep, weak errors with confidence intervals, noise
   floors and weighted least-squares orders (MATH.md sections 8.1, 8.2,
   8.4); the variance-reduction and kurtosis diagnostics follow Giles,
   "Multilevel Monte Carlo methods", Acta Numerica 24 (2015), section 3.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "sdekit/spec.h"
#include "sdekit/weak.h"

#define Z95 1.959963984540054

/* Below this fraction of the observable's scale an error counts as zero
   for --target-ci (roundoff-level differences, identical methods).  */
#define ZERO_SCALE 1e-6

int
sde_weak_ref_ok (const sde_weak_point *p)
{
  if (isnan (p->ref_err))
    return 1;
  double ref = fabs (p->ref_err) + 2 * p->ref_err_se;
  /* A zero error cannot ask for a zero reference error.  */
  double scale = fmax (fmax (fabs (p->e), 2 * p->se),
                       ZERO_SCALE * fmax (fabs (p->est), fabs (p->est_ref)));
  return ref <= 0.1 * scale;
}

double
sde_weak_crit (size_t ncheck)
{
  if (ncheck <= 1)
    return Z95;
  /* Sidak: P(max_j |Z_j| <= c) >= prod_j P(|Z_j| <= c) = 0.95 for any
     correlation of a centred Gaussian vector (Sidak 1967), so the
     intervals at every checkpoint hold together, and the one at the
     data-chosen t_star keeps its 95%.  1 - 0.95^(1/J) without
     cancellation:  */
  const double alpha = -expm1 (log (0.95) / (double)ncheck);
  return gsl_cdf_ugaussian_Qinv (alpha / 2);
}

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

/* "2^-2" or a plain number.  */
static int
parse_value (const char *s, double *v)
{
  if (strncmp (s, "2^", 2) == 0)
    {
      double ex;
      if (sde_parse_double (s + 2, &ex))
        return GSL_EINVAL;
      *v = ldexp (1.0, (int)ex);
      return ex == floor (ex) && fabs (ex) < 1000 ? GSL_SUCCESS : GSL_EINVAL;
    }
  return sde_parse_double (s, v);
}

size_t
sde_weak_grid (const char *spec, double *eta, size_t max)
{
  char buf[1024];
  size_t n = 0;
  if (spec == NULL || strlen (spec) >= sizeof buf || *spec == '\0')
    {
      sde_error (GSL_EINVAL, "empty eta grid");
      return 0;
    }
  strcpy (buf, spec);
  if (strchr (buf, ':'))
    {
      char *a = buf, *b = strchr (buf, ':'), *k = NULL;
      *b++ = '\0';
      if ((k = strchr (b, ':')))
        *k++ = '\0';
      double va, vb, vk = 0;
      if (parse_value (a, &va) || parse_value (b, &vb) || !(va > 0) || !(vb > 0)
          || (k && (sde_parse_double (k, &vk) || vk < 2 || vk != floor (vk))))
        {
          sde_error (GSL_EINVAL,
                     "eta grid '%s': use 2^-2:2^-10, A:B:K or a "
                     "list",
                     spec);
          return 0;
        }
      if (k == NULL)
        {
          /* Powers of two between: both ends must be powers of two.  */
          int ea, eb;
          if (frexp (va, &ea) != 0.5 || frexp (vb, &eb) != 0.5)
            {
              sde_error (GSL_EINVAL,
                         "eta grid '%s': A:B needs powers of two "
                         "(or give A:B:K)",
                         spec);
              return 0;
            }
          int lo = ea < eb ? ea : eb, hi = ea < eb ? eb : ea;
          for (int e = hi; e >= lo && n < max; e--)
            eta[n++] = ldexp (0.5, e);
        }
      else
        for (size_t i = 0; i < (size_t)vk && n < max; i++)
          eta[n++] = va * pow (vb / va, (double)i / (vk - 1));
    }
  else
    {
      char *save = NULL;
      for (char *t = strtok_r (buf, ",", &save); t;
           t = strtok_r (NULL, ",", &save))
        {
          double v;
          if (parse_value (t, &v) || !(v > 0))
            {
              sde_error (GSL_EINVAL,
                         "eta grid: '%s' is not a positive "
                         "number",
                         t);
              return 0;
            }
          if (n == max)
            {
              sde_error (GSL_EINVAL, "eta grid: more than %zu values", max);
              return 0;
            }
          eta[n++] = v;
        }
    }
  if (n == 0)
    {
      sde_error (GSL_EINVAL, "eta grid '%s' is empty", spec);
      return 0;
    }
  qsort (eta, n, sizeof (double), cmp_desc);
  for (size_t i = 1; i < n; i++)
    if (eta[i] == eta[i - 1])
      {
        sde_error (GSL_EINVAL, "eta grid: %g appears twice", eta[i]);
        return 0;
      }
  return n;
}

/* Weight of a point: (e / SE)^2, or 1 for an exact point (SE 0), whose
   fit is then ordinary least squares with the SE from the residuals.  */
static double
fit_weight (const sde_weak_point *p, int exact)
{
  return exact ? 1.0 : (p->e / p->se) * (p->e / p->se);
}

static int
fit_use (const sde_weak_point *p, int exact)
{
  return !p->floor && fabs (p->e) > 0 && (exact || p->se > 0);
}

void
sde_weak_fit_points (const sde_weak_point *pts, size_t n, sde_weak_fit *fit)
{
  memset (fit, 0, sizeof *fit);
  fit->order = fit->se = fit->lo = fit->hi = fit->logc = fit->chi2dof = NAN;
  int exact = 1;
  for (size_t i = 0; i < n; i++)
    if (pts[i].se > 0)
      exact = 0;
  double sw = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!fit_use (&pts[i], exact))
        {
          fit->floored++;
          continue;
        }
      double w = fit_weight (&pts[i], exact);
      sw += w;
      sx += w * log (pts[i].eta);
      sy += w * log (fabs (pts[i].e));
      fit->used++;
    }
  if (fit->used < 2)
    return;
  double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; i++)
    if (fit_use (&pts[i], exact))
      {
        double w = fit_weight (&pts[i], exact), dx = log (pts[i].eta) - mx;
        sxx += w * dx * dx;
        sxy += w * dx * (log (fabs (pts[i].e)) - my);
      }
  if (!(sxx > 0))
    return;
  fit->order = sxy / sxx;
  fit->logc = my - fit->order * mx;
  double chi2 = 0;
  for (size_t i = 0; i < n; i++)
    if (fit_use (&pts[i], exact))
      {
        double r
            = log (fabs (pts[i].e)) - fit->logc - fit->order * log (pts[i].eta);
        chi2 += fit_weight (&pts[i], exact) * r * r;
      }
  fit->se = 1 / sqrt (sxx);
  if (exact)
    /* No sampling error: the SE measures the departure from a power law,
       which two points cannot show: unknown, not 0.  */
    fit->se = fit->used > 2 ? sqrt (chi2 / (double)(fit->used - 2) / sxx) : NAN;
  else if (fit->used > 2)
    {
      fit->chi2dof = chi2 / (double)(fit->used - 2);
      if (fit->chi2dof > 1)
        fit->se *= sqrt (fit->chi2dof);
    }
  fit->lo = fit->order - Z95 * fit->se;
  fit->hi = fit->order + Z95 * fit->se;
  fit->ok = 1;
}

void
sde_weak_local_slopes (const sde_weak_point *pts, size_t n, double *slope,
                       double *se)
{
  for (size_t i = 0; i + 1 < n; i++)
    {
      const sde_weak_point *a = &pts[i], *b = &pts[i + 1];
      const int none
          = a->floor || b->floor || !(fabs (a->e) > 0) || !(fabs (b->e) > 0);
      const double dx = log (a->eta / b->eta);
      slope[i] = none ? NAN : log (fabs (a->e) / fabs (b->e)) / dx;
      /* Delta method; the two etas use independent samples.  */
      if (se)
        se[i] = none ? NAN : hypot (a->se / a->e, b->se / b->e) / fabs (dx);
    }
}

void
sde_weak_rows_exact (double eta, size_t nmethods, size_t nobs, size_t ncheck,
                     const size_t *check, const double *val,
                     sde_weak_point *rows)
{
  for (size_t m = 0; m < nmethods; m++)
    for (size_t o = 0; o < nobs; o++)
      {
        sde_weak_point *p = &rows[m * nobs + o];
        memset (p, 0, sizeof *p);
        p->eta = eta;
        p->method = m;
        p->obs = o;
        size_t cs = 0;
        double best = -1;
        for (size_t c = 0; c < ncheck; c++)
          {
            double e = val[(m * ncheck + c) * nobs + o]
                       - val[(nmethods * ncheck + c) * nobs + o];
            if (fabs (e) > best || isnan (e))
              {
                best = isnan (e) ? INFINITY : fabs (e);
                cs = c;
              }
          }
        const double a = val[(m * ncheck + cs) * nobs + o];
        const double r = val[(nmethods * ncheck + cs) * nobs + o];
        const size_t L = ncheck - 1;
        p->e = a - r;
        p->se = 0;
        p->crit = NAN;
        p->lo = p->hi = p->e;
        p->t_star = (double)check[cs] * eta;
        p->est = a;
        p->est_ref = r;
        p->e_final = val[(m * ncheck + L) * nobs + o]
                     - val[(nmethods * ncheck + L) * nobs + o];
        p->floor = !(fabs (p->e) > 0);
        p->vrf = p->kurtosis = NAN;
        p->ref_err = p->ref_err_se = NAN;
        p->grid_err = NAN;
        p->stop = "exact";
      }
}

/* ---- The sweep ---- */

static double
wall (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Rows of one eta from its sums.  */
static void
make_rows (const sde_weak_sweep *w, const sde_ensemble *e,
           const sde_ensemble_sums *s, double eta, sde_weak_point *rows)
{
  const size_t ref = (size_t)e->ref, last = e->ncheck - 1;
  const double crit = sde_weak_crit (e->ncheck);
  for (size_t m = 0; m < w->nmethods; m++)
    for (size_t o = 0; o < e->nobs; o++)
      {
        sde_weak_point *p = &rows[m * e->nobs + o];
        memset (p, 0, sizeof *p);
        p->eta = eta;
        p->method = m;
        p->obs = o;
        p->ref_err = p->ref_err_se = NAN;
        p->grid_err = NAN;
        size_t cstar = 0;
        double best = -1;
        for (size_t c = 0; c < e->ncheck; c++)
          {
            sde_stat d = sde_ensemble_diff (s, m, o, c);
            if (fabs (d.mean) > best || isnan (d.mean))
              {
                best = isnan (d.mean) ? INFINITY : fabs (d.mean);
                cstar = c;
              }
          }
        sde_stat d = sde_ensemble_diff (s, m, o, cstar);
        sde_stat va = sde_ensemble_value (s, m, o, cstar);
        sde_stat vr = sde_ensemble_value (s, ref, o, cstar);
        sde_stat df = sde_ensemble_diff (s, m, o, last);
        p->e = d.mean;
        p->se = d.se;
        p->crit = crit;
        p->lo = d.mean - crit * d.se;
        p->hi = d.mean + crit * d.se;
        p->t_star = (double)e->check[cstar] * e->eta;
        p->est = va.mean;
        p->est_ref = vr.mean;
        p->se_est = va.se;
        p->se_ref = vr.se;
        p->e_final = df.mean;
        p->se_final = df.se;
        /* 2 SE (MATH.md 8.2) at one checkpoint; over several, the
           simultaneous value, as t_star was chosen from the data.  */
        p->floor = !(fabs (d.mean) >= fmax (2.0, crit) * d.se);
        p->n = (uint64_t)d.n;
        p->diverged = sde_ensemble_diverged (s, m);
        p->diverged_ref = sde_ensemble_diverged (s, ref);
        p->vrf = d.var > 0 ? (va.var + vr.var) / d.var : INFINITY;
        p->kurtosis = d.kurtosis;
        if (e->nproc > ref + 1 && w->check_ref)
          {
            /* phi(2M) - phi(M) = -(1 - 2^-p) err(M) for weak order p.  */
            sde_stat c = sde_ensemble_diff (s, ref + 1, o, cstar);
            double f = 1 / (1 - pow (2, -w->ref_order));
            p->ref_err = -f * c.mean;
            p->ref_err_se = f * c.se;
          }
      }
}

/* --target-ci: marks each row's stop "target" when its CI half-width is
   at most F |e|, or "small" when it is at most F A, with A a negligible
   error (ZERO_SCALE times the observable's scale: its estimates and its
   spread), which a row whose true error is 0 reaches while F |e| does
   not; other rows keep stop NULL.  Returns the factor by which the paths
   must grow for every row to stop (by the SE's 1/sqrt(N) law): <= 1
   when all have.  */
static double
target_status (sde_weak_point *rows, size_t nrows, double F)
{
  double need = 0;
  for (size_t r = 0; r < nrows; r++)
    {
      sde_weak_point *p = &rows[r];
      const double h = p->crit * p->se;
      const double scale = fmax (fmax (fabs (p->est), fabs (p->est_ref)),
                                 p->se_ref * sqrt ((double)p->n));
      const double small = ZERO_SCALE * scale;
      p->stop = NULL;
      if (h <= F * fabs (p->e))
        p->stop = "target";
      else if (h <= F * small)
        p->stop = "small";
      else
        {
          const double goal = F * fmax (fabs (p->e), small);
          const double ratio = goal > 0 ? h / goal : INFINITY;
          need = isnan (ratio) ? INFINITY : fmax (need, ratio * ratio);
        }
    }
  return need;
}

int
sde_weak_run (const sde_weak_sweep *w)
{
  size_t substeps = w->substeps ? w->substeps : 1;
  for (size_t i = 0; i < w->neta; i++)
    {
      const double eta = w->eta[i], t0 = wall ();
      sde_weak_point *rows = NULL;
      sde_ensemble e;
      sde_ensemble_sums *s = NULL;
      int st;
      for (;;)
        {
          memset (&e, 0, sizeof e);
          if ((st = w->build (w->ctx, i, eta, substeps, &e)))
            return st;
          sde_ensemble_sums_free (s);
          s = sde_ensemble_sums_alloc (&e);
          if (s == NULL)
            return GSL_ENOMEM;
          const size_t nrows = w->nmethods * e.nobs;
          free (rows);
          rows = malloc (sizeof *rows * nrows);
          if (rows == NULL)
            {
              sde_ensemble_sums_free (s);
              return sde_error (GSL_ENOMEM, "out of memory for %zu rows",
                                nrows);
            }
          uint64_t done = 0, want = w->paths;
          /* Batches after the first start on a canonical chunk.  */
          if (w->target_ci > 0)
            want = (want + e.chunk - 1) / e.chunk * e.chunk;
          /* "max" for the rows still short of the target at the cap.  */
          const char *stop = "fixed";
          for (;;)
            {
              if ((st = w->run ? w->run (w->ctx, &e, done, want - done, s)
                               : sde_ensemble_run (&e, done, want - done, s)))
                {
                  sde_ensemble_sums_free (s);
                  free (rows);
                  return st;
                }
              done = want;
              make_rows (w, &e, s, eta, rows);
              if (!(w->target_ci > 0))
                break;
              double need = target_status (rows, nrows, w->target_ci);
              if (need <= 1)
                break;
              if (done >= w->max_paths)
                {
                  stop = "max";
                  break;
                }
              /* Grow by the estimate, but at least 1.5x and at most 16x
                 per batch, in whole chunks.  */
              double grow = fmin (fmax (need * 1.1, 1.5), 16.0);
              uint64_t next = (uint64_t)ceil ((double)done * grow);
              if (next > w->max_paths)
                next = w->max_paths;
              next = (next + e.chunk - 1) / e.chunk * e.chunk;
              if (next <= done)
                {
                  stop = "max";
                  break;
                }
              want = next;
            }
          for (size_t r = 0; r < nrows; r++)
            {
              /* With a target, each row says whether it met it.  */
              if (!(w->target_ci > 0) || rows[r].stop == NULL)
                rows[r].stop = stop;
              rows[r].substeps = substeps;
            }
          /* An SDE reference must be ten times more accurate than the
             errors it measures, with the upper end of its own confidence
             interval: else double its substeps and redo, as long as its
             error is resolved (2 SE): more substeps cannot shrink Monte
             Carlo noise (independent samples), which the row's note
             reports instead.  */
          int redo = 0;
          if (w->check_ref && w->auto_substeps && substeps < w->max_substeps)
            for (size_t r = 0; r < nrows; r++)
              {
                const sde_weak_point *p = &rows[r];
                if (!sde_weak_ref_ok (p)
                    && fabs (p->ref_err) > 2 * p->ref_err_se)
                  redo = 1;
              }
          if (!redo)
            break;
          substeps *= 2;
        }
      double secs = wall () - t0;
      const size_t nrows = w->nmethods * e.nobs;
      for (size_t r = 0; r < nrows; r++)
        rows[r].seconds = secs;
      st = w->row ? w->row (w->row_ctx, rows, nrows) : GSL_SUCCESS;
      sde_ensemble_sums_free (s);
      free (rows);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}
