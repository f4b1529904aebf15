#!/bin/sh
# The reason the tools print (cli_reason) is kept safely when the engine's
# worker threads report failures together: a reader never sees a torn mix
# of two messages, and a status without a reason still gets a message.
. "${top_srcdir:-.}/tests/cli/lib.sh"

lib=$top_builddir/tools/.libs/libcli.a
core=$top_builddir/lib/.libs/libsdekit-core.a
if [ ! -f "$lib" ] || [ ! -f "$core" ]; then
  fail "libcli.a or libsdekit-core.a not built"
  finish; exit
fi

cat >"$tmpdir/reason.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

#define LEN 2000
static char msg[4][LEN + 1];
static volatile int stop;

static void *
worker (void *arg)
{
  const char *m = arg;
  while (!stop)
    gsl_error (m, __FILE__, __LINE__, GSL_EFAILED);
  return NULL;
}

/* A reason is whole when it is one of the messages, cut to the buffer. */
static int
whole (const char *r)
{
  size_t n = strlen (r);
  if (n == 0)
    return 1;
  for (int k = 0; k < 4; k++)
    if (strncmp (r, msg[k], n) == 0 && n >= 1000)
      return 1;
  return 0;
}

int
main (int argc, char **argv)
{
  static const cli_option opts[] = { { NULL, 0, NULL, NULL, NULL } };
  static const cli_tool tool = { "reason", "test", NULL, opts };
  cli_init (&tool, argc, argv);
  for (int k = 0; k < 4; k++)
    {
      memset (msg[k], 'A' + k, LEN);
      msg[k][LEN] = '\0';
    }
  pthread_t t[4];
  for (int k = 0; k < 4; k++)
    pthread_create (&t[k], NULL, worker, msg[k]);
  int torn = 0;
  for (int i = 0; i < 200000 && !torn; i++)
    torn = !whole (cli_reason ());
  stop = 1;
  for (int k = 0; k < 4; k++)
    pthread_join (t[k], NULL);
  if (torn)
    {
      puts ("torn");
      return 1;
    }
  /* No reason at all: GSL's name for the status, never "".  */
  cli_reason_clear ();
  const char *r = cli_reason_for (GSL_ENOMEM);
  printf ("%s\n", r);
  return *r == '\0';
}
C
# The build's own flags (a sanitizer build links its runtime).
# shellcheck disable=SC2086
if ${CC:-cc} ${TEST_CFLAGS:-} -I"$top_srcdir/tools" -I"$top_builddir" -I"$top_srcdir/lib" \
  "$tmpdir/reason.c" -o "$tmpdir/reason" "$lib" "$core" -lgsl -lgslcblas -lm \
  -pthread -fopenmp ${TEST_LDFLAGS:-} 2>"$tmpdir/cc.log"; then pass; else
  fail "the reason test does not build: $(head -n 5 "$tmpdir/cc.log")"; finish; exit; fi
if out=$("$tmpdir/reason"); then pass; else fail "cli_reason: $out"; fi
[ -n "$out" ] && [ "$out" != torn ] && pass || fail "cli_reason_for gave '$out'"

finish
