/* report_internal.h: the report object and what its formats share
   (library-internal): the sink they write to, escaping for each syntax,
   and the rounding of numbers for human formats.  */
#ifndef SDEKIT_REPORT_INTERNAL_H
#define SDEKIT_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "sdekit/report.h"

/* A stream, a buffer of LEN bytes (kept NUL-free; the caller ends it), or
   neither: then only the count of display columns is kept, to measure a
   cell before padding it.  */
struct sde_report_sink
{
  FILE *f;
  char *buf;
  size_t len, n; /* the buffer's size and the bytes in it */
  size_t cols;   /* display columns written (UTF-8 characters) */
  int full;      /* the buffer was too small */
  int lean;      /* a trailer without the stored notes */
};

/* A note or verdict, kept until the end (JSON writes them there; the
   trailer writes those that wait).  */
typedef struct
{
  char *text;
  int verdict, pass;
  int written;
} sde__report_text;

struct sde_report
{
  FILE *out;
  const sde_report_format *fmt;
  int standalone, wide;
  char *list;          /* the column list, split in place at the commas */
  char **sel;          /* its entries */
  unsigned char *used; /* per entry: some table had it */
  size_t nsel;
  char *table; /* the current table's name */
  const sde_column *cols;
  size_t ncols;
  size_t *shown; /* the columns this format writes, in order */
  size_t nshown, cap_shown;
  size_t nmeta, ntables, nrows; /* ntables: those begun before this one */
  int begun, in_table, finished, failed;
  sde__report_text *texts;
  size_t ntexts, cap_texts;
  char **names; /* every table's name, for unique JSON keys */
  size_t nnames;
  void (*on_write) (void *ctx); /* sde_report_on_write */
  void *on_write_ctx;
};

/* The formats (report_<name>.c).  */
extern const sde_report_format sde__report_text_type;
extern const sde_report_format sde__report_md_type;
extern const sde_report_format sde__report_latex_type;
extern const sde_report_format sde__report_csv_type;
extern const sde_report_format sde__report_json_type;

/* ---- Writing (async-signal-safe on a buffer) ---- */

void sde__report_putn (sde_report_sink *s, const char *p, size_t n);
void sde__report_put (sde_report_sink *s, const char *p);
void sde__report_putc (sde_report_sink *s, char c);
void sde__report_pad (sde_report_sink *s, size_t n);
/* An unsigned number in decimal.  */
void sde__report_putu (sde_report_sink *s, unsigned long long u);

/* P on one line: control characters as \n, \t or \xNN.  With NOCOMMA,
   commas become ';' (CSV comments).  With ENDCOMMENT, nothing ends an
   HTML comment (the '>' of "-->" or "--!>" becomes "&gt;").  */
void sde__report_put_line (sde_report_sink *s, const char *p, int nocomma,
                           int endcomment);

/* P as LaTeX text: the special characters escaped, control characters as
   spaces.  */
void sde__report_put_latex (sde_report_sink *s, const char *p);

/* P as Markdown text: punctuation that would format, '|' included,
   escaped by a backslash; control characters as escapes.  */
void sde__report_put_md (sde_report_sink *s, const char *p);

/* P as a JSON string, quotes included.  */
void sde__report_put_json (sde_report_sink *s, const char *p);

/* ---- Tables ---- */

/* The column shown K-th.  */
const sde_column *sde__report_col (const sde_report *r, size_t k);

/* Its title (text, Markdown) and width in text: the declared width, or
   the title's if wider.  */
const char *sde__report_title (const sde_column *c);
size_t sde__report_width (const sde_column *c);

/* Display columns of a UTF-8 string.  */
size_t sde__report_strwidth (const char *p);

/* X rounded as the column asks ("nan", "inf", "-inf" when not finite).  */
void sde__report_round (char *buf, size_t len, const sde_column *c, double x);

/* X with every bit (%.17g).  JSON: a decimal point or exponent always (so
   a reader gets a float), and "null" when X is not finite; CSV: "nan",
   "inf", "-inf".  */
void sde__report_exact (char *buf, size_t len, double x, int json);

/* X +- H with a common decimal exponent: the mantissas into MX and MH
   (LEN bytes each) and the exponent, 0 for a 'f' column.  MH is empty
   when H is NaN.  */
int sde__report_pm (const sde_column *c, double x, double h, char *mx, char *mh,
                    size_t len);

/* The human text of a boolean in column C (its marks, or yes/no) into BUF.  */
void sde__report_mark (char *buf, size_t len, const sde_column *c, int value);

/* A cell for text and Markdown: numbers rounded, lists joined by SEP,
   strings through PUT (control characters escaped).  */
void sde__report_plain_cell (sde_report_sink *s, const sde_column *c,
                             const sde_cell *cell, const char *sep,
                             void (*put) (sde_report_sink *, const char *));

#endif /* SDEKIT_REPORT_INTERNAL_H */
