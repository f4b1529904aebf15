#!/bin/sh
# Claim 3: SGDM against SGD at equal effective learning rate with
# 1 - beta = c eta^alpha (Wang, Malladi, Wang, Lyu & Li 2023, Thm 3.5):
# the gap is O(eta^((1-alpha)/2)) as a bound and O(eta^(1-alpha)) on
# quadratics, so momentum's effect vanishes for alpha < 1; alpha = 1 does
# not converge (the negative control: order 0).
. "$(dirname "$0")/common.sh"
eta=$(pick 2^-8:2^-14 2^-8:2^-12)
paths=$(pick 20000 4000)
tol=$(pick 0.1 0.2)
# Monte Carlo on the double well (nonconvex).
run momentum-a0 sde-compare --methods=sgdm --alpha=0 --c=0.1 --reference=sgd \
  --eta="$eta" --target-ci=0 --paths="$paths" --expect-order=1 --tolerance="$tol"
run momentum-a05 sde-compare --methods=sgdm --alpha=0.5 --c=1 --reference=sgd \
  --eta="$eta" --target-ci=0 --paths="$paths" --expect-order=0.5 --tolerance="$tol"
run momentum-a1 sde-compare --methods=sgdm --alpha=1 --c=1 --reference=sgd \
  --eta="$eta" --target-ci=0 --paths="$paths" --expect-order=0 --tolerance="$tol"
# Exact engine on a dense anisotropic quadratic (d = 20, condition 100):
# order 1 - alpha, down to eta = 2^-18.
for a in 0 0.25 0.5 1; do
  c=1
  [ "$a" = 0 ] && c=0.1
  p=$(awk -v a="$a" 'BEGIN { print 1 - a }')
  run "momentum-exact-a$a" sde-compare --problem=quadratic:d=20,cond=100,seed=3,dense=1 \
    --methods=sgdm --alpha=$a --c=$c --reference=sgd --eta="$(pick 2^-4:2^-18 2^-6:2^-14)" \
    --checkpoints=0.25,0.5,1 --observable=norm2,loss --engine=exact \
    --expect-order="$p" --tolerance=0.05
done
done_claims
