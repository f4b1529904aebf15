#!/bin/sh
# bench/run-python.sh [TOOLS [SITE]]: the Python package against the CLI,
# the built-in problems and plain numpy (bench/python_peers.py), in one
# run; prints the tables and "ratio NAME VALUE goal GOAL met|short" lines.
# TOOLS: the folder of sde-compare (default tools); SITE: the folder that
# holds the package (default python/site of the build tree).
# environment: PYTHON3_SYSTEM (default /usr/bin/python3), SDE_BENCH_TRIALS
#   (interleaved trials per contender, 5), SDE_BENCH_ONLY (a comma list of
#   overhead, callback, sgd-loop, weak-error).
set -eu
tools=${1:-tools}
site=${2:-python/site}
py=${PYTHON3_SYSTEM:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
if ! PYTHONPATH=$site "$py" -c 'import sdekit, numpy, pandas' 2>/dev/null; then
  echo "run-python.sh: $py cannot import sdekit from $site (configure found no python3-cffi?) or numpy/pandas" >&2
  exit 1
fi
PYTHONPATH=$site exec "$py" "$here/python_peers.py" --tools "$tools" \
  --trials "${SDE_BENCH_TRIALS:-5}" \
  ${SDE_BENCH_ONLY:+--only "$SDE_BENCH_ONLY"}
