/* spec.h: "name:key=value,key=value" specifications of problems, methods
   and SDEs, with strict number parsing and one-line errors.  */
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

/* Parses a whole string as a finite double; GSL_EINVAL otherwise.  */
int sde_parse_double (const char *s, double *value);

/* Formats a one-line reason and reports it through gsl_error; returns
   CODE.  The text is kept in a per-thread buffer until the next call.  */
int sde_error (int code, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_SPEC_H */
