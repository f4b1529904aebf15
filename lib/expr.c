/* expr.c: the expression compiler of expr.h: a recursive-descent parser,
   hash-consed nodes with a local simplifier (Ershov, CACM 1(8), 1958),
   symbolic differentiation, a canonical printer, and compilation to one
   block program with registers reused after their last use (Poletto &
   Sarkar, ACM TOPLAS 21(5), 1999).  */
#include <config.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/expr.h"
#include "sdekit/spec.h"
#include "simd.h"

#define CHUNK_NODES 1024
#define MAXNEST 256 /* parser recursion: parentheses, signs, exponents */
#define QUOTE_MAX 32

/* ---- Operations and their one definition of meaning. ---- */

enum
{
  OP_CONST,
  OP_VAR,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_POW,
  OP_NEG,
  OP_EXP, /* functions from here on, in the order of fn_names */
  OP_LOG,
  OP_SQRT,
  OP_SIN,
  OP_COS,
  OP_TAN,
  OP_SINH,
  OP_COSH,
  OP_TANH,
  OP_ASIN,
  OP_ACOS,
  OP_ATAN,
  OP_ABS,
  OP_SIGN
};

static const char *const fn_names[]
    = { "exp",  "log",  "sqrt", "sin",  "cos",  "tan", "sinh",
        "cosh", "tanh", "asin", "acos", "atan", "abs", "sign" };
#define NFN (sizeof fn_names / sizeof fn_names[0])

/* Kernels: what a program runs.  Folding and the scalar pass run the same
   C operations as the block loops, so a value never depends on where it
   was computed.  */
enum
{
  K_ADD,
  K_SUB,
  K_MUL,
  K_DIV,
  K_ADDS, /* a + c*b: a sum with a fused scalar product (loops only) */
  K_SUBS, /* a - c*b */
  K_MULS, /* c*(a*b): a scaled product of two rows (loops only) */
  K_POW,  /* the binary kernels end here */
  K_NEG,
  K_ABS,
  K_SIGN,
  K_SQRT,
  K_SQ,
  K_CUBE,
  K_P4,
  K_INV,
  K_INV2,
  K_RSQRT,
  K_POWC,
  K_FN,
  K_COPY
};

static double
sign_d (double u)
{
  return u > 0 ? 1.0 : u < 0 ? -1.0 : u;
}

typedef double (*fn1_t) (double);

/* Called through this table, so the compiler cannot swap in vector
   variants whose last bits differ between instruction sets.  */
static const fn1_t fn_table[] = { exp,  log,  sqrt, sin,  cos,  tan,  sinh,
                                  cosh, tanh, asin, acos, atan, fabs, sign_d };

static double
apply1 (int k, double a, double b, size_t fn)
{
  switch (k)
    {
    case K_ADD:
      return a + b;
    case K_SUB:
      return a - b;
    case K_MUL:
      return a * b;
    case K_DIV:
      return a / b;
    case K_POW:
    case K_POWC:
      return pow (a, b);
    case K_NEG:
      return -a;
    case K_ABS:
      return fabs (a);
    case K_SIGN:
      return sign_d (a);
    case K_SQRT:
      return sqrt (a);
    case K_SQ:
      return a * a;
    case K_CUBE:
      return a * a * a;
    case K_P4:
      {
        double s = a * a;
        return s * s;
      }
    case K_INV:
      return 1 / a;
    case K_INV2:
      return 1 / (a * a);
    case K_RSQRT:
      return 1 / sqrt (a);
    case K_FN:
      return fn_table[fn](a);
    default:
      return a;
    }
}

static int
is_digit (int c)
{
  return c >= '0' && c <= '9';
}

