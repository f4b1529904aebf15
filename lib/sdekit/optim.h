/* optim.h: the discrete optimizers (MATH.md section 3) as type objects:
   SGD and SGD with momentum in the normalized form of Wang, Malladi, Wang,
   Lyu & Li, "The marginal value of momentum for small learning rate SGD"
   (ICLR 2024), heavy-ball and Nesterov with PyTorch's torch.optim.SGD
   semantics, SVAG(l) as a wrapper, and learning-rate schedules.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_OPTIM_H
#define SDEKIT_OPTIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Schedules: eta_k = eta lambda(t_k), t_k the SDE time of step k ---- */

typedef enum
{
  SDE_SCHEDULE_CONSTANT = 0,
  SDE_SCHEDULE_STEP,   /* lambda = factor^(number of times t_i <= t) */
  SDE_SCHEDULE_COSINE, /* lambda = (1 + cos(pi t / T)) / 2 */
  SDE_SCHEDULE_TABLE   /* piecewise linear through (t_i, v_i), flat outside */
} sde_schedule_kind;

#define SDE_SCHEDULE_MAX 64

typedef struct
{
  sde_schedule_kind kind;
  double factor;  /* STEP */
  double horizon; /* COSINE: T (0: the run's horizon, set by the caller) */
  size_t n;
  double t[SDE_SCHEDULE_MAX], v[SDE_SCHEDULE_MAX];
  char spec[256];
} sde_schedule;

/* Parses "constant", "step:at=0.5,0.75,factor=0.1", "cosine[:T=1]" or
   "table:t=0,0.5,1,v=1,0.5,0.1".  GSL_EINVAL with a reason otherwise.  */
int sde_schedule_parse (sde_schedule *s, const char *spec);

/* lambda(t).  */
double sde_schedule_factor (const sde_schedule *s, double t);

/* ---- Optimizers ---- */

typedef struct sde_optim sde_optim;

typedef struct
{
  const char *name;
  const char *description;
  int momentum; /* keeps a d-vector buffer per path */
  /* One step with learning rate lr (schedule and SVAG already applied):
     x, m (the buffer, or NULL) and g hold d rows of P paths.  FIRST is
     nonzero on step 0.  */
  int (*apply) (const sde_optim *o, double lr, size_t P, size_t d, double *x,
                double *m, const double *g, int first);
} sde_optim_type;

extern const sde_optim_type *sde_optim_sgd;
extern const sde_optim_type *sde_optim_sgdm;
extern const sde_optim_type *sde_optim_hb;
extern const sde_optim_type *sde_optim_nesterov;

const sde_optim_type *const *sde_optim_types (void);
const sde_optim_type *sde_optim_type_find (const char *name);

/* A configured method.  Parsed fields are NAN when not given, so a sweep
   over eta can fill them in (sde_optim_set).  */
struct sde_optim
{
  const sde_optim_type *type;
  /* as given */
  double lr;        /* hb/nesterov: PyTorch lr gamma; NAN: from eta (set) */
  double beta;      /* sgdm beta, hb/nesterov momentum mu; NAN: family */
  double alpha, c;  /* momentum family 1 - beta = c eta^alpha */
  double dampening; /* hb/nesterov (PyTorch); unused when mu = 0 */
  double wd;        /* weight decay (PyTorch): its SDE limit is that of
                       sde_problem_alloc_decay (pb, wd), not of pb */
  int m0_grad;      /* sgdm: m_0 = g_0 instead of 0 */
  unsigned svag;    /* SVAG(l), 1 = plain */
  sde_schedule schedule;
  char spec[256]; /* canonical, as parsed */
  /* resolved by sde_optim_set for a base learning rate eta */
  double eta;     /* effective (normalized) learning rate */
  double step_lr; /* learning rate of one step before the schedule */
  double mom;     /* resolved beta / mu */
  double dt;      /* SDE time per step: eta / l */
};

/* Parses one method from *text ("sgd", "sgdm:beta=0.9",
   "sgdm:alpha=0.5,c=1", "sgdm:beta=0.9,m0=grad",
   "hb:lr=0.01,momentum=0.9,dampening=0", "nesterov:...",
   "svag:l=4,sgdm:beta=0.9") and moves *text past it and its comma.  The
   schedule starts constant.  Returns GSL_EINVAL with a reason.  */
int sde_optim_parse (sde_optim *o, const char **text);

/* Resolves the method at base learning rate ETA (> 0): beta from the
   family when not given; hb/nesterov without lr get lr = eta (1 - mu) /
   (1 - d), d the dampening, so their effective learning rate lr (1 - d) /
   (1 - mu) is eta (with mu = 0, PyTorch keeps no buffer and ignores d:
   lr = eta); SVAG divides the step's learning rate and the SDE time step
   by l.  With an explicit hb/nesterov lr, ETA is ignored and eta = lr (1 -
   d) / (1 - mu).  Returns GSL_EDOM when beta leaves [0, 1) or the family
   needs a smaller eta.  */
int sde_optim_set (sde_optim *o, double eta);

/* Step k of the resolved method: lr = step_lr lambda(k dt).  */
int sde_optim_apply (const sde_optim *o, size_t k, size_t P, size_t d,
                     double *x, double *m, const double *g);

/* The resolved method as text, e.g. "sgdm(eta=0.125,beta=0.9)".  */
const char *sde_optim_name (const sde_optim *o, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_OPTIM_H */
