/* density.c: the density engine for one-dimensional problems.

   SGD: x' = T(x) + e, T(x) = x - lr L'(x), e ~ N(0, v), v = lr^2 sigma^2 s,
   has the transition density phi_v(y - T(x)); p'(y_j) = h sum_i p(x_i)
   phi_v(y_j - T(x_i)) is the push-forward through T followed by the
   Gaussian convolution, and the trapezoid rule is spectrally accurate when
   h resolves sqrt(v) (Trefethen & Weideman, SIAM Review 56, 2014).  The
   weights are a banded matrix, built once.

   SDE: p_t = -(a p)' + D p'' on a periodic grid, D = b^2/2, the Fourier
   pseudo-spectral method in space (FFTW) and ETDRK4 in time (Cox &
   Matthews 2002; Kassam & Trefethen 2005).  The point mass at t = 0 is
   replaced at t = eta by the Gaussian with the order-2 Ito-Taylor mean and
   variance (local weak error O(eta^3), as its third cumulant is
   a'' b^4 t^3).  */
#include <config.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <gsl/gsl_errno.h>

#include "sdekit/density.h"
#include "sdekit/spec.h"

int
sde_density_applies (const sde_problem *pb, sde_oracle_law law,
                     const sde_optim *m, size_t nm, char *why, size_t len)
{
  const char *r = NULL;
  if (pb->dim != 1)
    r = "the state is not one-dimensional";
  else if (law != SDE_ORACLE_GAUSSIAN)
    r = "the noise is not Gaussian";
  else if (pb->factor_const == NULL || pb->noise_dim != 1)
    r = "the noise factor is not a constant scalar";
  else if (pb->loss == NULL)
    r = "the problem has no loss (the grid is chosen from it)";
  for (size_t k = 0; r == NULL && k < nm; k++)
    if (!m[k].type->plain)
      r = "it follows SGD only (momentum needs a 2-D state)";
    else if (m[k].schedule.kind != SDE_SCHEDULE_CONSTANT)
      r = "it needs a constant learning rate";
  if (r && why)
    snprintf (why, len, "%s", r);
  return r == NULL;
}

static double
loss_at (const sde_problem *pb, double x, double *work)
{
  double v;
  pb->loss (pb, 1, &x, &v, work);
  return v;
}

int
sde_density_choose (const sde_problem *pb, const double *x0, double eta,
                    double tau, double T, sde_density_grid *g)
{
  const double s = pb->factor_const[0] * pb->factor_const[0];
  const double var = tau * s;
  if (!(var > 0))
    return sde_error (GSL_EINVAL, "density engine: the noise is zero");
  double *w = malloc (sizeof (double) * (pb->work + 8));
  if (w == NULL)
    return sde_error (GSL_ENOMEM, "density engine: out of memory");
  if (g->lo == 0 && g->hi == 0)
    {
      /* Walk out from x0 until the stationary tail exp(-2 (L - min L) /
         (tau s)) is below e^-40 (a confining loss), or past nine standard
         deviations of free diffusion over the horizon (a flat one).  */
      const double spread = 9 * sqrt (var * T), dx = 1e-3 * (1 + spread);
      double ends[2];
      for (int side = 0; side < 2; side++)
        {
          double x = x0[0], lmin = loss_at (pb, x, w);
          const double dir = side ? 1 : -1;
          for (int k = 0; k < 2000000; k++)
            {
              x += dir * dx;
              double l = loss_at (pb, x, w);
              if (!isfinite (l))
                break;
              lmin = fmin (lmin, l);
              if (fabs (x - x0[0]) > spread || 2 * (l - lmin) / var > 40)
                break;
            }
          ends[side] = x;
        }
      g->lo = ends[0];
      g->hi = ends[1];
    }
  if (!(g->hi > g->lo))
    {
      free (w);
      return sde_error (GSL_EINVAL, "density engine: empty domain [%g, %g]",
                        g->lo, g->hi);
    }
  if (g->n == 0)
    {
      double sd = eta * sqrt (var / eta); /* one step: sqrt(eta tau s) */
      size_t n = (size_t)ceil ((g->hi - g->lo) / (sd / 6));
      n += n % 2; /* even, for the FFT's Nyquist mode */
      g->n = n < 64 ? 64 : n;
    }
  free (w);
  if (g->n > (size_t)1 << 22)
    return sde_error (GSL_EINVAL,
                      "density engine: %zu grid points; use a larger eta or "
                      "--engine=mc",
                      g->n);
  return GSL_SUCCESS;
}

