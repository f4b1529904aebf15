#!/bin/sh
# sde-compare: golden table, formats, --expect-order, figures, threads, and
# an interrupted run that keeps its finished rows.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/golden.sh"
cmp_="$tools/sde-compare"
small="--eta=2^-2:2^-5 --paths=3000 --target-ci=0 --seed=3"

# Golden table (seconds stripped): numbers depend only on the seed.  A
# change detector only (make regen-golden rewrites it).
golden_compare_small "$tools" >"$tmpdir/g.csv" || fail "golden run"
if numdiff "$tmpdir/g.csv" "$top_srcdir/data/golden/sde-compare-small.csv" 1e-9; then pass; else
  fail "golden table differs (data/golden/sde-compare-small.csv)"; fi

# The step count, independently of any golden file: SGD without noise on
# L = x^2/2 from x0 = 1 takes T/eta steps, x_N = (1 - eta)^N exactly, and
# with one checkpoint t_max is T.
"$cmp_" --problem=quadratic:h=1,x0=1 --noise=none --methods=sgd --eta=0.125 --horizon=2 \
  --checkpoints=2 --engine=mc --paths=256 --target-ci=0 --format=csv >"$tmpdir/steps.csv" || fail "step-count run"
csv_cols "$tmpdir/steps.csv" eta method estimate t_max |
  awk -F'\t' '$1 == 0.125 && $2 == "sgd" { n++; q = 0.875 ^ 16; d = $3 - q * q; if (d < 0) d = -d
    if (d > 1e-12 || $4 != 2) bad = 1 } END { exit !(n == 1 && !bad) }' && pass ||
  fail "T/eta steps: $(grep '^0.125' "$tmpdir/steps.csv")"
"$tools/sde-sim" --problem=quadratic:h=1,x0=1 --noise=none --eta=0.125 --horizon=2 --times=2 \
  --observable=x0 --format=csv >"$tmpdir/steps2.csv" || fail "sde-sim step-count run"
csv_cols "$tmpdir/steps2.csv" process mean t |
  awk -F'\t' '$1 == "sgd" { n++; d = $2 - 0.875 ^ 16; if (d < 0) d = -d; if (d > 1e-12 || $3 != 2) bad = 1 }
    END { exit !(n == 1 && !bad) }' && pass || fail "sde-sim T/eta steps: $(cat "$tmpdir/steps2.csv")"

# One or two threads: the same table.
"$cmp_" $small --threads=1 --format=csv | grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/t1"
"$cmp_" $small --threads=2 --format=csv | grep -v '^# command' | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/t2"
cmp -s "$tmpdir/t1" "$tmpdir/t2" && pass || fail "--threads=1 and 2 differ"

# Formats: JSON parses with both tables as lists of records; LaTeX is a
# booktabs fragment (tests/cli/report-latex.sh compiles it); Markdown pipes.
"$cmp_" $small --format=json >"$tmpdir/t.json"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
n = [k for k in d if isinstance(d[k], list) and k not in ("notes", "verdicts")]
assert n == ["errors", "fits"], n
assert len(d["errors"]) == 8 and d["format"] == 1
assert d["interrupted"] is False and d["failed"] is False' "$tmpdir/t.json" && pass || fail "json"
"$cmp_" $small --format=latex >"$tmpdir/t.tex"
grep -q '\\toprule' "$tmpdir/t.tex" && grep -q '\\bottomrule' "$tmpdir/t.tex" && [ "$(grep -c '^\\begin{tabular}' "$tmpdir/t.tex")" -eq 2 ] &&
  ! grep -q 'documentclass' "$tmpdir/t.tex" && pass || fail "latex"
"$cmp_" $small --format=md | grep -q '^| 0.25 | sgd |' && pass || fail "md"

# Every number a reader sees carries its uncertainty, in every format: the
# SEs of both estimates, of the reference's own error and of the local
# slopes, and the critical value of the CI.
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for r in d["errors"]:
    for k in ("se_estimate", "se_reference", "ref_error_se", "ci_z"):
        assert r[k] > 0, (k, r)
    z, se, err = r["ci_z"], r["se"], r["error"]
    assert abs(r["ci_hi"] - (err + z * se)) < 1e-12 + 1e-9 * abs(err), r
