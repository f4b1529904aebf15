#!/bin/sh
# bench/run-goals.sh: the speed goals, each measured side by side in one
# run, sdekit and its peer alternating run by run (ABAB...), R rounds; a
# ratio is the median over the rounds of the ratio within a round (a
# round's two runs see the same machine load), shown with its range.
# Ends with one line per goal:
#   ratio NAME VALUE goal GOAL met|short
# and, for d100-numpy, sgd-plain-c and threads-2, a line
#   limit NAME VALUE
# with what bounds the goal on this machine, measured in the same rounds.
#
# usage: run-goals.sh BENCH_GOALS BENCH_NORMALS SDE_COMPARE BENCH_SGD SGD_PLAIN
# environment: PYTHON3_SYSTEM (default /usr/bin/python3), SDE_BENCH_ROUNDS
#   (R, default 5), SDE_BENCH_SKIP (space-separated goal names to skip).
set -eu
goals=$1 normals=$2 cmp=$3 bsgd=$4 plain=$5
py=${PYTHON3_SYSTEM:-/usr/bin/python3}
here=$(dirname "$0")
R=${SDE_BENCH_ROUNDS:-5}
skip=" ${SDE_BENCH_SKIP:-} "
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/lib.sh"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# In a build tree sde-compare may be a libtool wrapper; the tools link the
# library statically, so the binary is run as it is.
have_numpy=0
"$py" -c 'import numpy' 2>/dev/null && have_numpy=1

# stats FILE: median, min and max of the numbers in FILE (one a line).
stats () {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}
# field FILE NAME COL: column COL of the last line starting with NAME.
field () { awk -v n="$2" -v c="$3" '$1 == n { v = $c } END { print v }' "$1"; }
# cpu CMD...: runs CMD, output to $tmp/out, and prints its user + system
# seconds (the process's own CPU time, steadier than wall time on a busy
# machine for a one-thread run).
cpu () {
  /usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >"$tmp/out"
  awk '{ print $1 + $2 }' "$tmp/time"
}
# verdict NAME FILE OP GOAL WHAT: the goal's line from the per-round
# ratios in FILE.
verdict () {
  set -- "$1" "$(stats "$2")" "$3" "$4" "$5"
  echo "$2" | awk -v n="$1" -v op="$3" -v g="$4" -v what="$5" -v r="$R" '{
    ok = (op == ">=") ? $1 >= g : $1 <= g
    printf "  %s: %s; median of %d rounds %.3g, range %.3g..%.3g\n", n, what, r, $1, $2, $3
    line = sprintf("ratio %s %.3g goal %s%s %s", n, $1, op, g, ok ? "met" : "short")
    print line >> "'"$tmp/lines"'"
  }'
}
# limit NAME FILE WHAT: what bounds a goal on this machine, measured in
# the same rounds: the best value any implementation doing the same work
# could reach (median and range of the per-round values in FILE).
limit () {
  stats "$2" | awk -v n="$1" -v what="$3" -v r="$R" '{
    printf "  %s limit: %s; median of %d rounds %.3g, range %.3g..%.3g\n", n, what, r, $1, $2, $3
    print sprintf("limit %s %.3g", n, $1) >> "'"$tmp/lines"'"
  }'
}
todo () { [ "${skip#* $1 }" = "$skip" ]; }
: >"$tmp/lines"
echo "# $(nproc --all) cores, $(load) before; $R rounds, sdekit and its peer alternating"

