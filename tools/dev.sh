#!/usr/bin/env bash
# The two set-up commands of the README, for a fresh Debian 12 machine (as root):
#   bash tools/dev.sh demo   install what is missing, build, run the main job
#   bash tools/dev.sh test   install what is missing, build, run every test
# Idempotent: packages already present are skipped, the build is incremental.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LIFELINE_BUILD_DIR:-$ROOT/build}
JOBS=${LIFELINE_JOBS:-$(nproc)}

# Every Debian package lifeline needs to build, run and test (README says why).
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libasio-dev libcurl4-openssl-dev libsqlite3-dev sqlite3 libmbedtls-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev libsystemd-dev
  libspandsp-dev libtiff-dev libfreetype-dev fonts-noto-cjk libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-jsonschema python3-gammu gammu efax libfiu-dev fiu-utils
  nut-server iproute2 curl openssl libssl-dev
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {
  echo "== building in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
}

demo() {
  local state="$ROOT/lifeline-state"
  DEMO_LOG=$(mktemp)
  echo "== starting lifelined (compiled-in configuration, state in $state)"
  (cd "$ROOT" && exec "$BUILD/daemon/lifelined") >"$DEMO_LOG" 2>&1 &
  DEMO_PID=$!
  trap 'kill $DEMO_PID 2>/dev/null || true; wait $DEMO_PID 2>/dev/null || true; cat "$DEMO_LOG"; rm -f "$DEMO_LOG"' EXIT
  for _ in $(seq 1 100); do
    grep -q "ready" "$DEMO_LOG" && break
    kill -0 $DEMO_PID 2>/dev/null || { echo "lifelined exited early"; exit 1; }
    sleep 0.1
  done
  local cli="$BUILD/tools/lifeline/lifeline"
  echo "== validating the sample report: config/sample-report.json"
  (cd "$ROOT" && "$cli" report validate config/sample-report.json)
  echo "== filing it with lifelined (acknowledged only once it is on disk)"
  (cd "$ROOT" && "$cli" report submit config/sample-report.json | head -6)
  echo "== stored reports"
  (cd "$ROOT" && "$cli" report list)
  echo "== the journal"
  (cd "$ROOT" && "$cli" journal verify && "$cli" journal show | tail -6)
  echo "== stopping lifelined"
}

run_tests() {
  cd "$BUILD"
  ctest --output-on-failure -j "$JOBS" --timeout 900
}

case "${1:-}" in
  demo) install_missing; build; demo ;;
  test) install_missing; build; run_tests ;;
  *) echo "usage: bash tools/dev.sh demo|test" >&2; exit 2 ;;
esac
