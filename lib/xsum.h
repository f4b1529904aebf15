/* xsum.h: exact, order-independent summation of doubles in fixed-point
   bins (a small Kulisch accumulator), so that sums merged from threads, MPI
   ranks or later batches are bitwise identical whatever the grouping (not
   installed).  */
#ifndef SDEKIT_XSUM_H
#define SDEKIT_XSUM_H

#include <stdint.h>

/* 32 bins of 32 bits from 2^-512: values below 2^-512 lose their lowest
   bits (deterministically); values of 2^480 or more are refused.  */
#define SDE_XSUM_BINS 32
#define SDE_XSUM_LOW (-512)
#define SDE_XSUM_MAX 0x1p480

typedef struct
{
  int64_t b[SDE_XSUM_BINS];
} sde_xsum;

/* Adds V; returns 0, or 1 (and adds nothing) when |V| >= 2^480 or V is not
   finite.  Up to 2^31 additions before sde_xsum_value.  */
int sde__xsum_add (sde_xsum *s, double v);

/* s += t, exactly.  */
void sde__xsum_merge (sde_xsum *s, const sde_xsum *t);

/* The sum rounded to double, a deterministic function of the bins.  */
double sde__xsum_value (const sde_xsum *s);

#endif /* SDEKIT_XSUM_H */
