#!/bin/sh
# Claim 4: SVAG(l) against SME-1 at a fixed eta; the weak error falls like
# 1/l (Li, Malladi & Arora 2021): the svag_fits table's order in 1/l is 1.
# Monte Carlo, so that SVAG's own two-sample noise is what runs: the
# density engine would solve SVAG(l) at eta as the SGD at eta/l it equals
# in law.
. "$(dirname "$0")/common.sh"
run svag sde-compare --methods=svag:l=1,sgd,svag:l=2,sgd,svag:l=4,sgd,svag:l=8,sgd,svag:l=16,sgd \
  --eta=2^-3 --checkpoints=1 --target-ci=0 --paths="$(pick 400000 100000)" --engine=mc
done_claims