static int
is_word (int c)
{
  return is_digit (c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || c == '_';
}

/* At most QUOTE_MAX characters of S[0..n) with control and non-ASCII bytes
   escaped, so a message is one printable line.  */
static const char *
quote (char buf[4 * QUOTE_MAX + 8], const char *s, size_t n)
{
  size_t pos = 0;
  for (size_t i = 0; i < n && i < QUOTE_MAX; i++)
    {
      const unsigned char c = (unsigned char)s[i];
      if (c == '\n' || c == '\t' || c == '\r' || c == '\\')
        {
          buf[pos++] = '\\';
          buf[pos++] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : c;
        }
      else if (c < 0x20 || c >= 0x7f)
        pos += (size_t)sprintf (buf + pos, "\\x%02x", c);
      else
        buf[pos++] = (char)c;
    }
  if (n > QUOTE_MAX)
    pos += (size_t)sprintf (buf + pos, "...");
  buf[pos] = '\0';
  return buf;
}

/* ---- Nodes and the context. ---- */

struct sde_expr
{
  sde_expr *next; /* hash chain */
  const sde_expr_ctx *ctx;
  const sde_expr *a, *b;
  double value; /* OP_CONST */
  size_t var;   /* OP_VAR */
  uint64_t hash;
  size_t id;            /* creation order: operands have smaller ids */
  size_t plen;          /* printed length, saturating */
  size_t depth;         /* 1 for a leaf */
  const sde_expr *memo; /* sde_expr_diff's, valid when stamp == epoch */
  uint64_t stamp;
  int op;
  uint64_t deps[]; /* bit k: depends on variable k */
};

struct sde_expr_ctx
{
  size_t nblock, nscalar, nvar, nwords, stride;
  char **names;
  size_t *namelen;
  char hint[96]; /* "x0..x9, t" for messages */
  locale_t cloc;
  unsigned char **chunks;
  size_t nchunks, capchunks, used; /* nodes used in the last chunk */
  sde_expr **tab;
  size_t tabmask, count;
  uint64_t epoch;
};

/* The kernel computing node op OP with second operand B (for ^).  */
static int
kern_select (int op, const sde_expr *b, size_t *fn)
{
  *fn = 0;
  switch (op)
    {
    case OP_ADD:
      return K_ADD;
    case OP_SUB:
      return K_SUB;
    case OP_MUL:
      return K_MUL;
    case OP_DIV:
      return K_DIV;
    case OP_NEG:
      return K_NEG;
    case OP_ABS:
      return K_ABS;
    case OP_SIGN:
      return K_SIGN;
    case OP_SQRT:
      return K_SQRT;
    case OP_POW:
      if (b->op != OP_CONST)
        return K_POW;
      {
        const double c = b->value;
        return c == 2      ? K_SQ
               : c == 3    ? K_CUBE
               : c == 4    ? K_P4
               : c == -1   ? K_INV
               : c == -2   ? K_INV2
               : c == 0.5  ? K_SQRT
               : c == -0.5 ? K_RSQRT
                           : K_POWC;
      }
    default:
      *fn = (size_t)(op - OP_EXP);
      return K_FN;
    }
}

static uint64_t
fmix (uint64_t z)
{
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t
dbits (double v)
{
  uint64_t u;
  memcpy (&u, &v, sizeof u);
  return u;
}

static size_t
sat_add (size_t a, size_t b)
{
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* The text of a finite or special constant: the shortest of %.15g, %.16g
   and %.17g that reads back to the same double; specials as quotients
   that fold back to them.  */
static size_t
const_text (const sde_expr_ctx *ctx, double v, char buf[40])
{
  if (isnan (v))
    return (size_t)snprintf (buf, 40, "(0/0)");
  if (isinf (v))
    return (size_t)snprintf (buf, 40, v > 0 ? "(1/0)" : "(-1/0)");
  locale_t old = uselocale (ctx->cloc);
  int n = 0;
  for (int prec = 15; prec <= 17; prec++)
    {
      n = snprintf (buf, 40, "%.*g", prec, v);
      if (strtod (buf, NULL) == v)
        break;
    }
  uselocale (old);
  return (size_t)n;
}

/* Precedence levels for printing: 1 sums, 2 products, 3 negation (and
   negative numbers), 4 powers, 5 atoms.  */
static int
level (const sde_expr *e)
{
  switch (e->op)
    {
    case OP_CONST:
      return isfinite (e->value) && signbit (e->value) ? 3 : 5;
    case OP_VAR:
      return 5;
    case OP_ADD:
    case OP_SUB:
      return 1;
    case OP_MUL:
    case OP_DIV:
      return 2;
    case OP_NEG:
      return 3;
    case OP_POW:
      return 4;
    default:
      return 5;
    }
}

/* Whether operand SIDE (0 left, 1 right) of an OP node needs parentheses
   for the grammar to read the same tree back.  */
static int
needs_paren (int op, int side, const sde_expr *c)
{
  const int l = level (c);
  switch (op)
    {
    case OP_ADD:
    case OP_SUB:
      return side && l <= 1;
    case OP_MUL:
    case OP_DIV:
      return side ? l <= 2 : l < 2;
    case OP_NEG:
      return l < 3;
    case OP_POW:
      return side ? l < 3 : l < 5;
    default:
      return 0;
    }
}

static const char *
op_text (int op)
{
  switch (op)
    {
    case OP_ADD:
      return " + ";
    case OP_SUB:
      return " - ";
    case OP_MUL:
      return "*";
    case OP_DIV:
      return "/";
    case OP_POW:
      return "^";
    default:
      return "-";
    }
}

static size_t
operand_len (int op, int side, const sde_expr *c)
{
  return needs_paren (op, side, c) ? sat_add (c->plen, 2) : c->plen;
}

static size_t
node_plen (const sde_expr_ctx *ctx, const sde_expr *e)
{
  char buf[40];
  switch (e->op)
    {
    case OP_CONST:
      return const_text (ctx, e->value, buf);
    case OP_VAR:
      return ctx->namelen[e->var];
    case OP_NEG:
      return sat_add (1, operand_len (OP_NEG, 0, e->a));
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_POW:
      return sat_add (
          sat_add (operand_len (e->op, 0, e->a), strlen (op_text (e->op))),
          operand_len (e->op, 1, e->b));
    default:
      return sat_add (strlen (fn_names[e->op - OP_EXP]) + 2, e->a->plen);
    }
}

static int
grow_table (sde_expr_ctx *ctx)
{
  const size_t n = (ctx->tabmask + 1) * 2;
  sde_expr **tab = calloc (n, sizeof *tab);
  if (tab == NULL)
    return GSL_ENOMEM;
  for (size_t i = 0; i <= ctx->tabmask; i++)
    for (sde_expr *e = ctx->tab[i], *next; e; e = next)
      {
        next = e->next;
        e->next = tab[e->hash & (n - 1)];
        tab[e->hash & (n - 1)] = e;
      }
  free (ctx->tab);
  ctx->tab = tab;
  ctx->tabmask = n - 1;
  return GSL_SUCCESS;
}

static sde_expr *
new_node (sde_expr_ctx *ctx)
{
  if (ctx->nchunks == 0 || ctx->used == CHUNK_NODES)
    {
      if (ctx->nchunks == ctx->capchunks)
        {
          size_t cap = ctx->capchunks ? 2 * ctx->capchunks : 16;
          unsigned char **c = realloc (ctx->chunks, cap * sizeof *c);
          if (c == NULL)
            return NULL;
          ctx->chunks = c;
          ctx->capchunks = cap;
        }
      unsigned char *chunk = malloc (CHUNK_NODES * ctx->stride);
      if (chunk == NULL)
        return NULL;
      ctx->chunks[ctx->nchunks++] = chunk;
      ctx->used = 0;
    }
  return (sde_expr *)(ctx->chunks[ctx->nchunks - 1]
                      + ctx->used++ * ctx->stride);
}

/* The unique node (OP, A, B, VAR, VALUE): found in the table or made.  */
static const sde_expr *
intern (sde_expr_ctx *ctx, int op, const sde_expr *a, const sde_expr *b,
        size_t var, double value)
{
  uint64_t h = fmix ((uint64_t)op + 1);
  h = fmix (h ^ (uint64_t)var);
  h = fmix (h ^ dbits (value));
  h = fmix (h ^ (a ? a->hash : 0));
  h = fmix (h + (b ? b->hash : 0));
  for (const sde_expr *e = ctx->tab[h & ctx->tabmask]; e; e = e->next)
    if (e->hash == h && e->op == op && e->a == a && e->b == b && e->var == var
        && dbits (e->value) == dbits (value))
      return e;
  if (ctx->count > ctx->tabmask && grow_table (ctx) != GSL_SUCCESS)
    goto nomem;
  sde_expr *e = new_node (ctx);
  if (e == NULL)
    goto nomem;
  e->ctx = ctx;
  e->op = op;
  e->a = a;
  e->b = b;
  e->var = var;
  e->value = value;
  e->hash = h;
  e->id = ctx->count++;
  e->memo = NULL;
  e->stamp = 0;
  e->depth = 1 + (a ? a->depth : 0);
  if (b && b->depth >= e->depth)
    e->depth = b->depth + 1;
  for (size_t w = 0; w < ctx->nwords; w++)
    e->deps[w] = (a ? a->deps[w] : 0) | (b ? b->deps[w] : 0);
  if (op == OP_VAR)
    e->deps[var / 64] |= UINT64_C (1) << (var % 64);
  e->plen = node_plen (ctx, e);
  e->next = ctx->tab[h & ctx->tabmask];
  ctx->tab[h & ctx->tabmask] = e;
  return e;
nomem:
  sde_error (GSL_ENOMEM, "out of memory for expression nodes");
  return NULL;
}

static int
is_ident (const char *s)
{
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
    return 0;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'
          || (*s >= '0' && *s <= '9')))
      return 0;
  return 1;
}

static int
reserved (const char *s)
{
  for (size_t i = 0; i < NFN; i++)
    if (strcmp (s, fn_names[i]) == 0)
      return 1;
  return strcmp (s, "pi") == 0 || strcmp (s, "e") == 0;
}

/* Splits NAME into a prefix and a decimal suffix without leading zeros;
   returns the prefix length, or 0 when there is no such suffix.  */
static size_t
name_index (const char *name, size_t len, size_t *num)
{
  size_t i = len;
  while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
    i--;
  if (i == len || i == 0 || len - i > 9 || (name[i] == '0' && len - i > 1))
    return 0;
  *num = (size_t)strtoul (name + i, NULL, 10);
  return i;
}

/* Whether names A and B are p<n> and p<n+1>.  */
static int
consecutive (const char *a, size_t la, const char *b, size_t lb)
{
  size_t na = 0, nb = 0;
  size_t pa = name_index (a, la, &na), pb = name_index (b, lb, &nb);
  return pa && pa == pb && memcmp (a, b, pa) == 0 && nb == na + 1;
}

/* "x0..x9, t": the variables for messages, runs of three or more
   consecutive names shortened.  */
static void
build_hint (sde_expr_ctx *ctx)
{
  char *h = ctx->hint;
  const size_t cap = sizeof ctx->hint;
  size_t pos = 0;
  h[0] = '\0';
  if (ctx->nvar == 0)
    snprintf (h, cap, "none");
  for (size_t i = 0, j; i < ctx->nvar; i = j)
    {
      for (j = i + 1; j < ctx->nvar
                      && consecutive (ctx->names[j - 1], ctx->namelen[j - 1],
                                      ctx->names[j], ctx->namelen[j]);
           j++)
        ;
      char item[80];
      if (j - i >= 3)
        snprintf (item, sizeof item, "%.36s..%.36s", ctx->names[i],
                  ctx->names[j - 1]);
      else
        {
          snprintf (item, sizeof item, "%.36s", ctx->names[i]);
          j = i + 1;
        }
      size_t need = strlen (item) + (pos ? 2 : 0);
      if (pos + need + 5 > cap)
        {
          snprintf (h + pos, cap - pos, ", ...");
          return;
        }
      pos += (size_t)snprintf (h + pos, cap - pos, "%s%s", pos ? ", " : "",
                               item);
    }
}

static int
set_names (sde_expr_ctx *ctx, const char *const *names)
{
  for (size_t k = 0; k < ctx->nvar; k++)
    {
      char dflt[32];
      const char *s = dflt;
      if (names)
        s = names[k];
      else if (k < ctx->nblock)
        snprintf (dflt, sizeof dflt, "x%zu", k);
      else if (ctx->nscalar == 1)
        snprintf (dflt, sizeof dflt, "t");
      else
        snprintf (dflt, sizeof dflt, "t%zu", k - ctx->nblock);
      if (s == NULL || !is_ident (s) || reserved (s))
        {
          char q[4 * QUOTE_MAX + 8];
          return sde_error (GSL_EINVAL,
                            "variable name '%s' is not an identifier or is "
                            "reserved",
                            s ? quote (q, s, strlen (s)) : "(null)");
        }
      for (size_t j = 0; j < k; j++)
        if (strcmp (s, ctx->names[j]) == 0)
          return sde_error (GSL_EINVAL, "variable name '%.32s' given twice", s);
      if ((ctx->names[k] = strdup (s)) == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for variable names");
      ctx->namelen[k] = strlen (s);
    }
  return GSL_SUCCESS;
}

sde_expr_ctx *
sde_expr_ctx_alloc (size_t nblock, size_t nscalar, const char *const *names)
{
  sde_expr_ctx *ctx = calloc (1, sizeof *ctx);
  if (ctx == NULL)
    {
      sde_error (GSL_ENOMEM, "out of memory for an expression context");
      return NULL;
    }
  ctx->nblock = nblock;
  ctx->nscalar = nscalar;
  ctx->nvar = nblock + nscalar;
  ctx->nwords = (ctx->nvar + 63) / 64;
  ctx->stride = offsetof (sde_expr, deps) + ctx->nwords * sizeof (uint64_t);
  ctx->tabmask = 1023;
  ctx->names = calloc (ctx->nvar + 1, sizeof *ctx->names);
  ctx->namelen = calloc (ctx->nvar + 1, sizeof *ctx->namelen);
  ctx->tab = calloc (ctx->tabmask + 1, sizeof *ctx->tab);
  ctx->cloc = newlocale (LC_ALL_MASK, "C", (locale_t)0);
  if (!ctx->names || !ctx->namelen || !ctx->tab || !ctx->cloc)
    {
      sde_expr_ctx_free (ctx);
      sde_error (GSL_ENOMEM, "out of memory for an expression context");
      return NULL;
    }
  if (set_names (ctx, names) != GSL_SUCCESS)
    {
      sde_expr_ctx_free (ctx);
      return NULL;
    }
  build_hint (ctx);
  return ctx;
}

void
sde_expr_ctx_free (sde_expr_ctx *ctx)
{
  if (ctx == NULL)
    return;
  for (size_t k = 0; ctx->names && k < ctx->nvar; k++)
    free (ctx->names[k]);
  free (ctx->names);
  free (ctx->namelen);
  for (size_t i = 0; i < ctx->nchunks; i++)
    free (ctx->chunks[i]);
  free (ctx->chunks);
  free (ctx->tab);
  if (ctx->cloc)
    freelocale (ctx->cloc);
  free (ctx);
}

/* ---- The simplifier.  Every node is made here, so every node is folded
   and in normal form: constants left in products and right in sums,
   negations pulled out of products, like terms collected. ---- */

static const sde_expr *mk_add (sde_expr_ctx *, const sde_expr *,
                               const sde_expr *);
static const sde_expr *mk_sub (sde_expr_ctx *, const sde_expr *,
                               const sde_expr *);
static const sde_expr *mk_mul (sde_expr_ctx *, const sde_expr *,
                               const sde_expr *);
static const sde_expr *mk_neg (sde_expr_ctx *, const sde_expr *);

static const sde_expr *
mk_const (sde_expr_ctx *ctx, double v)
{
  /* One NaN, whatever its payload, so NaN constants print and read back
     as one node.  */
  if (isnan (v))
    v = NAN;
  return intern (ctx, OP_CONST, NULL, NULL, 0, v);
}

static int
is_c (const sde_expr *e, double v)
{
  return e->op == OP_CONST && e->value == v;
}

static int
is_int (const sde_expr *e)
{
  return e->op == OP_CONST && fabs (e->value) <= 1e9
         && e->value == nearbyint (e->value);
}

/* Folds OP over constant operands with the kernel a program would run.  */
static const sde_expr *
fold (sde_expr_ctx *ctx, int op, const sde_expr *a, const sde_expr *b)
{
  size_t fn;
  const int k = kern_select (op, b, &fn);
  return mk_const (ctx, apply1 (k, a->value, b ? b->value : 0, fn));
}

/* T as c*r: the constant coefficient and the rest.  */
static const sde_expr *
coef (const sde_expr *t, double *c)
{
  if (t->op == OP_MUL && t->a->op == OP_CONST)
    {
      *c = t->a->value;
      return t->b;
    }
  *c = 1;
  return t;
}

static int
ordered_vars (const sde_expr *a, const sde_expr *b)
{
  return !(a->op == OP_VAR && b->op == OP_VAR && a->var > b->var);
}

static const sde_expr *
mk_add (sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  if (a == NULL || b == NULL)
    return NULL;
  if (a->op == OP_CONST && b->op == OP_CONST)
    return fold (ctx, OP_ADD, a, b);
  if (a->op == OP_CONST || !ordered_vars (a, b))
    {
      const sde_expr *t = a;
      a = b;
      b = t;
    }
  if (is_c (b, 0))
    return a;
  /* a + -y and -y + a are a - y, and a + (-c)*y is a - c*y, exactly.  */
  if (b->op == OP_NEG)
    return mk_sub (ctx, a, b->a);
  if (a->op == OP_NEG)
    return mk_sub (ctx, b, a->a);
  if (b->op == OP_CONST && b->value < 0)
    return mk_sub (ctx, a, fold (ctx, OP_NEG, b, NULL));
  if (b->op == OP_MUL && b->a->op == OP_CONST && b->a->value < 0)
    return mk_sub (ctx, a, mk_neg (ctx, b));
  if (b->op == OP_CONST && (a->op == OP_ADD || a->op == OP_SUB)
      && a->b->op == OP_CONST)
    return mk_add (ctx, a->a, fold (ctx, a->op, b, a->b));
  /* Constants move to the end of a sum, where they collect.  */
  if (b->op != OP_CONST && (a->op == OP_ADD || a->op == OP_SUB)
      && a->b->op == OP_CONST)
    return a->op == OP_ADD ? mk_add (ctx, mk_add (ctx, a->a, b), a->b)
                           : mk_sub (ctx, mk_add (ctx, a->a, b), a->b);
  if ((b->op == OP_ADD || b->op == OP_SUB) && b->b->op == OP_CONST)
    return b->op == OP_ADD ? mk_add (ctx, mk_add (ctx, a, b->a), b->b)
                           : mk_sub (ctx, mk_add (ctx, a, b->a), b->b);
  double ca, cb;
  const sde_expr *ra = coef (a, &ca), *rb = coef (b, &cb);
  if (ra == rb)
    return mk_mul (ctx, mk_const (ctx, ca + cb), ra);
  return intern (ctx, OP_ADD, a, b, 0, 0);
}

static const sde_expr *
mk_sub (sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  if (a == NULL || b == NULL)
    return NULL;
  if (a->op == OP_CONST && b->op == OP_CONST)
    return fold (ctx, OP_SUB, a, b);
  if (is_c (b, 0))
    return a;
  if (is_c (a, 0))
    return mk_neg (ctx, b);
  if (b->op == OP_NEG)
    return mk_add (ctx, a, b->a);
  if (b->op == OP_CONST && b->value < 0)
    return mk_add (ctx, a, fold (ctx, OP_NEG, b, NULL));
  if (b->op == OP_MUL && b->a->op == OP_CONST && b->a->value < 0)
    return mk_add (ctx, a, mk_neg (ctx, b));
  if (a->op == OP_NEG) /* -y - b = -(y + b) exactly */
    return mk_neg (ctx, mk_add (ctx, a->a, b));
  if (b->op == OP_CONST && (a->op == OP_ADD || a->op == OP_SUB)
      && a->b->op == OP_CONST)
    return a->op == OP_ADD ? mk_add (ctx, a->a, fold (ctx, OP_SUB, a->b, b))
                           : mk_sub (ctx, a->a, fold (ctx, OP_ADD, a->b, b));
  if (b->op != OP_CONST && (a->op == OP_ADD || a->op == OP_SUB)
      && a->b->op == OP_CONST)
    return a->op == OP_ADD ? mk_add (ctx, mk_sub (ctx, a->a, b), a->b)
                           : mk_sub (ctx, mk_sub (ctx, a->a, b), a->b);
  if ((b->op == OP_ADD || b->op == OP_SUB) && b->b->op == OP_CONST)
    return b->op == OP_ADD ? mk_sub (ctx, mk_sub (ctx, a, b->a), b->b)
                           : mk_add (ctx, mk_sub (ctx, a, b->a), b->b);
  double ca, cb;
  const sde_expr *ra = coef (a, &ca), *rb = coef (b, &cb);
  if (ra == rb)
    return mk_mul (ctx, mk_const (ctx, ca - cb), ra);
  return intern (ctx, OP_SUB, a, b, 0, 0);
}

static const sde_expr *mk_pow (sde_expr_ctx *, const sde_expr *,
                               const sde_expr *);

/* y^m * y^n = y^(m+n) for integers m, n (y alone counts as y^1).  */
static const sde_expr *
merge_powers (sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  const sde_expr *ya = a, *yb = b;
  double ma = 1, mb = 1;
  if (a->op == OP_POW && is_int (a->b))
    ya = a->a, ma = a->b->value;
  if (b->op == OP_POW && is_int (b->b))
    yb = b->a, mb = b->b->value;
  if (ya != yb || ya->op == OP_CONST)
    return NULL;
  return mk_pow (ctx, ya, mk_const (ctx, ma + mb));
}

static const sde_expr *
mk_mul (sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  if (a == NULL || b == NULL)
    return NULL;
  if (a->op == OP_CONST && b->op == OP_CONST)
    return fold (ctx, OP_MUL, a, b);
  if (b->op == OP_CONST || !ordered_vars (a, b))
    {
      const sde_expr *t = a;
      a = b;
      b = t;
    }
  if (is_c (a, 0))
    return a;
  if (is_c (a, 1))
    return b;
  if (is_c (a, -1))
    return mk_neg (ctx, b);
  if (a->op == OP_NEG)
    return mk_neg (ctx, mk_mul (ctx, a->a, b));
  if (b->op == OP_NEG)
    return mk_neg (ctx, mk_mul (ctx, a, b->a));
  double ca, cb;
  const sde_expr *ra = coef (a, &ca), *rb = coef (b, &cb);
  if (a->op == OP_CONST && rb != b)
    return mk_mul (ctx, fold (ctx, OP_MUL, a, b->a), rb);
  if (a->op != OP_CONST && (ra != a || rb != b))
    return mk_mul (ctx, mk_const (ctx, ca * cb), mk_mul (ctx, ra, rb));
  const sde_expr *m = merge_powers (ctx, a, b);
  if (m)
    return m;
  if (a->op == OP_MUL && (m = merge_powers (ctx, a->b, b)) != NULL)
    return mk_mul (ctx, a->a, m);
  if (a->op == OP_MUL && (m = merge_powers (ctx, a->a, b)) != NULL)
    return mk_mul (ctx, m, a->b);
  return intern (ctx, OP_MUL, a, b, 0, 0);
}

/* Whether dividing by C is multiplying by an exact reciprocal, so that
   u/C == u*(1/C) for every u.  */
static int
exact_reciprocal (double c)
{
  int ex;
  return isfinite (c) && c != 0 && fabs (frexp (c, &ex)) == 0.5
         && isnormal (1 / c);
}

static const sde_expr *
mk_div (sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  if (a == NULL || b == NULL)
    return NULL;
  if (a->op == OP_CONST && b->op == OP_CONST)
    return fold (ctx, OP_DIV, a, b);
  if (is_c (b, 1))
    return a;
  if (is_c (b, -1))
    return mk_neg (ctx, a);
  if (is_c (a, 0))
    return a;
  if (b->op == OP_CONST && exact_reciprocal (b->value))
    return mk_mul (ctx, mk_const (ctx, 1 / b->value), a);
  if (a->op == OP_NEG)
    return mk_neg (ctx, mk_div (ctx, a->a, b));
  if (b->op == OP_NEG)
    return mk_neg (ctx, mk_div (ctx, a, b->a));
  return intern (ctx, OP_DIV, a, b, 0, 0);
}

static const sde_expr *
mk_pow (sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  if (a == NULL || b == NULL)
    return NULL;
  if (a->op == OP_CONST && b->op == OP_CONST)
    return fold (ctx, OP_POW, a, b);
  if (is_c (b, 1))
    return a;
  if (is_c (b, 0) || is_c (a, 1))
    return mk_const (ctx, 1);
  if (a->op == OP_POW && is_int (a->b) && is_int (b))
    return mk_pow (ctx, a->a, mk_const (ctx, a->b->value * b->value));
  /* (-y)^n = y^n for even n: the kernels are even in u.  */
  if (a->op == OP_NEG && is_int (b) && fmod (b->value, 2) == 0)
    return mk_pow (ctx, a->a, b);
  return intern (ctx, OP_POW, a, b, 0, 0);
}

static const sde_expr *
mk_neg (sde_expr_ctx *ctx, const sde_expr *a)
{
  if (a == NULL)
    return NULL;
  switch (a->op)
    {
    case OP_CONST:
      return fold (ctx, OP_NEG, a, NULL);
    case OP_NEG:
      return a->a;
    case OP_SUB:
      return mk_sub (ctx, a->b, a->a);
    case OP_MUL:
    case OP_DIV:
      if (a->a->op == OP_CONST)
        {
          const sde_expr *c = fold (ctx, OP_NEG, a->a, NULL);
          return a->op == OP_MUL ? mk_mul (ctx, c, a->b)
                                 : mk_div (ctx, c, a->b);
        }
      break;
    default:
      break;
    }
  return intern (ctx, OP_NEG, a, NULL, 0, 0);
}

static const sde_expr *
mk_fn (sde_expr_ctx *ctx, int op, const sde_expr *a)
{
  if (a == NULL)
    return NULL;
  if (a->op == OP_CONST)
    return fold (ctx, op, a, NULL);
  if (op == OP_ABS && (a->op == OP_NEG || a->op == OP_ABS))
    return mk_fn (ctx, OP_ABS, a->a);
  return intern (ctx, op, a, NULL, 0, 0);
}

/* ---- Public builders. ---- */

static int
foreign (const sde_expr_ctx *ctx, const sde_expr *a, const sde_expr *b)
{
  if ((a && a->ctx != ctx) || (b && b->ctx != ctx))
    {
      sde_error (GSL_EINVAL, "expression node from another context");
      return 1;
    }
  return 0;
}

const sde_expr *
sde_expr_const (sde_expr_ctx *ctx, double value)
{
  return mk_const (ctx, value);
}

const sde_expr *
sde_expr_var (sde_expr_ctx *ctx, size_t var)
{
  if (var >= ctx->nvar)
    {
      sde_error (GSL_EINVAL, "variable %zu out of range (%zu variables)", var,
                 ctx->nvar);
      return NULL;
    }
  return intern (ctx, OP_VAR, NULL, NULL, var, 0);
}

#define BUILDER(name, fn)                                                      \
  const sde_expr *name (sde_expr_ctx *ctx, const sde_expr *a,                  \
                        const sde_expr *b)                                     \
  {                                                                            \
    return foreign (ctx, a, b) ? NULL : fn (ctx, a, b);                        \
  }
BUILDER (sde_expr_add, mk_add)
BUILDER (sde_expr_sub, mk_sub)
BUILDER (sde_expr_mul, mk_mul)
BUILDER (sde_expr_div, mk_div)
BUILDER (sde_expr_pow, mk_pow)
#undef BUILDER

const sde_expr *
sde_expr_neg (sde_expr_ctx *ctx, const sde_expr *a)
{
  return foreign (ctx, a, NULL) ? NULL : mk_neg (ctx, a);
}

static int
find_fn (const char *s, size_t len)
{
  for (size_t i = 0; i < NFN; i++)
    if (strlen (fn_names[i]) == len && memcmp (s, fn_names[i], len) == 0)
      return OP_EXP + (int)i;
  return -1;
}

const sde_expr *
sde_expr_func (sde_expr_ctx *ctx, const char *fname, const sde_expr *a)
{
  const int op = fname ? find_fn (fname, strlen (fname)) : -1;
  if (op < 0)
    {
      char q[4 * QUOTE_MAX + 8];
      sde_error (GSL_EINVAL, "unknown function '%s'",
                 fname ? quote (q, fname, strlen (fname)) : "(null)");
      return NULL;
    }
  return foreign (ctx, a, NULL) ? NULL : mk_fn (ctx, op, a);
}

int
sde_expr_is_const (const sde_expr *e, double *value)
{
  if (e == NULL || e->op != OP_CONST)
    return 0;
  if (value)
    *value = e->value;
  return 1;
}

int
sde_expr_depends (const sde_expr *e, size_t var)
{
  if (e == NULL || var >= e->ctx->nvar)
    return 0;
  return (int)((e->deps[var / 64] >> (var % 64)) & 1);
}

/* ---- Differentiation. ---- */

/* d f(u) / du for the functions, in terms of E = f(u) where that shares
   work with E itself.  */
static const sde_expr *
dfn (sde_expr_ctx *ctx, const sde_expr *e)
{
  const sde_expr *u = e->a, *one = mk_const (ctx, 1);
  switch (e->op)
    {
    case OP_EXP:
      return e;
    case OP_LOG:
      return mk_div (ctx, one, u);
    case OP_SQRT:
      return mk_div (ctx, one, mk_mul (ctx, mk_const (ctx, 2), e));
    case OP_SIN:
      return mk_fn (ctx, OP_COS, u);
    case OP_COS:
      return mk_neg (ctx, mk_fn (ctx, OP_SIN, u));
    case OP_TAN:
      return mk_add (ctx, one, mk_pow (ctx, e, mk_const (ctx, 2)));
    case OP_SINH:
      return mk_fn (ctx, OP_COSH, u);
    case OP_COSH:
      return mk_fn (ctx, OP_SINH, u);
    case OP_TANH:
      return mk_sub (ctx, one, mk_pow (ctx, e, mk_const (ctx, 2)));
    case OP_ASIN:
    case OP_ACOS:
      {
        const sde_expr *r = mk_div (
            ctx, one,
            mk_fn (ctx, OP_SQRT,
                   mk_sub (ctx, one, mk_pow (ctx, u, mk_const (ctx, 2)))));
        return e->op == OP_ASIN ? r : mk_neg (ctx, r);
      }
    case OP_ATAN:
      return mk_div (ctx, one,
                     mk_add (ctx, one, mk_pow (ctx, u, mk_const (ctx, 2))));
    case OP_ABS:
      return mk_fn (ctx, OP_SIGN, u);
    default: /* sign */
      return mk_const (ctx, 0);
    }
}

/* d(u^v) from DA = du and DB = dv (NULL when u or v does not depend on
   the variable).  */
static const sde_expr *
dpow (sde_expr_ctx *ctx, const sde_expr *e, const sde_expr *da,
      const sde_expr *db)
{
  const sde_expr *u = e->a, *v = e->b;
  if (db == NULL) /* v u^(v-1) u' */
    return mk_mul (
        ctx,
        mk_mul (ctx, v, mk_pow (ctx, u, mk_sub (ctx, v, mk_const (ctx, 1)))),
        da);
  const sde_expr *lg = mk_mul (ctx, db, mk_fn (ctx, OP_LOG, u));
  if (da == NULL) /* u^v log(u) v' */
    return mk_mul (ctx, e, lg);
  /* u^v (v' log u + v u'/u) */
  return mk_mul (ctx, e,
                 mk_add (ctx, lg, mk_div (ctx, mk_mul (ctx, v, da), u)));
}

/* d E from the derivatives of its operands (NULL: independent).  */
static const sde_expr *
drule (sde_expr_ctx *ctx, const sde_expr *e, const sde_expr *da,
       const sde_expr *db)
{
  const sde_expr *zero = mk_const (ctx, 0);
  switch (e->op)
    {
    case OP_ADD:
      return mk_add (ctx, da ? da : zero, db ? db : zero);
    case OP_SUB:
      return mk_sub (ctx, da ? da : zero, db ? db : zero);
    case OP_MUL:
      return mk_add (ctx, da ? mk_mul (ctx, da, e->b) : zero,
                     db ? mk_mul (ctx, e->a, db) : zero);
    case OP_DIV:
      if (db == NULL)
        return mk_div (ctx, da, e->b);
      /* u'/v - u v' / v^2 */
      return mk_sub (ctx, da ? mk_div (ctx, da, e->b) : zero,
                     mk_div (ctx, mk_mul (ctx, e->a, db),
                             mk_pow (ctx, e->b, mk_const (ctx, 2))));
    case OP_POW:
      return dpow (ctx, e, da, db);
    case OP_NEG:
      return mk_neg (ctx, da);
    default:
      return mk_mul (ctx, dfn (ctx, e), da);
    }
}

static int
depends_on (const sde_expr *e, size_t var)
{
  return (int)((e->deps[var / 64] >> (var % 64)) & 1);
}

/* The derivative of a dependent operand, already memoized, or NULL.  */
static const sde_expr *
memo_of (const sde_expr_ctx *ctx, const sde_expr *c, size_t var, int *ready)
{
  if (c == NULL || !depends_on (c, var))
    return NULL;
  if (c->stamp != ctx->epoch)
    *ready = 0;
  return c->memo;
}

/* Post-order over the dependent part of the DAG with an explicit stack,
   so deep left-nested sums cannot exhaust the C stack; each shared node
   is differentiated once per call.  */
const sde_expr *
sde_expr_diff (sde_expr_ctx *ctx, const sde_expr *e, size_t var)
{
  if (e == NULL || foreign (ctx, e, NULL))
    return NULL;
  if (var >= ctx->nvar)
    {
      sde_error (GSL_EINVAL, "variable %zu out of range (%zu variables)", var,
                 ctx->nvar);
      return NULL;
    }
  if (!depends_on (e, var))
    return mk_const (ctx, 0);
  ctx->epoch++;
  size_t cap = 64, sp = 0;
  const sde_expr **st = malloc (cap * sizeof *st), *res = NULL;
  if (st == NULL)
    goto nomem;
  st[sp++] = e;
  while (sp > 0)
    {
      sde_expr *n = (sde_expr *)st[sp - 1];
      if (n->stamp == ctx->epoch)
        {
          sp--;
          continue;
        }
      if (sp + 2 > cap)
        {
          const sde_expr **t = realloc (st, 2 * cap * sizeof *st);
          if (t == NULL)
            goto nomem;
          st = t;
          cap *= 2;
        }
      int ready = 1;
      const sde_expr *da = memo_of (ctx, n->a, var, &ready);
      const sde_expr *db = memo_of (ctx, n->b, var, &ready);
      if (!ready)
        {
          if (n->a && depends_on (n->a, var) && n->a->stamp != ctx->epoch)
            st[sp++] = n->a;
          if (n->b && depends_on (n->b, var) && n->b->stamp != ctx->epoch)
            st[sp++] = n->b;
          continue;
        }
      const sde_expr *d
          = n->op == OP_VAR ? mk_const (ctx, 1) : drule (ctx, n, da, db);
      if (d == NULL)
        goto done;
      n->memo = d;
      n->stamp = ctx->epoch;
      sp--;
    }
  res = e->memo;
  goto done;
nomem:
  sde_error (GSL_ENOMEM, "out of memory differentiating an expression");
done:
  free (st);
  return res;
}

/* ---- Printing. ---- */

typedef struct
{
  char *buf;
  size_t lim, pos; /* write at most lim characters */
} outbuf;

static void
put (outbuf *o, const char *s, size_t n)
{
  if (n > o->lim - o->pos)
    n = o->lim - o->pos;
  memcpy (o->buf + o->pos, s, n);
  o->pos += n;
}

typedef struct
{
  const sde_expr *e;
  int paren, state;
} pframe;

/* Emits what frame F owes before its next operand, pushing that operand;
   returns 0 when F is finished.  */
static int
print_step (const sde_expr_ctx *ctx, outbuf *o, pframe *f, pframe *next)
{
  const sde_expr *e = f->e;
  char tmp[40];
  const int nops = e->op <= OP_VAR ? 0 : e->b ? 2 : 1;
  if (f->state == 0)
    {
      if (f->paren)
        put (o, "(", 1);
      if (e->op == OP_CONST)
        put (o, tmp, const_text (ctx, e->value, tmp));
      else if (e->op == OP_VAR)
        put (o, ctx->names[e->var], ctx->namelen[e->var]);
      else if (e->op == OP_NEG)
        put (o, "-", 1);
      else if (e->op >= OP_EXP)
        {
          put (o, fn_names[e->op - OP_EXP], strlen (fn_names[e->op - OP_EXP]));
          put (o, "(", 1);
        }
    }
  else if (f->state == 1 && nops == 2)
    put (o, op_text (e->op), strlen (op_text (e->op)));
  if (f->state < nops)
    {
      const sde_expr *c = f->state == 0 ? e->a : e->b;
      next->e = c;
      next->paren = needs_paren (e->op, f->state, c);
      next->state = 0;
      f->state++;
      return 1;
    }
  if (e->op >= OP_EXP)
    put (o, ")", 1);
  if (f->paren)
    put (o, ")", 1);
  return 0;
}

size_t
sde_expr_print (const sde_expr_ctx *ctx, const sde_expr *e, char *buf,
                size_t len)
{
  if (len > 0)
    buf[0] = '\0';
  if (e == NULL || len == 0 || foreign (ctx, e, NULL))
    return e && e->ctx == ctx ? e->plen : 0;
  pframe local[64], *st = local;
  if (e->depth > 64 && (st = malloc (e->depth * sizeof *st)) == NULL)
    {
      sde_error (GSL_ENOMEM, "out of memory printing an expression");
      return 0;
    }
  outbuf o = { buf, len - 1, 0 };
  size_t sp = 1;
  st[0] = (pframe){ e, 0, 0 };
  while (sp > 0 && o.pos < o.lim)
    if (print_step (ctx, &o, &st[sp - 1], &st[sp]))
      sp++;
    else
      sp--;
  buf[o.pos] = '\0';
  if (st != local)
    free (st);
  return e->plen;
}

/* ---- Compilation. ---- */

/* Where an operand lives.  */
enum
{
  A_NONE,
  A_CONST,  /* the instruction's immediate */
  A_SCALAR, /* scalars[i] */
  A_UNI,    /* a once-per-call value */
  A_IN,     /* x row i */
  A_REG,    /* scratch row i */
  A_OUT     /* output row i */
};

typedef struct
{
  unsigned char kern, ka, kb, kc, kd;
  size_t d, a, b, c, fn;
  double ca, cb, cc; /* immediates; cc is K_ADDS's and K_SUBS's factor */
} ins;

struct sde_expr_prog
{
  size_t nout, nuni, nreg;
  size_t nsins, nvins, ncopy;
  int reads_x, reads_scalars;
  ins *sins; /* once per call, into uni[] */
  ins *vins; /* loops over the paths */
  ins *copy; /* outputs that are copies or constants */
};

/* Per node, by id, during compilation.  */
typedef struct
{
  int kind;           /* A_NONE (unreached), A_CONST, A_SCALAR, A_UNI, A_IN,
                         or A_REG / A_OUT for loop nodes */
  int loop;           /* computed by a loop over the paths */
  size_t slot;        /* uni slot, register, row or scalar index */
  size_t last;        /* the last loop instruction reading it */
  int homed;          /* has a slot */
  size_t rank;        /* place in the depth-first order */
  size_t uses;        /* distinct users */
  int fused;          /* a product computed inside its one user's loop */
  const sde_expr *fm; /* the product this sum computes inside */
} cinfo;

typedef struct
{
  const sde_expr_ctx *ctx;
  cinfo *info;
  const sde_expr **order; /* reached compound nodes by id */
  size_t norder;
  sde_expr_prog *prog;
} compiler;

static int
any_block (const sde_expr_ctx *ctx, const sde_expr *e)
{
  for (size_t k = 0; k < ctx->nblock; k += 64)
    {
      uint64_t w = e->deps[k / 64];
      if (ctx->nblock - k < 64)
        w &= (UINT64_C (1) << (ctx->nblock - k)) - 1;
      if (w)
        return 1;
    }
  return 0;
}

/* Lists the compound nodes the outputs reach in depth-first post-order,
   the deeper operand first: a topological order in which a value is made
   shortly before its use, so few are live at once (Sethi & Ullman, JACM
   17(4), 1970).  Creation order would not do: differentiating a long sum
   makes all its terms before the sum.  */
static int
reach (compiler *c, const sde_expr *const *e, size_t n)
{
  const sde_expr_ctx *ctx = c->ctx;
  struct
  {
    const sde_expr *e;
    int state;
  } *st = malloc ((ctx->count + 1) * sizeof *st);
  c->order = malloc ((ctx->count + 1) * sizeof *c->order);
  if (st == NULL || c->order == NULL)
    {
      free (st);
      return GSL_ENOMEM;
    }
  for (size_t k = 0; k < n; k++)
    {
      if (c->info[e[k]->id].kind != A_NONE)
        continue;
      size_t sp = 0;
      c->info[e[k]->id].kind = -1;
      st[sp].e = e[k];
      st[sp++].state = 0;
      while (sp > 0)
        {
          const sde_expr *x = st[sp - 1].e;
          if (st[sp - 1].state < 2)
            {
              const int deep_b = x->b && x->b->depth > x->a->depth;
              const sde_expr *next
                  = (st[sp - 1].state++ == 0) != deep_b ? x->a : x->b;
              if (next && c->info[next->id].kind == A_NONE)
                {
                  c->info[next->id].kind = -1;
                  st[sp].e = next;
                  st[sp++].state = 0;
                }
              continue;
            }
          sp--;
          if (x->op > OP_VAR)
            c->order[c->norder++] = x;
        }
    }
  free (st);
  return GSL_SUCCESS;
}

/* The distinct compound operands of X.  */
static int
compound_ops (const sde_expr *x, const sde_expr *ops[2])
{
  int n = 0;
  if (x->a && x->a->op > OP_VAR)
    ops[n++] = x->a;
  if (x->b && x->b != x->a && x->b->op > OP_VAR)
    ops[n++] = x->b;
  return n;
}

/* Reorders the depth-first list so that once a value is made, the users
   it completes are made next (a ready stack, depth-first rank breaking
   ties): outputs that share terms, such as a loss and its gradient, then
   advance together instead of one keeping every shared term alive for
   the next.  */
static int
schedule (compiler *c)
{
  const size_t n = c->norder;
  size_t *start = calloc (n + 2, sizeof *start);
  size_t *fillp = malloc ((n + 1) * sizeof *fillp);
  size_t *users = malloc ((2 * n + 1) * sizeof *users);
  size_t *pending = calloc (n + 1, sizeof *pending);
  size_t *stack = malloc ((n + 1) * sizeof *stack);
  const sde_expr **sorted = malloc ((n + 1) * sizeof *sorted);
  int status = GSL_ENOMEM;
  if (!start || !fillp || !users || !pending || !stack || !sorted)
    goto done;
  for (size_t i = 0; i < n; i++)
    c->info[c->order[i]->id].rank = i;
  const sde_expr *ops[2];
  for (size_t i = 0; i < n; i++)
    for (int j = compound_ops (c->order[i], ops); j-- > 0;)
      {
        start[c->info[ops[j]->id].rank + 1]++;
        pending[i]++;
      }
  for (size_t i = 0; i < n; i++)
    {
      start[i + 1] += start[i];
      c->info[c->order[i]->id].uses = start[i + 1] - start[i];
    }
  memcpy (fillp, start, n * sizeof *fillp);
  for (size_t i = 0; i < n; i++)
    for (int j = compound_ops (c->order[i], ops); j-- > 0;)
      users[fillp[c->info[ops[j]->id].rank]++] = i;
  size_t sp = 0, m = 0;
  for (size_t i = n; i-- > 0;)
    if (pending[i] == 0)
      stack[sp++] = i;
  while (sp > 0)
    {
      const size_t i = stack[--sp];
      sorted[m++] = c->order[i];
      for (size_t u = start[i + 1]; u-- > start[i];)
        if (--pending[users[u]] == 0)
          stack[sp++] = users[u];
    }
  memcpy (c->order, sorted, n * sizeof *sorted);
  status = GSL_SUCCESS;
done:
  free (start);
  free (fillp);
  free (users);
  free (pending);
  free (stack);
  free (sorted);
  return status;
}

/* Leaves, once-per-call nodes and loop nodes; loop outputs get their
   output row as home.  */
static void
classify (compiler *c, const sde_expr *const *e, size_t n)
{
  const sde_expr_ctx *ctx = c->ctx;
  sde_expr_prog *pg = c->prog;
  for (size_t k = 0; k < n; k++)
    {
      cinfo *ci = &c->info[e[k]->id];
      if (e[k]->op == OP_CONST)
        ci->kind = A_CONST;
      else if (e[k]->op == OP_VAR)
        {
          ci->kind = e[k]->var < ctx->nblock ? A_IN : A_SCALAR;
          ci->slot
              = e[k]->var < ctx->nblock ? e[k]->var : e[k]->var - ctx->nblock;
        }
    }
  for (size_t i = 0; i < c->norder; i++)
    {
      const sde_expr *x = c->order[i];
      cinfo *ci = &c->info[x->id];
      const sde_expr *ops[2] = { x->a, x->b };
      for (int j = 0; j < 2; j++)
        if (ops[j] && ops[j]->op <= OP_VAR)
          {
            cinfo *cj = &c->info[ops[j]->id];
            const int in = ops[j]->op == OP_VAR && ops[j]->var < ctx->nblock;
            cj->kind = ops[j]->op == OP_CONST ? A_CONST : in ? A_IN : A_SCALAR;
            cj->slot = ops[j]->op == OP_CONST ? 0
                       : in                   ? ops[j]->var
                                              : ops[j]->var - ctx->nblock;
          }
      if (any_block (ctx, x))
        {
          ci->loop = 1;
          ci->kind = A_REG;
        }
      else
        {
          ci->kind = A_UNI;
          ci->slot = pg->nuni++;
          ci->homed = 1;
        }
    }
  for (size_t k = 0; k < n; k++)
    {
      cinfo *ci = &c->info[e[k]->id];
      if (ci->loop && !ci->homed)
        {
          ci->kind = A_OUT;
          ci->slot = k;
          ci->homed = 1;
        }
    }
}

static int
is_row (const compiler *c, const sde_expr *x)
{
  const int k = c->info[x->id].kind;
  return k == A_IN || k == A_REG || k == A_OUT;
}

/* u + c*v and u - c*v, where c is a scalar and the product has no other
   user, become one loop: linear combinations such as the gradient of a
   quadratic take one pass per term.  So does c*(u*v) of two rows, such as
   2*((x0^2 + x1^2 - 1)*x0).  The loop still rounds the product and the
   sum apart (the build keeps -ffp-contract=off), so the bits are those of
   two loops.  A product with a fused product of its own is not fused
   again.  */
static void
fuse (compiler *c)
{
  for (size_t i = 0; i < c->norder; i++)
    {
      const sde_expr *x = c->order[i];
      if (!c->info[x->id].loop
          || (x->op != OP_ADD && x->op != OP_SUB && x->op != OP_MUL))
        continue;
      for (int side = 1; side >= (x->op == OP_SUB ? 1 : 0); side--)
        {
          const sde_expr *m = side ? x->b : x->a, *u = side ? x->a : x->b;
          cinfo *cm = &c->info[m->id];
          const int scaled = x->op == OP_MUL;
          if (m->op != OP_MUL || m == u || cm->kind != A_REG || cm->uses != 1
              || cm->fm != NULL
              || (scaled
                      ? is_row (c, u) || !is_row (c, m->a) || !is_row (c, m->b)
                      : is_row (c, m->a) == is_row (c, m->b)))
            continue;
          cm->fused = 1;
          c->info[x->id].fm = m;
          break;
        }
    }
}

/* The nodes the instruction of X reads: with a fused product, the other
   term (or the scalar factor of K_MULS) and the product's two operands.  */
static void
ins_nodes (const compiler *c, const sde_expr *x, const sde_expr *ops[3])
{
  const sde_expr *m = c->info[x->id].fm;
  ops[0] = m == NULL ? x->a : m == x->b ? x->a : x->b;
  ops[1] = m == NULL ? (x->b == x->a ? NULL : x->b) : m->a;
  ops[2] = m == NULL ? NULL : m->b;
}

static void
operand (const compiler *c, const sde_expr *x, unsigned char *kind,
         size_t *slot, double *imm)
{
  const cinfo *ci = &c->info[x->id];
  *kind = (unsigned char)ci->kind;
  *slot = ci->slot;
  *imm = x->op == OP_CONST ? x->value : 0;
  if (ci->kind == A_IN)
    c->prog->reads_x = 1;
  if (ci->kind == A_SCALAR)
    c->prog->reads_scalars = 1;
}

static ins
make_ins (const compiler *c, const sde_expr *x)
{
  ins in;
  memset (&in, 0, sizeof in);
  const sde_expr *m = c->info[x->id].fm;
  if (m)
    {
      const sde_expr *u = m == x->b ? x->a : x->b;
      if (x->op == OP_MUL)
        {
          in.kern = K_MULS;
          operand (c, m->a, &in.ka, &in.a, &in.ca);
          operand (c, m->b, &in.kb, &in.b, &in.cb);
          operand (c, u, &in.kc, &in.c, &in.cc);
          return in;
        }
      const int ra = is_row (c, m->a);
      in.kern = x->op == OP_ADD ? K_ADDS : K_SUBS;
      operand (c, u, &in.ka, &in.a, &in.ca);
      operand (c, ra ? m->a : m->b, &in.kb, &in.b, &in.cb);
      operand (c, ra ? m->b : m->a, &in.kc, &in.c, &in.cc);
      return in;
    }
  in.kern = (unsigned char)kern_select (x->op, x->b, &in.fn);
  operand (c, x->a, &in.ka, &in.a, &in.ca);
  if (x->b)
    operand (c, x->b, &in.kb, &in.b, &in.cb);
  if (in.kern > K_POW) /* unary: an exponent stays as the immediate */
    in.kb = A_NONE;
  return in;
}

/* Emits the instructions in topological order; loop results take a
   register, and operands' registers are freed after the destination is
   chosen, so no loop reads the row it writes.  */
static int
emit (compiler *c)
{
  sde_expr_prog *pg = c->prog;
  size_t *freeregs = malloc ((c->norder + 1) * sizeof *freeregs), nfree = 0;
  pg->sins = malloc ((c->norder + 1) * sizeof *pg->sins);
  pg->vins = malloc ((c->norder + 1) * sizeof *pg->vins);
  if (!freeregs || !pg->sins || !pg->vins)
    {
      free (freeregs);
      return GSL_ENOMEM;
    }
  for (size_t i = 0; i < c->norder; i++)
    {
      const sde_expr *x = c->order[i], *ops[3];
      if (!c->info[x->id].loop || c->info[x->id].fused)
        continue;
      ins_nodes (c, x, ops);
      for (int j = 0; j < 3; j++)
        if (ops[j])
          c->info[ops[j]->id].last = pg->nvins;
      pg->nvins++;
    }
  pg->nvins = 0;
  for (size_t i = 0; i < c->norder; i++)
    {
      const sde_expr *x = c->order[i];
      cinfo *ci = &c->info[x->id];
      if (!ci->loop)
        {
          ins in = make_ins (c, x);
          in.kd = A_UNI;
          in.d = ci->slot;
          pg->sins[pg->nsins++] = in;
          continue;
        }
      if (ci->fused)
        continue;
      if (!ci->homed)
        {
          ci->slot = nfree > 0 ? freeregs[--nfree] : pg->nreg++;
          ci->homed = 1;
        }
      ins in = make_ins (c, x);
      in.kd = (unsigned char)ci->kind;
      in.d = ci->slot;
      const sde_expr *ops[3];
      ins_nodes (c, x, ops);
      for (int j = 0; j < 3; j++)
        if (ops[j] && c->info[ops[j]->id].kind == A_REG
            && c->info[ops[j]->id].last == pg->nvins
            && (j == 0 || ops[j] != ops[0]) && (j < 2 || ops[2] != ops[1]))
          freeregs[nfree++] = c->info[ops[j]->id].slot;
      pg->vins[pg->nvins++] = in;
    }
  free (freeregs);
  return GSL_SUCCESS;
}

/* Outputs not written by their own loop: constants, once-per-call values,
   variables and repeats.  */
static int
emit_copies (compiler *c, const sde_expr *const *e, size_t n)
{
  sde_expr_prog *pg = c->prog;
  pg->copy = malloc ((n + 1) * sizeof *pg->copy);
  if (pg->copy == NULL)
    return GSL_ENOMEM;
  for (size_t k = 0; k < n; k++)
    {
      const cinfo *ci = &c->info[e[k]->id];
      if (ci->kind == A_OUT && ci->slot == k)
        continue;
      ins in;
      memset (&in, 0, sizeof in);
      in.kern = K_COPY;
      operand (c, e[k], &in.ka, &in.a, &in.ca);
      in.kd = A_OUT;
      in.d = k;
      pg->copy[pg->ncopy++] = in;
    }
  return GSL_SUCCESS;
}

sde_expr_prog *
sde_expr_compile (const sde_expr_ctx *ctx, const sde_expr *const *e, size_t n)
{
  if (ctx == NULL || (e == NULL && n > 0))
    {
      sde_error (GSL_EINVAL, "no expressions to compile");
      return NULL;
    }
  for (size_t k = 0; k < n; k++)
    if (e[k] == NULL || e[k]->ctx != ctx)
      {
        sde_error (GSL_EINVAL, "expression %zu is %s", k,
                   e[k] ? "from another context" : "NULL");
        return NULL;
      }
  compiler c = { ctx, calloc (ctx->count + 1, sizeof (cinfo)), NULL, 0,
                 calloc (1, sizeof (sde_expr_prog)) };
  int status = GSL_ENOMEM;
  if (c.info && c.prog)
    {
      c.prog->nout = n;
      status = reach (&c, e, n);
    }
  if (status == GSL_SUCCESS)
    status = schedule (&c);
  if (status == GSL_SUCCESS)
    {
      classify (&c, e, n);
      fuse (&c);
      status = emit (&c);
    }
  if (status == GSL_SUCCESS)
    status = emit_copies (&c, e, n);
  free (c.info);
  free (c.order);
  if (status != GSL_SUCCESS)
    {
      sde_expr_prog_free (c.prog);
      sde_error (GSL_ENOMEM, "out of memory compiling expressions");
      return NULL;
    }
  return c.prog;
}

void
sde_expr_prog_free (sde_expr_prog *prog)
{
  if (prog == NULL)
    return;
  free (prog->sins);
  free (prog->vins);
  free (prog->copy);
  free (prog);
}

void
sde_expr_prog_stats (const sde_expr_prog *prog, sde_expr_stats *st)
{
  st->nout = prog->nout;
  st->nvector = prog->nvins;
  st->nscalar = prog->nsins;
  st->ncopy = prog->ncopy;
  st->nreg = prog->nreg;
}

/* ---- Evaluation. ---- */

/* Scratch rows start on 64-byte multiples when the block is long.  */
static size_t
row_stride (size_t P)
{
  return P < 8 ? P : (P + 7) & ~(size_t)7;
}

size_t
sde_expr_prog_work (const sde_expr_prog *prog, size_t P)
{
  return prog->nreg * row_stride (P) + prog->nuni;
}

/* The loops.  Each case is one IEEE operation or one library call per
   element, exactly as in apply1.  They are inlined into exec's clones:
   one dispatch per program, not per instruction.  */
static inline void
loop_vv (int k, size_t P, double *restrict o, const double *restrict a,
         const double *restrict b, double c)
{
  switch (k)
    {
    case K_ADDS:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] + c * b[p];
      break;
    case K_SUBS:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] - c * b[p];
      break;
    case K_MULS:
      for (size_t p = 0; p < P; p++)
        o[p] = c * (a[p] * b[p]);
      break;
    case K_ADD:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] + b[p];
      break;
    case K_SUB:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] - b[p];
      break;
    case K_MUL:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] * b[p];
      break;
    case K_DIV:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] / b[p];
      break;
    default:
      for (size_t p = 0; p < P; p++)
        o[p] = pow (a[p], b[p]);
      break;
    }
}

