#!/bin/sh
# quickstart.sh [run|check|deps]: on Debian 12 as root, install what sdekit
# needs, build it in ./build, then run the main job (run, the default) or
# the whole test suite (check), and install it under /usr/local (the tools,
# the library and the Python package, which Debian's python3 imports from
# /usr/local/lib/python3.11/dist-packages); deps installs the packages
# only.
set -eu
cd "$(dirname "$0")"

pkgs="build-essential autoconf automake libtool autoconf-archive pkg-config
help2man check libgsl-dev libfftw3-dev librandom123-dev libopenblas-dev
libopenmpi-dev openmpi-bin gnuplot-nox python3-numpy python3-pandas
python3-cffi libpython3-dev python3-pytest python3-matplotlib
texlive-latex-base texlive-latex-recommended texlive-science texlive-pictures"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "quickstart: installing$missing" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

[ "${1:-run}" = deps ] && exit 0

if [ -f config.status ]; then
  echo "quickstart: the source tree is configured in place; run 'make distclean' first" >&2
  exit 2
fi
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
# A build tree configured before the Python packages were there is
# configured again (PY_SITE_STAMP is set when the package is built).
if [ ! -f Makefile ] || ! grep -q '^PY_SITE_STAMP = ' Makefile; then
  ../configure --enable-werror --with-mpi --enable-python
fi
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs"

case "${1:-run}" in
  run)
    ./tools/sde-compare
    ;;
  check)
    make -j"$jobs" check
    ;;
  *)
    echo "quickstart: unknown command '$1' (use run, check or deps)" >&2
    exit 2
    ;;
esac

# Installed, the tools and man pages are on the PATH and Debian's python3
# imports the package from anywhere.
make install >install.log 2>&1 || {
  tail -n 20 install.log >&2
  echo "quickstart: make install failed (build/install.log)" >&2
  exit 1
}
ldconfig
if (cd / && /usr/bin/python3 -c 'import sdekit') 2>/dev/null; then
  echo "quickstart: installed under /usr/local; /usr/bin/python3 -c 'import sdekit' works" >&2
else
  echo "quickstart: the installed package does not import:" >&2
  (cd / && /usr/bin/python3 -c 'import sdekit') >&2 || true
  exit 1
fi
