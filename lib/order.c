/* order.c: weak and strong errors of schemes over a grid of step sizes on
   one Brownian path per sample (MATH.md section 9; the strong and weak
   convergence criteria of Kloeden & Platen 1992, sections 9.6 and 9.7).
   The path lives on the finest grid; every step size sums its fine
   increments.  Sums go into exact accumulators (xsum.h), merged per
   canonical chunk of paths, so results do not depend on the threads.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sdekit/order.h"
#include "sdekit/spec.h"
#include "spec_internal.h"
#include "xsum.h"

#define Z95 1.959963984540054
#define MAXLEVEL (SDE_ORDER_MAXH + 2)
#define MAXPROC (SDE_ORDER_MAXSCHEMES * SDE_ORDER_MAXH + 4)
#define MAXFINE (UINT64_C (1) << 26) /* fine steps over [0, T] */
#define MAXBUF 0x1p28                /* bytes of a worker's path buffer */
#define DEFAULT_BOUND 1e30           /* x^4 stays within xsum's range */

enum
{
  R_GRID,
  R_REF_W, /* the weak reference, and at twice its step */
  R_CHK_W,
  R_REF_S, /* the strong reference, and at twice its step */
  R_CHK_S
};

typedef struct
{
  size_t N;      /* steps over [0, T] */
  size_t stride; /* fine steps per step */
  double h;      /* T / N */
} level;

typedef struct
{
  const sde_stepper_type *type;
  size_t level, scheme, k;
  int role;
  int own; /* draws its own variates of its law */
} proc;

typedef struct
{
  int64_t n;
  sde_xsum s[4]; /* power sums 1..4 */
  int lost;      /* a sum beyond the accumulators' range: no value */
} slot;

typedef struct
{
  const sde_order_job *job;
  size_t d, r, nobs, ns, nh;
  level lv[MAXLEVEL];
  size_t nlv;
  size_t nfine, S, nwin, G; /* fine steps; per window; windows; per draw */
  size_t lorder[MAXLEVEL];  /* levels by increasing stride */
  int lsrc[MAXLEVEL];       /* the finer level a level's increments sum
                               (-1: the fine normals) */
  size_t loff[MAXLEVEL];    /* where its increments start in w->inc */
  size_t ninc;              /* steps of all levels in a window */
  double hfine;
  proc pr[MAXPROC];
  size_t npr, ngrid;
  int ref_w, chk_w, ref_s, chk_s; /* process indices, -1: none */
  sde_order_against against[SDE_ORDER_MAXOBS], strong;
  double m[SDE_ORDER_MAXOBS]; /* exact moments at T */
  int has_m[SDE_ORDER_MAXOBS];
  double shift[SDE_ORDER_MAXOBS]; /* phi(x0): values are summed shifted */
  double bound;
  size_t chunk;
  size_t nslot;
  slot *sl;
  int64_t div[MAXPROC + 1]; /* diverged paths; the last: exact solution */
  double sec[MAXPROC];
  uint64_t paths;
} plan;

/* ---- Slots: where each sum lives ---- */

/* Weak difference and marginal of grid process i, observable o.  */
static size_t
s_weak (const plan *pl, size_t i, size_t o)
{
  return i * pl->nobs + o;
}

static size_t
s_marg (const plan *pl, size_t i, size_t o)
{
  return (pl->ngrid + i) * pl->nobs + o;
}

/* |X_h - X| of grid process i.  */
static size_t
s_strong (const plan *pl, size_t i)
{
  return 2 * pl->ngrid * pl->nobs + i;
}

/* The weak comparator's marginal, the references' own differences, and
   the exact solution against the moments.  */
static size_t
s_cmp (const plan *pl, size_t o)
{
  return pl->ngrid * (2 * pl->nobs + 1) + o;
}

static size_t
s_refw (const plan *pl, size_t o)
{
  return pl->ngrid * (2 * pl->nobs + 1) + pl->nobs + o;
}

static size_t
s_refs (const plan *pl)
{
  return pl->ngrid * (2 * pl->nobs + 1) + 2 * pl->nobs;
}

static size_t
s_check (const plan *pl, size_t o)
{
  return pl->ngrid * (2 * pl->nobs + 1) + 2 * pl->nobs + 1 + o;
}

/* ---- The plan ---- */

static int
check_job (const sde_order_job *job)
{
  if (job->sys == NULL || job->x0 == NULL || job->rng == NULL
      || job->schemes == NULL || job->nschemes == 0 || job->h == NULL
      || job->nh == 0 || !(job->T > 0) || !isfinite (job->T) || job->paths == 0
      || (job->nobs && job->obs == NULL))
    return sde_error (GSL_EINVAL,
                      "order: needs a system, x0, a generator, schemes, step "
                      "sizes, T > 0 and paths > 0");
  if (job->nschemes > SDE_ORDER_MAXSCHEMES || job->nh > SDE_ORDER_MAXH
      || job->nobs > SDE_ORDER_MAXOBS)
    return sde_error (GSL_EINVAL,
                      "order: at most %d schemes, %d step sizes and %d "
                      "observables (got %zu, %zu, %zu)",
                      SDE_ORDER_MAXSCHEMES, SDE_ORDER_MAXH, SDE_ORDER_MAXOBS,
                      job->nschemes, job->nh, job->nobs);
  for (size_t o = 0; o < job->nobs; o++)
    if (job->obs[o].dim > job->sys->dim)
      return sde_error (GSL_EINVAL,
                        "order: observable %s reads %zu coordinates, the "
                        "system has %zu",
                        job->obs[o].name, job->obs[o].dim, job->sys->dim);
  if (job->ref_refine == 1 || job->ref_refine % 2)
    return sde_error (GSL_EINVAL, "order: ref_refine must be even (got %zu)",
                      job->ref_refine);
  return GSL_SUCCESS;
}