static inline void
loop_vs (int k, size_t P, double *restrict o, const double *restrict a,
         double b)
{
  switch (k)
    {
    case K_ADD:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] + b;
      break;
    case K_SUB:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] - b;
      break;
    case K_MUL:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] * b;
      break;
    case K_DIV:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] / b;
      break;
    default:
      for (size_t p = 0; p < P; p++)
        o[p] = pow (a[p], b);
      break;
    }
}

static inline void
loop_sv (int k, size_t P, double *restrict o, double a,
         const double *restrict b, double c)
{
  switch (k)
    {
    case K_ADDS:
      for (size_t p = 0; p < P; p++)
        o[p] = a + c * b[p];
      break;
    case K_SUBS:
      for (size_t p = 0; p < P; p++)
        o[p] = a - c * b[p];
      break;
    case K_ADD:
      for (size_t p = 0; p < P; p++)
        o[p] = a + b[p];
      break;
    case K_SUB:
      for (size_t p = 0; p < P; p++)
        o[p] = a - b[p];
      break;
    case K_MUL:
      for (size_t p = 0; p < P; p++)
        o[p] = a * b[p];
      break;
    case K_DIV:
      for (size_t p = 0; p < P; p++)
        o[p] = a / b[p];
      break;
    default:
      for (size_t p = 0; p < P; p++)
        o[p] = pow (a, b[p]);
      break;
    }
}

