#!/usr/bin/env bash
# A/B of one runtime setting on a real job: alternates `fruits run` over the first N images of the Test
# split with and without an environment assignment, ROUNDS times, and prints each run's featurize rate
# and the whole command's wall time. Alternating keeps the two sides under the same drift of a shared
# machine's speed. AB_INPUT=DIR-or-s3://... runs over that input instead (N is then ignored).
#   tools/scripts/ab-env.sh DOTNET_TieredPGO=1 [ROUNDS=3] [N=2000]
set -euo pipefail
setting=${1:?usage: tools/scripts/ab-env.sh NAME=VALUE [ROUNDS] [IMAGES]}
rounds=${2:-3}
images=${3:-2000}
root=$(cd "$(dirname "$0")/../.." && pwd)
test_dir=${FRUITS_TEST_DIR:-$root/../shared/data/fruits-360/Test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$root/src/Client" -c Release -v quiet -nologo >/dev/null
fruits="$root/src/Client/bin/Release/net10.0/fruits"
input=${AB_INPUT:-}
if [ -z "$input" ]; then
  input="$work/in"
  # Listed to a file first: `head` closing a pipe early would fail the script under pipefail.
  find "$test_dir" -name '*.jpg' | LC_ALL=C sort >"$work/all"
  head -n "$images" "$work/all" | while read -r file; do
    label=$(basename "$(dirname "$file")")
    mkdir -p "$input/$label" && ln -s "$file" "$input/$label/"
  done
fi

run() {
  local start end
  start=$(date +%s.%N)
  env "$@" "$fruits" run --input "$input" --output "$work/out" --overwrite --json 2>/dev/null >"$work/result.json"
  end=$(date +%s.%N)
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("%.1f images/s featurizing, command %.2f s" % (s["images_succeeded"]/s["phase_seconds"]["featurize"], float(sys.argv[3])-float(sys.argv[2])))' \
    "$work/result.json" "$start" "$end"
}

for round in $(seq "$rounds"); do
  echo "round $round: with $setting $(run "$setting"); without $(run FRUITS_AB=baseline)"
done
