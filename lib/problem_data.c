/* problem_data.c: finite-sum problems on data: least squares and logistic
   regression on the diabetes data of Efron et al., "Least Angle Regression"
   (Ann. Statist. 2004), or on seeded synthetic data; and the quadratically
   parameterised sparse regression w = u * v with label noise (HaoChen, Wei,
   Lee & Ma, COLT 2021; Li, Wang & Arora, ICLR 2022, section 6).  */
#include <config.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sort.h>

#include "problem_internal.h"
#include "sdekit/rng.h"
#include "simd.h"

typedef struct
{
  size_t n, m;
  double *Z; /* n x m row-major */
  double *y;
  double ridge, delta;
  int logistic;
  double *wls; /* sparse, n >= m: the unique minimizer in w (else NULL) */
} dataset;

static void
dataset_free (dataset *ds)
{
  if (ds == NULL)
    return;
  free (ds->Z);
  free (ds->y);
  free (ds->wls);
  free (ds);
}

static void
data_destroy (sde_owned_problem *op)
{
  dataset_free (op->extra);
}

/* Doubles the capacity of the rows of DS (10 features); on failure the
   old blocks stay in DS.  */
static int
grow (dataset *ds, size_t *cap)
{
  const size_t c = 2 * *cap;
  double *Z = realloc (ds->Z, c * 10 * sizeof (double));
  if (Z == NULL)
    GSL_ERROR ("data=diabetes: out of memory", GSL_ENOMEM);
  ds->Z = Z;
  double *y = realloc (ds->y, c * sizeof (double));
  if (y == NULL)
    GSL_ERROR ("data=diabetes: out of memory", GSL_ENOMEM);
  ds->y = y;
  *cap = c;
  return GSL_SUCCESS;
}

/* Reads DIR/diabetes.csv: a header line, then 10 features and y.  What it
   allocated stays in DS, also on failure.  */
static int
read_diabetes (const char *dir, dataset *ds)
{
  char path[4096];
  if (dir == NULL)
    dir = getenv ("SDEKIT_DATADIR");
  if (dir == NULL)
    dir = SDE_DATADIR;
  snprintf (path, sizeof path, "%s/diabetes.csv", dir);
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return sde_error (GSL_EINVAL, "data=diabetes: cannot open %s: %s", path,
                      strerror (errno));
  char line[1024];
  size_t cap = 512;
  ds->m = 10;
  ds->Z = malloc (cap * 10 * sizeof (double));
  ds->y = malloc (cap * sizeof (double));
  ds->n = 0;
  if (ds->Z == NULL || ds->y == NULL)
    {
      fclose (f);
      GSL_ERROR ("data=diabetes: out of memory", GSL_ENOMEM);
    }
  int st = GSL_SUCCESS;
  if (fgets (line, sizeof line, f) == NULL && !ferror (f))
    st = sde_error (GSL_EINVAL, "data=diabetes: %s is empty", path);
  while (st == 0 && fgets (line, sizeof line, f))
    {
      double v[11];
      char *s = line, *end;
      for (int k = 0; k < 11; k++)
        {
          v[k] = strtod (s, &end);
          if (end == s || (*end != ',' && k < 10)
              || (k == 10 && *end != '\n' && *end != '\0' && *end != '\r'))
            {
              st = sde_error (GSL_EINVAL,
                              "data=diabetes: %s line %zu is "
                              "not 11 numbers",
                              path, ds->n + 2);
              break;
            }
          s = end + 1;
        }
      if (st)
        break;
      if (ds->n == cap && (st = grow (ds, &cap)))
        break;
      memcpy (ds->Z + ds->n * 10, v, 10 * sizeof (double));
      ds->y[ds->n++] = v[10];
    }
  /* A read error ends fgets like the end of the file.  */
  if (st == 0 && ferror (f))
    st = sde_error (GSL_EFAILED, "data=diabetes: cannot read %s: %s", path,
                    strerror (errno));
  fclose (f);
  if (st == 0 && ds->n < 2)
    st = sde_error (GSL_EINVAL, "data=diabetes: %s has fewer than 2 rows",
                    path);
  return st;
}

/* Standardises each feature column to mean 0 and variance 1.  */
static void
standardise (double *a, size_t n, size_t m)
{
  for (size_t j = 0; j < m; j++)
    {
      double mean = 0, var = 0;
      for (size_t i = 0; i < n; i++)
        mean += a[i * m + j];
      mean /= (double)n;
      for (size_t i = 0; i < n; i++)
        var += (a[i * m + j] - mean) * (a[i * m + j] - mean);
      double sd = sqrt (var / (double)n);
      for (size_t i = 0; i < n; i++)
        a[i * m + j] = sd > 0 ? (a[i * m + j] - mean) / sd : 0.0;
    }
}

