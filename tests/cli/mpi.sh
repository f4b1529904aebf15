#!/bin/sh
# Under mpirun the tables are bitwise those of one process, for 1, 2 and 3
# ranks, with adaptive path counts; rank 0 alone writes; a killed rank ends
# the job with a non-zero status and the rows already finished are kept.
. "${top_srcdir:-.}/tests/cli/lib.sh"
: "${MPIRUN:=mpirun}"
mpi="$MPIRUN --allow-run-as-root --oversubscribe --mca btl self,vader --mca oob_tcp_if_include lo"
strip () { grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//'; }

args="--eta=2^-2:2^-6 --paths=3000 --format=csv"
"$tools/sde-compare" $args --threads=2 | strip >"$tmpdir/one" || fail "one process"
for k in 1 2 3; do
  $mpi -np $k "$realtools/sde-compare" $args --threads=1 2>"$tmpdir/err$k" | strip >"$tmpdir/k$k"
  if cmp -s "$tmpdir/one" "$tmpdir/k$k"; then pass; else fail "sde-compare with $k ranks differs: $(head -c 300 "$tmpdir/err$k")"; fi
done
# The adaptive runs really added paths (more than the first 3072).
awk -F, '/^0.015625,sgd,/ { exit !($4 > 3072) }' "$tmpdir/one" && pass || fail "no adaptive batch happened"

# sde-slow, where every path also runs the projection Phi.
sargs="--problem=labelvalley:delta=0.5,x0=1.5,0 --eta=2^-2:2^-4 --checkpoints=1 --paths=3000 --format=csv"
"$tools/sde-slow" $sargs --threads=2 | strip >"$tmpdir/slow1" || fail "sde-slow one process"
$mpi -np 2 "$realtools/sde-slow" $sargs --threads=1 2>"$tmpdir/slowerr" | strip >"$tmpdir/slow2"
if [ -s "$tmpdir/slow1" ] && cmp -s "$tmpdir/slow1" "$tmpdir/slow2"; then pass; else fail "sde-slow with 2 ranks differs: $(head -c 300 "$tmpdir/slowerr")"; fi

# A plain run skips MPI; SDEKIT_MPI=1 initializes it anyway (a singleton)
# with the same table; srun tasks without a launcher are warned about.
"$tools/sde-compare" --eta=2^-2:2^-3 --paths=1000 --target-ci=0 --format=csv | strip >"$tmpdir/p0"
SDEKIT_MPI=1 "$tools/sde-compare" --eta=2^-2:2^-3 --paths=1000 --target-ci=0 --format=csv 2>"$tmpdir/perr" | strip >"$tmpdir/p1"
[ -s "$tmpdir/p0" ] && cmp -s "$tmpdir/p0" "$tmpdir/p1" && pass || fail "SDEKIT_MPI=1 singleton differs: $(head -c 300 "$tmpdir/perr")"
SLURM_STEP_NUM_TASKS=2 "$tools/sde-compare" --version 2>&1 >/dev/null | grep -q "warning: 2 tasks under srun" && pass || fail "no warning for srun tasks without MPI"

# sde-sim in both modes.
for mode in "--sde=ou --scheme=weak2 --step=0.05" "--problem=nonconvex2d --method=sgd,sgdm:beta=0.9 --eta=0.05"; do
  "$tools/sde-sim" $mode --paths=5000 | grep -v '^# command' >"$tmpdir/s1"
  $mpi -np 3 "$realtools/sde-sim" $mode --paths=5000 2>/dev/null | grep -v '^# command' >"$tmpdir/s3"
  cmp -s "$tmpdir/s1" "$tmpdir/s3" && pass || fail "sde-sim $mode differs under 3 ranks"
done

# Rank 0 alone writes the --output file; a usage error is reported once.
$mpi -np 2 "$realtools/sde-compare" --eta=2^-2:2^-4 --paths=2000 --target-ci=0 --output="$tmpdir/o.txt" 2>/dev/null
[ -f "$tmpdir/o.txt" ] && [ "$(grep -c '^0.25 ' "$tmpdir/o.txt")" -eq 2 ] && pass || fail "--output under MPI"
$mpi -np 2 "$realtools/sde-compare" --eta=0.3 >/dev/null 2>"$tmpdir/u"
st=$?
[ "$st" -ne 0 ] && [ "$(grep -c '^sde-compare: ' "$tmpdir/u")" -eq 1 ] && pass || fail "usage error under MPI: status $st, $(cat "$tmpdir/u")"

# Kill rank 1 mid-run: the job ends non-zero and rank 0 keeps its rows.
$mpi -np 2 "$realtools/sde-compare" --eta=2^-2:2^-16 --paths=2000 --target-ci=0 --threads=1 \
  --output="$tmpdir/k.txt" >/dev/null 2>"$tmpdir/kerr" &
job=$!
i=0
while [ $i -lt 200 ]; do
  if grep -q '^0.0625 ' "$tmpdir"/k.txt.tmp* 2>/dev/null; then break; fi
  sleep 0.1; i=$((i + 1))
done
# Rank 1 by its environment, from /proc alone (no procps: a test may use
# only what quickstart installs).
victim=""
for d in /proc/[0-9]*; do
  tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q "sde-compare --eta=2^-2:2^-16" || continue
  if tr '\0' '\n' <"$d/environ" 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=1$'; then victim=${d#/proc/}; fi
done
[ -n "$victim" ] && pass || fail "could not find rank 1"
[ -n "$victim" ] && kill -9 "$victim"
wait $job
st=$?
[ "$st" -ne 0 ] && pass || fail "killing a rank did not fail the job"
if [ -f "$tmpdir/k.txt" ] && grep -q '^0.25 ' "$tmpdir/k.txt"; then pass; else fail "finished rows lost when a rank died: $(ls "$tmpdir")"; fi

# A usage error only rank 0 can find (its output file) ends every rank
# promptly with status 2, and one message.
timeout 60 $mpi -np 2 "$realtools/sde-compare" --eta=2^-2:2^-3 --paths=1000 --output=/nonexistent/x >/dev/null 2>"$tmpdir/no"
st=$?
[ "$st" -eq 2 ] && [ "$(grep -c '^sde-compare: --output=/nonexistent/x' "$tmpdir/no")" -eq 1 ] && pass || fail "--output usage error under MPI: status $st (124: it hung), $(cat "$tmpdir/no")"
timeout 60 $mpi -np 2 "$realtools/sde-compare" --eta=2^-2:2^-3 --paths=1000 --plot=/nonexistent/x.tex >/dev/null 2>"$tmpdir/np"
st=$?
[ "$st" -eq 2 ] && pass || fail "--plot usage error under MPI: status $st, $(cat "$tmpdir/np")"

finish
