/* stepper_weak2.c: Platen's explicit order 2.0 weak scheme for general
   multidimensional noise (Kloeden & Platen 1992, eq. (15.1.3)):
     X' = X + (a(U) + a) h/2
        + 1/4 sum_j [ (b_j(R+_j) + b_j(R-_j) + 2 b_j) dW_j
                      + sum_{r!=j} (b_j(U+_r) + b_j(U-_r) - 2 b_j) dW_j ]
        + 1/(4 sqrt h) sum_j [ (b_j(R+_j) - b_j(R-_j)) (dW_j^2 - h)
                      + sum_{r!=j} (b_j(U+_r) - b_j(U-_r)) (dW_j dW_r + V_rj) ]
   with U = X + a h + sum_j b_j dW_j, R+-_j = X + a h +- b_j sqrt(h),
   U+-_r = X +- b_r sqrt(h), dW three-point (+-sqrt(3h) w.p. 1/6, 0 w.p.
   2/3) and V_rj = +-h two-point for r > j, V_jr = -V_rj.  Derivative-free;
   weak order 2.  The drift at U and the diffusion at R+- are taken at the
   end of the step, which keeps order 2 for time-dependent coefficients;
   as the left limit there (see step_end), so a coefficient that jumps at
   t + h, such as a step schedule, keeps its value on [t, t + h).  */
#include <config.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "simd.h"
#include "stepper_internal.h"
#include "system_internal.h"

static size_t
weak2_aux (size_t r)
{
  return r * (r - 1) / 2;
}

static size_t
weak2_work (size_t d, size_t r, size_t P)
{
  /* a, a(U), y, dx, and b, b+, b- */
  return 4 * d * P + 3 * d * r * P;
}

/* The time of the end-of-step evaluations, sde__weak2_step_end: just
   inside the step, so that coefficients are sampled as left limits at
   t + h.  The offset 2^-24 h is above the rounding of t + h when
   h > 2^-26 t (a jump at a grid time of a decimal grid, 0.2 + 0.1 > 0.3,
   stays on its side), and for smooth time dependence it changes a step by
   O(2^-24 h^2), below the local error O(h^3) for h > 2^-24.  */
static inline double
step_end (double t, double h)
{
  return sde__weak2_step_end (t, h);
}

/* V_rj for r != j from the aux rows, pairs (j1 > j2) at j1(j1-1)/2 + j2.  */
static inline double
vterm (const double *aux, size_t P, size_t rr, size_t j, size_t p)
{
  return rr > j ? aux[(rr * (rr - 1) / 2 + j) * P + p]
                : -aux[(j * (j - 1) / 2 + rr) * P + p];
}

/* Row I's next noise term from entry *K on: b_ij(t) = M_ij ct and
   b_ij(te) (the same M but for a view of another call), zeros skipped.
   Returns 0 when the row has no more.  */
static inline int
next_term (const sde__noise *nt, const sde__noise *ne, size_t q, size_t *k,
           size_t hi, size_t *j, double *bt, double *be)
{
  const sde__cmat *M = nt->m;
  for (; *k < hi; ++*k)
    {
      const double vt = sde__cm_val (M, q, *k);
      const double ve = ne->m == M ? vt : sde__cm_val (ne->m, q, *k);
      if (vt == 0 && ve == 0)
        continue;
      *j = sde__cm_col (M, q, *k);
      *bt = vt * nt->c;
      *be = ve * ne->c;
      ++*k;
      return 1;
    }
  return 0;
}

/* Additive noise (b independent of x): b_j(R+-_j) = b_j((t + h)-) and
   b_j(U+-_r) = b_j(t), so the differences in (15.1.3) vanish with the V
   terms, leaving X' = X + (a(U) + a) h/2 + (b(t) + b((t + h)-)) dW / 2:
   two diffusions instead of 4r + 1, taken once for the block (never per
   path), and no aux variates (r = 100 makes the general form 50 times
   dearer).  The first pass: y = U and dx the noise, row by row; a row's
   first noise term is fused into the pass that forms x + a h.  */