/* ---- Regression callbacks: per path, margins m_i = z_i . x. ---- */

static inline double
sigmoid (double t)
{
  return t >= 0 ? 1 / (1 + exp (-t)) : exp (t) / (1 + exp (t));
}

/* Per-sample derivative of l_i in the margin: l_i = phi(z_i . x).  */
static inline double
dloss (const dataset *ds, double mi, double yi)
{
  return ds->logistic ? -yi * sigmoid (-yi * mi) : mi - yi;
}

static int
reg_loss (const sde_problem *pb, size_t P, const double *x, double *out,
          double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m;
  for (size_t p = 0; p < P; p++)
    {
      double s = 0, r2 = 0;
      for (size_t i = 0; i < n; i++)
        {
          double mi = 0;
          for (size_t j = 0; j < m; j++)
            mi += ds->Z[i * m + j] * x[j * P + p];
          if (ds->logistic)
            {
              double t = -ds->y[i] * mi;
              s += t > 0 ? t + log1p (exp (-t)) : log1p (exp (t));
            }
          else
            s += 0.5 * (mi - ds->y[i]) * (mi - ds->y[i]);
        }
      for (size_t j = 0; j < m; j++)
        r2 += x[j * P + p] * x[j * P + p];
      out[p] = s / (double)n + 0.5 * ds->ridge * r2;
    }
  return GSL_SUCCESS;
}

/* Mean of grad l_i over the index rows idx (B per path), or over all
   samples when idx is NULL; plus ridge x.  */
static int
reg_mean_grad (const sde_problem *pb, size_t P, const double *x,
               const uint32_t *idx, size_t B, double *out)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t m = ds->m, cnt = idx ? B : ds->n;
  for (size_t j = 0; j < m; j++)
    for (size_t p = 0; p < P; p++)
      out[j * P + p] = 0;
  for (size_t p = 0; p < P; p++)
    for (size_t b = 0; b < cnt; b++)
      {
        size_t i = idx ? idx[b * P + p] : b;
        const double *zi = ds->Z + i * m;
        double mi = 0;
        for (size_t j = 0; j < m; j++)
          mi += zi[j] * x[j * P + p];
        double c = dloss (ds, mi, ds->y[i]);
        for (size_t j = 0; j < m; j++)
          out[j * P + p] += c * zi[j];
      }
  for (size_t j = 0; j < m; j++)
    for (size_t p = 0; p < P; p++)
      out[j * P + p] = out[j * P + p] / (double)cnt + ds->ridge * x[j * P + p];
  return GSL_SUCCESS;
}

static int
reg_grad (const sde_problem *pb, size_t P, const double *x, double *out,
          double *work)
{
  (void)work;
  return reg_mean_grad (pb, P, x, NULL, 0, out);
}

static int
reg_batch (const sde_problem *pb, size_t P, const double *x,
           const uint32_t *idx, size_t B, double *out, double *work)
{
  (void)work;
  return reg_mean_grad (pb, P, x, idx, B, out);
}

static int
reg_hess (const sde_problem *pb, size_t P, const double *x, double *out,
          double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m;
  memset (out, 0, sizeof (double) * m * m * P);
  for (size_t p = 0; p < P; p++)
    {
      for (size_t i = 0; i < n; i++)
        {
          const double *zi = ds->Z + i * m;
          double w = 1;
          if (ds->logistic)
            {
              double mi = 0;
              for (size_t j = 0; j < m; j++)
                mi += zi[j] * x[j * P + p];
              double s = sigmoid (-ds->y[i] * mi);
              w = s * (1 - s);
            }
          for (size_t j = 0; j < m; j++)
            for (size_t k = 0; k < m; k++)
              out[(j * m + k) * P + p] += w * zi[j] * zi[k];
        }
      for (size_t j = 0; j < m; j++)
        for (size_t k = 0; k < m; k++)
          out[(j * m + k) * P + p] = out[(j * m + k) * P + p] / (double)n
                                     + (j == k ? ds->ridge : 0.0);
    }
  return GSL_SUCCESS;
}

/* Least squares: 0.  Logistic: (1/n) sum_i c_i z_i (z_i^T S z_i) with
   c_i = -y_i s_i (1 - s_i)(1 - 2 s_i), s_i = sigmoid(-y_i z_i . x).  */
