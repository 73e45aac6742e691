using System.Globalization;
using System.Numerics;
using System.Text;

namespace Groundwork.Ingestion.Tests.Extraction;

/// <summary>Text-comparison scores for extraction accuracy (shared with tools/extraction-scores).</summary>
internal static class TextSimilarity
{
    /// <summary>Word tokens: lower-cased runs of letters and digits; each CJK/kana character is its own token.</summary>
    public static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                if (IsIdeographic(c))
                {
                    if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
                    tokens.Add(c.ToString());
                }
                else sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    private static bool IsIdeographic(char c) => c >= '\u2E80' && (c <= '\u9FFF' || (c >= '\uF900' && c <= '\uFAFF') || (c >= '\uFF66' && c <= '\uFF9F'));

    /// <summary>Precision, recall and F1 of the word multisets of <paramref name="actual"/> against <paramref name="expected"/>.</summary>
    public static (double Precision, double Recall, double F1) TokenF1(string actual, string expected)
    {
        var a = Tokens(actual);
        var e = Tokens(expected);
        if (a.Count == 0 && e.Count == 0) return (1, 1, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in e) counts[t] = counts.GetValueOrDefault(t) + 1;
        int common = 0;
        foreach (var t in a)
        {
            if (counts.TryGetValue(t, out var n) && n > 0) { common++; counts[t] = n - 1; }
        }
        double p = a.Count == 0 ? 0 : (double)common / a.Count;
        double r = e.Count == 0 ? 0 : (double)common / e.Count;
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r));
    }

    /// <summary>F1 of the character multisets: how many letters agree regardless of order.</summary>
    public static double CharMultisetF1(string actual, string expected)
    {
        if (actual.Length + expected.Length == 0) return 1;
        var counts = new Dictionary<char, int>();
        foreach (var c in expected) counts[c] = counts.GetValueOrDefault(c) + 1;
        int common = 0;
        foreach (var c in actual)
            if (counts.TryGetValue(c, out var n) && n > 0) { common++; counts[c] = n - 1; }
        return 2.0 * common / (actual.Length + expected.Length);
    }

    /// <summary>The string without whitespace, NFKC-normalised (ligatures such as "ﬁ" become "fi").</summary>
    public static string NonSpace(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormKC))
            if (!char.IsWhiteSpace(c) && c != '\u00AD' && !char.IsControl(c)) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>2·LCS / (|a| + |b|): 1 for equal strings, order-sensitive (bit-parallel LCS, O(|a|·|b|/64)).</summary>
    public static double LcsRatio(string a, string b)
    {
        if (a.Length + b.Length == 0) return 1;
        return 2.0 * Lcs(a, b) / (a.Length + b.Length);
    }

    /// <summary>Length of the longest common subsequence (Allison–Dix bit-vector algorithm).</summary>
    public static int Lcs(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        int words = (a.Length + 63) / 64;
        var masks = new Dictionary<char, ulong[]>();
        for (int i = 0; i < a.Length; i++)
        {
            if (!masks.TryGetValue(a[i], out var m)) masks[a[i]] = m = new ulong[words];
            m[i >> 6] |= 1UL << (i & 63);
        }
        var v = new ulong[words];
        Array.Fill(v, ulong.MaxValue);
        var zero = new ulong[words];
        foreach (var c in b)
        {
            var m = masks.GetValueOrDefault(c) ?? zero;
            ulong carry = 0;
            for (int w = 0; w < words; w++)
            {
                ulong u = v[w] & m[w];
                ulong sum = v[w] + u;
                ulong c1 = sum < v[w] ? 1UL : 0UL;
                ulong sum2 = sum + carry;
                ulong c2 = sum2 < sum ? 1UL : 0UL;
                v[w] = sum2 | (v[w] & ~m[w]);
                carry = c1 | c2;
            }
        }
        int ones = 0;
        for (int w = 0; w < words; w++)
        {
            ulong word = v[w];
            if (w == words - 1 && (a.Length & 63) != 0) word &= (1UL << (a.Length & 63)) - 1;
            ones += BitOperations.PopCount(word);
        }
        return a.Length - ones;
    }

    /// <summary>Formats a score with two decimals, invariant culture.</summary>
    public static string F(double x) => x.ToString("0.00", CultureInfo.InvariantCulture);
}