SDE_CLONES int
sde__weak2_first (size_t d, size_t P, const double *restrict x,
                  const double *restrict g, double l, double h,
                  const double *restrict dw, const sde__noise *nt,
                  const sde__noise *ne, double *restrict y, double *restrict dx,
                  double *restrict v)
{
  const sde__cmat *M = nt->m;
  const size_t r0 = nt->row0, r1 = r0 + M->rows;
  if (M->dense)
    {
      /* One product M dW for both: b(t) dW = ct (M dW), and the mean of
         the two b is (ct + ce)/2 M.  */
      const double ct = nt->c, cn = 0.5 * (nt->c + ne->c);
      int st = sde__gemm (M->rows, M->cols, 1.0, M->a, P, dw, 0.0, v);
      if (st)
        return st;
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < P; p++)
          {
            const size_t o = i * P + p;
            const int in = i >= r0 && i < r1;
            y[o] = x[o] + g[o] * l * h + (in ? ct * v[o - r0 * P] : 0.0);
            dx[o] = in ? cn * v[o - r0 * P] : 0.0;
          }
      return GSL_SUCCESS;
    }
  for (size_t i = 0; i < d; i++)
    {
      const double *xi = x + i * P, *gi = g + i * P;
      double *yi = y + i * P, *dxi = dx + i * P;
      size_t k = 0, hi = 0, j;
      double bt, be;
      if (i >= r0 && i < r1)
        sde__cm_row (M, i - r0, &k, &hi);
      if (!next_term (nt, ne, i - r0, &k, hi, &j, &bt, &be))
        {
          for (size_t p = 0; p < P; p++)
            {
              yi[p] = xi[p] + gi[p] * l * h;
              dxi[p] = 0.0;
            }
          continue;
        }
      const double *dwj = dw + j * P;
      double hb = 0.5 * (bt + be);
      for (size_t p = 0; p < P; p++)
        {
          yi[p] = xi[p] + gi[p] * l * h + bt * dwj[p];
          dxi[p] = 0.0 + hb * dwj[p];
        }
      while (next_term (nt, ne, i - r0, &k, hi, &j, &bt, &be))
        {
          dwj = dw + j * P;
          hb = 0.5 * (bt + be);
          for (size_t p = 0; p < P; p++)
            {
              yi[p] += bt * dwj[p];
              dxi[p] += hb * dwj[p];
            }
        }
    }
  return GSL_SUCCESS;
}

SDE_CLONES void
sde__weak2_last (size_t n, double *restrict x, const double *restrict g,
                 double lt, const double *restrict g2, double le, double h,
                 const double *restrict dx)
{
  for (size_t k = 0; k < n; k++)
    x[k] += 0.5 * (g2[k] * le + g[k] * lt) * h + dx[k];
}

static int
weak2_additive (const sde_system *sys, double t, double h, size_t P, double *x,
                const double *dw, double *work)
{
  const size_t d = sys->dim, r = sys->noise_dim;
  double *a = work, *au = a + d * P, *y = au + d * P, *dx = y + d * P;
  double *v = dx + d * P, *b1 = v + d * P, *be1 = b1 + d * r;
  double *x1 = be1 + d * r, *w = x1 + d;
  const double te = step_end (t, h);
  sde__noise nt, ne;
  int status = sys->drift (t, P, x, a, w, sys->params);
  if (status == 0)
    status = sde__additive_noise (sys, t, P, x, b1, x1, w, &nt);
  if (status == 0)
    status = sde__additive_noise (sys, te, P, x, be1, x1, w, &ne);
  if (status == 0)
    status = sde__weak2_first (d, P, x, a, 1.0, h, dw, &nt, &ne, y, dx, v);
  if (status == 0)
    status = sys->drift (te, P, y, au, w, sys->params);
  if (status)
    return status;
  sde__weak2_last (d * P, x, a, 1.0, au, 1.0, h, dx);
  return GSL_SUCCESS;
}

