using System.Globalization;
using System.Text;
using Groundwork.Evaluation.Comparison;

namespace Groundwork.Evaluation.Reports;

/// <summary>
/// The rule-based recommendation: for each axis the strategy with the best mean wins; the difference to the
/// runner-up counts only when the 95% paired-bootstrap interval of the per-item differences excludes 0 (otherwise
/// the axis is "inconclusive"). The overall statement follows answer quality first, then groundedness, evidence
/// recall, latency and cost, and says which trade-offs the winner makes.
/// </summary>
public static class Recommender
{
    private sealed record Axis(string Name, string Metric, bool HigherIsBetter);

    /// <summary>Builds the recommendation for a report.</summary>
    public static RecommendationReport Recommend(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        bool judged = report.Strategies.Count(s => s.Counts.GetValueOrDefault(MetricNames.Judge) > 0) >= 2;
        bool pages = report.Strategies.Any(s => s.Counts.GetValueOrDefault(MetricNames.PageRecall) > 0);
        Axis[] axes =
        [
            new("answer quality", judged ? MetricNames.Judge : MetricNames.F1, true),
            new("groundedness", MetricNames.Groundedness, true),
            new("evidence recall", pages ? MetricNames.PageRecall : MetricNames.DocumentRecall, true),
            new("latency", MetricNames.LatencyMs, false),
            new("cost", MetricNames.CostUsd, false),
        ];
        var verdicts = axes.Select(a => Judge(report, a)).ToList();
        if (report.UpdateCost is { } update) verdicts.Add(UpdateVerdict(update));
        return new RecommendationReport { Axes = verdicts, Overall = Overall(report, verdicts) };
    }

    private static AxisVerdict Judge(EvaluationReport report, Axis axis)
    {
        var measured = report.Strategies
            .Where(s => s.Metrics.GetValueOrDefault(axis.Metric) is not null && s.Counts.GetValueOrDefault(axis.Metric) > 0)
            // Cost and latency of a strategy that never ran a model are still real measurements; keep them.
            .OrderBy(s => axis.HigherIsBetter ? -s.Metrics[axis.Metric]!.Value : s.Metrics[axis.Metric]!.Value)
            .ToList();
        var verdict = new AxisVerdict { Axis = axis.Name, Metric = axis.Metric, HigherIsBetter = axis.HigherIsBetter, Inconclusive = true };
        if (measured.Count == 0) return verdict with { Statement = $"{axis.Name}: not measured by any strategy." };
        var winner = measured[0];
        double wv = winner.Metrics[axis.Metric]!.Value;
        if (measured.Count == 1)
            return verdict with { Winner = winner.Name, WinnerValue = wv, Statement = $"{axis.Name}: only {winner.Name} measured ({axis.Metric} {Format(axis.Metric, wv)}); nothing to compare." };
        var runner = measured[1];
        double rv = runner.Metrics[axis.Metric]!.Value;
        double abs = Math.Abs(wv - rv);
        double? rel = rv == 0 ? null : abs / Math.Abs(rv);

        // Paired differences (winner − runner-up, oriented so that positive favours the winner) over common items.
        var diffs = new List<double>();
        foreach (var item in report.Items)
        {
            if (item.Results.GetValueOrDefault(winner.Name)?.Metrics.GetValueOrDefault(axis.Metric) is double a &&
                item.Results.GetValueOrDefault(runner.Name)?.Metrics.GetValueOrDefault(axis.Metric) is double b)
                diffs.Add(axis.HigherIsBetter ? a - b : b - a);
        }
        var (low, high) = Statistics.PairedBootstrap(diffs);
        bool inconclusive = diffs.Count < 2 || abs == 0 || low <= 0;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{axis.Name}: ");
        text.Append(inconclusive ? $"inconclusive between {winner.Name} and {runner.Name}" : $"{winner.Name} wins over {runner.Name}");
        text.Append(CultureInfo.InvariantCulture, $" ({axis.Metric} {Format(axis.Metric, wv)} vs {Format(axis.Metric, rv)}, ");
        text.Append(axis.HigherIsBetter ? "+" : "−").Append(Format(axis.Metric, abs));
        if (rel is double r) text.Append(CultureInfo.InvariantCulture, $", {r * 100:0.#}% relative");
        text.Append(CultureInfo.InvariantCulture, $"; 95% paired-bootstrap interval of the advantage [{Format(axis.Metric, low)}, {Format(axis.Metric, high)}] over {diffs.Count} items");
        text.Append(inconclusive ? ", which includes 0: within noise)." : ").");
        return verdict with
        {
            Winner = winner.Name, RunnerUp = runner.Name, WinnerValue = wv, RunnerUpValue = rv, AbsoluteDifference = abs,
            RelativeDifference = rel, IntervalLow = low, IntervalHigh = high, Inconclusive = inconclusive, Statement = text.ToString(),
        };
    }

