#!/usr/bin/env bash
# Prints the README's sizing/cost table from ONE measured number.
#   usage: deploy/ecs/sizing.sh X [IMAGES] [TASK_VCPU] [TASK_GB]
#   X = images/s per vCPU, measured (docs/BENCHMARKS.md); IMAGES defaults to 100000.
# Assumes featurization scales linearly with vCPUs (one ONNX session per core, IntraOpThreads=1).
# Prices: AWS Fargate on-demand, Linux/x86_64, us-east-1 (https://aws.amazon.com/fargate/pricing/); check your region.
set -euo pipefail
X=${1:?usage: sizing.sh IMAGES_PER_SECOND_PER_VCPU [IMAGES] [TASK_VCPU] [TASK_GB]}
N=${2:-100000}
TASK_VCPU=${3:-2}
TASK_GB=${4:-4}
VCPU_HOUR=${VCPU_HOUR:-0.04048}
GB_HOUR=${GB_HOUR:-0.004445}
awk -v x="$X" -v n="$N" -v c="$TASK_VCPU" -v g="$TASK_GB" -v pv="$VCPU_HOUR" -v pg="$GB_HOUR" 'BEGIN {
  task_hour = c * pv + g * pg
  printf "X = %s images/s per vCPU, %d images, %s vCPU / %s GB tasks ($%.5f per task-hour)\n\n", x, n, c, g, task_hour
  print  "| silo tasks | vCPUs | images/s | wall time | compute cost |"
  print  "|---:|---:|---:|---:|---:|"
  split("1 2 4 8 16 32", tasks, " ")
  for (i = 1; i <= 6; i++) {
    t = tasks[i]; v = t * c; rate = x * v; secs = n / rate
    printf "| %d | %d | %.0f | %dh %02dm %02ds | $%.2f |\n", t, v, rate, secs / 3600, (secs % 3600) / 60, secs % 60, t * task_hour * secs / 3600
  }
  printf "\ncost per 1M images (any task count): $%.2f\n", 1e6 / (x * 3600) * task_hour / c
}'
