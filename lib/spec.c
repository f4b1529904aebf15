/* spec.c: parsing of "name:key=value,..." specifications.  */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/spec.h"
#include "spec_internal.h"

size_t
sde_quote (char *buf, size_t len, const char *s, size_t max)
{
  /* Control characters are written as escapes, so a quoted value can never
     start a new line of a message or of a table's provenance.  */
  size_t n = 0, shown = 0;
  if (len == 0)
    return 0;
  for (; s && *s && n + 5 < len; s++)
    {
      if (shown == max)
        {
          n += (size_t)snprintf (buf + n, len - n, "...");
          break;
        }
      const unsigned char c = (unsigned char)*s;
      if (c == '\n')
        n += (size_t)snprintf (buf + n, len - n, "\\n");
      else if (c == '\t')
        n += (size_t)snprintf (buf + n, len - n, "\\t");
      else if (c < 0x20 || c == 0x7f)
        n += (size_t)snprintf (buf + n, len - n, "\\x%02x", c);
      else
        buf[n++] = (char)c;
      shown++;
    }
  buf[n] = '\0';
  return n;
}

const char *
sde_q (const char *s)
{
  /* A few rotating buffers per thread, so one message can quote several
     values.  */
  static _Thread_local char ring[4][SDE_QUOTE_MAX * 4 + 8];
  static _Thread_local unsigned next;
  char *b = ring[next++ % 4];
  sde_quote (b, sizeof ring[0], s, SDE_QUOTE_MAX);
  return b;
}

/* The last reason reported, so the library can say which setting or which
   eta it concerns (sde__last_error).  Worker threads report too, so it is
   shared, under a lock.  */
static char last[1024];
static int last_code;
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;