static int
reg_third (const sde_problem *pb, size_t P, const double *x, const double *S,
           double *out, double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m;
  memset (out, 0, sizeof (double) * m * P);
  if (!ds->logistic)
    return GSL_SUCCESS;
  for (size_t p = 0; p < P; p++)
    for (size_t i = 0; i < n; i++)
      {
        const double *zi = ds->Z + i * m;
        double mi = 0, q = 0;
        for (size_t j = 0; j < m; j++)
          mi += zi[j] * x[j * P + p];
        double s = sigmoid (-ds->y[i] * mi);
        double c = -ds->y[i] * s * (1 - s) * (1 - 2 * s);
        for (size_t j = 0; j < m; j++)
          for (size_t k = 0; k < m; k++)
            q += zi[j] * S[(j * m + k) * P + p] * zi[k];
        for (size_t j = 0; j < m; j++)
          out[j * P + p] += c * q * zi[j] / (double)n;
      }
  return GSL_SUCCESS;
}

/* The sums of reg_covariance for a block of Q paths in contiguous
   scratch: X and MU (m rows of Q), ACC (m m rows of Q, j <= k), DEV (m
   rows of Q), CI (Q).  Inlined with a constant Q the loops over paths
   have a fixed length and vectorize, and the block stays in cache over the
   n samples (rows P apart would thrash the cache when P is a power of 2).
 */
static inline __attribute__ ((always_inline)) void
cov_block (const dataset *ds, size_t Q, const double *restrict X,
           const double *restrict MU, double *restrict ACC,
           double *restrict DEV, double *restrict CI)
{
  const size_t n = ds->n, m = ds->m;
  memset (ACC, 0, sizeof (double) * m * m * Q);
  for (size_t i = 0; i < n; i++)
    {
      const double *zi = ds->Z + i * m;
      for (size_t p = 0; p < Q; p++)
        CI[p] = 0;
      for (size_t j = 0; j < m; j++)
        for (size_t p = 0; p < Q; p++)
          CI[p] += zi[j] * X[j * Q + p];
      for (size_t p = 0; p < Q; p++)
        CI[p] = dloss (ds, CI[p], ds->y[i]);
      for (size_t j = 0; j < m; j++)
        for (size_t p = 0; p < Q; p++)
          DEV[j * Q + p] = CI[p] * zi[j] - MU[j * Q + p];
      for (size_t j = 0; j < m; j++)
        for (size_t k = j; k < m; k++)
          for (size_t p = 0; p < Q; p++)
            ACC[(j * m + k) * Q + p] += DEV[j * Q + p] * DEV[k * Q + p];
    }
}

/* Sigma(x) = (1/n) sum_i (grad l_i - grad L)(grad l_i - grad L)^T, the
   per-sample gradient covariance, into C (m x m per path) from the
   centred deviations c_i z_i - mu, mu = grad L - ridge x (ridge is in
   every grad l_i, so it cancels): no cancellation of large moments.  G
   holds grad L; SCRATCH holds m m + 3 m + 1 doubles per path.  */
SDE_CLONES static void
reg_covariance (const dataset *ds, size_t P, const double *x, const double *G,
                double *C, double *scratch)
{
  enum
  {
    Q = 8
  };
  const size_t m = ds->m;
  for (size_t p0 = 0; p0 < P; p0 += Q)
    {
      const size_t q = P - p0 < Q ? P - p0 : Q;
      double *X = scratch, *MU = X + m * q, *ACC = MU + m * q;
      double *DEV = ACC + m * m * q, *CI = DEV + m * q;
      for (size_t j = 0; j < m; j++)
        for (size_t p = 0; p < q; p++)
          {
            X[j * q + p] = x[j * P + p0 + p];
            MU[j * q + p] = G[j * P + p0 + p] - ds->ridge * X[j * q + p];
          }
      if (q == Q)
        cov_block (ds, Q, X, MU, ACC, DEV, CI);
      else
        cov_block (ds, q, X, MU, ACC, DEV, CI);
      for (size_t j = 0; j < m; j++)
        for (size_t k = j; k < m; k++)
          for (size_t p = 0; p < q; p++)
            C[(j * m + k) * P + p0 + p] = C[(k * m + j) * P + p0 + p]
                = ACC[(j * m + k) * q + p] / (double)ds->n;
    }
}

/* L with L L^T = A for the positive semidefinite m x m matrices A of P
   paths, by Cholesky in a fixed order, all paths in step so the loops run
   across paths; L (lower triangular) goes to OUT, A is kept.  A pivot at
   the rounding level of A's largest diagonal, m eps max A_kk, is taken as
   0 and its column left out, which for a semidefinite A drops only
   entries of order sqrt(m eps) max A_kk (|A_ij|^2 <= A_ii A_jj), and
   exactly nothing for the zero rows of constant features.  The fixed order
   keeps L smooth in x where A is definite, as the derivative-free schemes
   assume of b(x) (diagonal pivoting would switch order between nearby
   points).  TOL: scratch of P.  */
