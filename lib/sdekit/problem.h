/* problem.h: optimization problems L(x) with noisy gradient oracles,
   g = grad L(x) + sigma z, E z = 0, Cov z = Sigma(x) = S(x) S(x)^T (the NGOS
   of Malladi, Lyu, Panigrahi & Arora, "On the SDEs and scaling rules for
   adaptive gradient algorithms", NeurIPS 2022); MATH.md section 2.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_PROBLEM_H
#define SDEKIT_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include <sdekit/rng.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sde_problem sde_problem;

/* Block callback over P paths stored coordinate-major (x[i*P + p]):
     loss    out[p]
     grad    out[i*P + p]
     hess    out[(i*d + j)*P + p]
     factor  out[(i*r + j)*P + p]   S(x), d x r
     phi     out[i*P + p]           closed-form gradient-flow limit
   WORK holds pb->work * P doubles.  Nonzero returns are passed back.  */
typedef int (*sde_problem_fn) (const sde_problem *pb, size_t P, const double *x,
                               double *out, double *work);

/* out_i = sum_jk d^3 L / dx_i dx_j dx_k S_jk, with S[(j*d + k)*P + p].  */
typedef int (*sde_problem_third_fn) (const sde_problem *pb, size_t P,
                                     const double *x, const double *S,
                                     double *out, double *work);

/* Mean gradient over a minibatch: out = (1/B) sum_b grad l_{idx[b*P+p]}.  */
typedef int (*sde_problem_batch_fn) (const sde_problem *pb, size_t P,
                                     const double *x, const uint32_t *idx,
                                     size_t B, double *out, double *work);

/* The oracle's noise law (MATH.md section 2).  */
typedef enum
{
  SDE_ORACLE_NONE = 0,   /* exact gradients */
  SDE_ORACLE_GAUSSIAN,   /* z = S xi, xi ~ N(0, I_r) */
  SDE_ORACLE_RADEMACHER, /* z = S eps, eps_i = +-1 (label noise too) */
  SDE_ORACLE_STUDENT,    /* z = S t sqrt((nu-2)/nu) */
  SDE_ORACLE_MINIBATCH,  /* mean of B per-sample gradients */
  SDE_ORACLE_NLAWS
} sde_oracle_law;

struct sde_problem
{
  const char *name;
  size_t dim;       /* d */
  size_t noise_dim; /* r, the columns of S */
  sde_problem_fn loss;
  sde_problem_fn grad;
  sde_problem_fn hess;        /* optional */
  sde_problem_third_fn third; /* optional */
  sde_problem_fn factor;      /* S(x) */
  sde_problem_fn phi;         /* optional closed-form Phi (MATH.md 6) */
  const double *hess_const;   /* d x d row-major when H is constant */
  const double *factor_const; /* d x r row-major when S is constant */
  const double *xstar;        /* minimizer of a quadratic, or NULL */
  const double *x0;           /* default initial point (d values) */
  sde_oracle_law law;         /* the problem's natural noise law */
  size_t nsamples;            /* n for finite sums, else 0 */
  sde_problem_batch_fn batch; /* finite sums: minibatch gradients */
  void *params;
  size_t work; /* scratch doubles per path the callbacks need */
  /* The library's mark, read by sde_problem_free and sde_problem_spec: the
     struct's own address when an allocator made it.  Anything else (NULL
     in a zeroed, user-filled struct, or a copy's stale address) marks a
     problem the library does not own.  */
  const sde_problem *owned;
};

/* ---- Catalog ---- */

/* Allocates the catalog problem SPEC, "name[:key=value,...]", e.g.
   "quadratic:h=1,10" or "doublewell:a=1".  Returns NULL through gsl_error
   with a one-line reason naming the bad name, key or value.  DATADIR is
   where data sets live (NULL: the installed data directory).  */
sde_problem *sde_problem_alloc (const char *spec, const char *datadir);

