#!/bin/sh
# quickstart.sh [run|check|deps]: on Debian 12 as root, install what sdekit
# needs, build it in ./build, then run the main job (run, the default) or
# the whole test suite (check); deps installs the packages only.
set -eu
cd "$(dirname "$0")"

pkgs="build-essential autoconf automake libtool autoconf-archive pkg-config
help2man check libgsl-dev libfftw3-dev librandom123-dev libopenblas-dev
libopenmpi-dev openmpi-bin gnuplot-nox python3-numpy python3-pandas
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
[ -f Makefile ] || ../configure --enable-werror --with-mpi
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
