/* json.c: a strict JSON reader after RFC 8259 (The JavaScript Object
   Notation Data Interchange Format, IETF 2017), sections 2-8, with UTF-8
   validated after RFC 3629 section 4.  The parser is iterative: containers
   being read sit on an explicit stack bounded by the depth limit, so no
   input can overflow the C stack.  Finished values live in one arena freed
   at once.  Numbers are converted by strtod on a span whose grammar was
   checked first; the tools never call setlocale, so its decimal point is
   '.'.  */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

#define MAX_NUMBER 1000 /* characters of one number */

typedef struct json_member json_member;

struct json_value
{
  unsigned char type;
  uint32_t line, column;
  union
  {
    double number;
    struct
    {
      const char *s;
      size_t len;
    } str;
    struct
    {
      json_value *items;
      size_t n;
    } arr;
    struct
    {
      /* n members, then n uint32_t indices in key order */
      json_member *members;
      size_t n;
    } obj;
  } u;
};

struct json_member
{
  const char *key;
  uint32_t keylen, line, column;
  json_value value;
};

/* ---- Arena ---- */

typedef struct block
{
  struct block *next;
  size_t size, used;
} block;

#define BLOCK_HEAD ((sizeof (block) + 15) & ~(size_t)15)
#define BLOCK_SIZE ((size_t)1 << 16)

struct json_doc
{
  block *blocks;
  json_value root;
};

/* N bytes aligned to ALIGN (a power of two up to 16), or NULL.  */
static void *
arena_alloc (json_doc *d, size_t n, size_t align)
{
  block *b = d->blocks;
  if (b)
    {
      size_t at = (b->used + align - 1) & ~(align - 1);
      if (at <= b->size && b->size - at >= n)
        {
          b->used = at + n;
          return (char *)b + BLOCK_HEAD + at;
        }
    }
  if (n > SIZE_MAX - BLOCK_HEAD - BLOCK_SIZE)
    return NULL;
  /* A large request gets its own block behind the current one, whose
     free room stays in use.  */
  const int own = n > BLOCK_SIZE / 4;
  const size_t size = own ? n : BLOCK_SIZE;
  block *nb = malloc (BLOCK_HEAD + size);
  if (nb == NULL)
    return NULL;
  nb->size = size;
  nb->used = n;
  if (own && b)
    {
      nb->next = b->next;
      b->next = nb;
    }
  else
    {
      nb->next = b;
      d->blocks = nb;
    }
  return (char *)nb + BLOCK_HEAD;
}

void
json_free (json_doc *d)
{
  if (d == NULL)
    return;
  for (block *b = d->blocks, *next; b; b = next)
    {
      next = b->next;
      free (b);
    }
  free (d);
}

/* ---- Parser state ---- */

/* A container being read: its children so far (scratch, reused by the
   next container at the same depth).  */
typedef struct
{
  int object;
  uint32_t line, column;
  json_value *items; /* arrays */
  json_member *members;
  size_t n, icap, mcap;
  /* objects: the key read before the value that comes next */
  const char *key;
  uint32_t keylen, kline, kcolumn;
} frame;

typedef struct
{
  const unsigned char *s;
  size_t n, pos;
  size_t line, line_start;
  size_t cpos, ccol; /* the column of offset cpos (a cache) */
  char *err;
  size_t errlen;
  int failed;
  json_doc *doc;
  frame *stack;
  size_t depth, nframes, max_depth;
  uint32_t *sortbuf;
  size_t sortcap;
} parser;

/* Line and column (1-based, in characters) of offset POS on the current
   line.  */
static void
where (parser *p, size_t pos, uint32_t *line, uint32_t *column)
{
  if (p->cpos < p->line_start || p->cpos > pos)
    {
      p->cpos = p->line_start;
      p->ccol = 1;
    }
  for (; p->cpos < pos; p->cpos++)
    if ((p->s[p->cpos] & 0xC0) != 0x80)
      p->ccol++;
  *line = (uint32_t)p->line;
  *column = (uint32_t)p->ccol;
}

/* Records the first error, "LINE:COLUMN: reason", and returns -1.  */
static int
vfail_at (parser *p, uint32_t line, uint32_t column, const char *fmt,
          va_list ap)
{
  if (p->failed)
    return -1;
  p->failed = 1;
  char msg[512];
  vsnprintf (msg, sizeof msg, fmt, ap);
  snprintf (p->err, p->errlen, "%lu:%lu: %s", (unsigned long)line,
            (unsigned long)column, msg);
  return -1;
}

