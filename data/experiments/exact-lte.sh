#!/bin/sh
# Issue 5: exact tables (no Monte Carlo noise) for SGD on the Li-Tai-E
# quadratic in the fixed-sigma scaling: order 1 against SME-1 and order 2
# against SME-2, to eta = 2^-16.
. "$(dirname "$0")/common.sh"
run exact-lte-sme1 sde-compare --problem=lte:h=4,1,0.25 --methods=sgd --sigma=1 \
  --reference=sme1 --eta=2^-2:2^-16 --checkpoints=0.5,1 --observable=x0,norm2,loss
run exact-lte-sme2 sde-compare --problem=lte:h=4,1,0.25 --methods=sgd --sigma=1 \
  --reference=sme2 --eta=2^-2:2^-16 --checkpoints=0.5,1 --observable=x0,norm2,loss
run exact-d100 sde-compare --problem=quadratic:d=100,cond=100,seed=1 --methods=sgd,sgdm:beta=0.9 \
  --eta=2^-2:2^-13 --checkpoints=0.5,1
