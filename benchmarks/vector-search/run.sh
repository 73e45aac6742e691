#!/usr/bin/env bash
# Vector search benchmark: Groundwork HNSW beside FAISS HNSW and hnswlib on the same generated vectors.
# Usage: benchmarks/vector-search/run.sh [N=100000] [--1m] [--skip-faiss] [--skip-hnswlib] [--storage Float32|Int8|Float16]
# Env: DIR (data/index folder, default /tmp/gw-vector-bench), THREADS (build threads, default nproc), QUERIES (1000),
#      M (16), EFC (200), GW_ARGS (extra arguments for Groundwork's runner, e.g. --reuse). Searches always run on one thread. Prints a TSV table:
#      impl n build_s bytes_per_vector efSearch recall@10 qps(wall) qps(cpu time) distance_evaluations_per_query
#      (hnswlib counts every neighbour scanned, visited or not; FAISS and Groundwork count distances computed)
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

printf 'impl\tn\tbuild_s\tbytes/vec\tefSearch\trecall@10\tqps\tqps_cpu\tdist/query\n'
"${BENCH[@]}" --storage "$STORAGE" ${GW_ARGS:-}
if [ "$SKIP_HNSWLIB" = 0 ]; then
  g++ -O3 -march=native -std=c++17 -pthread "$here/hnswlib_bench.cpp" -o "$DIR/hnswlib_bench"
  "$DIR/hnswlib_bench" "$DIR" "$N" "$QUERIES" "$M" "$EFC" "$THREADS"
fi
if [ "$SKIP_FAISS" = 0 ]; then
  /usr/bin/python3 "$here/faiss_bench.py" "$DIR" "$N" "$QUERIES" "$M" "$EFC" "$THREADS"
fi
