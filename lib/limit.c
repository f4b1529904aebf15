/* limit.c: the SDE limits of stochastic gradient methods (MATH.md section
   4): SME-1 (Li, Tai & E, JMLR 2019; with a schedule lambda(t)), the
   second-order SME-2 of the fixed-sigma scaling, and the underdamped SDE
   of SGDM when 1 - beta = c eta (our derivation, MATH.md 4.3).  */
#include <config.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "fused.h"
#include "problem_internal.h"
#include "sdekit/spec.h"
#include "sdekit/system.h"
#include "simd.h"
#include "system_internal.h"

/* Scratch per path: the problem's, then d (gradient), d (shifted x),
   2 d (gradients at the shifted points), d*d (a Hessian that is not
   constant, SME-2 only) and 1 (step).  */
static size_t
limit_work (const sde_limit *L)
{
  const sde_problem *pb = L->prob;
  const size_t d = pb->dim;
  const int hess = L->kind == SDE_LIMIT_SME2 && pb->hess_const == NULL;
  return pb->work + 4 * d + (hess ? d * d : 0) + 1;
}

static double
lam (const sde_limit *L, double t)
{
  return L->lambda ? L->lambda (t, L->lambda_params) : 1.0;
}

/* out += (c H) g for the constant Hessian, H used as it is (never
   copied per path): term by term over a row's nonzeros, or one dgemm.  */
SDE_CLONES static int
hess_const_g (const sde_problem *pb, double c, size_t P,
              const double *restrict g, double *restrict out)
{
  sde__cmat view;
  const sde__cmat *H = sde__problem_hess_cm (pb, &view);
  if (H->dense)
    return sde__gemm (H->rows, H->cols, c, H->a, P, g, 1.0, out);
  for (size_t i = 0; i < H->rows; i++)
    {
      size_t lo, hi;
      sde__cm_row (H, i, &lo, &hi);
      for (size_t k = lo; k < hi; k++)
        {
          const double hij = c * sde__cm_val (H, i, k);
          const double *gj = g + sde__cm_col (H, i, k) * P;
          for (size_t p = 0; p < P; p++)
            out[i * P + p] += hij * gj[p];
        }
    }
  return GSL_SUCCESS;
}

static int
sme_drift (double t, size_t P, const double *x, double *out, double *work,
           void *params)
{
  const sde_limit *L = params;
  const sde_problem *pb = L->prob;
  const size_t d = pb->dim;
  double *pw = work, *g = pw + pb->work * P, *xs = g + d * P;
  double *g2 = xs + d * P, *g3 = g2 + d * P, *H = g3 + d * P;
  double *e = H + (pb->hess_const ? 0 : d * d * P);
  int st = pb->grad (pb, P, x, out, pw);
  if (st)
    return st;
  if (L->kind == SDE_LIMIT_SME2)
    {
      /* grad (eta |grad L|^2 / 4) = (eta / 2) H grad L.  */
      memcpy (g, out, sizeof (double) * d * P);
      if (pb->hess_const)
        {
          if ((st = hess_const_g (pb, 0.5 * L->eta, P, g, out)))
            return st;
        }
      else if (pb->hess)
        {
          if ((st = pb->hess (pb, P, x, H, pw)))
            return st;
          for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++)
              for (size_t p = 0; p < P; p++)
                out[i * P + p]
                    += 0.5 * L->eta * H[(i * d + j) * P + p] * g[j * P + p];
        }
      else
        {
          /* H g by a central difference along g.  */
          for (size_t p = 0; p < P; p++)
            {
              double n2 = 0;
              for (size_t i = 0; i < d; i++)
                n2 += g[i * P + p] * g[i * P + p];
              e[p] = 1e-5 / (sqrt (n2) + 1e-300);
              for (size_t i = 0; i < d; i++)
                xs[i * P + p] = x[i * P + p] + e[p] * g[i * P + p];
            }
          if ((st = pb->grad (pb, P, xs, g2, pw)))
            return st;
          for (size_t i = 0; i < d; i++)
            for (size_t p = 0; p < P; p++)
              xs[i * P + p] = x[i * P + p] - e[p] * g[i * P + p];
          if ((st = pb->grad (pb, P, xs, g3, pw)))
            return st;
          for (size_t i = 0; i < d; i++)
            for (size_t p = 0; p < P; p++)
              out[i * P + p] += 0.5 * L->eta * (g2[i * P + p] - g3[i * P + p])
                                / (2 * e[p]);
        }
    }
  const double l = -lam (L, t);
  for (size_t k = 0; k < d * P; k++)
    out[k] *= l;
  return GSL_SUCCESS;
}

