# tests/cli/golden.sh: the commands behind the golden files in data/golden
# (sourced).  The tests compare their output with the files; the files are
# change detectors only (every number in them also has an independent
# check elsewhere in the suite), and `make regen-golden` rewrites them with
# these same commands after an intended change.

# golden_compare_small TOOLS: sde-compare on a small grid, CSV, without the
# command line and the seconds column.
golden_compare_small () {
  "$1/sde-compare" --eta=2^-2:2^-5 --paths=3000 --target-ci=0 --seed=3 \
    --format=csv >"$tmpdir/golden-raw" || return 1
  grep -v '^# command' "$tmpdir/golden-raw" | sed '/^[^#]/s/,[^,]*$//'
}

# golden_sim_ou TOOLS: sde-sim on the OU process with weak2.
golden_sim_ou () {
  "$1/sde-sim" --sde=ou:theta=2,s=0.5 --scheme=weak2 --step=0.05 \
    --paths=20000 --seed=7
}
