#!/bin/sh
# Issue 4, experiment 1: SGD is an order-1 weak approximation of SME-1 on
# nonconvex losses (Li, Tai & E).  Monte Carlo, coupled, CIs within 10%.
. "$(dirname "$0")/common.sh"
run sgd-nonconvex2d sde-compare --problem=nonconvex2d --methods=sgd --eta=2^-3:2^-10 \
  --observable=norm2,loss
run sgd-doublewell sde-compare --methods=sgd --eta=2^-3:2^-10 --observable=x0,norm2 \
  --engine=mc
