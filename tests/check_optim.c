/* check_optim.c: unit tests of the optimizers, schedules and SVAG.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fused.h"
#include "sdekit/optim.h"
#include "sdekit/problem.h"
#include "sdekit/rng.h"
#include "sdekit/system.h"
#include "testutil.h"

static sde_optim
parse (const char *text)
{
  sde_optim o;
  const char *s = text;
  ck_assert_msg (sde_optim_parse (&o, &s) == 0, "cannot parse %s", text);
  ck_assert_str_eq (s, "");
  return o;
}

/* x after each of five steps with a fixed gradient sequence, from
   torch.optim.SGD(lr=0.1, momentum=0.9, ...) (PyTorch 1.13, float64),
   starting at (1, -2).  */
static const double grads[5][2] = {
  { 0.5, -1.0 }, { 0.25, 0.75 }, { -0.3, 0.2 }, { 1.1, -0.4 }, { 0.05, 0.6 }
};

static void
run_fixed (const char *spec, const double want[5][2])
{
  sde_optim o = parse (spec);
  ck_assert_int_eq (sde_optim_set (&o, 1.0), 0);
  double x[2] = { 1.0, -2.0 }, m[2];
  for (size_t k = 0; k < 5; k++)
    {
      /* Two "paths" of one coordinate each: the layout does not matter
         for an elementwise update.  */
      ck_assert_int_eq (sde_optim_apply (&o, k, 2, 1, x, m, grads[k]), 0);
      ck_assert_close (x[0], want[k][0], 1e-15);
      ck_assert_close (x[1], want[k][1], 1e-15);
    }
}

START_TEST (test_optim_pytorch_values)
{
  static const double hb[5][2]
      = { { 0.94999999999999996, -1.8999999999999999 },
          { 0.88, -1.885 },
          { 0.84699999999999998, -1.8915 },
          { 0.70729999999999993, -1.8573500000000001 },
          { 0.57656999999999992, -1.8866150000000002 } };
  static const double hb_damp[5][2]
      = { { 0.94999999999999996, -1.8999999999999999 },
          { 0.88249999999999995, -1.8774999999999999 },
          { 0.84874999999999989, -1.8752499999999999 },
          { 0.71937499999999988, -1.8372249999999999 },
          { 0.59843749999999984, -1.8570024999999999 } };
  static const double hb_damp_wd[5][2]
      = { { 0.94899999999999995, -1.8979999999999999 },
          { 0.87974589999999997, -1.8719918 },
          { 0.84362543868999995, -1.86489962738 },
          { 0.71135776061617895, -1.820838262357358 },
          { 0.58717662836518547, -1.8335442794008585 } };
  static const double nest[5][2]
      = { { 0.90500000000000003, -1.8100000000000001 },
          { 0.81700000000000006, -1.8715000000000002 },
          { 0.81730000000000003, -1.8973500000000001 },
          { 0.58156999999999992, -1.8266150000000001 },
          { 0.45891299999999985, -1.9129535000000002 } };
  static const double nest_wd[5][2]
      = { { 0.90310000000000001, -1.8062 },
          { 0.81257411000000002, -1.8626482200000001 },
          { 0.80986970819100002, -1.8820381663820001 },
          { 0.57062831081633714, -1.8035896290076743 },
          { 0.44445574212596134, -1.8812529594254104 } };
  run_fixed ("hb:lr=0.1,momentum=0.9", hb);
  run_fixed ("hb:lr=0.1,momentum=0.9,dampening=0.1", hb_damp);
  run_fixed ("hb:lr=0.1,momentum=0.9,dampening=0.1,wd=0.01", hb_damp_wd);
  run_fixed ("nesterov:lr=0.1,momentum=0.9", nest);
  run_fixed ("nesterov:lr=0.1,momentum=0.9,wd=0.01", nest_wd);
}
END_TEST

/* Runs METHOD for N steps on a quadratic with Gaussian noise, the noise of
   step k drawn at step index k; returns x in out (P paths).  */
enum
{
  P = 64
};

