/* system_expr.h: Ito (or Stratonovich) SDEs written as text, dX = a(t, X)
   dt + b(t, X) dW, compiled to block programs by <sdekit/expr.h>, with
   symbolic Jacobians of b, noise structure decided rather than trusted,
   and optional exact solutions and exact moments, each checked against
   the SDE by Ito's formula (Kloeden & Platen 1992, sections 3.3, 4.2 and
   4.4; the Stratonovich correction is their eq. (4.9.10)).

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_SYSTEM_EXPR_H
#define SDEKIT_SYSTEM_EXPR_H

#include <stddef.h>

#include <sdekit/system.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most state and noise dimensions and moment pairs.  */
#define SDE_SYSTEM_EXPR_MAXD 32
#define SDE_SYSTEM_EXPR_MAXR 32
#define SDE_SYSTEM_EXPR_MAXMOM 16

/* An SDE as text, in the grammar of <sdekit/expr.h>; numbers only, no
   named parameters.  The state is x0, x1, ..., x<d-1>, the time t.
     drift     "A0, A1, ..., A<d-1>"   a(t, x); its length is d
     diffusion "B"                     b = B I (d x d; a scalar when d = 1)
               "diag(B0, ..., B<d-1>)" b diagonal, d x d
               "[B00, ..., B0<r-1>; ...; B<d-1>0, ...]"
                                       b, d x r, rows separated by ';'
     x0        "v" or "v0, ..., v<d-1>" the initial value (NULL: 0)
     form      "ito" (NULL) or "stratonovich": the SDE is dX = a dt + b o dW
               and is converted to Ito with the drift
               a_i + 1/2 sum_jk b_kj d b_ij / d x_k, symbolically
     exact     "F0, ..., F<d-1>": the solution X_t = F(t, x0, W_t) on the
               Brownian path, in t, the initial values x0, x1, ... and the
               Brownian values W0, W1, ..., W<r-1> (also W when r = 1)
     moments   "PHI: U; PHI: U; ...": test functions phi(x) with their
               exact expectations u(t, x) = E[phi(X_t) | X_0 = x], written
               in t and the initial point x0, x1, ... (so u(0, x) = phi(x))
   Checks, each an error naming the field: every entry parses (unknown
   variables and functions, syntax, with the parser's position in the
   field's text); the diffusion has d rows; x0 has 1 or d numbers; the
   exact solution has d entries, equals x0 at t = 0, W = 0, and satisfies
   Ito's formula, dF/dW_j = b_j(t, F) and dF/dt + 1/2 sum_j d^2F/dW_j^2 =
   a(t, F), at several points (t, W); u(0, x0) = phi(x0), and when a and b
   do not depend on t and u depends on x, the backward Kolmogorov equation
   du/dt = sum_i a_i du/dx_i + 1/2 sum_ij (b b^T)_ij d^2u/dx_i dx_j at
   several points (t, x); phi does not depend on t.  */
typedef struct
{
  const char *drift;     /* required */
  const char *diffusion; /* required */
  const char *x0;        /* or NULL */
  const char *form;      /* NULL, "ito" or "stratonovich" */
  const char *exact;     /* or NULL */
  const char *moments;   /* or NULL */
} sde_system_expr_spec;

typedef struct sde_system_expr_data sde_system_expr_data;

/* The SDE.  sys is the Ito form, with its jacobian and its noise flags
   decided from the expressions:
     SDE_NOISE_SCALAR      r = 1
     SDE_NOISE_ADDITIVE    no entry of b depends on x
     SDE_NOISE_DIAGONAL    r = d, b_ij = 0 for i != j, b_ii a function of
                           (t, x_i) only
     SDE_NOISE_COMMUTATIVE L^j b_k = L^k b_j for all j, k, with L^j =
                           sum_l b_lj d/dx_l: true for the three above;
                           else decided symbolically (the difference
                           simplifies to 0), or refused when it is not 0
                           at x0 or at one of 48 points about it and at
                           times in [0, 4]; if it is 0 at every point but
                           does not simplify, it is taken as commutative
                           and noise_note says so.
   noise_note says in one line how the flags were decided and, for noise
   that is not commutative, which commutator is not zero and its value at
   a point: what a tool prints when Milstein refuses the SDE.  */
typedef struct
{
  sde_system sys;
  double *x0; /* sys.dim values */
  int stratonovich;
  int has_exact; /* an exact solution is known */
  size_t nmoments;
  char noise_note[256];
  char *spec; /* "sde:drift=...,diffusion=...,x0=...[,form=stratonovich]
                 [,exact=...][,moments=...]": read back by
                 sde_system_expr_alloc_text into the same SDE */
  sde_system_expr_data *data;
} sde_system_expr;

/* Allocates the SDE SPEC (borrowed) describes.  Returns NULL through
   gsl_error with a one-line reason starting with the field, e.g.
   "drift: entry 1: unknown variable 'y' at position 8 (variables: x0, x1,
   t)" or "diffusion: 3 rows, but the drift has d = 2 entries", with
   GSL_EINVAL, or GSL_ENOMEM.  */
sde_system_expr *sde_system_expr_alloc (const sde_system_expr_spec *spec);

/* The same from "[sde:]drift=...,diffusion=...[,x0=...][,form=...]
   [,exact=...][,moments=...]", keys in any order (values never contain
   '=', which finds the keys).  */
sde_system_expr *sde_system_expr_alloc_text (const char *text);

/* Frees S; NULL is a no-op.  */
void sde_system_expr_free (sde_system_expr *s);

/* The exact solution at time T on P paths from the Brownian values W
   (noise_dim rows of P, W[j*P + p]): X[i*P + p], dim rows.  WORK holds
   sde_system_expr_exact_work (S) doubles per path; PARAMS is the
   sde_system_expr.  GSL_EUNSUP when there is no exact solution.  Its
   signature is sde_order_exact_fn's.  */
int sde_system_expr_exact (double t, size_t P, const double *w, double *x,
                           double *work, void *params);
size_t sde_system_expr_exact_work (const sde_system_expr *s);

/* E phi_k(X_t) from x0, u_k(t, x0), into *VALUE; PARAMS is the
   sde_system_expr.  GSL_EUNSUP for k >= nmoments.  Its signature is
   sde_order_moment_fn's.  */
int sde_system_expr_moment (size_t k, double t, double *value, void *params);

/* phi_k at P paths of x (dim rows): out[p].  PARAMS is
   sde_system_expr_phi_params (S, k); WORK holds
   sde_system_expr_phi_work (S) doubles per path.  The signature is a user
   observable's (sde_observable_fn).  */
int sde_system_expr_phi (size_t P, const double *x, double *out, double *work,
                         void *params);
void *sde_system_expr_phi_params (const sde_system_expr *s, size_t k);
size_t sde_system_expr_phi_work (const sde_system_expr *s);

/* The text of phi_k as given (NULL for k >= nmoments).  */
const char *sde_system_expr_phi_text (const sde_system_expr *s, size_t k);

/* Writes the canonical text of the Ito drift's entry I (after the
   Stratonovich correction) as snprintf does; 0 for I out of range.  */
size_t sde_system_expr_drift_text (const sde_system_expr *s, size_t i,
                                   char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_SYSTEM_EXPR_H */
