using System.Text;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>
/// Keeps the first of each group of equal or nearly equal questions: equal after normalisation (case, punctuation,
/// articles, whitespace; as SQuAD-style answer metrics normalise), or with a token-set Jaccard similarity of at least the threshold.
/// </summary>
public sealed class QuestionDeduplicator(double nearDuplicateJaccard = 0.8)
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<HashSet<string>> _kept = [];

    /// <summary>Duplicates rejected so far.</summary>
    public int Duplicates { get; private set; }

    /// <summary>Adds <paramref name="question"/> if it is new; false (and counted) when it duplicates a kept one.</summary>
    public bool TryAdd(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var normalized = Normalize(question);
        var tokens = new HashSet<string>(normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        if (!_exact.Add(normalized) || _kept.Any(k => Jaccard(k, tokens) >= nearDuplicateJaccard))
        {
            Duplicates++;
            return false;
        }
        _kept.Add(tokens);
        return true;
    }

    /// <summary>Lower case, punctuation removed, the articles a/an/the dropped, single spaces.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant()) sb.Append(char.IsPunctuation(c) || char.IsSymbol(c) ? ' ' : c);
        return string.Join(' ', sb.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Where(w => w is not ("a" or "an" or "the")));
    }

    /// <summary>|a ∩ b| / |a ∪ b| (1 when both are empty).</summary>
    public static double Jaccard(IReadOnlySet<string> a, IReadOnlySet<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0 && b.Count == 0) return 1;
        int common = a.Count(b.Contains);
        return (double)common / (a.Count + b.Count - common);
    }
}