static int
sme_diffusion (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  const sde_limit *L = params;
  const sde_problem *pb = L->prob;
  const size_t n = pb->dim * pb->noise_dim;
  int st;
  if (pb->factor_const)
    for (size_t k = 0; k < n; k++)
      for (size_t p = 0; p < P; p++)
        out[k * P + p] = pb->factor_const[k];
  else if ((st = pb->factor (pb, P, x, out, work)))
    return st;
  const double c = lam (L, t) * sqrt (L->tau);
  for (size_t k = 0; k < n * P; k++)
    out[k] *= c;
  return GSL_SUCCESS;
}

static int
zero_jacobian (double t, size_t P, const double *x, double *out, double *work,
               void *params)
{
  (void)t, (void)x, (void)work;
  const sde_limit *L = params;
  size_t d = L->prob->dim * (L->kind == SDE_LIMIT_UNDERDAMPED ? 2 : 1);
  memset (out, 0, sizeof (double) * d * L->prob->noise_dim * d * P);
  return GSL_SUCCESS;
}

/* Underdamped: z = (x, m): dx = -m dt, dm = c (grad L(x) - m) dt.  */
static int
ud_drift (double t, size_t P, const double *z, double *out, double *work,
          void *params)
{
  (void)t;
  const sde_limit *L = params;
  const sde_problem *pb = L->prob;
  const size_t d = pb->dim;
  int st = pb->grad (pb, P, z, out + d * P, work);
  if (st)
    return st;
  for (size_t k = 0; k < d * P; k++)
    {
      double m = z[d * P + k];
      out[k] = -m;
      out[d * P + k] = L->c * (out[d * P + k] - m);
    }
  return GSL_SUCCESS;
}

static int
ud_diffusion (double t, size_t P, const double *z, double *out, double *work,
              void *params)
{
  (void)t;
  const sde_limit *L = params;
  const sde_problem *pb = L->prob;
  const size_t d = pb->dim, r = pb->noise_dim;
  memset (out, 0, sizeof (double) * d * r * P);
  double *lower = out + d * r * P;
  int st;
  if (pb->factor_const)
    for (size_t k = 0; k < d * r; k++)
      for (size_t p = 0; p < P; p++)
        lower[k * P + p] = pb->factor_const[k];
  else if ((st = pb->factor (pb, P, z, lower, work)))
    return st;
  const double c = L->c * sqrt (L->tau);
  for (size_t k = 0; k < d * r * P; k++)
    lower[k] *= c;
  return GSL_SUCCESS;
}

int
sde__system_noise (const sde_system *sys, double t, sde__noise *nz)
{
  if (sys->diffusion != sme_diffusion && sys->diffusion != ud_diffusion)
    return 0;
  const sde_limit *L = sys->params;
  const sde_problem *pb = L->prob;
  nz->m = sde__problem_factor_cm (pb, &nz->view);
  if (nz->m == NULL)
    return 0;
  /* The factors sme_diffusion and ud_diffusion multiply S by.  */
  if (sys->diffusion == sme_diffusion)
    {
      nz->c = lam (L, t) * sqrt (L->tau);
      nz->row0 = 0;
    }
  else
    {
      nz->c = L->c * sqrt (L->tau);
      nz->row0 = pb->dim;
    }
  return 1;
}

int
sde__system_has_product (const sde_system *sys)
{
  if (sys->drift != sme_drift || sys->diffusion != sme_diffusion)
    return 0;
  const sde_limit *L = sys->params;
  return L->kind == SDE_LIMIT_SME1
         && sde__problem_factor_apply (L->prob) != NULL;
}