for r in d["fits"]:
    s, se = r["local_slopes"], r["local_slopes_se"]
    assert len(s) == len(se) == 3 and all(x > 0 for x in se), (s, se)' "$tmpdir/t.json" && pass || fail "json lacks SEs"
# (A CSV file holds the errors table alone; Markdown escapes the '_'.)
for f in text csv md; do
  "$cmp_" $small --format=$f --wide --fits="$tmpdir/fits.$f" >"$tmpdir/u.$f"
  cat "$tmpdir/fits.$f" >>"$tmpdir/u.$f"
  for k in se_estimate se_reference ref_error_se ci_z local_slopes_se; do
    [ $f = csv ] && [ $k = local_slopes_se ] && continue
    [ $f = md ] && k=$(echo "$k" | sed 's/_/\\_/g')
    grep -qF -- "$k" "$tmpdir/u.$f" && pass || fail "--format=$f lacks $k"
  done
done
"$cmp_" $small --format=latex --wide >"$tmpdir/tw.tex"
for k in 'SE$(\hat E\varphi(x))$' 'SE$(\hat E\varphi(X))$' 'SE(ref.err)' 'SE of the local slopes'; do
  grep -qF "$k" "$tmpdir/tw.tex" && pass || fail "latex --wide lacks $k"
done

# A failure that comes without a reason (here a full disk) still says
# what went wrong.
if [ -w /dev/full ]; then
  "$cmp_" --eta=2^-2:2^-3 --paths=500 --target-ci=0 >/dev/full 2>"$tmpdir/full"
  st=$?
  [ "$st" -eq 1 ] && grep -q '^sde-compare: [a-z]' "$tmpdir/full" && pass ||
    fail "write failure: exit $st, message '$(cat "$tmpdir/full")'"
fi

# More rows than the old fixed table (4096) all reach the fits: 26 etas x
# 10 methods x 16 observables by the exact engine, every fit on 26 points.
"$cmp_" --problem=quadratic:h=1,4 --checkpoints=1 --eta=2^-1:2^-26 --format=json \
  --methods=sgd,sgdm:beta=0.5,sgdm:beta=0.9,hb:momentum=0.5,hb:momentum=0.9,nesterov:momentum=0.5,nesterov:momentum=0.9,svag:l=2,sgd,svag:l=4,sgd,sgdm:beta=0.7 \
  --observable=x0,x1,x0x1,x1x1,x0x0,norm2,loss,cos:w=1,0,cos:w=0,1,cos:w=1,1,cos:w=2,0,cos:w=0,2,cos:w=2,2,cos:w=1,2,cos:w=2,1,cos:w=3,1 \
  >"$tmpdir/big.json" || fail "4160-row run"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert len(d["errors"]) == 4160
bad = [(r["method"], r["observable"]) for r in d["fits"] if r["points"] != 26]
assert len(d["fits"]) == 160 and not bad, bad' "$tmpdir/big.json" && pass || fail "rows beyond 4096 left out of the fits"

# --checkpoints=every keeps at most 4096 times: at 2^-13 every other step,
# so t_max is a multiple of 2 eta; t_max is chosen on pilot paths apart
# from those that estimate e (a note says how many).
"$cmp_" --methods=sgd --eta=2^-12:2^-13 --paths=256 --target-ci=0 --engine=mc \
  --reference=sme1:scheme=weak2,substeps=1 --format=json >"$tmpdir/cap.json" || fail "2^-13 run"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["errors"] if x["eta"] == 2 ** -13][0]
k = r["t_max"] / 2 ** -13
assert abs(k - round(k)) < 1e-9 and round(k) % 2 == 0, k
assert any("pilot paths" in n for n in d["notes"]), d["notes"]' "$tmpdir/cap.json" && pass || fail "checkpoints not capped at 4096"

