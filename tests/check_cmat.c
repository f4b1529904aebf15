/* check_cmat.c: unit tests of the constant-matrix products: which BLAS the
   link resolves, and dgemm results that do not depend on the block.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmat.h"
#include "sdekit/rng.h"
#include "testutil.h"

/* cblas_dgemm must come from OpenBLAS, not from GSL's reference
   libgslcblas, which libgsl.so itself pulls in.  */
START_TEST (test_cmat_blas_is_openblas)
{
  const char *lib = sde__blas_library ();
  ck_assert_msg (strstr (lib, "openblas") != NULL,
                 "cblas_dgemm resolves to %s, not OpenBLAS", lib);
  ck_assert_msg (strstr (lib, "gslcblas") == NULL,
                 "cblas_dgemm resolves to GSL's %s", lib);
}
END_TEST

static double *
normals (size_t n, uint32_t stream)
{
  double *v = malloc (sizeof (double) * n);
  sde_rng *r = sde_rng_alloc (NULL, 11);
  ck_assert (v && r);
  ck_assert_int_eq (
      sde_rng_sample (r, SDE_RNG_NORMAL, 0, stream, 0, 0, 1, n, v, 1), 0);
  sde_rng_free (r);
  return v;
}

/* Every path's column of alpha A X + beta C is bitwise that of the same
   path in a block of 256, for blocks of 1..90 paths at offsets 0..2, and
   the same call twice gives the same bits.  */
static void
check_blocks (size_t rows, size_t cols, double alpha, double beta)
{
  const size_t N = 256;
  double *A = normals (rows * cols, 1), *X = normals (cols * N, 2);
  double *C0 = normals (rows * N, 3), *R = malloc (sizeof (double) * rows * N);
  double *R2 = malloc (sizeof (double) * rows * N);
  double *Xb = malloc (sizeof (double) * cols * N);
  double *Cb = malloc (sizeof (double) * rows * N);
  memcpy (R, C0, sizeof (double) * rows * N);
  memcpy (R2, C0, sizeof (double) * rows * N);
  ck_assert_int_eq (sde__gemm (rows, cols, alpha, A, N, X, beta, R), 0);
  ck_assert_int_eq (sde__gemm (rows, cols, alpha, A, N, X, beta, R2), 0);
  ck_assert (memcmp (R, R2, sizeof (double) * rows * N) == 0);
  for (size_t P = 1; P <= 90; P++)
    for (size_t off = 0; off < 3; off++)
      {
        for (size_t j = 0; j < cols; j++)
          memcpy (Xb + j * P, X + j * N + off, sizeof (double) * P);
        for (size_t i = 0; i < rows; i++)
          memcpy (Cb + i * P, C0 + i * N + off, sizeof (double) * P);
        ck_assert_int_eq (sde__gemm (rows, cols, alpha, A, P, Xb, beta, Cb), 0);
        for (size_t i = 0; i < rows; i++)
          ck_assert_msg (
              memcmp (Cb + i * P, R + i * N + off, sizeof (double) * P) == 0,
              "%zu x %zu: row %zu of a block of %zu at %zu differs", rows, cols,
              i, P, off);
      }
  free (A), free (X), free (C0), free (R), free (R2), free (Xb), free (Cb);
}

START_TEST (test_cmat_gemm_block_invariant)
{
  check_blocks (16, 16, 1.0, 0.0);
  check_blocks (100, 100, 1.0, 0.0);
  check_blocks (100, 100, -0.25, 1.0);
  check_blocks (37, 300, 0.5, 1.0);
  check_blocks (300, 20, 1.0, 0.0);
}
END_TEST

/* The same products from two OpenMP threads at once: the same bits.  */
START_TEST (test_cmat_gemm_threads)
{
  const size_t d = 100, P = 256;
  double *A = normals (d * d, 4), *X = normals (d * P, 5);
  double *C[2];
  for (int t = 0; t < 2; t++)
    C[t] = malloc (sizeof (double) * d * P * 8);
  int bad = 0;
#pragma omp parallel for num_threads(2) reduction(+ : bad)
  for (int t = 0; t < 2; t++)
    for (int k = 0; k < 8; k++)
      bad += sde__gemm (d, d, 1.0, A, P, X, 0.0, C[t] + k * d * P) != 0;
  ck_assert_int_eq (bad, 0);
  for (int k = 0; k < 8; k++)
    ck_assert (memcmp (C[0], C[0] + k * d * P, sizeof (double) * d * P) == 0
               && memcmp (C[0], C[1] + k * d * P, sizeof (double) * d * P)
                      == 0);
  free (A), free (X), free (C[0]), free (C[1]);
}
END_TEST

START_TEST (test_cmat_analysis)
{
  double D[9] = { 2, 0, 0, 0, 0, 0, 0, 0, 5 };
  sde__cmat m;
  ck_assert_int_eq (sde__cmat_init (&m, D, 3, 3), 0);
  ck_assert (!m.dense);
  ck_assert_uint_eq (m.nnz, 2);
  ck_assert_uint_eq (m.start[1] - m.start[0], 1);
  ck_assert_uint_eq (m.start[2] - m.start[1], 0);
  ck_assert_uint_eq (m.col[1], 2);
  ck_assert (m.val[1] == 5);
  sde__cmat_free (&m);
  double *A = normals (10 * 10, 6);
  ck_assert_int_eq (sde__cmat_init (&m, A, 10, 10), 0);
  ck_assert (m.dense);
  sde__cmat_free (&m);
  ck_assert_int_eq (sde__cmat_init (&m, A, 4, 4), 0);
  ck_assert (!m.dense); /* 16 entries: loops beat a dgemm call */
  sde__cmat_free (&m);
  free (A);
}
END_TEST

static Suite *
cmat_suite (void)
{
  Suite *s = suite_create ("cmat");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_cmat_blas_is_openblas);
  tcase_add_test (tc, test_cmat_gemm_block_invariant);
  tcase_add_test (tc, test_cmat_gemm_threads);
  tcase_add_test (tc, test_cmat_analysis);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  testutil_quiet_gsl ();
  return testutil_run (cmat_suite ());
}