/* Steps over [0, T] for step size H.  */
static int
steps_of (double T, double h, size_t *N)
{
  const double q = T / h;
  if (!(h > 0) || !(q >= 0.5) || q > (double)MAXFINE
      || fabs (q - nearbyint (q)) > 1e-9 * q)
    return sde_error (GSL_EINVAL,
                      "order: T / h = %.17g is not a whole number of steps "
                      "(h = %g, T = %g; at most 2^26 steps)",
                      q, h, T);
  *N = (size_t)nearbyint (q);
  return GSL_SUCCESS;
}

static uint64_t
gcd64 (uint64_t a, uint64_t b)
{
  while (b)
    {
      uint64_t t = a % b;
      a = b;
      b = t;
    }
  return a;
}

/* The level of N steps (added when new).  */
static size_t
level_of (plan *pl, size_t N)
{
  for (size_t l = 0; l < pl->nlv; l++)
    if (pl->lv[l].N == N)
      return l;
  pl->lv[pl->nlv].N = N;
  pl->lv[pl->nlv].h = pl->job->T / (double)N;
  return pl->nlv++;
}

static int
add_proc (plan *pl, const sde_stepper_type *T, size_t N, int role, size_t s,
          size_t k)
{
  /* A scheme that refuses the system says why here.  */
  sde_stepper *t = sde_stepper_alloc (T, pl->job->sys, 1);
  if (t == NULL) /* reported */
    return sde__last_code () == GSL_ENOMEM ? GSL_ENOMEM : GSL_EINVAL;
  sde_stepper_free (t);
  proc *p = &pl->pr[pl->npr++];
  p->type = T;
  p->level = level_of (pl, N);
  p->role = role;
  p->scheme = s;
  p->k = k;
  p->own = role == R_GRID && pl->job->native_law && T->law != SDE_RNG_NORMAL;
  return GSL_SUCCESS;
}

/* The default strong reference: the highest strong order the noise
   allows.  */
static const sde_stepper_type *
strong_default (const sde_system *sys)
{
  const unsigned comm = SDE_NOISE_SCALAR | SDE_NOISE_DIAGONAL
                        | SDE_NOISE_COMMUTATIVE | SDE_NOISE_ADDITIVE;
  if (sys->noise_dim > 1 && !(sys->noise & comm))
    return sde_stepper_em;
  return sys->jacobian ? sde_stepper_milstein : sde_stepper_milstein_df;
}

