namespace Groundwork.Text;

/// <summary>
/// Splits text into sentences as character ranges. A sentence ends at '.', '!', '?' or '…' followed by
/// whitespace and an upper-case letter, digit, quote or bracket, or at a line break; common abbreviations
/// ("e.g.", "Dr.", "U.S.") and decimals ("3.14") do not end sentences.
/// </summary>
public static class SentenceSegmenter
{
    private static readonly string[] Abbreviations =
    [
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "inc", "ltd", "co", "corp",
        "no", "fig", "vol", "approx", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
        "oct", "nov", "dec", "u.s", "u.k", "p", "pp", "al",
    ];

    /// <summary>Sentence ranges of <paramref name="text"/>, trimmed of surrounding whitespace, in order.</summary>
    public static List<Range> Split(ReadOnlySpan<char> text, bool lineBreaksEndSentences = true)
    {
        var result = new List<Range>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool end = false;
            int next = i + 1;
            if (c == '\n' && lineBreaksEndSentences) end = true;
            else if (c is '.' or '!' or '?' or '…')
            {
                while (next < text.Length && text[next] is '.' or '!' or '?' or '"' or '\'' or ')' or '”' or '’') next++;
                if (next >= text.Length) end = true;
                else if (char.IsWhiteSpace(text[next]))
                {
                    int k = next;
                    while (k < text.Length && text[k] is ' ' or '\t') k++;
                    end = k >= text.Length || text[k] == '\n' || char.IsUpper(text[k]) || char.IsDigit(text[k]) || text[k] is '"' or '“' or '(' or '[' or '\'' or '‘';
                    if (end && c == '.' && IsAbbreviation(text, start, i)) end = false;
                }
            }
            if (!end) continue;
            Add(text, start, next, result);
            start = next;
            i = next - 1;
        }
        Add(text, start, text.Length, result);
        return result;
    }

    private static bool IsAbbreviation(ReadOnlySpan<char> text, int sentenceStart, int dot)
    {
        int w = dot;
        while (w > sentenceStart && !char.IsWhiteSpace(text[w - 1]) && text[w - 1] != '(') w--;
        var word = text[w..dot];
        if (word.Length == 1 && char.IsUpper(word[0])) return true; // an initial: "J. Smith"
        foreach (var a in Abbreviations)
            if (word.Equals(a, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static void Add(ReadOnlySpan<char> text, int start, int end, List<Range> result)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) result.Add(new Range(start, end));
    }
}
