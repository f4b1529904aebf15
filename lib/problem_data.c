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
    return sde_error (GSL_ENOMEM, "data=diabetes: out of memory");
  ds->Z = Z;
  double *y = realloc (ds->y, c * sizeof (double));
  if (y == NULL)
    return sde_error (GSL_ENOMEM, "data=diabetes: out of memory");
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
      return sde_error (GSL_ENOMEM, "data=diabetes: out of memory");
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

/* Eight paths in GCC's generic vectors: lane by lane IEEE arithmetic on
   every instruction set the clones target.  */
typedef double v8d __attribute__ ((vector_size (64)));

/* The 8 doubles at A into *V (no vector return: the default clone's ABI
   has no 64-byte vectors).  */
static inline __attribute__ ((always_inline)) void
v8_load (v8d *v, const double *a)
{
  memcpy (v, a, sizeof *v);
}

/* The sums of one pass over the data for 8 paths (x: m rows, leading
   dimension LDX): A_j = sum_i c_i z_ij with c_i = l_i'(z_i . x), and with
   W (n rows of noise variates, leading dimension LDW) also
   BW_j = sum_i (w_i c_i) z_ij and WS = sum_i w_i; samples in order, each
   path's margin summed over j in order, as reg_mean_grad sums them.  The
   block stays in registers and L1 over the n samples.  */
static inline __attribute__ ((always_inline)) void
reg_block (const dataset *ds, int logistic, const double *restrict x,
           size_t ldx, const double *restrict w, size_t ldw, v8d *restrict A,
           v8d *restrict BW, v8d *WS)
{
  const size_t n = ds->n, m = ds->m;
  v8d X[64];
  const v8d zero = { 0 };
  for (size_t j = 0; j < m; j++)
    {
      v8_load (&X[j], x + j * ldx);
      A[j] = BW[j] = zero;
    }
  v8d ws = zero;
  for (size_t i = 0; i < n; i++)
    {
      const double *zi = ds->Z + i * m, yi = ds->y[i];
      v8d mi = zero, c = zero;
      for (size_t j = 0; j < m; j++)
        mi += zi[j] * X[j];
      if (logistic)
        for (int l = 0; l < 8; l++)
          c[l] = -yi * sigmoid (-yi * mi[l]);
      else
        c = mi - yi;
      for (size_t j = 0; j < m; j++)
        A[j] += c * zi[j];
      if (w == NULL)
        continue;
      v8d wi;
      v8_load (&wi, w + i * ldw);
      ws += wi;
      c = wi * c;
      for (size_t j = 0; j < m; j++)
        BW[j] += c * zi[j];
    }
  *WS = ws;
}

/* reg_block for one path, its operations in the same order.  */
static void
reg_one (const dataset *ds, const double *x, size_t ldx, const double *w,
         size_t ldw, double *A, double *BW, double *WS)
{
  const size_t n = ds->n, m = ds->m;
  for (size_t j = 0; j < m; j++)
    A[j] = BW[j] = 0;
  *WS = 0;
  for (size_t i = 0; i < n; i++)
    {
      const double *zi = ds->Z + i * m;
      double mi = 0;
      for (size_t j = 0; j < m; j++)
        mi += zi[j] * x[j * ldx];
      double c = dloss (ds, mi, ds->y[i]);
      for (size_t j = 0; j < m; j++)
        A[j] += c * zi[j];
      if (w == NULL)
        continue;
      *WS += w[i * ldw];
      c = w[i * ldw] * c;
      for (size_t j = 0; j < m; j++)
        BW[j] += c * zi[j];
    }
}

/* grad L = A / n + ridge x into G (may be NULL) and, with noise, S(x) w =
   (BW - WS A / n) / sqrt(n) into SW, for path P0 of the block: column i
   of the thin factor is (grad l_i - grad L) / sqrt(n) = (c_i z_i - A / n)
   / sqrt(n), the ridge term cancelling.  */
static inline void
reg_store (const dataset *ds, size_t P, size_t p0, const double *x,
           const double *A, size_t lda, const double *BW, double WS, int noise,
           double *g, double *sw)
{
  const double nn = (double)ds->n, rn = 1 / sqrt (nn);
  for (size_t j = 0; j < ds->m; j++)
    {
      const size_t o = j * P + p0;
      if (g)
        g[o] = A[j * lda] / nn + ds->ridge * x[o];
      if (noise)
        sw[o] = (BW[j * lda] - WS * (A[j * lda] / nn)) * rn;
    }
}

