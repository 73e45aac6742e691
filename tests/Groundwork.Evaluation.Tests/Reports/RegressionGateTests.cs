using Groundwork.Evaluation.Reports;

namespace Groundwork.Evaluation.Tests.Reports;

public sealed class RegressionGateTests
{
    private static EvaluationReport Report(double f1, double latency, double ndcg) => new()
    {
        Strategies =
        [
            new StrategySummary { Name = "rag", Metrics = new Dictionary<string, double?> { ["F1"] = f1, ["LatencyMs"] = latency, ["Judge"] = null } },
            new StrategySummary { Name = "extractive", Metrics = new Dictionary<string, double?> { ["F1"] = f1 / 2 } },
        ],
        Retrieval = new RetrievalSummary { Metrics = new Dictionary<string, double> { ["nDCG@10"] = ndcg } },
    };

    [Fact]
    public void Passes_within_thresholds_and_fails_with_exit_code_3_beyond()
    {
        var baseline = Report(0.60, 100, 0.70);
        var thresholds = RegressionGate.ParseThresholds("nDCG@10=0.01, F1=0.02");
        var ok = RegressionGate.Compare(baseline, Report(0.59, 100, 0.695), thresholds);
        Assert.Equal(3, ok.Count);
        Assert.Equal(0, RegressionGate.ExitCode(ok));

        var bad = RegressionGate.Compare(baseline, Report(0.60, 100, 0.68), thresholds);
        Assert.Equal(RegressionGate.FailedExitCode, RegressionGate.ExitCode(bad));
        Assert.Equal(3, RegressionGate.ExitCode(bad));
        var failed = Assert.Single(bad, r => r.Failed);
        Assert.Equal(("nDCG@10", "retrieval"), (failed.Metric, failed.Scope));
        Assert.Equal(-0.02, failed.Delta, 9);

        // F1 of the extractive strategy dropped 0.05 (0.30 → 0.25) while rag's dropped 0.
        var f1 = RegressionGate.Compare(baseline, Report(0.50, 100, 0.70) with
        {
            Strategies = [baseline.Strategies[0], new StrategySummary { Name = "extractive", Metrics = new Dictionary<string, double?> { ["F1"] = 0.25 } }],
        }, thresholds);
        Assert.Equal("extractive", Assert.Single(f1, r => r.Failed).Scope);

        var table = RegressionGate.Table(bad);
        Assert.Contains("FAIL", table, StringComparison.Ordinal);
        Assert.Contains("-0.0200", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Latency_fails_when_it_rises_and_improvements_never_fail()
    {
        var thresholds = RegressionGate.ParseThresholds("LatencyMs=10,F1=0");
        Assert.Equal(3, RegressionGate.ExitCode(RegressionGate.Compare(Report(0.5, 100, 0.7), Report(0.5, 111, 0.7), thresholds)));
        Assert.Equal(0, RegressionGate.ExitCode(RegressionGate.Compare(Report(0.5, 100, 0.7), Report(0.9, 20, 0.7), thresholds)));
    }

    [Theory]
    [InlineData("F1")]
    [InlineData("F1=abc")]
    [InlineData("=0.1")]
    [InlineData("F1=-1")]
    [InlineData("")]
    public void Malformed_thresholds_fail_naming_the_entry(string spec)
    {
        var error = Assert.Throws<ArgumentException>(() => RegressionGate.ParseThresholds(spec));
        Assert.StartsWith("--fail-below:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_missing_from_the_reports_is_an_error()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            RegressionGate.Compare(Report(0.5, 1, 0.7), Report(0.5, 1, 0.7), RegressionGate.ParseThresholds("MRR@10=0.01")));
        Assert.Contains("'MRR@10'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RegressionGate.Compare(Report(0.5, 1, 0.7), Report(0.5, 1, 0.7), RegressionGate.ParseThresholds("Judge=0.1")));
    }
}
