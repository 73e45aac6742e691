#!/usr/bin/env bash
# Regenerates golden/: tiny random-weight BERT GGUFs (written by the embeddings benchmark's `write-model ... tiny`),
# random token sequences, and llama.cpp's L2-normalised pooled embeddings of them (llamacpp_embed, batches of 4
# sequences, so llama.cpp's own sequence masking is exercised). The Groundwork.Models tests compare against these.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/golden"
vocab="$root/../shared/models/llamacpp-vocab/ggml-vocab-bert-bge.gguf"
tool="$("$here/build.sh")"
bins="/tmp/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
dotnet build -c Release "$root/benchmarks/embeddings/Groundwork.Benchmarks.Embeddings.csproj" >/dev/null
bench="$root/benchmarks/embeddings/bin/Release/net10.0/Groundwork.Benchmarks.Embeddings"
mkdir -p "$out"
"$bench" write-tokens "$out/tokens.txt" 12 40 5 1999
for spec in "f16 mean 1" "f32 cls 2" "f16 last 3"; do
  set -- $spec
  name="tiny-$1-$2"
  "$bench" write-model "$out/$name.gguf" "$1" "$vocab" tiny "$3"
  "$tool" "$bins" "$out/$name.gguf" "$out/tokens.txt" 1 4 1 "$out/$name.llamacpp.txt" >/dev/null 2>&1
done
# nomic-bert (rotary positions, fused q/k/v, SwiGLU), F32 and F16, mean pooling.
for t in f32 f16; do
  name="tiny-nomic-$t-mean"
  "$bench" write-model "$out/$name.gguf" "$t" "$vocab" tiny 1 nomic-bert
  "$tool" "$bins" "$out/$name.gguf" "$out/tokens.txt" 1 4 1 "$out/$name.llamacpp.txt" >/dev/null 2>&1
done
echo "llama.cpp: node-llama-cpp 3.22.1 (bundled llama.cpp $(git -C /tmp/llamacpp/src rev-parse --short HEAD))" > "$out/SOURCE.txt"
ls -la "$out"