static void
trajectory (const char *method, double eta, size_t steps, double *out)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1,3,s=0.5,x0=1,-1", NULL);
  ck_assert_ptr_nonnull (pb);
  sde_optim o = parse (method);
  ck_assert_int_eq (sde_optim_set (&o, eta), 0);
  sde_oracle orc = { pb, SDE_ORACLE_GAUSSIAN, 0.7, 0, 0, 0, o.svag };
  ck_assert_int_eq (sde_oracle_check (&orc), 0);
  sde_rng *r = sde_rng_alloc (NULL, 99);
  const size_t d = pb->dim, nv = sde_oracle_nvar (&orc);
  double *x = out, *m = calloc (d * P, sizeof (double));
  double *g = malloc (sizeof (double) * d * P),
         *z = malloc (sizeof (double) * nv * P);
  double *work = malloc (sizeof (double) * sde_oracle_work (&orc, P));
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      x[i * P + p] = pb->x0[i];
  for (size_t k = 0; k < steps * o.svag; k++)
    {
      sde_oracle_sample (&orc, r, 0, k, 0, P, z, NULL);
      sde_oracle_apply (&orc, P, x, z, NULL, g, work);
      sde_optim_apply (&o, k, P, d, x, m, g);
    }
  free (m);
  free (g);
  free (z);
  free (work);
  sde_rng_free (r);
  sde_problem_free (pb);
}

/* The fused SGD step (noise added in the update pass) is bitwise the
   oracle followed by SGD, with dense, diagonal (zero-skipping) and
   vanishing noise, and under a step schedule.  */
START_TEST (test_optim_fused_sgd_bitwise)
{
  const char *probs[] = { "quadratic:h=1,3,s=0.5,x0=1,-1",
                          "quadratic:d=4,cond=10,seed=2", "doublewell" };
  const double sigmas[] = { 0.7, 1.3, 0 };
  for (size_t t = 0; t < 3; t++)
    {
      sde_problem *pb = sde_problem_alloc (probs[t], NULL);
      ck_assert_ptr_nonnull (pb);
      sde_optim o = parse ("sgd");
      ck_assert_int_eq (
          sde_schedule_parse (&o.schedule, "step:at=0.1,0.2,factor=0.5"), 0);
      ck_assert_int_eq (sde_optim_set (&o, 0.05), 0);
      sde_oracle orc = { pb, SDE_ORACLE_GAUSSIAN, sigmas[t], 0, 0, 0, 1 };
      ck_assert_int_eq (sde_oracle_check (&orc), 0);
      ck_assert (sde__oracle_sgd_fusable (&orc));
      const size_t d = pb->dim, r = pb->noise_dim;
      double *xa = malloc (sizeof (double) * d * P),
             *xb = malloc (sizeof (double) * d * P),
             *g = malloc (sizeof (double) * d * P),
             *z = malloc (sizeof (double) * r * P),
             *work = malloc (sizeof (double) * sde_oracle_work (&orc, P));
      sde_rng *rng = sde_rng_alloc (NULL, 5);
      for (size_t k = 0; k < d * P; k++)
        xa[k] = xb[k] = 0.3 + 0.01 * (double)k;
      for (size_t k = 0; k < 8; k++)
        {
          sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, k, 0, P, r, z, P);
          ck_assert_int_eq (sde_oracle_apply (&orc, P, xa, z, NULL, g, work),
                            0);
          ck_assert_int_eq (sde_optim_apply (&o, k, P, d, xa, NULL, g), 0);
          ck_assert_int_eq (sde__oracle_sgd_step (&orc, sde__optim_lr (&o, k),
                                                  P, xb, z, g, work),
                            0);
          ck_assert_msg (memcmp (xa, xb, sizeof (double) * d * P) == 0,
                         "%s: fused step %zu differs", probs[t], k);
        }
      /* The schedule really acted (0.1 and 0.2 are steps 2 and 4).  */
      ck_assert_double_eq (sde__optim_lr (&o, 5), 0.25 * sde__optim_lr (&o, 0));
      free (xa);
      free (xb);
      free (g);
      free (z);
      free (work);
      sde_rng_free (rng);
      sde_problem_free (pb);
    }
}
END_TEST

