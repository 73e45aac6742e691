using System.Text.Json;
using System.Text.Json.Serialization;

namespace Groundwork.Evaluation.Reports;

/// <summary>
/// Everything one evaluation run measured: per-item answers and metrics for each strategy, aggregates, optional
/// retrieval-only metrics (BEIR), update cost and the rule-based recommendation. Serialised as <c>report.json</c>
/// (schema in docs/evaluation.md); <see cref="ReportJson"/> reads and writes it.
/// </summary>
public sealed record EvaluationReport
{
    /// <summary>Version of the JSON schema.</summary>
    public int SchemaVersion { get; init; } = 1;
    /// <summary>The dataset evaluated (path).</summary>
    public string Dataset { get; init; } = "";
    /// <summary>When the run finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }
    /// <summary>Size of the collection's store file(s) in bytes, when known.</summary>
    public long? IndexBytes { get; init; }
    /// <summary>Notes: skipped strategies, dataset details, caveats.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Per-strategy aggregates, in run order.</summary>
    public IReadOnlyList<StrategySummary> Strategies { get; init; } = [];
    /// <summary>Per-question results.</summary>
    public IReadOnlyList<ItemReport> Items { get; init; } = [];
    /// <summary>Retrieval-only metrics (BEIR datasets), when measured.</summary>
    public RetrievalSummary? Retrieval { get; init; }
    /// <summary>Seconds from a document change to a correct answer, when measured.</summary>
    public UpdateCostReport? UpdateCost { get; init; }
    /// <summary>Which strategy the measurements favour, axis by axis.</summary>
    public RecommendationReport? Recommendation { get; init; }
}

/// <summary>Aggregates of one strategy over the evaluated items.</summary>
public sealed record StrategySummary
{
    /// <summary>Strategy name.</summary>
    public required string Name { get; init; }
    /// <summary>Model used, if any.</summary>
    public string? Model { get; init; }
    /// <summary>Items answered (errors included).</summary>
    public int Items { get; init; }
    /// <summary>Items whose strategy call failed.</summary>
    public int Errors { get; init; }
    /// <summary>Mean of each metric over the items where it is defined (null when defined for none).</summary>
    public IReadOnlyDictionary<string, double?> Metrics { get; init; } = new Dictionary<string, double?>();
    /// <summary>Standard error of each mean (sample standard deviation / √n; 0 when n &lt; 2).</summary>
    public IReadOnlyDictionary<string, double?> StandardErrors { get; init; } = new Dictionary<string, double?>();
    /// <summary>How many items each metric is defined for.</summary>
    public IReadOnlyDictionary<string, int> Counts { get; init; } = new Dictionary<string, int>();
    /// <summary>Latency per stage and <c>total</c> (end to end), in milliseconds.</summary>
    public IReadOnlyDictionary<string, LatencyStats> Latency { get; init; } = new Dictionary<string, LatencyStats>();
    /// <summary>Prompt tokens over all items.</summary>
    public long PromptTokens { get; init; }
    /// <summary>Completion tokens over all items.</summary>
    public long CompletionTokens { get; init; }
    /// <summary>Total cost in US dollars from the price table; null when the model has no price.</summary>
    public double? CostUsd { get; init; }
    /// <summary>Judge calls whose reply could not be parsed (each scored 1).</summary>
    public int JudgeFailures { get; init; }
}

/// <summary>Latency distribution in milliseconds.</summary>
/// <param name="Count">Samples.</param>
/// <param name="Mean">Mean.</param>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Min">Minimum.</param>
/// <param name="Max">Maximum.</param>
/// <param name="P25">First quartile.</param>
/// <param name="P75">Third quartile.</param>
public sealed record LatencyStats(int Count, double Mean, double P50, double P95, double P99, double Min, double Max, double P25, double P75);

/// <summary>One question and every strategy's result on it.</summary>
public sealed record ItemReport
{
    /// <summary>Item id.</summary>
    public required string Id { get; init; }
    /// <summary>The question.</summary>
    public required string Question { get; init; }
    /// <summary>Reference answers.</summary>
    public IReadOnlyList<string> References { get; init; } = [];
    /// <summary>False when the right behaviour is to abstain.</summary>
    public bool Answerable { get; init; } = true;
    /// <summary>Gold supporting documents.</summary>
    public IReadOnlyList<string> SupportingDocuments { get; init; } = [];
    /// <summary>Result per strategy name.</summary>
    public IReadOnlyDictionary<string, ItemResult> Results { get; init; } = new Dictionary<string, ItemResult>();
}

/// <summary>One strategy's answer to one question, with its metrics.</summary>
public sealed record ItemResult
{
    /// <summary>Answer text.</summary>
    public string Answer { get; init; } = "";
    /// <summary>Whether the strategy abstained.</summary>
    public bool Abstained { get; init; }
    /// <summary>Retrieved sources, best first.</summary>
    public IReadOnlyList<SourceReference> Sources { get; init; } = [];
    /// <summary>Citations given.</summary>
    public int Citations { get; init; }
    /// <summary>Citations verified against their source.</summary>
    public int VerifiedCitations { get; init; }
    /// <summary>Metric values (null where undefined for this item).</summary>
    public IReadOnlyDictionary<string, double?> Metrics { get; init; } = new Dictionary<string, double?>();
    /// <summary>Milliseconds per stage.</summary>
    public IReadOnlyDictionary<string, double> StageMilliseconds { get; init; } = new Dictionary<string, double>();
    /// <summary>End-to-end milliseconds.</summary>
    public double TotalMilliseconds { get; init; }
    /// <summary>Prompt tokens.</summary>
    public int PromptTokens { get; init; }
    /// <summary>Completion tokens.</summary>
    public int CompletionTokens { get; init; }
    /// <summary>Cost in US dollars, when priced.</summary>
    public double? CostUsd { get; init; }
    /// <summary>The judge's verdict, when judged.</summary>
    public JudgeVerdict? Judge { get; init; }
    /// <summary>The error, when the strategy failed on this item.</summary>
    public string? Error { get; init; }
}

