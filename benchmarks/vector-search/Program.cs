// Vector search benchmark: generates clustered vectors (or reuses the files), computes exact ground truth, builds
// Groundwork's HNSW and prints one TSV row per efSearch. run.sh runs FAISS and hnswlib on the same files.
// Usage: vector-search-bench --dir DIR --n N [--dim 384] [--queries 1000] [--clusters 1000] [--noise 0.6]
//        [--m 16] [--efc 200] [--storage Float32|Float16|Int8] [--threads 2] [--efs 16,32,64,128,256] [--gen-only] [--no-exact] [--reuse]
// --gen-only: generate, ground truth and the exact-search row, then stop; --no-exact: skip the exact row (ground truth
// must exist), so that this process's peak RSS is the HNSW build's alone. A "mem" line on stderr gives resident memory.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Groundwork.Retrieval.Vectors;

var opt = Args.Parse(args);
string dir = opt.Get("dir", "/tmp/gw-vector-bench");
int n = opt.Int("n", 100_000), dim = opt.Int("dim", 384), nq = opt.Int("queries", 1000);
int clusters = opt.Int("clusters", 1000), m = opt.Int("m", 16), efc = opt.Int("efc", 200), threads = opt.Int("threads", Environment.ProcessorCount);
float noise = float.Parse(opt.Get("noise", "0.6"), CultureInfo.InvariantCulture);
var storage = Enum.Parse<VectorStorage>(opt.Get("storage", "Float32"));
const int K = 10;
Directory.CreateDirectory(dir);
string basePath = Path.Combine(dir, $"base-{n}-{dim}.f32"), queryPath = Path.Combine(dir, $"query-{nq}-{dim}.f32"), gtPath = Path.Combine(dir, $"gt-{n}-{nq}.i64");
var inv = CultureInfo.InvariantCulture;

