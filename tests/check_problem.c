/* check_problem.c: unit tests of the problem catalog, expression problems
   (losses, noise, specifications, quadratics for the exact engine),
   oracles and limit SDEs.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "problem_internal.h"
#include "sdekit/exact.h"
#include "sdekit/manifold.h"
#include "sdekit/observable.h"
#include "sdekit/problem.h"
#include "sdekit/rng.h"
#include "sdekit/stepper.h"
#include "sdekit/system.h"
#include "testutil.h"

enum
{
  NP = 5
};

/* Random points near the problem's start: x0 + U(-0.5, 0.5).  */
static void
random_points (const sde_problem *pb, double *x, uint64_t seed)
{
  sde_rng *r = sde_rng_alloc (NULL, seed);
  sde_rng_sample (r, SDE_RNG_UNIFORM, 0, 0, 0, 0, NP, pb->dim, x, NP);
  for (size_t i = 0; i < pb->dim; i++)
    for (size_t p = 0; p < NP; p++)
      x[i * NP + p] = pb->x0[i] + x[i * NP + p] - 0.5;
  sde_rng_free (r);
}

/* |a - b| <= tol (|b| + scale).  */
static void
near (double a, double b, double tol, double scale, const char *what,
      const char *spec, size_t k)
{
  ck_assert_msg (fabs (a - b) <= tol * (fabs (b) + scale),
                 "%s: %s[%zu] = %.12g, finite differences give %.12g", spec,
                 what, k, a, b);
}

/* Gradient against differences of the loss, Hessian against differences of
   the gradient, third-derivative contraction against differences of the
   Hessian contracted with a random S.  */
static void
check_derivatives_of (const sde_problem *pb, const char *spec)
{
  const size_t d = pb->dim;
  double *x = malloc (sizeof (double) * d * NP);
  double *g = malloc (sizeof (double) * d * NP);
  double *gf = malloc (sizeof (double) * d * NP);
  double *H = malloc (sizeof (double) * d * d * NP);
  double *Hf = malloc (sizeof (double) * d * d * NP);
  double *Hp = malloc (sizeof (double) * d * d * NP);
  double *Hm = malloc (sizeof (double) * d * d * NP);
  double *S = malloc (sizeof (double) * d * d * NP);
  double *t = malloc (sizeof (double) * d * NP);
  double *xs = malloc (sizeof (double) * d * NP);
  double *w = malloc (sizeof (double) * sde_problem_work (pb) * NP);
  random_points (pb, x, 5);
  const double h = 1e-5;
  ck_assert_int_eq (pb->grad (pb, NP, x, g, w), 0);
  ck_assert_int_eq (sde_problem_fd_grad (pb, NP, x, h, gf, w), 0);
  for (size_t k = 0; k < d * NP; k++)
    near (g[k], gf[k], 1e-6, 1, "grad", spec, k);
  if (pb->hess)
    {
      ck_assert_int_eq (pb->hess (pb, NP, x, H, w), 0);
      ck_assert_int_eq (sde_problem_fd_hess (pb, NP, x, h, Hf, w), 0);
      for (size_t k = 0; k < d * d * NP; k++)
        near (H[k], Hf[k], 1e-6, 1, "hess", spec, k);
    }
  if (pb->third)
    {
      sde_rng *r = sde_rng_alloc (NULL, 11);
      sde_rng_sample (r, SDE_RNG_NORMAL, 0, 0, 0, 0, NP, d * d, S, NP);
      sde_rng_free (r);
      ck_assert_int_eq (pb->third (pb, NP, x, S, t, w), 0);
      /* sum_jk d_k H_ij S_jk by central differences in each k.  */
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < NP; p++)
          {
            double want = 0;
            for (size_t k = 0; k < d; k++)
              {
                memcpy (xs, x, sizeof (double) * d * NP);
                xs[k * NP + p] += h;
                pb->hess (pb, NP, xs, Hp, w);
                xs[k * NP + p] -= 2 * h;
                pb->hess (pb, NP, xs, Hm, w);
                for (size_t j = 0; j < d; j++)
                  want += (Hp[(i * d + j) * NP + p] - Hm[(i * d + j) * NP + p])
                          / (2 * h) * S[(j * d + k) * NP + p];
              }
            near (t[i * NP + p], want, 1e-5, 1, "third", spec, i);
          }
    }
  /* The loss is finite and the factor has the declared shape.  */
  double L[NP];
  ck_assert_int_eq (pb->loss (pb, NP, x, L, w), 0);
  for (size_t p = 0; p < NP; p++)
    ck_assert (isfinite (L[p]));
  free (x), free (g), free (gf), free (H), free (Hf), free (Hp), free (Hm);
  free (S), free (t), free (xs), free (w);
}

static void
check_derivatives (const char *spec)
{
  sde_problem *pb = sde_problem_alloc (spec, NULL);
  ck_assert_msg (pb != NULL, "cannot allocate %s", spec);
  check_derivatives_of (pb, spec);
  sde_problem_free (pb);
}

START_TEST (test_problem_catalog_derivatives_match_fd)
{
  const char *specs[] = {
    "quadratic:h=1,10",
    "quadratic:d=5,cond=100,seed=3",
    "quadratic:H=2,1,1,3,xstar=0.5,-1",
    "lte:h=1,4",
    "doublewell:a=1",
    "nonconvex2d:k=2,c=0.7",
    "circle",
    "circle:d=3",
    "valley",
    "labelvalley:delta=0.5",
    "sparse:m=3,n=5,k=1,x0=0.4",
    "linreg",
    "linreg:data=synthetic,n=30,m=3,seed=2,ridge=0.1",
    "logreg:data=synthetic,n=30,m=3,seed=4",
    "logreg",
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    check_derivatives (specs[i]);
  /* Every catalog entry is covered above.  */
  size_t n = 0;
  while (sde_problem_name (n, NULL, NULL))
    n++;
  ck_assert_uint_eq (n, 10);
}
END_TEST

START_TEST (test_problem_expression_matches_quadratic)
{
  sde_problem *q = sde_problem_alloc ("quadratic:h=1,10,s=1", NULL);
  sde_problem *e = sde_problem_alloc_expr ("0.5*(1*x0^2+10*x1^2)", 1.0, NULL);
  ck_assert_ptr_nonnull (e);
  ck_assert_uint_eq (e->dim, 2);
  double x[2 * NP], a[4 * NP], b[4 * NP];
  double *w = malloc (sizeof (double) * (sde_problem_work (q) + 10) * NP);
  random_points (q, x, 8);
  q->loss (q, NP, x, a, w);
  e->loss (e, NP, x, b, w);
  for (size_t p = 0; p < NP; p++)
    ck_assert_close (b[p], a[p], 1e-12);
  q->grad (q, NP, x, a, w);
  e->grad (e, NP, x, b, w);
  for (size_t k = 0; k < 2 * NP; k++)
    ck_assert_close (b[k], a[k], 1e-12);
  q->hess (q, NP, x, a, w);
  e->hess (e, NP, x, b, w);
  for (size_t k = 0; k < 4 * NP; k++)
    ck_assert_close (b[k], a[k], 1e-12);
  sde_problem_free (e);
  /* A cubic: its third derivatives are symbolic, checked by differences. */
  e = sde_problem_alloc_expr ("0.5*(x0*x1-1)^2 + x2^3/3 + sin(x0)*x2", 1.0,
                              "0.3,0.7,-0.2");
  ck_assert_ptr_nonnull (e);
  ck_assert_uint_eq (e->dim, 3);
  ck_assert_close (e->x0[1], 0.7, 0);
  check_derivatives_of (e, "cubic expression");
  sde_problem_free (e);
  free (w);
  sde_problem_free (q);
}
END_TEST

START_TEST (test_problem_specs_rejected)
{
  const char *bad[] = { "quadratic:h=1,abc",
                        "quadratic:h=1,2,H=1,0,0,1",
                        "quadratic:H=1,2,3,4",
                        "quadratic:H=1,2,3",
                        "quadratic:h=1,2,x0=1,2,3",
                        "quadratic:h=1,2,s=-1",
                        "doublewell:b=1",
                        "circle:d=1",
                        "sparse:k=20,m=10",
                        "linreg:data=nosuch",
                        "nosuchproblem",
                        "quadratic:d=2.5" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg (sde_problem_alloc (bad[i], NULL) == NULL, "%s accepted",
                   bad[i]);
  /* Canonical specs keep every parameter.  */
  sde_problem *pb = sde_problem_alloc ("doublewell", NULL);
  ck_assert_str_eq (sde_problem_spec (pb), "doublewell:a=1,s=1,x0=0.5");
  sde_problem_free (pb);
}
END_TEST

/* The closed-form Phi of the flat valley keeps the gradient flow's
   invariant ln x + x^2/2 - y^2/2; the circle's is x/|x|.  */
START_TEST (test_problem_phi_closed_forms)
{
  sde_problem *pb = sde_problem_alloc ("valley", NULL);
  double x[2 * NP], f[2 * NP], w[16 * NP];
  random_points (pb, x, 3);
  ck_assert_int_eq (pb->phi (pb, NP, x, f, w), 0);
  for (size_t p = 0; p < NP; p++)
    {
      double u = x[p], v = x[NP + p], z = f[p];
      ck_assert_close (log (fabs (z)) + z * z / 2,
                       log (fabs (u)) + u * u / 2 - v * v / 2, 1e-13);
      ck_assert_close (f[NP + p], 0, 0);
    }
  sde_problem_free (pb);
  pb = sde_problem_alloc ("circle", NULL);
  random_points (pb, x, 4);
  pb->phi (pb, NP, x, f, w);
  for (size_t p = 0; p < NP; p++)
    ck_assert_close (hypot (f[p], f[NP + p]), 1, 1e-15);
  double zero[2 * NP] = { 0 };
  ck_assert_int_eq (pb->phi (pb, NP, zero, f, w), GSL_EDOM);
  sde_problem_free (pb);
}
END_TEST

/* Mean and covariance of N oracle draws at one point x against grad L and
   C, entry by entry within 5 SE.  */
static void
check_oracle_moments (const sde_oracle *o, const double *x1, const double *C,
                      size_t N)
{
  const sde_problem *pb = o->prob;
  const size_t d = pb->dim, P = 1000, nv = sde_oracle_nvar (o);
  double *x = malloc (sizeof (double) * d * P),
         *g = malloc (sizeof (double) * d * P);
  double *z = malloc (sizeof (double) * (nv ? nv : 1) * P);
  uint32_t *idx = malloc (sizeof (uint32_t) * (nv ? nv : 1) * P);
  double *w = malloc (sizeof (double) * sde_oracle_work (o, P));
  double *gl = malloc (sizeof (double) * d * P);
  double *s1 = calloc (d, sizeof (double)),
         *s2 = calloc (d * d, sizeof (double));
  double *s4 = calloc (d * d, sizeof (double));
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      x[i * P + p] = x1[i];
  pb->grad (pb, P, x, gl, w);
  sde_rng *r = sde_rng_alloc (NULL, 31337);
  for (size_t b = 0; b < N / P; b++)
    {
      ck_assert_int_eq (sde_oracle_sample (o, r, 0, b, 0, P, z, idx), 0);
      ck_assert_int_eq (sde_oracle_apply (o, P, x, z, idx, g, w), 0);
      for (size_t p = 0; p < P; p++)
        for (size_t i = 0; i < d; i++)
          {
            double ei = g[i * P + p] - gl[i * P + p];
            s1[i] += ei;
            for (size_t j = 0; j < d; j++)
              {
                double c = ei * (g[j * P + p] - gl[j * P + p]);
                s2[i * d + j] += c;
                s4[i * d + j] += c * c;
              }
          }
    }
  const double n = (double)(N / P * P);
  for (size_t i = 0; i < d; i++)
    {
      ck_assert_within_se (s1[i] / n, 0, sqrt (s2[i * d + i] / n / n), 5);
      for (size_t j = 0; j < d; j++)
        {
          double m = s2[i * d + j] / n;
          double se = sqrt (fmax (0, s4[i * d + j] / n - m * m) / n);
          ck_assert_within_se (m, C[i * d + j], se, 5);
        }
    }
  sde_rng_free (r);
  free (x), free (g), free (z), free (idx), free (w), free (gl);
  free (s1), free (s2), free (s4);
}

/* Sigma(x) = S S^T from the problem's factor.  */
static void
sigma_at (const sde_problem *pb, const double *x1, double *C)
{
  const size_t d = pb->dim, r = pb->noise_dim;
  double *S = malloc (sizeof (double) * d * r);
  double *w = malloc (sizeof (double) * (pb->work + 1));
  if (pb->factor_const)
    memcpy (S, pb->factor_const, sizeof (double) * d * r);
  else
    pb->factor (pb, 1, x1, S, w);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      {
        double s = 0;
        for (size_t k = 0; k < r; k++)
          s += S[i * r + k] * S[j * r + k];
        C[i * d + j] = s;
      }
  free (S);
  free (w);
}

START_TEST (test_oracle_gaussian_laws_and_svag_moments)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1,3,s=0.5,2", NULL);
  double x1[2] = { 0.3, -0.2 }, C[4];
  sigma_at (pb, x1, C);
  const double sigma = 0.7;
  for (int k = 0; k < 4; k++)
    C[k] *= sigma * sigma;
  sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 };
  check_oracle_moments (&o, x1, C, 200000);
  o.law = SDE_ORACLE_RADEMACHER;
  check_oracle_moments (&o, x1, C, 200000);
  o.law = SDE_ORACLE_STUDENT;
  o.nu = 7;
  check_oracle_moments (&o, x1, C, 200000);
  /* SVAG(4): the same mean, covariance 4 sigma^2 Sigma.  */
  o.law = SDE_ORACLE_GAUSSIAN;
  o.svag = 4;
  for (int k = 0; k < 4; k++)
    C[k] *= 4;
  check_oracle_moments (&o, x1, C, 200000);
  ck_assert_uint_eq (sde_oracle_nvar (&o), 4);
  sde_problem_free (pb);
}
END_TEST

