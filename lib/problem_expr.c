/* problem_expr.c: problems written as text (MATH.md section 2): a loss in
   x0, x1, ... whose gradient, Hessian and third-derivative contraction are
   differentiated symbolically and compiled to block programs by expr.c,
   with Gaussian noise given as a covariance Sigma(x) or a factor S(x)
   (the NGOS of Malladi, Lyu, Panigrahi & Arora, NeurIPS 2022).  Matrix
   covariances are factored by Cholesky (Golub & Van Loan, "Matrix
   Computations", 4th ed., section 4.2), singular constant ones by an
   eigendecomposition; constant Hessians with a minimizer are handed to the
   exact engine (MATH.md section 5).  */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

#include "problem_internal.h"
#include "sdekit/expr.h"

#define MAXD 32        /* the third derivatives grow as d^3 */
#define WHYLEN 512     /* a parser's reason */
#define CHOL_TOL 1e-12 /* a pivot below this times max A_ii is zero */

/* The compiled problem.  Programs are immutable: every thread runs them
   with its own scratch, so nothing is copied per thread.  */
typedef struct
{
  size_t d;
  sde_expr_prog *loss, *grad, *hess, *third, *factor;
  int chol;     /* the factor program gives Sigma(x), factored per path */
  size_t nsrow; /* entries of S the third derivatives read ... */
  size_t *srow; /* ... at j d + k */
} exprdata;

typedef enum
{
  SH_SCALAR, /* EXPR: EXPR times the identity */
  SH_DIAG,   /* diag(E0, ..., E<d-1>) */
  SH_MATRIX  /* [E00, E01, ...; E10, ...; ...] */
} shape;

/* What an allocation builds on the way; freed whatever happens.  */
typedef struct
{
  size_t d, r;
  sde_expr_ctx *ctx; /* x0 .. x<d-1> */
  const char *loss;
  const sde_expr *L, **g, **H; /* H: d x d, one node per pair */
  double *x0;
  const char *field, *text; /* "cov" or "factor", and its text */
  int cov;
  shape sh;
  size_t rows, cols;
  const sde_expr **G; /* the text's entries, rows x cols */
  const sde_expr **F; /* S(x), d x r; or Sigma(x), d x d, when chol */
  int chol;
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
  return sde_error (GSL_ENOMEM, "out of memory for an expression problem");
}

/* ---- Callbacks ---- */

static const exprdata *
data_of (const sde_problem *pb)
{
  return ((const sde_owned_problem *)pb->params)->extra;
}

static int
e_loss (const sde_problem *pb, size_t P, const double *x, double *out,
        double *work)
{
  return sde_expr_prog_eval (data_of (pb)->loss, P, x, P, NULL, out, P, work);
}

static int
e_grad (const sde_problem *pb, size_t P, const double *x, double *out,
        double *work)
{
  return sde_expr_prog_eval (data_of (pb)->grad, P, x, P, NULL, out, P, work);
}

static int
e_hess (const sde_problem *pb, size_t P, const double *x, double *out,
        double *work)
{
  return sde_expr_prog_eval (data_of (pb)->hess, P, x, P, NULL, out, P, work);
}

/* The program reads x and S as one block of d + d^2 rows; only the rows
   of S that some nonzero third derivative weighs are copied (d of the d^2
   for a separable loss).  */
static int
e_third (const sde_problem *pb, size_t P, const double *x, const double *S,
         double *out, double *work)
{
  const exprdata *xd = data_of (pb);
  const size_t d = xd->d;
  memcpy (work, x, sizeof (double) * d * P);
  for (size_t k = 0; k < xd->nsrow; k++)
    memcpy (work + (d + xd->srow[k]) * P, S + xd->srow[k] * P,
            sizeof (double) * P);
  return sde_expr_prog_eval (xd->third, P, work, P, NULL, out, P,
                             work + (d + d * d) * P);
}

/* In place over P paths: A at a[(i*d + j)*P + p] (lower triangle read)
   becomes the lower L with L L^T = A, the upper triangle zeroed.  A pivot
   within CHOL_TOL max_i A_ii of zero gives a zero column, as a singular
   semidefinite A needs when the rest of the column is as small; else (A
   is not semidefinite there) the column is NaN, so the path diverges
   instead of taking a wrong noise.  T and PIV: P doubles each.  Each path
   is computed alone, so its bits do not depend on P.  Returns nonzero
   when some pivot was zero.  */
