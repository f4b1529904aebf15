/* observable.h: test functions phi(x) whose expectations the engines
   compare (MATH.md section 8.1): coordinates, |x|^2, the loss, cos(w.x),
   the Hessian trace, expressions in x0, x1, ... and user callbacks.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_OBSERVABLE_H
#define SDEKIT_OBSERVABLE_H

#include <stddef.h>

#include <sdekit/problem.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  SDE_OBS_COORD = 0, /* x_i */
  SDE_OBS_PRODUCT,   /* x_i x_j, written x<i>x<j> */
  SDE_OBS_NORM2,     /* |x|^2 */
  SDE_OBS_LOSS,      /* L(x) */
  SDE_OBS_COS,       /* cos(w . x) */
  SDE_OBS_TRACE,     /* tr hess L(x) */
  SDE_OBS_USER,      /* a callback */
  SDE_OBS_EXPR       /* an expression in x0, x1, ..., written expr:TEXT */
} sde_observable_kind;

/* phi at P paths: out[p] from x[i*P + p]; WORK: sde_observable_work.  */
typedef int (*sde_observable_fn) (size_t P, const double *x, double *out,
                                  double *work, void *params);

/* The longest w of cos(w . x): the largest dimension the catalog builds.  */
#define SDE_OBSERVABLE_MAXW 512

/* The longest name, so the longest expression is 5 bytes shorter.  */
#define SDE_OBSERVABLE_MAXNAME 160

struct sde_expr_prog;

typedef struct
{
  sde_observable_kind kind;
  char name[SDE_OBSERVABLE_MAXNAME];
  size_t dim;                    /* the state dimension it reads */
  size_t index;                  /* COORD, PRODUCT */
  size_t index2;                 /* PRODUCT */
  size_t n;                      /* COS: length of w, the dimension */
  double w[SDE_OBSERVABLE_MAXW]; /* COS */
  const sde_problem *prob;       /* LOSS, TRACE (borrowed) */
  sde_observable_fn fn;          /* USER */
  void *params;                  /* USER */
  size_t work;                   /* USER, EXPR: scratch doubles per path */
  struct sde_expr_prog *prog;    /* EXPR (owned: sde_observable_release) */
} sde_observable;

/* Parses a list "x0,x0x1,norm2,loss,cos:w=1,0.5,trace,expr:x0^2*x1"
   into at most MAX observables of a problem of dimension D (PB may be
   NULL when no loss or trace is asked for).  cos needs D <=
   SDE_OBSERVABLE_MAXW.  expr:TEXT is an expression of expr.h's grammar in
   x0 .. x<D-1> (it holds no comma, so it ends at the next one), compiled
   once and evaluated over blocks of paths.  Returns the count, or -1 with
   a reason through gsl_error (nothing is then left to release).  */
int sde_observable_parse (const char *list, size_t d, const sde_problem *pb,
                          sde_observable *obs, size_t max);

/* Frees what N parsed observables own (expression programs); they may be
   parsed into again.  */
void sde_observable_release (sde_observable *obs, size_t n);

/* A user observable.  */
void sde_observable_set_fn (sde_observable *o, const char *name,
                            sde_observable_fn fn, void *params, size_t work);

/* Evaluates phi over P paths of x (d rows).  */
int sde_observable_apply (const sde_observable *o, size_t P, const double *x,
                          double *out, double *work);

/* Scratch doubles per path apply needs.  */
size_t sde_observable_work (const sde_observable *o, size_t d);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_OBSERVABLE_H */