static void
expectations (const sde_problem *pb, const double *x, const double *p, size_t n,
              double h, const sde_observable *obs, size_t nobs, double *phi,
              double *work, double *out)
{
  (void)pb;
  for (size_t o = 0; o < nobs; o++)
    {
      sde_observable_apply (&obs[o], n, x, phi, work);
      double s = 0;
      for (size_t j = 0; j < n; j++)
        s += p[j] * phi[j];
      out[o] = h * s;
    }
}

/* The engine vouches for its numbers only when the law on the grid is a
   law: at most TOL of the mass lost past the domain's edges or negative
   (an unresolved grid oscillates), and a variance that is not negative.
   Records the worst values in G and returns GSL_ESANITY with the reason
   when one fails.  */
static int
check_law (const double *x, const double *p, size_t n, double h, double t,
           const char *who, sde_density_grid *g)
{
  const double tol = g->tol > 0 ? g->tol : SDE_DENSITY_TOL;
  double mass = 0, neg = 0, m1 = 0, m2 = 0;
  for (size_t j = 0; j < n; j++)
    {
      mass += h * p[j];
      neg += p[j] < 0 ? -h * p[j] : 0;
      m1 += h * p[j] * x[j];
      m2 += h * p[j] * x[j] * x[j];
    }
  const double mean = m1 / mass, var = m2 / mass - mean * mean;
  g->lost = fmax (g->lost, fabs (1 - mass));
  g->negative = fmax (g->negative, neg);
  if (!(fabs (1 - mass) <= tol))
    return sde_error (GSL_ESANITY,
                      "density engine: %s at t = %g: %.3g of the probability "
                      "left the grid [%g, %g] (tolerance %g): the law does "
                      "not stay on the domain (a diverging run or a start "
                      "far off); use --engine=mc",
                      who, t, fabs (1 - mass), g->lo, g->hi, tol);
  if (!(neg <= tol))
    return sde_error (GSL_ESANITY,
                      "density engine: %s at t = %g: the density has %.3g of "
                      "negative mass (tolerance %g): the grid of %zu points "
                      "does not resolve it",
                      who, t, neg, tol, g->n);
  if (!(var >= -tol * (1 + m2)))
    return sde_error (GSL_ESANITY,
                      "density engine: %s at t = %g: negative variance %.3g",
                      who, t, var);
  return GSL_SUCCESS;
}

static size_t
obs_work (const sde_observable *obs, size_t nobs)
{
  size_t w = 1;
  for (size_t o = 0; o < nobs; o++)
    {
      size_t k = sde_observable_work (&obs[o], 1);
      w = k > w ? k : w;
    }
  return w;
}

/* ---- SGD ---- */

