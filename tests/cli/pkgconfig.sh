#!/bin/sh
# A program outside the tree builds against the installed library with
# `pkg-config --cflags --libs sdekit` and runs.
. "${top_srcdir:-.}/tests/cli/lib.sh"

root=$tmpdir/root
if ! make -s -C "$top_builddir" install DESTDIR="$root" >"$tmpdir/install.log" 2>&1; then
  fail "make install DESTDIR failed: $(tail -n 5 "$tmpdir/install.log")"
  finish; exit
fi
libdir=$(sed -n 's/^libdir=//p' "$top_builddir/sdekit.pc")
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/sdekit.pc")
libdir=$(echo "$libdir" | sed "s#\${exec_prefix}#$prefix#")
pcdir=$root$libdir/pkgconfig
[ -f "$pcdir/sdekit.pc" ] && pass || fail "sdekit.pc not installed in $pcdir"
[ -f "$root$prefix/include/sdekit.h" ] && [ -f "$root$prefix/include/sdekit/rng.h" ] && pass ||
  fail "headers not installed under <sdekit/...>"

cat >"$tmpdir/outside.c" <<'C'
#include <math.h>
#include <stdio.h>
#include <sdekit.h>

int
main (void)
{
  sde_rng *r = sde_rng_alloc ("philox", 3);
  double x[8];
  sde_rng_sample (r, SDE_RNG_NORMAL, 0, 1, 2, 0, 4, 2, x, 4);
  double y = sde_rng_sample_one (r, SDE_RNG_NORMAL, 0, 1, 2, 3, 1);
  const sde_stepper_type *t = sde_stepper_type_find ("weak2");
  printf ("%s %d\n", t ? t->name : "none", x[7] == y);
  sde_rng_free (r);
  return !(t && x[7] == y && isfinite (y));
}
C
cflags=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags sdekit) || fail "pkg-config --cflags"
libs=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root pkg-config --libs sdekit) || fail "pkg-config --libs"
# shellcheck disable=SC2086
if ${CC:-cc} ${TEST_CFLAGS:-} $cflags "$tmpdir/outside.c" -o "$tmpdir/outside" $libs -lm ${TEST_LDFLAGS:-} 2>"$tmpdir/cc.log"; then pass; else
  fail "outside program does not build: $(cat "$tmpdir/cc.log")"; fi
if out=$(LD_LIBRARY_PATH=$root$libdir "$tmpdir/outside") && [ "$out" = "weak2 1" ]; then pass; else
  fail "outside program failed: $out"; fi
# The README's experiment example, as printed there, builds and runs: a
# table, then one "METHOD: order P [LO, HI]" line per method.
awk '/^```c$/ { inb = 1; buf = ""; next }
     /^```$/ && inb { inb = 0; if (buf ~ /sde_experiment_alloc/) printf "%s", buf; next }
     inb { buf = buf $0 "\n" }' "$top_srcdir/README.md" >"$tmpdir/readme.c"
grep -q sde_experiment_run "$tmpdir/readme.c" && pass || fail "no experiment example in README.md"
# shellcheck disable=SC2086
if ${CC:-cc} ${TEST_CFLAGS:-} $cflags "$tmpdir/readme.c" -o "$tmpdir/readme" $libs -lgsl -lm ${TEST_LDFLAGS:-} 2>"$tmpdir/cc.log"; then pass; else
  fail "the README example does not build: $(cat "$tmpdir/cc.log")"; fi
if LD_LIBRARY_PATH=$root$libdir "$tmpdir/readme" >"$tmpdir/readme.out" 2>&1 &&
  grep -q '^sgd: order [0-9.]* \[' "$tmpdir/readme.out" && grep -q '^sgdm:beta=0.9: order' "$tmpdir/readme.out"; then pass; else
  fail "the README example failed: $(tail -5 "$tmpdir/readme.out")"; fi

# Only public names are exported.
if nm -D --defined-only "$root$libdir/libsdekit.so" | awk '{print $3}' | grep -v '^sde_[a-z]' | grep -q .; then
  fail "libsdekit exports non-public symbols: $(nm -D --defined-only "$root$libdir/libsdekit.so" | awk '{print $3}' | grep -v '^sde_[a-z]' | head -3)"
else pass; fi

finish
