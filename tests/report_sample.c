/* report_sample.c: writes a small report with hostile strings to standard
   output, for the shell tests (tests/cli/report-latex.sh compiles its
   LaTeX).  Usage: report_sample FORMAT [standalone] [wide].  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sdekit/report.h"

/* Every character LaTeX takes for syntax, and a newline.  */
#define HOSTILE "sgd_{1} 50% & #2 $x$ {y} \\z ^ ~ | <a> \"q\"\nnext"

static const sde_column errors[] = {
  { "eta", "$\\eta$", 10, 'g', 6, 0, NULL, NULL },
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "observable", "$\\varphi$", 10, 's', 0, 0, NULL, NULL },
  { "error_ci", "$e \\pm$ 95\\% CI", 17, 'e', 2, SDE_COLUMN_HUMAN,
    "error \xc2\xb1 CI", NULL },
  { "N", "$N$", 9, 'd', 0, 0, NULL, NULL },
  { "floor", "floor", 5, 's', 0, 0, NULL, "*|" },
  { "error", "$e$", 11, 'e', 3, SDE_COLUMN_WIDE, NULL, NULL },
  { "se", "SE", 9, 'e', 2, SDE_COLUMN_WIDE, NULL, NULL },
  { "slopes", "local slopes", 12, 'f', 2, SDE_COLUMN_WIDE, NULL, NULL },
};

static const sde_column fits[] = {
  { "method", "method", 16, 's', 0, 0, NULL, NULL },
  { "order", "order $p$", 8, 'f', 3, 0, NULL, NULL },
  { "se", "SE", 7, 'f', 3, 0, NULL, NULL },
};

int
main (int argc, char **argv)
{
  const sde_report_format *f
      = argc > 1 ? sde_report_format_find (argv[1]) : NULL;
  if (f == NULL)
    {
      fprintf (stderr, "usage: report_sample FORMAT [standalone] [wide]\n");
      return 2;
    }
  sde_report_opts o = { 0 };
  for (int i = 2; i < argc; i++)
    {
      o.standalone |= strcmp (argv[i], "standalone") == 0;
      o.wide |= strcmp (argv[i], "wide") == 0;
    }
  gsl_set_error_handler_off ();
  sde_report *r = sde_report_alloc (stdout, f, &o);
  const double ls[] = { 1.02, 0.98 };
  sde_report_meta (r, "sdekit", PACKAGE_VERSION);
  sde_report_meta (r, "command", "report_sample " HOSTILE);
  sde_report_table (r, "errors", errors, sizeof errors / sizeof errors[0]);
  sde_cell rows[2][9] = {
    { SDE_CELL_D (0.25), SDE_CELL_S ("sgd"), SDE_CELL_S ("norm2"),
      SDE_CELL_PM (2.137e-2, 1.1e-3), SDE_CELL_I (3000), SDE_CELL_B (0),
      SDE_CELL_D (2.137e-2), SDE_CELL_D (5.6e-4), SDE_CELL_DV (ls, 2) },
    { SDE_CELL_D (0.125), SDE_CELL_S (HOSTILE), SDE_CELL_S ("x_0"),
      SDE_CELL_PM (-9.996e-4, 2.5e-4), SDE_CELL_NONE, SDE_CELL_B (1),
      SDE_CELL_D (-9.996e-4), SDE_CELL_D (NAN), SDE_CELL_DV (ls, 1) },
  };
  sde_report_row (r, rows[0]);
  sde_report_row (r, rows[1]);
  sde_report_note (r, "a note inside the table: " HOSTILE);
  sde_report_table_end (r);
  if (!(f->flags & SDE_REPORT_ONE_TABLE))
    {
      sde_report_table (r, "fits", fits, 3);
      sde_cell fit[]
          = { SDE_CELL_S (HOSTILE), SDE_CELL_D (1.0234), SDE_CELL_D (0.05) };
      sde_report_row (r, fit);
    }
  sde_report_verdict (r, 1, "order 1.023 within 1 +- 0.1");
  int st = sde_report_finish (r);
  sde_report_free (r);
  return st ? 1 : 0;
}