/* Minibatches: Cov g = Sigma(x) / B with replacement and
   Sigma(x) / B (n - B) / (n - 1) without (MATH.md section 2).  */
START_TEST (test_oracle_minibatch_covariance)
{
  sde_problem *pb
      = sde_problem_alloc ("linreg:data=synthetic,n=20,m=2,seed=3", NULL);
  double x1[2] = { 0.4, -0.3 }, C[4], Cb[4];
  sigma_at (pb, x1, C);
  const size_t B = 5, n = 20;
  sde_oracle o = { pb, SDE_ORACLE_MINIBATCH, 1.0, 0, B, 1, 1 };
  ck_assert_int_eq (sde_oracle_check (&o), 0);
  for (int k = 0; k < 4; k++)
    Cb[k] = C[k] / B;
  check_oracle_moments (&o, x1, Cb, 200000);
  o.replace = 0;
  for (int k = 0; k < 4; k++)
    Cb[k] = C[k] / B * (double)(n - B) / (n - 1);
  check_oracle_moments (&o, x1, Cb, 200000);
  /* B = n without replacement is the full gradient.  */
  o.batch = n;
  for (int k = 0; k < 4; k++)
    Cb[k] = 0;
  check_oracle_moments (&o, x1, Cb, 2000);
  /* SVAG(3) of a minibatch oracle multiplies the covariance by 3.  */
  o.batch = B;
  o.replace = 1;
  o.svag = 3;
  for (int k = 0; k < 4; k++)
    Cb[k] = 3 * C[k] / B;
  check_oracle_moments (&o, x1, Cb, 200000);
  o.batch = 21;
  ck_assert_int_eq (sde_oracle_check (&o), GSL_EINVAL);
  sde_oracle q = { pb, SDE_ORACLE_MINIBATCH, 1.0, 0, 2, 1, 1 };
  sde_problem *quad = sde_problem_alloc ("quadratic:h=1", NULL);
  q.prob = quad;
  ck_assert_int_eq (sde_oracle_check (&q), GSL_EINVAL);
  sde_problem_free (quad);
  sde_problem_free (pb);
}
END_TEST

/* The quadratic of the next test as a one-path problem without Hessian. */
static int
q_loss (const double *x, double *out, void *params)
{
  (void)params;
  out[0] = x[0] * x[0] + 0.5 * x[0] * x[1] + 0.5 * x[1] * x[1];
  return 0;
}

static int
q_grad (const double *x, double *out, void *params)
{
  (void)params;
  out[0] = 2 * x[0] + 0.5 * x[1];
  out[1] = 0.5 * x[0] + x[1];
  return 0;
}

/* SME-2's drift on a quadratic is -(I + eta/2 H) H x, with the Hessian or
   with the directional difference; the underdamped SDE stacks (x, m).  */
START_TEST (test_limit_sde_drifts)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:H=2,0.5,0.5,1", NULL);
  sde_limit lim = { SDE_LIMIT_SME2, pb, 0.3, 0.1, 0, NULL, NULL };
  sde_system sys;
  ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
  double x[2] = { 0.7, -0.4 }, a[2], b[4];
  double *w = malloc (sizeof (double) * 64);
  sys.drift (0, 1, x, a, w, sys.params);
  const double H[2][2] = { { 2, 0.5 }, { 0.5, 1 } };
  double hx[2]
      = { H[0][0] * x[0] + H[0][1] * x[1], H[1][0] * x[0] + H[1][1] * x[1] };
  for (int i = 0; i < 2; i++)
    ck_assert_close (
        a[i], -(hx[i] + 0.05 * (H[i][0] * hx[0] + H[i][1] * hx[1])), 1e-14);
  /* The same problem without its Hessian: central differences.  */
  sde_problem nohess;
  sde_problem_paths cb = { q_loss, q_grad, NULL, NULL, NULL };
  ck_assert_int_eq (sde_problem_set_path (&nohess, 2, 0, &cb), 0);
  lim.prob = &nohess;
  double a2[2];
  sde_system_limit (&sys, &lim);
  sys.drift (0, 1, x, a2, w, sys.params);
  ck_assert_close (a2[0], a[0], 1e-8);
  ck_assert_close (a2[1], a[1], 1e-8);
  lim.prob = pb;
  /* SME-1 diffusion is sqrt(tau) S; the schedule scales both.  */
  lim.kind = SDE_LIMIT_SME1;
  sde_system_limit (&sys, &lim);
  sys.diffusion (0, 1, x, b, w, sys.params);
  ck_assert_close (b[0], sqrt (0.3), 1e-15);
  ck_assert_close (b[1], 0, 0);
  /* Underdamped: d = 4, drift (-m, c (grad L - m)), noise c sqrt(tau) S. */
  lim.kind = SDE_LIMIT_UNDERDAMPED;
  lim.c = 2;
  ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
  ck_assert_uint_eq (sys.dim, 4);
  double z[4] = { 0.7, -0.4, 0.1, 0.2 }, dz[4], bz[8];
  sys.drift (0, 1, z, dz, w, sys.params);
  ck_assert_close (dz[0], -0.1, 0);
  ck_assert_close (dz[2], 2 * (hx[0] - 0.1), 1e-15);
  sys.diffusion (0, 1, z, bz, w, sys.params);
  ck_assert_close (bz[0], 0, 0);
  ck_assert_close (bz[4], 2 * sqrt (0.3), 1e-15);
  lim.c = 0;
  ck_assert_int_eq (sde_system_limit (&sys, &lim), GSL_EINVAL);
  free (w);
  sde_problem_free (pb);
}
END_TEST

/* The last reason gsl_error reported, for checking messages.  */
static char last_reason[512];

static void
keep_reason (const char *reason, const char *file, int line, int gsl_errno)
{
  (void)file, (void)line, (void)gsl_errno;
  snprintf (last_reason, sizeof last_reason, "%s", reason);
}

