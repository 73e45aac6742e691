#!/usr/bin/env bash
# Regenerates golden/: llama.cpp's logits (libllama of npm node-llama-cpp 3.22.1, llamacpp_ref logits: one decode,
# 1 thread, F32 KV cache, flash attention off) for stories260K and for random-weight tiny llamas written by OUR
# GgufWriter + QuantizedOps.Quantize (one per tensor type, stories260K's vocabulary). The GGUFs are not committed:
# the tests regenerate them from the same seed and check their sha256 against golden/manifest.tsv.
# golden/lora/: llama.cpp's logits with and without a LoRA adapter written by OUR LoraAdapter.SaveGgufAsync
# (RandomLoraAdapter, seed 606) on stories260K and on ../shared/models/tiny-random's llama F32 and Q8_0.
# Usage: make-golden.sh [all|models|lora]   (LLAMACPP_DIR: where build.sh installs llama.cpp, default /tmp/llamacpp)
set -euo pipefail
what="${1:-all}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/golden"
llama="${LLAMACPP_DIR:-/tmp/llamacpp}"
work="${WORK:-/tmp/llamacpp-reference}"
shared="$(cd "$root/../shared/models" && pwd)"
stories="$shared/stories260K/stories260K.gguf"
tokens="1,100,200,300,400,500,300,200,42,7,311,450,99,256,128,64"
tool="$("$here/build.sh" "$llama")"
bins="$llama/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
dotnet build -c Release "$here/LlamacppReference.csproj" >/dev/null
gen="$here/bin/Release/net10.0/llamacpp-reference"
mkdir -p "$out" "$work"
if [ "$what" = all ] || [ "$what" = models ]; then
  "$gen" write-tiny "$work" "$stories" > "$work/hashes.txt"
  {
    echo -e "# name\ttype\tsha256 of the GGUF (empty: a shared file)\ttoken ids"
    echo -e "stories260K\tF32\t\t$tokens"
    while read -r name type hash; do echo -e "$name\t$type\t$hash\t$tokens"; done < "$work/hashes.txt"
  } > "$out/manifest.tsv"
  "$tool" logits "$bins" "$stories" "$tokens" "$out/stories260K.logits.f32"
  while read -r name type hash; do "$tool" logits "$bins" "$work/$name.gguf" "$tokens" "$out/$name.logits.f32"; done < "$work/hashes.txt"
fi
if [ "$what" = all ] || [ "$what" = lora ]; then
  seed=606
  mkdir -p "$out/lora"
  echo -e "# name\tbase model (under ../shared/models)\tadapter seed\tsha256 of the adapter GGUF\ttoken ids" > "$out/lora/manifest.tsv"
  for row in "lora-stories260K stories260K/stories260K.gguf" \
             "lora-tiny-llama-F32 tiny-random/tiny-llama-F32.gguf" \
             "lora-tiny-llama-Q8_0 tiny-random/tiny-llama-Q8_0.gguf"; do
    read -r name base <<< "$row"
    hash="$("$gen" write-lora "$work/$name.gguf" "$shared/$base" "$seed")"
    echo -e "$name\t$base\t$seed\t$hash\t$tokens" >> "$out/lora/manifest.tsv"
    "$tool" logits "$bins" "$shared/$base" "$tokens" "$out/lora/$name.base.logits.f32"
    "$tool" logits "$bins" "$shared/$base" "$tokens" "$out/lora/$name.logits.f32" "$work/$name.gguf"
  done
fi
echo "llama.cpp: node-llama-cpp 3.22.1 npm prebuilt CPU libraries (bundled llama.cpp $(git -C "$llama/src" rev-parse --short HEAD)), made $(date -u +%F)" > "$out/SOURCE.txt"
ls -la "$out" "$out/lora"
