#!/bin/sh
# Hostile input: output files that are not plain files, file names that
# would be code, control characters and long values in messages and
# provenance, one strict number and list syntax, engines that must refuse
# what they cannot vouch for, runs that cannot finish.
. "${top_srcdir:-.}/tests/cli/lib.sh"
quick="--eta=2^-2:2^-3 --paths=1000 --target-ci=0"
cd "$tmpdir" || exit 1

# ---- Output files ----
# A device is written in place, never replaced by a regular file.
if [ -c /dev/null ] && [ -w /dev/null ]; then
  "$tools/sde-compare" $quick --output=/dev/null >"$tmpdir/devnull.out" 2>&1
  st=$?
  [ "$st" -eq 0 ] && [ -c /dev/null ] && pass || fail "--output=/dev/null: status $st, $(ls -l /dev/null)"
  "$tools/sde-compare" $quick --plot=/dev/null.tex 2>/dev/null
fi
# A FIFO: written directly (a reader gets the table), not renamed over.
mkfifo "$tmpdir/fifo"
cat "$tmpdir/fifo" >"$tmpdir/fifo.out" &
reader=$!
"$tools/sde-compare" $quick --output="$tmpdir/fifo" >/dev/null 2>"$tmpdir/fifo.err"
st=$?
wait $reader
[ "$st" -eq 0 ] && [ -p "$tmpdir/fifo" ] && grep -q '^# table: errors' "$tmpdir/fifo.out" && pass ||
  fail "--output=FIFO: status $st, $(cat "$tmpdir/fifo.err")"
# A folder, an empty name, a folder that does not exist: usage errors
# before any work, and no temporary file anywhere.
mkdir "$tmpdir/d"
expect_usage sde-compare $quick --output="$tmpdir/d"; expect_mentions "is a directory"
expect_usage sde-compare $quick --output=; expect_mentions "empty file name"
expect_usage sde-compare $quick --output="$tmpdir/none/x.txt"; expect_mentions "cannot create a file in"
expect_usage sde-compare $quick --plot="$tmpdir/d"; expect_mentions "--plot"
expect_usage sde-compare $quick --plot="$tmpdir/none/x.tex"; expect_mentions "cannot create a file in"
expect_usage sde-slow --output="$tmpdir/d"; expect_mentions "is a directory"
expect_usage sde-sim --output=; expect_mentions "empty file name"
if ls -a "$tmpdir" "$tmpdir/d" | grep -q 'tmp[A-Za-z0-9]\{6\}$\|sdekit-probe'; then
  fail "temporary files left: $(ls -a "$tmpdir" "$tmpdir/d")"
else pass; fi
# A failed write (full disk) removes the temporary file and names the file
# and the system error.
if [ -w /dev/full ]; then
  ln -s /dev/full "$tmpdir/full"
  "$tools/sde-compare" $quick --output="$tmpdir/full" >/dev/null 2>"$tmpdir/full.err"
  st=$?
  [ "$st" -eq 1 ] && grep -q "full.*No space left on device" "$tmpdir/full.err" && pass ||
    fail "write to a full device: status $st, $(cat "$tmpdir/full.err")"
fi

# ---- File names are never code ----
if command -v gnuplot >/dev/null; then
  name="x';system('touch PWNED');'.png"
  "$tools/sde-compare" $quick --plot="$name" >/dev/null 2>"$tmpdir/inj.err"
  [ ! -e PWNED ] && [ "$(head -c 4 "$name" | tail -c 3)" = PNG ] && pass ||
    fail "--plot name ran as gnuplot code: $(ls) $(cat "$tmpdir/inj.err")"
  "$tools/sde-compare" $quick --plot="it's \`touch PWNED2\`.svg" >/dev/null &&
    [ ! -e PWNED2 ] && grep -q '<svg' "it's \`touch PWNED2\`.svg" && pass || fail "apostrophe in a --plot name"
fi
# A title made of a hostile expression stays text in pgfplots.
"$tools/sde-compare" $quick --loss='x0^2/2' --plot="$tmpdir/t}x.tex" >/dev/null &&
  grep -q 'loglogaxis' "$tmpdir/t}x.tex" && pass || fail "pgfplots with a brace in its name"

# ---- Control characters and long values ----
nl='a
b'
"$tools/sde-compare" $quick --output="$tmpdir/$nl.txt" >/dev/null || fail "newline in a file name"
awk '/^# table/ { exit } !/^# / { bad = 1 } END { exit bad }' "$tmpdir/$nl.txt" && pass ||
  fail "a newline in a value started a provenance line: $(head -n 4 "$tmpdir/$nl.txt")"
grep -q '^# command: .*a\\nb' "$tmpdir/$nl.txt" && pass || fail "the newline is not escaped in the command line"
for f in csv md latex; do
  "$tools/sde-compare" $quick --format=$f --output="$tmpdir/$nl.$f" >/dev/null
  grep -c 'a\\nb' "$tmpdir/$nl.$f" | grep -q '^1$' && pass || fail "--format=$f: newline in the provenance"
done
long=$(printf 'q%.0s' $(seq 1 500))
expect_usage sde-compare --problem="$long"
[ "$(wc -c <"$tmpdir/err")" -lt 300 ] && pass || fail "a 500-character value quoted whole: $(wc -c <"$tmpdir/err") bytes"
expect_usage sde-compare --methods="sgd$nl"
[ "$(wc -l <"$tmpdir/err")" -eq 1 ] && pass || fail "a newline split the message"

