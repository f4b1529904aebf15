/* cmat.h: constant matrices applied to blocks of paths (not installed).
   A matrix is analysed once: sparse rows (diagonal, banded: the hand loops
   of the callers, O(nonzeros P)) or dense (OpenBLAS's dgemm through
   CBLAS).  */
#ifndef SDEKIT_CMAT_H
#define SDEKIT_CMAT_H

#include <stddef.h>

typedef struct
{
  size_t rows, cols;
  int dense;       /* products by sde__gemm; else the sparse rows */
  const double *a; /* rows x cols, row-major (borrowed) */
  size_t nnz;
  size_t *start; /* row i's nonzeros are start[i] .. start[i+1] - 1 */
  size_t *col;   /* their columns, increasing */
  double *val;   /* and values */
} sde__cmat;

/* Row I of M: its entries K in [*lo, *hi), column sde__cm_col and value
   sde__cm_val (zeros included in a view: skip them).  */
static inline void
sde__cm_row (const sde__cmat *m, size_t i, size_t *lo, size_t *hi)
{
  *lo = m->start ? m->start[i] : 0;
  *hi = m->start ? m->start[i + 1] : m->cols;
}

static inline size_t
sde__cm_col (const sde__cmat *m, size_t i, size_t k)
{
  (void)i;
  return m->start ? m->col[k] : k;
}

static inline double
sde__cm_val (const sde__cmat *m, size_t i, size_t k)
{
  return m->start ? m->val[k] : m->a[i * m->cols + k];
}

/* Analyses A (rows x cols, row-major, borrowed: it must outlive M and
   keep its values).  Dense when at least 8 nonzeros per row on average
   and 8 columns: below that the sparse loops beat a dgemm call.  The
   choice depends on A alone, never on a block, thread or CPU.  Returns
   GSL_SUCCESS or GSL_ENOMEM (reported; M is then empty).  */
int sde__cmat_init (sde__cmat *m, const double *a, size_t rows, size_t cols);
void sde__cmat_free (sde__cmat *m);

/* M as a plain view of A, with no analysis and no allocation: start is
   NULL, so a row's entries are all its columns (zeros included), and
   products never use dgemm.  */
void sde__cmat_view (sde__cmat *m, const double *a, size_t rows, size_t cols);

/* C = alpha A X + beta C for a block of P paths, coordinate-major: X has
   COLS rows of P, C has ROWS rows of P, A is ROWS x COLS row-major.  By
   dgemm on one OpenBLAS thread, in panels of whole 16 paths (a partial
   last panel is padded), so a path's result depends neither on P nor on
   its place in the block, nor on the number of threads: only on OpenBLAS's
   kernel for this CPU.  beta = 0 ignores C's old contents.  Returns
   GSL_SUCCESS or GSL_ENOMEM (a huge partial panel only).  */
int sde__gemm (size_t rows, size_t cols, double alpha, const double *A,
               size_t P, const double *X, double beta, double *C);

/* The file of the library that provides cblas_dgemm in this process, or
   "unknown".  */
const char *sde__blas_library (void);

#endif /* SDEKIT_CMAT_H */
