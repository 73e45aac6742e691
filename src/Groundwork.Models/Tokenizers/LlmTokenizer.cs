using System.Buffers;
using System.Text;
using Groundwork.Models.Gguf;
using Groundwork.Text;

namespace Groundwork.Models.Tokenizers;

/// <summary>
/// A language model's tokenizer, built from a GGUF file's <c>tokenizer.ggml.*</c> metadata and behaving as llama.cpp's:
/// SentencePiece-style (<c>tokenizer.ggml.model = "llama"</c>), byte-level BPE (<c>"gpt2"</c>) or WordPiece (<c>"bert"</c>).
/// Immutable and thread-safe after construction. Create one with <see cref="FromGguf"/>.
/// </summary>
public abstract class LlmTokenizer : ITokenizer
{
    private static readonly string[] EotTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<｜end▁of▁sentence｜>"];
    private static readonly string[] EogTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>"];

    private readonly byte[][] _pieces;
    private readonly int[] _specialTokens;
    private readonly SearchValues<char> _specialFirstChars; // text without any of these cannot hold a special token
    private readonly bool[] _lstrip;
    private readonly bool[] _rstrip;
    private readonly HashSet<int> _eog;

    private protected LlmTokenizer(GgufFile file, Vocabulary vocab, VocabDefaults defaults)
    {
        Vocab = vocab;
        var name = file.TryGetString("general.name");
        Name = "gguf:" + (string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(file.FileName) : name);
        Model = vocab.Model;
        AddSpacePrefix = file.TryGetBool("tokenizer.ggml.add_space_prefix") ?? defaults.AddSpacePrefix;
        AddBosByDefault = file.TryGetBool("tokenizer.ggml.add_bos_token") ?? defaults.AddBos;
        AddEosByDefault = file.TryGetBool("tokenizer.ggml.add_eos_token") ?? defaults.AddEos;
        AddSepByDefault = file.TryGetBool("tokenizer.ggml.add_sep_token") ?? vocab.Model == "bert"; // llama.cpp's default
        CleanSpaces = defaults.CleanSpaces;

        int n = vocab.Count;
        int Special(string key, int fallback)
        {
            long? v = file.TryGetInteger(key);
            return v is >= 0 && v < n ? (int)v.Value : fallback; // llama.cpp keeps the default for out-of-range ids
        }
        BosId = Special("tokenizer.ggml.bos_token_id", defaults.Bos);
        EosId = Special("tokenizer.ggml.eos_token_id", defaults.Eos);
        UnknownId = Special("tokenizer.ggml.unknown_token_id", defaults.Unknown);
        SeparatorId = Special("tokenizer.ggml.seperator_token_id", defaults.Separator);
        PaddingId = Special("tokenizer.ggml.padding_token_id", -1);
        int eot = Special("tokenizer.ggml.eot_token_id", -1);
        int eom = Special("tokenizer.ggml.eom_token_id", -1);

        // llama.cpp recognises end-of-turn tokens by their text and forces them to be control tokens.
        var kinds = vocab.Kinds;
        if (eot < 0)
        {
            foreach (var t in EotTexts)
            {
                if (vocab.TryGetId(t, out int id)) { eot = id; kinds[id] = TokenKind.Control; break; }
            }
        }
        if (eom < 0 && vocab.TryGetId("<|eom_id|>", out int eomId)) { eom = eomId; kinds[eomId] = TokenKind.Control; }
        _eog = [];
        foreach (var t in EogTexts)
        {
            if (vocab.TryGetId(t, out int id)) { _eog.Add(id); kinds[id] = TokenKind.Control; }
        }
        foreach (var key in new[] { "tokenizer.ggml.fim_pad_token_id", "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id" })
        {
            int id = Special(key, -1);
            if (id >= 0) _eog.Add(id);
        }
        foreach (var t in new[] { "<|fim_pad|>", "<fim-pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<|file_sep|>" })
        {
            if (vocab.TryGetId(t, out int id)) { _eog.Add(id); kinds[id] = TokenKind.Control; }
        }
        if (EosId >= 0) _eog.Add(EosId);
        if (eot >= 0) _eog.Add(eot);
        if (eom >= 0) _eog.Add(eom);
        EotId = eot;
        EogIds = [.. _eog.Order()];

        // Tokens matched as wholes in input text: control, user-defined and unknown, longest first (ties by id).
        var special = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (kinds[i] is TokenKind.Control or TokenKind.UserDefined or TokenKind.Unknown && vocab.Texts[i].Length > 0) special.Add(i);
        }
        _specialTokens = [.. special.OrderByDescending(i => Encoding.UTF8.GetByteCount(vocab.Texts[i])).ThenBy(i => i)];
        _specialFirstChars = SearchValues.Create([.. _specialTokens.Select(i => vocab.Texts[i][0]).Distinct()]);

