#!/usr/bin/env python3
"""Independent re-implementation of the trec_eval measures Groundwork reports (standard library only).

Used by the Evaluation tests as a second implementation: it reads a TREC run file and a qrels file and prints
per-query and mean values of ndcg_cut_k, recall_k, P_k, success_k, recip_rank_cut_k (trec_eval's recip_rank over
the top k) and map_cut_k, following trec_eval 9.0's C code (form_res_rels.c, m_ndcg_cut.c, m_recall.c, m_P.c,
m_success.c, m_recip_rank.c, m_map_cut.c) rather than Groundwork's C# code.

Usage:
  trec_eval_check.py [-q] [-c] [--skip-no-relevant] [--cutoffs 1,3,5,10,100] QRELS RUN

QRELS is either trec_eval's format ("qid iter docno rel") or BEIR's TSV with the header "query-id corpus-id score".
RUN is "qid Q0 docno rank sim tag"; the rank column is ignored and documents are re-sorted by sim descending,
ties by docno descending (strcmp over the bytes), as trec_eval does.

Query set (as trec_eval): by default the queries in both the qrels and the run; -c adds qrels queries missing from
the run (they score 0); --skip-no-relevant drops queries whose judgments hold no relevant document.
Output lines: "measure<TAB>qid<TAB>value" (with -q) and "measure<TAB>all<TAB>mean", values in repr() form, plus
"num_q<TAB>all<TAB>n".
"""

import argparse
import functools
import math
import sys

RELEVANCE_LEVEL = 1


def fail(message):
    print("trec_eval_check: " + message, file=sys.stderr)
    sys.exit(2)


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8-sig") as handle:
        lines = handle.read().splitlines()
    beir = bool(lines) and lines[0].split("\t")[:1] == ["query-id"]
    for number, line in enumerate(lines, start=1):
        if beir and number == 1:
            continue
        if not line.strip():
            continue
        fields = line.split("\t") if beir else line.split()
        if len(fields) != (3 if beir else 4):
            fail("%s:%d: wrong number of fields" % (path, number))
        if beir:
            qid, docno, rel = fields[0].strip(), fields[1].strip(), fields[2].strip()
        else:
            qid, docno, rel = fields[0], fields[2], fields[3]
        judged = qrels.setdefault(qid, {})
        if docno in judged:
            fail("%s:%d: duplicate docs %s" % (path, number, docno))
        judged[docno] = int(rel)
    return qrels


def read_run(path):
    run = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 6:
                fail("%s:%d: expected 6 fields" % (path, number))
            run.setdefault(fields[0], []).append((fields[2], float(fields[4])))
    return run


def compare_sim_docno(left, right):
    # comp_sim_docno: higher sim first; on equal sim, strcmp(right.docno, left.docno) (docno descending).
    if left[1] > right[1]:
        return -1
    if left[1] < right[1]:
        return 1
    a, b = right[0].encode("utf-8"), left[0].encode("utf-8")
    return (a > b) - (a < b)


def rel_list(judged, retrieved):
    ranked = sorted(retrieved, key=functools.cmp_to_key(compare_sim_docno))
    names = [docno for docno, _ in ranked]
    if len(set(names)) != len(names):
        fail("duplicate docs in run")
    # -1: not in the pool (unjudged); a negative qrels value means judged "unjudged" and is not relevant either.
    return [judged.get(docno, -1) for docno in names]


def measures(judged, rels, cutoffs):
    num_rel = sum(1 for value in judged.values() if value >= RELEVANCE_LEVEL)
    # rel_levels[g] = number of judged docs with grade g >= 0, as form_res_rels builds them.
    max_rel = max([value for value in judged.values()] + [0])
    rel_levels = [0] * (max_rel + 1)
    for value in judged.values():
        if value >= 0:
            rel_levels[value] += 1
    out = {}
    for cutoff in cutoffs:
        top = rels[:cutoff]
        dcg = 0.0
        for index, gain in enumerate(top):
            if gain > 0:
                dcg += gain / math.log2(index + 2)
        # Ideal DCG: walk the relevance levels from the highest down, as m_ndcg_cut.c does.
        ideal = 0.0
        position = 0
        for level in range(len(rel_levels) - 1, 0, -1):
            for _ in range(rel_levels[level]):
                if position >= cutoff:
                    break
                ideal += level / math.log2(position + 2)
                position += 1
        out["ndcg_cut_%d" % cutoff] = dcg / ideal if ideal > 0.0 else dcg
        hits = [1 if gain >= RELEVANCE_LEVEL else 0 for gain in top]
        found = sum(hits)
        out["recall_%d" % cutoff] = found / num_rel if num_rel else 0.0
        out["P_%d" % cutoff] = found / cutoff
        out["success_%d" % cutoff] = 1.0 if found else 0.0
        first = next((index for index, hit in enumerate(hits) if hit), None)
        out["recip_rank_cut_%d" % cutoff] = 1.0 / (first + 1) if first is not None else 0.0
        precision_sum = 0.0
        so_far = 0
        for index, hit in enumerate(hits):
            if hit:
                so_far += 1
                precision_sum += so_far / (index + 1)
        out["map_cut_%d" % cutoff] = precision_sum / num_rel if num_rel else 0.0
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-q", action="store_true", help="print per-query values")
    parser.add_argument("-c", action="store_true", help="include qrels queries missing from the run (score 0)")
    parser.add_argument("--skip-no-relevant", action="store_true", help="drop queries with no relevant document")
    parser.add_argument("--cutoffs", default="1,3,5,10,100")
    parser.add_argument("qrels")
    parser.add_argument("run")
    args = parser.parse_args(argv)
    cutoffs = sorted(int(value) for value in args.cutoffs.split(","))
    if any(value <= 0 for value in cutoffs) or len(set(cutoffs)) != len(cutoffs):
        fail("cutoffs must be positive and distinct")

    qrels = read_qrels(args.qrels)
    run = read_run(args.run)
    query_ids = [qid for qid in qrels if qid in run or args.c]
    if args.skip_no_relevant:
        query_ids = [qid for qid in query_ids if any(v >= RELEVANCE_LEVEL for v in qrels[qid].values())]

    totals = {}
    names = None
    for qid in sorted(query_ids):
        values = measures(qrels[qid], rel_list(qrels[qid], run.get(qid, [])), cutoffs)
        names = names or list(values)
        for name, value in values.items():
            totals[name] = totals.get(name, 0.0) + value
            if args.q:
                print("%s\t%s\t%r" % (name, qid, value))
    for name in names or []:
        print("%s\tall\t%r" % (name, totals[name] / len(query_ids)))
    print("num_q\tall\t%d" % len(query_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