/* Heavy-ball(lr, mu) is SGDM(lr / (1 - mu), mu) on the same noise.  */
START_TEST (test_optim_hb_equals_sgdm)
{
  double a[2 * P], b[2 * P];
  const double lr = 0.02, mu = 0.9;
  trajectory ("hb:lr=0.02,momentum=0.9", 1.0, 200, a);
  trajectory ("sgdm:beta=0.9", lr / (1 - mu), 200, b);
  for (size_t k = 0; k < 2 * P; k++)
    ck_assert_close (a[k], b[k], 1e-12);
  /* Without lr, hb takes lr = eta (1 - mu): the same effective rate.  */
  trajectory ("hb:momentum=0.9", lr / (1 - mu), 200, a);
  for (size_t k = 0; k < 2 * P; k++)
    ck_assert_close (a[k], b[k], 1e-12);
}
END_TEST

/* PyTorch's effective learning rate with dampening d is lr (1 - d) / (1 -
   mu), and with momentum 0 it keeps no buffer: dampening does nothing.  */
START_TEST (test_optim_hb_dampening_effective_rate)
{
  sde_optim o = parse ("hb:lr=0.1,momentum=0.9,dampening=0.5");
  ck_assert_int_eq (sde_optim_set (&o, 1.0), 0);
  ck_assert_close (o.eta, 0.5, 1e-15);
  ck_assert_close (o.step_lr, 0.1, 0);
  o = parse ("hb:momentum=0.9,dampening=0.5");
  ck_assert_int_eq (sde_optim_set (&o, 0.25), 0);
  ck_assert_close (o.eta, 0.25, 0);
  ck_assert_close (o.step_lr, 0.05, 1e-15);
  o = parse ("hb:lr=0.1,momentum=0,dampening=0.5");
  ck_assert_int_eq (sde_optim_set (&o, 1.0), 0);
  ck_assert_close (o.eta, 0.1, 0);
  /* torch.optim.SGD(lr=0.1, momentum=0, dampening=0.5): x -= 0.1 g.  */
  double x[2] = { 1.0, -2.0 }, m[2];
  for (size_t k = 0; k < 5; k++)
    {
      double want0 = x[0] - 0.1 * grads[k][0], want1 = x[1] - 0.1 * grads[k][1];
      ck_assert_int_eq (sde_optim_apply (&o, k, 2, 1, x, m, grads[k]), 0);
      ck_assert_close (x[0], want0, 1e-15);
      ck_assert_close (x[1], want1, 1e-15);
    }
  /* dampening=1 would leave the buffer without gradients.  */
  const char *bad[] = { "hb:dampening=1", "hb:momentum=0.5,dampening=1",
                        "nesterov:momentum=0" };
  for (size_t i = 0; i < 3; i++)
    {
      const char *t = bad[i];
      ck_assert_msg (sde_optim_parse (&o, &t) != 0, "%s accepted", bad[i]);
    }
  o = parse ("hb:momentum=0,dampening=1");
  ck_assert_int_eq (sde_optim_set (&o, 0.5), 0);
  ck_assert_close (o.step_lr, 0.5, 0);
}
END_TEST

/* The mean of hb on L = a x^2 / 2 (the noise averages out of a linear
   recursion) approaches the SDE's mean x0 exp(-(a + wd) t) at order 1 as
   eta shrinks, with dampening and weight decay; the limit SDE with the
   same wd has exactly that linear drift.  A wrong effective rate would
   leave an O(1) error.  */
