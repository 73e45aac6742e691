#!/usr/bin/env bash
# LoRA training measurements on stories260K (default) or any GGUF: loss curve, held-out loss, tokens/s.
# Usage: benchmarks/lora/run.sh [MODEL.gguf] [STEPS] [RANK] [THREADS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="${1:-$root/../shared/models/stories260K/stories260K.gguf}"
dotnet build -c Release "$here/Groundwork.Benchmarks.Lora.csproj" >/dev/null
"$here/bin/Release/net10.0/Groundwork.Benchmarks.Lora" "$model" "${2:-100}" "${3:-8}" ${4:+"$4"}