/* grad L and, with W, S(x) w for P paths: 8 at a time in vectors, then
   the rest one by one.  */
SDE_CLONES static void
reg_pass (const dataset *ds, size_t P, const double *restrict x,
          const double *restrict w, double *restrict g, double *restrict sw)
{
  v8d A[64], BW[64], WS = { 0 };
  size_t p0 = 0;
  for (; p0 + 8 <= P; p0 += 8)
    {
      const double *wp = w ? w + p0 : NULL;
      if (ds->logistic)
        reg_block (ds, 1, x + p0, P, wp, P, A, BW, &WS);
      else
        reg_block (ds, 0, x + p0, P, wp, P, A, BW, &WS);
      for (size_t l = 0; l < 8; l++)
        reg_store (ds, P, p0 + l, x, (const double *)A + l, 8,
                   (const double *)BW + l, WS[l], w != NULL, g, sw);
    }
  for (; p0 < P; p0++)
    {
      double a[64], bw[64], ws;
      reg_one (ds, x + p0, P, w ? w + p0 : NULL, P, a, bw, &ws);
      reg_store (ds, P, p0, x, a, 1, bw, ws, w != NULL, g, sw);
    }
}

/* Mean of grad l_i over the index rows idx (B per path), or over all
   samples when idx is NULL; plus ridge x.  */
