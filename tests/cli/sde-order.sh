#!/bin/sh
# sde-order on the literature's test problems posed as expressions with
# known solutions: the measured orders (--expect-order, tolerances stated
# below), the errors against their closed forms in SEs, Milstein's refusal
# of non-commutative noise, every format and figure, and bad input.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ord="$tools/sde-order"

# GBM with little noise, dX = 1.5 X dt + 0.1 X dW from 0.1 (Roessler's
# diagonal test in one dimension): the asymptotic regime from h = 1/8.
GBM="--drift=1.5*x0 --diffusion=0.1*x0 --x0=0.1"
GBMX="--exact=x0*exp(1.495*t+0.1*W)"
# Euler-Maruyama's weak order 1: the fit's 95% interval within 1 +- 0.1.
"$ord" $GBM "$GBMX" --schemes=em --kind=weak --steps=2^-3:2^-7 --paths=4000 \
  --expect-order=1 --tolerance=0.1 --format=csv --output="$tmpdir/em.csv" &&
  pass || fail "em: weak order 1 (exit $?)"
# The test can fail: the same run is not of order 2.
"$ord" $GBM "$GBMX" --schemes=em --kind=weak --steps=2^-3:2^-7 --paths=4000 \
  --expect-order=2 --tolerance=0.1 >/dev/null 2>"$tmpdir/err"
st=$?
[ "$st" -eq 3 ] && grep -q "em x0: order 0.9" "$tmpdir/err" && pass ||
  fail "--expect-order=2 on em: exit $st: $(cat "$tmpdir/err")"
# Every row within 4 SE of Euler-Maruyama's exact weak error x0 ((1 + l h)^N
# - e^{l T}) (MATH.md section 7); the errors are negative and fall with h.
csv_cols "$tmpdir/em.csv" h observable error se >"$tmpdir/em.tsv"
awk -F'\t' 'BEGIN { bad = 0 }
  $2 == "x0" { n++; N = 1 / $1; want = 0.1 * ((1 + 1.5 * $1) ^ N - exp(1.5))
    d = $3 - want; if (d < 0) d = -d
    if (d > 4 * $4) { print "h=" $1 ": " $3 " vs " want " (SE " $4 ")"; bad = 1 } }
  END { if (n != 5) { print n " rows"; bad = 1 } exit bad }' "$tmpdir/em.tsv" &&
  pass || fail "em's weak errors are not within 4 SE of the closed form"
# weak2's weak order 2 within 2 +- 0.1.
"$ord" $GBM "$GBMX" --schemes=weak2 --kind=weak --steps=2^-3:2^-7 \
  --paths=4000 --expect-order=2 --tolerance=0.1 >/dev/null &&
  pass || fail "weak2: weak order 2"

# Strong orders on GBM dX = 1.01 X dt + 0.87 X dW from 1/2 (SciML's
# prob_sde_linear): Euler-Maruyama 1/2 within 0.05, Milstein 1 within 0.1.
SGBM="--drift=1.01*x0 --diffusion=0.87*x0 --x0=0.5"
SGBMX="--exact=x0*exp((1.01-0.87^2/2)*t+0.87*W)"
"$ord" $SGBM "$SGBMX" --schemes=em --kind=strong --steps=2^-3:2^-8 \
  --paths=5000 --expect-order=0.5 --tolerance=0.05 >/dev/null &&
  pass || fail "em: strong order 1/2"
"$ord" $SGBM "$SGBMX" --schemes=milstein --kind=strong --steps=2^-3:2^-8 \
  --paths=5000 --expect-order=1 --tolerance=0.1 >/dev/null &&
  pass || fail "milstein: strong order 1"
# The exact solution's mean of x0 and x0^2 against their exact moments
# (the catalog's GBM, posed as expressions): |z| < 4 in the check notes.
"$ord" --sde=gbm:lambda=1.01,mu=0.87,x0=0.5 --schemes=em --steps=2^-2:2^-4 \
  --paths=4000 >"$tmpdir/gbm.txt" || fail "catalog gbm run"
n=$(grep -c '^# check: ' "$tmpdir/gbm.txt")
[ "$n" -eq 2 ] && ! grep -q 'warning: check' "$tmpdir/gbm.txt" && pass ||
  fail "gbm: $n check notes, or a warning: $(grep check "$tmpdir/gbm.txt")"
grep -q '^# sde: sde:drift=(1.01)\*x0,diffusion=(0.87)\*x0' "$tmpdir/gbm.txt" &&
  pass || fail "gbm's provenance"

