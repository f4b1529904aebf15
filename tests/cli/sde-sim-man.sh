#!/bin/sh
# The man page is in step with --help, and its examples run.
. "${top_srcdir:-.}/tests/cli/lib.sh"

man=$top_builddir/man/sde-sim.1
[ -f "$man" ] || man=$top_srcdir/man/sde-sim.1
"$tools/sde-sim" --help >"$tmpdir/help" || fail "--help failed"
for opt in $(grep -o -E -- '--[a-z][a-z-]*' "$tmpdir/help" | sort -u); do
  esc=$(echo "$opt" | sed 's/-/\\\\-/g')
  if grep -q -e "$esc" -e "$opt" "$man"; then pass; else fail "man page lacks $opt"; fi
done

# Every example line of man/sde-sim.x (an .IP line followed by "sde-sim ...").
sed -n '/^\[EXAMPLES\]/,/^\[/p' "$top_srcdir/man/sde-sim.x" | grep '^sde-sim' |
  sed 's/\\-/-/g' >"$tmpdir/examples"
[ -s "$tmpdir/examples" ] || fail "no examples found"
while read -r line; do
  args=${line#sde-sim}
  # The examples are shell command lines: eval keeps their quoting.
  if eval "\"\$tools/sde-sim\" $args --paths=2000" >"$tmpdir/ex" 2>"$tmpdir/exerr"; then pass; else
    fail "example failed: $line: $(cat "$tmpdir/exerr")"; fi
done <"$tmpdir/examples"

finish