/* What each weak error is measured against, and the moments at T.  */
static int
setup_against (plan *pl)
{
  const sde_order_job *job = pl->job;
  pl->strong = job->exact ? SDE_ORDER_EXACT : SDE_ORDER_REFERENCE;
  for (size_t o = 0; o < pl->nobs; o++)
    {
      const char *name = job->obs[o].name;
      if (job->moment)
        {
          int st = job->moment (o, job->T, &pl->m[o], job->moment_params);
          if (st && st != GSL_EUNSUP)
            return st;
          pl->has_m[o] = st == GSL_SUCCESS;
        }
      sde_order_against a = job->against;
      if (a == SDE_ORDER_AUTO)
        a = job->exact     ? SDE_ORDER_EXACT
            : pl->has_m[o] ? SDE_ORDER_MOMENT
                           : SDE_ORDER_REFERENCE;
      if (a == SDE_ORDER_EXACT && job->exact == NULL)
        return sde_error (GSL_EINVAL, "order: weak errors against the exact "
                                      "solution need one");
      if (a == SDE_ORDER_MOMENT && !pl->has_m[o])
        return sde_error (GSL_EINVAL,
                          "order: observable %s has no exact moment", name);
      if (a < SDE_ORDER_AUTO || a > SDE_ORDER_REFERENCE)
        return sde_error (GSL_EINVAL, "order: unknown comparison %d", (int)a);
      pl->against[o] = a;
      double v = 0,
             *w = malloc (sizeof (double)
                          * (sde_observable_work (&job->obs[o], pl->d) + 1));
      if (w == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for an observable");
      if (sde_observable_apply (&job->obs[o], 1, job->x0, &v, w) == 0
          && isfinite (v))
        pl->shift[o] = v;
      free (w);
    }
  return GSL_SUCCESS;
}

/* The grid's and the references' processes and levels.  */
static int
setup_procs (plan *pl)
{
  const sde_order_job *job = pl->job;
  size_t N[SDE_ORDER_MAXH];
  for (size_t k = 0; k < pl->nh; k++)
    {
      int st = steps_of (job->T, job->h[k], &N[k]);
      if (st)
        return st;
      if (k && !(job->h[k] < job->h[k - 1]))
        return sde_error (GSL_EINVAL,
                          "order: step sizes must decrease strictly (h = %g "
                          "after %g)",
                          job->h[k], job->h[k - 1]);
    }
  for (size_t s = 0; s < pl->ns; s++)
    for (size_t k = 0; k < pl->nh; k++)
      {
        int st = add_proc (pl, job->schemes[s], N[k], R_GRID, s, k);
        if (st)
          return st;
      }
  pl->ngrid = pl->npr;
  const size_t refine = job->ref_refine ? job->ref_refine : 8;
  const size_t Nref = N[pl->nh - 1] * refine;
  int st = GSL_SUCCESS, need_w = 0;
  for (size_t o = 0; o < pl->nobs; o++)
    need_w |= pl->against[o] == SDE_ORDER_REFERENCE;
  pl->ref_w = pl->chk_w = pl->ref_s = pl->chk_s = -1;
  if (need_w)
    {
      const sde_stepper_type *T
          = job->ref_weak ? job->ref_weak : sde_stepper_weak2;
      pl->ref_w = (int)pl->npr;
      pl->chk_w = (int)pl->npr + 1;
      st = add_proc (pl, T, Nref, R_REF_W, 0, 0);
      if (st == 0)
        st = add_proc (pl, T, Nref / 2, R_CHK_W, 0, 0);
    }
  if (st == 0 && pl->strong == SDE_ORDER_REFERENCE)
    {
      const sde_stepper_type *T
          = job->ref_strong ? job->ref_strong : strong_default (job->sys);
      pl->ref_s = (int)pl->npr;
      pl->chk_s = (int)pl->npr + 1;
      st = add_proc (pl, T, Nref, R_REF_S, 0, 0);
      if (st == 0)
        st = add_proc (pl, T, Nref / 2, R_CHK_S, 0, 0);
    }
  return st;
}

/* The order in which a window's increments are summed: each level from
   the finest level whose steps tile its own, so the coarse levels cost
   little more than the finest.  */
static void
increment_sources (plan *pl)
{
  for (size_t l = 0; l < pl->nlv; l++)
    pl->lorder[l] = l;
  for (size_t a = 1; a < pl->nlv; a++)
    for (size_t b = a;
         b > 0
         && pl->lv[pl->lorder[b]].stride < pl->lv[pl->lorder[b - 1]].stride;
         b--)
      {
        const size_t t = pl->lorder[b];
        pl->lorder[b] = pl->lorder[b - 1];
        pl->lorder[b - 1] = t;
      }
  pl->ninc = 0;
  for (size_t a = 0; a < pl->nlv; a++)
    {
      const size_t l = pl->lorder[a], s = pl->lv[l].stride;
      pl->lsrc[l] = -1;
      for (size_t b = 0; b < a; b++)
        if (s % pl->lv[pl->lorder[b]].stride == 0)
          pl->lsrc[l] = (int)pl->lorder[b];
      pl->loff[l] = pl->ninc;
      pl->ninc += pl->S / s;
    }
}

/* The fine grid: the least common multiple of the levels' steps; windows
   of the greatest common divisor, which every level's steps tile (one
   coarsest step when the counts are powers of two).  */
static int
setup_grid (plan *pl)
{
  uint64_t F = 1, G = 0;
  for (size_t l = 0; l < pl->nlv; l++)
    {
      const uint64_t n = pl->lv[l].N;
      F = F / gcd64 (F, n);
      if (n > MAXFINE / F)
        return sde_error (GSL_EINVAL,
                          "order: the fine Brownian grid (the least common "
                          "multiple of the step counts) exceeds 2^26 steps; "
                          "use step sizes T / 2^k");
      F *= n;
      G = gcd64 (G, n);
    }
  pl->nfine = (size_t)F;
  pl->hfine = pl->job->T / (double)F;
  for (size_t l = 0; l < pl->nlv; l++)
    pl->lv[l].stride = pl->nfine / pl->lv[l].N;
  pl->nwin = (size_t)G;
  pl->S = pl->nfine / pl->nwin;
  increment_sources (pl);
  pl->G = (8 + pl->r - 1) / pl->r;
  if (pl->G * pl->r % 2)
    pl->G++;
  const double bytes = 16.0 * (double)pl->S * (double)pl->r * (double)pl->chunk;
  if (bytes > MAXBUF)
    return sde_error (GSL_EINVAL,
                      "order: %zu fine steps per largest step need %.0f MiB "
                      "of Brownian buffers per thread; lower the chunk or "
                      "the ratio of the largest step to the finest",
                      pl->S, bytes / 0x1p20);
  if (pl->job->stream0 + 2 + 2 * (uint64_t)pl->npr > SDE_RNG_MAX_STREAM)
    return sde_error (GSL_EINVAL, "order: stream %u out of range",
                      pl->job->stream0);
  return GSL_SUCCESS;
}

static int
plan_setup (plan *pl, const sde_order_job *job)
{
  int st = check_job (job);
  if (st)
    return st;
  pl->job = job;
  pl->d = job->sys->dim;
  pl->r = job->sys->noise_dim;
  pl->nobs = job->nobs;
  pl->ns = job->nschemes;
  pl->nh = job->nh;
  pl->bound = job->bound > 0 ? job->bound : DEFAULT_BOUND;
  pl->chunk = job->chunk ? job->chunk : 64;
  if (pl->d == 0 || pl->r == 0)
    return sde_error (GSL_EINVAL, "order: the system has no dimension");
  if ((st = setup_against (pl)) || (st = setup_procs (pl))
      || (st = setup_grid (pl)))
    return st;
  pl->nslot = pl->ngrid * (2 * pl->nobs + 1) + 3 * pl->nobs + 1;
  pl->sl = calloc (pl->nslot, sizeof *pl->sl);
  if (pl->sl == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for the order sums");
  return GSL_SUCCESS;
}

/* ---- Workers ---- */

typedef struct
{
  double *x[MAXPROC], *phi[MAXPROC]; /* views into mem */
  unsigned char *alive[MAXPROC];     /* views into bytes */
  sde_stepper *st[MAXPROC];
  double *xe, *phie, *we; /* the exact solution, its phi and W_T */
  unsigned char *alivee;
  double *fine, *tmp, *inc; /* the window's fine normals; a draw; steps */
  double *wsum;             /* sum of the fine normals so far */
  double *dw, *aux, *owork, *ework;
  double *part; /* 5 per slot: count and power sums of this chunk */
  double *mem;  /* every array of doubles above, in one block */
  unsigned char *bytes;
  int64_t div[MAXPROC + 1];
  double sec[MAXPROC];
} worker;

static void
worker_free (const plan *pl, worker *w)
{
  if (w == NULL)
    return;
  for (size_t i = 0; i < pl->npr; i++)
    sde_stepper_free (w->st[i]);
  free (w->mem);
  free (w->bytes);
  free (w);
}

/* Carves N doubles from *AT.  */
static double *
carve (double **at, size_t n)
{
  double *p = *at;
  *at += n;
  return p;
}

/* The arrays of doubles, carved from one zeroed block.  */
static int
worker_arrays (const plan *pl, worker *w, size_t naux, size_t ow)
{
  const size_t P = pl->chunk, d = pl->d, r = pl->r, no = pl->nobs + 1;
  const size_t n[] = { pl->npr * d * P,
                       pl->npr * no * P,
                       d * P,
                       no * P,
                       r * P,
                       pl->S * r * P,
                       pl->G * r * P,
                       pl->ninc * r * P,
                       r * P,
                       r * P,
                       naux * P,
                       ow * P,
                       (pl->job->exact_work + 1) * P,
                       5 * pl->nslot };
  size_t total = 0;
  for (size_t k = 0; k < sizeof n / sizeof n[0]; k++)
    total += n[k];
  double *at = w->mem = calloc (total, sizeof (double));
  w->bytes = calloc ((pl->npr + 1) * P, 1);
  if (at == NULL || w->bytes == NULL)
    return GSL_ENOMEM;
  double *xs = carve (&at, n[0]), *ps = carve (&at, n[1]);
  for (size_t i = 0; i < pl->npr; i++)
    {
      w->x[i] = xs + i * d * P;
      w->phi[i] = ps + i * no * P;
      w->alive[i] = w->bytes + i * P;
    }
  w->alivee = w->bytes + pl->npr * P;
  w->xe = carve (&at, n[2]), w->phie = carve (&at, n[3]);
  w->we = carve (&at, n[4]), w->fine = carve (&at, n[5]);
  w->tmp = carve (&at, n[6]), w->inc = carve (&at, n[7]);
  w->wsum = carve (&at, n[8]), w->dw = carve (&at, n[9]);
  w->aux = carve (&at, n[10]), w->owork = carve (&at, n[11]);
  w->ework = carve (&at, n[12]), w->part = carve (&at, n[13]);
  return GSL_SUCCESS;
}

static worker *
worker_alloc (const plan *pl)
{
  worker *w = calloc (1, sizeof *w);
  if (w == NULL)
    return NULL;
  size_t naux = 1, ow = 1;
  int ok = 1;
  for (size_t i = 0; ok && i < pl->npr; i++)
    {
      ok = (w->st[i]
            = sde_stepper_alloc (pl->pr[i].type, pl->job->sys, pl->chunk))
           != NULL;
      if (ok && sde_stepper_aux (w->st[i]) > naux)
        naux = sde_stepper_aux (w->st[i]);
    }
  for (size_t o = 0; o < pl->nobs; o++)
    {
      size_t k = sde_observable_work (&pl->job->obs[o], pl->d);
      ow = k > ow ? k : ow;
    }
  if (!ok || worker_arrays (pl, w, naux, ow))
    {
      worker_free (pl, w);
      return NULL;
    }
  return w;
}

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The fine normals of window WIN into w->fine (S rows of r x P), added to
   w->wsum.  Fine step f, row j, is draw (f mod G) r + j of rng step f / G,
   so the path does not depend on the windows.  */
static int
fine_normals (const plan *pl, worker *w, size_t win, uint64_t path0, size_t P)
{
  const size_t rP = pl->r * P, G = pl->G;
  const size_t f0 = win * pl->S, f1 = f0 + pl->S;
  for (size_t g = f0 / G; g * G < f1; g++)
    {
      int st
          = sde_rng_sample (pl->job->rng, SDE_RNG_NORMAL, 0, pl->job->stream0,
                            g, path0, P, G * pl->r, w->tmp, P);
      if (st)
        return st;
      const size_t lo = g * G > f0 ? g * G : f0;
      const size_t hi = (g + 1) * G < f1 ? (g + 1) * G : f1;
      memcpy (w->fine + (lo - f0) * rP, w->tmp + (lo - g * G) * rP,
              sizeof (double) * (hi - lo) * rP);
    }
  for (size_t f = 0; f < pl->S; f++)
    for (size_t k = 0; k < rP; k++)
      w->wsum[k] += w->fine[f * rP + k];
  return GSL_SUCCESS;
}

/* The increments of every level's steps in the window, sqrt(hfine) times
   sums of fine normals, each level summing the finer level it was given
   (increment_sources).  */
static void
window_increments (const plan *pl, worker *w, size_t P)
{
  const size_t rP = pl->r * P;
  const double scale = sqrt (pl->hfine);
  for (size_t a = 0; a < pl->nlv; a++)
    {
      const size_t l = pl->lorder[a], nst = pl->S / pl->lv[l].stride;
      const int src = pl->lsrc[l];
      const double *from = src < 0 ? w->fine : w->inc + pl->loff[src] * rP;
      const size_t m
          = src < 0 ? pl->lv[l].stride : pl->lv[l].stride / pl->lv[src].stride;
      double *out = w->inc + pl->loff[l] * rP;
      for (size_t q = 0; q < nst; q++)
        {
          const double *b = from + q * m * rP;
          double *o = out + q * rP;
          memcpy (o, b, sizeof (double) * rP);
          for (size_t f = 1; f < m; f++)
            for (size_t k = 0; k < rP; k++)
              o[k] += b[f * rP + k];
          if (src < 0)
            for (size_t k = 0; k < rP; k++)
              o[k] *= scale;
        }
    }
}

/* Process I's steps in window WIN.  Its own variates come from stream
   stream0 + 2 + 2i, its auxiliary ones from stream0 + 1 + 2i, at the
   step's index.  */
static int
run_proc (const plan *pl, worker *w, size_t i, size_t win, uint64_t path0,
          size_t P)
{
  const proc *p = &pl->pr[i];
  const level *lv = &pl->lv[p->level];
  const size_t rP = pl->r * P, nst = pl->S / lv->stride;
  const size_t naux = sde_stepper_aux (w->st[i]);
  const uint32_t stream = pl->job->stream0 + 1 + 2 * (uint32_t)i;
  for (size_t m = 0; m < nst; m++)
    {
      const uint64_t n = (uint64_t)win * nst + m;
      const double *dw = w->inc + (pl->loff[p->level] + m) * rP;
      int st = GSL_SUCCESS;
      if (p->own)
        {
          st = sde_rng_sample (pl->job->rng, p->type->law, 0, stream + 1, n,
                               path0, P, pl->r, w->dw, P);
          for (size_t k = 0; k < rP; k++)
            w->dw[k] *= sqrt (lv->h);
          dw = w->dw;
        }
      if (st == 0 && naux)
        {
          st = sde_rng_sample (pl->job->rng, SDE_RNG_TWOPOINT, 0, stream, n,
                               path0, P, naux, w->aux, P);
          for (size_t k = 0; k < naux * P; k++)
            w->aux[k] *= lv->h;
        }
      if (st)
        return st;
      const double t0 = now ();
      st = sde_stepper_apply (w->st[i], (double)n * lv->h, lv->h, P, w->x[i],
                              dw, w->aux);
      w->sec[i] += now () - t0;
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

/* Alive paths (finite, within the bound) and the observables at T.  */
static int
observe (const plan *pl, worker *w, const double *x, unsigned char *alive,
         double *phi, size_t P, int64_t *div)
{
  for (size_t p = 0; p < P; p++)
    {
      alive[p] = 1;
      for (size_t i = 0; i < pl->d; i++)
        if (!(fabs (x[i * P + p]) <= pl->bound))
          alive[p] = 0;
      *div += !alive[p];
    }
  for (size_t o = 0; o < pl->nobs; o++)
    {
      int st = sde_observable_apply (&pl->job->obs[o], P, x, phi + o * P,
                                     w->owork);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

/* The exact solution at T from W_T = sqrt(hfine) times the sum of the
   fine normals.  */
static int
exact_at_T (const plan *pl, worker *w, size_t P)
{
  const double scale = sqrt (pl->hfine);
  for (size_t k = 0; k < pl->r * P; k++)
    w->we[k] = scale * w->wsum[k];
  int st = pl->job->exact (pl->job->T, P, w->we, w->xe, w->ework,
                           pl->job->exact_params);
  if (st == 0)
    st = observe (pl, w, w->xe, w->alivee, w->phie, P, &w->div[pl->npr]);
  return st;
}

/* ---- Sums ---- */

static inline void
acc (double *pt, double v)
{
  const double v2 = v * v;
  pt[0] += 1;
  pt[1] += v;
  pt[2] += v2;
  pt[3] += v2 * v;
  pt[4] += v2 * v2;
}

/* |a - b| at path p, Euclidean.  */
static double
dist (const plan *pl, const double *a, const double *b, size_t p, size_t P)
{
  double s = 0;
  for (size_t i = 0; i < pl->d; i++)
    {
      const double e = a[i * P + p] - b[i * P + p];
      s += e * e;
    }
  return sqrt (s);
}

/* The grid's weak differences, marginals and strong errors.  */
static void
accumulate_grid (const plan *pl, worker *w, size_t P)
{
  const int rw = pl->ref_w, rs = pl->ref_s;
  for (size_t i = 0; i < pl->ngrid; i++)
    {
      const unsigned char *al = w->alive[i];
      for (size_t o = 0; o < pl->nobs; o++)
        {
          const sde_order_against a = pl->against[o];
          const double *phi = w->phi[i] + o * P, *ph2 = NULL;
          const unsigned char *al2 = NULL;
          if (a == SDE_ORDER_EXACT)
            ph2 = w->phie + o * P, al2 = w->alivee;
          else if (a == SDE_ORDER_REFERENCE)
            ph2 = w->phi[rw] + o * P, al2 = w->alive[rw];
          double *pw = w->part + 5 * s_weak (pl, i, o);
          double *pm = w->part + 5 * s_marg (pl, i, o);
          for (size_t p = 0; p < P; p++)
            {
              if (!al[p])
                continue;
              acc (pm, phi[p] - pl->shift[o]);
              if (ph2 == NULL)
                acc (pw, phi[p] - pl->m[o]);
              else if (al2[p])
                acc (pw, phi[p] - ph2[p]);
            }
        }
      if (pl->pr[i].own)
        continue;
      const int ex = pl->strong == SDE_ORDER_EXACT;
      const double *xs = ex ? w->xe : w->x[rs];
      const unsigned char *as = ex ? w->alivee : w->alive[rs];
      double *ps = w->part + 5 * s_strong (pl, i);
      for (size_t p = 0; p < P; p++)
        if (al[p] && as[p])
          acc (ps, dist (pl, w->x[i], xs, p, P));
    }
}

/* The comparators' marginals, the references' own differences and the
   exact solution against the moments.  */
static void
accumulate_rest (const plan *pl, worker *w, size_t P)
{
  const int rw = pl->ref_w, cw = pl->chk_w, rs = pl->ref_s, cs = pl->chk_s;
  for (size_t o = 0; o < pl->nobs; o++)
    {
      const sde_order_against a = pl->against[o];
      const double *phi = a == SDE_ORDER_EXACT       ? w->phie + o * P
                          : a == SDE_ORDER_REFERENCE ? w->phi[rw] + o * P
                                                     : NULL;
      const unsigned char *al = a == SDE_ORDER_EXACT ? w->alivee
                                : phi                ? w->alive[rw]
                                                     : NULL;
      for (size_t p = 0; phi && p < P; p++)
        if (al[p])
          acc (w->part + 5 * s_cmp (pl, o), phi[p] - pl->shift[o]);
      for (size_t p = 0; rw >= 0 && p < P; p++)
        if (w->alive[rw][p] && w->alive[cw][p])
          acc (w->part + 5 * s_refw (pl, o),
               w->phi[cw][o * P + p] - w->phi[rw][o * P + p]);
      for (size_t p = 0; pl->job->exact && pl->has_m[o] && p < P; p++)
        if (w->alivee[p])
          acc (w->part + 5 * s_check (pl, o), w->phie[o * P + p] - pl->m[o]);
    }
  for (size_t p = 0; rs >= 0 && p < P; p++)
    if (w->alive[rs][p] && w->alive[cs][p])
      acc (w->part + 5 * s_refs (pl), dist (pl, w->x[cs], w->x[rs], p, P));
}

/* Adds the chunk's sums to the plan's exactly; the caller holds the
   lock.  The same doubles go into the same exact accumulators whichever
   thread ran the chunk.  */
static void
commit (plan *pl, const worker *w)
{
  for (size_t k = 0; k < pl->nslot; k++)
    {
      const double *pt = w->part + 5 * k;
      if (pt[0] == 0)
        continue;
      pl->sl[k].n += (int64_t)pt[0];
      for (int j = 0; j < 4; j++)
        pl->sl[k].lost |= sde__xsum_add (&pl->sl[k].s[j], pt[1 + j]);
    }
}

static int
run_chunk (plan *pl, worker *w, uint64_t path0, size_t P)
{
  for (size_t i = 0; i < pl->npr; i++)
    for (size_t c = 0; c < pl->d; c++)
      for (size_t p = 0; p < P; p++)
        w->x[i][c * P + p] = pl->job->x0[c];
  memset (w->wsum, 0, sizeof (double) * pl->r * P);
  int st = GSL_SUCCESS;
  for (size_t win = 0; st == 0 && win < pl->nwin; win++)
    {
      st = fine_normals (pl, w, win, path0, P);
      if (st == 0)
        window_increments (pl, w, P);
      for (size_t i = 0; st == 0 && i < pl->npr; i++)
        st = run_proc (pl, w, i, win, path0, P);
    }
  for (size_t i = 0; st == 0 && i < pl->npr; i++)
    st = observe (pl, w, w->x[i], w->alive[i], w->phi[i], P, &w->div[i]);
  if (st == 0 && pl->job->exact)
    st = exact_at_T (pl, w, P);
  if (st)
    return st;
  memset (w->part, 0, sizeof (double) * 5 * pl->nslot);
  accumulate_grid (pl, w, P);
  accumulate_rest (pl, w, P);
#pragma omp critical(sde_order_commit)
  {
    commit (pl, w);
    pl->paths += P;
  }
  return GSL_SUCCESS;
}

/* Chunks of paths over the threads.  */
static int
run_paths (plan *pl)
{
  const sde_order_job *job = pl->job;
  const uint64_t nchunks = (job->paths + pl->chunk - 1) / pl->chunk;
  int threads = job->threads, status = GSL_SUCCESS;
#ifdef _OPENMP
  if (threads <= 0)
    threads = omp_get_max_threads ();
#else
  threads = 1;
#endif
  /* A GSL generator has one state: it cannot be shared by threads.  */
  if (!sde_rng_is_counter (job->rng))
    threads = 1;
  if ((uint64_t)threads > nchunks)
    threads = (int)nchunks;
#pragma omp parallel num_threads(threads)
  {
    worker *w = worker_alloc (pl);
    if (w == NULL)
      {
        sde_error (GSL_ENOMEM,
                   "order: out of memory for a worker's buffers (%zu paths "
                   "per chunk)",
                   pl->chunk);
#pragma omp atomic write
        status = GSL_ENOMEM;
      }
#pragma omp for schedule(dynamic, 1)
    for (uint64_t c = 0; c < nchunks; c++)
      {
        int bad;
#pragma omp atomic read
        bad = status;
        if (bad || w == NULL)
          continue;
        const size_t P = (size_t)(c + 1 == nchunks ? job->paths - c * pl->chunk
                                                   : pl->chunk);
        int st = run_chunk (pl, w, c * pl->chunk, P);
        if (st)
          {
#pragma omp atomic write
            status = st;
          }
      }
#pragma omp critical(sde_order_commit)
    for (size_t i = 0; w && i < pl->npr; i++)
      {
        pl->div[i] += w->div[i];
        pl->sec[i] += w->sec[i];
      }
#pragma omp critical(sde_order_commit)
    if (w)
      pl->div[pl->npr] += w->div[pl->npr];
    worker_free (pl, w);
  }
  return status;
}

/* ---- Results ---- */

typedef struct
{
  double n, mean, var, se, kurt;
} mstat;

/* Mean (plus SHIFT), variance, SE and kurtosis of a slot.  */
static mstat
slot_stat (const slot *s, double shift)
{
  mstat st = { (double)s->n, NAN, NAN, NAN, NAN };
  if (s->n < 1 || s->lost)
    return st;
  const double n = (double)s->n;
  const double m1 = sde__xsum_value (&s->s[0]) / n;
  const double m2 = sde__xsum_value (&s->s[1]) / n;
  const double m3 = sde__xsum_value (&s->s[2]) / n;
  const double m4 = sde__xsum_value (&s->s[3]) / n;
  const double c2 = fmax (m2 - m1 * m1, 0);
  st.mean = m1 + shift;
  if (n >= 2)
    {
      st.var = c2 * n / (n - 1);
      st.se = sqrt (st.var / n);
    }
  const double c4 = m4 - 4 * m3 * m1 + 6 * m2 * m1 * m1 - 3 * m1 * m1 * m1 * m1;
  if (c2 > 0)
    st.kurt = c4 / (c2 * c2);
  return st;
}

/* The fields every row shares.  */
static void
row_common (const plan *pl, size_t i, const mstat *D, sde_weak_point *p)
{
  const proc *pp = &pl->pr[i];
  memset (p, 0, sizeof *p);
  p->eta = pl->job->h[pp->k];
  p->method = pp->scheme;
  p->e = D->mean;
  p->se = D->se;
  p->crit = Z95;
  p->lo = p->e - Z95 * p->se;
  p->hi = p->e + Z95 * p->se;
  p->t_star = pl->job->T;
  p->e_final = p->e;
  p->se_final = p->se;
  p->floor = fabs (p->e) < 2 * p->se;
  p->n = (uint64_t)D->n;
  p->diverged = (uint64_t)pl->div[i];
  p->kurtosis = D->kurt;
  p->ref_err = p->ref_err_se = NAN;
  p->grid_err = NAN;
  p->vrf = NAN;
  p->stop = D->n > 0 ? "fixed" : "none";
  p->seconds = pl->sec[i];
}

/* The reference's error from its run at twice its step: for weak order
   p, e(2h) - e(h) = (2^p - 1) e(h); for strong order p, with errors of
   orthogonal increments, E|X_2h - X_h|^2 = (2^2p - 1) E|X_h - X|^2.  */
static void
row_ref (const plan *pl, size_t i, int ref, int strong, const slot *s,
         sde_weak_point *p)
{
  const proc *rp = &pl->pr[ref];
  const mstat R = slot_stat (s, 0);
  double q;
  if (strong)
    {
      const double o = rp->type->strong_order > 0 ? rp->type->strong_order : .5;
      q = sqrt (pow (2, 2 * o) - 1);
    }
  else
    q = pow (2, rp->type->weak_order) - 1;
  p->ref_err = R.mean / q;
  p->ref_err_se = R.se / q;
  p->substeps = pl->lv[rp->level].N / pl->lv[pl->pr[i].level].N;
}

static void
weak_row (const plan *pl, size_t i, size_t o, sde_weak_point *p)
{
  const sde_order_against a = pl->against[o];
  const mstat D = slot_stat (&pl->sl[s_weak (pl, i, o)], 0);
  const mstat E = slot_stat (&pl->sl[s_marg (pl, i, o)], pl->shift[o]);
  const mstat C = slot_stat (&pl->sl[s_cmp (pl, o)], pl->shift[o]);
  row_common (pl, i, &D, p);
  p->obs = o;
  p->est = E.mean;
  p->se_est = E.se;
  if (a == SDE_ORDER_MOMENT)
    {
      p->est_ref = pl->m[o];
      p->se_ref = 0;
      return;
    }
  p->est_ref = C.mean;
  p->se_ref = C.se;
  p->vrf = (E.var + C.var) / D.var;
  p->diverged_ref
      = (uint64_t)pl->div[a == SDE_ORDER_EXACT ? pl->npr : (size_t)pl->ref_w];
  if (a == SDE_ORDER_REFERENCE)
    row_ref (pl, i, pl->ref_w, 0, &pl->sl[s_refw (pl, o)], p);
}

static void
strong_row (const plan *pl, size_t i, sde_weak_point *p)
{
  const mstat S = slot_stat (&pl->sl[s_strong (pl, i)], 0);
  row_common (pl, i, &S, p);
  p->obs = pl->nobs;
  p->est = p->est_ref = p->se_est = p->se_ref = NAN;
  if (pl->pr[i].own)
    return;
  const int ex = pl->strong == SDE_ORDER_EXACT;
  p->diverged_ref = (uint64_t)pl->div[ex ? pl->npr : (size_t)pl->ref_s];
  if (!ex)
    row_ref (pl, i, pl->ref_s, 1, &pl->sl[s_refs (pl)], p);
}

void
sde_order_result_free (sde_order_result *res)
{
  if (res == NULL)
    return;
  free (res->weak);
  free (res->strong);
  free (res->weak_fit);
  free (res->strong_fit);
  free (res);
}

/* Rows, fits and checks from the plan's sums.  */
static int
build_result (const plan *pl, sde_order_result **out)
{
  const size_t ns = pl->ns, nh = pl->nh, no = pl->nobs;
  sde_order_result *r = calloc (1, sizeof *r);
  if (r == NULL
      || (r->weak = calloc (ns * no * nh + 1, sizeof *r->weak)) == NULL
      || (r->strong = calloc (ns * nh, sizeof *r->strong)) == NULL
      || (r->weak_fit = calloc (ns * no + 1, sizeof *r->weak_fit)) == NULL
      || (r->strong_fit = calloc (ns, sizeof *r->strong_fit)) == NULL)
    {
      sde_order_result_free (r);
      return sde_error (GSL_ENOMEM, "out of memory for the order results");
    }
  r->nschemes = ns, r->nh = nh, r->nobs = no;
  r->T = pl->job->T;
  for (size_t s = 0; s < ns; s++)
    {
      for (size_t k = 0; k < nh; k++)
        {
          for (size_t o = 0; o < no; o++)
            weak_row (pl, s * nh + k, o, &r->weak[(s * no + o) * nh + k]);
          strong_row (pl, s * nh + k, &r->strong[s * nh + k]);
        }
      for (size_t o = 0; o < no; o++)
        sde_weak_fit_points (&r->weak[(s * no + o) * nh], nh,
                             &r->weak_fit[s * no + o]);
      sde_weak_fit_points (&r->strong[s * nh], nh, &r->strong_fit[s]);
    }
  r->strong_against = pl->strong;
  for (size_t o = 0; o < no; o++)
    {
      r->against[o] = pl->against[o];
      sde_order_check *c = &r->check[o];
      c->est = c->se = c->exact = c->z = NAN;
      if (pl->job->exact == NULL || !pl->has_m[o])
        continue;
      const mstat K = slot_stat (&pl->sl[s_check (pl, o)], 0);
      r->has_check = 1;
      c->est = K.mean + pl->m[o];
      c->se = K.se;
      c->exact = pl->m[o];
      c->z = K.mean / K.se;
    }
  r->ref_weak = pl->ref_w >= 0 ? pl->pr[pl->ref_w].type : NULL;
  r->ref_strong = pl->ref_s >= 0 ? pl->pr[pl->ref_s].type : NULL;
  r->ref_h = NAN;
  if (pl->ref_w >= 0 || pl->ref_s >= 0)
    r->ref_h = pl->lv[pl->pr[pl->ref_w >= 0 ? pl->ref_w : pl->ref_s].level].h;
  r->paths = pl->paths;
  r->diverged_exact = (uint64_t)pl->div[pl->npr];
  *out = r;
  return GSL_SUCCESS;
}

int
sde_order_run (const sde_order_job *job, sde_order_result **res)
{
  if (res == NULL)
    GSL_ERROR ("order: no place for the results", GSL_EINVAL);
  *res = NULL;
  if (job == NULL)
    GSL_ERROR ("order: no job", GSL_EINVAL);
  plan *pl = calloc (1, sizeof *pl);
  if (pl == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for the order plan");
  const double t0 = now ();
  int st = plan_setup (pl, job);
  if (st == 0)
    st = run_paths (pl);
  if (st == 0)
    st = build_result (pl, res);
  if (st == 0)
    (*res)->seconds = now () - t0;
  free (pl->sl);
  free (pl);
  return st;
}

int
sde_order_validate (const sde_order_job *job)
{
  if (job == NULL)
    GSL_ERROR ("order: no job", GSL_EINVAL);
  plan *pl = calloc (1, sizeof *pl);
  if (pl == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for the order plan");
  const int st = plan_setup (pl, job);
  free (pl->sl);
  free (pl);
  return st;
}

const sde_weak_point *
sde_order_rows (const sde_order_result *res, sde_order_kind kind, size_t s,
                size_t obs)
{
  if (res == NULL || s >= res->nschemes)
    return NULL;
  if (kind == SDE_ORDER_STRONG)
    return &res->strong[s * res->nh];
  if (kind != SDE_ORDER_WEAK || obs >= res->nobs)
    return NULL;
  return &res->weak[(s * res->nobs + obs) * res->nh];
}

const char *
sde_order_against_name (sde_order_against a)
{
  switch (a)
    {
    case SDE_ORDER_AUTO:
      return "auto";
    case SDE_ORDER_EXACT:
      return "exact";
    case SDE_ORDER_MOMENT:
      return "moment";
    case SDE_ORDER_REFERENCE:
      return "reference";
    default:
      return "?";
    }
}

size_t
sde_order_job_expr (sde_order_job *job, const sde_system_expr *s,
                    sde_observable *obs, size_t max)
{
  job->sys = &s->sys;
  job->x0 = s->x0;
  job->exact = s->has_exact ? sde_system_expr_exact : NULL;
  job->exact_params = (void *)s;
  job->exact_work = s->has_exact ? sde_system_expr_exact_work (s) : 0;
  job->moment = s->nmoments ? sde_system_expr_moment : NULL;
  job->moment_params = (void *)s;
  const size_t n = s->nmoments < max ? s->nmoments : max;
  for (size_t k = 0; k < n; k++)
    {
      sde_observable_set_fn (
          &obs[k], sde_system_expr_phi_text (s, k), sde_system_expr_phi,
          sde_system_expr_phi_params (s, k), sde_system_expr_phi_work (s));
      obs[k].dim = s->sys.dim;
    }
  job->obs = obs;
  job->nobs = n;
  return n;
}
