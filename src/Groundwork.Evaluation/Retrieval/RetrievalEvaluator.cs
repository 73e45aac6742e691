namespace Groundwork.Evaluation.Retrieval;

/// <summary>
/// Computes ranked-retrieval metrics exactly as trec_eval 9 does (<c>ndcg_cut</c>, <c>recall</c>, <c>P</c>,
/// <c>success</c>, <c>recip_rank</c> cut at k, <c>map_cut</c>), per query and as means.
/// </summary>
/// <remarks>
/// <para>Ranking: a query's retrieved documents are ordered by score descending; equal scores are ordered by document
/// id descending in byte (UTF-8, i.e. code point) order, which is trec_eval's <c>comp_sim_docno</c>
/// (<c>strcmp(p2-&gt;docno, p1-&gt;docno)</c>). The order of the input list and any rank it implies are ignored.
/// A document listed twice for one query is an error, as in trec_eval.</para>
/// <para>Relevance: grade ≥ 1 is relevant. nDCG's gain is the grade itself (any grade &gt; 0), discounted by
/// log2(rank + 1); the ideal DCG ranks the query's judged grades &gt; 0 in descending order, cut at the same k.
/// Retrieved documents that are not judged count as non-relevant.</para>
/// <para>Queries: only queries in the qrels with at least one relevant document are evaluated. A run query absent from
/// the qrels is ignored (trec_eval); an evaluated query absent from the run scores 0 on every metric
/// (<c>trec_eval -c</c>); a judged query with no relevant document is skipped and listed in
/// <see cref="RetrievalReport.QueriesWithoutRelevant"/>.</para>
/// </remarks>
public sealed class RetrievalEvaluator
{
    /// <summary>The minimum grade of a relevant document (trec_eval's default <c>-l 1</c>).</summary>
    public const int RelevanceLevel = 1;

    private static readonly IReadOnlyList<(string DocId, double Score)> Empty = [];

    /// <summary>Evaluates a run against qrels at the given cutoffs.</summary>
    /// <param name="run">For each query id, the retrieved documents with their scores (any order).</param>
    /// <param name="qrels">The relevance judgments.</param>
    /// <param name="cutoffs">Positive, distinct cutoffs k (e.g. 1, 3, 5, 10, 100).</param>
    /// <exception cref="ArgumentException">A cutoff is not positive or repeated; a score is NaN; a document is listed twice for a query.</exception>
    public RetrievalReport Evaluate(IReadOnlyDictionary<string, IReadOnlyList<(string DocId, double Score)>> run, Qrels qrels, IReadOnlyList<int> cutoffs)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(qrels);
        ArgumentNullException.ThrowIfNull(cutoffs);
        var ks = ValidateCutoffs(cutoffs);
        var metricCount = RetrievalMetrics.All.Count;

        var results = new List<QueryRetrievalResult>();
        var withoutRelevant = new List<string>();
        var notInRun = new List<string>();
        var sums = new double[metricCount * ks.Length];
        foreach (var queryId in qrels.QueryIds)
        {
            var judgments = qrels.Judgments(queryId);
            var relevant = qrels.RelevantCount(queryId);
            if (relevant == 0)
            {
                withoutRelevant.Add(queryId);
                continue;
            }
            var inRun = run.TryGetValue(queryId, out var retrieved) && retrieved is not null;
            if (!inRun) notInRun.Add(queryId);
            var values = EvaluateQuery(queryId, inRun ? retrieved! : Empty, judgments, relevant, ks);
            for (var i = 0; i < values.Length; i++) sums[i] += values[i];
            results.Add(new QueryRetrievalResult(queryId, relevant, inRun ? retrieved!.Count : 0, inRun, values, ks));
        }

        var means = new double[sums.Length];
        if (results.Count > 0)
            for (var i = 0; i < sums.Length; i++) means[i] = sums[i] / results.Count;