/* Keys of a generated Hessian beside h or H were silently ignored.  */
START_TEST (test_problem_quadratic_conflicting_keys)
{
  gsl_error_handler_t *old = gsl_set_error_handler (keep_reason);
  const struct
  {
    const char *spec, *names;
  } bad[] = { { "quadratic:d=3,cond=100,h=1", "cond" },
              { "quadratic:d=3,h=1", "d=3" },
              { "quadratic:h=1,2,seed=4", "seed" },
              { "lte:H=1,0,0,2,dense=0", "dense" },
              { "quadratic:H=1,0,0,2,d=3", "d=3" } };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      last_reason[0] = '\0';
      ck_assert_msg (sde_problem_alloc (bad[i].spec, NULL) == NULL,
                     "%s accepted", bad[i].spec);
      ck_assert_msg (strstr (last_reason, bad[i].names) != NULL,
                     "%s: reason '%s' does not name %s", bad[i].spec,
                     last_reason, bad[i].names);
      ck_assert_ptr_null (strchr (last_reason, '\n'));
    }
  gsl_set_error_handler (old);
  /* A d that agrees is fine.  */
  sde_problem *pb = sde_problem_alloc ("quadratic:d=2,h=1,3", NULL);
  ck_assert_ptr_nonnull (pb);
  ck_assert_uint_eq (pb->dim, 2);
  sde_problem_free (pb);
}
END_TEST

/* cos:w=... expanded a single weight over d coordinates into a 64-slot
   array: d = 100 wrote past it (ASan flags it; the second observable
   overwrote the tail).  */
START_TEST (test_problem_cos_observable_high_dimension)
{
  const size_t d = 100, P = 3;
  sde_problem *pb = sde_problem_alloc ("quadratic:d=100", NULL);
  ck_assert_ptr_nonnull (pb);
  sde_observable obs[2];
  ck_assert_int_eq (sde_observable_parse ("cos:w=0.01,x99", d, pb, obs, 2), 2);
  ck_assert_uint_eq (obs[0].n, d);
  double *x = malloc (sizeof (double) * d * P), out[3];
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      x[i * P + p] = 0.01 * (double)i + 0.5 * (double)p;
  ck_assert_int_eq (sde_observable_apply (&obs[0], P, x, out, NULL), 0);
  for (size_t p = 0; p < P; p++)
    {
      double s = 0;
      for (size_t i = 0; i < d; i++)
        s += 0.01 * x[i * P + p];
      ck_assert_close (out[p], cos (s), 1e-13);
    }
  ck_assert_int_eq (sde_observable_apply (&obs[1], P, x, out, NULL), 0);
  ck_assert_close (out[2], x[99 * P + 2], 0);
  /* Beyond the capacity: a clear error, no overflow.  */
  ck_assert_int_eq (
      sde_observable_parse ("cos", SDE_OBSERVABLE_MAXW + 1, NULL, obs, 2), -1);
  free (x);
  sde_problem_free (pb);
}
END_TEST

/* fd_grad's scratch for the loss started 2P too far: with d = 1 it ran P
   doubles past the documented workspace.  Guard values after it must
   survive.  */
START_TEST (test_problem_fd_grad_workspace_d1)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:h=2,xstar=0.25", NULL);
  ck_assert_ptr_nonnull (pb);
  enum
  {
    NPATH = 8,
    GUARD = 64
  };
  const size_t nw = sde_problem_work (pb) * NPATH;
  double *w = malloc (sizeof (double) * (nw + GUARD));
  for (size_t k = 0; k < nw + GUARD; k++)
    w[k] = -7.0;
  double x[NPATH], g[NPATH];
  for (size_t p = 0; p < NPATH; p++)
    x[p] = 0.1 * (double)p;
  ck_assert_int_eq (sde_problem_fd_grad (pb, NPATH, x, 1e-4, g, w), 0);
  for (size_t p = 0; p < NPATH; p++)
    ck_assert_close (g[p], 2 * (x[p] - 0.25), 1e-10);
  for (size_t k = nw; k < nw + GUARD; k++)
    ck_assert_msg (w[k] == -7.0, "fd_grad wrote w[%zu], past its %zu", k, nw);
  ck_assert_int_eq (sde_problem_fd_hess (pb, NPATH, x, 1e-4, g, w), 0);
  ck_assert_close (g[3], 2, 1e-8);
  for (size_t k = nw; k < nw + GUARD; k++)
    ck_assert_msg (w[k] == -7.0, "fd_hess wrote w[%zu], past its %zu", k, nw);
  free (w);
  sde_problem_free (pb);
}
END_TEST

static int
q_hess (const double *x, double *out, void *params)
{
  (void)x, (void)params;
  out[0] = 2, out[1] = 0.5, out[2] = 0.5, out[3] = 1;
  return 0;
}

/* S(x) = [1, x0, 0; 0, 1, x1] (d = 2, r = 3); a NaN start is refused.  */
static int
q_factor (const double *x, double *out, void *params)
{
  (void)params;
  if (isnan (x[0]))
    return GSL_EDOM;
  const double S[6] = { 1, x[0], 0, 0, 1, x[1] };
  memcpy (out, S, sizeof S);
  return 0;
}

/* One-path callbacks over blocks of paths: the Hessian and the noise
   factor path by path in the block layout, the identity factor (r = d)
   when there is none, a callback's error returned, bad settings
   refused.  */
START_TEST (test_problem_path_callbacks)
{
  enum
  {
    NB = 3
  };
  sde_problem pb;
  sde_problem_paths cb = { q_loss, q_grad, q_hess, q_factor, NULL };
  ck_assert_int_eq (sde_problem_set_path (&pb, 2, 3, &cb), 0);
  ck_assert_uint_eq (pb.noise_dim, 3);
  double x[2 * NB] = { 0.5, -1, 2, 0.25, 3, -0.5 }, H[4 * NB], S[6 * NB];
  double *w = malloc (sizeof (double) * (sde_problem_work (&pb) + 1) * NB);
  ck_assert_int_eq (pb.hess (&pb, NB, x, H, w), 0);
  ck_assert_int_eq (pb.factor (&pb, NB, x, S, w), 0);
  for (size_t p = 0; p < NB; p++)
    {
      const double Hw[4] = { 2, 0.5, 0.5, 1 };
      const double Sw[6] = { 1, x[p], 0, 0, 1, x[NB + p] };
      for (size_t e = 0; e < 4; e++)
        ck_assert_double_eq (H[e * NB + p], Hw[e]);
      for (size_t e = 0; e < 6; e++)
        ck_assert_double_eq (S[e * NB + p], Sw[e]);
    }
  x[1] = NAN;
  ck_assert_int_eq (pb.factor (&pb, NB, x, S, w), GSL_EDOM);
  /* No factor: the identity, r = d; no Hessian: none.  */
  sde_problem_paths cb2 = { q_loss, q_grad, NULL, NULL, NULL };
  ck_assert_int_eq (sde_problem_set_path (&pb, 2, 0, &cb2), 0);
  ck_assert_uint_eq (pb.noise_dim, 2);
  ck_assert_ptr_null (pb.hess);
  ck_assert_int_eq (pb.factor (&pb, NB, x, S, w), 0);
  for (size_t e = 0; e < 4; e++)
    for (size_t p = 0; p < NB; p++)
      ck_assert_double_eq (S[e * NB + p], e == 0 || e == 3 ? 1 : 0);
  gsl_error_handler_t *old = gsl_set_error_handler_off ();
  ck_assert_int_eq (sde_problem_set_path (&pb, 0, 0, &cb2), GSL_EINVAL);
  ck_assert_int_eq (sde_problem_set_path (&pb, 2, 0, &cb), GSL_EINVAL);
  gsl_set_error_handler (old);
  free (w);
}
END_TEST

/* A user's sde_problem ends where its fields do: free and spec must not
   look past it (ASan flags a read beyond this exact-size allocation), and
   a copy of an allocated problem is not freed through the copy.  */
START_TEST (test_problem_user_struct_left_alone)
{
  sde_problem *user = malloc (sizeof *user);
  sde_problem_paths cb = { q_loss, q_grad, NULL, NULL, NULL };
  ck_assert_int_eq (sde_problem_set_path (user, 2, 0, &cb), 0);
  ck_assert_str_eq (sde_problem_spec (user), "user");
  sde_problem_free (user); /* not ours: a no-op */
  ck_assert_uint_eq (user->dim, 2);
  free (user);
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1,2", NULL);
  sde_problem *copy = malloc (sizeof *copy);
  memcpy (copy, pb, sizeof *copy);
  ck_assert_str_eq (sde_problem_spec (copy), "quadratic");
  sde_problem_free (copy);
  free (copy);
  ck_assert_str_eq (sde_problem_spec (pb), "quadratic:h=1,2,s=1,x0=1");
  sde_problem_free (pb);
  sde_problem_free (NULL);
}
END_TEST

/* Per-sample gradient covariance by brute force, from one-sample batches.
 */
static void
sample_covariance (const sde_problem *pb, const double *x1, double *C)
{
  const size_t d = pb->dim, n = pb->nsamples;
  double *g = malloc (sizeof (double) * d), *gi = malloc (sizeof (double) * d);
  double *w = malloc (sizeof (double) * (pb->work + 1));
  pb->grad (pb, 1, x1, g, w);
  memset (C, 0, sizeof (double) * d * d);
  for (uint32_t i = 0; i < n; i++)
    {
      pb->batch (pb, 1, x1, &i, 1, gi, w);
      for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++)
          C[a * d + b] += (gi[a] - g[a]) * (gi[b] - g[b]) / (double)n;
    }
  free (g), free (gi), free (w);
}

/* Data problems' factor is the thin one, the n centred per-sample
   gradients over sqrt(n): S S^T is the covariance, also when it is
   singular.  */
