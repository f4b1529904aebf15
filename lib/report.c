/* report.c: the report object over its format (a type object, as GSL's
   gsl_odeiv2_step_type): the registry, the column views, the order of the
   parts of a document, the notes that wait, and the trailer that closes a
   document interrupted after its last complete row.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "report_internal.h"
#include "sdekit/spec.h"

const sde_report_format *sde_report_text = &sde__report_text_type;
const sde_report_format *sde_report_md = &sde__report_md_type;
const sde_report_format *sde_report_latex = &sde__report_latex_type;
const sde_report_format *sde_report_csv = &sde__report_csv_type;
const sde_report_format *sde_report_json = &sde__report_json_type;

static const sde_report_format *const registry[]
    = { &sde__report_text_type, &sde__report_md_type,   &sde__report_latex_type,
        &sde__report_csv_type,  &sde__report_json_type, NULL };

const sde_report_format *const *
sde_report_formats (void)
{
  return registry;
}

const sde_report_format *
sde_report_format_find (const char *name)
{
  for (const sde_report_format *const *f = registry; name && *f; f++)
    if (strcmp ((*f)->name, name) == 0)
      return *f;
  return NULL;
}

/* ---- Column lists ---- */

/* Splits a copy of LIST at its commas: entries into *SEL (N of them).
   GSL_EINVAL naming an empty or repeated entry.  */
static int
split_list (const char *list, char **copy, char ***sel, size_t *n)
{
  *copy = NULL;
  *sel = NULL;
  *n = 0;
  if (list == NULL)
    return GSL_SUCCESS;
  size_t cap = 1;
  for (const char *p = list; *p; p++)
    cap += *p == ',';
  char *c = strdup (list);
  char **s = malloc (cap * sizeof *s);
  if (c == NULL || s == NULL)
    {
      free (c);
      free (s);
      return sde_error (GSL_ENOMEM, "out of memory for a column list");
    }
  size_t k = 0;
  for (char *p = c, *q; p; p = q)
    {
      q = strchr (p, ',');
      if (q)
        *q++ = '\0';
      int again = 0;
      for (size_t j = 0; j < k; j++)
        again |= strcmp (s[j], p) == 0;
      if (*p == '\0' || again)
        {
          int st = sde_error (GSL_EINVAL, "column list %s: %s", sde_q (list),
                              *p ? "a column is listed twice"
                                 : "an empty column name");
          free (c);
          free (s);
          return st;
        }
      s[k++] = p;
    }
  *copy = c;
  *sel = s;
  *n = k;
  return GSL_SUCCESS;
}

static int
has_column (const sde_column *cols, size_t ncols, const char *name)
{
  for (size_t c = 0; c < ncols; c++)
    if (strcmp (cols[c].name, name) == 0)
      return 1;
  return 0;
}

/* GSL_EINVAL naming NAME and the columns the first table knows.  */
static int
unknown_column (const char *name, const sde_table_def *t)
{
  char known[512] = "";
  size_t n = 0;
  for (size_t c = 0; t && c < t->ncols && n + 40 < sizeof known; c++)
    n += (size_t)snprintf (known + n, sizeof known - n, "%s%s", c ? ", " : "",
                           t->cols[c].name);
  if (t == NULL)
    return sde_error (GSL_EINVAL, "unknown column %s: no table has it",
                      sde_q (name));
  return sde_error (GSL_EINVAL, "unknown column %s (%s has: %s)", sde_q (name),
                    t->name, known);
}

int
sde_report_columns_check (const char *columns, const sde_table_def *tables,
                          size_t ntables)
{
  char *copy, **sel;
  size_t n;
  int st = split_list (columns, &copy, &sel, &n);
  for (size_t k = 0; !st && k < n; k++)
    {
      int found = 0;
      for (size_t t = 0; t < ntables; t++)
        found |= has_column (tables[t].cols, tables[t].ncols, sel[k]);
      if (!found)
        st = unknown_column (sel[k], ntables ? &tables[0] : NULL);
    }
  free (copy);
  free (sel);
  return st;
}

