#!/bin/sh
# The benchmarks' programs, run small: `make bench` must not rot unseen.
# Each prints the lines run-goals.sh, run-normals.sh and run-sgd.sh parse,
# with the work counts those scripts divide by; the peers they hold must be
# right (the ziggurat's law, checked by bench_normals itself) and sdekit's
# side must agree with closed forms.  No timing is checked.
. "${top_srcdir:-.}/tests/cli/lib.sh"

bench=$top_builddir/bench

# ---- bench_normals: every contestant, both pairs, the ziggurat's law ----
if "$bench/bench_normals" 65536 1 >"$tmpdir/nrm" 2>"$tmpdir/err"; then pass; else
  fail "bench_normals 65536 1: exit status $? ($(cat "$tmpdir/err"))"; fi
for c in sdekit gsl-mt19937-ziggurat gsl-taus2-ziggurat philox-plain-loop \
  philox-simd-ziggurat philox-simd-bits; do
  if awk -v c="$c" '$1 == c && $2 + 0 > 0 { ok = 1 } END { exit !ok }' "$tmpdir/nrm"; then pass; else
    fail "bench_normals: no positive rate for $c"; fi
done
for p in normals-simd ziggurat-simd; do
  if awk -v p="$p" '$1 == "pair" && $2 == p && $3 + 0 > 0 { ok = 1 } END { exit !ok }' "$tmpdir/nrm"; then pass; else
    fail "bench_normals: no line 'pair $p'"; fi
done
if grep -q "^# ziggurat peer's law on 16777216 normals" "$tmpdir/nrm"; then pass; else
  fail "bench_normals: the ziggurat's law was not checked"; fi

# ---- bench_goals: one line NAME WALL CPU WORK per case ----
# work NAME EXPECTED ARGS...: runs bench_goals ARGS, checks the line NAME
# and its WORK.
work () {
  _n=$1 _w=$2
  shift 2
  if "$bench/bench_goals" "$@" >"$tmpdir/out" 2>"$tmpdir/err"; then pass; else
    fail "bench_goals $*: exit status $? ($(cat "$tmpdir/err"))"; return; fi
  _got=$(awk -v n="$_n" '$1 == n && $2 >= 0 && $3 >= 0 { print $4 }' "$tmpdir/out")
  if [ "$_got" = "$_w" ]; then pass; else
    fail "bench_goals $*: line $_n with work '$_got', expected $_w"; fi
}
work normals 2048 normals 256 8
work dgemm 12800 dgemm 10 32 2
work ensemble 1024 ensemble quadratic:d=4 256 4 2
work finite-grad 512 finite linreg:data=diabetes 2
work finite-ref 512 finite linreg:data=diabetes 2
work sgd 65536 sgd quadratic:h=1 4096 16 0.01 1
# SGD on h = 1 from x0 = 1: E x_16 = 0.99^16 exactly.
if awk '/^# mean x0/ { d = ($4 - 0.99 ^ 16) / $6; exit !(d < 5 && d > -5) }' "$tmpdir/out"; then pass; else
  fail "bench_goals sgd: $(grep mean "$tmpdir/out"), E x0 = 0.99^16 = 0.851458"; fi
if "$bench/bench_goals" >/dev/null 2>&1; then
  fail "bench_goals without a case exits 0"; else pass; fi

# ---- bench_sgd: sdekit's engine on one and two threads ----
if "$bench/bench_sgd" gauss quadratic:h=1 4096 16 0.01 1 sdekit >"$tmpdir/sgd" 2>"$tmpdir/err"; then pass; else
  fail "bench_sgd: exit status $? ($(cat "$tmpdir/err"))"; fi
# The exact mean, and the engine's within 5 SE of it, the same on
# one thread and on two (to the printed digits).
if awk '$2 == "exact" { e = $3 } END { exit !((e - 0.99 ^ 16) ^ 2 < 1e-18) }' "$tmpdir/sgd"; then pass; else
  fail "bench_sgd: the exact mean is not 0.99^16: $(grep exact "$tmpdir/sgd")"; fi
if awk '$2 == "exact" { e = $3 } $2 == "sdekit-1t" { m1 = $5; s = $6 } $2 == "sdekit-2t" { m2 = $5 }
  END { d = (m1 - e) / s; exit !(d < 5 && d > -5 && m1 == m2 && s > 0) }' "$tmpdir/sgd"; then pass; else
  fail "bench_sgd: sdekit's means and the exact one: $(grep -E 'exact|sdekit-[12]t ' "$tmpdir/sgd" | tr '\n' ' ')"; fi

finish