# ---- d = 100 dense quadratic: SGD + SME-1 (weak2, M = 4, check on 8) ----
N=1024 K=16 M=4 d=100
flops=$(awk -v d=$d -v M=$M 'BEGIN { print 2 * d * d + 12 * M * d * d }')
if todo d100-flops || todo d100-numpy; then
  "$bsgd" --problem quadratic:d=$d >"$tmp/d100.problem"
  : >"$tmp/flops" ; : >"$tmp/numpy" ; : >"$tmp/numpy.lim"
  for r in $(seq "$R"); do
    # The dgemm rate: the better of a block of 256 paths and one of 32
    # (OpenBLAS's small-matrix kernel, faster here), flops per CPU second.
    "$goals" dgemm $d 256 400 >"$tmp/out"
    "$goals" dgemm $d 32 3200 >>"$tmp/out"
    gf=$(awk '$1 == "dgemm" && $4 / $3 > g { g = $4 / $3 } END { print g }' "$tmp/out")
    "$goals" ensemble quadratic:d=$d $N $K $M >"$tmp/out"
    ps=$(awk '$1 == "ensemble" { print $3 / $4 }' "$tmp/out")
    echo "$ps $gf $flops" | awk '{ print $1 / ($3 / $2) }' >>"$tmp/flops"
    echo "round $r: sdekit $(awk -v p="$ps" 'BEGIN { printf "%.3g", p * 1e6 }') us per path-step, dgemm $(awk -v g="$gf" 'BEGIN { printf "%.3g", g / 1e9 }') GFLOP/s" >>"$tmp/d100.log"
    if [ $have_numpy = 1 ] && todo d100-numpy; then
      "$py" "$here/d100_numpy.py" $N $K $M --problem-file "$tmp/d100.problem" >"$tmp/np.out"
      npc=$(sed -n 's/^# process CPU seconds \([0-9.e+-]*\):.*/\1/p' "$tmp/np.out")
      echo "$npc $N $K $ps" | awk '{ print ($1 / ($2 * $3)) / $4 }' >>"$tmp/numpy"
      # numpy over the FLOP count at the dgemm rate: no implementation of
      # these flops beats numpy by more.
      echo "$npc $N $K $gf $flops" | awk '{ print ($1 / ($2 * $3)) / ($5 / $4) }' >>"$tmp/numpy.lim"
    fi
  done
  sed 's/^/  /' "$tmp/d100.log"
  todo d100-flops && verdict d100-flops "$tmp/flops" "<=" 2 \
    "d = $d, $N paths x $K steps: CPU time per path-step over $flops flops (2 d^2 for SGD, 4 d^2 per weak2 substep, 3M substeps) at the dgemm rate of the same round (100 x 100 by 256 or 32 paths, the better, OpenBLAS, one thread)"
  [ $have_numpy = 1 ] && todo d100-numpy && verdict d100-numpy "$tmp/numpy" ">=" 2 \
    "numpy (bench/d100_numpy.py, same H, paths, steps and substeps, its BLAS on one thread) CPU time of the computation over sdekit's"
  [ $have_numpy = 1 ] && todo d100-numpy && limit d100-numpy "$tmp/numpy.lim" \
    "numpy's time over the $flops flops per path-step at the same round's dgemm rate (what an implementation that spent all its time in dgemm would reach)"
fi

# ---- diagonal quadratic, d = 25..400: the time exponent ----
if todo diag-exponent; then
  : >"$tmp/diag"
  for r in $(seq "$R"); do
    for dd in 25 50 100 200 400; do
      "$goals" ensemble quadratic:d=$dd,dense=0 2048 16 4 >"$tmp/out"
      echo "$dd $(field "$tmp/out" ensemble 3)" >>"$tmp/diag.$r"
    done
    # least squares slope of log t on log d
    awk '{ x = log($1); y = log($2); n++; sx += x; sy += y; sxx += x * x; sxy += x * y }
      END { print (n * sxy - sx * sy) / (n * sxx - sx * sx) }' "$tmp/diag.$r" >>"$tmp/diag"
  done
  cat "$tmp"/diag.* | awk '{ t[$1] = t[$1] " " $2 } END { for (d in t) print d, t[d] }' | sort -n |
    awk '{ printf "  d = %s: CPU seconds%s\n", $1, substr($0, length($1) + 1) }'
  verdict diag-exponent "$tmp/diag" "<=" 1.15 \
    "SGD + SME-1 weak2 reference on quadratic:d=D,dense=0, 2048 paths x 16 steps, D = 25, 50, 100, 200, 400: least-squares slope of log CPU time (of the ensemble run) on log D, per round"
fi

# ---- the default table against the coupled numpy peer, equal paths ----
if todo table-numpy-coupled && [ $have_numpy = 1 ]; then
  : >"$tmp/table"
  for r in $(seq "$R"); do
    c=$(cpu "$cmp" --threads=1 -f csv)
    cp "$tmp/out" "$tmp/sdk.csv"
    # numpy gets N + the pilot paths sdekit ran, so both simulate as many
    # paths (the pilot is a quarter of the first batch, in chunks of 256).
    pilot=$(sed -n 's/.*on \([0-9]*\) pilot paths.*/\1/p' "$tmp/sdk.csv" | head -n 1)
    awk -F, -v p="${pilot:-0}" 'BEGIN { OFS = "," } /^#/ { print; next }
      h && NF > 1 { $(c) = $(c) + p } /^eta,/ { for (i = 1; i <= NF; i++) if ($i == "N") c = i; h = 1 }
      NF <= 1 { h = 0 } { print }' "$tmp/sdk.csv" >"$tmp/sdk-equal.csv"
    "$py" "$here/table_numpy_coupled.py" --sdekit-csv "$tmp/sdk-equal.csv" >"$tmp/npt.out"
    npc=$(sed -n 's/^# process CPU seconds of the computation: \([0-9.e+-]*\).*/\1/p' "$tmp/npt.out")
    echo "$npc $c" | awk '{ print $1 / $2 }' >>"$tmp/table"
    echo "  round $r: sdekit $c s (process CPU, with start-up), numpy $npc s (computation CPU), $pilot pilot paths added to numpy's N"
  done
  verdict table-numpy-coupled "$tmp/table" ">=" 10 \
    "default sde-compare table (--threads=1) against bench/table_numpy_coupled.py, the same coupled estimator, N and substeps"
fi