static void
psd_cholesky (size_t m, size_t P, const double *A, double *out, double *tol)
{
  memset (out, 0, sizeof (double) * m * m * P);
  for (size_t p = 0; p < P; p++)
    tol[p] = 0;
  for (size_t j = 0; j < m; j++)
    for (size_t p = 0; p < P; p++)
      tol[p] = fmax (tol[p], A[(j * m + j) * P + p]);
  for (size_t p = 0; p < P; p++)
    tol[p] *= (double)m * DBL_EPSILON;
  for (size_t j = 0; j < m; j++)
    {
      double *ljj = out + (j * m + j) * P;
      memcpy (ljj, A + (j * m + j) * P, sizeof (double) * P);
      for (size_t k = 0; k < j; k++)
        {
          const double *ljk = out + (j * m + k) * P;
          for (size_t p = 0; p < P; p++)
            ljj[p] -= ljk[p] * ljk[p];
        }
      for (size_t i = j + 1; i < m; i++)
        {
          double *lij = out + (i * m + j) * P;
          memcpy (lij, A + (i * m + j) * P, sizeof (double) * P);
          for (size_t k = 0; k < j; k++)
            {
              const double *lik = out + (i * m + k) * P,
                           *ljk = out + (j * m + k) * P;
              for (size_t p = 0; p < P; p++)
                lij[p] -= lik[p] * ljk[p];
            }
        }
      for (size_t p = 0; p < P; p++)
        ljj[p] = ljj[p] > tol[p] ? sqrt (ljj[p]) : 0.0;
      for (size_t i = j + 1; i < m; i++)
        {
          double *lij = out + (i * m + j) * P;
          for (size_t p = 0; p < P; p++)
            lij[p] = ljj[p] > 0 ? lij[p] / ljj[p] : 0.0;
        }
    }
}

/* S(x) with S S^T = Sigma(x).  The deviations themselves, (1/sqrt n)
   [grad l_1 - grad L, ..., grad l_n - grad L], are a factor with n
   columns; the weak order 2 scheme makes O(r) calls of b per step, so an r
   = n factor costs O(n^2 m) per step and hangs on the n = 442 diabetes
   data.  A square factor, the Cholesky factor of the m x m covariance,
   costs O(n m^2) per call and O(n m^3) per step instead: it is the one
   used unless 3 n < m^2, when the thin n-column factor is cheaper (and
   exact for the rank-deficient covariance of n <= m samples).  */
static int
reg_thin (size_t n, size_t m)
{
  return 3 * n < m * m;
}

/* WORK per path: g (m), then for the square factor the covariance (m m)
   and reg_covariance's scratch (m m + 3 m + 1).  */
static size_t
reg_work (size_t n, size_t m)
{
  return reg_thin (n, m) ? m : m + 2 * m * m + 3 * m + 1;
}

static int
reg_factor (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m;
  double *g = work;
  int st = reg_mean_grad (pb, P, x, NULL, 0, g);
  if (st)
    return st;
  if (reg_thin (n, m))
    {
      const double c = 1 / sqrt ((double)n);
      for (size_t p = 0; p < P; p++)
        for (size_t i = 0; i < n; i++)
          {
            const double *zi = ds->Z + i * m;
            double mi = 0;
            for (size_t j = 0; j < m; j++)
              mi += zi[j] * x[j * P + p];
            double d = dloss (ds, mi, ds->y[i]);
            for (size_t j = 0; j < m; j++)
              out[(j * n + i) * P + p]
                  = c * (d * zi[j] + ds->ridge * x[j * P + p] - g[j * P + p]);
          }
      return GSL_SUCCESS;
    }
  double *C = g + m * P, *scratch = C + m * m * P;
  reg_covariance (ds, P, x, g, C, scratch);
  psd_cholesky (m, P, C, out, scratch);
  return GSL_SUCCESS;
}

/* Seeded Gaussian Z, w* and y = Z w* + noise e into DS; what it allocated
   stays in DS, also on failure.  */
