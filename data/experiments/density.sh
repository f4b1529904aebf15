#!/bin/sh
# SGD against SME-1 on the double well by the density engine (the law of
# x_k on a grid, no sampling error), down to eta = 2^-12; the grid_error
# column is the engine's own error.
. "$(dirname "$0")/common.sh"
run density-doublewell sde-compare --methods=sgd --engine=density \
  --eta="$(pick 2^-3:2^-12 2^-3:2^-7)" --observable=x0,norm2 --expect-order=1 --tolerance=0.05
done_claims
