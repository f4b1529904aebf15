#!/bin/sh
# bench/run-sgd.sh: the SGD ensemble x' = x - eta (H x + sigma xi) with
# sdekit against numpy, PyTorch and a plain GSL loop, the Gaussian-generation
# limit, and the time to sde-compare's default table against an uncoupled
# numpy script, all in one run; prints rates and ratios.
#
# usage: run-sgd.sh [BENCH_SGD [SDE_COMPARE]]
# environment: PYTHON3_SYSTEM (default /usr/bin/python3), SDE_BENCH_SGD_N1
#   (paths, 1-D case, 1000000), SDE_BENCH_SGD_N10 (paths, 10-D case, 100000),
#   SDE_BENCH_SGD_K (steps, 1000), SDE_BENCH_PEER_LIMIT (seconds before a
#   slow peer runs fewer paths, 60), SDE_BENCH_TABLE_BUDGET (seconds per eta
#   before the numpy table projects, 60), SDE_BENCH_SKIP (space-separated:
#   ensemble table).
set -eu
load () { awk '{ printf "load average %s %s %s", $1, $2, $3 }' /proc/loadavg 2>/dev/null || true; }
bin=${1:-bench/bench_sgd}
cmp=${2:-tools/sde-compare}
py=${PYTHON3_SYSTEM:-/usr/bin/python3}
here=$(dirname "$0")
n1=${SDE_BENCH_SGD_N1:-1000000}
n10=${SDE_BENCH_SGD_N10:-100000}
K=${SDE_BENCH_SGD_K:-1000}
budget=${SDE_BENCH_TABLE_BUDGET:-60}
skip=" ${SDE_BENCH_SKIP:-} "
eta=0.01
sigma=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_numpy=0 have_torch=0
if "$py" -c 'import numpy' 2>/dev/null; then have_numpy=1; fi
if "$py" -c 'import torch' 2>/dev/null; then have_torch=1; fi

wall () { date +%s.%N; }

# ---- 1 and 2: one SGD ensemble, path-steps per second ----
ensemble_case () {
  case=$1 spec=$2 n=$3 d=$4
  out=$tmp/$case.txt
  "$bin" --problem "$spec" > "$tmp/$case.problem"
  "$bin" "$case" "$spec" "$n" "$K" "$eta" "$sigma" > "$out"
  if [ $have_numpy = 1 ]; then
    "$py" "$here/sgd_peers.py" numpy "$case" "$tmp/$case.problem" \
      "$n" "$K" "$eta" "$sigma" >> "$out"
  else
    echo "# numpy not importable by $py: install python3-numpy" >> "$out"
  fi
  if [ $have_torch = 1 ]; then
    "$py" "$here/sgd_peers.py" torch "$case" "$tmp/$case.problem" \
      "$n" "$K" "$eta" "$sigma" >> "$out"
  else
    echo "# torch not importable by $py: install python3-torch" >> "$out"
  fi
  awk -v case="$case" -v d="$d" -v spec="$spec" -v n="$n" -v K="$K" \
      -v eta="$eta" -v sigma="$sigma" '
    /^#/ { comments[++nc] = $0; next }
    $2 == "exact" { exact = $3; next }
    $2 ~ /^normals-/ { nrm[$2] = $3; nrmc[$2] = $4; next }
    $2 ~ /^paired-/ { pw[$2] = $3; pc[$2] = $4; next }
    {
      peer[++k] = $2; rate[$2] = $3; cpu[$2] = $4; mean[$2] = $5; se[$2] = $6
      note[$2] = $7
    }
    END {
      printf "\n-- case %s: SGD on %s, %d paths x %d steps, eta %g, sigma %g;", \
        case, spec, n, K, eta, sigma
      printf " exact E x_K[0] = %.6g\n", exact
      printf "%-10s %13s %10s %13s %10s %12s %6s  %s\n", "peer", \
        "path-steps/s", "sdekit is", "per CPU-s", "sdekit is", "mean x_K[0]", \
        "z", "run"
      base = rate["sdekit-1t"]; basec = cpu["sdekit-1t"]
      for (i = 1; i <= k; i++) {
        p = peer[i]
        z = se[p] > 0 ? (mean[p] - exact) / se[p] : 0
        if (p == "sdekit-1t") {
          r = "(base)"; rc = "(base)"
        } else if (p == "sdekit-2t") {
          r = sprintf("x%.2f", pw["paired-scaling"])
          rc = sprintf("x%.2f", pc["paired-scaling"])
        } else {
          r = sprintf("%.2fx", base / rate[p]); rc = sprintf("%.2fx", basec / cpu[p])
        }
        printf "%-10s %13.4g %10s %13.4g %10s %12.6g %6.2f  %s\n", p, rate[p], \
          r, cpu[p], rc, mean[p], z, note[p]
      }
      printf "  sdekit is: sdekit-1t rate / peer rate, one thread each; per CPU-s:"
      printf " per second of process CPU time (steadier on a busy machine)\n"
      printf "  sdekit-2t: two threads; x = 2t/1t, median over blocks, each 1t"
      printf " block followed by the same 2t block\n"
      printf "  z = (mean - exact) / SE: |z| < 3 says the peer ran the same ensemble\n"
      for (i = 1; i <= nc; i++) print "  " comments[i]
      printf "limit: sde_rng_sample fill, normals/s (wall, CPU): %.4g, %.4g (256x64 blocks, as bench_normals);\n", \
        nrm["normals-256x64"], nrmc["normals-256x64"]
      printf "  %.4g, %.4g (engine block shape); %.4g, %.4g (between the sdekit blocks)\n", \
        nrm["normals-engine"], nrmc["normals-engine"], pw["paired-fill"], pc["paired-fill"]
      printf "  sdekit-1t cost per path-step / cost of its %d normal%s = %.2f (wall), %.2f (CPU)\n", \
        d, (d > 1 ? "s" : ""), pw["paired-cost"], pc["paired-cost"]
      printf "  (median over blocks of fill rate / (%d x path-step rate), paired)\n", d
      if (d == 1)
        printf "  goal <= 1.3: %s\n", \
          (pw["paired-cost"] <= 1.3 || pc["paired-cost"] <= 1.3 ? "MET" : "MISSED")
      else
        printf "  (no goal for d > 1: the dense H x costs %d multiply-adds per path-step)\n", d * d
      printf "  unpaired, against the separately timed fills (wall): %.2f (256x64), %.2f (engine shape)\n", \
        nrm["normals-256x64"] / (d * base), nrm["normals-engine"] / (d * base)
    }' "$out"
}