# ---- 1-D SGD against the vectorized plain-C loop ----
if todo sgd-plain-c; then
  : >"$tmp/plain" ; : >"$tmp/plain.lim"
  n1=262144 k1=1000
  for r in $(seq "$R"); do
    cs=$(cpu "$goals" sgd quadratic:h=1 $n1 $k1 0.01 1)
    cp=$(cpu "$plain" $n1 $k1 0.01 1 1)
    cn=$(cpu "$goals" normals $n1 $k1)
    echo "$cp $cs" | awk '{ print $1 / $2 }' >>"$tmp/plain"
    echo "$cp $cn" | awk '{ print $1 / $2 }' >>"$tmp/plain.lim"
    echo "  round $r: sdekit $cs s, plain C $cp s, sdekit's normals alone $cn s (process CPU, $n1 paths x $k1 steps)"
  done
  verdict sgd-plain-c "$tmp/plain" ">=" 1.2 \
    "1-D SGD, sdekit's engine (bench_goals sgd) against bench/sgd_plain.c (xoshiro256+, Box-Muller, -O3 -march=native -ffast-math): plain-C time over sdekit's"
  limit sgd-plain-c "$tmp/plain.lim" \
    "plain-C time over the time sdekit's generator takes for the same run's normals alone (bench_goals normals): SGD with these streams cannot beat it"
fi

# ---- normals against sdekit's own SIMD raw Philox bits ----
if todo normals-simd; then
  : >"$tmp/nrm" ; : >"$tmp/zig"
  for r in $(seq "$R"); do
    "$normals" 20000000 3 >"$tmp/nrm.out"
    awk '$1 == "pair" && $2 == "normals-simd" { print $3 }' "$tmp/nrm.out" >>"$tmp/nrm"
    awk '$1 == "pair" && $2 == "ziggurat-simd" { print $3 }' "$tmp/nrm.out" >>"$tmp/zig"
  done
  stats "$tmp/zig" | awk '{ printf "  the same bits through a vectorised 256-layer ziggurat (bench/ziggurat.c, the other transform a user would try): %.3g of the bits'"'"' rate, range %.3g..%.3g\n", $1, $2, $3 }'
  verdict normals-simd "$tmp/nrm" ">=" 0.67 \
    "normals per second of sde_rng_sample over the 128-bit words per second of its SIMD Philox kernel (two normals a word), trials alternating"
fi

# ---- 2 threads against 1 on the default table ----
if todo threads-2; then
  : >"$tmp/thr" ; : >"$tmp/thr.lim"
  for r in $(seq "$R"); do
    t0=$(wall); "$cmp" --threads=1 -f csv >"$tmp/t1.csv"; t1=$(wall)
    "$cmp" --threads=2 -f csv >"$tmp/t2.csv"; t2=$(wall)
    echo "$t0 $t1 $t2" | awk '{ print ($2 - $1) / ($3 - $2) }' >>"$tmp/thr"
    # Two independent one-thread runs side by side: what the two cores
    # give when nothing is shared.
    t3=$(wall)
    "$cmp" --threads=1 -f csv >"$tmp/p1.csv" &
    pid=$!
    "$cmp" --threads=1 -f csv >"$tmp/p2.csv"
    wait "$pid"
    t4=$(wall)
    echo "$t0 $t1 $t3 $t4" | awk '{ print 2 * ($2 - $1) / ($4 - $3) }' >>"$tmp/thr.lim"
    if ! cmp -s "$tmp/t1.csv" "$tmp/t2.csv"; then
      sed '/^# command/d; s/,[^,]*$//' "$tmp/t1.csv" >"$tmp/a"
      sed '/^# command/d; s/,[^,]*$//' "$tmp/t2.csv" >"$tmp/b"
      cmp -s "$tmp/a" "$tmp/b" || echo "  round $r: THE TABLES DIFFER"
    fi
  done
  verdict threads-2 "$tmp/thr" ">=" 1.9 \
    "default sde-compare table, wall time with --threads=1 over --threads=2 (tables bitwise equal); $(nproc --all) cores, other work on the machine slows the 2-thread runs most"
  limit threads-2 "$tmp/thr.lim" \
    "twice the one-thread run's wall time over that of two independent one-thread runs side by side (the two cores' throughput when nothing is shared)"
fi

# ---- finite sums: a reference substep against a full-batch gradient ----
if todo finite-sum-ref; then
  : >"$tmp/fin"
  for r in $(seq "$R"); do
    "$goals" finite linreg:data=diabetes 100 >"$tmp/fin.out"
    g=$(field "$tmp/fin.out" finite-grad 3) s=$(field "$tmp/fin.out" finite-ref 3)
    echo "$s $g" | awk '{ print $1 / $2 }' >>"$tmp/fin"
  done
  verdict finite-sum-ref "$tmp/fin" "<=" 4 \
    "linreg on the diabetes data (n = 442, d = 10): CPU time of one reference path-substep (its 442 normals and em's step, drift and S(x) dW in one pass) over one full-batch gradient, 256 paths, alternating call by call"
fi

echo "# $(load) after"
cat "$tmp/lines"
