using System.Diagnostics;
using Groundwork.Evaluation.Answers;
using Groundwork.Evaluation.Datasets;

namespace Groundwork.Evaluation.Comparison;

/// <summary>
/// Update cost of RAG: seconds from a changed document to a correct answer (re-ingest the changed file, then
/// answer a probe question whose reference reflects the change), to be set against a fine-tuning run's duration.
/// </summary>
public static class UpdateCost
{
    /// <summary>Measures re-ingest + answer.</summary>
    /// <param name="reingest">Re-ingests the changed file (e.g. <c>ct => ingestor.IngestAsync([path], null, null, ct)</c>).</param>
    /// <param name="strategy">The RAG (or extractive) strategy to answer with.</param>
    /// <param name="probe">A question whose reference answer is only true after the change.</param>
    /// <param name="fineTuneSeconds">Duration of a fine-tuning run on the changed data, to report alongside.</param>
    /// <param name="minF1">Token F1 at or above which the answer counts as correct.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    public static async Task<Reports.UpdateCostReport> MeasureAsync(Func<CancellationToken, Task> reingest, IAnswerStrategy strategy, QaItem probe,
        double? fineTuneSeconds = null, double minF1 = 0.5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reingest);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(probe);
        var clock = Stopwatch.StartNew();
        await reingest(cancellationToken).ConfigureAwait(false);
        var answer = await strategy.AnswerAsync(probe, cancellationToken).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        bool correct = !answer.Abstained && IsCorrect(answer.Text, probe.Answers, minF1);
        return new Reports.UpdateCostReport(seconds, correct, fineTuneSeconds);
    }

    /// <summary>Correct: a reference's normalised text is contained in the answer, or token F1 reaches <paramref name="minF1"/>.</summary>
    public static bool IsCorrect(string answer, IReadOnlyList<string> references, double minF1 = 0.5)
    {
        ArgumentNullException.ThrowIfNull(references);
        var references2 = references.Select(EvaluationRunner.ReferenceText).Where(r => r.Length > 0).ToList();
        if (references2.Count == 0) return false;
        var text = EvaluationRunner.ScoringText(answer);
        var normalized = AnswerMetrics.Normalize(text);
        return references2.Any(r => AnswerMetrics.Normalize(r) is { Length: > 0 } n && normalized.Contains(n, StringComparison.Ordinal))
            || AnswerMetrics.TokenF1(text, references2) >= minF1;
    }
}