static int
chol_block (size_t d, size_t P, double *a, double *t, double *piv)
{
  int zero = 0;
  for (size_t p = 0; p < P; p++)
    t[p] = 0;
  for (size_t i = 0; i < d; i++)
    for (size_t p = 0; p < P; p++)
      t[p] = fmax (t[p], fabs (a[(i * d + i) * P + p]));
  for (size_t p = 0; p < P; p++)
    t[p] *= CHOL_TOL;
  for (size_t j = 0; j < d; j++)
    {
      double *ljj = a + (j * d + j) * P;
      for (size_t p = 0; p < P; p++)
        piv[p] = ljj[p];
      for (size_t m = 0; m < j; m++)
        {
          const double *l = a + (j * d + m) * P;
          for (size_t p = 0; p < P; p++)
            piv[p] -= l[p] * l[p];
        }
      for (size_t p = 0; p < P; p++)
        {
          const double v = piv[p];
          ljj[p] = v > t[p] ? sqrt (v) : v >= -t[p] ? 0 : NAN;
          zero |= !(v > t[p]);
        }
      for (size_t i = j + 1; i < d; i++)
        {
          double *lij = a + (i * d + j) * P;
          for (size_t m = 0; m < j; m++)
            {
              const double *li = a + (i * d + m) * P, *lj = a + (j * d + m) * P;
              for (size_t p = 0; p < P; p++)
                lij[p] -= li[p] * lj[p];
            }
          /* Off a zero pivot, what is left must be as small as a
             semidefinite A allows: |r| <= sqrt(tol * max A_ii).  */
          for (size_t p = 0; p < P; p++)
            {
              const double s = lij[p], l = ljj[p];
              lij[p] = l > 0                              ? s / l
                       : l == 0 && fabs (s) <= 1e6 * t[p] ? 0
                                                          : NAN;
            }
        }
    }
  for (size_t i = 0; i < d; i++)
    for (size_t j = i + 1; j < d; j++)
      memset (a + (i * d + j) * P, 0, sizeof (double) * P);
  return zero;
}

static int
e_factor (const sde_problem *pb, size_t P, const double *x, double *out,
          double *work)
{
  const exprdata *xd = data_of (pb);
  int st = sde_expr_prog_eval (xd->factor, P, x, P, NULL, out, P, work);
  if (st == GSL_SUCCESS && xd->chol)
    chol_block (xd->d, P, out, work, work + P);
  return st;
}

static void
expr_destroy (sde_owned_problem *op)
{
  exprdata *xd = op->extra;
  if (xd == NULL)
    return;
  sde_expr_prog_free (xd->loss);
  sde_expr_prog_free (xd->grad);
  sde_expr_prog_free (xd->hess);
  sde_expr_prog_free (xd->third);
  sde_expr_prog_free (xd->factor);
  free (xd->srow);
  free (xd);
  op->extra = NULL;
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

/* The variables x<k> TEXT names, found by its words (numbers skipped
   whole): FIRST[k] is the position of the first, SIZE_MAX when absent;
   *D is one more than the largest index (0 when none).  */
static int
scan_vars (const char *s, size_t first[MAXD], size_t *d)
{
  *d = 0;
  for (size_t i = 0; i < MAXD; i++)
    first[i] = SIZE_MAX;
  for (size_t k = 0; s[k];)
    {
      const int c = (unsigned char)s[k];
      if ((c >= '0' && c <= '9') || c == '.')
        {
          while (word (s[k]) || s[k] == '.')
            k++;
          continue;
        }
      if (!word (c))
        {
          k++;
          continue;
        }
      const size_t a = k;
      int digits = 1;
      while (word (s[++k]))
        digits &= s[k] >= '0' && s[k] <= '9';
      if (s[a] != 'x' || k - a < 2 || !digits || (s[a + 1] == '0' && k - a > 2))
        continue;
      const size_t idx = k - a > 4 ? SIZE_MAX : strtoul (s + a + 1, NULL, 10);
      if (idx >= MAXD)
        return sde_error (GSL_EINVAL,
                          "loss: '%.*s' at position %zu: at most %d variables "
                          "(x0..x%d)",
                          k - a > 24 ? 24 : (int)(k - a), s + a, a + 1, MAXD,
                          MAXD - 1);
      if (first[idx] == SIZE_MAX)
        first[idx] = a;
      if (idx + 1 > *d)
        *d = idx + 1;
    }
  return GSL_SUCCESS;
}

/* The loss: its dimension, every index below the largest present.  */
static int
parse_loss (build *b, const char *loss)
{
  size_t first[MAXD], d;
  if (loss == NULL)
    return sde_error (GSL_EINVAL, "loss: empty expression");
  int st = scan_vars (loss, first, &d);
  if (st)
    return st;
  /* Syntax errors come first, so parse before complaining about names. */
  b->ctx = sde_expr_ctx_alloc (d ? d : 1, 0, NULL);
  if (b->ctx == NULL)
    return GSL_ENOMEM;
  b->L = parse_part (b->ctx, "loss", "", loss, 0, strlen (loss));
  if (b->L == NULL)
    return GSL_EINVAL;
  if (d == 0)
    return sde_error (GSL_EINVAL, "loss: no variables x0, x1, ... in '%s'",
                      sde_q (loss));
  for (size_t i = 0; i < d; i++)
    if (first[i] == SIZE_MAX)
      return sde_error (GSL_EINVAL,
                        "loss: variable gap: x%zu is missing but x%zu is "
                        "used (at position %zu); x0..x%zu must all appear",
                        i, d - 1, first[d - 1] + 1, d - 1);
  b->d = d;
  b->loss = loss;
  return GSL_SUCCESS;
}

/* "v" or "v0,v1,...,v<d-1>", strict numbers with blanks around them.  */
static int
parse_x0 (build *b, const char *text)
{
  const size_t d = b->d;
  b->x0 = calloc (d, sizeof (double));
  if (b->x0 == NULL)
    return nomem ();
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
      size_t len = strcspn (s, ",");
      char tok[64];
      const char *a = s, *e = s + len;
      while (a < e && blank (*a))
        a++;
      while (e > a && blank (e[-1]))
        e--;
      snprintf (tok, sizeof tok, "%.*s", (int)(e - a), a);
      if ((size_t)(e - a) >= sizeof tok || sde_parse_double (tok, &b->x0[i]))
        return sde_error (GSL_EINVAL, "x0: value %zu '%s' is not a number", i,
                          sde_q (tok));
      s += len + 1;
    }
  for (size_t i = 1; n == 1 && i < d; i++)
    b->x0[i] = b->x0[0];
  return GSL_SUCCESS;
}