int
sde__system_drift_noise (const sde_system *sys, double t, size_t P,
                         const double *x, const double *dw, double *a,
                         double *bdw, double *work)
{
  const sde_limit *L = sys->params;
  const sde_problem *pb = L->prob;
  const size_t n = pb->dim * P;
  int st = sde__problem_factor_apply (pb) (pb, P, x, dw, bdw, a, work);
  if (st)
    return st;
  /* sme_drift's and sme_diffusion's factors.  */
  const double l = -lam (L, t), c = lam (L, t) * sqrt (L->tau);
  for (size_t k = 0; k < n; k++)
    {
      a[k] *= l;
      bdw[k] *= c;
    }
  return GSL_SUCCESS;
}

int
sde__limit_fusable (const sde_system *sys, const sde_stepper_type *T)
{
  if (T != sde_stepper_weak2 || sys->drift != sme_drift
      || sys->diffusion != sme_diffusion)
    return 0;
  const sde_limit *L = sys->params;
  return L->kind == SDE_LIMIT_SME1 && L->prob->factor_const != NULL;
}

/* weak2_additive with sme_drift's scaling of the gradient done in the
   passes of the step: its operations in its order.  */
int
sde__limit_weak2_step (const sde_system *sys, double t, double h, size_t P,
                       double *x, const double *dw, double *work)
{
  const sde_limit *L = sys->params;
  const sde_problem *pb = L->prob;
  const size_t d = pb->dim, r = pb->noise_dim;
  /* weak2_additive's workspace: a, a(U), y, dx, v, then b1 (2 d r) and x1
     (d) that a constant factor leaves unused, then the system's.  */
  double *g = work, *g2 = g + d * P, *y = g2 + d * P, *dx = y + d * P;
  double *v = dx + d * P, *w = v + d * P + 2 * d * r + d;
  const double te = sde__weak2_step_end (t, h);
  sde__noise nt, ne;
  sde__system_noise (sys, t, &nt);
  sde__system_noise (sys, te, &ne);
  int st = pb->grad (pb, P, x, g, w);
  if (st)
    return st;
  const double lt = -lam (L, t), le = -lam (L, te);
  if ((st = sde__weak2_first (d, P, x, g, lt, h, dw, &nt, &ne, y, dx, v)))
    return st;
  if ((st = pb->grad (pb, P, y, g2, w)))
    return st;
  sde__weak2_last (d * P, x, g, lt, g2, le, h, dx);
  return GSL_SUCCESS;
}

int
sde_system_limit (sde_system *sys, const sde_limit *lim)
{
  const sde_problem *pb = lim->prob;
  if (pb == NULL || pb->grad == NULL)
    GSL_ERROR ("limit SDE needs a problem with a gradient", GSL_EINVAL);
  if (!(lim->tau >= 0) || !isfinite (lim->tau))
    return sde_error (GSL_EINVAL, "temperature tau must be finite and >= 0");
  if (pb->factor == NULL && pb->factor_const == NULL)
    return sde_error (GSL_EINVAL, "%s has no noise factor", pb->name);
  memset (sys, 0, sizeof *sys);
  sys->params = (void *)lim;
  sys->noise_dim = pb->noise_dim;
  sys->noise = pb->factor_const ? SDE_NOISE_ADDITIVE : SDE_NOISE_GENERAL;
  if (pb->noise_dim == 1)
    sys->noise |= SDE_NOISE_SCALAR;
  sys->jacobian = pb->factor_const ? zero_jacobian : NULL;
  sys->work = limit_work (lim);
  switch (lim->kind)
    {
    case SDE_LIMIT_SME2:
      if (!(lim->eta > 0))
        return sde_error (GSL_EINVAL, "SME-2 needs eta > 0");
      if (lim->lambda)
        return sde_error (GSL_EINVAL, "SME-2 with a schedule is not "
                                      "implemented");
      /* fall through */
    case SDE_LIMIT_SME1:
      sys->dim = pb->dim;
      sys->drift = sme_drift;
      sys->diffusion = sme_diffusion;
      break;
    case SDE_LIMIT_UNDERDAMPED:
      if (!(lim->c > 0))
        return sde_error (GSL_EINVAL, "underdamped SDE needs c > 0");
      if (lim->lambda)
        return sde_error (GSL_EINVAL, "the underdamped SDE with a schedule "
                                      "is not implemented");
      sys->dim = 2 * pb->dim;
      sys->drift = ud_drift;
      sys->diffusion = ud_diffusion;
      break;
    default:
      GSL_ERROR ("unknown limit kind", GSL_EINVAL);
    }
  return GSL_SUCCESS;
}
