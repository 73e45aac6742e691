"""Medians per (model, type, threads) from run.sh's results.tsv, as a markdown table with ours/llama.cpp ratios
(and, when run.sh had a BASELINE, a second table: baseline/llama.cpp and ours/baseline)."""
import statistics
import sys
from collections import defaultdict

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
head, rows = rows[0], rows[1:]
col = {n: i for i, n in enumerate(head)}
groups = defaultdict(lambda: defaultdict(list))
for r in rows:
    groups[(r[col["model"]], r[col["type"]], int(r[col["threads"]]))][r[col["engine"]]].append(r)

def med(rs, name):
    return statistics.median(float(r[col[name]]) for r in rs)

print("| model | type | file MB | threads | prompt t/s ours | llama.cpp | ratio | gen t/s ours | llama.cpp | ratio | peak RSS MB ours | llama.cpp | n | load avg |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (m, t, th), e in groups.items():
    o, p = e.get("ours", []), e.get("llama.cpp", [])
    if not o or not p:
        continue
    pp_o, pp_p, tg_o, tg_p = med(o, "pp_tps"), med(p, "pp_tps"), med(o, "tg_tps"), med(p, "tg_tps")
    mb = int(o[0][col["file_bytes"]]) / 1e6
    load = statistics.median(float(r[col["loadavg"]]) for r in o + p)
    print(f"| {m} | {t} | {mb:.0f} | {th} | {pp_o:.1f} | {pp_p:.1f} | {pp_o / pp_p:.2f} | {tg_o:.1f} | {tg_p:.1f} | {tg_o / tg_p:.2f} "
          f"| {med(o, 'vmhwm_kib') / 1024:.0f} | {med(p, 'vmhwm_kib') / 1024:.0f} | {len(o)} | {load:.0f} |")

if any("baseline" in e for e in groups.values()):
    print()
    print("| model | type | threads | prompt t/s baseline | ours | ours/baseline | baseline/llama.cpp | ours/llama.cpp "
          "| gen t/s baseline | ours | ours/baseline | baseline/llama.cpp | ours/llama.cpp | n |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (m, t, th), e in groups.items():
        o, b, p = e.get("ours", []), e.get("baseline", []), e.get("llama.cpp", [])
        if not o or not b or not p:
            continue
        po, pb, pp = med(o, "pp_tps"), med(b, "pp_tps"), med(p, "pp_tps")
        go, gb, gp = med(o, "tg_tps"), med(b, "tg_tps"), med(p, "tg_tps")
        print(f"| {m} | {t} | {th} | {pb:.1f} | {po:.1f} | {po / pb:.2f} | {pb / pp:.2f} | {po / pp:.2f} "
              f"| {gb:.1f} | {go:.1f} | {go / gb:.2f} | {gb / gp:.2f} | {go / gp:.2f} | {len(o)} |")