static const sde_expr *
noise_part (build *b, const char *what, size_t a, size_t e)
{
  return parse_part (b->ctx, b->field, what, b->text, a, e);
}

/* diag(E0, ..., E<d-1>) between A and E.  */
static int
parse_diag (build *b, size_t a, size_t e)
{
  const char *s = b->text;
  size_t n = 1;
  for (size_t k = a; k < e; k++)
    n += s[k] == ',';
  if (n != b->d)
    return sde_error (GSL_EINVAL,
                      "%s: diag(...) has %zu entries, but the loss has d = %zu",
                      b->field, n, b->d);
  b->rows = n;
  b->cols = 1;
  if ((b->G = calloc (n, sizeof *b->G)) == NULL)
    return nomem ();
  for (size_t i = 0, start = a, k = a; k <= e; k++)
    if (k == e || s[k] == ',')
      {
        char what[48];
        snprintf (what, sizeof what, "diag entry %zu", i);
        if ((b->G[i++] = noise_part (b, what, start, k)) == NULL)
          return GSL_EINVAL;
        start = k + 1;
      }
  return GSL_SUCCESS;
}

/* Checks that every row between A and E has as many entries as the first
   and that the shape fits d; sets rows and cols.  */
static int
matrix_shape (build *b, size_t a, size_t e)
{
  const char *s = b->text;
  size_t rows = 0, n = 1, row_at = a;
  for (size_t k = a; k <= e; k++)
    if (k == e || s[k] == ';')
      {
        if (rows == 0)
          b->cols = n;
        else if (n != b->cols)
          return sde_error (GSL_EINVAL,
                            "%s: row %zu (at position %zu) has %zu entries, "
                            "row 0 has %zu",
                            b->field, rows, row_at + 1, n, b->cols);
        for (rows++, n = 1, row_at = k + 1; row_at < e && blank (s[row_at]);
             row_at++)
          ;
      }
    else
      n += s[k] == ',';
  b->rows = rows;
  if (rows != b->d || (b->cov && b->cols != b->d))
    return sde_error (GSL_EINVAL,
                      "%s: a %zu x %zu matrix, but the loss has d = %zu: %s, "
                      "rows separated by ';'",
                      b->field, rows, b->cols, b->d,
                      b->cov ? "a covariance is d x d" : "a factor is d x r");
  return GSL_SUCCESS;
}

/* [E00, E01, ...; E10, ...; ...] between A and E.  */
static int
parse_matrix (build *b, size_t a, size_t e)
{
  int st = matrix_shape (b, a, e);
  if (st)
    return st;
  const char *s = b->text;
  if ((b->G = calloc (b->rows * b->cols, sizeof *b->G)) == NULL)
    return nomem ();
  for (size_t i = 0, j = 0, start = a, k = a; k <= e; k++)
    if (k == e || s[k] == ',' || s[k] == ';')
      {
        char what[48];
        snprintf (what, sizeof what, "entry (%zu,%zu)", i, j);
        if ((b->G[i * b->cols + j] = noise_part (b, what, start, k)) == NULL)
          return GSL_EINVAL;
        start = k + 1;
        if (k < e && s[k] == ',')
          j++;
        else
          i++, j = 0;
      }
  return GSL_SUCCESS;
}

/* The noise text: "EXPR", "diag(...)" or "[...]".  */
static int
parse_noise (build *b)
{
  const char *s = b->text;
  size_t a = 0, e = strlen (s);
  while (a < e && blank (s[a]))
    a++;
  while (e > a && blank (s[e - 1]))
    e--;
  if (a == e)
    return sde_error (GSL_EINVAL, "%s: empty expression", b->field);
  if (s[a] == '[')
    {
      if (e - a < 2 || s[e - 1] != ']')
        return sde_error (GSL_EINVAL,
                          "%s: the '[' at position %zu is not closed by a "
                          "']' at the end",
                          b->field, a + 1);
      b->sh = SH_MATRIX;
      return parse_matrix (b, a + 1, e - 1);
    }
  size_t k = a, open;
  while (k < e && word (s[k]))
    k++;
  for (open = k; open < e && blank (s[open]); open++)
    ;
  if (k - a == 4 && memcmp (s + a, "diag", 4) == 0 && open < e
      && s[open] == '(')
    {
      if (s[e - 1] != ')')
        return sde_error (GSL_EINVAL,
                          "%s: the 'diag(' at position %zu is not closed by a "
                          "')' at the end",
                          b->field, a + 1);
      b->sh = SH_DIAG;
      return parse_diag (b, open + 1, e - 1);
    }
  b->sh = SH_SCALAR;
  b->rows = b->cols = 1;
  if ((b->G = calloc (1, sizeof *b->G)) == NULL)
    return nomem ();
  b->G[0] = noise_part (b, "", 0, strlen (s));
  return b->G[0] ? GSL_SUCCESS : GSL_EINVAL;
}

