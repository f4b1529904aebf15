/* report_latex.c: LaTeX tables for papers, in booktabs' style (Fear,
   "Publication quality tables in LaTeX"): \toprule, \midrule, \bottomrule
   and no vertical rules.  By default a fragment that \input accepts in a
   document loading booktabs: provenance, notes and verdicts as %
   comments, each table a tabular, tables apart by a blank line.  With
   the standalone option a whole document (article) with notes as text.
   Numbers are math, m\times10^{n}; a value and its half-width share one
   exponent, (m \pm h)\times10^{n}.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static void
comment (sde_report_sink *s, const char *a, const char *b)
{
  sde__report_put (s, "% ");
  sde__report_put_line (s, a, 0, 0);
  if (b)
    {
      sde__report_put (s, ": ");
      sde__report_put_line (s, b, 0, 0);
    }
  sde__report_putc (s, '\n');
}

static void
latex_meta (const sde_report *r, sde_report_sink *s, const char *key,
            const char *value)
{
  (void)r;
  comment (s, key, value);
}

static void
latex_begin (const sde_report *r, sde_report_sink *s)
{
  if (r->standalone)
    sde__report_put (s, "\\documentclass{article}\n\\usepackage{booktabs}\n"
                        "\\begin{document}\n");
  else
    sde__report_put (s, "% A fragment: \\input it where booktabs is loaded.\n");
}

/* "2.137e-02" as "2.137\times10^{-2}" (in math).  */
static void
put_number (sde_report_sink *s, const char *b)
{
  const char *e = strchr (b, 'e');
  if (e == NULL)
    {
      sde__report_put (s, b);
      return;
    }
  sde__report_putn (s, b, (size_t)(e - b));
  const int x = atoi (e + 1);
  if (x == 0)
    return;
  char t[32];
  snprintf (t, sizeof t, "\\times10^{%d}", x);
  sde__report_put (s, t);
}

static void
put_double (sde_report_sink *s, const sde_column *c, double x)
{
  char b[64];
  if (isnan (x))
    sde__report_put (s, "--");
  else if (isinf (x))
    sde__report_put (s, x > 0 ? "$\\infty$" : "$-\\infty$");
  else
    {
      sde__report_round (b, sizeof b, c, x);
      sde__report_putc (s, '$');
      put_number (s, b);
      sde__report_putc (s, '$');
    }
}

static void
put_pm (sde_report_sink *s, const sde_column *c, double x, double h)
{
  char mx[64], mh[64], t[32];
  if (isnan (x) || isinf (x) || isnan (h))
    {
      put_double (s, c, x);
      return;
    }
  const int e = sde__report_pm (c, x, h, mx, mh, sizeof mx);
  sde__report_put (s, e ? "$(" : "$");
  sde__report_put (s, mx);
  sde__report_put (s, "\\pm");
  sde__report_put (s, mh);
  snprintf (t, sizeof t, ")\\times10^{%d}$", e);
  sde__report_put (s, e ? t : "$");
}

static void
put_cell (sde_report_sink *s, const sde_column *c, const sde_cell *cell)
{
  char b[64];
  switch (cell->kind)
    {
    case SDE_CELL_DOUBLE:
      put_double (s, c, cell->d);
      break;
    case SDE_CELL_INT:
      snprintf (b, sizeof b, "$%lld$", cell->i);
      sde__report_put (s, b);
      break;
    case SDE_CELL_STRING:
      sde__report_put_latex (s, cell->s ? cell->s : "");
      break;
    case SDE_CELL_BOOL:
      sde__report_mark (b, sizeof b, c, (int)cell->i);
      sde__report_put_latex (s, b);
      break;
    case SDE_CELL_DOUBLES:
      for (size_t k = 0; k < cell->n; k++)
        {
          sde__report_put (s, k ? ", " : "");
          put_double (s, c, cell->dv[k]);
        }
      break;
    case SDE_CELL_STRINGS:
      for (size_t k = 0; k < cell->n; k++)
        {
          sde__report_put (s, k ? ", " : "");
          sde__report_put_latex (s, cell->sv[k] ? cell->sv[k] : "");
        }
      break;
    case SDE_CELL_PM:
      put_pm (s, c, cell->d, cell->hw);
      break;
    default:
      sde__report_put (s, "--");
    }
}

static void
latex_table (const sde_report *r, sde_report_sink *s)
{
  if (r->ntables)
    sde__report_putc (s, '\n');
  comment (s, "table", r->table);
  if (r->standalone)
    sde__report_put (s, "\\begin{center}\n");
  sde__report_put (s, "\\begin{tabular}{");
  for (size_t k = 0; k < r->nshown; k++)
    sde__report_putc (s, sde__report_col (r, k)->conv == 's' ? 'l' : 'r');
  sde__report_put (s, "}\n\\toprule\n");
  for (size_t k = 0; k < r->nshown; k++)
    {
      const sde_column *c = sde__report_col (r, k);
      sde__report_put (s, k ? " & " : "");
      if (c->latex)
        sde__report_put (s, c->latex);
      else
        sde__report_put_latex (s, sde__report_title (c));
    }
  sde__report_put (s, " \\\\\n\\midrule\n");
}

static void
latex_row (const sde_report *r, sde_report_sink *s, const sde_cell *cells)
{
  for (size_t k = 0; k < r->nshown; k++)
    {
      sde__report_put (s, k ? " & " : "");
      put_cell (s, sde__report_col (r, k), &cells[r->shown[k]]);
    }
  sde__report_put (s, " \\\\\n");
}

static void
latex_table_end (const sde_report *r, sde_report_sink *s)
{
  sde__report_put (s, "\\bottomrule\n\\end{tabular}\n");
  if (r->standalone)
    sde__report_put (s, "\\end{center}\n");
}

/* A note (LABEL NULL) or a verdict: a comment in a fragment, a paragraph
   in a document.  */
static void
latex_text (const sde_report *r, sde_report_sink *s, const char *label,
            const char *text)
{
  if (!r->standalone)
    {
      if (label)
        comment (s, label, text);
      else
        comment (s, text, NULL);
      return;
    }
  sde__report_put (s, label ? "\\noindent\\textbf{" : "\\noindent\\emph{");
  sde__report_put (s, label ? label : "Note");
  sde__report_put (s, ":} ");
  sde__report_put_latex (s, text);
  sde__report_put (s, "\\par\\smallskip\n");
}

static void
latex_note (const sde_report *r, sde_report_sink *s, const char *text)
{
  latex_text (r, s, NULL, text);
}

static void
latex_verdict (const sde_report *r, sde_report_sink *s, int pass,
               const char *text)
{
  latex_text (r, s, pass ? "pass" : "FAIL", text);
}

static void
latex_end (const sde_report *r, sde_report_sink *s, int ending, const char *why)
{
  (void)ending;
  if (why)
    latex_note (r, s, why);
  if (r->standalone)
    sde__report_put (s, "\\end{document}\n");
}

const sde_report_format sde__report_latex_type = {
  .name = "latex",
  .description = "booktabs tabulars: a fragment for \\input, or a document",
  .flags = SDE_REPORT_NOTES_OUTSIDE,
  .meta = latex_meta,
  .begin = latex_begin,
  .table = latex_table,
  .row = latex_row,
  .table_end = latex_table_end,
  .note = latex_note,
  .verdict = latex_verdict,
  .end = latex_end,
};
