/* bench_goals.c: the sdekit side of the goals run-goals.sh measures
   against peers, each a short timed run that prints one line
     NAME WALL_SECONDS CPU_SECONDS WORK
   (WORK in path-steps, path-substeps, flops or normals), so the script can
   alternate sdekit and its peers run by run.

   Usage:
     bench_goals ensemble SPEC PATHS STEPS M
         SGD against SME-1 by weak2 on M substeps with the reference
         check on 2M (as sde-compare runs them), coupled, |x|^2 observed
         at every step, one thread; WORK = PATHS x STEPS path-steps.
     bench_goals dgemm D PATHS REPS
         REPS products of a dense D x D matrix with a block of PATHS
         paths by sde__gemm (OpenBLAS, one thread); WORK = flops.
     bench_goals sgd SPEC PATHS STEPS ETA SIGMA
         one SGD ensemble, Gaussian oracle, coupled, one checkpoint at
         the last step, observable x0 (bench_sgd's engine case); WORK =
         path-steps.
     bench_goals normals PATHS STEPS
         the normals one-dimensional SGD draws over PATHS x STEPS (chunks
         of 256 paths, 8 steps a draw, as the engine draws them), drawn
         and nothing else; WORK = normals.
     bench_goals finite SPEC REPS
         the limit SDE of a finite sum: REPS calls of the full-batch
         gradient on 256 paths, then REPS reference substeps (its normals
         drawn and scaled, and sde_stepper_apply with the default scheme
         for such noise, em), alternating; two lines, "finite-grad" and
         "finite-ref", WORK = paths and path-substeps.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "cmat.h"
#include "sdekit/ensemble.h"

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double
cpu (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void
report (const char *name, double w0, double c0, double work)
{
  printf ("%s %.6f %.6f %.6g\n", name, now () - w0, cpu () - c0, work);
}

static void
die (const char *what)
{
  fprintf (stderr, "bench_goals: %s\n", what);
  exit (1);
}

static sde_problem *
problem (const char *spec)
{
  sde_problem *pb = sde_problem_alloc (spec, NULL);
  if (pb == NULL)
    die ("cannot allocate the problem");
  return pb;
}

static int
run_ensemble (const char *spec, uint64_t N, size_t K, size_t M)
{
  sde_problem *pb = problem (spec);
  const double eta = 1.0 / (double)K, tau = 0.5;
  sde_optim sgd;
  const char *s = "sgd";
  if (sde_optim_parse (&sgd, &s) || sde_optim_set (&sgd, eta))
    die ("sgd");
  sde_limit lim = { SDE_LIMIT_SME1, pb, tau, 0, 0, NULL, NULL };
  sde_system sys;
  if (sde_system_limit (&sys, &lim))
    die ("limit");
  sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, sqrt (tau / eta), 0, 0, 0, 1 };
  sde_process proc[3];
  memset (proc, 0, sizeof proc);
  proc[0] = (sde_process){ .kind = SDE_PROCESS_METHOD,
                           .label = "sgd",
                           .method = &sgd,
                           .oracle = o,
                           .x0 = pb->x0,
                           .dim = pb->dim };
  for (int i = 1; i < 3; i++)
    proc[i] = (sde_process){ .kind = SDE_PROCESS_SDE,
                             .label = i == 1 ? "sme1" : "check",
                             .sys = &sys,
                             .scheme = sde_stepper_weak2,
                             .substeps = M << (i - 1),
                             .x0 = pb->x0,
                             .dim = pb->dim };
  sde_observable obs;
  if (sde_observable_parse ("norm2", pb->dim, pb, &obs, 1) != 1)
    die ("observable");
  size_t *check = malloc (sizeof (size_t) * K);
  if (check == NULL)
    die ("out of memory");
  for (size_t k = 0; k < K; k++)
    check[k] = k + 1;
  sde_rng *rng = sde_rng_alloc (NULL, 1);
  sde_ensemble e = { .eta = eta,
                     .nsteps = K,
                     .check = check,
                     .ncheck = K,
                     .obs = &obs,
                     .nobs = 1,
                     .proc = proc,
                     .nproc = 3,
                     .ref = 1,
                     .coupled = 1,
                     .rng = rng,
                     .stream0 = 16,
                     .bound = 1e10,
                     .chunk = 256,
                     .threads = 1 };
  sde_ensemble_sums *S = sde_ensemble_sums_alloc (&e);
  const double w0 = now (), c0 = cpu ();
  if (S == NULL || sde_ensemble_run (&e, 0, N, S))
    die ("ensemble run");
  report ("ensemble", w0, c0, (double)N * (double)K);
  sde_ensemble_sums_free (S);
  sde_rng_free (rng);
  free (check);
  sde_problem_free (pb);
  return 0;
}

static int
run_dgemm (size_t d, size_t P, size_t reps)
{
  double *A = malloc (sizeof (double) * d * d);
  double *X = malloc (sizeof (double) * d * P);
  double *C = malloc (sizeof (double) * d * P);
  if (A == NULL || X == NULL || C == NULL)
    die ("out of memory");
  for (size_t k = 0; k < d * d; k++)
    A[k] = sin ((double)k);
  for (size_t k = 0; k < d * P; k++)
    X[k] = cos ((double)k);
  sde__gemm (d, d, 1.0, A, P, X, 0.0, C); /* warm up */
  const double w0 = now (), c0 = cpu ();
  for (size_t r = 0; r < reps; r++)
    sde__gemm (d, d, 1.0, A, P, X, 0.0, C);
  report ("dgemm", w0, c0, 2.0 * (double)d * (double)d * (double)P * reps);
  printf ("# %s, %g\n", sde__blas_library (), C[d * P - 1]);
  free (A), free (X), free (C);
  return 0;
}

