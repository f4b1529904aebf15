/* ensemble.h: the Monte Carlo engine.  Several processes (discrete
   optimizers and SDEs) advance together over canonical chunks of paths,
   sharing one Brownian path when coupled (MATH.md section 8.3), and only
   running sums at checkpoints are kept.  Sums are exact integer
   accumulators, so results are bitwise identical for any thread count,
   MPI split or batching of the chunks.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_ENSEMBLE_H
#define SDEKIT_ENSEMBLE_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/manifold.h>
#include <sdekit/observable.h>
#include <sdekit/optim.h>
#include <sdekit/problem.h>
#include <sdekit/rng.h>
#include <sdekit/stepper.h>
#include <sdekit/system.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  SDE_PROCESS_METHOD = 0, /* a discrete optimizer with an oracle */
  SDE_PROCESS_SDE         /* an SDE integrated with substeps */
} sde_process_kind;

typedef struct
{
  sde_process_kind kind;
  const char *label;
  /* METHOD: a resolved method (sde_optim_set done) and its oracle.  */
  const sde_optim *method;
  sde_oracle oracle;
  /* SDE: system, scheme and substeps per base step eta.  */
  const sde_system *sys;
  const sde_stepper_type *scheme;
  size_t substeps;
  int flip; /* drive the SDE with -W (the underdamped SDE's coupling) */
  /* Initial state, dim values; observables read its first rows.  */
  const double *x0;
  size_t dim;
  /* Near a manifold of minimizers (manifold.h; NULL: off).  An SDE is
     projected by Phi after every substep (the slow SDE's integrators); a
     method is observed at Phi(x_k), its state left alone.  A path whose
     Phi fails counts as diverged.  */
  sde_manifold *manifold;
} sde_process;

/* Streams: each eta of a sweep should use its own block of 16 streams,
   stream0 = 16 * (index of eta); the engine uses stream0 for the shared
   Brownian path and stream0 + 2 + i for process i's own noise.  The
   Brownian path's fine normals come G eta-steps per draw, G F r >= 8 and
   even (F fine steps per eta, r noise rows): fine step f of eta-step k,
   row j, is draw ((k mod G) F + f) r + j at rng step k / G.  */
#define SDE_ENSEMBLE_STREAMS 16
#define SDE_ENSEMBLE_MAXPROC 12

typedef struct
{
  double eta;          /* base step in SDE time */
  size_t nsteps;       /* horizon / eta */
  const size_t *check; /* checkpoint step indices, increasing, in 1..nsteps */
  size_t ncheck;
  const sde_observable *obs;
  size_t nobs;
  const sde_process *proc;
  size_t nproc;
  int ref;      /* paired differences against process ref (-1: none) */
  int coupled;  /* share the Brownian path (else independent samples) */
  sde_rng *rng; /* must be the counter-based generator */
  uint32_t stream0;
  double bound; /* a path diverges when some |x_i| > bound or is not finite */
  size_t chunk; /* paths per canonical chunk */
  int threads;  /* OpenMP threads (0: the OpenMP default) */
} sde_ensemble;

typedef struct sde_ensemble_sums sde_ensemble_sums;

/* Running sums for the ensemble E (borrowed for the sums' life).  */
sde_ensemble_sums *sde_ensemble_sums_alloc (const sde_ensemble *e);
void sde_ensemble_sums_free (sde_ensemble_sums *s);

/* Simulates paths [path0, path0 + npaths) in chunks of e->chunk (path0 a
   multiple of it) and adds them to S.  Returns a callback's status,
   GSL_EINVAL for bad settings, or GSL_SUCCESS.  */
int sde_ensemble_run (const sde_ensemble *e, uint64_t path0, uint64_t npaths,
                      sde_ensemble_sums *s);

/* s += t exactly (same ensemble).  */
void sde_ensemble_sums_merge (sde_ensemble_sums *s, const sde_ensemble_sums *t);

/* Back to the sums of no path, as sde_ensemble_sums_alloc left them
   (cheaper than a new allocation, whose pages are all fresh).  */
void sde_ensemble_sums_clear (sde_ensemble_sums *s);

/* The sums as one array of int64 for an exact MPI_SUM reduction.  */
int64_t *sde_ensemble_sums_data (sde_ensemble_sums *s, size_t *n);

/* Statistics of a sample: count, mean, variance (unbiased), standard
   error of the mean, the kurtosis E(d - m)^4 / Var^2 and the standard
   error of the variance, sqrt((E(d - m)^4 - Var^2) / n).  */
typedef struct
{
  double n, mean, var, se, kurtosis, se_var;
} sde_stat;

/* phi_obs of process proc at checkpoint c over its alive paths.  */
sde_stat sde_ensemble_value (const sde_ensemble_sums *s, size_t proc,
                             size_t obs, size_t c);

/* The paired difference phi(proc) - phi(ref) over paths alive in both.  */
sde_stat sde_ensemble_diff (const sde_ensemble_sums *s, size_t proc, size_t obs,
                            size_t c);

/* Paths of process proc that diverged, and paths simulated.  */
uint64_t sde_ensemble_diverged (const sde_ensemble_sums *s, size_t proc);
uint64_t sde_ensemble_paths (const sde_ensemble_sums *s);

/* Evaluations of Phi by process proc, and the gradient-flow steps they
   took (0 with a closed form).  */
uint64_t sde_ensemble_phi_calls (const sde_ensemble_sums *s, size_t proc,
                                 uint64_t *ode_steps);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_ENSEMBLE_H */
