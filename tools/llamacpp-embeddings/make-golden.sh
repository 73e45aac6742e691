#!/usr/bin/env bash
# Regenerates golden/: tiny random-weight BERT GGUFs (written by the embeddings benchmark's `write-model ... tiny`),
# random token sequences, and llama.cpp's L2-normalised pooled embeddings of them (llamacpp_embed, batches of 4
# sequences, so llama.cpp's own sequence masking is exercised), nomic-bert ones, and decoder GGUFs used as embedders
# (decoder-*). The Groundwork.Models tests compare against these.
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
# "rank" (4): a cross-encoder with a classification head; llama.cpp writes its raw score per sequence.
for spec in "f16 mean 1" "f32 cls 2" "f16 last 3" "f32 rank 4" "f16 rank 4"; do
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
# Decoder GGUFs used as embedders (DecoderEmbeddingModel): the tiny-random llama/qwen2 models, pooling forced.
models="$root/../shared/models/tiny-random"
# 10 sequences of 1-24 token ids in 2..511 (valid in both tiny vocabularies), fixed seed.
python3 - "$out/decoder-tokens.txt" <<'PY'
import random, sys
rng = random.Random(7)
with open(sys.argv[1], "w") as f:
    for _ in range(10):
        f.write(" ".join(str(rng.randint(2, 511)) for _ in range(rng.randint(1, 24))) + "\n")
PY
# Last-token pooling: 4 sequences per decode. Mean pooling: one sequence per decode, because llama.cpp 3.22.1's mean
# pooling of a causal model changes when several sequences share a decode (cosine 0.74-0.97 against the same sequence
# decoded alone, measured here), while an embedding must not depend on its batch.
for spec in "tiny-llama-F32 last 4" "tiny-llama-F32 mean 1" "tiny-qwen2-F32 last 4" "tiny-llama-Q8_0 last 4"; do
  set -- $spec
  "$tool" "$bins" "$models/$1.gguf" "$out/decoder-tokens.txt" 1 "$3" 1 "$out/decoder-$1-$2.llamacpp.txt" "$2" >/dev/null
done
echo "llama.cpp: node-llama-cpp 3.22.1 (bundled llama.cpp $(git -C /tmp/llamacpp/src rev-parse --short HEAD))" > "$out/SOURCE.txt"
ls -la "$out"
