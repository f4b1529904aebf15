/* oracle.c: noisy gradient oracles g = grad L + sigma z (MATH.md section
   2): Gaussian, Rademacher and scaled Student-t noise through the factor
   S(x), minibatches with and without replacement (Floyd's sampling of B of
   n without replacement, CACM 30(9), 1987), and SVAG(l) of Li, Malladi &
   Arora, "On the validity of modeling SGD with SDEs", NeurIPS 2021.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fused.h"
#include "problem_internal.h"
#include "sdekit/problem.h"
#include "sdekit/spec.h"
#include "simd.h"

static const char *const law_names[SDE_ORACLE_NLAWS]
    = { "none", "gaussian", "rademacher", "student", "minibatch" };

const char *
sde_oracle_law_name (sde_oracle_law law)
{
  return (unsigned)law < SDE_ORACLE_NLAWS ? law_names[law] : NULL;
}

int
sde_oracle_law_find (const char *name)
{
  for (int i = 0; name && i < SDE_ORACLE_NLAWS; i++)
    if (strcmp (name, law_names[i]) == 0)
      return i;
  if (name && strcmp (name, "label") == 0)
    return SDE_ORACLE_RADEMACHER;
  return -1;
}

int
sde_oracle_check (const sde_oracle *o)
{
  const sde_problem *pb = o->prob;
  if (pb == NULL)
    GSL_ERROR ("oracle needs a problem", GSL_EINVAL);
  if ((unsigned)o->law >= SDE_ORACLE_NLAWS)
    GSL_ERROR ("unknown oracle law", GSL_EINVAL);
  if (o->svag < 1)
    return sde_error (GSL_EINVAL, "svag: l must be >= 1 (got %u)", o->svag);
  if (!(o->sigma >= 0) || !isfinite (o->sigma))
    return sde_error (GSL_EINVAL, "noise scale sigma must be finite and >= 0");
  switch (o->law)
    {
    case SDE_ORACLE_STUDENT:
      if (!(o->nu > 2) || !isfinite (o->nu))
        return sde_error (GSL_EINVAL,
                          "student: nu must be finite and > 2 (got %g)", o->nu);
      /* fall through */
    case SDE_ORACLE_GAUSSIAN:
    case SDE_ORACLE_RADEMACHER:
      if (pb->factor == NULL && pb->factor_const == NULL)
        return sde_error (GSL_EINVAL, "%s has no noise factor S(x)", pb->name);
      break;
    case SDE_ORACLE_MINIBATCH:
      if (pb->batch == NULL || pb->nsamples == 0)
        return sde_error (GSL_EINVAL,
                          "minibatch noise needs a finite-sum problem "
                          "(linreg, logreg); %s is not one",
                          pb->name);
      if (o->batch < 1 || o->batch > pb->nsamples)
        return sde_error (GSL_EINVAL,
                          "minibatch: B = %zu must be in [1, n = %zu]",
                          o->batch, pb->nsamples);
      break;
    default:
      break;
    }
  return GSL_SUCCESS;
}

size_t
sde_oracle_nvar (const sde_oracle *o)
{
  size_t k = o->svag > 1 ? 2 : 1;
  switch (o->law)
    {
    case SDE_ORACLE_GAUSSIAN:
    case SDE_ORACLE_RADEMACHER:
    case SDE_ORACLE_STUDENT:
      return k * o->prob->noise_dim;
    case SDE_ORACLE_MINIBATCH:
      return k * o->batch;
    default:
      return 0;
    }
}

/* Doubles of the per-path factor S(x) in the workspace: none when S is
   constant (it is used as it is), S(x) z alone when the problem forms
   that product without S.  */
static size_t
factor_len (const sde_problem *pb, size_t P)
{
  if (pb->factor_const)
    return 0;
  if (sde__problem_factor_apply (pb))
    return pb->dim * P;
  return pb->dim * pb->noise_dim * P;
}

size_t
sde_oracle_work (const sde_oracle *o, size_t P)
{
  const sde_problem *pb = o->prob;
  const size_t d = pb->dim, r = pb->noise_dim;
  /* factor, second minibatch gradient, the combined variates, and the
     problem's own scratch; uniforms for Floyd's sampling.  */
  return factor_len (pb, P) + P * (d + r + pb->work + 2 * o->batch);
}

