#!/usr/bin/env bash
# Builds llamacpp_ref against the prebuilt libllama of node-llama-cpp 3.22.1 (npm; nothing of llama.cpp is compiled),
# headers from the llama.cpp source bundled in the same package. Prints the binary's path.
# Usage: tools/llamacpp-reference/build.sh [WORK_DIR]   (default /tmp/llamacpp)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-/tmp/llamacpp}"
mkdir -p "$work"
if [ ! -d "$work/node_modules/@node-llama-cpp/linux-x64/bins" ]; then
  (cd "$work" && npm install --omit=optional --no-audit --no-fund node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1 >&2)
fi
if [ ! -f "$work/src/include/llama.h" ]; then
  git clone -q "$work/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$work/src" >&2
fi
bins="$work/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
gcc -O2 -Wall -o "$work/llamacpp_ref" "$here/llamacpp_ref.c" \
  -I"$work/src/include" -I"$work/src/ggml/include" \
  "$bins/libllama.v0.5.0.so" "$bins/libggml.v0.5.0.so" "$bins/libggml-base.so" -Wl,-rpath,"$bins"
echo "$work/llamacpp_ref"
