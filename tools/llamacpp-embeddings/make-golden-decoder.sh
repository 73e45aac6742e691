#!/usr/bin/env bash
# Regenerates golden/decoder-*: llama.cpp's L2-normalised pooled embeddings of decoder GGUFs used as embedders
# (../shared/models/tiny-random llama and qwen2 files, pooling forced to last or mean, batches of 4 sequences so
# llama.cpp's per-sequence causal masking is exercised), for DecoderEmbeddingModel's tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/golden"
models="$root/../shared/models/tiny-random"
tool="$("$here/build.sh")"
bins="/tmp/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
mkdir -p "$out"
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
echo "llama.cpp: node-llama-cpp 3.22.1 (bundled llama.cpp $(git -C /tmp/llamacpp/src rev-parse --short HEAD))" > "$out/SOURCE-decoder.txt"
ls -la "$out"/decoder-*
