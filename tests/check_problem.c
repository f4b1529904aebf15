/* check_problem.c: unit tests of the problem catalog, expression losses,
   oracles and limit SDEs.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sdekit/observable.h"
#include "sdekit/problem.h"
#include "sdekit/rng.h"
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
check_derivatives (const char *spec)
{
  sde_problem *pb = sde_problem_alloc (spec, NULL);
  ck_assert_msg (pb != NULL, "cannot allocate %s", spec);
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
  sde_problem_free (e);
  free (w);
  sde_problem_free (q);
}
END_TEST

START_TEST (test_problem_expression_errors)
{
  const char *bad[]
      = { "0.5*(x0", "foo(x0)", "x0+x2", "y+x0", "", "3", "x01+x0" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg (sde_problem_alloc_expr (bad[i], 1, NULL) == NULL,
                   "'%s' accepted", bad[i]);
  ck_assert_ptr_null (sde_problem_alloc_expr ("x0^2", 1, "1,2"));
  ck_assert_ptr_null (sde_problem_alloc_expr ("x0^2", -1, NULL));
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

/* Data problems' factor had n columns, so the limit SDE's noise dimension
   was n (442 for the diabetes data) and weak2 cost O(n) calls per step.
   Now it is square (d x d) unless n is small, and S S^T is still the
   covariance, also when it is singular.  */
START_TEST (test_problem_data_factor_square)
{
  const struct
  {
    const char *spec;
    size_t r;
  } cases[] = { { "linreg", 10 }, /* the diabetes data, n = 442 */
                { "logreg", 10 },
                { "linreg:data=synthetic,n=442,m=10,seed=5", 10 },
                { "logreg:data=synthetic,n=300,m=6,seed=2", 6 },
                { "linreg:data=synthetic,n=3,m=3,seed=4", 3 },   /* rank 2 */
                { "logreg:data=synthetic,n=3,m=3,seed=9", 3 },   /* rank 2 */
                { "linreg:data=synthetic,n=4,m=6,seed=1", 4 } }; /* thin */
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
  const size_t d = 3;
  double x[3 * NP], g[3 * NP], gf[3 * NP], H[9 * NP], Hf[9 * NP];
  double S1[9 * NP], S2[9 * NP];
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
  ck_assert_int_eq (memcmp (S1, S2, sizeof (double) * 9 * NP), 0);
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

static Suite *
problem_suite (void)
{
  Suite *s = suite_create ("problem");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_problem_catalog_derivatives_match_fd);
  tcase_add_test (tc, test_problem_expression_matches_quadratic);
  tcase_add_test (tc, test_problem_expression_errors);
  tcase_add_test (tc, test_problem_specs_rejected);
  tcase_add_test (tc, test_problem_phi_closed_forms);
  tcase_add_test (tc, test_oracle_gaussian_laws_and_svag_moments);
  tcase_add_test (tc, test_oracle_minibatch_covariance);
  tcase_add_test (tc, test_limit_sde_drifts);
  tcase_add_test (tc, test_problem_quadratic_conflicting_keys);
  tcase_add_test (tc, test_problem_cos_observable_high_dimension);
  tcase_add_test (tc, test_problem_fd_grad_workspace_d1);
  tcase_add_test (tc, test_problem_user_struct_left_alone);
  tcase_add_test (tc, test_problem_data_factor_square);
  tcase_add_test (tc, test_problem_weight_decay);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (problem_suite ());
}
