#!/usr/bin/env bash
# Where a job's CPU goes: runs `fruits run` over the Test split, lets it reach steady featurizing, samples
# it with perf for SECONDS and prints the samples by library (needs perf: apt-get install linux-perf).
#   tools/scripts/profile-job.sh [WARMUP=30] [SECONDS=40]
set -euo pipefail
warmup=${1:-30}
seconds=${2:-40}
root=$(cd "$(dirname "$0")/../.." && pwd)
test_dir=${FRUITS_TEST_DIR:-$root/../shared/data/fruits-360/Test}
work=$(mktemp -d)
job=
# The job is still writing into $work when perf finishes, so it must be gone before the folder is removed.
cleanup() {
  if [ -n "$job" ]; then kill "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Client" -c Release -v quiet -nologo >/dev/null
"$root/src/Client/bin/Release/net10.0/fruits" run --input "$test_dir" --output "$work/out" --overwrite --json >/dev/null 2>&1 &
job=$!
sleep "$warmup"
perf record -F 999 -p "$job" -o "$work/perf.data" -- sleep "$seconds" 2>/dev/null >/dev/null
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
