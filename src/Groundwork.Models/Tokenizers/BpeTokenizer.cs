using System.Text;
using Groundwork.Models.Gguf;

namespace Groundwork.Models.Tokenizers;

/// <summary>
/// Byte-level BPE (GPT-2 family) as llama.cpp's llm_tokenizer_bpe: pre-tokenize by <c>tokenizer.ggml.pre</c>, map each
/// word's UTF-8 bytes to GPT-2's printable characters, then apply <c>tokenizer.ggml.merges</c> lowest rank first
/// (leftmost on ties). Strings are interned to ints so the merge table is a <c>(int, int) → (rank, result)</c> map.
/// </summary>
internal sealed class BpeTokenizer : LlmTokenizer
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    private readonly BpePreTokenizer _pre;
    private readonly Dictionary<(int, int), (int Rank, int Merged)> _merges;
    private readonly List<string> _extra = []; // interned strings that are not tokens; id = VocabSize + index
    private readonly int[] _byteSymbol = new int[256]; // interned id of each single mapped byte, -1 when unknown

    public BpeTokenizer(GgufFile file) : this(file, new Vocabulary(file), PreFor(file)) { }

    private BpeTokenizer(GgufFile file, Vocabulary vocab, BpePreTokenizer pre)
        : base(file, vocab, new VocabDefaults(Bos: 11, Eos: 11, Unknown: -1, Separator: -1, AddBos: pre.AddBos, AddEos: false, AddSpacePrefix: false, CleanSpaces: pre.CleanSpaces))
    {
        _pre = pre;
        if (!file.Metadata.ContainsKey("tokenizer.ggml.merges"))
            throw new GgufException($"{file.FileName}: metadata key 'tokenizer.ggml.merges' not found (required for the gpt2 tokenizer)");
        var merges = file.GetStringArray("tokenizer.ggml.merges");
        var extraIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int Intern(string s)
        {
            if (Vocab.TryGetId(s, out int id)) return id;
            if (extraIds.TryGetValue(s, out id)) return id;
            id = Vocab.Count + _extra.Count;
            _extra.Add(s);
            extraIds.Add(s, id);
            return id;
        }
        _merges = new Dictionary<(int, int), (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var m = merges[rank];
            int sp = m.IndexOf(' ', 1);
            if (sp < 0) continue; // llama.cpp records an empty pair that can never match
            string a = m[..sp], b = m[(sp + 1)..];
            _merges.TryAdd((Intern(a), Intern(b)), (rank, Intern(a + b))); // first (lowest) rank wins
        }
        for (int b = 0; b < 256; b++)
        {
            string s = ByteToChar[b].ToString();
            _byteSymbol[b] = Vocab.TryGetId(s, out int id) ? id : extraIds.TryGetValue(s, out id) ? id : -1;
        }
    }

    private static BpePreTokenizer PreFor(GgufFile file)
    {
        var pre = file.TryGetString("tokenizer.ggml.pre") ?? "default";
        return BpePreTokenizer.For(pre) ?? throw new GgufException($"{file.FileName}: pre-tokenizer '{pre}' (tokenizer.ggml.pre) is not supported");
    }

    /// <summary>The pre-tokenizer patterns in use.</summary>
    internal IReadOnlyList<string> PreTokenizerPatterns => _pre.Patterns;

    private struct Symbol
    {
        public int Id, Prev, Next;
        public bool Dead;
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, bool prevSpecial, List<int> output)
    {
        var s = text.ToString();
        var words = _pre.Split(s);
        var symbols = new List<Symbol>();
        var queue = new PriorityQueue<(int Left, int Right, int LeftId, int RightId), (int Rank, int Left)>();
        var mapped = new StringBuilder();
        byte[] utf8 = [];
        foreach (var (start, length) in words)
        {
            // UTF-8 bytes of the word, each mapped to its printable GGUF character
            int max = Encoding.UTF8.GetMaxByteCount(length);
            if (utf8.Length < max) utf8 = new byte[Math.Max(max, 64)];
            int nb = Encoding.UTF8.GetBytes(s.AsSpan(start, length), utf8);
            if (nb == 0) continue;
            if (_pre.IgnoreMerges)
            {
                mapped.Clear();
                for (int i = 0; i < nb; i++) mapped.Append(ByteToChar[utf8[i]]);
                if (Vocab.TryGetId(mapped.ToString(), out int whole)) { output.Add(whole); continue; }
            }

            symbols.Clear();
            for (int i = 0; i < nb; i++) symbols.Add(new Symbol { Id = _byteSymbol[utf8[i]], Prev = i - 1, Next = i + 1 < nb ? i + 1 : -1 });
            var sym = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols);
            queue.Clear();
            for (int i = 1; i < nb; i++) TryAdd(sym, queue, i - 1, i);
            while (queue.TryDequeue(out var bg, out _))
            {
                ref var left = ref sym[bg.Left];
                ref var right = ref sym[bg.Right];
                if (left.Dead || right.Dead || left.Id != bg.LeftId || right.Id != bg.RightId) continue; // stale
                left.Id = _merges[(bg.LeftId, bg.RightId)].Merged;
                right.Dead = true;
                left.Next = right.Next;
                if (right.Next >= 0) sym[right.Next].Prev = bg.Left;
                TryAdd(sym, queue, left.Prev, bg.Left);
                TryAdd(sym, queue, bg.Left, left.Next);
            }

            for (int i = 0; i != -1; i = sym[i].Next)
            {
                int id = sym[i].Id;
                if ((uint)id < (uint)Vocab.Count) { output.Add(id); continue; }
                // not a token: emit the tokens of its single bytes, skipping bytes that have none (as llama.cpp)
                // (an unknown single byte never merged, so symbol i is still byte i)
                string piece = id < 0 ? ByteToChar[utf8[i]].ToString() : _extra[id - Vocab.Count];
                foreach (char c in piece)
                {
                    if (Vocab.TryGetId(c.ToString(), out int bt)) output.Add(bt);
                }
            }
        }
    }

    private void TryAdd(Span<Symbol> sym, PriorityQueue<(int, int, int, int), (int, int)> queue, int left, int right)
    {
        if (left < 0 || right < 0) return;
        int a = sym[left].Id, b = sym[right].Id;
        if (a < 0 || b < 0) return;
        if (_merges.TryGetValue((a, b), out var m)) queue.Enqueue((left, right, a, b), (m.Rank, left));
    }

    private protected override byte[] NormalPiece(int id)
    {
        var text = Vocab.Texts[id];
        var bytes = new List<byte>(text.Length);
        Span<byte> tmp = stackalloc byte[4];
        foreach (var r in text.EnumerateRunes())
        {
            if (r.Value < 0x10000 && CharToByte.TryGetValue((char)r.Value, out byte b)) bytes.Add(b);
            else bytes.AddRange(tmp[..r.EncodeToUtf8(tmp)]); // not a mapped byte: keep the character itself
        }
        return [.. bytes];
    }

    /// <summary>GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.</summary>
    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var assigned = new bool[256];
        for (int c = 0x21; c <= 0x7E; c++) { map[c] = (char)c; assigned[c] = true; }
        for (int c = 0xA1; c <= 0xAC; c++) { map[c] = (char)c; assigned[c] = true; }
        for (int c = 0xAE; c <= 0xFF; c++) { map[c] = (char)c; assigned[c] = true; }
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            if (!assigned[b]) map[b] = (char)(256 + n++);
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) d[ByteToChar[b]] = (byte)b;
        return d;
    }
}
