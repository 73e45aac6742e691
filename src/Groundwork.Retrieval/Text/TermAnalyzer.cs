using System.Globalization;
using Groundwork.Text;

namespace Groundwork.Retrieval.Text;

/// <summary>
/// Turns text into comparable terms for lexical scoring outside the index: runs of letters and digits
/// (as FTS5's unicode61 tokenizer splits them), lower-cased, stopwords dropped, English plurals and
/// common suffixes folded so "policies" meets "policy".
/// </summary>
public static class TermAnalyzer
{
    /// <summary>The terms of <paramref name="text"/> in order (duplicates kept).</summary>
    public static List<string> Terms(ReadOnlySpan<char> text, bool dropStopwords = true)
    {
        var terms = new List<string>();
        int i = 0;
        Span<char> buffer = stackalloc char[64];
        while (i < text.Length)
        {
            if (!char.IsLetterOrDigit(text[i])) { i++; continue; }
            int start = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
            var word = text[start..i];
            if (word.Length > buffer.Length) { terms.Add(Stem(word.ToString().ToLowerInvariant())); continue; }
            int n = word.ToLowerInvariant(buffer);
            var lower = buffer[..n];
            if (dropStopwords && EnglishStopwords.Contains(lower)) continue;
            terms.Add(Stem(lower.ToString()));
        }
        return terms;
    }

    /// <summary>A light English stemmer: folds plurals and -ing/-ed/-ly endings, leaves short words and numbers alone.</summary>
    public static string Stem(string w)
    {
        if (w.Length <= 3 || char.IsDigit(w[^1])) return w;
        if (w.EndsWith("ies", StringComparison.Ordinal) && w.Length > 4) return w[..^3] + "y";
        if (w.EndsWith("sses", StringComparison.Ordinal)) return w[..^2];
        if (w.EndsWith("ss", StringComparison.Ordinal) || w.EndsWith("us", StringComparison.Ordinal) || w.EndsWith("is", StringComparison.Ordinal)) return w;
        if (w.EndsWith("ing", StringComparison.Ordinal) && w.Length > 5) return Undouble(w[..^3]);
        if (w.EndsWith("ed", StringComparison.Ordinal) && w.Length > 4) return Undouble(w[..^2]);
        if (w.EndsWith("ly", StringComparison.Ordinal) && w.Length > 4) return w[..^2];
        if (w.EndsWith("es", StringComparison.Ordinal) && w.Length > 4 && (w[^3] is 's' or 'x' or 'z' || w.EndsWith("ches", StringComparison.Ordinal) || w.EndsWith("shes", StringComparison.Ordinal))) return w[..^2];
        if (w[^1] == 's') return w[..^1];
        if (w[^1] == 'e' && w.Length > 4) return w[..^1];
        return w;
    }

    private static string Undouble(string w)
        => w.Length > 3 && w[^1] == w[^2] && !"aeiouls".Contains(w[^1], StringComparison.Ordinal) ? w[..^1]
         : w.Length > 3 && w[^1] == 'e' ? w[..^1] : w;

    /// <summary>Culture-invariant lower-casing for display-free comparisons.</summary>
    public static string Normalize(string s) => s.ToLower(CultureInfo.InvariantCulture);
}
