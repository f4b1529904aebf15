#!/bin/sh
# bench/run-expr.sh: problems written as expressions against the same
# problems built in, side by side and interleaved (A B A B ...) in one run,
# one thread each.  The two runs of a pair use the same seed and must give
# the same table: the bench checks that before it reports a time.
#  expr-doublewell   SGD on (x0^2 - 1)^2 / 4 by --loss against
#                    --problem=doublewell; goal: at most 2x its time.
#  expr-quadratic10  SGD on a dense d = 10 quadratic (H = I + 0.1 J) by
#                    --loss (100 terms) against --problem=quadratic:H=...;
#                    goal: at most 3x.
#  slow-expr-circle  sde-slow with the circle (|x|^2 - 1)^2 / 2 by --loss
#                    (Phi by Newton's method and the flow) against
#                    --problem=circle (Phi in closed form), same grid, paths
#                    and seed; goal: at most 10x.  The default grid (2^-1 to
#                    2^-7, --target-ci=0.1, up to 10^6 paths) takes more
#                    than 10 minutes for the built-in circle alone on one
#                    thread, so the bench runs 2^-1:2^-4 with a fixed number
#                    of paths.  The two tables must agree row by row within
#                    3 combined standard errors (printed as "agree ...").
# Each ratio is the median over REPS pairs of (expression time / built-in
# time), printed as "ratio NAME VALUE goal GOAL met|short".
#
# usage: run-expr.sh [SDE_SIM [SDE_SLOW]]
# environment: SDE_BENCH_EXPR_REPS (5), SDE_BENCH_EXPR_PATHS (200000),
#   SDE_BENCH_SLOW_PATHS (4000), SDE_BENCH_SLOW_ETA (2^-1:2^-4).
set -eu
sim=${1:-tools/sde-sim}
slow=${2:-$(dirname "$sim")/sde-slow}
slow_paths=${SDE_BENCH_SLOW_PATHS:-4000}
slow_eta=${SDE_BENCH_SLOW_ETA:-2^-1:2^-4}
reps=${SDE_BENCH_EXPR_REPS:-5}
paths=${SDE_BENCH_EXPR_PATHS:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
times=$tmp/times
. "$(dirname "$0")/lib.sh"
: >"$times"

# pair NAME 'BUILTIN ARGS' 'EXPRESSION ARGS': REPS interleaved pairs; the
# tables (less the command line) must be the same.
pair () {
  _n=$1
  _i=0
  while [ "$_i" -lt "$reps" ]; do
    _t0=$(wall)
    eval "\"\$sim\" $2 --threads=1 --paths=$paths" | grep -v '^# command' >"$tmp/$_n.a"
    _t1=$(wall)
    eval "\"\$sim\" $3 --threads=1 --paths=$paths" | grep -v '^# command' >"$tmp/$_n.b"
    _t2=$(wall)
    # The problem line names the problem; everything else must agree.
    grep -v '^# problem' "$tmp/$_n.a" >"$tmp/$_n.a2"
    grep -v '^# problem' "$tmp/$_n.b" >"$tmp/$_n.b2"
    if ! cmp -s "$tmp/$_n.a2" "$tmp/$_n.b2"; then
      echo "$_n: the expression's table differs from the built-in's:" >&2
      diff "$tmp/$_n.a2" "$tmp/$_n.b2" >&2 || true
      exit 1
    fi
    echo "$_n $(awk -v a="$_t0" -v b="$_t1" -v c="$_t2" 'BEGIN { print (c - b) / (b - a) }')" >>"$times"
    _i=$((_i + 1))
  done
}

echo "# $(nproc) cores, $(load) before; $reps interleaved pairs, one thread, $paths paths"
dw_common="--method=sgd --eta=2^-9 --horizon=1 --observable=x0,loss"
pair expr-doublewell "--problem=doublewell $dw_common" \
  "--loss='(x0^2-1)^2/4' --x0=0.5 $dw_common"

H=$(awk 'BEGIN { for (i = 0; i < 10; i++) for (j = 0; j < 10; j++) printf "%s%g", (i || j) ? "," : "", (i == j) + 0.1 }')
L=$(awk 'BEGIN { for (i = 0; i < 10; i++) for (j = 0; j < 10; j++) printf "%s%g*x%d*x%d", (i || j) ? "+" : "", ((i == j) + 0.1) / 2, i, j }')
q_common="--method=sgd --eta=2^-6 --horizon=1 --observable=x0,loss"
pair expr-quadratic10 "--problem=quadratic:H=$H,x0=1 $q_common" \
  "--loss='$L' --x0=1,1,1,1,1,1,1,1,1,1 $q_common"

# The slow SDE: REPS interleaved pairs; the errors of each row (csv:
# eta, method, observable, ..., error, se) must agree within 3 combined SEs.
s_common="--eta=$slow_eta --paths=$slow_paths --target-ci=0 --threads=1 --progress=never --format=csv --seed=1"
_i=0
while [ "$_i" -lt "$reps" ]; do
  _t0=$(wall)
  "$slow" --problem=circle $s_common | grep -v '^#' >"$tmp/slow.a"
  _t1=$(wall)
  "$slow" --loss='(x0^2+x1^2-1)^2/2' --x0=1,0 $s_common | grep -v '^#' >"$tmp/slow.b"
  _t2=$(wall)
  echo "slow-expr-circle $(awk -v a="$_t0" -v b="$_t1" -v c="$_t2" 'BEGIN { print (c - b) / (b - a) }')" >>"$times"
  _i=$((_i + 1))
done
# Columns by name from the header; worst |e_a - e_b| / sqrt(se_a^2 + se_b^2).
if ! awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  NR == FNR { e[FNR] = $c["error"]; s[FNR] = $c["se"]; k[FNR] = $1 " " $2; n = FNR; next }
  { m++; if (k[FNR] != $1 " " $2) bad = 1
    z = $c["error"] - e[FNR]; v = sqrt($c["se"]^2 + s[FNR]^2)
    r = v > 0 ? (z < 0 ? -z : z) / v : (z == 0 ? 0 : 1e9); if (r > w) w = r }
  END { ok = !bad && m == n - 1 && m > 0 && w < 3
        printf "agree slow-expr-circle %d rows, worst %.2f combined SE (limit 3) %s\n", m, w, ok ? "yes" : "NO"
        exit ok ? 0 : 1 }' "$tmp/slow.a" "$tmp/slow.b"; then
  echo "slow-expr-circle: the expression's table disagrees with the built-in's" >&2
  exit 1
fi

for n in expr-doublewell expr-quadratic10 slow-expr-circle; do
  goal=2
  [ "$n" = expr-quadratic10 ] && goal=3
  [ "$n" = slow-expr-circle ] && goal=10
  r=$(median "$n")
  awk -v n="$n" -v r="$r" -v g="$goal" 'BEGIN { printf "ratio %s %.3f goal %g %s\n", n, r, g, (r <= g) ? "met" : "short" }'
done
echo "# $(load) after"
