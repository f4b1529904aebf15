/* expr.h: a small expression compiler: parsing, hash-consed DAG nodes
   with a local simplifier, symbolic differentiation, a canonical printer,
   and compilation of a set of expressions into one program evaluated over
   a block of paths (hash-consing after Ershov, CACM 1(8), 1958; registers
   reused after their last use as in linear scan, Poletto & Sarkar, ACM
   TOPLAS 21(5), 1999).

   Grammar (whitespace is blanks and tabs; positions in messages count
   characters from 1):
     expr    := term (('+' | '-') term)*
     term    := unary (('*' | '/') unary)*
     unary   := ('-' | '+') unary | power
     power   := primary ('^' unary)?
     primary := number | name | name '(' expr ')' | '(' expr ')'
     number  := digits ['.' digits*] [exponent] | '.' digits [exponent]
     exponent:= ('e' | 'E') ['+' | '-'] digits
   so ^ binds tighter than unary minus and is right-associative: -x^2 is
   -(x^2), 2^-1 is 2^(-1), 2^3^2 is 2^9.  Names are the caller's variables,
   the constants pi and e, and the functions exp log sqrt sin cos tan sinh
   cosh tanh asin acos atan abs sign (sign(u) is 1, -1, or u itself when u
   is zero or NaN; it is what d abs(u) is made of).

   Semantics: + - * / are IEEE operations, functions are the C library's;
   u^c for a constant c is u*u (c = 2), u*u*u (3), (u*u)*(u*u) (4), 1/u
   (-1), 1/(u*u) (-2), sqrt(u) (0.5), 1/sqrt(u) (-0.5) and pow(u, c)
   otherwise; u^v for a non-constant v is pow(u, v).  Constant folding
   uses these same operations, so it never changes a result.  The
   simplifier's algebraic rewrites (x + 0 = x, x*0 = 0, x - x = 0, 2*x +
   3*x = 5*x, c1*(c2*x) = (c1*c2)*x, x*x = x^2, x^2*x = x^3, ...) follow
   real arithmetic; like any CAS they may differ from the literal text in
   the last bits, and at points where the text is NaN (0*inf, x/x at 0).

   A context owns its nodes and is used by one thread at a time.  A
   compiled program is immutable, independent of its context, and may be
   evaluated by many threads at once, each with its own scratch.  No
   function prints; errors go through gsl_error with a one-line reason.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_EXPR_H
#define SDEKIT_EXPR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sde_expr sde_expr;           /* a node, owned by a context */
typedef struct sde_expr_ctx sde_expr_ctx;   /* nodes, hash table, names */
typedef struct sde_expr_prog sde_expr_prog; /* a compiled set */

/* A context over NBLOCK block variables (one value per path: the state
   x0, x1, ...) followed by NSCALAR scalar variables (one value for the
   whole block, such as the time t).  Variable k (0 <= k < NBLOCK +
   NSCALAR) is named NAMES[k], copied; NAMES may be NULL for x0..x<n-1>
   and t (or t0, t1, ... when NSCALAR > 1).  Names must be identifiers
   [A-Za-z_][A-Za-z0-9_]*, distinct, and not a function name, pi or e.
   Returns NULL with GSL_EINVAL or GSL_ENOMEM.  */
sde_expr_ctx *sde_expr_ctx_alloc (size_t nblock, size_t nscalar,
                                  const char *const *names);

/* Frees the context and every node it made; NULL is a no-op.  Programs
   compiled from it stay valid.  */
void sde_expr_ctx_free (sde_expr_ctx *ctx);

/* Parses TEXT (borrowed) into a node of CTX.  Returns NULL with GSL_EINVAL
   and a reason naming the offending text and its position (unknown
   character, variable or function, malformed number, missing operand or
   parenthesis, trailing text, empty input), or GSL_ENOMEM.  */
const sde_expr *sde_expr_parse (sde_expr_ctx *ctx, const char *text);

/* As sde_expr_parse, but a syntax error is written to WHY (LEN > 0 bytes,
   one line) instead of being reported, so a caller that parses several
   texts can say which one is bad.  On NULL, an empty WHY means the
   failure was reported (GSL_ENOMEM).  */
const sde_expr *sde_expr_parse_why (sde_expr_ctx *ctx, const char *text,
                                    char *why, size_t len);

/* Node builders, simplified as the parser's are.  A NULL operand gives
   NULL without a new report, so calls may be nested and checked once.
   Operands must come from CTX.  Return NULL with GSL_EINVAL or
   GSL_ENOMEM.  */