SDE_CLONES static int
weak2_apply (const sde_system *sys, double t, double h, size_t P, double *x,
             const double *dw, const double *aux, double *work)
{
  if (sys->noise & SDE_NOISE_ADDITIVE)
    return weak2_additive (sys, t, h, P, x, dw, work);
  const size_t d = sys->dim, r = sys->noise_dim;
  double *a = work, *au = a + d * P, *y = au + d * P, *dx = y + d * P;
  double *b = dx + d * P, *bp = b + d * r * P, *bm = bp + d * r * P;
  double *w = bm + d * r * P;
  const double sh = sqrt (h), q4 = 0.25 / sh, te = step_end (t, h);
  int status = sys->drift (t, P, x, a, w, sys->params);
  if (status == 0)
    status = sys->diffusion (t, P, x, b, w, sys->params);
  if (status)
    return status;

  /* Drift: a((t + h)-, U) with U = X + a h + sum_j b_j dW_j.  */
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      {
        double u = x[i * P + p] + a[i * P + p] * h;
        for (size_t j = 0; j < r; j++)
          u += b[(i * r + j) * P + p] * dw[j * P + p];
        y[i * P + p] = u;
      }
  status = sys->drift (te, P, y, au, w, sys->params);
  if (status)
    return status;
  for (size_t k = 0; k < d * P; k++)
    dx[k] = 0.5 * (au[k] + a[k]) * h;

  /* Own-direction terms through R+-_j.  */
  for (size_t j = 0; j < r; j++)
    {
      for (int s = 0; s < 2; s++)
        {
          double sg = s ? -sh : sh;
          for (size_t i = 0; i < d; i++)
            for (size_t p = 0; p < P; p++)
              y[i * P + p] = x[i * P + p] + a[i * P + p] * h
                             + sg * b[(i * r + j) * P + p];
          status = sys->diffusion (te, P, y, s ? bm : bp, w, sys->params);
          if (status)
            return status;
        }
      for (size_t i = 0; i < d; i++)
        {
          const size_t o = (i * r + j) * P;
          for (size_t p = 0; p < P; p++)
            {
              double z = dw[j * P + p];
              dx[i * P + p] += 0.25 * (bp[o + p] + bm[o + p] + 2 * b[o + p]) * z
                               + q4 * (bp[o + p] - bm[o + p]) * (z * z - h);
            }
        }
    }

  /* Cross terms through U+-_rr, for r > 1.  */
  for (size_t rr = 0; r > 1 && rr < r; rr++)
    {
      for (int s = 0; s < 2; s++)
        {
          double sg = s ? -sh : sh;
          for (size_t i = 0; i < d; i++)
            for (size_t p = 0; p < P; p++)
              y[i * P + p] = x[i * P + p] + sg * b[(i * r + rr) * P + p];
          status = sys->diffusion (t, P, y, s ? bm : bp, w, sys->params);
          if (status)
            return status;
        }
      for (size_t j = 0; j < r; j++)
        {
          if (j == rr)
            continue;
          for (size_t i = 0; i < d; i++)
            {
              const size_t o = (i * r + j) * P;
              for (size_t p = 0; p < P; p++)
                {
                  double zj = dw[j * P + p], zr = dw[rr * P + p];
                  double v = vterm (aux, P, rr, j, p);
                  dx[i * P + p]
                      += 0.25 * (bp[o + p] + bm[o + p] - 2 * b[o + p]) * zj
                         + q4 * (bp[o + p] - bm[o + p]) * (zj * zr + v);
                }
            }
        }
    }
  for (size_t k = 0; k < d * P; k++)
    x[k] += dx[k];
  return GSL_SUCCESS;
}

const sde_stepper_type sde__weak2_type = {
  .name = "weak2",
  .description = "Platen's explicit order 2.0 weak scheme, general noise "
                 "(K&P 15.1.3): weak 2, derivative-free",
  .strong_order = 0.0,
  .weak_order = 2.0,
  .law = SDE_RNG_THREEPOINT,
  .needs = 0,
  .aux = weak2_aux,
  .work = weak2_work,
  .apply = weak2_apply,
};

const sde_stepper_type *sde_stepper_weak2 = &sde__weak2_type;
