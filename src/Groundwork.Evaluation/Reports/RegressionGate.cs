using System.Globalization;
using System.Text;

namespace Groundwork.Evaluation.Reports;

/// <summary>One compared metric of the regression gate.</summary>
/// <param name="Metric">Metric name (e.g. <c>F1</c>, <c>nDCG@10</c>).</param>
/// <param name="Scope">Strategy name, or <c>retrieval</c>.</param>
/// <param name="Baseline">Baseline value.</param>
/// <param name="Current">Current value.</param>
/// <param name="Threshold">Largest allowed worsening.</param>
/// <param name="HigherIsBetter">False for latency and cost metrics.</param>
public sealed record GateRow(string Metric, string Scope, double Baseline, double Current, double Threshold, bool HigherIsBetter)
{
    /// <summary>Current − baseline.</summary>
    public double Delta => Current - Baseline;

    /// <summary>True when the metric worsened by more than the threshold.</summary>
    public bool Failed => HigherIsBetter ? Baseline - Current > Threshold : Current - Baseline > Threshold;
}

/// <summary>
/// The regression gate: compares named metrics of a current report with a baseline report and fails when any
/// dropped by more than its threshold (for <c>LatencyMs</c> and <c>CostUsd</c>: rose by more). Metrics are looked
/// up in each strategy present in both reports and in the retrieval section.
/// </summary>
public static class RegressionGate
{
    /// <summary>Exit code when the gate fails.</summary>
    public const int FailedExitCode = 3;

    /// <summary>Parses <c>nDCG@10=0.01,F1=0.02</c>; a malformed entry fails naming it.</summary>
    public static IReadOnlyDictionary<string, double> ParseThresholds(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var thresholds = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = entry.LastIndexOf('=');
            if (eq <= 0 || !double.TryParse(entry.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t < 0 || double.IsNaN(t))
                throw new ArgumentException($"--fail-below: '{entry}' is not METRIC=THRESHOLD with a non-negative number (e.g. nDCG@10=0.01)");
            thresholds[entry[..eq].Trim()] = t;
        }
        if (thresholds.Count == 0) throw new ArgumentException("--fail-below: no METRIC=THRESHOLD entries");
        return thresholds;
    }

    /// <summary>Compares the reports; a metric found in neither report is an error naming it.</summary>
    public static IReadOnlyList<GateRow> Compare(EvaluationReport baseline, EvaluationReport current, IReadOnlyDictionary<string, double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(thresholds);
        var rows = new List<GateRow>();
        foreach (var (metric, threshold) in thresholds)
        {
            bool higher = !(metric.Equals("LatencyMs", StringComparison.OrdinalIgnoreCase) || metric.Equals("CostUsd", StringComparison.OrdinalIgnoreCase));
            int before = rows.Count;
            foreach (var b in baseline.Strategies)
            {
                var c = current.Strategies.FirstOrDefault(s => s.Name == b.Name);
                if (c is null) continue;
                if (Find(b.Metrics, metric) is double bv && Find(c.Metrics, metric) is double cv)
                    rows.Add(new GateRow(metric, b.Name, bv, cv, threshold, higher));
            }
            if (baseline.Retrieval is { } br && current.Retrieval is { } cr &&
                Find(br.Metrics.ToDictionary(kv => kv.Key, kv => (double?)kv.Value), metric) is double rb &&
                Find(cr.Metrics.ToDictionary(kv => kv.Key, kv => (double?)kv.Value), metric) is double rc)
                rows.Add(new GateRow(metric, "retrieval", rb, rc, threshold, higher));
            if (rows.Count == before)
                throw new ArgumentException($"--fail-below: metric '{metric}' is not in both reports (for a strategy present in both, or in the retrieval section)");
        }
        return rows;
    }

    /// <summary><see cref="FailedExitCode"/> when any row failed, else 0.</summary>
    public static int ExitCode(IReadOnlyList<GateRow> rows) => rows?.Any(r => r.Failed) == true ? FailedExitCode : 0;

    /// <summary>A plain-text table of the comparison.</summary>
    public static string Table(IReadOnlyList<GateRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"{"metric",-16} {"scope",-12} {"baseline",10} {"current",10} {"delta",10} {"allowed",9}  result");
        foreach (var r in rows)
            sb.AppendLine(ci, $"{r.Metric,-16} {r.Scope,-12} {r.Baseline,10:0.0000} {r.Current,10:0.0000} {r.Delta,10:+0.0000;-0.0000;0.0000} {(r.HigherIsBetter ? "-" : "+") + r.Threshold.ToString("0.####", ci),9}  {(r.Failed ? "FAIL" : "ok")}");
        return sb.ToString();
    }

    private static double? Find(IReadOnlyDictionary<string, double?> metrics, string name)
    {
        foreach (var (key, value) in metrics)
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }
}