float[] data, queries;
if (!File.Exists(basePath) || !File.Exists(queryPath))
{
    var sw0 = Stopwatch.StartNew();
    var gen = new Clustered(dim, clusters, noise, seed: 1234);
    data = gen.Next(n);
    queries = gen.Next(nq);
    await File.WriteAllBytesAsync(basePath, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
    await File.WriteAllBytesAsync(queryPath, MemoryMarshal.AsBytes(queries.AsSpan()).ToArray());
    Console.Error.WriteLine($"generated {n} + {nq} vectors in {sw0.Elapsed.TotalSeconds:F1} s");
}
else
{
    data = ReadFloats(basePath);
    queries = ReadFloats(queryPath);
}

// Exact ground truth (all threads) and single-thread exact QPS on a sample of queries.
long[] gt;
if (opt.Has("no-exact") && File.Exists(gtPath))
{
    gt = MemoryMarshal.Cast<byte, long>(await File.ReadAllBytesAsync(gtPath)).ToArray();
}
else
{
    using (var exact = new ExactVectorIndex(dim))
    {
        for (int i = 0; i < n; i++) exact.Add(i, data.AsSpan(i * dim, dim));
        int sample = Math.Min(nq, 50);
        var cpuE = Process.GetCurrentProcess().TotalProcessorTime;
        var swq = Stopwatch.StartNew();
        for (int q = 0; q < sample; q++) exact.Search(queries.AsSpan(q * dim, dim), K);
        double exactQps = sample / swq.Elapsed.TotalSeconds;
        double exactCpuQps = sample / (Process.GetCurrentProcess().TotalProcessorTime - cpuE).TotalSeconds;
        Console.WriteLine($"exact\t{n}\t-\t{4 * dim + 8}\t-\t1.000\t{exactQps.ToString("F1", inv)}\t{exactCpuQps.ToString("F1", inv)}\t{n}");
        if (File.Exists(gtPath)) gt = MemoryMarshal.Cast<byte, long>(await File.ReadAllBytesAsync(gtPath)).ToArray();
        else
        {
            gt = new long[nq * K];
            Parallel.For(0, nq, new ParallelOptions { MaxDegreeOfParallelism = threads }, q =>
            {
                var hits = exact.Search(queries.AsSpan(q * dim, dim), K);
                for (int j = 0; j < K; j++) gt[q * K + j] = hits[j].Id;
            });
            await File.WriteAllBytesAsync(gtPath, MemoryMarshal.AsBytes(gt.AsSpan()).ToArray());
        }
    }
}
if (opt.Has("gen-only")) return;

string file = Path.Combine(dir, $"gw-{n}-{storage}.gwv");
double buildS = double.NaN;
if (opt.Has("reuse") && File.Exists(file))
{
    Console.Error.WriteLine($"reusing {file} (no build)");
}
else
{
    var ids = new long[n];
    for (int i = 0; i < n; i++) ids[i] = i;
    GC.Collect();
    long rssBefore = Mem.Rss();
    using var index = new HnswIndex(dim, new HnswOptions { M = m, EfConstruction = efc, Storage = storage });
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    index.AddRange(ids, data, threads);
    buildS = sw.Elapsed.TotalSeconds;
    double buildCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    GC.Collect();
    long rssAfter = Mem.Rss();
    Console.Error.WriteLine($"mem\tgroundwork\t{n}\trss_before_build_MB {rssBefore >> 20}\trss_after_build_MB {rssAfter >> 20}\tpeak_rss_MB {Mem.Peak() >> 20}\tindex_bytes_per_vector {(rssAfter - rssBefore) / (double)n:F0}");
    await index.SaveAsync(file, CancellationToken.None);
    Console.Error.WriteLine($"groundwork build {buildS:F1} s wall, {buildCpu:F1} s CPU ({threads} threads); traversal bytes/vector {index.TraversalBytesPerVector:F0}");
}
double fileBytes = new FileInfo(file).Length / (double)n;

// Search from the reopened, memory-mapped file, one thread.
using var mapped = await HnswIndex.OpenAsync(file, CancellationToken.None);
// Warm-up: every query once, then a pause so that tiered compilation finishes its background (tier-1) work.
for (int q = 0; q < nq; q++) mapped.Search(queries.AsSpan(q * dim, dim), K, efSearch: 32);
Thread.Sleep(1500);
for (int q = 0; q < nq; q++) mapped.Search(queries.AsSpan(q * dim, dim), K, efSearch: 32);
foreach (int ef in opt.Get("efs", "16,32,64,128,256").Split(',').Select(e => int.Parse(e, CultureInfo.InvariantCulture)))
{
    for (int q = 0; q < Math.Min(nq, 100); q++) mapped.Search(queries.AsSpan(q * dim, dim), K, efSearch: ef); // warm-up
    long evals0 = mapped.SearchDistanceEvaluations;
    double hitsTotal = 0;
    var results = new IReadOnlyList<VectorHit>[nq];
    var cpuQ = Process.GetCurrentProcess().TotalProcessorTime;
    var swq = Stopwatch.StartNew();
    for (int q = 0; q < nq; q++) results[q] = mapped.Search(queries.AsSpan(q * dim, dim), K, efSearch: ef);
    double qps = nq / swq.Elapsed.TotalSeconds;
    double cpuQps = nq / (Process.GetCurrentProcess().TotalProcessorTime - cpuQ).TotalSeconds;
    double evals = (mapped.SearchDistanceEvaluations - evals0) / (double)nq;
    for (int q = 0; q < nq; q++)
    {
        var truth = new HashSet<long>(gt.AsSpan(q * K, K).ToArray());
        hitsTotal += results[q].Count(h => truth.Contains(h.Id));
    }
    Console.WriteLine($"groundwork-{storage.ToString().ToLowerInvariant()}\t{n}\t{(double.IsNaN(buildS) ? "-" : buildS.ToString("F1", inv))}\t{fileBytes.ToString("F0", inv)}\t{ef}\t{(hitsTotal / (nq * K)).ToString("F3", inv)}\t{qps.ToString("F0", inv)}\t{cpuQps.ToString("F0", inv)}\t{evals.ToString("F0", inv)}");
}

// Straight into the array: one copy of a 1.5 GB file, not two, so the process's peak RSS stays honest.
static float[] ReadFloats(string path)
{
    using var f = File.OpenRead(path);
    var result = new float[f.Length / sizeof(float)];
    f.ReadExactly(MemoryMarshal.AsBytes(result.AsSpan()));
    return result;
}

/// <summary>Resident and peak resident set size from /proc/self/status (Linux).</summary>
internal static class Mem
{
    public static long Rss() => Read("VmRSS:");
    public static long Peak() => Read("VmHWM:");

    private static long Read(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return -1;
    }
}

/// <summary>Clustered Gaussian vectors, L2-normalised (so inner product is cosine for every peer).</summary>
internal sealed class Clustered(int dim, int clusters, float noise, int seed)
{
    private readonly Random _rng = new(seed);
    private float[]? _centroids;

    public float[] Next(int count)
    {
        if (_centroids is null)
        {
            _centroids = new float[clusters * dim];
            for (int i = 0; i < _centroids.Length; i++) _centroids[i] = Gaussian();
        }
        var data = new float[count * dim];
        for (int i = 0; i < count; i++)
        {
            int c = _rng.Next(clusters);
            double norm = 0;
            for (int d = 0; d < dim; d++)
            {
                float x = _centroids[c * dim + d] + noise * Gaussian();
                data[i * dim + d] = x;
                norm += x * x;
            }
            float inv = (float)(1 / Math.Sqrt(norm));
            for (int d = 0; d < dim; d++) data[i * dim + d] *= inv;
        }
        return data;
    }

    private float Gaussian() => (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble()));
}

internal sealed class Args
{
    private readonly Dictionary<string, string> _values = [];

    public static Args Parse(string[] args)
    {
        var a = new Args();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            string key = args[i][2..];
            a._values[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
        return a;
    }

    public bool Has(string key) => _values.ContainsKey(key);
    public string Get(string key, string fallback) => _values.GetValueOrDefault(key, fallback);
    public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
