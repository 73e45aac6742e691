#!/usr/bin/env bash
# Ingestion benchmark: first ingest and unchanged re-ingest of two real corpora, one process per corpus so peak RSS
# is per corpus. Prints the markdown tables for docs/performance.md ("## Ingestion").
#
#   bash benchmarks/ingestion/run.sh            # both corpora
#   RERUNS=5 OUT=/tmp/x bash benchmarks/ingestion/run.sh
#   PROFILE_FIRST=1 bash benchmarks/ingestion/run.sh   # also time each first-ingest stage (doubles the run time)
#
# Corpora:
#   linux-doc  /usr/share/doc/linux-doc-6.1/html (Debian package linux-doc-6.1): every .html page and every
#              _sources/*.txt reStructuredText source, ~6,400 documents written by the kernel community.
#   sec-10q    the 20 SEC 10-Q PDFs of ../shared/data/docugami-sec-10q (resolved beside the repository root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${GROUNDWORK_SHARED:-$(cd "$root/.." && pwd)/shared}"
linux_doc="${LINUX_DOC:-/usr/share/doc/linux-doc-6.1/html}"
sec="${SEC_DIR:-$shared/data/docugami-sec-10q}"
out="${OUT:-/tmp/groundwork-bench-ingestion}"
reruns="${RERUNS:-3}"
extra=()
[ "${PROFILE_FIRST:-0}" = "1" ] && extra+=(--profile-first)

apt_install() {
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
command -v pdftotext >/dev/null || apt_install poppler-utils
[ -d "$linux_doc" ] || apt_install linux-doc-6.1
[ -d "$linux_doc" ] || { echo "error: $linux_doc not found after installing linux-doc-6.1" >&2; exit 1; }
[ -d "$sec" ] || { echo "error: $sec not found (the shared data folder beside the repository)" >&2; exit 1; }

cd "$root"
# Other work in the tree may be mid-build; retry a failed build a couple of times before giving up.
for attempt in 1 2 3; do
    dotnet build benchmarks/Groundwork.Benchmarks.Ingestion -c Release -nologo -v q && break
    [ "$attempt" = 3 ] && { echo "error: benchmark build failed" >&2; exit 1; }
    sleep 20
done
# The CLI is only needed for the cold-process re-ingest column; a failed CLI build skips that column.
cli_ok=1
dotnet build src/Groundwork.Cli -c Release -nologo -v q || { cli_ok=0; echo "warning: CLI build failed; skipping the cold-process re-ingest timing" >&2; }
bench="$root/benchmarks/Groundwork.Benchmarks.Ingestion/bin/Release/net10.0/Groundwork.Benchmarks.Ingestion.dll"
cli="$root/src/Groundwork.Cli/bin/Release/net10.0/groundwork.dll"

mkdir -p "$out"
rm -f "$out/cli.json" "$out/linux-doc.json" "$out/sec-10q.json"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "linux-doc files by extension: $(find "$linux_doc" -type f \( -name '*.html' -o -name '*.txt' \) | sed 's/.*\.//' | sort | uniq -c | xargs)"
echo "hidden folders under linux-doc (the ingestor skips these): $(find "$linux_doc" -type d -name '.*' | wc -l)"

# Wall time of a cold `groundwork ingest` process on the now-unchanged corpus: what a user sees, startup included.
cli_reingest() {
    local store="$1"; shift
    if [ "$cli_ok" != 1 ]; then echo "n/a"; return; fi
    local t0 t1
    t0=$(date +%s.%N)
    dotnet "$cli" ingest "$@" --json --store "$store" --collection bench > "$out/cli.json" 2>/dev/null || true
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

run_corpus() {
    local label="$1"; shift
    dotnet "$bench" run --label "$label" --store "$out/store-$label" --json "$out/$label.json" --reruns "$reruns" "${extra[@]}" "$@"
}

run_corpus linux-doc "$linux_doc" || echo "warning: linux-doc benchmark exited with code $? (1: a re-ingest was not all unchanged; see above)" >&2
linux_cli=$(cli_reingest "$out/store-linux-doc" "$linux_doc")
linux_cli_unchanged=$(grep -so '"unchanged": *[0-9]*' "$out/cli.json" | grep -o '[0-9]*$' 2>/dev/null || echo "?")
run_corpus sec-10q --include '**/*.pdf' "$sec" || echo "warning: sec-10q benchmark exited with code $? (1: a re-ingest was not all unchanged; see above)" >&2
sec_cli=$(cli_reingest "$out/store-sec-10q" "$sec" --include '**/*.pdf')
sec_cli_unchanged=$(grep -so '"unchanged": *[0-9]*' "$out/cli.json" | grep -o '[0-9]*$' 2>/dev/null || echo "?")

echo
echo "## results ($(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg))"
results=()
for f in "$out/linux-doc.json" "$out/sec-10q.json"; do [ -f "$f" ] && results+=("$f"); done
[ "${#results[@]}" -gt 0 ] || { echo "error: no benchmark produced a result" >&2; exit 1; }
dotnet "$bench" table "${results[@]}"
echo
echo "| corpus | cold \`groundwork ingest\` re-ingest, process wall s | unchanged |"
echo "|---|---:|---:|"
echo "| linux-doc | $linux_cli | $linux_cli_unchanged |"
echo "| sec-10q | $sec_cli | $sec_cli_unchanged |"
echo
echo "results: ${results[*]}"
