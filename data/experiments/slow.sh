#!/bin/sh
# Claim 5: near a manifold of minimizers SGD and SGDM follow the slow SDE
# over t / eta^2 steps (fixed sigma; Li, Wang & Arora 2022; Wang et al.
# 2023, Thm 4.5).  The reference is the density engine (no sampling
# error) on the label-noise valley, whose slow SDE is the ODE
# zeta' = -(delta^2/2) zeta.  SGD's order is 1 once its local slopes have
# settled; SGDM, with beta fixed or in the family 1 - beta = eta^alpha,
# converges too, and its tables show how far down in eta its slopes still
# move (the tool says when they have not settled: no claim is made).
. "$(dirname "$0")/common.sh"
lv="--problem=labelvalley:delta=1,x0=1.5,0"
run slow-sgd sde-slow $lv --methods=sgd --eta="$(pick 2^-1:2^-8 2^-2:2^-6)" --expect-order=1 \
  --tolerance="$(pick 0.05 0.1)"
run slow-sgdm-beta sde-slow $lv --methods=sgd,sgdm:beta=0.5,sgdm:beta=0.9 \
  --eta="$(pick 2^-1:2^-7 2^-2:2^-4)" --max-paths="$(pick 50000 2048)"
run slow-sgdm-alpha sde-slow $lv --methods=sgd,sgdm --alpha=0.5 \
  --eta="$(pick 2^-1:2^-7 2^-2:2^-4)" --max-paths="$(pick 50000 2048)"
# The circle with anisotropic noise, where the Sigma_diamond drift
# matters: the coupled Monte Carlo reference keeps SGD's error above the
# noise.
run slow-circle sde-slow --problem=circle:s=1,0.25 --engine=mc \
  --methods=sgd,sgdm:beta=0.9 --eta="$(pick 2^-3:2^-7 2^-3:2^-4)" \
  --checkpoints=0.25,0.5,0.75,1 --paths="$(pick 20000 2000)" --target-ci=0 --reference=slow:substeps=2
# Sparse regression with label noise: the Hessian trace along the slow flow.
run slow-sparse sde-slow --problem=sparse:m=3,n=6,k=1,delta=0.5 \
  --x0=1.5,1,0.8,0.8,0.2,0.3 --methods=sgd,sgdm:beta=0.5 --observable=trace \
  --eta="$(pick 2^-2:2^-6 2^-2:2^-3)" --checkpoints=0.25,0.5,0.75,1 --paths="$(pick 20000 2000)" \
  --target-ci=0 --reference=slow:substeps=2
done_claims
