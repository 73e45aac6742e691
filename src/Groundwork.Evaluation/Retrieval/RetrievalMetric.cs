namespace Groundwork.Evaluation.Retrieval;

/// <summary>A ranked-retrieval measure computed at a cutoff k, with trec_eval's definition.</summary>
public enum RetrievalMetric
{
    /// <summary>nDCG@k (trec_eval <c>ndcg_cut.k</c>): gain = relevance grade, discount log2(rank + 1), ideal ranking from the qrels.</summary>
    Ndcg,

    /// <summary>Recall@k (trec_eval <c>recall.k</c>): relevant documents in the top k / all relevant documents.</summary>
    Recall,

    /// <summary>P@k (trec_eval <c>P.k</c>): relevant documents in the top k / k, even when fewer than k were retrieved.</summary>
    Precision,

    /// <summary>Hit rate@k (trec_eval <c>success.k</c>): 1 if any relevant document is in the top k, else 0.</summary>
    HitRate,

    /// <summary>MRR@k: trec_eval's <c>recip_rank</c> over the top k only (1 / rank of the first relevant document, 0 if none in the top k).</summary>
    ReciprocalRank,

    /// <summary>MAP@k (trec_eval <c>map_cut.k</c>): sum of precision at each relevant document in the top k / all relevant documents.</summary>
    AveragePrecision,
}

/// <summary>Names of <see cref="RetrievalMetric"/> values.</summary>
public static class RetrievalMetrics
{
    /// <summary>Every metric, in report order.</summary>
    public static IReadOnlyList<RetrievalMetric> All { get; } =
    [
        RetrievalMetric.Ndcg, RetrievalMetric.Recall, RetrievalMetric.Precision,
        RetrievalMetric.HitRate, RetrievalMetric.ReciprocalRank, RetrievalMetric.AveragePrecision,
    ];

    /// <summary>
    /// The trec_eval-style name of a metric at a cutoff: <c>ndcg_cut_10</c>, <c>recall_100</c>, <c>P_10</c>,
    /// <c>success_10</c>, <c>recip_rank_cut_10</c> (trec_eval has no cut recip_rank; the name marks the cut) and <c>map_cut_100</c>.
    /// </summary>
    public static string TrecName(RetrievalMetric metric, int k) => metric switch
    {
        RetrievalMetric.Ndcg => $"ndcg_cut_{k}",
        RetrievalMetric.Recall => $"recall_{k}",
        RetrievalMetric.Precision => $"P_{k}",
        RetrievalMetric.HitRate => $"success_{k}",
        RetrievalMetric.ReciprocalRank => $"recip_rank_cut_{k}",
        RetrievalMetric.AveragePrecision => $"map_cut_{k}",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };

    /// <summary>The short display name: <c>nDCG@10</c>, <c>Recall@100</c>, <c>P@10</c>, <c>HitRate@5</c>, <c>MRR@10</c>, <c>MAP@100</c>.</summary>
    public static string DisplayName(RetrievalMetric metric, int k) => metric switch
    {
        RetrievalMetric.Ndcg => $"nDCG@{k}",
        RetrievalMetric.Recall => $"Recall@{k}",
        RetrievalMetric.Precision => $"P@{k}",
        RetrievalMetric.HitRate => $"HitRate@{k}",
        RetrievalMetric.ReciprocalRank => $"MRR@{k}",
        RetrievalMetric.AveragePrecision => $"MAP@{k}",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };
}
