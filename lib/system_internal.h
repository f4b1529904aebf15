/* system_internal.h: what the steppers may know of a system beyond its
   callbacks, and the shared additive-noise helpers (not installed).  */
#ifndef SDEKIT_SYSTEM_INTERNAL_H
#define SDEKIT_SYSTEM_INTERNAL_H

#include "cmat.h"
#include "sdekit/system.h"

/* An additive diffusion at one time: b(t) = c M in the state's rows
   row0 .. row0 + M->rows - 1 and zero in the others; entry (i, j) is
   taken as M_ij c, the product the diffusion callback itself forms.  M
   may point into VIEW: do not copy the struct.  */
typedef struct
{
  const sde__cmat *m;
  double c;
  size_t row0;
  sde__cmat view;
} sde__noise;

/* When SYS is a limit SDE of sde_system_limit whose problem has a
   constant noise factor: its diffusion at T, bitwise the values its
   diffusion callback gives every path, into NZ; returns 1.  Else 0.  */
int sde__system_noise (const sde_system *sys, double t, sde__noise *nz);

/* Whether SYS is the SME-1 limit of a problem that forms S(x) z with its
   gradient in one pass (finite sums: S has n columns and is never formed);
   then sde__system_drift_noise gives the drift a(t, x) (bitwise the drift
   callback's) and b(t, x) dW.  WORK: sys->work P doubles.  */
int sde__system_has_product (const sde_system *sys);
int sde__system_drift_noise (const sde_system *sys, double t, size_t P,
                             const double *x, const double *dw, double *a,
                             double *bdw, double *work);

/* The diffusion of an additive SYS at T: from sde__system_noise, or else
   by one call of its diffusion callback at the block's first path X
   (B1: d r doubles for the result, X1: d, W: sys->work).  */
int sde__additive_noise (const sde_system *sys, double t, size_t P,
                         const double *x, double *b1, double *x1, double *w,
                         sde__noise *nz);

/* x_i += sum_j (M_ij c) dw_j for the rows of NZ, term by term in column
   order (zeros skipped), or by one dgemm for a dense M.  Returns
   GSL_SUCCESS or GSL_ENOMEM.  */
int sde__noise_add (const sde__noise *nz, size_t P, const double *dw,
                    double *x);

/* Doubles of workspace the additive forms of the steppers need.  */
size_t sde__additive_work (size_t d, size_t r, size_t P);

/* Euler-Maruyama's update under additive noise (stepper_em.c), shared by
   the Milstein scheme, whose correction then vanishes.  */
int sde__em_additive (const sde_system *sys, double t, double h, size_t P,
                      double *x, const double *dw, double *work);

/* The time of weak2's end-of-step evaluations (see stepper_weak2.c).  */
static inline double
sde__weak2_step_end (double t, double h)
{
  return t + (h - h * 0x1p-24);
}

/* The passes of weak2 under additive noise (stepper_weak2.c), with the
   drift a = G L given as a gradient G and its factor L (1 when G is the
   drift itself, bitwise the same):
     first: y = x + a h + sum_j b_j(t) dW_j,
            dx = sum_j (b_j(t) + b_j(te)) / 2 dW_j   (V: d P scratch)
     last:  x += (a(U) + a) h / 2 + dx, a(U) = G2 LE.  */
int sde__weak2_first (size_t d, size_t P, const double *x, const double *g,
                      double l, double h, const double *dw,
                      const sde__noise *nt, const sde__noise *ne, double *y,
                      double *dx, double *v);
void sde__weak2_last (size_t n, double *x, const double *g, double lt,
                      const double *g2, double le, double h, const double *dx);

#endif /* SDEKIT_SYSTEM_INTERNAL_H */