echo "  ($(nproc 2>/dev/null || echo '?') cores, $(load) before the run:"
echo "   other work on the machine disturbs the rates and the 2-thread scaling)"
if [ "${skip#* ensemble }" = "$skip" ]; then
  echo "== 1. one SGD ensemble x' = x - eta (H x + sigma xi): path-steps/s =="
  ensemble_case 1d "quadratic:h=1" "$n1" 1
  ensemble_case 10d "quadratic:d=10,cond=10,seed=1" "$n10" 10
fi

# ---- 3: time to the default sde-compare table ----
if [ "${skip#* table }" != "$skip" ]; then
  exit 0
fi
echo
echo "== 3. time to the default sde-compare table (double well, SGD and"
echo "   SGDM vs SME-1, eta 2^-3..2^-9, CI within 10%), one core =="
# In a build tree sde-compare is a libtool wrapper script that costs about
# 0.2 s per start: time the real binary, as an installed one would run.
cmpdir=$(dirname "$cmp") cmpbase=$(basename "$cmp")
cmdline=$cmp
if sed -n 1,5p "$cmp" 2>/dev/null | grep -q 'wrapper script' \
   && [ -x "$cmpdir/.libs/$cmpbase" ] \
   && LD_LIBRARY_PATH="$cmpdir/../lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      "$cmpdir/.libs/$cmpbase" --version > /dev/null 2>&1; then
  LD_LIBRARY_PATH="$cmpdir/../lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  cmdline="$cmpdir/.libs/$cmpbase"
fi
echo "  (timing $cmdline --threads=1)"
# Median wall time of 3 runs, so start-up counts; the table of the first.
time_compare () {
  for t in 1 2 3; do
    t0=$(wall)
    "$cmdline" --threads=1 -f csv "$@" > "$tmp/cmp$t.csv"
    t1=$(wall)
    echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
  done | sort -g | sed -n 2p
}
# Start-up costs, to report the times with and without them: sde-compare's
# (an MPI build, for one, pays for MPI's initialization at every start) and
# Python's with numpy imported.
time_start () {
  for t in 1 2 3; do
    t0=$(wall)
    "$@" > /dev/null 2>&1 || true
    t1=$(wall)
    echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
  done | sort -g | sed -n 2p
}
sdk_start=$(time_start "$cmdline" --version)
py_start=$(time_start "$py" -c 'import numpy')
# sde-compare's own timing of its work (the per-eta seconds of its table,
# at full precision in JSON), summed over the etas: the median of 3 runs.
compute_compare () {
  for t in 1 2 3; do
    "$cmdline" --threads=1 -f json "$@" | "$py" -c '
import json, sys
t = json.load(sys.stdin)["errors"]
print("%.6f" % sum({r["eta"]: r["seconds"] for r in t}.values()))'
  done | sort -g | sed -n 2p
}
sdk_full=$(time_compare)
sdk_full_c=$(compute_compare)
for t in 1 2 3; do
  if ! grep -q '^eta,method,' "$tmp/cmp$t.csv"; then
    echo "run-sgd.sh: $cmdline failed (no table in its output)" >&2
    exit 1
  fi
done
cp "$tmp/cmp1.csv" "$tmp/sdekit-full.csv"
if [ $have_numpy = 0 ]; then
  echo "# numpy not importable by $py: no time-to-table comparison"
  exit 0
fi
"$py" "$here/table_numpy.py" --budget "$budget" \
  --sdekit-csv "$tmp/sdekit-full.csv" > "$tmp/numpy-table.txt"
