#!/bin/sh
# sde-sim simulating optimizers: equal effective learning rates, thread
# invariance, every noise law, and bad input.
. "${top_srcdir:-.}/tests/cli/lib.sh"
sim="$tools/sde-sim"

# Heavy-ball without lr runs at lr = eta (1 - mu): the same trajectory as
# SGDM at eta (m = (1 - mu) b), so the same rows up to rounding (CSV
# prints every digit).
"$sim" --problem=quadratic:h=1,4 --method=sgdm:beta=0.9,hb:momentum=0.9 --eta=0.05 \
  --paths=4000 --format=csv >"$tmpdir/m.csv" || fail "sgdm/hb run failed"
grep '^sgdm:beta=0.9,' "$tmpdir/m.csv" | cut -d, -f2-7 >"$tmpdir/a"
grep '^hb:momentum=0.9,' "$tmpdir/m.csv" | cut -d, -f2-7 >"$tmpdir/b"
[ -s "$tmpdir/a" ] && numdiff "$tmpdir/b" "$tmpdir/a" 1e-9 && pass || fail "hb rows differ from sgdm rows"

# The numbers do not depend on the thread count.
for t in 1 2; do
  "$sim" --problem=nonconvex2d --method=sgd,svag:l=2,sgd --eta=0.02 --paths=3000 \
    --threads=$t | grep -v '^# command' >"$tmpdir/t$t" || fail "threads=$t failed"
done
cmp -s "$tmpdir/t1" "$tmpdir/t2" && pass || fail "--threads=1 and 2 differ"

# Every noise law on a problem that has it, with its diverged count.
"$sim" --problem=linreg --noise=minibatch:B=8,replace=0 --eta=0.05 --paths=500 >/dev/null && pass || fail "minibatch linreg"
"$sim" --problem=logreg:data=synthetic,n=50,m=3 --noise=minibatch:B=4 --eta=0.1 --paths=500 >/dev/null && pass || fail "minibatch logreg"
"$sim" --problem=labelvalley --noise=label --eta=0.05 --paths=500 --observable=x0,x1,trace >/dev/null && pass || fail "label noise"
"$sim" --problem=quadratic:h=1 --noise=student:nu=5 --paths=500 >/dev/null && pass || fail "student noise"
"$sim" --problem=quadratic:h=1 --noise=rademacher --tau=0.01 --paths=500 >/dev/null && pass || fail "rademacher"
"$sim" --problem=sparse --noise=label --eta=0.05 --paths=200 --observable=loss,trace >/dev/null && pass || fail "sparse"
"$sim" --loss='0.5*(x0*x1-1)^2' --x0=0.5,1.5 --eta=0.05 --paths=500 >"$tmpdir/l" && grep -q '^# problem: expr:loss=0.5\*(x0\*x1-1)^2,cov=1,x0=0' "$tmpdir/l" && pass || fail "expression loss"
"$sim" --problem=quadratic:h=1 --schedule=cosine --method=sgd --paths=500 >/dev/null && pass || fail "cosine schedule"

# Strong noise on the double well throws some paths out: counted in the
# table, not averaged; when every path diverges the run fails (status 1).
"$sim" --problem=doublewell --eta=0.1 --sigma=20 --paths=2000 --times=1 --format=csv >"$tmpdir/div.csv" || fail "partly divergent run failed"
ndiv=$(csv_cols "$tmpdir/div.csv" process t observable diverged | awk -F'\t' '$1 == "sgd" && $2 == 1 && $3 == "x0" { print $4 }')
if [ -n "$ndiv" ] && [ "$ndiv" -gt 0 ] && [ "$ndiv" -lt 2000 ]; then pass; else fail "diverged count '$ndiv' not in (0, 2000)"; fi
"$sim" --problem=quadratic:h=100 --eta=0.05 --paths=1000 --times=1 >/dev/null 2>"$tmpdir/err"
st=$?
if [ "$st" -eq 1 ] && grep -q "every path diverged" "$tmpdir/err"; then pass; else fail "all-divergent run: exit $st"; fi

# Bad input.
expect_usage sde-sim --problem=nosuch; expect_mentions "nosuch"
expect_usage sde-sim --problem=quadratic:h=1 --method=adam; expect_mentions "adam"
expect_usage sde-sim --problem=quadratic:h=1 --noise=minibatch:B=4; expect_mentions "finite-sum"
expect_usage sde-sim --problem=linreg --noise=minibatch:B=1000; expect_mentions "B = 1000"
expect_usage sde-sim --problem=quadratic:h=1 --noise=label; expect_mentions "label"
expect_usage sde-sim --loss='x0+x2'; expect_mentions "x1 is missing"
expect_usage sde-sim --loss='foo(x0)'; expect_mentions "unknown function 'foo'"
expect_usage sde-sim --loss='x0^2@@@@'; expect_mentions "unknown character '@' at position 5"
expect_usage sde-sim --loss='0.5*(x0'; expect_mentions "--loss"
expect_usage sde-sim --sde=gbm --problem=quadratic:h=1; expect_mentions "choose one"
expect_usage sde-sim --problem=quadratic:h=1 --sigma=1 --tau=1; expect_mentions "--tau"
expect_usage sde-sim --problem=quadratic:h=1,2 --x0=1,2,3; expect_mentions "--x0"
expect_usage sde-sim --problem=quadratic:h=1 --eta=0.3; expect_mentions "--eta=0.3 does not divide"
expect_usage sde-sim --problem=quadratic:h=1 --step=0.1; expect_mentions "--step applies to an SDE"
expect_usage sde-sim --problem=quadratic:h=1 --scheme=weak2; expect_mentions "--scheme applies to an SDE"
expect_usage sde-sim --problem=linreg:data=synthetic --noise=minibatch:B=4 --sigma=2; expect_mentions "--sigma: minibatch"
expect_usage sde-sim --problem=linreg:data=synthetic --noise=minibatch:B=4 --tau=0.1; expect_mentions "--tau: minibatch"
expect_usage sde-sim --problem=quadratic:h=1 --method=sgdm:alpha=0.5,c=20 --eta=0.01; expect_mentions "outside [0, 1)"
expect_usage sde-sim --problem=quadratic:h=1 --method=sgd,hb:lr=0.5,momentum=0.9; expect_mentions "effective learning rate"
expect_usage sde-sim --problem=quadratic:h=1 --observable=x3; expect_mentions "x3"
expect_usage sde-sim --problem=quadratic:h=1 --schedule=linear; expect_mentions "schedule"

# Listings name every problem and method.
"$sim" --list-problems >"$tmpdir/lp"
for p in quadratic lte doublewell nonconvex2d circle valley labelvalley sparse linreg logreg; do
  grep -q "^$p:" "$tmpdir/lp" && pass || fail "--list-problems lacks $p"
done
"$sim" --list-methods >"$tmpdir/lm"
for m in sgd sgdm hb nesterov qhm svag; do
  grep -q "^$m " "$tmpdir/lm" && pass || fail "--list-methods lacks $m"
done

finish
