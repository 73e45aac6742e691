"""FAISS HNSW (IndexHNSWFlat, inner product) on the files written by vector-search-bench; prints TSV rows.
Env: EFS (comma-separated efSearch values, default 16,32,64,128,256); REUSE=1 loads the index saved by an earlier run."""
import os, sys, time
import numpy as np
import faiss

d, n, nq, m, efc, threads = sys.argv[1], *map(int, sys.argv[2:7])
dim = 384 if len(sys.argv) < 8 else int(sys.argv[7])
base = np.fromfile(os.path.join(d, f"base-{n}-{dim}.f32"), dtype=np.float32).reshape(n, dim)
queries = np.fromfile(os.path.join(d, f"query-{nq}-{dim}.f32"), dtype=np.float32).reshape(nq, dim)
gt = np.fromfile(os.path.join(d, f"gt-{n}-{nq}.i64"), dtype=np.int64).reshape(nq, 10)

faiss.omp_set_num_threads(threads)
def status_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return -1


rss_before = status_kb("VmRSS:")
path = os.path.join(d, f"faiss-{n}.index")
if os.environ.get("REUSE") == "1" and os.path.exists(path):
    index = faiss.read_index(path)
    build = None
    print(f"faiss: reusing {path} (no build)", file=sys.stderr)
else:
    index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = efc
    t = time.time()
    index.add(base)
    build = time.time() - t
    rss_after = status_kb("VmRSS:")
    print(f"mem\tfaiss\t{n}\trss_before_build_MB {rss_before >> 10}\trss_after_build_MB {rss_after >> 10}\t"
          f"peak_rss_MB {status_kb('VmHWM:') >> 10}\tindex_bytes_per_vector {(rss_after - rss_before) * 1024 / n:.0f}", file=sys.stderr)
    faiss.write_index(index, path)
    print(f"faiss build {build:.1f} s", file=sys.stderr)
per_vec = os.path.getsize(path) / n
build_text = "-" if build is None else f"{build:.1f}"

faiss.omp_set_num_threads(1)
for ef in map(int, os.environ.get("EFS", "16,32,64,128,256").split(",")):
    index.hnsw.efSearch = ef
    index.search(queries[:100], 10)  # warm-up
    faiss.cvar.hnsw_stats.reset()
    t = time.time()
    c = time.thread_time()
    hits = 0
    # One query per call, as the other implementations are measured.
    results = [index.search(queries[i:i + 1], 10)[1][0] for i in range(nq)]
    qps = nq / (time.time() - t)
    cpu_qps = nq / (time.thread_time() - c)
    ndis = faiss.cvar.hnsw_stats.ndis / nq  # stays 0 in Debian's 1.7.3 for IndexHNSWFlat
    ndis_text = f"{ndis:.0f}" if ndis else "n/a"
    for i in range(nq):
        hits += len(set(results[i].tolist()) & set(gt[i].tolist()))
    print(f"faiss\t{n}\t{build_text}\t{per_vec:.0f}\t{ef}\t{hits / (nq * 10):.3f}\t{qps:.0f}\t{cpu_qps:.0f}\t{ndis_text}", flush=True)