START_TEST (test_problem_data_factor_thin)
{
  const struct
  {
    const char *spec;
    size_t r;
  } cases[] = { { "linreg", 442 }, /* the diabetes data */
                { "logreg", 442 },
                { "linreg:data=synthetic,n=442,m=10,seed=5", 442 },
                { "logreg:data=synthetic,n=300,m=6,seed=2", 300 },
                { "linreg:data=synthetic,n=3,m=3,seed=4", 3 }, /* rank 2 */
                { "logreg:data=synthetic,n=3,m=3,seed=9", 3 }, /* rank 2 */
                { "linreg:data=synthetic,n=4,m=6,seed=1", 4 } };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    {
      sde_problem *pb = sde_problem_alloc (cases[c].spec, NULL);
      ck_assert_ptr_nonnull (pb);
      ck_assert_uint_eq (pb->noise_dim, cases[c].r);
      const size_t d = pb->dim;
      double *x = malloc (sizeof (double) * d * NP);
      double *C = malloc (sizeof (double) * d * d);
      double *S = malloc (sizeof (double) * d * d);
      random_points (pb, x, 17 + c);
      for (size_t p = 0; p < NP; p++)
        {
          double x1[16];
          for (size_t i = 0; i < d; i++)
            x1[i] = x[i * NP + p] * (1 + (double)p);
          sample_covariance (pb, x1, C);
          sigma_at (pb, x1, S);
          double scale = 0;
          for (size_t k = 0; k < d * d; k++)
            scale = fmax (scale, fabs (C[k]));
          for (size_t k = 0; k < d * d; k++)
            ck_assert_msg (fabs (S[k] - C[k]) <= 1e-12 * scale,
                           "%s: (S S^T)[%zu] = %.17g, covariance %.17g",
                           cases[c].spec, k, S[k], C[k]);
        }
      /* Blocks of paths (8 at a time, then the rest) give each path's
         factor.  */
      enum
      {
        NB = 13
      };
      const size_t r = pb->noise_dim;
      double *xb = malloc (sizeof (double) * d * NB);
      double *Sb = malloc (sizeof (double) * d * r * NB);
      double *S1 = malloc (sizeof (double) * d * r);
      double *wb = malloc (sizeof (double) * (pb->work + 1) * NB);
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < NB; p++)
          xb[i * NB + p] = 0.1 * sin ((double)(i + 3 * p));
      ck_assert_int_eq (pb->factor (pb, NB, xb, Sb, wb), 0);
      for (size_t p = 0; p < NB; p++)
        {
          double x1[16];
          for (size_t i = 0; i < d; i++)
            x1[i] = xb[i * NB + p];
          ck_assert_int_eq (pb->factor (pb, 1, x1, S1, wb), 0);
          for (size_t k = 0; k < d * r; k++)
            ck_assert_close (Sb[k * NB + p], S1[k], 1e-14);
        }
      free (xb), free (Sb), free (S1), free (wb);
      free (x), free (C), free (S);
      sde_problem_free (pb);
    }
}
END_TEST

/* The finite sums' one pass over the data: its gradient is bitwise
   pb->grad's, and its S(x) z is the formed factor times z, for blocks of
   8 paths and the rest; with weight decay too.  */
START_TEST (test_problem_data_factor_apply)
{
  const char *specs[] = { "linreg", "logreg:data=synthetic,n=50,m=4,seed=2",
                          "sparse:m=3,n=7,k=1,x0=0.4", "linreg" };
  enum
  {
    NB = 13
  };
  for (size_t c = 0; c < 4; c++)
    {
      sde_problem *in = sde_problem_alloc (specs[c], NULL);
      ck_assert_ptr_nonnull (in);
      sde_problem *pb = c == 3 ? sde_problem_alloc_decay (in, 0.3) : in;
      sde__factor_apply_fn fa = sde__problem_factor_apply (pb);
      ck_assert_ptr_nonnull (fa);
      const size_t d = pb->dim, r = pb->noise_dim;
      double *x = malloc (sizeof (double) * d * NB);
      double *z = malloc (sizeof (double) * r * NB);
      double *S = malloc (sizeof (double) * d * r * NB);
      double *g = malloc (sizeof (double) * d * NB);
      double *g2 = malloc (sizeof (double) * d * NB);
      double *sz = malloc (sizeof (double) * d * NB);
      double *w = malloc (sizeof (double) * (pb->work + 1) * NB);
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < NB; p++)
          x[i * NB + p] = 0.3 * sin ((double)(2 * i + 5 * p + 1));
      for (size_t k = 0; k < r * NB; k++)
        z[k] = cos (0.7 * (double)k);
      ck_assert_int_eq (pb->grad (pb, NB, x, g, w), 0);
      ck_assert_int_eq (fa (pb, NB, x, z, sz, g2, w), 0);
      ck_assert_msg (memcmp (g, g2, sizeof (double) * d * NB) == 0,
                     "%s: the pass's gradient is not pb->grad's", specs[c]);
      ck_assert_int_eq (pb->factor (pb, NB, x, S, w), 0);
      for (size_t i = 0; i < d; i++)
        for (size_t p = 0; p < NB; p++)
          {
            double want = 0, scale = 0;
            for (size_t j = 0; j < r; j++)
              {
                want += S[(i * r + j) * NB + p] * z[j * NB + p];
                scale += fabs (S[(i * r + j) * NB + p] * z[j * NB + p]);
              }
            ck_assert_msg (fabs (sz[i * NB + p] - want) <= 1e-13 * scale,
                           "%s: (S z)[%zu] of path %zu is %.17g, want %.17g",
                           specs[c], i, p, sz[i * NB + p], want);
          }
      free (x), free (z), free (S), free (g), free (g2), free (sz), free (w);
      if (pb != in)
        sde_problem_free (pb);
      sde_problem_free (in);
    }
}
END_TEST

/* Euler-Maruyama on a finite sum's SME-1 takes the drift and b dW from
   the one pass over the data (never b itself): one step equals x - lambda
   grad L h + lambda sqrt(tau) S(x) dW formed from pb->grad and pb->factor,
   with a schedule factor lambda != 1, to rounding.  */
static double
half_lambda (double t, const void *p)
{
  (void)t, (void)p;
  return 0.5;
}

START_TEST (test_problem_data_em_step)
{
  sde_problem *pb
      = sde_problem_alloc ("logreg:data=synthetic,n=30,m=3,seed=4", NULL);
  ck_assert_ptr_nonnull (pb);
  ck_assert_ptr_nonnull (sde__problem_factor_apply (pb));
  enum
  {
    NB = 5
  };
  const size_t d = pb->dim, r = pb->noise_dim;
  const double tau = 0.3, h = 0.05;
  sde_limit lim = { SDE_LIMIT_SME1, pb, tau, 0, 0, half_lambda, NULL };
  sde_system sys;
  ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
  sde_stepper *st = sde_stepper_alloc (sde_stepper_em, &sys, NB);
  ck_assert_ptr_nonnull (st);
  double *x = malloc (sizeof (double) * d * NB);
  double *x0 = malloc (sizeof (double) * d * NB);
  double *dw = malloc (sizeof (double) * r * NB);
  double *g = malloc (sizeof (double) * d * NB);
  double *S = malloc (sizeof (double) * d * r * NB);
  double *w = malloc (sizeof (double) * (sde_problem_work (pb) + 1) * NB);
  for (size_t k = 0; k < d * NB; k++)
    x0[k] = x[k] = 0.4 * sin ((double)(3 * k + 1));
  for (size_t k = 0; k < r * NB; k++)
    dw[k] = sqrt (h) * cos (1.3 * (double)k);
  ck_assert_int_eq (sde_stepper_apply (st, 0, h, NB, x, dw, NULL), 0);
  ck_assert_int_eq (pb->grad (pb, NB, x0, g, w), 0);
  ck_assert_int_eq (pb->factor (pb, NB, x0, S, w), 0);
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < NB; p++)
      {
        double sdw = 0, scale = fabs (x0[i * NB + p]);
        for (size_t j = 0; j < r; j++)
          {
            sdw += S[(i * r + j) * NB + p] * dw[j * NB + p];
            scale += fabs (S[(i * r + j) * NB + p] * dw[j * NB + p]);
          }
        const double want
            = x0[i * NB + p] - 0.5 * g[i * NB + p] * h + 0.5 * sqrt (tau) * sdw;
        ck_assert_msg (fabs (x[i * NB + p] - want) <= 1e-13 * (1 + scale),
                       "coordinate %zu of path %zu: %.17g, want %.17g", i, p,
                       x[i * NB + p], want);
      }
  free (x), free (x0), free (dw), free (g), free (S), free (w);
  sde_stepper_free (st);
  sde_problem_free (pb);
}
END_TEST

/* L + wd |x|^2 / 2 over a problem: derivatives by differences, the noise
   of the inner problem, minibatches shifted by wd x.  */
START_TEST (test_problem_weight_decay)
{
  sde_problem *in
      = sde_problem_alloc ("logreg:data=synthetic,n=40,m=3,seed=6", NULL);
  sde_problem *pb = sde_problem_alloc_decay (in, 0.3);
  ck_assert_ptr_nonnull (pb);
  ck_assert_ptr_null (pb->hess_const);
  ck_assert_uint_eq (pb->noise_dim, in->noise_dim);
  ck_assert_uint_eq (pb->nsamples, 40);
  enum
  {
    d = 3
  };
  double x[3 * NP], g[3 * NP], gf[3 * NP], H[9 * NP], Hf[9 * NP];
  const size_t ns = d * pb->noise_dim * NP; /* the thin factor, r = n */
  double *S1 = malloc (sizeof (double) * ns);
  double *S2 = malloc (sizeof (double) * ns);
  double *w = malloc (sizeof (double) * (sde_problem_work (pb) + 1) * NP);
  random_points (pb, x, 3);
  ck_assert_int_eq (pb->grad (pb, NP, x, g, w), 0);
  ck_assert_int_eq (sde_problem_fd_grad (pb, NP, x, 1e-5, gf, w), 0);
  for (size_t k = 0; k < d * NP; k++)
    near (g[k], gf[k], 1e-6, 1, "grad", "decay", k);
  ck_assert_int_eq (pb->hess (pb, NP, x, H, w), 0);
  ck_assert_int_eq (sde_problem_fd_hess (pb, NP, x, 1e-5, Hf, w), 0);
  for (size_t k = 0; k < d * d * NP; k++)
    near (H[k], Hf[k], 1e-6, 1, "hess", "decay", k);
  ck_assert_int_eq (pb->factor (pb, NP, x, S1, w), 0);
  ck_assert_int_eq (in->factor (in, NP, x, S2, w), 0);
  ck_assert_int_eq (memcmp (S1, S2, sizeof (double) * ns), 0);
  free (S1), free (S2);
  uint32_t idx[2 * NP];
  for (size_t k = 0; k < 2 * NP; k++)
    idx[k] = (uint32_t)(7 * k % 40);
  ck_assert_int_eq (pb->batch (pb, NP, x, idx, 2, g, w), 0);
  ck_assert_int_eq (in->batch (in, NP, x, idx, 2, gf, w), 0);
  for (size_t k = 0; k < d * NP; k++)
    ck_assert_close (g[k], gf[k] + 0.3 * x[k], 1e-15);
  ck_assert_ptr_null (sde_problem_alloc_decay (in, -1));
  free (w);
  sde_problem_free (pb);
  sde_problem_free (in);
}
END_TEST

