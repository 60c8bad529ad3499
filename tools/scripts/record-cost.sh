#!/usr/bin/env bash
# What keeping a job durable costs it: runs `fruits run` over the first N images of the Test split on the
# embedded silo and prints, per attempt, the seconds the job spent storing its record against the seconds it
# spent featurizing (summary.json's attempt_history). The record is written at each phase change and every
# Fruits:Jobs:ProgressSaveInterval of progress.
#   tools/scripts/record-cost.sh [N=3000]
set -euo pipefail
images=${1:-3000}
root=$(cd "$(dirname "$0")/../.." && pwd)
test_dir=${FRUITS_TEST_DIR:-$root/../shared/data/fruits-360/Test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$root/src/Client" -c Release -v quiet -nologo >/dev/null
fruits="$root/src/Client/bin/Release/net10.0/fruits"
# Listed to a file first: `head` closing a pipe early would fail the script under pipefail.
find "$test_dir" -name '*.jpg' | LC_ALL=C sort >"$work/all"
head -n "$images" "$work/all" | while read -r file; do
  label=$(basename "$(dirname "$file")")
  mkdir -p "$work/in/$label" && ln -s "$file" "$work/in/$label/"
done

"$fruits" run --input "$work/in" --output "$work/out" --json 2>/dev/null >"$work/result.json"
python3 - "$work/result.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
for attempt in summary["attempt_history"]:
    share = attempt["record_write_seconds"] / attempt["featurize_seconds"]
    print("attempt %d: %d images, record writes %.3f s, featurizing %.1f s: %.2f %%"
          % (attempt["attempt"], attempt["images_featurized"], attempt["record_write_seconds"], attempt["featurize_seconds"], 100 * share))
PY
