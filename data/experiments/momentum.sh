#!/bin/sh
# Issue 4, experiment 2, and issue 5: SGDM against SGD at equal effective
# learning rate with 1 - beta = c eta^alpha.  Theory (Wang et al. 2023,
# Thm 3.5): gap O(eta^((1-alpha)/2)) as a bound, O(eta^(1-alpha)) on
# quadratics; alpha = 1 does not converge (negative control).
. "$(dirname "$0")/common.sh"
# Monte Carlo on the double well (nonconvex).
run momentum-a0 sde-compare --methods=sgdm --alpha=0 --c=0.1 --reference=sgd \
  --eta=2^-8:2^-14 --target-ci=0 --paths=20000
run momentum-a05 sde-compare --methods=sgdm --alpha=0.5 --c=1 --reference=sgd \
  --eta=2^-8:2^-14 --target-ci=0 --paths=20000
run momentum-a1 sde-compare --methods=sgdm --alpha=1 --c=1 --reference=sgd \
  --eta=2^-8:2^-14 --target-ci=0 --paths=20000
# Exact engine on a dense anisotropic quadratic (d = 20, condition 100),
# alpha = 0, 0.25, 0.5, 1, down to eta = 2^-18.
for a in 0 0.25 0.5 1; do
  c=1
  [ "$a" = 0 ] && c=0.1
  run "momentum-exact-a$a" sde-compare --problem=quadratic:d=20,cond=100,seed=3,dense=1 \
    --methods=sgdm --alpha=$a --c=$c --reference=sgd --eta=2^-4:2^-18 \
    --checkpoints=0.25,0.5,1 --observable=norm2,loss --engine=exact
done
