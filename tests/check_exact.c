/* check_exact.c: unit tests of the linear-Gaussian engine against direct
   recursions, stationary formulas, Monte Carlo and itself.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sdekit/density.h"
#include "sdekit/ensemble.h"
#include "sdekit/exact.h"
#include "sdekit/weak.h"
#include "testutil.h"

static sde_optim
method (const char *spec, double eta)
{
  sde_optim m;
  const char *s = spec;
  ck_assert_int_eq (sde_optim_parse (&m, &s), 0);
  ck_assert_int_eq (sde_optim_set (&m, eta), 0);
  return m;
}

/* MATH.md section 5 directly, in the original coordinates and in double:
   mu' = (I - eta H) mu, C' = (I - eta H) C (I - eta H)^T + eta^2 sigma^2
   Sigma; compared with the engine's E x_0, E x_0 x_1 and E |x|^2.  */
START_TEST (test_exact_sgd_matches_direct_recursion)
{
  sde_problem *pb = sde_problem_alloc (
      "quadratic:d=5,cond=20,seed=4,s=0.3,0.5,0.2,0.8,1,xstar=0.1,x0=1", NULL);
  const size_t d = 5;
  sde_exact *ex = sde_exact_alloc (pb);
  ck_assert_ptr_nonnull (ex);
  sde_observable obs[3];
  ck_assert_int_eq (sde_observable_parse ("x0,x0x1,norm2", d, pb, obs, 3), 3);
  const double eta = 0.05, sigma = 0.7;
  sde_optim m = method ("sgd", eta);
  size_t check[2] = { 7, 40 };
  double got[6];
  ck_assert_int_eq (
      sde_exact_method (ex, &m, sigma, pb->x0, eta, check, 2, obs, 3, got), 0);
  double mu[5], C[25] = { 0 }, Sig[25];
  const double *H = pb->hess_const, *S = pb->factor_const;
  for (size_t i = 0; i < d; i++)
    mu[i] = pb->x0[i] - 0.1;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      {
        double s = 0;
        for (size_t k = 0; k < d; k++)
          s += S[i * d + k] * S[j * d + k];
        Sig[i * d + j] = s;
      }
  for (size_t k = 1, c = 0; k <= 40; k++)
    {
      double A[25], nm[5], T[25], N[25];
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          A[i * d + j] = (i == j) - eta * H[i * d + j];
      for (size_t i = 0; i < d; i++)
        {
          nm[i] = 0;
          for (size_t j = 0; j < d; j++)
            nm[i] += A[i * d + j] * mu[j];
        }
      memcpy (mu, nm, sizeof mu);
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          {
            double s = 0;
            for (size_t l = 0; l < d; l++)
              s += A[i * d + l] * C[l * d + j];
            T[i * d + j] = s;
          }
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          {
            double s = eta * eta * sigma * sigma * Sig[i * d + j];
            for (size_t l = 0; l < d; l++)
              s += T[i * d + l] * A[j * d + l];
            N[i * d + j] = s;
          }
      memcpy (C, N, sizeof C);
      if (k == check[c])
        {
          double x0 = mu[0] + 0.1, x1 = mu[1] + 0.1, n2 = 0;
          for (size_t i = 0; i < d; i++)
            n2 += (mu[i] + 0.1) * (mu[i] + 0.1) + C[i * d + i];
          ck_assert_close (got[c * 3 + 0], x0, 1e-12);
          ck_assert_close (got[c * 3 + 1], C[1] + x0 * x1, 1e-12);
          ck_assert_close (got[c * 3 + 2], n2, 1e-12);
          c++;
        }
    }
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* Long horizons reach the 1-D stationary variances of MATH.md section 5:
   SGD eta sigma^2 s / (a (2 - eta a)), the SDE tau s / (2 a).  */
START_TEST (test_exact_stationary_variances)
{
  const double a = 2.0, s = 0.5, eta = 0.1, sigma = 1.3;
  sde_problem *pb = sde_problem_alloc ("quadratic:h=2,s=0.5,x0=0", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[1];
  sde_observable_parse ("norm2", 1, pb, obs, 1);
  size_t check[1] = { 100000 };
  double v;
  sde_optim m = method ("sgd", eta);
  sde_exact_method (ex, &m, sigma, pb->x0, eta, check, 1, obs, 1, &v);
  ck_assert_close (v, eta * sigma * sigma * s / (a * (2 - eta * a)), 1e-12);
  const double tau = eta * sigma * sigma;
  sde_limit lim = { SDE_LIMIT_SME1, pb, tau, 0, 0, NULL, NULL };
  sde_exact_sde (ex, &lim, pb->x0, NULL, eta, check, 1, obs, 1, &v);
  ck_assert_close (v, tau * s / (2 * a), 1e-12);
  /* SGDM's stationary variance solves P = A P A^T + b b^T; check the fixed
     point directly: one more step changes nothing.  */
  sde_optim mm = method ("sgdm:beta=0.7", eta);
  size_t c2[2] = { 100000, 100001 };
  double w[2];
  sde_exact_method (ex, &mm, sigma, pb->x0, eta, c2, 2, obs, 1, w);
  ck_assert_close (w[1], w[0], 1e-13);
  ck_assert (fabs (w[0] - eta * sigma * sigma * s / (a * (2 - eta * a)))
             > 1e-4);
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* Heavy-ball(lr, mu) equals SGDM(lr/(1-mu), mu) exactly; repeated squaring
   equals stepping; SVAG(1) is the plain method.  */
START_TEST (test_exact_identities)
{
  sde_problem *pb
      = sde_problem_alloc ("quadratic:H=2,0.5,0.5,1,s=0.4,0.9,x0=1,-1", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[3];
  sde_observable_parse ("x0,norm2,cos:w=1,-2", 2, pb, obs, 3);
  const double eta = 0.1;
  sde_optim hb = method ("hb:momentum=0.8", eta);
  sde_optim sm = method ("sgdm:beta=0.8", eta);
  sde_optim sv = method ("svag:l=1,sgdm:beta=0.8", eta);
  size_t every[50], jump[3] = { 5, 23, 50 };
  for (size_t k = 0; k < 50; k++)
    every[k] = k + 1;
  double a[150], b[150], c[9], e[9];
  sde_exact_method (ex, &hb, 0.8, pb->x0, eta, every, 50, obs, 3, a);
  sde_exact_method (ex, &sm, 0.8, pb->x0, eta, every, 50, obs, 3, b);
  for (size_t k = 0; k < 150; k++)
    ck_assert_close (a[k], b[k], 1e-14);
  sde_exact_method (ex, &sm, 0.8, pb->x0, eta, jump, 3, obs, 3, c);
  sde_exact_method (ex, &sv, 0.8, pb->x0, eta, jump, 3, obs, 3, e);
  for (size_t j = 0; j < 3; j++)
    for (size_t o = 0; o < 3; o++)
      {
        ck_assert_close (c[j * 3 + o], b[(jump[j] - 1) * 3 + o], 1e-13);
        ck_assert_close (e[j * 3 + o], c[j * 3 + o], 0);
      }
  /* The SDE: jumps equal steps too.  */
  sde_limit lim = { SDE_LIMIT_SME1, pb, 0.3, 0, 0, NULL, NULL };
  sde_exact_sde (ex, &lim, pb->x0, NULL, eta, every, 50, obs, 3, a);
  sde_exact_sde (ex, &lim, pb->x0, NULL, eta, jump, 3, obs, 3, c);
  for (size_t j = 0; j < 3; j++)
    for (size_t o = 0; o < 3; o++)
      ck_assert_close (c[j * 3 + o], a[(jump[j] - 1) * 3 + o], 1e-13);
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* Monte Carlo agrees with the exact engine within 5 SE for every method and
   limit SDE on a dense 2-D quadratic.  */
START_TEST (test_exact_agrees_with_monte_carlo)
{
  sde_problem *pb = sde_problem_alloc (
      "quadratic:H=1.5,0.4,0.4,0.8,s=0.5,0.3,xstar=0.2,-0.1,x0=1,-1", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[4];
  ck_assert_int_eq (
      sde_observable_parse ("x0,x0x1,loss,cos:w=0.7,1.1", 2, pb, obs, 4), 4);
  const double eta = 0.125, tau = 0.4, sigma = sqrt (tau / eta);
  const char *specs[] = { "sgd",
                          "sgdm:beta=0.6",
                          "sgdm:beta=0.6,m0=grad",
                          "hb:momentum=0.5,dampening=0.2",
                          "nesterov:momentum=0.5",
                          "svag:l=3,sgd",
                          "qhm:beta=0.6",
                          "qhm:beta=0.8,nu=0.3" };
  enum
  {
    NM = 8
  };
  sde_optim m[NM];
  sde_process proc[NM + 2];
  sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 };
  for (size_t i = 0; i < NM; i++)
    {
      m[i] = method (specs[i], eta);
      proc[i] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                               .label = specs[i],
                               .method = &m[i],
                               .oracle = o,
                               .x0 = pb->x0,
                               .dim = 2 };
      proc[i].oracle.svag = m[i].svag;
    }
  sde_limit l1 = { SDE_LIMIT_SME1, pb, tau, 0, 0, NULL, NULL };
  sde_limit lu = { SDE_LIMIT_UNDERDAMPED, pb, tau, 0, 2.0, NULL, NULL };
  sde_system s1, su;
  sde_system_limit (&s1, &l1);
  sde_system_limit (&su, &lu);
  double xm[4] = { 1, -1, 0.3, -0.2 }; /* (x0, m0) for the underdamped */
  proc[NM] = (sde_process){ .kind = SDE_PROCESS_SDE,
                            .label = "sme1",
                            .sys = &s1,
                            .scheme = sde_stepper_weak2,
                            .substeps = 8,
                            .x0 = pb->x0,
                            .dim = 2 };
  proc[NM + 1] = (sde_process){ .kind = SDE_PROCESS_SDE,
                                .label = "ud",
                                .sys = &su,
                                .scheme = sde_stepper_weak2,
                                .substeps = 8,
                                .flip = 1,
                                .x0 = xm,
                                .dim = 4 };
  size_t check[2] = { 4, 8 };
  sde_rng *rng = sde_rng_alloc (NULL, 5);
  sde_ensemble e = { .eta = eta,
                     .nsteps = 8,
                     .check = check,
                     .ncheck = 2,
                     .obs = obs,
                     .nobs = 4,
                     .proc = proc,
                     .nproc = NM + 2,
                     .ref = -1,
                     .coupled = 1,
                     .rng = rng,
                     .stream0 = 0,
                     .bound = 1e10,
                     .chunk = 256,
                     .threads = 0 };
  sde_ensemble_sums *sums = sde_ensemble_sums_alloc (&e);
  ck_assert_int_eq (sde_ensemble_run (&e, 0, 200000, sums), 0);
  double want[8];
  for (size_t i = 0; i < NM + 2; i++)
    {
      if (i < NM)
        sde_exact_method (ex, &m[i], sigma, pb->x0, eta, check, 2, obs, 4,
                          want);
      else
        sde_exact_sde (ex, i == NM ? &l1 : &lu, pb->x0, xm + 2, eta, check, 2,
                       obs, 4, want);
      for (size_t c = 0; c < 2; c++)
        for (size_t k = 0; k < 4; k++)
          {
            sde_stat st = sde_ensemble_value (sums, i, k, c);
            ck_assert_msg (fabs (st.mean - want[c * 4 + k]) <= 5 * st.se,
                           "%s %s t=%zu: MC %.8g (SE %.2g), exact %.8g",
                           proc[i].label, obs[k].name, check[c], st.mean, st.se,
                           want[c * 4 + k]);
          }
    }
  sde_ensemble_sums_free (sums);
  sde_rng_free (rng);
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

static double
step_lambda (double t, const void *p)
{
  return sde_schedule_factor (p, t);
}

/* SME-1 with a step schedule lambda(t), dX = -lambda a X dt + lambda
   sqrt(tau s) dW, in closed form piece by piece: the mean falls by
   exp(-a lambda dt) and the variance V relaxes to lambda tau s / (2 a) at
   rate 2 a lambda.  The switch at t = 0.25 falls inside an eta-step (eta
   = 0.1), which the engine splits there; every checkpoint to 1e-12.  */
START_TEST (test_exact_sde_step_schedule)
{
  const double a = 2, s = 0.5, tau = 0.13, eta = 0.1, f = 0.5, ts = 0.25;
  sde_problem *pb = sde_problem_alloc ("quadratic:h=2,s=0.5,x0=1", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[2];
  ck_assert_int_eq (sde_observable_parse ("x0,norm2", 1, pb, obs, 2), 2);
  sde_schedule sch;
  ck_assert_int_eq (sde_schedule_parse (&sch, "step:at=0.25,factor=0.5"), 0);
  sde_limit lim = { SDE_LIMIT_SME1, pb, tau, 0, 0, step_lambda, &sch };
  size_t check[4] = { 1, 2, 3, 10 };
  double v[8];
  ck_assert_int_eq (
      sde_exact_sde (ex, &lim, pb->x0, NULL, eta, check, 4, obs, 2, v), 0);
  for (size_t c = 0; c < 4; c++)
    {
      const double t = (double)check[c] * eta;
      double m = 1, V = 0;
      const double piece[2][2]
          = { { fmin (t, ts), 1 }, { fmax (0, t - ts), f } };
      for (int k = 0; k < 2; k++)
        {
          const double dt = piece[k][0], l = piece[k][1];
          const double e = exp (-2 * a * l * dt);
          m *= exp (-a * l * dt);
          V = V * e + l * tau * s / (2 * a) * (1 - e);
        }
      ck_assert_close (v[2 * c], m, 1e-12);
      ck_assert_close (v[2 * c + 1], m * m + V, 1e-12);
    }
  /* The step differs from no schedule after the switch, not before.  */
  sde_limit l1 = { SDE_LIMIT_SME1, pb, tau, 0, 0, NULL, NULL };
  double w[8];
  sde_exact_sde (ex, &l1, pb->x0, NULL, eta, check, 4, obs, 2, w);
  ck_assert_close (w[0], v[0], 1e-15);
  ck_assert (fabs (w[6] - v[6]) > 1e-3);
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* QHM at nu = 1 is SGDM and at nu = 0 is SGD, in the exact engine too:
   every step and jumps, with a fixed beta, the family, SVAG and a step
   schedule.  */
START_TEST (test_exact_qhm_endpoints)
{
  sde_problem *pb
      = sde_problem_alloc ("quadratic:H=2,0.5,0.5,1,s=0.4,0.9,x0=1,-1", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[4];
  ck_assert_int_eq (
      sde_observable_parse ("x0,x0x1,norm2,cos:w=1,-2", 2, pb, obs, 4), 4);
  const double eta = 0.1;
  const char *pairs[][2]
      = { { "qhm:beta=0.8,nu=1", "sgdm:beta=0.8" },
          { "qhm:alpha=0.5,c=1,nu=1", "sgdm:alpha=0.5,c=1" },
          { "svag:l=2,qhm:beta=0.8,nu=1", "svag:l=2,sgdm:beta=0.8" },
          { "qhm:beta=0.8,nu=0", "sgd" },
          { "svag:l=3,qhm:nu=0", "svag:l=3,sgd" } };
  size_t every[40], jump[3] = { 5, 23, 40 };
  for (size_t k = 0; k < 40; k++)
    every[k] = k + 1;
  for (size_t i = 0; i < 5; i++)
    for (int sched = 0; sched < 2; sched++)
      for (int j = 0; j < 2; j++)
        {
          sde_optim a = method (pairs[i][0], eta),
                    b = method (pairs[i][1], eta);
          if (sched)
            {
              sde_schedule_parse (&a.schedule, "step:at=1.5,factor=0.5");
              b.schedule = a.schedule;
            }
          const size_t *ck = j ? jump : every, n = j ? 3 : 40;
          double va[160], vb[160];
          ck_assert_int_eq (
              sde_exact_method (ex, &a, 0.8, pb->x0, eta, ck, n, obs, 4, va),
              0);
          ck_assert_int_eq (
              sde_exact_method (ex, &b, 0.8, pb->x0, eta, ck, n, obs, 4, vb),
              0);
          for (size_t k = 0; k < n * 4; k++)
            ck_assert_msg (fabs (va[k] - vb[k])
                               <= 1e-12 * fmax (1, fabs (vb[k])),
                           "%s vs %s (schedule %d): %.17g, %.17g", pairs[i][0],
                           pairs[i][1], sched, va[k], vb[k]);
        }
  /* In between it is neither.  */
  sde_optim q = method ("qhm:beta=0.8", eta), m = method ("sgdm:beta=0.8", eta);
  double vq[4], vm[4];
  sde_exact_method (ex, &q, 0.8, pb->x0, eta, jump + 2, 1, obs, 4, vq);
  sde_exact_method (ex, &m, 0.8, pb->x0, eta, jump + 2, 1, obs, 4, vm);
  ck_assert (fabs (vq[2] - vm[2]) > 1e-6);
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* Every registered type has the fields the engines call and is found by
   its name; the exact engine follows exactly the types with a linear map,
   and refuses one without (here a copy of a registered type with linear
   taken away).  A copy with linear kept gives the registered type's
   values: nothing depends on a type's address.  */
START_TEST (test_exact_every_type_complete)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1,3,s=0.5,x0=1,-1", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[1];
  sde_observable_parse ("norm2", 2, pb, obs, 1);
  size_t n = 0, check[1] = { 30 };
  char why[128];
  for (const sde_optim_type *const *t = sde_optim_types (); *t; t++, n++)
    {
      const sde_optim_type *T = *t;
      ck_assert_ptr_nonnull (T->name);
      ck_assert_ptr_nonnull (T->description);
      ck_assert_msg (T->parse && T->set && T->apply, "%s lacks a function",
                     T->name);
      ck_assert_msg (T->state == 1 || T->state == 2, "%s: state %u", T->name,
                     T->state);
      ck_assert_msg (!T->plain || T->state == 1, "%s: plain with a buffer",
                     T->name);
      ck_assert_ptr_eq (sde_optim_type_find (T->name), T);
      sde_optim m = method (T->name, 0.1);
      ck_assert_ptr_eq (m.type, T);
      ck_assert_int_eq (sde_exact_applies_method (&m, why, sizeof why),
                        T->linear != NULL);
      if (T->linear == NULL)
        continue;
      double want, got;
      ck_assert_int_eq (
          sde_exact_method (ex, &m, 0.7, pb->x0, 0.1, check, 1, obs, 1, &want),
          0);
      sde_optim_type copy = *T;
      m.type = &copy;
      ck_assert_int_eq (
          sde_exact_method (ex, &m, 0.7, pb->x0, 0.1, check, 1, obs, 1, &got),
          0);
      ck_assert_double_eq (got, want);
      copy.linear = NULL;
      ck_assert_int_eq (sde_exact_applies_method (&m, why, sizeof why), 0);
      ck_assert_ptr_nonnull (strstr (why, "linear"));
      ck_assert_int_eq (
          sde_exact_method (ex, &m, 0.7, pb->x0, 0.1, check, 1, obs, 1, &got),
          GSL_EINVAL);
    }
  ck_assert_uint_ge (n, 5);
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

/* A type the library does not know, defined here: gradient descent with
   its rate given per unit of a scale s, step_lr = s eta and x' = x -
   (lr / s) g.  With s a power of two that is SGD bitwise.  It keeps no
   buffer, claims nothing (not plain, no family) and has no linear map.  */
static int
gd_parse (sde_optim *o, sde_spec *spec)
{
  return sde_spec_double (spec, "s", 2, 1e-3, 1e3, &o->param[0]);
}

static int
gd_set (sde_optim *o, double eta)
{
  o->step_lr = eta * o->param[0];
  return GSL_SUCCESS;
}

static int
gd_apply (const sde_optim *o, double lr, size_t P, size_t d, double *x,
          double *m, const double *g, int first)
{
  (void)first;
  if (m != NULL) /* the ensemble gives a type with state 1 no buffer */
    return GSL_EFAULT;
  const double h = lr / o->param[0];
  for (size_t k = 0; k < d * P; k++)
    x[k] -= h * g[k];
  return GSL_SUCCESS;
}

static const sde_optim_type gd_type = { .name = "gd",
                                        .description = "SGD per unit s",
                                        .state = 1,
                                        .parse = gd_parse,
                                        .set = gd_set,
                                        .apply = gd_apply };

/* The ensemble runs it beside SGD on shared noise (SGD by its fused step)
   and gets SGD's values bitwise; the exact and density engines refuse it
   with their reasons; sde_optim_parse knows it only through
   sde_optim_parse_with.  */
START_TEST (test_exact_user_type)
{
  const sde_optim_type *types[] = { sde_optim_sgd, &gd_type, NULL };
  sde_optim m[2];
  const char *text = "sgd,gd:s=4", *bad = "gd";
  ck_assert_int_ne (sde_optim_parse (&m[0], &bad), 0);
  ck_assert_int_eq (sde_optim_parse_with (&m[0], types, &text), 0);
  ck_assert_int_eq (sde_optim_parse_with (&m[1], types, &text), 0);
  ck_assert_ptr_eq (m[1].type, &gd_type);
  ck_assert_str_eq (m[1].spec, "gd:s=4");
  sde_problem *pb = sde_problem_alloc (
      "quadratic:H=1.5,0.4,0.4,0.8,s=0.5,0.3,x0=1,-1", NULL);
  const double eta = 0.125, sigma = 1.5;
  sde_process proc[2];
  sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 };
  for (size_t i = 0; i < 2; i++)
    {
      ck_assert_int_eq (sde_optim_set (&m[i], eta), 0);
      proc[i] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                               .label = m[i].spec,
                               .method = &m[i],
                               .oracle = o,
                               .x0 = pb->x0,
                               .dim = 2 };
    }
  ck_assert_double_eq (m[1].step_lr, 0.5);
  char name[64];
  ck_assert_str_eq (sde_optim_name (&m[1], name, sizeof name),
                    "gd:s=4(eta=0.125)");
  sde_observable obs[2];
  ck_assert_int_eq (sde_observable_parse ("x0,norm2", 2, pb, obs, 2), 2);
  size_t check[2] = { 3, 8 };
  sde_rng *rng = sde_rng_alloc (NULL, 7);
  sde_ensemble e = { .eta = eta,
                     .nsteps = 8,
                     .check = check,
                     .ncheck = 2,
                     .obs = obs,
                     .nobs = 2,
                     .proc = proc,
                     .nproc = 2,
                     .ref = 0,
                     .coupled = 1,
                     .rng = rng,
                     .stream0 = 0,
                     .bound = 1e10,
                     .chunk = 256,
                     .threads = 0 };
  sde_ensemble_sums *sums = sde_ensemble_sums_alloc (&e);
  ck_assert_int_eq (sde_ensemble_run (&e, 0, 4096, sums), 0);
  for (size_t c = 0; c < 2; c++)
    for (size_t k = 0; k < 2; k++)
      {
        sde_stat a = sde_ensemble_value (sums, 0, k, c),
                 b = sde_ensemble_value (sums, 1, k, c);
        ck_assert (a.se > 0);
        ck_assert_double_eq (a.mean, b.mean);
        ck_assert_double_eq (a.se, b.se);
      }
  char why[128];
  ck_assert_int_eq (sde_exact_applies_method (&m[1], why, sizeof why), 0);
  ck_assert_msg (strstr (why, "no linear-Gaussian map"), "reason: %s", why);
  sde_exact *ex = sde_exact_alloc (pb);
  double v[4];
  testutil_capture_reasons ();
  ck_assert_int_eq (
      sde_exact_method (ex, &m[1], sigma, pb->x0, eta, check, 2, obs, 2, v),
      GSL_EINVAL);
  ck_assert_msg (strstr (testutil_reason (),
                         "exact engine: gd:s=4: the method has no "
                         "linear-Gaussian map"),
                 "reason: %s", testutil_reason ());
  sde_problem *p1 = sde_problem_alloc ("quadratic:h=2,s=0.5", NULL);
  ck_assert_int_eq (
      sde_density_applies (p1, SDE_ORACLE_GAUSSIAN, &m[1], 1, why, sizeof why),
      0);
  ck_assert_ptr_nonnull (strstr (why, "SGD only"));
  ck_assert_int_ne (
      sde_density_applies (p1, SDE_ORACLE_GAUSSIAN, &m[0], 1, why, sizeof why),
      0);
  sde_problem_free (p1);
  sde_exact_free (ex);
  sde_ensemble_sums_free (sums);
  sde_rng_free (rng);
  sde_problem_free (pb);
}
END_TEST

/* SGD against SME-1 on a dense d = 20 quadratic: order 1 to two decimals
   at small eta; against SME-2 in the fixed-sigma scaling, order 2.  */
START_TEST (test_exact_orders)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:d=20,cond=10,seed=2", NULL);
  sde_exact *ex = sde_exact_alloc (pb);
  sde_observable obs[1];
  sde_observable_parse ("norm2", 20, pb, obs, 1);
  for (int two = 0; two < 2; two++)
    {
      sde_weak_point pts[6];
      for (int i = 0; i < 6; i++)
        {
          double eta = ldexp (1, -8 - i), sigma = two ? 1.0 : sqrt (0.5 / eta);
          double tau = eta * sigma * sigma;
          size_t n = (size_t)llround (1 / eta), check[1] = { n };
          sde_optim m = method ("sgd", eta);
          sde_limit lim = {
            two ? SDE_LIMIT_SME2 : SDE_LIMIT_SME1, pb, tau, eta, 0, NULL, NULL
          };
          double val[2];
          sde_exact_method (ex, &m, sigma, pb->x0, eta, check, 1, obs, 1, val);
          sde_exact_sde (ex, &lim, pb->x0, NULL, eta, check, 1, obs, 1,
                         val + 1);
          sde_weak_rows_exact (eta, 1, 1, 1, check, val, &pts[i]);
        }
      sde_weak_fit f;
      sde_weak_fit_points (pts, 6, &f);
      ck_assert_msg (f.ok && fabs (f.order - (two ? 2 : 1)) < 0.01,
                     "SME-%d order %g", two + 1, f.order);
    }
  sde_exact_free (ex);
  sde_problem_free (pb);
}
END_TEST

START_TEST (test_exact_refuses_what_it_cannot_do)
{
  char why[128];
  sde_problem *dw = sde_problem_alloc ("doublewell", NULL);
  ck_assert_int_eq (
      sde_exact_applies (dw, SDE_ORACLE_GAUSSIAN, NULL, 0, why, sizeof why), 0);
  ck_assert_ptr_null (sde_exact_alloc (dw));
  sde_problem *q = sde_problem_alloc ("quadratic:h=1", NULL);
  ck_assert_int_eq (
      sde_exact_applies (q, SDE_ORACLE_RADEMACHER, NULL, 0, why, sizeof why),
      0);
  ck_assert (strstr (why, "Gaussian") != NULL);
  sde_observable u;
  sde_observable_set_fn (&u, "user", NULL, NULL, 0);
  ck_assert_int_eq (
      sde_exact_applies (q, SDE_ORACLE_GAUSSIAN, &u, 1, why, sizeof why), 0);
  sde_problem_free (dw);
  sde_problem_free (q);
}
END_TEST

static Suite *
exact_suite (void)
{
  Suite *s = suite_create ("exact");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_exact_sgd_matches_direct_recursion);
  tcase_add_test (tc, test_exact_stationary_variances);
  tcase_add_test (tc, test_exact_identities);
  tcase_add_test (tc, test_exact_agrees_with_monte_carlo);
  tcase_add_test (tc, test_exact_orders);
  tcase_add_test (tc, test_exact_refuses_what_it_cannot_do);
  tcase_add_test (tc, test_exact_qhm_endpoints);
  tcase_add_test (tc, test_exact_sde_step_schedule);
  tcase_add_test (tc, test_exact_every_type_complete);
  tcase_add_test (tc, test_exact_user_type);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (exact_suite ());
}
