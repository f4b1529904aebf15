#!/bin/sh
# No function in lib/ or tools/ is longer than 120 lines (from the line of
# its name to its closing brace), so each does one thing a reader can hold.
. "${top_srcdir:-.}/tests/cli/lib.sh"
for f in "$top_srcdir"/lib/*.c "$top_srcdir"/tools/*.c; do
  awk -v file="${f#"$top_srcdir"/}" '
    /\(/ { head = FNR }
    /^\{/ { start = head }
    /^\}/ && start { n = FNR - start + 1; if (n > 120) { printf "%s:%d: a function of %d lines\n", file, start, n; bad = 1 }; start = 0 }
    END { exit bad }' "$f" >>"$tmpdir/long" || true
done
if [ -s "$tmpdir/long" ]; then fail "functions over 120 lines: $(cat "$tmpdir/long")"; else pass; fi
# The check can fail: a made-up file with a 121-line function.
{ echo "static int"; echo "f (void)"; echo "{"; i=0; while [ $i -lt 118 ]; do echo "  ;"; i=$((i + 1)); done; echo "}"; } >"$tmpdir/long.c"
awk '/\(/ { head = FNR } /^\{/ { start = head } /^\}/ && start { if (FNR - start + 1 > 120) bad = 1; start = 0 } END { exit !bad }' "$tmpdir/long.c" && pass ||
  fail "the length check does not see a 121-line function"
finish