const sde_expr *sde_expr_const (sde_expr_ctx *ctx, double value);
const sde_expr *sde_expr_var (sde_expr_ctx *ctx, size_t var);
const sde_expr *sde_expr_add (sde_expr_ctx *ctx, const sde_expr *a,
                              const sde_expr *b);
const sde_expr *sde_expr_sub (sde_expr_ctx *ctx, const sde_expr *a,
                              const sde_expr *b);
const sde_expr *sde_expr_mul (sde_expr_ctx *ctx, const sde_expr *a,
                              const sde_expr *b);
const sde_expr *sde_expr_div (sde_expr_ctx *ctx, const sde_expr *a,
                              const sde_expr *b);
const sde_expr *sde_expr_pow (sde_expr_ctx *ctx, const sde_expr *a,
                              const sde_expr *b);
const sde_expr *sde_expr_neg (sde_expr_ctx *ctx, const sde_expr *a);

/* FNAME(a) for one of the grammar's function names.  */
const sde_expr *sde_expr_func (sde_expr_ctx *ctx, const char *fname,
                               const sde_expr *a);

/* d E / d x_VAR, simplified; shared subexpressions are differentiated
   once.  Returns a node of CTX, or NULL with GSL_EINVAL (VAR out of
   range) or GSL_ENOMEM.  */
const sde_expr *sde_expr_diff (sde_expr_ctx *ctx, const sde_expr *e,
                               size_t var);

/* Nonzero when E is a constant node; its value goes to *VALUE unless
   VALUE is NULL.  */
int sde_expr_is_const (const sde_expr *e, double *value);

/* Nonzero when E depends on variable VAR (0 for VAR out of range).  */
int sde_expr_depends (const sde_expr *e, size_t var);

/* Writes E as canonical text that sde_expr_parse reads back into the same
   node: minimal parentheses, numbers in the fewest of 15, 16 or 17
   significant digits that read back exactly.  Writes at most LEN bytes
   including the terminating NUL (nothing when LEN is 0) and returns the
   length of the whole text, as snprintf does.  */
size_t sde_expr_print (const sde_expr_ctx *ctx, const sde_expr *e, char *buf,
                       size_t len);

/* Compiles the N nodes E[0..N) (borrowed) into one program: every shared
   node is computed once, constant nodes and nodes of the scalar variables
   alone once per call, the rest as one loop over the paths per node.
   Returns NULL with GSL_EINVAL or GSL_ENOMEM.  */
sde_expr_prog *sde_expr_compile (const sde_expr_ctx *ctx,
                                 const sde_expr *const *e, size_t n);

/* Frees a program; NULL is a no-op.  */
void sde_expr_prog_free (sde_expr_prog *prog);

/* The scratch, in doubles, that one evaluation over P paths needs.  */
size_t sde_expr_prog_work (const sde_expr_prog *prog, size_t P);

/* Evaluates the program over P paths: block variable i of path p is
   X[i*LDX + p], scalar variable k is SCALARS[k] (X or SCALARS may be NULL
   when the program reads none), and expression k goes to OUT[k*LDO + p].
   LDX, LDO >= P; WORK holds sde_expr_prog_work (prog, P) doubles; OUT must
   not overlap X or WORK.  The result for a path does not depend on P, on
   the path's place in the block or on the CPU's vector width.  Returns
   GSL_SUCCESS, or GSL_EINVAL for bad arguments.  */
int sde_expr_prog_eval (const sde_expr_prog *prog, size_t P, const double *x,
                        size_t ldx, const double *scalars, double *out,
                        size_t ldo, double *work);

/* One point: out[k] from x[i] and SCALARS, bitwise as sde_expr_prog_eval
   with P = 1.  WORK holds sde_expr_prog_work (prog, 1) doubles, or is
   NULL to let the call find its own (then it may allocate).  */
int sde_expr_prog_eval1 (const sde_expr_prog *prog, const double *x,
                         const double *scalars, double *out, double *work);

typedef struct
{
  size_t nout;    /* expressions */
  size_t nvector; /* loops over the paths per evaluation */
  size_t nscalar; /* operations done once per evaluation */
  size_t ncopy;   /* outputs copied or broadcast */
  size_t nreg;    /* scratch rows */
} sde_expr_stats;

/* The size of a program, for tests and diagnostics.  */
void sde_expr_prog_stats (const sde_expr_prog *prog, sde_expr_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_EXPR_H */
