#!/usr/bin/env bash
# Crash and power-loss rounds of `ziggy stress` within a time budget: about 60% of it on real
# SIGKILLs of a multi-threaded child (`ziggy stress --crash`; a third of that time with the child
# killing itself at whitebox kill points, `--whitebox`, when the build has them), the rest on simulated power losses
# in the in-memory fault-injecting Env (`ziggy stress --power-loss`). Each run prints its seed and
# the command that repeats it; any mismatch, unexpected child exit or sanitizer report fails.
# Usage: scripts/crash-stress.sh path/to/ziggy [SECONDS (default 600)] [SEED]
# Exit code: that of the first failing `ziggy stress` run, else 0.
set -euo pipefail
ZIGGY=${1:?usage: crash-stress.sh path/to/ziggy [SECONDS] [SEED]}
SECONDS_TOTAL=${2:-600}
SEED=${3:-$(( (RANDOM << 15) | RANDOM ))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ziggy-crash-stress.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if (( SECONDS_TOTAL < 2 )); then
  echo "crash-stress: SECONDS must be at least 2 (0 would mean no limit to ziggy stress)" >&2
  exit 2
fi
crash_seconds=$(( SECONDS_TOTAL * 6 / 10 ))
power_seconds=$(( SECONDS_TOTAL - crash_seconds ))
# A third of the kills at whitebox kill points when the binary has them: armed at the rename of
# the first CURRENT, creating a DB dies by SIGKILL (exit 137).
whitebox_seconds=0
probe=$({ ZIGGY_KILL_POINT=rename:current "$ZIGGY" stress --dir "$WORK/probe" --keys 1 \
  --seconds 1 >/dev/null 2>&1; echo $?; } 2>/dev/null)
if [[ $probe -eq 137 ]]; then
  whitebox_seconds=$(( crash_seconds / 3 ))
  crash_seconds=$(( crash_seconds - whitebox_seconds ))
fi
echo "crash-stress: seed $SEED, ${crash_seconds}s of kills, ${whitebox_seconds}s of kills at" \
  "kill points, ${power_seconds}s of power losses"
# A key space small enough that each child's verification takes a few ms, so kills land at every
# stage: Open's recovery, the verification, and the random operations.
"$ZIGGY" stress --crash --dir "$WORK/crash" --seed "$SEED" --keys 2000 --rounds 1000000000 \
  --seconds "$crash_seconds" --kill-max-ms 1500
if [[ $whitebox_seconds -gt 0 ]]; then
  # Most armed points are reached within the first few hundred ms of a child.
  "$ZIGGY" stress --crash --whitebox --dir "$WORK/whitebox" --seed "$SEED" --keys 2000 \
    --rounds 1000000000 --seconds "$whitebox_seconds" --kill-max-ms 500
fi
"$ZIGGY" stress --power-loss --seed "$SEED" --keys 1000 --rounds 1000000000 \
  --seconds "$power_seconds"