static int
synthetic (dataset *ds, size_t n, size_t m, uint64_t seed, double noise,
           double *wstar)
{
  ds->n = n;
  ds->m = m;
  ds->Z = malloc (n * m * sizeof (double));
  ds->y = malloc (n * sizeof (double));
  double *e = malloc (n * sizeof (double));
  sde_rng *r = sde_rng_alloc (NULL, seed);
  if (ds->Z == NULL || ds->y == NULL || e == NULL || r == NULL)
    {
      free (e);
      sde_rng_free (r);
      GSL_ERROR ("out of memory for the synthetic data", GSL_ENOMEM);
    }
  int st = sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0, 0, 1, n * m, ds->Z, 1);
  if (st == GSL_SUCCESS)
    st = sde_rng_sample (r, SDE_RNG_NORMAL, 0, 1, 0, 0, 1, m, wstar, 1);
  if (st == GSL_SUCCESS)
    st = sde_rng_sample (r, SDE_RNG_NORMAL, 0, 2, 0, 0, 1, n, e, 1);
  sde_rng_free (r);
  for (size_t i = 0; st == GSL_SUCCESS && i < n; i++)
    {
      double s = 0;
      for (size_t j = 0; j < m; j++)
        s += ds->Z[i * m + j] * wstar[j];
      ds->y[i] = s + noise * e[i];
    }
  free (e);
  return st;
}

/* The data of linreg and logreg into DS, and its canonical text.  */
static int
linreg_data (sde_spec *spec, const char *datadir, dataset *ds, char *canon,
             size_t clen)
{
  const char *src = sde_spec_string (spec, "data");
  double n = 200, m = 5, seed = 1, noise = 0.5;
  int st;
  if (src == NULL || strcmp (src, "diabetes") == 0)
    {
      st = read_diabetes (datadir, ds);
      snprintf (canon, clen, "data=diabetes");
      return st;
    }
  if (strcmp (src, "synthetic") != 0)
    return sde_error (GSL_EINVAL, "%s: data=%s: use diabetes or synthetic",
                      spec->name, src);
  if ((st = sde_spec_double (spec, "n", n, 2, 1e7, &n))
      || (st = sde_spec_double (spec, "m", m, 1, 64, &m))
      || (st = sde_spec_double (spec, "seed", seed, 0, 4294967295.0, &seed))
      || (st = sde_spec_double (spec, "noise", noise, 0, 1e6, &noise)))
    return st;
  if (n != floor (n) || m != floor (m) || seed != floor (seed))
    return sde_error (GSL_EINVAL, "%s: n, m and seed must be integers",
                      spec->name);
  double wstar[64];
  if ((st = synthetic (ds, (size_t)n, (size_t)m, (uint64_t)seed, noise, wstar)))
    return st;
  snprintf (canon, clen, "data=synthetic,n=%.0f,m=%.0f,seed=%.0f,noise=%s", n,
            m, seed, sde__num (noise));
  return GSL_SUCCESS;
}

/* Least squares: standardised response; logistic: +-1 about the
   median.  */
static int
linreg_response (dataset *ds, int logistic)
{
  if (!logistic)
    {
      standardise (ds->y, ds->n, 1);
      return GSL_SUCCESS;
    }
  double *ys = malloc (ds->n * sizeof (double));
  if (ys == NULL)
    GSL_ERROR ("logreg: out of memory", GSL_ENOMEM);
  memcpy (ys, ds->y, ds->n * sizeof (double));
  gsl_sort (ys, 1, ds->n);
  double med = 0.5 * (ys[(ds->n - 1) / 2] + ys[ds->n / 2]);
  for (size_t i = 0; i < ds->n; i++)
    ds->y[i] = ds->y[i] > med ? 1.0 : -1.0;
  free (ys);
  return GSL_SUCCESS;
}

/* The constant Hessian Z^T Z / n + ridge I of least squares.  */
static int
linreg_hessian (sde_owned_problem *op, const dataset *ds, double ridge)
{
  op->hess = malloc (ds->m * ds->m * sizeof (double));
  if (op->hess == NULL)
    return sde_error (GSL_ENOMEM, "linreg: out of memory");
  double *H = op->hess;
  for (size_t j = 0; j < ds->m * ds->m; j++)
    H[j] = 0;
  for (size_t i = 0; i < ds->n; i++)
    for (size_t j = 0; j < ds->m; j++)
      for (size_t k = 0; k < ds->m; k++)
        H[j * ds->m + k] += ds->Z[i * ds->m + j] * ds->Z[i * ds->m + k];
  for (size_t j = 0; j < ds->m; j++)
    for (size_t k = 0; k < ds->m; k++)
      H[j * ds->m + k]
          = H[j * ds->m + k] / (double)ds->n + (j == k ? ridge : 0.0);
  op->pb.hess_const = H;
  return GSL_SUCCESS;
}

