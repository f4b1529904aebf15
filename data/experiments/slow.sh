#!/bin/sh
# Issue 6: SGD and SGDM near a manifold of minimizers against the slow SDE
# (fixed sigma, t / eta^2 steps).  SGDM with alpha = 0 (beta = 0.9) and
# alpha = 0.5 follows the same slow SDE as SGD (Wang et al. 2023, Thm 4.5).
. "$(dirname "$0")/common.sh"
# The circle with anisotropic noise: the Sigma_diamond drift matters.
run slow-circle sde-slow --methods=sgd,sgdm:beta=0.9,sgdm:alpha=0.5,c=1 \
  --eta=2^-3:2^-7 --checkpoints=0.25,0.5,0.75,1 --paths=20000 --target-ci=0 \
  --reference=slow:substeps=2
# Label noise on the flat valley: zeta' = -(delta^2/2) zeta.
run slow-labelvalley sde-slow --problem=labelvalley:delta=0.5,x0=1.5,0 \
  --methods=sgd,sgdm:beta=0.9,sgdm:alpha=0.5,c=1 --eta=2^-2:2^-6 \
  --checkpoints=0.25,0.5,0.75,1 --paths=20000 --target-ci=0 --reference=slow:substeps=2
# SGDM against SGD directly over t / eta^2 steps.
run slow-sgdm-vs-sgd sde-slow --methods=sgdm:beta=0.9,sgdm:alpha=0.5,c=1 --reference=sgd \
  --eta=2^-3:2^-7 --checkpoints=0.25,0.5,0.75,1 --paths=20000 --target-ci=0
# Sparse regression with label noise: the Hessian trace along the slow flow.
run slow-sparse sde-slow --problem=sparse:m=3,n=6,k=1,delta=0.5 \
  --x0=1.5,1,0.8,0.8,0.2,0.3 --methods=sgd,sgdm:beta=0.5 --observable=trace \
  --eta=2^-2:2^-6 --checkpoints=0.25,0.5,0.75,1 --paths=20000 --target-ci=0 --reference=slow:substeps=2
