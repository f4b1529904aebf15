/* stepper_internal.h: the stepper object and helpers shared by the scheme
   files (not installed).  */
#ifndef SDEKIT_STEPPER_INTERNAL_H
#define SDEKIT_STEPPER_INTERNAL_H

#include "sdekit/stepper.h"

struct sde_stepper
{
  const sde_stepper_type *type;
  const sde_system *sys;
  size_t P;
  size_t naux;
  double *work;
};

/* Euler-Maruyama's update, shared by the weak Euler scheme, which differs
   only in the law of its increments.  */
int sde__em_apply (const sde_system *sys, double t, double h, size_t P,
                   double *x, const double *dw, const double *aux,
                   double *work);
size_t sde__em_work (size_t d, size_t r, size_t P);
size_t sde__no_aux (size_t r);

#endif /* SDEKIT_STEPPER_INTERNAL_H */
