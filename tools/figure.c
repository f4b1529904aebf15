/* figure.c: the log-log convergence figure (MATH.md section 8): |e|
   against eta per method and observable with 95% CIs as error bars, the
   weighted least-squares power law of each series, and the theory's slope
   per method.  gnuplot runs without a shell, its script on a pipe and the
   figure on its standard output, so no file name ever reaches it as code;
   pgfplots code is written directly.  */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "figure.h"
#include "sdekit/report.h"
#include "sdekit/spec.h"

/* Series styles: a colour and a mark each, so print in grey still tells
   them apart.  gnuplot's point types: filled and open circle, square,
   triangle, diamond, pentagon.  */
#define NCOLORS 10
#define NMARKS 5
static const char *const colors[NCOLORS]
    = { "1F77B4", "D62728", "2CA02C", "FF7F0E", "9467BD",
        "8C564B", "000000", "E377C2", "17BECF", "7F7F7F" };
static const char *const tikz_marks[NMARKS]
    = { "*", "square*", "triangle*", "diamond*", "pentagon*" };
static const int gp_solid[NMARKS] = { 7, 5, 9, 13, 15 };
static const int gp_hollow[NMARKS] = { 6, 4, 8, 12, 14 };

#define FLOOR_LABEL "in the noise floor (|e| < 2 SE), not fitted"

static int
drawable (const sde_weak_point *p)
{
  return isfinite (p->e) && fabs (p->e) > 0 && isfinite (p->eta) && p->eta > 0;
}

size_t
figure_points (const figure_data *d)
{
  size_t n = 0;
  for (size_t k = 0; k < d->nrows; k++)
    n += drawable (&d->rows[k]) && d->rows[k].method < d->nmethods
         && d->rows[k].obs < d->nobs;
  return n;
}

/* The half-width of the row's CI, ci_hi - e (crit SE when the row has no
   upper end).  */
static double
halfwidth (const sde_weak_point *p)
{
  const double h = p->hi - p->e;
  if (isfinite (h) && h >= 0)
    return h;
  return isfinite (p->crit) && isfinite (p->se) && p->se > 0 ? p->crit * p->se
                                                             : 0;
}

/* The ends of the error bar of |e|.  A CI that reaches 0 (only in the
   noise floor: elsewhere |e| >= 2 SE) is cut at |e|/100 for the log axis
   (as in tex_series).  */
static void
bar (const sde_weak_point *p, double *lo, double *hi)
{
  const double y = fabs (p->e), h = halfwidth (p);
  *lo = y - h > 1e-2 * y ? y - h : 1e-2 * y;
  *hi = y + h;
}

/* The drawable points of series (M, O) into PTS, in table order; *LO and
 *HI their range of eta.  */
static size_t
series (const figure_data *d, size_t m, size_t o, const sde_weak_point **pts,
        double *lo, double *hi)
{
  size_t n = 0;
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t k = 0; k < d->nrows; k++)
    {
      const sde_weak_point *p = &d->rows[k];
      if (p->method == m && p->obs == o && drawable (p))
        {
          pts[n++] = p;
          *lo = fmin (*lo, p->eta);
          *hi = fmax (*hi, p->eta);
        }
    }
  return n;
}

/* Whether method M has a reference slope: a theory that is a number other
   than 0, and drawable points at two etas or more.  *FIRST is its first
   point (the line goes through it), *LO and *HI its range of eta.  */
static int
theory_line (const figure_data *d, size_t m, const sde_weak_point **first,
             double *lo, double *hi)
{
  if (d->theory == NULL || !isfinite (d->theory[m]) || d->theory[m] == 0)
    return 0;
  *first = NULL;
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t k = 0; k < d->nrows; k++)
    {
      const sde_weak_point *p = &d->rows[k];
      if (p->method != m || p->obs >= d->nobs || !drawable (p))
        continue;
      if (*first == NULL)
        *first = p;
      *lo = fmin (*lo, p->eta);
      *hi = fmax (*hi, p->eta);
    }
  return *first != NULL && *lo < *hi;
}