        var notInQrels = run.Keys.Where(q => !qrels.Contains(q)).OrderBy(q => q, StringComparer.Ordinal).ToList();
        return new RetrievalReport(ks, results, means, withoutRelevant, notInRun, notInQrels);
    }

    /// <summary>
    /// Orders retrieved documents as trec_eval does: score descending, then document id descending in code point
    /// order. Exposed so callers can print or export the exact ranking that was scored.
    /// </summary>
    public static IReadOnlyList<(string DocId, double Score)> Rank(IReadOnlyList<(string DocId, double Score)> retrieved)
    {
        ArgumentNullException.ThrowIfNull(retrieved);
        var ranked = retrieved.ToArray();
        Array.Sort(ranked, static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : CodePointOrder.Compare(b.DocId, a.DocId);
        });
        return ranked;
    }

    private static double[] EvaluateQuery(string queryId, IReadOnlyList<(string DocId, double Score)> retrieved,
        IReadOnlyDictionary<string, int> judgments, int relevant, int[] ks)
    {
        var seen = new HashSet<string>(retrieved.Count, StringComparer.Ordinal);
        foreach (var (docId, score) in retrieved)
        {
            if (docId is null) throw new ArgumentException($"run for query '{queryId}' has a null document id");
            if (double.IsNaN(score)) throw new ArgumentException($"run for query '{queryId}' gives document '{docId}' a NaN score");
            if (!seen.Add(docId)) throw new ArgumentException($"run for query '{queryId}' lists document '{docId}' more than once");
        }
        var ranked = Rank(retrieved);

        // Grades by rank; unjudged and "unjudged in pool" (negative) documents have gain 0 and are not relevant.
        var grades = new int[ranked.Count];
        for (var i = 0; i < ranked.Count; i++)
            grades[i] = judgments.TryGetValue(ranked[i].DocId, out var g) && g > 0 ? g : 0;

        var ideal = judgments.Values.Where(g => g > 0).OrderByDescending(g => g).ToArray();

        var values = new double[RetrievalMetrics.All.Count * ks.Length];
        for (var c = 0; c < ks.Length; c++)
        {
            var k = ks[c];
            var depth = Math.Min(k, grades.Length);
            double dcg = 0, apSum = 0, reciprocal = 0;
            var relevantSoFar = 0;
            for (var i = 0; i < depth; i++)
            {
                if (grades[i] > 0) dcg += grades[i] / Math.Log2(i + 2);
                if (grades[i] >= RelevanceLevel)
                {
                    relevantSoFar++;
                    apSum += (double)relevantSoFar / (i + 1);
                    if (reciprocal == 0) reciprocal = 1.0 / (i + 1);
                }
            }
            double idcg = 0;
            for (var i = 0; i < Math.Min(k, ideal.Length); i++) idcg += ideal[i] / Math.Log2(i + 2);

            values[Slot(RetrievalMetric.Ndcg, c, ks)] = idcg > 0 ? dcg / idcg : 0;
            values[Slot(RetrievalMetric.Recall, c, ks)] = (double)relevantSoFar / relevant;
            values[Slot(RetrievalMetric.Precision, c, ks)] = (double)relevantSoFar / k;
            values[Slot(RetrievalMetric.HitRate, c, ks)] = relevantSoFar > 0 ? 1 : 0;
            values[Slot(RetrievalMetric.ReciprocalRank, c, ks)] = reciprocal;
            values[Slot(RetrievalMetric.AveragePrecision, c, ks)] = apSum / relevant;
        }
        return values;
    }

    private static int Slot(RetrievalMetric metric, int cutoffIndex, int[] ks) => (int)metric * ks.Length + cutoffIndex;

    private static int[] ValidateCutoffs(IReadOnlyList<int> cutoffs)
    {
        if (cutoffs.Count == 0) throw new ArgumentException("at least one cutoff is needed", nameof(cutoffs));
        var ks = cutoffs.ToArray();
        Array.Sort(ks);
        for (var i = 0; i < ks.Length; i++)
        {
            if (ks[i] <= 0) throw new ArgumentException($"cutoff {ks[i]} must be positive", nameof(cutoffs));
            if (i > 0 && ks[i] == ks[i - 1]) throw new ArgumentException($"cutoff {ks[i]} is repeated", nameof(cutoffs));
        }
        return ks;
    }
}

/// <summary>Compares strings in Unicode code point order, which equals C's <c>strcmp</c> over their UTF-8 bytes.</summary>
internal static class CodePointOrder
{
    public static int Compare(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            int x = a[i], y = b[i];
            if (x == y) continue;
            // UTF-16 code units sort like code points except that surrogates (U+D800..DFFF, which encode
            // U+10000 and above) must sort after U+E000..FFFF: shift them up past that range.
            if (x >= 0xD800 && y >= 0xD800)
            {
                x = x <= 0xDFFF ? x + 0x2000 : x - 0x800;
                y = y <= 0xDFFF ? y + 0x2000 : y - 0x800;
            }
            return x < y ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }
}
