/* fused.h: library-internal fast paths that merge steps the public API
   keeps apart, bitwise equal to the unfused calls.  */
#ifndef SDEKIT_FUSED_H
#define SDEKIT_FUSED_H

#include <stddef.h>

#include "sdekit/ensemble.h"
#include "sdekit/optim.h"
#include "sdekit/problem.h"
#include "sdekit/stepper.h"
#include "sdekit/system.h"

/* The rate of step K of O (its schedule applied), as sde_optim_apply
   uses it.  */
double sde__optim_lr (const sde_optim *o, size_t k);

/* Whether sde__oracle_sgd_step applies: Gaussian noise through a
   constant factor, no SVAG pair.  */
int sde__oracle_sgd_fusable (const sde_oracle *o);

/* SGD's whole step x -= lr (grad L + sigma S z) with the noise added in
   the update pass: bitwise sde_oracle_apply then plain SGD.  G and WORK
   as for sde_oracle_apply.  */
int sde__oracle_sgd_step (const sde_oracle *o, double lr, size_t P, double *x,
                          const double *z, double *g, double *work);

/* Whether sde__limit_weak2_step applies: scheme T is weak2 and SYS the
   SME-1 limit of a problem with a constant noise factor.  */
int sde__limit_fusable (const sde_system *sys, const sde_stepper_type *T);

/* weak2's step on such a SYS with the drift's scaling done in the update
   passes: bitwise sde_stepper_apply.  WORK: the stepper's workspace
   (sde__stepper_work).  */
int sde__limit_weak2_step (const sde_system *sys, double t, double h, size_t P,
                           double *x, const double *dw, double *work);

/* sde_ensemble_run with the chunks run in sub-blocks of Q paths (0: the
   size the ensemble picks for the cache; Q >= the chunk: whole chunks),
   Q a multiple of 8: bitwise the same sums whatever Q is.  */
int sde__ensemble_run_sub (const sde_ensemble *e, uint64_t path0,
                           uint64_t npaths, sde_ensemble_sums *S, size_t Q);

/* The workspace of stepper S.  */
double *sde__stepper_work (sde_stepper *s);

#endif /* SDEKIT_FUSED_H */
