#!/bin/sh
# bench/run-mpi.sh: sde-compare under mpirun with 2 ranks against 1 rank
# (one thread each), side by side in one run, with the scaling model
#   T(K) = S + W / K + B * (a + c * ceil(log2 K))
# fitted from the same runs: S is the launch and set-up time (a tiny run),
# W the one-rank work, B the number of batch reductions and a + c log2 K
# the cost of one Allreduce of the sums (negligible at these sizes).  The
# tables of every run must be bitwise those of the one-process run.
#
# usage: run-mpi.sh [SDE_COMPARE]
# environment: MPIRUN (mpirun), SDE_BENCH_MPI_REPS (runs per count, 3),
#   SDE_BENCH_MPI_PATHS (paths per eta, 262144), SDE_BENCH_MPI_ETA
#   (2^-4:2^-8).
set -eu
cmp=${1:-tools/sde-compare}
reps=${SDE_BENCH_MPI_REPS:-3}
paths=${SDE_BENCH_MPI_PATHS:-262144}
grid=${SDE_BENCH_MPI_ETA:-2^-4:2^-8}
mpirun=${MPIRUN:-mpirun}
if ! command -v "$mpirun" >/dev/null 2>&1; then
  echo "run-mpi: $mpirun not found: configure --with-mpi and install openmpi-bin" >&2
  exit 2
fi
mpi="$mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --mca oob_tcp_if_include lo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
times=$tmp/times
. "$(dirname "$0")/lib.sh"
args="--engine=mc --eta=$grid --paths=$paths --target-ci=0 --threads=1 --format=csv"
strip () { grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//'; }

echo "# $(nproc) cores, $(load) before"
echo "# workload: sde-compare $args"
"$cmp" $args | strip >"$tmp/ref"

# Alternate the counts so drifting machine load hits both alike.
: >"$tmp/times"
i=0
while [ "$i" -lt "$reps" ]; do
  for k in 1 2; do
    t0=$(wall)
    $mpi -np $k "$cmp" $args 2>"$tmp/err" | strip >"$tmp/out$k"
    t1=$(wall)
    if ! cmp -s "$tmp/ref" "$tmp/out$k"; then
      echo "run-mpi: the table with $k ranks differs from one process: $(head -c 300 "$tmp/err")" >&2
      exit 1
    fi
    record "$k" "$t0" "$t1"
  done
  # The launch cost S: the same command on a tiny run.
  t0=$(wall)
  $mpi -np 2 "$cmp" --engine=mc --eta=2^-2 --paths=256 --target-ci=0 --threads=1 >/dev/null 2>&1
  t1=$(wall)
  record S "$t0" "$t1"
  i=$((i + 1))
done

t1=$(median 1)
t2=$(median 2)
s=$(median S)
awk -v t1="$t1" -v t2="$t2" -v s="$s" -v reps="$reps" -v ld="$(load)" 'BEGIN {
  w = t1 - s
  printf "# medians of %d runs each; all tables bitwise equal to one process\n", reps
  printf "%-28s %10s\n", "ranks", "seconds"
  printf "%-28s %10.2f\n", "1", t1
  printf "%-28s %10.2f\n", "2", t2
  printf "%-28s %10.2f\n", "launch and set-up S", s
  printf "speedup 2 ranks / 1 rank: %.2fx (goal >= 1.8x: %s)\n", t1 / t2, ((t1 / t2) >= 1.8) ? "met" : "MISSED"
  printf "model T(K) = S + W/K with W = T(1) - S = %.2f s:\n", w
  printf "  T(2) predicted %.2f s, measured %.2f s\n", s + w / 2, t2
  printf "  efficiency at K ranks (S + W) / (K S + W): 90%% needs W >= (9K - 10) S,\n"
  printf "  e.g. K = 16 ranks: W >= %.0f s of one-rank work\n", 134 * s
  printf "# %s after\n", ld
}'