measured=$(awk '$1 == "numpy-table" && $2 == "measured_etas" { print $3 }' \
  "$tmp/numpy-table.txt")
sdk_sub=nan sdk_sub_c=nan
if [ "$measured" != none ]; then
  sdk_sub=$(time_compare --eta="$measured")
  sdk_sub_c=$(compute_compare --eta="$measured")
fi
grep -v '^numpy-' "$tmp/numpy-table.txt" | sed 's/^/  /'
awk -v full="$sdk_full" -v subt="$sdk_sub" -v measured="$measured" \
    -v budget="$budget" -v s0="$sdk_start" -v p0="$py_start" \
    -v fullc="$sdk_full_c" -v subc="$sdk_sub_c" '
  FNR == 1 { file++ }
  file == 1 && /^eta,method/ {
    hdr = 1; nh = split($0, h, ",")
    for (i = 1; i <= nh; i++) col[h[i]] = i
    next
  }
  file == 1 && hdr && NF == 0 { hdr = 0 }
  file == 1 && hdr {
    split($0, c, ",")
    key = sprintf("%.6g %s", c[col["eta"]], c[col["method"]])
    e_sdk[key] = c[col["error"]]; se_sdk[key] = c[col["se"]]
    # sdekit half-widths use its simultaneous critical value ci_z.
    z_sdk[key] = (col["ci_z"] && c[col["ci_z"]] != "") ? c[col["ci_z"]] : 1.96
    st = c[col["stop"]]
    if (st != "target" && st != "small") sdk_miss = sdk_miss " " key "(" st ")"
    keys[++nk] = key
    next
  }
  file == 2 && $1 == "numpy-row" {
    key = sprintf("%.6g %s", $2, $3); e_np[key] = $4; se_np[key] = $5
    stop_np[key] = $6
  }
  file == 2 && $1 == "numpy-eta" {
    neta++
    if ($3 == "target") { tsum += $4 } else { proj_list = proj_list " " $2 }
    psum += $5
  }
  END {
    printf "\n%-24s %12s %10s %12s %10s %8s\n", "eta method", "sdekit e", \
      "95% CI", "numpy e", "95% CI", "numpy"
    for (i = 1; i <= nk; i++) {
      k = keys[i]
      printf "%-24s %12.4e %10.2e %12.4e %10.2e %8s\n", k, e_sdk[k], \
        z_sdk[k] * se_sdk[k], e_np[k], 1.96 * se_np[k], stop_np[k]
    }
    printf "(numpy rows stopped by budget/cap do not meet the CI target; their e is shown as measured)\n"
    printf "\n%-28s %11s %11s %10s   %11s %11s %10s\n", "time to table (s)", \
      "sdekit", "numpy", "sdekit is", "sdekit", "numpy", "sdekit is"
    printf "%-28s %34s   %34s\n", "", "--- wall, with start-up ---", \
      "----- compute only -----"
    if (measured != "none") {
      ra = (tsum + p0) / subt; rb = tsum / subc
      printf "%-28s %11.3f %11.2f %9.0fx   %11.3f %11.2f %9.0fx\n", \
        "subset, both measured (a)", subt, tsum + p0, ra, subc, tsum, rb
    }
    rc = (psum + p0) / full; rd = psum / fullc
    printf "%-28s %11.3f %11.4g %9.0fx   %11.3f %11.4g %9.0fx\n", \
      "full grid 2^-3..2^-9 (b)", full, psum + p0, rc, fullc, psum, rd
    printf "  wall: sde-compare --threads=1 as a process, median of 3 runs (its start-up alone, --version: %.3f s);\n", s0
    printf "    numpy: the script'"'"'s own timing plus python3 start-up with numpy imported (%.3f s)\n", p0
    printf "  compute only: the per-eta seconds sde-compare reports (median of 3 runs), and the script'"'"'s own timing\n"
    printf "  (a) the etas where numpy reached the CI target within the budget: %s\n", measured
    printf "  (b) numpy PROJECTED, not run, for eta =%s\n", (proj_list == "" ? " (none)" : proj_list)
    printf "  sdekit: sde-compare --threads=1, median wall time of 3 runs, every row"
    printf " %s\n", (sdk_miss == "" ? "stopped at the CI target" : "NOT at target:" sdk_miss)
    printf "  numpy: one run of bench/table_numpy.py (independent samples, weak-2 SDE"
    printf " on 4 substeps, budget %g s per eta);\n", budget
    printf "  a projected eta is N_needed x measured seconds per path, N_needed from"
    printf " numpy'"'"'s own variances and sdekit'"'"'s |e| (CI +-10%%, so N +-20%%)\n"
    ok = rc >= 50 && (measured == "none" || ra >= 50)
    okw = rd >= 50 && (measured == "none" || rb >= 50)
    printf "  goal: sdekit >= 50x faster: wall with start-up %s, compute only %s\n", \
      (ok ? "MET" : "MISSED"), (okw ? "MET" : "MISSED")
  }' "$tmp/sdekit-full.csv" "$tmp/numpy-table.txt"
echo "  ($(load) after the run)"