int
sde__problem_linreg (sde_owned_problem **out, sde_spec *spec,
                     const char *datadir, int logistic)
{
  dataset *ds = calloc (1, sizeof *ds);
  if (ds == NULL)
    return sde_error (GSL_ENOMEM, "%s: out of memory", spec->name);
  double ridge;
  char canon[256];
  ds->logistic = logistic;
  int st = linreg_data (spec, datadir, ds, canon, sizeof canon);
  if (st == GSL_SUCCESS)
    st = sde_spec_double (spec, "ridge", logistic ? 0.01 : 0.0, 0, 1e6, &ridge);
  if (st == GSL_SUCCESS)
    {
      ds->ridge = ridge;
      standardise (ds->Z, ds->n, ds->m);
      st = linreg_response (ds, logistic);
    }
  sde_owned_problem *op = NULL;
  if (st == GSL_SUCCESS)
    op = sde__problem_new (logistic ? "logreg" : "linreg", ds->m,
                           reg_thin (ds->n, ds->m) ? ds->n : ds->m);
  if (st == GSL_SUCCESS && op == NULL)
    st = GSL_ENOMEM; /* reported */
  if (st)
    {
      dataset_free (ds);
      return st;
    }
  *out = op;
  op->extra = ds;
  op->destroy = data_destroy;
  snprintf (op->spec, sizeof op->spec, "%s:%s", op->pb.name, canon);
  sde__spec_add (op, "ridge", &ridge, 1);
  op->pb.loss = reg_loss;
  op->pb.grad = reg_grad;
  op->pb.hess = reg_hess;
  op->pb.third = reg_third;
  op->pb.factor = reg_factor;
  op->pb.batch = reg_batch;
  op->pb.nsamples = ds->n;
  op->pb.law = SDE_ORACLE_MINIBATCH;
  op->pb.work = reg_work (ds->n, ds->m);
  if (!logistic && (st = linreg_hessian (op, ds, ridge)))
    return st;
  return sde__param_x0 (op, spec, 0.0);
}

/* ---- Sparse regression w = u * v, x = (u, v), d = 2m. ---- */

/* Residuals f_i = <z_i, u * v> - y_i of one path into f (n).  */
static void
sparse_residuals (const dataset *ds, size_t P, size_t p, const double *x,
                  double *f)
{
  const size_t n = ds->n, m = ds->m;
  for (size_t i = 0; i < n; i++)
    {
      double s = -ds->y[i];
      for (size_t j = 0; j < m; j++)
        s += ds->Z[i * m + j] * x[j * P + p] * x[(m + j) * P + p];
      f[i] = s;
    }
}

static int
sparse_loss (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  for (size_t p = 0; p < P; p++)
    {
      sparse_residuals (ds, P, p, x, work);
      double s = 0;
      for (size_t i = 0; i < ds->n; i++)
        s += work[i] * work[i];
      out[p] = s / (2.0 * (double)ds->n);
    }
  return GSL_SUCCESS;
}

static int
sparse_grad (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m;
  for (size_t p = 0; p < P; p++)
    {
      sparse_residuals (ds, P, p, x, work);
      for (size_t j = 0; j < m; j++)
        {
          double s = 0;
          for (size_t i = 0; i < n; i++)
            s += work[i] * ds->Z[i * m + j];
          s /= (double)n;
          out[j * P + p] = s * x[(m + j) * P + p];
          out[(m + j) * P + p] = s * x[j * P + p];
        }
    }
  return GSL_SUCCESS;
}

/* grad f_i = (z_i * v, z_i * u); hess f_i has z_ij at (u_j, v_j) and
   (v_j, u_j).  */
static int
sparse_hess (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m, d = 2 * m;
  memset (out, 0, sizeof (double) * d * d * P);
  double *g = work + n;
  for (size_t p = 0; p < P; p++)
    {
      sparse_residuals (ds, P, p, x, work);
      for (size_t i = 0; i < n; i++)
        {
          const double *zi = ds->Z + i * m;
          for (size_t j = 0; j < m; j++)
            {
              g[j] = zi[j] * x[(m + j) * P + p];
              g[m + j] = zi[j] * x[j * P + p];
            }
          for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++)
              out[(a * d + b) * P + p] += g[a] * g[b];
          for (size_t j = 0; j < m; j++)
            {
              out[(j * d + m + j) * P + p] += work[i] * zi[j];
              out[((m + j) * d + j) * P + p] += work[i] * zi[j];
            }
        }
      for (size_t k = 0; k < d * d; k++)
        out[k * P + p] /= (double)n;
    }
  return GSL_SUCCESS;
}

/* L'''[S] = (1/n) sum_i (H_i S^T g_i + g_i <H_i, S> + H_i S g_i), with
   g_i = grad f_i and H_i = hess f_i (constant).  */