/* ---- Noise ---- */

/* How messages name given entry K.  */
static const char *
entry_name (const build *b, size_t k, char buf[64])
{
  if (b->sh == SH_SCALAR)
    snprintf (buf, 64, "the value");
  else if (b->sh == SH_DIAG)
    snprintf (buf, 64, "diag entry %zu", k);
  else
    snprintf (buf, 64, "entry (%zu,%zu)", k / b->cols, k % b->cols);
  return buf;
}

/* S(x) (or Sigma(x) for a per-path Cholesky) as d x r nodes.  */
static int
noise_nodes (build *b)
{
  const size_t d = b->d;
  b->chol = b->cov && b->sh == SH_MATRIX;
  b->r = b->sh == SH_MATRIX && !b->cov ? b->cols : d;
  const sde_expr *zero = sde_expr_const (b->ctx, 0);
  if (zero == NULL || (b->F = calloc (d * b->r, sizeof *b->F)) == NULL)
    return zero ? nomem () : GSL_ENOMEM;
  for (size_t k = 0; k < d * b->r; k++)
    b->F[k] = zero;
  for (size_t i = 0; i < d; i++)
    if (b->sh == SH_MATRIX)
      for (size_t j = 0; j < b->r; j++)
        /* Sigma reads its upper triangle, S is as given.  */
        b->F[i * b->r + j] = b->G[b->chol && j < i ? j * d + i : i * b->r + j];
    else
      {
        const sde_expr *v = b->G[b->sh == SH_DIAG ? i : 0];
        /* A variance becomes a standard deviation.  */
        b->F[i * d + i] = b->cov ? sde_expr_func (b->ctx, "sqrt", v) : v;
        if (b->F[i * d + i] == NULL)
          return GSL_ENOMEM;
      }
  return GSL_SUCCESS;
}

/* Eigenvalues (ascending) and, when V is not NULL, eigenvectors (columns
   of V, row-major) of the symmetric A.  */
