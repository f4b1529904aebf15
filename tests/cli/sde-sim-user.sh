#!/bin/sh
# sde-sim on an SDE from expressions: GBM's exact moments, Euler-Maruyama's
# own closed-form mean, a scheme list, the provenance read back, Milstein's
# refusal of non-commutative noise, and bad input (one line naming the
# option, status 2, no output file).
. "${top_srcdir:-.}/tests/cli/lib.sh"
sim="$tools/sde-sim"

# GBM dX = 1.01 X dt + 0.87 X dW from 1/2 with E X and E X^2.
GBM="--drift=1.01*x0 --diffusion=0.87*x0 --x0=0.5"
MOM="--moments=x0: x0*exp(1.01*t); x0^2: x0^2*exp((2*1.01 + 0.87^2)*t)"
"$sim" $GBM "$MOM" --scheme=em,weak2 --step=0.05 --paths=20000 --format=csv \
  --output="$tmpdir/g.csv" || fail "gbm run"
csv_cols "$tmpdir/g.csv" process t observable mean se_mean exact_mean var \
  exact_var z_mean z_var >"$tmpdir/g.tsv"
# weak2 (bias O(h^2) = 0.0025): the mean of x0 and x0^2 within 4 SE of the
# exact moments, and the variance of x0 within 4 SE of the exact variance
# x0^2 e^{2lt} (e^{m^2 t} - 1).
awk -F'\t' '$1 == "weak2" { n++
    z = $9 < 0 ? -$9 : $9; if (z > 4) { print "mean: " $0; bad = 1 }
    if ($3 == "x0") { zv = $10 < 0 ? -$10 : $10
      want = 0.25 * exp(2.02 * $2) * (exp(0.7569 * $2) - 1)
      d = $8 - want; if (d < 0) d = -d
      if (zv > 4 || d > 1e-12 * want) { print "var: " $0; bad = 1 } } }
  END { exit bad || n != 8 }' "$tmpdir/g.tsv" && pass ||
  fail "weak2's moments are not within 4 SE of GBM's: $(cat "$tmpdir/g.tsv")"
# Euler-Maruyama's bias resolved: its mean of x0 within 4 SE of its own
# closed form x0 (1 + l h)^(t/h), not of the SDE's (|z| > 2 at t = 1).
awk -F'\t' '$1 == "em" && $3 == "x0" { n++
    want = 0.5 * (1 + 1.01 * 0.05) ^ ($2 / 0.05)
    d = $4 - want; if (d < 0) d = -d
    if (d > 4 * $5) { print; bad = 1 }
    if ($2 == 1 && !($9 < -2)) { print "z at t = 1: " $9; bad = 1 } }
  END { exit bad || n != 4 }' "$tmpdir/g.tsv" && pass ||
  fail "em's mean is not its closed form: $(grep '^em' "$tmpdir/g.tsv")"

# The provenance's sde: line (as text prints it) reads back to the same
# table.
"$sim" $GBM "$MOM" --paths=2 >"$tmpdir/g.txt" || fail "provenance run"
spec=$(sed -n 's/^# sde: //p' "$tmpdir/g.txt")
case $spec in
  sde:drift=1.01\*x0,diffusion=0.87\*x0,x0=0.5,moments=*) pass ;;
  *) fail "provenance sde: '$spec'" ;;
esac
"$sim" --sde="$spec" --scheme=em,weak2 --step=0.05 --paths=20000 --format=csv |
  grep -v '^# command' >"$tmpdir/back.csv"
grep -v '^# command' "$tmpdir/g.csv" | cmp -s - "$tmpdir/back.csv" && pass ||
  fail "--sde=<the provenance's sde> gives another table"

# --observable by name: x0 gets the moment of "x0", x0x0 none.
"$sim" $GBM "$MOM" --observable=x0,x0x0 --paths=1000 --times=1 --format=csv \
  >"$tmpdir/o.csv" || fail "--observable run"
