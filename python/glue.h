/* glue.h: the C side of the Python package sdekit (python/sdekit/): GSL's
   errors kept as text for ValueError instead of abort (), an experiment
   run into a JSON document in memory with SIGINT caught and the batches
   of paths cut short enough for a prompt stop, and the constant
   callbacks of a caller's problem.  cffi compiles these declarations into
   the extension module (python/build_cffi.py); the package's Python code
   is the rest.  */
#ifndef SDEKIT_PY_GLUE_H
#define SDEKIT_PY_GLUE_H

#include <stddef.h>

#include <sdekit.h>

/* The status a Python callback returns when it raised: the package keeps
   the exception and raises it again after the run.  */
#define SDEKIT_PY_ECALLBACK 1001

/* Installs the GSL error handler that keeps the reason instead of
   aborting the process (at import, once).  */
void sdekit_py_init (void);

/* The last reason the library reported through gsl_error ("" if none) and
   its status in *CODE: a copy, valid until the next call in this thread.
   Within a parallel region the first worker's reason is kept until read,
   as the tools do.  */
const char *sdekit_py_reason (int *code);
void sdekit_py_reason_clear (void);

/* A caller's problem: the library's struct first (it is what the
   experiment borrows), then what the constant callbacks read.  */
typedef struct
{
  sde_problem pb;
  const double *hess; /* a constant Hessian, d x d row-major, or NULL */
} sdekit_py_problem;

/* Block callbacks that fill a constant Hessian (the problem's hess) or
   noise factor (pb->factor_const) into every path.  */
int sdekit_py_hess_const (const sde_problem *pb, size_t P, const double *x,
                          double *out, double *work);
int sdekit_py_factor_const (const sde_problem *pb, size_t P, const double *x,
                            double *out, double *work);

/* One run of an experiment.  */
typedef struct
{
  /* In.  PROGRESS (may be NULL) is called between batches of paths, and
     within long batches about every PERIOD seconds, in the thread that
     runs: nonzero stops the run cleanly.  CATCH_SIGINT: the first SIGINT
     stops the run (the finished rows are kept), a second one goes to the
     handler that was there before (Python's KeyboardInterrupt).  */
  int (*progress) (void *ctx, const sde_experiment_progress *p);
  void *ctx;
  double period;
  int catch_sigint;
  /* Out.  INTERRUPTED: a SIGINT stopped it.  DOC: the JSON document
     (format 1, as the tools' --format=json), LEN bytes and a NUL, to be
     freed with sdekit_py_free.  */
  int interrupted;
  char *doc;
  size_t len;
} sdekit_py_run;

/* Runs X into a JSON document in memory.  Returns sde_experiment_run's
   status (GSL_SUCCESS, SDE_ESTOP, a failure); GSL_ENOMEM when no
   document could be made.  */
int sdekit_py_run_json (sde_experiment *x, sdekit_py_run *r);

void sdekit_py_free (void *p);

#endif /* SDEKIT_PY_GLUE_H */
