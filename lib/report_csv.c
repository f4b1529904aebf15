/* report_csv.c: CSV (RFC 4180) for scripts: one rectangular table, so
   pandas.read_csv (FILE, comment='#') reads it whole.  '#' comment lines
   (provenance, notes, verdicts) hold no comma; a field with a comma, a
   quote or a '#' is quoted; NA is an empty field, booleans true and false,
   a list one field with its items joined by ';'; doubles keep every bit
   (%.17g).  A string's control characters are written as escapes (\n),
   so a record is one line.  */
#include <config.h>

#include <string.h>

#include "report_internal.h"

static void
csv_comment (sde_report_sink *s, const char *a, const char *b)
{
  sde__report_put (s, "# ");
  sde__report_put_line (s, a, 1, 0);
  if (b)
    {
      sde__report_put (s, ": ");
      sde__report_put_line (s, b, 1, 0);
    }
  sde__report_putc (s, '\n');
}

static void
csv_meta (const sde_report *r, sde_report_sink *s, const char *key,
          const char *value)
{
  (void)r;
  csv_comment (s, key, value);
}

static void
csv_begin (const sde_report *r, sde_report_sink *s)
{
  (void)r;
  (void)s;
}

/* P inside a field: control characters escaped, quotes doubled; in a list
   item, ';' and '\' take a backslash.  */
static void
put_text (sde_report_sink *s, const char *p, int item)
{
  for (; *p; p++)
    {
      if (*p == '"')
        sde__report_putc (s, '"');
      if (item && (*p == ';' || *p == '\\'))
        sde__report_putc (s, '\\');
      if (*p == '"' || *p == ';' || *p == '\\')
        sde__report_putc (s, *p);
      else
        {
          const char one[2] = { *p, '\0' };
          sde__report_put_line (s, one, 0, 0);
        }
    }
}

static int
needs_quotes (const char *p)
{
  return p && (strpbrk (p, ",\"#") || *p == ' ' || *p == '\0');
}

static void
put_string (sde_report_sink *s, const char *p)
{
  const int q = needs_quotes (p);
  if (q)
    sde__report_putc (s, '"');
  put_text (s, p ? p : "", 0);
  if (q)
    sde__report_putc (s, '"');
}

static void
put_strings (sde_report_sink *s, const char *const *v, size_t n)
{
  int q = 0;
  for (size_t k = 0; k < n; k++)
    q |= v[k] && strpbrk (v[k], ",\"#");
  if (q)
    sde__report_putc (s, '"');
  for (size_t k = 0; k < n; k++)
    {
      sde__report_put (s, k ? ";" : "");
      put_text (s, v[k] ? v[k] : "", 1);
    }
  if (q)
    sde__report_putc (s, '"');
}

static void
put_cell (sde_report_sink *s, const sde_cell *cell)
{
  char b[64];
  switch (cell->kind)
    {
    case SDE_CELL_DOUBLE:
      sde__report_exact (b, sizeof b, cell->d, 0);
      sde__report_put (s, b);
      break;
    case SDE_CELL_INT:
      snprintf (b, sizeof b, "%lld", cell->i);
      sde__report_put (s, b);
      break;
    case SDE_CELL_STRING:
      put_string (s, cell->s);
      break;
    case SDE_CELL_BOOL:
      sde__report_put (s, cell->i ? "true" : "false");
      break;
    case SDE_CELL_DOUBLES:
    case SDE_CELL_PM:
      for (size_t k = 0; k < (cell->kind == SDE_CELL_PM ? 2 : cell->n); k++)
        {
          sde__report_exact (b, sizeof b,
                             cell->kind == SDE_CELL_PM
                                 ? (k ? cell->hw : cell->d)
                                 : cell->dv[k],
                             0);
          sde__report_put (s, k ? ";" : "");
          sde__report_put (s, b);
        }
      break;
    case SDE_CELL_STRINGS:
      put_strings (s, cell->sv, cell->n);
      break;
    default:
      break;
    }
}

static void
csv_table (const sde_report *r, sde_report_sink *s)
{
  csv_comment (s, "table", r->table);
  for (size_t k = 0; k < r->nshown; k++)
    {
      sde__report_put (s, k ? "," : "");
      put_string (s, sde__report_col (r, k)->name);
    }
  sde__report_putc (s, '\n');
}

static void
csv_row (const sde_report *r, sde_report_sink *s, const sde_cell *cells)
{
  for (size_t k = 0; k < r->nshown; k++)
    {
      sde__report_put (s, k ? "," : "");
      put_cell (s, &cells[r->shown[k]]);
    }
  sde__report_putc (s, '\n');
}

static void
csv_table_end (const sde_report *r, sde_report_sink *s)
{
  (void)r;
  (void)s;
}

static void
csv_note (const sde_report *r, sde_report_sink *s, const char *text)
{
  (void)r;
  csv_comment (s, text, NULL);
}

static void
csv_verdict (const sde_report *r, sde_report_sink *s, int pass,
             const char *text)
{
  (void)r;
  csv_comment (s, pass ? "pass" : "FAIL", text);
}

static void
csv_end (const sde_report *r, sde_report_sink *s, int ending, const char *why)
{
  (void)ending;
  if (why)
    csv_note (r, s, why);
}

const sde_report_format sde__report_csv_type = {
  .name = "csv",
  .description = "one CSV table, every bit, '#' comments without commas",
  .flags = SDE_REPORT_MACHINE | SDE_REPORT_ONE_TABLE,
  .meta = csv_meta,
  .begin = csv_begin,
  .table = csv_table,
  .row = csv_row,
  .table_end = csv_table_end,
  .note = csv_note,
  .verdict = csv_verdict,
  .end = csv_end,
};