static int
sparse_third (const sde_problem *pb, size_t P, const double *x, const double *S,
              double *out, double *work)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m, d = 2 * m;
  double *g = work, *t1 = g + d, *t2 = t1 + d;
  memset (out, 0, sizeof (double) * d * P);
  for (size_t p = 0; p < P; p++)
    for (size_t i = 0; i < n; i++)
      {
        const double *zi = ds->Z + i * m;
        for (size_t j = 0; j < m; j++)
          {
            g[j] = zi[j] * x[(m + j) * P + p];
            g[m + j] = zi[j] * x[j * P + p];
          }
        /* t1 = S^T g, t2 = S g; <H_i, S> = sum_j z_ij (S_{u_j v_j} +
           S_{v_j u_j}).  */
        double hs = 0;
        for (size_t a = 0; a < d; a++)
          {
            double s1 = 0, s2 = 0;
            for (size_t b = 0; b < d; b++)
              {
                s1 += S[(b * d + a) * P + p] * g[b];
                s2 += S[(a * d + b) * P + p] * g[b];
              }
            t1[a] = s1;
            t2[a] = s2;
          }
        for (size_t j = 0; j < m; j++)
          hs += zi[j]
                * (S[(j * d + m + j) * P + p] + S[((m + j) * d + j) * P + p]);
        /* H_i y swaps the u and v halves and scales by z_i.  */
        for (size_t j = 0; j < m; j++)
          {
            out[j * P + p]
                += (zi[j] * (t1[m + j] + t2[m + j]) + g[j] * hs) / (double)n;
            out[(m + j) * P + p]
                += (zi[j] * (t1[j] + t2[j]) + g[m + j] * hs) / (double)n;
          }
      }
  return GSL_SUCCESS;
}

/* Label noise: (1/n) sum_i eps_i grad f_i with eps_i = +-delta, i.e. the
   factor (delta/n) [grad f_1 ... grad f_n] with Rademacher variates.  */
static int
sparse_factor (const sde_problem *pb, size_t P, const double *x, double *out,
               double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t n = ds->n, m = ds->m;
  const double c = ds->delta / (double)n;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < m; j++)
      for (size_t p = 0; p < P; p++)
        {
          double zij = ds->Z[i * m + j];
          out[(j * n + i) * P + p] = c * zij * x[(m + j) * P + p];
          out[((m + j) * n + i) * P + p] = c * zij * x[j * P + p];
        }
  return GSL_SUCCESS;
}

/* Phi in closed form when Z has full column rank (n >= m).  The flow
   keeps c_j = u_j^2 - v_j^2 constant, and in w = u * v it is the gradient
   flow dw_j/dt = -sqrt(c_j^2 + 4 w_j^2) dL/dw_j of a strongly convex loss
   under a metric bounded below by |c_j|, so it ends at the least-squares
   w*: then u_j^2 = (c_j + r_j)/2, v_j^2 = (r_j - c_j)/2 with r_j =
   sqrt(c_j^2 + 4 w*_j^2), the sign of u_j kept when c_j > 0 (u_j never
   vanishes) and that of v_j when c_j < 0.  A balanced coordinate (c_j = 0)
   stays balanced and reaches w*_j only when u_j v_j has its sign.  */
static int
sparse_phi (const sde_problem *pb, size_t P, const double *x, double *out,
            double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t m = ds->m;
  for (size_t p = 0; p < P; p++)
    for (size_t j = 0; j < m; j++)
      {
        const double u = x[j * P + p], v = x[(m + j) * P + p];
        const double w = ds->wls[j], c = u * u - v * v;
        const double r = hypot (c, 2 * w);
        double uu = sqrt (fmax (0.5 * (c + r), 0)),
               vv = sqrt (fmax (0.5 * (r - c), 0));
        if (fabs (c) <= 1e-14 * (u * u + v * v))
          {
            if (w != 0 && (u * v) * w <= 0)
              return sde_error (GSL_EDOM,
                                "sparse: coordinate %zu is balanced (u = "
                                "+-v) with the wrong sign: the flow stops at "
                                "u = v = 0, not at a minimizer",
                                j);
            uu = vv = sqrt (fabs (w));
          }
        double su = u < 0 ? -1 : 1, sv = v < 0 ? -1 : 1;
        if (c > 0)
          sv = w < 0 ? -su : su;
        else if (c < 0)
          su = w < 0 ? -sv : sv;
        out[j * P + p] = su * uu;
        out[(m + j) * P + p] = sv * vv;
      }
  return GSL_SUCCESS;
}

/* The least-squares w* of Z w = y by Cholesky of Z^T Z into a new *WOUT,
   or NULL when Z has no full column rank: then Phi is left to the gradient
   flow.  Returns GSL_SUCCESS or GSL_ENOMEM.  */
