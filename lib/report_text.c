/* report_text.c: the aligned text format, the default for reading in a
   terminal: '#' provenance and note lines, a header row of titles, and
   columns padded to their width (the first and the text columns to the
   left, numbers to the right).  */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "sdekit/spec.h"

static void
put_line (sde_report_sink *s, const char *p)
{
  sde__report_put_line (s, p, 0, 0);
}

/* The widest line of a comment: the default view fits a 100-column
   terminal.  */
#define WIDTH 100

/* "# HEAD TEXT" on lines of at most WIDTH characters, broken at spaces
   (a longer word gets a line of its own), continued by "#   "; control
   characters escaped.  */
static void
wrapped (sde_report_sink *s, const char *head, const char *text)
{
  char buf[4096];
  snprintf (buf, sizeof buf, "%s%s", head, text);
  char esc[sizeof buf * 2];
  sde_quote (esc, sizeof esc, buf, sizeof buf);
  const char *p = esc;
  size_t col = 2;
  sde__report_put (s, "# ");
  int space = 0; /* a space is owed before the next word */
  while (*p)
    {
      while (*p == ' ')
        p++, space = 1;
      const size_t w = strcspn (p, " ");
      if (w == 0)
        break;
      if (col > 4 && col + space + w > WIDTH)
        {
          sde__report_put (s, "\n#   ");
          col = 4;
          space = 0;
        }
      if (space)
        sde__report_putc (s, ' '), col++;
      for (size_t k = 0; k < w; k++)
        sde__report_putc (s, p[k]);
      col += w;
      p += w;
      space = 0;
    }
  sde__report_putc (s, '\n');
}

static void
text_meta (const sde_report *r, sde_report_sink *s, const char *key,
           const char *value)
{
  /* One line, however long: scripts read provenance with grep.  */
  (void)r;
  sde__report_put (s, "# ");
  put_line (s, key);
  sde__report_put (s, ": ");
  put_line (s, value);
  sde__report_putc (s, '\n');
}

static void
text_begin (const sde_report *r, sde_report_sink *s)
{
  (void)r;
  (void)s;
}

static int
left (const sde_report *r, size_t k)
{
  const sde_column *c = sde__report_col (r, k);
  return k == 0 || c->conv == 's';
}

/* The K-th cell, padded; the last one is not padded on the right, so no
   line ends in a space.  */
static void
aligned (const sde_report *r, sde_report_sink *s, size_t k,
         void (*put) (sde_report_sink *, const sde_column *, const void *),
         const void *what)
{
  const sde_column *c = sde__report_col (r, k);
  sde_report_sink m = { 0 };
  put (&m, c, what);
  const size_t w = sde__report_width (c);
  const size_t pad = m.cols < w ? w - m.cols : 0;
  const int last = k + 1 == r->nshown;
  if (k && !(last && left (r, k) && m.cols == 0))
    sde__report_putc (s, ' ');
  if (!left (r, k))
    sde__report_pad (s, pad);
  put (s, c, what);
  if (left (r, k) && !last)
    sde__report_pad (s, pad);
}

static void
put_title (sde_report_sink *s, const sde_column *c, const void *what)
{
  (void)what;
  put_line (s, sde__report_title (c));
}

static void
put_cell (sde_report_sink *s, const sde_column *c, const void *what)
{
  sde__report_plain_cell (s, c, what, ",", put_line);
}

static void
text_table (const sde_report *r, sde_report_sink *s)
{
  if (r->ntables)
    sde__report_putc (s, '\n');
  sde__report_put (s, "# table: ");
  put_line (s, r->table);
  sde__report_putc (s, '\n');
  for (size_t k = 0; k < r->nshown; k++)
    aligned (r, s, k, put_title, NULL);
  sde__report_putc (s, '\n');
}

static void
text_row (const sde_report *r, sde_report_sink *s, const sde_cell *cells)
{
  for (size_t k = 0; k < r->nshown; k++)
    aligned (r, s, k, put_cell, &cells[r->shown[k]]);
  sde__report_putc (s, '\n');
}

static void
text_table_end (const sde_report *r, sde_report_sink *s)
{
  (void)r;
  (void)s;
}

static void
text_note (const sde_report *r, sde_report_sink *s, const char *text)
{
  (void)r;
  wrapped (s, "", text);
}

static void
text_verdict (const sde_report *r, sde_report_sink *s, int pass,
              const char *text)
{
  (void)r;
  wrapped (s, pass ? "pass: " : "FAIL: ", text);
}

static void
text_end (const sde_report *r, sde_report_sink *s, int ending, const char *why)
{
  (void)ending;
  if (why)
    text_note (r, s, why);
}

const sde_report_format sde__report_text_type = {
  .name = "text",
  .description = "aligned columns for the terminal, '#' comments",
  .flags = 0,
  .meta = text_meta,
  .begin = text_begin,
  .table = text_table,
  .row = text_row,
  .table_end = text_table_end,
  .note = text_note,
  .verdict = text_verdict,
  .end = text_end,
};