csv_cols "$tmpdir/o.csv" observable exact_mean >"$tmpdir/o.tsv"
printf 'x0\t1.3728005075084582\nx0x0\t\n' | numdiff "$tmpdir/o.tsv" - 1e-12 >/dev/null &&
  pass || fail "observables' exact means: $(cat "$tmpdir/o.tsv")"

# A 2-D Stratonovich rotation keeps x0^2 + x1^2 = 1: weak2 within 4 SE of
# 1 is not asked (its bias is resolved); the converted drift is printed.
"$sim" --drift='-x1, x0' --diffusion='[-x1; x0]' --stratonovich --x0=1,0 \
  --moments='x0^2 + x1^2: x0^2 + x1^2' --scheme=weak2 --step=0.01 \
  --paths=500 >"$tmpdir/s.txt" && grep -q 'form=stratonovich' "$tmpdir/s.txt" &&
  pass || fail "stratonovich run"

# Milstein on dX0 = dW0, dX1 = X0 dW1 (not commutative): refused.
expect_usage sde-sim --drift=0,0 --diffusion='[1,0;0,x0]' --scheme=milstein \
  --output="$tmpdir/m.txt"
expect_mentions "--scheme: milstein needs commutative noise"
expect_mentions "non-commutative"
expect_mentions "(L^0 b_1 - L^1 b_0)_1"
[ ! -e "$tmpdir/m.txt" ] && pass || fail "output left by a refused scheme"
# em on it runs.
"$sim" --drift=0,0 --diffusion='[1,0;0,x0]' --scheme=em,weak2 --paths=500 \
  --observable=x0,x1 >/dev/null && pass || fail "em on non-commutative noise"

# Bad input.
bad () {
  _want=$1
  shift
  expect_usage sde-sim "$@" --output="$tmpdir/bad.txt"
  expect_mentions "$_want"
  if ls "$tmpdir"/bad.txt* >/dev/null 2>&1; then fail "output left by: $*"; else pass; fi
}
bad "--drift: unknown variable 'y' at position 6" --drift='x0 + y' --diffusion=1
bad "--drift" --drift='x0 +' --diffusion=1
bad "--diffusion: 3 rows, but the drift has d = 2" --drift=x0,x1 --diffusion='[1;2;3]'
bad "--diffusion" --drift=x0 --diffusion='[1,x2]'
bad "--moments" --drift=x0 --diffusion=1 --moments='x0: x0*exp(2*t)'
bad "--moments" --drift=x0 --diffusion=1 --moments='x0 x0*exp(t)'
bad "--x0: needs 1 or 2 values" --drift=x0,x1 --diffusion=1 --x0=1,2,3
bad "--drift: an SDE needs both" --diffusion=1
bad "--moments applies to an SDE given by --drift" --moments='x0: x0'
bad "--stratonovich applies to an SDE given by --drift" --stratonovich
bad "choose one" --drift=x0 --diffusion=1 --problem=doublewell
bad "--sde: --sde and --drift" --drift=x0 --diffusion=1 --sde=gbm
bad "--x0: the SDE is given as text" --sde='sde:drift=x0,diffusion=1' --x0=1
bad "--x0 applies to optimizers" --sde=gbm --x0=2
bad "--scheme" --drift=x0 --diffusion=1 --scheme=em,rk4
bad "--observable" --drift=x0 --diffusion=1 --observable=x1
bad "--eta applies to optimizers" --drift=x0 --diffusion=1 --eta=0.1
# The loss's noise: a covariance that is not square, or not positive
# semidefinite at x0, names --noise-cov; a factor of the wrong shape
# --noise-factor.
bad "--noise-cov: a 2 x 3 matrix" --loss='x0^2 + x1^2' --noise-cov='[1,0,0;0,1,0]'
bad "--noise-cov: not positive semidefinite at x0" --loss='x0^2 + x1^2' --noise-cov='[1,2;2,1]'
bad "--noise-cov: not symmetric" --loss='x0^2 + x1^2' --noise-cov='[1,2;3,1]'
bad "--noise-factor" --loss='x0^2 + x1^2' --noise-factor='[1,2,3]'

finish