int
sde_density_method (const sde_problem *pb, const sde_optim *m, double sigma,
                    const double *x0, double eta, const size_t *check,
                    size_t ncheck, const sde_observable *obs, size_t nobs,
                    sde_density_grid *g, double *out)
{
  (void)eta;
  if (!(x0[0] > g->lo && x0[0] < g->hi))
    return sde_error (GSL_EDOM,
                      "density engine: the start x0 = %g lies outside the "
                      "grid [%g, %g]",
                      x0[0], g->lo, g->hi);
  const size_t l = m->svag;
  const double h = (g->hi - g->lo) / (double)g->n;
  const double lr = m->step_lr, s = pb->factor_const[0] * pb->factor_const[0];
  const double sg = sigma * sqrt ((double)l), v = lr * lr * sg * sg * s;
  const double sd = sqrt (v), W = 14 * sd; /* weights below e^-98 dropped */
  /* SGD's one-step noise reaches past the SDE's stationary tail at a large
     eta: its grid has ten of those standard deviations more on each side,
     at the same spacing.  */
  const size_t pad = (size_t)ceil (10 * sd / h);
  const size_t n = g->n + 2 * pad;
  const double lo = g->lo - (double)pad * h;
  double *x = malloc (sizeof (double) * n), *T = malloc (sizeof (double) * n);
  double *p = calloc (n, sizeof (double)), *q = malloc (sizeof (double) * n);
  double *work
      = malloc (sizeof (double) * (pb->work + obs_work (obs, nobs)) * n);
  size_t band = (size_t)ceil (2 * W / h) + 2;
  double *wt = malloc (sizeof (double) * n * band);
  size_t *j0 = malloc (sizeof (size_t) * n),
         *len = malloc (sizeof (size_t) * n);
  if (!x || !T || !p || !q || !work || !wt || !j0 || !len)
    {
      free (x), free (T), free (p), free (q), free (work), free (wt);
      free (j0), free (len);
      return sde_error (GSL_ENOMEM, "density engine: out of memory");
    }
  for (size_t j = 0; j < n; j++)
    x[j] = lo + (double)j * h;
  int st = pb->grad (pb, n, x, T, work);
  for (size_t i = 0; i < n; i++)
    T[i] = x[i] - lr * T[i];
  /* The banded kernel h phi_v(x_j - T(x_i)), j within 14 sd of T(x_i).  */
  const double c = h / sqrt (2 * M_PI * v);
  for (size_t i = 0; i < n; i++)
    {
      double a = ceil ((T[i] - W - lo) / h), b = floor ((T[i] + W - lo) / h);
      a = fmax (a, 0);
      b = fmin (b, (double)n - 1);
      j0[i] = (size_t)a;
      len[i] = b >= a ? (size_t)(b - a) + 1 : 0;
      if (len[i] > band)
        len[i] = band;
      for (size_t k = 0; k < len[i]; k++)
        {
          double z = x[j0[i] + k] - T[i];
          wt[i * band + k] = c * exp (-0.5 * z * z / v);
        }
    }
  /* Step 1 from the point mass: the Gaussian itself.  */
  double T0 = 0;
  st = st ? st : pb->grad (pb, 1, x0, &T0, work);
  T0 = x0[0] - lr * T0;
  for (size_t j = 0; j < n; j++)
    {
      double z = x[j] - T0;
      p[j] = exp (-0.5 * z * z / v) / sqrt (2 * M_PI * v);
    }
  size_t k = 1, cidx = 0;
  double *phi = malloc (sizeof (double) * n);
  if (phi == NULL)
    st = sde_error (GSL_ENOMEM, "density engine: out of memory");
  while (!st && cidx < ncheck)
    {
      if (k == check[cidx] * l)
        {
          expectations (pb, x, p, n, h, obs, nobs, phi, work,
                        out + cidx * nobs);
          st = check_law (x, p, n, h, (double)check[cidx] * m->eta, m->spec, g);
          cidx++;
          continue;
        }
      memset (q, 0, sizeof (double) * n);
      for (size_t i = 0; i < n; i++)
        {
          const double pi = p[i];
          if (pi == 0)
            continue;
          double *qj = q + j0[i];
          const double *wi = wt + i * band;
          for (size_t t = 0; t < len[i]; t++)
            qj[t] += pi * wi[t];
        }
      double *tmp = p;
      p = q;
      q = tmp;
      k++;
    }
  free (x), free (T), free (p), free (q), free (work), free (wt);
  free (j0), free (len), free (phi);
  return st;
}

/* ---- SDE: Fokker-Planck ---- */

