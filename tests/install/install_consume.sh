#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then uses it as a user would: a CMake project
# with find_package(hakmem) (hakmem::hakmem, and hakmem::preload when built), a program built
# with pkg-config's flags, and the tools' --version.
# Usage: install_consume.sh BUILD_DIR VERSION CMAKE GENERATOR CC CXX WANT_PRELOAD WANT_MAN
set -euo pipefail
build=$1 version=$2 cmake=$3 generator=$4 cc=$5 cxx=$6 want_preload=$7 want_man=$8
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() {
  echo "install test: $*" >&2
  exit 1
}
step() { echo "==> $*"; }

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }

step "CMake consumer: find_package(hakmem $version EXACT CONFIG REQUIRED)"
cp -r "$here/consumer" "$tmp/src"
"$cmake" -S "$tmp/src" -B "$tmp/cmake-build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DWANT_VERSION="$version" \
  -DWANT_PRELOAD="$want_preload" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "the consumer project did not configure"; }
grep -q "hakmem_DIR=$prefix/" "$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "find_package(hakmem) did not find the package under $prefix"; }
"$cmake" --build "$tmp/cmake-build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "the consumer project did not build"; }
out=$("$tmp/cmake-build/consumer") || fail "consumer (hakmem::hakmem) failed: $out"
echo "$out"
[ "$out" = "hak_version $version" ] || fail "consumer printed '$out', not 'hak_version $version'"
if [ "$want_preload" = ON ]; then
  out=$("$tmp/cmake-build/consumer_preload") || fail "consumer_preload (hakmem::preload) failed: $out"
  echo "$out"
  case "$out" in
    "malloc from $prefix/"*"/libhakmem.so, hak_version $version") ;;
    *) fail "consumer_preload: malloc did not come from the installed libhakmem.so: $out" ;;
  esac
fi

step "pkg-config consumer"
pc=$(find "$prefix" -name hakmem.pc)
[ -n "$pc" ] || fail "no hakmem.pc installed"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
[ "$(pkg-config --modversion hakmem)" = "$version" ] ||
  fail "pkg-config --modversion hakmem is '$(pkg-config --modversion hakmem)', not $version"
flags=$(pkg-config --cflags --libs hakmem) || fail "pkg-config --cflags --libs hakmem failed"
echo "pkg-config --cflags --libs hakmem: $flags"
case "$flags" in *"$prefix/"*) ;; *) fail "pkg-config flags do not point into $prefix: $flags" ;; esac
# shellcheck disable=SC2086  # the flags are meant to split
"$cc" "$tmp/src/consumer.c" $flags -o "$tmp/consumer_pc" 2>"$tmp/cc.log" ||
  { cat "$tmp/cc.log"; fail "cc with pkg-config's flags failed"; }
out=$("$tmp/consumer_pc") || fail "consumer (pkg-config) failed: $out"
[ "$out" = "hak_version $version" ] || fail "pkg-config consumer printed '$out'"

step "--version of the installed tools"
for tool in hakmem-server hakmem-load hakmem-admin hakmem-bench hakmem-compare; do
  [ -x "$prefix/bin/$tool" ] || fail "$tool not installed"
  out=$("$prefix/bin/$tool" --version) || fail "$tool --version exited $?"
  echo "$out"
  case "$out" in "$tool $version"*) ;; *) fail "$tool --version printed '$out'" ;; esac
done

if [ "$want_man" = ON ]; then
  step "man pages"
  for tool in hakmem-server hakmem-load hakmem-admin hakmem-bench hakmem-compare; do
    page=$(find "$prefix" -path "*/man1/$tool.1")
    # roff escapes the dashes: \-\-version
    if [ -z "$page" ] || ! grep -qF -- '\-\-version' "$page"; then
      fail "no man page with --version for $tool"
    fi
  done
fi
echo "install test: OK"
