"""build_cffi.py OUT.c: writes the C source of the extension module
sdekit._sdekit_cffi (cffi, API mode, out of line).

The declarations below are those the package uses, checked by the C
compiler against the library's own headers when OUT.c is compiled (a
struct ending in "...;" takes its layout from the headers), so the binding
cannot drift from the library silently.  The Makefile compiles OUT.c with
python/glue.c and the library's objects into one module.
"""
import sys

import cffi

CDEF = r"""
/* ---- spec.h ---- */
#define SDE_ESTOP 1000
int sde_parse_double (const char *s, double *value);
int sde_shortest (char *buf, size_t len, double x);
size_t sde_quote (char *buf, size_t len, const char *s, size_t max);

/* ---- problem.h ---- */
typedef struct sde_problem sde_problem;
typedef int (*sde_problem_fn) (const sde_problem *pb, size_t P,
                               const double *x, double *out, double *work);
typedef int (*sde_problem_third_fn) (const sde_problem *pb, size_t P,
                                     const double *x, const double *S,
                                     double *out, double *work);
typedef enum
{
  SDE_ORACLE_NONE,
  SDE_ORACLE_GAUSSIAN,
  SDE_ORACLE_RADEMACHER,
  SDE_ORACLE_STUDENT,
  SDE_ORACLE_MINIBATCH,
  ...
} sde_oracle_law;
struct sde_problem
{
  const char *name;
  size_t dim;
  size_t noise_dim;
  sde_problem_fn loss;
  sde_problem_fn grad;
  sde_problem_fn hess;
  sde_problem_third_fn third;
  sde_problem_fn factor;
  sde_problem_fn phi;
  const double *hess_const;
  const double *factor_const;
  const double *xstar;
  const double *x0;
  sde_oracle_law law;
  void *params;
  size_t work;
  ...;
};
int sde_oracle_law_find (const char *name);
const char *sde_problem_name (size_t index, const char **description,
                              const char **params);

/* ---- experiment.h ---- */
typedef enum
{
  SDE_EXPERIMENT_COMPARE,
  SDE_EXPERIMENT_SLOW,
  SDE_EXPERIMENT_SIMULATE
} sde_experiment_kind;
typedef struct
{
  sde_experiment_kind kind;
  const char *problem;
  const sde_problem *user;
  const char *loss;
  const char *cov, *factor;
  const char *x0;
  const char *noise;
  double tau;
  double sigma;
  const char *methods;
  double alpha, c;
  const char *reference;
  const char *schedule;
  const char *eta;
  double horizon;
  const char *checkpoints;
  const char *observables;
  const char *engine;
  const char *density_grid;
  const char *estimator;
  uint64_t paths, max_paths, pilot;
  double target_ci;
  double bound;
  uint64_t seed;
  int threads;
  size_t chunk;
  double max_seconds;
  const char *phi;
  double gtol;
  uint64_t phi_steps;
  const char *datadir;
  const char *sde, *scheme;
  double step;
  const char *rng;
  const char *drift, *diffusion, *form, *exact, *moments;
  ...;
} sde_experiment_opts;
typedef struct sde_experiment sde_experiment;
typedef struct
{
  size_t eta_index, neta;
  double eta;
  uint64_t paths;
  double elapsed;
  double remaining;
  ...;
} sde_experiment_progress;
void sde_experiment_defaults (sde_experiment_opts *o,
                              sde_experiment_kind kind);
sde_experiment *sde_experiment_alloc (const sde_experiment_opts *o);
void sde_experiment_free (sde_experiment *x);
int sde_experiment_annotate (sde_experiment *x, const char *key,
                             const char *value);
int sde_experiment_expect (const sde_experiment *x, double P, double Q,
                           char *why, size_t len);
const char *sde_experiment_title (const sde_experiment *x);

/* ---- glue.h ---- */
#define SDEKIT_PY_ECALLBACK 1001
void sdekit_py_init (void);
const char *sdekit_py_reason (int *code);
void sdekit_py_reason_clear (void);
typedef struct
{
  sde_problem pb;
  const double *hess;
  ...;
} sdekit_py_problem;
int sdekit_py_hess_const (const sde_problem *pb, size_t P, const double *x,
                          double *out, double *work);
int sdekit_py_factor_const (const sde_problem *pb, size_t P, const double *x,
                            double *out, double *work);
typedef struct
{
  int (*progress) (void *ctx, const sde_experiment_progress *p);
  void *ctx;
  double period;
  int catch_sigint;
  int interrupted;
  char *doc;
  size_t len;
  ...;
} sdekit_py_run;
int sdekit_py_run_json (sde_experiment *x, sdekit_py_run *r);
void sdekit_py_free (void *p);

/* ---- callbacks into Python (python/sdekit/_problem.py, _run.py) ---- */
extern "Python" int sdekit_py_cb_loss (const sde_problem *, size_t,
                                       const double *, double *, double *);
extern "Python" int sdekit_py_cb_grad (const sde_problem *, size_t,
                                       const double *, double *, double *);
extern "Python" int sdekit_py_cb_hess (const sde_problem *, size_t,
                                       const double *, double *, double *);
extern "Python" int sdekit_py_cb_factor (const sde_problem *, size_t,
                                         const double *, double *, double *);
extern "Python" int sdekit_py_cb_phi (const sde_problem *, size_t,
                                      const double *, double *, double *);
extern "Python" int sdekit_py_cb_third (const sde_problem *, size_t,
                                        const double *, const double *,
                                        double *, double *);
extern "Python" int sdekit_py_cb_progress (void *,
                                           const sde_experiment_progress *);
"""

SOURCE = r"""
#include <sdekit.h>
#include "glue.h"
"""


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: build_cffi.py OUT.c")
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("sdekit._sdekit_cffi", SOURCE)
    ffi.emit_c_code(sys.argv[1])


if __name__ == "__main__":
    main()
