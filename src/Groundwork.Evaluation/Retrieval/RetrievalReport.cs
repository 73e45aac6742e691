namespace Groundwork.Evaluation.Retrieval;

/// <summary>The metric values of one query.</summary>
public sealed class QueryRetrievalResult
{
    private readonly double[] _values; // [metric * cutoffs.Count + cutoffIndex]
    private readonly IReadOnlyList<int> _cutoffs;

    internal QueryRetrievalResult(string queryId, int relevant, int retrieved, bool inRun, double[] values, IReadOnlyList<int> cutoffs)
    {
        QueryId = queryId;
        Relevant = relevant;
        Retrieved = retrieved;
        InRun = inRun;
        _values = values;
        _cutoffs = cutoffs;
    }

    /// <summary>The query id.</summary>
    public string QueryId { get; }

    /// <summary>Number of relevant (grade ≥ 1) documents in the qrels.</summary>
    public int Relevant { get; }

    /// <summary>Number of documents the run retrieved for the query (all of them, not only the top k).</summary>
    public int Retrieved { get; }

    /// <summary>False when the run has no entry for the query (every value is then 0).</summary>
    public bool InRun { get; }

    /// <summary>The value of a metric at a cutoff that was evaluated.</summary>
    public double this[RetrievalMetric metric, int k] => _values[RetrievalReport.Slot(metric, k, _cutoffs)];
}

/// <summary>
/// Per-query and mean retrieval metrics. Means are over <see cref="Queries"/>: the qrels' queries that have at
/// least one relevant document, whether or not the run has them (a query missing from the run scores 0).
/// </summary>
public sealed class RetrievalReport
{
    private readonly double[] _means;

    internal RetrievalReport(IReadOnlyList<int> cutoffs, IReadOnlyList<QueryRetrievalResult> queries, double[] means,
        IReadOnlyList<string> withoutRelevant, IReadOnlyList<string> notInRun, IReadOnlyList<string> notInQrels)
    {
        Cutoffs = cutoffs;
        Queries = queries;
        _means = means;
        QueriesWithoutRelevant = withoutRelevant;
        QueriesNotInRun = notInRun;
        QueriesNotInQrels = notInQrels;
    }

    /// <summary>The cutoffs k, ascending.</summary>
    public IReadOnlyList<int> Cutoffs { get; }

    /// <summary>The evaluated queries, in qrels order.</summary>
    public IReadOnlyList<QueryRetrievalResult> Queries { get; }

    /// <summary>Judged queries skipped because none of their documents is relevant (they would score 0 on every metric).</summary>
    public IReadOnlyList<string> QueriesWithoutRelevant { get; }

    /// <summary>Evaluated queries for which the run has no entry (scored 0, as <c>trec_eval -c</c> does).</summary>
    public IReadOnlyList<string> QueriesNotInRun { get; }

    /// <summary>Run queries ignored because the qrels do not judge them (as trec_eval does).</summary>
    public IReadOnlyList<string> QueriesNotInQrels { get; }

    /// <summary>The mean of a metric at a cutoff over <see cref="Queries"/> (0 when there are none).</summary>
    public double Mean(RetrievalMetric metric, int k) => _means[Slot(metric, k, Cutoffs)];

    /// <summary>Every mean by its trec_eval-style name (<see cref="RetrievalMetrics.TrecName"/>).</summary>
    public IReadOnlyDictionary<string, double> MeansByTrecName()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in RetrievalMetrics.All)
            foreach (var k in Cutoffs)
                result[RetrievalMetrics.TrecName(metric, k)] = Mean(metric, k);
        return result;
    }

    internal static int Slot(RetrievalMetric metric, int k, IReadOnlyList<int> cutoffs)
    {
        for (var i = 0; i < cutoffs.Count; i++)
            if (cutoffs[i] == k) return (int)metric * cutoffs.Count + i;
        throw new ArgumentOutOfRangeException(nameof(k), k, $"cutoff {k} was not evaluated (evaluated: {string.Join(", ", cutoffs)})");
    }
}
