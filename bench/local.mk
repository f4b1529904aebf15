# bench/local.mk: benchmarks against peers, run by `make bench` (never by
# `make check`).  Each prints ratios measured side by side in one run.
# Built by `make check` too, so that tests/cli/bench.sh runs them small
# (under the sanitizers in CI): a benchmark that rots fails the suite.
check_PROGRAMS += bench/bench_normals bench/bench_sgd bench/bench_goals
bench_bench_normals_SOURCES = bench/bench_normals.c bench/ziggurat.c \
	bench/ziggurat.h
bench_bench_normals_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
bench_bench_normals_LDADD = lib/libsdekit-core.la $(GSL_LIBS) -lm
bench_bench_sgd_SOURCES = bench/bench_sgd.c
bench_bench_sgd_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(OPENMP_CFLAGS)
bench_bench_sgd_LDADD = lib/libsdekit-core.la $(GSL_LIBS) -lm $(OPENMP_CFLAGS)
bench_bench_goals_SOURCES = bench/bench_goals.c
bench_bench_goals_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(OPENMP_CFLAGS)
bench_bench_goals_LDADD = lib/libsdekit-core.la $(GSL_LIBS) -lm $(OPENMP_CFLAGS)
CLEANFILES += bench/sgd_plain$(EXEEXT)
EXTRA_DIST += bench/run-normals.sh bench/numpy_normals.py \
	bench/run-sgd.sh bench/sgd_peers.py bench/table_numpy.py \
	bench/run-mpi.sh bench/run-engines.sh bench/lib.sh bench/run-expr.sh \
	bench/run-goals.sh bench/sgd_plain.c bench/table_numpy_coupled.py \
	bench/d100_numpy.py bench/run-python.sh \
	bench/python_peers.py

# The plain-C peer is built with its own flags, as its header says (a
# peer may use -ffast-math; sdekit may not).
SGD_PLAIN_CFLAGS = -O3 -march=native -mprefer-vector-width=512 \
	-fopenmp-simd -ffast-math
bench/sgd_plain$(EXEEXT): $(srcdir)/bench/sgd_plain.c
	@$(MKDIR_P) bench
	$(AM_V_CC)$(CC) $(SGD_PLAIN_CFLAGS) -o $@ $(srcdir)/bench/sgd_plain.c -lm

BENCH_TARGETS = bench-goals bench-normals bench-sgd bench-engines bench-expr
if HAVE_MPI
BENCH_TARGETS += bench-mpi
endif
if HAVE_PYTHON
BENCH_TARGETS += bench-python
endif
bench: $(BENCH_TARGETS)

bench-normals: bench/bench_normals$(EXEEXT)
	@echo "== normals per second, one core =="
	@PYTHON3_SYSTEM='$(PYTHON3_SYSTEM)' $(srcdir)/bench/run-normals.sh bench/bench_normals$(EXEEXT)

# The SGD ensemble against numpy, PyTorch and a GSL loop, and the time to
# the default sde-compare table against an uncoupled numpy researcher.
bench-sgd: bench/bench_sgd$(EXEEXT) tools/sde-compare$(EXEEXT)
	@echo "== SGD ensembles and time to table =="
	@PYTHON3_SYSTEM='$(PYTHON3_SYSTEM)' $(srcdir)/bench/run-sgd.sh \
	  bench/bench_sgd$(EXEEXT) tools/sde-compare$(EXEEXT)
# 2 ranks against 1 under mpirun, with the scaling model (--with-mpi).
bench-mpi: tools/sde-compare$(EXEEXT)
	@echo "== sde-compare under MPI: 2 ranks against 1 =="
	@MPIRUN='$(MPIRUN)' $(srcdir)/bench/run-mpi.sh tools/sde-compare$(EXEEXT)
# The exact and density engines against Monte Carlo on the same problems.
bench-engines: tools/sde-compare$(EXEEXT)
	@echo "== engines without sampling error against Monte Carlo =="
	@$(srcdir)/bench/run-engines.sh tools/sde-compare$(EXEEXT)
# The goals of issue 14, each a ratio against a peer or a limit measured in
# alternating runs: lines "ratio NAME VALUE goal GOAL met|short".
bench-goals: bench/bench_goals$(EXEEXT) bench/bench_normals$(EXEEXT) \
	  bench/bench_sgd$(EXEEXT) bench/sgd_plain$(EXEEXT) \
	  tools/sde-compare$(EXEEXT)
	@echo "== speed goals: sdekit and its peers in alternating runs =="
	@PYTHON3_SYSTEM='$(PYTHON3_SYSTEM)' \
	  SDEKIT_DATADIR='$(abs_top_srcdir)/data/datasets' \
	  $(srcdir)/bench/run-goals.sh bench/bench_goals$(EXEEXT) \
	  bench/bench_normals$(EXEEXT) tools/sde-compare$(EXEEXT) \
	  bench/bench_sgd$(EXEEXT) bench/sgd_plain$(EXEEXT)
# The Python package against the CLI, the built-in problems and numpy.
bench-python: tools/sde-compare$(EXEEXT) python/site/sdekit/.stamp
	@echo "== the Python package: overhead, numpy gradients, numpy loops =="
	@PYTHON3_SYSTEM='$(PYTHON3_SYSTEM)' SDEKIT_DATADIR='$(abs_top_srcdir)/data/datasets' \
	  $(srcdir)/bench/run-python.sh tools python/site
# Problems written as expressions against the same ones built in.
bench-expr: tools/sde-sim$(EXEEXT) tools/sde-slow$(EXEEXT)
	@echo "== expressions against built-in problems =="
	@$(srcdir)/bench/run-expr.sh tools/sde-sim$(EXEEXT) tools/sde-slow$(EXEEXT)
.PHONY: bench bench-goals bench-normals bench-sgd bench-engines bench-mpi \
	bench-python \
	bench-expr