/* Unary kernels; C is the exponent of K_POWC, FN the function of K_FN.  */
static inline void
loop_v (int k, size_t fn, size_t P, double *restrict o,
        const double *restrict a, double c)
{
  switch (k)
    {
    case K_NEG:
      for (size_t p = 0; p < P; p++)
        o[p] = -a[p];
      break;
    case K_ABS:
      for (size_t p = 0; p < P; p++)
        o[p] = fabs (a[p]);
      break;
    case K_SIGN:
      for (size_t p = 0; p < P; p++)
        o[p] = sign_d (a[p]);
      break;
    case K_SQRT:
      for (size_t p = 0; p < P; p++)
        o[p] = sqrt (a[p]);
      break;
    case K_SQ:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] * a[p];
      break;
    case K_CUBE:
      for (size_t p = 0; p < P; p++)
        o[p] = a[p] * a[p] * a[p];
      break;
    case K_P4:
      for (size_t p = 0; p < P; p++)
        {
          double s = a[p] * a[p];
          o[p] = s * s;
        }
      break;
    case K_INV:
      for (size_t p = 0; p < P; p++)
        o[p] = 1 / a[p];
      break;
    case K_INV2:
      for (size_t p = 0; p < P; p++)
        o[p] = 1 / (a[p] * a[p]);
      break;
    case K_RSQRT:
      for (size_t p = 0; p < P; p++)
        o[p] = 1 / sqrt (a[p]);
      break;
    case K_POWC:
      for (size_t p = 0; p < P; p++)
        o[p] = pow (a[p], c);
      break;
    case K_FN:
      {
        const fn1_t f = fn_table[fn];
        for (size_t p = 0; p < P; p++)
          o[p] = f (a[p]);
      }
      break;
    default:
      memcpy (o, a, P * sizeof *o);
      break;
    }
}

