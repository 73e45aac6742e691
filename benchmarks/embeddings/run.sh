#!/usr/bin/env bash
# Embedding throughput (chunks/s) of the built-in BERT encoder beside llama.cpp on the same GGUF and the same token ids:
# all-MiniLM-L6-v2 shape (6 layers, dim 384, 12 heads, ffn 1536, vocab 30522) with random weights written by GgufWriter,
# sequences of 128 tokens, 1 and 2 threads, batches of 8 and 32 sequences. Runs alternate between the two engines so
# both see the same machine load. Usage: benchmarks/embeddings/run.sh [f16|f32] [SEQUENCES] [REPEATS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
type="${1:-f16}"; count="${2:-64}"; repeats="${3:-3}"
work="${WORK:-/tmp/gw-embeddings-bench}"
mkdir -p "$work"
vocab="$root/../shared/models/llamacpp-vocab/ggml-vocab-bert-bge.gguf"
tool="$("$root/tools/llamacpp-embeddings/build.sh")"
bins="/tmp/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
dotnet build -c Release "$here/Groundwork.Benchmarks.Embeddings.csproj" >/dev/null
bench="$here/bin/Release/net10.0/Groundwork.Benchmarks.Embeddings"
model="$work/minilm-$type.gguf"
[ -f "$model" ] || "$bench" write-model "$model" "$type" "$vocab"
"$bench" write-tokens "$work/tokens.txt" "$count" 128 7
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), model $(basename "$model"), $count sequences x 128 tokens"
"$tool" "$bins" "$model" "$work/tokens.txt" 2 8 0 "$work/llamacpp.txt" >/dev/null 2>&1
"$bench" compare "$model" "$work/tokens.txt" "$work/llamacpp.txt"
for threads in 1 2; do
  for batch in 8 32; do
    "$bench" bench "$model" "$work/tokens.txt" "$threads" "$batch" "$repeats" | tail -1
    "$tool" "$bins" "$model" "$work/tokens.txt" "$threads" "$batch" "$repeats" 2>/dev/null | tail -1
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
