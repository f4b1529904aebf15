/* problem_internal.h: problems that own their data (catalog, expression,
   data sets) share this header so one free works for all (not
   installed).  */
#ifndef SDEKIT_PROBLEM_INTERNAL_H
#define SDEKIT_PROBLEM_INTERNAL_H

#include "cmat.h"
#include "sdekit/problem.h"
#include "sdekit/spec.h"

/* S(x) z for the P paths of x (z: r rows of P) into SZ (d rows), and
   with G not NULL grad L(x) into G, bitwise pb->grad's: for the finite
   sums, in one pass over the data, their n-column factor never formed.
   WORK: pb->work P doubles.  */
typedef int (*sde__factor_apply_fn) (const sde_problem *pb, size_t P,
                                     const double *x, const double *z,
                                     double *sz, double *g, double *work);

typedef struct sde_owned_problem sde_owned_problem;
struct sde_owned_problem
{
  sde_problem pb; /* first, so a sde_problem * converts back; pb.owned is
                     &pb */
  void (*destroy) (sde_owned_problem *op);
  char spec[1024];
  /* Storage most problems need: H, S, x*, x0 (row-major, owned).  */
  double *hess, *factor, *xstar, *x0;
  double par[16];
  void *extra; /* problem-specific, freed by destroy */
  /* hess_const and factor_const analysed for block products by
     sde__problem_analyse (rows 0 when absent).  */
  sde__cmat hcm, scm;
  sde__factor_apply_fn factor_apply; /* optional */
};

/* Allocates an owned problem of dimension d and noise dimension r with
   zeroed storage for x0 (d); the caller fills the rest.  */
sde_owned_problem *sde__problem_new (const char *name, size_t d, size_t r);

/* PB as an owned problem, or NULL when the library did not allocate it;
   reads nothing beyond the public struct.  */
sde_owned_problem *sde__problem_owned (const sde_problem *pb);

/* Analyses PB's hess_const and factor_const once, when an allocator has
   filled them in (GSL_ENOMEM, reported, on failure).  */
int sde__problem_analyse (sde_problem *pb);

/* PB's constant Hessian or noise factor as analysed by
   sde__problem_analyse; for a problem the library did not allocate (or
   whose matrix was replaced since), VIEW is made a view of the matrix with
   no analysis (start NULL: every column of a row is read, zeros skipped,
   never dgemm) and returned.  NULL when PB has none.  */
const sde__cmat *sde__problem_hess_cm (const sde_problem *pb, sde__cmat *view);
const sde__cmat *sde__problem_factor_cm (const sde_problem *pb,
                                         sde__cmat *view);

/* PB's factor_apply, or NULL (a problem the library did not allocate, or
   one without).  */
sde__factor_apply_fn sde__problem_factor_apply (const sde_problem *pb);

/* Generic callbacks for constant Hessians and factors.  */
int sde__hess_const (const sde_problem *pb, size_t P, const double *x,
                     double *out, double *work);
int sde__factor_const (const sde_problem *pb, size_t P, const double *x,
                       double *out, double *work);

/* Common parameters: "s" (noise variance, one value or d values: S =
   diag(sqrt(s))) and "x0" (one value or d values).  */
int sde__param_noise_diag (sde_owned_problem *op, sde_spec *spec, double def);
int sde__param_x0 (sde_owned_problem *op, sde_spec *spec, double def);

/* X in its shortest round-trip form (sde_shortest), in one of four
   rotating per-thread buffers.  */
const char *sde__num (double x);

/* Appends the start actually used, "x0=v" or "x0=v1,...,vd", so the spec
   reproduces the problem.  */
void sde__spec_x0 (sde_owned_problem *op);

/* Appends "key=v1,v2,..." to the canonical spec.  */
void sde__spec_add (sde_owned_problem *op, const char *key, const double *v,
                    size_t n);

/* Catalog entries defined in the data-set file.  */
int sde__problem_linreg (sde_owned_problem **op, sde_spec *spec,
                         const char *datadir, int logistic);
int sde__problem_sparse (sde_owned_problem **op, sde_spec *spec,
                         const char *datadir);

#endif /* SDEKIT_PROBLEM_INTERNAL_H */