# The 2-D non-commutative dX0 = dW0, dX1 = X0 dW1: E X1(t)^2 = t^2/2 and
# Euler-Maruyama's weak error is exactly -T h/2.
NC="--drift=0,0 --diffusion=[1,0;0,x0]"
"$ord" $NC --schemes=milstein --output="$tmpdir/nc.txt" 2>"$tmpdir/err" >"$tmpdir/out"
st=$?
[ "$st" -eq 2 ] && grep -q -- "--schemes: milstein needs commutative noise" "$tmpdir/err" &&
  grep -q "non-commutative" "$tmpdir/err" && [ ! -e "$tmpdir/nc.txt" ] &&
  [ ! -s "$tmpdir/out" ] && pass ||
  fail "milstein on non-commutative noise: exit $st: $(cat "$tmpdir/err")"
"$ord" $NC "--moments=x1^2: x1^2 + x0^2*t + t^2/2" --schemes=em --kind=weak \
  --steps=2^-1:2^-4 --paths=20000 --format=csv >"$tmpdir/nc.csv" ||
  fail "non-commutative em run"
csv_cols "$tmpdir/nc.csv" h error se against >"$tmpdir/nc.tsv"
awk -F'\t' '{ n++; d = $2 + $1 / 2; if (d < 0) d = -d
    if (d > 4 * $3 || $4 != "moment") { print; bad = 1 } }
  END { exit bad || n != 4 }' "$tmpdir/nc.tsv" && pass ||
  fail "non-commutative: errors not within 4 SE of -h/2: $(cat "$tmpdir/nc.tsv")"
# Without commuting noise the default schemes leave Milstein out, and the
# strong reference is Euler-Maruyama.
"$ord" $NC --steps=2^-1:2^-3 --paths=500 >"$tmpdir/nc2.txt" 2>&1 &&
  grep -q '^# schemes: em (weak 1, strong 0.5), weak2' "$tmpdir/nc2.txt" &&
  grep -q 'strong: against em at h = 0.015625' "$tmpdir/nc2.txt" && pass ||
  fail "default schemes on non-commutative noise: $(head -12 "$tmpdir/nc2.txt")"

# Stratonovich dX = X o dW: X = x0 e^W, Milstein's strong order 1.
"$ord" --drift=0 --diffusion=x0 --stratonovich --x0=1 --exact='x0*exp(W)' \
  --schemes=milstein --kind=strong --steps=2^-3:2^-7 --paths=4000 \
  --expect-order=1 --tolerance=0.1 >"$tmpdir/str.txt" &&
  grep -q 'drift=0,diffusion=x0,x0=1,form=stratonovich' "$tmpdir/str.txt" &&
  pass || fail "stratonovich: milstein strong order 1"

# Kloeden & Platen's reducible test against its exact solution and, for the
# same seed, against the Milstein reference: the strong errors agree within
# 4 SE and the reference's estimated error.
KP="--drift=-(1+0.25*x0)*(1-x0^2) --diffusion=0.5*(1-x0^2) --x0=0.3"
KPX="--exact=((1+x0)*exp(-2*t+W)+x0-1)/((1+x0)*exp(-2*t+W)+1-x0)"
"$ord" $KP "$KPX" --schemes=em --steps=2^-2:2^-4 --paths=2000 --format=csv \
  --kind=strong >"$tmpdir/kp1.csv" &&
  "$ord" $KP --schemes=em --steps=2^-2:2^-4 --paths=2000 --format=csv \
    --kind=strong >"$tmpdir/kp2.csv" || fail "reducible test runs"
csv_cols "$tmpdir/kp1.csv" error se >"$tmpdir/a"
csv_cols "$tmpdir/kp2.csv" error se ref_error against >"$tmpdir/b"
paste "$tmpdir/a" "$tmpdir/b" | awk -F'\t' '{ d = $1 - $3; if (d < 0) d = -d
    r = $5 < 0 ? -$5 : $5
    if (d > 4 * sqrt($2 * $2 + $4 * $4) + r || $6 != "reference") { print; bad = 1 } }
  END { exit bad }' && pass || fail "exact and reference strong errors differ"

# The numbers do not depend on the threads (the seconds do).
for t in 1 2; do
  "$ord" $SGBM "$SGBMX" --steps=2^-2:2^-4 --paths=1000 --threads=$t \
    --format=csv >"$tmpdir/t$t.csv" || fail "threads=$t"
  csv_cols "$tmpdir/t$t.csv" h scheme observable error se >"$tmpdir/t$t"
