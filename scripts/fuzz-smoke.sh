#!/usr/bin/env bash
# Runs every libFuzzer binary (*_fuzz) in DIR briefly over a scratch copy of its committed seed
# corpus (fuzz/corpus/<name>/, never modified) and fails if any of them finds a crash, leak or
# timeout. Crash inputs are kept in DIR/artifacts/<name>/ for turning into regression files.
#
# usage: scripts/fuzz-smoke.sh [DIR]      (default: build/fuzz/fuzz, what `make fuzz-smoke` builds)
# env:   FUZZ_SECONDS  time per target (default 3);  FUZZ_RUNS  input cap per target (default 2000000)
#        FUZZ_JOBS  targets run at once (default: the number of processors)
# Exits 0 with a notice when clang is not installed: libFuzzer needs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build/fuzz/fuzz}
seconds=${FUZZ_SECONDS:-3}
runs=${FUZZ_RUNS:-2000000}
jobs=${FUZZ_JOBS:-$(nproc)}

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz-smoke: clang++ not found; skipping the libFuzzer smoke run (install clang to enable it)"
  exit 0
fi
if [ ! -d "$dir" ]; then
  echo "fuzz-smoke: $dir does not exist; build it first: cmake --preset fuzz && cmake --build --preset fuzz" >&2
  exit 1
fi

mapfile -t binaries < <(find "$dir" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x | sort)
if [ ${#binaries[@]} -eq 0 ]; then
  echo "fuzz-smoke: no *_fuzz binaries in $dir; build them first: cmake --build --preset fuzz" >&2
  exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-fuzz-smoke.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# UBSan only reports by default; make each finding fatal so libFuzzer counts it as a crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# No allocation stacks recorded (malloc_context_size=0): db_fuzz runs 1.4x the inputs per second
# (139 -> 199 in 30 s from its seeds) and nothing goes undetected; rerunning a kept input with the
# defaults gives a report with the stacks (the command printed below).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:malloc_context_size=0}

echo "fuzz-smoke: ${#binaries[@]} target(s), ${seconds}s / ${runs} inputs each, $jobs at a time, from $dir"

# Fuzzes one target; its report goes to $scratch/<name>/report, and a failure leaves
# $scratch/<name>/failed behind.
fuzz_target() {
  local binary=$1 target name seeds corpus artifacts seed_count log started
  target=$(basename "$binary")
  name=${target%_fuzz}
  seeds=$root/fuzz/corpus/$name
  mkdir -p "$scratch/$name"
  exec >"$scratch/$name/report"
  if [ ! -d "$seeds" ]; then
    echo "  $target: FAILED: no seed corpus at fuzz/corpus/$name"
    touch "$scratch/$name/failed"
    return
  fi
  corpus=$scratch/$name/corpus
  artifacts=$dir/artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  cp -R "$seeds/." "$corpus/"
  seed_count=$(find "$corpus" -type f | wc -l)
  log=$scratch/$name/fuzz.log
  started=$scratch/$name/started
  touch "$started"
  if "$binary" -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    local executed corpus_count
    executed=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
    corpus_count=$(find "$corpus" -type f | wc -l)
    echo "  $target: ok (${executed:-?} inputs; corpus $seed_count -> $corpus_count files)"
  else
    touch "$scratch/$name/failed"
    echo "  $target: FAILED; from its log:"
    # The report's head (error line and stack) and its summary; the whole log if neither is found.
    local first crashes
    first=$(grep -nE 'ERROR: |runtime error|deadly signal|assertion failed|timeout after' "$log" |
      head -1 | cut -d: -f1 || true)
    if [ -n "$first" ]; then
      sed -n "${first},$((first + 24))p" "$log" | sed 's/^/    | /'
      awk -v from=$((first + 25)) 'NR >= from && /^SUMMARY|Test unit written/' "$log" |
        sed 's/^/    | /'
    else
      tail -n 40 "$log" | sed 's/^/    | /'
    fi
    crashes=$(find "$artifacts" -type f -newer "$started" 2>/dev/null | head -5)
    if [ -n "$crashes" ]; then
      echo "    inputs kept (reproduce, with allocation stacks: ASAN_OPTIONS=detect_leaks=1 $binary <file>):"
      while read -r crash; do echo "      $crash"; done <<<"$crashes"
    fi
  fi
}

running=0
for binary in "${binaries[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_target "$binary" &
  running=$((running + 1))
done
wait

# Reports in target order, whatever order the targets finished in.
failed=()
for binary in "${binaries[@]}"; do
  target=$(basename "$binary")
  name=${target%_fuzz}
  if [ ! -s "$scratch/$name/report" ]; then
    echo "  $target: FAILED: no report (the run stopped early)"
    failed+=("$target")
    continue
  fi
  cat "$scratch/$name/report"
  if [ -e "$scratch/$name/failed" ]; then failed+=("$target"); fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz-smoke: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz-smoke: all ${#binaries[@]} target(s) passed"
