/* report_md.c: Markdown (GitHub's pipe tables, CommonMark otherwise):
   provenance as HTML comments, which render as nothing; each table under
   its name in bold; notes and verdicts as list items after the table.  */
#include <config.h>

#include "report_internal.h"

static void
md_meta (const sde_report *r, sde_report_sink *s, const char *key,
         const char *value)
{
  (void)r;
  sde__report_put (s, "<!-- ");
  sde__report_put_line (s, key, 0, 1);
  sde__report_put (s, ": ");
  sde__report_put_line (s, value, 0, 1);
  sde__report_put (s, " -->\n");
}

static void
md_begin (const sde_report *r, sde_report_sink *s)
{
  (void)r;
  (void)s;
}

static void
md_table (const sde_report *r, sde_report_sink *s)
{
  sde__report_put (s, "\n**");
  sde__report_put_md (s, r->table);
  sde__report_put (s, "**\n\n|");
  for (size_t k = 0; k < r->nshown; k++)
    {
      sde__report_putc (s, ' ');
      sde__report_put_md (s, sde__report_title (sde__report_col (r, k)));
      sde__report_put (s, " |");
    }
  sde__report_put (s, "\n|");
  for (size_t k = 0; k < r->nshown; k++)
    sde__report_put (s,
                     sde__report_col (r, k)->conv == 's' ? ":---|" : "---:|");
  sde__report_putc (s, '\n');
}

static void
md_row (const sde_report *r, sde_report_sink *s, const sde_cell *cells)
{
  sde__report_putc (s, '|');
  for (size_t k = 0; k < r->nshown; k++)
    {
      sde__report_putc (s, ' ');
      sde__report_plain_cell (s, sde__report_col (r, k), &cells[r->shown[k]],
                              ", ", sde__report_put_md);
      sde__report_put (s, " |");
    }
  sde__report_putc (s, '\n');
}

static void
md_table_end (const sde_report *r, sde_report_sink *s)
{
  /* A blank line ends the table before any note.  */
  (void)r;
  sde__report_putc (s, '\n');
}

static void
md_note (const sde_report *r, sde_report_sink *s, const char *text)
{
  (void)r;
  sde__report_put (s, "- ");
  sde__report_put_md (s, text);
  sde__report_putc (s, '\n');
}

static void
md_verdict (const sde_report *r, sde_report_sink *s, int pass, const char *text)
{
  (void)r;
  sde__report_put (s, pass ? "- **pass**: " : "- **FAIL**: ");
  sde__report_put_md (s, text);
  sde__report_putc (s, '\n');
}

static void
md_end (const sde_report *r, sde_report_sink *s, int ending, const char *why)
{
  (void)ending;
  if (why)
    md_note (r, s, why);
}

const sde_report_format sde__report_md_type = {
  .name = "md",
  .description = "Markdown pipe tables, provenance as HTML comments",
  .flags = SDE_REPORT_NOTES_OUTSIDE,
  .meta = md_meta,
  .begin = md_begin,
  .table = md_table,
  .row = md_row,
  .table_end = md_table_end,
  .note = md_note,
  .verdict = md_verdict,
  .end = md_end,
};