# A null comparison (SGD against SGD, independent samples) is inside the
# noise floor (|e| < 2 SE) with probability 95.4% however many
# checkpoints the maximum runs over, because t_max is chosen on paths apart
# from the estimate.  Over 30 seeds the count floored is Binomial(30,
# 0.954): 24 or more with probability 0.9997.
for chk in every 1; do
  n=0
  for s in $(seq 1 30); do
    "$cmp_" --methods=sgd --reference=sgd --estimator=independent --eta=2^-5 \
      --checkpoints=$chk --paths=2000 --target-ci=0 --seed=$s --threads=1 --format=csv >"$tmpdir/null.csv" || fail "null run"
    csv_cols "$tmpdir/null.csv" eta method floor |
      awk -F'\t' '$1 == 0.03125 && $2 == "sgd" { f = $3 } END { exit !(f == "true") }' && n=$((n + 1))
  done
  [ "$n" -ge 24 ] && pass || fail "null test, --checkpoints=$chk: floored in $n of 30 runs, want ~95%"
done

# --target-ci: a row whose error is exactly 0 (the trace on a quadratic)
# does not push every eta to the cap, and each row says how it stopped.
"$cmp_" --problem=quadratic:h=1,4 --methods=sgd --engine=mc --observable=norm2,trace \
  --eta=2^-2:2^-4 --max-paths=200000 --format=csv >"$tmpdir/zero.csv" || fail "zero-error run"
csv_cols "$tmpdir/zero.csv" method N stop |
  awk -F'\t' '$1 == "sgd" { rows++; if ($2 >= 200000 || $3 != "target") bad++ }
  END { exit !(rows == 6 && bad == 0) }' && pass ||
  fail "zero-error row: $(csv_cols "$tmpdir/zero.csv" eta method N stop)"

# The exact engine through two points: a local slope, labelled as such,
# and no fitted order (a power law needs a third point to be tested).
"$cmp_" --problem=quadratic:h=1,4 --methods=sgd --eta=2^-3:2^-4 --format=json >"$tmpdir/ex2.json"
python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
r = d["fits"][0]
assert r["order"] is None and r["se"] is None, r
assert any("two exact points: local slope" in n for n in d["notes"]), d["notes"]' "$tmpdir/ex2.json" && pass || fail "exact two-point fit"
# Two Monte Carlo points: no order either, and a note says why.
"$cmp_" --methods=sgd --engine=mc --eta=2^-3:2^-4 --paths=2000 --target-ci=0 >"$tmpdir/mc2" &&
  grep -q '^sgd  *norm2  *-' "$tmpdir/mc2" && grep -q 'no order is fitted from fewer than three' "$tmpdir/mc2" && pass ||
  fail "two Monte Carlo points gave an order: $(grep '^sgd' "$tmpdir/mc2")"

# The consistency check across etas is for one reference SDE: with a fixed
# sigma the temperature changes with eta, so it is skipped, with a note.
"$cmp_" --sigma=1 --methods=sgd --eta=2^-2:2^-6 --checkpoints=1 --paths=20000 --target-ci=0 --engine=mc \
  >"$tmpdir/giles.txt" || fail "--sigma run"
if grep -q '^# consistency:' "$tmpdir/giles.txt"; then fail "consistency false alarm under --sigma"; else pass; fi
grep -q 'consistency check .* skipped' "$tmpdir/giles.txt" && pass || fail "no note on the skipped consistency check"

# --expect-order: SGD's order 1 passes; 2 fails with status 3.
"$cmp_" $small --methods=sgd --expect-order=1 --tolerance=0.2 >/dev/null && pass || fail "--expect-order=1"
"$cmp_" $small --methods=sgd --expect-order=2 --tolerance=0.2 >/dev/null 2>"$tmpdir/e"
[ $? -eq 3 ] && grep -q "order .*95% CI .*is below" "$tmpdir/e" && pass || fail "--expect-order=2 should exit 3: $(cat "$tmpdir/e")"

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
assert all(r["se"] == 0 for r in d["errors"])
p = d["fits"][0]["order"]
assert abs(p - 1) < 0.01, p' "$tmpdir/ex.json" && pass || fail "exact engine table"
"$cmp_" --problem=quadratic:h=1,4 --methods=sgd --eta=2^-3 --engine=mc --paths=1000 --target-ci=0 | grep -q '^# engine: mc' && pass || fail "--engine=mc"
expect_usage sde-compare --engine=exact; expect_mentions "not quadratic"
# The density engine says so in its provenance, and claims no paths.
"$cmp_" --methods=sgd --engine=density --eta=2^-3 >"$tmpdir/den" &&
  grep -q '^# engine: density' "$tmpdir/den" && grep -q '^# paths: none' "$tmpdir/den" &&
  grep -q '^# reference: SME-1, solved by the density engine' "$tmpdir/den" && pass || fail "density provenance: $(grep '^# ' "$tmpdir/den")"

