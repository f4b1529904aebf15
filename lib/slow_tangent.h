/* slow_tangent.h: the slow SDE on a one-dimensional manifold in its
   tangent form, with a scalar tangent noise (MATH.md 6.2), and the
   manifold's internals it reads (not installed).  */
#ifndef SDEKIT_SLOW_TANGENT_H
#define SDEKIT_SLOW_TANGENT_H

#include <stddef.h>

#include "sdekit/manifold.h"

/* Completes SYS, filled with the explicit form by sde_slow_system, into
   the tangent form on M (borrowed): coefficients at Phi(x) and the
   jacobian of the scalar noise t b dB.  GSL_EINVAL unless the manifold is
   one-dimensional.  */
int sde__slow_tangent_system (sde_system *sys, sde_manifold *m);

/* At a point ZETA of the one-dimensional manifold of M: the unit tangent
   T (d; its sign is arbitrary), B = sqrt(t^T Sigma t), its arc-length
   derivative DB and the curvature vector DT = dt/ds (d), all for the
   orientation T.  The scalar slow SDE ds = a dt + b dB has
   a = t . drift (sde_manifold_geometry).  */
int sde__slow_tangent_coef (sde_manifold *m, const double *zeta, double *t,
                            double *b, double *db, double *dt);

/* manifold.c's internals for slow_tangent.c: dimensions (ambient, noise,
   manifold), sigma S(x) (d x r), L'''[S] at x, and whether S is
   constant.  */
void sde__slow_dims (const sde_manifold *m, size_t *d, size_t *r, size_t *k);
int sde__slow_factor (sde_manifold *m, const double *x, double *S);
int sde__slow_third (sde_manifold *m, const double *x, const double *Smat,
                     double *out);
int sde__slow_factor_const (const sde_manifold *m);

#endif /* SDEKIT_SLOW_TANGENT_H */