static int
eigen (size_t d, const double *A, double *lam, double *V)
{
  gsl_matrix *m = gsl_matrix_alloc (d, d), *v = gsl_matrix_alloc (d, d);
  gsl_vector *l = gsl_vector_alloc (d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc (d);
  int st = GSL_ENOMEM;
  if (m && v && l && w)
    {
      memcpy (m->data, A, sizeof (double) * d * d);
      st = gsl_eigen_symmv (m, l, v, w);
    }
  if (st == GSL_SUCCESS)
    {
      gsl_eigen_symmv_sort (l, v, GSL_EIGEN_SORT_VAL_ASC);
      memcpy (lam, l->data, sizeof (double) * d);
      if (V)
        memcpy (V, v->data, sizeof (double) * d * d);
    }
  else if (st == GSL_ENOMEM)
    nomem ();
  gsl_eigen_symmv_free (w);
  gsl_vector_free (l);
  gsl_matrix_free (v);
  gsl_matrix_free (m);
  return st;
}

/* A semidefinite Sigma at x0: no eigenvalue below rounding.  */
static int
check_psd (const build *b, const double *v)
{
  const size_t d = b->d;
  double *A = malloc (sizeof (double) * d * d), *lam = malloc (sizeof *lam * d);
  int st = A && lam ? GSL_SUCCESS : nomem ();
  for (size_t i = 0; st == 0 && i < d; i++)
    for (size_t j = 0; j < d; j++)
      A[i * d + j] = v[i <= j ? i * d + j : j * d + i];
  if (st == 0)
    st = eigen (d, A, lam, NULL);
  if (st == 0)
    {
      const double big = fmax (fabs (lam[0]), fabs (lam[d - 1]));
      if (lam[0] < -64 * (double)d * DBL_EPSILON * big)
        st = sde_error (GSL_EINVAL,
                        "cov: not positive semidefinite at x0 (eigenvalue "
                        "%.6g; the largest is %.6g)",
                        lam[0], lam[d - 1]);
    }
  free (A);
  free (lam);
  return st;
}

/* Sigma's entries (i,j) and (j,i) must be one function: the same node,
   or equal to rounding (relative to sqrt(Sigma_ii Sigma_jj), which bounds
   them) at x0 and at two points away from it.  */
static int
check_symmetric (const build *b, const sde_expr_prog *pg, const double *v0)
{
  const size_t d = b->d;
  double *x = malloc (sizeof (double) * d), *v = malloc (sizeof *v * d * d);
  int st = x && v ? GSL_SUCCESS : nomem ();
  for (int pt = 0; st == 0 && pt < 3; pt++)
    {
      const double *vals = v0;
      if (pt > 0)
        {
          for (size_t i = 0; i < d; i++)
            x[i] = b->x0[i]
                   + (pt == 1 ? 0.5 + 0.125 * (double)i
                              : -0.375 - 0.0625 * (double)i);
          if ((st = sde_expr_prog_eval1 (pg, x, NULL, v, NULL)))
            break;
          vals = v;
        }
      for (size_t i = 0; st == 0 && i < d; i++)
        for (size_t j = i + 1; st == 0 && j < d; j++)
          {
            const double u = vals[i * d + j], l = vals[j * d + i];
            const double scale = sqrt (fabs (vals[i * d + i] * vals[j * d + j]))
                                 + fabs (u) + fabs (l);
            if (b->G[i * d + j] == b->G[j * d + i]
                || fabs (u - l) <= 1e-12 * scale || (isnan (u) && isnan (l)))
              continue;
            st = sde_error (GSL_EINVAL,
                            "cov: not symmetric: entry (%zu,%zu) is %.6g and "
                            "entry (%zu,%zu) is %.6g at %s",
                            i, j, u, j, i, l,
                            pt == 0 ? "x0" : "a point near x0");
          }
    }
  free (x);
  free (v);
  return st;
}

/* The given entries at x0: finite; variances >= 0; a matrix covariance
   symmetric and semidefinite.  */
static int
check_noise (const build *b)
{
  const size_t n = b->rows * b->cols;
  sde_expr_prog *pg = sde_expr_compile (b->ctx, b->G, n);
  double *v = malloc (sizeof (double) * n);
  int st = pg && v ? GSL_SUCCESS : pg ? nomem () : GSL_ENOMEM;
  if (st == 0)
    st = sde_expr_prog_eval1 (pg, b->x0, NULL, v, NULL);
  char name[64];
  for (size_t k = 0; st == 0 && k < n; k++)
    if (!isfinite (v[k]))
      st = sde_error (GSL_EINVAL, "%s: %s is %g at x0", b->field,
                      entry_name (b, k, name), v[k]);
    else if (b->cov && b->sh != SH_MATRIX && v[k] < 0)
      st = sde_error (GSL_EINVAL,
                      "cov: %s is %.6g at x0, but a variance must be >= 0",
                      entry_name (b, k, name), v[k]);
  if (st == 0 && b->chol)
    st = check_symmetric (b, pg, v);
  if (st == 0 && b->chol)
    st = check_psd (b, v);
  sde_expr_prog_free (pg);
  free (v);
  return st;
}

/* A constant Sigma's factor: Cholesky, or V sqrt(Lambda) when singular.  */
static int
factor_sigma (size_t d, double *S)
{
  double *A = malloc (sizeof (double) * d * d), *t = malloc (sizeof *t * 2);
  double *lam = malloc (sizeof (double) * d);
  int st = A && t && lam ? GSL_SUCCESS : nomem ();
  if (st == 0)
    {
      memcpy (A, S, sizeof (double) * d * d);
      if (chol_block (d, 1, S, t, t + 1) && (st = eigen (d, A, lam, S)) == 0)
        for (size_t i = 0; i < d; i++)
          for (size_t k = 0; k < d; k++)
            S[i * d + k] *= sqrt (fmax (lam[k], 0));
    }
  free (A);
  free (t);
  free (lam);
  return st;
}

/* The factor callback: constant (computed once) or a program.  */
static int
noise_setup (build *b, sde_owned_problem *op, exprdata *xd)
{
  const size_t d = b->d, r = b->r;
  int st = check_noise (b);
  if (st)
    return st;
  size_t nconst = 0;
  for (size_t k = 0; k < d * r; k++)
    nconst += (size_t)sde_expr_is_const (b->F[k], NULL);
  if (nconst < d * r)
    {
      xd->factor = sde_expr_compile (b->ctx, b->F, d * r);
      xd->chol = b->chol;
      op->pb.factor = e_factor;
      return xd->factor ? GSL_SUCCESS : GSL_ENOMEM;
    }
  if ((op->factor = malloc (sizeof (double) * d * r)) == NULL)
    return nomem ();
  for (size_t k = 0; k < d * r; k++)
    sde_expr_is_const (b->F[k], &op->factor[k]);
  if (b->chol && (st = factor_sigma (d, op->factor)))
    return st;
  op->pb.factor_const = op->factor;
  op->pb.factor = sde__factor_const;
  return GSL_SUCCESS;
}

/* ---- Derivatives ---- */

static int
derive (build *b, exprdata *xd)
{
  const size_t d = b->d;
  b->g = calloc (d, sizeof *b->g);
  b->H = calloc (d * d, sizeof *b->H);
  if (b->g == NULL || b->H == NULL)
    return nomem ();
  for (size_t i = 0; i < d; i++)
    if ((b->g[i] = sde_expr_diff (b->ctx, b->L, i)) == NULL)
      return GSL_ENOMEM;
  /* The Hessian is symmetric: each pair is differentiated once.  */
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < d; j++)
      {
        b->H[i * d + j] = b->H[j * d + i] = sde_expr_diff (b->ctx, b->g[i], j);
        if (b->H[i * d + j] == NULL)
          return GSL_ENOMEM;
      }
  xd->loss = sde_expr_compile (b->ctx, &b->L, 1);
  xd->grad = xd->loss ? sde_expr_compile (b->ctx, b->g, d) : NULL;
  xd->hess = xd->grad ? sde_expr_compile (b->ctx, b->H, d * d) : NULL;
  return xd->hess ? GSL_SUCCESS : GSL_ENOMEM;
}

/* S_jk + S_kj, the weight of d^3 L / dx_i dx_j dx_k for j < k; marks
   the entries read in USED.  */
static const sde_expr *
sym_s (sde_expr_ctx *ctx, size_t d, size_t j, size_t k, unsigned char *used)
{
  used[j * d + k] = used[k * d + j] = 1;
  const sde_expr *a = sde_expr_var (ctx, d + j * d + k);
  return j == k ? a : sde_expr_add (ctx, a, sde_expr_var (ctx, d + k * d + j));
}

