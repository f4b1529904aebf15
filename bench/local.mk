# bench/local.mk: benchmarks against peers, run by `make bench` (never by
# `make check`).  Each prints ratios measured side by side in one run.
EXTRA_PROGRAMS += bench/bench_normals
bench_bench_normals_SOURCES = bench/bench_normals.c
bench_bench_normals_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
bench_bench_normals_LDADD = lib/libsdekit-core.la $(GSL_LIBS) -lm
CLEANFILES += bench/bench_normals$(EXEEXT)
EXTRA_DIST += bench/run-normals.sh bench/numpy_normals.py

bench: bench/bench_normals$(EXEEXT)
	@echo "== normals per second, one core =="
	@PYTHON3_SYSTEM='$(PYTHON3_SYSTEM)' $(srcdir)/bench/run-normals.sh bench/bench_normals$(EXEEXT)
.PHONY: bench