/* The reference line of slope p through the first point, at ETA.  */
static double
theory_at (const figure_data *d, size_t m, const sde_weak_point *first,
           double eta)
{
  return fabs (first->e) * pow (eta / first->eta, d->theory[m]);
}

static int
theory_is_bound (const figure_data *d, size_t m)
{
  return d->theory_kind && d->theory_kind[m]
         && strcmp (d->theory_kind[m], "bound") == 0;
}

static int
fit_line (const sde_weak_fit *f, double lo, double hi)
{
  return f->ok && isfinite (f->order) && isfinite (f->logc) && lo < hi;
}

/* ": order 1.03 PM 0.02" for a fitted order, else "".  */
static void
order_text (const sde_weak_fit *f, const char *pm, char *buf, size_t len)
{
  if (!f->ok || !isfinite (f->order))
    *buf = '\0';
  else if (isfinite (f->se))
    snprintf (buf, len, ": order %.2f %s %.2f", f->order, pm, f->se);
  else
    snprintf (buf, len, ": order %.2f", f->order);
}

static int
any_floored (const figure_data *d)
{
  for (size_t k = 0; k < d->nrows; k++)
    if (d->rows[k].floor && drawable (&d->rows[k])
        && d->rows[k].method < d->nmethods && d->rows[k].obs < d->nobs)
      return 1;
  return 0;
}

/* ---- pgfplots ---- */

/* One series: the points above the floor, the hollow ones in it, and the
   fitted line.  */
static void
tex_series (const figure_data *d, FILE *f, size_t m, size_t o,
            const sde_weak_point **pts)
{
  const size_t k = m * d->nobs + o;
  double lo, hi;
  const size_t n = series (d, m, o, pts, &lo, &hi);
  size_t nfloor = 0;
  for (size_t i = 0; i < n; i++)
    nfloor += pts[i]->floor != 0;
  for (int hollow = 0; hollow < 2; hollow++)
    {
      if ((hollow ? nfloor : n - nfloor) == 0)
        continue;
      const int legend = !hollow || nfloor == n;
      fprintf (f,
               "\\addplot[color=sdekit%zu, mark=%s, only marks%s%s, "
               "error bars/.cd, y dir=both, y explicit] coordinates {\n",
               k % NCOLORS, tikz_marks[k % NMARKS],
               hollow ? ", mark options={fill=white}" : "",
               legend ? "" : ", forget plot");
      for (size_t i = 0; i < n; i++)
        if ((pts[i]->floor != 0) == hollow)
          {
            const double y = fabs (pts[i]->e), h = halfwidth (pts[i]);
            fprintf (f, "  (%.10g, %.10g) += (0, %.10g) -= (0, %.10g)\n",
                     pts[i]->eta, y, h, y - h > 1e-2 * y ? h : 0.99 * y);
          }
      fputs ("};\n", f);
      if (!legend)
        continue;
      char order[96];
      order_text (&d->fits[k], "$\\pm$", order, sizeof order);
      fputs ("\\addlegendentry{", f);
      sde_report_latex_fputs (f, d->method_names[m]);
      fputs (", ", f);
      sde_report_latex_fputs (f, d->obs_names[o]);
      fprintf (f, "%s}\n", order);
    }
  const sde_weak_fit *fit = &d->fits[k];
  if (n && fit_line (fit, lo, hi))
    fprintf (f,
             "\\addplot[color=sdekit%zu, dashed, forget plot] coordinates "
             "{(%.10g, %.10g) (%.10g, %.10g)};\n",
             k % NCOLORS, hi, exp (fit->logc) * pow (hi, fit->order), lo,
             exp (fit->logc) * pow (lo, fit->order));
}