static int
least_squares (const dataset *ds, double **wout)
{
  const size_t n = ds->n, m = ds->m;
  *wout = NULL;
  if (n < m)
    return GSL_SUCCESS;
  double *A = calloc (m * m + m, sizeof (double));
  if (A == NULL)
    return sde_error (GSL_ENOMEM, "sparse: out of memory");
  double *b = A + m * m;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < m; j++)
      {
        b[j] += ds->Z[i * m + j] * ds->y[i];
        for (size_t k = 0; k < m; k++)
          A[j * m + k] += ds->Z[i * m + j] * ds->Z[i * m + k];
      }
  /* In-place Cholesky A = R^T R (upper R), refusing near-singular ZtZ.  */
  double amax = 0;
  for (size_t j = 0; j < m; j++)
    amax = fmax (amax, A[j * m + j]);
  for (size_t j = 0; j < m; j++)
    {
      double dsum = A[j * m + j];
      for (size_t k = 0; k < j; k++)
        dsum -= A[k * m + j] * A[k * m + j];
      if (!(dsum > 1e-10 * amax))
        {
          free (A);
          return GSL_SUCCESS;
        }
      A[j * m + j] = sqrt (dsum);
      for (size_t i = j + 1; i < m; i++)
        {
          double t = A[j * m + i];
          for (size_t k = 0; k < j; k++)
            t -= A[k * m + j] * A[k * m + i];
          A[j * m + i] = t / A[j * m + j];
        }
    }
  double *w = calloc (m, sizeof (double));
  if (w == NULL)
    {
      free (A);
      return sde_error (GSL_ENOMEM, "sparse: out of memory");
    }
  for (size_t j = 0; j < m; j++) /* R^T z = b */
    {
      double t = b[j];
      for (size_t k = 0; k < j; k++)
        t -= A[k * m + j] * w[k];
      w[j] = t / A[j * m + j];
    }
  for (size_t j = m; j-- > 0;) /* R w = z */
    {
      double t = w[j];
      for (size_t k = j + 1; k < m; k++)
        t -= A[j * m + k] * w[k];
      w[j] = t / A[j * m + j];
    }
  free (A);
  *wout = w;
  return GSL_SUCCESS;
}

int
sde__problem_sparse (sde_owned_problem **out, sde_spec *spec,
                     const char *datadir)
{
  (void)datadir;
  double m, n, k, seed, delta;
  int st;
  if ((st = sde_spec_double (spec, "m", 10, 1, 32, &m))
      || (st = sde_spec_double (spec, "n", 20, 1, 10000, &n))
      || (st = sde_spec_double (spec, "k", 2, 0, 32, &k))
      || (st = sde_spec_double (spec, "seed", 1, 0, 4294967295.0, &seed))
      || (st = sde_spec_double (spec, "delta", 1, 0, 1e6, &delta)))
    return st;
  if (m != floor (m) || n != floor (n) || k != floor (k) || k > m
      || seed != floor (seed))
    return sde_error (GSL_EINVAL, "sparse: m, n, k, seed must be integers "
                                  "with k <= m");
  dataset *ds = calloc (1, sizeof *ds);
  if (ds == NULL)
    return sde_error (GSL_ENOMEM, "sparse: out of memory");
  double wstar[64];
  if ((st = synthetic (ds, (size_t)n, (size_t)m, (uint64_t)seed, 0.0, wstar)))
    {
      dataset_free (ds);
      return st;
    }
  /* Ground truth: ones on the first k coordinates.  */
  for (size_t i = 0; i < ds->n; i++)
    {
      double s = 0;
      for (size_t j = 0; j < (size_t)k; j++)
        s += ds->Z[i * ds->m + j];
      ds->y[i] = s;
    }
  ds->delta = delta;
  sde_owned_problem *op = sde__problem_new ("sparse", 2 * ds->m, ds->n);
  if (op == NULL)
    {
      dataset_free (ds);
      return GSL_ENOMEM;
    }
  *out = op;
  op->extra = ds;
  op->destroy = data_destroy;
  snprintf (op->spec, sizeof op->spec,
            "sparse:m=%.0f,n=%.0f,k=%.0f,seed=%.0f,delta=%s", m, n, k, seed,
            sde__num (delta));
  op->pb.loss = sparse_loss;
  op->pb.grad = sparse_grad;
  op->pb.hess = sparse_hess;
  op->pb.third = sparse_third;
  op->pb.factor = sparse_factor;
  if ((st = least_squares (ds, &ds->wls)))
    return st;
  if (ds->wls)
    op->pb.phi = sparse_phi;
  op->pb.law = SDE_ORACLE_RADEMACHER;
  op->pb.work = ds->n + 6 * ds->m; /* residuals, then g (2m) x 3 */
  return sde__param_x0 (op, spec, 0.1);
}