# ---- One number and list syntax everywhere ----
for bad in "--paths=0x10" "--paths=1e3.5" "--seed=-1" "--horizon=0x1p0" "--horizon=inf" \
           "--tau=nan" "--bound= 5" "--eta=0x0.1" "--methods=sgd," "--methods=,sgd" \
           "--observable=norm2," "--observable=norm2,norm2" "--methods=sgd,sgd" \
           "--eta=0.1,0.05," "--eta=0.1,,0.05" "--x0=1," "--eta=2^-3:2^-4:300" \
           "--eta=1:0.5:99999999999" "--problem=quadratic:h=1,2,"; do
  expect_usage sde-compare $bad
done
expect_usage sde-slow --eta=1:0.5:99999999999; expect_mentions "more than"
expect_usage sde-slow --loss='x0^2' --problem=circle
expect_usage sde-slow --loss='x0^2+x1^2' --eta=0.3
# The same syntax in every tool: 2^-5 is a number everywhere.
"$tools/sde-sim" --step=2^-5 --paths=500 >/dev/null && pass || fail "sde-sim --step=2^-5"
"$tools/sde-compare" --eta=2^-3 --horizon=2^0 --paths=2^9 --target-ci=0 >/dev/null && pass || fail "2^K in sde-compare"
# Provenance prints numbers in their shortest form.
"$tools/sde-compare" --problem=quadratic:h=0.1,x0=0.3 --methods=sgd --eta=2^-3 >"$tmpdir/short" &&
  grep -q '^# problem: quadratic:h=0.1,s=1,x0=0.3' "$tmpdir/short" && pass || fail "shortest numbers: $(grep '^# problem' "$tmpdir/short")"

# Provenance reproduces the run: the circle starts at (1, 0) and says so,
# and its printed spec gives the same table.  (CSV comments hold no comma:
# the spec is read from the default text format.)
"$tools/sde-slow" --problem=circle --paths=512 --eta=2^-2:2^-3 --target-ci=0 --format=csv >"$tmpdir/c1" || fail "circle run"
spec=$("$tools/sde-slow" --problem=circle --paths=2 --eta=2^-2 --target-ci=0 | sed -n 's/^# problem: //p')
case "$spec" in *x0=1,0) pass ;; *) fail "circle provenance: $spec" ;; esac
"$tools/sde-slow" --problem="$spec" --paths=512 --eta=2^-2:2^-3 --target-ci=0 --format=csv >"$tmpdir/c2" || fail "circle rerun"
grep -v '^# command' "$tmpdir/c1" | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/c1s"
grep -v '^# command' "$tmpdir/c2" | sed '/^[^#]/s/,[^,]*$//' >"$tmpdir/c2s"
cmp -s "$tmpdir/c1s" "$tmpdir/c2s" && pass || fail "the printed problem spec does not reproduce the run"

# ---- Engines that cannot vouch refuse ----
# SGD at eta = 4 diverges: the density engine would report its law as
# exact; auto takes Monte Carlo and says why; --engine=density fails.
"$tools/sde-compare" --methods=sgd --eta=4,2 --horizon=4 --paths=1000 --target-ci=0 >"$tmpdir/d4" 2>&1
grep -q '^# engine: mc .*density engine cannot vouch' "$tmpdir/d4" && pass || fail "auto did not leave the density engine: $(grep '^# engine' "$tmpdir/d4")"
"$tools/sde-compare" --methods=sgd --eta=4,2 --horizon=4 --engine=density >"$tmpdir/d5" 2>"$tmpdir/d5.err"
[ $? -eq 1 ] && grep -q 'probability' "$tmpdir/d5.err" && pass || fail "--engine=density at eta = 4: $(cat "$tmpdir/d5.err")"
# A grid too coarse for the law: negative density, refused.
"$tools/sde-compare" --methods=sgd --engine=density --density-grid=-3:32:158 >/dev/null 2>"$tmpdir/d6.err"
[ $? -eq 1 ] && grep -q 'negative' "$tmpdir/d6.err" && pass || fail "coarse density grid: $(cat "$tmpdir/d6.err")"
# A start outside a fixed grid: the mass leaves it.
"$tools/sde-compare" --methods=sgd --engine=density --x0=3 --density-grid=-3:2:400 >/dev/null 2>"$tmpdir/d7.err"
[ $? -eq 1 ] && grep -q 'outside the grid' "$tmpdir/d7.err" && pass || fail "x0 off the grid: $(cat "$tmpdir/d7.err")"

# ---- Runs that cannot be what they claim ----
# Every path diverges: exit 1, and the message says so.
"$tools/sde-compare" --loss='log(x0)' --eta=2^-3:2^-4 >"$tmpdir/div" 2>"$tmpdir/div.err"
[ $? -eq 1 ] && grep -q 'every path of sgd diverged' "$tmpdir/div.err" && pass || fail "all paths diverged: $(cat "$tmpdir/div.err")"
# A run that would take days is refused up front, with its cost.
expect_usage sde-compare --eta=2^-40; expect_mentions "path-steps"
expect_usage sde-sim --step=2^-40; expect_mentions "path-steps"
expect_usage sde-slow --eta=2^-20 --horizon=1; expect_mentions "path-steps"

finish