static int fail_at (parser *p, uint32_t line, uint32_t column, const char *fmt,
                    ...) __attribute__ ((format (printf, 4, 5)));
static int fail (parser *p, size_t pos, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
fail_at (parser *p, uint32_t line, uint32_t column, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vfail_at (p, line, column, fmt, ap);
  va_end (ap);
  return -1;
}

/* The error at offset POS of the current line.  */
static int
fail (parser *p, size_t pos, const char *fmt, ...)
{
  uint32_t line, column;
  where (p, pos, &line, &column);
  va_list ap;
  va_start (ap, fmt);
  vfail_at (p, line, column, fmt, ap);
  va_end (ap);
  return -1;
}

static int
out_of_memory (parser *p)
{
  if (!p->failed)
    snprintf (p->err, p->errlen, "out of memory");
  p->failed = 1;
  return -1;
}

/* What stands at POS, for a message: "end of input", "'x'" or "byte
   0xNN".  */
static const char *
found (const parser *p, size_t pos, char *buf, size_t len)
{
  if (pos >= p->n)
    return "the end of the input";
  const unsigned char c = p->s[pos];
  if (c > 0x20 && c < 0x7f)
    snprintf (buf, len, "'%c'", c);
  else
    snprintf (buf, len, "byte 0x%02X", c);
  return buf;
}

/* S (LEN bytes) for a message: at most 40 characters, anything but
   printable ASCII as '?'.  */
static const char *
shown (const char *s, size_t len, char *buf, size_t size)
{
  size_t k = 0;
  for (size_t i = 0; i < len && k + 4 < size && i < 40; i++)
    buf[k++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i]
                                                                         : '?';
  if (len > 40 && k + 4 < size)
    {
      memcpy (buf + k, "...", 3);
      k += 3;
    }
  buf[k] = '\0';
  return buf;
}

static void
skip_ws (parser *p)
{
  for (; p->pos < p->n; p->pos++)
    {
      const unsigned char c = p->s[p->pos];
      if (c == '\n')
        {
          p->line++;
          p->line_start = p->pos + 1;
        }
      else if (c != ' ' && c != '\t' && c != '\r')
        break;
    }
}

/* ---- Strings ---- */

static int
hex4 (const unsigned char *s, unsigned *v)
{
  unsigned x = 0;
  for (int i = 0; i < 4; i++)
    {
      const unsigned char c = s[i];
      x <<= 4;
      if (c >= '0' && c <= '9')
        x |= c - '0';
      else if (c >= 'a' && c <= 'f')
        x |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        x |= c - 'A' + 10;
      else
        return -1;
    }
  *v = x;
  return 0;
}

static size_t
put_utf8 (unsigned char *o, unsigned cp)
{
  if (cp < 0x80)
    {
      o[0] = (unsigned char)cp;
      return 1;
    }
  if (cp < 0x800)
    {
      o[0] = (unsigned char)(0xC0 | cp >> 6);
      o[1] = (unsigned char)(0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp < 0x10000)
    {
      o[0] = (unsigned char)(0xE0 | cp >> 12);
      o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
      o[2] = (unsigned char)(0x80 | (cp & 0x3F));
      return 3;
    }
  o[0] = (unsigned char)(0xF0 | cp >> 18);
  o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* The length of the well-formed UTF-8 sequence at S (before END), or 0
   (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).  */
static size_t
utf8_length (const unsigned char *s, const unsigned char *end)
{
  const unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    {
      n = 3;
      lo = c == 0xE0 ? 0xA0 : 0x80;
      hi = c == 0xED ? 0x9F : 0xBF;
    }
  else if (c >= 0xF0 && c <= 0xF4)
    {
      n = 4;
      lo = c == 0xF0 ? 0x90 : 0x80;
      hi = c == 0xF4 ? 0x8F : 0xBF;
    }
  else
    return 0;
  if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return n;
}

/* The escape at S (after the backslash, before END) into O: the bytes
   written, or 0 with an error.  *USED is the input consumed.  */
static size_t
unescape (parser *p, const unsigned char *s, const unsigned char *end,
          unsigned char *o, size_t *used)
{
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const size_t at = (size_t)(s - p->s) - 1;
  const char *k = *s ? strchr (from, *s) : NULL;
  if (k)
    {
      *o = (unsigned char)to[k - from];
      *used = 1;
      return 1;
    }
  char buf[32];
  unsigned cp, lo;
  if (*s != 'u')
    {
      fail (p, at, "invalid escape: a backslash before %s",
            found (p, at + 1, buf, sizeof buf));
      return 0;
    }
  if (end - s < 5 || hex4 (s + 1, &cp))
    {
      fail (p, at, "\\u needs four hexadecimal digits");
      return 0;
    }
  *used = 5;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    {
      fail (p, at,
            "unpaired surrogate \\u%04X (a low surrogate must follow a "
            "high one)",
            cp);
      return 0;
    }
  if (cp >= 0xD800 && cp <= 0xDBFF)
    {
      if (end - s < 11 || s[5] != '\\' || s[6] != 'u' || hex4 (s + 7, &lo)
          || lo < 0xDC00 || lo > 0xDFFF)
        {
          fail (p, at,
                "unpaired surrogate \\u%04X (a high surrogate must be "
                "followed by a \\u escape of a low one)",
                cp);
          return 0;
        }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      *used = 11;
    }
  return put_utf8 (o, cp);
}

/* The string at p->pos (a '"') into the arena: *OUT, *LEN; 0 or -1.  */
static int
parse_string (parser *p, const char **out, size_t *len)
{
  const size_t start = p->pos;
  size_t end = start + 1;
  while (end < p->n && p->s[end] != '"')
    end += p->s[end] == '\\' ? 2 : 1;
  if (end >= p->n)
    return fail (p, start, "unterminated string");
  /* Escapes only shrink: the raw length bounds the decoded one.  */
  unsigned char *o = arena_alloc (p->doc, end - start, 1);
  if (o == NULL)
    return out_of_memory (p);
  *out = (const char *)o;
  const unsigned char *s = p->s + start + 1, *e = p->s + end;
  while (s < e)
    {
      size_t used = 1, n;
      if (*s == '\\')
        {
          n = unescape (p, s + 1, e, o, &used);
          if (n == 0)
            return -1;
          used++;
        }
      else if (*s < 0x20)
        return fail (p, (size_t)(s - p->s),
                     "control character U+%04X in a string (JSON needs "
                     "it escaped, e.g. \\n)",
                     *s);
      else if (*s < 0x80)
        {
          *o = *s;
          n = 1;
        }
      else if ((n = utf8_length (s, e)) == 0)
        return fail (p, (size_t)(s - p->s),
                     "ill-formed UTF-8 (byte 0x%02X) in a string", *s);
      else
        {
          memcpy (o, s, n);
          used = n;
        }
      o += n;
      s += used;
    }
  *o = '\0';
  *len = (size_t)(o - (const unsigned char *)*out);
  p->pos = end + 1;
  return 0;
}

/* ---- Numbers and words ---- */

static int
digit (const parser *p, size_t i)
{
  return i < p->n && p->s[i] >= '0' && p->s[i] <= '9';
}

static size_t
digits (const parser *p, size_t i)
{
  while (digit (p, i))
    i++;
  return i;
}

/* The number at p->pos into *X (RFC 8259 section 6).  */
static int
parse_number (parser *p, double *x)
{
  const size_t start = p->pos;
  size_t i = start + (p->s[start] == '-');
  char buf[MAX_NUMBER + 1];
  if (i < p->n && (p->s[i] == 'I' || p->s[i] == 'i'))
    return fail (p, start,
                 "-Infinity is not JSON: JSON has no NaN or "
                 "infinite numbers (a missing number is null)");
  if (!digit (p, i))
    return fail (p, i, "a digit must follow '-', not %s",
                 found (p, i, buf, sizeof buf));
  if (p->s[i] == '0' && digit (p, i + 1))
    return fail (p, i,
                 "a number cannot start with the digit 0 followed "
                 "by another digit");
  i = digits (p, i);
  if (i < p->n && p->s[i] == '.')
    {
      if (!digit (p, i + 1))
        return fail (p, i + 1, "a digit must follow the decimal point, not %s",
                     found (p, i + 1, buf, sizeof buf));
      i = digits (p, i + 1);
    }
  if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E'))
    {
      i++;
      if (i < p->n && (p->s[i] == '+' || p->s[i] == '-'))
        i++;
      if (!digit (p, i))
        return fail (p, i, "a digit must follow the exponent's 'e', not %s",
                     found (p, i, buf, sizeof buf));
      i = digits (p, i);
    }
  if (i - start > MAX_NUMBER)
    return fail (p, start, "a number of %zu characters (at most %d)", i - start,
                 MAX_NUMBER);
  memcpy (buf, p->s + start, i - start);
  buf[i - start] = '\0';
  errno = 0;
  *x = strtod (buf, NULL);
  if (!isfinite (*x))
    return fail (p, start,
                 "the number %.24s%s is beyond the largest double "
                 "(about 1.8e308)",
                 buf, i - start > 24 ? "..." : "");
  p->pos = i;
  return 0;
}

/* true, false or null at p->pos (a letter), into *V.  */
static int
parse_word (parser *p, json_value *v)
{
  static const struct
  {
    const char *w;
    json_type t;
  } words[] = { { "true", JSON_TRUE },
                { "false", JSON_FALSE },
                { "null", JSON_NULL } };
  size_t i = p->pos, n;
  while (i < p->n
         && ((p->s[i] >= 'a' && p->s[i] <= 'z')
             || (p->s[i] >= 'A' && p->s[i] <= 'Z')))
    i++;
  n = i - p->pos;
  const char *w = (const char *)p->s + p->pos;
  for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
    if (n == strlen (words[k].w) && memcmp (w, words[k].w, n) == 0)
      {
        v->type = (unsigned char)words[k].t;
        p->pos = i;
        return 0;
      }
  if ((n == 3 && strncasecmp (w, "nan", 3) == 0)
      || (n == 3 && strncasecmp (w, "inf", 3) == 0)
      || (n == 8 && strncasecmp (w, "infinity", 8) == 0))
    return fail (p, p->pos,
                 "%.*s is not JSON: JSON has no NaN or infinite numbers "
                 "(a missing number is null)",
                 (int)n, w);
  char buf[64];
  return fail (p, p->pos,
               "'%s' is not a JSON value (the words are true, false "
               "and null)",
               shown (w, n, buf, sizeof buf));
}

/* ---- Containers ---- */

static const char *
kind_of (const frame *f)
{
  return f->object ? "object" : "array";
}

/* The input ended with containers open.  */
static int
unclosed (parser *p)
{
  const frame *f = &p->stack[p->depth - 1];
  return fail (p, p->n, "the input ends inside the %s opened at %lu:%lu",
               kind_of (f), (unsigned long)f->line, (unsigned long)f->column);
}

/* Room for one more element of SIZE bytes in *BUF.  */
static int
grow (void **buf, size_t *cap, size_t n, size_t size)
{
  if (n < *cap)
    return 0;
  size_t c = *cap ? 2 * *cap : 4;
  if (c > SIZE_MAX / size)
    return -1;
  void *b = realloc (*buf, c * size);
  if (b == NULL)
    return -1;
  *buf = b;
  *cap = c;
  return 0;
}

/* Opens a container at p->pos ('[' or '{').  */
static int
push (parser *p, int object)
{
  if (p->depth == p->max_depth)
    return fail (p, p->pos,
                 "arrays and objects nested more than %zu deep (the limit)",
                 p->max_depth);
  if (p->depth == p->nframes)
    {
      size_t nf = p->nframes ? 2 * p->nframes : 8;
      frame *s = realloc (p->stack, nf * sizeof *s);
      if (s == NULL)
        return out_of_memory (p);
      memset (s + p->nframes, 0, (nf - p->nframes) * sizeof *s);
      p->stack = s;
      p->nframes = nf;
    }
  frame *f = &p->stack[p->depth++];
  f->object = object;
  f->n = 0;
  where (p, p->pos, &f->line, &f->column);
  p->pos++;
  return 0;
}

static int
append (parser *p, frame *f, const json_value *v)
{
  if (f->object)
    {
      if (grow ((void **)&f->members, &f->mcap, f->n, sizeof *f->members))
        return out_of_memory (p);
      json_member *m = &f->members[f->n++];
      *m = (json_member){ f->key, f->keylen, f->kline, f->kcolumn, *v };
    }
  else
    {
      if (grow ((void **)&f->items, &f->icap, f->n, sizeof *f->items))
        return out_of_memory (p);
      f->items[f->n++] = *v;
    }
  return 0;
}

static int
grow_sortbuf (parser *p, size_t n)
{
  uint32_t *b = realloc (p->sortbuf, n * sizeof *b);
  if (b == NULL)
    return -1;
  p->sortbuf = b;
  p->sortcap = n;
  return 0;
}

static int
keycmp (const json_member *a, const json_member *b)
{
  const size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
  const int c = memcmp (a->key, b->key, n);
  return c ? c : (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

/* Sorts IDX[0..N) by key, stably (bottom-up merge sort through TMP).  */
static void
sort_keys (const json_member *m, uint32_t *idx, uint32_t *tmp, size_t n)
{
  for (size_t w = 1; w < n; w *= 2)
    {
      for (size_t lo = 0; lo < n; lo += 2 * w)
        {
          const size_t mid = lo + w < n ? lo + w : n;
          const size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
          size_t i = lo, j = mid, k = lo;
          while (i < mid && j < hi)
            tmp[k++]
                = keycmp (&m[idx[j]], &m[idx[i]]) < 0 ? idx[j++] : idx[i++];
          while (i < mid)
            tmp[k++] = idx[i++];
          while (j < hi)
            tmp[k++] = idx[j++];
        }
      memcpy (idx, tmp, n * sizeof *idx);
    }
}

/* The members of F into the arena with their index in key order;
   duplicate keys are refused.  */
static json_member *
close_object (parser *p, const frame *f)
{
  const size_t n = f->n, each = sizeof (json_member) + sizeof (uint32_t);
  json_member *m
      = n <= SIZE_MAX / each ? arena_alloc (p->doc, n * each, 16) : NULL;
  if (m == NULL || (n > p->sortcap && grow_sortbuf (p, n)))
    {
      out_of_memory (p);
      return NULL;
    }
  memcpy (m, f->members, n * sizeof *m);
  uint32_t *idx = (uint32_t *)(m + n);
  for (size_t i = 0; i < n; i++)
    idx[i] = (uint32_t)i;
  sort_keys (m, idx, p->sortbuf, n);
  for (size_t k = 1; k < n; k++)
    {
      const json_member *a = &m[idx[k - 1]], *b = &m[idx[k]];
      if (keycmp (a, b) == 0)
        {
          char buf[64];
          fail_at (p, b->line, b->column,
                   "duplicate key \"%s\" in one object (first at %lu:%lu)",
                   shown (b->key, b->keylen, buf, sizeof buf),
                   (unsigned long)a->line, (unsigned long)a->column);
          return NULL;
        }
    }
  return m;
}

/* Closes the container on top into *V.  */
static int
pop (parser *p, json_value *v)
{
  const frame *f = &p->stack[--p->depth];
  memset (v, 0, sizeof *v);
  v->line = f->line;
  v->column = f->column;
  v->type = f->object ? JSON_OBJECT : JSON_ARRAY;
  if (f->n == 0)
    return 0;
  if (f->object)
    {
      v->u.obj.members = close_object (p, f);
      v->u.obj.n = f->n;
      return v->u.obj.members ? 0 : -1;
    }
  if (f->n > SIZE_MAX / sizeof (json_value))
    return out_of_memory (p);
  v->u.arr.items = arena_alloc (p->doc, f->n * sizeof (json_value), 16);
  if (v->u.arr.items == NULL)
    return out_of_memory (p);
  memcpy (v->u.arr.items, f->items, f->n * sizeof (json_value));
  v->u.arr.n = f->n;
  return 0;
}

/* ---- The grammar ---- */

/* A key and its ':' for the object on top.  */
static int
read_key (parser *p, frame *f)
{
  char buf[64], buf2[32];
  skip_ws (p);
  if (p->pos >= p->n)
    return unclosed (p);
  if (p->s[p->pos] != '"')
    return fail (p, p->pos,
                 "expected a key (a string) in the object "
                 "opened at %lu:%lu, found %s",
                 (unsigned long)f->line, (unsigned long)f->column,
                 found (p, p->pos, buf2, sizeof buf2));
  uint32_t line, column;
  where (p, p->pos, &line, &column);
  const char *k;
  size_t len;
  if (parse_string (p, &k, &len))
    return -1;
  f->key = k;
  f->keylen = (uint32_t)len;
  f->kline = line;
  f->kcolumn = column;
  skip_ws (p);
  if (p->pos >= p->n)
    return unclosed (p);
  if (p->s[p->pos] != ':')
    return fail (p, p->pos, "expected ':' after the key \"%s\", found %s",
                 shown (k, len, buf, sizeof buf),
                 found (p, p->pos, buf2, sizeof buf2));
  p->pos++;
  return 0;
}

/* Starts the value at p->pos: 1 with a complete value in *V (a scalar or
   an empty container), 0 when a container was opened, -1 on error.  */
static int
begin_value (parser *p, json_value *v)
{
  char buf[32];
  skip_ws (p);
  memset (v, 0, sizeof *v);
  if (p->pos >= p->n)
    return p->depth ? unclosed (p)
                    : fail (p, p->pos, "no JSON value: the input is empty");
  where (p, p->pos, &v->line, &v->column);
  const unsigned char c = p->s[p->pos];
  if (c == '[' || c == '{')
    {
      if (push (p, c == '{'))
        return -1;
      skip_ws (p);
      if (p->pos < p->n && p->s[p->pos] == (c == '{' ? '}' : ']'))
        {
          p->pos++;
          return pop (p, v) ? -1 : 1;
        }
      return c == '{' && read_key (p, &p->stack[p->depth - 1]) ? -1 : 0;
    }
  if (c == '"')
    {
      v->type = JSON_STRING;
      return parse_string (p, &v->u.str.s, &v->u.str.len) ? -1 : 1;
    }
  if (c == '-' || (c >= '0' && c <= '9'))
    {
      v->type = JSON_NUMBER;
      return parse_number (p, &v->u.number) ? -1 : 1;
    }
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
    return parse_word (p, v) ? -1 : 1;
  return fail (p, p->pos, "expected a value, found %s",
               found (p, p->pos, buf, sizeof buf));
}

/* Hands the finished value *V to the container on top: 0 when another
   value follows (after a ','), 1 when the container closed (*V is then
   the container), -1 on error.  */
static int
next (parser *p, json_value *v)
{
  char buf[32];
  frame *f = &p->stack[p->depth - 1];
  if (append (p, f, v))
    return -1;
  skip_ws (p);
  const char close = f->object ? '}' : ']';
  if (p->pos >= p->n)
    return unclosed (p);
  const unsigned char c = p->s[p->pos];
  if (c == close)
    {
      p->pos++;
      return pop (p, v) ? -1 : 1;
    }
  if (c != ',')
    return fail (p, p->pos,
                 "expected ',' or '%c' after %s of the %s opened at "
                 "%lu:%lu, found %s",
                 close, f->object ? "a member" : "an element", kind_of (f),
                 (unsigned long)f->line, (unsigned long)f->column,
                 found (p, p->pos, buf, sizeof buf));
  p->pos++;
  skip_ws (p);
  if (p->pos < p->n && p->s[p->pos] == close)
    return fail (p, p->pos,
                 "a comma before '%c': JSON allows no trailing comma", close);
  return f->object && read_key (p, f) ? -1 : 0;
}

static int
parse_root (parser *p)
{
  json_value v;
  for (;;)
    {
      int r = begin_value (p, &v);
      if (r < 0)
        return -1;
      while (r == 1)
        {
          if (p->depth == 0)
            {
              char buf[32];
              p->doc->root = v;
              skip_ws (p);
              if (p->pos < p->n)
                return fail (p, p->pos, "%s after the JSON value",
                             found (p, p->pos, buf, sizeof buf));
              return 0;
            }
          r = next (p, &v);
          if (r < 0)
            return -1;
        }
    }
}

static size_t
limit (const json_limits *lim, int depth)
{
  if (depth)
    return lim && lim->max_depth ? lim->max_depth : JSON_MAX_DEPTH;
  size_t n = lim && lim->max_bytes ? lim->max_bytes : JSON_MAX_BYTES;
  /* Positions are kept in 32 bits.  */
  return n < UINT32_MAX ? n : UINT32_MAX;
}

json_doc *
json_parse (const char *text, size_t len, const json_limits *lim, char *err,
            size_t errlen)
{
  if (errlen)
    err[0] = '\0';
  if (len > limit (lim, 0))
    {
      snprintf (err, errlen,
                "the input has %zu bytes, more than the limit "
                "of %zu",
                len, limit (lim, 0));
      return NULL;
    }
  json_doc *d = calloc (1, sizeof *d);
  if (d == NULL)
    {
      snprintf (err, errlen, "out of memory");
      return NULL;
    }
  parser p = { .s = (const unsigned char *)text,
               .n = len,
               .line = 1,
               .ccol = 1,
               .err = err,
               .errlen = errlen,
               .doc = d,
               .max_depth = limit (lim, 1) };
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    p.pos = p.line_start = p.cpos = 3;
  const int st = parse_root (&p);
  for (size_t i = 0; i < p.nframes; i++)
    {
      free (p.stack[i].items);
      free (p.stack[i].members);
    }
  free (p.stack);
  free (p.sortbuf);
  if (st)
    {
      json_free (d);
      return NULL;
    }
  return d;
}

json_doc *
json_read (FILE *f, const json_limits *lim, char *err, size_t errlen)
{
  const size_t max = limit (lim, 0);
  size_t n = 0, cap = 0;
  char *buf = NULL;
  /* Up to one byte beyond the limit, to see that it is passed.  */
  while (n <= max && !feof (f) && !ferror (f))
    {
      if (n == cap)
        {
          size_t c = cap ? 2 * cap : 65536;
          c = c > max + 1 ? max + 1 : c;
          char *b = realloc (buf, c);
          if (b == NULL)
            {
              free (buf);
              snprintf (err, errlen, "out of memory");
              return NULL;
            }
          buf = b;
          cap = c;
        }
      n += fread (buf + n, 1, cap - n, f);
    }
  json_doc *d = NULL;
  if (ferror (f))
    snprintf (err, errlen, "read error: %s", strerror (errno ? errno : EIO));
  else if (n > max)
    snprintf (err, errlen, "the input has more than %zu bytes (the limit)",
              max);
  else
    d = json_parse (buf ? buf : "", n, lim, err, errlen);
  free (buf);
  return d;
}

/* ---- Access ---- */

const json_value *
json_root (const json_doc *d)
{
  return d ? &d->root : NULL;
}

json_type
json_typeof (const json_value *v)
{
  return v ? (json_type)v->type : JSON_NULL;
}

const char *
json_type_name (json_type t)
{
  static const char *const names[]
      = { "null",     "false",    "true",     "a number",
          "a string", "an array", "an object" };
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

size_t
json_size (const json_value *v)
{
  if (v == NULL)
    return 0;
  return v->type == JSON_ARRAY    ? v->u.arr.n
         : v->type == JSON_OBJECT ? v->u.obj.n
                                  : 0;
}

const json_value *
json_at (const json_value *v, size_t i)
{
  if (i >= json_size (v))
    return NULL;
  return v->type == JSON_ARRAY ? &v->u.arr.items[i]
                               : &v->u.obj.members[i].value;
}

const char *
json_key (const json_value *obj, size_t i, size_t *len)
{
  if (json_typeof (obj) != JSON_OBJECT || i >= obj->u.obj.n)
    return NULL;
  if (len)
    *len = obj->u.obj.members[i].keylen;
  return obj->u.obj.members[i].key;
}

const json_value *
json_get (const json_value *obj, const char *key)
{
  if (json_typeof (obj) != JSON_OBJECT || key == NULL)
    return NULL;
  const json_member *m = obj->u.obj.members;
  const uint32_t *idx = (const uint32_t *)(m + obj->u.obj.n);
  const json_member want = { key, (uint32_t)strlen (key), 0, 0, { 0 } };
  size_t lo = 0, hi = obj->u.obj.n;
  while (lo < hi)
    {
      const size_t mid = lo + (hi - lo) / 2;
      const int c = keycmp (&m[idx[mid]], &want);
      if (c == 0)
        return &m[idx[mid]].value;
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

const char *
json_string (const json_value *v, size_t *len)
{
  if (json_typeof (v) != JSON_STRING)
    return NULL;
  if (len)
    *len = v->u.str.len;
  return v->u.str.s ? v->u.str.s : "";
}

int
json_number (const json_value *v, double *x)
{
  if (json_typeof (v) != JSON_NUMBER)
    return -1;
  *x = v->u.number;
  return 0;
}

void
json_where (const json_value *v, size_t *line, size_t *column)
{
  *line = v ? v->line : 0;
  *column = v ? v->column : 0;
}