static int
run_sgd (const char *spec, uint64_t N, size_t K, double eta, double sigma)
{
  sde_problem *pb = problem (spec);
  sde_optim sgd;
  const char *s = "sgd";
  if (sde_optim_parse (&sgd, &s) || sde_optim_set (&sgd, eta))
    die ("sgd");
  sde_oracle o = { pb, SDE_ORACLE_GAUSSIAN, sigma, 0, 0, 0, 1 };
  sde_process proc = { .kind = SDE_PROCESS_METHOD,
                       .label = "sgd",
                       .method = &sgd,
                       .oracle = o,
                       .x0 = pb->x0,
                       .dim = pb->dim };
  sde_observable obs;
  if (sde_observable_parse ("x0", pb->dim, pb, &obs, 1) != 1)
    die ("observable");
  size_t check = K;
  sde_rng *rng = sde_rng_alloc (NULL, 1);
  sde_ensemble e = { .eta = eta,
                     .nsteps = K,
                     .check = &check,
                     .ncheck = 1,
                     .obs = &obs,
                     .nobs = 1,
                     .proc = &proc,
                     .nproc = 1,
                     .ref = -1,
                     .coupled = 1,
                     .rng = rng,
                     .stream0 = 16,
                     .bound = 1e10,
                     .chunk = 256,
                     .threads = 1 };
  sde_ensemble_sums *S = sde_ensemble_sums_alloc (&e);
  const double w0 = now (), c0 = cpu ();
  if (S == NULL || sde_ensemble_run (&e, 0, N, S))
    die ("ensemble run");
  report ("sgd", w0, c0, (double)N * (double)K);
  sde_stat st = sde_ensemble_value (S, 0, 0, 0);
  printf ("# mean x0 %.6g se %.3g\n", st.mean, st.se);
  sde_ensemble_sums_free (S);
  sde_rng_free (rng);
  sde_problem_free (pb);
  return 0;
}

