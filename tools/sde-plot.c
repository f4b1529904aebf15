/* sde-plot.c: redraws the convergence figure of a table that sde-compare
   or sde-slow saved as JSON, without recomputing it: the figure of
   figure.c from the "errors" and "fits" tables.  It reads both layouts:
   the first ("tables": [{"name", "columns", "rows": [[...]]}], floor as
   "" or "*", no log_c) and format 1 (top-level "errors" and "fits" lists
   of records, floor a boolean, log_c in the fits).  Where a fit has no
   log_c its line is refitted from the rows (sde_weak_fit_points, the
   fit the table was made with).  */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "figure.h"
#include "json.h"
#include "sdekit/spec.h"
#include "sdekit/weak.h"

/* Beyond these a table is no convergence table (and no figure could
   show it).  */
#define MAX_METHODS 64
#define MAX_OBS 64

enum
{
  OPT_STANDALONE = 256,
  OPT_SCRIPT,
  OPT_TITLE
};

static const cli_option options[] = {
  { "plot", 'P', "FILE",
    "the figure: FILE.png, .svg, .pdf (gnuplot) or .tex (a pgfplots "
    "picture to \\input); required",
    NULL },
  { "standalone", OPT_STANDALONE, NULL,
    "with .tex: a whole document (the standalone class) instead of a "
    "picture to \\input",
    NULL },
  { "script", OPT_SCRIPT, "FILE",
    "with .png, .svg or .pdf: keep gnuplot's script in FILE too (it "
    "writes the figure to its standard output)",
    NULL },
  { "title", OPT_TITLE, "TEXT", "the figure's title",
    "the table's problem and reference" },
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-plot",
  "Redraw the log-log convergence figure of a table saved by sde-compare "
  "or sde-slow with --format=json (FILE.json, or - for standard input), "
  "without recomputing it: weak errors with their 95% CIs, fitted orders "
  "with their SEs, and the theory's slopes.",
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage or "
  "bad input (nothing is written).",
  options,
};

/* A table: its rows, as records (columns NULL) or as arrays whose cells
   the column names name.  */
typedef struct
{
  const char *name;
  const json_value *rows, *columns;
} table;

/* What the figure is drawn from; names point into the document.  */
typedef struct
{
  const char *file; /* for messages */
  json_doc *doc;
  const char *methods[MAX_METHODS], *obs[MAX_OBS];
  size_t nmethods, nobs;
  double theory[MAX_METHODS];
  const char *kind[MAX_METHODS];
  sde_weak_point *rows;
  size_t nrows;
  sde_weak_fit *fits;
} input;

/* Bad input: "sde-plot: FILE:LINE:COLUMN: message" (at V), status 2.  */
static void bad (const input *in, const json_value *v, const char *fmt, ...)
    __attribute__ ((noreturn, format (printf, 3, 4)));

static void
bad (const input *in, const json_value *v, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  size_t line, column;
  json_where (v, &line, &column);
  if (line)
    cli_die (CLI_USAGE, "%s:%zu:%zu: %s", sde_q (in->file), line, column, msg);
  cli_die (CLI_USAGE, "%s: %s", sde_q (in->file), msg);
}

/* Reads and parses the file ("-": standard input).  */
static void
read_input (input *in)
{
  FILE *f = strcmp (in->file, "-") == 0 ? stdin : fopen (in->file, "r");
  if (f == NULL)
    cli_die (CLI_USAGE, "%s: cannot open: %s", sde_q (in->file),
             strerror (errno));
  char err[600];
  in->doc = json_read (f, NULL, err, sizeof err);
  if (f != stdin)
    fclose (f);
  if (in->doc == NULL)
    cli_die (strcmp (err, "out of memory") == 0 ? CLI_RUNTIME : CLI_USAGE,
             "%s:%s%s", sde_q (in->file),
             err[0] >= '0' && err[0] <= '9' ? "" : " ", err);
}

/* The table NAME: a top-level list of records, or an entry of the first
   layout's "tables".  0 when the document has none.  */
