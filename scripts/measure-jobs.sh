#!/usr/bin/env bash
# Wall time of poolcheck verify with --jobs 1, --jobs 2 and a 2-worker Dask LocalCluster, one after the other
# (docs/cluster.md, "Figures"). Run from an environment with poolcheck installed with the cluster extra.
# Usage: scripts/measure-jobs.sh [OUTDIR]   (default /tmp/poolcheck-jobs)
set -u
out=${1:-/tmp/poolcheck-jobs}
mkdir -p "$out" && cd "$out" || exit 2
poolcheck cluster local --workers 2 --json > cluster.json 2> cluster.err &
cl=$!
for _ in $(seq 60); do grep -q address cluster.json 2>/dev/null && break; sleep 1; done
addr=$(python -c "import json; print(json.load(open('cluster.json'))['jobs'])")
: > results.txt
for j in 1 2 "$addr"; do
  tag=$(echo "$j" | tr -c 'a-z0-9\n' '_' | cut -c1-12)
  s=$(date +%s.%N); l0=$(cut -d' ' -f1 /proc/loadavg)
  poolcheck verify --jobs "$j" --out "out-$tag" > "verify-$tag.log" 2>&1; rc=$?
  e=$(date +%s.%N); l1=$(cut -d' ' -f1 /proc/loadavg)
  printf "verify --jobs %s: rc=%s wall=%.1fs load %s->%s\n" "$j" "$rc" "$(echo "$e - $s" | bc)" "$l0" "$l1" >> results.txt
  grep -E "^(PASS|FAIL|INCOMPLETE|ERROR) +mutants" "verify-$tag.log" >> results.txt
done
kill -INT "$cl"; wait "$cl"
cat results.txt
