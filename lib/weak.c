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

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

size_t
sde_weak_grid (const char *spec, double *eta, size_t max)
{
  char buf[1024];
  size_t n = 0;
  if (spec == NULL || *spec == '\0')
    {
      sde_error (GSL_EINVAL, "empty eta grid");
      return 0;
    }
  if (strlen (spec) >= sizeof buf)
    {
      sde_error (GSL_EINVAL, "eta grid: %zu characters, too long",
                 strlen (spec));
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
      if (sde_parse_double (a, &va) || sde_parse_double (b, &vb) || !(va > 0)
          || !(vb > 0)
          || (k && (sde_parse_double (k, &vk) || vk < 2 || vk != floor (vk))))
        {
          sde_error (GSL_EINVAL,
                     "eta grid '%s': use 2^-2:2^-10, A:B:K or a "
                     "list",
                     sde_q (spec));
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
                         sde_q (spec));
              return 0;
            }
          int lo = ea < eb ? ea : eb, hi = ea < eb ? eb : ea;
          if ((size_t)(hi - lo) + 1 > max)
            {
              sde_error (GSL_EINVAL, "eta grid '%s': %d values, more than %zu",
                         sde_q (spec), hi - lo + 1, max);
              return 0;
            }
          for (int e = hi; e >= lo; e--)
            eta[n++] = ldexp (0.5, e);
        }
      else
        {
          if (vk > (double)max)
            {
              sde_error (GSL_EINVAL,
                         "eta grid '%s': %.0f values, more than %zu",
                         sde_q (spec), vk, max);
              return 0;
            }
          for (size_t i = 0; i < (size_t)vk; i++)
            eta[n++] = va * pow (vb / va, (double)i / (vk - 1));
        }
    }
  else
    {
      char *save = NULL;
      if (*buf == ',' || buf[strlen (buf) - 1] == ',' || strstr (buf, ",,"))
        {
          sde_error (GSL_EINVAL,
                     "eta grid '%s': empty list element (no leading, "
                     "trailing or double commas)",
                     sde_q (spec));
          return 0;
        }
      for (char *t = strtok_r (buf, ",", &save); t;
           t = strtok_r (NULL, ",", &save))
        {
          double v;
          if (sde_parse_double (t, &v) || !(v > 0))
            {
              sde_error (GSL_EINVAL,
                         "eta grid: '%s' is not a positive "
                         "number",
                         sde_q (t));
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
      sde_error (GSL_EINVAL, "eta grid '%s' is empty", sde_q (spec));
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

/* Warnings about the series the fit was made from.  */
static unsigned
fit_flags (const sde_weak_point *pts, size_t n, const sde_weak_fit *fit,
           int exact, double chi2)
{
  unsigned flags = fit->used < 3 ? SDE_WEAK_FIT_FEW : 0;
  int sign = 0;
  for (size_t i = 0; i < n; i++)
    if (fit_use (&pts[i], exact))
      {
        const int si = pts[i].e > 0 ? 1 : -1;
        if (sign && si != sign)
          flags |= SDE_WEAK_FIT_SIGN;
        sign = si;
      }
  if (!exact && fit->used > 2
      && gsl_cdf_chisq_Q (chi2, (double)(fit->used - 2)) < 1e-3)
    flags |= SDE_WEAK_FIT_SCATTER;
  /* The first and last local slopes share no point from four points on,
     so their difference has the two SEs in quadrature.  */
  if (!exact && n >= 4)
    {
      double sl[2], se[2];
      sde_weak_local_slopes (pts, 2, sl, se);
      double a = sl[0], sa = se[0];
      sde_weak_local_slopes (pts + n - 2, 2, sl, se);
      if (!isnan (a) && !isnan (sl[0])
          && fabs (a - sl[0]) > 2 * hypot (sa, se[0]))
        flags |= SDE_WEAK_FIT_DRIFT;
    }
  return flags;
}

static void
fit_series (const sde_weak_point *pts, size_t n, sde_weak_fit *fit)
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
  if (fit->used < 3)
    {
      fit->flags = fit_flags (pts, n, fit, exact, 0);
      return;
    }
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
    /* No sampling error: the SE measures the departure from a power
       law.  */
    fit->se = sqrt (chi2 / (double)(fit->used - 2) / sxx);
  else
    {
      fit->chi2dof = chi2 / (double)(fit->used - 2);
      if (fit->chi2dof > 1)
        fit->se *= sqrt (fit->chi2dof);
    }
  fit->lo = fit->order - Z95 * fit->se;
  fit->hi = fit->order + Z95 * fit->se;
  fit->ok = 1;
  fit->flags = fit_flags (pts, n, fit, exact, chi2);
}

static double
first_eta (const sde_weak_point *pts, size_t n, int exact)
{
  for (size_t i = 0; i < n; i++)
    if (fit_use (&pts[i], exact))
      return pts[i].eta;
  return NAN;
}

void
sde_weak_fit_points (const sde_weak_point *pts, size_t n, sde_weak_fit *fit)
{
  const unsigned bad
      = SDE_WEAK_FIT_SIGN | SDE_WEAK_FIT_DRIFT | SDE_WEAK_FIT_SCATTER;
  int exact = 1;
  for (size_t i = 0; i < n; i++)
    exact &= !(pts[i].se > 0);
  fit_series (pts, n, fit);
  fit->all_flags = fit->flags;
  fit->eta_max = fit->ok ? first_eta (pts, n, exact) : NAN;
  /* Only Monte Carlo series look for a tail: drift and scatter are
     measured against SEs, and a sign change alone is no sign of the next
     term.  */
  if (!fit->ok || !(fit->flags & (SDE_WEAK_FIT_DRIFT | SDE_WEAK_FIT_SCATTER)))
    return;
  /* The longest clean tail: the first start whose fit has no warning.  */
  for (size_t s = 1; s + 3 <= n; s++)
    {
      sde_weak_fit t;
      fit_series (pts + s, n - s, &t);
      if (!t.ok)
        break;
      if (t.flags & bad)
        continue;
      t.skipped = s;
      t.all_flags = fit->flags;
      t.eta_max = first_eta (pts + s, n - s, exact);
      *fit = t;
      return;
    }
}

const char *
sde_weak_fit_warning (unsigned flags, char *buf, size_t len)
{
  static const struct
  {
    unsigned flag;
    const char *text;
  } w[] = {
    { SDE_WEAK_FIT_FEW, "fewer than three usable points" },
    { SDE_WEAK_FIT_SIGN,
      "the errors change sign across eta (the order may be a cancellation)" },
    { SDE_WEAK_FIT_DRIFT,
      "the local slopes drift (first and last differ by more than 2 SE)" },
    { SDE_WEAK_FIT_SCATTER,
      "the points scatter about the power law more than their SEs allow" },
  };
  size_t k = 0;
  if (len)
    buf[0] = '\0';
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
    if (flags & w[i].flag)
      k += (size_t)snprintf (buf + (k < len ? k : len), k < len ? len - k : 0,
                             "%s%s", k ? "; " : "", w[i].text);
  return buf;
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

/* A reference known without sampling error (sde_weak_sweep.reference):
   its values and error estimates per (checkpoint, observable), or NULL
   for a reference process in the ensemble.  */
typedef struct
{
  const double *val, *err;
} exact_ref;

/* The error of method M at checkpoint C: the paired difference against
   the reference process, or the method's own estimate minus the exact
   reference.  */
static sde_stat
error_stat (const sde_ensemble *e, const sde_ensemble_sums *s,
            const exact_ref *x, size_t m, size_t o, size_t c)
{
  if (x->val == NULL)
    return sde_ensemble_diff (s, m, o, c);
  sde_stat d = sde_ensemble_value (s, m, o, c);
  d.mean -= x->val[c * e->nobs + o];
  return d;
}

/* The checkpoint of the largest |mean error| of (m, o) in S.  */
static size_t
argmax_check (const sde_ensemble *e, const sde_ensemble_sums *s,
              const exact_ref *x, size_t m, size_t o)
{
  size_t cstar = 0;
  double best = -1;
  for (size_t c = 0; c < e->ncheck; c++)
    {
      sde_stat d = error_stat (e, s, x, m, o, c);
      if (fabs (d.mean) > best || isnan (d.mean))
        {
          best = isnan (d.mean) ? INFINITY : fabs (d.mean);
          cstar = c;
        }
    }
  return cstar;
}

/* The reference's own side of row P at checkpoint CS: its estimate and
   SE, its diverged paths and its own error (a check process with twice
   the substeps, or the exact engine's error estimate).  */
static void
reference_side (const sde_weak_sweep *w, const sde_ensemble *e,
                const sde_ensemble_sums *s, const exact_ref *x, size_t cs,
                sde_weak_point *p, double *var_ref)
{
  const size_t o = p->obs;
  if (x->val)
    {
      p->est_ref = x->val[cs * e->nobs + o];
      p->se_ref = 0;
      p->ref_err = x->err ? x->err[cs * e->nobs + o] : NAN;
      p->ref_err_se = 0;
      *var_ref = 0;
      return;
    }
  const size_t ref = (size_t)e->ref;
  sde_stat vr = sde_ensemble_value (s, ref, o, cs);
  p->est_ref = vr.mean;
  p->se_ref = vr.se;
  *var_ref = vr.var;
  p->diverged_ref = sde_ensemble_diverged (s, ref);
  if (e->nproc > ref + 1 && w->check_ref)
    {
      /* phi(2M) - phi(M) = -(1 - 2^-p) err(M) for weak order p.  */
      sde_stat c = sde_ensemble_diff (s, ref + 1, o, cs);
      double f = 1 / (1 - pow (2, -w->ref_order));
      p->ref_err = -f * c.mean;
      p->ref_err_se = f * c.se;
    }
}

/* Rows of one eta from the sums S of the estimation paths, at the
   checkpoints CSTAR[m * nobs + o] chosen on independent pilot paths
   (MATH.md 8.2): the maximum of noisy estimates over the checkpoints
   would be biased upward, the estimate at a checkpoint chosen
   independently is not, and its interval is an ordinary 95% one.  */
static void
make_rows (const sde_weak_sweep *w, const sde_ensemble *e,
           const sde_ensemble_sums *s, const exact_ref *x, const size_t *cstar,
           double eta, sde_weak_point *rows)
{
  const size_t last = e->ncheck - 1;
  for (size_t m = 0; m < w->nmethods; m++)
    for (size_t o = 0; o < e->nobs; o++)
      {
        sde_weak_point *p = &rows[m * e->nobs + o];
        const size_t cs = cstar[m * e->nobs + o];
        memset (p, 0, sizeof *p);
        p->eta = eta;
        p->method = m;
        p->obs = o;
        p->ref_err = p->ref_err_se = NAN;
        p->grid_err = NAN;
        sde_stat d = error_stat (e, s, x, m, o, cs);
        sde_stat va = sde_ensemble_value (s, m, o, cs);
        sde_stat df = error_stat (e, s, x, m, o, last);
        double var_ref;
        reference_side (w, e, s, x, cs, p, &var_ref);
        p->e = d.mean;
        p->se = d.se;
        p->crit = Z95;
        p->lo = d.mean - Z95 * d.se;
        p->hi = d.mean + Z95 * d.se;
        p->t_star = (double)e->check[cs] * e->eta;
        p->est = va.mean;
        p->se_est = va.se;
        p->e_final = df.mean;
        p->se_final = df.se;
        /* MATH.md 8.2: within 2 SE of zero is inside the noise floor.  */
        p->floor = !(fabs (d.mean) >= 2 * d.se);
        p->n = (uint64_t)d.n;
        p->diverged = sde_ensemble_diverged (s, m);
        p->vrf = d.var > 0 ? (va.var + var_ref) / d.var : INFINITY;
        p->kurtosis = d.kurtosis;
      }
}

/* A process whose every path diverged has no estimate: the sweep stops
   with a reason rather than print a row of nothing.  */
static int
all_diverged (const sde_ensemble *e, const sde_ensemble_sums *s, double eta)
{
  const uint64_t n = sde_ensemble_paths (s);
  for (size_t i = 0; i < e->nproc; i++)
    if (n > 0 && sde_ensemble_diverged (s, i) == n)
      return sde_error (GSL_ERUNAWAY,
                        "at eta = %g every path of %s diverged (a coordinate "
                        "beyond the bound %g or not finite%s)",
                        eta, sde_q (e->proc[i].label), e->bound,
                        e->proc[i].manifold ? ", or Phi failed there: its "
                                              "budget is --phi-steps"
                                            : "");
  return GSL_SUCCESS;
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

/* Paths [from, to) of E into S, by the sweep's runner.  */
static int
batch (const sde_weak_sweep *w, const sde_ensemble *e, size_t i, uint64_t from,
       uint64_t to, sde_ensemble_sums *s)
{
  int st = w->run ? w->run (w->ctx, e, from, to - from, s)
                  : sde_ensemble_run (e, from, to - from, s);
  if (!st)
    st = all_diverged (e, s, w->eta[i]);
  /* A caller's stop (a time budget, an interrupt) between batches.  */
  if (!st && w->progress && w->progress (w->ctx, i, to))
    st = SDE_ESTOP;
  return st;
}

static uint64_t
whole_chunks (uint64_t n, size_t chunk)
{
  return (n + chunk - 1) / chunk * chunk;
}

/* The pilot: paths [0, *np) choose each row's checkpoint into CSTAR (the
   largest |mean difference| there), summed in S, which is cleared after.
   One checkpoint needs no choice and no pilot (*np = 0).  */
static int
pilot (const sde_weak_sweep *w, const sde_ensemble *e, const exact_ref *x,
       size_t i, uint64_t *np, size_t *cstar, sde_ensemble_sums *s)
{
  const size_t nrows = w->nmethods * e->nobs;
  memset (cstar, 0, sizeof *cstar * nrows);
  *np = 0;
  if (e->ncheck == 1)
    return GSL_SUCCESS;
  *np = whole_chunks (w->pilot ? w->pilot : (w->paths + 3) / 4, e->chunk);
  int st = batch (w, e, i, 0, *np, s);
  for (size_t m = 0; !st && m < w->nmethods; m++)
    for (size_t o = 0; o < e->nobs; o++)
      cstar[m * e->nobs + o] = argmax_check (e, s, x, m, o);
  sde_ensemble_sums_clear (s);
  return st;
}

/* The estimation batches from path P0 into S and ROWS: a fixed count, or
   with --target-ci growing until every row meets it or the cap.  */
static int
estimate (const sde_weak_sweep *w, const sde_ensemble *e, const exact_ref *x,
          size_t i, uint64_t p0, const size_t *cstar, sde_ensemble_sums *s,
          sde_weak_point *rows)
{
  const size_t nrows = w->nmethods * e->nobs;
  /* Batches after the first start on a canonical chunk.  */
  uint64_t done = 0, want = w->paths;
  if (w->target_ci > 0)
    want = whole_chunks (want, e->chunk);
  /* "max" for the rows still short of the target at the cap.  */
  const char *stop = "fixed";
  for (;;)
    {
      int st = batch (w, e, i, p0 + done, p0 + want, s);
      if (st)
        return st;
      done = want;
      make_rows (w, e, s, x, cstar, w->eta[i], rows);
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
      /* Grow by the estimate, but at least 1.5x and at most 16x per
         batch, in whole chunks.  */
      double grow = fmin (fmax (need * 1.1, 1.5), 16.0);
      uint64_t next = (uint64_t)ceil ((double)done * grow);
      if (next > w->max_paths)
        next = w->max_paths;
      next = whole_chunks (next, e->chunk);
      if (next <= done)
        {
          stop = "max";
          break;
        }
      want = next;
    }
  for (size_t r = 0; r < nrows; r++)
    /* With a target, each row says whether it met it.  */
    if (!(w->target_ci > 0) || rows[r].stop == NULL)
      rows[r].stop = stop;
  return GSL_SUCCESS;
}

/* An SDE reference must be ten times more accurate than the errors it
   measures, with the upper end of its own confidence interval: else its
   substeps are doubled and the eta redone, as long as its error is
   resolved (2 SE): more substeps cannot shrink Monte Carlo noise, which
   the row's note reports instead.  */
static int
needs_finer_reference (const sde_weak_sweep *w, size_t substeps,
                       const sde_weak_point *rows, size_t nrows)
{
  if (!w->check_ref || !w->auto_substeps || substeps >= w->max_substeps)
    return 0;
  for (size_t r = 0; r < nrows; r++)
    if (!sde_weak_ref_ok (&rows[r])
        && fabs (rows[r].ref_err) > 2 * rows[r].ref_err_se)
      return 1;
  return 0;
}

/* The i-th eta into ROWS (room for nmethods x observables; *nrows set),
   with *SUBSTEPS raised as the reference needs.  */
static int
run_eta (const sde_weak_sweep *w, size_t i, size_t *substeps,
         sde_weak_point *rows, size_t *nrows)
{
  const double eta = w->eta[i];
  for (;;)
    {
      sde_ensemble e;
      memset (&e, 0, sizeof e);
      int st = w->build (w->ctx, i, eta, *substeps, &e);
      if (st)
        return st;
      *nrows = w->nmethods * e.nobs;
      const size_t nv = e.ncheck * e.nobs;
      size_t *cstar = malloc (sizeof *cstar * *nrows);
      double *ref = w->reference ? malloc (sizeof (double) * 2 * nv) : NULL;
      sde_ensemble_sums *s = sde_ensemble_sums_alloc (&e);
      uint64_t np = 0;
      if (cstar == NULL || s == NULL || (w->reference && ref == NULL))
        {
          free (cstar);
          free (ref);
          sde_ensemble_sums_free (s);
          return sde_error (GSL_ENOMEM, "out of memory for the sums");
        }
      exact_ref x = { ref, ref ? ref + nv : NULL };
      if (w->reference)
        st = w->reference (w->ctx, i, &e, ref, ref + nv);
      if (!st)
        st = pilot (w, &e, &x, i, &np, cstar, s);
      if (!st)
        st = estimate (w, &e, &x, i, np, cstar, s, rows);
      free (cstar);
      free (ref);
      sde_ensemble_sums_free (s);
      if (st)
        return st;
      for (size_t r = 0; r < *nrows; r++)
        {
          rows[r].substeps = *substeps;
          rows[r].pilot = np;
        }
      if (!needs_finer_reference (w, *substeps, rows, *nrows))
        return GSL_SUCCESS;
      *substeps *= 2;
    }
}

int
sde_weak_run (const sde_weak_sweep *w)
{
  size_t substeps = w->substeps ? w->substeps : 1;
  /* Rows per eta: every method against the reference, per observable.  */
  const size_t cap = w->nmethods * SDE_WEAK_MAXOBS;
  sde_weak_point *rows = calloc (cap, sizeof *rows);
  if (rows == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for %zu rows", cap);
  int st = GSL_SUCCESS;
  for (size_t i = 0; i < w->neta && !st; i++)
    {
      const double t0 = wall ();
      size_t nrows = 0;
      st = run_eta (w, i, &substeps, rows, &nrows);
      if (st)
        break;
      for (size_t r = 0; r < nrows; r++)
        rows[r].seconds = wall () - t0;
      st = w->row ? w->row (w->row_ctx, rows, nrows) : GSL_SUCCESS;
    }
  free (rows);
  return st;
}
