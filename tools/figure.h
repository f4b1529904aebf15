/* figure.h: the log-log convergence figure of a weak-error table, drawn
   from plain data (the rows and fits of sde-compare and sde-slow, or of a
   saved JSON table): .png, .svg and .pdf through gnuplot, .tex as
   pgfplots code.  Each (method, observable) is a series of |e| against
   eta with its 95% CI as error bars, points in the Monte Carlo noise floor
   hollow, and the fitted power law dashed; each method with a theoretical
   order gets a dotted reference line of that slope through its first
   point.  */
#ifndef SDEKIT_FIGURE_H
#define SDEKIT_FIGURE_H

#include <stddef.h>
#include <stdio.h>

#include "sdekit/weak.h"

typedef struct
{
  size_t nmethods, nobs;
  const char *const *method_names; /* nmethods */
  const char *const *obs_names;    /* nobs */
  /* Per method: the theory's order (NAN or 0: no reference line) and its
     kind ("exact", "bound", ...; the array may be NULL).  */
  const double *theory;
  const char *const *theory_kind;
  /* The table's rows (.method < nmethods, .obs < nobs), each series in
     decreasing eta; a row whose error is 0 or not finite is not drawn.
     The figure uses eta, e, se, hi (the CI's upper end), crit and floor.  */
  const sde_weak_point *rows;
  size_t nrows;
  /* fits[method * nobs + obs]: ok, order, se and logc (the line).  */
  const sde_weak_fit *fits;
  const char *title;  /* NULL: none */
  const char *xlabel; /* NULL: "learning rate eta" */
  const char *ylabel; /* NULL: "weak error |e|" */
} figure_data;

typedef struct
{
  int standalone;     /* .tex: a whole document (the standalone class)
                         instead of a tikzpicture to \input */
  const char *script; /* .png/.svg/.pdf: keep gnuplot's script in this
                         file too (NULL: not kept) */
  const char *opt;    /* the option that names the file, for messages
                         (NULL: "plot") */
} figure_options;

/* The points the figure can draw (error above 0, finite, eta > 0).  */
size_t figure_points (const figure_data *d);

/* Checks the figure's file names before any work: the extension (.png,
   .svg, .pdf or .tex), gnuplot on the PATH for the first three, options
   that fit the kind, and folders that can be written.  A bad name ends
   the program with status 2 (on every rank).  O may be NULL.  */
void figure_check (const char *file, const figure_options *o);

/* Writes the pgfplots code to F: a tikzpicture that a document with
   \usepackage{pgfplots} can \input, or with STANDALONE a whole document.
   Returns 0, or -1 when writing failed.  */
int figure_write_pgfplots (const figure_data *d, FILE *f, int standalone);

/* Writes the gnuplot script for a figure of type EXT ("png", "svg" or
   "pdf") to G.  The script writes the figure to its standard output, so
   no file name appears in it; every text is a single-quoted gnuplot
   string.  Returns 0, or -1 when writing failed.  */
int figure_write_gnuplot (const figure_data *d, FILE *g, const char *ext);

/* Draws FILE (checked by figure_check), and keeps the gnuplot script when
   O asks: each file is written atomically, or not at all.  Ends the
   program with status 1 and a message when there is nothing to draw,
   gnuplot fails or a write fails.  O may be NULL.  */
void figure_plot (const figure_data *d, const char *file,
                  const figure_options *o);

#endif /* SDEKIT_FIGURE_H */
