/* system_expr.c: SDEs written as text (see <sdekit/system_expr.h>): the
   drift and diffusion compiled to block programs, the Jacobian of b and the
   Stratonovich correction 1/2 sum_jk b_kj d_k b_ij differentiated
   symbolically, the noise structure decided from the expressions (the
   commutativity condition L^j b_k = L^k b_j of Kloeden & Platen 1992, eq.
   (10.3.13)), and exact solutions and moments checked by Ito's formula and
   the backward Kolmogorov equation (Kloeden & Platen 1992, chapters 3 and
   4; Oksendal, "Stochastic differential equations", 6th ed., theorems
   4.1.2 and 8.1.1).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/expr.h"
#include "sdekit/rng.h"
#include "sdekit/spec.h"
#include "sdekit/system_expr.h"

#define MAXD SDE_SYSTEM_EXPR_MAXD
#define MAXR SDE_SYSTEM_EXPR_MAXR
#define MAXMOM SDE_SYSTEM_EXPR_MAXMOM
#define WHYLEN 512
#define NPOINTS 48    /* points of the numerical checks, besides x0 */
#define COMM_TOL 1e-9 /* a commutator below this times its terms is 0 */
#define ITO_TOL 1e-7  /* Ito's formula and the Kolmogorov equation */

typedef struct
{
  const sde_system_expr_data *d;
  size_t k;
} phiarg;

struct sde_system_expr_data
{
  size_t d, r;
  sde_expr_ctx *ctx;              /* x0 .. x<d-1>; t */
  const sde_expr **a, **b, **jac; /* d, d r and d r d nodes of ctx */
  sde_expr_prog *drift, *diff, *jacp;
  size_t nmom;
  const sde_expr *phi[MAXMOM], *u[MAXMOM];
  char *phitext[MAXMOM];
  sde_expr_prog *phip[MAXMOM], *mom;
  phiarg arg[MAXMOM];
  size_t phi_work;
  sde_expr_ctx *ectx; /* W0 .. W<r-1> [, W]; t, x0 .. x<d-1> */
  const sde_expr **F;
  sde_expr_prog *exact;
  int walias; /* r = 1: W is W0 */
  size_t exact_work;
  const double *x0;
};

/* What an allocation builds on the way; freed whatever happens.  */
typedef struct
{
  sde_system_expr *s;
  sde_system_expr_data *D;
  const sde_system_expr_spec *spec;
  const sde_expr **G; /* the diffusion text's entries */
  size_t rows, cols;
  int shape; /* 0 scalar, 1 diag, 2 matrix */
} build;

static int
blank (int c)
{
  return c == ' ' || c == '\t';
}