/* The reference slopes, one per method with a theory.  */
static void
tex_theory (const figure_data *d, FILE *f)
{
  for (size_t m = 0; m < d->nmethods; m++)
    {
      const sde_weak_point *p;
      double lo, hi;
      if (!theory_line (d, m, &p, &lo, &hi))
        continue;
      fprintf (f,
               "\\addplot[color=sdekit%zu, dotted, very thick] coordinates "
               "{(%.10g, %.10g) (%.10g, %.10g)};\n\\addlegendentry{",
               (p->method * d->nobs + p->obs) % NCOLORS, hi,
               theory_at (d, m, p, hi), lo, theory_at (d, m, p, lo));
      sde_report_latex_fputs (f, d->method_names[m]);
      fprintf (f, ": slope %g%s}\n", d->theory[m],
               theory_is_bound (d, m) ? " (a bound)" : "");
    }
}

int
figure_write_pgfplots (const figure_data *d, FILE *f, int standalone)
{
  const sde_weak_point **pts = malloc (sizeof *pts * (d->nrows + 1));
  if (pts == NULL)
    return -1;
  fprintf (f, "%% sdekit %s convergence figure (pgfplots).\n", PACKAGE_VERSION);
  if (standalone)
    fputs ("\\documentclass{standalone}\n\\usepackage{pgfplots}\n"
           "\\pgfplotsset{compat=1.16}\n\\begin{document}\n",
           f);
  else
    fputs ("% \\input it where the figure goes; the preamble needs "
           "\\usepackage{pgfplots}.\n",
           f);
  fputs ("\\begin{tikzpicture}\n", f);
  for (size_t c = 0; c < NCOLORS; c++)
    fprintf (f, "\\definecolor{sdekit%zu}{HTML}{%s}\n", c, colors[c]);
  fputs ("\\begin{loglogaxis}[", f);
  if (d->title)
    {
      fputs ("title={", f);
      sde_report_latex_fputs (f, d->title);
      fputs ("}, ", f);
    }
  fputs ("xlabel={", f);
  if (d->xlabel)
    sde_report_latex_fputs (f, d->xlabel);
  else
    fputs ("learning rate $\\eta$", f);
  /* The legend below the axis, where it hides no point.  */
  fputs ("}, ylabel={", f);
  if (d->ylabel)
    sde_report_latex_fputs (f, d->ylabel);
  else
    fputs ("weak error $|e|$", f);
  fputs ("}, log basis x=2, legend cell "
         "align=left, legend style={font=\\scriptsize, at={(0.5,-0.2)}, "
         "anchor=north}]\n",
         f);
  for (size_t m = 0; m < d->nmethods; m++)
    for (size_t o = 0; o < d->nobs; o++)
      tex_series (d, f, m, o, pts);
  tex_theory (d, f);
  if (any_floored (d))
    fputs ("\\addlegendimage{only marks, mark=o, black}\n"
           "\\addlegendentry{in the noise floor ($|e| < 2$ SE), not "
           "fitted}\n",
           f);
  fputs ("\\end{loglogaxis}\n\\end{tikzpicture}\n", f);
  if (standalone)
    fputs ("\\end{document}\n", f);
  free (pts);
  return ferror (f) ? -1 : 0;
}

/* ---- gnuplot ---- */

/* S as a gnuplot string in single quotes, where gnuplot substitutes
   nothing (no backquote commands, no escapes): a quote is doubled and a
   control character becomes a space, so no value can end the string or
   the line.  */
static void
gp_string (FILE *g, const char *s)
{
  fputc ('\'', g);
  for (; *s; s++)
    {
      const unsigned char ch = (unsigned char)*s;
      if (ch == '\'')
        fputs ("''", g);
      else
        fputc (ch < 0x20 || ch == 0x7f ? ' ' : ch, g);
    }
  fputc ('\'', g);
}

/* Starts the next element of the plot command.  */
static void
gp_next (FILE *g, int *first)
{
  fputs (*first ? "plot " : ", \\\n     ", g);
  *first = 0;
}