START_TEST (test_optim_hb_dampening_mean_converges)
{
  const double a = 1.5, T = 1.0;
  const struct
  {
    const char *spec;
    double wd;
  } cases[] = { { "hb:momentum=0.9,dampening=0.5", 0 },
                { "hb:momentum=0.8,dampening=0.3,wd=0.4", 0.4 },
                { "nesterov:momentum=0.8,wd=0.4", 0.4 },
                { "hb:momentum=0,dampening=0.5", 0 } };
  for (size_t c = 0; c < 4; c++)
    {
      const double want = exp (-(a + cases[c].wd) * T);
      double err[3];
      for (size_t j = 0; j < 3; j++)
        {
          const double eta = 1.0 / (double)(64u << j);
          sde_optim o = parse (cases[c].spec);
          ck_assert_int_eq (sde_optim_set (&o, eta), 0);
          ck_assert_close (o.eta, eta, 1e-15);
          double x = 1.0, m = 0;
          for (size_t k = 0; k < (size_t)(T / eta); k++)
            {
              double g = a * x;
              ck_assert_int_eq (sde_optim_apply (&o, k, 1, 1, &x, &m, &g), 0);
            }
          err[j] = fabs (x - want);
        }
      for (size_t j = 0; j + 1 < 3; j++)
        ck_assert_msg (err[j] / err[j + 1] > 1.7
                           && err[j] < 4.0 / (double)(64u << j),
                       "%s: errors %g, %g do not fall at order 1",
                       cases[c].spec, err[j], err[j + 1]);
    }
  /* Weight decay is a change of loss: hb with wd on L is hb without it on
     L + wd |x|^2 / 2, path by path on the same noise, so that problem's
     limit SDE is the reference: drift -(a + wd) x for SME-1, and SME-2
     adds grad (eta |grad|^2 / 4) = (eta / 2)(a + wd)^2 x.  */
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1.5,s=0.5", NULL);
  sde_problem *pw = sde_problem_alloc_decay (pb, 0.4);
  ck_assert_ptr_nonnull (pw);
  sde_optim hw = parse ("hb:momentum=0.8,dampening=0.3,wd=0.4");
  sde_optim h0 = parse ("hb:momentum=0.8,dampening=0.3");
  ck_assert_int_eq (sde_optim_set (&hw, 0.05), 0);
  ck_assert_int_eq (sde_optim_set (&h0, 0.05), 0);
  sde_oracle ow = { pb, SDE_ORACLE_GAUSSIAN, 0.7, 0, 0, 0, 1 };
  sde_oracle o0 = { pw, SDE_ORACLE_GAUSSIAN, 0.7, 0, 0, 0, 1 };
  sde_rng *r = sde_rng_alloc (NULL, 5);
  double xw[P], x0[P], mw[P], m0[P], g[P], z[P];
  double *wk = malloc (sizeof (double) * sde_oracle_work (&o0, P));
  for (size_t p = 0; p < P; p++)
    xw[p] = x0[p] = 1.0;
  for (size_t k = 0; k < 100; k++)
    {
      sde_oracle_sample (&ow, r, 0, k, 0, P, z, NULL);
      sde_oracle_apply (&ow, P, xw, z, NULL, g, wk);
      sde_optim_apply (&hw, k, P, 1, xw, mw, g);
      sde_oracle_apply (&o0, P, x0, z, NULL, g, wk);
      sde_optim_apply (&h0, k, P, 1, x0, m0, g);
    }
  for (size_t p = 0; p < P; p++)
    ck_assert_close (xw[p], x0[p], 1e-12);
  for (int kind = 0; kind < 2; kind++)
    {
      sde_limit lim = { .kind = kind ? SDE_LIMIT_SME2 : SDE_LIMIT_SME1,
                        .prob = pw,
                        .tau = 0.3,
                        .eta = 0.1 };
      sde_system sys;
      ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
      double x = 0.7, out, b, *w = malloc (sizeof (double) * sys.work);
      ck_assert_int_eq (sys.drift (0, 1, &x, &out, w, sys.params), 0);
      double k = a + 0.4;
      ck_assert_close (out, -(k + (kind ? 0.05 * k * k : 0)) * x, 1e-14);
      ck_assert_int_eq (sys.diffusion (0, 1, &x, &b, w, sys.params), 0);
      ck_assert_close (b, sqrt (0.3 * 0.5), 1e-15);
      free (w);
    }
  free (wk);
  sde_rng_free (r);
  sde_problem_free (pw);
  sde_problem_free (pb);
}
END_TEST

/* QHM's endpoints are the methods it interpolates, bitwise on a block of
   paths with the same noise: nu = 1 is SGDM, nu = 0 is SGD (its buffer
   is kept but unused), with a fixed beta and with the family.  */