/* The drift a(x) of SME-1 (-L') or SME-2 (-(L' + eta/2 L'' L')).  */
static int
drift (const sde_problem *pb, const sde_limit *lim, size_t n, const double *x,
       double *a, double *work)
{
  int st = pb->grad (pb, n, x, a, work);
  if (st || lim->kind == SDE_LIMIT_SME1)
    {
      for (size_t j = 0; j < n; j++)
        a[j] = -a[j];
      return st;
    }
  if (!pb->hess_const && !pb->hess)
    return sde_error (GSL_EINVAL, "density engine: SME-2 needs the Hessian");
  double *H = malloc (sizeof (double) * n);
  if (H == NULL)
    return sde_error (GSL_ENOMEM, "density engine: out of memory");
  if (pb->hess_const)
    for (size_t j = 0; j < n; j++)
      H[j] = pb->hess_const[0];
  else
    st = pb->hess (pb, n, x, H, work);
  for (size_t j = 0; !st && j < n; j++)
    a[j] = -(a[j] + 0.5 * lim->eta * H[j] * a[j]);
  free (H);
  return st;
}

/* A periodic pseudo-spectral Fokker-Planck solver on [lo, lo + len).  */
typedef struct
{
  size_t n, nk;
  double lo, len, h, D, dt;
  double *x, *a, *p, *kk, *E, *E2, *Q, *f1, *f2, *f3;
  fftw_complex *u, *ua, *ub, *uc, *Nu, *Na, *Nb, *Nc, *tmp;
  fftw_plan fwd, bwd;
} fp;

static void
fp_free (fp *f)
{
  if (f->fwd)
    fftw_destroy_plan (f->fwd);
  if (f->bwd)
    fftw_destroy_plan (f->bwd);
  free (f->x), free (f->a), free (f->kk), free (f->E);
  fftw_free (f->p), fftw_free (f->u), fftw_free (f->ua), fftw_free (f->ub);
  fftw_free (f->uc), fftw_free (f->Nu), fftw_free (f->Na), fftw_free (f->Nb);
  fftw_free (f->Nc), fftw_free (f->tmp);
  memset (f, 0, sizeof *f);
}

static int
fp_init (fp *f, const sde_problem *pb, const sde_limit *lim, double lo,
         double hi, size_t n, double b2, double *work)
{
  memset (f, 0, sizeof *f);
  f->n = n;
  f->nk = n / 2 + 1;
  f->lo = lo;
  f->len = hi - lo;
  f->h = f->len / (double)n;
  f->D = 0.5 * b2;
  const size_t nk = f->nk;
  f->x = malloc (sizeof (double) * n);
  f->a = malloc (sizeof (double) * n);
  f->kk = malloc (sizeof (double) * nk);
  f->E = malloc (sizeof (double) * nk * 6);
  f->p = fftw_malloc (sizeof (double) * n);
  fftw_complex **c[] = { &f->u,  &f->ua, &f->ub, &f->uc, &f->Nu,
                         &f->Na, &f->Nb, &f->Nc, &f->tmp };
  int ok = f->x && f->a && f->kk && f->E && f->p;
  for (size_t k = 0; k < sizeof c / sizeof c[0]; k++)
    ok &= (*c[k] = fftw_malloc (sizeof (fftw_complex) * nk)) != NULL;
  if (!ok)
    {
      fp_free (f);
      return sde_error (GSL_ENOMEM, "density engine: out of memory");
    }
  f->E2 = f->E + nk;
  f->Q = f->E2 + nk;
  f->f1 = f->Q + nk;
  f->f2 = f->f1 + nk;
  f->f3 = f->f2 + nk;
  /* FFTW's planner is not thread-safe; plans are made here only.  */
  f->fwd = fftw_plan_dft_r2c_1d ((int)n, f->p, f->tmp, FFTW_ESTIMATE);
  f->bwd = fftw_plan_dft_c2r_1d ((int)n, f->tmp, f->p, FFTW_ESTIMATE);
  if (f->fwd == NULL || f->bwd == NULL)
    {
      fp_free (f);
      return sde_error (GSL_ENOMEM, "density engine: no FFTW plan");
    }
  for (size_t j = 0; j < n; j++)
    f->x[j] = lo + (double)j * f->h;
  for (size_t m = 0; m < nk; m++)
    f->kk[m] = m == n / 2 ? 0 : 2 * M_PI * (double)m / f->len;
  int st = drift (pb, lim, n, f->x, f->a, work);
  if (st)
    fp_free (f);
  return st;
}

