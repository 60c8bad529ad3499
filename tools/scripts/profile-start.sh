#!/usr/bin/env bash
# The first seconds of a job: runs `fruits run` over the first N Test images under perf and prints, for
# each second of the process, the share of CPU samples in ONNX Runtime, in the JIT compiler, and on the
# runtime's background tier-1 compiler thread (".NET Tiered Com"), then the job's phases. Needs perf (apt-get install linux-perf). Extra NAME=VALUE arguments go to the job's env.
#   tools/scripts/profile-start.sh [N=2000] [NAME=VALUE ...]
set -euo pipefail
images=${1:-2000}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
test_dir=${FRUITS_TEST_DIR:-$root/../shared/data/fruits-360/Test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$root/src/Client" -c Release -v quiet -nologo >/dev/null
# Listed to a file first: `head` closing a pipe early would fail the script under pipefail.
find "$test_dir" -name '*.jpg' | LC_ALL=C sort >"$work/all"
head -n "$images" "$work/all" | while read -r file; do
  label=$(basename "$(dirname "$file")")
  mkdir -p "$work/in/$label" && ln -s "$file" "$work/in/$label/"
done

env "$@" perf record -F 999 -o "$work/perf.data" -- \
  "$root/src/Client/bin/Release/net10.0/fruits" run --input "$work/in" --output "$work/out" --overwrite --verbose --json \
  >"$work/result.json" 2>"$work/log" || { tail -5 "$work/log"; exit 1; }
perf script -i "$work/perf.data" -F comm,time,ip,dso 2>/dev/null | python3 -c '
import collections, json, re, sys
summary = json.load(open(sys.argv[1]))["summary"]
seconds = collections.defaultdict(collections.Counter)
start = None
for line in sys.stdin:
    m = re.match(r"\s*(.+?)\s+([\d.]+):\s+\S+\s+\((.*)\)", line)
    if not m:
        continue
    comm, t, dso = m.group(1), float(m.group(2)), m.group(3).rsplit("/", 1)[-1]
    start = start if start is not None else t
    c = seconds[int(t - start)]
    c["all"] += 1
    c["onnx"] += dso == "libonnxruntime.so"
    c["jit"] += dso == "libclrjit.so"
    c["tiering"] += comm.startswith(".NET Tiered")
print("second  samples  onnxruntime  jit  tier-1 thread")
for s in sorted(seconds):
    c = seconds[s]
    print("%6d  %7d  %10.0f%%  %3.0f%%  %12.1f%%" % (s, c["all"], 100 * c["onnx"] / c["all"], 100 * c["jit"] / c["all"], 100 * c["tiering"] / c["all"]))
p = summary["phase_seconds"]
print("job: %.1f images/s featurizing; phases %s" % (summary["images_succeeded"] / p["featurize"], {k: round(v, 2) for k, v in p.items()}))
' "$work/result.json"
