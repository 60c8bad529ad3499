#!/usr/bin/env bash
# tools/scripts/ab-env.sh over an S3 input: starts moto_server on a free loopback port, uploads the first N Test
# images to a bucket and A/Bs the setting on jobs that read them through S3. moto runs on the same cores
# as the job, so absolute rates are lower than against AWS; the two sides share that cost.
#   tools/scripts/ab-s3.sh Fruits__Featurizer__ReadAhead=0 [ROUNDS=3] [N=640]
set -euo pipefail
setting=${1:?usage: tools/scripts/ab-s3.sh NAME=VALUE [ROUNDS] [IMAGES]}
rounds=${2:-3}
images=${3:-640}
root=$(cd "$(dirname "$0")/../.." && pwd)
test_dir=${FRUITS_TEST_DIR:-$root/../shared/data/fruits-360/Test}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true; wait "$moto" 2>/dev/null || true; rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port
for _ in $(seq 50); do curl -s "$AWS_ENDPOINT_URL_S3" >/dev/null && break; sleep 0.2; done

# Listed to a file first: `head` closing a pipe early would fail the script under pipefail.
find "$test_dir" -name '*.jpg' | LC_ALL=C sort >"$work/all"
head -n "$images" "$work/all" | while read -r file; do
  label=$(basename "$(dirname "$file")")
  mkdir -p "$work/in/$label" && ln -s "$file" "$work/in/$label/"
done
aws --endpoint-url "$AWS_ENDPOINT_URL_S3" s3 mb s3://fruits-ab >/dev/null
aws --endpoint-url "$AWS_ENDPOINT_URL_S3" s3 cp --recursive --quiet "$work/in" s3://fruits-ab/in
AB_INPUT=s3://fruits-ab/in "$root/tools/scripts/ab-env.sh" "$setting" "$rounds"