START_TEST (test_optim_qhm_endpoints_bitwise)
{
  double a[2 * P], b[2 * P];
  const char *pairs[][2] = { { "qhm:beta=0.9,nu=1", "sgdm:beta=0.9" },
                             { "qhm:alpha=0.5,c=1,nu=1", "sgdm:alpha=0.5,c=1" },
                             { "qhm:beta=0.9,nu=0", "sgd" },
                             { "qhm:nu=0", "sgd" } };
  for (size_t i = 0; i < 4; i++)
    {
      trajectory (pairs[i][0], 0.05, 100, a);
      trajectory (pairs[i][1], 0.05, 100, b);
      ck_assert_msg (memcmp (a, b, sizeof a) == 0, "%s differs from %s",
                     pairs[i][0], pairs[i][1]);
    }
  /* In between it is neither.  */
  trajectory ("qhm:beta=0.9", 0.05, 100, a);
  ck_assert (memcmp (a, b, sizeof a) != 0);
  trajectory ("sgdm:beta=0.9", 0.05, 100, b);
  ck_assert (memcmp (a, b, sizeof a) != 0);
}
END_TEST

/* QHM on the fixed gradients against its definition (Ma & Yarats 2019,
   eq. 3) written out in the test: m' = beta m + (1 - beta) g, x' = x -
   eta ((1 - nu) g + nu m'), m_0 = 0; the default nu is 0.7.  */
START_TEST (test_optim_qhm_definition)
{
  sde_optim o = parse ("qhm:beta=0.8");
  ck_assert_int_eq (sde_optim_set (&o, 0.1), 0);
  ck_assert_close (o.param[0], 0.7, 0);
  ck_assert_close (o.eta, 0.1, 0);
  ck_assert_close (o.step_lr, 0.1, 0);
  double x[2] = { 1.0, -2.0 }, m[2] = { 5, 5 }; /* m is reset on step 0 */
  double wx[2] = { 1.0, -2.0 }, wm[2] = { 0, 0 };
  for (size_t k = 0; k < 5; k++)
    {
      ck_assert_int_eq (sde_optim_apply (&o, k, 2, 1, x, m, grads[k]), 0);
      for (size_t i = 0; i < 2; i++)
        {
          wm[i] = 0.8 * wm[i] + 0.2 * grads[k][i];
          wx[i] = wx[i] - 0.1 * (0.3 * grads[k][i] + 0.7 * wm[i]);
          ck_assert_close (x[i], wx[i], 1e-15);
          ck_assert_close (m[i], wm[i], 1e-15);
        }
    }
  char buf[64];
  ck_assert_str_eq (sde_optim_name (&o, buf, sizeof buf),
                    "qhm:beta=0.8(eta=0.1,beta=0.8)");
  o = parse ("qhm:alpha=0.5,c=1,nu=0.5");
  ck_assert_int_eq (sde_optim_set (&o, 0.25), 0);
  ck_assert_close (o.mom, 0.5, 1e-15);
  ck_assert_close (o.param[0], 0.5, 0);
}
END_TEST

START_TEST (test_optim_svag_l1_is_plain)
{
  double a[2 * P], b[2 * P];
  trajectory ("svag:l=1,sgdm:beta=0.9", 0.05, 100, a);
  trajectory ("sgdm:beta=0.9", 0.05, 100, b);
  ck_assert_int_eq (memcmp (a, b, sizeof a), 0);
  sde_optim o = parse ("svag:l=4,sgdm:beta=0.9");
  ck_assert_int_eq (sde_optim_set (&o, 0.1), 0);
  ck_assert_uint_eq (o.svag, 4);
  ck_assert_close (o.step_lr, 0.025, 1e-15);
  ck_assert_close (o.dt, 0.025, 1e-15);
  ck_assert_close (o.mom, 0.9, 0); /* SVAG keeps beta */
  ck_assert_str_eq (o.spec, "svag:l=4,sgdm:beta=0.9");
}
END_TEST

START_TEST (test_optim_momentum_family)
{
  sde_optim o = parse ("sgdm:alpha=0.5,c=1");
  ck_assert_int_eq (sde_optim_set (&o, 0.25), 0);
  ck_assert_close (o.mom, 0.5, 1e-15);
  ck_assert_int_eq (sde_optim_set (&o, 1.0 / 64), 0);
  ck_assert_close (o.mom, 0.875, 1e-15);
  /* c eta^alpha >= 1 leaves no valid beta.  */
  o = parse ("sgdm:alpha=0.5,c=4");
  ck_assert_int_eq (sde_optim_set (&o, 0.25), GSL_EDOM);
  /* alpha = 1: 1 - beta = c eta.  */
  o = parse ("sgdm:alpha=1,c=2");
  ck_assert_int_eq (sde_optim_set (&o, 0.125), 0);
  ck_assert_close (o.mom, 0.75, 1e-15);
}
END_TEST

