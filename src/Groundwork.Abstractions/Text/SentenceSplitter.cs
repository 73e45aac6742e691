namespace Groundwork.Text;

/// <summary>
/// A small rule-based sentence segmenter. A sentence ends after '.', '!', '?' or '…' (and any closing quotes or
/// brackets) when whitespace follows and the next sentence starts with an uppercase or uncased letter, a digit or an
/// opening quote/bracket; after '。', '！' or '？' a sentence always ends. A single '.' after a known abbreviation
/// ("e.g.", "Mr.", "Inc.", "U.S."), a single initial ("J.") or inside a number ("3.14") does not end a sentence.
/// </summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "rev", "gen", "gov", "sen", "rep", "lt", "col", "capt",
        "e.g", "i.e", "cf", "vs", "viz", "al", "approx", "ca", "resp", "ref", "refs",
        "inc", "ltd", "co", "corp", "llc", "plc", "dept", "est", "univ", "assn", "bros",
        "u.s", "u.k", "u.n", "e.u", "u.s.a", "a.m", "p.m", "ph.d", "b.a", "m.a", "b.sc", "m.sc",
        "no", "nos", "fig", "figs", "eq", "eqs", "vol", "vols", "p", "pp", "ch", "sec", "art", "ed", "eds", "op",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> AbbreviationLookup =
        Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Like <see cref="Split"/>, but a line break also ends a sentence: for text whose lines are units of their own
    /// (headings, list items, table rows) rather than wrapped prose.
    /// </summary>
    public static List<(int Start, int End)> SplitLines(ReadOnlySpan<char> text)
    {
        var result = new List<(int Start, int End)>();
        int lineStart = 0;
        while (lineStart <= text.Length)
        {
            int nl = text[lineStart..].IndexOf('\n');
            int lineEnd = nl < 0 ? text.Length : lineStart + nl;
            foreach (var (s, e) in Split(text[lineStart..lineEnd])) result.Add((lineStart + s, lineStart + e));
            if (nl < 0) break;
            lineStart = lineEnd + 1;
        }
        return result;
    }

    /// <summary>The sentences of <paramref name="text"/> as trimmed (start, end) ranges.</summary>
    public static List<(int Start, int End)> Split(ReadOnlySpan<char> text)
    {
        var result = new List<(int, int)>();
        int pos = 0;
        while (true)
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
            if (pos >= text.Length) return result;
            int end = NextSentenceEnd(text, pos, text.Length);
            int trimmed = end;
            while (trimmed > pos && char.IsWhiteSpace(text[trimmed - 1])) trimmed--;
            result.Add((pos, trimmed));
            pos = end;
        }
    }

    /// <summary>
    /// The end (exclusive, before any whitespace) of the sentence that starts at <paramref name="start"/>, searching
    /// no further than <paramref name="limit"/>; <paramref name="limit"/> when no sentence boundary is found.
    /// Always greater than <paramref name="start"/> when <paramref name="start"/> &lt; <paramref name="limit"/>.
    /// </summary>
    public static int NextSentenceEnd(ReadOnlySpan<char> text, int start, int limit)
    {
        for (int i = start; i < limit; i++)
        {
            if (!IsTerminator(text[i])) continue;
            int end = BoundaryAfter(text, start, i, limit);
            if (end > 0) return end;
            // Skip the rest of a terminator run ("...") so it is judged once.
            while (i + 1 < limit && IsTerminator(text[i + 1])) i++;
        }
        return limit;
    }

    /// <summary>
    /// True when <paramref name="index"/> (a non-whitespace position) starts a sentence: a sentence boundary lies in
    /// the whitespace just before it. <paramref name="lowerBound"/> is where the search for the previous sentence may begin.
    /// </summary>
    public static bool IsSentenceStart(ReadOnlySpan<char> text, int index, int lowerBound)
    {
        if (index <= lowerBound) return true;
        int e = index;
        while (e > lowerBound && char.IsWhiteSpace(text[e - 1])) e--;
        if (e == lowerBound) return true;
        int j = e;
        while (j > lowerBound && IsCloser(text[j - 1])) j--;
        int t = j;
        while (t > lowerBound && IsTerminator(text[t - 1])) t--;
        if (t == j) return false;
        return BoundaryAfter(text, lowerBound, t, text.Length) == e;
    }

    // The terminator run starts at i. Returns the sentence end (after terminators and closers) when this is a
    // boundary, otherwise -1.
    private static int BoundaryAfter(ReadOnlySpan<char> text, int sentenceStart, int i, int limit)
    {
        int j = i;
        bool cjk = false;
        while (j < limit && IsTerminator(text[j])) { cjk |= text[j] is '。' or '！' or '？'; j++; }
        while (j < limit && IsCloser(text[j])) j++;
        if (cjk) return j;
        if (j >= limit || !char.IsWhiteSpace(text[j])) return -1;
        int k = j;
        while (k < limit && char.IsWhiteSpace(text[k])) k++;
        if (k >= limit) return -1;
        char next = text[k];
        bool startsSentence = char.IsUpper(next) || char.IsDigit(next) || IsOpener(next) || char.IsSurrogate(next)
            || (char.IsLetter(next) && !char.IsLower(next));
        if (!startsSentence) return -1;
        // A single '.' after an abbreviation or an initial does not end the sentence.
        if (text[i] == '.' && (i + 1 >= limit || text[i + 1] != '.'))
        {
            int w = i;
            while (w > sentenceStart && !char.IsWhiteSpace(text[w - 1]) && !IsOpener(text[w - 1])) w--;
            var word = text[w..i];
            if (word.Length == 1 && char.IsLetter(word[0])) return -1;
            if (word.Length > 0 && word.Length <= 6 && AbbreviationLookup.Contains(word)) return -1;
        }
        return j;
    }

    private static bool IsTerminator(char c) => c is '.' or '!' or '?' or '…' or '。' or '！' or '？';

    private static bool IsCloser(char c) => c is '"' or '\'' or '”' or '’' or ')' or ']' or '»' or '」' or '』';

    private static bool IsOpener(char c) => c is '"' or '\'' or '“' or '‘' or '(' or '[' or '«' or '「' or '『';
}