/* out_i = sum_{j <= k} T_ijk (S_jk + S_kj [j < k]), each distinct third
   derivative T (i <= j <= k) made once and added to the three outputs it
   feeds, over variables x0..x<d-1> then S00, S01, ..., so that the
   contraction is one compiled program: it runs over whole blocks, with
   memory for the live values only (a table of the d^3/6 derivatives per
   path would not fit the cache at d = 32).  */
static int
contract (sde_expr_ctx *ctx, size_t d, const sde_expr *L, const sde_expr **g,
          const sde_expr **H, const sde_expr **out, unsigned char *used)
{
  for (size_t i = 0; i < d; i++)
    if ((g[i] = sde_expr_diff (ctx, L, i)) == NULL)
      return GSL_ENOMEM;
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < d; j++)
      if ((H[i * d + j] = sde_expr_diff (ctx, g[i], j)) == NULL)
        return GSL_ENOMEM;
  for (size_t i = 0; i < d; i++)
    if ((out[i] = sde_expr_const (ctx, 0)) == NULL)
      return GSL_ENOMEM;
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < d; j++)
      for (size_t k = j; k < d; k++)
        {
          double v;
          const sde_expr *t = sde_expr_diff (ctx, H[i * d + j], k);
          if (t == NULL)
            return GSL_ENOMEM;
          if (sde_expr_is_const (t, &v) && v == 0)
            continue;
          out[i] = sde_expr_add (
              ctx, out[i], sde_expr_mul (ctx, t, sym_s (ctx, d, j, k, used)));
          if (j != i)
            out[j] = sde_expr_add (
                ctx, out[j], sde_expr_mul (ctx, t, sym_s (ctx, d, i, k, used)));
          if (k != j)
            out[k] = sde_expr_add (
                ctx, out[k], sde_expr_mul (ctx, t, sym_s (ctx, d, i, j, used)));
          if (!out[i] || !out[j] || !out[k])
            return GSL_ENOMEM;
        }
  return GSL_SUCCESS;
}

/* The third-derivative program, in its own context: the S entries are
   variables there, which the loss and noise must not see.  */
static int
build_third (const build *b, exprdata *xd)
{
  const size_t d = b->d, n = d + d * d;
  char **names = calloc (n, sizeof *names), *buf = malloc (n * 48);
  const sde_expr **g = calloc (d, sizeof *g), **H = calloc (d * d, sizeof *H);
  const sde_expr **out = calloc (d, sizeof *out);
  unsigned char *used = calloc (d * d, 1);
  sde_expr_ctx *ctx = NULL;
  int st = names && buf && g && H && out && used ? GSL_SUCCESS : nomem ();
  for (size_t k = 0; st == 0 && k < n; k++)
    {
      names[k] = buf + 48 * k;
      if (k < d)
        snprintf (names[k], 48, "x%zu", k);
      else
        snprintf (names[k], 48, "S%zu_%zu", (k - d) / d, (k - d) % d);
    }
  if (st == 0 && (ctx = sde_expr_ctx_alloc (n, 0, (const char *const *)names)))
    {
      /* The loss parsed in the first context, so this can only run out of
         memory.  */
      const sde_expr *L = sde_expr_parse (ctx, b->loss);
      st = L ? contract (ctx, d, L, g, H, out, used) : GSL_ENOMEM;
      if (st == 0 && (xd->third = sde_expr_compile (ctx, out, d)) == NULL)
        st = GSL_ENOMEM;
    }
  else if (st == 0)
    st = GSL_ENOMEM;
  if (st == 0 && (xd->srow = malloc (sizeof *xd->srow * d * d)) == NULL)
    st = nomem ();
  for (size_t k = 0; st == 0 && k < d * d; k++)
    if (used[k])
      xd->srow[xd->nsrow++] = k;
  sde_expr_ctx_free (ctx);
  free (names), free (buf), free (g), free (H), free (out), free (used);
  return st;
}

/* ---- Quadratics ---- */

/* x* with H x* = -g0: H's pseudo-inverse on the eigenvalues above
   rounding; *FOUND when the residual is at rounding too, so that g0 is in
   H's range and x* is a stationary point.  */
static int
minimizer (size_t d, const double *H, const double *g0, double *xs, int *found)
{
  double *lam = malloc (sizeof (double) * d), *V = malloc (sizeof *V * d * d);
  int st = lam && V ? eigen (d, H, lam, V) : nomem ();
  *found = 0;
  if (st == 0)
    {
      const double cut = 1e-12 * fmax (fabs (lam[0]), fabs (lam[d - 1]));
      memset (xs, 0, sizeof (double) * d);
      for (size_t k = 0; k < d; k++)
        {
          if (!(fabs (lam[k]) > cut))
            continue;
          double c = 0;
          for (size_t i = 0; i < d; i++)
            c += V[i * d + k] * g0[i];
          for (size_t i = 0; i < d; i++)
            xs[i] -= V[i * d + k] * c / lam[k];
        }
      double res = 0, scale = 0;
      for (size_t i = 0; i < d; i++)
        {
          double ri = g0[i], si = fabs (g0[i]);
          for (size_t j = 0; j < d; j++)
            ri += H[i * d + j] * xs[j], si += fabs (H[i * d + j] * xs[j]);
          res = fmax (res, fabs (ri));
          scale = fmax (scale, si);
        }
      *found = res <= 1e-10 * scale;
    }
  free (lam);
  free (V);
  return st;
}