static int
word (int c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
         || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
nomem (void)
{
  return sde_error (GSL_ENOMEM, "out of memory for an expression SDE");
}

/* ---- Callbacks ---- */

static int
x_drift (double t, size_t P, const double *x, double *out, double *work,
         void *params)
{
  const sde_system_expr_data *D = params;
  return sde_expr_prog_eval (D->drift, P, x, P, &t, out, P, work);
}

static int
x_diffusion (double t, size_t P, const double *x, double *out, double *work,
             void *params)
{
  const sde_system_expr_data *D = params;
  return sde_expr_prog_eval (D->diff, P, x, P, &t, out, P, work);
}

static int
x_jacobian (double t, size_t P, const double *x, double *out, double *work,
            void *params)
{
  const sde_system_expr_data *D = params;
  return sde_expr_prog_eval (D->jacp, P, x, P, &t, out, P, work);
}

/* Scratch per path that sde_expr_prog_work (pg, P) fits in for every P:
   its rows are padded to at most twice P.  */
static size_t
prog_need (const sde_expr_prog *pg)
{
  if (pg == NULL)
    return 0;
  sde_expr_stats st;
  sde_expr_prog_stats (pg, &st);
  return 2 * st.nreg + (sde_expr_prog_work (pg, 1) - st.nreg);
}

int
sde_system_expr_exact (double t, size_t P, const double *w, double *x,
                       double *work, void *params)
{
  const sde_system_expr *s = params;
  const sde_system_expr_data *D = s->data;
  if (D->exact == NULL)
    return GSL_EUNSUP;
  double sc[1 + MAXD];
  sc[0] = t;
  memcpy (sc + 1, D->x0, sizeof (double) * D->d);
  const double *blk = w;
  if (D->walias)
    {
      /* W0 and W are one variable: two rows with the same values.  */
      memcpy (work, w, sizeof (double) * P);
      memcpy (work + P, w, sizeof (double) * P);
      blk = work;
      work += 2 * P;
    }
  return sde_expr_prog_eval (D->exact, P, blk, P, sc, x, P, work);
}

size_t
sde_system_expr_exact_work (const sde_system_expr *s)
{
  return s->data->exact_work;
}

int
sde_system_expr_moment (size_t k, double t, double *value, void *params)
{
  const sde_system_expr *s = params;
  const sde_system_expr_data *D = s->data;
  if (k >= D->nmom)
    return GSL_EUNSUP;
  double out[MAXMOM];
  int st = sde_expr_prog_eval1 (D->mom, D->x0, &t, out, NULL);
  if (st == GSL_SUCCESS)
    *value = out[k];
  return st;
}

int
sde_system_expr_phi (size_t P, const double *x, double *out, double *work,
                     void *params)
{
  const phiarg *pa = params;
  return sde_expr_prog_eval (pa->d->phip[pa->k], P, x, P, NULL, out, P, work);
}

void *
sde_system_expr_phi_params (const sde_system_expr *s, size_t k)
{
  return k < s->data->nmom ? (void *)&s->data->arg[k] : NULL;
}

size_t
sde_system_expr_phi_work (const sde_system_expr *s)
{
  return s->data->phi_work;
}

const char *
sde_system_expr_phi_text (const sde_system_expr *s, size_t k)
{
  return k < s->data->nmom ? s->data->phitext[k] : NULL;
}

size_t
sde_system_expr_drift_text (const sde_system_expr *s, size_t i, char *buf,
                            size_t len)
{
  const sde_system_expr_data *D = s->data;
  if (i >= D->d)
    {
      if (len)
        buf[0] = '\0';
      return 0;
    }
  return sde_expr_print (D->ctx, D->a[i], buf, len);
}

/* ---- Parsing ---- */

/* Parses TEXT[a, e) of FIELD in CTX with the positions of the whole text
   (the rest is blanked out).  WHAT names the part ("" for all of it).  */
static const sde_expr *
parse_part (sde_expr_ctx *ctx, const char *field, const char *what,
            const char *text, size_t a, size_t e)
{
  size_t k = a;
  while (k < e && blank (text[k]))
    k++;
  if (k == e)
    {
      if (*what)
        sde_error (GSL_EINVAL, "%s: %s at position %zu is empty", field, what,
                   a + 1);
      else
        sde_error (GSL_EINVAL, "%s: empty expression", field);
      return NULL;
    }
  char *buf = malloc (e + 1), why[WHYLEN];
  if (buf == NULL)
    {
      nomem ();
      return NULL;
    }
  memset (buf, ' ', a);
  memcpy (buf + a, text + a, e - a);
  buf[e] = '\0';
  const sde_expr *x = sde_expr_parse_why (ctx, buf, why, sizeof why);
  free (buf);
  if (x == NULL && why[0])
    sde_error (GSL_EINVAL, "%s: %s%s%s", field, what, *what ? ": " : "", why);
  return x;
}

/* The pieces of S[a, e) between the SEPs outside parentheses and
   brackets: piece i is [cut[i], cut[i + 1] - 1).  Returns the count, or
   MAX + 1 when there are more than MAX.  */
static size_t
split (const char *s, size_t a, size_t e, char sep, size_t *cut, size_t max)
{
  size_t n = 0;
  int depth = 0;
  cut[0] = a;
  for (size_t k = a; k <= e; k++)
    {
      const char c = k < e ? s[k] : sep;
      if (c == '(' || c == '[')
        depth++;
      else if ((c == ')' || c == ']') && depth > 0)
        depth--;
      if (c != sep || (depth > 0 && k < e))
        continue;
      if (n == max)
        return max + 1;
      cut[++n] = k + 1;
    }
  return n;
}

/* Blanks trimmed: [*a, *e) of S.  */
static void
trim (const char *s, size_t *a, size_t *e)
{
  while (*a < *e && blank (s[*a]))
    (*a)++;
  while (*e > *a && blank (s[*e - 1]))
    (*e)--;
}

/* The drift: its length is d.  */
static int
parse_drift (build *b)
{
  const char *s = b->spec->drift;
  size_t cut[MAXD + 2];
  if (s == NULL)
    return sde_error (GSL_EINVAL, "drift: empty expression");
  const size_t d = split (s, 0, strlen (s), ',', cut, MAXD);
  if (d > MAXD)
    return sde_error (GSL_EINVAL, "drift: more than %d entries", MAXD);
  sde_system_expr_data *D = b->D;
  D->d = d;
  if ((D->ctx = sde_expr_ctx_alloc (d, 1, NULL)) == NULL)
    return GSL_ENOMEM;
  if ((D->a = calloc (d, sizeof *D->a)) == NULL)
    return nomem ();
  for (size_t i = 0; i < d; i++)
    {
      char what[32];
      snprintf (what, sizeof what, "entry %zu", i);
      D->a[i] = parse_part (D->ctx, "drift", d > 1 ? what : "", s, cut[i],
                            cut[i + 1] - 1);
      if (D->a[i] == NULL)
        return GSL_EINVAL;
    }
  return GSL_SUCCESS;
}

/* Row I of a matrix diffusion, S[a, e), into G.  */
static int
parse_row (build *b, size_t i, size_t a, size_t e)
{
  const char *s = b->spec->diffusion;
  size_t cut[MAXR + 2];
  const size_t n = split (s, a, e, ',', cut, MAXR);
  if (n > MAXR)
    return sde_error (GSL_EINVAL,
                      "diffusion: row %zu has more than %d "
                      "columns",
                      i, MAXR);
  if (i == 0)
    {
      b->cols = n;
      if ((b->G = calloc (b->rows * n, sizeof *b->G)) == NULL)
        return nomem ();
    }
  else if (n != b->cols)
    return sde_error (GSL_EINVAL,
                      "diffusion: row %zu (at position %zu) has %zu entries, "
                      "row 0 has %zu",
                      i, a + 1, n, b->cols);
  for (size_t j = 0; j < n; j++)
    {
      char what[48];
      snprintf (what, sizeof what, "entry (%zu,%zu)", i, j);
      b->G[i * n + j] = parse_part (b->D->ctx, "diffusion", what, s, cut[j],
                                    cut[j + 1] - 1);
      if (b->G[i * n + j] == NULL)
        return GSL_EINVAL;
    }
  return GSL_SUCCESS;
}

/* "[B00, ...; ...]" between A and E (inside the brackets).  */
static int
parse_matrix (build *b, size_t a, size_t e)
{
  const char *s = b->spec->diffusion;
  const size_t d = b->D->d;
  size_t cut[MAXD + 2];
  const size_t rows = split (s, a, e, ';', cut, MAXD);
  if (rows != d)
    return sde_error (GSL_EINVAL,
                      "diffusion: %s%zu rows, but the drift has d = %zu "
                      "entries: a diffusion is d x r, rows separated by ';'",
                      rows > MAXD ? "more than " : "",
                      rows > MAXD ? (size_t)MAXD : rows, d);
  b->rows = rows;
  b->shape = 2;
  for (size_t i = 0; i < rows; i++)
    {
      int st = parse_row (b, i, cut[i], cut[i + 1] - 1);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

/* "diag(B0, ..., B<d-1>)" between A and E (inside the parentheses).  */
static int
parse_diag (build *b, size_t a, size_t e)
{
  const char *s = b->spec->diffusion;
  const size_t d = b->D->d;
  size_t cut[MAXD + 2];
  const size_t n = split (s, a, e, ',', cut, MAXD);
  if (n != d)
    return sde_error (GSL_EINVAL,
                      "diffusion: diag(...) has %s%zu entries, but the drift "
                      "has d = %zu",
                      n > MAXD ? "more than " : "", n > MAXD ? (size_t)MAXD : n,
                      d);
  b->rows = d;
  b->cols = 1;
  b->shape = 1;
  if ((b->G = calloc (d, sizeof *b->G)) == NULL)
    return nomem ();
  for (size_t i = 0; i < d; i++)
    {
      char what[32];
      snprintf (what, sizeof what, "diag entry %zu", i);
      b->G[i] = parse_part (b->D->ctx, "diffusion", what, s, cut[i],
                            cut[i + 1] - 1);
      if (b->G[i] == NULL)
        return GSL_EINVAL;
    }
  return GSL_SUCCESS;
}

/* The diffusion text: "B", "diag(...)" or "[...]".  */
static int
parse_diffusion (build *b)
{
  const char *s = b->spec->diffusion;
  if (s == NULL)
    return sde_error (GSL_EINVAL, "diffusion: empty expression");
  size_t a = 0, e = strlen (s), k, open;
  trim (s, &a, &e);
  if (a == e)
    return sde_error (GSL_EINVAL, "diffusion: empty expression");
  if (s[a] == '[')
    {
      if (e - a < 2 || s[e - 1] != ']')
        return sde_error (GSL_EINVAL,
                          "diffusion: the '[' at position %zu is not closed "
                          "by a ']' at the end",
                          a + 1);
      return parse_matrix (b, a + 1, e - 1);
    }
  for (k = a; k < e && word (s[k]); k++)
    ;
  for (open = k; open < e && blank (s[open]); open++)
    ;
  if (k - a == 4 && memcmp (s + a, "diag", 4) == 0 && open < e
      && s[open] == '(')
    {
      if (s[e - 1] != ')')
        return sde_error (GSL_EINVAL,
                          "diffusion: the 'diag(' at position %zu is not "
                          "closed by a ')' at the end",
                          a + 1);
      return parse_diag (b, open + 1, e - 1);
    }
  b->rows = b->cols = 1;
  b->shape = 0;
  if ((b->G = calloc (1, sizeof *b->G)) == NULL)
    return nomem ();
  b->G[0] = parse_part (b->D->ctx, "diffusion", "", s, 0, strlen (s));
  return b->G[0] ? GSL_SUCCESS : GSL_EINVAL;
}

/* b as d x r nodes from the given entries.  */
static int
diffusion_nodes (build *b)
{
  sde_system_expr_data *D = b->D;
  const size_t d = D->d;
  D->r = b->shape == 2 ? b->cols : d;
  const size_t r = D->r;
  const sde_expr *zero = sde_expr_const (D->ctx, 0);
  if (zero == NULL || (D->b = calloc (d * r, sizeof *D->b)) == NULL)
    return zero ? nomem () : GSL_ENOMEM;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < r; j++)
      if (b->shape == 2)
        D->b[i * r + j] = b->G[i * r + j];
      else
        D->b[i * r + j] = i == j ? b->G[b->shape == 1 ? i : 0] : zero;
  return GSL_SUCCESS;
}

/* "v" or "v0, ..., v<d-1>", strict numbers with blanks around them.  */
static int
parse_x0 (build *b)
{
  const size_t d = b->D->d;
  const char *text = b->spec->x0;
  double *x0 = b->s->x0;
  if (text == NULL)
    return GSL_SUCCESS;
  size_t n = 1;
  for (const char *s = text; *s; s++)
    n += *s == ',';
  if (n != 1 && n != d)
    return sde_error (GSL_EINVAL, "x0: needs 1 or %zu values, got %zu", d, n);
  const char *s = text;
  for (size_t i = 0; i < n; i++)
    {
      size_t a = 0, e = strcspn (s, ",");
      char tok[64];
      trim (s, &a, &e);
      snprintf (tok, sizeof tok, "%.*s", (int)(e - a), s + a);
      if (e - a >= sizeof tok || sde_parse_double (tok, &x0[i]))
        return sde_error (GSL_EINVAL, "x0: value %zu '%s' is not a number", i,
                          sde_q (tok));
      s += strcspn (s, ",") + 1;
    }
  for (size_t i = 1; n == 1 && i < d; i++)
    x0[i] = x0[0];
  return GSL_SUCCESS;
}

/* ---- Derivatives ---- */

/* d b_ij / d x_k at jac[(i r + j) d + k], then the Stratonovich drift
   correction 1/2 sum_jk b_kj d_k b_ij.  */
static int
derivatives (build *b)
{
  sde_system_expr_data *D = b->D;
  const size_t d = D->d, r = D->r;
  if ((D->jac = calloc (d * r * d, sizeof *D->jac)) == NULL)
    return nomem ();
  for (size_t ij = 0; ij < d * r; ij++)
    for (size_t k = 0; k < d; k++)
      if ((D->jac[ij * d + k] = sde_expr_diff (D->ctx, D->b[ij], k)) == NULL)
        return GSL_ENOMEM;
  if (!b->s->stratonovich)
    return GSL_SUCCESS;
  const sde_expr *half = sde_expr_const (D->ctx, 0.5);
  for (size_t i = 0; i < d; i++)
    {
      const sde_expr *c = sde_expr_const (D->ctx, 0);
      for (size_t j = 0; j < r; j++)
        for (size_t k = 0; k < d; k++)
          c = sde_expr_add (D->ctx, c,
                            sde_expr_mul (D->ctx, D->b[k * r + j],
                                          D->jac[(i * r + j) * d + k]));
      D->a[i] = sde_expr_add (D->ctx, D->a[i], sde_expr_mul (D->ctx, half, c));
      if (D->a[i] == NULL)
        return GSL_ENOMEM;
    }
  return GSL_SUCCESS;
}

/* ---- Noise structure ---- */

/* Deterministic points about x0 for the numerical checks: point q > 0 is
   x0 + spread (1 + |x0|) z with standard normals z, at a time in
   [0, 4].  */
static int
check_points (const sde_system_expr_data *D, double spread, double *x,
              double *t)
{
  sde_rng *rng = sde_rng_alloc ("philox", 0x5de5de);
  if (rng == NULL)
    return GSL_ENOMEM;
  for (size_t q = 0; q <= NPOINTS; q++)
    {
      t[q] = q == 0 ? 0 : 4.0 * (double)q / NPOINTS;
      for (size_t i = 0; i < D->d; i++)
        {
          double z = q == 0 ? 0
                            : sde_rng_sample_one (rng, SDE_RNG_NORMAL, 0, 0, q,
                                                  0, (uint32_t)i);
          x[q * D->d + i] = D->x0[i] + spread * (1 + fabs (D->x0[i])) * z;
        }
    }
  sde_rng_free (rng);
  return GSL_SUCCESS;
}

/* (L^j b_k - L^k b_j)_i and the sum of its terms' magnitudes.  */
static int
commutator (const sde_system_expr_data *D, size_t i, size_t j, size_t k,
            const sde_expr **c, const sde_expr **scale)
{
  const size_t d = D->d, r = D->r;
  sde_expr_ctx *ctx = D->ctx;
  *c = *scale = sde_expr_const (ctx, 0);
  for (size_t l = 0; l < d; l++)
    {
      const sde_expr *u
          = sde_expr_mul (ctx, D->b[l * r + j], D->jac[(i * r + k) * d + l]);
      const sde_expr *v
          = sde_expr_mul (ctx, D->b[l * r + k], D->jac[(i * r + j) * d + l]);
      *c = sde_expr_add (ctx, *c, sde_expr_sub (ctx, u, v));
      *scale = sde_expr_add (ctx, *scale,
                             sde_expr_add (ctx, sde_expr_func (ctx, "abs", u),
                                           sde_expr_func (ctx, "abs", v)));
    }
  return *c && *scale ? GSL_SUCCESS : GSL_ENOMEM;
}

/* The commutators that do not simplify to 0, evaluated at x0 and about
   it; fills NOTE and returns 1 (commutative) or 0, or -status.  */
static int
commutative_numeric (const sde_system_expr_data *D, const sde_expr **c,
                     const size_t *idx, size_t n, char *note, size_t len)
{
  sde_expr_prog *pg = sde_expr_compile (D->ctx, c, 2 * n);
  double *x = malloc (sizeof (double) * (NPOINTS + 1) * (D->d + 1));
  double *v = malloc (sizeof (double) * 2 * n);
  int res = pg && x && v ? 1 : pg ? -nomem () : -GSL_ENOMEM;
  double *t = x ? x + (NPOINTS + 1) * D->d : NULL;
  if (res == 1 && check_points (D, 0.5, x, t))
    res = -nomem ();
  for (size_t q = 0; res == 1 && q <= NPOINTS; q++)
    {
      int st = sde_expr_prog_eval1 (pg, x + q * D->d, &t[q], v, NULL);
      if (st)
        res = -st;
      for (size_t m = 0; res == 1 && m < n; m++)
        if (fabs (v[m]) > COMM_TOL * v[n + m])
          {
            const size_t i = idx[3 * m], j = idx[3 * m + 1], k = idx[3 * m + 2];
            char txt[96];
            sde_expr_print (D->ctx, c[m], txt, sizeof txt);
            snprintf (note, len,
                      "not commutative: (L^%zu b_%zu - L^%zu b_%zu)_%zu = %s "
                      "is %.6g at %s",
                      j, k, k, j, i, txt, v[m],
                      q ? "a point near x0" : "x0, t = 0");
            res = 0;
          }
    }
  if (res == 1)
    snprintf (note, len,
              "commutative at x0 and %d points about it (L^j b_k - L^k b_j "
              "does not simplify to 0)",
              NPOINTS);
  sde_expr_prog_free (pg);
  free (x);
  free (v);
  return res;
}

/* Symbolically where the commutators simplify to 0, else numerically.  */
static int
check_commutative (const sde_system_expr_data *D, char *note, size_t len)
{
  const size_t d = D->d, r = D->r, npair = d * r * (r - 1) / 2;
  const sde_expr **c = calloc (2 * npair, sizeof *c);
  size_t *idx = malloc (sizeof (size_t) * 3 * npair), n = 0;
  int res = c && idx ? 1 : -nomem ();
  for (size_t j = 0; res == 1 && j < r; j++)
    for (size_t k = j + 1; res == 1 && k < r; k++)
      for (size_t i = 0; res == 1 && i < d; i++)
        {
          const sde_expr *ci, *si;
          double v;
          if (commutator (D, i, j, k, &ci, &si))
            res = -GSL_ENOMEM;
          else if (!sde_expr_is_const (ci, &v) || v != 0)
            {
              c[n] = ci, c[npair + n] = si;
              idx[3 * n] = i, idx[3 * n + 1] = j, idx[3 * n + 2] = k;
              n++;
            }
        }
  if (res == 1 && n == 0)
    snprintf (note, len, "commutative: L^j b_k - L^k b_j simplifies to 0");
  else if (res == 1)
    {
      /* The values follow the commutators in one program.  */
      memmove (c + n, c + npair, sizeof *c * n);
      res = commutative_numeric (D, c, idx, n, note, len);
    }
  free (c);
  free (idx);
  return res;
}

/* The SDE_NOISE_* flags and the note that says how they were found.  */
static int
noise_flags (sde_system_expr *s)
{
  const sde_system_expr_data *D = s->data;
  const size_t d = D->d, r = D->r;
  int additive = 1, diagonal = r == d;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < r; j++)
      for (size_t l = 0; l < d; l++)
        {
          const sde_expr *e = D->b[i * r + j];
          double v;
          const int dep = sde_expr_depends (e, l);
          additive &= !dep;
          if (i != j && !(sde_expr_is_const (e, &v) && v == 0))
            diagonal = 0;
          if (i == j && l != i && dep)
            diagonal = 0;
        }
  unsigned f = (r == 1 ? SDE_NOISE_SCALAR : 0)
               | (additive ? SDE_NOISE_ADDITIVE : 0)
               | (diagonal ? SDE_NOISE_DIAGONAL : 0);
  char *note = s->noise_note;
  const size_t len = sizeof s->noise_note;
  if (f)
    snprintf (note, len, "%s noise: commutative",
              r == 1     ? "scalar"
              : additive ? "additive"
                         : "diagonal");
  else
    {
      int res = check_commutative (D, note, len);
      if (res < 0)
        return -res;
      f = res ? SDE_NOISE_COMMUTATIVE : 0;
    }
  if (f)
    f |= SDE_NOISE_COMMUTATIVE;
  s->sys.noise = f;
  return GSL_SUCCESS;
}

/* ---- Moments ---- */

/* du/dt, L u = sum_i a_i d_i u + 1/2 sum_ij (b b^T)_ij d_ij u, and the sum
   of the magnitudes of their terms, for the backward equation.  */
static int
kolmogorov (const sde_system_expr_data *D, const sde_expr *u,
            const sde_expr **out)
{
  sde_expr_ctx *ctx = D->ctx;
  const size_t d = D->d, r = D->r;
  const sde_expr *lu = sde_expr_const (ctx, 0),
                 *half = sde_expr_const (ctx, .5);
  const sde_expr *ut = sde_expr_diff (ctx, u, d), *sc;
  sc = sde_expr_func (ctx, "abs", ut);
  for (size_t i = 0; i < d; i++)
    {
      const sde_expr *ui = sde_expr_diff (ctx, u, i);
      const sde_expr *term = sde_expr_mul (ctx, D->a[i], ui);
      lu = sde_expr_add (ctx, lu, term);
      sc = sde_expr_add (ctx, sc, sde_expr_func (ctx, "abs", term));
      for (size_t j = 0; j < d; j++)
        {
          const sde_expr *q = sde_expr_const (ctx, 0);
          for (size_t l = 0; l < r; l++)
            q = sde_expr_add (
                ctx, q, sde_expr_mul (ctx, D->b[i * r + l], D->b[j * r + l]));
          term = sde_expr_mul (
              ctx, half, sde_expr_mul (ctx, q, sde_expr_diff (ctx, ui, j)));
          lu = sde_expr_add (ctx, lu, term);
          sc = sde_expr_add (ctx, sc, sde_expr_func (ctx, "abs", term));
        }
      if (lu == NULL || sc == NULL)
        return GSL_ENOMEM;
    }
  out[0] = ut, out[1] = lu, out[2] = sc;
  return ut && lu && sc ? GSL_SUCCESS : GSL_ENOMEM;
}

/* Whether a or b depends on t.  */
static int
time_dependent (const sde_system_expr_data *D)
{
  int dep = 0;
  for (size_t i = 0; i < D->d; i++)
    dep |= sde_expr_depends (D->a[i], D->d);
  for (size_t k = 0; k < D->d * D->r; k++)
    dep |= sde_expr_depends (D->b[k], D->d);
  return dep;
}

/* u_k(0, x0) = phi_k(x0).  */
static int
check_moment_start (const sde_system_expr_data *D, size_t k)
{
  double t0 = 0, u0 = 0, p0 = 0, all[MAXMOM];
  int st = sde_expr_prog_eval1 (D->mom, D->x0, &t0, all, NULL);
  if (st == 0)
    u0 = all[k];
  if (st == 0)
    st = sde_expr_prog_eval1 (D->phip[k], D->x0, NULL, &p0, NULL);
  if (st == 0 && !(fabs (u0 - p0) <= 1e-12 * (fabs (u0) + fabs (p0)))
      && !(isnan (u0) && isnan (p0)))
    st = sde_error (GSL_EINVAL,
                    "moments: entry %zu: the expectation is %.10g at t = 0, "
                    "but phi(x0) is %.10g: write it as a function of t and "
                    "the initial point x0, x1, ...",
                    k, u0, p0);
  return st;
}

/* The backward Kolmogorov equation at points about x0.  */
static int
check_moment_pde (const sde_system_expr_data *D, size_t k)
{
  const sde_expr *n[3];
  int st = kolmogorov (D, D->u[k], n);
  sde_expr_prog *pg = st ? NULL : sde_expr_compile (D->ctx, n, 3);
  double *x = malloc (sizeof (double) * (NPOINTS + 1) * (D->d + 1)), v[3];
  double *t = x ? x + (NPOINTS + 1) * D->d : NULL;
  if (st == 0 && (pg == NULL || x == NULL))
    st = pg ? nomem () : GSL_ENOMEM;
  if (st == 0 && check_points (D, 0.25, x, t))
    st = nomem ();
  for (size_t q = 1; st == 0 && q <= NPOINTS; q++)
    {
      st = sde_expr_prog_eval1 (pg, x + q * D->d, &t[q], v, NULL);
      if (st == 0 && isfinite (v[0]) && isfinite (v[1])
          && fabs (v[0] - v[1]) > ITO_TOL * v[2])
        st = sde_error (GSL_EINVAL,
                        "moments: entry %zu: the expectation does not solve "
                        "the backward Kolmogorov equation: du/dt = %.10g but "
                        "L u = %.10g at t = %g and a point near x0",
                        k, v[0], v[1], t[q]);
    }
  sde_expr_prog_free (pg);
  free (x);
  return st;
}

/* Entry K, "PHI: U" in S[a, e).  */
static int
parse_moment (sde_system_expr_data *D, const char *s, size_t k, size_t a,
              size_t e)
{
  size_t cut[4], pa = a, pe;
  if (split (s, a, e, ':', cut, 2) != 2)
    return sde_error (GSL_EINVAL,
                      "moments: entry %zu at position %zu: write PHI: "
                      "EXPECTATION (one ':')",
                      k, a + 1);
  char what[48];
  snprintf (what, sizeof what, "entry %zu, phi", k);
  if ((D->phi[k] = parse_part (D->ctx, "moments", what, s, cut[0], cut[1] - 1))
      == NULL)
    return GSL_EINVAL;
  snprintf (what, sizeof what, "entry %zu, expectation", k);
  if ((D->u[k] = parse_part (D->ctx, "moments", what, s, cut[1], e)) == NULL)
    return GSL_EINVAL;
  if (sde_expr_depends (D->phi[k], D->d))
    return sde_error (GSL_EINVAL,
                      "moments: entry %zu: phi depends on t; it is a function "
                      "of the state x0, x1, ... only",
                      k);
  pe = cut[1] - 1;
  trim (s, &pa, &pe);
  if ((D->phitext[k] = malloc (pe - pa + 1)) == NULL)
    return nomem ();
  memcpy (D->phitext[k], s + pa, pe - pa);
  D->phitext[k][pe - pa] = '\0';
  return GSL_SUCCESS;
}

static int
parse_moments (sde_system_expr *se, const char *s)
{
  sde_system_expr_data *D = se->data;
  size_t cut[MAXMOM + 2];
  const size_t n = split (s, 0, strlen (s), ';', cut, MAXMOM);
  if (n > MAXMOM)
    return sde_error (GSL_EINVAL, "moments: more than %d entries", MAXMOM);
  for (size_t k = 0; k < n; k++)
    {
      int st = parse_moment (D, s, k, cut[k], cut[k + 1] - 1);
      if (st)
        return st;
    }
  D->nmom = se->nmoments = n;
  D->mom = sde_expr_compile (D->ctx, D->u, n);
  if (D->mom == NULL)
    return GSL_ENOMEM;
  const int pde = !time_dependent (D);
  for (size_t k = 0; k < n; k++)
    {
      D->phip[k] = sde_expr_compile (D->ctx, &D->phi[k], 1);
      if (D->phip[k] == NULL)
        return GSL_ENOMEM;
      D->arg[k].d = D;
      D->arg[k].k = k;
      size_t need = prog_need (D->phip[k]);
      D->phi_work = need > D->phi_work ? need : D->phi_work;
      int dep = 0, st = check_moment_start (D, k);
      for (size_t i = 0; i < D->d; i++)
        dep |= sde_expr_depends (D->u[k], i);
      if (st == 0 && pde && dep)
        st = check_moment_pde (D, k);
      if (st)
        return st;
    }
  return GSL_SUCCESS;
}

/* ---- Exact solutions ---- */

/* d e / d W_j, W being W0 too when r = 1.  */
static const sde_expr *
d_w (const sde_system_expr_data *D, const sde_expr *e, size_t j)
{
  const sde_expr *v = sde_expr_diff (D->ectx, e, j);
  if (D->walias && j == 0)
    v = sde_expr_add (D->ectx, v, sde_expr_diff (D->ectx, e, D->r));
  return v;
}

/* F, dF/dW (d r), dF/dt, 1/2 sum_j d^2F/dW_j^2 and the magnitudes of its
   terms, d each, as one program.  */
static sde_expr_prog *
ito_program (const sde_system_expr_data *D)
{
  const size_t d = D->d, r = D->r, tv = r + (size_t)D->walias;
  const sde_expr **n = calloc (d * (r + 4), sizeof *n);
  sde_expr_ctx *c = D->ectx;
  sde_expr_prog *pg = NULL;
  int ok = n != NULL;
  const sde_expr *half = sde_expr_const (c, 0.5);
  for (size_t i = 0; ok && i < d; i++)
    {
      const sde_expr *lap = sde_expr_const (c, 0), *sc = lap;
      n[i] = D->F[i];
      for (size_t j = 0; j < r; j++)
        {
          const sde_expr *g = d_w (D, D->F[i], j), *gg = d_w (D, g, j);
          n[d + i * r + j] = g;
          lap = sde_expr_add (c, lap, gg);
          sc = sde_expr_add (c, sc, sde_expr_func (c, "abs", gg));
        }
      n[d * (r + 1) + i] = sde_expr_diff (c, D->F[i], tv);
      n[d * (r + 2) + i] = sde_expr_mul (c, half, lap);
      n[d * (r + 3) + i] = sde_expr_mul (c, half, sc);
      ok = n[d * (r + 3) + i] && n[d * (r + 2) + i] && n[d * (r + 1) + i];
    }
  if (ok)
    pg = sde_expr_compile (c, n, d * (r + 4));
  else if (n == NULL)
    nomem ();
  free (n);
  return pg;
}

/* Compares Ito's formula for F at one point (t, w) with a and b there:
   V holds the ito_program's outputs.  */
static int
ito_compare (const sde_system_expr_data *D, double t, const double *v)
{
  const size_t d = D->d, r = D->r;
  double a[MAXD], b[MAXD * MAXR];
  int st = sde_expr_prog_eval1 (D->drift, v, &t, a, NULL);
  if (st == 0)
    st = sde_expr_prog_eval1 (D->diff, v, &t, b, NULL);
  for (size_t i = 0; st == 0 && i < d; i++)
    {
      for (size_t j = 0; st == 0 && j < r; j++)
        {
          const double g = v[d + i * r + j], bij = b[i * r + j];
          if (isfinite (g) && isfinite (bij)
              && fabs (g - bij) > ITO_TOL * (fabs (g) + fabs (bij)))
            st = sde_error (GSL_EINVAL,
                            "exact: does not solve the SDE: by Ito's formula "
                            "dX%zu/dW%zu is %.10g at t = %g, but the diffusion "
                            "entry (%zu,%zu) there is %.10g",
                            i, j, g, t, i, j, bij);
        }
      const double ft = v[d * (r + 1) + i], lap = v[d * (r + 2) + i];
      const double sc = fabs (ft) + v[d * (r + 3) + i] + fabs (a[i]);
      if (st == 0 && isfinite (ft + lap) && isfinite (a[i])
          && fabs (ft + lap - a[i]) > ITO_TOL * sc)
        st = sde_error (GSL_EINVAL,
                        "exact: does not solve the SDE: by Ito's formula the "
                        "drift of X%zu is %.10g at t = %g, but the drift entry "
                        "%zu there is %.10g",
                        i, ft + lap, t, i, a[i]);
    }
  return st;
}

/* F(0, x0, 0) = x0, and Ito's formula at points (t, W).  */
static int
check_exact (const sde_system_expr_data *D)
{
  const size_t d = D->d, r = D->r;
  sde_expr_prog *pg = ito_program (D);
  sde_rng *rng = sde_rng_alloc ("philox", 0x5de5de);
  double *v = malloc (sizeof (double) * d * (r + 4)), w[MAXR + 1], sc[1 + MAXD];
  int st = pg && rng && v ? GSL_SUCCESS : pg ? nomem () : GSL_ENOMEM;
  memcpy (sc + 1, D->x0, sizeof (double) * d);
  for (size_t q = 0; st == 0 && q <= NPOINTS; q++)
    {
      sc[0] = 4.0 * (double)q / NPOINTS;
      for (size_t j = 0; j < r; j++)
        w[j] = q == 0 ? 0
                      : sqrt (sc[0])
                            * sde_rng_sample_one (rng, SDE_RNG_NORMAL, 0, 1, q,
                                                  0, (uint32_t)j);
      w[r] = w[0];
      if ((st = sde_expr_prog_eval1 (pg, w, sc, v, NULL)))
        break;
      for (size_t i = 0; q == 0 && st == 0 && i < d; i++)
        if (!(fabs (v[i] - D->x0[i])
              <= 1e-12 * (fabs (v[i]) + fabs (D->x0[i]))))
          st = sde_error (GSL_EINVAL,
                          "exact: X%zu is %.10g at t = 0 and W = 0, but x0 "
                          "gives %.10g",
                          i, v[i], D->x0[i]);
      if (st == 0 && q > 0)
        st = ito_compare (D, sc[0], v);
    }
  sde_expr_prog_free (pg);
  sde_rng_free (rng);
  free (v);
  return st;
}

/* The context of the exact solution: W0 .. W<r-1> [, W]; t, x0 ...  */
static int
exact_context (sde_system_expr_data *D)
{
  const size_t d = D->d, r = D->r, nb = r + (size_t)D->walias;
  char *buf = malloc ((nb + 1 + d) * 24);
  const char **names = calloc (nb + 1 + d, sizeof *names);
  int st = buf && names ? GSL_SUCCESS : nomem ();
  for (size_t k = 0; st == 0 && k < nb + 1 + d; k++)
    {
      char *nm = buf + 24 * k;
      if (k < r)
        snprintf (nm, 24, "W%zu", k);
      else if (k < nb)
        snprintf (nm, 24, "W");
      else if (k == nb)
        snprintf (nm, 24, "t");
      else
        snprintf (nm, 24, "x%zu", k - nb - 1);
      names[k] = nm;
    }
  if (st == 0 && (D->ectx = sde_expr_ctx_alloc (nb, 1 + d, names)) == NULL)
    st = GSL_ENOMEM;
  free (buf);
  free (names);
  return st;
}

static int
parse_exact (sde_system_expr *se, const char *s)
{
  sde_system_expr_data *D = se->data;
  const size_t d = D->d;
  size_t cut[MAXD + 2];
  D->walias = D->r == 1;
  int st = exact_context (D);
  if (st)
    return st;
  const size_t n = split (s, 0, strlen (s), ',', cut, MAXD);
  if (n != d)
    return sde_error (GSL_EINVAL,
                      "exact: %s%zu entries, but the drift has d = "
                      "%zu",
                      n > MAXD ? "more than " : "", n > MAXD ? (size_t)MAXD : n,
                      d);
  if ((D->F = calloc (d, sizeof *D->F)) == NULL)
    return nomem ();
  for (size_t i = 0; i < d; i++)
    {
      char what[32];
      snprintf (what, sizeof what, "entry %zu", i);
      D->F[i] = parse_part (D->ectx, "exact", d > 1 ? what : "", s, cut[i],
                            cut[i + 1] - 1);
      if (D->F[i] == NULL)
        return GSL_EINVAL;
    }
  if ((st = check_exact (D)))
    return st;
  if ((D->exact = sde_expr_compile (D->ectx, D->F, d)) == NULL)
    return GSL_ENOMEM;
  D->exact_work = 2 * (size_t)D->walias + prog_need (D->exact);
  se->has_exact = 1;
  return GSL_SUCCESS;
}

/* ---- The specification text ---- */

/* Appends TEXT without its outer blanks, tabs as blanks.  */
static size_t
put_text (char *dst, const char *text)
{
  size_t a = 0, e = strlen (text), n = 0;
  trim (text, &a, &e);
  for (size_t k = a; k < e; k++)
    dst[n++] = text[k] == '\t' ? ' ' : text[k];
  return n;
}

static int
spec_text (sde_system_expr *s, const sde_system_expr_spec *sp)
{
  const size_t d = s->sys.dim;
  size_t len = strlen (sp->drift) + strlen (sp->diffusion) + 32 * d + 96;
  len += sp->exact ? strlen (sp->exact) : 0;
  len += sp->moments ? strlen (sp->moments) : 0;
  char *t = s->spec = malloc (len);
  if (t == NULL)
    return nomem ();
  size_t n = (size_t)sprintf (t, "sde:drift=");
  n += put_text (t + n, sp->drift);
  n += (size_t)sprintf (t + n, ",diffusion=");
  n += put_text (t + n, sp->diffusion);
  n += (size_t)sprintf (t + n, ",x0=");
  int same = 1;
  for (size_t i = 1; i < d; i++)
    same &= s->x0[i] == s->x0[0] && signbit (s->x0[i]) == signbit (s->x0[0]);
  for (size_t i = 0; i < (same ? 1 : d); i++)
    {
      n += (size_t)sprintf (t + n, "%s", i ? "," : "");
      n += (size_t)sde_shortest (t + n, 32, s->x0[i]);
    }
  if (s->stratonovich)
    n += (size_t)sprintf (t + n, ",form=stratonovich");
  if (sp->exact)
    {
      n += (size_t)sprintf (t + n, ",exact=");
      n += put_text (t + n, sp->exact);
    }
  if (sp->moments)
    {
      n += (size_t)sprintf (t + n, ",moments=");
      n += put_text (t + n, sp->moments);
    }
  t[n] = '\0';
  return GSL_SUCCESS;
}

/* ---- Allocation ---- */

/* The drift, diffusion and jacobian programs, and the system.  */
static int
programs (sde_system_expr *s)
{
  sde_system_expr_data *D = s->data;
  const size_t d = D->d, r = D->r;
  D->drift = sde_expr_compile (D->ctx, D->a, d);
  D->diff = D->drift ? sde_expr_compile (D->ctx, D->b, d * r) : NULL;
  D->jacp = D->diff ? sde_expr_compile (D->ctx, D->jac, d * r * d) : NULL;
  if (D->jacp == NULL)
    return GSL_ENOMEM;
  sde_system *sys = &s->sys;
  sys->dim = d;
  sys->noise_dim = r;
  sys->drift = x_drift;
  sys->diffusion = x_diffusion;
  sys->jacobian = x_jacobian;
  sys->params = D;
  const size_t need[]
      = { prog_need (D->drift), prog_need (D->diff), prog_need (D->jacp) };
  for (size_t k = 0; k < 3; k++)
    sys->work = need[k] > sys->work ? need[k] : sys->work;
  return GSL_SUCCESS;
}

static int
parse_form (sde_system_expr *s, const char *form)
{
  if (form == NULL || strcmp (form, "ito") == 0)
    return GSL_SUCCESS;
  if (strcmp (form, "stratonovich") == 0)
    {
      s->stratonovich = 1;
      return GSL_SUCCESS;
    }
  return sde_error (GSL_EINVAL, "form: '%s' is neither ito nor stratonovich",
                    sde_q (form));
}

static int
assemble (build *b)
{
  sde_system_expr *s = b->s;
  const sde_system_expr_spec *sp = b->spec;
  int st = parse_drift (b);
  if (st == 0)
    st = parse_diffusion (b);
  if (st == 0)
    st = diffusion_nodes (b);
  if (st == 0 && (s->x0 = calloc (b->D->d, sizeof (double))) == NULL)
    st = nomem ();
  if (st == 0)
    {
      b->D->x0 = s->x0;
      st = parse_x0 (b);
    }
  if (st == 0)
    st = parse_form (s, sp->form);
  if (st == 0)
    st = derivatives (b);
  if (st == 0)
    st = programs (s);
  if (st == 0)
    st = noise_flags (s);
  if (st == 0 && sp->moments)
    st = parse_moments (s, sp->moments);
  if (st == 0 && sp->exact)
    st = parse_exact (s, sp->exact);
  if (st == 0)
    st = spec_text (s, sp);
  return st;
}

sde_system_expr *
sde_system_expr_alloc (const sde_system_expr_spec *spec)
{
  if (spec == NULL)
    GSL_ERROR_NULL ("no expression SDE to allocate", GSL_EINVAL);
  build b;
  memset (&b, 0, sizeof b);
  b.spec = spec;
  b.s = calloc (1, sizeof *b.s);
  b.D = b.s ? calloc (1, sizeof *b.D) : NULL;
  if (b.D == NULL)
    {
      free (b.s);
      nomem ();
      return NULL;
    }
  b.s->data = b.D;
  int st = assemble (&b);
  free (b.G);
  if (st)
    {
      sde_system_expr_free (b.s);
      return NULL;
    }
  return b.s;
}

void
sde_system_expr_free (sde_system_expr *s)
{
  if (s == NULL)
    return;
  sde_system_expr_data *D = s->data;
  if (D)
    {
      sde_expr_prog_free (D->drift);
      sde_expr_prog_free (D->diff);
      sde_expr_prog_free (D->jacp);
      sde_expr_prog_free (D->mom);
      sde_expr_prog_free (D->exact);
      for (size_t k = 0; k < MAXMOM; k++)
        {
          sde_expr_prog_free (D->phip[k]);
          free (D->phitext[k]);
        }
      free (D->a), free (D->b), free (D->jac), free (D->F);
      sde_expr_ctx_free (D->ctx);
      sde_expr_ctx_free (D->ectx);
      free (D);
    }
  free (s->x0);
  free (s->spec);
  free (s);
}

/* ---- The text form ---- */

static const char *const keys[]
    = { "drift", "diffusion", "x0", "form", "exact", "moments" };
#define NKEYS (sizeof keys / sizeof keys[0])

/* The value of a key: from after its '=' to the ',' before the next key
   (values never hold '=', so the keys are found by it).  */
static int
next_key (const char *s, size_t *pos, int *key, char **value)
{
  const char *at = s + *pos, *eq = strchr (at, '=');
  while (blank (*at))
    at++;
  if (eq == NULL)
    return sde_error (GSL_EINVAL, "sde: expected key=value at '%s'",
                      sde_q (at));
  const char *kend = eq;
  while (kend > at && blank (kend[-1]))
    kend--;
  *key = -1;
  for (size_t k = 0; k < NKEYS; k++)
    if ((size_t)(kend - at) == strlen (keys[k])
        && memcmp (at, keys[k], strlen (keys[k])) == 0)
      *key = (int)k;
  if (*key < 0)
    return sde_error (GSL_EINVAL,
                      "sde: unknown key '%.*s' (drift, diffusion, x0, form, "
                      "exact, moments)",
                      kend - at > 24 ? 24 : (int)(kend - at), at);
  const char *next = strchr (eq + 1, '='), *end = s + strlen (s);
  if (next)
    {
      for (end = next; end > eq + 1 && blank (end[-1]); end--)
        ;
      for (; end > eq + 1 && word (end[-1]); end--)
        ;
      const char *key_at = end;
      for (; end > eq + 1 && blank (end[-1]); end--)
        ;
      if (end == eq + 1 || end[-1] != ',')
        return sde_error (GSL_EINVAL, "sde: expected ',' before '%s'",
                          sde_q (key_at));
      end--;
    }
  if ((*value = malloc ((size_t)(end - eq))) == NULL)
    return nomem ();
  memcpy (*value, eq + 1, (size_t)(end - eq - 1));
  (*value)[end - eq - 1] = '\0';
  *pos = (size_t)(end - s) + (next != NULL);
  return GSL_SUCCESS;
}

sde_system_expr *
sde_system_expr_alloc_text (const char *text)
{
  if (text == NULL)
    GSL_ERROR_NULL ("no expression SDE to allocate", GSL_EINVAL);
  const char *s = strncmp (text, "sde:", 4) == 0 ? text + 4 : text;
  char *val[NKEYS] = { NULL };
  size_t pos = 0;
  int st = GSL_SUCCESS;
  while (st == 0 && s[pos])
    {
      int key = 0;
      char *v = NULL;
      st = next_key (s, &pos, &key, &v);
      if (st == 0 && val[key])
        st = sde_error (GSL_EINVAL, "sde: %s given twice", keys[key]);
      if (st == 0)
        val[key] = v;
      else
        free (v);
    }
  if (st == 0 && (val[0] == NULL || val[1] == NULL))
    st = sde_error (GSL_EINVAL, "sde: no %s=... in '%s'",
                    val[0] ? "diffusion" : "drift", sde_q (text));
  sde_system_expr *se = NULL;
  if (st == 0)
    {
      sde_system_expr_spec spec
          = { val[0], val[1], val[2], val[3], val[4], val[5] };
      se = sde_system_expr_alloc (&spec);
    }
  for (size_t k = 0; k < NKEYS; k++)
    free (val[k]);
  return se;
}
