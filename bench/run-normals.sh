#!/bin/sh
# bench/run-normals.sh: normals per second, sdekit against its peers, in one
# run on one core; prints rates and the ratios the README quotes.
set -eu
bin=${1:-bench/bench_normals}
py=${PYTHON3_SYSTEM:-/usr/bin/python3}
here=$(dirname "$0")
n=${SDE_BENCH_N:-50000000}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$bin" "$n" > "$tmp"
if "$py" -c 'import numpy' 2>/dev/null; then
  "$py" "$here/numpy_normals.py" "$n" >> "$tmp"
else
  echo "# numpy not importable by $py: install python3-numpy" >> "$tmp"
fi
awk '
  /^#/ { print; next }
  { rate[$1] = $2; order[++k] = $1 }
  END {
    printf "%-24s %14s %12s\n", "generator", "normals/s", "sdekit is";
    for (i = 1; i <= k; i++) {
      name = order[i]
      printf "%-24s %14.4g %11.2fx\n", name, rate[name], rate["sdekit"] / rate[name]
    }
    printf "# goals: >= 3x gsl-mt19937-ziggurat, >= 4x numpy, within 1.5x of the limit\n"
  }' "$tmp"
