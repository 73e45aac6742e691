using System.Diagnostics;
using System.Text.RegularExpressions;
using Groundwork.Evaluation.Answers;
using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Reports;
using Groundwork.Evaluation.Retrieval;

namespace Groundwork.Evaluation.Comparison;

/// <summary>Metric names used in reports (keys of <see cref="ItemResult.Metrics"/> and <see cref="StrategySummary.Metrics"/>).</summary>
public static class MetricNames
{
    /// <summary>Exact match (answerable items).</summary>
    public const string ExactMatch = "EM";
    /// <summary>Token F1 (answerable items).</summary>
    public const string F1 = "F1";
    /// <summary>ROUGE-L F (answerable items).</summary>
    public const string RougeL = "ROUGE-L";
    /// <summary>1 when a reference answer's normalised text is contained in the retrieved chunks.</summary>
    public const string AnswerInContext = "AnswerInContext";
    /// <summary>Document-level evidence recall at the evidence cutoff.</summary>
    public const string DocumentRecall = "DocRecall";
    /// <summary>Page-level evidence recall at the evidence cutoff.</summary>
    public const string PageRecall = "PageRecall";
    /// <summary>1 when the strategy abstained exactly when it should (all items).</summary>
    public const string AbstentionAccuracy = "AbstentionAccuracy";
    /// <summary>1 when the strategy abstained (answerable items: a wrong abstention).</summary>
    public const string AbstainRate = "AbstainRate";
    /// <summary>1 when the strategy abstained on an unanswerable item (unanswerable items only).</summary>
    public const string UnanswerableAbstained = "UnanswerableAbstained";
    /// <summary>Share of the answer's sentences the cited sources support.</summary>
    public const string Groundedness = "Groundedness";
    /// <summary>Share of citations verified against their source.</summary>
    public const string CitationPrecision = "CitationPrecision";
    /// <summary>Share of answer sentences with at least one verified citation.</summary>
    public const string CitationRecall = "CitationRecall";
    /// <summary>LLM judge's correctness score, 1–5.</summary>
    public const string Judge = "Judge";
    /// <summary>End-to-end latency in milliseconds (per item).</summary>
    public const string LatencyMs = "LatencyMs";
    /// <summary>Cost in US dollars (per item).</summary>
    public const string CostUsd = "CostUsd";

    /// <summary>Metrics in report order.</summary>
    public static IReadOnlyList<string> Ordered { get; } =
    [
        ExactMatch, F1, RougeL, Judge, AnswerInContext, DocumentRecall, PageRecall, Groundedness, CitationPrecision, CitationRecall,
        AbstentionAccuracy, AbstainRate, UnanswerableAbstained, LatencyMs, CostUsd,
    ];
}

/// <summary>Settings of an evaluation run.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Evaluate only the first N items (null: all).</summary>
    public int? Limit { get; init; }
    /// <summary>Retrieved passages counted for evidence recall.</summary>
    public int EvidenceCutoff { get; init; } = 10;
    /// <summary>Prices for cost.</summary>
    public PriceTable Prices { get; init; } = PriceTable.Empty;
    /// <summary>The LLM judge, or null for none.</summary>
    public AnswerJudge? Judge { get; init; }
    /// <summary>Dataset name or path for the report.</summary>
    public string Dataset { get; init; } = "";
    /// <summary>Size of the store in bytes, for the report.</summary>
    public long? IndexBytes { get; init; }
    /// <summary>Notes to carry into the report (e.g. skipped strategies).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Progress of a run: strategy, items done, items total.</summary>
/// <param name="Strategy">The strategy running.</param>
/// <param name="Done">Items done for it.</param>
/// <param name="Total">Items in all.</param>
public sealed record EvaluationProgress(string Strategy, int Done, int Total);

/// <summary>
/// Runs the same QA items through each strategy (sequentially, one strategy after another, so timings do not
/// interfere) and computes answer quality, evidence recall, abstention, groundedness, citation precision/recall,
/// latency, tokens and cost per item and per strategy, then the recommendation.
/// </summary>
public sealed partial class EvaluationRunner(EvaluationOptions? options = null)
{
    private readonly EvaluationOptions _options = options ?? new EvaluationOptions();