typedef struct
{
  size_t P, ldx, ldo, stride;
  const double *x, *scalars, *uni;
  double *out, *regs;
} frame;

/* The row an operand lives in, or NULL for a value broadcast as *S.  */
static const double *
row (const frame *f, int kind, size_t slot, double imm, double *s)
{
  switch (kind)
    {
    case A_IN:
      return f->x + slot * f->ldx;
    case A_REG:
      return f->regs + slot * f->stride;
    case A_OUT:
      return f->out + slot * f->ldo;
    case A_SCALAR:
      *s = f->scalars[slot];
      return NULL;
    case A_UNI:
      *s = f->uni[slot];
      return NULL;
    default:
      *s = imm;
      return NULL;
    }
}

/* Inlined, with the loops, into each of exec's clones.  */
static inline __attribute__ ((always_inline)) void
run (const frame *f, const ins *in)
{
  double sa = 0, sb = in->cb;
  const double *a = row (f, in->ka, in->a, in->ca, &sa);
  const double *b
      = in->kb == A_NONE ? NULL : row (f, in->kb, in->b, in->cb, &sb);
  double *o
      = in->kd == A_REG ? f->regs + in->d * f->stride : f->out + in->d * f->ldo;
  if (in->kern > K_POW)
    {
      if (a)
        loop_v (in->kern, in->fn, f->P, o, a, sb);
      else /* a copied or broadcast output */
        for (size_t p = 0; p < f->P; p++)
          o[p] = sa;
    }
  else
    {
      double sc = 0;
      if (in->kern == K_ADDS || in->kern == K_SUBS || in->kern == K_MULS)
        row (f, in->kc, in->c, in->cc, &sc);
      if (a && b)
        loop_vv (in->kern, f->P, o, a, b, sc);
      else if (a)
        loop_vs (in->kern, f->P, o, a, sb);
      else if (b)
        loop_sv (in->kern, f->P, o, sa, b, sc);
      else /* two broadcast operands (the compiler makes such a value in
              the scalar pass): the scalar pass's operation, broadcast */
        {
          const double v = apply1 (in->kern, sa, sb, in->fn);
          for (size_t p = 0; p < f->P; p++)
            o[p] = v;
        }
    }
}

