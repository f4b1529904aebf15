#!/bin/sh
# The coupled estimator against the independent one on the default table
# at eta = 2^-8 (the vrf column), and the variance ratio actually achieved.
. "$(dirname "$0")/common.sh"
paths=$(pick 100000 20000)
run vrf-coupled sde-compare --eta=2^-8 --target-ci=0 --paths="$paths"
run vrf-independent sde-compare --eta=2^-8 --target-ci=0 --paths="$paths" --estimator=independent
done_claims
