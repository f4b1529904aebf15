# python/local.mk: the Python package sdekit for Debian's python3.  cffi
# (API mode, out of line) writes python/_sdekit_cffi.c from the
# declarations in python/build_cffi.py; it is compiled against Python.h
# and linked with python/glue.c and the library's objects into one
# extension module.  The build tree holds the importable package in
# python/site (PYTHONPATH for the tests); make install puts it in
# $(SDE_PYTHONDIR)/sdekit.
PY_SOURCES = python/sdekit/__init__.py python/sdekit/_lib.py \
	python/sdekit/_options.py python/sdekit/_problem.py \
	python/sdekit/_result.py python/sdekit/_run.py python/sdekit/_plot.py
PY_TESTS = python/tests/conftest.py python/tests/test_cli_equal.py \
	python/tests/test_errors.py python/tests/test_interrupt.py \
	python/tests/test_plot.py python/tests/test_problem.py \
	python/tests/test_readme.py
EXTRA_DIST += python/build_cffi.py $(PY_SOURCES) $(PY_TESTS) doc/example.py

if HAVE_PYTHON
# The glue with the project's warnings; cffi's generated file without.
noinst_LTLIBRARIES += python/libsdekit-py.la
python_libsdekit_py_la_SOURCES = python/glue.c python/glue.h
python_libsdekit_py_la_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(OPENMP_CFLAGS)

sdekitpydir = $(SDE_PYTHONDIR)/sdekit
sdekitpy_LTLIBRARIES = python/_sdekit_cffi.la
sdekitpy_DATA = $(PY_SOURCES)
nodist_python__sdekit_cffi_la_SOURCES = python/_sdekit_cffi.c
python__sdekit_cffi_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/python \
	$(PYTHON3_CPPFLAGS)
python__sdekit_cffi_la_CFLAGS = $(SDE_FP_CFLAGS) $(GSL_CFLAGS)
# The library's objects are linked in, as the tools do (tools/local.mk):
# the module runs from the build tree and installed alike, with no
# search for libsdekit.so and no version skew; only PyInit_ is exported.
python__sdekit_cffi_la_LIBADD = python/libsdekit-py.la \
	lib/libsdekit-core.la $(GSL_LIBS) -lm
python__sdekit_cffi_la_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex '^PyInit_' $(OPENMP_CFLAGS)

python/_sdekit_cffi.c: $(srcdir)/python/build_cffi.py $(srcdir)/python/glue.h
	$(AM_V_GEN)$(MKDIR_P) python && \
	$(PYTHON3_SYSTEM) $(srcdir)/python/build_cffi.py $@ >/dev/null
CLEANFILES += python/_sdekit_cffi.c

# The importable package in the build tree.
PY_SITE_STAMP = python/site/sdekit/.stamp
python/site/sdekit/.stamp: python/_sdekit_cffi.la $(PY_SOURCES)
	$(AM_V_GEN)rm -rf python/site/sdekit && $(MKDIR_P) python/site/sdekit && \
	for f in $(PY_SOURCES); do \
	  cp $(srcdir)/$$f python/site/sdekit/ || exit 1; done && \
	cp python/.libs/_sdekit_cffi.so python/site/sdekit/ && touch $@
endif

all-local: $(PY_SITE_STAMP)
clean-local: clean-python-site
clean-python-site:
	rm -rf python/site python/tests/__pycache__ python/.pytest_cache
.PHONY: clean-python-site

# A Python module needs no libtool archive beside it.
install-data-hook:
	test -z '$(PY_SITE_STAMP)' || rm -f $(DESTDIR)$(sdekitpydir)/_sdekit_cffi.la
uninstall-hook:
	test -z '$(PY_SITE_STAMP)' || \
	  rm -rf $(DESTDIR)$(sdekitpydir)/_sdekit_cffi.so \
	  $(DESTDIR)$(sdekitpydir)/__pycache__