/* The instructions IN[0..N) over the frame's block.  */
SDE_CLONES static void
exec (const frame *f, const ins *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    run (f, &in[i]);
}

int
sde_expr_prog_eval (const sde_expr_prog *prog, size_t P, const double *x,
                    size_t ldx, const double *scalars, double *out, size_t ldo,
                    double *work)
{
  if (prog == NULL)
    return sde_error (GSL_EINVAL, "no program to evaluate");
  if (P == 0)
    return GSL_SUCCESS;
  if ((prog->reads_x && (x == NULL || ldx < P))
      || (prog->nout > 0 && (out == NULL || ldo < P))
      || (prog->reads_scalars && scalars == NULL)
      || (work == NULL && sde_expr_prog_work (prog, P) > 0))
    return sde_error (GSL_EINVAL,
                      "expression program: missing array or leading "
                      "dimension below P = %zu",
                      P);
  frame f = { P, ldx, ldo, row_stride (P), x, scalars, NULL, out, work };
  double *uni = work + prog->nreg * f.stride;
  f.uni = uni;
  for (size_t i = 0; i < prog->nsins; i++)
    {
      const ins *in = &prog->sins[i];
      double a = 0, b = in->cb;
      row (&f, in->ka, in->a, in->ca, &a);
      if (in->kb != A_NONE)
        row (&f, in->kb, in->b, in->cb, &b);
      uni[in->d] = apply1 (in->kern, a, b, in->fn);
    }
  exec (&f, prog->vins, prog->nvins);
  exec (&f, prog->copy, prog->ncopy);
  return GSL_SUCCESS;
}

