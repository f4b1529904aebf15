/* manifold_internal.h: Phi over blocks of paths, shared by manifold.c and
   manifold_phi.c (not installed).  */
#ifndef SDEKIT_MANIFOLD_INTERNAL_H
#define SDEKIT_MANIFOLD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sdekit/problem.h"

/* What sde__phi_block needs to know.  */
typedef struct
{
  size_t k;           /* manifold dimension (0: not yet known; counted) */
  double rank_tol;    /* relative size of a tangent eigenvalue */
  double gtol;        /* Newton ends when |grad L| <= gtol */
  size_t max_steps;   /* flow steps of one path */
  double rtol;        /* the flow's local error per step, relative to the
                         step's length */
  double ptol, patol; /* Phi's tolerance: ptol |x - Gamma|^2 + patol */
  double theta;       /* without an error model, flow until the offset from
                         Gamma is theta times that of x */
  double gabs;        /* no flow once |grad L| <= gabs */
  size_t sample;      /* 0: every path's A(x) checked by a flow step;
                         else, in blocks of at least 64 paths, those of
                         the 1 in SAMPLE (at least 2) farthest from Gamma,
                         and the others by the error coefficient C of
                         |A - Phi| <= C |x - Gamma|^3 those give */
} sde__phi_cfg;

/* Per-path outcomes of sde__phi_block.  */
enum
{
  SDE__PHI_OK = 0,
  SDE__PHI_NEWTON = 1, /* Newton does not apply here: flow to the end */
  SDE__PHI_BUDGET = 2, /* the flow ran out of steps */
  SDE__PHI_BAD = 3     /* non-finite values along the flow */
};

typedef struct sde__phi_ws sde__phi_ws;

/* Workspace for blocks of up to CAP paths of PB (borrowed).  */
sde__phi_ws *sde__phi_ws_alloc (const sde_problem *pb, size_t cap);
void sde__phi_ws_free (sde__phi_ws *w);
size_t sde__phi_ws_cap (const sde__phi_ws *w);

/* Phi of the N <= cap paths of X (x[i*n + p]) into Y (same layout, not
   X): Newton's finish with Phi's second-order term, its error checked by
   a flow step and, where it is too large, the gradient flow by
   Dormand-Prince 5(4) first (manifold_phi.c).  OUT[p] gets an
   SDE__PHI_* code (Y is garbage where it is not OK), STEPS[p] the flow
   steps plus Newton iterations.  Returns a callback's status.  */
int sde__phi_block (sde__phi_ws *w, const sde__phi_cfg *c, size_t n,
                    const double *x, double *y, int *out, size_t *steps);

/* Eigenvalues (ascending) and orthonormal eigenvectors (columns of V,
   d x d row-major) of the symmetric A (d x d, destroyed) by cyclic
   Jacobi rotations.  */
void sde__jacobi_eigen (size_t d, double *A, double *lam, double *V);

#endif /* SDEKIT_MANIFOLD_INTERNAL_H */