done
cmp -s "$tmpdir/t1" "$tmpdir/t2" && pass || fail "--threads=1 and 2 differ"

# Formats, the fits file, columns and both figures.
R="$SGBM $SGBMX --steps=2^-2:2^-4 --paths=500"
"$ord" $R --format=json --output="$tmpdir/o.json" --fits="$tmpdir/f.json" &&
  python3 - "$tmpdir/o.json" "$tmpdir/f.json" <<'PY' && pass || fail "json tables"
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["errors"]
assert len(rows) == 3 * 2 * 3 and {"h", "scheme", "seconds"} <= set(rows[0])
assert all(r["seconds"] >= 0 for r in rows)
assert [r["scheme"] for r in d["fits"]] == ["em"] * 2 + ["milstein"] * 2 + ["weak2"] * 2
assert not d["failed"] and d["verdicts"]
f = json.load(open(sys.argv[2]))
assert "errors" not in f and f["fits"][0]["scheme"] == "em"
PY
"$ord" $R --format=csv --fits="$tmpdir/f.csv" >"$tmpdir/o.csv" &&
  head -n 20 "$tmpdir/f.csv" | grep -q '^scheme,observable,theory,' && pass ||
  fail "csv fits file: $(grep -v '^#' "$tmpdir/f.csv" | head -2)"
"$ord" $R --format=md >"$tmpdir/o.md" && grep -q '^| h ' "$tmpdir/o.md" &&
  pass || fail "markdown"
"$ord" $R --format=latex --standalone >"$tmpdir/o.tex" &&
  grep -q 'begin{document}' "$tmpdir/o.tex" && pass || fail "latex"
"$ord" $R --columns=h,scheme,error,seconds >"$tmpdir/c.txt" &&
  grep -q '^h .*scheme .*seconds' "$tmpdir/c.txt" && pass || fail "--columns"
"$ord" $R --plot="$tmpdir/e.tex" --plot-work="$tmpdir/w.tex" >/dev/null &&
  grep -q 'step size' "$tmpdir/e.tex" && grep -q 'seconds' "$tmpdir/w.tex" &&
  pass || fail "--plot and --plot-work (.tex)"
if command -v gnuplot >/dev/null 2>&1; then
  "$ord" $R --plot-work="$tmpdir/w.svg" >/dev/null && grep -q '<svg' "$tmpdir/w.svg" &&
    pass || fail "--plot-work .svg"
fi

# Bad input: one line naming the option, status 2, no output file.
bad () {
  _want=$1
  shift
  expect_usage sde-order "$@" --output="$tmpdir/bad.txt"
  expect_mentions "$_want"
  if ls "$tmpdir"/bad.txt* >/dev/null 2>&1; then fail "output left by: $*"; else pass; fi
}
bad "--drift: unknown variable 'y'" --drift='x0 + y' --diffusion=1
bad "--diffusion: 3 rows, but the drift has d = 2" --drift=x0,x1 --diffusion='[1;2;3]'
bad "--diffusion" --drift=x0 --diffusion='foo(x0)'
bad "--exact: does not solve the SDE" --drift=x0 --diffusion=1 --exact='x0*exp(t)'
bad "--moments" --drift=x0 --diffusion=1 --moments='x0: x0*exp(2*t)'
bad "--x0: needs 1 or 2 values" --drift=x0,x1 --diffusion=1 --x0=1,2,3
bad "--diffusion: an SDE needs both" --drift=x0
bad "--exact applies to an SDE given by --drift" --exact=x0
bad "--sde: --sde and --drift" --sde=gbm --drift=x0 --diffusion=1
bad "--x0: a catalog SDE's start" --sde=gbm --x0=2
bad "--sde" --sde=nosuch
bad "--schemes=rk4" --schemes=rk4
bad "--schemes" --schemes=em,,weak2
bad "--schemes" --schemes=em,em
bad "--steps: h=0.3 does not divide" --steps=0.3,0.1
bad "--steps" --steps=0.5
bad "--steps" --steps=2^-2:2^-40
bad "--steps" --steps=abc
bad "--kind=sideways" --kind=sideways
bad "--observable" --observable=x5
bad "--observable: --kind=strong" --kind=strong --observable=x0
bad "--horizon" --horizon=0
bad "--paths" --paths=1
bad "--expect-order" --expect-order=abc
bad "--columns" --columns=h,bogus
bad "--plot" --plot="$tmpdir/fig.xyz"
bad "--plot-work" --plot-work="$tmpdir/fig.xyz"

finish
