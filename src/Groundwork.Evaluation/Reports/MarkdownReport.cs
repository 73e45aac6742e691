using System.Globalization;
using System.Text;
using Groundwork.Evaluation.Comparison;

namespace Groundwork.Evaluation.Reports;

/// <summary>Writes <c>report.md</c>: summary tables per strategy, latency, retrieval metrics and the recommendation.</summary>
public static class MarkdownReport
{
    /// <summary>The verdict column: wins, inconclusive, only one measured, or not measured.</summary>
    public static string Verdict(AxisVerdict axis)
    {
        ArgumentNullException.ThrowIfNull(axis);
        return axis.Winner is null ? "not measured" : axis.RunnerUp is null ? "only one measured" : axis.Inconclusive ? "inconclusive" : "wins";
    }

    /// <summary>Renders the report as Markdown.</summary>
    public static string Render(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        md.AppendLine("# Groundwork evaluation report").AppendLine();
        md.Append(ci, $"Dataset: `{report.Dataset}` · {report.Items.Count} questions · {report.CreatedUtc:yyyy-MM-dd HH:mm} UTC");
        if (report.IndexBytes is long bytes) md.Append(ci, $" · index {bytes / 1e6:0.0} MB");
        md.AppendLine().AppendLine();
        foreach (var note in report.Notes) md.AppendLine(ci, $"- {note}");
        if (report.Notes.Count > 0) md.AppendLine();

        if (report.Strategies.Count > 0)
        {
            var metrics = MetricNames.Ordered.Where(m => m is not MetricNames.LatencyMs and not MetricNames.CostUsd && report.Strategies.Any(s => s.Counts.GetValueOrDefault(m) > 0)).ToList();
            md.AppendLine("## Answer quality and evidence (mean ± standard error, n)").AppendLine();
            md.Append("| strategy | model |");
            foreach (var m in metrics) md.Append(' ').Append(m).Append(" |");
            md.AppendLine().Append("|---|---|").AppendLine(string.Concat(metrics.Select(_ => "---:|")));
            foreach (var s in report.Strategies)
            {
                md.Append(ci, $"| {s.Name} | {s.Model ?? "—"} |");
                foreach (var m in metrics)
                {
                    md.Append(' ');
                    if (s.Metrics.GetValueOrDefault(m) is double v)
                        md.Append(Recommender.Format(m, v)).Append(" ± ").Append(Recommender.Format(m, s.StandardErrors.GetValueOrDefault(m) ?? 0)).Append(ci, $" ({s.Counts.GetValueOrDefault(m)})");
                    else md.Append('—');
                    md.Append(" |");
                }
                md.AppendLine();
            }
            md.AppendLine();

            md.AppendLine("## Latency, tokens and cost").AppendLine();
            md.AppendLine("| strategy | stage | p50 ms | p95 ms | p99 ms | mean ms |");
            md.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var s in report.Strategies)
                foreach (var (stage, l) in s.Latency.OrderBy(kv => kv.Key == "total" ? 1 : 0))
                    md.AppendLine(ci, $"| {s.Name} | {stage} | {l.P50:0.0} | {l.P95:0.0} | {l.P99:0.0} | {l.Mean:0.0} |");
            md.AppendLine();
            md.AppendLine("| strategy | prompt tokens | completion tokens | cost (USD) | errors | judge failures |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var s in report.Strategies)
                md.AppendLine(ci, $"| {s.Name} | {s.PromptTokens} | {s.CompletionTokens} | {(s.CostUsd is double c ? c.ToString("0.######", ci) : "not priced")} | {s.Errors} | {s.JudgeFailures} |");
            md.AppendLine();
        }

        if (report.Retrieval is { } r)
        {
            md.AppendLine(ci, $"## Retrieval ({r.Split}, {r.Queries} queries)").AppendLine();
            md.AppendLine("| metric | value |").AppendLine("|---|---:|");
            foreach (var (name, value) in r.Metrics.Where(kv => kv.Key.EndsWith("@10", StringComparison.Ordinal) || kv.Key.EndsWith("@100", StringComparison.Ordinal)))
                md.AppendLine(ci, $"| {name} | {value:0.0000} |");
            if (r.Latency is { } l) md.AppendLine(ci, $"| search p50 / p95 ms | {l.P50:0.0} / {l.P95:0.0} |");
            md.AppendLine();
        }

        if (report.UpdateCost is { } u)
        {
            md.AppendLine("## Update cost").AppendLine();
            md.AppendLine(ci, $"RAG: {u.RagSeconds:0.##} s from a changed document to an answer ({(u.RagCorrect ? "correct" : "not correct")}); fine-tuning run: {(u.FineTuneSeconds is double f ? f.ToString("0.##", ci) + " s" : "not given")}.");
            md.AppendLine();
        }

        if (report.Recommendation is { } rec)
        {
            md.AppendLine("## Recommendation").AppendLine();
            md.AppendLine("| axis | metric | winner | runner-up | difference | 95% interval | verdict |");
            md.AppendLine("|---|---|---|---|---:|---|---|");
            foreach (var a in rec.Axes)
            {
                var diff = a.AbsoluteDifference is double d ? Recommender.Format(a.Metric, d) + (a.RelativeDifference is double rr ? $" ({rr * 100:0.#}%)" : "") : "—";
                var interval = a.IntervalLow is double lo && a.IntervalHigh is double hi ? $"[{Recommender.Format(a.Metric, lo)}, {Recommender.Format(a.Metric, hi)}]" : "—";
                md.AppendLine(ci, $"| {a.Axis} | {a.Metric} | {a.Winner ?? "—"} | {a.RunnerUp ?? "—"} | {diff} | {interval} | {Verdict(a)} |");
            }
            md.AppendLine();
            foreach (var a in rec.Axes) md.AppendLine(ci, $"- {a.Statement}");
            md.AppendLine().AppendLine(ci, $"**Overall:** {rec.Overall}");
        }
        return md.ToString();
    }
}
