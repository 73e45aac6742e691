using System.Diagnostics;
using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Retrieval;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Retrieval;

/// <summary>
/// Real data end to end: SciFact's 5,183 abstracts in the SQLite store, its 809 train queries through FTS5 BM25, the
/// run scored by <see cref="RetrievalEvaluator"/> and by the independent Python implementation.
/// </summary>
public sealed class SciFactBm25Tests
{
    private static readonly int[] Cutoffs = [1, 3, 5, 10, 100];

    [Fact]
    public async Task Bm25_on_SciFact_train_reaches_the_published_level_and_both_implementations_agree()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = TestContext.Current.TestOutputHelper;
        var dataset = BeirDataset.Open(TestPaths.Shared("data", "scifact"));
        var qrels = await dataset.ReadQrelsAsync("train", ct);
        using var dir = TestPaths.CreateTempDir("gw-scifact");

        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var provider = new SqliteStoreProvider(dir.Path);
        await using (var store = await provider.OpenAsync("scifact", ct))
        {
            var indexed = 0;
            await foreach (var doc in dataset.ReadCorpusAsync(ct))
            {
                await store.UpsertDocumentAsync(ToDocument(doc), [ToChunk(doc)], ct);
                indexed++;
            }
            Assert.Equal(5183, indexed);
            output?.WriteLine($"indexed {indexed} documents in {clock.Elapsed.TotalSeconds:F1} s ({CpuSeconds(ref cpu):F1} s CPU)");
        }

        // Searches are read-only: one store (connection) per core, so WAL readers run in parallel.
        clock.Restart();
        var queries = await dataset.ReadQueriesAsync(ct).Where(q => qrels.Contains(q.Id)).ToListAsync(ct);
        var parallelism = Math.Clamp(Environment.ProcessorCount, 1, 4);
        var partitions = await Task.WhenAll(Enumerable.Range(0, parallelism).Select(p => Task.Run(async () =>
        {
            var part = new List<(string QueryId, IReadOnlyList<(string DocId, double Score)> Docs)>();
            await using var reader = await provider.OpenAsync("scifact", ct);
            for (var i = p; i < queries.Count; i += parallelism)
            {
                var hits = await reader.KeywordSearchAsync(queries[i].Text, 100, cancellationToken: ct);
                part.Add((queries[i].Id, RetrievalRuns.ByDocument(hits)));
            }
            return part;
        }, ct)));
        var run = partitions.SelectMany(p => p).ToDictionary(p => p.QueryId, p => p.Docs, StringComparer.Ordinal);
        output?.WriteLine($"ran {run.Count} queries on {parallelism} connections in {clock.Elapsed.TotalSeconds:F1} s ({CpuSeconds(ref cpu):F1} s CPU)");

        var report = new RetrievalEvaluator().Evaluate(run, qrels, Cutoffs);
        foreach (var metric in RetrievalMetrics.All)
            output?.WriteLine(string.Join("  ", Cutoffs.Select(k => $"{RetrievalMetrics.DisplayName(metric, k)} {report.Mean(metric, k):F4}")));

        Assert.Equal(809, report.Queries.Count);
        Assert.Empty(report.QueriesNotInRun);
        Assert.True(report.Mean(RetrievalMetric.Ndcg, 10) >= 0.65, $"nDCG@10 {report.Mean(RetrievalMetric.Ndcg, 10):F4} is below 0.65");

        // The independent implementation reads the original BEIR qrels file and the run as written for trec_eval.
        var runPath = dir.File("scifact-train.run");
        await TrecFormat.WriteRunAsync(runPath, run, "groundwork-fts5", ct);
        var python = await TrecEvalCheck.RunAsync(dataset.QrelsPath("train"), runPath, Cutoffs, "-c", "--skip-no-relevant");
        Assert.Equal(809, python.QueryCount);
        TrecEvalCheckTests.AssertSame(report, python, tolerance: 1e-6);
    }

    private static double CpuSeconds(ref TimeSpan since)
    {
        var now = Process.GetCurrentProcess().TotalProcessorTime;
        var seconds = (now - since).TotalSeconds;
        since = now;
        return seconds;
    }

    private static StoredDocument ToDocument(BeirDocument doc) => new()
    {
        Id = doc.Id,
        SourcePath = $"scifact/{doc.Id}",
        Title = doc.Title,
        MediaType = "text/plain",
        ContentHash = Groundwork.ContentHash.Of(doc.Text),
        ByteSize = System.Text.Encoding.UTF8.GetByteCount(doc.Text),
        Text = doc.Text,
    };

    private static StoredChunk ToChunk(BeirDocument doc) => new()
    {
        Id = doc.Id + "#0",
        DocumentId = doc.Id,
        Text = doc.Text,
        StartOffset = 0,
        EndOffset = doc.Text.Length,
        ContentHash = Groundwork.ContentHash.Of(doc.Text),
    };
}