int (sde_error) (int code, const char *fmt, ...)
{
  /* gsl_error takes a constant string; handlers copy it before returning.
     The text is one line whatever the values in it.  */
  static _Thread_local char raw[1024], msg[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (raw, sizeof raw, fmt, ap);
  va_end (ap);
  sde_quote (msg, sizeof msg, raw, 400);
  pthread_mutex_lock (&last_lock);
  memcpy (last, msg, sizeof last);
  last_code = code;
  pthread_mutex_unlock (&last_lock);
  gsl_error (msg, __FILE__, __LINE__, code);
  return code;
}

const char *
sde__last_error (int code)
{
  static _Thread_local char copy[sizeof last];
  pthread_mutex_lock (&last_lock);
  memcpy (copy, last, sizeof copy);
  pthread_mutex_unlock (&last_lock);
  /* A status raised without sde_error still gets GSL's words.  */
  if (*copy)
    return copy;
  const char *s = gsl_strerror (code);
  return s && *s ? s : "unknown failure";
}

void
sde__clear_error (void)
{
  pthread_mutex_lock (&last_lock);
  last[0] = '\0';
  last_code = 0;
  pthread_mutex_unlock (&last_lock);
}

int
sde__last_code (void)
{
  pthread_mutex_lock (&last_lock);
  const int c = last_code;
  pthread_mutex_unlock (&last_lock);
  return c;
}

int
sde_shortest (char *buf, size_t len, double x)
{
  /* The fewest significant digits that read back as the same double, so
     provenance shows 0.1 where the user wrote 0.1.  */
  int n = 0;
  for (int prec = 1; prec <= 17; prec++)
    {
      n = snprintf (buf, len, "%.*g", prec, x);
      if (strtod (buf, NULL) == x || !isfinite (x))
        break;
    }
  return n;
}

/* Digits at *s: their count, and *s moved past them.  */
static size_t
digits (const char **s)
{
  size_t n = 0;
  while (**s >= '0' && **s <= '9')
    (*s)++, n++;
  return n;
}

/* The number syntax of every option and specification: a decimal number
   with an optional exponent, or a power of two 2^K with an integer K.  No
   hexadecimal, no inf or nan, no spaces: strtod alone would take them.  */
static int
decimal_syntax (const char *s)
{
  if (*s == '+' || *s == '-')
    s++;
  size_t n = digits (&s);
  if (*s == '.')
    {
      s++;
      n += digits (&s);
    }
  if (n == 0)
    return 0;
  if (*s == 'e' || *s == 'E')
    {
      s++;
      if (*s == '+' || *s == '-')
        s++;
      if (digits (&s) == 0)
        return 0;
    }
  return *s == '\0';
}

int
sde_parse_double (const char *s, double *value)
{
  if (s == NULL)
    return GSL_EINVAL;
  if (strncmp (s, "2^", 2) == 0)
    {
      const char *k = s + 2;
      if (*k == '+' || *k == '-')
        k++;
      if (digits (&k) == 0 || *k != '\0' || k - s > 8)
        return GSL_EINVAL;
      const long e = strtol (s + 2, NULL, 10);
      if (e < -1000 || e > 1000)
        return GSL_EINVAL;
      *value = ldexp (1.0, (int)e);
      return GSL_SUCCESS;
    }
  if (!decimal_syntax (s))
    return GSL_EINVAL;
  errno = 0;
  double v = strtod (s, NULL);
  if (errno == ERANGE || !isfinite (v))
    return GSL_EINVAL;
  *value = v;
  return GSL_SUCCESS;
}

static int
is_number (const char *s, size_t len)
{
  char tmp[64];
  double v;
  if (len == 0 || len >= sizeof tmp)
    return 0;
  memcpy (tmp, s, len);
  tmp[len] = '\0';
  return sde_parse_double (tmp, &v) == GSL_SUCCESS;
}

int
sde_spec_parse (sde_spec *spec, const char **text)
{
  const char *s = *text;
  memset (spec, 0, sizeof *spec);
  size_t len = strcspn (s, ":,");
  if (len == 0)
    return sde_error (GSL_EINVAL, "empty name in '%s'", sde_q (*text));
  if (len >= sizeof spec->name)
    return sde_error (GSL_EINVAL, "name too long in '%s'", sde_q (*text));
  memcpy (spec->name, s, len);
  s += len;
  if (*s == ':')
    {
      s++;
      for (;;)
        {
          size_t tok = strcspn (s, ",");
          const char *eq = memchr (s, '=', tok);
          const char *colon = memchr (s, ':', tok);
          if (eq && (colon == NULL || eq < colon))
            {
              size_t klen = (size_t)(eq - s), vlen = tok - klen - 1;
              if (spec->n == SDE_SPEC_MAXKEYS)
                return sde_error (GSL_EINVAL, "%s: too many parameters",
                                  spec->name);
              if (klen == 0 || klen >= sizeof spec->kv[0].key)
                return sde_error (GSL_EINVAL,
                                  "%s: bad parameter name in '%.*s'",
                                  spec->name, (int)tok, s);
              for (size_t i = 0; i < spec->n; i++)
                if (strlen (spec->kv[i].key) == klen
                    && memcmp (spec->kv[i].key, s, klen) == 0)
                  return sde_error (GSL_EINVAL,
                                    "%s: parameter '%.*s' given twice",
                                    spec->name, (int)klen, s);
              if (vlen >= sizeof spec->kv[0].value)
                return sde_error (GSL_EINVAL, "%s: value of '%.*s' too long",
                                  spec->name, (int)klen, s);
              memcpy (spec->kv[spec->n].key, s, klen);
              memcpy (spec->kv[spec->n].value, eq + 1, vlen);
              spec->n++;
            }
          else if (spec->n > 0 && colon == NULL && is_number (s, tok))
            {
              char *v = spec->kv[spec->n - 1].value;
              size_t have = strlen (v);
              if (have + 1 + tok >= sizeof spec->kv[0].value)
                return sde_error (GSL_EINVAL, "%s: list too long", spec->name);
              v[have] = ',';
              memcpy (v + have + 1, s, tok);
              v[have + 1 + tok] = '\0';
            }
          else if (spec->n == 0 && colon == NULL)
            return sde_error (GSL_EINVAL, "%s: expected key=value, got '%.*s'",
                              spec->name, (int)(tok < 80 ? tok : 80), s);
          else
            break; /* the next item starts here */
          s += tok;
          if (*s == ',' && *++s == '\0')
            return sde_error (
                GSL_EINVAL, "%s: a list must not end with a comma", spec->name);
          if (*s == '\0')
            break;
        }
    }
  else if (*s == ',' && *++s == '\0')
    return sde_error (GSL_EINVAL, "%s: a list must not end with a comma",
                      spec->name);
  *text = s;
  return GSL_SUCCESS;
}

static int
find_key (sde_spec *spec, const char *key)
{
  for (size_t i = 0; i < spec->n; i++)
    if (strcmp (spec->kv[i].key, key) == 0)
      {
        spec->kv[i].used = 1;
        return (int)i;
      }
  return -1;
}

const char *
sde_spec_string (sde_spec *spec, const char *key)
{
  int i = find_key (spec, key);
  return i < 0 ? NULL : spec->kv[i].value;
}

int
sde_spec_double (sde_spec *spec, const char *key, double def, double lo,
                 double hi, double *value)
{
  int i = find_key (spec, key);
  if (i < 0)
    {
      *value = def;
      return GSL_SUCCESS;
    }
  double v;
  if (sde_parse_double (spec->kv[i].value, &v))
    return sde_error (GSL_EINVAL, "%s: %s='%s' is not a number", spec->name,
                      key, sde_q (spec->kv[i].value));
  if (!(v >= lo && v <= hi))
    return sde_error (GSL_EINVAL, "%s: %s=%s is outside [%g, %g]", spec->name,
                      key, sde_q (spec->kv[i].value), lo, hi);
  *value = v;
  return GSL_SUCCESS;
}

int
sde_spec_list (sde_spec *spec, const char *key, double lo, double hi,
               double *values, size_t max, size_t *n)
{
  *n = 0;
  int i = find_key (spec, key);
  if (i < 0)
    return GSL_SUCCESS;
  char buf[sizeof spec->kv[0].value];
  strcpy (buf, spec->kv[i].value);
  char *save = NULL;
  for (char *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      double v;
      if (*n == max)
        return sde_error (GSL_EINVAL, "%s: %s has more than %zu values",
                          spec->name, key, max);
      if (sde_parse_double (t, &v))
        return sde_error (GSL_EINVAL, "%s: %s value '%s' is not a number",
                          spec->name, key, sde_q (t));
      if (!(v >= lo && v <= hi))
        return sde_error (GSL_EINVAL, "%s: %s value %s is outside [%g, %g]",
                          spec->name, key, sde_q (t), lo, hi);
      values[(*n)++] = v;
    }
  if (*n == 0)
    return sde_error (GSL_EINVAL, "%s: %s is empty", spec->name, key);
  return GSL_SUCCESS;
}

int
sde_spec_check_used (const sde_spec *spec)
{
  for (size_t i = 0; i < spec->n; i++)
    if (!spec->kv[i].used)
      return sde_error (GSL_EINVAL, "%s: unknown parameter '%s'", spec->name,
                        spec->kv[i].key);
  return GSL_SUCCESS;
}
