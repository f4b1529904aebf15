/* experiment_internal.h: the experiment object's state, shared by its
   files (experiment.c builds and validates, experiment_run.c runs the
   engines, experiment_table.c fits and writes); not installed.  */
#ifndef SDEKIT_EXPERIMENT_INTERNAL_H
#define SDEKIT_EXPERIMENT_INTERNAL_H

#include "sdekit/density.h"
#include "sdekit/density_slow.h"
#include "sdekit/experiment.h"
#include "sdekit/manifold.h"
#include "sdekit/order.h"

#define XP_MAXM (SDE_ENSEMBLE_MAXPROC - 2) /* methods (+ ref and check) */
#define XP_MAXETA 256
#define XP_MAXCHECK 4096 /* checkpoints of "every" at most */
#define XP_MAXSTEPS 0x1p40
#define XP_MAXCOST 1e14 /* path-steps a run may ask for up front */

typedef enum
{
  XP_REF_SME1,
  XP_REF_SME2,
  XP_REF_UNDERDAMPED,
  XP_REF_SLOW,
  XP_REF_METHOD
} xp_refkind;

typedef enum
{
  XP_ENGINE_MC,
  XP_ENGINE_EXACT,
  XP_ENGINE_DENSITY
} xp_engine;

/* Provenance: key and value.  The value lives in place, as long as the
   longest line a tool prints; no pointers keep the array trivial to grow
   and shift.  */
typedef struct
{
  char key[32];
  char value[2048];
} xp_meta;

struct sde_experiment
{
  sde_experiment_opts o;
  /* the one setting string read after alloc, owned */
  char *spec_checkpoints;
  /* problem, start and noise */
  sde_problem *pb;
  int pb_borrowed;    /* the caller's (opts.user) */
  sde_problem *limpb; /* L + wd |x|^2 / 2 when the methods decay weights */
  double *x0;         /* d values */
  double *xud;        /* (x0, m0) for the underdamped SDE */
  sde_oracle orc;
  int auto_batch; /* minibatch B = eta / tau */
  int tau_scaling;
  double tau, sigma;
  /* methods and reference */
  sde_optim methods[XP_MAXM], res[XP_MAXM];
  size_t nm;
  xp_refkind ref;
  sde_optim refm, refres;
  const sde_stepper_type *scheme;
  double udc;    /* underdamped c */
  int ud_m0grad; /* the underdamped SDE starts at m0 = grad L(x0) */
  size_t substeps;
  int auto_substeps;
  sde_schedule schedule;
  /* the grid, time and observables */
  double eta[XP_MAXETA];
  size_t neta;
  double T;
  sde_observable obs[SDE_WEAK_MAXOBS];
  size_t nobs;
  size_t *check; /* the current eta's checkpoints */
  /* engines */
  xp_engine engine;
  int engine_auto;
  char engine_why[512]; /* why auto chose it, or refused the others */
  sde_density_grid grid0;
  int coupled;
  sde_rng *rng;
  /* simulate */
  int sim_sde;             /* an SDE with a scheme, not methods */
  sde_system_named *named; /* the catalog SDE */
  double step;             /* the scheme's step, or the methods' eta */
  sde_moment *moments;
  size_t nmoments;
  /* simulate and order: the SDE from expressions (NULL: the catalog's) */
  sde_system_expr *usde;
  int usde_borrowed;               /* the caller's (opts.user_sde) */
  int obs_moment[SDE_WEAK_MAXOBS]; /* the usde moment of observable o, or -1 */
  const sde_stepper_type *schemes[SDE_ORDER_MAXSCHEMES];
  size_t nschemes;
  /* order */
  double h[SDE_ORDER_MAXH];
  size_t nh;
  int weak, strong; /* which errors are measured */
  size_t nweak;     /* weak observables; "strong" is observable nweak */
  sde_order_result *ord;
  /* slow */
  sde_slow_density *sd; /* the slow SDE by the density engine (NULL: by
                           Monte Carlo in the ensemble) */
  sde_manifold *man;
  const sde_slow_type *slow_type;
  int slow_scheme_named; /* scheme= in the reference: auto takes Monte
                            Carlo, which runs it */
  double z0[64];
  /* per-eta objects the engines read */
  sde_limit lim;
  sde_system sys;
  sde_process proc[SDE_ENSEMBLE_MAXPROC];
  /* theory per method */
  double theory[XP_MAXM];
  const char *theory_kind[XP_MAXM];
  /* results */
  sde_weak_point *rows;
  size_t nrows, cap;
  char **notes;
  size_t nnotes;
  xp_meta *meta;
  size_t nmeta;
  int nomem; /* a provenance line or note could not be kept */
  char title[600];
  /* per eta, for the notes */
  uint64_t phi_calls[XP_MAXETA], phi_steps[XP_MAXETA];
  size_t cur;
  /* progress */
  const sde_experiment_hooks *hooks;
  double t_start;
  double eta_seconds[XP_MAXETA];
};