# Interrupted: rows finished before the signal stay in the renamed file,
# which stays a valid document: JSON parses and says "interrupted", LaTeX
# closes its table (tests/check_report.c compiles such trailers).
for f in text json latex; do
  out=$tmpdir/int.$f
  # The binary itself, not the wrapper: the signal must reach it.
  "$realtools/sde-compare" --eta=2^-2:2^-14 --paths=2000 --target-ci=0 --format=$f --output="$out" >/dev/null 2>&1 &
  pid=$!
  i=0
  while [ $i -lt 100 ]; do
    if ls "$out".tmp* >/dev/null 2>&1 && grep -q '0\.0625' "$out".tmp* 2>/dev/null; then break; fi
    sleep 0.1; i=$((i + 1))
  done
  kill -INT $pid 2>/dev/null
  wait $pid
  case $f in
    text) grep -q '^0.25 ' "$out" && grep -q '^# interrupted' "$out" ;;
    json) python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d["interrupted"] is True and d["failed"] is False
assert d["errors"][0]["eta"] == 0.25' "$out" ;;
    latex) grep -q '^\$0.25\$' "$out" && grep -q '^% interrupted' "$out" &&
      grep -q '^\\bottomrule' "$out" && grep -q '^\\end{tabular}' "$out" ;;
  esac && pass || fail "interrupted $f run lost its rows or is not valid: $(tail -n 3 "$out" 2>&1)"
  if ls "$out".tmp* >/dev/null 2>&1; then fail "temporary file left after the interrupt"; else pass; fi
done

# Weight decay: the reference is the SDE of L + wd |x|^2/2.  At eta = 2^-6
# heavy ball with wd = 1 is within 0.03 of it (about 10 SE); the SDE of L
# alone is 0.08 away.
"$tools/sde-compare" --methods=hb:momentum=0.5,wd=1 --eta=2^-3:2^-6 --paths=4000 --target-ci=0 --seed=3 --format=csv >"$tmpdir/wd" 2>&1 || fail "weight decay run"
csv_cols "$tmpdir/wd" eta error | awk -F'\t' '$1 == 0.015625 { found = 1; e = $2 < 0 ? -$2 : $2; ok = e < 0.03 } END { exit !(found && ok) }' && pass || fail "weight decay reference: $(csv_cols "$tmpdir/wd" eta error)"
grep -q '^# limit: .*weight decay wd=1' "$tmpdir/wd" && pass || fail "the decayed limit problem is not reported"

# With independent samples the reference's error check is noise-bound:
# its substeps must not climb (more substeps cannot shrink the noise), and
# the note says the check is unresolved.
"$cmp_" --eta=2^-8 --target-ci=0 --paths=20000 --estimator=independent --format=csv >"$tmpdir/ind" 2>&1 || fail "independent run"
csv_cols "$tmpdir/ind" eta substeps | awk -F'\t' '$1 == 0.00390625 { n++; if ($2 != 4) bad = 1 } END { exit !(n == 2 && !bad) }' && pass || fail "independent estimator: substeps climbed: $(csv_cols "$tmpdir/ind" eta method substeps)"
grep -q "own error.*not resolved from noise" "$tmpdir/ind" && pass || fail "no unresolved-reference note"

# A --x0 that replaces the spec's x0 is in the provenance.
"$cmp_" --methods=sgd --x0=0.3 --eta=2^-3 --engine=density | grep -q '^# x0: 0.3$' && pass || fail "--x0 not in the provenance"