static int
find_table (const input *in, const char *name, table *t)
{
  const json_value *root = json_root (in->doc);
  const json_value *v = json_get (root, name);
  t->name = name;
  t->columns = NULL;
  if (v)
    {
      if (json_typeof (v) != JSON_ARRAY)
        bad (in, v, "\"%s\" is %s, not a list of rows", name,
             json_type_name (json_typeof (v)));
      t->rows = v;
      return 1;
    }
  const json_value *tables = json_get (root, "tables");
  for (size_t i = 0; i < json_size (tables); i++)
    {
      const json_value *tb = json_at (tables, i);
      const char *tn = json_string (json_get (tb, "name"), NULL);
      if (tn == NULL || strcmp (tn, name) != 0)
        continue;
      t->columns = json_get (tb, "columns");
      t->rows = json_get (tb, "rows");
      if (json_typeof (t->columns) != JSON_ARRAY)
        bad (in, tb, "the \"%s\" table has no list of \"columns\"", name);
      if (json_typeof (t->rows) != JSON_ARRAY)
        bad (in, tb, "the \"%s\" table has no list of \"rows\"", name);
      for (size_t c = 0; c < json_size (t->columns); c++)
        if (json_typeof (json_at (t->columns, c)) != JSON_STRING)
          bad (in, json_at (t->columns, c), "a column name is %s",
               json_type_name (json_typeof (json_at (t->columns, c))));
      return 1;
    }
  return 0;
}

/* Row R of T, checked: a record, or a list with one cell per column.  */
static const json_value *
row_at (const input *in, const table *t, size_t r)
{
  const json_value *row = json_at (t->rows, r);
  const json_type want = t->columns ? JSON_ARRAY : JSON_OBJECT;
  if (json_typeof (row) != want)
    bad (in, row, "a row of the \"%s\" table is %s, not %s", t->name,
         json_type_name (json_typeof (row)), json_type_name (want));
  if (t->columns && json_size (row) != json_size (t->columns))
    bad (in, row, "a row of the \"%s\" table has %zu cells for %zu columns",
         t->name, json_size (row), json_size (t->columns));
  return row;
}

/* The cell NAME of ROW; NULL when the table has no such column.  */
static const json_value *
cell (const table *t, const json_value *row, const char *name)
{
  if (t->columns == NULL)
    return json_get (row, name);
  for (size_t c = 0; c < json_size (t->columns); c++)
    {
      const char *s = json_string (json_at (t->columns, c), NULL);
      if (strcmp (s, name) == 0)
        return json_at (row, c);
    }
  return NULL;
}

/* A number cell: NAN for null, or for a column that is absent and not
   REQUIRED.  */
static double
num_cell (const input *in, const table *t, const json_value *row,
          const char *name, int required)
{
  const json_value *v = cell (t, row, name);
  double x = NAN;
  if (v == NULL && required)
    bad (in, row, "a row of the \"%s\" table has no \"%s\"", t->name, name);
  if (v && json_typeof (v) != JSON_NULL && json_number (v, &x))
    bad (in, v, "\"%s\" is %s, not a number", name,
         json_type_name (json_typeof (v)));
  return x;
}

/* A string cell; NULL for null or an absent column that is not
   REQUIRED.  */
static const char *
str_cell (const input *in, const table *t, const json_value *row,
          const char *name, int required)
{
  const json_value *v = cell (t, row, name);
  if (v == NULL && required)
    bad (in, row, "a row of the \"%s\" table has no \"%s\"", t->name, name);
  if (v == NULL || json_typeof (v) == JSON_NULL)
    {
      if (required)
        bad (in, v, "\"%s\" is null, not a name", name);
      return NULL;
    }
  const char *s = json_string (v, NULL);
  if (s == NULL)
    bad (in, v, "\"%s\" is %s, not a string", name,
         json_type_name (json_typeof (v)));
  return s;
}

/* The floor flag: a boolean (format 1) or "*" and "" (the first layout);
   -1 when the table does not say.  */
static int
floor_cell (const input *in, const table *t, const json_value *row)
{
  const json_value *v = cell (t, row, "floor");
  const char *s = json_string (v, NULL);
  switch (json_typeof (v))
    {
    case JSON_NULL:
      return -1;
    case JSON_TRUE:
      return 1;
    case JSON_FALSE:
      return 0;
    case JSON_STRING:
      if (strcmp (s, "*") == 0 || strcmp (s, "") == 0)
        return *s == '*';
      break;
    default:
      break;
    }
  bad (in, v, "\"floor\" is %s, not true or false",
       json_type_name (json_typeof (v)));
}

