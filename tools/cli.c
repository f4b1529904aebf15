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
static const char *operands; /* the usage of a tool's operands, or NULL */
static int writer = 1;
static void (*end_hook) (int status);
static int (*agree_hook) (int bad);

void
cli_parallel (int is_writer, void (*end) (int status), int (*agree) (int bad))
{
  writer = is_writer;
  end_hook = end;
  agree_hook = agree;
}

int
cli_writer (void)
{
  return writer;
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

static int reason_errno;

static void
keep_reason (const char *r, const char *file, int line, int gsl_errno)
{
  (void)file;
  (void)line;
  const int parallel
      = (have_main_thread && !pthread_equal (pthread_self (), main_thread))
        || (omp_in_parallel && omp_in_parallel ());
  pthread_mutex_lock (&reason_lock);
  if (!(parallel && reason_held))
    {
      snprintf (reason, sizeof reason, "%s", r ? r : "");
      reason_errno = gsl_errno;
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

int
cli_bad_input (void)
{
  /* A library refusal is the user's input, unless memory ran out.  */
  return reason_errno == GSL_ENOMEM ? CLI_RUNTIME : CLI_USAGE;
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
  reason_errno = 0;
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
  fprintf (out, "Usage: %s [OPTION]...%s%s\n", tool->prog, operands ? " " : "",
           operands ? operands : "");
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
}

int
cli_next (int argc, char **argv, const char **arg)
{
  opterr = 0;
  int idx = -1;
  int c = getopt_long (argc, argv, shortopts, longopts, &idx);
  if (c == -1)
    {
      if (optind < argc && operands == NULL)
        cli_die (CLI_USAGE, "unexpected argument '%s' (see --help)",
                 sde_q (argv[optind]));
      return -1;
    }
  if (c == ':')
    {
      for (const cli_option *o = tool->options; o->name; o++)
        if (o->key == optopt)
          cli_die (CLI_USAGE, "--%s needs a value (see --help)", o->name);
      cli_die (CLI_USAGE, "%s needs a value (see --help)",
               sde_q (argv[optind - 1]));
    }
  if (c == '?')
    {
      if (optopt && optopt < 256)
        cli_die (CLI_USAGE, "unknown option -%c (see --help)", optopt);
      cli_die (CLI_USAGE, "unknown option %s (see --help)",
               sde_q (argv[optind - 1]));
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

void
cli_accept_operands (const char *usage)
{
  operands = usage;
}

int
cli_operands (int argc, char **argv, char ***ops)
{
  *ops = argv + optind;
  return optind < argc ? argc - optind : 0;
}

double
cli_wall (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Ends the process through the parallel layer's hook (every rank).  */
static void end_process (int status) __attribute__ ((noreturn));
static void
end_process (int status)
{
  if (end_hook)
    end_hook (status);
  exit (status);
}

void
cli_die (int status, const char *fmt, ...)
{
  va_list ap;
  fflush (stdout);
  /* Usage errors are the same on every rank: rank 0 reports them.  The
     message is one line however hostile the values quoted in it.  */
  if (writer || status != CLI_USAGE)
    {
      char raw[2048], msg[2048];
      va_start (ap, fmt);
      vsnprintf (raw, sizeof raw, fmt, ap);
      va_end (ap);
      sde_quote (msg, sizeof msg, raw, 600);
      fprintf (stderr, "%s: %s\n", tool ? tool->prog : "sdekit", msg);
    }
  cli_output_abandon ();
  end_process (status);
}

void
cli_agree (const char *err)
{
  /* A check only the writer makes (an output file) must end every rank,
     or the others wait for it in the first reduction.  */
  const int bad = agree_hook ? agree_hook (err != NULL) : err != NULL;
  if (!bad)
    return;
  if (err)
    fprintf (stderr, "%s: %s\n", tool ? tool->prog : "sdekit", err);
  cli_output_abandon ();
  end_process (CLI_USAGE);
}

/* ---- Numbers ---- */

double
cli_double (const char *opt, const char *s, double lo, int lo_open, double hi,
            int hi_open)
{
  double v;
  if (sde_parse_double (s, &v))
    cli_die (CLI_USAGE,
             "--%s=%s: not a number (write 0.5, 1e-3 or 2^-5; no hex, inf "
             "or nan)",
             opt, sde_q (s));
  if (v < lo || (lo_open && v == lo) || v > hi || (hi_open && v == hi))
    cli_die (CLI_USAGE, "--%s=%s: must be in %c%g, %g%c", opt, sde_q (s),
             lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
  return v;
}

uint64_t
cli_uint (const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
  /* Plain digits exactly (to 2^64 - 1); else the one number syntax with
     an integral value (1e6, 2^20).  */
  unsigned long long v = 0;
  size_t n = strspn (s, "0123456789");
  errno = 0;
  if (n > 0 && s[n] == '\0')
    v = strtoull (s, NULL, 10);
  if (n == 0 || s[n] != '\0' || errno == ERANGE)
    {
      double d;
      if (sde_parse_double (s, &d) == 0 && d >= 0 && d == floor (d)
          && d < 1.8e19)
        v = (unsigned long long)d;
      else
        cli_die (CLI_USAGE, "--%s=%s: not a non-negative integer", opt,
                 sde_q (s));
    }
  if (v < lo || v > hi)
    cli_die (CLI_USAGE, "--%s=%s: must be in [%llu, %llu]", opt, sde_q (s),
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
    cli_die (CLI_USAGE, "--%s: value too long (%zu characters)", opt,
             strlen (s));
  strcpy (buf, s);
  char *save = NULL;
  if (*s == '\0' || s[strlen (s) - 1] == ',' || *s == ',' || strstr (s, ",,"))
    cli_die (CLI_USAGE,
             "--%s=%s: empty list element (no leading, trailing "
             "or double commas)",
             opt, sde_q (s));
  for (char *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (n == max)
        cli_die (CLI_USAGE, "--%s: more than %zu values", opt, max);
      out[n++] = cli_double (opt, t, lo, lo_open, hi, hi_open);
    }
  return n;
}
