/* cli.h: the option table shared by the sde-* tools.  One declarative
   table per tool generates the getopt_long arrays and --help (and through
   help2man the man page), so the three cannot drift apart.  */
#ifndef SDEKIT_CLI_H
#define SDEKIT_CLI_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sdekit/report.h"
#include "sdekit/spec.h"

/* Exit statuses of every tool (DESIGN.md, "Conventions").  */
enum
{
  CLI_OK = 0,
  CLI_RUNTIME = 1,
  CLI_USAGE = 2,
  CLI_CHECK = 3
};

typedef struct
{
  const char *name; /* long name, without "--" */
  int key;          /* short option character, or a code >= 256 */
  const char *arg;  /* metavariable; NULL for a flag */
  const char *help; /* one sentence; may contain "\n" for more lines */
  const char *def;  /* default shown in --help, or NULL */
} cli_option;

typedef struct
{
  const char *prog;
  const char *summary;       /* one line under the usage line */
  const char *epilog;        /* paragraphs after the options */
  const cli_option *options; /* terminated by a zero entry */
} cli_tool;

/* Keys every tool has.  */
#define CLI_HELP 'h'
#define CLI_VERSION 'V'

/* For parallel runs: whether this process writes output and prints usage
   errors (rank 0), how cli_die ends the process, and how the ranks agree
   on a check only the writer makes (AGREE returns nonzero on every rank
   when BAD is nonzero on any; NULL without MPI).  */
void cli_parallel (int writer, void (*end) (int status),
                   int (*agree) (int bad));

/* Whether this process writes the output (rank 0).  */
int cli_writer (void);

/* Collective: when any rank passes a message (a usage error that rank
   alone could find), the ranks that have one print it and every rank ends
   with status 2; otherwise returns.  */
void cli_agree (const char *err);

/* Records the tool for messages and turns GSL's abort-on-error handler
   into one that keeps the reason for cli_die.  */
void cli_init (const cli_tool *tool, int argc, char **argv);

/* The next option: its key and *arg, or -1 at the end.  --help and
   --version are handled here; an unknown option, a missing argument or an
   operand of a tool that takes none ends the program with status 2.  */
int cli_next (int argc, char **argv, const char **arg);

/* For a tool that takes operands after its options (after cli_init):
   USAGE names them in --help's usage line ("FILE.json"), and cli_next
   leaves them for cli_operands.  */
void cli_accept_operands (const char *usage);

/* The operands left after cli_next returned -1: their count, and *OPS
   pointing at the first.  */
int cli_operands (int argc, char **argv, char ***ops);

/* The running tool's name, for messages printed outside cli_die.  */
const char *cli_prog (void);

/* The command line as one shell-quoted string (for provenance).  */
const char *cli_command_line (void);

/* Prints "prog: message" on stderr and exits with STATUS.  */
void cli_die (int status, const char *fmt, ...)
    __attribute__ ((noreturn, format (printf, 2, 3)));

/* The reason the library last reported through gsl_error ("" if none).
   Thread-safe: when worker threads fail together, the first one's reason
   is kept until it is read.  */
const char *cli_reason (void);

/* cli_reason, or GSL's text for STATUS when no reason was given: a
   message is never empty.  */
const char *cli_reason_for (int status);

/* The exit status for an input the library refused: 2, or 1 when the
   library's last error was GSL_ENOMEM (the input was fine).  */
int cli_bad_input (void);

/* Forgets the reason (before a run whose failure is to be reported).  */
void cli_reason_clear (void);

/* Strict numbers: the whole string, finite, within range; otherwise exit 2
   naming the option and value.  A bound is exclusive when its flag is
   set.  */
double cli_double (const char *opt, const char *s, double lo, int lo_open,
                   double hi, int hi_open);
uint64_t cli_uint (const char *opt, const char *s, uint64_t lo, uint64_t hi);

/* A comma-separated list of doubles, each checked as cli_double.  Returns
   the count; exits 2 on more than max.  */
size_t cli_doubles (const char *opt, const char *s, double lo, int lo_open,
                    double hi, int hi_open, double *out, size_t max);

/* An output file (output.c): a regular file or a new name is written to a
   temporary file beside it and renamed into place; a device or FIFO is
   written directly.  */
typedef struct
{
  const char *opt;     /* the option, for messages */
  char path[PATH_MAX]; /* the file (a link resolved to its target) */
  char tmp[PATH_MAX + 16];
  int direct; /* written in place (device, FIFO) */
  int fd, slot;
  FILE *file;
} cli_target;

/* Checks PATH for --OPT before any work: NULL when it can be written, else
   a one-line message (an empty name, a folder, a folder that cannot be
   written, a device that cannot).  Fills T; creates nothing (a probe file
   is made and removed).  */
const char *cli_target_check (cli_target *t, const char *opt, const char *path);

/* Opens the temporary file (or the device); exits 1 with a message when it
   cannot.  */
FILE *cli_target_open (cli_target *t);

/* Closes and renames into place (fsync first); on any failure removes the
   temporary file and exits 1 naming the file and the system error.  */
void cli_target_commit (cli_target *t);

/* Closes and removes the temporary file.  */
void cli_target_discard (cli_target *t);

/* The table: cli_output_open checks PATH (stdout for NULL or "-"; a bad
   name ends every rank with status 2 before any work) and opens it.  If
   the program dies before cli_output_commit, cli_die and the signal
   handlers remove the temporary file, or, once cli_output_keep was called
   (the file holds finished rows), close the document with a line saying
   it was interrupted (the report's trailer: JSON "interrupted": true;
   LaTeX a % comment and the table closed) and rename it into place.  A
   temporary file is first cut back to the last cli_output_mark.  */
FILE *cli_output_open (const char *path);

/* The report written to the table (borrowed until cli_output_commit):
   its trailer closes a kept document (sde_report_trailer).  */
void cli_output_report (const sde_report *r);

/* From now on finished rows are kept; a table must be open.  On stdout
   and devices the closing lines are appended on an interrupt as well.  */
void cli_output_keep (void);

/* The document is complete up to here: after each row, table head and
   note.  Computes the trailer that closes it here.  */
void cli_output_mark (void);

/* Completes the table; exits 1 with a message naming the file and the
   system error when writing or renaming fails.  */
void cli_output_commit (void);

/* What cli_die does with an unfinished output (removes it, or keeps the
   finished rows).  */
void cli_output_abandon (void);

/* --plot: the check before any work (every rank agrees), then the file
   (temporary or device) written at the end.  */
void cli_plot_check (const char *path);
FILE *cli_plot_open (void);
void cli_plot_commit (void);
void cli_plot_discard (void);

/* Wall-clock seconds (monotonic).  */
double cli_wall (void);

/* Gives a file made by mkstemp the ordinary mode 0666 & ~umask.  */
void cli_file_mode (int fd);

#endif /* SDEKIT_CLI_H */