/* ---- Expression problems ---- */

static sde_problem *
expr_problem (const char *loss, const char *cov, const char *factor,
              const char *x0)
{
  sde_problem_expr_spec spec = { loss, cov, factor, x0 };
  return sde_problem_alloc_expr_spec (&spec);
}

/* The reason an expression problem is refused, for checking messages.  */
static const char *
refusal (const char *loss, const char *cov, const char *factor, const char *x0)
{
  gsl_error_handler_t *old = gsl_set_error_handler (keep_reason);
  last_reason[0] = '\0';
  sde_problem *pb = expr_problem (loss, cov, factor, x0);
  gsl_set_error_handler (old);
  ck_assert_msg (pb == NULL, "loss '%s' cov '%s' factor '%s' x0 '%s' accepted",
                 loss, cov ? cov : "", factor ? factor : "", x0 ? x0 : "");
  ck_assert_ptr_null (strchr (last_reason, '\n'));
  return last_reason;
}

#define ck_refused(loss, cov, factor, x0, want)                                \
  do                                                                           \
    {                                                                          \
      const char *r_ = refusal (loss, cov, factor, x0);                        \
      ck_assert_msg (strstr (r_, want) != NULL, "reason '%s' lacks '%s'", r_,  \
                     want);                                                    \
    }                                                                          \
  while (0)

/* Loss errors name the field and the position; no text is printed (GNU
   libmatheval echoed unknown characters and took "x0^2@@@@").  */
START_TEST (test_problem_expression_loss_errors)
{
  ck_refused ("x0^2@@@@", NULL, NULL, NULL,
              "loss: unknown character '@' at position 5");
  ck_refused ("y+x0", NULL, NULL, NULL,
              "loss: unknown variable 'y' at position 1 (variables: x0)");
  ck_refused ("x01+x0", NULL, NULL, NULL, "unknown variable 'x01'");
  ck_refused ("x0+x2", NULL, NULL, NULL, "x1 is missing but x2 is used");
  ck_refused ("3*2", NULL, NULL, NULL, "loss: no variables");
  ck_refused ("", NULL, NULL, NULL, "loss: empty expression");
  ck_refused (" \t", NULL, NULL, NULL, "loss: empty expression");
  ck_refused (NULL, NULL, NULL, NULL, "loss: empty expression");
  ck_refused ("foo(x0)", NULL, NULL, NULL,
              "loss: unknown function 'foo' at position 1");
  ck_refused ("0.5*(x0", NULL, NULL, NULL, "loss: missing ')'");
  ck_refused ("x0 + x40", NULL, NULL, NULL,
              "'x40' at position 6: at most 32 variables");
  ck_refused ("x0^2 +", NULL, NULL, NULL, "loss: expected a number");
  ck_refused ("x0^2", NULL, NULL, "1,2", "x0: needs 1 or 1 values, got 2");
  ck_refused ("x0*x1", NULL, NULL, "1,abc", "x0: value 1 'abc'");
  ck_refused ("x0*x1", "1", "1", NULL, "not both");
  gsl_error_handler_t *old = gsl_set_error_handler (keep_reason);
  ck_assert_ptr_null (sde_problem_alloc_expr ("x0^2", -1, NULL));
  ck_assert_ptr_nonnull (strstr (last_reason, "s=-1"));
  ck_assert_ptr_null (sde_problem_alloc_expr ("x0^2", 1, "1,2"));
  gsl_set_error_handler (old);
  /* stdout and stderr stay empty whatever the input.  */
  static const char *bad[] = { "x0^2@@@@", "x0 $ x1", "\x01x0", "x0\n", "#" };
  fflush (stdout);
  fflush (stderr);
  FILE *fo = tmpfile (), *fe = tmpfile ();
  ck_assert (fo && fe);
  int so = dup (1), se = dup (2);
  dup2 (fileno (fo), 1);
  dup2 (fileno (fe), 2);
  int accepted = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      accepted += expr_problem (bad[i], NULL, NULL, NULL) != NULL;
      accepted += expr_problem ("x0", bad[i], NULL, NULL) != NULL;
    }
  fflush (stdout);
  fflush (stderr);
  dup2 (so, 1);
  dup2 (se, 2);
  close (so);
  close (se);
  struct stat so_st, se_st;
  fstat (fileno (fo), &so_st);
  fstat (fileno (fe), &se_st);
  fclose (fo);
  fclose (fe);
  ck_assert_int_eq (accepted, 0);
  ck_assert_int_eq ((int)so_st.st_size, 0);
  ck_assert_int_eq ((int)se_st.st_size, 0);
}
END_TEST

/* Noise texts: shape, symmetry and semidefiniteness at x0.  */
START_TEST (test_problem_expression_noise_refused)
{
  const char *L = "x0^2 + x1^2";
  ck_refused (L, "[1, 2; 2, 1]", NULL, NULL,
              "cov: not positive semidefinite at x0 (eigenvalue -1");
  ck_refused (L, "[1, x0; x0, 1]", NULL, "2,0",
              "not positive semidefinite at x0 (eigenvalue -1");
  ck_refused (L, "[1, 0.5; 0.4, 1]", NULL, NULL,
              "cov: not symmetric: entry (0,1) is 0.5 and entry (1,0) is 0.4 "
              "at x0");
  ck_refused (L, "[1, x0; 0, 1]", NULL, NULL, "at a point near x0");
  ck_refused (L, "diag(1, -1)", NULL, NULL,
              "cov: diag entry 1 is -1 at x0, but a variance must be >= 0");
  ck_refused (L, "-0.5", NULL, NULL, "cov: the value is -0.5 at x0");
  ck_refused (L, "log(x0)", NULL, NULL, "cov: the value is -inf at x0");
  ck_refused (L, NULL, "[1, 0; 0, 0/0]", NULL,
              "factor: entry (1,1) is nan at x0");
  ck_refused (L, "[1, 0; 0]", NULL, NULL,
              "cov: row 1 (at position 8) has 1 entries, row 0 has 2");
  ck_refused (
      L, "[1]", NULL, NULL,
      "cov: a 1 x 1 matrix, but the loss has d = 2: a covariance is d x d");
  ck_refused (L, NULL, "[1, 2, 3]", NULL,
              "factor: a 1 x 3 matrix, but the loss has d = 2");
  ck_refused (L, "diag(1)", NULL, NULL,
              "cov: diag(...) has 1 entries, but the loss has d = 2");
  ck_refused (L, "diag(1, )", NULL, NULL,
              "cov: diag entry 1 at position 8 is empty");
  ck_refused (L, "[1, 0; 0, 1", NULL, NULL,
              "cov: the '[' at position 1 is not closed");
  ck_refused (L, "diag(1, 2", NULL, NULL, "the 'diag(' at position 1");
  ck_refused (L, NULL, "[1, x2; 0, 1]", NULL,
              "factor: entry (0,1): unknown variable 'x2' at position 5 "
              "(variables: x0, x1)");
  ck_refused (L, " ", NULL, NULL, "cov: empty expression");
  ck_refused (L, "diag(1, 2) + 1", NULL, NULL, "not closed by a ')'");
  /* Entries equal to rounding are symmetric: the upper triangle is read. */
  sde_problem *pb
      = expr_problem (L, "[2, (x0+1)^2 - 1 - x0^2; 2*x0, 3]", NULL, "0.1,0");
  ck_assert_ptr_nonnull (pb);
  sde_problem_free (pb);
}
END_TEST

/* Losses with mixed, transcendental and constant terms: gradient, Hessian
   and third-derivative contraction against finite differences.  */
