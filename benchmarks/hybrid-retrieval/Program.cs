// nDCG@10 of keyword, vector and hybrid search on a BEIR dataset (default: ../shared/data/scifact, train qrels).
// Usage: hybrid-retrieval-bench [--data DIR] [--split train] [--store DIR] [--limit N]
//        [--embedding-model FILE.gguf | --embedding-endpoint URL --embedding-model NAME]
// Without an embedding model it uses a hashed bag-of-words embedder: a baseline that checks the wiring, not a real model.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Groundwork.Evaluation.Comparison;
using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Retrieval;
using Groundwork.Hosting;
using Groundwork.Retrieval.Search;
using Microsoft.Extensions.AI;

var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2) opts[args[i]] = args[i + 1];
string data = opts.GetValueOrDefault("--data", Path.Combine("..", "shared", "data", "scifact"));
string split = opts.GetValueOrDefault("--split", "train");
string store = opts.GetValueOrDefault("--store", Path.Combine(Path.GetTempPath(), "gw-hybrid-bench"));
int? limit = opts.TryGetValue("--limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : null;
var ct = CancellationToken.None;

var dataset = BeirDataset.Open(data);
var collection = Path.GetFileName(Path.GetFullPath(data).TrimEnd('/'));
await using var ws = await GroundworkWorkspace.OpenAsync(new GroundworkOptions { StoreDirectory = store, Collection = collection }, ct);
var clock = Stopwatch.StartNew();
int indexed = await BeirRetrievalEvaluation.IndexIfEmptyAsync(dataset, ws.Store, ct);
Console.Error.WriteLine($"indexed {indexed} documents in {clock.Elapsed.TotalSeconds:0.0} s (0 = already there)");

string embedderName;
if (opts.TryGetValue("--embedding-model", out var model))
{
    ws.UseEmbeddingModel(opts.TryGetValue("--embedding-endpoint", out var ep)
        ? new EmbeddingModelOptions { Endpoint = new Uri(ep), ModelName = model }
        : new EmbeddingModelOptions { ModelPath = model });
    embedderName = model;
}
else
{
    ws.UseEmbeddingGenerator(new HashedBagOfWords(1024));
    embedderName = "hashed bag-of-words, 1024 dims (baseline, not a real model)";
}
clock.Restart();
var update = await ws.UpdateVectorIndexAsync(ct);
Console.Error.WriteLine($"vector index: {update!.Added} added, {update.Embedded} embedded in {clock.Elapsed.TotalSeconds:0.0} s");

var qrels = await dataset.ReadQrelsAsync(split, ct);
var queries = new List<BeirQuery>();
await foreach (var q in dataset.ReadQueriesAsync(ct))
    if (qrels.Contains(q.Id) && (limit is null || queries.Count < limit)) queries.Add(q);
var scored = limit is null ? qrels : Qrels.Create(queries.SelectMany(q => qrels.Judgments(q.Id).Select(j => (q.Id, j.Key, j.Value))));

Console.WriteLine($"{collection}, {split} qrels, {queries.Count} queries; embedding model: {embedderName}");
Console.WriteLine();
Console.WriteLine("| mode | nDCG@10 | Recall@100 | ms/query |");
Console.WriteLine("| --- | --- | --- | --- |");
var modes = new (string Name, SearchMode Mode, FusionMethod Fusion, double? Mmr)[]
{
    ("keyword (BM25)", SearchMode.Keyword, FusionMethod.Reciprocal, null),
    ("vector", SearchMode.Vector, FusionMethod.Reciprocal, null),
    ("hybrid (RRF)", SearchMode.Hybrid, FusionMethod.Reciprocal, null),
    ("hybrid (weighted 0.5)", SearchMode.Hybrid, FusionMethod.Weighted, null),
};
foreach (var (name, mode, fusion, mmr) in modes)
{
    var run = new Dictionary<string, IReadOnlyList<(string DocId, double Score)>>(StringComparer.Ordinal);
    clock.Restart();
    foreach (var q in queries)
    {
        var hits = await ws.Retriever.SearchAsync(new SearchRequest(q.Text, 100, mode) { Fusion = fusion, MmrLambda = mmr, CandidateDepth = 100 }, ct);
        run[q.Id] = RetrievalRuns.ByDocument(hits);
    }
    double ms = clock.Elapsed.TotalMilliseconds / Math.Max(1, queries.Count);
    var report = new RetrievalEvaluator().Evaluate(run, scored, [10, 100]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {report.Mean(RetrievalMetric.Ndcg, 10):0.0000} | {report.Mean(RetrievalMetric.Recall, 100):0.0000} | {ms:0.0} |"));
}

/// <summary>Lower-cased words (stopwords dropped) hashed into buckets with log term frequency, L2-normalised.</summary>
internal sealed class HashedBagOfWords(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
{
    private static readonly HashSet<string> Stop = new(
        "a an and are as at be by for from has have in is it its of on or that the this to was were which with we our not no".Split(' '), StringComparer.Ordinal);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values) result.Add(new Embedding<float>(Embed(text)) { ModelId = "hashed-bow-1024" });
        return Task.FromResult(result);
    }

    private float[] Embed(string text)
    {
        var counts = new Dictionary<int, int>();
        var word = new StringBuilder();
        foreach (char ch in text.ToLowerInvariant() + " ")
        {
            if (char.IsLetterOrDigit(ch)) { word.Append(ch); continue; }
            if (word.Length > 1 && !Stop.Contains(word.ToString()))
            {
                uint h = 2166136261;
                foreach (char c in word.ToString()) h = (h ^ c) * 16777619;
                int b = (int)(h % (uint)dimensions);
                counts[b] = counts.GetValueOrDefault(b) + 1;
            }
            word.Clear();
        }
        var v = new float[dimensions];
        foreach (var (b, n) in counts) v[b] = 1f + MathF.Log(n);
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return v;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("bench", null, "hashed-bow-1024", dimensions) : null;

    public void Dispose() { }
}
