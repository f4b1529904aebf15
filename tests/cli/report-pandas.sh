#!/bin/sh
# Machine formats for scripts: pandas reads the CSV and the JSON of a real
# sde-compare run into the same table, with numeric columns (eta, error,
# se, ci_lo, ci_hi, N), a boolean floor, lists as lists and every double to
# the bit.
. "${top_srcdir:-.}/tests/cli/lib.sh"
# Debian's Python, where python3-pandas installs (not a python3 earlier
# on the PATH).
py=${PANDAS_PYTHON:-/usr/bin/python3}

if ! "$py" -c 'import pandas' 2>/dev/null; then
  fail "pandas is missing for $py: install python3-pandas (./quickstart.sh deps installs it)"
  finish
  exit 1
fi

args="--eta=2^-2:2^-4 --paths=2000 --target-ci=0 --seed=5 --engine=mc --methods=sgd,svag:l=2,sgd"
"$tools/sde-compare" $args --format=csv >"$tmpdir/t.csv" || fail "csv run"
"$tools/sde-compare" $args --format=json >"$tmpdir/t.json" || fail "json run"

"$py" - "$tmpdir/t.csv" "$tmpdir/t.json" <<'PY' && pass || fail "pandas: the tables are not what the schema says"
import csv, json, sys
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

# pandas' default float parser may miss the last bit; round_trip does not.
c = pd.read_csv(sys.argv[1], comment="#", float_precision="round_trip")
doc = json.load(open(sys.argv[2]))
e = pd.DataFrame(doc["errors"])
f = pd.DataFrame(doc["fits"])

# One rectangular table: every record has the header's length, and no
# comment line has a comma, for readers without a comment option.
lines = open(sys.argv[1]).read().splitlines()
assert not [l for l in lines if l.startswith("#") and "," in l]
rows = list(csv.reader(l for l in lines if not l.startswith("#")))
assert len({len(r) for r in rows}) == 1, {len(r) for r in rows}

for name, d in (("csv", c), ("json", e)):
    assert len(d) == 6, (name, len(d))
    for k in ("eta", "error", "se", "ci_lo", "ci_hi", "N"):
        assert is_numeric_dtype(d[k]), (name, k, d[k].dtype)
    assert is_bool_dtype(d["floor"]), (name, d["floor"].dtype)
    assert list(d["method"].unique()) == ["sgd", "svag:l=2,sgd"], (name, d["method"])

# The same columns and, the timing aside, the same numbers to the bit.
assert list(c.columns) == list(e.columns), (list(c.columns), list(e.columns))
for k in c.columns:
    if k == "seconds" or not is_numeric_dtype(c[k]):
        continue
    same = (c[k] == e[k]) | (c[k].isna() & e[k].isna())
    assert same.all(), (k, c[k].tolist(), e[k].tolist())

# The JSON schema: provenance, fits with lists, notes, verdicts, flags.
assert doc["format"] == 1 and doc["sdekit"] == doc["provenance"]["sdekit"]
assert doc["interrupted"] is False and doc["failed"] is False
assert isinstance(doc["notes"], list) and isinstance(doc["verdicts"], list)
assert all(isinstance(s, list) and len(s) == 2 for s in f["local_slopes"]), f["local_slopes"]
assert is_numeric_dtype(f["order"]) and is_numeric_dtype(f["points"])
PY

finish