    private static AxisVerdict UpdateVerdict(UpdateCostReport update)
    {
        var verdict = new AxisVerdict { Axis = "update cost", Metric = "seconds", HigherIsBetter = false, Winner = "rag", WinnerValue = update.RagSeconds, Inconclusive = true };
        var correctness = update.RagCorrect ? "correct" : "NOT correct";
        if (update.FineTuneSeconds is not double ft)
            return verdict with { Statement = $"update cost: RAG took {update.RagSeconds:0.##} s from a changed document to an answer ({correctness}); no fine-tuning duration given to compare." };
        bool ragWins = update.RagCorrect && update.RagSeconds < ft;
        return verdict with
        {
            Winner = ragWins ? "rag" : "finetuned", RunnerUp = ragWins ? "finetuned" : "rag",
            WinnerValue = ragWins ? update.RagSeconds : ft, RunnerUpValue = ragWins ? ft : update.RagSeconds,
            AbsoluteDifference = Math.Abs(ft - update.RagSeconds), RelativeDifference = Math.Min(ft, update.RagSeconds) > 0 ? Math.Max(ft, update.RagSeconds) / Math.Min(ft, update.RagSeconds) : null,
            Inconclusive = false,
            Statement = ragWins
                ? string.Create(CultureInfo.InvariantCulture, $"update cost: RAG wins: {update.RagSeconds:0.##} s (re-ingest + answer, {correctness}) vs {ft:0.##} s for a fine-tuning run, {ft / Math.Max(update.RagSeconds, 1e-9):0.#}× faster.")
                : string.Create(CultureInfo.InvariantCulture, $"update cost: RAG took {update.RagSeconds:0.##} s ({correctness}) vs {ft:0.##} s for a fine-tuning run."),
        };
    }

    private static string Overall(EvaluationReport report, IReadOnlyList<AxisVerdict> verdicts)
    {
        if (report.Strategies.Count == 0) return "No strategy was run; nothing to recommend.";
        if (report.Strategies.Count == 1)
            return $"Only one strategy was measured ({report.Strategies[0].Name}); there is nothing to compare. Configure a model (--model or --endpoint) to compare RAG, fine-tuning and both.";
        var quality = verdicts[0];
        var text = new StringBuilder();
        string? favoured;
        if (!quality.Inconclusive && quality.Winner is not null)
        {
            favoured = quality.Winner;
            text.Append(CultureInfo.InvariantCulture, $"The measurements favour {favoured} for this data: it gives the best answers ({quality.Metric} {Format(quality.Metric, quality.WinnerValue ?? 0)} vs {Format(quality.Metric, quality.RunnerUpValue ?? 0)} for {quality.RunnerUp}, a difference outside the noise).");
        }
        else
        {
            var decider = verdicts.Skip(1).FirstOrDefault(v => !v.Inconclusive && v.Winner is not null && v.Axis != "update cost");
            if (decider is null)
                return $"Inconclusive: no strategy is measurably better on answer quality ({quality.Statement.Split(": ", 2)[^1]}), and no other axis separates them beyond noise. Evaluate more questions before choosing.";
            favoured = decider.Winner!;
            text.Append(CultureInfo.InvariantCulture, $"Answer quality is inconclusive ({quality.Winner} vs {quality.RunnerUp} within noise), so the next measured axis decides: {decider.Axis}, where {favoured} wins ({decider.Metric} {Format(decider.Metric, decider.WinnerValue ?? 0)} vs {Format(decider.Metric, decider.RunnerUpValue ?? 0)}). The measurements lean towards {favoured}.");
        }
        var tradeOffs = verdicts.Skip(1).Where(v => !v.Inconclusive && v.Winner is not null && v.Winner != favoured && v.Axis != "update cost").ToList();
        foreach (var t in tradeOffs)
            text.Append(CultureInfo.InvariantCulture, $" Trade-off: {t.Winner} is better on {t.Axis} ({t.Metric} {Format(t.Metric, t.WinnerValue ?? 0)} vs {Format(t.Metric, t.RunnerUpValue ?? 0)} for {t.RunnerUp}).");
        if (verdicts.FirstOrDefault(v => v.Axis == "update cost") is { } u) text.Append(' ').Append(u.Statement);
        return text.ToString();
    }

    /// <summary>Formats a metric value for text: ms and dollars with units, rates with 3 decimals.</summary>
    public static string Format(string metric, double value) => metric switch
    {
        MetricNames.LatencyMs => string.Create(CultureInfo.InvariantCulture, $"{value:0.#} ms"),
        MetricNames.CostUsd => string.Create(CultureInfo.InvariantCulture, $"${value:0.######}"),
        MetricNames.Judge => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", CultureInfo.InvariantCulture),
    };
}
