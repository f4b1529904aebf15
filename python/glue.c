/* glue.c: the C side of the Python package sdekit (see glue.h): reasons
   kept from GSL's handler, a run into an in-memory JSON report, SIGINT
   as a clean stop, and constant callbacks.  */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "glue.h"

/* ---- Reasons ----

   GSL's handler is called from the engine's worker threads too.  As in
   the tools (tools/cli.c), the first reason of a parallel failure is kept
   until it is read (the others echo it), and outside a parallel region a
   later reason replaces an earlier one (the outer call adds context).  */

static pthread_mutex_t reason_lock = PTHREAD_MUTEX_INITIALIZER;
static char reason[1024];
static int reason_code;
static int reason_held;

static int
in_parallel (void)
{
#ifdef _OPENMP
  return omp_in_parallel ();
#else
  return 0;
#endif
}

static void
keep_reason (const char *r, const char *file, int line, int code)
{
  (void)file;
  (void)line;
  const int parallel = in_parallel ();
  pthread_mutex_lock (&reason_lock);
  if (!(parallel && reason_held))
    {
      snprintf (reason, sizeof reason, "%s", r ? r : "");
      reason_code = code;
      reason_held = parallel;
    }
  pthread_mutex_unlock (&reason_lock);
}

void
sdekit_py_init (void)
{
  gsl_set_error_handler (keep_reason);
}

const char *
sdekit_py_reason (int *code)
{
  static __thread char copy[sizeof reason];
  pthread_mutex_lock (&reason_lock);
  memcpy (copy, reason, sizeof copy);
  if (code)
    *code = reason_code;
  reason_held = 0;
  pthread_mutex_unlock (&reason_lock);
  return copy;
}

void
sdekit_py_reason_clear (void)
{
  pthread_mutex_lock (&reason_lock);
  reason[0] = '\0';
  reason_code = 0;
  reason_held = 0;
  pthread_mutex_unlock (&reason_lock);
}

/* ---- Constant callbacks ---- */

int
sdekit_py_hess_const (const sde_problem *pb, size_t P, const double *x,
                      double *out, double *work)
{
  (void)x, (void)work;
  const double *H = ((const sdekit_py_problem *)pb)->hess;
  const size_t n = pb->dim * pb->dim;
  for (size_t k = 0; k < n; k++)
    for (size_t p = 0; p < P; p++)
      out[k * P + p] = H[k];
  return GSL_SUCCESS;
}

int
sdekit_py_factor_const (const sde_problem *pb, size_t P, const double *x,
                        double *out, double *work)
{
  (void)x, (void)work;
  const size_t n = pb->dim * pb->noise_dim;
  for (size_t k = 0; k < n; k++)
    for (size_t p = 0; p < P; p++)
      out[k * P + p] = pb->factor_const[k];
  return GSL_SUCCESS;
}

/* ---- SIGINT ----

   Caught for the length of the runs in progress (a count, so runs in
   several Python threads install and restore it once).  The first signal
   sets the flag the hooks read; a second one restores the handler that
   was there before and passes the signal on, so a callback stuck in
   Python can still be interrupted.  */

static pthread_mutex_t sigint_lock = PTHREAD_MUTEX_INITIALIZER;
static int sigint_users;
static struct sigaction sigint_old;
static volatile sig_atomic_t sigint_seen;
static volatile sig_atomic_t sigint_passed;

static void
on_sigint (int sig)
{
  if (sigint_seen++ == 0)
    return;
  sigint_passed = 1;
  sigaction (SIGINT, &sigint_old, NULL);
  if (sigint_old.sa_handler == SIG_DFL)
    raise (sig); /* delivered when this handler returns */
  else if (sigint_old.sa_handler != SIG_IGN
           && !(sigint_old.sa_flags & SA_SIGINFO))
    sigint_old.sa_handler (sig);
}

