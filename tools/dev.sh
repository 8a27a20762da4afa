#!/usr/bin/env bash
# The two set-up commands of the README, for a fresh Debian 12 machine (as root):
#   bash tools/dev.sh demo   install what is missing, build, run the main job
#   bash tools/dev.sh test   install what is missing, build, run every test
#   bash tools/dev.sh deps   install what is missing only (Debian packages, playwright-core)
#   bash tools/dev.sh screenshots   the browser story, its README pictures into docs/screenshots
# Idempotent: packages already present are skipped, the build is incremental.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LIFELINE_BUILD_DIR:-$ROOT/build}
ASAN_BUILD=${LIFELINE_ASAN_BUILD_DIR:-$ROOT/build-asan}
JOBS=${LIFELINE_JOBS:-$(nproc)}

# Every Debian package lifeline needs to build, run and test (README says why).
PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang
  libasio-dev libcurl4-openssl-dev libsqlite3-dev sqlite3 libmbedtls-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libspandsp-dev libtiff-dev libfreetype-dev fonts-noto-cjk libpng-dev
  libcairo2-dev libpango1.0-dev poppler-utils libargon2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-jsonschema python3-gammu gammu python3-aiosmtpd efax libfiu-dev fiu-utils
  nut-server iproute2 curl openssl libssl-dev libfaketime
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  chromium
  mosquitto mosquitto-clients libmosquitto-dev
  prometheus systemd dpkg-dev
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # The browser tests run on Node.js 20 or later (playwright-core's engines):
  # this machine's own when it has one, else Debian's nodejs and npm.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then echo "!! Node.js $(node --version 2>/dev/null) is older than 20: the browser tests need 20 or later" >&2; fi
  # playwright-core for the browser tests, at package-lock.json's version, into
  # tests/browser/node_modules (ignored by git); only when it is not there yet.
  if ! node "$ROOT/tests/browser/check-deps.mjs" >/dev/null 2>&1; then
    echo "== installing playwright-core into tests/browser/node_modules (npm ci)"
    npm ci --prefix "$ROOT/tests/browser" --no-audit --no-fund --loglevel=error
  fi
}

# The Release configuration: the one the package ships.
build() {
  echo "== building in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
}

# ASan and UBSan (aborting on the first report), assertions on, no
# optimisation and line tables only: quickest to build, and a report names
# the line. Only what it runs is built (the sanitized_checks target). Built
# by clang: at -O0 with both sanitizers GCC 12 takes twice as long (its UBSan
# null and alignment checks), and this is the build CI waits for.
configure_sanitized() {
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$ASAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
    -DCMAKE_C_FLAGS_DEBUG="-O0 -g1" -DLIFELINE_SANITIZE=ON -DLIFELINE_BUILD_BENCH=OFF >/dev/null
}

