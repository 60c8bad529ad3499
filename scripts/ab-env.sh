#!/usr/bin/env bash
# A/B of one runtime setting on a real job: alternates `fruits run` over the first N images of the Test
# split with and without an environment assignment, ROUNDS times, and prints each run's featurize rate.
# Alternating keeps the two sides under the same drift of a shared machine's speed.
#   scripts/ab-env.sh DOTNET_TieredPGO=1 [ROUNDS=3] [N=2000]
set -euo pipefail
setting=${1:?usage: scripts/ab-env.sh NAME=VALUE [ROUNDS] [IMAGES]}
rounds=${2:-3}
images=${3:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
test_dir=${FRUITS_TEST_DIR:-$root/../shared/data/fruits-360/Test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$root/src/Client" -c Release -v quiet -nologo >/dev/null
fruits="$root/src/Client/bin/Release/net10.0/fruits"
find "$test_dir" -name '*.jpg' | LC_ALL=C sort >"$work/all"
head -n "$images" "$work/all" | while read -r file; do
  label=$(basename "$(dirname "$file")")
  mkdir -p "$work/in/$label" && ln -s "$file" "$work/in/$label/"
done

run() {
  env "$@" "$fruits" run --input "$work/in" --output "$work/out" --overwrite --json 2>/dev/null |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print(round(s["images_succeeded"]/s["phase_seconds"]["featurize"],1))'
}

for round in $(seq "$rounds"); do
  echo "round $round: with $setting $(run "$setting") images/s featurizing, without $(run FRUITS_AB=baseline) images/s"
done
