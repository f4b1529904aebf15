#!/bin/sh
# tests/regen-golden.sh TOOLS SRCDIR: rewrites the golden files in
# SRCDIR/data/golden with the commands of tests/cli/golden.sh, from the
# tools in TOOLS.  Run after an intended change of the numbers (make
# regen-golden in the build tree), and say why in the commit.
set -eu
tools=$1
src=$2
tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
. "$src/tests/cli/golden.sh"
golden_compare_small "$tools" >"$tmpdir/a"
golden_sim_ou "$tools" >"$tmpdir/b"
mv "$tmpdir/a" "$src/data/golden/sde-compare-small.csv"
mv "$tmpdir/b" "$src/data/golden/sde-sim-ou-weak2.txt"
echo "rewrote $src/data/golden/sde-compare-small.csv and sde-sim-ou-weak2.txt"