/* Floyd: B distinct indices of n from B uniforms (one path).  */
static void
floyd (size_t n, size_t B, const double *u, size_t P, uint32_t *out)
{
  for (size_t k = 0; k < B; k++)
    {
      size_t j = n - B + k;
      size_t t = (size_t)(u[k * P] * (double)(j + 1));
      if (t > j)
        t = j;
      for (size_t q = 0; q < k; q++)
        if (out[q * P] == t)
          {
            t = j;
            break;
          }
      out[k * P] = (uint32_t)t;
    }
}

int
sde_oracle_sample (const sde_oracle *o, sde_rng *rng, uint32_t stream,
                   uint64_t step, uint64_t path0, size_t P, double *z,
                   uint32_t *idx)
{
  const size_t nv = sde_oracle_nvar (o);
  switch (o->law)
    {
    case SDE_ORACLE_GAUSSIAN:
      return sde_rng_sample (rng, SDE_RNG_NORMAL, 0, stream, step, path0, P, nv,
                             z, P);
    case SDE_ORACLE_RADEMACHER:
      return sde_rng_sample (rng, SDE_RNG_TWOPOINT, 0, stream, step, path0, P,
                             nv, z, P);
    case SDE_ORACLE_STUDENT:
      return sde_rng_sample (rng, SDE_RNG_STUDENT, o->nu, stream, step, path0,
                             P, nv, z, P);
    case SDE_ORACLE_MINIBATCH:
      if (o->replace)
        return sde_rng_sample_index (rng, (uint32_t)o->prob->nsamples, stream,
                                     step, path0, P, nv, idx, P);
      else
        {
          /* z is the caller's double buffer of nv rows: uniforms.  */
          int st = sde_rng_sample (rng, SDE_RNG_UNIFORM, 0, stream, step, path0,
                                   P, nv, z, P);
          if (st)
            return st;
          const size_t B = o->batch;
          for (size_t h = 0; h < nv / B; h++)
            for (size_t p = 0; p < P; p++)
              floyd (o->prob->nsamples, B, z + h * B * P + p, P,
                     idx + h * B * P + p);
          return GSL_SUCCESS;
        }
    default:
      return GSL_SUCCESS;
    }
}

/* SVAG's weights r12 = (1 +- sqrt(2l - 1)) / 2: r1 + r2 = 1,
   r1^2 + r2^2 = l.  */
static void
svag_weights (unsigned l, double *r1, double *r2)
{
  double s = sqrt (2.0 * l - 1.0);
  *r1 = 0.5 * (1 + s);
  *r2 = 0.5 * (1 - s);
}

/* g += sigma S zeta for a constant S, as analysed: term by term over a
   row's nonzeros (in column order, zero products skipped), or one dgemm
   for a dense S ...  */
SDE_CLONES static int
add_const_noise (const sde__cmat *S, size_t P, double sg,
                 const double *restrict zeta, double *restrict g)
{
  if (S->dense)
    return sde__gemm (S->rows, S->cols, sg, S->a, P, zeta, 1.0, g);
  for (size_t i = 0; i < S->rows; i++)
    {
      size_t lo, hi;
      sde__cm_row (S, i, &lo, &hi);
      for (size_t k = lo; k < hi; k++)
        {
          const double c = sg * sde__cm_val (S, i, k);
          if (c == 0)
            continue;
          const double *zj = zeta + sde__cm_col (S, i, k) * P;
          double *gi = g + i * P;
          for (size_t p = 0; p < P; p++)
            gi[p] += c * zj[p];
        }
    }
  return GSL_SUCCESS;
}

/* ... and for S(x) given per path (fac[(i*r + j)*P + p]).  */
SDE_CLONES static void
add_noise (size_t d, size_t r, size_t P, double sg, const double *fac,
           const double *restrict zeta, double *restrict g)
{
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < r; j++)
      {
        const double *fij = fac + (i * r + j) * P, *zj = zeta + j * P;
        double *gi = g + i * P;
        for (size_t p = 0; p < P; p++)
          gi[p] += sg * fij[p] * zj[p];
      }
}