START_TEST (test_problem_expression_derivatives_match_fd)
{
  const struct
  {
    const char *loss, *x0;
  } cases[] = {
    { "(x0^2-1)^2/4", "0.5" },
    { "0.5*(x0*x1-1)^2 + x2^3/3 + sin(x0)*x2", "0.3,0.7,-0.2" },
    { "exp(0.3*x0 - x1) + log(1 + x2^2) * cos(x3) + x0*x1*x2*x3 + "
      "sqrt(2 + x1^2)",
      "0.1,-0.4,0.8,0.2" },
    { "tanh(x0 + 2*x1)^2 + atan(x1*x0) - x0/(1 + x1^2)", "0.4,-0.3" },
    { "3*x0 - 2", "1" },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    {
      sde_problem *pb = expr_problem (cases[c].loss, NULL, NULL, cases[c].x0);
      ck_assert_msg (pb != NULL, "cannot allocate %s", cases[c].loss);
      check_derivatives_of (pb, cases[c].loss);
      sde_problem_free (pb);
    }
}
END_TEST

/* The contraction of a separable quartic in d = 32, the largest d, in a
   block: 6 x_i S_ii.  */
START_TEST (test_problem_expression_third_d32)
{
  char loss[1024];
  size_t n = 0;
  for (size_t i = 0; i < 32; i++)
    n += (size_t)snprintf (loss + n, sizeof loss - n, "%sx%zu^4/4",
                           i ? "+" : "", i);
  sde_problem *pb = expr_problem (loss, NULL, NULL, "0.5");
  ck_assert_ptr_nonnull (pb);
  const size_t d = 32, P = 9;
  double *x = malloc (sizeof (double) * d * P);
  double *S = malloc (sizeof (double) * d * d * P);
  double *t = malloc (sizeof (double) * d * P);
  double *w = malloc (sizeof (double) * pb->work * P);
  for (size_t k = 0; k < d * P; k++)
    x[k] = 0.01 * (double)k - 1;
  for (size_t k = 0; k < d * d * P; k++)
    S[k] = sin ((double)k);
  ck_assert_int_eq (pb->third (pb, P, x, S, t, w), 0);
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      ck_assert_close (t[i * P + p], 6 * x[i * P + p] * S[(i * d + i) * P + p],
                       1e-15);
  free (x), free (S), free (t), free (w);
  sde_problem_free (pb);
}
END_TEST

/* Sigma = S S^T at one point, each kind of noise text, against the
   oracle's empirical covariance (5 SE, fixed seed) and the closed form.  */
START_TEST (test_problem_expression_noise_moments)
{
  const double a = 0.3, b = -0.2; /* the point */
  const struct
  {
    const char *cov, *factor;
    size_t r;
    int constant;
    double C[4];
  } cases[] = {
    { "0.5", NULL, 2, 1, { 0.5, 0, 0, 0.5 } },
    { "diag(0.5, 2)", NULL, 2, 1, { 0.5, 0, 0, 2 } },
    { "[1, 0.3; 0.3, 0.5]", NULL, 2, 1, { 1, 0.3, 0.3, 0.5 } },
    { "[1, 2; 2, 4]", NULL, 2, 1, { 1, 2, 2, 4 } }, /* singular */
    { NULL, "[1, 0.5, 0; 0.2, 0, 1]", 3, 1, { 1.25, 0.2, 0.2, 1.04 } },
    { NULL, "diag(2, -1)", 2, 1, { 4, 0, 0, 1 } },
    { NULL, "1.5", 2, 1, { 2.25, 0, 0, 2.25 } },
    { "1 + x0^2", NULL, 2, 0, { 1 + a * a, 0, 0, 1 + a * a } },
    { "diag(exp(x0), 1 + x1^2)", NULL, 2, 0, { exp (a), 0, 0, 1 + b * b } },
    { "[1 + x0^2, 0.5*x0*x1; 0.5*x1*x0, 1 + x1^2]",
      NULL,
      2,
      0,
      { 1 + a * a, 0.5 * a * b, 0.5 * a * b, 1 + b * b } },
    { "[x0^2, x0*x1; x0*x1, x1^2]",
      NULL,
      2,
      0,
      { a * a, a * b, a * b, b * b } },
    { NULL, "[x0, 1; 0, x1]", 2, 0, { a * a + 1, b, b, b * b } },
    { NULL, "diag(2, x0)", 2, 0, { 4, 0, 0, a * a } },
  };
  const double x1[2] = { a, b }, sigma = 0.8;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    {
      sde_problem *pb = expr_problem ("0.5*x0^2 + x1^2 + x0*x1^3", cases[c].cov,
                                      cases[c].factor, "0.3,-0.2");
      ck_assert_msg (pb != NULL, "case %zu refused", c);
      ck_assert_uint_eq (pb->noise_dim, cases[c].r);
      ck_assert_int_eq (pb->factor_const != NULL, cases[c].constant);
      ck_assert_int_eq (pb->law, SDE_ORACLE_GAUSSIAN);
      double C[4], Cs[4];
      sigma_at (pb, x1, C);
      for (int k = 0; k < 4; k++)
        {
          ck_assert_msg (fabs (C[k] - cases[c].C[k]) <= 1e-14,
                         "case %zu: Sigma[%d] = %.17g, want %.17g", c, k, C[k],
                         cases[c].C[k]);
          Cs[k] = sigma * sigma * cases[c].C[k];
        }
      sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 };
      ck_assert_int_eq (sde_oracle_check (&o), 0);
      check_oracle_moments (&o, x1, Cs, 100000);
      sde_problem_free (pb);
    }
}
END_TEST

/* A state-dependent Sigma(x) factored path by path: a path's factor does
   not depend on the block; singular Sigma are carried by zero columns;
   where Sigma(x) is not semidefinite the factor is NaN.  */
START_TEST (test_problem_expression_factor_per_path)
{
  sde_problem *pb
      = expr_problem ("x0^2 + x1^2 + x2^2",
                      "[1 + x0^2, x0*x1, 0.3*x2; x0*x1, x1^2 + 0.5, 0; "
                      "0.3*x2, 0, x2^2]",
                      NULL, "0.2,0.4,1");
  ck_assert_ptr_nonnull (pb);
  ck_assert_ptr_null (pb->factor_const);
  enum
  {
    NB = 13,
    D = 3
  };
  double x[D * NB], S[D * D * NB], S1[D * D], x1[D];
  double *w = malloc (sizeof (double) * pb->work * NB);
  for (size_t i = 0; i < D; i++)
    for (size_t p = 0; p < NB; p++)
      x[i * NB + p] = sin ((double)(1 + i + 3 * p));
  x[2 * NB + 5] = 0; /* a zero pivot: Sigma is singular there */
  ck_assert_int_eq (pb->factor (pb, NB, x, S, w), 0);
  for (size_t p = 0; p < NB; p++)
    {
      for (size_t i = 0; i < D; i++)
        x1[i] = x[i * NB + p];
      ck_assert_int_eq (pb->factor (pb, 1, x1, S1, w), 0);
      for (size_t k = 0; k < D * D; k++)
        ck_assert_msg (memcmp (&S[k * NB + p], &S1[k], sizeof (double)) == 0,
                       "path %zu entry %zu: %.17g in the block, %.17g alone", p,
                       k, S[k * NB + p], S1[k]);
      const double X = x1[0], Y = x1[1], Z = x1[2];
      const double want[9] = { 1 + X * X, X * Y,   0.3 * Z, X * Y, Y * Y + 0.5,
                               0,         0.3 * Z, 0,       Z * Z };
      for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < D; j++)
          {
            double s = 0;
            for (size_t k = 0; k < D; k++)
              s += S1[i * D + k] * S1[j * D + k];
            ck_assert_close (s, want[i * D + j], 1e-14);
          }
      ck_assert_close (S1[0 * D + 1], 0, 0); /* lower triangular */
    }
  ck_assert_close (S[(2 * D + 2) * NB + 5], 0, 0);
  free (w);
  sde_problem_free (pb);
  /* A singular Sigma(x) = v v^T, v = (x0, x1): rank one.  */
  pb = expr_problem ("x0^2 + x1^2", "[x0^2, x0*x1; x0*x1, x1^2]", NULL,
                     "0.6,-0.7");
  double y[2] = { 0.6, -0.7 }, F[4], wy[64];
  ck_assert_uint_lt (pb->work, 64);
  ck_assert_int_eq (pb->factor (pb, 1, y, F, wy), 0);
  ck_assert_close (F[0], 0.6, 1e-15);
  ck_assert_close (F[2], -0.7, 1e-15);
  ck_assert_close (F[3], 0, 1e-7);
  sde_problem_free (pb);
  /* Not semidefinite at x = (2, 0): that column is NaN, the path will
     diverge.  */
  pb = expr_problem ("x0^2 + x1^2", "[1, x0; x0, 1]", NULL, NULL);
  y[0] = 2, y[1] = 0;
  ck_assert_int_eq (pb->factor (pb, 1, y, F, wy), 0);
  ck_assert_close (F[0], 1, 0);
  ck_assert_close (F[2], 2, 0);
  ck_assert (isnan (F[3]));
  sde_problem_free (pb);
}
END_TEST

/* A problem and the one read back from its specification are the same:
   same text, same values bit for bit, same constants.  */
static void
check_round_trip (sde_problem *pb)
{
  const char *spec = sde_problem_spec (pb);
  ck_assert_ptr_null (strchr (spec, '\n'));
  sde_problem *pc = sde_problem_alloc_expr_text (spec);
  ck_assert_msg (pc != NULL, "'%s' does not read back", spec);
  ck_assert_str_eq (sde_problem_spec (pc), spec);
  const size_t d = pb->dim, r = pb->noise_dim;
  ck_assert_uint_eq (pc->dim, d);
  ck_assert_uint_eq (pc->noise_dim, r);
  ck_assert_uint_eq (pc->work, pb->work);
  ck_assert_int_eq (memcmp (pc->x0, pb->x0, sizeof (double) * d), 0);
  ck_assert_int_eq (pc->hess_const != NULL, pb->hess_const != NULL);
  ck_assert_int_eq (pc->factor_const != NULL, pb->factor_const != NULL);
  if (pb->hess_const)
    {
      ck_assert_int_eq (
          memcmp (pc->hess_const, pb->hess_const, sizeof (double) * d * d), 0);
      ck_assert_int_eq (memcmp (pc->xstar, pb->xstar, sizeof (double) * d), 0);
    }
  const size_t n = d * (d > r ? d : r) * NP;
  double *x = malloc (sizeof (double) * d * NP), *S = malloc (sizeof *S * n);
  double *a = malloc (sizeof (double) * n), *b = malloc (sizeof (double) * n);
  double *w = malloc (sizeof (double) * pb->work * NP);
  random_points (pb, x, 23);
  for (size_t k = 0; k < d * d * NP && k < n; k++)
    S[k] = cos ((double)k);
  sde_problem_fn fn[] = { pb->loss, pb->grad, pb->hess, pb->factor };
  sde_problem_fn fc[] = { pc->loss, pc->grad, pc->hess, pc->factor };
  const size_t len[] = { NP, d * NP, d * d * NP, d * r * NP };
  for (int f = 0; f < 4; f++)
    {
      ck_assert_int_eq (fn[f](pb, NP, x, a, w), 0);
      ck_assert_int_eq (fc[f](pc, NP, x, b, w), 0);
      ck_assert_int_eq (memcmp (a, b, sizeof (double) * len[f]), 0);
    }
  ck_assert_int_eq (pb->third (pb, NP, x, S, a, w), 0);
  ck_assert_int_eq (pc->third (pc, NP, x, S, b, w), 0);
  ck_assert_int_eq (memcmp (a, b, sizeof (double) * d * NP), 0);
  free (x), free (S), free (a), free (b), free (w);
  sde_problem_free (pc);
}

