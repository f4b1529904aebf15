#!/bin/sh
# sde-sim rejects bad input with one line naming the option, status 2, and
# no output file.
. "${top_srcdir:-.}/tests/cli/lib.sh"

expect_usage sde-sim --scheme=rk4; expect_mentions "--scheme=rk4"
expect_usage sde-sim --sde=brownian; expect_mentions "brownian"
expect_usage sde-sim --sde=gbm:lambda=abc; expect_mentions "lambda"
expect_usage sde-sim --sde=gbm:nu=1; expect_mentions "nu"
expect_usage sde-sim --sde=ou:theta=0; expect_mentions "theta"
for v in abc -1 0 nan inf 1e400 "" 0x; do
  expect_usage sde-sim --step="$v"; expect_mentions "--step"
done
for v in abc -5 0 1.5 nan; do
  expect_usage sde-sim --paths="$v"; expect_mentions "--paths"
done
for v in -1 0 nan inf; do
  expect_usage sde-sim --horizon="$v"; expect_mentions "--horizon"
done
expect_usage sde-sim --step=2 --horizon=1; expect_mentions "larger than"
expect_usage sde-sim --step=0.3 --horizon=1; expect_mentions "--step=0.3 does not divide"
expect_usage sde-sim --step=1e-13; expect_mentions "2^40"
# Options of optimizer mode would be ignored by an SDE: refused, named.
for o in --eta=0.1 --noise=gaussian --sigma=2 --tau=1 --schedule=cosine --x0=2; do
  expect_usage sde-sim --sde=ou "$o"; expect_mentions "${o%%=*} applies to optimizers"
done
expect_usage sde-sim --times=0.5,0.25; expect_mentions "increase"
expect_usage sde-sim --times=0.123; expect_mentions "multiple"
expect_usage sde-sim --times=2; expect_mentions "--times"
expect_usage sde-sim --times=0.5,,1; expect_mentions "--times"
expect_usage sde-sim --seed=-3; expect_mentions "--seed"
expect_usage sde-sim --rng=nosuch; expect_mentions "--rng"
expect_usage sde-sim --format=xml; expect_mentions "--format"
expect_usage sde-sim --bogus; expect_mentions "--bogus"
expect_usage sde-sim extra-arg; expect_mentions "extra-arg"
expect_usage sde-sim --step; expect_mentions "--step"

# Bad input never leaves an output file, not even a temporary one.
expect_usage sde-sim --output="$tmpdir/t.txt" --step=0
if ls "$tmpdir"/t.txt* >/dev/null 2>&1; then fail "output file left after a usage error"; else pass; fi

finish