# Weight decay in a method reference rules the exact engine out up front.
"$cmp_" --problem=quadratic:h=1,4 --methods=sgd --reference=hb:momentum=0.5,wd=1 --eta=2^-3 --paths=1000 --target-ci=0 >"$tmpdir/rwd" 2>&1 &&
  grep -q '^# engine: mc.*weight decay in the reference' "$tmpdir/rwd" && pass || fail "reference with weight decay: $(grep -e '^# engine' -e 'sde-compare:' "$tmpdir/rwd")"

# Expression observables are the catalog's where they coincide: the same
# paths give bitwise the same estimates for x0x1 and expr:x0*x1, and for
# norm2 and expr:x0^2+x1^2 (Monte Carlo, so the paths are what is shared).
"$cmp_" --problem=nonconvex2d --methods=sgd --eta=2^-3:2^-4 --paths=1000 --target-ci=0 --format=csv \
  --observable='x0x1,expr:x0*x1,norm2,expr:x0^2+x1^2' >"$tmpdir/ex.csv" || fail "expression observables run"
awk -F, '/^#/ || $1 == "eta" { next } NF > 5 { v[$1 " " $3] = $6 }
  END { n = 0
        for (k in v) { split(k, a, " ")
          if (a[2] == "x0x1") { n++; if (v[a[1] " expr:x0*x1"] != v[k]) bad = 1 }
          if (a[2] == "norm2") { n++; if (v[a[1] " expr:x0^2+x1^2"] != v[k]) bad = 1 } }
        exit bad || n != 4 }' "$tmpdir/ex.csv" && pass || fail "expression observables differ from the catalog's: $(grep -v '^#' "$tmpdir/ex.csv")"

# --max-seconds stops a long run with status 0, keeping every finished row
# and saying so: 11 etas at fixed paths, the first few done in
# milliseconds, the last (4096 steps of 20000 paths and the reference)
# seconds even on a fast machine; --progress=always reports on stderr
# even off a terminal; --pilot=N picks t_max on N paths, in the provenance
# and every row.
"$cmp_" --eta=2^-2:2^-12 --paths=20000 --target-ci=0 --max-seconds=1.5 --progress=always \
  --pilot=256 --format=csv >"$tmpdir/ms.csv" 2>"$tmpdir/ms.err"
st=$?
rows=$(grep -c '^0\.' "$tmpdir/ms.csv")
[ "$st" -eq 0 ] && [ "$rows" -ge 2 ] && [ "$rows" -lt 22 ] && pass ||
  fail "--max-seconds: status $st, $rows rows: $(cat "$tmpdir/ms.err")"
grep -q '^# run stopped by --max-seconds after [0-9.]* s: the rows above are finished' "$tmpdir/ms.csv" && pass ||
  fail "--max-seconds: no note in the table"
grep -q 'stopped by --max-seconds; the finished rows are kept' "$tmpdir/ms.err" && pass ||
  fail "--max-seconds: nothing said on stderr: $(cat "$tmpdir/ms.err")"
grep -q '^sde-compare: eta 0.25 (1 of 11): [0-9]* paths, [0-9]* s elapsed, about [^ ]*\( [a-z]*\)\? left$' "$tmpdir/ms.err" && pass ||
  fail "--progress=always: $(cat "$tmpdir/ms.err")"
grep -q '^# paths: 20000 .*t_max picked on a pilot of 256$' "$tmpdir/ms.csv" &&
  csv_cols "$tmpdir/ms.csv" pilot | awk '$1 != 256 { bad = 1 } END { exit bad || NR < 2 }' && pass ||
  fail "--pilot=256: $(grep '^# paths' "$tmpdir/ms.csv"; csv_cols "$tmpdir/ms.csv" pilot)"
"$cmp_" --eta=2^-3 --paths=1000 --target-ci=0 --progress=never >/dev/null 2>"$tmpdir/pn.err" &&
  [ ! -s "$tmpdir/pn.err" ] && pass || fail "--progress=never printed: $(cat "$tmpdir/pn.err")"
expect_usage sde-compare --progress=sometimes; expect_mentions "--progress=sometimes: use auto, always or never"
expect_usage sde-compare --max-seconds=-1; expect_mentions "--max-seconds"

finish
