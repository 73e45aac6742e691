#!/usr/bin/env bash
# Managed runtime vs llama.cpp on the same random-weight GGUFs, interleaved (ours, llama.cpp) per measurement.
# Env: MODELS (default "smollm2 qwen25"), TYPES ("F16 Q8_0 Q4_K"), THREADS ("1 2"), PROMPT (512), GEN (128),
#      REPEATS (3), DIR (/tmp/gw-bench: the GGUFs, 0.1-1 GB each, written there, never in the repository),
#      BASELINE (optional: another build's runtime-bench binary, e.g. of the previous commit, run interleaved as
#      engine "baseline" so that before/after ratios come from the same run).
# Prints results.tsv lines and a markdown table of medians (summarize.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${DIR:-/tmp/gw-bench}"
models="${MODELS:-smollm2 qwen25}"; types="${TYPES:-F16 Q8_0 Q4_K}"; threads="${THREADS:-1 2}"
prompt="${PROMPT:-512}"; gen="${GEN:-128}"; repeats="${REPEATS:-3}"
vocab="$root/../shared/models/llamacpp-vocab/ggml-vocab-gpt-2.gguf"
peer="$("$root/tools/llamacpp-reference/build.sh")"
bins="/tmp/llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
dotnet build -c Release "$root/tools/llamacpp-reference/LlamacppReference.csproj" >/dev/null
dotnet build -c Release "$here/RuntimeBench.csproj" >/dev/null
writer="$root/tools/llamacpp-reference/bin/Release/net10.0/llamacpp-reference"
ours="$here/bin/Release/net10.0/runtime-bench"
mkdir -p "$dir"
out="${OUT:-$dir/results.tsv}"
echo -e "model\ttype\tthreads\trepeat\tengine\tpp_tps\ttg_tps\tload_s\tvmhwm_kib\tloadavg\tfile_bytes" > "$out"
for m in $models; do for t in $types; do
  f="$dir/$m-$t.gguf"
  [ -f "$f" ] || "$writer" write "$f" "$m" "$t" "$vocab" >&2
done; done
for r in $(seq 1 "$repeats"); do
  for m in $models; do for t in $types; do for th in $threads; do
    f="$dir/$m-$t.gguf"; size=$(stat -c %s "$f")
    for engine in ${BASELINE:+baseline} ours llama.cpp; do
      if [ "$engine" = ours ]; then line="$("$ours" bench "$f" "$th" "$prompt" "$gen")"
      elif [ "$engine" = baseline ]; then line="$("$BASELINE" bench "$f" "$th" "$prompt" "$gen")"
      else line="$("$peer" bench "$bins" "$f" "$th" "$prompt" "$gen")"; fi
      vals="$(echo "$line" | sed -E 's/[a-z_]+=//g' | tr ' ' '\t')"
      echo -e "$m\t$t\t$th\t$r\t$engine\t$vals\t$(cut -d' ' -f1 /proc/loadavg)\t$size" | tee -a "$out"
    done
  done; done; done
done
python3 "$here/summarize.py" "$out"
