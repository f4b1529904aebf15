/* optim_hb.c: heavy-ball and Nesterov as torch.optim.SGD computes them:
   b_1 = g_0 on the first step, then b' = mu b + (1 - dampening) g;
   x' = x - lr b' (heavy-ball) or x - lr (g + mu b') (Nesterov); no
   buffer when mu = 0.  For constant hyperparameters heavy-ball(lr, mu,
   dampening d) is SGDM(lr (1 - d) / (1 - mu), mu) with m = (1 - mu) b /
   (1 - d) after the first step (MATH.md section 3, where d = 0).  The two
   are one PyTorch optimizer with a flag, so they share this file: the
   same keys, resolution, step and exact map, with the flag apart.  */
#include <config.h>

#include <math.h>

#include <gsl/gsl_errno.h>

#include "sdekit/optim.h"
#include "simd.h"

static int
hb_parse_common (sde_optim *o, sde_spec *spec, int nesterov)
{
  int st;
  if ((st = sde_spec_double (spec, "lr", NAN, 0, 1e6, &o->lr))
      || (st = sde_spec_double (spec, "momentum", NAN, 0, 1, &o->beta))
      || (st = sde_spec_double (spec, "dampening", 0, 0, 1, &o->dampening))
      || (st = sde_spec_double (spec, "wd", 0, 0, 1e6, &o->wd)))
    return st;
  if (o->lr == 0)
    return sde_error (GSL_EINVAL, "%s: lr must be > 0", spec->name);
  if (nesterov && o->dampening != 0)
    return sde_error (GSL_EINVAL, "nesterov: dampening must be 0 (as in "
                                  "PyTorch)");
  if (nesterov && o->beta == 0)
    return sde_error (GSL_EINVAL, "nesterov: momentum must be > 0 (as in "
                                  "PyTorch)");
  if (o->beta == 1)
    return sde_error (GSL_EINVAL, "%s: momentum must be < 1", spec->name);
  /* The buffer would never take in a gradient.  */
  if (o->dampening == 1 && o->beta != 0)
    return sde_error (GSL_EINVAL, "%s: dampening must be < 1 with momentum > 0",
                      spec->name);
  return GSL_SUCCESS;
}

static int
hb_parse (sde_optim *o, sde_spec *spec)
{
  return hb_parse_common (o, spec, 0);
}

static int
nesterov_parse (sde_optim *o, sde_spec *spec)
{
  return hb_parse_common (o, spec, 1);
}

static int
hb_set (sde_optim *o, double eta)
{
  int st = sde_optim_set_momentum (o, eta);
  if (st)
    return st;
  const double mom = o->mom;
  /* Effective learning rate per unit lr: the buffer settles at (1 - d) g
     / (1 - mu); without momentum there is no buffer.  */
  const double gain = mom != 0 ? (1 - o->dampening) / (1 - mom) : 1.0;
  if (!(gain > 0))
    return sde_error (GSL_EDOM,
                      "%s: dampening 1 with momentum %g leaves "
                      "no gradient in the step",
                      o->spec, mom);
  if (isnan (o->lr))
    {
      o->eta = eta;
      o->step_lr = eta / gain;
    }
  else
    {
      o->step_lr = o->lr;
      o->eta = o->lr * gain;
    }
  return GSL_SUCCESS;
}

/* PyTorch applies weight decay to the gradient before the buffer, and with
   momentum 0 steps along the gradient itself, so dampening is unused.  */
SDE_CLONES static int
hb_common (const sde_optim *o, double lr, size_t P, size_t d, double *x,
           double *m, const double *g, int first, int nesterov)
{
  const double mu = o->mom, wd = o->wd;
  const double damp = mu != 0 ? 1 - o->dampening : 1;
  for (size_t k = 0; k < d * P; k++)
    {
      double gk = wd != 0 ? g[k] + wd * x[k] : g[k];
      m[k] = first ? gk : mu * m[k] + damp * gk;
      x[k] -= lr * (nesterov ? gk + mu * m[k] : m[k]);
    }
  return GSL_SUCCESS;
}

static int
hb_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
          double *m, const double *g, int first)
{
  return hb_common (o, lr, P, d, x, m, g, first, 0);
}

static int
nesterov_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
                double *m, const double *g, int first)
{
  return hb_common (o, lr, P, d, x, m, g, first, 1);
}

/* On (x, b) without weight decay (the exact engine refuses it).  */
static int
hb_linear_common (const sde_optim *o, double lr, double sigma, long double lam,
                  int first, long double *A, long double *b, int nest)
{
  const long double mu = o->mom;
  /* PyTorch keeps no buffer at momentum 0, so dampening does not apply.  */
  const long double damp = first || mu == 0 ? 1 : 1 - o->dampening;
  if (first)
    {
      /* b_1 = g_0; x_1 = x_0 - lr (1 + mu [nesterov]) g_0.  */
      long double f = nest ? 1 + mu : 1;
      A[0] = 1 - lr * f * lam, A[1] = 0, A[2] = lam, A[3] = 0;
      b[0] = -lr * f * sigma, b[1] = sigma;
      return 1;
    }
  if (nest)
    {
      /* b' = mu b + g, x' = x - lr ((1 + mu) g + mu^2 b).  */
      A[0] = 1 - lr * (1 + mu) * lam, A[1] = -lr * mu * mu;
      A[2] = lam, A[3] = mu;
      b[0] = -lr * (1 + mu) * sigma, b[1] = sigma;
      return 0;
    }
  A[0] = 1 - lr * damp * lam, A[1] = -lr * mu;
  A[2] = damp * lam, A[3] = mu;
  b[0] = -lr * damp * sigma, b[1] = damp * sigma;
  return 0;
}

static int
hb_linear (const sde_optim *o, double lr, double sigma, long double lam,
           int first, long double *A, long double *b)
{
  return hb_linear_common (o, lr, sigma, lam, first, A, b, 0);
}

static int
nesterov_linear (const sde_optim *o, double lr, double sigma, long double lam,
                 int first, long double *A, long double *b)
{
  return hb_linear_common (o, lr, sigma, lam, first, A, b, 1);
}

const sde_optim_type sde__optim_hb = {
  .name = "hb",
  .description = "heavy-ball, PyTorch SGD(lr, momentum, dampening, "
                 "weight_decay): b' = mu b + (1-d) g (b_1 = g_0), x' = x - "
                 "lr b'",
  .state = 2,
  .family = 1,
  .plain = 0,
  .parse = hb_parse,
  .set = hb_set,
  .apply = hb_apply,
  .linear = hb_linear,
};

const sde_optim_type sde__optim_nesterov = {
  .name = "nesterov",
  .description = "Nesterov, PyTorch SGD(nesterov=True): x' = x - lr (g + "
                 "mu b')",
  .state = 2,
  .family = 1,
  .plain = 0,
  .parse = nesterov_parse,
  .set = hb_set,
  .apply = nesterov_apply,
  .linear = nesterov_linear,
};

const sde_optim_type *sde_optim_hb = &sde__optim_hb;
const sde_optim_type *sde_optim_nesterov = &sde__optim_nesterov;