START_TEST (test_optim_parse_errors)
{
  const char *bad[] = { "sgdm:beta=1",
                        "sgdm:beta=0.9,alpha=0.5",
                        "hb:lr=0",
                        "svag:l=0,sgd",
                        "svag:l=2",
                        "svag:l=1.5,sgd",
                        "adam",
                        "sgdm:m0=x",
                        "sgd:beta=0.9",
                        "nesterov:dampening=0.1",
                        "svag:l=2,svag:l=2,sgd",
                        "sgdm:beta=abc",
                        "qhm:nu=1.5",
                        "qhm:nu=-0.1",
                        "qhm:beta=1",
                        "qhm:beta=0.9,alpha=0.5",
                        "qhm:m0=grad" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      sde_optim o;
      const char *s = bad[i];
      int st = sde_optim_parse (&o, &s);
      ck_assert_msg (st != 0, "%s accepted", bad[i]);
    }
  /* An unknown name lists the registered ones.  */
  const char *adam = "adam";
  sde_optim u;
  testutil_capture_reasons ();
  ck_assert_int_eq (sde_optim_parse (&u, &adam), GSL_EINVAL);
  ck_assert_msg (strstr (testutil_reason (), "(sgd, sgdm, hb, nesterov, qhm, "
                                             "svag)"),
                 "reason: %s", testutil_reason ());
  /* A list of methods parses one at a time.  */
  const char *list = "sgd,sgdm:beta=0.9,hb:lr=0.01,momentum=0.9,svag:l=2,sgd";
  const char *want[]
      = { "sgd", "sgdm:beta=0.9", "hb:lr=0.01,momentum=0.9", "svag:l=2,sgd" };
  for (int i = 0; i < 4; i++)
    {
      sde_optim o;
      ck_assert_int_eq (sde_optim_parse (&o, &list), 0);
      ck_assert_str_eq (o.spec, want[i]);
    }
  ck_assert_str_eq (list, "");
}
END_TEST

START_TEST (test_optim_schedules)
{
  sde_schedule s;
  ck_assert_int_eq (sde_schedule_parse (&s, "step:at=0.5,0.75,factor=0.1"), 0);
  ck_assert_close (sde_schedule_factor (&s, 0.4), 1, 0);
  ck_assert_close (sde_schedule_factor (&s, 0.5), 0.1, 1e-15);
  ck_assert_close (sde_schedule_factor (&s, 0.9), 0.01, 1e-15);
  ck_assert_int_eq (sde_schedule_parse (&s, "cosine:T=2"), 0);
  ck_assert_close (sde_schedule_factor (&s, 1.0), 0.5, 1e-15);
  ck_assert_close (sde_schedule_factor (&s, 2.0), 0.0, 1e-15);
  ck_assert_int_eq (sde_schedule_parse (&s, "table:t=0,1,v=1,0.5"), 0);
  ck_assert_close (sde_schedule_factor (&s, 0.5), 0.75, 1e-15);
  ck_assert_close (sde_schedule_factor (&s, 3), 0.5, 1e-15);
  ck_assert_int_ne (sde_schedule_parse (&s, "table:t=0,1,v=1"), 0);
  ck_assert_int_ne (sde_schedule_parse (&s, "step:at=0.5,0.2"), 0);
  ck_assert_int_ne (sde_schedule_parse (&s, "linear"), 0);
  /* A schedule scales the step: cosine with T = 1 halves it at t = 0.5.  */
  sde_optim o = parse ("sgd");
  sde_schedule_parse (&o.schedule, "cosine:T=1");
  sde_optim_set (&o, 0.25);
  double x = 1, g = 1;
  sde_optim_apply (&o, 2, 1, 1, &x, NULL, &g);
  ck_assert_close (x, 1 - 0.25 * 0.5, 1e-15);
}
END_TEST

/* Stationary variances in 1-D (curvature a, noise variance sigma^2 s):
   SGD eta sigma^2 s / (a (2 - eta a)) (MATH.md section 5); SGDM from the
   discrete Lyapunov equation P = A P A^T + b b^T of the stacked (x, m)
   recursion, solved here by iteration.  */
