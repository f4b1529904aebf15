#!/bin/sh
# sde-compare: golden table, formats, --expect-order, figures, threads, and
# an interrupted run that keeps its finished rows.
. "${top_srcdir:-.}/tests/cli/lib.sh"
cmp_="$tools/sde-compare"
small="--eta=2^-2:2^-5 --paths=3000 --target-ci=0 --seed=3"

# Golden table (seconds stripped): numbers depend only on the seed.
"$cmp_" $small --format=csv | grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/g.csv" || fail "golden run"
if numdiff "$tmpdir/g.csv" "$top_srcdir/data/golden/sde-compare-small.csv" 1e-9; then pass; else
  fail "golden table differs (data/golden/sde-compare-small.csv)"; fi

# One or two threads: the same table.
"$cmp_" $small --threads=1 --format=csv | grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/t1"
"$cmp_" $small --threads=2 --format=csv | grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/t2"
cmp -s "$tmpdir/t1" "$tmpdir/t2" && pass || fail "--threads=1 and 2 differ"

# Formats: JSON parses with both tables; LaTeX has booktabs; Markdown pipes.
"$cmp_" $small --format=json >"$tmpdir/t.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=[t["name"] for t in d["tables"]]; assert n==["errors","fits"], n; assert len(d["tables"][0]["rows"])==8' "$tmpdir/t.json" && pass || fail "json"
"$cmp_" $small --format=latex >"$tmpdir/t.tex"
grep -q '\\toprule' "$tmpdir/t.tex" && grep -q '\\bottomrule' "$tmpdir/t.tex" && grep -q '^\\end{document}' "$tmpdir/t.tex" && pass || fail "latex"
"$cmp_" $small --format=md | grep -q '^| 0.25 | sgd |' && pass || fail "md"

# --expect-order: SGD's order 1 passes; 2 fails with status 3.
"$cmp_" $small --methods=sgd --expect-order=1 --tolerance=0.2 >/dev/null && pass || fail "--expect-order=1"
"$cmp_" $small --methods=sgd --expect-order=2 --tolerance=0.2 >/dev/null 2>"$tmpdir/e"
[ $? -eq 3 ] && grep -q "has order" "$tmpdir/e" && pass || fail "--expect-order=2 should exit 3"

# Figures: pgfplots code, and PNG/SVG through gnuplot.
"$cmp_" $small --plot="$tmpdir/f.tex" >/dev/null && grep -q 'loglogaxis' "$tmpdir/f.tex" && pass || fail "--plot=.tex"
if command -v gnuplot >/dev/null; then
  "$cmp_" $small --plot="$tmpdir/f.png" >/dev/null && [ "$(head -c 4 "$tmpdir/f.png" | tail -c 3)" = PNG ] && pass || fail "--plot=.png"
  "$cmp_" $small --plot="$tmpdir/f.svg" >/dev/null && grep -q '<svg' "$tmpdir/f.svg" && pass || fail "--plot=.svg"
else
  fail "gnuplot is not installed (quickstart.sh installs gnuplot-nox)"
fi

# The exact engine: picked by auto on a linear-Gaussian problem (and said
# so), SE 0, order 1 to two decimals at small eta; refused where it does
# not apply.
"$cmp_" --problem=quadratic:d=50,cond=10,seed=3 --methods=sgd --eta=2^-8:2^-13 --format=json >"$tmpdir/ex.json"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert "exact" in d["provenance"]["engine"], d["provenance"]["engine"]
t = d["tables"][0]; se = t["columns"].index("se")
assert all(r[se] == 0 for r in t["rows"])
f = d["tables"][1]; p = f["rows"][0][f["columns"].index("order")]
assert abs(p - 1) < 0.01, p' "$tmpdir/ex.json" && pass || fail "exact engine table"
"$cmp_" --problem=quadratic:h=1,4 --methods=sgd --eta=2^-3 --engine=mc --paths=1000 --target-ci=0 | grep -q '^# engine: mc' && pass || fail "--engine=mc"
expect_usage sde-compare --engine=exact; expect_mentions "not quadratic"

# Interrupted: rows finished before the signal stay in the renamed file.
"$cmp_" --eta=2^-2:2^-14 --paths=2000 --target-ci=0 --output="$tmpdir/int.txt" >/dev/null 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ]; do
  if ls "$tmpdir"/int.txt.tmp* >/dev/null 2>&1 && grep -q '^0.0625 ' "$tmpdir"/int.txt.tmp* 2>/dev/null; then break; fi
  sleep 0.1; i=$((i + 1))
done
kill -INT $pid 2>/dev/null
wait $pid
if [ -f "$tmpdir/int.txt" ] && grep -q '^0.25 ' "$tmpdir/int.txt" && grep -q '^# interrupted' "$tmpdir/int.txt"; then pass; else
  fail "interrupted run lost its rows"; fi
if ls "$tmpdir"/int.txt.tmp* >/dev/null 2>&1; then fail "temporary file left after the interrupt"; else pass; fi

finish
