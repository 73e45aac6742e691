using Groundwork.Text;

namespace Groundwork.Ingestion.Tokenization;

/// <summary>
/// A model-free tokenizer ("default-v1") that approximates the token counts of the subword (BPE/SentencePiece)
/// tokenizers of modern language models without a vocabulary. Chunking and context budgets use it when no model
/// tokenizer is configured.
/// </summary>
/// <remarks>
/// <para>Text is cut into pieces the way GPT-style pre-tokenizers do, and each piece is priced:</para>
/// <list type="bullet">
/// <item>a run of ASCII letters of n characters: 1 token up to <see cref="FirstPieceLetters"/> letters, plus 1 token
/// per further <see cref="MorePieceLetters"/> letters (rounded up);</item>
/// <item>a run of ASCII digits: 1 token per group of 3 digits (rounded up);</item>
/// <item>a run of ASCII punctuation marks, symbols or control characters: 1 token per 2 characters (rounded up), so
/// "," is 1 token and "```" or "--&gt;" are 2;</item>
/// <item>each non-ASCII character (accented letter, Cyrillic, CJK ideograph, emoji; a surrogate pair is one
/// character): 1 token;</item>
/// <item>a single space followed by more text is folded into the next piece (0 tokens), as in " Hello"; any other run
/// of whitespace costs 1 token per 4 characters (rounded up).</item>
/// </list>
/// <para>Counts are additive over whitespace: the count of <c>"a b"</c> is the count of <c>"a"</c> plus the count of
/// <c>"b"</c>, which lets a chunker sum the counts of words and sentences instead of re-counting a chunk.
/// <see cref="CountTokens"/> allocates nothing and reads each character once.</para>
/// <para>On prose it overestimates real subword tokenizers by a modest margin (see docs/chunking.md for the measured
/// ratios), which keeps chunks inside a model's context rather than over it.</para>
/// <para><see cref="Encode"/> returns one id per piece: a stable 31-bit FNV-1a hash of the piece text, so equal pieces get
/// equal ids across processes and machines. The ids cannot be mapped back to text, so <see cref="Decode"/> throws
/// <see cref="NotSupportedException"/>; use a model tokenizer where text must round-trip.</para>
/// </remarks>
public sealed class DefaultTokenizer : ITokenizer
{
    /// <summary>Letters covered by the first token of an ASCII letter run.</summary>
    public const int FirstPieceLetters = 4;

    /// <summary>Letters covered by each further token of an ASCII letter run.</summary>
    public const int MorePieceLetters = 4;

    private const byte Other = 0, Letter = 1, Digit = 2, Space = 3, Punct = 4;

    /// <summary>The shared instance; the tokenizer is stateless and thread-safe.</summary>
    public static DefaultTokenizer Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "default-v1";

    /// <summary>Tokens for a run of <paramref name="letters"/> ASCII letters.</summary>
    internal static int LetterRunTokens(int letters)
        => letters <= FirstPieceLetters ? 1 : 1 + (letters - FirstPieceLetters + MorePieceLetters - 1) / MorePieceLetters;

    /// <inheritdoc />
    public int CountTokens(ReadOnlySpan<char> text)
    {
        int count = 0, i = 0, n = text.Length;
        while (i < n)
        {
            char c = text[i];
            switch (Classify(c))
            {
                case Letter:
                {
                    int j = i + 1;
                    while (j < n && Classify(text[j]) == Letter) j++;
                    count += LetterRunTokens(j - i);
                    i = j;
                    break;
                }
                case Digit:
                {
                    int j = i + 1;
                    while (j < n && Classify(text[j]) == Digit) j++;
                    count += (j - i + 2) / 3;
                    i = j;
                    break;
                }
                case Space:
                {
                    int j = i + 1;
                    while (j < n && Classify(text[j]) == Space) j++;
                    count += SpaceRunTokens(text, i, j);
                    i = j;
                    break;
                }
                case Punct:
                {
                    int j = i + 1;
                    while (j < n && Classify(text[j]) == Punct) j++;
                    count += (j - i + 1) / 2;
                    i = j;
                    break;
                }
                default:
                    count++;
                    i += IsPair(text, i) ? 2 : 1;
                    break;
            }
        }
        return count;
    }

    /// <summary>
    /// Appends one id per piece (see the class remarks); exactly <see cref="CountTokens"/> ids.
    /// This tokenizer has no special tokens, so <paramref name="addSpecialTokens"/> changes nothing.
    /// </summary>
    public void Encode(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int i = 0, n = text.Length;
        bool folded = false; // a single space folded into the next piece
        while (i < n)
        {
            char c = text[i];
            byte cls = Classify(c);
            int j = i + 1;
            if (cls is Letter or Digit or Space or Punct)
                while (j < n && Classify(text[j]) == cls) j++;
            else if (IsPair(text, i))
                j = i + 2;
            switch (cls)
            {
                case Letter:
                {
                    int first = Math.Min(j - i, FirstPieceLetters);
                    ids.Add(PieceId(text.Slice(i, first), folded, cls));
                    for (int k = i + first; k < j; k += MorePieceLetters)
                        ids.Add(PieceId(text[k..Math.Min(j, k + MorePieceLetters)], false, cls));
                    break;
                }
                case Digit:
                    for (int k = i; k < j; k += 3)
                        ids.Add(PieceId(text[k..Math.Min(j, k + 3)], folded && k == i, cls));
                    break;
                case Punct:
                    for (int k = i; k < j; k += 2)
                        ids.Add(PieceId(text[k..Math.Min(j, k + 2)], folded && k == i, cls));
                    break;
                case Space:
                    if (SpaceRunTokens(text, i, j) == 0) { folded = true; i = j; continue; }
                    for (int k = i; k < j; k += 4)
                        ids.Add(PieceId(text[k..Math.Min(j, k + 4)], false, cls));
                    break;
                default:
                    ids.Add(PieceId(text[i..j], folded, cls));
                    break;
            }
            folded = false;
            i = j;
        }
    }

    /// <summary>Always throws: the ids are hashes of text pieces and cannot be turned back into text.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public string Decode(ReadOnlySpan<int> ids)
        => throw new NotSupportedException(
            "The default-v1 tokenizer maps text pieces to hashed ids that cannot be decoded; use a model tokenizer where text must round-trip.");

    // A single ' ' followed by more text is part of the next piece; other whitespace runs cost 1 token per 4 chars.
    private static int SpaceRunTokens(ReadOnlySpan<char> text, int start, int end)
        => end - start == 1 && text[start] == ' ' && end < text.Length ? 0 : (end - start + 3) / 4;

    private static bool IsPair(ReadOnlySpan<char> text, int i)
        => char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);

    private static byte Classify(char c)
    {
        if (c < 128)
        {
            if ((uint)((c | 0x20) - 'a') <= 'z' - 'a') return Letter;
            if ((uint)(c - '0') <= 9) return Digit;
            return c == ' ' || (uint)(c - '\t') <= '\r' - '\t' ? Space : Punct;
        }
        return char.IsWhiteSpace(c) ? Space : Other;
    }

    private static int PieceId(ReadOnlySpan<char> piece, bool leadingSpace, byte cls)
    {
        // FNV-1a over the UTF-16 code units, seeded by the piece class and the folded space.
        uint h = 2166136261u;
        h = (h ^ (uint)(cls + (leadingSpace ? 16 : 0))) * 16777619u;
        foreach (char ch in piece)
        {
            h = (h ^ (ch & 0xFFu)) * 16777619u;
            h = (h ^ (uint)(ch >> 8)) * 16777619u;
        }
        return (int)(h & 0x7FFF_FFFF);
    }
}
