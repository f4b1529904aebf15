/* check_report.c: unit tests of the report formats through the API: the
   registry, the column views and lists, every kind of cell in every
   format, hostile strings, and the trailers that close a document
   interrupted at any point (JSON parsed by the validator below, CSV read
   as RFC 4180, LaTeX compiled by pdflatex).  */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdekit/report.h"
#include "testutil.h"

/* The last reason reported through gsl_error; the handler never prints.  */
static char last_reason[1024];
static int last_code;

static void
capture (const char *reason, const char *file, int line, int code)
{
  (void)file, (void)line;
  snprintf (last_reason, sizeof last_reason, "%s", reason);
  last_code = code;
}

/* Every character LaTeX, Markdown, CSV or a comment could take for
   syntax, a tab, a control character and a newline.  */
#define HOSTILE "_ % & # $ { } \\ ^ ~ | < > \" , ; *\t\x01 end\nnext line"
/* As long, with none of them.  */
#define TAME "a b c d e f g h i j k l m n o p q r s t end next line"

/* The lead's default view (eta, method, observable, error +- CI, N,
   floor) and wide columns of every other kind.  */
static const sde_column cols[] = {
  { "eta", "$\\eta$", 10, 'g', 6, 0, NULL, NULL },
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, NULL, NULL },
  { "error_ci", "$e \\pm$ CI", 17, 'e', 2, SDE_COLUMN_HUMAN,
    "error \xc2\xb1 CI", NULL },
  { "N", "$N$", 9, 'd', 0, 0, NULL, NULL },
  { "floor", "floor", 5, 's', 0, 0, NULL, "*|" },
  { "error", "$e$", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "se", "SE", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "ci", "CI", 10, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "slopes", "local slopes", 12, 'f', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "tags", NULL, 8, 's', 0, SDE_COLUMN_WIDE, NULL, NULL },
  { "exact", NULL, 5, 's', 0, SDE_COLUMN_WIDE, NULL, NULL },
};
#define NCOLS (sizeof cols / sizeof cols[0])

static const sde_column fit_cols[] = {
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "order", "order $p$", 8, 'f', 3, 0, NULL, NULL },
};

static const double slopes[] = { 1.25, 0.5 };
static const char *const tags[] = { "a;b", "c,d" };

/* Row K (0 or 1) with every kind of cell; row 1 has NA and NaN.  */
static void
fill_row (sde_cell *c, int k, const char *method)
{
  c[0] = SDE_CELL_D (k ? 0.125 : 0.25);
  c[1] = SDE_CELL_S (method);
  c[2] = SDE_CELL_S ("norm2");
  c[3] = SDE_CELL_PM (2.137e-2, 1.1e-3);
  c[4] = k ? SDE_CELL_NONE : SDE_CELL_I (3000);
  c[5] = SDE_CELL_B (k);
  c[6] = SDE_CELL_D (k ? -0.1 : 2.137e-2);
  c[7] = SDE_CELL_D (k ? NAN : 5.5e-4);
  c[8] = SDE_CELL_PM (2.137e-2, 1.1e-3);
  c[9] = SDE_CELL_DV (slopes, 2);
  c[10] = SDE_CELL_SV (tags, 2);
  c[11] = SDE_CELL_B (!k);
}