START_TEST (test_problem_expression_spec_round_trip)
{
  sde_problem *pb = sde_problem_alloc_expr ("(x0^2-1)^2/4", 1, NULL);
  ck_assert_str_eq (sde_problem_spec (pb), "expr:loss=(x0^2-1)^2/4,cov=1,x0=0");
  check_round_trip (pb);
  sde_problem_free (pb);
  pb = sde_problem_alloc_expr ("\t0.5*(x0*x1-1)^2 ", 0.1, "0.5,1.5");
  ck_assert_str_eq (sde_problem_spec (pb),
                    "expr:loss=0.5*(x0*x1-1)^2,cov=0.1,x0=0.5,1.5");
  check_round_trip (pb);
  sde_problem_free (pb);
  const char *cases[][4] = {
    { "0.5*(x0*x1-1)^2 + x2^3/3", "diag(1, 2, 0.5 + x0^2)", NULL,
      "0.3,0.7,-0.2" },
    { "x0^2 + x1^2", NULL, "[1, 0.5, 0; 0.2, 0, x1]", "1" },
    { "0.5*(x0 - 1)^2 + 2*(x1 + x0)^2", "[1, 0.3; 0.3, 0.5]", NULL, NULL },
    { "0.5*(x0 - 1)^2 + 2*(x1 + x0)^2", "[1, 1; 1, 1]", NULL, "-0" },
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    {
      pb = expr_problem (cases[c][0], cases[c][1], cases[c][2], cases[c][3]);
      ck_assert_ptr_nonnull (pb);
      check_round_trip (pb);
      sde_problem_free (pb);
    }
  /* Keys in any order, without the prefix.  */
  pb = sde_problem_alloc_expr_text (
      "x0 = 0.25, factor=diag(1, x1) ,loss =x0*x1");
  ck_assert_ptr_nonnull (pb);
  ck_assert_str_eq (sde_problem_spec (pb),
                    "expr:loss=x0*x1,factor=diag(1, x1),x0=0.25");
  sde_problem_free (pb);
  gsl_error_handler_t *old = gsl_set_error_handler (keep_reason);
  const char *bad[][2] = { { "expr:loss=x0,foo=1", "unknown key 'foo'" },
                           { "expr:cov=1", "no loss=" },
                           { "loss=x0,loss=x0", "loss given twice" },
                           { "loss=x0 cov=1", "expected ','" },
                           { "expr:x0", "expected key=value" },
                           { "loss=x0,cov=-1", "cov: the value is -1" },
                           { "loss=x0+x1+...", "cannot be read back" } };
  for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++)
    {
      last_reason[0] = '\0';
      ck_assert_ptr_null (sde_problem_alloc_expr_text (bad[c][0]));
      ck_assert_msg (strstr (last_reason, bad[c][1]) != NULL,
                     "%s: reason '%s' lacks '%s'", bad[c][0], last_reason,
                     bad[c][1]);
    }
  gsl_set_error_handler (old);
  /* A text too long for the problem's spec is cut, visibly.  */
  char loss[1400];
  size_t n = 0;
  for (size_t i = 0; i < 30; i++)
    n += (size_t)snprintf (loss + n, sizeof loss - n,
                           "%s0.12345678901234567*(x%zu - x%zu)^2",
                           i ? " + " : "", i, i + 1);
  pb = expr_problem (loss, NULL, NULL, NULL);
  ck_assert_ptr_nonnull (pb);
  ck_assert_uint_eq (pb->dim, 31);
  ck_assert_uint_eq (strlen (sde_problem_spec (pb)), 1023);
  ck_assert_ptr_null (sde_problem_alloc_expr_text (sde_problem_spec (pb)));
  sde_problem_free (pb);
}
END_TEST

/* Exact-engine moments of the problem PB and of the reference REF agree
   to 1e-12: SGD, SGDM, SME-1, SME-2 and the underdamped SDE.  */
static void
check_exact_same (const sde_problem *pb, const sde_problem *ref)
{
  sde_exact *ea = sde_exact_alloc (pb), *eb = sde_exact_alloc (ref);
  ck_assert_ptr_nonnull (ea);
  ck_assert_ptr_nonnull (eb);
  sde_observable obs[5];
  ck_assert_int_eq (
      sde_observable_parse ("x0,x0x1,norm2,loss,cos:w=1,0.5", 2, ref, obs, 5),
      5);
  const double eta = 0.05, sigma = 0.7;
  size_t check[3] = { 1, 17, 200 };
  double a[15], b[15];
  const char *methods[] = { "sgd", "sgdm:beta=0.9", "svag:l=2,sgdm:beta=0.5" };
  for (size_t m = 0; m < 3; m++)
    {
      sde_optim o;
      const char *s = methods[m];
      ck_assert_int_eq (sde_optim_parse (&o, &s), 0);
      ck_assert_int_eq (sde_optim_set (&o, eta), 0);
      ck_assert_int_eq (
          sde_exact_method (ea, &o, sigma, pb->x0, eta, check, 3, obs, 5, a),
          0);
      ck_assert_int_eq (
          sde_exact_method (eb, &o, sigma, ref->x0, eta, check, 3, obs, 5, b),
          0);
      for (size_t k = 0; k < 15; k++)
        ck_assert_close (a[k], b[k], 1e-12);
    }
  const double tau = eta * sigma * sigma;
  const sde_limit_kind kinds[]
      = { SDE_LIMIT_SME1, SDE_LIMIT_SME2, SDE_LIMIT_UNDERDAMPED };
  const double m0[2] = { 0.1, -0.2 };
  for (size_t k = 0; k < 3; k++)
    {
      sde_limit la = { kinds[k], pb, tau, eta, 2, NULL, NULL };
      sde_limit lb = { kinds[k], ref, tau, eta, 2, NULL, NULL };
      ck_assert_int_eq (
          sde_exact_sde (ea, &la, pb->x0, m0, eta, check, 3, obs, 5, a), 0);
      ck_assert_int_eq (
          sde_exact_sde (eb, &lb, ref->x0, m0, eta, check, 3, obs, 5, b), 0);
      for (size_t j = 0; j < 15; j++)
        ck_assert_close (a[j], b[j], 1e-12);
    }
  sde_exact_free (ea);
  sde_exact_free (eb);
}

/* A quadratic written out with anisotropic constant noise is the catalog
   quadratic to the exact engine (MATH.md section 5).  */
START_TEST (test_problem_expression_exact_engine)
{
  sde_problem *q = sde_problem_alloc (
      "quadratic:H=2,0.5,0.5,1,s=0.5,2,xstar=0.3,-0.2,x0=1,-1", NULL);
  sde_problem *e = expr_problem (
      "0.5*(2*(x0-0.3)^2 + 2*0.5*(x0-0.3)*(x1+0.2) + (x1+0.2)^2)",
      "diag(0.5, 2)", NULL, "1,-1");
  ck_assert_ptr_nonnull (e);
  ck_assert_ptr_nonnull (e->hess_const);
  ck_assert_int_eq (memcmp (e->hess_const, q->hess_const, 4 * sizeof (double)),
                    0);
  ck_assert_int_eq (
      memcmp (e->factor_const, q->factor_const, 4 * sizeof (double)), 0);
  ck_assert_close (e->xstar[0], 0.3, 1e-15);
  ck_assert_close (e->xstar[1], -0.2, 1e-15);
  ck_assert (sde_exact_applies (e, SDE_ORACLE_GAUSSIAN, NULL, 0, NULL, 0));
  check_exact_same (e, q);
  sde_problem_free (e);
  sde_problem_free (q);
  /* Full noise: lte's S = sqrt(s) H as a factor (the same bits) and as the
     covariance s H^2 (Cholesky, another factor of the same Sigma).  */
  q = sde_problem_alloc ("lte:H=2,0.5,0.5,1,s=0.7,x0=1,-1", NULL);
  e = expr_problem ("x0^2 + 0.5*x0*x1 + 0.5*x1^2", NULL,
                    "[2*sqrt(0.7), 0.5*sqrt(0.7); 0.5*sqrt(0.7), sqrt(0.7)]",
                    "1,-1");
  ck_assert_ptr_nonnull (e);
  ck_assert_int_eq (
      memcmp (e->factor_const, q->factor_const, 4 * sizeof (double)), 0);
  check_exact_same (e, q);
  sde_problem_free (e);
  char cov[256];
  snprintf (cov, sizeof cov, "[%.17g, %.17g; %.17g, %.17g]", 0.7 * 4.25,
            0.7 * 1.5, 0.7 * 1.5, 0.7 * 1.25);
  e = expr_problem ("x0^2 + 0.5*x0*x1 + 0.5*x1^2", cov, NULL, "1,-1");
  ck_assert_ptr_nonnull (e);
  ck_assert_close (e->factor_const[1], 0, 0); /* Cholesky */
  check_exact_same (e, q);
  sde_problem_free (e);
  sde_problem_free (q);
}
END_TEST

/* Which constant Hessians are offered to the exact engine: only those
   whose loss is (x - x*)^T H (x - x*) / 2.  */
