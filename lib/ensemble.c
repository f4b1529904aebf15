/* ensemble.c: coupled Monte Carlo over canonical chunks of paths (MATH.md
   section 8.3).  With coupling, the SDE's fine Brownian increments over
   each eta-interval give the optimizers' Gaussian noise,
   xi_k = -dW_k / sqrt(eta), so paired differences have variance O(eta)
   instead of O(1).  Sums go into exact accumulators (xsum.h).  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gsl/gsl_errno.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fused.h"
#include "sdekit/ensemble.h"
#include "sdekit/spec.h"
#include "simd.h"
#include "spec_internal.h"
#include "xsum.h"

/* ---- Sums: one int64 array, so MPI can reduce it exactly. ---- */

struct sde_ensemble_sums
{
  const sde_ensemble *e;
  size_t nval; /* nproc * nobs * ncheck */
  size_t len;
  int64_t *data;
  /* views into data */
  int64_t *paths, *diverged, *phicalls, *phisteps, *nv, *nd;
  sde_xsum *sv, *sd; /* 4 power sums per value and per difference slot */
  double *shift;     /* phi(x0) per (proc, obs): values are summed shifted */
};

static size_t
slot (const sde_ensemble *e, size_t proc, size_t obs, size_t c)
{
  return (proc * e->nobs + obs) * e->ncheck + c;
}

/* The sums' integers, zeroed.  Every chunk's commit touches all of them,
   and the first touch of each 4 KB page is a fault (several microseconds
   in a VM, and under the commit's lock): from 256 KB up they go on pages
   of 2 MB where the kernel offers them, a fault per 2 MB.  */
static int64_t *
sums_data_alloc (size_t len)
{
  const size_t bytes = len * sizeof (int64_t), huge = (size_t)2 << 20;
#ifdef MADV_HUGEPAGE
  if (bytes >= ((size_t)1 << 18) && len <= (SIZE_MAX - huge) / sizeof (int64_t))
    {
      const size_t whole = (bytes + huge - 1) / huge * huge;
      void *p;
      if (posix_memalign (&p, huge, whole))
        return NULL;
      (void)madvise (p, whole, MADV_HUGEPAGE); /* a hint: may be refused */
      memset (p, 0, bytes);
      return p;
    }
#endif
  (void)huge;
  return calloc (len, sizeof (int64_t));
}

