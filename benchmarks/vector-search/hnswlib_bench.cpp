// hnswlib (Debian libhnswlib-dev, header-only) on the files written by vector-search-bench; prints TSV rows.
// Build: g++ -O3 -march=native -std=c++17 -pthread hnswlib_bench.cpp -o hnswlib_bench
#include <hnswlib/hnswlib.h>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

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
    auto* index = new hnswlib::HierarchicalNSW<float>(&space, n, m, efc, 42);
    auto t0 = std::chrono::steady_clock::now();
    index->addPoint(base.data(), 0);
    std::atomic<size_t> next(1);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++)
        pool.emplace_back([&] { for (size_t i; (i = next++) < n;) index->addPoint(base.data() + i * dim, i); });
    for (auto& t : pool) t.join();
    double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string path = d + "/hnswlib-" + std::to_string(n) + ".index";
    index->saveIndex(path);
    std::ifstream sf(path, std::ios::binary | std::ios::ate);
    double perVec = static_cast<double>(sf.tellg()) / n;
    fprintf(stderr, "hnswlib build %.1f s\n", build);

    for (size_t ef : {16, 32, 64, 128, 256}) {
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
        double ndis = static_cast<double>(index->metric_distance_computations.load()) / nq;
        size_t hits = 0;
        for (size_t q = 0; q < nq; q++) {
            std::unordered_set<long long> truth(gt.begin() + q * 10, gt.begin() + q * 10 + 10);
            for (auto id : res[q]) hits += truth.count(id);
        }
        printf("hnswlib\t%zu\t%.1f\t%.0f\t%zu\t%.3f\t%.0f\t%.0f\t%.0f\n", n, build, perVec, ef, hits / (nq * 10.0), nq / secs, nq / cpu, ndis);
        fflush(stdout);
    }
    delete index;
    return 0;
}
