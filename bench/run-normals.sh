#!/bin/sh
# bench/run-normals.sh: normals per second, sdekit against its peers on one
# core, in R rounds: each round runs bench_normals (its contestants take
# turns trial by trial) and then numpy, so every peer alternates with
# sdekit; prints the median rates and the median of the per-round ratios
# with their range.
set -eu
bin=${1:-bench/bench_normals}
py=${PYTHON3_SYSTEM:-/usr/bin/python3}
here=$(dirname "$0")
n=${SDE_BENCH_N:-50000000}
rounds=${SDE_BENCH_ROUNDS:-5}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
have_numpy=0
"$py" -c 'import numpy' 2>/dev/null && have_numpy=1
for r in $(seq "$rounds"); do
  "$bin" "$n" 1 | awk -v r="$r" '$1 == "trial" { print r, $2, $3 } /^#/ && r == 1'
  if [ $have_numpy = 1 ]; then
    "$py" "$here/numpy_normals.py" "$n" | awk -v r="$r" '{ print r, $1, $2 }'
  fi
done >"$tmp"
[ $have_numpy = 1 ] || echo "# numpy not importable by $py: install python3-numpy" >>"$tmp"
awk '
  /^#/ { print; next }
  { rate[$2, $1] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } rounds[$1] = 1 }
  function med(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "%-24s %14s %12s %20s\n", "generator", "normals/s", "sdekit is", "range over rounds"
    for (i = 1; i <= k; i++) {
      name = order[i]; n = 0; delete rr; delete q
      for (r in rounds) if ((name, r) in rate) { rr[++n] = rate[name, r]; q[n] = rate["sdekit", r] / rate[name, r] }
      m = med(rr, n); lo = q[1]; hi = q[1]
      for (j = 1; j <= n; j++) { if (q[j] < lo) lo = q[j]; if (q[j] > hi) hi = q[j] }
      printf "%-24s %14.4g %11.2fx %9.2f..%.2f\n", name, m, med(q, n), lo, hi
    }
    printf "# median of %d rounds; sdekit is: median of the ratios within a round\n", length(rounds)
    printf "# goals: >= 3x gsl-mt19937-ziggurat, >= 4x numpy, within 1.5x of philox-simd-bits (ratio >= 0.67)\n"
    printf "# philox-simd-ziggurat: the same SIMD bits through a vectorised ziggurat (bench/ziggurat.c), a peer for the transform\n"
  }' "$tmp"
