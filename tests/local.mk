# tests/local.mk: Check unit tests (one binary per module) and shell tests of
# the tools.  Unit tests link the convenience library to reach internals.
TEST_UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GSL_CFLAGS) $(OPENMP_CFLAGS)
TEST_UNIT_LIBS = lib/libsdekit-core.la $(CHECK_LIBS) $(GSL_LIBS) -lm \
	$(OPENMP_CFLAGS)

UNIT_TESTS = tests/check_rng tests/check_stepper tests/check_problem \
	tests/check_optim tests/check_ensemble tests/check_exact \
	tests/check_density tests/check_manifold tests/check_expr \
	tests/check_density_slow tests/check_weak tests/check_report \
	tests/check_experiment tests/check_json tests/check_system_expr \
	tests/check_order tests/check_slow_tangent tests/check_cmat \
	tests/check_alloc
check_PROGRAMS += $(UNIT_TESTS)
tests_check_rng_SOURCES = tests/check_rng.c tests/testutil.h
tests_check_rng_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_rng_LDADD = $(TEST_UNIT_LIBS)
tests_check_stepper_SOURCES = tests/check_stepper.c tests/testutil.h
tests_check_stepper_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_stepper_LDADD = $(TEST_UNIT_LIBS)
tests_check_problem_SOURCES = tests/check_problem.c tests/testutil.h
tests_check_problem_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_problem_LDADD = $(TEST_UNIT_LIBS)
tests_check_optim_SOURCES = tests/check_optim.c tests/testutil.h
tests_check_optim_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_optim_LDADD = $(TEST_UNIT_LIBS)
tests_check_ensemble_SOURCES = tests/check_ensemble.c tests/testutil.h
tests_check_ensemble_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_ensemble_LDADD = $(TEST_UNIT_LIBS)
tests_check_exact_SOURCES = tests/check_exact.c tests/testutil.h
tests_check_exact_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_exact_LDADD = $(TEST_UNIT_LIBS)
tests_check_density_SOURCES = tests/check_density.c tests/testutil.h
tests_check_density_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_density_LDADD = $(TEST_UNIT_LIBS) $(FFTW_LIBS)
tests_check_manifold_SOURCES = tests/check_manifold.c tests/testutil.h
tests_check_manifold_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_manifold_LDADD = $(TEST_UNIT_LIBS)
tests_check_expr_SOURCES = tests/check_expr.c tests/testutil.h
tests_check_expr_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_expr_LDADD = $(TEST_UNIT_LIBS)
tests_check_experiment_SOURCES = tests/check_experiment.c tests/testutil.h
tests_check_experiment_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_experiment_LDADD = $(TEST_UNIT_LIBS) $(FFTW_LIBS)
tests_check_weak_SOURCES = tests/check_weak.c tests/testutil.h
tests_check_weak_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_weak_LDADD = $(TEST_UNIT_LIBS)
tests_check_slow_tangent_SOURCES = tests/check_slow_tangent.c tests/testutil.h
tests_check_slow_tangent_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_slow_tangent_LDADD = $(TEST_UNIT_LIBS) $(FFTW_LIBS)
tests_check_density_slow_SOURCES = tests/check_density_slow.c tests/testutil.h
tests_check_density_slow_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_density_slow_LDADD = $(TEST_UNIT_LIBS) $(FFTW_LIBS)
tests_check_report_SOURCES = tests/check_report.c tests/testutil.h
tests_check_report_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_report_LDADD = $(TEST_UNIT_LIBS)
# A small report with hostile strings, for the shell tests.
check_PROGRAMS += tests/report_sample
tests_report_sample_SOURCES = tests/report_sample.c
tests_report_sample_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_report_sample_LDADD = $(TEST_UNIT_LIBS)
# The tools' JSON reader: the test links it from the tools' library.
tests_check_json_SOURCES = tests/check_json.c tests/testutil.h
tests_check_json_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_json_LDADD = tools/libcli.la $(TEST_UNIT_LIBS)
tests_check_system_expr_SOURCES = tests/check_system_expr.c tests/testutil.h
tests_check_system_expr_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_system_expr_LDADD = $(TEST_UNIT_LIBS)
tests_check_order_SOURCES = tests/check_order.c tests/testutil.h
tests_check_order_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_order_LDADD = $(TEST_UNIT_LIBS)
# Every allocation of the library's code through failing wrappers.
tests_check_alloc_SOURCES = tests/check_alloc.c
tests_check_alloc_CFLAGS = $(TEST_UNIT_CFLAGS) $(FFTW_CFLAGS)
tests_check_alloc_LDFLAGS = -Wl,--wrap=malloc -Wl,--wrap=calloc \
	-Wl,--wrap=realloc -Wl,--wrap=strdup -Wl,--wrap=posix_memalign
tests_check_alloc_LDADD = $(TEST_UNIT_LIBS) $(FFTW_LIBS)
tests_check_cmat_SOURCES = tests/check_cmat.c tests/testutil.h
tests_check_cmat_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_check_cmat_LDADD = $(TEST_UNIT_LIBS)

CLI_TESTS = tests/cli/sde-sim-usage.sh tests/cli/sde-sim-output.sh \
	tests/cli/sde-sim-methods.sh tests/cli/sde-compare-usage.sh \
	tests/cli/sde-compare-output.sh tests/cli/experiments.sh \
	tests/cli/man-pages.sh tests/cli/pkgconfig.sh tests/cli/sde-slow.sh \
	tests/cli/cli-reason.sh tests/cli/hostile.sh tests/cli/report-latex.sh \
	tests/cli/report-pandas.sh tests/cli/sde-plot.sh tests/cli/function-length.sh \
	tests/cli/sde-order.sh tests/cli/sde-sim-user.sh tests/cli/readme.sh \
	tests/cli/blas-link.sh tests/cli/bench.sh
if HAVE_MPI
CLI_TESTS += tests/cli/mpi.sh
endif
if HAVE_PYTHON
CLI_TESTS += tests/cli/python.sh
endif
TESTS += $(UNIT_TESTS) $(CLI_TESTS)
EXTRA_DIST += $(CLI_TESTS) tests/cli/mpi.sh tests/cli/python.sh tests/cli/lib.sh \
	tests/cli/golden.sh tests/count-results.sh tests/regen-golden.sh
# The man-page test reads the generated page.
tests/cli/man-pages.log: man/sde-sim.1 man/sde-compare.1 man/sde-slow.1 \
	man/sde-plot.1 man/sde-order.1

AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	export top_srcdir top_builddir; \
	CK_DEFAULT_TIMEOUT=600; export CK_DEFAULT_TIMEOUT; \
	SDEKIT_DATADIR='$(abs_top_srcdir)/data/datasets'; export SDEKIT_DATADIR; \
	MPIRUN='$(MPIRUN)'; export MPIRUN; \
	PYTHON3_SYSTEM='$(PYTHON3_SYSTEM)'; export PYTHON3_SYSTEM; \
	CC='$(CC)'; TEST_CFLAGS='$(CFLAGS)'; TEST_LDFLAGS='$(LDFLAGS)'; \
	export CC TEST_CFLAGS TEST_LDFLAGS;

# The golden files are change detectors: after an intended change of the
# numbers, rewrite them with the tests' own commands.
regen-golden: all
	$(top_srcdir)/tests/regen-golden.sh $(abs_top_builddir)/tools $(abs_top_srcdir)
.PHONY: regen-golden

# Unit tests only: the sanitizer build of .ci/run runs this target.
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS)'
.PHONY: check-unit