/* ---- Expression problems ----

   A problem written as text.  LOSS is an expression in x0, x1, ... in the
   grammar of <sdekit/expr.h> (+ - * / ^, parentheses, numbers, pi, e, exp
   log sqrt sin cos tan sinh cosh tanh asin acos atan abs sign); the
   dimension d is one more than the largest index written, every index
   below it must appear, and d <= 32.  The gradient, the Hessian and the
   third-derivative contraction are differentiated symbolically and
   compiled to programs over blocks of paths, shared by all threads: a
   path's values do not depend on the block size or the thread.

   The Gaussian noise (g = grad L + sigma S(x) xi, law gaussian) is given
   by COV, its covariance Sigma(x), or by FACTOR, S(x) itself, in the same
   variables (constant or not):
     cov    "E"                    Sigma = E I
            "diag(E0, ..., E<d-1>)" Sigma diagonal
            "[E00, E01, ...; E10, E11, ...; ...]"
                                   Sigma, d x d, rows separated by ';';
                                   symmetric, positive semidefinite
     factor "E"                    S = E I
            "diag(E0, ..., E<d-1>)" S diagonal
            "[S00, ..., S0<r-1>; ...]"  S, d x r for any r >= 1
   Neither: Sigma = I.  A scalar or diagonal variance becomes S = sqrt(E)
   entrywise.  A constant Sigma is factored once (Cholesky; V sqrt(Lambda)
   when singular) and S is then factor_const; a variable matrix Sigma(x)
   is factored path by path (Cholesky with zero columns at zero pivots;
   the upper triangle is read).  At X0 every entry must be finite,
   variances >= 0, and a matrix Sigma symmetric (also at two points near
   X0) and semidefinite; elsewhere a negative variance or a Sigma(x) that
   is not semidefinite gives NaN noise, so the path diverges.

   X0 is the default initial point, "v" or "v0,...,v<d-1>" (NULL: 0).

   A constant Hessian H gives hess_const and xstar when H x* = -grad L(0)
   has a solution (the minimum-norm one if H is singular) and L(x*) = 0 to
   rounding, which is the form (x - x*)^T H (x - x*) / 2 that the exact
   engine assumes; otherwise the problem has no hess_const.  */
typedef struct
{
  const char *loss;   /* required */
  const char *cov;    /* Sigma(x), or NULL */
  const char *factor; /* S(x), or NULL; not both */
  const char *x0;     /* or NULL */
} sde_problem_expr_spec;

/* Allocates the problem SPEC (borrowed) describes.  Returns NULL through
   gsl_error with a one-line reason that starts with the bad field ("loss:
   unknown variable 'y' at position 5 (variables: x0, x1)", "cov: not
   positive semidefinite at x0 (eigenvalue -1; ...)"), or GSL_ENOMEM.  Its
   sde_problem_spec is "expr:loss=LOSS,cov=COV,x0=X0" (or factor=FACTOR)
   with every value, one line, which sde_problem_alloc_expr_text reads
   back into the same problem (texts longer than 1023 characters are cut
   and end in "...").  */
sde_problem *sde_problem_alloc_expr_spec (const sde_problem_expr_spec *spec);

/* The same from "[expr:]loss=...[,cov=...|,factor=...][,x0=...]", keys in
   any order with blanks around them allowed (values never contain '=',
   which finds the keys).  */
sde_problem *sde_problem_alloc_expr_text (const char *text);

/* The loss EXPR with Sigma = s I (s >= 0, finite) from X0 (may be NULL):
   the spec with cov "s".  */
sde_problem *sde_problem_alloc_expr (const char *expr, double s,
                                     const char *x0);

/* The problem L + wd |x|^2 / 2 with the noise of PB (borrowed; it must
   outlive the result): hb/nesterov with PyTorch's weight_decay wd on PB are
   exactly hb/nesterov without it on this problem, so its SDE limits are
   theirs.  It has no constant Hessian, minimizer or closed-form Phi (the
   engines that need them refuse it).  NULL through gsl_error for wd < 0 or
   a problem without gradient.  */
