/* slow_tangent.c: the slow SDE on a one-dimensional manifold in its
   tangent form (MATH.md 6.2, our derivation from the arc-length
   coordinate of 6.1.1): dzeta = drift dt + t b dB, b^2 = t^T Sigma t, with
   dB = u . dW, u = sigma S^T t / b, so that the noise is scalar and
   Milstein applies (Kloeden & Platen 1992, eq. (10.3.3)) while the slow
   SDE keeps SGD's Brownian path.  */
#include <config.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/spec.h"
#include "slow_tangent.h"

enum
{
  MAXD = 64
};

/* The unit tangent from P = t t^T (its largest diagonal entry's column)
   and sigma S (d x r) and q = sigma S^T t at zeta.  */
static int
frame (sde_manifold *m, const double *zeta, double *t, double *S, double *q,
       double *Hplus)
{
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  double P[MAXD * MAXD];
  int st = sde_manifold_geometry (m, zeta, P, Hplus, NULL);
  if (st || (st = sde__slow_factor (m, zeta, S)))
    return st;
  size_t j = 0;
  for (size_t i = 1; i < d; i++)
    if (P[i * d + i] > P[j * d + j])
      j = i;
  const double n = sqrt (P[j * d + j]);
  for (size_t i = 0; i < d; i++)
    t[i] = P[i * d + j] / n;
  for (size_t c = 0; c < r; c++)
    {
      double s = 0;
      for (size_t i = 0; i < d; i++)
        s += S[i * r + c] * t[i];
      q[c] = s;
    }
  return GSL_SUCCESS;
}

/* d(b^2)/ds = 2 (S^T t') . q + 2 q . (S'^T t), S' the derivative of sigma
   S along t by a central difference (zero for a constant factor).  */
static int
db2_ds (sde_manifold *m, const double *zeta, const double *t, const double *dt,
        const double *S, const double *q, double *out)
{
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  double v = 0;
  for (size_t c = 0; c < r; c++)
    {
      double s = 0;
      for (size_t i = 0; i < d; i++)
        s += S[i * r + c] * dt[i];
      v += 2 * s * q[c];
    }
  if (!sde__slow_factor_const (m))
    {
      double y[MAXD], Sp[MAXD * MAXD], Sm[MAXD * MAXD], nz = 0;
      for (size_t i = 0; i < d; i++)
        nz += zeta[i] * zeta[i];
      const double e = 1e-5 * (1 + sqrt (nz));
      for (size_t i = 0; i < d; i++)
        y[i] = zeta[i] + e * t[i];
      int st = sde__slow_factor (m, y, Sp);
      for (size_t i = 0; i < d; i++)
        y[i] = zeta[i] - e * t[i];
      if (st || (st = sde__slow_factor (m, y, Sm)))
        return st;
      for (size_t c = 0; c < r; c++)
        {
          double s = 0;
          for (size_t i = 0; i < d; i++)
            s += (Sp[i * r + c] - Sm[i * r + c]) / (2 * e) * t[i];
          v += 2 * q[c] * s;
        }
    }
  *out = v;
  return GSL_SUCCESS;
}

int
sde__slow_tangent_coef (sde_manifold *m, const double *zeta, double *t,
                        double *b, double *db, double *dt)
{
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  double S[MAXD * MAXD], q[MAXD], Hp[MAXD * MAXD], tt[MAXD * MAXD], v[MAXD];
  int st = frame (m, zeta, t, S, q, Hp);
  if (st)
    return st;
  /* H t = 0 along Gamma, so H t' = -L'''[t t^T] and t' (normal, t unit)
     = -H+ L'''[t t^T].  */
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      tt[i * d + j] = t[i] * t[j];
  if ((st = sde__slow_third (m, zeta, tt, v)))
    return st;
  for (size_t i = 0; i < d; i++)
    {
      double s = 0;
      for (size_t j = 0; j < d; j++)
        s += Hp[i * d + j] * v[j];
      dt[i] = -s;
    }
  double b2 = 0, tr = 0;
  for (size_t c = 0; c < r; c++)
    b2 += q[c] * q[c];
  for (size_t k2 = 0; k2 < d * r; k2++)
    tr += S[k2] * S[k2];
  *b = sqrt (b2);
  *db = 0;
  /* No tangent noise (label noise on its valley): b is not
     differentiable there, and the noise term vanishes anyway.  */
  if (b2 <= 1e-24 * tr)
    return GSL_SUCCESS;
  double d2;
  if ((st = db2_ds (m, zeta, t, dt, S, q, &d2)))
    return st;
  *db = d2 / (2 * *b);
  return GSL_SUCCESS;
}

