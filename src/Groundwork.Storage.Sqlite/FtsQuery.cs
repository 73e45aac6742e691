using System.Globalization;
using System.Text;
using Groundwork.Text;

namespace Groundwork.Storage.Sqlite;

/// <summary>
/// Turns free user text into an FTS5 MATCH expression that can never be a syntax error: runs of letters and digits
/// (as unicode61 tokenizes) become quoted terms joined with OR. FTS5's implicit AND finds almost nothing for
/// natural-language questions, and raw text trips over punctuation, <c>word:</c> and bare AND/OR/NOT.
/// </summary>
internal static class FtsQuery
{
    /// <summary>More distinct terms than this are dropped (keeps pasted pages from building huge expressions).</summary>
    internal const int MaxTerms = 256;

    /// <summary>Splits text into terms: maximal runs of letters, digits, combining marks and private-use characters.</summary>
    internal static List<string> Terms(string text)
    {
        var terms = new List<string>();
        var current = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsTokenRune(rune))
            {
                current.Append(rune.ToString());
            }
            else if (current.Length > 0)
            {
                terms.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0) terms.Add(current.ToString());
        return terms;
    }

    /// <summary>
    /// The MATCH expression for <paramref name="query"/>, or null when it holds no searchable term.
    /// Terms are lower-cased, de-duplicated, stopwords (<see cref="EnglishStopwords"/>) dropped unless nothing else is left, quoted and OR-ed.
    /// </summary>
    internal static string? Build(string? query)
    {
        if (string.IsNullOrWhiteSpace(query)) return null;
        var all = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in Terms(query))
        {
            var lower = term.ToLowerInvariant();
            if (seen.Add(lower)) all.Add(lower);
        }
        if (all.Count == 0) return null;

        var kept = all.Where(t => !EnglishStopwords.Contains(t)).ToList();
        if (kept.Count == 0) kept = all;
        if (kept.Count > MaxTerms) kept.RemoveRange(MaxTerms, kept.Count - MaxTerms);

        var sb = new StringBuilder();
        foreach (var term in kept)
        {
            if (sb.Length > 0) sb.Append(" OR ");
            sb.Append('"').Append(term.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        return sb.ToString();
    }

    private static bool IsTokenRune(Rune rune)
    {
        if (Rune.IsLetterOrDigit(rune)) return true;
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.EnclosingMark or UnicodeCategory.PrivateUse or UnicodeCategory.LetterNumber
            or UnicodeCategory.OtherNumber;
    }
}
