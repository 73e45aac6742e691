#!/usr/bin/env bash
# Regenerates golden/: llama.cpp's logits (libllama of npm node-llama-cpp 3.22.1, llamacpp_ref logits: one decode,
# 1 thread, F32 KV cache, flash attention off) for stories260K and for random-weight tiny llamas written by OUR
# GgufWriter + QuantizedOps.Quantize (one per tensor type, stories260K's vocabulary). The GGUFs are not committed:
# the tests regenerate them from the same seed and check their sha256 against golden/manifest.tsv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/golden"
work="${WORK:-/tmp/llamacpp-reference}"
stories="$root/../shared/models/stories260K/stories260K.gguf"
tokens="1,100,200,300,400,500,300,200,42,7,311,450,99,256,128,64"
tool="$("$here/build.sh")"
bins="/tmp/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
dotnet build -c Release "$here/LlamacppReference.csproj" >/dev/null
mkdir -p "$out" "$work"
"$here/bin/Release/net10.0/llamacpp-reference" write-tiny "$work" "$stories" > "$work/hashes.txt"
{
  echo -e "# name\ttype\tsha256 of the GGUF (empty: a shared file)\ttoken ids"
  echo -e "stories260K\tF32\t\t$tokens"
  while read -r name type hash; do echo -e "$name\t$type\t$hash\t$tokens"; done < "$work/hashes.txt"
} > "$out/manifest.tsv"
"$tool" logits "$bins" "$stories" "$tokens" "$out/stories260K.logits.f32"
while read -r name type hash; do "$tool" logits "$bins" "$work/$name.gguf" "$tokens" "$out/$name.logits.f32"; done < "$work/hashes.txt"
echo "llama.cpp: node-llama-cpp 3.22.1 npm prebuilt CPU libraries (bundled llama.cpp $(git -C /tmp/llamacpp/src rev-parse --short HEAD)), made $(date -u +%F)" > "$out/SOURCE.txt"
ls -la "$out"