/* The series' title: name, observable and fitted order.  */
static void
gp_title (const figure_data *d, FILE *g, size_t m, size_t o)
{
  char label[1200], order[96];
  order_text (&d->fits[m * d->nobs + o], "\xc2\xb1", order, sizeof order);
  snprintf (label, sizeof label, "%s, %s%s", d->method_names[m],
            d->obs_names[o], order);
  fputs ("title ", g);
  gp_string (g, label);
  fputs (" noenhanced", g);
}

/* One series as in tex_series: its elements of the plot command, or
   with DATA their inline data, in the same order.  */
static void
gp_series (const figure_data *d, FILE *g, size_t m, size_t o,
           const sde_weak_point **pts, int data, int *first)
{
  const size_t k = m * d->nobs + o;
  double lo, hi;
  const size_t n = series (d, m, o, pts, &lo, &hi);
  size_t nfloor = 0;
  for (size_t i = 0; i < n; i++)
    nfloor += pts[i]->floor != 0;
  for (int hollow = 0; hollow < 2; hollow++)
    {
      if ((hollow ? nfloor : n - nfloor) == 0)
        continue;
      if (data)
        {
          for (size_t i = 0; i < n; i++)
            if ((pts[i]->floor != 0) == hollow)
              {
                double blo, bhi;
                bar (pts[i], &blo, &bhi);
                fprintf (g, "%.10g %.10g %.10g %.10g\n", pts[i]->eta,
                         fabs (pts[i]->e), blo, bhi);
              }
          fputs ("e\n", g);
          continue;
        }
      gp_next (g, first);
      fprintf (g,
               "'-' using 1:2:3:4 with yerrorbars pt %d ps 1.2 lc rgb '#%s' ",
               hollow ? gp_hollow[k % NMARKS] : gp_solid[k % NMARKS],
               colors[k % NCOLORS]);
      if (!hollow || nfloor == n)
        gp_title (d, g, m, o);
      else
        fputs ("notitle", g);
    }
  const sde_weak_fit *fit = &d->fits[k];
  if (n == 0 || !fit_line (fit, lo, hi))
    return;
  if (data)
    fprintf (g, "%.10g %.10g\n%.10g %.10g\ne\n", hi,
             exp (fit->logc) * pow (hi, fit->order), lo,
             exp (fit->logc) * pow (lo, fit->order));
  else
    {
      gp_next (g, first);
      fprintf (g, "'-' using 1:2 with lines dt 2 lc rgb '#%s' notitle",
               colors[k % NCOLORS]);
    }
}

/* "set WHAT TEXT noenhanced" for a caller's label (as a gnuplot string,
   never code), else FALLBACK as it is (NULL: nothing).  */
static void
gp_label (FILE *g, const char *what, const char *text, const char *fallback)
{
  if (text)
    {
      fprintf (g, "set %s ", what);
      gp_string (g, text);
      fputs (" noenhanced\n", g);
    }
  else if (fallback)
    fprintf (g, "set %s %s\n", what, fallback);
}

/* The reference slopes, as gp_series.  */
static void
gp_theory (const figure_data *d, FILE *g, int data, int *first)
{
  for (size_t m = 0; m < d->nmethods; m++)
    {
      const sde_weak_point *p;
      double lo, hi;
      if (!theory_line (d, m, &p, &lo, &hi))
        continue;
      if (data)
        {
          fprintf (g, "%.10g %.10g\n%.10g %.10g\ne\n", hi,
                   theory_at (d, m, p, hi), lo, theory_at (d, m, p, lo));
          continue;
        }
      char label[1200];
      snprintf (label, sizeof label, "%s: slope %g%s", d->method_names[m],
                d->theory[m], theory_is_bound (d, m) ? " (a bound)" : "");
      gp_next (g, first);
      fprintf (g, "'-' using 1:2 with lines dt 3 lw 2.5 lc rgb '#%s' title ",
               colors[(p->method * d->nobs + p->obs) % NCOLORS]);
      gp_string (g, label);
      fputs (" noenhanced", g);
    }
}

static const char *
terminal (const char *ext)
{
  return strcmp (ext, "png") == 0   ? "pngcairo size 900,650"
         : strcmp (ext, "svg") == 0 ? "svg size 900,650"
                                    : "pdfcairo size 6in,4.3in";
}

