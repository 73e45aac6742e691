using System.Diagnostics;
using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Reports;
using Groundwork.Evaluation.Retrieval;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;

namespace Groundwork.Evaluation.Comparison;

/// <summary>
/// Retrieval-only evaluation on a BEIR dataset: indexes the corpus into an empty collection (one document and one
/// chunk per corpus entry, title as the document title), runs the retriever over the judged queries and scores the
/// document-level run with <see cref="RetrievalEvaluator"/>.
/// </summary>
public static class BeirRetrievalEvaluation
{
    /// <summary>Cutoffs reported.</summary>
    public static IReadOnlyList<int> Cutoffs { get; } = [1, 3, 5, 10, 100];

    /// <summary>Indexes the corpus when the collection is empty; returns the number of documents indexed now.</summary>
    public static async Task<int> IndexIfEmptyAsync(BeirDataset dataset, ICollectionStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(store);
        if ((await store.GetStatsAsync(cancellationToken).ConfigureAwait(false)).Documents > 0) return 0;
        int indexed = 0;
        await foreach (var doc in dataset.ReadCorpusAsync(cancellationToken).ConfigureAwait(false))
        {
            var hash = ContentHash.Of(doc.Text);
            await store.UpsertDocumentAsync(new StoredDocument
            {
                Id = doc.Id, SourcePath = doc.Id, Title = doc.Title, MediaType = "text/plain", ContentHash = hash,
                ByteSize = System.Text.Encoding.UTF8.GetByteCount(doc.Text), Text = doc.Text,
            }, [new StoredChunk { Id = doc.Id + "#0", DocumentId = doc.Id, Text = doc.Text, StartOffset = 0, EndOffset = doc.Text.Length, ContentHash = hash }],
                cancellationToken).ConfigureAwait(false);
            indexed++;
        }
        return indexed;
    }

    /// <summary>Runs the judged queries of <paramref name="split"/> (at most <paramref name="limit"/>) and scores them.</summary>
    public static async Task<(RetrievalSummary Summary, RetrievalReport Report)> EvaluateAsync(BeirDataset dataset, Retriever retriever, string split = "test",
        int? limit = null, int depth = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(retriever);
        var qrels = await dataset.ReadQrelsAsync(split, cancellationToken).ConfigureAwait(false);
        var run = new Dictionary<string, IReadOnlyList<(string DocId, double Score)>>(StringComparer.Ordinal);
        var latencies = new List<double>();
        await foreach (var query in dataset.ReadQueriesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!qrels.Contains(query.Id)) continue;
            if (limit is int l && run.Count >= l) break;
            var clock = Stopwatch.StartNew();
            var hits = await retriever.SearchAsync(new SearchRequest(query.Text, depth), cancellationToken).ConfigureAwait(false);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            run[query.Id] = RetrievalRuns.ByDocument(hits);
        }
        // With a limit, score only the queries that were run.
        var scored = limit is null ? qrels : Qrels.Create(run.Keys.SelectMany(q => qrels.Judgments(q).Select(j => (q, j.Key, j.Value))));
        var report = new RetrievalEvaluator().Evaluate(run, scored, Cutoffs);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in RetrievalMetrics.All)
            foreach (var k in Cutoffs)
                metrics[RetrievalMetrics.DisplayName(metric, k)] = report.Mean(metric, k);
        return (new RetrievalSummary { Split = split, Queries = report.Queries.Count, Metrics = metrics, Latency = Statistics.Latency(latencies) }, report);
    }
}