static int
reg_mean_grad (const sde_problem *pb, size_t P, const double *x,
               const uint32_t *idx, size_t B, double *out)
{
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  const size_t m = ds->m, cnt = idx ? B : ds->n;
  if (idx == NULL)
    {
      reg_pass (ds, P, x, NULL, out, NULL);
      return GSL_SUCCESS;
    }
  for (size_t j = 0; j < m; j++)
    for (size_t p = 0; p < P; p++)
      out[j * P + p] = 0;
  for (size_t p = 0; p < P; p++)
    for (size_t b = 0; b < cnt; b++)
      {
        size_t i = idx[b * P + p];
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

/* S(x) with S S^T = Sigma(x): the centred per-sample gradients
   themselves, (1/sqrt n) [grad l_1 - grad L, ..., grad l_n - grad L], a
   thin factor of n columns (r = n).  No covariance is formed or factored:
   S(x) z costs one pass over the data with the full gradient (reg_apply),
   which is what the oracles and Euler-Maruyama need.  A square factor
   (the Cholesky factor of the m x m covariance, O(n m^2) per call) does
   not make weak2 cheap: its 4 r + 1 calls per step cost O(n m^3) then,
   against O(n^2 m) for this one; the limit SDEs of finite sums step with
   Euler-Maruyama by default (sde-compare(1)).  */
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

/* S(x) z and grad L in one pass over the data.  */
static int
reg_apply (const sde_problem *pb, size_t P, const double *x, const double *z,
           double *sz, double *g, double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  reg_pass (ds, P, x, z, g, sz);
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
      return sde_error (GSL_ENOMEM, "out of memory for the synthetic data");
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
    return sde_error (GSL_ENOMEM, "logreg: out of memory");
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
    op = sde__problem_new (logistic ? "logreg" : "linreg", ds->m, ds->n);
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
  op->pb.work = ds->m; /* the gradient, for reg_factor */
  op->factor_apply = reg_apply;
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

/* One pass over the data for 8 paths (x: 2m rows, leading dimension
   LDX): S_j = sum_i f_i z_ij with the residuals f_i = <z_i, u * v> - y_i,
   and with W (n rows, leading dimension LDW) T_j = sum_i w_i z_ij; samples
   in order, a residual summed as sparse_residuals sums it.  */
static inline __attribute__ ((always_inline)) void
sparse_block (const dataset *ds, const double *restrict x, size_t ldx,
              const double *restrict w, size_t ldw, v8d *restrict S,
              v8d *restrict T)
{
  const size_t n = ds->n, m = ds->m;
  v8d U[32], V[32];
  const v8d zero = { 0 };
  for (size_t j = 0; j < m; j++)
    {
      v8_load (&U[j], x + j * ldx);
      v8_load (&V[j], x + (m + j) * ldx);
      S[j] = T[j] = zero;
    }
  for (size_t i = 0; i < n; i++)
    {
      const double *zi = ds->Z + i * m;
      v8d f = zero - ds->y[i];
      for (size_t j = 0; j < m; j++)
        f += zi[j] * U[j] * V[j];
      for (size_t j = 0; j < m; j++)
        S[j] += f * zi[j];
      if (w == NULL)
        continue;
      v8d wi;
      v8_load (&wi, w + i * ldw);
      for (size_t j = 0; j < m; j++)
        T[j] += wi * zi[j];
    }
}

/* sparse_block for one path, its operations in the same order.  */
static void
sparse_one (const dataset *ds, const double *x, size_t ldx, const double *w,
            size_t ldw, double *S, double *T)
{
  const size_t n = ds->n, m = ds->m;
  for (size_t j = 0; j < m; j++)
    S[j] = T[j] = 0;
  for (size_t i = 0; i < n; i++)
    {
      const double *zi = ds->Z + i * m;
      double f = -ds->y[i];
      for (size_t j = 0; j < m; j++)
        f += zi[j] * x[j * ldx] * x[(m + j) * ldx];
      for (size_t j = 0; j < m; j++)
        S[j] += f * zi[j];
      for (size_t j = 0; w && j < m; j++)
        T[j] += w[i * ldw] * zi[j];
    }
}

/* grad L = (s * v, s * u), s = Z^T f / n, into G (may be NULL), and with
   noise the label noise S(x) w = (delta/n) (T * v, T * u), T = Z^T w, for
   path P0.  */
static inline void
sparse_store (const dataset *ds, size_t P, size_t p0, const double *x,
              const double *S, const double *T, size_t lds, int noise,
              double *g, double *sw)
{
  const size_t m = ds->m;
  const double c = ds->delta / (double)ds->n;
  for (size_t j = 0; j < m; j++)
    {
      const size_t u = j * P + p0, v = (m + j) * P + p0;
      if (g)
        {
          const double sj = S[j * lds] / (double)ds->n;
          g[u] = sj * x[v];
          g[v] = sj * x[u];
        }
      if (noise)
        {
          sw[u] = c * T[j * lds] * x[v];
          sw[v] = c * T[j * lds] * x[u];
        }
    }
}

SDE_CLONES static void
sparse_pass (const dataset *ds, size_t P, const double *restrict x,
             const double *restrict w, double *restrict g, double *restrict sw)
{
  v8d S[32], T[32];
  size_t p0 = 0;
  for (; p0 + 8 <= P; p0 += 8)
    {
      sparse_block (ds, x + p0, P, w ? w + p0 : NULL, P, S, T);
      for (size_t l = 0; l < 8; l++)
        sparse_store (ds, P, p0 + l, x, (const double *)S + l,
                      (const double *)T + l, 8, w != NULL, g, sw);
    }
  for (; p0 < P; p0++)
    {
      double s1[32], t1[32];
      sparse_one (ds, x + p0, P, w ? w + p0 : NULL, P, s1, t1);
      sparse_store (ds, P, p0, x, s1, t1, 1, w != NULL, g, sw);
    }
}

static int
sparse_grad (const sde_problem *pb, size_t P, const double *x, double *out,
             double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  sparse_pass (ds, P, x, NULL, out, NULL);
  return GSL_SUCCESS;
}

/* S(x) z and grad L in one pass over the data.  */
static int
sparse_apply (const sde_problem *pb, size_t P, const double *x, const double *z,
              double *sz, double *g, double *work)
{
  (void)work;
  const dataset *ds = ((const sde_owned_problem *)pb->params)->extra;
  sparse_pass (ds, P, x, z, g, sz);
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
  op->factor_apply = sparse_apply;
  if ((st = least_squares (ds, &ds->wls)))
    return st;
  if (ds->wls)
    op->pb.phi = sparse_phi;
  op->pb.law = SDE_ORACLE_RADEMACHER;
  op->pb.work = ds->n + 6 * ds->m; /* residuals, then g (2m) x 3 */
  return sde__param_x0 (op, spec, 0.1);
}