sde_problem *sde_problem_alloc_decay (const sde_problem *pb, double wd);

/* Frees a problem from any allocator; NULL, a user-filled struct and a
   copy of an allocated one are left alone.  */
void sde_problem_free (sde_problem *pb);

/* The canonical specification with every parameter ("quadratic:h=1,10,
   s=1,x0=1,1"), or the expression; the name of a problem the library did
   not allocate.  */
const char *sde_problem_spec (const sde_problem *pb);

/* The catalog, index 0.. until NULL: name, description, parameters.  */
const char *sde_problem_name (size_t index, const char **description,
                              const char **params);

/* Makes PB evaluate one-path callbacks (x[d] in, out as above with P = 1)
   path by path.  The callbacks get PARAMS.  Hessian, third and factor may
   be NULL (the factor then is the identity, r = d).  PB is zeroed first
   (so it is marked as the user's); its fields can be adjusted
   afterwards.  */
typedef int (*sde_problem_path_fn) (const double *x, double *out, void *params);
typedef struct
{
  sde_problem_path_fn loss, grad, hess, factor;
  void *params;
} sde_problem_paths;
int sde_problem_set_path (sde_problem *pb, size_t dim, size_t noise_dim,
                          const sde_problem_paths *cb);

/* Finite differences of the gradient (central, step h) into out[(i*d+j)P+p]
   and of the loss into grad: for checks and for problems without a
   Hessian.  WORK: sde_problem_work (pb) * P doubles, that is pb->work * P
   + 3 d P (fd_grad uses d P + 2 P of the 3 d P, fd_hess all of it).  */
int sde_problem_fd_hess (const sde_problem *pb, size_t P, const double *x,
                         double h, double *out, double *work);
int sde_problem_fd_grad (const sde_problem *pb, size_t P, const double *x,
                         double h, double *out, double *work);

/* Scratch doubles per path that the helpers of this module need.  */
size_t sde_problem_work (const sde_problem *pb);

/* ---- Oracles ---- */

typedef struct
{
  const sde_problem *prob;
  sde_oracle_law law;
  double sigma;  /* noise scale (MINIBATCH: ignored, 1/sqrt(B) built in) */
  double nu;     /* STUDENT degrees of freedom, > 2 */
  size_t batch;  /* MINIBATCH size B */
  int replace;   /* MINIBATCH with replacement */
  unsigned svag; /* SVAG(l): 1 is the plain oracle */
} sde_oracle;

/* Checks the settings against the problem: GSL_EINVAL with a reason.  */
int sde_oracle_check (const sde_oracle *o);

/* Variates one gradient call reads per path: doubles (Gaussian,
   Rademacher, Student) or indices (minibatch); SVAG doubles them.  */
size_t sde_oracle_nvar (const sde_oracle *o);

/* Draws those variates for paths path0.. at (stream, step): z[k*P + p]
   for double laws, idx[k*P + p] for minibatches.  */
int sde_oracle_sample (const sde_oracle *o, sde_rng *rng, uint32_t stream,
                       uint64_t step, uint64_t path0, size_t P, double *z,
                       uint32_t *idx);

/* g = grad L(x) + sigma S(x) z, or the minibatch mean, or for SVAG(l)
   r1 g1 + r2 g2 with r12 = (1 +- sqrt(2l - 1))/2 from two samples.
   WORK: sde_oracle_work doubles.  */
int sde_oracle_apply (const sde_oracle *o, size_t P, const double *x,
                      const double *z, const uint32_t *idx, double *g,
                      double *work);
size_t sde_oracle_work (const sde_oracle *o, size_t P);

/* The oracle's law by name ("gaussian", "rademacher", "student",
   "minibatch", "none") and back; find returns -1 when unknown.  */
const char *sde_oracle_law_name (sde_oracle_law law);
int sde_oracle_law_find (const char *name);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_PROBLEM_H */
