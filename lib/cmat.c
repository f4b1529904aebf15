/* cmat.c: constant matrices applied to blocks of paths: their analysis
   into sparse rows or dense, and dense products by OpenBLAS's dgemm
   (CBLAS), reproducible over blocks of any size.  */
#define _GNU_SOURCE /* dladdr */
#include <config.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>

#include "cmat.h"
#include "sdekit/spec.h"

/* Paths per dgemm panel.  OpenBLAS's kernels treat a remainder of the
   path dimension with other code (on SkylakeX a remainder of 1 to 4 paths
   rounds differently), so every dgemm sees whole panels: measured with
   OpenBLAS 0.3.21, a path's result is then the same for any multiple of 8
   paths and any place in the block (tests/check_cmat.c checks it).  */
#define PANEL 16
/* Doubles of the padded panel on the stack (256 rows or columns).  */
#define PAD_STACK (256 * PANEL)

int
sde__cmat_init (sde__cmat *m, const double *a, size_t rows, size_t cols)
{
  memset (m, 0, sizeof *m);
  m->rows = rows;
  m->cols = cols;
  m->a = a;
  size_t nnz = 0;
  for (size_t k = 0; k < rows * cols; k++)
    nnz += a[k] != 0;
  m->nnz = nnz;
  m->dense = cols >= 8 && nnz >= 8 * rows;
  m->start = malloc (sizeof (size_t) * (rows + 1));
  m->col = malloc (sizeof (size_t) * (nnz ? nnz : 1));
  m->val = malloc (sizeof (double) * (nnz ? nnz : 1));
  if (m->start == NULL || m->col == NULL || m->val == NULL)
    {
      sde__cmat_free (m);
      return sde_error (GSL_ENOMEM, "out of memory for a constant matrix");
    }
  size_t k = 0;
  for (size_t i = 0; i < rows; i++)
    {
      m->start[i] = k;
      for (size_t j = 0; j < cols; j++)
        if (a[i * cols + j] != 0)
          {
            m->col[k] = j;
            m->val[k++] = a[i * cols + j];
          }
    }
  m->start[rows] = k;
  return GSL_SUCCESS;
}

void
sde__cmat_view (sde__cmat *m, const double *a, size_t rows, size_t cols)
{
  memset (m, 0, sizeof *m);
  m->rows = rows;
  m->cols = cols;
  m->a = a;
  m->nnz = rows * cols;
}

void
sde__cmat_free (sde__cmat *m)
{
  if (m == NULL)
    return;
  free (m->start);
  free (m->col);
  free (m->val);
  memset (m, 0, sizeof *m);
}

/* OpenBLAS on one thread, from the moment the library is loaded:
   sdekit's own threads run the blocks, a threaded dgemm would split the
   paths into panels with remainders, and GSL's linear algebra (the
   Haar-random rotations of generated quadratics, the exact engine's
   eigenvectors) would round differently with OpenBLAS's thread count.
   This sets the thread count of the whole process (OPENBLAS_NUM_THREADS=1
   also keeps OpenBLAS from starting its idle threads at all).  */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void
blas_one_thread (void)
{
  openblas_set_num_threads (1);
}

__attribute__ ((constructor)) static void
blas_at_load (void)
{
  pthread_once (&blas_once, blas_one_thread);
}

static void
dgemm_rows (size_t rows, size_t cols, size_t n, double alpha, const double *A,
            const double *X, size_t ldx, double beta, double *C, size_t ldc)
{
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rows,
               (blasint)n, (blasint)cols, alpha, A, (blasint)cols, X,
               (blasint)ldx, beta, C, (blasint)ldc);
}

int
sde__gemm (size_t rows, size_t cols, double alpha, const double *A, size_t P,
           const double *X, double beta, double *C)
{
  if (rows == 0 || P == 0)
    return GSL_SUCCESS;
  pthread_once (&blas_once, blas_one_thread);
  const size_t rem = P % PANEL, full = P - rem;
  if (full)
    dgemm_rows (rows, cols, full, alpha, A, X, P, beta, C, P);
  if (rem == 0)
    return GSL_SUCCESS;
  /* The last paths in a padded panel of their own.  */
  double sx[PAD_STACK], sc[PAD_STACK], *px = sx, *pc = sc, *heap = NULL;
  if (cols > PAD_STACK / PANEL || rows > PAD_STACK / PANEL)
    {
      heap = malloc (sizeof (double) * PANEL * (rows + cols));
      if (heap == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for a dgemm panel");
      px = heap;
      pc = heap + PANEL * cols;
    }
  for (size_t j = 0; j < cols; j++)
    for (size_t p = 0; p < PANEL; p++)
      px[j * PANEL + p] = p < rem ? X[j * P + full + p] : 0.0;
  for (size_t i = 0; beta != 0 && i < rows; i++)
    for (size_t p = 0; p < PANEL; p++)
      pc[i * PANEL + p] = p < rem ? C[i * P + full + p] : 0.0;
  dgemm_rows (rows, cols, PANEL, alpha, A, px, PANEL, beta, pc, PANEL);
  for (size_t i = 0; i < rows; i++)
    memcpy (C + i * P + full, pc + i * PANEL, sizeof (double) * rem);
  free (heap);
  return GSL_SUCCESS;
}

const char *
sde__blas_library (void)
{
  Dl_info info;
  void (*f) (void) = (void (*) (void))cblas_dgemm;
  void *addr;
  memcpy (&addr, &f, sizeof addr);
  if (dladdr (addr, &info) && info.dli_fname)
    return info.dli_fname;
  return "unknown";
}
