"""FAISS HNSW (IndexHNSWFlat, inner product) on the files written by vector-search-bench; prints TSV rows."""
import os, sys, time
import numpy as np
import faiss

d, n, nq, m, efc, threads = sys.argv[1], *map(int, sys.argv[2:7])
dim = 384 if len(sys.argv) < 8 else int(sys.argv[7])
base = np.fromfile(os.path.join(d, f"base-{n}-{dim}.f32"), dtype=np.float32).reshape(n, dim)
queries = np.fromfile(os.path.join(d, f"query-{nq}-{dim}.f32"), dtype=np.float32).reshape(nq, dim)
gt = np.fromfile(os.path.join(d, f"gt-{n}-{nq}.i64"), dtype=np.int64).reshape(nq, 10)

faiss.omp_set_num_threads(threads)
index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
index.hnsw.efConstruction = efc
t = time.time()
index.add(base)
build = time.time() - t
path = os.path.join(d, f"faiss-{n}.index")
faiss.write_index(index, path)
per_vec = os.path.getsize(path) / n
print(f"faiss build {build:.1f} s", file=sys.stderr)

faiss.omp_set_num_threads(1)
for ef in (16, 32, 64, 128, 256):
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
    print(f"faiss\t{n}\t{build:.1f}\t{per_vec:.0f}\t{ef}\t{hits / (nq * 10):.3f}\t{qps:.0f}\t{cpu_qps:.0f}\t{ndis_text}", flush=True)
