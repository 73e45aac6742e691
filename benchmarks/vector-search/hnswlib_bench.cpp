// hnswlib (Debian libhnswlib-dev, header-only) on the files written by vector-search-bench; prints TSV rows.
// Build: g++ -O3 -march=native -std=c++17 -pthread hnswlib_bench.cpp -o hnswlib_bench
// Env: EFS (comma-separated efSearch values, default 16,32,64,128,256); REUSE=1 loads the index saved by an earlier run.
#include <hnswlib/hnswlib.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

// Resident / peak resident bytes from /proc/self/status.
static long long status_kb(const char* key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    size_t len = strlen(key);
    while (std::getline(f, line))
        if (line.compare(0, len, key) == 0) return std::stoll(line.substr(len));
    return -1;
}

// Distance evaluations counted exactly: a wrapper around the real kernel, swapped in after the timed pass only
// (hnswlib's own metric_distance_computations also counts neighbours already visited).
static hnswlib::DISTFUNC<float> g_inner;
static void* g_inner_param;
static std::atomic<long long> g_evals(0);
static float counting_dist(const void* a, const void* b, const void*) {
    g_evals.fetch_add(1, std::memory_order_relaxed);
    return g_inner(a, b, g_inner_param);
}

template <typename T> static std::vector<T> load(const std::string& path, size_t count) {
    std::vector<T> v(count);
    std::ifstream f(path, std::ios::binary);
    if (!f.read(reinterpret_cast<char*>(v.data()), count * sizeof(T))) { fprintf(stderr, "%s: short read\n", path.c_str()); exit(1); }
    return v;
}

int main(int argc, char** argv) {
    if (argc < 7) { fprintf(stderr, "usage: dir n nq M efc threads [dim]\n"); return 2; }
    std::string d = argv[1];
    size_t n = std::stoul(argv[2]), nq = std::stoul(argv[3]), m = std::stoul(argv[4]), efc = std::stoul(argv[5]);
    int threads = std::stoi(argv[6]);
    size_t dim = argc > 7 ? std::stoul(argv[7]) : 384;
    auto base = load<float>(d + "/base-" + std::to_string(n) + "-" + std::to_string(dim) + ".f32", n * dim);
    auto queries = load<float>(d + "/query-" + std::to_string(nq) + "-" + std::to_string(dim) + ".f32", nq * dim);
    auto gt = load<long long>(d + "/gt-" + std::to_string(n) + "-" + std::to_string(nq) + ".i64", nq * 10);

    hnswlib::InnerProductSpace space(dim);
    long long rssBefore = status_kb("VmRSS:");
    std::string path = d + "/hnswlib-" + std::to_string(n) + ".index";
    const char* reuse = getenv("REUSE");
    hnswlib::HierarchicalNSW<float>* index;
    double build = -1;
    if (reuse && std::string(reuse) == "1" && std::ifstream(path).good()) {
        index = new hnswlib::HierarchicalNSW<float>(&space, path);
        fprintf(stderr, "hnswlib: reusing %s (no build)\n", path.c_str());
    } else {
        index = new hnswlib::HierarchicalNSW<float>(&space, n, m, efc, 42);
        auto t0 = std::chrono::steady_clock::now();
        index->addPoint(base.data(), 0);
        std::atomic<size_t> next(1);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++)
            pool.emplace_back([&] { for (size_t i; (i = next++) < n;) index->addPoint(base.data() + i * dim, i); });
        for (auto& t : pool) t.join();
        build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        long long rssAfter = status_kb("VmRSS:");
        fprintf(stderr, "mem\thnswlib\t%zu\trss_before_build_MB %lld\trss_after_build_MB %lld\tpeak_rss_MB %lld\tindex_bytes_per_vector %.0f\n",
                n, rssBefore >> 10, rssAfter >> 10, status_kb("VmHWM:") >> 10, (rssAfter - rssBefore) * 1024.0 / n);
        index->saveIndex(path);
        fprintf(stderr, "hnswlib build %.1f s\n", build);
    }
    std::ifstream sf(path, std::ios::binary | std::ios::ate);
    double perVec = static_cast<double>(sf.tellg()) / n;
    std::vector<size_t> efs;
    {
        std::string list = getenv("EFS") ? getenv("EFS") : "16,32,64,128,256";
        for (size_t pos = 0; pos < list.size();) {
            size_t comma = list.find(',', pos);
            if (comma == std::string::npos) comma = list.size();
            efs.push_back(std::stoul(list.substr(pos, comma - pos)));
            pos = comma + 1;
        }
    }

    char buildText[32];
    if (build < 0) snprintf(buildText, sizeof buildText, "-"); else snprintf(buildText, sizeof buildText, "%.1f", build);
    for (size_t ef : efs) {
        index->setEf(ef);
        for (size_t q = 0; q < std::min<size_t>(nq, 100); q++) index->searchKnn(queries.data() + q * dim, 10);
        index->metric_distance_computations = 0;
        std::vector<std::vector<long long>> res(nq);
        timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        auto t1 = std::chrono::steady_clock::now();
        for (size_t q = 0; q < nq; q++) {
            auto pq = index->searchKnn(queries.data() + q * dim, 10);
            while (!pq.empty()) { res[q].push_back(static_cast<long long>(pq.top().second)); pq.pop(); }
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9;
        double scanned = static_cast<double>(index->metric_distance_computations.load()) / nq;
        g_inner = index->fstdistfunc_;
        g_inner_param = index->dist_func_param_;
        index->fstdistfunc_ = counting_dist;
        g_evals = 0;
        for (size_t q = 0; q < nq; q++) index->searchKnn(queries.data() + q * dim, 10);
        index->fstdistfunc_ = g_inner;
        double ndis = static_cast<double>(g_evals.load()) / nq;
        fprintf(stderr, "hnswlib ef %zu: %.0f neighbours scanned per query, %.0f distances computed\n", ef, scanned, ndis);
        size_t hits = 0;
        for (size_t q = 0; q < nq; q++) {
            std::unordered_set<long long> truth(gt.begin() + q * 10, gt.begin() + q * 10 + 10);
            for (auto id : res[q]) hits += truth.count(id);
        }
        printf("hnswlib\t%zu\t%s\t%.0f\t%zu\t%.3f\t%.0f\t%.0f\t%.0f\n", n, buildText, perVec, ef, hits / (nq * 10.0), nq / secs, nq / cpu, ndis);
        fflush(stdout);
    }
    delete index;
    return 0;
}