int
sde_expr_prog_eval1 (const sde_expr_prog *prog, const double *x,
                     const double *scalars, double *out, double *work)
{
  if (prog == NULL)
    return sde_error (GSL_EINVAL, "no program to evaluate");
  double local[64], *w = work;
  const size_t need = sde_expr_prog_work (prog, 1);
  if (w == NULL)
    w = need <= 64 ? local : malloc (need * sizeof *w);
  if (w == NULL)
    return sde_error (GSL_ENOMEM, "out of memory evaluating expressions");
  int status = sde_expr_prog_eval (prog, 1, x, 1, scalars, out, 1, w);
  if (w != work && w != local)
    free (w);
  return status;
}

/* ---- Parsing. ---- */

enum
{
  T_END = 256,
  T_NUM,
  T_ID
};

typedef struct
{
  sde_expr_ctx *ctx;
  const char *s;
  int tok;           /* T_END, T_NUM, T_ID or an operator character */
  size_t start, len; /* of the current token */
  double num;
  int nest;
  char *why; /* where a syntax error goes, or NULL: through gsl_error */
  size_t whylen;
} parser;

/* A syntax error: written to the caller's buffer when it gave one, so it
   can say which of several texts is bad, else reported.  Returns
   GSL_EINVAL.  */
static int perr (parser *ps, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
perr (parser *ps, const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (ps->why == NULL)
    return sde_error (GSL_EINVAL, "%s", buf);
  snprintf (ps->why, ps->whylen, "%s", buf);
  return GSL_EINVAL;
}

static int
lex_number (parser *ps)
{
  const char *s = ps->s;
  size_t i = ps->start, j = i, digits = 0;
  for (; is_digit (s[j]); j++)
    digits++;
  if (s[j] == '.')
    for (j++; is_digit (s[j]); j++)
      digits++;
  int bad_exp = 0;
  if (digits > 0 && (s[j] == 'e' || s[j] == 'E'))
    {
      size_t k = j + 1 + (s[j + 1] == '+' || s[j + 1] == '-');
      if (is_digit (s[k]))
        for (j = k; is_digit (s[j]); j++)
          ;
      else
        bad_exp = 1;
    }
  char q[4 * QUOTE_MAX + 8];
  if (digits == 0 || bad_exp || is_word (s[j]) || s[j] == '.')
    {
      const int hex = s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
      while (is_word (s[j]) || s[j] == '.')
        j++;
      return perr (ps, "malformed number '%s' at position %zu%s",
                   quote (q, s + i, j - i), i + 1,
                   hex       ? " (hexadecimal is not supported)"
                   : bad_exp ? " (the exponent has no digits)"
                             : "");
    }
  char *end;
  locale_t old = uselocale (ps->ctx->cloc);
  const double v = strtod (s + i, &end);
  uselocale (old);
  if (end != s + j || isinf (v))
    return perr (ps, "number '%s' at position %zu is %s",
                 quote (q, s + i, j - i), i + 1,
                 end != s + j ? "malformed" : "out of range");
  ps->tok = T_NUM;
  ps->num = v;
  ps->len = j - i;
  return GSL_SUCCESS;
}

/* Reads the next token; reports and returns nonzero on a bad one.  */
static int
lex (parser *ps)
{
  const char *s = ps->s;
  size_t i = ps->start + ps->len;
  while (s[i] == ' ' || s[i] == '\t')
    i++;
  ps->start = i;
  ps->len = 0;
  const int c = (unsigned char)s[i];
  if (c == '\0')
    {
      ps->tok = T_END;
      return GSL_SUCCESS;
    }
  if (is_digit (c) || c == '.')
    return lex_number (ps);
  if (is_word (c))
    {
      size_t j = i + 1;
      while (is_word (s[j]))
        j++;
      ps->tok = T_ID;
      ps->len = j - i;
      return GSL_SUCCESS;
    }
  if (strchr ("+-*/^()", c))
    {
      ps->tok = c;
      ps->len = 1;
      return GSL_SUCCESS;
    }
  char q[4 * QUOTE_MAX + 8];
  return perr (ps, "unknown character '%s' at position %zu",
               quote (q, s + i, 1), i + 1);
}

/* The current token for a message: 'text' or end of input.  */
static const char *
found (const parser *ps, char buf[4 * QUOTE_MAX + 16])
{
  char q[4 * QUOTE_MAX + 8];
  if (ps->tok == T_END)
    return "end of input";
  snprintf (buf, 4 * QUOTE_MAX + 16, "'%s'",
            quote (q, ps->s + ps->start, ps->len));
  return buf;
}

static int
enter (parser *ps)
{
  if (++ps->nest <= MAXNEST)
    return GSL_SUCCESS;
  return perr (ps, "expression nested deeper than %d levels at position %zu",
               MAXNEST, ps->start + 1);
}

static const sde_expr *p_expr (parser *ps);
static const sde_expr *p_unary (parser *ps);

/* The ')' closing the '(' at OPEN.  */
static int
expect_close (parser *ps, size_t open)
{
  char f[4 * QUOTE_MAX + 16];
  if (ps->tok == ')')
    return lex (ps);
  if (ps->tok == T_END)
    return perr (ps, "missing ')' for the '(' at position %zu", open + 1);
  return perr (ps,
               "expected ')' for the '(' at position %zu, found %s at "
               "position %zu",
               open + 1, found (ps, f), ps->start + 1);
}

/* A name: a function call, pi, e or a variable.  */
static const sde_expr *
p_name (parser *ps)
{
  const char *s = ps->s + ps->start;
  const size_t at = ps->start, len = ps->len;
  size_t k = at + len;
  while (ps->s[k] == ' ' || ps->s[k] == '\t')
    k++;
  const int op = find_fn (s, len);
  char q[4 * QUOTE_MAX + 8];
  if (ps->s[k] == '(')
    {
      if (op < 0)
        {
          perr (ps,
                "unknown function '%s' at position %zu (functions: "
                "exp log sqrt sin cos tan sinh cosh tanh asin acos "
                "atan abs sign)",
                quote (q, s, len), at + 1);
          return NULL;
        }
      if (lex (ps) || enter (ps))
        return NULL;
      const size_t open = ps->start;
      if (lex (ps))
        return NULL;
      const sde_expr *a = p_expr (ps);
      ps->nest--;
      if (a == NULL || expect_close (ps, open))
        return NULL;
      return mk_fn (ps->ctx, op, a);
    }
  if (op >= 0)
    {
      perr (ps,
            "function '%s' at position %zu needs its argument in "
            "parentheses",
            quote (q, s, len), at + 1);
      return NULL;
    }
  const sde_expr_ctx *ctx = ps->ctx;
  const sde_expr *e = NULL;
  if (len == 2 && memcmp (s, "pi", 2) == 0)
    e = mk_const (ps->ctx, 0x1.921fb54442d18p+1);
  else if (len == 1 && *s == 'e')
    e = mk_const (ps->ctx, 0x1.5bf0a8b145769p+1);
  else
    {
      size_t v = 0;
      while (v < ctx->nvar
             && (ctx->namelen[v] != len || memcmp (ctx->names[v], s, len)))
        v++;
      if (v == ctx->nvar)
        {
          perr (ps, "unknown variable '%s' at position %zu (variables: %s)",
                quote (q, s, len), at + 1, ctx->hint);
          return NULL;
        }
      e = intern (ps->ctx, OP_VAR, NULL, NULL, v, 0);
    }
  return lex (ps) ? NULL : e;
}

static const sde_expr *
p_primary (parser *ps)
{
  char f[4 * QUOTE_MAX + 16];
  switch (ps->tok)
    {
    case T_NUM:
      {
        const sde_expr *e = mk_const (ps->ctx, ps->num);
        return lex (ps) ? NULL : e;
      }
    case T_ID:
      return p_name (ps);
    case '(':
      {
        const size_t open = ps->start;
        if (enter (ps) || lex (ps))
          return NULL;
        const sde_expr *e = p_expr (ps);
        ps->nest--;
        return e == NULL || expect_close (ps, open) ? NULL : e;
      }
    default:
      perr (ps,
            "expected a number, variable, function or '(' at position "
            "%zu, found %s",
            ps->start + 1, found (ps, f));
      return NULL;
    }
}

static const sde_expr *
p_power (parser *ps)
{
  const sde_expr *b = p_primary (ps);
  if (b == NULL || ps->tok != '^')
    return b;
  if (enter (ps) || lex (ps))
    return NULL;
  const sde_expr *x = p_unary (ps);
  ps->nest--;
  return mk_pow (ps->ctx, b, x);
}

static const sde_expr *
p_unary (parser *ps)
{
  if (ps->tok != '-' && ps->tok != '+')
    return p_power (ps);
  const int neg = ps->tok == '-';
  if (enter (ps) || lex (ps))
    return NULL;
  const sde_expr *u = p_unary (ps);
  ps->nest--;
  return neg ? mk_neg (ps->ctx, u) : u;
}

static const sde_expr *
p_term (parser *ps)
{
  const sde_expr *l = p_unary (ps);
  while (l && (ps->tok == '*' || ps->tok == '/'))
    {
      const int op = ps->tok;
      if (lex (ps))
        return NULL;
      const sde_expr *r = p_unary (ps);
      l = op == '*' ? mk_mul (ps->ctx, l, r) : mk_div (ps->ctx, l, r);
    }
  return l;
}

static const sde_expr *
p_expr (parser *ps)
{
  const sde_expr *l = p_term (ps);
  while (l && (ps->tok == '+' || ps->tok == '-'))
    {
      const int op = ps->tok;
      if (lex (ps))
        return NULL;
      const sde_expr *r = p_term (ps);
      l = op == '+' ? mk_add (ps->ctx, l, r) : mk_sub (ps->ctx, l, r);
    }
  return l;
}

static const sde_expr *
parse (sde_expr_ctx *ctx, const char *text, char *why, size_t whylen)
{
  parser ps = { ctx, text, T_END, 0, 0, 0, 0, why, whylen };
  if (why && whylen > 0)
    why[0] = '\0';
  if (ctx == NULL || text == NULL)
    {
      perr (&ps, "no expression to parse");
      return NULL;
    }
  if (lex (&ps))
    return NULL;
  if (ps.tok == T_END)
    {
      perr (&ps, "empty expression");
      return NULL;
    }
  const sde_expr *e = p_expr (&ps);
  if (e == NULL || ps.tok == T_END)
    return e;
  char f[4 * QUOTE_MAX + 16];
  if (ps.tok == ')')
    perr (&ps, "unbalanced ')' at position %zu", ps.start + 1);
  else
    perr (&ps, "unexpected %s at position %zu after a complete expression",
          found (&ps, f), ps.start + 1);
  return NULL;
}

const sde_expr *
sde_expr_parse (sde_expr_ctx *ctx, const char *text)
{
  return parse (ctx, text, NULL, 0);
}

const sde_expr *
sde_expr_parse_why (sde_expr_ctx *ctx, const char *text, char *why, size_t len)
{
  if (why == NULL || len == 0)
    {
      sde_error (GSL_EINVAL, "no buffer for the reason");
      return NULL;
    }
  return parse (ctx, text, why, len);
}
