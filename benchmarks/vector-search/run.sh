#!/usr/bin/env bash
# Vector search benchmark: Groundwork HNSW beside FAISS HNSW and hnswlib on the same generated vectors.
# Usage: benchmarks/vector-search/run.sh [N=100000] [--1m] [--skip-faiss] [--skip-hnswlib] [--storage Float32|Int8|Float16]
# Env: DIR (data/index folder, default /tmp/gw-vector-bench), THREADS (build threads, default nproc), QUERIES (1000),
#      M (16), EFC (200), EFS (efSearch values, default 16,32,64,128,256), GW_ARGS (extra arguments for Groundwork's
#      runner), REUSE=1 (search the indexes an earlier run saved in DIR, no builds; with it, INTERLEAVE=1 runs the three
#      implementations in turn for each efSearch value, so that load changes hit all alike).
#      Searches always run on one thread. Prints a TSV table:
#      impl n build_s bytes_per_vector efSearch recall@10 qps(wall) qps(cpu time) distance_evaluations_per_query
#      (distances computed; hnswlib's are counted by a wrapper around its kernel in a separate, untimed pass).
#      stderr carries build times, "mem" lines (RSS before/after build, peak RSS, index bytes per vector) and loadavg.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
N=100000; SKIP_FAISS=0; SKIP_HNSWLIB=0; STORAGE=Float32
while [ $# -gt 0 ]; do
  case "$1" in
    --1m) N=1000000 ;;
    --skip-faiss) SKIP_FAISS=1 ;;
    --skip-hnswlib) SKIP_HNSWLIB=1 ;;
    --storage) STORAGE="$2"; shift ;;
    *) N="$1" ;;
  esac
  shift
done
DIR="${DIR:-/tmp/gw-vector-bench}"; THREADS="${THREADS:-$(nproc)}"; QUERIES="${QUERIES:-1000}"; M="${M:-16}"; EFC="${EFC:-200}"
EFS="${EFS:-16,32,64,128,256}"; REUSE="${REUSE:-0}"; INTERLEAVE="${INTERLEAVE:-0}"; export REUSE
mkdir -p "$DIR"

need=()
[ "$SKIP_FAISS" = 1 ] || /usr/bin/python3 -c 'import faiss' 2>/dev/null || need+=(python3-faiss python3-numpy)
[ "$SKIP_HNSWLIB" = 1 ] || [ -f /usr/include/hnswlib/hnswlib.h ] || need+=(libhnswlib-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y "${need[@]}" >/dev/null
fi

dotnet build -c Release "$here/VectorSearchBench.csproj" -o "$DIR/bin" >/dev/null
BENCH=("$DIR/bin/vector-search-bench" --dir "$DIR" --n "$N" --queries "$QUERIES" --m "$M" --efc "$EFC" --threads "$THREADS")

[ "$SKIP_HNSWLIB" = 1 ] || g++ -O3 -march=native -std=c++17 -pthread "$here/hnswlib_bench.cpp" -o "$DIR/hnswlib_bench"
load() { echo "loadavg $1: $(cat /proc/loadavg)" >&2; }

printf 'impl\tn\tbuild_s\tbytes/vec\tefSearch\trecall@10\tqps\tqps_cpu\tdist/query\n'
echo "M $M efConstruction $EFC build threads $THREADS queries $QUERIES" >&2
# Data, ground truth and the exact row first, in their own process, so each HNSW process's peak RSS is its own.
load exact; "${BENCH[@]}" --gen-only
GW_REUSE=(); [ "$REUSE" = 1 ] && GW_REUSE=(--reuse)
sweep() {  # $1: efSearch values
  load "groundwork ef $1"; "${BENCH[@]}" --no-exact --storage "$STORAGE" --efs "$1" "${GW_REUSE[@]}" ${GW_ARGS:-}
  if [ "$SKIP_HNSWLIB" = 0 ]; then
    load "hnswlib ef $1"; EFS="$1" "$DIR/hnswlib_bench" "$DIR" "$N" "$QUERIES" "$M" "$EFC" "$THREADS"
  fi
  if [ "$SKIP_FAISS" = 0 ]; then
    load "faiss ef $1"; EFS="$1" /usr/bin/python3 "$here/faiss_bench.py" "$DIR" "$N" "$QUERIES" "$M" "$EFC" "$THREADS"
  fi
}
if [ "$REUSE" = 1 ] && [ "$INTERLEAVE" = 1 ]; then
  for ef in ${EFS//,/ }; do sweep "$ef"; done
else
  sweep "$EFS"
fi
load end
