#!/bin/sh
# Every tool calls OpenBLAS's cblas_dgemm, never GSL's reference libgslcblas,
# which libgsl.so pulls in: OpenBLAS is a direct dependency of each tool, so
# it is loaded before libgslcblas and the dynamic linker resolves every
# cblas_* symbol (GSL's own calls too) to it.  check_cmat checks the same
# at run time with dladdr.
. "${top_srcdir:-.}/tests/cli/lib.sh"

if ! command -v ldd >/dev/null 2>&1; then
  echo "SKIP: no ldd" >&2
  finish; exit
fi
for t in sde-compare sde-sim sde-slow sde-plot sde-order; do
  bin=$realtools/$t
  if nm -D --undefined-only "$bin" 2>/dev/null | grep -q ' cblas_dgemm$'; then pass; else
    fail "$t does not call cblas_dgemm through the dynamic linker"; fi
  # Load order: the first of the two that provides the symbols wins.
  first=$(ldd "$bin" | awk '/libopenblas|libgslcblas/ { print $1; exit }')
  case $first in
    libopenblas*) pass ;;
    *) fail "$t: '${first:-neither}' comes before libopenblas in the load order: $(ldd "$bin" | grep -E 'blas' | tr '\n' ' ')" ;;
  esac
done

finish
