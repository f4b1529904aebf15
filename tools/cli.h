/* cli.h: the option table shared by the sde-* tools.  One declarative
   table per tool generates the getopt_long arrays and --help (and through
   help2man the man page), so the three cannot drift apart.  */
#ifndef SDEKIT_CLI_H
#define SDEKIT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
   errors (rank 0), and how cli_die ends the process.  */
void cli_parallel (int writer, void (*end) (int status));

/* Records the tool for messages and turns GSL's abort-on-error handler
   into one that keeps the reason for cli_die.  */
void cli_init (const cli_tool *tool, int argc, char **argv);

/* The next option: its key and *arg, or -1 at the end.  --help and
   --version are handled here; an unknown option or a missing argument ends
   the program with status 2.  */
int cli_next (int argc, char **argv, const char **arg);

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

/* Output that never leaves a partial file: cli_output_open writes to a
   temporary name beside PATH (stdout for NULL or "-"); cli_output_commit
   renames it into place.  If the program dies before, cli_die and the
   signal handlers remove the file, or, once cli_output_keep was called
   (the file holds finished rows), close the document with a line saying
   it was interrupted (JSON: "interrupted": true; LaTeX: a % comment, the
   table and document closed) and rename it into place.  JSON and LaTeX
   are first cut back to the last cli_output_mark.  */
FILE *cli_output_open (const char *path);

/* The sde_format of the document (default text), for the closing lines.  */
void cli_output_format (int format);

/* From now on finished rows are kept; a table must be open.  On stdout
   the closing lines are appended on an interrupt as well.  */
void cli_output_keep (void);

/* The document is complete up to here with a table open: after each row
   and each table head.  */
void cli_output_mark (void);

int cli_output_commit (void);

/* Wall-clock seconds (monotonic).  */
double cli_wall (void);

/* Gives a file made by mkstemp the ordinary mode 0666 & ~umask.  */
void cli_file_mode (int fd);

#endif /* SDEKIT_CLI_H */