int
sde_oracle_apply (const sde_oracle *o, size_t P, const double *x,
                  const double *z, const uint32_t *idx, double *g, double *work)
{
  const sde_problem *pb = o->prob;
  const size_t d = pb->dim, r = pb->noise_dim;
  double *fac = work, *g2 = fac + factor_len (pb, P), *zz = g2 + d * P;
  double *pw = zz + r * P;
  int st;
  if (o->law == SDE_ORACLE_MINIBATCH)
    {
      st = pb->batch (pb, P, x, idx, o->batch, g, pw);
      if (st || o->svag == 1)
        return st;
      st = pb->batch (pb, P, x, idx + o->batch * P, o->batch, g2, pw);
      if (st)
        return st;
      double r1, r2;
      svag_weights (o->svag, &r1, &r2);
      for (size_t k = 0; k < d * P; k++)
        g[k] = r1 * g[k] + r2 * g2[k];
      return GSL_SUCCESS;
    }
  /* A finite sum forms S(x) z with the gradient, in one pass.  */
  const sde__factor_apply_fn fa = sde__problem_factor_apply (pb);
  const int noisy = o->law != SDE_ORACLE_NONE && o->sigma != 0;
  if (fa == NULL || !noisy)
    {
      st = pb->grad (pb, P, x, g, pw);
      if (st || !noisy)
        return st;
    }
  /* The noise variates, combined for SVAG: r1 z1 + r2 z2.  */
  const double *zeta = z;
  if (o->svag > 1)
    {
      double r1, r2;
      svag_weights (o->svag, &r1, &r2);
      for (size_t k = 0; k < r * P; k++)
        zz[k] = r1 * z[k] + r2 * z[r * P + k];
      zeta = zz;
    }
  if (pb->factor_const)
    {
      sde__cmat view;
      return add_const_noise (sde__problem_factor_cm (pb, &view), P, o->sigma,
                              zeta, g);
    }
  if (fa)
    {
      if ((st = fa (pb, P, x, zeta, fac, g, pw)))
        return st;
      for (size_t k = 0; k < d * P; k++)
        g[k] += o->sigma * fac[k];
      return GSL_SUCCESS;
    }
  st = pb->factor (pb, P, x, fac, pw);
  if (st)
    return st;
  add_noise (d, r, P, o->sigma, fac, zeta, g);
  return GSL_SUCCESS;
}

int
sde__oracle_sgd_fusable (const sde_oracle *o)
{
  return o->law == SDE_ORACLE_GAUSSIAN && o->svag == 1
         && o->prob->factor_const != NULL;
}

/* x -= lr (g + c z) row by row: the noise add of add_const_noise (terms
   with c = 0 skipped alike) with the last term fused into SGD's update,
   so the operations and their order are those of the two passes; for a
   dense S, add_const_noise's dgemm and then the update.  */
SDE_CLONES static int
sgd_const_noise (const sde__cmat *S, size_t P, double sg,
                 const double *restrict zeta, double lr, double *restrict g,
                 double *restrict x)
{
  if (S && S->dense)
    {
      int st = add_const_noise (S, P, sg, zeta, g);
      for (size_t k = 0; k < S->rows * P; k++)
        x[k] -= lr * g[k];
      return st;
    }
  for (size_t i = 0; S && i < S->rows; i++)
    {
      double *gi = g + i * P, *xi = x + i * P;
      size_t lo, hi, last;
      sde__cm_row (S, i, &lo, &hi);
      for (last = hi; last > lo && sg * sde__cm_val (S, i, last - 1) == 0;)
        last--;
      for (size_t k = lo; k + 1 < last; k++)
        {
          const double c = sg * sde__cm_val (S, i, k);
          if (c == 0)
            continue;
          const double *zj = zeta + sde__cm_col (S, i, k) * P;
          for (size_t p = 0; p < P; p++)
            gi[p] += c * zj[p];
        }
      if (last == lo)
        for (size_t p = 0; p < P; p++)
          xi[p] -= lr * gi[p];
      else
        {
          const double c = sg * sde__cm_val (S, i, last - 1);
          const double *zj = zeta + sde__cm_col (S, i, last - 1) * P;
          for (size_t p = 0; p < P; p++)
            xi[p] -= lr * (gi[p] + c * zj[p]);
        }
    }
  return GSL_SUCCESS;
}

int
sde__oracle_sgd_step (const sde_oracle *o, double lr, size_t P, double *x,
                      const double *z, double *g, double *work)
{
  const sde_problem *pb = o->prob;
  const size_t d = pb->dim, r = pb->noise_dim;
  double *pw = work + d * P + r * P; /* as sde_oracle_apply */
  int st = pb->grad (pb, P, x, g, pw);
  if (st)
    return st;
  /* sigma = 0 adds no noise at all, as in sde_oracle_apply (0 * inf in
     S would otherwise be NaN).  */
  if (o->sigma == 0)
    {
      for (size_t k = 0; k < d * P; k++)
        x[k] -= lr * g[k];
      return GSL_SUCCESS;
    }
  sde__cmat view;
  return sgd_const_noise (sde__problem_factor_cm (pb, &view), P, o->sigma, z,
                          lr, g, x);
}
