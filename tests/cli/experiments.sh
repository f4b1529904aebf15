#!/bin/sh
# The experiments of doc/REPRODUCE.md at reduced sizes (the scripts'
# --quick mode): SGD's order 1 against SME-1 and order 2 against SME-2,
# SGDM against SGD for alpha = 0, 0.5, 1, the slow SDE, SVAG's 1/l, the
# coupling's variance reduction and the calibration of the CIs.
. "${top_srcdir:-.}/tests/cli/lib.sh"
c="$tools/sde-compare"

# field TABLE COLUMN: the column of the first row of a JSON report's table.
field () {
  python3 -c 'import json,sys
d = json.load(sys.stdin)
r = d[sys.argv[1]][0][sys.argv[2]]
print("" if r is None else r)' "$1" "$2"
}
within () { awk -v x="$1" -v p="$2" -v q="$3" 'BEGIN { exit !(x != "" && x - p <= q && p - x <= q) }'; }

# 1. The claims of doc/REPRODUCE.md in the scripts' quick mode: each
#    checks its orders with the tool's --expect-order and ends with
#    "N claims held, 0 failed"; the tables go to --out (the source tree and
#    the current directory stay clean).
ex=$top_srcdir/data/experiments
for script in sgd-vs-sme1 exact-lte momentum density slow; do
  if (cd "$tmpdir" && SDEKIT_BIN=$tools "$ex/$script.sh" --quick --out="$tmpdir/res") >"$tmpdir/$script.log" 2>&1 &&
    grep -q '^[1-9][0-9]* claims held, 0 failed$' "$tmpdir/$script.log"; then pass; else
    fail "$script.sh --quick: $(grep -e 'CLAIM FAILED' -e 'claims held' -e 'failed with status' -e 'sde-' "$tmpdir/$script.log" | tail -5)"
  fi
done
[ -f "$tmpdir/res/slow-sgd.md" ] && [ ! -e "$tmpdir/sdekit-results" ] && pass ||
  fail "the experiments did not write where --out said"
# A bad argument is a usage error.
"$ex/svag.sh" --fast >/dev/null 2>"$tmpdir/err"
[ $? -eq 2 ] && grep -q -- "--fast" "$tmpdir/err" && pass || fail "svag.sh --fast: $(cat "$tmpdir/err")"

# 2. SVAG(l) against SME-1 at fixed eta: error ~ 1/l.
p=$("$c" --methods=svag:l=1,sgd,svag:l=2,sgd,svag:l=4,sgd,svag:l=8,sgd,svag:l=16,sgd \
      --eta=2^-3 --checkpoints=1 --target-ci=0 --paths=100000 --format=json |
    field svag_fits order_in_1/l)
within "$p" 1 0.15 && pass || fail "SVAG: order in 1/l $p, want ~1"

# 3. Coupled against independent on the default table at eta = 2^-8: the
#    variance-reduction factor of SGD's row exceeds 10.
"$c" --eta=2^-8 --target-ci=0 --paths=20000 --format=csv >"$tmpdir/vrf.csv"
# col FILE NAME: the index of column NAME of the errors table.
col () { awk -F, -v n="$2" '/^eta,/ { for (i = 1; i <= NF; i++) if ($i == n) { print i; exit } }' "$1"; }
v=$(awk -F, -v k="$(col "$tmpdir/vrf.csv" vrf)" '$1 == 0.00390625 && $2 == "sgd" { print $k }' "$tmpdir/vrf.csv")
awk -v v="$v" 'BEGIN { exit !(v > 10) }' && pass || fail "VRF of SGD at 2^-8 is $v"
# ... and it agrees with the ratio of the independent estimator's variance
#    to the coupled one within a factor 2 (different samples, and the time
#    of the maximum may differ).
"$c" --eta=2^-8 --target-ci=0 --paths=20000 --estimator=independent --format=csv >"$tmpdir/ind.csv"
si=$(awk -F, -v k="$(col "$tmpdir/ind.csv" se)" '$1 == 0.00390625 && $2 == "sgd" { print $k }' "$tmpdir/ind.csv")
sc=$(awk -F, -v k="$(col "$tmpdir/vrf.csv" se)" '$1 == 0.00390625 && $2 == "sgd" { print $k }' "$tmpdir/vrf.csv")
awk -v si="$si" -v sc="$sc" -v v="$v" 'BEGIN { r = (si / sc)^2; exit !(r > 0.5 * v && r < 2 * v) }' && pass ||
  fail "independent/coupled variance ratio $si/$sc vs VRF $v"

# 4. Calibration: over 200 seeds the 95% CIs of E x and E x^2 (error the
#    maximum over 8 steps) against the exact weak errors at t_max.  A
#    calibrated interval covers Binomial(200, 0.95) times: 179..198 holds
#    with probability 0.999.  The estimate is unbiased, |mean z| < 3.29 /
#    sqrt(200), and the intervals are neither too narrow nor too wide:
#    sum z^2 ~ chi^2(200) lies in 141..272 with probability 0.999.
out=$("$top_srcdir/data/experiments/calibration.sh" 200 "$c") || fail "calibration.sh failed"
for o in x0 norm2; do
  echo "$out" | awk -v o="$o" '$1 == "calibration" && $2 == o {
      split($3, c, "="); split($5, m, "="); split($6, q, "=")
      found = 1; ok = c[2] >= 179 && c[2] <= 198 && (m[2] < 0 ? -m[2] : m[2]) < 3.29 / sqrt(200) && q[2] >= 141 && q[2] <= 272 }
    END { exit !(found && ok) }' && pass || fail "calibration of $o: $out"
done

finish
