# common.sh: sourced by the experiment scripts.  SDEKIT_BIN names the
# directory of the tools (default: the build tree's tools/ if present, else
# PATH); every table is printed and also saved under $OUT (default
# results/), with the command line in its header.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SDEKIT_BIN:-}" ] && [ -x "$here/../../build/tools/sde-compare" ]; then
  SDEKIT_BIN=$here/../../build/tools
fi
tool () {
  _t=$1
  shift
  if [ -n "${SDEKIT_BIN:-}" ]; then "$SDEKIT_BIN/$_t" "$@"; else "$_t" "$@"; fi
}
OUT=${OUT:-$here/results}
mkdir -p "$OUT"
# run NAME TOOL ARGS...: prints the table and keeps it as $OUT/NAME.md; a
# failing tool stops the script with its status (a pipe would hide it).
run () {
  _n=$1
  shift
  echo "== $_n"
  _t0=$(date +%s)
  _st=0
  tool "$@" --format=md >"$OUT/$_n.md" || _st=$?
  cat "$OUT/$_n.md"
  if [ "$_st" -ne 0 ]; then
    echo "$_n: the tool failed with status $_st" >&2
    exit "$_st"
  fi
  echo "(wall $(( $(date +%s) - _t0 )) s)"
  echo
}
