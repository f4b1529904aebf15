#!/bin/sh
# Issue 4, experiment 4: the coupled estimator against the independent one
# on the default table at eta = 2^-8 (the vrf column), and the variance
# ratio actually achieved.
. "$(dirname "$0")/common.sh"
run vrf-coupled sde-compare --eta=2^-8 --target-ci=0 --paths=100000
run vrf-independent sde-compare --eta=2^-8 --target-ci=0 --paths=100000 --estimator=independent
