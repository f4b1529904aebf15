#!/bin/sh
# sde-compare rejects bad input with one line naming the option, status 2,
# and no output file.
. "${top_srcdir:-.}/tests/cli/lib.sh"

expect_usage sde-compare --eta=2^-3:0.3; expect_mentions "--eta"
expect_usage sde-compare --eta=abc; expect_mentions "--eta"
expect_usage sde-compare --eta=0.3; expect_mentions "does not divide"
expect_usage sde-compare --eta=0.5,0.5; expect_mentions "twice"
expect_usage sde-compare --methods=adam; expect_mentions "adam"
expect_usage sde-compare --observable=x0,expr:x0+x5; expect_mentions "--observable"; expect_mentions "x5"
expect_usage sde-slow --observable=expr:; expect_mentions "--observable"
expect_usage sde-compare --methods=hb:lr=0.1,momentum=0.9; expect_mentions "lr"
expect_usage sde-compare --reference=sme3; expect_mentions "sme3"
expect_usage sde-compare --reference=sme1:scheme=rk4; expect_mentions "rk4"
expect_usage sde-compare --reference=sme2; expect_mentions "--sigma"
expect_usage sde-compare --tau=0.5 --sigma=1; expect_mentions "--sigma"
expect_usage sde-compare --tau=-1; expect_mentions "--tau"
expect_usage sde-compare --estimator=magic; expect_mentions "--estimator"
expect_usage sde-compare --checkpoints=0.3; expect_mentions "--checkpoints"
expect_usage sde-compare --observable=x1; expect_mentions "x1"
expect_usage sde-compare --paths=0; expect_mentions "--paths"
expect_usage sde-compare --target-ci=-0.1; expect_mentions "--target-ci"
expect_usage sde-compare --alpha=2; expect_mentions "--alpha"
expect_usage sde-compare --methods=sgdm --alpha=0.5 --c=40; expect_mentions "outside [0, 1)"
expect_usage sde-compare --problem=linreg --noise=minibatch --tau=0.1; expect_mentions "minibatch B"
expect_usage sde-compare --problem=linreg --noise=minibatch:B=4 --tau=0.1; expect_mentions "--tau"
expect_usage sde-compare --plot=figure.gif; expect_mentions "--plot"
expect_usage sde-compare --format=xls; expect_mentions "--format"
expect_usage sde-compare --expect-order=x; expect_mentions "--expect-order"
expect_usage sde-compare --engine=exact; expect_mentions "--engine"
expect_usage sde-compare --loss='x0+'; expect_mentions "--loss"
# Far more steps than checkpoints can be kept: no crash on 2^36 steps (the
# run would stop at the later, bad observable), and a clear limit.
expect_usage sde-compare --eta=2^-36 --observable=x9; expect_mentions "x9"
expect_usage sde-compare --horizon=1e9 --eta=2^-3 --observable=x9; expect_mentions "x9"
expect_usage sde-compare --eta=2^-41; expect_mentions "2^40"
# What the library refuses at run time is a usage error before any output.
expect_usage sde-compare --reference=sme2 --sigma=1 --schedule=cosine; expect_mentions "--schedule=cosine"
expect_usage sde-compare --methods=sgdm:alpha=1,c=1 --reference=underdamped:c=1 --schedule=cosine
expect_mentions "schedule"
expect_usage sde-compare --problem=sparse --reference=sme1:scheme=milstein; expect_mentions "weak2"
if grep -q "milstein-df" "$tmpdir/err"; then fail "milstein suggests milstein-df on non-commutative noise"; else pass; fi
expect_usage sde-compare --problem=sparse --reference=sme1:scheme=milstein-df; expect_mentions "commutative"
# Options that would be ignored are refused.
expect_usage sde-compare --problem=linreg:data=synthetic --noise=minibatch:B=4 --sigma=1; expect_mentions "--sigma"
expect_usage sde-compare --reference=underdamped:c=1; expect_mentions "1 - beta = c eta"
expect_usage sde-compare --methods=sgdm --alpha=1 --c=2 --reference=underdamped:c=1; expect_mentions "sgdm:alpha=1,c=1"
"$tools/sde-compare" --methods=sgdm --alpha=1 --c=2 --reference=underdamped:c=2 --eta=2^-3 --paths=500 \
  --target-ci=0 >/dev/null && pass || fail "underdamped with its own momentum family"
expect_usage sde-compare --output="$tmpdir/t.txt" --eta=0.3
if ls "$tmpdir"/t.txt* >/dev/null 2>&1; then fail "output file left after a usage error"; else pass; fi

expect_usage sde-compare --methods=hb:momentum=0.5,wd=1,hb:momentum=0.5; expect_mentions "different weight decay"

finish