sde_ensemble_sums *
sde_ensemble_sums_alloc (const sde_ensemble *e)
{
  sde_ensemble_sums *s = calloc (1, sizeof *s);
  if (s == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for ensemble sums"), NULL;
  s->e = e;
  s->nval = e->nproc * e->nobs * e->ncheck;
  const size_t xw = sizeof (sde_xsum) / sizeof (int64_t);
  s->len = 1 + 3 * e->nproc + 2 * s->nval + 8 * xw * s->nval;
  s->data = sums_data_alloc (s->len);
  s->shift = calloc (e->nproc * e->nobs + 1, sizeof (double));
  if (s->data == NULL || s->shift == NULL)
    {
      sde_ensemble_sums_free (s);
      return sde_error (GSL_ENOMEM, "out of memory for ensemble sums"), NULL;
    }
  s->paths = s->data;
  s->diverged = s->paths + 1;
  s->phicalls = s->diverged + e->nproc;
  s->phisteps = s->phicalls + e->nproc;
  s->nv = s->phisteps + e->nproc;
  s->nd = s->nv + s->nval;
  s->sv = (sde_xsum *)(s->nd + s->nval);
  s->sd = s->sv + 4 * s->nval;
  /* The shift is phi at the (deterministic) start, so it is the same in
     every thread, rank and batch.  */
  for (size_t i = 0; i < e->nproc; i++)
    for (size_t o = 0; o < e->nobs; o++)
      {
        const sde_observable *ob = &e->obs[o];
        size_t nw = sde_observable_work (ob, ob->dim) + 1;
        double *w = malloc (sizeof (double) * nw), v = 0;
        if (w == NULL)
          {
            sde_ensemble_sums_free (s);
            return sde_error (GSL_ENOMEM, "out of memory for ensemble sums"),
                   NULL;
          }
        if (sde_observable_apply (ob, 1, e->proc[i].x0, &v, w) == 0
            && isfinite (v))
          s->shift[i * e->nobs + o] = v;
        free (w);
      }
  return s;
}

void
sde_ensemble_sums_free (sde_ensemble_sums *s)
{
  if (s == NULL)
    return;
  free (s->data);
  free (s->shift);
  free (s);
}

void
sde_ensemble_sums_merge (sde_ensemble_sums *s, const sde_ensemble_sums *t)
{
  for (size_t k = 0; k < s->len; k++)
    s->data[k] += t->data[k];
}

void
sde_ensemble_sums_clear (sde_ensemble_sums *s)
{
  memset (s->data, 0, sizeof (int64_t) * s->len);
}

int64_t *
sde_ensemble_sums_data (sde_ensemble_sums *s, size_t *n)
{
  *n = s->len;
  return s->data;
}

uint64_t
sde_ensemble_diverged (const sde_ensemble_sums *s, size_t proc)
{
  return (uint64_t)s->diverged[proc];
}

uint64_t
sde_ensemble_paths (const sde_ensemble_sums *s)
{
  return (uint64_t)s->paths[0];
}

uint64_t
sde_ensemble_phi_calls (const sde_ensemble_sums *s, size_t proc,
                        uint64_t *ode_steps)
{
  if (ode_steps)
    *ode_steps = (uint64_t)s->phisteps[proc];
  return (uint64_t)s->phicalls[proc];
}

static sde_stat
stat_from (double n, const sde_xsum *x, double shift)
{
  sde_stat st = { n, NAN, NAN, NAN, NAN, NAN };
  if (n < 1)
    return st;
  double m1 = sde__xsum_value (&x[0]) / n, m2 = sde__xsum_value (&x[1]) / n;
  double c2 = fmax (m2 - m1 * m1, 0);
  st.mean = m1 + shift;
  if (n >= 2)
    {
      st.var = c2 * n / (n - 1);
      st.se = sqrt (st.var / n);
    }
  double m3 = sde__xsum_value (&x[2]) / n, m4 = sde__xsum_value (&x[3]) / n;
  double c4 = m4 - 4 * m3 * m1 + 6 * m2 * m1 * m1 - 3 * m1 * m1 * m1 * m1;
  if (c2 > 0)
    st.kurtosis = c4 / (c2 * c2);
  st.se_var = sqrt (fmax (c4 - c2 * c2, 0) / n);
  return st;
}

sde_stat
sde_ensemble_value (const sde_ensemble_sums *s, size_t proc, size_t obs,
                    size_t c)
{
  size_t k = slot (s->e, proc, obs, c);
  return stat_from ((double)s->nv[k], &s->sv[4 * k],
                    s->shift[proc * s->e->nobs + obs]);
}

sde_stat
sde_ensemble_diff (const sde_ensemble_sums *s, size_t proc, size_t obs,
                   size_t c)
{
  size_t k = slot (s->e, proc, obs, c);
  return stat_from ((double)s->nd[k], &s->sd[4 * k], 0.0);
}

/* Lanes of the partial power sums: path q of a chunk goes to lane
   q mod 8.  GCC's generic vectors are computed lane by lane with IEEE
   semantics whatever the instruction set the clone targets (one AVX-512
   register, two AVX2 ones or four SSE2 ones).  */
typedef double lanes_d __attribute__ ((vector_size (64)));
typedef long long lanes_i __attribute__ ((vector_size (64)));
typedef unsigned char lanes_c __attribute__ ((vector_size (8)));

/* The power sums 1..4 and the count of one slot, lane by lane.  */
typedef struct
{
  lanes_d s1, s2, s3, s4;
  lanes_i n;
} lanes_sums;

static inline __attribute__ ((always_inline)) void
lanes_add (lanes_sums *t, lanes_d va, lanes_d vb, lanes_c alive)
{
  const lanes_i ok = __builtin_convertvector(alive, lanes_i);
  const lanes_d v = (lanes_d)((lanes_i)(va - vb) & -ok), v2 = v * v;
  t->n += ok;
  t->s1 += v;
  t->s2 += v2;
  t->s3 += v2 * v;
  t->s4 += v2 * v2;
}

/* Adds v_q = a_q - (b ? b_q : sh) of the paths alive in m1 (and m2, if
   given) to the power sums T, P paths that start at a multiple of 8 in
   the chunk.  Each lane sums its paths in order, so a chunk run in
   sub-blocks gives the bits of the whole chunk at once, and the loop runs
   in vectors (a serial sum waits on the adder's latency at every path).
   A masked term is +0, which leaves a sum (never -0) as it is.  */
SDE_CLONES static void
lanes_accumulate (lanes_sums *t, size_t P, const double *restrict a,
                  const double *restrict b, double sh,
                  const unsigned char *restrict m1,
                  const unsigned char *restrict m2)
{
  const lanes_d vs = { sh, sh, sh, sh, sh, sh, sh, sh };
  const lanes_c one = { 1, 1, 1, 1, 1, 1, 1, 1 };
  size_t q0 = 0;
  for (; q0 + 8 <= P; q0 += 8)
    {
      lanes_d va, vb = vs;
      lanes_c c1, c2 = one;
      memcpy (&va, a + q0, sizeof va);
      memcpy (&c1, m1 + q0, sizeof c1);
      if (m2)
        memcpy (&c2, m2 + q0, sizeof c2);
      if (b)
        memcpy (&vb, b + q0, sizeof vb);
      lanes_add (t, va, vb, c1 & c2);
    }
  if (q0 < P)
    {
      lanes_d va = { 0 }, vb = vs;
      lanes_c c = { 0 };
      for (size_t l = 0; q0 + l < P; l++)
        {
          va[l] = a[q0 + l];
          if (b)
            vb[l] = b[q0 + l];
          c[l] = m1[q0 + l] & (m2 ? m2[q0 + l] : 1);
        }
      lanes_add (t, va, vb, c);
    }
}

/* The lanes of T added in a fixed tree, the same on every instruction
   set: the 4 sums into OUT; returns the count.  */
static int64_t
lanes_reduce (const lanes_sums *t, double out[4])
{
  const lanes_d *s[4] = { &t->s1, &t->s2, &t->s3, &t->s4 };
  for (int j = 0; j < 4; j++)
    {
      const lanes_d u = *s[j];
      out[j]
          = ((u[0] + u[1]) + (u[2] + u[3])) + ((u[4] + u[5]) + (u[6] + u[7]));
    }
  const lanes_i n = t->n;
  return n[0] + n[1] + n[2] + n[3] + n[4] + n[5] + n[6] + n[7];
}

/* ---- Workers ---- */

typedef struct
{
  double *x, *m, *g, *z, *dw, *aux, *zeta;
  uint32_t *idx;
  unsigned char *alive;
  double *owork;
  sde_stepper *stepper;
  size_t nvar, naux, sub; /* oracle variates; SDE aux rows; steps per eta */
  int fused;              /* SDE by sde__limit_weak2_step */
  double *phi;            /* nobs rows of P */
} pstate;

typedef struct
{
  pstate ps[SDE_ENSEMBLE_MAXPROC];
  double *base; /* G F r P fine normals of the current group of eta-steps */
  double *obswork;
  double *mapped; /* Phi(x) of a method observed on a manifold */
  /* This chunk's contribution, added to the shared sums under a lock when
     the chunk ends: O(checkpoints) doubles per thread, not exact
     accumulators (2 KB per slot) per thread.  */
  double *part;   /* 8 power sums per slot */
  int64_t *npart; /* 2 counts per slot */
  int64_t div[SDE_ENSEMBLE_MAXPROC], calls[SDE_ENSEMBLE_MAXPROC],
      steps[SDE_ENSEMBLE_MAXPROC];
  size_t F, r;
  size_t G; /* eta-steps per draw: G F r >= 8 and even, so no normal of
               a Box-Muller pair is wasted */
  /* Paths run at a time: the chunk, or sub-blocks of it whose buffers
     stay in cache when d is large; then LANES holds the running power
     sums of every slot, 2 per slot.  */
  size_t Q;
  lanes_sums *lanes;
} worker;

/* Fine Brownian steps per eta at most.  */
#define SDE_ENSEMBLE_MAXFINE 65536

static size_t
gcd (size_t a, size_t b)
{
  while (b)
    {
      size_t t = a % b;
      a = b;
      b = t;
    }
  return a;
}

static int
uses_brownian (const sde_ensemble *e, const sde_process *p)
{
  if (!e->coupled)
    return 0;
  if (p->kind == SDE_PROCESS_SDE)
    return 1;
  return p->oracle.law == SDE_ORACLE_GAUSSIAN;
}

/* The fine grid per eta-step: a multiple of every coupled process's
   steps per eta, so each one's increments are sums of whole fine steps. */
static size_t
fine_steps (const sde_ensemble *e)
{
  size_t F = 1;
  for (size_t i = 0; i < e->nproc; i++)
    {
      const sde_process *p = &e->proc[i];
      if (!uses_brownian (e, p))
        continue;
      size_t s = p->kind == SDE_PROCESS_SDE ? p->substeps : p->method->svag;
      F = F / gcd (F, s) * s;
    }
  return F;
}

static void
worker_free (worker *w, size_t nproc)
{
  if (w == NULL)
    return;
  for (size_t i = 0; i < nproc; i++)
    {
      pstate *s = &w->ps[i];
      free (s->x), free (s->m), free (s->g), free (s->z), free (s->dw);
      free (s->aux), free (s->zeta), free (s->idx), free (s->alive);
      free (s->owork), free (s->phi);
      sde_stepper_free (s->stepper);
    }
  free (w->base);
  free (w->obswork);
  free (w->mapped);
  free (w->part);
  free (w->npart);
  free (w->lanes);
  free (w);
}

/* The noise dimension of the coupled processes (0 without coupling).  */
static size_t
brownian_dim (const sde_ensemble *e)
{
  size_t r = 0;
  for (size_t i = 0; i < e->nproc; i++)
    {
      const sde_process *p = &e->proc[i];
      if (uses_brownian (e, p))
        r = p->kind == SDE_PROCESS_SDE ? p->sys->noise_dim
                                       : p->oracle.prob->noise_dim;
    }
  return r;
}

/* Doubles of buffers a sub-block of paths may keep: the L2 cache of one
   core (1 MiB) is where the passes over a block stay fast.  */
#define SDE_ENSEMBLE_SUBDOUBLES (1u << 17)

/* The paths a worker runs at a time: the whole chunk, or for large
   states the largest multiple of 16 paths (whole lanes and dgemm panels)
   whose buffers fit SDE_ENSEMBLE_SUBDOUBLES, estimated as the Brownian
   draws and 8 d + 2 r doubles per process.  Every path's arithmetic and
   every lane's sum are those of the whole chunk at once, so sub-blocks
   change no bit, but a GSL generator draws a block from one seed: with
   one, the chunk is run whole.  */
static size_t
sub_block (const sde_ensemble *e, const worker *w)
{
  if (!sde_rng_is_counter (e->rng))
    return e->chunk;
  size_t ws = w->G * w->F * w->r + 16;
  for (size_t i = 0; i < e->nproc; i++)
    {
      const sde_process *p = &e->proc[i];
      size_t r = p->kind == SDE_PROCESS_SDE ? p->sys->noise_dim
                                            : p->oracle.prob->noise_dim;
      ws += 8 * p->dim + 2 * r;
    }
  size_t Q = SDE_ENSEMBLE_SUBDOUBLES / ws / 16 * 16;
  if (Q < 16)
    Q = 16;
  return Q < e->chunk ? Q : e->chunk;
}

/* NULL when memory runs out; *stepper_failed says the stepper's own
   allocation did, whose reason is already reported (validate has caught
   schemes that refuse the system).  */
static worker *
worker_alloc (const sde_ensemble *e, size_t Q, int *stepper_failed)
{
  *stepper_failed = 0;
  worker *w = calloc (1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->F = fine_steps (e);
  w->r = brownian_dim (e);
  /* At least 8 normals per path and draw, an even count: small draws
     spend more on the call than on the numbers.  */
  const size_t fr = w->F * w->r > 0 ? w->F * w->r : 1;
  w->G = (8 + fr - 1) / fr;
  if (w->G * fr % 2)
    w->G++;
  w->Q = Q ? (Q < e->chunk ? Q : e->chunk) : sub_block (e, w);
  const size_t P = w->Q;
  size_t obsw = 1;
  for (size_t o = 0; o < e->nobs; o++)
    {
      size_t k = sde_observable_work (&e->obs[o], e->obs[o].dim);
      obsw = k > obsw ? k : obsw;
    }
  const size_t nval = e->nproc * e->nobs * e->ncheck;
  size_t maxdim = 1;
  for (size_t i = 0; i < e->nproc; i++)
    maxdim = e->proc[i].dim > maxdim ? e->proc[i].dim : maxdim;
  int ok = (w->obswork = malloc (sizeof (double) * obsw * P)) != NULL;
  ok &= (w->mapped = malloc (sizeof (double) * maxdim * P)) != NULL;
  ok &= (w->part = malloc (sizeof (double) * 8 * nval)) != NULL;
  ok &= (w->npart = malloc (sizeof (int64_t) * 2 * nval)) != NULL;
  if (P < e->chunk)
    {
      /* aligned_alloc wants a multiple of the alignment: 320 bytes a
         lanes_sums, two per slot, are a multiple of 64.  */
      w->lanes = aligned_alloc (64, sizeof (lanes_sums) * 2 * nval);
      ok &= w->lanes != NULL;
    }
  for (size_t i = 0; ok && i < e->nproc; i++)
    {
      const sde_process *p = &e->proc[i];
      pstate *s = &w->ps[i];
      size_t dim = p->dim, r;
      ok &= (s->x = malloc (sizeof (double) * dim * P)) != NULL;
      ok &= (s->alive = malloc (P)) != NULL;
      ok &= (s->phi = malloc (sizeof (double) * e->nobs * P)) != NULL;
      if (p->kind == SDE_PROCESS_METHOD)
        {
          const sde_oracle *o = &p->oracle;
          r = o->prob->noise_dim;
          s->nvar = sde_oracle_nvar (o);
          s->sub = p->method->svag;
          /* The buffer's rows, none for a method without one.  */
          const size_t mrows = p->method->type->state - 1;
          if (mrows)
            ok &= (s->m = malloc (sizeof (double) * mrows * dim * P)) != NULL;
          ok &= (s->g = malloc (sizeof (double) * dim * P)) != NULL;
          ok &= (s->z = malloc (sizeof (double) * (s->nvar + 1) * P)) != NULL;
          ok &= (s->idx = malloc (sizeof (uint32_t) * (s->nvar + 1) * P))
                != NULL;
          ok &= (s->zeta = malloc (sizeof (double) * (r + 1) * P)) != NULL;
          ok &= (s->owork = malloc (sizeof (double) * sde_oracle_work (o, P)))
                != NULL;
        }
      else
        {
          r = p->sys->noise_dim;
          s->stepper = sde_stepper_alloc (p->scheme, p->sys, P);
          ok &= s->stepper != NULL;
          if (s->stepper == NULL)
            {
              *stepper_failed = 1;
              break;
            }
          s->naux = sde_stepper_aux (s->stepper);
          s->sub = p->substeps;
          s->fused = sde__limit_fusable (p->sys, p->scheme);
          ok &= (s->dw = malloc (sizeof (double) * r * P)) != NULL;
          ok &= (s->aux = malloc (sizeof (double) * (s->naux + 1) * P)) != NULL;
        }
      (void)r;
    }
  if (ok && w->r)
    ok = (w->base = malloc (sizeof (double) * w->G * w->F * w->r * P)) != NULL;
  if (!ok)
    {
      worker_free (w, e->nproc);
      return NULL;
    }
  return w;
}

/* Sum of fine normals f0 .. f0 + cnt - 1 (counted within the current
   group of eta-steps), times scale, into out (r rows of P; the fine
   normals are stored r x P per fine step): ((b0 + b1) + ...) scale, the
   first two terms and the scale fused into the passes that add them.  */
SDE_CLONES static void
fine_sum (const worker *w, size_t f0, size_t cnt, double scale, size_t P,
          double *restrict out)
{
  const size_t n = w->r * P;
  const double *restrict b0 = w->base + f0 * n;
  if (cnt == 1)
    {
      for (size_t k = 0; k < n; k++)
        out[k] = scale * b0[k];
      return;
    }
  const double *restrict b1 = b0 + n;
  if (cnt == 2)
    {
      for (size_t k = 0; k < n; k++)
        out[k] = (b0[k] + b1[k]) * scale;
      return;
    }
  for (size_t k = 0; k < n; k++)
    out[k] = b0[k] + b1[k];
  for (size_t f = 2; f + 1 < cnt; f++)
    {
      const double *restrict b = w->base + (f0 + f) * n;
      for (size_t k = 0; k < n; k++)
        out[k] += b[k];
    }
  const double *restrict bl = w->base + (f0 + cnt - 1) * n;
  for (size_t k = 0; k < n; k++)
    out[k] = (out[k] + bl[k]) * scale;
}

/* One base step k (time k eta -> (k+1) eta) of process i.  */
static int
advance (const sde_ensemble *e, worker *w, size_t i, uint64_t k, uint64_t path0,
         size_t P)
{
  const sde_process *p = &e->proc[i];
  pstate *s = &w->ps[i];
  const uint32_t own = e->stream0 + 2 + (uint32_t)i;
  const int coupled = uses_brownian (e, p);
  const size_t g0 = (size_t)(k % w->G) * w->F; /* first fine step of k */
  int st = GSL_SUCCESS;
  if (p->kind == SDE_PROCESS_METHOD)
    {
      const sde_oracle *o = &p->oracle;
      const size_t l = s->sub, d = o->prob->dim, r = o->prob->noise_dim;
      const size_t nf = w->F / l;
      if (coupled && l == 1 && nf == 1)
        {
          /* The common case: xi = -dW is the fine normal itself, so the
             oracle reads the Brownian buffer with sigma negated, which is
             bitwise the copy-and-negate of fine_sum.  */
          sde_oracle neg = *o;
          neg.sigma = -o->sigma;
          const double *z = w->base + g0 * w->r * P;
          /* Plain SGD with a constant noise factor: noise and update in
             one pass (bitwise the same).  */
          if (p->method->type->plain && sde__oracle_sgd_fusable (o))
            return sde__oracle_sgd_step (&neg, sde__optim_lr (p->method, k), P,
                                         s->x, z, s->g, s->owork);
          if ((st
               = sde_oracle_apply (&neg, P, s->x, z, s->idx, s->g, s->owork)))
            return st;
          return sde_optim_apply (p->method, k, P, d, s->x, s->m, s->g);
        }
      for (size_t j = 0; j < l; j++)
        {
          const uint64_t step = k * l + j;
          if (coupled)
            {
              /* xi = -dW / sqrt(dt): the Brownian normal of this step.  */
              fine_sum (w, g0 + j * nf, nf, -1.0 / sqrt ((double)nf), P, s->z);
              if (l > 1)
                {
                  /* SVAG's two samples: rotate (xi, zeta) by the unit
                     vector (r1, r2)/sqrt(l), so r1 z1 + r2 z2 = sqrt(l) xi
                     and the pair stays i.i.d. standard normal.  */
                  st = sde_rng_sample (e->rng, SDE_RNG_NORMAL, 0, own,
                                       2 * step + 1, path0, P, r, s->zeta, P);
                  if (st)
                    return st;
                  double q = sqrt (2.0 * (double)l - 1.0),
                         sl = sqrt ((double)l);
                  double c1 = 0.5 * (1 + q) / sl, c2 = 0.5 * (1 - q) / sl;
                  for (size_t t = 0; t < r * P; t++)
                    {
                      double xi = s->z[t], ze = s->zeta[t];
                      s->z[t] = c1 * xi + c2 * ze;
                      s->z[r * P + t] = c2 * xi - c1 * ze;
                    }
                }
            }
          else if ((st = sde_oracle_sample (o, e->rng, own, 2 * step, path0, P,
                                            s->z, s->idx)))
            return st;
          if ((st
               = sde_oracle_apply (o, P, s->x, s->z, s->idx, s->g, s->owork)))
            return st;
          if ((st = sde_optim_apply (p->method, step, P, d, s->x, s->m, s->g)))
            return st;
        }
      return GSL_SUCCESS;
    }
  /* SDE substeps of h = eta / M.  */
  const size_t M = s->sub, r = p->sys->noise_dim;
  const double h = e->eta / (double)M;
  const size_t nf = w->F / M;
  for (size_t j = 0; j < M; j++)
    {
      const uint64_t step = k * M + j;
      if (coupled)
        fine_sum (w, g0 + j * nf, nf,
                  (p->flip ? -1 : 1) * sqrt (h / (double)nf), P, s->dw);
      else
        {
          if ((st = sde_rng_sample (e->rng, p->scheme->law, 0, own, 2 * step,
                                    path0, P, r, s->dw, P)))
            return st;
          const double sh = sqrt (h);
          for (size_t t = 0; t < r * P; t++)
            s->dw[t] *= sh;
        }
      if (s->naux)
        {
          if ((st
               = sde_rng_sample (e->rng, SDE_RNG_TWOPOINT, 0, own, 2 * step + 1,
                                 path0, P, s->naux, s->aux, P)))
            return st;
          for (size_t t = 0; t < s->naux * P; t++)
            s->aux[t] *= h;
        }
      const double t = (double)k * e->eta + j * h;
      /* The SME-1 reference by weak2: its step fused (bitwise the same).  */
      if (s->fused)
        st = sde__limit_weak2_step (p->sys, t, h, P, s->x, s->dw,
                                    sde__stepper_work (s->stepper));
      else
        st = sde_stepper_apply (s->stepper, t, h, P, s->x, s->dw, s->aux);
      if (st)
        return st;
      if (p->manifold)
        {
          uint64_t n = 0;
          if ((st = sde_manifold_project (p->manifold, P, s->x, 1, &n)))
            return st;
          w->calls[i] += (int64_t)P;
          w->steps[i] += (int64_t)n;
        }
    }
  return GSL_SUCCESS;
}

/* Clears ALIVE[q] when a coordinate of X or of MX (Phi(x), or X itself)
   is not within the bound, and counts the paths it clears: a branch-free
   pass over the coordinates.  */
SDE_CLONES static void
mark_diverged (double bound, size_t dim, size_t P, const double *restrict x,
               const double *restrict mx, unsigned char *restrict alive,
               int64_t *div)
{
  size_t before = 0, after = 0;
  for (size_t q = 0; q < P; q++)
    before += alive[q];
  for (size_t c = 0; c < dim; c++)
    for (size_t q = 0; q < P; q++)
      alive[q]
          &= (fabs (x[c * P + q]) <= bound) & (fabs (mx[c * P + q]) <= bound);
  for (size_t q = 0; q < P; q++)
    after += alive[q];
  *div += (int64_t)(before - after);
}

/* Marks paths that left the bound (or whose Phi failed) and evaluates
   the observables, at Phi(x) for a method on a manifold.  */
static int
observe (const sde_ensemble *e, worker *w, size_t i, size_t P)
{
  pstate *s = &w->ps[i];
  const sde_process *p = &e->proc[i];
  const double *x = s->x;
  if (p->manifold && p->kind == SDE_PROCESS_METHOD)
    {
      uint64_t n = 0;
      memcpy (w->mapped, s->x, sizeof (double) * p->dim * P);
      int st = sde_manifold_project (p->manifold, P, w->mapped, 1, &n);
      if (st)
        return st;
      w->calls[i] += (int64_t)P;
      w->steps[i] += (int64_t)n;
      x = w->mapped;
    }
  mark_diverged (e->bound, p->dim, P, s->x, x, s->alive, &w->div[i]);
  for (size_t o = 0; o < e->nobs; o++)
    {
      int st
          = sde_observable_apply (&e->obs[o], P, x, s->phi + o * P, w->obswork);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

/* Records checkpoint c of P paths of the chunk (a sub-block, FIRST when
   it is the chunk's first) in the worker's partial sums: at once when the
   chunk is run whole, else in the running lanes (lanes_finish).  */
static void
accumulate (const sde_ensemble *e, worker *w, size_t c, size_t P,
            const sde_ensemble_sums *S, int first)
{
  const pstate *rf = e->ref >= 0 ? &w->ps[e->ref] : NULL;
  for (size_t i = 0; i < e->nproc; i++)
    {
      const pstate *s = &w->ps[i];
      for (size_t o = 0; o < e->nobs; o++)
        {
          const double sh = S->shift[i * e->nobs + o];
          const double *phi = s->phi + o * P;
          const size_t k = slot (e, i, o, c);
          const int diff = rf != NULL && (int)i != e->ref;
          lanes_sums t[2], *l = w->lanes ? w->lanes + 2 * k : t;
          if (first || w->lanes == NULL)
            memset (l, 0, sizeof (lanes_sums) * 2);
          lanes_accumulate (&l[0], P, phi, NULL, sh, s->alive, NULL);
          if (diff)
            lanes_accumulate (&l[1], P, phi, rf->phi + o * P, 0.0, s->alive,
                              rf->alive);
          if (w->lanes == NULL)
            {
              w->npart[2 * k] = lanes_reduce (&l[0], w->part + 8 * k);
              w->npart[2 * k + 1] = lanes_reduce (&l[1], w->part + 8 * k + 4);
            }
        }
    }
}

/* The running lanes of every slot into the partial sums.  */
static void
lanes_finish (const sde_ensemble *e, worker *w)
{
  for (size_t k = 0; w->lanes && k < e->nproc * e->nobs * e->ncheck; k++)
    {
      w->npart[2 * k] = lanes_reduce (&w->lanes[2 * k], w->part + 8 * k);
      w->npart[2 * k + 1]
          = lanes_reduce (&w->lanes[2 * k + 1], w->part + 8 * k + 4);
    }
}

/* Adds the chunk's partial sums to S exactly; the caller holds the lock.
   The same doubles go into the same exact accumulators whichever thread
   ran the chunk, so the result does not depend on the schedule.  */
static void
commit (const sde_ensemble *e, worker *w, size_t P, sde_ensemble_sums *S)
{
  for (size_t k = 0; k < S->nval; k++)
    {
      const double *pt = w->part + 8 * k;
      S->nv[k] += w->npart[2 * k];
      S->nd[k] += w->npart[2 * k + 1];
      for (int j = 0; j < 4; j++)
        sde__xsum_add (&S->sv[4 * k + j], pt[j]);
      if (w->npart[2 * k + 1])
        for (int j = 0; j < 4; j++)
          sde__xsum_add (&S->sd[4 * k + j], pt[4 + j]);
    }
  for (size_t i = 0; i < e->nproc; i++)
    {
      S->diverged[i] += w->div[i];
      S->phicalls[i] += w->calls[i];
      S->phisteps[i] += w->steps[i];
    }
  S->paths[0] += (int64_t)P;
}

/* Paths [path0, path0 + P) of the chunk from the start to the last
   checkpoint, FIRST when they are the chunk's first.  */
static int
run_block (const sde_ensemble *e, worker *w, uint64_t path0, size_t P,
           const sde_ensemble_sums *S, int first)
{
  for (size_t i = 0; i < e->nproc; i++)
    {
      pstate *s = &w->ps[i];
      const sde_process *p = &e->proc[i];
      for (size_t c = 0; c < p->dim; c++)
        for (size_t q = 0; q < P; q++)
          s->x[c * P + q] = p->x0[c];
      memset (s->alive, 1, P);
    }
  size_t c = 0;
  for (uint64_t k = 0; k < e->nsteps && c < e->ncheck; k++)
    {
      int st;
      /* The Brownian normals of G eta-steps in one draw: fine step f of
         eta-step k is draw ((k mod G) F + f) r + i at rng step k / G.  */
      if (w->r && k % w->G == 0
          && (st
              = sde_rng_sample (e->rng, SDE_RNG_NORMAL, 0, e->stream0, k / w->G,
                                path0, P, w->G * w->F * w->r, w->base, P)))
        return st;
      for (size_t i = 0; i < e->nproc; i++)
        if ((st = advance (e, w, i, k, path0, P)))
          return st;
      if (k + 1 == e->check[c])
        {
          for (size_t i = 0; i < e->nproc; i++)
            if ((st = observe (e, w, i, P)))
              return st;
          accumulate (e, w, c, P, S, first);
          c++;
        }
    }
  return GSL_SUCCESS;
}

static int
run_chunk (const sde_ensemble *e, worker *w, uint64_t path0, size_t P,
           sde_ensemble_sums *S)
{
  for (size_t i = 0; i < e->nproc; i++)
    w->div[i] = w->calls[i] = w->steps[i] = 0;
  for (size_t b0 = 0; b0 < P; b0 += w->Q)
    {
      const size_t n = P - b0 < w->Q ? P - b0 : w->Q;
      int st = run_block (e, w, path0 + b0, n, S, b0 == 0);
      if (st)
        return st;
    }
  lanes_finish (e, w);
#pragma omp critical(sde_ensemble_commit)
  commit (e, w, P, S);
  return GSL_SUCCESS;
}

static int
validate (const sde_ensemble *e)
{
  if (e->rng == NULL)
    return sde_error (GSL_EINVAL, "the ensemble needs a generator");
  if (!(e->eta > 0) || e->nsteps == 0 || e->ncheck == 0 || e->chunk == 0
      || e->nproc == 0 || e->nproc > SDE_ENSEMBLE_MAXPROC || e->nobs == 0)
    return sde_error (GSL_EINVAL,
                      "ensemble: bad sizes (eta %g, steps %zu, "
                      "checkpoints %zu, processes %zu)",
                      e->eta, e->nsteps, e->ncheck, e->nproc);
  if (e->stream0 + SDE_ENSEMBLE_STREAMS - 1 > SDE_RNG_MAX_STREAM)
    return sde_error (GSL_EINVAL, "ensemble: stream %u out of range",
                      e->stream0);
  for (size_t c = 0; c < e->ncheck; c++)
    if (e->check[c] < 1 || e->check[c] > e->nsteps
        || (c && e->check[c] <= e->check[c - 1]))
      return sde_error (GSL_EINVAL,
                        "ensemble: checkpoints must increase "
                        "within 1..%zu",
                        e->nsteps);
  if (e->ref >= (int)e->nproc)
    return sde_error (GSL_EINVAL, "ensemble: no reference process %d", e->ref);
  size_t r = 0, F = 1;
  for (size_t i = 0; i < e->nproc; i++)
    {
      const sde_process *p = &e->proc[i];
      if (p->manifold && p->dim > 64)
        return sde_error (GSL_EINVAL,
                          "%s: a manifold needs at most 64 "
                          "dimensions",
                          p->label);
      for (size_t o = 0; o < e->nobs; o++)
        if (e->obs[o].dim > p->dim)
          return sde_error (GSL_EINVAL,
                            "observable %s reads %zu coordinates, "
                            "%s has %zu",
                            e->obs[o].name, e->obs[o].dim, p->label, p->dim);
      if (p->kind == SDE_PROCESS_METHOD)
        {
          int st = sde_oracle_check (&p->oracle);
          if (st)
            return st;
          if (p->method == NULL || p->method->dt <= 0)
            return sde_error (GSL_EINVAL, "%s: method not resolved", p->label);
          const sde_optim_type *T = p->method->type;
          if (T == NULL || T->apply == NULL || T->state < 1)
            return sde_error (GSL_EINVAL,
                              "%s: the method's type has no step or no "
                              "state",
                              p->label);
          double eta = p->method->dt * p->method->svag;
          if (fabs (eta - e->eta) > 1e-12 * e->eta)
            return sde_error (GSL_EINVAL,
                              "%s: its effective learning rate %g is not the "
                              "sweep's eta %g",
                              p->label, eta, e->eta);
          if (p->dim != p->oracle.prob->dim)
            return sde_error (GSL_EINVAL,
                              "%s: state dimension %zu is not the "
                              "problem's %zu",
                              p->label, p->dim, p->oracle.prob->dim);
        }
      else if (p->sys == NULL || p->scheme == NULL || p->substeps == 0
               || p->dim != p->sys->dim)
        return sde_error (GSL_EINVAL,
                          "%s: SDE needs a system, a scheme, "
                          "substeps and its dimension",
                          p->label);
      else
        {
          /* A scheme that refuses the system (Milstein on non-commutative
             noise, ...) says why here, before any worker starts.  */
          sde_stepper *t = sde_stepper_alloc (p->scheme, p->sys, 1);
          if (t == NULL) /* reported */
            return sde__last_code () == GSL_ENOMEM ? GSL_ENOMEM : GSL_EINVAL;
          sde_stepper_free (t);
        }
      if (uses_brownian (e, p))
        {
          size_t pr = p->kind == SDE_PROCESS_SDE ? p->sys->noise_dim
                                                 : p->oracle.prob->noise_dim;
          if (r && pr != r)
            return sde_error (GSL_EINVAL,
                              "coupled processes need the same "
                              "noise dimension (%zu and %zu)",
                              r, pr);
          r = pr;
          /* The fine grid is the lcm of every coupled process's steps per
             eta; refuse one whose Brownian buffer would not fit.  */
          size_t sp
              = p->kind == SDE_PROCESS_SDE ? p->substeps : p->method->svag;
          F = F / gcd (F, sp);
          if (sp > SDE_ENSEMBLE_MAXFINE / F)
            return sde_error (GSL_EINVAL,
                              "coupled processes need a fine Brownian grid "
                              "of more than %d steps per eta (the least "
                              "common multiple of substeps and SVAG l); "
                              "choose values with a small common multiple",
                              SDE_ENSEMBLE_MAXFINE);
          F *= sp;
        }
    }
  if ((double)F * (double)r * (double)e->chunk * 16.0 > 0x1p30)
    return sde_error (GSL_EINVAL,
                      "coupled processes need %zu fine steps of %zu "
                      "normals per eta: over 1 GiB of Brownian buffer per "
                      "thread; lower the substeps, SVAG l or the chunk",
                      F, r);
  return GSL_SUCCESS;
}

int
sde_ensemble_run (const sde_ensemble *e, uint64_t path0, uint64_t npaths,
                  sde_ensemble_sums *S)
{
  return sde__ensemble_run_sub (e, path0, npaths, S, 0);
}

int
sde__ensemble_run_sub (const sde_ensemble *e, uint64_t path0, uint64_t npaths,
                       sde_ensemble_sums *S, size_t Q)
{
  int status = validate (e);
  if (status)
    return status;
  if (path0 % e->chunk)
    return sde_error (GSL_EINVAL,
                      "ensemble: path0 %llu is not a multiple of "
                      "the chunk %zu",
                      (unsigned long long)path0, e->chunk);
  const uint64_t nchunks = (npaths + e->chunk - 1) / e->chunk;
  int threads = e->threads;
#ifdef _OPENMP
  if (threads <= 0)
    threads = omp_get_max_threads ();
#else
  threads = 1;
#endif
  /* A GSL generator has one state: it cannot be shared by threads.  */
  if (!sde_rng_is_counter (e->rng))
    threads = 1;
  if ((uint64_t)threads > nchunks)
    threads = nchunks ? (int)nchunks : 1;

#pragma omp parallel num_threads(threads)
  {
    int refused;
    worker *w = worker_alloc (e, Q, &refused);
    int st = GSL_SUCCESS;
    if (w == NULL && refused)
      {
        st = GSL_ENOMEM;
#pragma omp atomic write
        status = st;
      }
    else if (w == NULL)
      {
        st = sde_error (GSL_ENOMEM,
                        "ensemble: out of memory for a worker's buffers "
                        "(%zu paths per chunk, %zu checkpoints)",
                        e->chunk, e->ncheck);
#pragma omp atomic write
        status = st;
      }
#pragma omp for schedule(dynamic, 1)
    for (uint64_t c = 0; c < nchunks; c++)
      {
        int bad;
#pragma omp atomic read
        bad = status;
        if (bad)
          continue;
        uint64_t p0 = path0 + c * e->chunk;
        size_t P
            = (size_t)((c + 1 == nchunks) ? npaths - c * e->chunk : e->chunk);
        st = run_chunk (e, w, p0, P, S);
        if (st)
          {
#pragma omp atomic write
            status = st;
          }
      }
    worker_free (w, e->nproc);
  }
  return status;
}
