/* cli.c: option tables, --help, strict number parsing, messages and
   crash-safe output files for the sde-* tools.  */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "sdekit/report.h"
#include "sdekit/spec.h"

#define MAXOPT 64

static const cli_tool *tool;
static int writer = 1;
static void (*end_hook) (int status);

void
cli_parallel (int is_writer, void (*end) (int status))
{
  writer = is_writer;
  end_hook = end;
}
static struct option longopts[MAXOPT + 1];
static char shortopts[3 * MAXOPT + 2];
static char cmdline[4096];

/* ---- Reasons ----

   GSL's handler is called from the engine's worker threads too, so the
   reason is kept under a lock.  Within a parallel failure the first
   worker's reason wins: the others are usually echoes of it (a chunk
   that saw the failure and stopped).  Errors of the main thread outside a
   parallel region replace the reason as GSL's nesting intends (the outer
   call adds context).  */

/* Provided by libgomp when the tool is linked with OpenMP (the engine's
   threads); absent otherwise.  */
extern int omp_in_parallel (void) __attribute__ ((weak));

static pthread_mutex_t reason_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t main_thread;
static int have_main_thread;
static char reason[1024];
static int reason_held; /* a parallel failure's first reason, unread */

static void
keep_reason (const char *r, const char *file, int line, int gsl_errno)
{
  (void)file;
  (void)line;
  (void)gsl_errno;
  const int parallel
      = (have_main_thread && !pthread_equal (pthread_self (), main_thread))
        || (omp_in_parallel && omp_in_parallel ());
  pthread_mutex_lock (&reason_lock);
  if (!(parallel && reason_held))
    {
      snprintf (reason, sizeof reason, "%s", r ? r : "");
      reason_held = parallel;
    }
  pthread_mutex_unlock (&reason_lock);
}

const char *
cli_reason (void)
{
  /* A copy, so a late worker cannot change the text being printed.  */
  static __thread char copy[sizeof reason];
  pthread_mutex_lock (&reason_lock);
  memcpy (copy, reason, sizeof copy);
  reason_held = 0;
  pthread_mutex_unlock (&reason_lock);
  return copy;
}

const char *
cli_reason_for (int status)
{
  const char *r = cli_reason ();
  if (*r)
    return r;
  /* A status raised without gsl_error: GSL's name for it is still better
     than an empty message.  */
  const char *s = gsl_strerror (status);
  return s && *s ? s : "unknown failure";
}

void
cli_reason_clear (void)
{
  pthread_mutex_lock (&reason_lock);
  reason[0] = '\0';
  reason_held = 0;
  pthread_mutex_unlock (&reason_lock);
}

const char *
cli_prog (void)
{
  return tool ? tool->prog : "sdekit";
}

const char *
cli_command_line (void)
{
  return cmdline;
}

/* Appends ARG to the command line, quoted for a POSIX shell when needed. */
static void
append_arg (const char *arg)
{
  size_t n = strlen (cmdline);
  int plain = *arg != '\0';
  for (const char *s = arg; *s; s++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789-_=.,:/+^%@",
                 *s))
      plain = 0;
  if (n && n + 1 < sizeof cmdline)
    cmdline[n++] = ' ';
  if (plain)
    snprintf (cmdline + n, sizeof cmdline - n, "%s", arg);
  else
    {
      if (n + 1 < sizeof cmdline)
        cmdline[n++] = '\'';
      for (const char *s = arg; *s && n + 5 < sizeof cmdline; s++)
        {
          if (*s == '\'')
            {
              memcpy (cmdline + n, "'\\''", 4);
              n += 4;
            }
          else
            cmdline[n++] = *s;
        }
      if (n + 1 < sizeof cmdline)
        cmdline[n++] = '\'';
      cmdline[n] = '\0';
    }
}

void
cli_init (const cli_tool *t, int argc, char **argv)
{
  tool = t;
  main_thread = pthread_self ();
  have_main_thread = 1;
  gsl_set_error_handler (keep_reason);
  size_t n = 0, k = 0;
  shortopts[k++] = ':'; /* ':' reports a missing value apart from '?' */
  for (const cli_option *o = t->options; o->name; o++, n++)
    {
      if (n == MAXOPT)
        abort (); /* a programming error in the tool's table */
      longopts[n].name = o->name;
      longopts[n].has_arg = o->arg ? required_argument : no_argument;
      longopts[n].flag = NULL;
      longopts[n].val = o->key;
      if (o->key < 256)
        {
          shortopts[k++] = (char)o->key;
          if (o->arg)
            shortopts[k++] = ':';
        }
    }
  memset (&longopts[n], 0, sizeof longopts[n]);
  shortopts[k] = '\0';
  cmdline[0] = '\0';
  const char *base = strrchr (argv[0], '/');
  append_arg (t->prog);
  (void)base;
  for (int i = 1; i < argc; i++)
    append_arg (argv[i]);
}

