#!/usr/bin/env bash
# nDCG@10 / Recall@100 of keyword, vector and hybrid search on SciFact (train qrels), printed as a markdown table.
# Usage: benchmarks/hybrid-retrieval/run.sh [--embedding-model bge-small-en-v1.5-f16.gguf] [--limit N] [--split train]
#        benchmarks/hybrid-retrieval/run.sh --embedding-endpoint http://127.0.0.1:11434/v1 --embedding-model nomic-embed-text
# Env: STORE (collection folder, default /tmp/gw-hybrid-bench; reused between runs, vectors cached per model).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dotnet build -c Release "$here/HybridRetrievalBench.csproj" -v q -nologo >/dev/null
exe="$here/bin/Release/net10.0/hybrid-retrieval-bench"
cd "$repo"
"$exe" --data "$repo/../shared/data/scifact" --store "${STORE:-/tmp/gw-hybrid-bench}" "$@"
