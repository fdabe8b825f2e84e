# Sourced by scripts/test and scripts/demo: installs the Debian packages the build needs.
# Idempotent: apt-get runs (and updates its lists) only when something is missing.
HAKMEM_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libasio-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  librocksdb-dev
  libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev
  prometheus  # promtool checks the metrics scrape (tests/server/metrics_scrape_test.py)
  nutcracker
  redis-tools redis-server python3 python3-redis python3-grpcio gnuplot-nox help2man
  clang-14 libclang-rt-14-dev
)

hakmem_install_deps() {
  local missing=()
  for pkg in "${HAKMEM_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# ccache keys on relative paths, so a fresh clone (as in CI) reuses what another checkout built.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=true

# Release build shared by test and demo.
hakmem_build_release() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build
}
