/* report.c: streaming tables in five formats.  LaTeX output is a complete
   document using booktabs (Fear, "Publication quality tables in LaTeX"), so
   it compiles as-is and its tabulars can be pasted into a paper.  */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/report.h"
#include "sdekit/spec.h"

struct sde_report
{
  FILE *out;
  sde_format fmt;
  const sde_column *cols;
  size_t ncols;
  int in_table, started, nrows, ntables, failed;
  char **notes; /* JSON collects notes until the end */
  size_t nnotes;
};

static const char *const format_names[SDE_NFORMATS]
    = { "text", "md", "latex", "csv", "json" };

const char *
sde_report_format_name (sde_format f)
{
  return (unsigned)f < SDE_NFORMATS ? format_names[f] : NULL;
}

int
sde_report_format_find (const char *name)
{
  for (int i = 0; name && i < SDE_NFORMATS; i++)
    if (strcmp (name, format_names[i]) == 0)
      return i;
  return -1;
}

sde_report *
sde_report_alloc (FILE *out, sde_format f)
{
  if (out == NULL || (unsigned)f >= SDE_NFORMATS)
    GSL_ERROR_NULL ("report needs a stream and a known format", GSL_EINVAL);
  sde_report *r = calloc (1, sizeof *r);
  if (r == NULL)
    GSL_ERROR_NULL ("out of memory for report", GSL_ENOMEM);
  r->out = out;
  r->fmt = f;
  return r;
}

void
sde_report_free (sde_report *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->nnotes; i++)
    free (r->notes[i]);
  free (r->notes);
  free (r);
}

static void
put_json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char)*s;
      if (c == '"' || c == '\\')
        fprintf (out, "\\%c", c);
      else if (c < 0x20)
        fprintf (out, "\\u%04x", c);
      else
        fputc (c, out);
    }
  fputc ('"', out);
}

/* Text on one line: control characters become escapes (\n, \xNN), so
   no value can start a new line of the document.  */
static void
put_line (FILE *out, const char *s)
{
  for (; *s; s++)
    {
      const unsigned char c = (unsigned char)*s;
      if (c == '\n')
        fputs ("\\n", out);
      else if (c == '\t')
        fputs ("\\t", out);
      else if (c < 0x20 || c == 0x7f)
        fprintf (out, "\\x%02x", c);
      else
        fputc (c, out);
    }
}