/* The columns FMT writes of the current table: machine formats every
   non-human one; human formats those listed (in the list's order) when
   the table has any, else the wide or the default view.  */
static int
select_columns (sde_report *r)
{
  if (r->cap_shown < r->ncols + r->nsel)
    {
      size_t *s = realloc (r->shown, (r->ncols + r->nsel) * sizeof *s);
      if (s == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for a table's columns");
      r->shown = s;
      r->cap_shown = r->ncols + r->nsel;
    }
  r->nshown = 0;
  const int machine = r->fmt->flags & SDE_REPORT_MACHINE;
  for (size_t k = 0; k < r->nsel; k++)
    for (size_t c = 0; c < r->ncols; c++)
      if (strcmp (r->cols[c].name, r->sel[k]) == 0)
        {
          if (!machine)
            r->shown[r->nshown++] = c;
          r->used[k] = 1;
        }
  if (machine)
    {
      for (size_t c = 0; c < r->ncols; c++)
        if (!(r->cols[c].flags & SDE_COLUMN_HUMAN))
          r->shown[r->nshown++] = c;
      return GSL_SUCCESS;
    }
  if (r->nshown > 0)
    return GSL_SUCCESS;
  for (size_t c = 0; c < r->ncols; c++)
    if (r->wide || !(r->cols[c].flags & SDE_COLUMN_WIDE))
      r->shown[r->nshown++] = c;
  /* A default view without a column shows them all.  */
  if (r->nshown == 0)
    for (size_t c = 0; c < r->ncols; c++)
      r->shown[r->nshown++] = c;
  return GSL_SUCCESS;
}

/* ---- The object ---- */

sde_report *
sde_report_alloc (FILE *out, const sde_report_format *f,
                  const sde_report_opts *opts)
{
  if (out == NULL || f == NULL)
    GSL_ERROR_NULL ("report needs a stream and a format", GSL_EINVAL);
  sde_report *r = calloc (1, sizeof *r);
  if (r == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for report"), NULL;
  r->out = out;
  r->fmt = f;
  if (opts == NULL)
    return r;
  r->standalone = opts->standalone;
  r->wide = opts->wide;
  int st = split_list (opts->columns, &r->list, &r->sel, &r->nsel);
  if (!st && r->nsel && (r->used = calloc (r->nsel, 1)) == NULL)
    st = sde_error (GSL_ENOMEM, "out of memory for report");
  if (st)
    {
      sde_report_free (r);
      return NULL;
    }
  return r;
}

void
sde_report_free (sde_report *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->ntexts; i++)
    free (r->texts[i].text);
  for (size_t i = 0; i < r->nnames; i++)
    free (r->names[i]);
  free (r->texts);
  free (r->names);
  free (r->shown);
  free (r->list);
  free (r->sel);
  free (r->used);
  free (r);
}

const sde_report_format *
sde_report_format_of (const sde_report *r)
{
  return r->fmt;
}

/* After a part is written: flushed, so an interrupted run keeps it.  */
static int
flushed (sde_report *r)
{
  if (fflush (r->out) != 0 || ferror (r->out))
    return sde_error (GSL_EFAILED, "writing the report failed");
  /* The owner learns the document is whole up to here (a tool then
     recomputes what would close it after an interrupt).  */
  if (r->on_write)
    r->on_write (r->on_write_ctx);
  return GSL_SUCCESS;
}

void
sde_report_on_write (sde_report *r, void (*fn) (void *ctx), void *ctx)
{
  r->on_write = fn;
  r->on_write_ctx = ctx;
}

static sde_report_sink
stream (const sde_report *r)
{
  return (sde_report_sink){ .f = r->out };
}

static int
usable (const sde_report *r)
{
  if (r == NULL)
    GSL_ERROR ("no report", GSL_EINVAL);
  if (r->finished)
    GSL_ERROR ("the report is finished", GSL_EINVAL);
  return GSL_SUCCESS;
}

int
sde_report_meta (sde_report *r, const char *key, const char *value)
{
  int st = usable (r);
  if (st)
    return st;
  if (r->begun)
    GSL_ERROR ("provenance must precede the tables and notes", GSL_EINVAL);
  sde_report_sink s = stream (r);
  r->fmt->meta (r, &s, key ? key : "", value ? value : "");
  r->nmeta++;
  return flushed (r);
}

static void
begin (sde_report *r)
{
  if (r->begun)
    return;
  sde_report_sink s = stream (r);
  r->fmt->begin (r, &s);
  r->begun = 1;
}

/* Writes the notes and verdicts that wait.  */
static void
write_waiting (const sde_report *r, sde_report_sink *s, int mark)
{
  for (size_t i = 0; i < r->ntexts; i++)
    {
      sde__report_text *t = &r->texts[i];
      if (t->written)
        continue;
      if (t->verdict)
        r->fmt->verdict (r, s, t->pass, t->text);
      else
        r->fmt->note (r, s, t->text);
      if (mark)
        t->written = 1;
    }
}

static void
end_table (sde_report *r)
{
  if (!r->in_table)
    return;
  sde_report_sink s = stream (r);
  r->fmt->table_end (r, &s);
  r->in_table = 0;
  r->ntables++;
  if (!(r->fmt->flags & SDE_REPORT_NOTES_AT_END))
    write_waiting (r, &s, 1);
}

int
sde_report_table_end (sde_report *r)
{
  int st = usable (r);
  if (st || !r->in_table)
    return st;
  end_table (r);
  return flushed (r);
}

static int
reserved (const char *name)
{
  static const char *const words[]
      = { "sdekit",   "format",      "provenance", "notes",
          "verdicts", "interrupted", "failed" };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp (name, words[i]) == 0)
      return 1;
  return 0;
}

