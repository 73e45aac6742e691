#!/usr/bin/env bash
# LoRA training measurements.
# Usage: benchmarks/lora/run.sh [MODEL.gguf] [STEPS] [RANK] [THREADS]
#   stories260K (default) or any GGUF: loss curve, held-out loss, tokens/s.
# Usage: benchmarks/lora/run.sh --vs-torch
#   One LoRA step (rank 16 on q,k,v,o,gate,up,down, batch 4 x 256) on a random model of SmolLM2-135M's shape, ours
#   (F16 and Q8_0 base) and PyTorch CPU (float32, Debian python3-torch + OpenBLAS) interleaved per repeat, each under
#   `flock /tmp/bench.lock`. Env: THREADS ("1 2"), TYPES ("F16 Q8_0"), REPEATS (2), STEPS (3, after 1 warm-up),
#   DIR (/tmp/gw-bench: the GGUFs, written there if missing, never in the repository). Prints a markdown table.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dotnet build -c Release "$here/Groundwork.Benchmarks.Lora.csproj" >/dev/null
ours="$here/bin/Release/net10.0/Groundwork.Benchmarks.Lora"
if [ "${1:-}" != "--vs-torch" ]; then
  model="${1:-$root/../shared/models/stories260K/stories260K.gguf}"
  "$ours" "$model" "${2:-100}" "${3:-8}" ${4:+"$4"}
  exit 0
fi

dir="${DIR:-/tmp/gw-bench}"; threads="${THREADS:-1 2}"; types="${TYPES:-F16 Q8_0}"
repeats="${REPEATS:-2}"; steps="${STEPS:-3}"
vocab="$root/../shared/models/llamacpp-vocab/ggml-vocab-gpt-2.gguf"
mkdir -p "$dir"
for t in $types; do
  f="$dir/smollm2-$t.gguf"
  if [ ! -f "$f" ]; then
    dotnet build -c Release "$root/tools/llamacpp-reference/LlamacppReference.csproj" >/dev/null
    "$root/tools/llamacpp-reference/bin/Release/net10.0/llamacpp-reference" write "$f" smollm2 "$t" "$vocab" >&2
  fi
done
# PyTorch as measured-facts.md says: OpenBLAS with the SkylakeX kernels, glibc malloc without trimming.
torch_env=(env OPENBLAS_CORETYPE=SkylakeX MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736)
out="$dir/lora-vs-torch.tsv"
echo -e "engine\tbase\tthreads\trepeat\tstep_s\ttokens_per_s\tvmhwm_kib\tloadavg\textra" > "$out"
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
for r in $(seq 1 "$repeats"); do
  for th in $threads; do
    for engine in $types torch; do
      load="$(cut -d' ' -f1 /proc/loadavg)"
      if [ "$engine" = torch ]; then
        line="$(flock /tmp/bench.lock "${torch_env[@]}" OMP_NUM_THREADS="$th" OPENBLAS_NUM_THREADS="$th" /usr/bin/python3 "$here/torch_lora_step.py" "$th" "$steps" 1)"
        name=pytorch; base=F32; extra="blas=$(field "$line" blas) torch=$(field "$line" torch)"
      else
        line="$(flock /tmp/bench.lock "$ours" step "$dir/smollm2-$engine.gguf" "$th" "$steps" 1)"
        name=groundwork; base="$engine"; extra="recomputed=$(field "$line" recomputed) act_mb=$(field "$line" act_mb)"
      fi
      echo -e "$name\t$base\t$th\t$r\t$(field "$line" step_s)\t$(field "$line" tokens_per_s)\t$(field "$line" vmhwm_kib)\t$load\t$extra" | tee -a "$out" >&2
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(engine, base, th, key):
    v = [float(r[key]) for r in rows if r["engine"] == engine and r["base"] == base and r["threads"] == th]
    return statistics.median(v) if v else float("nan")
print("| engine | base weights | threads | tokens/s | ours / torch | peak RSS (MB) | loadavg (1 min) |")
print("|---|---|---|---|---|---|---|")
for th in sorted({r["threads"] for r in rows}):
    torch_tps = med("pytorch", "F32", th, "tokens_per_s")
    for engine, base in sorted({(r["engine"], r["base"]) for r in rows}, key=lambda e: (e[0] == "pytorch", e[1])):
        tps = med(engine, base, th, "tokens_per_s")
        loads = [r["loadavg"] for r in rows if r["engine"] == engine and r["base"] == base and r["threads"] == th]
        ratio = f"{tps / torch_tps:.2f}x" if engine != "pytorch" else "1.00x"
        print(f"| {engine} | {base} | {th} | {tps:.0f} | {ratio} | {med(engine, base, th, 'vmhwm_kib') / 1024:.0f} | {', '.join(loads)} |")
extras = {r["extra"] for r in rows if r["engine"] == "pytorch"}
print("\nPyTorch: " + "; ".join(sorted(extras)))
PY