/* A constant Hessian with a stationary point x* where L(x*) = 0 to
   rounding gives hess_const and xstar: the exact engine takes L to be
   (x - x*)^T H (x - x*) / 2, so a loss with no stationary point or with
   another value there is not offered to it.  */
static int
quadratic (const build *b, sde_owned_problem *op, const exprdata *xd)
{
  const size_t d = b->d;
  for (size_t k = 0; k < d * d; k++)
    if (!sde_expr_is_const (b->H[k], NULL))
      return GSL_SUCCESS;
  double *H = malloc (sizeof (double) * d * d), *xs = malloc (sizeof *xs * d);
  double *zero = calloc (d, sizeof (double)), *g0 = malloc (sizeof *g0 * d);
  double L0, Ls;
  int found = 0, st = H && xs && zero && g0 ? GSL_SUCCESS : nomem ();
  for (size_t k = 0; st == 0 && k < d * d; k++)
    sde_expr_is_const (b->H[k], &H[k]);
  if (st == 0)
    st = sde_expr_prog_eval1 (xd->grad, zero, NULL, g0, NULL);
  if (st == 0)
    st = sde_expr_prog_eval1 (xd->loss, zero, NULL, &L0, NULL);
  if (st == 0)
    st = minimizer (d, H, g0, xs, &found);
  if (st == 0 && found)
    st = sde_expr_prog_eval1 (xd->loss, xs, NULL, &Ls, NULL);
  if (st == 0 && found)
    {
      /* L(0) = L(x*) + x*^T H x* / 2: the terms of that sum set the
         rounding of L(x*).  */
      double scale = fabs (L0);
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          scale += 0.5 * fabs (H[i * d + j] * xs[i] * xs[j]);
      if (fabs (Ls) <= 64 * (double)(d * d + 1) * DBL_EPSILON * scale)
        {
          op->hess = H, op->pb.hess_const = H, H = NULL;
          op->xstar = xs, op->pb.xstar = xs, xs = NULL;
        }
    }
  free (H), free (xs), free (zero), free (g0);
  return st;
}

/* ---- The specification text ---- */

/* Appends TEXT without its outer blanks, tabs as blanks.  */
static size_t
put_text (char *dst, const char *text)
{
  size_t a = 0, e = strlen (text), n = 0;
  while (a < e && blank (text[a]))
    a++;
  while (e > a && blank (text[e - 1]))
    e--;
  for (size_t k = a; k < e; k++)
    dst[n++] = text[k] == '\t' ? ' ' : text[k];
  return n;
}

/* The shortest text of V that reads back to it.  */
static void
shortest (double v, char buf[32])
{
  for (int prec = 15; prec <= 17; prec++)
    {
      snprintf (buf, 32, "%.*g", prec, v);
      if (strtod (buf, NULL) == v)
        return;
    }
}

/* "expr:loss=...,cov=...,x0=..." with every value; cut with "..." when
   longer than the owned problem keeps (a cut text does not parse).  */
static int
spec_text (const build *b, sde_owned_problem *op)
{
  const size_t d = b->d;
  char *s = malloc (strlen (b->loss) + strlen (b->text) + 32 * d + 64);
  if (s == NULL)
    return nomem ();
  size_t n = (size_t)sprintf (s, "expr:loss=");
  n += put_text (s + n, b->loss);
  n += (size_t)sprintf (s + n, ",%s=", b->field);
  n += put_text (s + n, b->text);
  n += (size_t)sprintf (s + n, ",x0=");
  int same = 1;
  for (size_t i = 1; i < d; i++)
    same &= b->x0[i] == b->x0[0] && signbit (b->x0[i]) == signbit (b->x0[0]);
  for (size_t i = 0; i < (same ? 1 : d); i++)
    {
      char v[32];
      shortest (b->x0[i], v);
      n += (size_t)sprintf (s + n, "%s%s", i ? "," : "", v);
    }
  if (n < sizeof op->spec)
    memcpy (op->spec, s, n + 1);
  else
    snprintf (op->spec, sizeof op->spec, "%.*s...", (int)(sizeof op->spec - 4),
              s);
  free (s);
  return GSL_SUCCESS;
}

/* ---- Allocation ---- */

static void
build_free (build *b)
{
  sde_expr_ctx_free (b->ctx);
  free (b->g);
  free (b->H);
  free (b->x0);
  free (b->G);
  free (b->F);
}

