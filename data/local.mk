# data/local.mk: reference values, golden outputs and experiment scripts.
EXTRA_DIST += data/golden/sde-sim-ou-weak2.txt data/golden/sde-compare-small.csv

datasetsdir = $(pkgdatadir)/datasets
dist_datasets_DATA = data/datasets/diabetes.csv data/datasets/diabetes.README

EXTRA_DIST += data/experiments/calibration.sh
