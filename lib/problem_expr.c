/* problem_expr.c: losses given as expressions in x0, x1, ..., with
   gradient, Hessian and third derivatives differentiated symbolically by
   GNU libmatheval.  Evaluators keep variable values inside them, so each
   OpenMP thread gets its own copy.  */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <matheval.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "problem_internal.h"

#define MAXD 32

typedef struct
{
  void *f, **g, **h, **t; /* g[i], h[i*d+j], t[(i*d+j)*d+k] (all filled) */
} evalset;

typedef struct
{
  size_t d, nslots;
  evalset *slot;
  char **names;
  pthread_mutex_t lock; /* for callers beyond the OpenMP slots */
  double s;
} exprdata;

static void
evalset_free (evalset *e, size_t d)
{
  if (e->f)
    evaluator_destroy (e->f);
  for (size_t i = 0; e->g && i < d; i++)
    if (e->g[i])
      evaluator_destroy (e->g[i]);
  /* h and t are symmetric: each distinct evaluator is stored at its
     sorted index and aliased elsewhere.  */
  for (size_t i = 0; e->h && i < d; i++)
    for (size_t j = i; j < d; j++)
      if (e->h[i * d + j])
        evaluator_destroy (e->h[i * d + j]);
  for (size_t i = 0; e->t && i < d; i++)
    for (size_t j = i; j < d; j++)
      for (size_t k = j; k < d; k++)
        if (e->t[(i * d + j) * d + k])
          evaluator_destroy (e->t[(i * d + j) * d + k]);
  free (e->g);
  free (e->h);
  free (e->t);
}

/* Builds the loss and its derivatives from EXPR.  */
static int
evalset_build (evalset *e, const char *expr, size_t d, char **names)
{
  char *copy = strdup (expr);
  e->f = evaluator_create (copy);
  free (copy);
  if (e->f == NULL)
    return GSL_EINVAL;
  e->g = calloc (d, sizeof (void *));
  e->h = calloc (d * d, sizeof (void *));
  e->t = calloc (d * d * d, sizeof (void *));
  if (!e->g || !e->h || !e->t)
    return GSL_ENOMEM;
  for (size_t i = 0; i < d; i++)
    if ((e->g[i] = evaluator_derivative (e->f, names[i])) == NULL)
      return GSL_EINVAL;
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < d; j++)
      {
        if ((e->h[i * d + j] = evaluator_derivative (e->g[i], names[j]))
            == NULL)
          return GSL_EINVAL;
        e->h[j * d + i] = e->h[i * d + j];
      }
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < d; j++)
      for (size_t k = j; k < d; k++)
        {
          void *t = evaluator_derivative (e->h[i * d + j], names[k]);
          if (t == NULL)
            return GSL_EINVAL;
          size_t idx[6][3] = { { i, j, k }, { i, k, j }, { j, i, k },
                               { j, k, i }, { k, i, j }, { k, j, i } };
          for (int q = 0; q < 6; q++)
            e->t[(idx[q][0] * d + idx[q][1]) * d + idx[q][2]] = t;
        }
  return GSL_SUCCESS;
}

static void
expr_destroy (sde_owned_problem *op)
{
  exprdata *x = op->extra;
  if (x == NULL)
    return;
  for (size_t s = 0; s < x->nslots; s++)
    evalset_free (&x->slot[s], x->d);
  for (size_t i = 0; x->names && i < x->d; i++)
    free (x->names[i]);
  free (x->names);
  free (x->slot);
  pthread_mutex_destroy (&x->lock);
  free (x);
}

/* The evaluators this thread may use; *locked tells whether the shared
   last resort was taken.  */
static evalset *
acquire (exprdata *x, int *locked)
{
  size_t me = 0;
#ifdef _OPENMP
  me = (size_t)omp_get_thread_num ();
#endif
  if (me + 1 < x->nslots)
    {
      *locked = 0;
      return &x->slot[me];
    }
  pthread_mutex_lock (&x->lock);
  *locked = 1;
  return &x->slot[x->nslots - 1];
}

static void
release (exprdata *x, int locked)
{
  if (locked)
    pthread_mutex_unlock (&x->lock);
}

typedef enum
{
  E_LOSS,
  E_GRAD,
  E_HESS
} ekind;

static int
expr_eval (const sde_problem *pb, size_t P, const double *x, double *out,
           ekind kind)
{
  exprdata *xd = ((const sde_owned_problem *)pb->params)->extra;
  const size_t d = xd->d;
  int locked;
  evalset *e = acquire (xd, &locked);
  double v[MAXD];
  for (size_t p = 0; p < P; p++)
    {
      for (size_t i = 0; i < d; i++)
        v[i] = x[i * P + p];
      if (kind == E_LOSS)
        out[p] = evaluator_evaluate (e->f, (int)d, xd->names, v);
      else if (kind == E_GRAD)
        for (size_t i = 0; i < d; i++)
          out[i * P + p] = evaluator_evaluate (e->g[i], (int)d, xd->names, v);
      else
        for (size_t i = 0; i < d * d; i++)
          out[i * P + p] = evaluator_evaluate (e->h[i], (int)d, xd->names, v);
    }
  release (xd, locked);
  return GSL_SUCCESS;
}

static int
expr_loss (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  (void)work;
  return expr_eval (pb, P, x, out, E_LOSS);
}

static int
expr_grad (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  (void)work;
  return expr_eval (pb, P, x, out, E_GRAD);
}

