# man/local.mk: man pages from each tool's --help (help2man) plus a
# hand-written include with the mathematics, examples and exit status.
dist_man_MANS += man/sde-sim.1 man/sde-compare.1 man/sde-slow.1 man/sde-plot.1 \
	man/sde-order.1
EXTRA_DIST += man/sde-sim.x man/sde-compare.x man/sde-slow.x man/sde-plot.x \
	man/sde-order.x \
	man/report-json.x.txt
MAINTAINERCLEANFILES = $(dist_man_MANS)

HELP2MAN_RUN = $(AM_V_GEN)if test -z '$(HELP2MAN)'; then \
	  echo "help2man is needed to build $@: install the Debian package help2man" >&2; \
	  exit 1; fi; \
	$(MKDIR_P) man && $(HELP2MAN) --no-info --no-discard-stderr \
	  --version-string='$(PACKAGE_VERSION)'

man/sde-sim.1: $(srcdir)/man/sde-sim.x $(srcdir)/tools/sde-sim.c $(srcdir)/tools/sweep.h $(srcdir)/tools/cli.c | tools/sde-sim$(EXEEXT)
	$(HELP2MAN_RUN) --include=$(srcdir)/man/sde-sim.x --name='simulate an SDE and print moments with standard errors' \
	  --output=$@ tools/sde-sim$(EXEEXT)

man/sde-compare.1: $(srcdir)/man/sde-compare.x $(srcdir)/tools/sde-compare.c $(srcdir)/tools/sweep.h $(srcdir)/tools/cli.c | tools/sde-compare$(EXEEXT)
	$(HELP2MAN_RUN) --include=$(srcdir)/man/sde-compare.x --name='weak errors and convergence orders of optimizers against their SDE' \
	  --output=$@ tools/sde-compare$(EXEEXT)

man/sde-slow.1: $(srcdir)/man/sde-slow.x $(srcdir)/tools/sde-slow.c $(srcdir)/tools/sweep.h $(srcdir)/tools/cli.c | tools/sde-slow$(EXEEXT)
	$(HELP2MAN_RUN) --include=$(srcdir)/man/sde-slow.x --name='SGD and SGDM near a manifold of minimizers against the slow SDE' \
	  --output=$@ tools/sde-slow$(EXEEXT)

man/sde-plot.1: $(srcdir)/man/sde-plot.x $(srcdir)/tools/sde-plot.c $(srcdir)/tools/cli.c | tools/sde-plot$(EXEEXT)
	$(HELP2MAN_RUN) --include=$(srcdir)/man/sde-plot.x --name='redraw the convergence figure of a saved JSON table' \
	  --output=$@ tools/sde-plot$(EXEEXT)

man/sde-order.1: $(srcdir)/man/sde-order.x $(srcdir)/tools/sde-order.c $(srcdir)/tools/sweep.h $(srcdir)/tools/cli.c | tools/sde-order$(EXEEXT)
	$(HELP2MAN_RUN) --include=$(srcdir)/man/sde-order.x --name='weak and strong convergence orders of SDE schemes, with work-precision' \
	  --output=$@ tools/sde-order$(EXEEXT)
