/* json.h: a small strict JSON reader (RFC 8259) for the tools that read
   back what sdekit wrote.  It accepts exactly the grammar of RFC 8259
   section 2-8 in UTF-8 and builds a read-only tree with lookups by key and
   by index.  Errors are one line, "LINE:COLUMN: reason" (columns count
   characters from 1).  Hostile input cannot exhaust the stack (the parser
   keeps its own stack, bounded by a depth limit) or the memory (the input
   is bounded in bytes, and while parsing it takes at most about 50 bytes
   per input byte, far less for tables of numbers).

   Choices where RFC 8259 leaves room (section 9):
   - duplicate keys in one object are refused, naming both places: two
     readers could otherwise see two different documents;
   - numbers are IEEE doubles, correctly rounded; a number beyond the
     largest double (1e400) is refused, not made infinite, and a number
     below the smallest becomes the nearest double (0 or subnormal);
     numbers longer than 1000 characters are refused; NaN and Infinity
     are not JSON and are refused with a reason;
   - strings may hold any Unicode scalar value, \u0000 included (a string
     then has a length beyond its first NUL); unpaired surrogates and
     ill-formed UTF-8 are refused;
   - a UTF-8 byte order mark at the start is skipped;
   - any value may be the top-level value.  */
#ifndef SDEKIT_JSON_H
#define SDEKIT_JSON_H

#include <stddef.h>
#include <stdio.h>

typedef enum
{
  JSON_NULL,
  JSON_FALSE,
  JSON_TRUE,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

typedef struct json_value json_value;
typedef struct json_doc json_doc;

/* Limits; a field left 0 takes the default.  */
typedef struct
{
  size_t max_bytes; /* the input's size (default JSON_MAX_BYTES) */
  size_t max_depth; /* arrays and objects nested (default JSON_MAX_DEPTH) */
} json_limits;

#define JSON_MAX_BYTES ((size_t)16 << 20)
#define JSON_MAX_DEPTH ((size_t)64)

/* Parses LEN bytes of TEXT (borrowed; no NUL needed).  LIM may be NULL
   (the defaults).  Returns the document, or NULL with "LINE:COLUMN:
   reason" (or "out of memory") in ERR, which has room for ERRLEN bytes.  */
json_doc *json_parse (const char *text, size_t len, const json_limits *lim,
                      char *err, size_t errlen);

/* Reads F to its end and parses it; a file beyond the size limit is
   refused without reading it all.  */
json_doc *json_read (FILE *f, const json_limits *lim, char *err, size_t errlen);

/* Frees the document and every value in it; NULL is a no-op.  */
void json_free (json_doc *d);

/* The top-level value (owned by the document).  */
const json_value *json_root (const json_doc *d);

/* Every accessor below takes NULL and then answers NULL, 0 or -1, so
   lookups chain: json_get (json_get (root, "a"), "b").  */

/* The value's type (JSON_NULL for NULL) and its name ("null", "false",
   "true", "a number", "a string", "an array", "an object").  */
json_type json_typeof (const json_value *v);
const char *json_type_name (json_type t);

/* Elements of an array, members of an object; 0 for anything else.  */
size_t json_size (const json_value *v);

/* The I-th element of an array, or the value of an object's I-th member
   in document order; NULL beyond the end or for a scalar.  */
const json_value *json_at (const json_value *v, size_t i);

/* The key of an object's I-th member (NUL-terminated; *LEN, when LEN is
   not NULL, is its length in bytes); NULL beyond the end.  */
const char *json_key (const json_value *obj, size_t i, size_t *len);

/* The value of KEY in an object (binary search); NULL when absent or when
   OBJ is not an object.  */
const json_value *json_get (const json_value *obj, const char *key);

/* A string's UTF-8 bytes, NUL-terminated, and its length; NULL when V is
   not a string.  */
const char *json_string (const json_value *v, size_t *len);

/* A number's value into *X: 0, or -1 when V is not a number.  */
int json_number (const json_value *v, double *x);

/* Where V starts in the text (1-based); 0 and 0 for NULL.  */
void json_where (const json_value *v, size_t *line, size_t *column);

#endif /* SDEKIT_JSON_H */
