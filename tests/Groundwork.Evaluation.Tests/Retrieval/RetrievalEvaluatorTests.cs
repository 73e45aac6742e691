using Groundwork.Evaluation.Retrieval;
using M = Groundwork.Evaluation.Retrieval.RetrievalMetric;

namespace Groundwork.Evaluation.Tests.Retrieval;

public sealed class RetrievalEvaluatorTests
{
    private static readonly RetrievalEvaluator Evaluator = new();

    private static Dictionary<string, IReadOnlyList<(string DocId, double Score)>> Run(params (string Query, (string, double)[] Docs)[] entries) =>
        entries.ToDictionary(e => e.Query, e => (IReadOnlyList<(string DocId, double Score)>)e.Docs);

    [Fact]
    public void Graded_ndcg_matches_hand_computation()
    {
        var qrels = Qrels.Create([("q", "d1", 3), ("q", "d2", 2), ("q", "d3", 1), ("q", "d4", 0)]);
        // Given out of order on purpose: the evaluator ranks by score. Ranked grades: d4=0, d3=1, d1=3, d5=unjudged, d2=2.
        var run = Run(("q", [("d2", 0.5), ("d1", 0.7), ("d4", 0.9), ("d5", 0.6), ("d3", 0.8)]));

        var report = Evaluator.Evaluate(run, qrels, [1, 3, 5]);

        var idcg3 = 3 + 2 / Math.Log2(3) + 1 / Math.Log2(4);
        var dcg3 = 1 / Math.Log2(3) + 3 / Math.Log2(4);
        var dcg5 = dcg3 + 2 / Math.Log2(6);
        Assert.Equal(0.0, report.Mean(M.Ndcg, 1));
        Assert.Equal(dcg3 / idcg3, report.Mean(M.Ndcg, 3), 12);
        Assert.Equal(dcg5 / idcg3, report.Mean(M.Ndcg, 5), 12); // only 3 judged grades > 0: ideal@5 = ideal@3
        Assert.Equal(0.60998, report.Mean(M.Ndcg, 5), 5);
        Assert.Equal(2.0 / 3, report.Mean(M.Recall, 3), 12);
        Assert.Equal(1.0, report.Mean(M.Recall, 5), 12);
        Assert.Equal(2.0 / 3, report.Mean(M.Precision, 3), 12);
        Assert.Equal(0.5, report.Mean(M.ReciprocalRank, 3), 12);
        Assert.Equal((1.0 / 2 + 2.0 / 3 + 3.0 / 5) / 3, report.Mean(M.AveragePrecision, 5), 12);
        Assert.Equal(0.0, report.Mean(M.HitRate, 1));
        Assert.Equal(1.0, report.Mean(M.HitRate, 3));
    }

    [Fact]
    public void Ties_are_broken_by_document_id_descending_like_trec_eval()
    {
        var qrels = Qrels.Create([("q", "a", 1)]);
        // All scores equal: trec_eval orders c, b, a (strcmp descending), whatever the input order.
        var forward = Evaluator.Evaluate(Run(("q", [("a", 1.0), ("b", 1.0), ("c", 1.0)])), qrels, [1, 10]);
        var backward = Evaluator.Evaluate(Run(("q", [("c", 1.0), ("b", 1.0), ("a", 1.0)])), qrels, [1, 10]);

        Assert.Equal(1.0 / 3, forward.Mean(M.ReciprocalRank, 10), 12);
        Assert.Equal(1.0 / 3, backward.Mean(M.ReciprocalRank, 10), 12);
        Assert.Equal(0.0, forward.Mean(M.Precision, 1));
        Assert.Equal(["c", "b", "a"], RetrievalEvaluator.Rank([("a", 1.0), ("c", 1.0), ("b", 1.0)]).Select(d => d.DocId));
    }

    [Fact]
    public void Tie_break_uses_code_point_order_not_utf16_order()
    {
        // U+FF21 (fullwidth A) is below U+1F600 in code points (and UTF-8 bytes) but above its surrogates in UTF-16.
        var ranked = RetrievalEvaluator.Rank([("\uFF21", 0.5), ("\U0001F600", 0.5), ("z", 0.5)]).Select(d => d.DocId).ToArray();
        Assert.Equal(["\U0001F600", "\uFF21", "z"], ranked);
        Assert.Equal(["d", "c"], RetrievalEvaluator.Rank([("c", 0.5), ("d", 0.5)]).Select(d => d.DocId));
        Assert.Equal(["b", "a"], RetrievalEvaluator.Rank([("a", 0.9), ("b", 0.9)]).Select(d => d.DocId));
        Assert.Equal(["a", "b"], RetrievalEvaluator.Rank([("a", 0.9), ("b", 0.1)]).Select(d => d.DocId));
    }