int
figure_write_gnuplot (const figure_data *d, FILE *g, const char *ext)
{
  const sde_weak_point **pts = malloc (sizeof *pts * (d->nrows + 1));
  if (pts == NULL)
    return -1;
  fprintf (g,
           "# sdekit %s convergence figure, a gnuplot script.  It writes "
           "the\n# %s figure to its standard output (set output names no "
           "file):\n# redirect that output to the figure's file.\n",
           PACKAGE_VERSION, ext);
  fprintf (g,
           "set encoding utf8\nset terminal %s enhanced font ',11'\n"
           "set output\n",
           terminal (ext));
  fputs ("set logscale x 2\nset logscale y\nset format x '2^{%L}'\n"
         "set format y '10^{%L}'\nset offsets graph 0.04, graph 0.04, 0, 0\n"
         "set key below Left reverse\nset grid\nset bars small\n",
         g);
  gp_label (g, "xlabel", d->xlabel, "'learning rate {/Symbol h}'");
  gp_label (g, "ylabel", d->ylabel, "'weak error |e|'");
  gp_label (g, "title", d->title, NULL);
  int first = 1;
  for (size_t m = 0; m < d->nmethods; m++)
    for (size_t o = 0; o < d->nobs; o++)
      gp_series (d, g, m, o, pts, 0, &first);
  gp_theory (d, g, 0, &first);
  if (any_floored (d))
    {
      /* A key entry alone: NaN draws nothing.  */
      gp_next (g, &first);
      fputs ("NaN with points pt 6 ps 1.2 lc rgb 'black' title '" FLOOR_LABEL
             "'",
             g);
    }
  fputc ('\n', g);
  for (size_t m = 0; m < d->nmethods; m++)
    for (size_t o = 0; o < d->nobs; o++)
      gp_series (d, g, m, o, pts, 1, &first);
  gp_theory (d, g, 1, &first);
  free (pts);
  return ferror (g) ? -1 : 0;
}

/* Runs gnuplot (no shell) with SCRIPT on a pipe and its standard output
   on OUT; returns 0 when it exited cleanly.  */
static int
run_gnuplot (const char *script, size_t len, int out)
{
  int fds[2];
  if (pipe (fds) != 0)
    return -1;
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return -1;
    }
  if (pid == 0)
    {
      if (dup2 (fds[0], STDIN_FILENO) < 0 || dup2 (out, STDOUT_FILENO) < 0)
        _exit (127);
      close (fds[0]);
      close (fds[1]);
      execlp ("gnuplot", "gnuplot", (char *)NULL);
      _exit (127);
    }
  close (fds[0]);
  /* A gnuplot that dies early must not kill us with SIGPIPE.  */
  void (*old) (int) = signal (SIGPIPE, SIG_IGN);
  int bad = 0;
  for (size_t done = 0; done < len && !bad;)
    {
      ssize_t w = write (fds[1], script + done, len - done);
      if (w > 0)
        done += (size_t)w;
      else if (w < 0 && errno != EINTR)
        bad = 1;
    }
  bad |= close (fds[1]) != 0;
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      {
        bad = 1;
        break;
      }
  signal (SIGPIPE, old);
  return bad || !WIFEXITED (st) || WEXITSTATUS (st) != 0;
}

/* ---- Files ---- */

static cli_target script_target; /* output.c's slot 2 */

static const char *
extension (const char *file)
{
  const char *dot = strrchr (file, '.');
  return dot ? dot + 1 : "";
}

