using System.Globalization;
using System.Net;
using System.Text;
using Groundwork.Evaluation.Comparison;

namespace Groundwork.Evaluation.Reports;

/// <summary>
/// Writes <c>report.html</c>: one self-contained page (inline CSS, inline SVG, no scripts or external resources)
/// with a bar chart per metric (<c>svg#chart-&lt;metric&gt;</c>, mean ± standard error per strategy), a latency box
/// plot per strategy (<c>svg#chart-latency</c>), the recommendation and a per-question table
/// (<c>table#per-question</c>, one <c>tr.item-row</c> per question) with each strategy's answer and sources side by side.
/// </summary>
public static class HtmlReport
{
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948"];
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>The id of a metric's chart: <c>chart-</c> + the lower-cased name with non-alphanumerics as '-'.</summary>
    public static string ChartId(string metric) =>
        "chart-" + new string((metric ?? "").ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    /// <summary>Renders the report as HTML.</summary>
    public static string Render(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var h = new StringBuilder();
        h.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Groundwork evaluation report</title><style>");
        h.AppendLine("""
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .meta{color:#666}.charts{display:flex;flex-wrap:wrap;gap:16px}.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:10px}
            .card h3{font-size:13px;margin:0 0 6px;color:#444}table{border-collapse:collapse;background:#fff}
            th,td{border:1px solid #e3e3e3;padding:5px 8px;vertical-align:top;text-align:left}th{background:#f2f2f2}
            td.num{text-align:right;font-variant-numeric:tabular-nums}.legend span{display:inline-block;margin-right:14px}
            .legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
            .abstained{color:#888;font-style:italic}.sources{color:#666;font-size:12px;margin-top:4px}.score{font-size:12px;color:#333}
            .win{color:#1b7a2f;font-weight:600}.inconclusive{color:#9a6b00}.overall{background:#fff;border-left:4px solid #4e79a7;padding:8px 12px}
            #per-question td{max-width:360px}.ref{white-space:pre-wrap}
            """);
        h.AppendLine("</style></head><body>");
        h.AppendLine("<h1>Groundwork evaluation report</h1>");
        h.Append(Ci, $"<p class=\"meta\">Dataset <code>{E(report.Dataset)}</code> · {report.Items.Count} questions · {report.CreatedUtc:yyyy-MM-dd HH:mm} UTC");
        if (report.IndexBytes is long bytes) h.Append(Ci, $" · index {bytes / 1e6:0.0} MB");
        h.AppendLine("</p>");
        if (report.Notes.Count > 0) h.Append("<ul>").Append(string.Concat(report.Notes.Select(n => $"<li>{E(n)}</li>"))).AppendLine("</ul>");

        var colors = report.Strategies.Select((s, i) => (s.Name, Color: Palette[i % Palette.Length])).ToDictionary(x => x.Name, x => x.Color);
        h.Append("<p class=\"legend\">");
        foreach (var (name, color) in colors) h.Append(Ci, $"<span><i style=\"background:{color}\"></i>{E(name)}</span>");
        h.AppendLine("</p>");

        if (report.Recommendation is { } rec)
        {
            h.AppendLine("<h2>Recommendation</h2>");
            h.Append("<p class=\"overall\">").Append(E(rec.Overall)).AppendLine("</p>");
            h.AppendLine("<table id=\"recommendation\"><tr><th>axis</th><th>metric</th><th>winner</th><th>runner-up</th><th>difference</th><th>95% interval</th><th>verdict</th></tr>");
            foreach (var a in rec.Axes)
            {
                var diff = a.AbsoluteDifference is double d ? Recommender.Format(a.Metric, d) + (a.RelativeDifference is double r ? $" ({r * 100:0.#}%)" : "") : "—";
                var interval = a.IntervalLow is double lo && a.IntervalHigh is double hi ? $"[{Recommender.Format(a.Metric, lo)}, {Recommender.Format(a.Metric, hi)}]" : "—";
                var word = MarkdownReport.Verdict(a);
                var verdict = word == "wins" ? "<span class=\"win\">wins</span>" : word == "inconclusive" ? "<span class=\"inconclusive\">inconclusive</span>" : E(word);
                h.AppendLine(Ci, $"<tr><td>{E(a.Axis)}</td><td>{E(a.Metric)}</td><td>{E(a.Winner ?? "—")}</td><td>{E(a.RunnerUp ?? "—")}</td><td class=\"num\">{E(diff)}</td><td>{E(interval)}</td><td>{verdict}</td></tr>");
            }
            h.AppendLine("</table>");
        }

        h.AppendLine("<h2>Metrics per strategy</h2><div class=\"charts\">");
        foreach (var metric in MetricNames.Ordered.Where(m => report.Strategies.Any(s => s.Counts.GetValueOrDefault(m) > 0)))
            h.Append("<div class=\"card\">").Append(BarChart(report, metric, colors)).AppendLine("</div>");
        h.AppendLine("</div>");

        if (report.Strategies.Count > 0)
        {
            h.AppendLine("<h2>Latency (end to end)</h2><div class=\"card\">").Append(LatencyChart(report, colors)).AppendLine("</div>");
            h.AppendLine("<table id=\"latency\"><tr><th>strategy</th><th>stage</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>mean ms</th></tr>");
            foreach (var s in report.Strategies)
                foreach (var (stage, l) in s.Latency.OrderBy(kv => kv.Key == "total" ? 1 : 0))
                    h.AppendLine(Ci, $"<tr><td>{E(s.Name)}</td><td>{E(stage)}</td><td class=\"num\">{l.P50:0.0}</td><td class=\"num\">{l.P95:0.0}</td><td class=\"num\">{l.P99:0.0}</td><td class=\"num\">{l.Mean:0.0}</td></tr>");
            h.AppendLine("</table>");
            h.AppendLine("<h2>Tokens and cost</h2><table id=\"cost\"><tr><th>strategy</th><th>model</th><th>prompt tokens</th><th>completion tokens</th><th>cost (USD)</th><th>errors</th></tr>");
            foreach (var s in report.Strategies)
                h.AppendLine(Ci, $"<tr><td>{E(s.Name)}</td><td>{E(s.Model ?? "—")}</td><td class=\"num\">{s.PromptTokens}</td><td class=\"num\">{s.CompletionTokens}</td><td class=\"num\">{(s.CostUsd is double c ? c.ToString("0.######", Ci) : "not priced")}</td><td class=\"num\">{s.Errors}</td></tr>");
            h.AppendLine("</table>");
        }

        if (report.Retrieval is { } ret)
        {
            h.AppendLine(Ci, $"<h2>Retrieval ({E(ret.Split)}, {ret.Queries} queries)</h2><table id=\"retrieval\"><tr><th>metric</th><th>value</th></tr>");
            foreach (var (name, value) in ret.Metrics) h.AppendLine(Ci, $"<tr><td>{E(name)}</td><td class=\"num\">{value:0.0000}</td></tr>");
            h.AppendLine("</table>");
        }

        if (report.Items.Count > 0)
        {
            h.AppendLine("<h2>Per question</h2><table id=\"per-question\"><tr><th>#</th><th>question</th><th>reference</th>");
            foreach (var s in report.Strategies) h.Append(Ci, $"<th style=\"border-top:3px solid {colors[s.Name]}\">{E(s.Name)}</th>");
            h.AppendLine("</tr>");
            foreach (var item in report.Items)
            {
                h.Append(Ci, $"<tr class=\"item-row\" id=\"item-{E(item.Id)}\"><td>{E(item.Id)}</td><td>{E(item.Question)}</td><td class=\"ref\">");
                h.Append(item.Answerable ? E(string.Join("\n— ", item.References)) : "<span class=\"abstained\">(unanswerable: should abstain)</span>");
                if (item.SupportingDocuments.Count > 0) h.Append("<div class=\"sources\">gold: ").Append(E(string.Join("; ", item.SupportingDocuments))).Append("</div>");
                h.Append("</td>");
                foreach (var s in report.Strategies)
                {
                    h.Append("<td>");
                    if (item.Results.GetValueOrDefault(s.Name) is { } r)
                    {
                        if (r.Error is not null) h.Append("<span class=\"abstained\">error: ").Append(E(r.Error)).Append("</span>");
                        else h.Append(r.Abstained ? "<span class=\"abstained\">" + E(r.Answer) + "</span>" : E(r.Answer));
                        var scores = new[] { MetricNames.F1, MetricNames.Judge, MetricNames.DocumentRecall }
                            .Where(m => r.Metrics.GetValueOrDefault(m) is not null)
                            .Select(m => $"{m} {Recommender.Format(m, r.Metrics[m]!.Value)}");
                        h.Append("<div class=\"score\">").Append(E(string.Join(" · ", scores.Append($"{r.TotalMilliseconds:0} ms")))).Append("</div>");
                        if (r.Sources.Count > 0)
                            h.Append("<div class=\"sources\">").Append(E(string.Join("; ", r.Sources.Take(5).Select(x => x.ToString())))).Append("</div>");
                    }
                    h.Append("</td>");
                }
                h.AppendLine("</tr>");
            }
            h.AppendLine("</table>");
        }
        h.AppendLine("</body></html>");
        return h.ToString();
    }

    private static string BarChart(EvaluationReport report, string metric, Dictionary<string, string> colors)
    {
        const int width = 320, left = 90, right = 60, barHeight = 18, gap = 8, top = 24;
        var strategies = report.Strategies;
        double max = metric switch
        {
            MetricNames.Judge => 5,
            MetricNames.LatencyMs or MetricNames.CostUsd => Math.Max(1e-12, strategies.Max(s => (s.Metrics.GetValueOrDefault(metric) ?? 0) + (s.StandardErrors.GetValueOrDefault(metric) ?? 0))),
            _ => 1,
        };
        int height = top + strategies.Count * (barHeight + gap) + 4;
        double plot = width - left - right;
        var svg = new StringBuilder();
        svg.Append(Ci, $"<svg id=\"{ChartId(metric)}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{E(metric)} per strategy\">");
        svg.Append(Ci, $"<text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"600\" fill=\"#333\">{E(metric)}</text>");
        svg.Append(Ci, $"<line x1=\"{left}\" y1=\"{top - 4}\" x2=\"{left}\" y2=\"{height - 2}\" stroke=\"#999\"/>");
        for (int i = 0; i < strategies.Count; i++)
        {
            var s = strategies[i];
            int y = top + i * (barHeight + gap);
            svg.Append(Ci, $"<text x=\"{left - 6}\" y=\"{y + 13}\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">{E(s.Name)}</text>");
            if (s.Metrics.GetValueOrDefault(metric) is not double v)
            {
                svg.Append(Ci, $"<text x=\"{left + 6}\" y=\"{y + 13}\" font-size=\"11\" fill=\"#999\">n/a</text>");
                continue;
            }
            double w = Math.Clamp(v / max, 0, 1) * plot;
            double se = s.StandardErrors.GetValueOrDefault(metric) ?? 0;
            svg.Append(Ci, $"<rect class=\"bar\" data-strategy=\"{E(s.Name)}\" x=\"{left}\" y=\"{y}\" width=\"{w:0.##}\" height=\"{barHeight}\" fill=\"{colors[s.Name]}\"><title>{E(s.Name)}: {Recommender.Format(metric, v)} ± {Recommender.Format(metric, se)}</title></rect>");
            if (se > 0)
            {
                double x1 = left + Math.Clamp((v - se) / max, 0, 1) * plot, x2 = left + Math.Clamp((v + se) / max, 0, 1) * plot;
                svg.Append(Ci, $"<line x1=\"{x1:0.##}\" y1=\"{y + barHeight / 2}\" x2=\"{x2:0.##}\" y2=\"{y + barHeight / 2}\" stroke=\"#222\"/>");
            }
            svg.Append(Ci, $"<text x=\"{left + w + 6:0.##}\" y=\"{y + 13}\" font-size=\"11\" fill=\"#222\">{E(Recommender.Format(metric, v))}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static string LatencyChart(EvaluationReport report, Dictionary<string, string> colors)
    {
        const int width = 640, left = 90, right = 20, rowHeight = 30, top = 10, axis = 26;
        var strategies = report.Strategies;
        double max = Math.Max(1, strategies.Max(s => s.Latency.GetValueOrDefault("total")?.Max ?? 0));
        int height = top + strategies.Count * rowHeight + axis;
        double plot = width - left - right;
        double X(double ms) => left + ms / max * plot;
        var svg = new StringBuilder();
        svg.Append(Ci, $"<svg id=\"chart-latency\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"end-to-end latency per strategy\">");
        for (int i = 0; i < strategies.Count; i++)
        {
            var s = strategies[i];
            if (s.Latency.GetValueOrDefault("total") is not { Count: > 0 } l) continue;
            double mid = top + i * rowHeight + rowHeight / 2.0;
            svg.Append(Ci, $"<text x=\"{left - 6}\" y=\"{mid + 4:0.#}\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">{E(s.Name)}</text>");
            svg.Append(Ci, $"<g class=\"box\" data-strategy=\"{E(s.Name)}\"><title>{E(s.Name)}: min {l.Min:0.0} · p25 {l.P25:0.0} · p50 {l.P50:0.0} · p75 {l.P75:0.0} · p95 {l.P95:0.0} · max {l.Max:0.0} ms</title>");
            svg.Append(Ci, $"<line x1=\"{X(l.Min):0.##}\" y1=\"{mid:0.#}\" x2=\"{X(l.Max):0.##}\" y2=\"{mid:0.#}\" stroke=\"#555\"/>");
            svg.Append(Ci, $"<rect x=\"{X(l.P25):0.##}\" y=\"{mid - 9:0.#}\" width=\"{Math.Max(1, X(l.P75) - X(l.P25)):0.##}\" height=\"18\" fill=\"{colors[s.Name]}\" fill-opacity=\"0.75\" stroke=\"#333\"/>");
            svg.Append(Ci, $"<line x1=\"{X(l.P50):0.##}\" y1=\"{mid - 9:0.#}\" x2=\"{X(l.P50):0.##}\" y2=\"{mid + 9:0.#}\" stroke=\"#000\" stroke-width=\"2\"/>");
            svg.Append(Ci, $"<line x1=\"{X(l.P95):0.##}\" y1=\"{mid - 6:0.#}\" x2=\"{X(l.P95):0.##}\" y2=\"{mid + 6:0.#}\" stroke=\"#c00\"/></g>");
        }
        double axisY = top + strategies.Count * rowHeight + 4;
        svg.Append(Ci, $"<line x1=\"{left}\" y1=\"{axisY:0.#}\" x2=\"{width - right}\" y2=\"{axisY:0.#}\" stroke=\"#999\"/>");
        for (int t = 0; t <= 4; t++)
        {
            double ms = max * t / 4;
            svg.Append(Ci, $"<text x=\"{X(ms):0.#}\" y=\"{axisY + 16:0.#}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{ms:0.#} ms</text>");
        }
        return svg.Append("</svg><div class=\"meta\">box: p25–p75, black: median, red tick: p95, whiskers: min–max</div>").ToString();
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
