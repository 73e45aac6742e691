namespace Groundwork.Evaluation.Answers;

/// <summary>How well a system abstains: on unanswerable questions it should, on answerable ones it should not.</summary>
/// <param name="Total">Questions counted.</param>
/// <param name="Unanswerable">Questions whose right behaviour is to abstain.</param>
/// <param name="CorrectAbstentions">Unanswerable questions where the system abstained.</param>
/// <param name="WrongAbstentions">Answerable questions where the system abstained.</param>
/// <param name="Answered">Answerable questions where the system answered (right or wrong: judge the answer separately).</param>
public sealed record AbstentionReport(int Total, int Unanswerable, int CorrectAbstentions, int WrongAbstentions, int Answered)
{
    /// <summary>(correct abstentions + answered answerable questions) / total; 0 when empty.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)(CorrectAbstentions + Answered) / Total;

    /// <summary>Of the abstentions, the fraction on unanswerable questions; null when the system never abstained.</summary>
    public double? AbstentionPrecision => CorrectAbstentions + WrongAbstentions == 0 ? null : (double)CorrectAbstentions / (CorrectAbstentions + WrongAbstentions);

    /// <summary>Of the unanswerable questions, the fraction abstained on; null when there are none.</summary>
    public double? AbstentionRecall => Unanswerable == 0 ? null : (double)CorrectAbstentions / Unanswerable;
}

/// <summary>Computes <see cref="AbstentionReport"/>s.</summary>
public static class AbstentionMetrics
{
    /// <summary>Counts outcomes: whether each question was answerable and whether the system abstained.</summary>
    public static AbstentionReport Compute(IEnumerable<(bool Answerable, bool Abstained)> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        int total = 0, unanswerable = 0, correct = 0, wrong = 0, answered = 0;
        foreach (var (answerable, abstained) in outcomes)
        {
            total++;
            if (!answerable) unanswerable++;
            if (!answerable && abstained) correct++;
            else if (answerable && abstained) wrong++;
            else if (answerable) answered++;
        }
        return new AbstentionReport(total, unanswerable, correct, wrong, answered);
    }
}
