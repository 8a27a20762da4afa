#!/usr/bin/env bash
# bench/fuzz: a libFuzzer campaign on every fuzz target, each printing the
# coverage its committed corpus reaches (the baseline, measured first in the
# same run) beside the coverage after the campaign.
#
#   bash bench/fuzz/campaign.sh [--seconds N] [--runs N] [--only NAMES] [--jobs N] [--merge] [--build DIR]
#
# --seconds N  time per target (default 1800, issue #18's 30 minutes)
# --runs N     executions per target (default 10000000); a target stops at
#              whichever of the two comes first
# --only NAMES targets named in fuzz_targets.txt, comma-separated
# --jobs N     targets run at once (default 1); each is one process, so on
#              N cores N targets take the time of one
# --merge      adds the inputs that reached new coverage to the committed
#              corpus (libFuzzer -merge=1), for a commit
# --build DIR  the fuzzing build (default build-fuzz): clang, ASan, UBSan and
#              libFuzzer's coverage on every file (-DLIFELINE_LIBFUZZER=ON)
#
# Each target checks a property of what it parses, not only that nothing
# crashes (see its source). A crash, leak or failed property leaves its input
# in DIR/fuzz-artifacts and makes this script exit 1: that input becomes a
# fixture in the target's corpus once fixed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build-fuzz
SECONDS_EACH=1800
RUNS=10000000
ONLY=""
JOBS=1
MERGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --merge) MERGE=1; shift ;;
    --build) BUILD=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--runs N] [--only NAMES] [--jobs N] [--merge] [--build DIR]" >&2; exit 2 ;;
  esac
done

# -O1 with line tables: libFuzzer's usual level (fast enough, and a report names the line);
# assertions stay on.
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" -DLIFELINE_LIBFUZZER=ON \
  -DLIFELINE_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" --target fuzz_targets -j "$(nproc)" >"$BUILD/fuzz-build.log" 2>&1 ||
  { tail -40 "$BUILD/fuzz-build.log"; exit 1; }

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
work=$BUILD/fuzz-work
artifacts=$BUILD/fuzz-artifacts
mkdir -p "$work" "$artifacts"

# "cov: X ft: Y corp: Z" of libFuzzer's last status line in log $1.
coverage() { grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$1" | tail -1 | awk '{print $2, $4, $6}'; }
stat() { grep -Eo "^stat::$2: *[0-9]+" "$1" | awk '{print $2}' | tail -1; }

# One target's campaign; its row (and merge line) go to $work/$name.row, and
# $work/$name.failed exists when it crashed, leaked or broke its property.
campaign() {
  local name=$1 program=$2 corpus=$3
  local seeds=$ROOT/$corpus cov0 ft0 corp0 cov1 ft1 corp1 execs rate outcome=ok
  rm -rf "$work/$name" "$work/$name.failed"
  mkdir -p "$work/$name"
  # The baseline: what the committed corpus alone reaches, in this build, now.
  "$program" -runs=0 "$seeds" >"$work/$name.seed.log" 2>&1 || true
  read -r cov0 ft0 corp0 <<<"$(coverage "$work/$name.seed.log")"
  if ! "$program" -runs="$RUNS" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
       -artifact_prefix="$artifacts/$name-" "$work/$name" "$seeds" >"$work/$name.log" 2>&1; then
    outcome="FAILED: see $work/$name.log and $artifacts/"
    touch "$work/$name.failed"
  fi
  read -r cov1 ft1 corp1 <<<"$(coverage "$work/$name.log")"
  execs=$(stat "$work/$name.log" number_of_executed_units)
  rate=$(stat "$work/$name.log" average_exec_per_sec)
  printf '%-22s %12s %9s %17s %17s %13s  %s\n' "$name" "${execs:-?}" "${rate:-?}" \
    "${cov0:-?} -> ${cov1:-?}" "${ft0:-?} -> ${ft1:-?}" "${corp0:-?} -> ${corp1:-?}" "$outcome" >"$work/$name.row"
  if [ "$MERGE" -eq 1 ] && [ "$outcome" = ok ]; then
    local before
    before=$(find "$seeds" -type f | wc -l)
    "$program" -merge=1 "$seeds" "$work/$name" >"$work/$name.merge.log" 2>&1
    echo "  merged into $corpus: $before -> $(find "$seeds" -type f | wc -l) files" >>"$work/$name.row"
  fi
}

names=()
while read -r name program corpus; do
  [ -n "$name" ] || continue
  [ -z "$ONLY" ] || [[ ",$ONLY," == *",$name,"* ]] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  names+=("$name")
  campaign "$name" "$program" "$corpus" &
done <"$BUILD/fuzz_targets.txt"
wait

failed=0
printf '%-22s %12s %9s %17s %17s %13s  %s\n' target executions exec/s "cov (seed->end)" "ft (seed->end)" corpus outcome
for name in "${names[@]}"; do
  cat "$work/$name.row"
  [ ! -e "$work/$name.failed" ] || failed=1
done
exit "$failed"