/* ETDRK4 coefficients of L = -D k^2 for step dt, by contour averages over
   32 points of the unit circle about L dt (Kassam & Trefethen 2005).  */
static void
fp_coeffs (fp *f, double dt)
{
  const int M = 32;
  f->dt = dt;
  for (size_t m = 0; m < f->nk; m++)
    {
      double k = 2 * M_PI * (double)m / f->len, z = -f->D * k * k * dt;
      f->E[m] = exp (z);
      f->E2[m] = exp (z / 2);
      double complex sq = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int j = 0; j < M; j++)
        {
          double complex r = z + cexp (I * M_PI * (j + 0.5) / M);
          double complex er = cexp (r), r3 = r * r * r;
          sq += (cexp (r / 2) - 1) / r;
          s1 += (-4 - r + er * (4 - 3 * r + r * r)) / r3;
          s2 += (2 + r + er * (r - 2)) / r3;
          s3 += (-4 - 3 * r - r * r + er * (4 - r)) / r3;
        }
      f->Q[m] = dt * creal (sq) / M;
      f->f1[m] = dt * creal (s1) / M;
      f->f2[m] = dt * creal (s2) / M;
      f->f3[m] = dt * creal (s3) / M;
    }
}

/* The largest stable step of the explicit advection, |a| k_max dt <= 1. */
static double
fp_dtmax (const fp *f)
{
  double amax = 0;
  for (size_t j = 0; j < f->n; j++)
    amax = fmax (amax, fabs (f->a[j]));
  return amax > 0 ? f->h / (M_PI * amax) : INFINITY;
}

/* N(v) = -i k FFT(a IFFT(v)).  */
static void
fp_nonlin (fp *f, const fftw_complex *v, fftw_complex *out)
{
  memcpy (f->tmp, v, sizeof (fftw_complex) * f->nk);
  fftw_execute_dft_c2r (f->bwd, f->tmp, f->p);
  for (size_t j = 0; j < f->n; j++)
    f->p[j] *= f->a[j] / (double)f->n;
  fftw_execute_dft_r2c (f->fwd, f->p, out);
  for (size_t m = 0; m < f->nk; m++)
    out[m] *= -I * f->kk[m];
}

static void
fp_steps (fp *f, size_t count)
{
  const size_t nk = f->nk;
  for (size_t s = 0; s < count; s++)
    {
      fp_nonlin (f, f->u, f->Nu);
      for (size_t m = 0; m < nk; m++)
        f->ua[m] = f->E2[m] * f->u[m] + f->Q[m] * f->Nu[m];
      fp_nonlin (f, f->ua, f->Na);
      for (size_t m = 0; m < nk; m++)
        f->ub[m] = f->E2[m] * f->u[m] + f->Q[m] * f->Na[m];
      fp_nonlin (f, f->ub, f->Nb);
      for (size_t m = 0; m < nk; m++)
        f->uc[m] = f->E2[m] * f->ua[m] + f->Q[m] * (2 * f->Nb[m] - f->Nu[m]);
      fp_nonlin (f, f->uc, f->Nc);
      for (size_t m = 0; m < nk; m++)
        f->u[m] = f->E[m] * f->u[m] + f->f1[m] * f->Nu[m]
                  + 2 * f->f2[m] * (f->Na[m] + f->Nb[m]) + f->f3[m] * f->Nc[m];
    }
}

/* The density on the solver's own grid into f->p.  */
static void
fp_density (fp *f)
{
  memcpy (f->tmp, f->u, sizeof (fftw_complex) * f->nk);
  fftw_execute_dft_c2r (f->bwd, f->tmp, f->p);
  for (size_t j = 0; j < f->n; j++)
    f->p[j] /= (double)f->n;
}