/* The index of NAME in LIST (added when new; at most MAX).  */
static size_t
intern (const input *in, const json_value *at, const char **list, size_t *n,
        size_t max, const char *what, const char *name)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp (list[i], name) == 0)
      return i;
  if (*n == max)
    bad (in, at, "more than %zu %s: not a convergence table", max, what);
  list[*n] = name;
  return (*n)++;
}

static size_t
find_name (const char *const *list, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (list[i], name) == 0)
      return i;
  return n;
}

/* The errors table into in->rows.  */
static void
load_rows (input *in, const table *t)
{
  const size_t n = json_size (t->rows);
  in->rows = calloc (n ? n : 1, sizeof *in->rows);
  if (in->rows == NULL)
    cli_die (CLI_RUNTIME, "out of memory for %zu rows", n);
  for (size_t r = 0; r < n; r++)
    {
      const json_value *row = row_at (in, t, r);
      sde_weak_point *p = &in->rows[r];
      p->eta = num_cell (in, t, row, "eta", 1);
      if (!(p->eta > 0))
        bad (in, cell (t, row, "eta"), "eta must be a positive number");
      p->method = intern (in, row, in->methods, &in->nmethods, MAX_METHODS,
                          "methods", str_cell (in, t, row, "method", 1));
      p->obs = intern (in, row, in->obs, &in->nobs, MAX_OBS, "observables",
                       str_cell (in, t, row, "observable", 1));
      p->e = num_cell (in, t, row, "error", 1);
      p->se = num_cell (in, t, row, "se", 1);
      p->lo = num_cell (in, t, row, "ci_lo", 0);
      p->hi = num_cell (in, t, row, "ci_hi", 0);
      p->crit = num_cell (in, t, row, "ci_z", 0);
      const int fl = floor_cell (in, t, row);
      /* A table that does not say: the floor's definition, |e| < 2 SE.  */
      p->floor = fl >= 0 ? fl : p->se > 0 && fabs (p->e) < 2 * p->se;
      const char *stop = str_cell (in, t, row, "stop", 0);
      p->stop = stop ? stop : "";
    }
  in->nrows = n;
}

/* Every series refitted from its rows, as the tool fitted it.  */
static void
refit (input *in)
{
  const size_t nfits = in->nmethods * in->nobs;
  in->fits = calloc (nfits ? nfits : 1, sizeof *in->fits);
  sde_weak_point *pts = malloc (sizeof *pts * (in->nrows ? in->nrows : 1));
  if (in->fits == NULL || pts == NULL)
    cli_die (CLI_RUNTIME, "out of memory for the fits");
  for (size_t m = 0; m < in->nmethods; m++)
    for (size_t o = 0; o < in->nobs; o++)
      {
        size_t n = 0;
        for (size_t k = 0; k < in->nrows; k++)
          if (in->rows[k].method == m && in->rows[k].obs == o)
            pts[n++] = in->rows[k];
        sde_weak_fit_points (pts, n, &in->fits[m * in->nobs + o]);
      }
  free (pts);
}

/* One row of the fits table over the refit of its series: the table's
   numbers are what the figure shows.  Without a log_c the refitted line
   is drawn when its order is the table's.  */
static void
load_fit (input *in, const table *t, const json_value *row)
{
  const size_t m = find_name (in->methods, in->nmethods,
                              str_cell (in, t, row, "method", 1));
  const size_t o
      = find_name (in->obs, in->nobs, str_cell (in, t, row, "observable", 1));
  if (m == in->nmethods || o == in->nobs)
    return; /* a series without rows: nothing to draw */
  sde_weak_fit *f = &in->fits[m * in->nobs + o];
  const sde_weak_fit again = *f;
  const double order = num_cell (in, t, row, "order", 1);
  f->ok = isfinite (order);
  f->order = order;
  f->se = num_cell (in, t, row, "se", 0);
  f->lo = num_cell (in, t, row, "ci_lo", 0);
  f->hi = num_cell (in, t, row, "ci_hi", 0);
  f->logc = num_cell (in, t, row, "log_c", 0);
  if (isnan (f->logc) && again.ok && f->ok
      && fabs (again.order - order) <= 1e-9 * (1 + fabs (order)))
    f->logc = again.logc;
  const double theory = num_cell (in, t, row, "theory", 0);
  if (isnan (in->theory[m]) && isfinite (theory))
    {
      in->theory[m] = theory;
      in->kind[m] = str_cell (in, t, row, "theory_kind", 0);
    }
}

/* The fits table over the refits.  A document without one (a run
   interrupted before its fits) keeps the refits and has no theory.  */
