#!/bin/sh
# Claim 1: SGD is an order-1 weak approximation of SME-1 on nonconvex
# losses (Li, Tai & E 2019; Malladi et al. 2022).  Monte Carlo, coupled,
# CIs within 10% of |e|; the tool checks the order (--expect-order).
. "$(dirname "$0")/common.sh"
eta=$(pick 2^-3:2^-10 2^-3:2^-7)
tol=$(pick 0.1 0.15)
run sgd-nonconvex2d sde-compare --problem=nonconvex2d --methods=sgd --eta="$eta" \
  --observable=norm2,loss --expect-order=1 --tolerance="$tol"
run sgd-doublewell sde-compare --methods=sgd --eta="$eta" --observable=x0,norm2 \
  --engine=mc --expect-order=1 --tolerance="$tol"
done_claims
