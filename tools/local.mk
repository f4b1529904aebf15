# tools/local.mk: the sde-* command-line tools, sharing cli.c.
noinst_LTLIBRARIES += tools/libcli.la
tools_libcli_la_SOURCES = tools/cli.c tools/cli.h tools/output.c \
	tools/sweep.c tools/sweep.h tools/par.c tools/par.h \
	tools/json.c tools/json.h tools/figure.c tools/figure.h
tools_libcli_la_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(MPI_CFLAGS)
tools_libcli_la_LIBADD = $(MPI_LIBS)

# Tools link the library statically: no libtool wrapper script (which costs
# a quarter of a second per run in the build tree) and no version skew.
TOOL_LIBS = tools/libcli.la lib/libsdekit-core.la $(GSL_LIBS) -lm $(OPENMP_CFLAGS)

bin_PROGRAMS += tools/sde-sim
tools_sde_sim_SOURCES = tools/sde-sim.c
tools_sde_sim_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
tools_sde_sim_LDADD = $(TOOL_LIBS)

bin_PROGRAMS += tools/sde-compare
tools_sde_compare_SOURCES = tools/sde-compare.c
tools_sde_compare_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
tools_sde_compare_LDADD = $(TOOL_LIBS)

bin_PROGRAMS += tools/sde-slow
tools_sde_slow_SOURCES = tools/sde-slow.c
tools_sde_slow_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
tools_sde_slow_LDADD = $(TOOL_LIBS)

bin_PROGRAMS += tools/sde-plot
tools_sde_plot_SOURCES = tools/sde-plot.c
tools_sde_plot_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
tools_sde_plot_LDADD = $(TOOL_LIBS)

bin_PROGRAMS += tools/sde-order
tools_sde_order_SOURCES = tools/sde-order.c
tools_sde_order_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
tools_sde_order_LDADD = $(TOOL_LIBS)