/* Prints TEXT at column COL, wrapping at 79 columns on spaces.  */
static void
print_wrapped (FILE *out, const char *text, int col, int start)
{
  int pos = start;
  while (*text)
    {
      if (*text == '\n')
        {
          fprintf (out, "\n%*s", col, "");
          pos = col;
          text++;
          continue;
        }
      size_t w = strcspn (text, " \n");
      if (pos > col && pos + (int)w > 79)
        {
          fprintf (out, "\n%*s", col, "");
          pos = col;
        }
      fwrite (text, 1, w, out);
      pos += (int)w;
      text += w;
      if (*text == ' ')
        {
          if (pos < 79)
            fputc (' ', out);
          pos++;
          text++;
        }
    }
}

static void
print_help (FILE *out)
{
  fprintf (out, "Usage: %s [OPTION]...\n", tool->prog);
  print_wrapped (out, tool->summary, 0, 0);
  fputs ("\n\nOptions:\n", out);
  for (const cli_option *o = tool->options; o->name; o++)
    {
      char head[128];
      if (o->key < 256)
        snprintf (head, sizeof head, "  -%c, --%s%s%s", o->key, o->name,
                  o->arg ? "=" : "", o->arg ? o->arg : "");
      else
        snprintf (head, sizeof head, "      --%s%s%s", o->name,
                  o->arg ? "=" : "", o->arg ? o->arg : "");
      fputs (head, out);
      int len = (int)strlen (head);
      if (len >= 30)
        {
          fprintf (out, "\n%30s", "");
          len = 30;
        }
      else
        fprintf (out, "%*s", 30 - len, "");
      char text[1024];
      snprintf (text, sizeof text, "%s%s%s%s", o->help,
                o->def ? " (default: " : "", o->def ? o->def : "",
                o->def ? ")" : "");
      print_wrapped (out, text, 30, 30);
      fputc ('\n', out);
    }
  if (tool->epilog)
    {
      fputc ('\n', out);
      fputs (tool->epilog, out);
      if (tool->epilog[strlen (tool->epilog) - 1] != '\n')
        fputc ('\n', out);
    }
  fprintf (out, "\nReport bugs to: %s\n", PACKAGE_BUGREPORT);
}

int
cli_next (int argc, char **argv, const char **arg)
{
  opterr = 0;
  int idx = -1;
  int c = getopt_long (argc, argv, shortopts, longopts, &idx);
  if (c == -1)
    {
      if (optind < argc)
        cli_die (CLI_USAGE, "unexpected argument '%s' (see --help)",
                 argv[optind]);
      return -1;
    }
  if (c == ':')
    {
      for (const cli_option *o = tool->options; o->name; o++)
        if (o->key == optopt)
          cli_die (CLI_USAGE, "--%s needs a value (see --help)", o->name);
      cli_die (CLI_USAGE, "%s needs a value (see --help)", argv[optind - 1]);
    }
  if (c == '?')
    {
      if (optopt && optopt < 256)
        cli_die (CLI_USAGE, "unknown option -%c (see --help)", optopt);
      cli_die (CLI_USAGE, "unknown option %s (see --help)", argv[optind - 1]);
    }
  if (c == CLI_HELP)
    {
      print_help (stdout);
      exit (fflush (stdout) ? CLI_RUNTIME : CLI_OK);
    }
  if (c == CLI_VERSION)
    {
      printf ("%s (%s) %s\n", tool->prog, PACKAGE_NAME, PACKAGE_VERSION);
      puts ("Copyright (C) 2026 the sdekit developers.\n"
            "License GPLv3+: GNU GPL version 3 or later.");
      exit (fflush (stdout) ? CLI_RUNTIME : CLI_OK);
    }
  *arg = optarg;
  return c;
}