/* The problem from a parsed build: programs, noise, quadratic, work.  */
static int
assemble (build *b, sde_owned_problem *op)
{
  exprdata *xd = calloc (1, sizeof *xd);
  if (xd == NULL)
    return nomem ();
  op->extra = xd;
  op->destroy = expr_destroy;
  xd->d = b->d;
  op->pb.loss = e_loss;
  op->pb.grad = e_grad;
  op->pb.hess = e_hess;
  op->pb.third = e_third;
  memcpy (op->x0, b->x0, sizeof (double) * b->d);
  int st = derive (b, xd);
  if (st == 0)
    st = noise_setup (b, op, xd);
  if (st == 0)
    st = build_third (b, xd);
  if (st == 0)
    st = quadratic (b, op, xd);
  if (st == 0)
    st = spec_text (b, op);
  if (st)
    return st;
  /* The factor's Cholesky takes two rows after its program; the third
     derivatives copy x and S (d + d^2 rows) before theirs.  */
  const size_t need[]
      = { prog_need (xd->loss), prog_need (xd->grad), prog_need (xd->hess),
          prog_need (xd->factor) + (xd->chol ? 2 : 0),
          b->d + b->d * b->d + prog_need (xd->third) };
  op->pb.work = 0;
  for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
    if (need[k] > op->pb.work)
      op->pb.work = need[k];
  return GSL_SUCCESS;
}

sde_problem *
sde_problem_alloc_expr_spec (const sde_problem_expr_spec *spec)
{
  if (spec == NULL)
    GSL_ERROR_NULL ("no expression problem to allocate", GSL_EINVAL);
  if (spec->cov && spec->factor)
    {
      sde_error (GSL_EINVAL, "give the noise as cov or as factor, not both");
      return NULL;
    }
  build b;
  memset (&b, 0, sizeof b);
  b.cov = spec->factor == NULL;
  b.field = b.cov ? "cov" : "factor";
  b.text = spec->factor ? spec->factor : spec->cov ? spec->cov : "1";
  sde_owned_problem *op = NULL;
  int st = parse_loss (&b, spec->loss);
  if (st == 0)
    st = parse_x0 (&b, spec->x0);
  if (st == 0)
    st = parse_noise (&b);
  if (st == 0)
    st = noise_nodes (&b);
  if (st == 0 && (op = sde__problem_new ("expression", b.d, b.r)) == NULL)
    st = GSL_ENOMEM;
  if (st == 0)
    st = assemble (&b, op);
  if (st == 0)
    st = sde__problem_analyse (&op->pb);
  build_free (&b);
  if (st)
    {
      sde_problem_free (op ? &op->pb : NULL);
      return NULL;
    }
  return &op->pb;
}

/* The value of a key: from after its '=' to the ',' before the next key
   (values never hold '=', so the keys are found by it).  */
static int
next_key (const char *s, size_t *pos, int *key, char **value)
{
  static const char *const keys[] = { "loss", "cov", "factor", "x0" };
  const char *at = s + *pos, *eq = strchr (at, '=');
  while (blank (*at))
    at++;
  if (eq == NULL)
    return sde_error (GSL_EINVAL, "expr: expected key=value at '%s'",
                      sde_q (at));
  const char *kend = eq;
  while (kend > at && blank (kend[-1]))
    kend--;
  *key = -1;
  for (int k = 0; k < 4; k++)
    if ((size_t)(kend - at) == strlen (keys[k])
        && memcmp (at, keys[k], strlen (keys[k])) == 0)
      *key = k;
  if (*key < 0)
    return sde_error (GSL_EINVAL,
                      "expr: unknown key '%.*s' (loss, cov, factor, x0)",
                      kend - at > 24 ? 24 : (int)(kend - at), at);
  /* The next key is the word before the next '=', after a ','.  */
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
        return sde_error (GSL_EINVAL, "expr: expected ',' before '%s'",
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

sde_problem *
sde_problem_alloc_expr_text (const char *text)
{
  static const char *const keys[] = { "loss", "cov", "factor", "x0" };
  if (text == NULL)
    GSL_ERROR_NULL ("no expression problem to allocate", GSL_EINVAL);
  const char *s = strncmp (text, "expr:", 5) == 0 ? text + 5 : text;
  const size_t len = strlen (s);
  if (len >= 3 && strcmp (s + len - 3, "...") == 0)
    {
      sde_error (GSL_EINVAL, "expr: the text ends in '...': a specification "
                             "cut to fit cannot be read back");
      return NULL;
    }
  char *val[4] = { NULL, NULL, NULL, NULL };
  size_t pos = 0;
  int st = GSL_SUCCESS;
  while (st == 0 && s[pos])
    {
      int key = 0;
      char *v = NULL;
      st = next_key (s, &pos, &key, &v);
      if (st == 0 && val[key])
        st = sde_error (GSL_EINVAL, "expr: %s given twice", keys[key]);
      if (st == 0)
        val[key] = v;
      else
        free (v);
    }
  if (st == 0 && val[0] == NULL)
    st = sde_error (GSL_EINVAL, "expr: no loss=... in '%s'", sde_q (text));
  sde_problem *pb = NULL;
  if (st == 0)
    {
      sde_problem_expr_spec spec = { val[0], val[1], val[2], val[3] };
      pb = sde_problem_alloc_expr_spec (&spec);
    }
  for (int k = 0; k < 4; k++)
    free (val[k]);
  return pb;
}

sde_problem *
sde_problem_alloc_expr (const char *expr, double s, const char *x0)
{
  if (!(s >= 0) || !isfinite (s))
    {
      sde_error (GSL_EINVAL, "noise variance s=%g must be finite and >= 0", s);
      return NULL;
    }
  char cov[32];
  shortest (s, cov);
  sde_problem_expr_spec spec = { expr, cov, NULL, x0 };
  return sde_problem_alloc_expr_spec (&spec);
}
