# lib/local.mk: libsdekit.  All objects go into a convenience library that the
# unit tests link statically (they test internal kernels too); the shared
# library exports only the public sde_[a-z]* names.
noinst_LTLIBRARIES += lib/libsdekit-core.la
lib_libsdekit_core_la_SOURCES = \
	lib/philox.c lib/rng.c lib/rng_gsl.c \
	lib/spec.c \
	lib/system.c lib/system_catalog.c lib/system_expr.c \
	lib/stepper.c lib/stepper_em.c lib/stepper_weuler.c \
	lib/stepper_milstein.c lib/stepper_milstein_df.c lib/stepper_weak2.c \
	lib/driver.c lib/report.c lib/report_util.c lib/report_text.c \
	lib/report_md.c lib/report_latex.c lib/report_csv.c lib/report_json.c \
	lib/problem.c lib/problem_catalog.c lib/problem_data.c \
	lib/problem_expr.c lib/oracle.c lib/limit.c \
	lib/schedule.c lib/optim.c lib/optim_sgd.c lib/optim_sgdm.c \
	lib/optim_hb.c lib/optim_qhm.c lib/observable.c \
	lib/xsum.c lib/cmat.c lib/ensemble.c lib/weak.c lib/exact.c lib/order.c \
	lib/density.c lib/manifold.c lib/manifold_phi.c lib/expr.c \
	lib/density_slow.c lib/slow_tangent.c \
	lib/experiment.c lib/experiment_run.c lib/experiment_table.c \
	lib/experiment_sim.c lib/experiment_sde.c lib/experiment_order.c \
	lib/rng_internal.h lib/simd.h lib/stepper_internal.h \
	lib/problem_internal.h lib/xsum.h lib/fused.h lib/cmat.h \
	lib/report_internal.h lib/experiment_internal.h lib/spec_internal.h \
	lib/manifold_internal.h lib/slow_tangent.h
lib_libsdekit_core_la_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(FFTW_CFLAGS) \
	$(OPENBLAS_CFLAGS) \
	$(OPENMP_CFLAGS) -DSDE_DATADIR='"$(pkgdatadir)/datasets"'
lib_libsdekit_core_la_LIBADD = $(GSL_LIBS) $(FFTW_LIBS) \
	-lpthread -lm

lib_LTLIBRARIES += lib/libsdekit.la
lib_libsdekit_la_SOURCES =
lib_libsdekit_la_LIBADD = lib/libsdekit-core.la
lib_libsdekit_la_LDFLAGS = -version-info $(SDE_LT_VERSION) \
	-export-symbols-regex '^sde_[a-z]' $(OPENMP_CFLAGS)

include_HEADERS += lib/sdekit.h
pkginclude_HEADERS += \
	lib/sdekit/rng.h lib/sdekit/spec.h lib/sdekit/system.h \
	lib/sdekit/stepper.h lib/sdekit/report.h lib/sdekit/problem.h \
	lib/sdekit/optim.h lib/sdekit/observable.h lib/sdekit/ensemble.h \
	lib/sdekit/weak.h lib/sdekit/exact.h \
	lib/sdekit/density.h lib/sdekit/manifold.h \
	lib/sdekit/expr.h lib/sdekit/density_slow.h lib/sdekit/experiment.h \
	lib/sdekit/system_expr.h lib/sdekit/order.h