/* Whether NAME can head a new table; keeps a copy.  */
static int
new_name (sde_report *r, const char *name)
{
  if (name == NULL || *name == '\0' || reserved (name))
    return sde_error (GSL_EINVAL, "table name %s is empty or reserved",
                      sde_q (name ? name : ""));
  for (size_t i = 0; i < r->nnames; i++)
    if (strcmp (r->names[i], name) == 0)
      return sde_error (GSL_EINVAL, "a second table named %s", sde_q (name));
  char *c = strdup (name);
  char **n = c ? realloc (r->names, (r->nnames + 1) * sizeof *n) : NULL;
  if (n == NULL)
    {
      free (c);
      return sde_error (GSL_ENOMEM, "out of memory for a table");
    }
  r->names = n;
  n[r->nnames++] = c;
  r->table = c;
  return GSL_SUCCESS;
}

int
sde_report_table (sde_report *r, const char *name, const sde_column *cols,
                  size_t ncols)
{
  int st = usable (r);
  if (st)
    return st;
  begin (r);
  end_table (r);
  if ((r->fmt->flags & SDE_REPORT_ONE_TABLE) && r->nnames > 0)
    return sde_error (GSL_EINVAL,
                      "table %s: a %s report holds one table (write it to "
                      "a file of its own)",
                      sde_q (name ? name : ""), r->fmt->name);
  if (cols == NULL || ncols == 0)
    GSL_ERROR ("a table needs columns", GSL_EINVAL);
  for (size_t c = 0; c < ncols; c++)
    {
      if (cols[c].name == NULL || *cols[c].name == '\0')
        GSL_ERROR ("a column needs a name", GSL_EINVAL);
      for (size_t d = 0; d < c; d++)
        if (strcmp (cols[d].name, cols[c].name) == 0)
          return sde_error (GSL_EINVAL, "table %s: two columns named %s",
                            sde_q (name ? name : ""), sde_q (cols[c].name));
    }
  if ((st = new_name (r, name)))
    return st;
  r->cols = cols;
  r->ncols = ncols;
  if ((st = select_columns (r)))
    return st;
  r->nrows = 0;
  sde_report_sink s = stream (r);
  r->fmt->table (r, &s);
  r->in_table = 1;
  return flushed (r);
}