    /// <summary>Runs the evaluation.</summary>
    public async Task<EvaluationReport> RunAsync(IReadOnlyList<QaItem> items, IReadOnlyList<IAnswerStrategy> strategies,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(strategies);
        var selected = _options.Limit is int limit ? items.Take(limit).ToList() : items.ToList();
        var results = selected.Select(_ => new Dictionary<string, ItemResult>(StringComparer.Ordinal)).ToList();
        var summaries = new List<StrategySummary>();
        foreach (var strategy in strategies)
        {
            string? model = null;
            for (int i = 0; i < selected.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (result, usedModel) = await EvaluateItemAsync(selected[i], strategy, cancellationToken).ConfigureAwait(false);
                model ??= usedModel;
                results[i][strategy.Name] = result;
                progress?.Report(new EvaluationProgress(strategy.Name, i + 1, selected.Count));
            }
            summaries.Add(Summarise(strategy.Name, model, results.Select(r => r[strategy.Name]).ToList()));
        }

        var report = new EvaluationReport
        {
            Dataset = _options.Dataset,
            CreatedUtc = DateTimeOffset.UtcNow,
            IndexBytes = _options.IndexBytes,
            Notes = _options.Notes,
            Strategies = summaries,
            Items = selected.Select((item, i) => new ItemReport
            {
                Id = item.Id,
                Question = item.Question,
                References = item.Answers,
                Answerable = item.Answerable,
                SupportingDocuments = item.SupportingDocuments,
                Results = results[i],
            }).ToList(),
        };
        return report with { Recommendation = Recommender.Recommend(report) };
    }

    private async Task<(ItemResult Result, string? Model)> EvaluateItemAsync(QaItem item, IAnswerStrategy strategy, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        StrategyAnswer answer;
        string? error = null;
        try
        {
            answer = await strategy.AnswerAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = ex.Message.ReplaceLineEndings(" ");
            answer = new StrategyAnswer { Text = "" };
        }
        double total = clock.Elapsed.TotalMilliseconds;

        var metrics = Score(item, answer, _options.EvidenceCutoff);
        metrics[MetricNames.LatencyMs] = total;
        double? cost = _options.Prices.Cost(answer.Model, answer.PromptTokens, answer.CompletionTokens);
        metrics[MetricNames.CostUsd] = cost;

        JudgeVerdict? verdict = null;
        if (_options.Judge is not null && item.Answerable && item.Answers.Count > 0 && error is null)
        {
            verdict = await _options.Judge.JudgeAsync(item.Question, item.Answers.Select(ReferenceText).ToList(), answer.Text, cancellationToken).ConfigureAwait(false);
            metrics[MetricNames.Judge] = verdict.Score;
        }

        return (new ItemResult
        {
            Answer = answer.Text,
            Abstained = answer.Abstained,
            Sources = answer.Sources.Select(s => new SourceReference(s.Document, s.PageStart, s.PageEnd, Math.Round(s.Score, 6))).ToList(),
            Citations = answer.Citations.Count,
            VerifiedCitations = answer.Citations.Count(c => c.Verified == true),
            Metrics = metrics,
            StageMilliseconds = answer.StageMilliseconds,
            TotalMilliseconds = total,
            PromptTokens = answer.PromptTokens,
            CompletionTokens = answer.CompletionTokens,
            CostUsd = cost,
            Judge = verdict,
            Error = error,
        }, answer.Model);
    }

