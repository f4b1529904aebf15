#!/bin/sh
# calibration.sh [SEEDS] [SDE-COMPARE]: over SEEDS seeds (default 200), the
# fraction of runs whose 95% CI covers the exact weak error of SGD against
# SME-1 on a 1-D quadratic (MATH.md section 5), for E x and E x^2.  A
# calibrated interval covers 95% of the time: 93-97% at 200 seeds.
#
# L = x^2/2, Gaussian noise S = 1, tau = 0.5, x0 = 1, eta = 1/8, T = 1:
#   SGD:  E x_N = (1 - eta)^N,
#         Var x_N = eta tau (1 - (1 - eta)^(2N)) / (1 - (1 - eta)^2),
#   SDE:  E X_T = e^-T,  Var X_T = tau (1 - e^(-2T)) / 2.
# The reference is solved with 64 weak order-2 substeps per step, so its own
# error (about 1e-7) is far below the SE (about 3e-3 with 256 paths).
set -eu
seeds=${1:-200}
# The tool: the second argument, else SDEKIT_BIN's or the build tree's
# (as common.sh finds them), else PATH's.
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${2:-}" ]; then
  tool=$2
elif [ -n "${SDEKIT_BIN:-}" ]; then
  tool=$SDEKIT_BIN/sde-compare
elif [ -x "$here/../../build/tools/sde-compare" ]; then
  tool=$here/../../build/tools/sde-compare
else
  tool=sde-compare
fi
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.csv"' EXIT
awk_exact='BEGIN {
  eta = 0.125; N = 8; tau = 0.5; q = (1 - eta)^N
  m = q; v = eta * tau * (1 - q^2) / (1 - (1 - eta)^2)
  M = exp(-1); V = tau * (1 - exp(-2)) / 2
  printf "%.17g %.17g\n", m - M, (v + m * m) - (V + M * M)
}'
exact=$(awk "$awk_exact")
ex=${exact% *}
ex2=${exact#* }
covered=0
covered2=0
s=1
while [ "$s" -le "$seeds" ]; do
  # A failing run stops the script: a pipe into awk would hide it.
  "$tool" --problem=quadratic:h=1,s=1,x0=1 --methods=sgd --tau=0.5 --eta=0.125 \
    --horizon=1 --checkpoints=1 --observable=x0,norm2 --paths=256 --target-ci=0 \
    --reference=sme1:scheme=weak2,substeps=64 --engine=mc --seed="$s" \
    --threads=1 --format=csv >"$tmp.csv"
  awk -F, -v ex="$ex" -v ex2="$ex2" '
      $1 == 0.125 && $3 == "x0"    { c1 = ($9 <= ex && ex <= $10); n++ }
      $1 == 0.125 && $3 == "norm2" { c2 = ($9 <= ex2 && ex2 <= $10); n++ }
      END { if (n != 2) exit 1; print c1 + 0, c2 + 0 }' "$tmp.csv" >"$tmp" || {
    echo "calibration: seed $s: no x0 and norm2 rows in the table" >&2
    exit 1
  }
  read -r a b <"$tmp"
  covered=$((covered + a))
  covered2=$((covered2 + b))
  s=$((s + 1))
done
echo "exact weak errors: E x $ex, E x^2 $ex2"
awk -v c="$covered" -v c2="$covered2" -v n="$seeds" 'BEGIN {
  printf "coverage of the 95%% CI over %d seeds: E x %.1f%%, E x^2 %.1f%%\n", n, 100 * c / n, 100 * c2 / n }'
