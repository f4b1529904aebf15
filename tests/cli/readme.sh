#!/bin/sh
# The README's command-line examples under a "run by tests/cli/readme.sh"
# marker run as printed (the tools of the build tree first on the PATH),
# exit 0, and print a table; a claim the example makes (a "pass:" line)
# must not turn into a FAIL.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# The sh block after each marker; continuation lines joined, comments out.
awk '/<!-- run by tests\/cli\/readme.sh -->/ { want = 1; next }
     want && /^```sh/ { inb = 1; next }
     inb && /^```/ { inb = 0; want = 0; next }
     inb { print }' "$top_srcdir/README.md" |
  sed -e :a -e '/\\$/N; s/\\\n[ ]*/ /; ta' | grep -v '^[ ]*#' | grep -v '^[ ]*$' \
  >"$tmpdir/cmds"
n=$(wc -l <"$tmpdir/cmds")
[ "$n" -ge 5 ] && pass || fail "README.md: want at least 5 examples under the marker, found $n"

i=0
while IFS= read -r cmd; do
  i=$((i + 1))
  (cd "$tmpdir" && PATH="$tools:$PATH" eval "$cmd") >"$tmpdir/out.$i" 2>"$tmpdir/err.$i"
  st=$?
  if [ "$st" -ne 0 ]; then
    fail "README example exits $st: $cmd: $(tail -n 3 "$tmpdir/err.$i")"
  elif [ "$(grep -cv '^#' "$tmpdir/out.$i")" -lt 3 ] || grep -q 'FAIL' "$tmpdir/out.$i"; then
    fail "README example printed no table or a FAIL: $cmd: $(tail -n 5 "$tmpdir/out.$i")"
  else
    pass
  fi
done <"$tmpdir/cmds"

finish
