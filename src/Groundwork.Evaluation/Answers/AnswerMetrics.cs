using System.Text;
using System.Text.RegularExpressions;

namespace Groundwork.Evaluation.Answers;

/// <summary>
/// Answer-quality metrics over normalised tokens, as in the official SQuAD evaluation script: exact match and token
/// F1, each the maximum over the reference answers, plus ROUGE-L.
/// </summary>
public static partial class AnswerMetrics
{
    private const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>
    /// SQuAD normalisation: lower-case, remove ASCII punctuation (Python's <c>string.punctuation</c>), replace the
    /// words a/an/the with a space, and collapse whitespace to single spaces (trimmed).
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.ToLowerInvariant();
        var noPunctuation = new StringBuilder(lower.Length);
        foreach (var c in lower)
            if (!AsciiPunctuation.Contains(c, StringComparison.Ordinal)) noPunctuation.Append(c);
        var noArticles = Articles().Replace(noPunctuation.ToString(), " ");
        return string.Join(' ', Tokens(noArticles));
    }

    /// <summary>The normalised tokens of a text.</summary>
    public static IReadOnlyList<string> NormalizedTokens(string text) => Tokens(Normalize(text));

    /// <summary>1 if the normalised prediction equals any normalised reference, else 0.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> references) =>
        MaxOver(prediction, references, static (p, r) => Normalize(p) == Normalize(r) ? 1 : 0);

    /// <summary>
    /// SQuAD token F1: harmonic mean of precision and recall of the normalised tokens (as multisets), maximum over
    /// references. When either side has no tokens, 1 if both have none, else 0 (SQuAD 2.0).
    /// </summary>
    public static double TokenF1(string prediction, IReadOnlyList<string> references) =>
        MaxOver(prediction, references, static (p, r) => TokenF1(NormalizedTokens(p), NormalizedTokens(r)));

    /// <summary>
    /// ROUGE-L over normalised tokens: with LCS the longest common subsequence, R = LCS / |reference|,
    /// P = LCS / |prediction| and F = (1 + β²)·P·R / (R + β²·P); maximum over references. The default β = 1 gives
    /// the F1 that Google's <c>rouge-score</c> reports; pass 1.2 for the β of the MS MARCO / COCO evaluation.
    /// </summary>
    public static double RougeL(string prediction, IReadOnlyList<string> references, double beta = 1.0)
    {
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be positive");
        return MaxOver(prediction, references, (p, r) => RougeL(NormalizedTokens(p), NormalizedTokens(r), beta));
    }

    internal static double TokenF1(IReadOnlyList<string> prediction, IReadOnlyList<string> reference)
    {
        if (prediction.Count == 0 || reference.Count == 0) return prediction.Count == reference.Count ? 1 : 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in reference) counts[t] = counts.GetValueOrDefault(t) + 1;
        var common = 0;
        foreach (var t in prediction)
        {
            if (counts.TryGetValue(t, out var n) && n > 0)
            {
                counts[t] = n - 1;
                common++;
            }
        }
        if (common == 0) return 0;
        var precision = (double)common / prediction.Count;
        var recall = (double)common / reference.Count;
        return 2 * precision * recall / (precision + recall);
    }

    internal static double RougeL(IReadOnlyList<string> prediction, IReadOnlyList<string> reference, double beta)
    {
        if (prediction.Count == 0 || reference.Count == 0) return 0;
        var lcs = LongestCommonSubsequence(prediction, reference);
        if (lcs == 0) return 0;
        var precision = (double)lcs / prediction.Count;
        var recall = (double)lcs / reference.Count;
        var b2 = beta * beta;
        return (1 + b2) * precision * recall / (recall + b2 * precision);
    }

    internal static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        // One rolling row of the classic DP table: O(|a|·|b|) time, O(|b|) memory.
        var row = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            var diagonal = 0;
            for (var j = 1; j <= b.Count; j++)
            {
                var above = row[j];
                row[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? diagonal + 1 : Math.Max(above, row[j - 1]);
                diagonal = above;
            }
        }
        return row[b.Count];
    }

    private static double MaxOver(string prediction, IReadOnlyList<string> references, Func<string, string, double> score)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("at least one reference answer is needed", nameof(references));
        var best = 0.0;
        foreach (var reference in references) best = Math.Max(best, score(prediction, reference ?? ""));
        return best;
    }

    private static string[] Tokens(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"\b(a|an|the)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Articles();
}