/* The block x pulled back to Phi(x) into y (paths whose Phi fails become
   NaN: they diverge).  */
static int
pull_back (sde_manifold *m, size_t P, const double *x, double *y)
{
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  memcpy (y, x, sizeof (double) * d * P);
  return sde_manifold_project (m, P, y, 1, NULL);
}

static int
tangent_drift (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  (void)t;
  sde_manifold *m = params;
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  int st = pull_back (m, P, x, work);
  for (size_t p = 0; p < P && !st; p++)
    {
      double z[MAXD], dr[MAXD];
      for (size_t i = 0; i < d; i++)
        z[i] = work[i * P + p];
      if ((st = sde_manifold_geometry (m, z, NULL, NULL, dr)))
        break;
      for (size_t i = 0; i < d; i++)
        out[i * P + p] = dr[i];
    }
  return st;
}

/* t q^T = P sigma S: the explicit form's noise, at Phi(x).  */
static int
tangent_diffusion (double t, size_t P, const double *x, double *out,
                   double *work, void *params)
{
  (void)t;
  sde_manifold *m = params;
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  int st = pull_back (m, P, x, work);
  for (size_t p = 0; p < P && !st; p++)
    {
      double z[MAXD], tv[MAXD], S[MAXD * MAXD], q[MAXD];
      for (size_t i = 0; i < d; i++)
        z[i] = work[i * P + p];
      if ((st = frame (m, z, tv, S, q, NULL)))
        break;
      for (size_t i = 0; i < d; i++)
        for (size_t c = 0; c < r; c++)
          out[(i * r + c) * P + p] = tv[i] * q[c];
    }
  return st;
}

/* d b_ic / d x_l = (d g_i / ds) u_c t_l with g = b t and u = q / b held
   fixed: L^j b_c = u_j u_c (g . grad) g is symmetric in (j, c), and
   Milstein's correction is 1/2 (g . grad) g (dB^2 - h), dB = u . dW.  */
static int
tangent_jacobian (double t, size_t P, const double *x, double *out,
                  double *work, void *params)
{
  (void)t;
  sde_manifold *m = params;
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  int st = pull_back (m, P, x, work);
  for (size_t p = 0; p < P && !st; p++)
    {
      double z[MAXD], tv[MAXD], dtv[MAXD], S[MAXD * MAXD], q[MAXD], b, db;
      for (size_t i = 0; i < d; i++)
        z[i] = work[i * P + p];
      if ((st = sde__slow_tangent_coef (m, z, tv, &b, &db, dtv))
          || (st = frame (m, z, tv, S, q, NULL)))
        break;
      for (size_t i = 0; i < d; i++)
        {
          const double dg = db * tv[i] + b * dtv[i];
          for (size_t c = 0; c < r; c++)
            {
              const double f = b > 0 ? dg * q[c] / b : 0;
              for (size_t l = 0; l < d; l++)
                out[((i * r + c) * d + l) * P + p] = f * tv[l];
            }
        }
    }
  return st;
}

int
sde__slow_tangent_system (sde_system *sys, sde_manifold *m)
{
  size_t d, r, k;
  sde__slow_dims (m, &d, &r, &k);
  if (k != 1)
    return sde_error (GSL_EINVAL,
                      "the tangent form needs a one-dimensional manifold "
                      "(here %zu-dimensional): use type=explicit",
                      k);
  sys->noise = r == 1 ? SDE_NOISE_SCALAR : SDE_NOISE_COMMUTATIVE;
  sys->drift = tangent_drift;
  sys->diffusion = tangent_diffusion;
  sys->jacobian = tangent_jacobian;
  sys->work += d;
  return GSL_SUCCESS;
}
