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
  python3 python3-jsonschema python3-gammu gammu python3-aiosmtpd efax libfiu-dev fiu-utils
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

# Waits up to $2 seconds for command $1 to succeed.
wait_for() {
  for _ in $(seq 1 $(($2 * 10))); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

stop_demo() {
  [ -n "${DEMO_PID:-}" ] && kill "$DEMO_PID" 2>/dev/null && wait "$DEMO_PID" 2>/dev/null
  [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  return 0
}

demo() {
  local state="$ROOT/lifeline-state" cli="$BUILD/tools/lifeline/lifeline"
  mkdir -p "$state"
  trap stop_demo EXIT
  echo "== starting site-sim, the reference national site (HTTPS on loopback, its own test CA)"
  rm -f "$state/site-sim/ready.json"
  "$BUILD/tools/site-sim/site-sim" serve --dir "$state/site-sim" --ready-file "$state/site-sim/ready.json" \
    >"$state/site-sim.log" 2>&1 &
  SIM_PID=$!
  wait_for "test -s '$state/site-sim/ready.json'" 10 || { cat "$state/site-sim.log"; exit 1; }
  local api admin
  api=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['api_port'])" "$state/site-sim/ready.json")
  admin=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin_port'])" "$state/site-sim/ready.json")
  # The compiled-in defaults, plus where the (simulated) site is and quick probes for a short demo.
  cat >"$state/demo.toml" <<TOML
[daemon]
state_dir = "$state"
[site]
base_url = "https://127.0.0.1:$api"
ca_file = "$state/site-sim/ca.pem"
connect_timeout_ms = 1000
total_timeout_ms = 3000
max_attempts = 3
replay_interval_seconds = 5
[monitor]
outage_after_failures = 2
outage_min_span_seconds = 2
recovered_after_successes = 1
probe_interval_seconds = 1
probe_interval_in_outage_seconds = 1
TOML
  cli="$cli --config $state/demo.toml"
  echo "== starting lifelined (compiled-in configuration + the simulated site; state in $state)"
  "$BUILD/daemon/lifelined" --config "$state/demo.toml" >"$state/lifelined.log" 2>&1 &
  DEMO_PID=$!
  wait_for "test -S '$state/lifelined.sock' && $cli report list" 10 || { cat "$state/lifelined.log"; exit 1; }
  echo "== validating the sample report: config/sample-report.json"
  (cd "$ROOT" && $cli report validate config/sample-report.json)
  echo "== filing it (acknowledged only once it is on disk); lifelined submits it to the site"
  (cd "$ROOT" && $cli report submit config/sample-report.json | head -6)
  wait_for "$cli report list | grep -q accepted" 10
  $cli report list
  echo "== the link to the site is cut (site-sim refuses connections); a second report is filed"
  local outages
  outages=$($cli journal show | grep -c "link.outage" || true)
  curl -s -XPOST -d '{"refuse":true}' "http://127.0.0.1:$admin/admin/faults" >/dev/null
  local second="$state/second-report.json"
  python3 - "$ROOT/config/sample-report.json" "$second" <<'PY'
import json, sys, uuid
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["id"] = str(uuid.uuid4())
doc["category"], doc["anomalies"] = "dos", ["service_outage"]
doc["impact"] = {"confidentiality": "none", "integrity": "none", "availability": 2}
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
  $cli report submit "$second" | head -3
  wait_for "[ \$($cli journal show | grep -c link.outage) -gt $outages ]" 15 &&
    echo "   lifelined declared the site link OUTAGE (journaled with its reason)"
  $cli report list
  echo "== the link comes back: lifelined declares RECOVERED and replays what the site has not acknowledged"
  curl -s -XDELETE "http://127.0.0.1:$admin/admin/faults" >/dev/null
  wait_for "! $cli report list | grep -q queued" 20
  $cli report list
  echo "== the journal (every fact, HMAC-chained)"
  $cli journal verify
  $cli journal show | grep -E "^#" | tail -12
  echo "== stopping"
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