/* experiment.c: pieces every kind builds from */
const char *sde__xp_name (const sde_experiment *x, const char *setting);
int sde__xp_setup_problem (sde_experiment *x);
int sde__xp_setup_law (sde_experiment *x);
int sde__xp_setup_methods (sde_experiment *x, const char *def);
int sde__xp_check_scheme (sde_experiment *x, const char *setting);
int sde__xp_checkpoint_error (const sde_experiment *x, double eta);

/* experiment_sim.c */
int sde__xp_setup_sim (sde_experiment *x);
int sde__xp_sim_meta (sde_experiment *x);
int sde__xp_run_sim (sde_experiment *x, const sde_experiment_hooks *h);
int sde__xp_write_sim (sde_experiment *x, sde_report *rep);
int sde__xp_check_sim_columns (const char *columns);

/* experiment_sde.c */
int sde__xp_user_sde_given (const sde_experiment_opts *o);
int sde__xp_setup_user_sde (sde_experiment *x, int catalog);
int sde__xp_parse_schemes (sde_experiment *x, const char *list,
                           const char *setting);
int sde__xp_user_observables (sde_experiment *x, const char *list);
int sde__xp_user_moment (size_t obs, double t, double *value, void *params);

/* experiment_order.c */
int sde__xp_setup_order (sde_experiment *x);
int sde__xp_run_order (sde_experiment *x, sde_report *rep);
int sde__xp_check_order_columns (const char *columns,
                                 const sde_table_def *fits);
const char *sde__xp_versus (const sde_experiment *x, size_t o);

/* experiment.c */
void sde__xp_engine_meta (sde_experiment *x, const char *refused);
int sde__xp_meta (sde_experiment *x, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int sde__xp_note (sde_experiment *x, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
int sde__xp_eta_noise (const sde_experiment *x, double eta, sde_oracle *o,
                       double *tau);
int sde__xp_limit (sde_experiment *x, double eta, double tau);
size_t sde__xp_steps (const sde_experiment *x, double eta);
size_t sde__xp_checkpoints (const sde_experiment *x, double eta, size_t **out);
int sde__xp_build (void *ctx, size_t i, double eta, size_t substeps,
                   sde_ensemble *e);
double sde__xp_wall (void);
/* Paths per canonical chunk: the setting, or the tools' 256.  */
size_t sde__xp_chunk (const sde_experiment *x);

/* experiment_table.c */
double sde__xp_theory (const sde_experiment *x, size_t m, size_t o,
                       const char **kind);
int sde__xp_keep_rows (sde_experiment *x, const sde_weak_point *rows, size_t n);
int sde__xp_write_head (sde_experiment *x, sde_report *rep);
int sde__xp_write_rows (sde_experiment *x, sde_report *rep,
                        const sde_weak_point *rows, size_t n);
int sde__xp_write_tail (sde_experiment *x, sde_report *rep);

#endif /* SDEKIT_EXPERIMENT_INTERNAL_H */
