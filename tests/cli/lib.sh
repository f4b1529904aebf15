# tests/cli/lib.sh: helpers for the shell tests of the tools (sourced).
# Each test script runs a set of checks; any failed check makes it exit 1.
set -u
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
failures=0
checks=0
finished=no
tmpdir=$(mktemp -d)
# A script passes only through finish as its last word: a check after it,
# or a script that never calls it, must not pass unseen.
at_exit () {
  st=$1
  rm -rf "$tmpdir"
  if [ "$st" -eq 0 ] && [ "$finished" != yes ]; then
    echo "FAIL: $0 ended without finish" >&2
    st=1
  fi
  [ "$st" -ne 0 ] || [ "$failures" -eq 0 ] || st=1
  exit "$st"
}
trap 'at_exit $?' EXIT

# The tests call the tools through wrappers in $tools, so that a crash (a
# signal, a sanitizer's abort: status 126 or more) fails the script even
# when the tool's output goes into a pipe, whose status the shell drops.
# $realtools holds the binaries themselves (for mpirun).
realtools=$top_builddir/tools
tools=$tmpdir/bin
mkdir -p "$tools"
for _t in sde-compare sde-slow sde-sim sde-plot sde-order; do
  cat >"$tools/$_t" <<EOF
#!/bin/sh
"$realtools/$_t" "\$@"
st=\$?
# 141: SIGPIPE, a reader that stopped early (grep -q), not a crash.
[ \$st -lt 126 ] || [ \$st -eq 141 ] || echo "$_t \$*: exit status \$st (a crash)" >>"$tmpdir/crashes"
exit \$st
EOF
  chmod +x "$tools/$_t"
done

fail () {
  failures=$((failures + 1))
  echo "FAIL: $*" >&2
}

pass () {
  checks=$((checks + 1))
}

# expect_usage TOOL ARGS...: exit status 2, exactly one line on stderr that
# starts with the tool's name, nothing on stdout.
expect_usage () {
  _tool=$1
  shift
  "$tools/$_tool" "$@" >"$tmpdir/out" 2>"$tmpdir/err"
  _st=$?
  _lines=$(wc -l <"$tmpdir/err")
  if [ "$_st" -ne 2 ]; then
    fail "$_tool $*: exit $_st, want 2"
  elif [ "$_lines" -ne 1 ] || ! grep -q "^$_tool: " "$tmpdir/err"; then
    fail "$_tool $*: want one '$_tool: ...' line on stderr, got: $(cat "$tmpdir/err")"
  elif [ -s "$tmpdir/out" ]; then
    fail "$_tool $*: wrote to stdout on a usage error"
  else
    pass
  fi
}

# expect_mentions WORD: the last usage error named WORD.
expect_mentions () {
  if grep -qF -- "$1" "$tmpdir/err"; then pass; else
    fail "error message does not name '$1': $(cat "$tmpdir/err")"
  fi
}

# numdiff GOT WANT RELTOL: the files agree token by token, numbers within a
# relative tolerance; '#' provenance lines must match exactly except the
# command line.
numdiff () {
  awk -v tol="$3" '
    function isnum(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
    NR == FNR { want[FNR] = $0; nw = FNR; next }
    {
      ng = FNR
      if (FNR > nw) { print "extra line " FNR ": " $0; bad = 1; next }
      if ($0 ~ /^# command:/) next
      n = split(want[FNR], w, /[ \t,|]+/); m = split($0, g, /[ \t,|]+/)
      if (n != m) { print "line " FNR ": " $0 " vs " want[FNR]; bad = 1; next }
      for (i = 1; i <= n; i++) {
        if (isnum(w[i]) && isnum(g[i])) {
          d = w[i] - g[i]; if (d < 0) d = -d
          s = w[i] < 0 ? -w[i] : w[i]; if (s < 1e-300) s = 1e-300
          if (d > tol * s && d > 1e-300) { print "line " FNR " field " i ": " g[i] " vs " w[i]; bad = 1 }
        } else if (w[i] != g[i]) { print "line " FNR " field " i ": " g[i] " vs " w[i]; bad = 1 }
      }
    }
    END { if (ng != nw) { print "line count " ng " vs " nw; bad = 1 } exit bad }' "$2" "$1"
}

# csv_cols FILE COLUMN...: the named columns of a CSV table, one row a line,
# separated by tabs (comment lines skipped; quoted fields read properly).
csv_cols () {
  _f=$1
  shift
  python3 - "$_f" "$@" <<'PY'
import csv, sys
lines = [l for l in open(sys.argv[1]) if not l.startswith('#') and l.strip()]
rows = list(csv.reader(lines))
idx = [rows[0].index(c) for c in sys.argv[2:]]
for r in rows[1:]:
    print('\t'.join(r[i] for i in idx))
PY
}

finish () {
  finished=yes
  if [ -s "$tmpdir/crashes" ]; then
    while IFS= read -r _line; do fail "$_line"; done <"$tmpdir/crashes"
  fi
  echo "$checks checks passed, $failures failed"
  [ "$failures" -eq 0 ]
}
