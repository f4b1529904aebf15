#!/bin/sh
# Every tool's man page is in step with its --help, and the examples in its
# man/<tool>.x run.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# sde-plot's examples redraw a saved table.
"$tools/sde-compare" --eta=2^-2:2^-4 --paths=2000 --target-ci=0 --format=json \
  --output="$tmpdir/table.json" || fail "the table for sde-plot's examples"

for t in sde-sim sde-compare sde-slow sde-plot sde-order; do
  man=$top_builddir/man/$t.1
  [ -f "$man" ] || man=$top_srcdir/man/$t.1
  "$tools/$t" --help >"$tmpdir/help" || fail "$t --help failed"
  for opt in $(grep -o -E -- '--[a-z][a-z0-9-]*' "$tmpdir/help" | sort -u); do
    esc=$(echo "$opt" | sed 's/-/\\\\-/g')
    if grep -q -e "$esc" -e "$opt" "$man"; then pass; else fail "$t.1 lacks $opt"; fi
  done
  # Example lines of the EXAMPLES section start with the tool's name.
  sed -n '/^\[EXAMPLES\]/,/^\[/p' "$top_srcdir/man/$t.x" | grep "^$t" |
    sed 's/\\-/-/g' >"$tmpdir/examples"
  [ -s "$tmpdir/examples" ] || fail "$t: no examples found"
  while read -r line; do
    args=${line#"$t"}
    # Quick versions: fewer paths; the examples are shell command lines, so
    # eval keeps their quoting.  Files they write go to the scratch dir.
    case $t in
      sde-sim|sde-order) quick="--paths=2000" ;;
      sde-plot) quick="" ;;
      *) quick="--paths=2000 --target-ci=0 --max-paths=2000" ;;
    esac
    if (cd "$tmpdir" && eval "\"\$tools/$t\" $args $quick") >"$tmpdir/ex" 2>"$tmpdir/exerr"; then pass; else
      st=$?
      # --expect-order may legitimately report 3 on a quick run; only usage
      # and runtime failures count.
      if [ "$st" -eq 3 ]; then pass; else fail "example failed ($st): $line: $(cat "$tmpdir/exerr")"; fi
    fi
  done <"$tmpdir/examples"
done

finish