/* The whole of F, from its start.  */
static char *
slurp (FILE *f)
{
  fflush (f);
  long n = ftell (f);
  ck_assert_int_ge (n, 0);
  char *s = malloc ((size_t)n + 1);
  ck_assert_ptr_nonnull (s);
  rewind (f);
  ck_assert_uint_eq (fread (s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  return s;
}

/* A document up to POINT: 0 the provenance, 1 a table head, 2 two rows
   and a note, 3 the table ended, a note and a verdict, 4 a second table
   with a row (not in a one-table format).  TEXT is the hostile or tame
   string: a provenance value, row 1's method and a note.  */
static sde_report *
build (FILE *f, const sde_report_format *fmt, const sde_report_opts *o,
       int point, const char *text)
{
  sde_report *r = sde_report_alloc (f, fmt, o);
  ck_assert_ptr_nonnull (r);
  ck_assert_int_eq (sde_report_meta (r, "sdekit", "test"), 0);
  ck_assert_int_eq (sde_report_meta (r, "command", text), 0);
  if (point >= 1)
    ck_assert_int_eq (sde_report_table (r, "errors", cols, NCOLS), 0);
  if (point >= 2)
    {
      sde_cell row[NCOLS];
      fill_row (row, 0, "sgd");
      ck_assert_int_eq (sde_report_row (r, row), 0);
      fill_row (row, 1, text);
      ck_assert_int_eq (sde_report_row (r, row), 0);
      ck_assert_int_eq (sde_report_note (r, text), 0);
    }
  if (point >= 3)
    {
      ck_assert_int_eq (sde_report_table_end (r), 0);
      ck_assert_int_eq (sde_report_note (r, "between the tables"), 0);
      ck_assert_int_eq (sde_report_verdict (r, 1, "order 1.02, want 1"), 0);
    }
  if (point >= 4 && !(fmt->flags & SDE_REPORT_ONE_TABLE))
    {
      ck_assert_int_eq (sde_report_table (r, "fits", fit_cols, 2), 0);
      sde_cell row[] = { SDE_CELL_S (text), SDE_CELL_D (1.0234) };
      ck_assert_int_eq (sde_report_row (r, row), 0);
    }
  return r;
}

/* The document up to POINT, finished (ENDING SDE_REPORT_COMPLETE) or
   closed by the trailer.  */
static char *
document (const sde_report_format *fmt, const sde_report_opts *o, int point,
          int ending, const char *text)
{
  FILE *f = tmpfile ();
  ck_assert_ptr_nonnull (f);
  sde_report *r = build (f, fmt, o, point, text);
  if (ending == SDE_REPORT_COMPLETE)
    ck_assert_int_eq (sde_report_finish (r), 0);
  else
    {
      char buf[8192];
      size_t n = sde_report_trailer (r, ending == SDE_REPORT_INTERRUPTED, buf,
                                     sizeof buf);
      ck_assert_uint_gt (n, 0);
      ck_assert_uint_eq (strlen (buf), n);
      fputs (buf, f);
    }
  sde_report_free (r);
  char *s = slurp (f);
  fclose (f);
  return s;
}

static char *
doc_of (const char *name, const sde_report_opts *o, int point, int ending)
{
  return document (sde_report_format_find (name), o, point, ending, HOSTILE);
}

static size_t
count (const char *s, const char *what)
{
  size_t n = 0;
  for (const char *p = s; (p = strstr (p, what)) != NULL; p += strlen (what))
    n++;
  return n;
}

/* ---- A JSON validator (RFC 8259) ---- */

static const char *json_value (const char *p, int depth);

static const char *
ws (const char *p)
{
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
    p++;
  return p;
}

static const char *
json_string (const char *p)
{
  if (*p++ != '"')
    return NULL;
  for (; *p != '"'; p++)
    {
      if ((unsigned char)*p < 0x20)
        return NULL;
      if (*p != '\\')
        continue;
      p++;
      if (*p == 'u')
        {
          for (int i = 1; i <= 4; i++)
            if (!isxdigit ((unsigned char)p[i]))
              return NULL;
          p += 4;
        }
      else if (*p == '\0' || !strchr ("\"\\/bfnrt", *p))
        return NULL;
    }
  return p + 1;
}

static const char *
digits (const char *p)
{
  if (!isdigit ((unsigned char)*p))
    return NULL;
  while (isdigit ((unsigned char)*p))
    p++;
  return p;
}

static const char *
json_number (const char *p)
{
  if (*p == '-')
    p++;
  p = *p == '0' ? p + 1 : digits (p);
  if (p && *p == '.')
    p = digits (p + 1);
  if (p && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      p = digits (p);
    }
  return p;
}

static const char *
json_items (const char *p, char close, int object, int depth)
{
  p = ws (p);
  if (*p == close)
    return p + 1;
  for (;;)
    {
      if (object)
        {
          if ((p = json_string (ws (p))) == NULL)
            return NULL;
          p = ws (p);
          if (*p++ != ':')
            return NULL;
        }
      if ((p = json_value (p, depth + 1)) == NULL)
        return NULL;
      p = ws (p);
      if (*p == close)
        return p + 1;
      if (*p++ != ',')
        return NULL;
    }
}

static const char *
json_value (const char *p, int depth)
{
  p = ws (p);
  if (depth > 64)
    return NULL;
  switch (*p)
    {
    case '{':
      return json_items (p + 1, '}', 1, depth);
    case '[':
      return json_items (p + 1, ']', 0, depth);
    case '"':
      return json_string (p);
    case 't':
      return strncmp (p, "true", 4) ? NULL : p + 4;
    case 'f':
      return strncmp (p, "false", 5) ? NULL : p + 5;
    case 'n':
      return strncmp (p, "null", 4) ? NULL : p + 4;
    default:
      return json_number (p);
    }
}

static int
json_valid (const char *s)
{
  const char *e = json_value (s, 0);
  return e && *ws (e) == '\0';
}

/* The number after KEY's first occurrence ("key": number).  */
static double
json_number_of (const char *s, const char *key)
{
  char k[64];
  snprintf (k, sizeof k, "\"%s\": ", key);
  const char *p = strstr (s, k);
  ck_assert_msg (p != NULL, "no %s in %s", k, s);
  return strtod (p + strlen (k), NULL);
}

/* ---- CSV (RFC 4180) ---- */

/* Reads S: the number of records that are not comments, or -1 when a
   comment holds a comma, a field is malformed or the records differ in
   length.  Field COL of record REC (the header is record 0) into OUT.  */
static int
csv_parse (const char *s, int rec_want, int col_want, char *out, size_t len)
{
  int rec = 0, width = -1;
  for (const char *p = s; *p;)
    {
      if (*p == '#')
        {
          size_t n = strcspn (p, "\n");
          if (memchr (p, ',', n))
            return -1;
          p += n + (p[n] == '\n');
          continue;
        }
      int col = 0;
      for (;;)
        {
          char f[1024];
          size_t k = 0;
          if (*p == '"')
            for (p++;; p++)
              {
                if (*p == '\0' || k + 1 >= sizeof f)
                  return -1;
                if (*p == '"' && p[1] != '"')
                  {
                    p++;
                    break;
                  }
                p += *p == '"';
                f[k++] = *p;
              }
          else
            while (*p && *p != ',' && *p != '\n' && k + 1 < sizeof f)
              f[k++] = *p++;
          f[k] = '\0';
          if (rec == rec_want && col == col_want)
            snprintf (out, len, "%s", f);
          col++;
          if (*p == ',')
            {
              p++;
              continue;
            }
          if (*p && *p != '\n')
            return -1;
          p += *p == '\n';
          break;
        }
      if (width >= 0 && col != width)
        return -1;
      width = col;
      rec++;
    }
  return rec;
}

static void
csv_field (const char *s, int rec, int col, char *out, size_t len)
{
  *out = '\0';
  ck_assert_int_gt (csv_parse (s, rec, col, out, len), rec);
}

/* ---- pdflatex ---- */

static void
need_pdflatex (void)
{
  if (system ("command -v pdflatex >/dev/null 2>&1") != 0)
    ck_abort_msg ("pdflatex is missing: install texlive-latex-base "
                  "(./quickstart.sh deps installs it)");
}

/* Whether pdflatex makes a PDF of TEX; a fragment is \input by a
   document that loads booktabs alone.  */
static int
compiles (const char *tex, int fragment)
{
  char dir[] = "/tmp/check_reportXXXXXX", path[256], cmd[512];
  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/t.tex", dir);
  FILE *f = fopen (path, "w");
  ck_assert_ptr_nonnull (f);
  fputs (tex, f);
  fclose (f);
  if (fragment)
    {
      snprintf (path, sizeof path, "%s/main.tex", dir);
      f = fopen (path, "w");
      ck_assert_ptr_nonnull (f);
      fputs ("\\documentclass{article}\n\\usepackage{booktabs}\n"
             "\\begin{document}\nTables:\n\n\\input{t}\n\\end{document}\n",
             f);
      fclose (f);
    }
  const char *main = fragment ? "main" : "t";
  snprintf (cmd, sizeof cmd,
            "cd %s && pdflatex -interaction=nonstopmode -halt-on-error %s.tex"
            " >log.txt 2>&1 </dev/null",
            dir, main);
  int st = system (cmd);
  snprintf (path, sizeof path, "%s/%s.pdf", dir, main);
  const int ok = st == 0 && access (path, F_OK) == 0;
  if (!ok)
    {
      fprintf (stderr, "pdflatex failed on:\n%s\n", tex);
      snprintf (cmd, sizeof cmd, "tail -n 20 %s/log.txt >&2", dir);
      st = system (cmd);
    }
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  st = system (cmd);
  (void)st;
  return ok;
}

/* ---- Tests ---- */

START_TEST (test_report_registry_names_and_flags)
{
  const char *names[] = { "text", "md", "latex", "csv", "json" };
  const sde_report_format *const *f = sde_report_formats ();
  for (size_t i = 0; i < 5; i++)
    {
      ck_assert_ptr_nonnull (f[i]);
      ck_assert_str_eq (f[i]->name, names[i]);
      ck_assert_ptr_eq (sde_report_format_find (names[i]), f[i]);
    }
  ck_assert_ptr_null (f[5]);
  ck_assert_ptr_null (sde_report_format_find ("xml"));
  ck_assert_ptr_null (sde_report_format_find (NULL));
  ck_assert (sde_report_csv->flags & SDE_REPORT_MACHINE);
  ck_assert (sde_report_json->flags & SDE_REPORT_MACHINE);
  ck_assert (!(sde_report_latex->flags & SDE_REPORT_MACHINE));
  ck_assert (sde_report_csv->flags & SDE_REPORT_ONE_TABLE);
}
END_TEST

/* Display columns of the longest line.  */
static size_t
widest_line (const char *s)
{
  size_t w = 0, best = 0;
  for (const char *p = s; *p; p++)
    if (*p == '\n')
      w = 0;
    else if (((unsigned char)*p & 0xc0) != 0x80 && ++w > best)
      best = w;
  return best;
}

/* The header line of TABLE in a text document, its spaces squeezed.  */
static void
header_of (const char *t, const char *table, char *out, size_t len)
{
  char head[64];
  snprintf (head, sizeof head, "# table: %s\n", table);
  const char *p = strstr (t, head);
  ck_assert_msg (p != NULL, "no table %s", table);
  p += strlen (head);
  size_t k = 0;
  for (; *p && *p != '\n' && k + 1 < len; p++)
    if (*p != ' ' || (k > 0 && out[k - 1] != ' '))
      out[k++] = *p;
  out[k] = '\0';
}

START_TEST (test_report_view_default_fits_100_columns)
{
  char *t = document (sde_report_text, NULL, 2, SDE_REPORT_COMPLETE,
                      "sgdm:beta=0.9");
  /* The provenance aside, the default view is short.  */
  const char *table = strstr (t, "# table: errors\n");
  ck_assert_ptr_nonnull (table);
  ck_assert_uint_le (widest_line (strchr (table, '\n') + 1), 100);
  ck_assert_ptr_nonnull (strstr (t, "error \xc2\xb1 CI"));
  ck_assert_ptr_nonnull (strstr (t, "(2.14 \xc2\xb1 0.11)e-02"));
  ck_assert_ptr_null (strstr (t, " se "));
  ck_assert_ptr_null (strstr (t, "slopes"));
  free (t);
  char *m = doc_of ("md", NULL, 2, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (m, "| eta | method | observable | error"));
  ck_assert_ptr_null (strstr (m, "slopes"));
  free (m);
  char *l = doc_of ("latex", NULL, 2, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (l, "\\begin{tabular}{rllrrl}"));
  ck_assert_ptr_nonnull (strstr (l, "$(2.14\\pm0.11)\\times10^{-2}$"));
  free (l);
}
END_TEST

START_TEST (test_report_view_wide_shows_every_column)
{
  sde_report_opts o = { .wide = 1 };
  char *t = document (sde_report_text, &o, 2, SDE_REPORT_COMPLETE, "sgd");
  char h[256];
  header_of (t, "errors", h, sizeof h);
  ck_assert_str_eq (h, "eta method observable error \xc2\xb1 CI N floor "
                       "error se ci slopes tags exact");
  free (t);
  /* A table of wide columns alone shows them in the default view.  */
  sde_column w[2] = { cols[6], cols[7] };
  FILE *f = tmpfile ();
  sde_report *r = sde_report_alloc (f, sde_report_text, NULL);
  ck_assert_int_eq (sde_report_table (r, "wide", w, 2), 0);
  ck_assert_int_eq (sde_report_finish (r), 0);
  sde_report_free (r);
  t = slurp (f);
  fclose (f);
  header_of (t, "wide", h, sizeof h);
  ck_assert_str_eq (h, "error se");
  free (t);
  char *l = doc_of ("latex", &o, 2, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (l, "\\begin{tabular}{rllrrlrrrrll}"));
  free (l);
}
END_TEST

START_TEST (test_report_view_list_selects_and_orders)
{
  sde_report_opts o = { .columns = "se,eta,method,order" };
  char *t = document (sde_report_text, &o, 4, SDE_REPORT_COMPLETE, "sgd");
  /* errors: se, eta, method in that order; fits: method, order.  */
  char h[256];
  header_of (t, "errors", h, sizeof h);
  ck_assert_str_eq (h, "se eta method");
  header_of (t, "fits", h, sizeof h);
  ck_assert_str_eq (h, "method order");
  ck_assert_ptr_null (strstr (t, "observable"));
  free (t);
  /* Machine formats carry every column whatever the list.  */
  o.columns = "se,eta";
  char *c = document (sde_report_csv, &o, 2, SDE_REPORT_COMPLETE, "sgd");
  ck_assert_ptr_nonnull (strstr (c, "\neta,method,observable,N,floor,"));
  free (c);
}
END_TEST

START_TEST (test_report_view_list_errors_name_the_column)
{
  const sde_report_opts bad[] = { { .columns = "eta,,N" },
                                  { .columns = "eta,eta" },
                                  { .columns = "" } };
  for (size_t i = 0; i < 3; i++)
    {
      FILE *f = tmpfile ();
      last_code = 0;
      ck_assert_ptr_null (sde_report_alloc (f, sde_report_text, &bad[i]));
      ck_assert_int_eq (last_code, GSL_EINVAL);
      fclose (f);
    }
  sde_table_def t[] = { { "errors", cols, NCOLS }, { "fits", fit_cols, 2 } };
  ck_assert_int_eq (sde_report_columns_check ("eta,order,se", t, 2), 0);
  ck_assert_int_eq (sde_report_columns_check ("eta,bogus", t, 2), GSL_EINVAL);
  ck_assert_ptr_nonnull (strstr (last_reason, "bogus"));
  ck_assert_ptr_nonnull (strstr (last_reason, "eta, method"));
  /* A report whose tables lack a listed name says so at the end.  */
  sde_report_opts o = { .columns = "eta,bogus2" };
  for (const sde_report_format *const *fmt = sde_report_formats (); *fmt; fmt++)
    {
      FILE *f = tmpfile ();
      sde_report *r = build (f, *fmt, &o, 2, "sgd");
      last_reason[0] = '\0';
      ck_assert_int_eq (sde_report_finish (r), GSL_EINVAL);
      ck_assert_ptr_nonnull (strstr (last_reason, "bogus2"));
      sde_report_free (r);
      fclose (f);
    }
}
END_TEST

START_TEST (test_report_machine_formats_carry_all_but_human_columns)
{
  char *c = document (sde_report_csv, NULL, 2, SDE_REPORT_COMPLETE, "sgd");
  char f[256];
  ck_assert_int_eq (csv_parse (c, -1, -1, f, sizeof f), 3);
  ck_assert_ptr_nonnull (
      strstr (c, "\neta,method,observable,N,floor,error,se,ci,slopes,tags,"
                 "exact\n"));
  ck_assert_ptr_null (strstr (c, "error_ci"));
  free (c);
  char *j = document (sde_report_json, NULL, 2, SDE_REPORT_COMPLETE, "sgd");
  ck_assert (json_valid (j));
  for (size_t k = 0; k < NCOLS; k++)
    {
      char key[64];
      snprintf (key, sizeof key, "\"%s\": ", cols[k].name);
      ck_assert_uint_eq (count (j, key),
                         cols[k].flags & SDE_COLUMN_HUMAN ? 0 : 2);
    }
  free (j);
}
END_TEST

START_TEST (test_report_cells_csv_every_kind)
{
  char *c = doc_of ("csv", NULL, 2, SDE_REPORT_COMPLETE);
  char f[1024];
  csv_field (c, 1, 0, f, sizeof f);
  ck_assert_str_eq (f, "0.25");
  csv_field (c, 1, 3, f, sizeof f);
  ck_assert_str_eq (f, "3000");
  csv_field (c, 2, 3, f, sizeof f); /* NA */
  ck_assert_str_eq (f, "");
  csv_field (c, 1, 4, f, sizeof f);
  ck_assert_str_eq (f, "false");
  csv_field (c, 2, 4, f, sizeof f);
  ck_assert_str_eq (f, "true");
  csv_field (c, 1, 5, f, sizeof f); /* every bit */
  ck_assert (strtod (f, NULL) == 2.137e-2);
  csv_field (c, 2, 5, f, sizeof f);
  ck_assert (strtod (f, NULL) == -0.1);
  csv_field (c, 2, 6, f, sizeof f);
  ck_assert_str_eq (f, "nan");
  csv_field (c, 1, 7, f, sizeof f);
  ck_assert_str_eq (f, "0.02137;0.0011000000000000001");
  csv_field (c, 1, 8, f, sizeof f);
  ck_assert_str_eq (f, "1.25;0.5");
  csv_field (c, 1, 9, f, sizeof f);
  ck_assert_str_eq (f, "a\\;b;c,d");
  csv_field (c, 2, 1, f, sizeof f); /* quoted, control characters escaped */
  ck_assert_str_eq (f, "_ % & # $ { } \\ ^ ~ | < > \" , ; *\\t\\x01 end\\nnext "
                       "line");
  free (c);
}
END_TEST

START_TEST (test_report_cells_json_every_kind)
{
  char *j = doc_of ("json", NULL, 2, SDE_REPORT_COMPLETE);
  ck_assert_msg (json_valid (j), "%s", j);
  ck_assert_ptr_nonnull (strstr (j, "\"sdekit\": \"" PACKAGE_VERSION "\""));
  ck_assert_ptr_nonnull (strstr (j, "\"format\": 1,"));
  ck_assert_ptr_nonnull (strstr (j, "{\"eta\": 0.25, \"method\": \"sgd\""));
  ck_assert_ptr_nonnull (strstr (j, "\"N\": 3000, \"floor\": false"));
  ck_assert_ptr_nonnull (strstr (j, "\"N\": null, \"floor\": true"));
  ck_assert (json_number_of (j, "error") == 2.137e-2);
  ck_assert_ptr_nonnull (strstr (j, "\"se\": null"));
  ck_assert_ptr_nonnull (
      strstr (j, "\"ci\": [0.02137, 0.0011000000000000001]"));
  ck_assert_ptr_nonnull (strstr (j, "\"slopes\": [1.25, 0.5]"));
  ck_assert_ptr_nonnull (strstr (j, "\"tags\": [\"a;b\", \"c,d\"]"));
  ck_assert_ptr_nonnull (strstr (j, "\"exact\": true"));
  ck_assert_ptr_nonnull (strstr (j, "\\t\\u0001 end\\nnext line"));
  ck_assert_ptr_nonnull (strstr (j, "\"interrupted\": false"));
  ck_assert_ptr_nonnull (strstr (j, "\"failed\": false"));
  free (j);
  /* An integral double reads back as a float.  */
  FILE *f = tmpfile ();
  sde_report *r = sde_report_alloc (f, sde_report_json, NULL);
  sde_cell row[] = { SDE_CELL_S ("x"), SDE_CELL_D (1.0) };
  ck_assert_int_eq (sde_report_table (r, "fits", fit_cols, 2), 0);
  ck_assert_int_eq (sde_report_row (r, row), 0);
  ck_assert_int_eq (sde_report_finish (r), 0);
  sde_report_free (r);
  char *s = slurp (f);
  fclose (f);
  ck_assert_msg (json_valid (s), "%s", s);
  ck_assert_ptr_nonnull (strstr (s, "\"order\": 1.0}"));
  ck_assert_ptr_nonnull (strstr (s, "\"provenance\": {},"));
  free (s);
}
END_TEST

START_TEST (test_report_md_provenance_cannot_end_its_comment)
{
  FILE *f = tmpfile ();
  sde_report *r = sde_report_alloc (f, sde_report_md, NULL);
  ck_assert_int_eq (sde_report_meta (r, "k", "a --> b --!> c -> d"), 0);
  ck_assert_int_eq (sde_report_finish (r), 0);
  sde_report_free (r);
  char *m = slurp (f);
  fclose (f);
  ck_assert_str_eq (m, "<!-- k: a --&gt; b --!&gt; c -> d -->\n");
  free (m);
}
END_TEST

START_TEST (test_report_cells_text_md_latex_every_kind)
{
  sde_report_opts o = { .wide = 1 };
  char *t = doc_of ("text", &o, 2, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (t, "\n0.25       sgd "));
  ck_assert_ptr_nonnull (strstr (t, "(2.14 \xc2\xb1 0.11)e-02"));
  ck_assert_ptr_nonnull (strstr (t, " 2.137e-02 "));
  ck_assert_ptr_nonnull (strstr (t, " 1.25,0.50 "));
  ck_assert_ptr_nonnull (strstr (t, " a;b,c,d "));
  ck_assert_ptr_nonnull (strstr (t, "\\t\\x01 end\\nnext line "));
  ck_assert_ptr_nonnull (strstr (t, "     - *"));
  ck_assert_ptr_nonnull (strstr (t, " nan "));
  free (t);
  char *m = doc_of ("md", &o, 2, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (m, "| 1.25, 0.50 | a;b, c,d | yes |"));
  ck_assert_ptr_nonnull (strstr (m, "\\_ % & \\# $ { } \\\\ ^ ~ \\| \\< \\>"));
  ck_assert_ptr_nonnull (strstr (m, "| - | \\* |"));
  free (m);
  char *l = doc_of ("latex", &o, 2, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (l,
                                 "$0.25$ & sgd & norm2 & "
                                 "$(2.14\\pm0.11)\\times10^{-2}$ & $3000$ &  "
                                 "& $2.137\\times10^{-2}$ & "
                                 "$5.50\\times10^{-4}$ & "));
  ck_assert_ptr_nonnull (strstr (l, "$1.25$, $0.50$ & a;b, c,d & yes \\\\"));
  ck_assert_ptr_nonnull (
      strstr (l, "& -- & * & $-1.000\\times10^{-1}$ & -- &"));
  ck_assert_ptr_nonnull (
      strstr (l, "\\_ \\% \\& \\# \\$ \\{ \\} \\textbackslash{} "
                 "\\textasciicircum{} \\textasciitilde{} \\textbar{} "
                 "\\textless{} \\textgreater{}"));
  free (l);
}
END_TEST

/* A hostile string takes as many lines as a tame one of its length: no
   control character starts a line of its own, in any format.  */
START_TEST (test_report_hostile_strings_stay_on_their_lines)
{
  sde_report_opts opts[] = { { 0 }, { .standalone = 1, .wide = 1 } };
  for (const sde_report_format *const *fmt = sde_report_formats (); *fmt; fmt++)
    for (int k = 0; k < 2; k++)
      for (int point = 0; point <= 4; point++)
        {
          char *h
              = document (*fmt, &opts[k], point, SDE_REPORT_COMPLETE, HOSTILE);
          char *t = document (*fmt, &opts[k], point, SDE_REPORT_COMPLETE, TAME);
          ck_assert_msg (count (h, "\n") == count (t, "\n"),
                         "%s: a hostile string added a line:\n%s", (*fmt)->name,
                         h);
          /* The provenance line holds the whole value.  */
          ck_assert_ptr_nonnull (strstr (h, "end\\nnext line"));
          free (h);
          free (t);
        }
}
END_TEST

START_TEST (test_report_latex_hostile_document_compiles)
{
  need_pdflatex ();
  sde_report_opts frag = { .wide = 1 }, doc = { .standalone = 1, .wide = 1 };
  char *l = doc_of ("latex", &frag, 4, SDE_REPORT_COMPLETE);
  ck_assert_ptr_null (strstr (l, "documentclass"));
  ck_assert_uint_eq (count (l, "\\begin{tabular}"), 2);
  ck_assert_ptr_nonnull (
      strstr (l, "\n% between the tables\n% pass: order 1.02, want 1\n\n"
                 "% table: fits\n\\begin{tabular}"));
  ck_assert_msg (compiles (l, 1), "the fragment does not compile");
  free (l);
  l = doc_of ("latex", &doc, 4, SDE_REPORT_COMPLETE);
  ck_assert_ptr_nonnull (strstr (l, "\\documentclass{article}"));
  ck_assert_ptr_nonnull (strstr (l, "\\emph{Note:}"));
  ck_assert_msg (compiles (l, 0), "the document does not compile");
  free (l);
}
END_TEST

/* The records of a JSON document's tables.  */
START_TEST (test_report_trailer_json_parses_at_every_point)
{
  const size_t rows[] = { 0, 0, 2, 2, 3 };
  for (int point = 0; point <= 4; point++)
    for (int sig = 0; sig < 2; sig++)
      {
        char *j = doc_of ("json", NULL, point,
                          sig ? SDE_REPORT_INTERRUPTED : SDE_REPORT_FAILED);
        ck_assert_msg (json_valid (j), "point %d: %s", point, j);
        ck_assert_ptr_nonnull (
            strstr (j, sig ? "\"interrupted\": true" : "\"failed\": true"));
        ck_assert_ptr_nonnull (
            strstr (j, sig ? "\"failed\": false" : "\"interrupted\": false"));
        ck_assert_uint_eq (count (j, "{\"eta\": ") + count (j, "{\"method\""),
                           rows[point]);
        ck_assert_ptr_nonnull (
            strstr (j, sig ? "interrupted: the rows" : "stopped by an error"));
        if (point >= 3)
          ck_assert_ptr_nonnull (
              strstr (j, "{\"pass\": true, \"text\": \"order 1.02, want 1\"}"));
        free (j);
      }
}
END_TEST

/* Markdown: each table's rows have as many cells as its header, and a
   blank line ends it.  */
static int
md_tables_ok (const char *m)
{
  size_t want = 0;
  int in_table = 0;
  for (const char *p = m; *p;)
    {
      const size_t n = strcspn (p, "\n");
      size_t pipes = 0;
      for (size_t i = 0; i < n; i++)
        pipes += p[i] == '|' && (i == 0 || p[i - 1] != '\\');
      if (*p == '|' && in_table && pipes != want)
        return 0;
      if (*p != '|' && in_table && n > 0)
        return 0;
      in_table = *p == '|';
      want = pipes;
      p += n + (p[n] == '\n');
    }
  return 1;
}

START_TEST (test_report_trailer_csv_text_md_at_every_point)
{
  for (int point = 0; point <= 4; point++)
    {
      char *c = doc_of ("csv", NULL, point, SDE_REPORT_INTERRUPTED);
      char f[64];
      ck_assert_int_eq (csv_parse (c, -1, -1, f, sizeof f), point == 0   ? 0
                                                            : point == 1 ? 1
                                                                         : 3);
      ck_assert_ptr_nonnull (strstr (c, "\n# interrupted: the rows above"));
      free (c);
      char *t = doc_of ("text", NULL, point, SDE_REPORT_FAILED);
      const char *last = strrchr (t, '\n');
      while (last > t && last[-1] != '\n')
        last--;
      ck_assert_int_eq (strncmp (last, "# stopped by an error", 21), 0);
      free (t);
      /* Markdown: every row as wide as the header, the notes after a
         blank line.  */
      char *m = doc_of ("md", NULL, point, SDE_REPORT_INTERRUPTED);
      ck_assert_ptr_nonnull (strstr (m, "- interrupted: the rows above"));
      ck_assert_msg (md_tables_ok (m), "point %d: %s", point, m);
      if (point >= 2)
        ck_assert_ptr_nonnull (strstr (m, " |\n\n- \\_ % & \\# $"));
      free (m);
    }
}
END_TEST

START_TEST (test_report_trailer_latex_compiles_at_every_point)
{
  need_pdflatex ();
  for (int point = 0; point <= 4; point++)
    for (int standalone = 0; standalone < 2; standalone++)
      {
        sde_report_opts o = { .standalone = standalone };
        char *l = doc_of ("latex", &o, point, SDE_REPORT_INTERRUPTED);
        ck_assert_uint_eq (count (l, "\\begin{tabular}"),
                           count (l, "\\end{tabular}"));
        ck_assert_uint_eq (count (l, "\\end{document}"), (size_t)standalone);
        ck_assert_msg (compiles (l, !standalone), "point %d%s: no PDF", point,
                       standalone ? " (standalone)" : "");
        free (l);
      }
}
END_TEST

START_TEST (test_report_trailer_small_buffer_and_finished)
{
  FILE *f = tmpfile ();
  sde_report *r = build (f, sde_report_json, NULL, 2, "sgd");
  for (int i = 0; i < 200; i++)
    ck_assert_int_eq (sde_report_note (r, "a long note that fills the "
                                          "trailer's buffer quickly"),
                      0);
  char full[16384], small[700], tiny[16];
  size_t n = sde_report_trailer (r, 1, full, sizeof full);
  ck_assert_uint_gt (n, 200 * 40);
  /* Too small for the notes: they are left out, the rest is valid.  */
  size_t k = sde_report_trailer (r, 1, small, sizeof small);
  ck_assert_uint_gt (k, 0);
  ck_assert_ptr_null (strstr (small, "a long note"));
  ck_assert_uint_eq (sde_report_trailer (r, 1, tiny, sizeof tiny), 0);
  ck_assert_str_eq (tiny, "");
  fputs (small, f);
  char *s = slurp (f);
  ck_assert_msg (json_valid (s), "%s", s);
  free (s);
  ck_assert_int_eq (sde_report_finish (r), 0);
  ck_assert_uint_eq (sde_report_trailer (r, 1, full, sizeof full), 0);
  sde_report_free (r);
  fclose (f);
}
END_TEST

START_TEST (test_report_misuse_is_refused)
{
  FILE *f = tmpfile ();
  sde_report *r = build (f, sde_report_csv, NULL, 2, "sgd");
  /* A second CSV table ends the first; its rows go nowhere.  */
  ck_assert_int_eq (sde_report_table (r, "fits", fit_cols, 2), GSL_EINVAL);
  ck_assert_ptr_nonnull (strstr (last_reason, "one table"));
  sde_cell row[] = { SDE_CELL_S ("x"), SDE_CELL_D (1.0) };
  ck_assert_int_eq (sde_report_row (r, row), GSL_EINVAL);
  ck_assert_int_eq (sde_report_meta (r, "late", "x"), GSL_EINVAL);
  ck_assert_int_eq (sde_report_finish (r), 0);
  ck_assert_int_eq (sde_report_finish (r), GSL_EINVAL);
  ck_assert_int_eq (sde_report_note (r, "late"), GSL_EINVAL);
  sde_report_free (r);
  fclose (f);
  f = tmpfile ();
  r = sde_report_alloc (f, sde_report_json, NULL);
  ck_assert_int_eq (sde_report_table (r, "notes", fit_cols, 2), GSL_EINVAL);
  ck_assert_int_eq (sde_report_table (r, "", fit_cols, 2), GSL_EINVAL);
  ck_assert_int_eq (sde_report_table (r, "fits", fit_cols, 2), 0);
  ck_assert_int_eq (sde_report_table (r, "fits", fit_cols, 2), GSL_EINVAL);
  sde_column twice[2] = { fit_cols[1], fit_cols[1] };
  ck_assert_int_eq (sde_report_table (r, "twice", twice, 2), GSL_EINVAL);
  ck_assert_ptr_nonnull (strstr (last_reason, "two columns named"));
  sde_report_set_failed (r);
  ck_assert_int_eq (sde_report_finish (r), 0);
  sde_report_free (r);
  char *s = slurp (f);
  ck_assert_msg (json_valid (s), "%s", s);
  ck_assert_ptr_nonnull (strstr (s, "\"failed\": true"));
  free (s);
  fclose (f);
  ck_assert_ptr_null (sde_report_alloc (NULL, sde_report_text, NULL));
  ck_assert_ptr_null (sde_report_alloc (stdout, NULL, NULL));
  sde_report_free (NULL);
}
END_TEST

static Suite *
report_suite (void)
{
  Suite *s = suite_create ("report");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_report_registry_names_and_flags);
  tcase_add_test (tc, test_report_view_default_fits_100_columns);
  tcase_add_test (tc, test_report_view_wide_shows_every_column);
  tcase_add_test (tc, test_report_view_list_selects_and_orders);
  tcase_add_test (tc, test_report_view_list_errors_name_the_column);
  tcase_add_test (tc, test_report_machine_formats_carry_all_but_human_columns);
  tcase_add_test (tc, test_report_cells_csv_every_kind);
  tcase_add_test (tc, test_report_cells_json_every_kind);
  tcase_add_test (tc, test_report_cells_text_md_latex_every_kind);
  tcase_add_test (tc, test_report_md_provenance_cannot_end_its_comment);
  tcase_add_test (tc, test_report_hostile_strings_stay_on_their_lines);
  tcase_add_test (tc, test_report_latex_hostile_document_compiles);
  tcase_add_test (tc, test_report_trailer_json_parses_at_every_point);
  tcase_add_test (tc, test_report_trailer_csv_text_md_at_every_point);
  tcase_add_test (tc, test_report_trailer_latex_compiles_at_every_point);
  tcase_add_test (tc, test_report_trailer_small_buffer_and_finished);
  tcase_add_test (tc, test_report_misuse_is_refused);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  gsl_set_error_handler (capture);
  return testutil_run (report_suite ());
}
