# data/local.mk: reference values, golden outputs and experiment scripts.
EXTRA_DIST += data/golden/sde-sim-ou-weak2.txt