static int
run_normals (uint64_t N, size_t K)
{
  enum
  {
    P = 256,
    G = 8
  };
  double *z = malloc (sizeof (double) * G * P);
  sde_rng *rng = sde_rng_alloc (NULL, 1);
  if (z == NULL || rng == NULL)
    die ("out of memory");
  double sum = 0;
  const double w0 = now (), c0 = cpu ();
  for (uint64_t p0 = 0; p0 < N; p0 += P)
    {
      const size_t n = N - p0 < P ? (size_t)(N - p0) : P;
      for (size_t k = 0; k < K; k += G)
        {
          const size_t g = K - k < G ? K - k : G;
          if (sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 16, k / G, p0, n, g, z,
                              n))
            die ("normals");
          sum += z[0];
        }
    }
  report ("normals", w0, c0, (double)N * (double)K);
  printf ("# first normals' sum %g\n", sum);
  free (z);
  sde_rng_free (rng);
  return 0;
}

static int
run_finite (const char *spec, size_t reps)
{
  enum
  {
    P = 256
  };
  sde_problem *pb = problem (spec);
  const size_t d = pb->dim, r = pb->noise_dim;
  sde_limit lim = { SDE_LIMIT_SME1, pb, 0.5, 0, 0, NULL, NULL };
  sde_system sys;
  if (sde_system_limit (&sys, &lim))
    die ("limit");
  sde_stepper *st = sde_stepper_alloc (sde_stepper_em, &sys, P);
  double *x = malloc (sizeof (double) * d * P);
  double *g = malloc (sizeof (double) * d * P);
  double *w = malloc (sizeof (double) * (pb->work + 1) * P);
  double *dw = malloc (sizeof (double) * r * P);
  sde_rng *rng = sde_rng_alloc (NULL, 1);
  if (st == NULL || !x || !g || !w || !dw || !rng)
    die ("out of memory");
  for (size_t k = 0; k < d * P; k++)
    x[k] = 0.01 * sin ((double)k);
  const double h = 1.0 / 64, sh = sqrt (h);
  double tg = 0, cg = 0, ts = 0, cs = 0;
  for (size_t k = 0; k < reps; k++)
    {
      double w0 = now (), c0 = cpu ();
      if (pb->grad (pb, P, x, g, w))
        die ("grad");
      tg += now () - w0, cg += cpu () - c0;
      w0 = now (), c0 = cpu ();
      sde_rng_sample (rng, SDE_RNG_NORMAL, 0, 0, k, 0, P, r, dw, P);
      for (size_t q = 0; q < r * P; q++)
        dw[q] *= sh;
      if (sde_stepper_apply (st, (double)k * h, h, P, x, dw, NULL))
        die ("step");
      ts += now () - w0, cs += cpu () - c0;
    }
  printf ("finite-grad %.6f %.6f %.6g\n", tg, cg, (double)P * reps);
  printf ("finite-ref %.6f %.6f %.6g\n", ts, cs, (double)P * reps);
  printf ("# %s: d %zu, noise columns %zu, %s\n", spec, d, r,
          g[0] + x[0] > 0 ? "+" : "-");
  free (x), free (g), free (w), free (dw);
  sde_rng_free (rng);
  sde_stepper_free (st);
  sde_problem_free (pb);
  return 0;
}

int
main (int argc, char **argv)
{
  gsl_set_error_handler_off ();
  if (argc == 6 && strcmp (argv[1], "ensemble") == 0)
    return run_ensemble (argv[2], strtoull (argv[3], NULL, 10),
                         strtoul (argv[4], NULL, 10),
                         strtoul (argv[5], NULL, 10));
  if (argc == 5 && strcmp (argv[1], "dgemm") == 0)
    return run_dgemm (strtoul (argv[2], NULL, 10), strtoul (argv[3], NULL, 10),
                      strtoul (argv[4], NULL, 10));
  if (argc == 7 && strcmp (argv[1], "sgd") == 0)
    return run_sgd (argv[2], strtoull (argv[3], NULL, 10),
                    strtoul (argv[4], NULL, 10), atof (argv[5]),
                    atof (argv[6]));
  if (argc == 4 && strcmp (argv[1], "normals") == 0)
    return run_normals (strtoull (argv[2], NULL, 10),
                        strtoul (argv[3], NULL, 10));
  if (argc == 4 && strcmp (argv[1], "finite") == 0)
    return run_finite (argv[2], strtoul (argv[3], NULL, 10));
  fprintf (stderr, "usage: see the comment at the top of bench_goals.c\n");
  return 2;
}