/* Whether gnuplot is on the PATH (no shell involved).  */
static int
have_gnuplot (void)
{
  const char *path = getenv ("PATH");
  char dir[4096], exe[4200];
  if (path == NULL || strlen (path) >= sizeof dir)
    path = "/usr/bin:/bin";
  snprintf (dir, sizeof dir, "%s", path);
  char *save = NULL;
  for (char *d = strtok_r (dir, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      snprintf (exe, sizeof exe, "%s/gnuplot", *d ? d : ".");
      if (access (exe, X_OK) == 0)
        return 1;
    }
  return 0;
}

/* Whether A and B name one file.  */
static int
same_file (const char *a, const char *b)
{
  struct stat sa, sb;
  if (strcmp (a, b) == 0)
    return 1;
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev
         && sa.st_ino == sb.st_ino;
}

/* The option that names the figure.  */
static const char *
opt_of (const figure_options *o)
{
  return o && o->opt ? o->opt : "plot";
}

void
figure_check (const char *file, const figure_options *o)
{
  const char *x = extension (file), *opt = opt_of (o);
  const int tex = strcmp (x, "tex") == 0;
  char err[1200] = "";
  if (!tex && strcmp (x, "png") && strcmp (x, "svg") && strcmp (x, "pdf"))
    snprintf (err, sizeof err, "--%s=%s: use a .png, .svg, .pdf or .tex file",
              opt, sde_q (file));
  else if (!tex && !have_gnuplot ())
    snprintf (err, sizeof err,
              "--%s=%s: gnuplot is not installed (Debian package "
              "gnuplot-nox); --%s=FILE.tex writes pgfplots code instead",
              opt, sde_q (file), opt);
  else if (o && o->standalone && !tex)
    snprintf (err, sizeof err,
              "--standalone: a .%s figure is drawn by gnuplot; "
              "--standalone makes a .tex figure a whole document",
              x);
  else if (o && o->script && tex)
    snprintf (err, sizeof err,
              "--script keeps gnuplot's script, and a .tex figure is "
              "pgfplots code: draw a .png, .svg or .pdf");
  else if (o && o->script && same_file (o->script, file))
    snprintf (err, sizeof err, "--script=%s: that is the figure itself",
              sde_q (o->script));
  /* Every rank finds the same for these; the file checks are the
     writer's.  */
  if (*err)
    cli_die (CLI_USAGE, "%s", err);
  cli_plot_check (file);
  if (o && o->script)
    {
      cli_agree (cli_writer ()
                     ? cli_target_check (&script_target, "script", o->script)
                     : NULL);
      script_target.slot = 2;
    }
}

/* The gnuplot figure into F, and the script into its file when asked.  */
static void
draw_gnuplot (const figure_data *d, const char *file, const figure_options *o,
              FILE *f)
{
  char *script = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&script, &len);
  int bad = m == NULL;
  if (m)
    {
      bad |= figure_write_gnuplot (d, m, extension (file)) != 0;
      bad |= fclose (m) != 0;
    }
  if (bad)
    {
      free (script);
      cli_plot_discard ();
      cli_die (CLI_RUNTIME, "--%s=%s: out of memory for the script", opt_of (o),
               sde_q (file));
    }
  fflush (f);
  if (run_gnuplot (script, len, fileno (f)))
    {
      free (script);
      cli_plot_discard ();
      cli_die (CLI_RUNTIME, "--%s=%s: gnuplot failed to draw the figure",
               opt_of (o), sde_q (file));
    }
  if (o && o->script)
    {
      FILE *s = cli_target_open (&script_target);
      fwrite (script, 1, len, s);
      cli_target_commit (&script_target);
    }
  free (script);
}

void
figure_plot (const figure_data *d, const char *file, const figure_options *o)
{
  if (figure_points (d) == 0)
    cli_die (CLI_RUNTIME,
             "--%s=%s: nothing to draw: no error is above 0 (a log scale "
             "cannot show 0)",
             opt_of (o), sde_q (file));
  FILE *f = cli_plot_open ();
  if (strcmp (extension (file), "tex") == 0)
    {
      if (figure_write_pgfplots (d, f, o && o->standalone))
        {
          cli_plot_discard ();
          cli_die (CLI_RUNTIME, "--%s=%s: writing the figure failed",
                   opt_of (o), sde_q (file));
        }
    }
  else
    draw_gnuplot (d, file, o, f);
  cli_plot_commit ();
}
