/* report.h: tables for papers and scripts.  A report is a document in one
   format (a type object): aligned text, Markdown, LaTeX (a booktabs
   fragment for \input, or a standalone document), CSV (one rectangular
   table) or JSON (records, schema in man/report-json.x.txt).  It starts
   with provenance lines; rows are written and flushed one at a time, so an
   interrupted run keeps every row it finished, and sde_report_trailer
   closes such a document validly.

   Human formats (text, md, latex) round numbers and show a view of each
   table: its default columns, every column (wide), or a list of columns by
   name.  Machine formats (csv, json) keep every bit (%.17g) and carry every
   column except the human-only display ones.

   Errors: functions return a GSL status (or NULL) and report a one-line
   reason through gsl_error.  GSL's default handler prints it and ABORTS
   the process; a program that handles errors itself calls
   gsl_set_error_handler_off () (or installs its own handler) first.  */
#ifndef SDEKIT_REPORT_H
#define SDEKIT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Columns and cells ---- */

/* Column flags.  */
enum
{
  /* Shown by human formats only in the wide view or when listed by name;
     machine formats always carry it.  */
  SDE_COLUMN_WIDE = 1 << 0,
  /* A display column derived from others (say "error +- CI"): human
     formats only; machine formats omit it.  */
  SDE_COLUMN_HUMAN = 1 << 1
};

/* A column.  NAME is its identifier: the CSV header, the JSON key and the
   name in a column list.  TITLE heads it in text and Markdown (NULL: the
   name); LATEX is its LaTeX header, raw (NULL: the title, escaped).
   WIDTH is its least width in text (the title's width if wider).  Numbers
   print in human formats with printf conversion CONV ('g', 'e' or 'f') and
   PREC digits; CONV 's' or 'd' marks a text or integer column (aligned
   left, or right).  MARKS are the human texts of a boolean, "true|false"
   (NULL: "yes|no"; "*|" marks a flag).  */
typedef struct
{
  const char *name;
  const char *latex;
  int width;
  char conv;
  int prec;
  unsigned flags; /* SDE_COLUMN_* */
  const char *title;
  const char *marks;
} sde_column;

typedef enum
{
  SDE_CELL_NA,      /* not available: "-", empty CSV field, JSON null */
  SDE_CELL_DOUBLE,  /* d */
  SDE_CELL_INT,     /* i */
  SDE_CELL_STRING,  /* s */
  SDE_CELL_BOOL,    /* i, zero or not */
  SDE_CELL_DOUBLES, /* a list: n doubles at dv */
  SDE_CELL_STRINGS, /* a list: n strings at sv */
  SDE_CELL_PM       /* d plus or minus the half-width hw */
} sde_cell_kind;

/* A cell.  Its strings and arrays are borrowed for the call.  */
typedef struct
{
  sde_cell_kind kind;
  double d, hw;
  long long i;
  const char *s;
  const double *dv;
  const char *const *sv;
  size_t n;
} sde_cell;

#define SDE_CELL_D(x) ((sde_cell){ .kind = SDE_CELL_DOUBLE, .d = (x) })
#define SDE_CELL_I(x) ((sde_cell){ .kind = SDE_CELL_INT, .i = (x) })
#define SDE_CELL_S(x) ((sde_cell){ .kind = SDE_CELL_STRING, .s = (x) })
#define SDE_CELL_B(x) ((sde_cell){ .kind = SDE_CELL_BOOL, .i = !!(x) })
#define SDE_CELL_DV(v, len)                                                    \
  ((sde_cell){ .kind = SDE_CELL_DOUBLES, .dv = (v), .n = (len) })
#define SDE_CELL_SV(v, len)                                                    \
  ((sde_cell){ .kind = SDE_CELL_STRINGS, .sv = (v), .n = (len) })
#define SDE_CELL_PM(x, h)                                                      \
  ((sde_cell){ .kind = SDE_CELL_PM, .d = (x), .hw = (h) })
#define SDE_CELL_NONE ((sde_cell){ .kind = SDE_CELL_NA })

/* A table as a tool declares it, for sde_report_columns_check.  */
typedef struct
{
  const char *name;
  const sde_column *cols;
  size_t ncols;
} sde_table_def;

/* ---- Formats ---- */

typedef struct sde_report sde_report;

/* Where a format writes: the report's stream, or a buffer (the trailer).
   Formats live in the library (lib/report_<name>.c, one registry line in
   lib/report.c) and write through its internal sink functions
   (lib/report_internal.h), which use no stdio on a buffer.  */
typedef struct sde_report_sink sde_report_sink;

/* Format flags.  */
enum
{
  SDE_REPORT_MACHINE = 1 << 0,      /* every non-human column, every bit */
  SDE_REPORT_ONE_TABLE = 1 << 1,    /* a second table is an error (CSV) */
  SDE_REPORT_NOTES_AT_END = 1 << 2, /* notes and verdicts wait for the end */
  SDE_REPORT_NOTES_OUTSIDE = 1 << 3 /* notes in a table wait for its end */
};

/* How a document ends: complete, or closed by the trailer.  */
enum
{
  SDE_REPORT_COMPLETE = 0,
  SDE_REPORT_INTERRUPTED,
  SDE_REPORT_FAILED
};

/* A format.  The callbacks write one part of the document from the
   report's state, which they only read (the library updates it after each
   call), so the same callbacks also compose the trailer.  The library calls
   them in the order
     meta* begin ((table row* table_end) | note | verdict)* end
   where begin marks the end of the provenance; a note or verdict comes
   between the others when the flags allow, else when they do.  END gets
   the ending (SDE_REPORT_*) and WHY, a last note of the trailer (or
   NULL).  */