static void
load_fits (input *in)
{
  for (size_t m = 0; m < MAX_METHODS; m++)
    in->theory[m] = NAN;
  refit (in);
  table t;
  if (!find_table (in, "fits", &t))
    {
      const json_value *root = json_root (in->doc);
      if (json_typeof (json_get (root, "interrupted")) != JSON_TRUE
          && json_typeof (json_get (root, "failed")) != JSON_TRUE)
        bad (in, NULL,
             "no \"fits\" table (a saved table of sde-compare or sde-slow "
             "has one unless its run was interrupted)");
      return;
    }
  for (size_t r = 0; r < json_size (t.rows); r++)
    load_fit (in, &t, row_at (in, &t, r));
}

/* The document: an object of format 1 or the first layout, with an
   errors table.  */
static void
load (input *in)
{
  read_input (in);
  const json_value *root = json_root (in->doc);
  if (json_typeof (root) != JSON_OBJECT)
    bad (in, root, "the JSON value is %s; a saved table is an object",
         json_type_name (json_typeof (root)));
  const json_value *fmt = json_get (root, "format");
  double version;
  if (fmt && (json_number (fmt, &version) || version != 1))
    bad (in, fmt,
         "\"format\" is not 1: the table was written by a newer sdekit");
  table t;
  if (!find_table (in, "errors", &t))
    bad (in, NULL,
         "no \"errors\" table: not a saved table of sde-compare or "
         "sde-slow (--format=json)");
  load_rows (in, &t);
  load_fits (in);
}

/* "PROBLEM: weak error against REFERENCE" from the provenance.  */
static void
default_title (const input *in, char *buf, size_t len)
{
  const json_value *pv = json_get (json_root (in->doc), "provenance");
  const char *problem = json_string (json_get (pv, "problem"), NULL);
  const char *ref = json_string (json_get (pv, "reference"), NULL);
  if (problem == NULL)
    problem = "";
  if (ref == NULL)
    {
      snprintf (buf, len, "%s%sweak error", problem, *problem ? ": " : "");
      return;
    }
  /* The reference's name, before its details ("SME-1, scheme ...").  */
  const char *cut = strstr (ref, ", ");
  const int n = (int)(cut ? (size_t)(cut - ref) : strlen (ref));
  const int the = n >= 3 && strncmp (ref + n - 3, "SDE", 3) == 0;
  snprintf (buf, len, "%s%sweak error against %s%.*s", problem,
            *problem ? ": " : "", the ? "the " : "", n, ref);
}

int
main (int argc, char **argv)
{
  cli_init (&tool, argc, argv);
  cli_accept_operands ("FILE.json");
  const char *plot = NULL, *title = NULL, *arg;
  figure_options fo = { 0, NULL, NULL };
  for (int key; (key = cli_next (argc, argv, &arg)) != -1;)
    switch (key)
      {
      case 'P':
        plot = arg;
        break;
      case OPT_STANDALONE:
        fo.standalone = 1;
        break;
      case OPT_SCRIPT:
        fo.script = arg;
        break;
      case OPT_TITLE:
        title = arg;
        break;
      default:
        cli_die (CLI_USAGE, "unknown option (see --help)");
      }
  char **ops;
  const int nops = cli_operands (argc, argv, &ops);
  if (nops != 1)
    cli_die (CLI_USAGE, "%s (see --help)",
             nops ? "one FILE.json at a time"
                  : "the saved table FILE.json is missing");
  if (plot == NULL)
    cli_die (CLI_USAGE, "--plot=FILE is missing: the figure to draw");
  figure_check (plot, &fo);
  input in = { .file = ops[0] };
  load (&in);
  char buf[1024];
  if (title == NULL)
    default_title (&in, buf, sizeof buf);
  const figure_data d = { .nmethods = in.nmethods,
                          .nobs = in.nobs,
                          .method_names = in.methods,
                          .obs_names = in.obs,
                          .theory = in.theory,
                          .theory_kind = in.kind,
                          .rows = in.rows,
                          .nrows = in.nrows,
                          .fits = in.fits,
                          .title = title ? title : buf };
  if (figure_points (&d) == 0)
    bad (&in, NULL,
         "nothing to draw: no error above 0 (a log scale cannot show 0)");
  figure_plot (&d, plot, &fo);
  free (in.rows);
  free (in.fits);
  json_free (in.doc);
  return CLI_OK;
}
