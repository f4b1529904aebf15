/* setup.h: building problems, noise, methods, observables and run sizes
   from command-line values, shared by sde-sim, sde-compare and sde-slow.
   Every function validates and exits with status 2 and a one-line message
   naming the option on bad input.  */
#ifndef SDEKIT_SETUP_H
#define SDEKIT_SETUP_H

#include <stddef.h>

#include "sdekit/ensemble.h"
#include "sdekit/observable.h"
#include "sdekit/optim.h"
#include "sdekit/problem.h"

/* --problem=SPEC or --loss=EXPR (with --noise-var for the loss's
   isotropic noise and --x0).  Exactly one may be given; PROBLEM_DEFAULT
   is used when neither is.  */
sde_problem *setup_problem (const char *problem, const char *loss,
                            const char *problem_default);

/* Overrides the problem's initial point with --x0=LIST (NULL: keep).
   Returns the d values to start from (owned by the caller).  */
double *setup_x0 (const sde_problem *pb, const char *x0);

/* --noise=LAW[:KEY=VALUE,...]: gaussian, rademacher, label, student:nu=,
   minibatch:B=,replace=; NULL: the problem's natural law.  Fills the
   oracle (sigma to be set by the caller).  */
void setup_noise (sde_oracle *o, const sde_problem *pb, const char *noise);

/* The method list of --methods (or --method): at most max methods.  */
size_t setup_methods (const char *opt, const char *list, sde_optim *m,
                      size_t max);

/* Whether scheme T applies to SYS: exits 2 naming --OPT when not (with
   the schemes to use instead for non-commutative noise).  */
void setup_scheme (const char *opt, const sde_stepper_type *T,
                   const sde_system *sys);

/* --schedule=SPEC into every method; cosine without T gets the horizon. */
void setup_schedule (const char *spec, double horizon, sde_optim *m, size_t n);

/* --observable=LIST.  */
size_t setup_observables (const char *list, size_t d, const sde_problem *pb,
                          sde_observable *obs, size_t max);

/* At most this many checkpoints for "every": their sums take memory per
   thread and per process, and the maximum over 4096 evenly spaced times
   is already the error over time.  */
#define SETUP_MAXCHECK 4096

/* At most this many steps T / h.  */
#define SETUP_MAXSTEPS 0x1p40

/* Checkpoints: "every" step (when there are more than SETUP_MAXCHECK
   steps, every s-th step with s = ceil(steps / SETUP_MAXCHECK), and the
   last), or a list of times, each a multiple of step h on (0, T];
   default T/4, T/2, 3T/4, T.  Call setup_steps first: it names the
   step's option when h does not divide T.  Returns the count; *out
   (owned by the caller) holds step indices.  */
size_t setup_checkpoints (const char *opt, const char *spec, double T, double h,
                          size_t **out);

/* The number of steps T / h, which must be a whole number of at most
   2^40; exits 2 naming --OPT otherwise.  */
size_t setup_steps (const char *opt, double T, double h);

/* The most work a run may ask for before it starts, in path-steps: about
   12 days on one core at 10^8 path-steps a second.  */
#define SETUP_MAXCOST 1e14

/* Refuses (exit 2, stating the cost) a run whose first batch alone needs
   more than SETUP_MAXCOST path-steps.  */
void setup_cost (double pathsteps);

#endif /* SDEKIT_SETUP_H */