/* The density at arbitrary points (its Fourier series), 0 outside.  */
static void
fp_eval (const fp *f, size_t m, const double *x, double *out)
{
  for (size_t j = 0; j < m; j++)
    {
      double t = x[j] - f->lo;
      if (t < 0 || t >= f->len)
        {
          out[j] = 0;
          continue;
        }
      double s = creal (f->u[0]);
      for (size_t q = 1; q < f->nk; q++)
        {
          double w = q == f->n / 2 ? 1 : 2;
          double ph = 2 * M_PI * (double)q * t / f->len;
          s += w * (creal (f->u[q]) * cos (ph) - cimag (f->u[q]) * sin (ph));
        }
      out[j] = s / (double)f->n;
    }
}

/* Phase 1, [t0, eta]: the point mass spreads to the width sqrt(b^2 eta)
   of one step, which the global grid resolves.  It starts at t0 = eta /
   1024 from the order-2 Ito-Taylor Gaussian (error O(t0^3), far below
   rounding) and runs through stages in which t grows 16-fold, each on a
   grid about x0 fine enough for the stage's start and wide enough for its
   end (clipped to the global domain); a' and a'' at x0 by central
   differences.  The law at eta is left in LOC.  */
static int
spread (const sde_problem *pb, const sde_limit *lim, double x0, double eta,
        double b2, const sde_density_grid *g, double *work, fp *loc)
{
  double xs[5], as[5] = { 0 };
  const double e = 1e-3 * (1 + fabs (x0));
  for (int j = 0; j < 5; j++)
    xs[j] = x0 + (j - 2) * e;
  int st = drift (pb, lim, 5, xs, as, work);
  const double a0 = as[2];
  const double a1 = (as[0] - 8 * as[1] + 8 * as[3] - as[4]) / (12 * e);
  const double a2
      = (-as[0] + 16 * as[1] - 30 * as[2] + 16 * as[3] - as[4]) / (12 * e * e);
  const double t0 = eta / 1024;
  int first = 1;
  for (double t = t0; !st && t < eta * (1 - 1e-12);)
    {
      const double tend = fmin (16 * t, eta), sd = sqrt (b2 * tend);
      const double c = x0 + a0 * tend / 2, W = 18 * sd + fabs (a0) * tend;
      const double lo = fmax (c - W, g->lo), hi = fmin (c + W, g->hi);
      size_t n = (size_t)ceil ((hi - lo) / (sqrt (b2 * t) / 6));
      n = n < 256 ? 256 : n + n % 2;
      if (n > ((size_t)1 << 18))
        n = (size_t)1 << 18;
      fp next;
      if ((st = fp_init (&next, pb, lim, lo, hi, n, b2, work)))
        break;
      if (first)
        {
          double mean = x0 + a0 * t + 0.5 * (a0 * a1 + 0.5 * b2 * a2) * t * t;
          double var = b2 * t + a1 * b2 * t * t;
          if (!(var > 0))
            st = sde_error (GSL_EDOM, "density engine: degenerate start");
          for (size_t j = 0; j < n; j++)
            {
              double z = next.x[j] - mean;
              next.p[j] = exp (-0.5 * z * z / var) / sqrt (2 * M_PI * var);
            }
          first = 0;
        }
      else
        fp_eval (loc, n, next.x, next.p);
      fftw_execute_dft_r2c (next.fwd, next.p, next.u);
      fp_free (loc);
      *loc = next;
      /* Steps that grow with t (the density's own time scale), within the
         advection's stability limit; coefficients only when dt changes. */
      const double dtm = fp_dtmax (loc);
      double last = -1;
      while (t < tend * (1 - 1e-12))
        {
          double dt = fmin (fmin (t / 4, dtm), tend - t);
          if (dt != last)
            fp_coeffs (loc, dt);
          last = dt;
          fp_steps (loc, 1);
          t += dt;
        }
      t = tend;
    }
  return st;
}

/* Phase 2 on the global grid GLOB from t = eta, NS substeps a step, with
   the expectations at the checkpoints into OUT and the mass that reached
   the edges into *LOST.  */
