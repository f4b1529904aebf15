/* check_alloc.c: every allocation failure becomes GSL_ENOMEM, with nothing
   leaked and nothing half made.  The program is linked with
   -Wl,--wrap=malloc (and calloc, realloc, strdup, posix_memalign), so
   every allocation of the library's own code goes through the wrappers
   below, which fail the K-th one.  Each operation runs with K = 0, 1, 2,
   ... until it runs through without a failure: every run before that must
   return an error (NULL or a status), which must be GSL_ENOMEM, and free
   what it made (the sanitizer build runs this with LeakSanitizer, which
   reports anything left behind).  */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/exact.h"
#include "sdekit/experiment.h"
#include "sdekit/manifold.h"
#include "sdekit/optim.h"
#include "sdekit/problem.h"
#include "sdekit/report.h"
#include "sdekit/system_expr.h"

/* ---- The failing allocator ---- */

void *__real_malloc (size_t n);
void *__real_calloc (size_t m, size_t n);
void *__real_realloc (void *p, size_t n);
char *__real_strdup (const char *s);
int __real_posix_memalign (void **p, size_t a, size_t n);
void *__wrap_malloc (size_t n);
void *__wrap_calloc (size_t m, size_t n);
void *__wrap_realloc (void *p, size_t n);
char *__wrap_strdup (const char *s);
int __wrap_posix_memalign (void **p, size_t a, size_t n);

/* The allocation to fail (counting from 0), or -1 for none; how many have
   been made since the count started, and whether one failed.  */
static long fail_at = -1, seen;
static int failed;

static int
fails (void)
{
  if (fail_at < 0 || seen++ != fail_at)
    return 0;
  failed = 1;
  return 1;
}

void *
__wrap_malloc (size_t n)
{
  return fails () ? NULL : __real_malloc (n);
}

void *
__wrap_calloc (size_t m, size_t n)
{
  return fails () ? NULL : __real_calloc (m, n);
}

void *
__wrap_realloc (void *p, size_t n)
{
  return fails () ? NULL : __real_realloc (p, n);
}

char *
__wrap_strdup (const char *s)
{
  return fails () ? NULL : __real_strdup (s);
}

int
__wrap_posix_memalign (void **p, size_t a, size_t n)
{
  return fails () ? 12 /* ENOMEM */ : __real_posix_memalign (p, a, n);
}

/* The last error reported through gsl_error.  */
static int last_errno;

static void
record (const char *reason, const char *file, int line, int gsl_errno)
{
  (void)reason, (void)file, (void)line;
  last_errno = gsl_errno;
}

/* Runs OP with the k-th allocation failing, k = 0, 1, ..., until OP
   makes no failing allocation; OP returns a GSL status (its own objects
   freed).  Every failed run must end in GSL_ENOMEM, both in its status
   and in what it reported.  Returns the allocations of the whole run.  */
static long
each_failure (const char *what, int (*op) (void))
{
  gsl_error_handler_t *old = gsl_set_error_handler (record);
  long k = 0;
  for (;; k++)
    {
      fail_at = k, seen = 0, failed = 0, last_errno = 0;
      int st = op ();
      fail_at = -1;
      if (!failed)
        {
          ck_assert_msg (st == GSL_SUCCESS, "%s: status %d without a failure",
                         what, st);
          break;
        }
      ck_assert_msg (st == GSL_ENOMEM,
                     "%s: allocation %ld failed, status %d (%s), want "
                     "GSL_ENOMEM",
                     what, k, st, gsl_strerror (st));
      ck_assert_msg (last_errno == GSL_ENOMEM,
                     "%s: allocation %ld failed, reported %d (%s)", what, k,
                     last_errno, gsl_strerror (last_errno));
    }
  gsl_set_error_handler (old);
  return k;
}

/* ---- The operations ---- */

static int
op_problem (void)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:h=1,4,s=1,0.5", NULL);
  if (pb == NULL)
    return last_errno;
  sde_problem_free (pb);
  return GSL_SUCCESS;
}

static int
op_expr_problem (void)
{
  sde_problem_expr_spec spec
      = { "(x0^2+x1^2-1)^2/2 + x0*sin(x1)", NULL, "diag(1+x1^2, 0.5)", "1,0" };
  sde_problem *pb = sde_problem_alloc_expr_spec (&spec);
  if (pb == NULL)
    return last_errno;
  sde_problem_free (pb);
  return GSL_SUCCESS;
}

static int
op_manifold (void)
{
  sde_problem *pb = sde_problem_alloc_expr ("(x0^2+x1^2-1)^2/2", 1, "1,0");
  if (pb == NULL)
    return last_errno;
  sde_manifold *m = sde_manifold_alloc (pb, pb->x0, NULL);
  int st = m ? GSL_SUCCESS : last_errno;
  if (m)
    {
      const double x[2] = { 1.2, 0.3 };
      double y[2];
      st = sde_manifold_phi (m, x, y, NULL);
      if (st == GSL_SUCCESS)
        {
          double bx[2 * 70];
          for (size_t p = 0; p < 70; p++)
            bx[p] = 1 + 0.01 * (double)p, bx[70 + p] = 0.02 * (double)p;
          st = sde_manifold_project (m, 70, bx, 0, NULL);
        }
    }
  sde_manifold_free (m);
  sde_problem_free (pb);
  return st;
}

