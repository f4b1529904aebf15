#!/bin/sh
# calibration.sh [SEEDS] [SDE-COMPARE]: over SEEDS seeds (default 200), how
# well the 95% CIs of sde-compare's Monte Carlo weak errors are calibrated
# against the exact weak error of SGD against SME-1 on a 1-D quadratic
# (MATH.md section 5), for E x and E x^2, with the error taken as the
# maximum over the 8 steps (MATH.md 8.2: t_max is chosen on pilot paths,
# e estimated on independent ones).  For each observable it prints
#   calibration OBS covered=C of=N mean_z=M sum_z2=S
# with z = (e - e_exact(t_max)) / SE.  A calibrated, unbiased estimator has
# C ~ Binomial(N, 0.95), mean z ~ N(0, 1/N) and sum z^2 ~ chi^2(N).
#
# L = x^2/2, Gaussian noise S = 1, tau = 0.5, x0 = 1, eta = 1/8, T = 1:
#   SGD:  E x_k = (1 - eta)^k,
#         Var x_k = eta tau (1 - (1 - eta)^(2k)) / (1 - (1 - eta)^2),
#   SDE:  E X_t = e^-t,  Var X_t = tau (1 - e^(-2t)) / 2,  t = k eta.
# The reference is solved with 64 weak order-2 substeps per step, so its own
# error (about 1e-7) is far below the SE (about 3e-3 with 256 paths).
set -eu
seeds=${1:-200}
# The tool: the second argument, else SDEKIT_BIN's or PATH's.
if [ -n "${2:-}" ]; then
  tool=$2
elif [ -n "${SDEKIT_BIN:-}" ]; then
  tool=$SDEKIT_BIN/sde-compare
else
  tool=sde-compare
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
s=1
while [ "$s" -le "$seeds" ]; do
  # A failing run stops the script: a pipe into awk would hide it.
  "$tool" --problem=quadratic:h=1,s=1,x0=1 --methods=sgd --tau=0.5 --eta=0.125 \
    --horizon=1 --checkpoints=every --observable=x0,norm2 --paths=256 --target-ci=0 \
    --reference=sme1:scheme=weak2,substeps=64 --engine=mc --seed="$s" \
    --threads=1 --format=csv >"$tmp/t.csv"
  grep '^0.125,' "$tmp/t.csv" >>"$tmp/rows" || {
    echo "calibration: seed $s: no rows in the table" >&2
    exit 1
  }
  s=$((s + 1))
done
# Columns by name, from the header of the last table.
awk -F, '
  NR == FNR { if ($1 == "eta") for (i = 1; i <= NF; i++) col[$i] = i; next }
  {
    eta = 0.125; tau = 0.5; t = $col["t_max"]; k = t / eta
    q = (1 - eta)^k; m = q; v = eta * tau * (1 - q^2) / (1 - (1 - eta)^2)
    M = exp(-t); V = tau * (1 - exp(-2 * t)) / 2
    ex = ($3 == "x0") ? m - M : (v + m * m) - (V + M * M)
    e = $col["error"]; se = $col["se"]
    n[$3]++
    cov[$3] += ($col["ci_lo"] <= ex && ex <= $col["ci_hi"])
    z = (e - ex) / se; sz[$3] += z; sz2[$3] += z * z
  }
  END {
    for (o in n)
      printf "calibration %s covered=%d of=%d mean_z=%.4f sum_z2=%.2f\n", o, cov[o], n[o], sz[o] / n[o], sz2[o]
  }' "$tmp/t.csv" "$tmp/rows" | sort