/// <summary>A retrieved source in a report.</summary>
/// <param name="Document">File name.</param>
/// <param name="PageStart">First page.</param>
/// <param name="PageEnd">Last page.</param>
/// <param name="Score">Retrieval score.</param>
public sealed record SourceReference(string Document, int? PageStart, int? PageEnd, double Score)
{
    /// <summary>"file.pdf p. 3" for display.</summary>
    public override string ToString() =>
        PageStart is int p ? (PageEnd is int q && q != p ? $"{Document} pp. {p}–{q}" : $"{Document} p. {p}") : Document;
}

/// <summary>An LLM judge's correctness score.</summary>
/// <param name="Score">1 (wrong) to 5 (fully correct); 1 when the reply could not be parsed.</param>
/// <param name="Reason">The judge's one-line reason, or why parsing failed.</param>
/// <param name="Failed">True when the judge's reply could not be parsed.</param>
/// <param name="Cached">True when the verdict came from the cache.</param>
public sealed record JudgeVerdict(int Score, string Reason, bool Failed = false, bool Cached = false);

/// <summary>Retrieval-only metrics over a BEIR dataset.</summary>
public sealed record RetrievalSummary
{
    /// <summary>Qrels split.</summary>
    public string Split { get; init; } = "test";
    /// <summary>Queries evaluated.</summary>
    public int Queries { get; init; }
    /// <summary>Mean of each metric by display name (<c>nDCG@10</c>, <c>Recall@100</c>, ...).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>Search latency in milliseconds.</summary>
    public LatencyStats? Latency { get; init; }
}

/// <summary>Update cost: how long until a changed document gives a correct answer.</summary>
/// <param name="RagSeconds">Re-ingest of the changed file plus one answer, in seconds.</param>
/// <param name="RagCorrect">Whether the answer after the update was correct.</param>
/// <param name="FineTuneSeconds">Duration of a fine-tuning run on the changed data, when given.</param>
public sealed record UpdateCostReport(double RagSeconds, bool RagCorrect, double? FineTuneSeconds);

/// <summary>The rule-based recommendation.</summary>
public sealed record RecommendationReport
{
    /// <summary>One verdict per axis.</summary>
    public IReadOnlyList<AxisVerdict> Axes { get; init; } = [];
    /// <summary>The overall statement.</summary>
    public string Overall { get; init; } = "";
}

/// <summary>Which strategy wins one axis, by how much, and whether the difference exceeds the noise.</summary>
public sealed record AxisVerdict
{
    /// <summary>Axis name (answer quality, groundedness, ...).</summary>
    public required string Axis { get; init; }
    /// <summary>Metric compared.</summary>
    public required string Metric { get; init; }
    /// <summary>Whether higher values are better.</summary>
    public bool HigherIsBetter { get; init; } = true;
    /// <summary>Best strategy, or null when the axis could not be measured.</summary>
    public string? Winner { get; init; }
    /// <summary>Second-best strategy.</summary>
    public string? RunnerUp { get; init; }
    /// <summary>Winner's value.</summary>
    public double? WinnerValue { get; init; }
    /// <summary>Runner-up's value.</summary>
    public double? RunnerUpValue { get; init; }
    /// <summary>|winner − runner-up|.</summary>
    public double? AbsoluteDifference { get; init; }
    /// <summary>Absolute difference relative to the runner-up's value (null when that is 0).</summary>
    public double? RelativeDifference { get; init; }
    /// <summary>95% interval of the paired difference (bootstrap), when per-item values exist.</summary>
    public double? IntervalLow { get; init; }
    /// <summary>Upper end of the interval.</summary>
    public double? IntervalHigh { get; init; }
    /// <summary>True when the difference is within noise (the interval includes 0), or there is nothing to compare.</summary>
    public bool Inconclusive { get; init; }
    /// <summary>The verdict in words.</summary>
    public string Statement { get; init; } = "";
}

/// <summary>Reads and writes <c>report.json</c>.</summary>
public static class ReportJson
{
    /// <summary>The serializer settings (camelCase, indented, nulls kept so the schema is visible).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Writes the report to a file.</summary>
    public static async Task WriteAsync(EvaluationReport report, string path, CancellationToken cancellationToken = default)
    {
        var stream = File.Create(path);
        await using (stream.ConfigureAwait(false))
            await JsonSerializer.SerializeAsync(stream, report, Options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a report file; a malformed file fails with a one-line error naming it.</summary>
    public static async Task<EvaluationReport> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonSerializer.DeserializeAsync<EvaluationReport>(stream, Options, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"{path}: empty report");
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{(ex.LineNumber ?? 0) + 1}: not a Groundwork report.json: {ex.Message}", ex);
            }
        }
    }
}
