/* output.c: the tools' output files.  A table or figure never leaves a
   partial file: a regular file (or a new name) is written to a temporary
   file beside it and renamed into place when complete; a device or FIFO
   (/dev/null, a pipe made by mkfifo) is written directly, since renaming
   over it would replace the device with a regular file.  Names that cannot
   work (a folder, an empty name, a folder that cannot be written) are
   usage errors found before any work.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sdekit/report.h"
#include "sdekit/spec.h"

void
cli_file_mode (int fd)
{
  /* mkstemp creates 0600; a table or figure is an ordinary file.  */
  mode_t mask = umask (0);
  umask (mask);
  if (fchmod (fd, 0666 & ~mask) != 0)
    {
      /* A device keeps its own mode; a temporary file is ours.  */
    }
}

/* The folder of PATH into DIR ("." for a bare name).  */
static void
folder_of (const char *path, char *dir, size_t len)
{
  const char *slash = strrchr (path, '/');
  if (slash == NULL)
    snprintf (dir, len, ".");
  else if (slash == path)
    snprintf (dir, len, "/");
  else
    snprintf (dir, len, "%.*s", (int)(slash - path), path);
}

/* Whether a file can be made in DIR: one is made and removed at once.  */
static int
probe_folder (const char *dir, char *err, size_t len, const char *opt,
              const char *path)
{
  char probe[PATH_MAX + 32];
  if (snprintf (probe, sizeof probe, "%s/.sdekit-probeXXXXXX", dir)
      >= (int)sizeof probe)
    {
      snprintf (err, len, "--%s=%s: the name is too long", opt, sde_q (path));
      return 0;
    }
  int fd = mkstemp (probe);
  if (fd < 0)
    {
      snprintf (err, len, "--%s=%s: cannot create a file in %s: %s", opt,
                sde_q (path), sde_q (dir), strerror (errno));
      return 0;
    }
  close (fd);
  unlink (probe);
  return 1;
}