START_TEST (test_problem_expression_quadratic_recognition)
{
  const struct
  {
    const char *loss;
    int offered;
    double xs[2];
  } cases[] = {
    { "0.5*x0^2 + x0 + 0.5 + x1^2", 1, { -1, 0 } },
    { "0.5*x0^2 + x0 + x1^2", 0, { 0, 0 } }, /* L(x*) = -1/2 */
    { "x0 + x1^2", 0, { 0, 0 } },            /* no stationary point */
    { "(x0 + x1 - 1)^2", 1, { 0.5, 0.5 } },  /* singular H, min norm */
    { "(x0 + x1 - 1)^2 + x0", 0, { 0, 0 } }, /* singular, none */
    { "x0^4 + x1^2", 0, { 0, 0 } },          /* not quadratic */
    { "0*x0 + 0*x1", 1, { 0, 0 } },          /* H = 0, L = 0 */
    { "x0*x1", 1, { 0, 0 } },                /* a saddle */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    {
      sde_problem *pb = expr_problem (cases[c].loss, NULL, NULL, NULL);
      ck_assert_ptr_nonnull (pb);
      ck_assert_uint_eq (pb->dim, 2);
      ck_assert_msg ((pb->hess_const != NULL) == cases[c].offered,
                     "%s: hess_const %s", cases[c].loss,
                     pb->hess_const ? "set" : "missing");
      ck_assert_int_eq (pb->xstar != NULL, cases[c].offered);
      char why[128] = "";
      ck_assert_int_eq (
          sde_exact_applies (pb, SDE_ORACLE_GAUSSIAN, NULL, 0, why, sizeof why),
          cases[c].offered);
      for (size_t i = 0; cases[c].offered && i < 2; i++)
        ck_assert_close (pb->xstar[i], cases[c].xs[i], 1e-15);
      sde_problem_free (pb);
    }
  /* State-dependent noise: the Hessian is constant, the factor is not.  */
  sde_problem *pb = expr_problem ("x0^2 + x1^2", "1 + x0^2", NULL, NULL);
  ck_assert_ptr_nonnull (pb->hess_const);
  ck_assert_ptr_null (pb->factor_const);
  ck_assert (!sde_exact_applies (pb, SDE_ORACLE_GAUSSIAN, NULL, 0, NULL, 0));
  sde_problem_free (pb);
}
END_TEST

/* SGD through the oracle with the same variates: the expression problem
   follows the catalog problem bit for bit when its gradient sums the same
   terms in the same order (a diagonal H), and to rounding otherwise.  */
static double
sgd_gap (const sde_problem *a, const sde_problem *b)
{
  enum
  {
    P = 64,
    K = 300
  };
  const size_t d = a->dim;
  sde_oracle oa = { a, SDE_ORACLE_GAUSSIAN, 0.9, 0, 0, 0, 1 };
  sde_oracle ob = { b, SDE_ORACLE_GAUSSIAN, 0.9, 0, 0, 0, 1 };
  const size_t nw = sde_oracle_work (&oa, P) > sde_oracle_work (&ob, P)
                        ? sde_oracle_work (&oa, P)
                        : sde_oracle_work (&ob, P);
  double *xa = malloc (sizeof (double) * d * P),
         *xb = malloc (sizeof *xb * d * P);
  double *g = malloc (sizeof (double) * d * P), *w = malloc (sizeof *w * nw);
  double *z = malloc (sizeof (double) * sde_oracle_nvar (&oa) * P);
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      xa[i * P + p] = xb[i * P + p] = a->x0[i];
  sde_rng *r = sde_rng_alloc (NULL, 2024);
  for (size_t k = 0; k < K; k++)
    {
      sde_oracle_sample (&oa, r, 0, k, 0, P, z, NULL);
      ck_assert_int_eq (sde_oracle_apply (&oa, P, xa, z, NULL, g, w), 0);
      for (size_t j = 0; j < d * P; j++)
        xa[j] -= 0.05 * g[j];
      ck_assert_int_eq (sde_oracle_apply (&ob, P, xb, z, NULL, g, w), 0);
      for (size_t j = 0; j < d * P; j++)
        xb[j] -= 0.05 * g[j];
    }
  double gap = 0;
  for (size_t j = 0; j < d * P; j++)
    gap = fmax (gap, fabs (xa[j] - xb[j]));
  sde_rng_free (r);
  free (xa), free (xb), free (g), free (w), free (z);
  return gap;
}

START_TEST (test_problem_expression_sgd_matches_catalog)
{
  sde_problem *q = sde_problem_alloc ("quadratic:h=1,10,s=0.5,2,x0=1,-1", NULL);
  sde_problem *e
      = expr_problem ("0.5*(x0^2 + 10*x1^2)", "diag(0.5, 2)", NULL, "1,-1");
  ck_assert_double_eq (sgd_gap (e, q), 0);
  sde_problem_free (e);
  sde_problem_free (q);
  q = sde_problem_alloc ("doublewell:s=0.5,x0=0.5", NULL);
  e = expr_problem ("(x0^2-1)^2/4", "0.5", NULL, "0.5");
  ck_assert_double_eq (sgd_gap (e, q), 0);
  sde_problem_free (e);
  sde_problem_free (q);
  q = sde_problem_alloc ("quadratic:H=2,0.5,0.5,1,s=0.5,2,x0=1,-1", NULL);
  e = expr_problem ("x0^2 + 0.5*x0*x1 + 0.5*x1^2", "diag(0.5, 2)", NULL,
                    "1,-1");
  ck_assert_double_le (sgd_gap (e, q), 1e-13);
  sde_problem_free (e);
  sde_problem_free (q);
}
END_TEST

/* The limit SDEs read the expression noise through the factor: SME-1's
   diffusion is sqrt(tau) S(x), S(x) the per-path Cholesky factor.  */
START_TEST (test_problem_expression_limit_noise)
{
  sde_problem *pb
      = expr_problem ("x0^2 + x1^2", "[1 + x0^2, x0; x0, 2]", NULL, NULL);
  sde_limit lim = { SDE_LIMIT_SME1, pb, 0.3, 0, 0, NULL, NULL };
  sde_system sys;
  ck_assert_int_eq (sde_system_limit (&sys, &lim), 0);
  ck_assert_int_eq (sys.noise & SDE_NOISE_ADDITIVE, 0);
  double x[2] = { 0.5, -1 }, b[4], *w = malloc (sizeof (double) * 256);
  ck_assert_int_eq (sys.diffusion (0, 1, x, b, w, sys.params), 0);
  const double l00 = sqrt (1.25), l10 = 0.5 / l00;
  ck_assert_close (b[0], sqrt (0.3) * l00, 1e-15);
  ck_assert_close (b[1], 0, 0);
  ck_assert_close (b[2], sqrt (0.3) * l10, 1e-15);
  ck_assert_close (b[3], sqrt (0.3) * sqrt (2 - l10 * l10), 1e-15);
  free (w);
  sde_problem_free (pb);
}
END_TEST

/* The slow SDE reads the expression problem's Hessian, third derivatives
   and noise: on the flat valley its drift is the catalog's and MATH.md
   section 6's -(s_y / 4) a'(x) / a(x), also with label noise written as a
   state-dependent d x 1 factor.  */
START_TEST (test_problem_expression_slow_drift)
{
  const char *pairs[][3]
      = { { "valley:s=0.4,0.9", "diag(0.4, 0.9)", NULL },
          { "labelvalley:delta=0.5", NULL,
            "[0.5*x0*x1/sqrt(1 + x0^2); 0.5*sqrt(1 + x0^2)]" } };
  for (size_t c = 0; c < 2; c++)
    {
      sde_problem *q = sde_problem_alloc (pairs[c][0], NULL);
      sde_problem *e = expr_problem ("0.5*(1 + x0^2)*x1^2", pairs[c][1],
                                     pairs[c][2], "1,0");
      ck_assert_ptr_nonnull (e);
      ck_assert_uint_eq (e->noise_dim, q->noise_dim);
      sde_manifold_opts o;
      sde_manifold_defaults (&o);
      sde_manifold *mq = sde_manifold_alloc (q, q->x0, &o);
      sde_manifold *me = sde_manifold_alloc (e, e->x0, &o);
      ck_assert_ptr_nonnull (me);
      ck_assert_uint_eq (sde_manifold_dim (me), 1);
      const double zeta[2] = { 0.7, 0 };
      double dq[2], de[2], Pq[4], Pe[4];
      ck_assert_int_eq (sde_manifold_geometry (mq, zeta, Pq, NULL, dq), 0);
      ck_assert_int_eq (sde_manifold_geometry (me, zeta, Pe, NULL, de), 0);
      for (int i = 0; i < 2; i++)
        ck_assert_close (de[i], dq[i], 1e-12);
      for (int k = 0; k < 4; k++)
        ck_assert_close (Pe[k], Pq[k], 1e-12);
      const double sy = c == 0 ? 0.9 : 0.25 * 1.49;
      ck_assert_close (de[0], -(sy / 4) * 1.4 / 1.49, 1e-12);
      sde_manifold_free (mq);
      sde_manifold_free (me);
      sde_problem_free (e);
      sde_problem_free (q);
    }
}
END_TEST

static Suite *
problem_suite (void)
{
  Suite *s = suite_create ("problem");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_problem_catalog_derivatives_match_fd);
  tcase_add_test (tc, test_problem_expression_matches_quadratic);
  tcase_add_test (tc, test_problem_specs_rejected);
  tcase_add_test (tc, test_problem_phi_closed_forms);
  tcase_add_test (tc, test_oracle_gaussian_laws_and_svag_moments);
  tcase_add_test (tc, test_oracle_minibatch_covariance);
  tcase_add_test (tc, test_limit_sde_drifts);
  tcase_add_test (tc, test_problem_quadratic_conflicting_keys);
  tcase_add_test (tc, test_problem_cos_observable_high_dimension);
  tcase_add_test (tc, test_problem_fd_grad_workspace_d1);
  tcase_add_test (tc, test_problem_user_struct_left_alone);
  tcase_add_test (tc, test_problem_data_factor_thin);
  tcase_add_test (tc, test_problem_data_factor_apply);
  tcase_add_test (tc, test_problem_path_callbacks);
  tcase_add_test (tc, test_problem_data_em_step);
  tcase_add_test (tc, test_problem_weight_decay);
  tcase_add_test (tc, test_problem_expression_loss_errors);
  tcase_add_test (tc, test_problem_expression_noise_refused);
  tcase_add_test (tc, test_problem_expression_derivatives_match_fd);
  tcase_add_test (tc, test_problem_expression_third_d32);
  tcase_add_test (tc, test_problem_expression_noise_moments);
  tcase_add_test (tc, test_problem_expression_factor_per_path);
  tcase_add_test (tc, test_problem_expression_spec_round_trip);
  tcase_add_test (tc, test_problem_expression_exact_engine);
  tcase_add_test (tc, test_problem_expression_quadratic_recognition);
  tcase_add_test (tc, test_problem_expression_sgd_matches_catalog);
  tcase_add_test (tc, test_problem_expression_limit_noise);
  tcase_add_test (tc, test_problem_expression_slow_drift);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (problem_suite ());
}