static void
sigint_catch (void)
{
  pthread_mutex_lock (&sigint_lock);
  if (sigint_users++ == 0)
    {
      struct sigaction sa;
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = on_sigint;
      sigemptyset (&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      sigint_seen = 0;
      sigint_passed = 0;
      sigaction (SIGINT, &sa, &sigint_old);
    }
  pthread_mutex_unlock (&sigint_lock);
}

static void
sigint_release (void)
{
  pthread_mutex_lock (&sigint_lock);
  if (--sigint_users == 0 && !sigint_passed)
    sigaction (SIGINT, &sigint_old, NULL);
  pthread_mutex_unlock (&sigint_lock);
}

/* ---- The run ---- */

typedef struct
{
  sdekit_py_run *r;
  double t0;
  sde_experiment_progress last; /* the library's last report */
} run_state;

static double
wall (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int
stop_requested (const run_state *s)
{
  return s->r->catch_sigint && sigint_seen > 0;
}

static int
progress_hook (void *ctx, const sde_experiment_progress *p)
{
  run_state *s = ctx;
  s->last = *p;
  if (stop_requested (s))
    return 1;
  return s->r->progress ? s->r->progress (s->r->ctx, p) : 0;
}

/* A batch in pieces of whole chunks, sized to last about PERIOD seconds
   each (from the rate of the pieces before), with a stop and progress
   between them.  The sums are exact, so the pieces add up to the batch
   bitwise.  */
static int
run_hook (void *ctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
          sde_ensemble_sums *sums)
{
  run_state *s = ctx;
  const double period = s->r->period > 0 ? s->r->period : 0.25;
  int threads = e->threads;
#ifdef _OPENMP
  if (threads <= 0)
    threads = omp_get_max_threads ();
#endif
  if (threads <= 0)
    threads = 1;
  const uint64_t step = (uint64_t)threads * e->chunk;
  uint64_t piece = step, done = 0;
  while (done < npaths)
    {
      if (stop_requested (s))
        return SDE_ESTOP;
      const uint64_t n = npaths - done < piece ? npaths - done : piece;
      const double t = wall ();
      int st = sde_ensemble_run (e, path0 + done, n, sums);
      if (st)
        return st;
      done += n;
      const double dt = wall () - t;
      /* The next piece: PERIOD seconds at this rate, in whole steps, at
         most 8 times this one.  */
      double want = dt > 0 ? (double)n * period / dt : 8.0 * (double)n;
      want = fmin (want, 8.0 * (double)n);
      piece = (uint64_t)fmax (1.0, floor (want / (double)step)) * step;
      if (done < npaths && s->r->progress)
        {
          sde_experiment_progress p = s->last;
          p.eta = s->last.neta ? s->last.eta : e->eta;
          p.neta = s->last.neta ? s->last.neta : 1;
          p.paths = path0 + done;
          p.elapsed = wall () - s->t0;
          p.remaining = NAN;
          if (s->r->progress (s->r->ctx, &p))
            return SDE_ESTOP;
        }
    }
  return stop_requested (s) ? SDE_ESTOP : GSL_SUCCESS;
}

int
sdekit_py_run_json (sde_experiment *x, sdekit_py_run *r)
{
  r->interrupted = 0;
  r->doc = NULL;
  r->len = 0;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return sde_error (GSL_ENOMEM, "no memory for the report");
  sde_report *rep = sde_report_alloc (f, sde_report_json, NULL);
  if (rep == NULL)
    {
      fclose (f);
      free (buf);
      return GSL_ENOMEM;
    }
  run_state s = { r, wall (), { 0, 0, NAN, 0, 0, NAN } };
  sde_experiment_hooks h = { &s, progress_hook, run_hook };
  if (r->catch_sigint)
    sigint_catch ();
  int st = sde_experiment_run (x, rep, &h);
  if (r->catch_sigint)
    {
      r->interrupted = sigint_seen > 0;
      sigint_release ();
    }
  if (st && st != SDE_ESTOP)
    sde_report_set_failed (rep);
  const int fin = sde_report_finish (rep);
  sde_report_free (rep);
  if (fclose (f) || fin == GSL_EFAILED)
    {
      free (buf);
      return sde_error (GSL_ENOMEM, "no memory for the report");
    }
  r->doc = buf;
  r->len = len;
  return st;
}

void
sdekit_py_free (void *p)
{
  free (p);
}
