/* spec.h: "name:key=value,key=value" specifications of problems, methods
   and SDEs, with strict number parsing and one-line errors.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_SPEC_H
#define SDEKIT_SPEC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDE_SPEC_MAXKEYS 16

typedef struct
{
  char name[48];
  size_t n;
  struct
  {
    char key[32];
    char value[512]; /* a list "1,10" keeps its commas */
    int used;
  } kv[SDE_SPEC_MAXKEYS];
} sde_spec;

/* Parses one item "name[:key=value[,key=value]...]" from *text and moves
   *text past it and the comma that ends it, so a list of items
   ("sgd,sgdm:beta=0.9,hb:lr=0.1,momentum=0.9") is read by repeated calls.
   A comma-separated token without '=' continues the previous value when it
   is a number ("quadratic:h=1,10"); otherwise it starts the next item.
   Returns GSL_SUCCESS, or GSL_EINVAL with a one-line reason.  */
int sde_spec_parse (sde_spec *spec, const char **text);

/* The value of KEY as a double in [lo, hi] (DEF when absent), parsed
   strictly: the whole value must be a finite number.  Marks KEY used.
   Returns GSL_EINVAL naming the item, key and value otherwise.  */
int sde_spec_double (sde_spec *spec, const char *key, double def, double lo,
                     double hi, double *value);

/* A list of up to max doubles in [lo, hi]; *n is 0 when KEY is absent.  */
int sde_spec_list (sde_spec *spec, const char *key, double lo, double hi,
                   double *values, size_t max, size_t *n);

/* The raw string value of KEY, or NULL when absent.  Marks KEY used.  */
const char *sde_spec_string (sde_spec *spec, const char *key);

/* GSL_EINVAL naming the first key no accessor asked for.  */
int sde_spec_check_used (const sde_spec *spec);

/* Parses a whole string as a finite double in the one number syntax of
   every option and specification: a decimal number with an optional
   exponent ("0.5", "-1e-3", "3."), or a power of two "2^K" with an integer
   K.  Hexadecimal, inf, nan and spaces are refused.  GSL_EINVAL otherwise
   (nothing is reported).  */
int sde_parse_double (const char *s, double *value);

/* X in the shortest "%g" form that reads back to the same double (at most
   17 significant digits): 0.1 prints as "0.1", not 0.10000000000000001.
   Returns snprintf's count.  */
int sde_shortest (char *buf, size_t len, double x);

/* Copies S into BUF (LEN bytes) for a one-line message: control characters
   become escapes (\n, \t, \xNN) and at most MAX characters are shown,
   then "...".  Returns the length written.  */
size_t sde_quote (char *buf, size_t len, const char *s, size_t max);

/* sde_quote of S to SDE_QUOTE_MAX characters, in one of four rotating
   per-thread buffers (valid until the fourth next call in the thread).  */
#define SDE_QUOTE_MAX 80
const char *sde_q (const char *s);

/* The status of a run stopped on request (a time budget, a caller's hook),
   beside GSL's codes: not a failure, the finished work is kept.  */
#define SDE_ESTOP 1000

/* Formats a one-line reason and reports it through gsl_error; returns
   CODE.  Control characters in the text are escaped, so the reason is one
   line.  The text is kept in a per-thread buffer until the next call.  */
int sde_error (int code, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* The status is CODE, visibly at the call, so static analysis follows the
   error paths; CODE must have no side effects.  */
static inline int
sde__status (int code, int reported)
{
  (void)reported;
  return code;
}
#define sde_error(code, ...)                                                   \
  sde__status ((code), sde_error ((code), __VA_ARGS__))

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_SPEC_H */