    /// <summary>The per-item quality metrics of one answer (no latency, cost or judge).</summary>
    internal static Dictionary<string, double?> Score(QaItem item, StrategyAnswer answer, int evidenceCutoff)
    {
        var m = new Dictionary<string, double?>(StringComparer.Ordinal);
        var references = item.Answers.Select(ReferenceText).Where(r => r.Length > 0).ToList();
        if (item.Answerable && references.Count > 0)
        {
            var prediction = answer.Abstained ? "" : ScoringText(answer.Text);
            m[MetricNames.ExactMatch] = AnswerMetrics.ExactMatch(prediction, references);
            m[MetricNames.F1] = AnswerMetrics.TokenF1(prediction, references);
            m[MetricNames.RougeL] = AnswerMetrics.RougeL(prediction, references);
            if (answer.Contexts.Count > 0)
            {
                var context = AnswerMetrics.Normalize(string.Join(" ", answer.Contexts.Take(evidenceCutoff)));
                m[MetricNames.AnswerInContext] = references.Any(r => AnswerMetrics.Normalize(r) is { Length: > 0 } n && context.Contains(n, StringComparison.Ordinal)) ? 1 : 0;
            }
            m[MetricNames.AbstainRate] = answer.Abstained ? 1 : 0;
        }
        else if (!item.Answerable)
        {
            m[MetricNames.UnanswerableAbstained] = answer.Abstained ? 1 : 0;
        }
        m[MetricNames.AbstentionAccuracy] = answer.Abstained == !item.Answerable ? 1 : 0;

        if (answer.Sources.Count > 0 || answer.Contexts.Count > 0)
        {
            var evidence = answer.Sources.Select(s => new RetrievedEvidence(s.Document, s.PageStart, s.PageEnd)).ToList();
            m[MetricNames.DocumentRecall] = EvidenceRecall.DocumentRecall(evidence, item.SupportingDocuments, evidenceCutoff);
            m[MetricNames.PageRecall] = EvidenceRecall.PageRecall(evidence, item.SupportingPages, evidenceCutoff);
        }

        if (!answer.Abstained)
        {
            m[MetricNames.Groundedness] = answer.Groundedness;
            if (answer.Citations.Count > 0)
                m[MetricNames.CitationPrecision] = (double)answer.Citations.Count(c => c.Verified == true) / answer.Citations.Count;
            if (answer.Sentences.Count > 0)
            {
                var verified = answer.Citations.Where(c => c.Verified == true).Select(c => c.Number).ToHashSet();
                m[MetricNames.CitationRecall] = (double)answer.Sentences.Count(s => s.CitationNumbers.Any(verified.Contains)) / answer.Sentences.Count;
            }
        }
        foreach (var key in m.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) m.Remove(key);
        return m;
    }

    /// <summary>Answer text for scoring: citation markers such as [1] or [2, 3] removed.</summary>
    public static string ScoringText(string answer) => CitationMarker().Replace(answer ?? "", " ").Trim();

    /// <summary>Reference text for scoring: a trailing <c>SOURCE(S): ...</c> line (Docugami) removed.</summary>
    public static string ReferenceText(string reference) => SourceLine().Replace(reference ?? "", "").Trim();

    private StrategySummary Summarise(string name, string? model, IReadOnlyList<ItemResult> results)
    {
        var metrics = new Dictionary<string, double?>(StringComparer.Ordinal);
        var errors = new Dictionary<string, double?>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var metric in MetricNames.Ordered)
        {
            var values = results.Select(r => r.Metrics.GetValueOrDefault(metric)).OfType<double>().ToList();
            counts[metric] = values.Count;
            metrics[metric] = values.Count == 0 ? null : Statistics.Mean(values);
            errors[metric] = values.Count == 0 ? null : Statistics.StandardError(values);
        }
        var latency = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        foreach (var stage in results.SelectMany(r => r.StageMilliseconds.Keys).Distinct(StringComparer.Ordinal))
            latency[stage] = Statistics.Latency(results.Where(r => r.StageMilliseconds.ContainsKey(stage)).Select(r => r.StageMilliseconds[stage]));
        latency["total"] = Statistics.Latency(results.Select(r => r.TotalMilliseconds));
        long prompt = results.Sum(r => (long)r.PromptTokens), completion = results.Sum(r => (long)r.CompletionTokens);
        return new StrategySummary
        {
            Name = name,
            Model = model,
            Items = results.Count,
            Errors = results.Count(r => r.Error is not null),
            Metrics = metrics,
            StandardErrors = errors,
            Counts = counts,
            Latency = latency,
            PromptTokens = prompt,
            CompletionTokens = completion,
            CostUsd = results.All(r => r.CostUsd is not null) ? results.Sum(r => r.CostUsd!.Value) : null,
            JudgeFailures = results.Count(r => r.Judge?.Failed == true),
        };
    }

    [GeneratedRegex(@"\[\d+(?:\s*[,;]\s*\d+)*\]", RegexOptions.CultureInvariant)]
    private static partial Regex CitationMarker();

    [GeneratedRegex(@"^\s*SOURCES?(?:\(S\))?\s*:.*$", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex SourceLine();
}