int
sde_report_row (sde_report *r, const sde_cell *cells)
{
  int st = usable (r);
  if (st)
    return st;
  if (!r->in_table || cells == NULL)
    GSL_ERROR ("a row outside a table", GSL_EINVAL);
  sde_report_sink s = stream (r);
  r->fmt->row (r, &s, cells);
  r->nrows++;
  return flushed (r);
}

static int
add_text (sde_report *r, int verdict, int pass, const char *text)
{
  int st = usable (r);
  if (st)
    return st;
  begin (r);
  if (r->ntexts == r->cap_texts)
    {
      size_t cap = r->cap_texts ? 2 * r->cap_texts : 16;
      sde__report_text *t = realloc (r->texts, cap * sizeof *t);
      if (t == NULL)
        return sde_error (GSL_ENOMEM, "out of memory for a note");
      r->texts = t;
      r->cap_texts = cap;
    }
  sde__report_text *t = &r->texts[r->ntexts];
  *t = (sde__report_text){ .text = strdup (text ? text : ""),
                           .verdict = verdict,
                           .pass = !!pass };
  if (t->text == NULL)
    return sde_error (GSL_ENOMEM, "out of memory for a note");
  r->ntexts++;
  const unsigned fl = r->fmt->flags;
  if (fl & SDE_REPORT_NOTES_AT_END
      || (fl & SDE_REPORT_NOTES_OUTSIDE && r->in_table))
    return GSL_SUCCESS;
  sde_report_sink s = stream (r);
  write_waiting (r, &s, 1);
  return flushed (r);
}

int
sde_report_note (sde_report *r, const char *text)
{
  return add_text (r, 0, 0, text);
}

int
sde_report_verdict (sde_report *r, int pass, const char *text)
{
  return add_text (r, 1, pass, text);
}

void
sde_report_set_failed (sde_report *r)
{
  if (r)
    r->failed = 1;
}

int
sde_report_finish (sde_report *r)
{
  int st = usable (r);
  if (st)
    return st;
  begin (r);
  end_table (r);
  sde_report_sink s = stream (r);
  r->fmt->end (r, &s, r->failed ? SDE_REPORT_FAILED : SDE_REPORT_COMPLETE,
               NULL);
  r->finished = 1;
  if ((st = flushed (r)))
    return st;
  for (size_t k = 0; k < r->nsel; k++)
    if (!r->used[k])
      return sde_error (GSL_EINVAL, "unknown column %s: no table had it",
                        sde_q (r->sel[k]));
  return GSL_SUCCESS;
}

/* ---- The trailer ---- */

static void
compose_trailer (const sde_report *r, sde_report_sink *s, int interrupted)
{
  const char *why = interrupted
                        ? "interrupted: the rows above were finished before "
                          "the signal"
                        : "stopped by an error (see the message on stderr): "
                          "the rows above are finished";
  if (!r->begun)
    r->fmt->begin (r, s);
  if (r->in_table)
    r->fmt->table_end (r, s);
  if (!s->lean && !(r->fmt->flags & SDE_REPORT_NOTES_AT_END))
    write_waiting (r, s, 0);
  r->fmt->end (r, s, interrupted ? SDE_REPORT_INTERRUPTED : SDE_REPORT_FAILED,
               why);
}

size_t
sde_report_trailer (const sde_report *r, int interrupted, char *buf, size_t len)
{
  if (buf == NULL || len == 0)
    return 0;
  buf[0] = '\0';
  if (r == NULL || r->finished)
    return 0;
  for (int lean = 0; lean < 2; lean++)
    {
      sde_report_sink s = { .buf = buf, .len = len, .lean = lean };
      compose_trailer (r, &s, interrupted);
      if (!s.full)
        {
          buf[s.n] = '\0';
          return s.n;
        }
    }
  buf[0] = '\0';
  return 0;
}

void
sde_report_latex_fputs (FILE *out, const char *s)
{
  sde_report_sink k = { .f = out };
  sde__report_put_latex (&k, s);
}
