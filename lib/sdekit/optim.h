/* optim.h: the discrete optimizers (MATH.md section 3) as type objects:
   SGD and SGD with momentum in the normalized form of Wang, Malladi, Wang,
   Lyu & Li, "The marginal value of momentum for small learning rate SGD"
   (ICLR 2024), heavy-ball and Nesterov with PyTorch's torch.optim.SGD
   semantics, quasi-hyperbolic momentum (Ma & Yarats, ICLR 2019), SVAG(l)
   as a wrapper, and learning-rate schedules.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_OPTIM_H
#define SDEKIT_OPTIM_H

#include <stddef.h>

#include <sdekit/spec.h>

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

/* An optimizer type: the name of one kind of method and its behaviour.
   The library's types are listed by sde_optim_types and each lives in one
   file, lib/optim_NAME.c, plus one line of the registry in lib/optim.c.
   A program may define its own type (a static const struct) and use it
   through sde_optim_parse_with, sde_optim_set, sde_optim_apply, the
   ensemble and, with a linear map, the exact engine: nothing in the
   library compares a type with the built-in ones.  */
typedef struct
{
  const char *name;        /* as in a spec: "sgdm" */
  const char *description; /* one line of --list-methods */
  /* Rows of state per coordinate: 1 (x) or 2 (x and a buffer m).  */
  unsigned state;
  /* Nonzero for a momentum method whose beta (o->mom) may follow the
     family 1 - beta = c eta^alpha when no beta is given (--alpha, --c).  */
  int family;
  /* Nonzero when apply is exactly x -= lr g and keeps no state: the
     density engine and the fused SGD step of the ensemble then take the
     method for plain SGD.  */
  int plain;
  /* Reads the type's keys from SPEC (sde_spec_double and friends), checks
     them and fills the generic fields of O or O->param; keys it leaves
     unread are refused after it returns.  NULL: the type has no keys.  */
  int (*parse) (sde_optim *o, sde_spec *spec);
  /* Resolves O at base learning rate ETA > 0: sets o->mom (the momentum
     beta, 0 without), o->step_lr (the rate of one step) and o->eta (the
     effective rate, which the limit SDE sees), found as 0, eta and eta on
     entry; sde_optim_set then applies SVAG.  Returns GSL_EDOM with a
     reason when ETA is out of the method's range.  NULL: nothing to
     resolve.  */
  int (*set) (sde_optim *o, double eta);
  /* One step with learning rate lr (schedule and SVAG already applied):
     x and g hold d rows of P paths, m the buffer's (state - 1) d rows
     (unused, and possibly NULL, when state is 1).  FIRST is nonzero on
     step 0, where the buffer's contents are undefined.  */
  int (*apply) (const sde_optim *o, double lr, size_t P, size_t d, double *x,
                double *m, const double *g, int first);
  /* The exact engine's map of one step with rate lr on the loss lam x^2 /
     2 (one eigenmode of the Hessian) with gradient g = lam x + sigma xi,
     xi ~ N(0, 1): the state s = (x, m) (x alone when state is 1) goes to A
     s + b xi, A row-major state x state.  With FIRST nonzero it writes the
     map of step 0 and returns nonzero when that differs from the later
     steps' (a buffer started at g_0, say), 0 when it is the same; the
     return value may depend on O only.  NULL: the exact engine refuses
     the method (sde_exact_applies_method).  */
  int (*linear) (const sde_optim *o, double lr, double sigma, long double lam,
                 int first, long double *A, long double *b);
} sde_optim_type;

/* Four of the built-in types; every one is found by name as well.  */
extern const sde_optim_type *sde_optim_sgd;
extern const sde_optim_type *sde_optim_sgdm;
extern const sde_optim_type *sde_optim_hb;
extern const sde_optim_type *sde_optim_nesterov;

/* The library's types, NULL-terminated, in the order of --list-methods.  */
const sde_optim_type *const *sde_optim_types (void);
/* The library's type called NAME, or NULL.  */
const sde_optim_type *sde_optim_type_find (const char *name);

/* A configured method.  Parsed fields are NAN when not given, so a sweep
   over eta can fill them in (sde_optim_set).  */
struct sde_optim
{
  const sde_optim_type *type;
  /* as given */
  double lr;        /* hb/nesterov: PyTorch lr gamma; NAN: from eta (set) */
  double beta;      /* sgdm/qhm beta, hb/nesterov momentum mu; NAN: family */
  double alpha, c;  /* momentum family 1 - beta = c eta^alpha */
  double dampening; /* hb/nesterov (PyTorch); unused when mu = 0 */
  double wd;        /* weight decay (PyTorch): its SDE limit is that of
                       sde_problem_alloc_decay (pb, wd), not of pb */
  int m0_grad;      /* sgdm: m_0 = g_0 instead of 0 */
  double param[4];  /* the type's own parameters (qhm: nu) */
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
   "qhm:beta=0.9,nu=0.7", "svag:l=4,sgdm:beta=0.9") and moves *text past
   it and its comma.  The schedule starts constant.  Returns GSL_EINVAL
   with a reason.  */
int sde_optim_parse (sde_optim *o, const char **text);

/* The same with the names looked up in TYPES (NULL-terminated), e.g. the
   library's types followed by a program's own.  */
int sde_optim_parse_with (sde_optim *o, const sde_optim_type *const *types,
                          const char **text);

/* Resolves the method at base learning rate ETA (> 0) through its type's
   set: beta from the family when not given; hb/nesterov without lr get
   lr = eta (1 - mu) / (1 - d), d the dampening, so their effective
   learning rate lr (1 - d) / (1 - mu) is eta (with mu = 0, PyTorch keeps
   no buffer and ignores d: lr = eta); SVAG divides the step's learning
   rate and the SDE time step by l.  With an explicit hb/nesterov lr, ETA
   is ignored and eta = lr (1 - d) / (1 - mu).  Returns GSL_EDOM when beta
   leaves [0, 1) or the family needs a smaller eta.  */
int sde_optim_set (sde_optim *o, double eta);

/* Step k of the resolved method: lr = step_lr lambda(k dt).  */
int sde_optim_apply (const sde_optim *o, size_t k, size_t P, size_t d,
                     double *x, double *m, const double *g);

/* The resolved method as text, e.g. "sgdm(eta=0.125,beta=0.9)".  */
const char *sde_optim_name (const sde_optim *o, char *buf, size_t len);

/* ---- For writers of types ---- */

/* Reads the momentum of a family type: beta=B (in [0, 1)) or alpha=A,c=C
   (1 - beta = c eta^alpha; a missing c is 1, a missing alpha 0), not
   both, into o->beta, o->alpha and o->c.  GSL_EINVAL with a reason.  */
int sde_optim_parse_momentum (sde_optim *o, sde_spec *spec);

/* Resolves o->mom at ETA: o->beta, else 1 - c eta^alpha, else 0.9.
   GSL_EDOM when that is outside [0, 1).  */
int sde_optim_set_momentum (sde_optim *o, double eta);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_OPTIM_H */