static int
expr_hess (const sde_problem *pb, size_t P, const double *x, double *out,
           double *work)
{
  (void)work;
  return expr_eval (pb, P, x, out, E_HESS);
}

static int
expr_third (const sde_problem *pb, size_t P, const double *x, const double *S,
            double *out, double *work)
{
  (void)work;
  exprdata *xd = ((const sde_owned_problem *)pb->params)->extra;
  const size_t d = xd->d;
  int locked;
  evalset *e = acquire (xd, &locked);
  double v[MAXD];
  for (size_t p = 0; p < P; p++)
    {
      for (size_t i = 0; i < d; i++)
        v[i] = x[i * P + p];
      for (size_t i = 0; i < d; i++)
        {
          double s = 0;
          for (size_t j = 0; j < d; j++)
            for (size_t k = 0; k < d; k++)
              {
                double sjk = S[(j * d + k) * P + p];
                if (sjk != 0)
                  s += sjk
                       * evaluator_evaluate (e->t[(i * d + j) * d + k], (int)d,
                                             xd->names, v);
              }
          out[i * P + p] = s;
        }
    }
  release (xd, locked);
  return GSL_SUCCESS;
}

sde_problem *
sde_problem_alloc_expr (const char *expr, double s, const char *x0)
{
  if (expr == NULL || *expr == '\0')
    {
      sde_error (GSL_EINVAL, "empty loss expression");
      return NULL;
    }
  if (!(s >= 0))
    {
      sde_error (GSL_EINVAL, "noise variance s must be >= 0");
      return NULL;
    }
  char *copy = strdup (expr);
  void *f = evaluator_create (copy);
  free (copy);
  if (f == NULL)
    {
      sde_error (GSL_EINVAL,
                 "cannot parse loss '%s' (a syntax error or an unknown "
                 "function)",
                 expr);
      return NULL;
    }
  char **vars;
  int nvars;
  evaluator_get_variables (f, &vars, &nvars);
  int present[MAXD] = { 0 };
  size_t d = 0;
  for (int k = 0; k < nvars; k++)
    {
      const char *v = vars[k];
      char *end = (char *)v;
      long idx = -1;
      if (v[0] == 'x' && isdigit ((unsigned char)v[1]))
        idx = strtol (v + 1, &end, 10);
      if (idx < 0 || *end != '\0' || (v[1] == '0' && v[2] != '\0'))
        {
          sde_error (GSL_EINVAL,
                     "unknown variable '%s' in the loss (use x0, "
                     "x1, ...)",
                     v);
          evaluator_destroy (f);
          return NULL;
        }
      if (idx >= MAXD)
        {
          sde_error (GSL_EINVAL, "variable '%s': at most %d variables", v,
                     MAXD);
          evaluator_destroy (f);
          return NULL;
        }
      present[idx] = 1;
      if ((size_t)idx + 1 > d)
        d = (size_t)idx + 1;
    }
  evaluator_destroy (f);
  if (d == 0)
    {
      sde_error (GSL_EINVAL, "the loss '%s' has no variables x0, x1, ...",
                 expr);
      return NULL;
    }
  for (size_t i = 0; i < d; i++)
    if (!present[i])
      {
        sde_error (GSL_EINVAL,
                   "variable gap in the loss: x%zu is missing "
                   "but x%zu is used",
                   i, d - 1);
        return NULL;
      }

  sde_owned_problem *op = sde__problem_new ("expression", d, d);
  if (op == NULL)
    return NULL;
  exprdata *xd = calloc (1, sizeof *xd);
  op->extra = xd;
  op->destroy = expr_destroy;
  xd->d = d;
  pthread_mutex_init (&xd->lock, NULL);
  xd->names = calloc (d, sizeof (char *));
  for (size_t i = 0; i < d; i++)
    {
      char buf[24]; /* "x" and any size_t */
      snprintf (buf, sizeof buf, "x%zu", i);
      xd->names[i] = strdup (buf);
    }
  size_t threads = 1;
#ifdef _OPENMP
  threads = (size_t)omp_get_max_threads ();
#endif
  xd->nslots = threads + 1; /* one per thread plus the locked spare */
  xd->slot = calloc (xd->nslots, sizeof (evalset));
  for (size_t k = 0; k < xd->nslots; k++)
    {
      int st = evalset_build (&xd->slot[k], expr, d, xd->names);
      if (st)
        {
          sde_error (GSL_EINVAL, "cannot differentiate the loss '%s'", expr);
          sde_problem_free (&op->pb);
          return NULL;
        }
    }
  snprintf (op->spec, sizeof op->spec, "%s", expr);
  op->pb.loss = expr_loss;
  op->pb.grad = expr_grad;
  op->pb.hess = expr_hess;
  op->pb.third = expr_third;
  op->factor = calloc (d * d, sizeof (double));
  for (size_t i = 0; i < d; i++)
    op->factor[i * d + i] = sqrt (s);
  op->pb.factor_const = op->factor;
  op->pb.factor = sde__factor_const;
  xd->s = s;
  if (x0)
    {
      sde_spec spec;
      char text[1100];
      snprintf (text, sizeof text, "loss:x0=%s", x0);
      const char *rest = text;
      if (sde_spec_parse (&spec, &rest) || *rest
          || sde__param_x0 (op, &spec, 0.0))
        {
          sde_problem_free (&op->pb);
          return NULL;
        }
      snprintf (op->spec, sizeof op->spec, "%s", expr);
    }
  return &op->pb;
}