const char *
cli_target_check (cli_target *t, const char *opt, const char *path)
{
  static char err[1024];
  struct stat st;
  memset (t, 0, sizeof *t);
  t->opt = opt;
  t->fd = -1;
  if (path == NULL || *path == '\0')
    {
      snprintf (err, sizeof err, "--%s: empty file name", opt);
      return err;
    }
  if (strlen (path) >= sizeof t->path - 16)
    {
      snprintf (err, sizeof err, "--%s=%s: the name is too long", opt,
                sde_q (path));
      return err;
    }
  snprintf (t->path, sizeof t->path, "%s", path);
  if (stat (path, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        {
          snprintf (err, sizeof err, "--%s=%s: is a directory", opt,
                    sde_q (path));
          return err;
        }
      if (!S_ISREG (st.st_mode))
        {
          /* A device, FIFO or socket: written in place.  */
          t->direct = 1;
          if (access (path, W_OK) != 0)
            {
              snprintf (err, sizeof err, "--%s=%s: cannot write: %s", opt,
                        sde_q (path), strerror (errno));
              return err;
            }
          return NULL;
        }
      /* A link to a regular file: the file is replaced, not the link.  */
      char real[PATH_MAX];
      if (realpath (path, real) && strlen (real) < sizeof t->path - 16)
        snprintf (t->path, sizeof t->path, "%s", real);
    }
  else if (errno != ENOENT)
    {
      snprintf (err, sizeof err, "--%s=%s: %s", opt, sde_q (path),
                strerror (errno));
      return err;
    }
  else if (path[strlen (path) - 1] == '/')
    {
      snprintf (err, sizeof err, "--%s=%s: no such directory", opt,
                sde_q (path));
      return err;
    }
  char dir[PATH_MAX];
  folder_of (t->path, dir, sizeof dir);
  return probe_folder (dir, err, sizeof err, opt, path) ? NULL : err;
}

/* ---- Temporary files the signal handlers must remove ---- */

/* Slot 0: the table; 1: the figure; 2: the figure's gnuplot script.  */
#define NTMP 4 /* the table, the figure, its script, the fits */
static char tmp_names[NTMP][PATH_MAX + 16];
static volatile sig_atomic_t tmp_live[NTMP];

static void
tmp_register (int slot, const char *name)
{
  snprintf (tmp_names[slot], sizeof tmp_names[slot], "%s", name);
  tmp_live[slot] = 1;
}

FILE *
cli_target_open (cli_target *t)
{
  if (t->direct)
    {
      t->fd = open (t->path, O_WRONLY | O_APPEND);
      if (t->fd < 0)
        cli_die (CLI_RUNTIME, "--%s=%s: %s", t->opt, sde_q (t->path),
                 strerror (errno));
    }
  else
    {
      snprintf (t->tmp, sizeof t->tmp, "%s.tmpXXXXXX", t->path);
      t->fd = mkstemp (t->tmp);
      if (t->fd < 0)
        cli_die (CLI_RUNTIME, "--%s=%s: cannot create a temporary file: %s",
                 t->opt, sde_q (t->path), strerror (errno));
      cli_file_mode (t->fd);
      tmp_register (t->slot, t->tmp);
    }
  FILE *f = fdopen (t->fd, "w");
  if (f == NULL)
    {
      const int e = errno;
      cli_target_discard (t);
      cli_die (CLI_RUNTIME, "--%s=%s: %s", t->opt, sde_q (t->path),
               strerror (e));
    }
  t->file = f;
  return f;
}

void
cli_target_discard (cli_target *t)
{
  if (t->file)
    fclose (t->file);
  else if (t->fd >= 0)
    close (t->fd);
  t->file = NULL;
  t->fd = -1;
  if (!t->direct && t->tmp[0])
    {
      tmp_live[t->slot] = 0;
      unlink (t->tmp);
      t->tmp[0] = '\0';
    }
}

/* Blocks the signals while a file is being closed, so a handler never
   sees it half committed.  */
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
cli_target_commit (cli_target *t)
{
  sigset_t old;
  block_signals (1, &old);
  int e = 0;
  if (fflush (t->file) != 0 || ferror (t->file))
    e = errno ? errno : EIO;
  if (!e && !t->direct && fsync (t->fd) != 0)
    e = errno;
  if (fclose (t->file) != 0 && !e)
    e = errno;
  t->file = NULL;
  t->fd = -1;
  if (!e && !t->direct && rename (t->tmp, t->path) != 0)
    e = errno;
  if (!t->direct)
    {
      if (e)
        unlink (t->tmp);
      tmp_live[t->slot] = 0;
      t->tmp[0] = '\0';
    }
  block_signals (0, &old);
  if (e)
    cli_die (CLI_RUNTIME, "--%s=%s: writing failed: %s", t->opt,
             sde_q (t->path), strerror (e));
}

/* ---- The table (--output, or stdout) ---- */

static cli_target out; /* slot 0 */
static int out_stdout = 1;
static int out_fd = -1;
static volatile sig_atomic_t out_keep, out_active;
static const sde_report *out_report;

/* What closes the document as it stood at the last mark (for a signal and
   for an error), and the file's length there.  Made at each mark, before
   any signal can need it, since a handler may not format text; of the two
   slots the handler reads the one last completed.  */
typedef struct
{
  off_t mark;
  size_t sig_len, err_len;
  char sig[16384], err[16384];
} trailer_slot;
static trailer_slot trailers[2];
static volatile sig_atomic_t trailer_now = -1;

/* Async-signal-safe: only write, ftruncate, lseek, rename and unlink.  */
static void
output_abandon (int interrupted)
{
  for (int i = 1; i < NTMP; i++)
    if (tmp_live[i])
      {
        tmp_live[i] = 0;
        unlink (tmp_names[i]);
      }
  if (!out_active)
    return;
  out_active = 0;
  const int temporary = !out_stdout && !out.direct;
  const int k = trailer_now;
  if (out_keep && k >= 0)
    {
      /* A temporary file is cut back to the mark the trailer closes; a
         pipe or device cannot be, and its rows are whole (each was
         flushed).  */
      const trailer_slot *t = &trailers[k];
      if (temporary && t->mark >= 0)
        {
          int ok = ftruncate (out_fd, t->mark) == 0;
          ok = ok && lseek (out_fd, t->mark, SEEK_SET) == t->mark;
          (void)ok;
        }
      ssize_t w = write (out_fd, interrupted ? t->sig : t->err,
                         interrupted ? t->sig_len : t->err_len);
      (void)w;
      if (temporary && rename (tmp_names[0], out.path) == 0)
        tmp_live[0] = 0;
    }
  if (temporary && tmp_live[0])
    {
      tmp_live[0] = 0;
      unlink (tmp_names[0]);
    }
}

void
cli_output_abandon (void)
{
  if (out_active && out.file)
    fflush (out.file);
  output_abandon (0);
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

FILE *
cli_output_open (const char *path)
{
  const int std = path == NULL || strcmp (path, "-") == 0;
  cli_agree (cli_writer () && !std ? cli_target_check (&out, "output", path)
                                   : NULL);
  if (std)
    return stdout;
  if (!cli_writer ())
    {
      /* Another rank writes; this one's table goes nowhere.  */
      FILE *f = fopen ("/dev/null", "w");
      if (f == NULL)
        cli_die (CLI_RUNTIME, "cannot open /dev/null: %s", strerror (errno));
      return f;
    }
  out.slot = 0;
  FILE *f = cli_target_open (&out);
  out_stdout = 0;
  out_fd = out.fd;
  out_active = 1;
  catch_signals ();
  return f;
}

void
cli_output_report (const sde_report *r)
{
  out_report = r;
}

void
cli_output_keep (void)
{
  if (!cli_writer ())
    return;
  if (out_stdout)
    {
      /* stdout: the closing lines are appended on an interrupt.  */
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
  if (out_report == NULL || !cli_writer ())
    return;
  const int next = trailer_now == 0;
  trailer_slot *t = &trailers[next];
  t->mark = -1;
  if (!out_stdout && out.file && fflush (out.file) == 0)
    t->mark = ftello (out.file);
  t->sig_len = sde_report_trailer (out_report, 1, t->sig, sizeof t->sig);
  t->err_len = sde_report_trailer (out_report, 0, t->err, sizeof t->err);
  trailer_now = next;
}

void
cli_output_commit (void)
{
  if (!cli_writer ())
    return;
  if (out_stdout)
    {
      out_active = 0;
      if (fflush (stdout) != 0 || ferror (stdout))
        cli_die (CLI_RUNTIME, "writing the table to standard output failed: %s",
                 strerror (errno ? errno : EIO));
      return;
    }
  out_active = 0;
  cli_target_commit (&out);
}

/* ---- Figures ---- */

static cli_target plot; /* slot 1 */

void
cli_plot_check (const char *path)
{
  cli_agree (cli_writer () ? cli_target_check (&plot, "plot", path) : NULL);
  plot.slot = 1;
}

FILE *
cli_plot_open (void)
{
  catch_signals ();
  return cli_target_open (&plot);
}

void
cli_plot_commit (void)
{
  cli_target_commit (&plot);
}

void
cli_plot_discard (void)
{
  cli_target_discard (&plot);
}
