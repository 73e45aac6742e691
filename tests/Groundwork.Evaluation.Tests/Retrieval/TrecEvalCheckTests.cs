using System.Globalization;
using System.Text;
using Groundwork.Evaluation.Retrieval;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Retrieval;

/// <summary>Compares <see cref="RetrievalEvaluator"/> metric by metric with the independent Python implementation.</summary>
public sealed class TrecEvalCheckTests
{
    private static readonly int[] Cutoffs = [1, 3, 5, 10, 20];

    [Fact]
    public async Task Synthetic_run_with_ties_grades_and_missing_queries_agrees_with_the_python_implementation()
    {
        var random = new Random(20261122);
        // Ids that exercise the tie-break: mixed lengths, prefixes, non-ASCII and astral characters.
        string[] pool = [.. Enumerable.Range(0, 40).Select(i => $"d{i}"), "D1", "d1a", "é7", "文档", "\U0001F600x", "\uFF21", "z"];
        var judgments = new List<(string, string, int)>();
        var run = new Dictionary<string, IReadOnlyList<(string DocId, double Score)>>();
        for (var q = 0; q < 60; q++)
        {
            var queryId = $"q{q}";
            var docs = pool.OrderBy(_ => random.Next()).ToArray();
            if (q % 13 != 5) // some queries unjudged
            {
                var judged = random.Next(1, 9);
                for (var j = 0; j < judged; j++)
                    judgments.Add((queryId, docs[j], q % 11 == 3 ? 0 : random.Next(-1, 4))); // q%11==3: nothing relevant
            }
            if (q % 7 == 2) continue; // missing from the run
            var retrieved = random.Next(0, 30);
            // Scores on a coarse grid so many tie.
            run[queryId] = docs.OrderBy(_ => random.Next()).Take(retrieved)
                .Select(d => (d, Math.Round(random.NextDouble() * 4) / 4 - 0.5)).ToList();
        }
        var qrels = Qrels.Create(judgments);

        using var dir = TestPaths.CreateTempDir("gw-eval");
        var qrelsPath = dir.File("qrels.txt");
        var runPath = dir.File("run.txt");
        await File.WriteAllLinesAsync(qrelsPath, judgments.Select(j => $"{j.Item1} 0 {j.Item2} {j.Item3}"), TestContext.Current.CancellationToken);
        // Written in input order with a meaningless rank column: both sides must re-rank by score and id.
        var lines = new StringBuilder();
        foreach (var (queryId, docs) in run)
            foreach (var (docId, score) in docs)
                lines.Append(CultureInfo.InvariantCulture, $"{queryId} Q0 {docId} 1 {score:R} test\n");
        await File.WriteAllTextAsync(runPath, lines.ToString(), new UTF8Encoding(false), TestContext.Current.CancellationToken);

        var report = new RetrievalEvaluator().Evaluate(run, qrels, Cutoffs);
        var python = await TrecEvalCheck.RunAsync(qrelsPath, runPath, Cutoffs, "-c", "--skip-no-relevant");

        Assert.True(report.QueriesWithoutRelevant.Count > 0 && report.QueriesNotInRun.Count > 0 && report.QueriesNotInQrels.Count > 0);
        Assert.Equal(report.Queries.Count, python.QueryCount);
        AssertSame(report, python);
    }

    [Fact]
    public async Task Run_and_qrels_written_by_TrecFormat_round_trip_and_agree_with_python()
    {
        var qrels = Qrels.Create([("1", "a", 2), ("1", "b", 1), ("2", "c", 1), ("3", "a", 0)]);
        var run = new Dictionary<string, IReadOnlyList<(string DocId, double Score)>>
        {
            ["1"] = [("b", 0.1 + 0.2), ("a", 0.3), ("x", -1e-300)],
            ["2"] = [("a", 5), ("c", 5)],
        };
        using var dir = TestPaths.CreateTempDir("gw-eval");
        await TrecFormat.WriteRunAsync(dir.File("run"), run, cancellationToken: TestContext.Current.CancellationToken);
        await TrecFormat.WriteQrelsAsync(dir.File("qrels"), qrels, TestContext.Current.CancellationToken);

        var readRun = await TrecFormat.ReadRunAsync(dir.File("run"), TestContext.Current.CancellationToken);
        var readQrels = await TrecFormat.ReadQrelsAsync(dir.File("qrels"), TestContext.Current.CancellationToken);
        Assert.Equal(run["1"].OrderBy(d => d.DocId), readRun["1"].OrderBy(d => d.DocId)); // scores survive exactly
        Assert.Equal(3, readQrels.Count);

        var report = new RetrievalEvaluator().Evaluate(readRun, readQrels, Cutoffs);
        Assert.Equal(1.0, report.Queries.Single(q => q.QueryId == "2")[RetrievalMetric.ReciprocalRank, 1]); // tie: "c" ranks above "a"
        var python = await TrecEvalCheck.RunAsync(dir.File("qrels"), dir.File("run"), Cutoffs, "-c", "--skip-no-relevant");
        AssertSame(report, python);
    }

    internal static void AssertSame(RetrievalReport report, TrecEvalCheck.Output python, double tolerance = 1e-9)
    {
        var compared = 0;
        foreach (var query in report.Queries)
        {
            foreach (var metric in RetrievalMetrics.All)
            {
                foreach (var k in report.Cutoffs)
                {
                    var name = RetrievalMetrics.TrecName(metric, k);
                    Assert.True(python.PerQuery.TryGetValue((name, query.QueryId), out var expected), $"python printed no {name} for query {query.QueryId}");
                    Assert.True(Math.Abs(expected - query[metric, k]) <= tolerance,
                        $"{name} for query {query.QueryId}: C# {query[metric, k]:R}, python {expected:R}");
                    compared++;
                }
            }
        }
        foreach (var (name, mean) in report.MeansByTrecName())
            Assert.True(Math.Abs(python.Means[name] - mean) <= tolerance, $"mean {name}: C# {mean:R}, python {python.Means[name]:R}");
        Assert.Equal(python.PerQuery.Count, compared);
    }
}
