/* report.h: tables for papers and scripts: aligned text, Markdown, LaTeX
   (booktabs), CSV and JSON, each starting with provenance lines.  Rows are
   written and flushed one at a time, so an interrupted run keeps every row
   it finished.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_REPORT_H
#define SDEKIT_REPORT_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  SDE_FORMAT_TEXT = 0,
  SDE_FORMAT_MD,
  SDE_FORMAT_LATEX,
  SDE_FORMAT_CSV,
  SDE_FORMAT_JSON,
  SDE_NFORMATS
} sde_format;

/* The format's name and lookup by name (-1 when unknown).  */
const char *sde_report_format_name (sde_format f);
int sde_report_format_find (const char *name);

/* A column: name (also the CSV/JSON key), a LaTeX header (NULL: the name,
   escaped), the width in text format, and how numbers print: printf
   conversion 'g', 'e', 'f' or 'd' with PREC digits, or 's' for strings.  */
typedef struct
{
  const char *name;
  const char *latex;
  int width;
  char conv;
  int prec;
} sde_column;

/* A cell: a number, an integer, a string or "not available".  */
typedef struct
{
  enum
  {
    SDE_CELL_NA,
    SDE_CELL_DOUBLE,
    SDE_CELL_INT,
    SDE_CELL_STRING
  } kind;
  double d;
  long long i;
  const char *s;
} sde_cell;

#define SDE_CELL_D(x) ((sde_cell){ .kind = SDE_CELL_DOUBLE, .d = (x) })
#define SDE_CELL_I(x) ((sde_cell){ .kind = SDE_CELL_INT, .i = (x) })
#define SDE_CELL_S(x) ((sde_cell){ .kind = SDE_CELL_STRING, .s = (x) })
#define SDE_CELL_NONE ((sde_cell){ .kind = SDE_CELL_NA })

typedef struct sde_report sde_report;

/* A report writing to OUT (borrowed) in format F.  */
sde_report *sde_report_alloc (FILE *out, sde_format f);

/* Frees R without writing; NULL is a no-op.  */
void sde_report_free (sde_report *r);

/* A provenance line "# key: value"; only before the first table.  */
int sde_report_meta (sde_report *r, const char *key, const char *value);

/* Starts a table (ending the previous one) with NCOLS columns (borrowed
   until the next table).  NAME identifies it in CSV and JSON.  */
int sde_report_table (sde_report *r, const char *name, const sde_column *cols,
                      size_t ncols);

/* Writes one row of ncols cells and flushes.  */
int sde_report_row (sde_report *r, const sde_cell *cells);

/* A free-text note, printed as a comment (JSON: collected in "notes").  */
int sde_report_note (sde_report *r, const char *text);

/* Writes S to OUT with LaTeX's special characters escaped (and control
   characters as spaces), for text inside a LaTeX document.  */
void sde_report_latex (FILE *out, const char *s);

/* Closes the last table and the document.  Returns GSL_EFAILED when any
   write failed (disk full, closed pipe).  */
int sde_report_finish (sde_report *r);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_REPORT_H */