void
sde_report_latex (FILE *out, const char *s)
{
  for (; *s; s++)
    switch (*s)
      {
      case '_':
      case '%':
      case '&':
      case '#':
      case '$':
      case '{':
      case '}':
        fprintf (out, "\\%c", *s);
        break;
      case '\\':
        fputs ("\\textbackslash{}", out);
        break;
      case '^':
        fputs ("\\^{}", out);
        break;
      case '~':
        fputs ("\\~{}", out);
        break;
      default:
        /* A control character would end a comment or a row.  */
        fputc ((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out);
      }
}

/* Comments: '#' everywhere except LaTeX ('%') and JSON (no comments).  */
static void
begin_document (sde_report *r)
{
  if (r->started)
    return;
  r->started = 1;
  if (r->fmt == SDE_FORMAT_LATEX)
    fputs ("\\documentclass{article}\n\\usepackage{booktabs}\n"
           "\\begin{document}\n",
           r->out);
  else if (r->fmt == SDE_FORMAT_JSON)
    fputs ("{\n  \"provenance\": {", r->out);
}

int
sde_report_meta (sde_report *r, const char *key, const char *value)
{
  if (r->ntables > 0)
    GSL_ERROR ("provenance must precede the tables", GSL_EINVAL);
  int first = !r->started;
  if (r->fmt == SDE_FORMAT_LATEX)
    {
      /* Comments go before \documentclass so the file starts with them.  */
      fprintf (r->out, "%% %s: ", key);
      put_line (r->out, value);
      fputc ('\n', r->out);
      return GSL_SUCCESS;
    }
  begin_document (r);
  if (r->fmt == SDE_FORMAT_JSON)
    {
      fputs (first || r->nrows == 0 ? "\n    " : ",\n    ", r->out);
      put_json_string (r->out, key);
      fputs (": ", r->out);
      put_json_string (r->out, value);
      r->nrows = 1; /* reused as "a provenance entry was written" */
    }
  else
    {
      fprintf (r->out, "# %s: ", key);
      put_line (r->out, value);
      fputc ('\n', r->out);
    }
  return GSL_SUCCESS;
}

static void
end_table (sde_report *r)
{
  if (!r->in_table)
    return;
  switch (r->fmt)
    {
    case SDE_FORMAT_LATEX:
      fputs ("\\bottomrule\n\\end{tabular}\n\\end{center}\n", r->out);
      break;
    case SDE_FORMAT_JSON:
      fputs ("\n      ]\n    }", r->out);
      break;
    default:
      break;
    }
  r->in_table = 0;
}

int
sde_report_table (sde_report *r, const char *name, const sde_column *cols,
                  size_t ncols)
{
  if (r->fmt == SDE_FORMAT_LATEX && !r->started)
    begin_document (r);
  begin_document (r);
  end_table (r);
  r->cols = cols;
  r->ncols = ncols;
  r->nrows = 0;
  FILE *o = r->out;
  switch (r->fmt)
    {
    case SDE_FORMAT_TEXT:
      if (r->ntables)
        fputc ('\n', o);
      fprintf (o, "# table: %s\n", name);
      for (size_t c = 0; c < ncols; c++)
        fprintf (o, c ? " %*s" : "%-*s", cols[c].width, cols[c].name);
      fputc ('\n', o);
      break;
    case SDE_FORMAT_CSV:
      if (r->ntables)
        fputc ('\n', o);
      fprintf (o, "# table: %s\n", name);
      for (size_t c = 0; c < ncols; c++)
        fprintf (o, c ? ",%s" : "%s", cols[c].name);
      fputc ('\n', o);
      break;
    case SDE_FORMAT_MD:
      fprintf (o, "\n**%s**\n\n|", name);
      for (size_t c = 0; c < ncols; c++)
        fprintf (o, " %s |", cols[c].name);
      fputs ("\n|", o);
      for (size_t c = 0; c < ncols; c++)
        fputs (cols[c].conv == 's' ? ":---|" : "---:|", o);
      fputc ('\n', o);
      break;
    case SDE_FORMAT_LATEX:
      fputs ("\\begin{center}\n\\begin{tabular}{", o);
      for (size_t c = 0; c < ncols; c++)
        fputc (cols[c].conv == 's' ? 'l' : 'r', o);
      fputs ("}\n\\toprule\n", o);
      for (size_t c = 0; c < ncols; c++)
        {
          if (c)
            fputs (" & ", o);
          if (cols[c].latex)
            fputs (cols[c].latex, o);
          else
            sde_report_latex (o, cols[c].name);
        }
      fputs (" \\\\\n\\midrule\n", o);
      break;
    case SDE_FORMAT_JSON:
      fputs (r->ntables ? ",\n    {\"name\": "
                        : "\n  },\n  \"tables\": [\n    {\"name\": ",
             o);
      put_json_string (o, name);
      fputs (", \"columns\": [", o);
      for (size_t c = 0; c < ncols; c++)
        {
          if (c)
            fputs (", ", o);
          put_json_string (o, cols[c].name);
        }
      fputs ("],\n      \"rows\": [", o);
      break;
    default:
      break;
    }
  r->in_table = 1;
  r->ntables++;
  fflush (o);
  return ferror (o) ? GSL_EFAILED : GSL_SUCCESS;
}

/* Formats a cell as text into buf.  */
static void
format_cell (const sde_column *col, const sde_cell *cell, char *buf, size_t len,
             int json, int csv)
{
  switch (cell->kind)
    {
    case SDE_CELL_DOUBLE:
      if (!isfinite (cell->d))
        snprintf (buf, len, "%s",
                  json ? "null"
                       : (isnan (cell->d) ? "nan"
                          : cell->d > 0   ? "inf"
                                          : "-inf"));
      else if (json || csv)
        /* Machine-read formats keep every bit; PREC is for eyes.  */
        snprintf (buf, len, "%.17g", cell->d);
      else if (col->conv == 'e')
        snprintf (buf, len, "%.*e", col->prec, cell->d);
      else if (col->conv == 'f')
        snprintf (buf, len, "%.*f", col->prec, cell->d);
      else
        snprintf (buf, len, "%.*g", col->prec, cell->d);
      break;
    case SDE_CELL_INT:
      snprintf (buf, len, "%lld", cell->i);
      break;
    case SDE_CELL_STRING:
      snprintf (buf, len, "%s", cell->s);
      break;
    default:
      snprintf (buf, len, "%s", json ? "null" : "-");
    }
}

int
sde_report_row (sde_report *r, const sde_cell *cells)
{
  if (!r->in_table)
    GSL_ERROR ("row outside a table", GSL_EINVAL);
  FILE *o = r->out;
  char buf[128];
  if (r->fmt == SDE_FORMAT_JSON)
    fputs (r->nrows ? ",\n        [" : "\n        [", o);
  else if (r->fmt == SDE_FORMAT_MD)
    fputc ('|', o);
  for (size_t c = 0; c < r->ncols; c++)
    {
      const sde_column *col = &r->cols[c];
      int json = r->fmt == SDE_FORMAT_JSON;
      format_cell (col, &cells[c], buf, sizeof buf, json,
                   r->fmt == SDE_FORMAT_CSV);
      switch (r->fmt)
        {
        case SDE_FORMAT_TEXT:
          if (cells[c].kind == SDE_CELL_STRING)
            sde_quote (buf, sizeof buf, cells[c].s, sizeof buf);
          fprintf (o, c ? " %*s" : "%-*s", col->width, buf);
          break;
        case SDE_FORMAT_CSV:
          if (c)
            fputc (',', o);
          if (cells[c].kind == SDE_CELL_STRING)
            sde_quote (buf, sizeof buf, cells[c].s, sizeof buf);
          if (cells[c].kind == SDE_CELL_STRING && strpbrk (buf, ",\""))
            {
              fputc ('"', o);
              for (const char *s = buf; *s; s++)
                fputs (*s == '"' ? "\"\"" : (char[]){ *s, 0 }, o);
              fputc ('"', o);
            }
          else if (cells[c].kind != SDE_CELL_NA)
            fputs (buf, o);
          break;
        case SDE_FORMAT_MD:
          if (cells[c].kind == SDE_CELL_STRING)
            sde_quote (buf, sizeof buf, cells[c].s, sizeof buf);
          fputc (' ', o);
          for (const char *q = buf; *q; q++)
            fputs (*q == '|' ? "\\|" : (char[]){ *q, 0 }, o);
          fputs (" |", o);
          break;
        case SDE_FORMAT_LATEX:
          if (c)
            fputs (" & ", o);
          if (cells[c].kind == SDE_CELL_STRING || cells[c].kind == SDE_CELL_NA)
            sde_report_latex (o, buf);
          else
            fprintf (o, "$%s$", buf);
          break;
        case SDE_FORMAT_JSON:
          if (c)
            fputs (", ", o);
          if (cells[c].kind == SDE_CELL_STRING)
            put_json_string (o, buf);
          else
            fputs (buf, o);
          break;
        default:
          break;
        }
    }
  switch (r->fmt)
    {
    case SDE_FORMAT_LATEX:
      fputs (" \\\\\n", o);
      break;
    case SDE_FORMAT_JSON:
      fputc (']', o);
      break;
    default:
      fputc ('\n', o);
    }
  r->nrows++;
  fflush (o);
  return ferror (o) ? GSL_EFAILED : GSL_SUCCESS;
}

int
sde_report_note (sde_report *r, const char *text)
{
  switch (r->fmt)
    {
    case SDE_FORMAT_JSON:
      {
        char **n = realloc (r->notes, (r->nnotes + 1) * sizeof *n);
        if (n == NULL)
          GSL_ERROR ("out of memory for note", GSL_ENOMEM);
        r->notes = n;
        if ((n[r->nnotes] = strdup (text)) == NULL)
          GSL_ERROR ("out of memory for note", GSL_ENOMEM);
        r->nnotes++;
        return GSL_SUCCESS;
      }
    case SDE_FORMAT_LATEX:
      if (r->in_table)
        {
          /* A comment inside tabular is harmless and keeps the order.  */
          fputs ("% ", r->out);
          put_line (r->out, text);
          fputc ('\n', r->out);
          break;
        }
      begin_document (r);
      fputs ("\\noindent\\emph{Note:} ", r->out);
      sde_report_latex (r->out, text);
      fputs ("\\par\n", r->out);
      break;
    default:
      fputs ("# ", r->out);
      put_line (r->out, text);
      fputc ('\n', r->out);
    }
  fflush (r->out);
  return ferror (r->out) ? GSL_EFAILED : GSL_SUCCESS;
}

int
sde_report_finish (sde_report *r)
{
  begin_document (r);
  end_table (r);
  if (r->fmt == SDE_FORMAT_LATEX)
    fputs ("\\end{document}\n", r->out);
  else if (r->fmt == SDE_FORMAT_JSON)
    {
      if (r->ntables == 0)
        fputs ("\n  },\n  \"tables\": [", r->out);
      fputs ("\n  ],\n  \"notes\": [", r->out);
      for (size_t i = 0; i < r->nnotes; i++)
        {
          fputs (i ? ",\n    " : "\n    ", r->out);
          put_json_string (r->out, r->notes[i]);
        }
      fputs (r->nnotes ? "\n  ]\n}\n" : "]\n}\n", r->out);
    }
  fflush (r->out);
  return ferror (r->out) ? GSL_EFAILED : GSL_SUCCESS;
}