static double
sgdm_stationary_var (double eta, double beta, double a, double sig2s)
{
  double A[2][2]
      = { { 1 - eta * (1 - beta) * a, -eta * beta }, { (1 - beta) * a, beta } };
  double b[2] = { -eta * (1 - beta), 1 - beta };
  double Pm[2][2] = { { 0, 0 }, { 0, 0 } };
  for (int it = 0; it < 200000; it++)
    {
      double N[2][2];
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
          {
            double s = b[i] * b[j] * sig2s;
            for (int k = 0; k < 2; k++)
              for (int l = 0; l < 2; l++)
                s += A[i][k] * Pm[k][l] * A[j][l];
            N[i][j] = s;
          }
      memcpy (Pm, N, sizeof N);
    }
  return Pm[0][0];
}

START_TEST (test_optim_stationary_variances_within_se)
{
  enum
  {
    NP = 20000
  };
  const double a = 2.0, s = 0.5, sigma = 1.0, eta = 0.1;
  sde_problem *pb = sde_problem_alloc ("quadratic:h=2,s=0.5,x0=0", NULL);
  const char *methods[] = { "sgd", "sgdm:beta=0.8" };
  double want[2] = { eta * sigma * sigma * s / (a * (2 - eta * a)),
                     sgdm_stationary_var (eta, 0.8, a, sigma * sigma * s) };
  for (int k = 0; k < 2; k++)
    {
      sde_optim o = parse (methods[k]);
      sde_optim_set (&o, eta);
      sde_oracle orc = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 };
      sde_rng *r = sde_rng_alloc (NULL, 2024);
      double *x = calloc (NP, sizeof (double)),
             *m = calloc (NP, sizeof (double));
      double *g = malloc (NP * sizeof (double)),
             *z = malloc (NP * sizeof (double));
      double *w = malloc (sizeof (double) * sde_oracle_work (&orc, NP));
      /* 400 steps: the slowest mode decays like 0.8^k or (1 - eta a)^k.  */
      for (size_t t = 0; t < 400; t++)
        {
          sde_oracle_sample (&orc, r, 1, t, 0, NP, z, NULL);
          sde_oracle_apply (&orc, NP, x, z, NULL, g, w);
          sde_optim_apply (&o, t, NP, 1, x, m, g);
        }
      double s1 = 0, s2 = 0, s4 = 0;
      for (size_t p = 0; p < NP; p++)
        {
          s1 += x[p];
          s2 += x[p] * x[p];
          s4 += x[p] * x[p] * x[p] * x[p];
        }
      double v = s2 / NP, se = sqrt ((s4 / NP - v * v) / NP);
      ck_assert_within_se (s1 / NP, 0.0, sqrt (v / NP), 5);
      ck_assert_within_se (v, want[k], se, 5);
      free (x), free (m), free (g), free (z), free (w);
      sde_rng_free (r);
    }
  /* Momentum at equal effective learning rate changes this variance only
     at O(eta): the two must be close, but not equal.  */
  ck_assert (fabs (want[1] - want[0]) < 0.2 * want[0]);
  ck_assert (want[1] != want[0]);
  sde_problem_free (pb);
}
END_TEST

static Suite *
optim_suite (void)
{
  Suite *s = suite_create ("optim");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_optim_pytorch_values);
  tcase_add_test (tc, test_optim_hb_equals_sgdm);
  tcase_add_test (tc, test_optim_hb_dampening_effective_rate);
  tcase_add_test (tc, test_optim_hb_dampening_mean_converges);
  tcase_add_test (tc, test_optim_qhm_endpoints_bitwise);
  tcase_add_test (tc, test_optim_qhm_definition);
  tcase_add_test (tc, test_optim_svag_l1_is_plain);
  tcase_add_test (tc, test_optim_momentum_family);
  tcase_add_test (tc, test_optim_parse_errors);
  tcase_add_test (tc, test_optim_schedules);
  tcase_add_test (tc, test_optim_fused_sgd_bitwise);
  tcase_add_test (tc, test_optim_stationary_variances_within_se);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (optim_suite ());
}
