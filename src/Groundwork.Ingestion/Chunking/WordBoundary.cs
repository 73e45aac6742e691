using System.Globalization;

namespace Groundwork.Ingestion.Chunking;

/// <summary>Where text may be cut without cutting a word.</summary>
internal static class WordBoundary
{
    /// <summary>
    /// True when a cut before <paramref name="index"/> does not split a word: at either end of the text, or where the
    /// character on either side is not part of a word (whitespace, punctuation, symbol, CJK ideograph or kana, or an
    /// astral character). Never between the two halves of a surrogate pair.
    /// </summary>
    public static bool IsAt(ReadOnlySpan<char> text, int index)
    {
        if (index <= 0 || index >= text.Length) return true;
        char before = text[index - 1], after = text[index];
        if (char.IsHighSurrogate(before) && char.IsLowSurrogate(after)) return false;
        return !IsWordChar(before) || !IsWordChar(after);
    }

    /// <summary>Letters, digits and combining marks, except scripts written without spaces (CJK, kana).</summary>
    public static bool IsWordChar(char c)
    {
        if (c < 128) return (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9;
        if (IsCjk(c)) return false;
        if (char.IsLetterOrDigit(c)) return true;
        var cat = char.GetUnicodeCategory(c);
        return cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
    }

    /// <summary>CJK ideographs, kana and CJK punctuation: scripts where each character may start a "word".</summary>
    public static bool IsCjk(char c)
        => c is >= '\u2E80' and <= '\u9FFF' or >= '\uF900' and <= '\uFAFF' or >= '\uFF66' and <= '\uFF9F';
}
