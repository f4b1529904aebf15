/* stepper_weuler.c: the simplified weak Euler scheme, Euler-Maruyama with
   two-point increments +-sqrt(h) (Kloeden & Platen 1992, eq. (14.1.5)); weak
   order 1, no strong order.  */
#include <config.h>

#include "stepper_internal.h"

const sde_stepper_type sde__weuler_type = {
  .name = "weak-euler",
  .description = "simplified weak Euler, two-point increments (K&P 14.1.5): "
                 "weak 1",
  .strong_order = 0.0,
  .weak_order = 1.0,
  .law = SDE_RNG_TWOPOINT,
  .needs = 0,
  .aux = sde__no_aux,
  .work = sde__em_work,
  .apply = sde__em_apply,
};

const sde_stepper_type *sde_stepper_weuler = &sde__weuler_type;