    [Fact]
    public void Precision_divides_by_k_even_when_fewer_documents_are_retrieved()
    {
        var qrels = Qrels.Create([("q", "d1", 1), ("q", "d2", 1)]);
        var report = Evaluator.Evaluate(Run(("q", [("d1", 2.0), ("x", 1.0)])), qrels, [10]);

        Assert.Equal(0.1, report.Mean(M.Precision, 10), 12);
        Assert.Equal(0.5, report.Mean(M.Recall, 10), 12);
        Assert.Equal(0.5, report.Mean(M.AveragePrecision, 10), 12);
        Assert.Equal(1.0 / (1 + 1 / Math.Log2(3)), report.Mean(M.Ndcg, 10), 12);
        Assert.Equal(2, report.Queries[0].Retrieved);
    }

    [Fact]
    public void Queries_without_relevant_documents_are_skipped_and_missing_or_empty_queries_score_zero()
    {
        var qrels = Qrels.Create([
            ("found", "d1", 1),
            ("empty", "d1", 1),
            ("missing", "d1", 1),
            ("nothing-relevant", "d1", 0),
        ]);
        var run = Run(
            ("found", [("d1", 1.0)]),
            ("empty", []),
            ("nothing-relevant", [("d1", 1.0)]),
            ("unjudged", [("d1", 1.0)]));

        var report = Evaluator.Evaluate(run, qrels, [10]);

        Assert.Equal(["found", "empty", "missing"], report.Queries.Select(q => q.QueryId));
        Assert.Equal(["nothing-relevant"], report.QueriesWithoutRelevant);
        Assert.Equal(["missing"], report.QueriesNotInRun);
        Assert.Equal(["unjudged"], report.QueriesNotInQrels);
        Assert.Equal(1.0, report.Queries[0][M.Ndcg, 10]);
        Assert.Equal(0.0, report.Queries[1][M.Ndcg, 10]);
        Assert.True(report.Queries[1].InRun);
        Assert.False(report.Queries[2].InRun);
        foreach (var metric in RetrievalMetrics.All)
            Assert.Equal(report.Queries[0][metric, 10] / 3, report.Mean(metric, 10), 12);
    }

    [Fact]
    public void Unjudged_and_negative_grades_are_not_relevant()
    {
        var qrels = Qrels.Create([("q", "rel", 2), ("q", "pool", -1)]);
        var report = Evaluator.Evaluate(Run(("q", [("pool", 3.0), ("other", 2.0), ("rel", 1.0)])), qrels, [3]);

        Assert.Equal(1.0 / 3, report.Mean(M.ReciprocalRank, 3), 12);
        Assert.Equal(2 / Math.Log2(4) / 2, report.Mean(M.Ndcg, 3), 12);
        Assert.Equal(1, report.Queries[0].Relevant);
    }

    [Fact]
    public void Reciprocal_rank_is_cut_at_k()
    {
        var qrels = Qrels.Create([("q", "r", 1)]);
        var docs = Enumerable.Range(0, 11).Select(i => ($"n{i:00}", 100.0 - i)).ToList();
        docs.Add(("r", 50.0)); // rank 12
        var report = Evaluator.Evaluate(Run(("q", docs.ToArray())), qrels, [10, 100]);

        Assert.Equal(0.0, report.Mean(M.ReciprocalRank, 10));
        Assert.Equal(1.0 / 12, report.Mean(M.ReciprocalRank, 100), 12);
        Assert.Equal(0.0, report.Mean(M.HitRate, 10));
    }

    [Fact]
    public void Invalid_input_is_rejected_with_a_clear_message()
    {
        var qrels = Qrels.Create([("q", "d", 1)]);
        var duplicate = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(Run(("q", [("d", 1.0), ("d", 0.5)])), qrels, [10]));
        Assert.Contains("lists document 'd' more than once", duplicate.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(Run(("q", [("d", double.NaN)])), qrels, [10]));
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(Run(), qrels, [10, 10]));
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(Run(), qrels, [0]));
        Assert.Throws<ArgumentException>(() => Qrels.Create([("q", "d", 1), ("q", "d", 2)]));
        var report = Evaluator.Evaluate(Run(), qrels, [5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Mean(M.Ndcg, 10));
    }

    [Fact]
    public void Trec_names_cover_every_metric_and_cutoff()
    {
        var qrels = Qrels.Create([("q", "d", 1)]);
        var means = Evaluator.Evaluate(Run(("q", [("d", 1.0)])), qrels, [10, 1]).MeansByTrecName();
        Assert.Equal(12, means.Count);
        Assert.Equal(1.0, means["ndcg_cut_10"]);
        Assert.Equal(0.1, means["P_10"], 12);
        Assert.Equal(1.0, means["recip_rank_cut_1"]);
        Assert.Equal(1.0, means["map_cut_1"]);
    }
}
