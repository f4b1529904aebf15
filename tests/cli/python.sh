#!/bin/sh
# The Python package: it imports and runs from a clean install (make
# install DESTDIR=..., nothing of the build tree on the path), and its
# pytest suite (python/tests) passes against the build tree's package and
# tools: equality with the CLI, callback problems, errors, Ctrl-C,
# figures, the README's examples.
. "${top_srcdir:-.}/tests/cli/lib.sh"
# Debian's Python, where python3-cffi, -numpy, -pandas, -pytest and
# -matplotlib install (not a python3 earlier on the PATH).
py=${PYTHON3_SYSTEM:-/usr/bin/python3}
site=$top_builddir/python/site

if ! "$py" -c 'import numpy, pandas, pytest, matplotlib' 2>"$tmpdir/imp"; then
  fail "$py lacks a package the tests need ($(tail -n 1 "$tmpdir/imp")):" \
    "install python3-numpy python3-pandas python3-pytest python3-matplotlib" \
    "(./quickstart.sh deps does)"
  finish
  exit 1
fi

# In a sanitizer build the module is instrumented: the ASan runtime must
# come first in Python's process, and Python's own allocations at exit
# are not leaks of ours.
case " ${TEST_CFLAGS:-} " in
  *-fsanitize=*address*)
    LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so)${LD_PRELOAD:+ $LD_PRELOAD}"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export LD_PRELOAD ASAN_OPTIONS
    ;;
esac
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

# ---- A clean install ----
root=$tmpdir/root
if make -s -C "$top_builddir" install DESTDIR="$root" >"$tmpdir/install.log" 2>&1; then
  pass
else
  fail "make install DESTDIR failed: $(tail -n 5 "$tmpdir/install.log")"
fi
mod=$(find "$root" -name '_sdekit_cffi*.so' | head -n 1)
pkg=$(dirname "$mod")
if [ -n "$mod" ] && [ -f "$pkg/__init__.py" ] && [ ! -e "$pkg/_sdekit_cffi.la" ]; then
  pass
else
  fail "the package is not installed as a package (module '$mod'): $(find "$root" -path '*sdekit*' -name '*.py' | head -n 3)"
fi
mkdir -p "$tmpdir/away"
if out=$(cd "$tmpdir/away" && env -u SDEKIT_DATADIR PYTHONPATH="$(dirname "$pkg")" "$py" -c '
import sdekit
r = sdekit.compare(eta="2^-2:2^-3", paths=512, target_ci=0, progress="never")
assert len(r.errors) == 4 and r.errors["error"].notna().all()
print(sdekit.__file__)' 2>&1) && case "$out" in "$pkg"/*) true ;; *) false ;; esac; then
  pass
else
  fail "the installed package does not import and run by itself: $out"
fi

# ---- The pytest suite ----
cd "$tmpdir" || exit 1
if PYTHONPATH=$site SDEKIT_TOOLS=$tools "$py" -m pytest -q -p no:cacheprovider \
    "$top_srcdir/python/tests" >"$tmpdir/pytest.log" 2>&1; then
  pass
  tail -n 1 "$tmpdir/pytest.log"
else
  fail "pytest python/tests:"
  cat "$tmpdir/pytest.log" >&2
fi

finish
