/* report_json.c: JSON (RFC 8259) for scripts, in the schema of
   man/report-json.x.txt: one object with the version, the schema number,
   the provenance, each table as a list of records under its name (so
   pandas.DataFrame (doc["errors"]) is the table), the notes, the verdicts
   and how the document ended.  Doubles keep every bit (%.17g, always with
   a point or an exponent), NA and non-finite numbers are null.  */
#include <config.h>

#include <stdio.h>

#include "report_internal.h"

static void
head (sde_report_sink *s)
{
  sde__report_put (s, "{\n  \"sdekit\": \"" PACKAGE_VERSION "\",\n"
                      "  \"format\": 1,\n  \"provenance\": {");
}

static void
json_meta (const sde_report *r, sde_report_sink *s, const char *key,
           const char *value)
{
  if (r->nmeta == 0)
    head (s);
  sde__report_put (s, r->nmeta ? ",\n    " : "\n    ");
  sde__report_put_json (s, key);
  sde__report_put (s, ": ");
  sde__report_put_json (s, value);
}

static void
json_begin (const sde_report *r, sde_report_sink *s)
{
  if (r->nmeta == 0)
    head (s);
  sde__report_put (s, r->nmeta ? "\n  }" : "}");
}

static void
json_table (const sde_report *r, sde_report_sink *s)
{
  sde__report_put (s, ",\n  ");
  sde__report_put_json (s, r->table);
  sde__report_put (s, ": [");
}

static void
put_double (sde_report_sink *s, double x)
{
  char b[64];
  sde__report_exact (b, sizeof b, x, 1);
  sde__report_put (s, b);
}

static void
put_cell (sde_report_sink *s, const sde_cell *cell)
{
  char b[64];
  switch (cell->kind)
    {
    case SDE_CELL_DOUBLE:
      put_double (s, cell->d);
      break;
    case SDE_CELL_INT:
      snprintf (b, sizeof b, "%lld", cell->i);
      sde__report_put (s, b);
      break;
    case SDE_CELL_STRING:
      sde__report_put_json (s, cell->s ? cell->s : "");
      break;
    case SDE_CELL_BOOL:
      sde__report_put (s, cell->i ? "true" : "false");
      break;
    case SDE_CELL_DOUBLES:
      sde__report_putc (s, '[');
      for (size_t k = 0; k < cell->n; k++)
        {
          sde__report_put (s, k ? ", " : "");
          put_double (s, cell->dv[k]);
        }
      sde__report_putc (s, ']');
      break;
    case SDE_CELL_STRINGS:
      sde__report_putc (s, '[');
      for (size_t k = 0; k < cell->n; k++)
        {
          sde__report_put (s, k ? ", " : "");
          sde__report_put_json (s, cell->sv[k] ? cell->sv[k] : "");
        }
      sde__report_putc (s, ']');
      break;
    case SDE_CELL_PM:
      sde__report_putc (s, '[');
      put_double (s, cell->d);
      sde__report_put (s, ", ");
      put_double (s, cell->hw);
      sde__report_putc (s, ']');
      break;
    default:
      sde__report_put (s, "null");
    }
}

static void
json_row (const sde_report *r, sde_report_sink *s, const sde_cell *cells)
{
  sde__report_put (s, r->nrows ? ",\n    {" : "\n    {");
  for (size_t k = 0; k < r->nshown; k++)
    {
      sde__report_put (s, k ? ", " : "");
      sde__report_put_json (s, sde__report_col (r, k)->name);
      sde__report_put (s, ": ");
      put_cell (s, &cells[r->shown[k]]);
    }
  sde__report_putc (s, '}');
}

static void
json_table_end (const sde_report *r, sde_report_sink *s)
{
  sde__report_put (s, r->nrows ? "\n  ]" : "]");
}

/* Notes and verdicts are kept by the report and written by the end.  */
static void
json_note (const sde_report *r, sde_report_sink *s, const char *text)
{
  (void)r;
  (void)s;
  (void)text;
}

static void
json_verdict (const sde_report *r, sde_report_sink *s, int pass,
              const char *text)
{
  (void)r;
  (void)s;
  (void)pass;
  (void)text;
}

static void
json_texts (const sde_report *r, sde_report_sink *s, int verdicts,
            const char *why)
{
  size_t n = 0;
  for (size_t i = 0; i < r->ntexts && !s->lean; i++)
    {
      const sde__report_text *t = &r->texts[i];
      if (t->verdict != verdicts)
        continue;
      sde__report_put (s, n++ ? ",\n    " : "\n    ");
      if (verdicts)
        {
          sde__report_put (s, t->pass ? "{\"pass\": true, \"text\": "
                                      : "{\"pass\": false, \"text\": ");
          sde__report_put_json (s, t->text);
          sde__report_putc (s, '}');
        }
      else
        sde__report_put_json (s, t->text);
    }
  if (why)
    {
      sde__report_put (s, n++ ? ",\n    " : "\n    ");
      sde__report_put_json (s, why);
    }
  sde__report_put (s, n ? "\n  ]" : "]");
}

static void
json_end (const sde_report *r, sde_report_sink *s, int ending, const char *why)
{
  sde__report_put (s, ",\n  \"notes\": [");
  json_texts (r, s, 0, why);
  sde__report_put (s, ",\n  \"verdicts\": [");
  json_texts (r, s, 1, NULL);
  sde__report_put (s, ending == SDE_REPORT_INTERRUPTED
                          ? ",\n  \"interrupted\": true,\n"
                          : ",\n  \"interrupted\": false,\n");
  sde__report_put (s, ending == SDE_REPORT_FAILED ? "  \"failed\": true\n}\n"
                                                  : "  \"failed\": false\n}\n");
}

const sde_report_format sde__report_json_type = {
  .name = "json",
  .description = "one JSON object: provenance, tables as lists of records, "
                 "notes, verdicts",
  .flags = SDE_REPORT_MACHINE | SDE_REPORT_NOTES_AT_END,
  .meta = json_meta,
  .begin = json_begin,
  .table = json_table,
  .row = json_row,
  .table_end = json_table_end,
  .note = json_note,
  .verdict = json_verdict,
  .end = json_end,
};
