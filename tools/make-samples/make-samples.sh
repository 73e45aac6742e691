#!/usr/bin/env bash
# Regenerates the DOCX and PDF files of the Northwind sample set (samples/northwind/) from the HTML sources in
# tools/make-samples/src/. The Markdown and HTML samples are committed as written; only these four are generated.
#
# Needs LibreOffice Writer (headless):  apt-get install -y libreoffice-writer-nogui
# Optional checks use pdftotext/pdfinfo (poppler-utils) and unzip.
#
# Usage: tools/make-samples/make-samples.sh [output-dir]     (default: samples/northwind)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="$here/src"
out="${1:-$root/samples/northwind}"

# Sources published as DOCX, and sources published as PDF (PDFs go through DOCX first, so both formats share
# LibreOffice's Writer layout: real Heading 1/2/3 styles and real tables).
docx_targets=(expense-policy benefits-summary)
pdf_targets=(quarterly-report-2025-q3 customer-support-sla)

soffice_bin="$(command -v soffice || command -v libreoffice || true)"
if [[ -z "$soffice_bin" ]]; then
  echo "make-samples: soffice not found; install LibreOffice Writer (apt-get install -y libreoffice-writer-nogui)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private profile so a running LibreOffice or a read-only home directory cannot interfere.
export HOME="$work/home"
mkdir -p "$HOME" "$work/docx" "$out"

# HTML (StarWriter) imports into a Writer text document (not Writer/Web), which maps h1-h3 to Heading 1-3.
to_docx() { # $1 = source name, $2 = output dir
  "$soffice_bin" --headless --norestore --infilter="HTML (StarWriter)" \
    --convert-to 'docx:MS Word 2007 XML' --outdir "$2" "$src/$1.html" >"$work/log" 2>&1 || true
  [[ -s "$2/$1.docx" ]] || { echo "make-samples: $src/$1.html: conversion to DOCX failed:" >&2; cat "$work/log" >&2; exit 1; }
}

for name in "${docx_targets[@]}"; do
  rm -f "$out/$name.docx"
  to_docx "$name" "$out"
  echo "wrote $out/$name.docx"
done

for name in "${pdf_targets[@]}"; do
  rm -f "$out/$name.pdf"
  to_docx "$name" "$work/docx"
  "$soffice_bin" --headless --norestore --convert-to pdf:writer_pdf_Export --outdir "$out" \
    "$work/docx/$name.docx" >"$work/log" 2>&1 || true
  [[ -s "$out/$name.pdf" ]] || { echo "make-samples: $name: conversion to PDF failed:" >&2; cat "$work/log" >&2; exit 1; }
  echo "wrote $out/$name.pdf"
done

# Checks: every DOCX has heading styles, every PDF has extractable text.
for name in "${docx_targets[@]}"; do
  if command -v unzip >/dev/null; then
    headings="$(unzip -p "$out/$name.docx" word/document.xml | grep -o 'w:pStyle w:val="Heading[0-9]"' | wc -l)"
    [[ "$headings" -gt 0 ]] || { echo "make-samples: $name.docx has no heading styles" >&2; exit 1; }
    echo "check $name.docx: $headings heading paragraphs"
  fi
done
for name in "${pdf_targets[@]}"; do
  if command -v pdftotext >/dev/null; then
    words="$(pdftotext "$out/$name.pdf" - | wc -w)"
    pages="$(pdfinfo "$out/$name.pdf" | awk '/^Pages:/ {print $2}')"
    [[ "$words" -gt 100 ]] || { echo "make-samples: $name.pdf: no extractable text" >&2; exit 1; }
    echo "check $name.pdf: $pages pages, $words words"
  fi
done