static int
march (const sde_problem *pb, fp *glob, double eta, size_t ns,
       const size_t *check, size_t ncheck, const sde_observable *obs,
       size_t nobs, sde_density_grid *g, double *phi, double *work, double *out,
       double *lost)
{
  const size_t n = glob->n;
  const double tol = g->tol > 0 ? g->tol : SDE_DENSITY_TOL;
  int st = GSL_SUCCESS;
  for (size_t k = 1, cidx = 0; !st && cidx < ncheck;)
    {
      if (k != check[cidx])
        {
          fp_steps (glob, ns);
          k++;
          continue;
        }
      const double t = (double)check[cidx] * eta;
      fp_density (glob);
      expectations (pb, glob->x, glob->p, n, glob->h, obs, nobs, phi, work,
                    out + cidx * nobs);
      /* The periodic solve conserves mass: what wraps around shows as mass
         in the outer 2% of each side.  */
      double edge = 0;
      size_t m2 = n / 50 + 1;
      for (size_t j = 0; j < m2; j++)
        edge += fabs (glob->p[j]) + fabs (glob->p[n - 1 - j]);
      *lost = fmax (*lost, glob->h * edge);
      st = check_law (glob->x, glob->p, n, glob->h, t, "the SDE", g);
      if (!st && !(*lost <= tol))
        st = sde_error (GSL_ESANITY,
                        "density engine: the SDE at t = %g: %.3g of the "
                        "probability reached the edges of [%g, %g] "
                        "(tolerance %g); use --engine=mc",
                        t, *lost, g->lo, g->hi, tol);
      cidx++;
    }
  return st;
}

int
sde_density_sde (const sde_problem *pb, const sde_limit *lim, const double *x0,
                 double eta, size_t substeps, const size_t *check,
                 size_t ncheck, const sde_observable *obs, size_t nobs,
                 sde_density_grid *g, double *out)
{
  if (lim->kind != SDE_LIMIT_SME1 && lim->kind != SDE_LIMIT_SME2)
    return sde_error (GSL_EINVAL, "density engine: SME-1 or SME-2 only");
  if (!(x0[0] > g->lo && x0[0] < g->hi))
    return sde_error (GSL_EDOM,
                      "density engine: the start x0 = %g lies outside the "
                      "grid [%g, %g]",
                      x0[0], g->lo, g->hi);
  if (lim->lambda)
    return sde_error (GSL_EINVAL, "density engine: no schedules");
  const double b2 = lim->tau * pb->factor_const[0] * pb->factor_const[0];
  double *work = malloc (sizeof (double) * (pb->work + obs_work (obs, nobs) + 8)
                         * (g->n > 4096 ? g->n : 4096));
  double *phi = malloc (sizeof (double) * g->n);
  fp loc, glob;
  memset (&loc, 0, sizeof loc);
  memset (&glob, 0, sizeof glob);
  int st = work && phi
               ? GSL_SUCCESS
               : sde_error (GSL_ENOMEM, "density engine: out of memory");
  if (!st)
    st = spread (pb, lim, x0[0], eta, b2, g, work, &loc);
  if (!st)
    st = fp_init (&glob, pb, lim, g->lo, g->hi, g->n, b2, work);
  size_t ns = substeps ? substeps : 1;
  if (!st)
    {
      fp_eval (&loc, glob.n, glob.x, glob.p);
      fftw_execute_dft_r2c (glob.fwd, glob.p, glob.u);
      while (eta / (double)ns > fp_dtmax (&glob) && ns < (1u << 20))
        ns *= 2;
      fp_coeffs (&glob, eta / (double)ns);
    }
  double lost = 0;
  if (!st)
    st = march (pb, &glob, eta, ns, check, ncheck, obs, nobs, g, phi, work, out,
                &lost);
  g->lost = fmax (g->lost, lost);
  fp_free (&loc);
  fp_free (&glob);
  free (work);
  free (phi);
  return st;
}
