using System.Globalization;
using System.Text;
using Groundwork.Models.Gguf;

namespace Groundwork.Models.Tokenizers;

/// <summary>
/// SentencePiece-style BPE as llama.cpp's llm_tokenizer_spm: spaces become "▁", a dummy "▁" prefix is added at the
/// start and after each special token, then adjacent pieces are merged greedily by the score of the merged token
/// (highest first, leftmost on ties); pieces that are not tokens fall back to "&lt;0xXX&gt;" byte tokens.
/// </summary>
internal sealed class SpmTokenizer : LlmTokenizer
{
    private const char Space = '\u2581';
    private readonly int[] _byteTokens = new int[256];

    public SpmTokenizer(GgufFile file) : this(file, new Vocabulary(file)) { }

    private SpmTokenizer(GgufFile file, Vocabulary vocab)
        : base(file, vocab, new VocabDefaults(Bos: 1, Eos: 2, Unknown: 0, Separator: -1, AddBos: true, AddEos: false, AddSpacePrefix: true, CleanSpaces: false))
    {
        for (int b = 0; b < 256; b++)
        {
            if (vocab.TryGetId($"<0x{b:X2}>", out int id)) _byteTokens[b] = id;
            else if (b < 0x80 && vocab.TryGetId(((char)b).ToString(), out id)) _byteTokens[b] = id;
            else _byteTokens[b] = UnknownId;
        }
    }

    private struct Symbol
    {
        public int Start, Length, Prev, Next;
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, bool prevSpecial, List<int> output)
    {
        bool prefix = AddSpacePrefix && prevSpecial;
        int len = text.Length + (prefix ? 1 : 0);
        var buf = new char[len];
        if (prefix) buf[0] = Space;
        var dst = buf.AsSpan(prefix ? 1 : 0);
        text.CopyTo(dst);
        dst.Replace(' ', Space);

        // one symbol per code point
        var symbols = new List<Symbol>(len);
        for (int i = 0; i < len;)
        {
            int n = char.IsHighSurrogate(buf[i]) && i + 1 < len && char.IsLowSurrogate(buf[i + 1]) ? 2 : 1;
            symbols.Add(new Symbol { Start = i, Length = n, Prev = symbols.Count - 1, Next = i + n < len ? symbols.Count + 1 : -1 });
            i += n;
        }
        if (symbols.Count == 0) return;
        var sym = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols);

        var queue = new PriorityQueue<(int Left, int Right, int Size), (float NegScore, int Left)>();
        for (int i = 1; i < sym.Length; i++) TryAddBigram(buf, sym, queue, i - 1, i);

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref sym[bigram.Left];
            ref var right = ref sym[bigram.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue; // stale
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0) sym[right.Next].Prev = bigram.Left;
            TryAddBigram(buf, sym, queue, left.Prev, bigram.Left);
            TryAddBigram(buf, sym, queue, bigram.Left, left.Next);
        }

        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i != -1; i = sym[i].Next)
        {
            var piece = buf.AsSpan(sym[i].Start, sym[i].Length);
            if (Vocab.TryGetId(piece, out int id))
            {
                output.Add(id);
                continue;
            }
            // byte fallback: every UTF-8 byte of the piece (a single code point: 4 bytes at most)
            int nb = Encoding.UTF8.GetBytes(piece, utf8);
            for (int b = 0; b < nb; b++) output.Add(_byteTokens[utf8[b]]);
        }
    }

    private void TryAddBigram(char[] buf, Span<Symbol> sym, PriorityQueue<(int, int, int), (float, int)> queue, int left, int right)
    {
        if (left < 0 || right < 0) return;
        int size = sym[left].Length + sym[right].Length;
        if (!Vocab.TryGetId(buf.AsSpan(sym[left].Start, size), out int id)) return;
        queue.Enqueue((left, right, size), (-Vocab.Scores[id], left));
    }

    private protected override byte[] NormalPiece(int id)
    {
        var text = Vocab.Texts[id];
        if (Vocab.Kinds[id] == TokenKind.Byte)
        {
            if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
                && byte.TryParse(text.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
                return [b];
            return Encoding.UTF8.GetBytes(text);
        }
        return Encoding.UTF8.GetBytes(text.Replace(Space, ' '));
    }
}
