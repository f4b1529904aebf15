# common.sh: sourced by the experiment scripts, which take
#   [--quick] [--out=DIR]
# --quick runs the reduced sizes the test suite runs (seconds, not
# minutes), with tolerances widened to match; --out (or $OUT) is where the
# tables go, by default ./sdekit-results under the current directory (never
# the source tree).  SDEKIT_BIN names the directory of the tools (default:
# the build tree's tools/ next to this tree if present, else PATH).
# Every table is printed and kept as $OUT/NAME.md with its command line in
# the header.  A claim is checked by the tool itself (--expect-order); the
# script ends with "N claims held, M failed" and fails when one did.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
QUICK=${QUICK:-0}
OUT=${OUT:-$PWD/sdekit-results}
for _a in "$@"; do
  case $_a in
    --quick) QUICK=1 ;;
    --out=?*) OUT=${_a#--out=} ;;
    -h | --help)
      sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *)
      echo "$(basename "$0"): unknown argument '$_a' (use --quick, --out=DIR)" >&2
      exit 2
      ;;
  esac
done
if [ -z "${SDEKIT_BIN:-}" ] && [ -x "$here/../../build/tools/sde-compare" ]; then
  SDEKIT_BIN=$here/../../build/tools
fi
tool () {
  _t=$1
  shift
  if [ -n "${SDEKIT_BIN:-}" ]; then "$SDEKIT_BIN/$_t" "$@"; else "$_t" "$@"; fi
}
mkdir -p "$OUT" || {
  echo "$(basename "$0"): cannot create --out directory '$OUT'" >&2
  exit 2
}
# pick FULL QUICK: the argument of the mode in force.
pick () { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }
_held=0
_failed=0
# run NAME TOOL ARGS...: prints the table and keeps it as $OUT/NAME.md.
# Status 3 is a failed claim (--expect-order): it is counted, and the
# script goes on; any other failure stops it with the tool's status.
run () {
  _n=$1
  shift
  echo "== $_n"
  _t0=$(date +%s)
  _st=0
  tool "$@" --format=md --output="$OUT/$_n.md" || _st=$?
  [ -f "$OUT/$_n.md" ] && cat "$OUT/$_n.md"
  case $_st in
    0) case "$*" in *--expect-order=*) _held=$((_held + 1)) ;; esac ;;
    3)
      _failed=$((_failed + 1))
      echo "CLAIM FAILED: $_n"
      ;;
    *)
      echo "$_n: the tool failed with status $_st" >&2
      exit "$_st"
      ;;
  esac
  echo "(wall $(($(date +%s) - _t0)) s)"
  echo
}
# done_claims: the summary line, and the exit status.
done_claims () {
  echo "$_held claims held, $_failed failed"
  [ "$_failed" -eq 0 ]
}
