using System.Globalization;
using System.Text;
using Groundwork.Models.Gguf;

namespace Groundwork.Models.Tokenizers;

/// <summary>
/// WordPiece (BERT) as llama.cpp's llm_tokenizer_wpm. Text is split on whitespace, accents are stripped (each code point
/// maps to the first code point of its canonical decomposition), control characters dropped, letters lower-cased, and
/// punctuation, ASCII symbols and CJK ideographs become words of their own. Each word, prefixed with "▁" as the GGUF
/// vocabulary spells word starts, is cut greedily into the longest vocabulary matches; a word with an unmatched
/// remainder becomes the unknown token.
/// </summary>
internal sealed class WordPieceTokenizer : LlmTokenizer
{
    private const char Space = '\u2581';

    public WordPieceTokenizer(GgufFile file) : this(file, new Vocabulary(file)) { }

    private WordPieceTokenizer(GgufFile file, Vocabulary vocab)
        : base(file, vocab, new VocabDefaults(Bos: 101, Eos: -1, Unknown: 100, Separator: 102, AddBos: true, AddEos: false, AddSpacePrefix: false, CleanSpaces: true))
    {
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, bool prevSpecial, List<int> output)
    {
        var word = new StringBuilder();
        word.Append(Space);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                Flush(word, output);
                continue;
            }
            var r = StripAccent(rune);
            if (r.Value is 0 or 0xFFFD || IsControl(r)) continue;
            var lower = Rune.ToLowerInvariant(r);
            var cat = Rune.GetUnicodeCategory(r);
            bool alone = IsPunctuation(cat) || (r.Value < 0x7F && IsSymbol(cat)) || IsChinese(r.Value);
            if (alone)
            {
                Flush(word, output);
                AppendRune(word, lower);
                Flush(word, output);
            }
            else
            {
                AppendRune(word, lower);
            }
        }
        Flush(word, output);
    }

    /// <summary>Greedy longest-match of one word (held as "▁word"); leaves the builder holding just "▁".</summary>
    private void Flush(StringBuilder word, List<int> output)
    {
        if (word.Length <= 1) return;
        var w = word.ToString().AsSpan();
        int before = output.Count;
        for (int i = 0; i < w.Length;)
        {
            bool matched = false;
            for (int j = Math.Min(w.Length, i + Vocab.MaxTokenLength + 1); j > i; j--)
            {
                if (Vocab.TryGetId(w[i..j], out int id))
                {
                    output.Add(id);
                    i = j;
                    matched = true;
                    break;
                }
            }
            if (!matched)
            {
                output.RemoveRange(before, output.Count - before);
                break;
            }
        }
        if (output.Count == before && UnknownId >= 0) output.Add(UnknownId);
        word.Clear();
        word.Append(Space);
    }

    private static void AppendRune(StringBuilder sb, Rune r)
    {
        Span<char> buf = stackalloc char[2];
        sb.Append(buf[..r.EncodeToUtf16(buf)]);
    }

    private static Rune StripAccent(Rune r)
    {
        if (r.Value < 0xC0) return r;
        Span<char> buf = stackalloc char[2];
        var s = new string(buf[..r.EncodeToUtf16(buf)]);
        var d = s.Normalize(NormalizationForm.FormD);
        return Rune.GetRuneAt(d, 0);
    }

    private static bool IsControl(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;

    private static bool IsPunctuation(UnicodeCategory c) => c is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
        or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsSymbol(UnicodeCategory c) => c is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol
        or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    private static bool IsChinese(int c) =>
        c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private protected override byte[] NormalPiece(int id) => Encoding.UTF8.GetBytes(Vocab.Texts[id].Replace(Space, ' '));
}
