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
# run NAME TOOL ARGS...: prints the table and keeps it as $OUT/NAME.md.
run () {
  _n=$1
  shift
  echo "== $_n"
  _t0=$(date +%s)
  tool "$@" --format=md | tee "$OUT/$_n.md"
  echo "(wall $(( $(date +%s) - _t0 )) s)"
  echo
}