        // llama.cpp's per-model strip attributes (Phi-3: special tokens swallow the whitespace after them).
        _lstrip = new bool[n];
        _rstrip = new bool[n];
        var lowerName = (name ?? "").ToLowerInvariant();
        var pre = file.TryGetString("tokenizer.ggml.pre") ?? "";
        if (pre.Contains("jina-v2-de", StringComparison.Ordinal) || pre.Contains("jina-v2-es", StringComparison.Ordinal) || pre.Contains("jina-v2-code", StringComparison.Ordinal))
        {
            if (vocab.TryGetId("<mask>", out int mask)) _lstrip[mask] = true;
        }
        else if (lowerName.Contains("phi-3", StringComparison.Ordinal) || lowerName.Contains("phi3", StringComparison.Ordinal))
        {
            foreach (var id in _specialTokens) _rstrip[id] = true;
            if (vocab.TryGetId("</s>", out int eosText)) _rstrip[eosText] = true;
            foreach (var t in new[] { "<unk>", "<s>", "<|endoftext|>" })
            {
                if (vocab.TryGetId(t, out int id)) _rstrip[id] = false;
            }
        }

        _pieces = new byte[n][];
    }

    /// <summary>Builds the tokenizer a GGUF file describes.</summary>
    /// <exception cref="GgufException">The vocabulary is missing, malformed or of an unsupported kind (message names the file and key).</exception>
    public static LlmTokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var model = file.TryGetString("tokenizer.ggml.model")
            ?? throw new GgufException($"{file.FileName}: metadata key 'tokenizer.ggml.model' not found (the file has no tokenizer)");
        LlmTokenizer tokenizer = model switch
        {
            "llama" => new SpmTokenizer(file),
            "gpt2" => new BpeTokenizer(file),
            "bert" => new WordPieceTokenizer(file),
            _ => throw new GgufException($"{file.FileName}: tokenizer model '{model}' is not supported (supported: llama, gpt2, bert)"),
        };
        tokenizer.BuildPieces();
        return tokenizer;
    }

    private protected Vocabulary Vocab { get; }

    /// <summary>"gguf:" followed by <c>general.name</c> (or the file name).</summary>
    public string Name { get; }

    /// <summary>The GGUF tokenizer model: "llama" (SentencePiece), "gpt2" (byte-level BPE) or "bert" (WordPiece).</summary>
    public string Model { get; }

    /// <summary>Number of tokens in the vocabulary.</summary>
    public int VocabSize => Vocab.Count;

    /// <summary>Beginning-of-sequence token (CLS for WordPiece); -1 when none.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence token; -1 when none.</summary>
    public int EosId { get; }

    /// <summary>End-of-turn token ("&lt;|eot_id|&gt;", "&lt;|im_end|&gt;", ...); -1 when none.</summary>
    public int EotId { get; }

    /// <summary>Unknown token; -1 when none.</summary>
    public int UnknownId { get; }

    /// <summary>Separator token (SEP for WordPiece); -1 when none.</summary>
    public int SeparatorId { get; }

    /// <summary>Padding token; -1 when none.</summary>
    public int PaddingId { get; }

    /// <summary>Every token that ends generation (EOS, EOT, EOM, "&lt;|im_end|&gt;", "&lt;|end|&gt;", ...), ascending.</summary>
    public IReadOnlyList<int> EogIds { get; }

    /// <summary>Whether encoding with special tokens adds BOS (<c>tokenizer.ggml.add_bos_token</c>, else llama.cpp's default for the model type).</summary>
    public bool AddBosByDefault { get; }

    /// <summary>Whether encoding with special tokens adds EOS (<c>tokenizer.ggml.add_eos_token</c>, else llama.cpp's default).</summary>
    public bool AddEosByDefault { get; }

    /// <summary>Whether a pair (query, document) is joined with the separator (<c>tokenizer.ggml.add_sep_token</c>, else true for WordPiece as in llama.cpp).</summary>
    public bool AddSepByDefault { get; }

    /// <summary>SentencePiece's dummy prefix: a space is prepended to text (and stripped again when decoding).</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>Whether decoding applies llama.cpp's clean-up of spaces before punctuation (" ," → ",").</summary>
    public bool CleanSpaces { get; }

    /// <summary>Whether <paramref name="id"/> ends generation.</summary>
    public bool IsEog(int id) => _eog.Contains(id);

    /// <summary>The token's kind.</summary>
    public TokenKind GetKind(int id) => Vocab.Kinds[CheckId(id)];

    /// <summary>The token's raw vocabulary text (e.g. "▁Hello", "Ġworld", "&lt;0x0A&gt;").</summary>
    public string GetTokenText(int id) => Vocab.Texts[CheckId(id)];

    /// <summary>Looks a token up by its exact vocabulary text.</summary>
    public bool TryGetTokenId(string text, out int id) => Vocab.TryGetId(text, out id);

    /// <summary>The bytes the token renders to (control tokens render their text), as llama.cpp's token_to_piece with special = true.</summary>
    public ReadOnlySpan<byte> TokenToPieceBytes(int id) => _pieces[CheckId(id)];

    /// <summary>The token's piece as text; a piece that is part of a multi-byte character decodes to U+FFFD (use <see cref="TokenTextDecoder"/> when streaming).</summary>
    public string TokenToPiece(int id) => Encoding.UTF8.GetString(_pieces[CheckId(id)]);

    /// <summary>A streaming decoder for generated tokens.</summary>
    public TokenTextDecoder CreateDecoder(bool renderSpecial = false) => new(this, renderSpecial);

    /// <summary>Encodes text as llama.cpp does.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS/EOS (CLS/SEP) as the model's defaults say.</param>
    /// <param name="parseSpecial">Text spelling a control token (e.g. "&lt;|im_start|&gt;") becomes that token; when false only user-defined tokens are matched.</param>
    public List<int> Encode(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text.AsSpan(), ids, addSpecial, parseSpecial);
        return ids;
    }

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = false)
        => Encode(text, ids, addSpecialTokens, parseSpecial: false);

    /// <summary>Encodes text, appending the ids to <paramref name="ids"/>; see <see cref="Encode(string, bool, bool)"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> ids, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (addSpecial && (AddBosByDefault || Model == "bert") && BosId >= 0) ids.Add(BosId);
        bool prevSpecial = true;
        if (!text.IsEmpty)
        {
            foreach (var f in Partition(text, parseSpecial))
            {
                if (f.Token >= 0)
                {
                    ids.Add(f.Token);
                    prevSpecial = true;
                }
                else
                {
                    EncodeText(text.Slice(f.Start, f.Length), prevSpecial, ids);
                    prevSpecial = false;
                }
            }
        }
        if (addSpecial && Model == "bert" && SeparatorId >= 0) ids.Add(SeparatorId);
        else if (addSpecial && AddEosByDefault && EosId >= 0) ids.Add(EosId);
    }

    /// <inheritdoc />
    public int CountTokens(ReadOnlySpan<char> text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, ids, addSpecial: false, parseSpecial: false);
        return ids.Count;
    }

    /// <inheritdoc />
    /// <remarks>Control and unknown tokens are skipped; see <see cref="Decode(ReadOnlySpan{int}, bool)"/>.</remarks>
    public string Decode(ReadOnlySpan<int> ids) => Decode(ids, renderSpecial: false);

    /// <summary>
    /// Decodes ids to text: pieces are concatenated as bytes, then decoded as UTF-8. With the SentencePiece dummy prefix,
    /// (and for WordPiece's word-start marker) the leading space of the text at the start and after each special token
    /// is removed, undoing what encoding added, so decode(encode(x)) == x with or without BOS (llama.cpp's detokenize
    /// strips only at the very start and so keeps the space after a BOS);
    /// byte-level BPE vocabularies with clean-up enabled remove spaces before punctuation as llama.cpp does.
    /// </summary>
    /// <param name="ids">The token ids.</param>
    /// <param name="renderSpecial">Render control and unknown tokens as their text instead of skipping them.</param>
    public string Decode(ReadOnlySpan<int> ids, bool renderSpecial)
    {
        var bytes = new List<byte>(ids.Length * 4);
        bool stripSpace = AddSpacePrefix || Model == "bert";
        bool atStart = true; // at the start of the text or just after a special token: where encoding added "▁"
        foreach (int id in ids)
        {
            var kind = Vocab.Kinds[CheckId(id)];
            bool special = kind is TokenKind.Control or TokenKind.Unknown or TokenKind.UserDefined;
            var piece = TokenToPieceBytes(id);
            if (special)
            {
                atStart = true;
                if (!renderSpecial && kind != TokenKind.UserDefined) continue;
                bytes.AddRange(piece);
                continue;
            }
            if (piece.IsEmpty) continue;
            if (atStart && stripSpace && piece[0] == (byte)' ') piece = piece[1..];
            atStart = false;
            bytes.AddRange(piece);
        }
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        if (CleanSpaces) span = span[..CleanUpSpaces(span)];
        return Encoding.UTF8.GetString(span);
    }

    internal bool IsSpecialForDecode(int id) => Vocab.Kinds[CheckId(id)] is TokenKind.Control or TokenKind.Unknown;

    /// <summary>Encodes one run of plain text (no special tokens inside).</summary>
    private protected abstract void EncodeText(ReadOnlySpan<char> text, bool prevSpecial, List<int> output);

    /// <summary>The bytes a normal (or byte) token renders to.</summary>
    private protected abstract byte[] NormalPiece(int id);

    private void BuildPieces()
    {
        for (int i = 0; i < Vocab.Count; i++)
        {
            _pieces[i] = Vocab.Kinds[i] switch
            {
                TokenKind.Control or TokenKind.Unknown or TokenKind.UserDefined => Encoding.UTF8.GetBytes(Vocab.Texts[i]),
                TokenKind.Normal or TokenKind.Byte => NormalPiece(i),
                _ => [],
            };
        }
    }

    private int CheckId(int id)
        => (uint)id < (uint)Vocab.Count ? id : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {Vocab.Count}");

    private readonly record struct Fragment(int Token, int Start, int Length);

    /// <summary>
    /// Splits text on special tokens as llama.cpp's tokenizer_st_partition: for each special token, longest first, every
    /// remaining text fragment is cut at its occurrences. Control and unknown tokens only when <paramref name="parseSpecial"/>.
    /// </summary>
    private List<Fragment> Partition(ReadOnlySpan<char> text, bool parseSpecial)
    {
        var fragments = new List<Fragment> { new(-1, 0, text.Length) };
        if (!text.ContainsAny(_specialFirstChars)) return fragments;
        foreach (int id in _specialTokens)
        {
            var kind = Vocab.Kinds[id];
            if (!parseSpecial && kind is TokenKind.Control or TokenKind.Unknown) continue;
            var needle = Vocab.Texts[id].AsSpan();
            if (text.IndexOf(needle, StringComparison.Ordinal) < 0) continue; // cheap reject for the common case
            var next = new List<Fragment>(fragments.Count + 4);
            foreach (var f in fragments)
            {
                if (f.Token >= 0) { next.Add(f); continue; }
                int start = f.Start, end = f.Start + f.Length;
                while (start < end)
                {
                    int at = text[start..end].IndexOf(needle, StringComparison.Ordinal);
                    if (at < 0) break;
                    at += start;
                    int leftEnd = at;
                    if (_lstrip[id]) while (leftEnd > start && IsAsciiSpace(text[leftEnd - 1])) leftEnd--;
                    if (leftEnd > start) next.Add(new(-1, start, leftEnd - start));
                    next.Add(new(id, 0, 0));
                    start = at + needle.Length;
                    if (_rstrip[id]) while (start < end && IsAsciiSpace(text[start])) start++;
                }
                if (start < end) next.Add(new(-1, start, end - start));
            }
            fragments = next;
        }
        return fragments;
    }

    private static bool IsAsciiSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>llama.cpp's clean_spaces passes over the decoded bytes; returns the new length.</summary>
    private static int CleanUpSpaces(Span<byte> t)
    {
        int n = t.Length;
        if (n == 0) return 0;
        // " ?", " !", " .", " ," lose the space
        int total = 1;
        for (int i = 1; i < n; i++)
        {
            byte x = t[i];
            if (t[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',') total--;
            t[total++] = x;
        }
        // " ' " becomes "'"
        n = total; total = 1;
        for (int i = 1; i < n; i++)
        {
            byte x = t[i];
            if (x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' ')
            {
                total--;
                t[++i] = 0;
            }
            t[total++] = x;
        }
        // " 's", " 'm", " 're", " 've" lose the space
        n = total; total = 1;
        for (int i = 1; i < n; i++)
        {
            byte x = t[i];
            if (t[i - 1] == ' ' && x == '\'' && i + 1 < n)
            {
                byte x1 = t[i + 1];
                if (x1 is (byte)'s' or (byte)'m') total--;
                else if (x1 is not ((byte)'t' or (byte)'d') && i + 2 < n)
                {
                    byte x2 = t[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            t[total++] = x;
        }
        return total;
    }
}

/// <summary>Per-model-type defaults, as llama.cpp sets them before reading the file's overrides.</summary>
internal readonly record struct VocabDefaults(int Bos, int Eos, int Unknown, int Separator, bool AddBos, bool AddEos, bool AddSpacePrefix, bool CleanSpaces);