static int
op_system_expr (void)
{
  sde_system_expr_spec spec
      = { "-x0/2, -x1", "[1, x0; x1, 0.5]", "1,2", NULL, NULL, NULL };
  sde_system_expr *s = sde_system_expr_alloc (&spec);
  if (s == NULL)
    return last_errno;
  sde_system_expr_free (s);
  return GSL_SUCCESS;
}

static int
op_exact (void)
{
  sde_problem *pb = sde_problem_alloc ("quadratic:H=2,0.5,0.5,1,x0=1,-1", NULL);
  if (pb == NULL)
    return last_errno;
  sde_exact *ex = sde_exact_alloc (pb);
  int st = ex ? GSL_SUCCESS : last_errno;
  sde_observable obs[1];
  if (ex && (st = sde_observable_parse ("norm2", 2, pb, obs, 1)) == 1)
    {
      sde_optim m;
      const char *spec = "sgdm:beta=0.8";
      st = sde_optim_parse (&m, &spec);
      if (st == GSL_SUCCESS)
        st = sde_optim_set (&m, 0.1);
      size_t check[2] = { 5, 40 };
      double v[2];
      if (st == GSL_SUCCESS)
        st = sde_exact_method (ex, &m, 0.8, pb->x0, 0.1, check, 2, obs, 1, v);
    }
  else if (ex)
    st = st < 0 ? last_errno : st;
  sde_exact_free (ex);
  sde_problem_free (pb);
  return st;
}

/* A whole small run: options, set-up, the engine, the table written (in
   FMT).  */
static int
run_opts (sde_experiment_opts *o, const sde_report_format *fmt)
{
  o->paths = 64;
  o->target_ci = 0;
  o->threads = 1;
  sde_experiment *x = sde_experiment_alloc (o);
  if (x == NULL)
    return last_errno;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  sde_report *rep = f ? sde_report_alloc (f, fmt, NULL) : NULL;
  int st = rep ? sde_experiment_run (x, rep, NULL) : GSL_ENOMEM;
  if (rep && sde_report_finish (rep) && st == GSL_SUCCESS)
    st = last_errno;
  sde_report_free (rep);
  if (f)
    fclose (f);
  free (buf);
  sde_experiment_free (x);
  return st;
}

static int
run_experiment (const char *loss, const char *engine, sde_experiment_kind kind,
                const sde_report_format *fmt)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, kind);
  o.loss = loss;
  o.x0 = kind == SDE_EXPERIMENT_SLOW ? "1,0" : NULL;
  o.eta = "2^-2:2^-3";
  o.engine = engine;
  return run_opts (&o, fmt);
}

static int
op_experiment_mc (void)
{
  return run_experiment ("(x0^2-1)^2/4", "mc", SDE_EXPERIMENT_COMPARE,
                         sde_report_csv);
}

static int
op_experiment_slow (void)
{
  return run_experiment ("(x0^2+x1^2-1)^2/2", "auto", SDE_EXPERIMENT_SLOW,
                         sde_report_csv);
}

static int
op_experiment_exact (void)
{
  return run_experiment ("x0^2 + x0*x1 + 2*x1^2", "exact",
                         SDE_EXPERIMENT_COMPARE, sde_report_json);
}

static int
op_experiment_density (void)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_COMPARE);
  o.problem = "doublewell";
  o.methods = "sgd";
  o.eta = "2^-2:2^-3";
  o.engine = "density";
  return run_opts (&o, sde_report_text);
}

static int
op_experiment_simulate (void)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_SIMULATE);
  o.drift = "-x0/2, -x1";
  o.diffusion = "[1, x0; x1, 0.5]";
  o.x0 = "1,2";
  o.scheme = "em,weak2";
  return run_opts (&o, sde_report_md);
}

static int
op_experiment_order (void)
{
  sde_experiment_opts o;
  sde_experiment_defaults (&o, SDE_EXPERIMENT_ORDER);
  o.drift = "1.5*x0";
  o.diffusion = "0.1*x0";
  o.x0 = "0.1";
  o.exact = "x0*exp(1.495*t+0.1*W)";
  o.scheme = "em,milstein";
  o.steps = "2^-2:2^-4";
  o.errors = "both";
  return run_opts (&o, sde_report_latex);
}

START_TEST (test_alloc_failures)
{
  struct
  {
    const char *name;
    int (*op) (void);
  } ops[] = { { "problem", op_problem },
              { "expression problem", op_expr_problem },
              { "manifold", op_manifold },
              { "expression SDE", op_system_expr },
              { "exact engine", op_exact },
              { "experiment (mc)", op_experiment_mc },
              { "experiment (slow)", op_experiment_slow },
              { "experiment (exact, json)", op_experiment_exact },
              { "experiment (density, text)", op_experiment_density },
              { "simulation (md)", op_experiment_simulate },
              { "order (latex)", op_experiment_order } };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    {
      long n = each_failure (ops[i].name, ops[i].op);
      /* The wrappers see the library's allocations: a run that made none
         would test nothing.  */
      ck_assert_msg (n > 3, "%s: only %ld allocations", ops[i].name, n);
    }
}
END_TEST

static Suite *
alloc_suite (void)
{
  Suite *s = suite_create ("alloc");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_alloc_failures);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (alloc_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int nf = srunner_ntests_failed (sr);
  srunner_free (sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
