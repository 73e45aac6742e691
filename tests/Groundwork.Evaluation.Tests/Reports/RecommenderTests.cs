using Groundwork.Evaluation.Comparison;
using Groundwork.Evaluation.Reports;

namespace Groundwork.Evaluation.Tests.Reports;

public sealed class RecommenderTests
{
    /// <summary>A report with two strategies and per-item F1 and latency values.</summary>
    private static EvaluationReport Report(double[] ragF1, double[] baseF1, double ragMs = 500, double baseMs = 100)
    {
        var items = new List<ItemReport>();
        for (int i = 0; i < ragF1.Length; i++)
        {
            items.Add(new ItemReport
            {
                Id = $"q{i}", Question = $"question {i}",
                Results = new Dictionary<string, ItemResult>
                {
                    ["rag"] = new() { Metrics = new Dictionary<string, double?> { ["F1"] = ragF1[i], ["LatencyMs"] = ragMs + i } },
                    ["base"] = new() { Metrics = new Dictionary<string, double?> { ["F1"] = baseF1[i], ["LatencyMs"] = baseMs + i } },
                },
            });
        }
        StrategySummary Summary(string name, double[] f1, double ms) => new()
        {
            Name = name,
            Metrics = new Dictionary<string, double?> { ["F1"] = f1.Average(), ["LatencyMs"] = ms + (f1.Length - 1) / 2.0 },
            Counts = new Dictionary<string, int> { ["F1"] = f1.Length, ["LatencyMs"] = f1.Length },
        };
        return new EvaluationReport { Items = items, Strategies = [Summary("rag", ragF1, ragMs), Summary("base", baseF1, baseMs)] };
    }

    [Fact]
    public void A_consistent_quality_gap_wins_and_the_trade_off_is_named()
    {
        var rag = Enumerable.Range(0, 30).Select(i => 0.7 + (i % 3) * 0.05).ToArray();
        var @base = Enumerable.Range(0, 30).Select(i => 0.2 + (i % 4) * 0.05).ToArray();
        var rec = Recommender.Recommend(Report(rag, @base));
        var quality = rec.Axes[0];
        Assert.Equal(("answer quality", "F1", "rag", "base"), (quality.Axis, quality.Metric, quality.Winner, quality.RunnerUp));
        Assert.False(quality.Inconclusive);
        Assert.Equal(rag.Average() - @base.Average(), quality.AbsoluteDifference!.Value, 9);
        Assert.Equal((rag.Average() - @base.Average()) / @base.Average(), quality.RelativeDifference!.Value, 9);
        Assert.True(quality.IntervalLow > 0);
        var latency = rec.Axes.Single(a => a.Axis == "latency");
        Assert.Equal("base", latency.Winner);
        Assert.False(latency.Inconclusive);
        Assert.StartsWith("The measurements favour rag", rec.Overall, StringComparison.Ordinal);
        Assert.Contains("Trade-off: base is better on latency", rec.Overall, StringComparison.Ordinal);
    }

    [Fact]
    public void Differences_within_noise_are_inconclusive()
    {
        // Same mean quality with item-level noise: the interval of the paired difference straddles 0.
        var rag = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? 0.9 : 0.1).ToArray();
        var @base = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? 0.1 : 0.88).ToArray();
        var rec = Recommender.Recommend(Report(rag, @base, ragMs: 100, baseMs: 100));
        Assert.True(rec.Axes[0].Inconclusive);
        Assert.Contains("inconclusive", rec.Axes[0].Statement, StringComparison.Ordinal);
        Assert.True(rec.Axes[0].IntervalLow <= 0 && rec.Axes[0].IntervalHigh >= 0);
        Assert.StartsWith("Inconclusive", rec.Overall, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconclusive_quality_defers_to_the_next_conclusive_axis()
    {
        var same = Enumerable.Repeat(0.5, 10).ToArray();
        var rec = Recommender.Recommend(Report(same, same, ragMs: 900, baseMs: 100));
        Assert.True(rec.Axes[0].Inconclusive);
        Assert.Contains("latency, where base wins", rec.Overall, StringComparison.Ordinal);
    }

    [Fact]
    public void Percentiles_and_standard_error_match_hand_computed_values()
    {
        var l = Statistics.Latency([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        Assert.Equal(5.5, l.P50, 9);
        Assert.Equal(9.55, l.P95, 9);
        Assert.Equal(9.91, l.P99, 9);
        Assert.Equal(Math.Sqrt(55.0 / 6 / 10), Statistics.StandardError([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 9);
        Assert.Equal(0, Statistics.StandardError([3]));
    }
}