typedef struct
{
  const char *name;
  const char *description;
  unsigned flags; /* SDE_REPORT_* */
  void (*meta) (const sde_report *r, sde_report_sink *s, const char *key,
                const char *value);
  void (*begin) (const sde_report *r, sde_report_sink *s);
  void (*table) (const sde_report *r, sde_report_sink *s);
  void (*row) (const sde_report *r, sde_report_sink *s, const sde_cell *cells);
  void (*table_end) (const sde_report *r, sde_report_sink *s);
  void (*note) (const sde_report *r, sde_report_sink *s, const char *text);
  void (*verdict) (const sde_report *r, sde_report_sink *s, int pass,
                   const char *text);
  void (*end) (const sde_report *r, sde_report_sink *s, int ending,
               const char *why);
} sde_report_format;

extern const sde_report_format *sde_report_text;
extern const sde_report_format *sde_report_md;
extern const sde_report_format *sde_report_latex;
extern const sde_report_format *sde_report_csv;
extern const sde_report_format *sde_report_json;

/* The registry, NULL-terminated, and lookup by name (NULL if unknown).  */
const sde_report_format *const *sde_report_formats (void);
const sde_report_format *sde_report_format_find (const char *name);

/* ---- Reports ---- */

/* Options of a report.  STANDALONE: LaTeX writes a whole document
   (article, booktabs) with notes as text, instead of a fragment for
   \input.  WIDE: human formats show every column.  COLUMNS: a comma list
   of column names; each table of a human format shows those it has, in
   the list's order (a table that has none shows its default view).
   Machine formats ignore WIDE and COLUMNS.  */
typedef struct
{
  int standalone;
  int wide;
  const char *columns;
} sde_report_opts;

/* Checks a column list against the tables a document will hold, before
   any work: GSL_EINVAL naming an empty or repeated entry, or a name no
   table has (with the names that table knows).  */
int sde_report_columns_check (const char *columns, const sde_table_def *tables,
                              size_t ntables);

/* A report writing to OUT (borrowed) in format F with options OPTS
   (copied; NULL: the defaults).  NULL on a bad column list (GSL_EINVAL) or
   no memory.  Nothing is written yet.  */
sde_report *sde_report_alloc (FILE *out, const sde_report_format *f,
                              const sde_report_opts *opts);

/* Frees R without writing; NULL is a no-op.  */
void sde_report_free (sde_report *r);

/* The format of R.  */
const sde_report_format *sde_report_format_of (const sde_report *r);

/* A provenance line (key, value); only before the first table, note or
   verdict.  Control characters in it are escaped: it stays one line.  */
int sde_report_meta (sde_report *r, const char *key, const char *value);

/* Starts a table, ending the previous one, with NCOLS columns (borrowed
   until the table ends).  NAME (copied) is its JSON key: unique, and none
   of sdekit, format, provenance, notes, verdicts, interrupted, failed.
   GSL_EINVAL for a second table in a one-table format (CSV), which also
   ends the previous table.  */
int sde_report_table (sde_report *r, const char *name, const sde_column *cols,
                      size_t ncols);

/* Writes one row (NCOLS cells, in the table's column order) and flushes.  */
int sde_report_row (sde_report *r, const sde_cell *cells);

/* Ends the current table (sde_report_table and sde_report_finish also do).
   A no-op when none is open.  */
int sde_report_table_end (sde_report *r);

/* A free-text note (human formats show it as a comment or as text; JSON
   collects them in "notes").  */
int sde_report_note (sde_report *r, const char *text);

/* The outcome of a requested check (PASS nonzero when it passed), such as
   --expect-order; JSON collects them in "verdicts".  */
int sde_report_verdict (sde_report *r, int pass, const char *text);

/* Marks the document as ending in a failure (JSON: "failed": true) that
   sde_report_finish then closes.  */
void sde_report_set_failed (sde_report *r);

/* Closes the table and the document.  GSL_EFAILED when any write failed
   (disk full, closed pipe); GSL_EINVAL naming a listed column that no
   table had (the document is complete).  */
int sde_report_finish (sde_report *r);

/* The text that closes R's document as it stands, when the program stops
   after its last complete row: INTERRUPTED nonzero for a signal (JSON:
   "interrupted": true), zero for an error ("failed": true).  It closes the
   open table, writes the notes still waiting, a note saying how the run
   ended and the end of the document.  Writes at most LEN bytes with a NUL
   into BUF; when the notes do not fit they are left out; returns the
   length, 0 when even that does not fit or R is finished.  Uses no stdio,
   locale or allocation: callable in a signal handler, provided R is not
   being written meanwhile (compute it after each row into a buffer the
   handler writes).  */
size_t sde_report_trailer (const sde_report *r, int interrupted, char *buf,
                           size_t len);

/* Calls FN (CTX) after every part the report writes and flushes (a
   provenance line, a table head, a row, a note): the document is whole up
   to there.  NULL turns it off.  */
void sde_report_on_write (sde_report *r, void (*fn) (void *ctx), void *ctx);

/* Writes S to OUT with LaTeX's special characters escaped (and control
   characters as spaces), for text inside a LaTeX document.  */
void sde_report_latex_fputs (FILE *out, const char *s);

#ifdef __cplusplus
}
#endif
#endif /* SDEKIT_REPORT_H */
