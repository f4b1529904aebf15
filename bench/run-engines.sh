#!/bin/sh
# bench/run-engines.sh: the engines without sampling error against the
# Monte Carlo engine on the same problems, side by side in one run.
#  1. exact: SGD against SME-1 on a d = 100 quadratic, 12 etas
#     (2^-2 .. 2^-13); goal under 1 s.  Peer: the MC engine on the three
#     largest etas with a fixed number of paths, and the relative SE it
#     reaches there.
#  2. density: SGD against SME-1 on the double well at eta = 2^-10, the
#     error accurate to 1e-8 (the grid-error column); goal under 10 s.
#     Peer: the MC engine at the same eta with a fixed number of paths, and
#     the SE it reaches.
# Times are medians of REPS runs, one thread each.
#
# usage: run-engines.sh [SDE_COMPARE]
# environment: SDE_BENCH_ENGINES_REPS (3), SDE_BENCH_ENGINES_PATHS (MC
#   paths on the d = 100 quadratic, 2000), SDE_BENCH_ENGINES_PATHS1 (MC
#   paths on the double well, 100000).
set -eu
cmp=${1:-tools/sde-compare}
reps=${SDE_BENCH_ENGINES_REPS:-3}
paths=${SDE_BENCH_ENGINES_PATHS:-2000}
paths1=${SDE_BENCH_ENGINES_PATHS1:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
times=$tmp/times
. "$(dirname "$0")/lib.sh"
# timed NAME ARGS...: runs sde-compare REPS times, keeps the last table as
# $tmp/NAME.csv and appends "NAME seconds" per run to $tmp/times.
timed () {
  _n=$1
  shift
  _i=0
  while [ "$_i" -lt "$reps" ]; do
    _t0=$(wall)
    "$cmp" "$@" --threads=1 --format=csv >"$tmp/$_n.csv"
    _t1=$(wall)
    record "$_n" "$_t0" "$_t1"
    _i=$((_i + 1))
  done
}
# col FILE ETA NAME: column NAME of the first row at ETA (CSV, quotes
# removed first so that method specs with commas do not shift columns).
col () {
  sed 's/"[^"]*"/M/g' "$1" | awk -F, -v eta="$2" -v name="$3" '
    /^#/ { next }
    !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
    $1 + 0 == eta + 0 { print $(c[name]); exit }'
}

echo "# $(nproc) cores, $(load) before; medians of $reps runs, one thread"
: >"$tmp/times"
quad="--problem=quadratic:d=100,cond=100 --methods=sgd"
timed exact $quad --engine=exact --eta=2^-2:2^-13
timed exact_mc $quad --engine=mc --eta=2^-2:2^-4 --paths="$paths" --target-ci=0
dw="--methods=sgd --eta=2^-10"
timed density $dw --engine=density
timed density_mc $dw --engine=mc --paths="$paths1" --target-ci=0

te=$(median exact)
tm=$(median exact_mc)
td=$(median density)
tdm=$(median density_mc)
rows=$(grep -c '^0' "$tmp/exact.csv" || true)
e_mc=$(col "$tmp/exact_mc.csv" 0.0625 error)
se_mc=$(col "$tmp/exact_mc.csv" 0.0625 se)
e_d=$(col "$tmp/density.csv" 0.0009765625 error)
g_d=$(col "$tmp/density.csv" 0.0009765625 grid_error)
e_dm=$(col "$tmp/density_mc.csv" 0.0009765625 error)
se_dm=$(col "$tmp/density_mc.csv" 0.0009765625 se)
awk -v te="$te" -v tm="$tm" -v td="$td" -v tdm="$tdm" -v rows="$rows" \
  -v emc="$e_mc" -v semc="$se_mc" -v ed="$e_d" -v gd="$g_d" -v edm="$e_dm" \
  -v sedm="$se_dm" -v paths="$paths" -v paths1="$paths1" 'BEGIN {
  printf "%-52s %9s  %s\n", "run", "seconds", "result"
  printf "%-52s %9.3f  %d etas, SE 0 (goal < 1 s: %s)\n", "exact, d=100, eta 2^-2..2^-13", te, rows, (te < 1) ? "met" : "MISSED"
  printf "%-52s %9.3f  3 etas; at 2^-4 error %.4g, SE %.2g (%.1f%%)\n", "mc, same problem, eta 2^-2..2^-4, " paths " paths", tm, emc, semc, 100 * semc / (emc < 0 ? -emc : emc)
  printf "%-52s %9.3f  error %.10g, grid error %.2g (goal 1e-8 in < 10 s: %s)\n", "density, double well, eta 2^-10", td, ed, gd, (gd != "" && (gd < 0 ? -gd : gd) <= 1e-8 && td < 10) ? "met" : "MISSED"
  printf "%-52s %9.3f  error %.6g, SE %.2g\n", "mc, same, " paths1 " paths", tdm, edm, sedm
  if (sedm > 0)
    printf "MC paths to reach the density engine'\''s accuracy at 2^-10: about %.2g (SE 1/sqrt(N) law)\n", paths1 * (sedm / (gd < 0 ? -gd : gd)) ^ 2
}'
echo "# $(load) after"
