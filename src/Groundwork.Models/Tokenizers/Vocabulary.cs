using Groundwork.Models.Gguf;

namespace Groundwork.Models.Tokenizers;

/// <summary>The token list of a GGUF file: texts, scores, kinds and a text → id map (last duplicate wins, as in llama.cpp).</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> _ids;

    public Vocabulary(GgufFile file)
    {
        Model = file.GetString("tokenizer.ggml.model");
        var tokens = file.GetStringArray("tokenizer.ggml.tokens");
        int n = tokens.Count;
        if (n == 0) throw new GgufException($"{file.FileName}: tokenizer.ggml.tokens is empty");
        Texts = new string[n];
        _ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            var t = tokens[i];
            if (t.Length == 0) t = $"[EMPTY_{i}]"; // llama.cpp renames empty tokens
            Texts[i] = t;
            _ids[t] = i;
            MaxTokenLength = Math.Max(MaxTokenLength, t.Length);
        }
        Lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

        Scores = file.Metadata.ContainsKey("tokenizer.ggml.scores") ? file.GetFloatArray("tokenizer.ggml.scores") : new float[n];
        if (Scores.Length != n)
            throw new GgufException($"{file.FileName}: tokenizer.ggml.scores has {Scores.Length} entries but tokenizer.ggml.tokens has {n}");
        Kinds = new TokenKind[n];
        if (file.Metadata.ContainsKey("tokenizer.ggml.token_type"))
        {
            var types = file.GetInt32Array("tokenizer.ggml.token_type");
            if (types.Length != n)
                throw new GgufException($"{file.FileName}: tokenizer.ggml.token_type has {types.Length} entries but tokenizer.ggml.tokens has {n}");
            for (int i = 0; i < n; i++) Kinds[i] = types[i] is >= 1 and <= 6 ? (TokenKind)types[i] : TokenKind.Undefined;
        }
        else
        {
            Array.Fill(Kinds, TokenKind.Normal);
        }
    }

    public string Model { get; }

    public string[] Texts { get; }

    public float[] Scores { get; }

    /// <summary>Kinds; the tokenizer may promote end-of-turn tokens to Control while it is being built.</summary>
    public TokenKind[] Kinds { get; }

    public int Count => Texts.Length;

    /// <summary>Longest token text in UTF-16 chars.</summary>
    public int MaxTokenLength { get; }

    /// <summary>Allocation-free lookup by span.</summary>
    public Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; }

    public bool TryGetId(string text, out int id) => _ids.TryGetValue(text, out id);

    public bool TryGetId(ReadOnlySpan<char> text, out int id) => Lookup.TryGetValue(text, out id);
}