double
cli_wall (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- Output files ---- */

void
cli_file_mode (int fd)
{
  /* mkstemp creates 0600; a table or figure is an ordinary file.  */
  mode_t mask = umask (0);
  umask (mask);
  fchmod (fd, 0666 & ~mask);
}

static char out_final[PATH_MAX], out_tmp[PATH_MAX + 16];
static FILE *out_file; /* the temporary file; NULL for stdout */
static int out_fd = -1;
static volatile sig_atomic_t out_keep, out_active;
static int out_format = SDE_FORMAT_TEXT;
/* JSON and LaTeX are cut back to the end of the last complete row (a
   mark) before the closing lines, which assume an open table.  */
static volatile off_t out_mark = -1;
static char trailer_sig[512], trailer_err[512];
static size_t trailer_sig_len, trailer_err_len;

/* What closes a kept document: WHY says how it ended.  Built before any
   signal can arrive, since a handler may not format text.  */
static size_t
make_trailer (char *buf, size_t len, int interrupted)
{
  const char *why = interrupted
                        ? "interrupted: the rows above were finished before "
                          "the signal"
                        : "stopped by an error (see the message on stderr): "
                          "the rows above are finished";
  switch (out_format)
    {
    case SDE_FORMAT_JSON:
      snprintf (buf, len,
                "\n      ]\n    }\n  ],\n  \"%s\": true,\n  \"notes\": [\n"
                "    \"%s\"\n  ]\n}\n",
                interrupted ? "interrupted" : "failed", why);
      break;
    case SDE_FORMAT_LATEX:
      snprintf (buf, len,
                "%% %s\n\\bottomrule\n\\end{tabular}\n\\end{center}\n"
                "\\end{document}\n",
                why);
      break;
    default:
      snprintf (buf, len, "# %s\n", why);
    }
  return strlen (buf);
}

static int
output_cut (void)
{
  return out_format == SDE_FORMAT_JSON || out_format == SDE_FORMAT_LATEX;
}

/* Async-signal-safe: only write, ftruncate, lseek, rename and unlink.  */
static void
output_abandon (int interrupted)
{
  if (!out_active)
    return;
  out_active = 0;
  if (out_keep)
    {
      const off_t mark = out_mark;
      if (out_file && output_cut () && mark >= 0)
        {
          int ok = ftruncate (out_fd, mark) == 0;
          ok = ok && lseek (out_fd, mark, SEEK_SET) == mark;
          (void)ok;
        }
      const char *t = interrupted ? trailer_sig : trailer_err;
      size_t n = interrupted ? trailer_sig_len : trailer_err_len;
      ssize_t w = write (out_fd, t, n);
      (void)w;
      if (out_file)
        rename (out_tmp, out_final);
    }
  else if (out_file)
    unlink (out_tmp);
}

static void
on_signal (int sig)
{
  output_abandon (1);
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
catch_signals (void)
{
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  signal (SIGHUP, on_signal);
}

/* Holds the signals off while the output is being closed, so a handler
   never sees it half committed.  */
static void
block_signals (int block, sigset_t *old)
{
  if (block)
    {
      sigset_t s;
      sigemptyset (&s);
      sigaddset (&s, SIGINT);
      sigaddset (&s, SIGTERM);
      sigaddset (&s, SIGHUP);
      sigprocmask (SIG_BLOCK, &s, old);
    }
  else
    sigprocmask (SIG_SETMASK, old, NULL);
}

void
cli_die (int status, const char *fmt, ...)
{
  va_list ap;
  fflush (stdout);
  /* Usage errors are the same on every rank: rank 0 reports them.  */
  if (writer || status != CLI_USAGE)
    {
      fprintf (stderr, "%s: ", tool ? tool->prog : "sdekit");
      va_start (ap, fmt);
      vfprintf (stderr, fmt, ap);
      va_end (ap);
      fputc ('\n', stderr);
    }
  if (out_file && out_active)
    fflush (out_file);
  output_abandon (0);
  if (end_hook)
    end_hook (status);
  exit (status);
}

FILE *
cli_output_open (const char *path)
{
  if (path == NULL || strcmp (path, "-") == 0)
    return stdout;
  if (!writer)
    {
      /* Another rank writes; this one's table goes nowhere.  */
      FILE *f = fopen ("/dev/null", "w");
      if (f == NULL)
        cli_die (CLI_RUNTIME, "cannot open /dev/null");
      return f;
    }
  if (strlen (path) >= sizeof out_final)
    cli_die (CLI_USAGE, "--output path too long");
  snprintf (out_final, sizeof out_final, "%s", path);
  snprintf (out_tmp, sizeof out_tmp, "%s.tmpXXXXXX", path);
  int fd = mkstemp (out_tmp);
  if (fd < 0)
    cli_die (CLI_USAGE, "--output=%s: cannot create: %s", path,
             strerror (errno));
  cli_file_mode (fd);
  out_file = fdopen (fd, "w");
  if (out_file == NULL)
    cli_die (CLI_RUNTIME, "--output=%s: %s", path, strerror (errno));
  out_fd = fd;
  out_active = 1;
  catch_signals ();
  return out_file;
}

void
cli_output_format (int format)
{
  out_format = format;
}

void
cli_output_keep (void)
{
  if (!writer)
    return;
  trailer_sig_len = make_trailer (trailer_sig, sizeof trailer_sig, 1);
  trailer_err_len = make_trailer (trailer_err, sizeof trailer_err, 0);
  if (out_file == NULL)
    {
      /* stdout: the closing lines are appended (a pipe cannot be cut;
         its rows are whole, as each was flushed).  */
      fflush (stdout);
      out_fd = STDOUT_FILENO;
      out_active = 1;
      catch_signals ();
    }
  cli_output_mark ();
  out_keep = 1;
}

void
cli_output_mark (void)
{
  if (!out_active || out_file == NULL)
    return;
  if (fflush (out_file) == 0)
    {
      off_t m = ftello (out_file);
      if (m >= 0)
        out_mark = m;
    }
}

int
cli_output_commit (void)
{
  if (!writer)
    return 0;
  sigset_t old;
  block_signals (1, &old);
  int bad;
  if (out_file == NULL)
    {
      out_active = 0;
      bad = fflush (stdout) || ferror (stdout);
      block_signals (0, &old);
      return bad ? -1 : 0;
    }
  bad = fflush (out_file) != 0 || ferror (out_file);
  bad |= fsync (fileno (out_file)) != 0;
  bad |= fclose (out_file) != 0;
  out_file = NULL;
  out_active = 0;
  if (bad)
    unlink (out_tmp);
  else
    bad = rename (out_tmp, out_final) != 0;
  block_signals (0, &old);
  return bad ? -1 : 0;
}

/* ---- Numbers ---- */

double
cli_double (const char *opt, const char *s, double lo, int lo_open, double hi,
            int hi_open)
{
  double v;
  if (sde_parse_double (s, &v))
    cli_die (CLI_USAGE, "--%s=%s: not a finite number", opt, s);
  if (v < lo || (lo_open && v == lo) || v > hi || (hi_open && v == hi))
    cli_die (CLI_USAGE, "--%s=%s: must be in %c%g, %g%c", opt, s,
             lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
  return v;
}

uint64_t
cli_uint (const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
  char *end;
  errno = 0;
  if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
    cli_die (CLI_USAGE, "--%s=%s: not a non-negative integer", opt, s);
  unsigned long long v = strtoull (s, &end, 10);
  if (*end != '\0' || errno == ERANGE)
    {
      /* Accept integral floating forms such as 1e6.  */
      double d;
      if (sde_parse_double (s, &d) == 0 && d >= 0 && d == floor (d)
          && d < 1.8e19)
        v = (unsigned long long)d;
      else
        cli_die (CLI_USAGE, "--%s=%s: not a non-negative integer", opt, s);
    }
  if (v < lo || v > hi)
    cli_die (CLI_USAGE, "--%s=%s: must be in [%llu, %llu]", opt, s,
             (unsigned long long)lo, (unsigned long long)hi);
  return v;
}

size_t
cli_doubles (const char *opt, const char *s, double lo, int lo_open, double hi,
             int hi_open, double *out, size_t max)
{
  size_t n = 0;
  char buf[4096];
  if (strlen (s) >= sizeof buf)
    cli_die (CLI_USAGE, "--%s: value too long", opt);
  strcpy (buf, s);
  char *save = NULL;
  if (*s == '\0' || s[strlen (s) - 1] == ',' || *s == ',' || strstr (s, ",,"))
    cli_die (CLI_USAGE, "--%s=%s: empty list element", opt, s);
  for (char *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (n == max)
        cli_die (CLI_USAGE, "--%s: more than %zu values", opt, max);
      out[n++] = cli_double (opt, t, lo, lo_open, hi, hi_open);
    }
  return n;
}