# Waits up to $2 seconds for command $1 to succeed.
wait_for() {
  for _ in $(seq 1 $(($2 * 10))); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# Stops what the demo started; a process that does not stop cleanly (a crash,
# not SIGTERM's own status 143) is named and fails the demo.
stop_demo() {
  local pid name rc failed=0
  for pid in ${DEMO_PIDS:-}; do
    name=$(ps -o comm= -p "$pid" 2>/dev/null || true)
    kill "$pid" 2>/dev/null || continue
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then
      echo "!! $name (pid $pid) did not stop cleanly: exit status $rc" >&2
      failed=1
    fi
  done
  if [ "$failed" -ne 0 ]; then exit 1; fi
  return 0
}

# Prints the report's journal entry count of a kind, e.g. '"to":"confirmed"'.
journal_count() { $cli journal show --report "$1" | grep -c "$2" || true; }

# The whole story on the simulators, on a 60-second "hour": a report accepted
# online; the site lost; a second report escalated to SMS, fax and a phone
# task with the reason; the site back; the late submission (補行通報).
demo() {
  local state="$ROOT/lifeline-demo"
  cli="$BUILD/tools/lifeline/lifeline"
  rm -rf "$state"
  mkdir -p "$state/site-sim" "$state/fax-rx"
  DEMO_PIDS=""
  trap stop_demo EXIT
  echo "== simulators: site-sim (the national site, HTTPS), modem-sim (cellular modem on a pty),"
  echo "   fax-line (spandsp fax modem and receiving fax machine on a pty, 8x real time)"
  "$BUILD/tools/site-sim/site-sim" serve --dir "$state/site-sim" --ready-file "$state/site-sim/ready.json" \
    >"$state/site-sim.log" 2>&1 &
  DEMO_PIDS="$DEMO_PIDS $!"
  "$BUILD/tools/modem-sim/modem-sim" --link "$state/modem" --control "$state/modem.ctl" --report delivered \
    --log "$state/modem-submits.jsonl" >"$state/modem-sim.log" 2>&1 &
  DEMO_PIDS="$DEMO_PIDS $!"
  "$BUILD/tools/fax-line/fax-line" --link="$state/fax-modem" --rx-dir="$state/fax-rx" --speed=8 \
    >"$state/fax-line.log" 2>&1 &
  DEMO_PIDS="$DEMO_PIDS $!"
  wait_for "test -s '$state/site-sim/ready.json' && test -e '$state/modem' && test -e '$state/fax-modem'" 10 ||
    { cat "$state"/*.log; exit 1; }
  local api admin
  api=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['api_port'])" "$state/site-sim/ready.json")
  admin=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin_port'])" "$state/site-sim/ready.json")
  # The compiled-in defaults (recipients, templates, rules), plus where the simulators are and a
  # 60-second "hour" so the story takes two minutes.
  cat >"$state/demo.toml" <<TOML
[daemon]
state_dir = "$state"
[rules]
time_scale = 60
[agency]
name = "範例市政府民政局"
contact_phone = "07-7995678#5252"
[site]
base_url = "https://127.0.0.1:$api"
ca_file = "$state/site-sim/ca.pem"
connect_timeout_ms = 1000
total_timeout_ms = 3000
max_attempts = 3
replay_interval_seconds = 3
[monitor]
outage_after_failures = 2
outage_min_span_seconds = 1
recovered_after_successes = 1
probe_interval_seconds = 1
probe_interval_in_outage_seconds = 1
[sms]
device = "$state/modem"
retry_delay_ms = 500
[fax]
device = "$state/fax-modem"
[escalation]
tick_ms = 250
[console]
listen = "127.0.0.1"
port = ${LIFELINE_DEMO_CONSOLE_PORT:-0}
drill_scenarios = "$ROOT/config/drills"
TOML
  cli="$cli --config $state/demo.toml"
  echo "== lifelined (state in $state)"
  "$BUILD/daemon/lifelined" --config "$state/demo.toml" >"$state/lifelined.log" 2>&1 &
  DEMO_PIDS="$DEMO_PIDS $!"
  wait_for "test -S '$state/lifelined.sock' && $cli report list" 10 || { cat "$state/lifelined.log"; exit 1; }
  demo_console "$state"

  # Reports made from config/sample-report.json, aware now, so their hour runs now.
  fresh_report() {
    python3 - "$ROOT/config/sample-report.json" "$1" <<'PY'
import datetime, json, sys, uuid
doc = json.load(open(sys.argv[1], encoding="utf-8"))
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).replace(microsecond=0).isoformat()
doc["id"] = str(uuid.uuid4())
doc["aware_at"] = doc["filed_at"] = doc["discovered_at"] = now
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$1"
  }
  echo
  echo "== 1. the site is up: a report goes online and gets a receipt"
  local first second
  first=$(fresh_report "$state/first.json")
  $cli report submit "$state/first.json" | head -3
  wait_for "$cli report list | grep -q accepted" 10
  $cli report list

  echo
  echo "== 2. the link to the site is cut (site-sim refuses connections); a level-3 incident is filed"
  curl -s -XPOST -d '{"refuse":true}' "http://127.0.0.1:$admin/admin/faults" >/dev/null
  second=$(fresh_report "$state/second.json")
  $cli report submit "$state/second.json" | head -3
  echo "   its timeline, as it happens (+mm:ss since filing; 20 s = the 20-minute escalation point):"
  $cli report timeline "$second" --follow 200 &
  local follower=$!
  DEMO_PIDS="$DEMO_PIDS $follower"
  wait_for "$cli phone pending | grep -q 'PHONE TASK'" 60
  sleep 1
  echo
  echo "== 3. the operator sees the phone task and its call card:"
  $cli phone pending | sed -n '1,12p'
  local task
  task=$($cli phone pending | sed -n 's/.*PHONE TASK #\([0-9]*\).*/\1/p' | head -1)
  wait_for "[ \$(journal_count $second '\"to\":\"confirmed\"') -ge 2 ]" 90
  echo "== 4. the call is made; the operator records who answered:"
  $cli phone confirm "$task" --answered-by "王小明（上級機關資安窗口）" \
    --at "$(date +%Y-%m-%dT%H:%M:%S%:z)" --note "demo"
  echo
  echo "== 5. the link comes back: the report is re-submitted late (補行通報) with its evidence"
  curl -s -XDELETE "http://127.0.0.1:$admin/admin/faults" >/dev/null
  wait "$follower" 2>/dev/null || true
  echo
  $cli report list
  echo "   SMS parts the modem accepted: $(grep -c '"result":"ok"' "$state/modem-submits.jsonl" || true)"
  echo "   faxes received by fax-line: $(ls "$state/fax-rx" | grep -c '\.tif$') ($state/fax-rx)"
  echo "   site records for the second report: $(curl -s "http://127.0.0.1:$admin/admin/count?report_id=$second")"
  echo
  echo "== 6. the second report's record (issue 17): damage control, the CISO's approval, closing,"
  echo "   the three signatures, the printed record and the signed evidence bundle with the SMS, fax and phone evidence"
  local who pw="demo password 示範"
  for who in op.wang:operator sup.lin:supervisor ciso.chen:ciso; do
    echo "$pw" | $cli user add "${who%%:*}" --role "${who##*:}" >/dev/null
  done
  stage_file() {  # stage_file STAGE REPORT-ID OUT: the intrusion fixture, made this report's
    python3 - "$ROOT/tests/fixtures/stages/$1/valid/intrusion_full.json" "$2" "$3" "$1" <<'PY'
import datetime, json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).replace(microsecond=0).isoformat()
doc["report_id"] = sys.argv[2]
if sys.argv[4] == "damage-control":
    doc["completion"]["completed_at"] = now
else:
    doc["submitted_at"] = now
json.dump(doc, open(sys.argv[3], "w", encoding="utf-8"), ensure_ascii=False)
PY
  }
  stage_file damage-control "$second" "$state/damage-control.json"
  stage_file closing "$second" "$state/closing.json"
  $cli report damage-control "$second" "$state/damage-control.json" | head -1
  echo "$pw" | $cli report approve "$second" --level 3 --user ciso.chen | head -1
  $cli report close "$second" "$state/closing.json" | head -1
  for who in reporter:op.wang supervisor:sup.lin ciso:ciso.chen; do
    echo "$pw" | $cli report sign "$second" --as "${who%%:*}" --user "${who##*:}" | head -1
  done
  wait_for "curl -s 'http://127.0.0.1:$admin/admin/count?report_id=$second&stage=closing' | grep -q '\"records\":1'" 20
  $cli report show "$second" | sed -n '/^Record/,$p'
  $cli report print "$second" --pdf "$state/record.pdf"
  $cli evidence export "$second" --out "$state/evidence.tar" | head -1
  $cli evidence key | sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' >"$state/device-key.pub.pem"
  mkdir -p "$state/auditor" && cp "$state/evidence.tar" "$state/auditor/"
  $cli evidence verify "$state/auditor/evidence.tar" --key "$state/device-key.pub.pem"
  python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[len(b)//2]^=1; open(sys.argv[2],'wb').write(b)" \
    "$state/auditor/evidence.tar" "$state/auditor/altered.tar"
  echo "   the same bundle with one byte changed:"
  if $cli evidence verify "$state/auditor/altered.tar" --key "$state/device-key.pub.pem"; then
    echo "an altered bundle verified" >&2
    exit 1
  fi
  echo
  echo "== the journal (every fact, HMAC-chained)"
  $cli journal verify
  if [ -t 0 ]; then
    read -r -p "== the console stays up until Enter: " _ || true
  fi
  echo "== stopping"
}

# The console for following the story in a browser: its URL (127.0.0.1, the
# port in the log and in console.url), the device certificate's fingerprint
# to compare on first use, and an account "admin" (role ciso: all an operator
# does, and approving and signing) made through the socket API with a random
# one-time password: the demo's state, accounts included, is wiped each run.
demo_console() {
  local state=$1 url password
  wait_for "test -s '$state/console.url'" 10 || { echo "!! the console did not start" >&2; exit 1; }
  url=$(cat "$state/console.url")
  password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-16)
  printf '%s\n' "$password" | $cli user add admin --role ciso >/dev/null
  echo "== the console: $url"
  echo "   log in as admin, one-time password $password (made for this run only)"
  echo "   certificate $($cli console fingerprint 2>/dev/null | grep "^SHA-256"): compare it when the browser asks"
  echo "   open it now to follow the story below in a browser; the demo waits for Enter at the end"
}

# Seconds since the epoch, for the phase times printed at the end.
now() { date +%s; }

# Every test of the Release build. Meanwhile the sanitizer build compiles at a
# lower priority, in the CPU the tests leave idle (they mostly wait on
# simulated lines and clocks); its unit, fault and fuzz tests and one
# escalation story then run under ASan/UBSan. A skip anywhere is a failure here.
run_tests() {
  export LIFELINE_REQUIRE_ALL_TESTS=1
  local t0 t1 t2 t3 rc=0 asan_rc=0
  t0=$(now)
  configure_sanitized
  nice -n 10 cmake --build "$ASAN_BUILD" -j "$JOBS" --target sanitized_checks >"$ASAN_BUILD/build.log" 2>&1 &
  local asan_build=$!
  (cd "$BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 900) || rc=$?
  t1=$(now)
  wait "$asan_build" || { tail -50 "$ASAN_BUILD/build.log"; asan_rc=1; }
  t2=$(now)
  if [ "$asan_rc" -eq 0 ]; then
    # The library caches of tests/lsan.supp only; the kill -9 loop with fewer
    # kills (the Release run does its 200).
    export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0" LIFELINE_KILL_LOOPS=30
    (cd "$ASAN_BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 900 -L 'unit|fault|fuzz|sanitized') ||
      asan_rc=$?
  fi
  t3=$(now)
  echo "== times: tests $((t1 - t0)) s, sanitizer build after them $((t2 - t1)) s, sanitizer tests $((t3 - t2)) s"
  [ "$rc" -eq 0 ] && [ "$asan_rc" -eq 0 ]
}

case "${1:-}" in
  demo) install_missing; build; demo ;;
  test)
    start=$(now)
    install_missing
    installed=$(now)
    build
    built=$(now)
    echo "== times: install $((installed - start)) s, build $((built - installed)) s"
    run_tests
    echo "== total $(($(now) - start)) s"
    ;;
  deps) install_missing ;;
  # The browser story once more, copying the README's pictures into docs/screenshots.
  screenshots)
    install_missing
    build
    node "$ROOT/tests/browser/run.mjs" --build "$BUILD" --source "$ROOT" --out "$BUILD/tests/browser" \
      --screenshots "$ROOT/docs/screenshots"
    ;;
  *) echo "usage: bash tools/dev.sh demo|test|deps|screenshots" >&2; exit 2 ;;
esac
