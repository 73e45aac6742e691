using System.Text;
using System.Text.RegularExpressions;
using Groundwork.Answers;
using Groundwork.Retrieval.Text;
using Groundwork.Text;

namespace Groundwork.Answering.Generation;

/// <summary>A model reply split into cited sentences and the quotes it gave.</summary>
/// <param name="Sentences">Answer sentences with their [n] numbers (markers removed from the text).</param>
/// <param name="Quotes">Verbatim quotes by source number, from the "Quotes:" block.</param>
public sealed record ParsedReply(IReadOnlyList<(string Text, IReadOnlyList<int> Numbers)> Sentences, IReadOnlyDictionary<int, string> Quotes);

/// <summary>
/// Parses citations out of a model's reply and checks each against the cited source: a quote must occur in the
/// source (whitespace, case and quote-mark differences forgiven); without a quote, the sentence's content words must
/// mostly occur in it. Every citation gets exact document offsets of its evidence.
/// </summary>
public static partial class CitationVerifier
{
    [GeneratedRegex(@"\[(\d+(?:\s*[,;]\s*\d+)*)\]")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*[-*]?\s*\[(\d+)\]\s*[:\-–]?\s*[""“'‘](.+?)[""”'’]\s*$")]
    private static partial Regex QuoteLine();

    [GeneratedRegex(@"^\s*\**quotes?\**\s*:?\s*\**\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex QuotesHeader();

    /// <summary>Every number inside the reply's [n], [n, m] or [n; m] markers, in order (the quotes block included).</summary>
    public static IReadOnlyList<int> MarkerNumbers(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var numbers = new List<int>();
        foreach (Match m in Marker().Matches(reply))
            foreach (var part in m.Groups[1].Value.Split([',', ';'], StringSplitOptions.TrimEntries))
                numbers.Add(int.Parse(part, System.Globalization.CultureInfo.InvariantCulture));
        return numbers;
    }

    /// <summary>Rewrites the numbers inside the reply's markers through <paramref name="map"/> (spacing and separators kept).</summary>
    public static string RenumberMarkers(string reply, Func<int, int> map)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(map);
        return Marker().Replace(reply, m => Digits().Replace(m.Value,
            d => map(int.Parse(d.ValueSpan, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Whether the reply has a "Quotes:" block header line.</summary>
    public static bool HasQuotesBlock(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        foreach (var line in reply.Split('\n'))
            if (QuotesHeader().IsMatch(line)) return true;
        return false;
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    /// <summary>Splits the reply into sentences with citation numbers, and the quotes block.</summary>
    public static ParsedReply Parse(string reply)
    {
        var quotes = new Dictionary<int, string>();
        var body = new StringBuilder();
        bool inQuotes = false;
        foreach (var line in reply.ReplaceLineEndings("\n").Split('\n'))
        {
            if (QuotesHeader().IsMatch(line)) { inQuotes = true; continue; }
            var q = QuoteLine().Match(line);
            if (q.Success && (inQuotes || line.TrimStart().StartsWith('[')) && int.TryParse(q.Groups[1].ValueSpan, out int n))
            {
                quotes.TryAdd(n, q.Groups[2].Value.Trim());
                continue;
            }
            if (!inQuotes) body.AppendLine(line);
        }

        var text = body.ToString();
        var sentences = new List<(string, IReadOnlyList<int>)>();
        foreach (var (start, end) in SentenceSplitter.SplitLines(text))
        {
            var sentence = text[start..end];
            // Markers opening a sentence ("... weeks. [2] Vacation ...") belong to the sentence before.
            var leading = LeadingMarkers().Match(sentence);
            if (leading.Success && sentences.Count > 0)
            {
                var moved = Numbers(leading.Value);
                var (prevText, prevNumbers) = sentences[^1];
                sentences[^1] = (prevText, prevNumbers.Concat(moved).Distinct().ToArray());
                sentence = sentence[leading.Length..];
            }
            var numbers = Numbers(sentence);
            var clean = Marker().Replace(sentence, "").Trim();
            clean = Regex.Replace(clean, @"\s+([.,;:!?])", "$1");
            // A marker standing alone after the sentence's full stop ("... leave. [2]") belongs to the previous sentence.
            if (clean.Length == 0 || clean.All(c => !char.IsLetterOrDigit(c)))
            {
                if (sentences.Count > 0 && numbers.Count > 0)
                {
                    var (prevText, prevNumbers) = sentences[^1];
                    sentences[^1] = (prevText, prevNumbers.Concat(numbers).Distinct().ToArray());
                }
                continue;
            }
            sentences.Add((clean, numbers));
        }
        return new ParsedReply(sentences, quotes);
    }

    private static List<int> Numbers(string text)
    {
        var numbers = new List<int>();
        foreach (Match m in Marker().Matches(text))
            foreach (var part in m.Groups[1].Value.Split([',', ';'], StringSplitOptions.TrimEntries))
                if (int.TryParse(part, out int n) && !numbers.Contains(n)) numbers.Add(n);
        return numbers;
    }

    [GeneratedRegex(@"^(\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")]
    private static partial Regex LeadingMarkers();

    /// <summary>
    /// Builds a verified citation for source <paramref name="source"/> supporting <paramref name="sentence"/>,
    /// using the model's quote when it gave one.
    /// </summary>
    public static Citation Verify(ContextSource source, string sentence, string? quote, double supportThreshold)
    {
        if (quote is not null && FindNormalized(source.Text, quote) is (int qs, int qe))
            return Make(source, qs, qe, verified: true, problem: null);

        var (bestStart, bestEnd, support) = BestSupportingSentence(source.Text, sentence);
        if (quote is not null)
            return Make(source, bestStart, bestEnd, verified: false, problem: $"quote not found in source {source.Number}: \"{Shorten(quote)}\"");
        return support >= supportThreshold
            ? Make(source, bestStart, bestEnd, verified: true, problem: null)
            : Make(source, bestStart, bestEnd, verified: false, problem: $"source {source.Number} does not contain the cited statement (support {support:0.00})");
    }

    /// <summary>Share of the sentence's content terms found in <paramref name="evidence"/> (0–1; 1 for a sentence without content terms).</summary>
    public static double LexicalSupport(string sentence, string evidence)
    {
        var terms = TermAnalyzer.Terms(sentence).Distinct(StringComparer.Ordinal).ToArray();
        if (terms.Length == 0) return 1;
        var have = TermAnalyzer.Terms(evidence).ToHashSet(StringComparer.Ordinal);
        return terms.Count(have.Contains) / (double)terms.Length;
    }

    private static (int Start, int End, double Support) BestSupportingSentence(string text, string sentence)
    {
        (int, int, double) best = (0, Math.Min(text.Length, 200), 0);
        foreach (var (s, e) in SentenceSplitter.SplitLines(text))
        {
            double support = LexicalSupport(sentence, text[s..e]);
            if (support > best.Item3) best = (s, e, support);
        }
        // The sentence may draw on several sentences of the source: the whole source is the fallback evidence.
        double whole = LexicalSupport(sentence, text);
        return whole > best.Item3 + 0.2 ? (0, text.Length, whole) : best;
    }

    private static Citation Make(ContextSource source, int start, int end, bool verified, string? problem) => new()
    {
        Number = source.Number,
        DocumentId = source.DocumentId,
        SourcePath = source.SourcePath,
        Title = source.Title,
        ChunkId = source.ChunkIds[0],
        SectionPath = source.SectionPath,
        PageStart = source.PageStart,
        PageEnd = source.PageEnd,
        StartOffset = source.StartOffset + start,
        EndOffset = source.StartOffset + end,
        Quote = source.Text[start..end],
        Verified = verified,
        Problem = problem,
    };

    /// <summary>Finds <paramref name="needle"/> in <paramref name="haystack"/> ignoring case, whitespace runs and quote styles; returns the original range.</summary>
    public static (int Start, int End)? FindNormalized(string haystack, string needle)
    {
        var (h, map) = Normalize(haystack);
        var (n, _) = Normalize(needle);
        n = n.Trim(' ', '.', '…');
        if (n.Length < 3) return null;
        int at = h.IndexOf(n, StringComparison.Ordinal);
        if (at < 0) return null;
        return (map[at], map[at + n.Length - 1] + 1);
    }

    private static (string Text, int[] Map) Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        var map = new List<int>(s.Length);
        bool space = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); map.Add(i); space = false; }
            c = c switch { '“' or '”' or '„' => '"', '‘' or '’' => '\'', '–' or '—' => '-', _ => char.ToLowerInvariant(c) };
            sb.Append(c);
            map.Add(i);
        }
        return (sb.ToString(), map.ToArray());
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
