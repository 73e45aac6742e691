using System.Collections.Concurrent;
using Groundwork.Models.Gguf;
using Groundwork.Models.Tokenizers;

namespace Groundwork.Models.Embeddings;

/// <summary>
/// A BERT-family sentence-embedding model (all-MiniLM, bge, e5, nomic-embed-text, …) read from a GGUF file as llama.cpp
/// converts it (<c>general.architecture</c> "bert", or "nomic-bert": rotary positions, fused q/k/v, SwiGLU): the
/// tokenizer from the file's metadata, a bidirectional post-LayerNorm encoder, then mean, CLS or last-token pooling. Weights stay in the mapped file. Thread-safe: concurrent
/// callers each get their own scratch.
/// </summary>
public sealed class BertEmbeddingModel : LocalEmbeddingModel
{
    private readonly GgufFile _file;
    private readonly BertWeights _weights;
    private readonly ConcurrentBag<BertEncoder> _encoders = [];
    private bool _disposed;

    private BertEmbeddingModel(GgufFile file, BertConfig config, BertWeights weights, LlmTokenizer tokenizer, int maxTokens, string name)
    {
        _file = file;
        Config = config;
        _weights = weights;
        Tokenizer = tokenizer;
        MaxTokens = maxTokens;
        Name = name;
    }

    /// <summary>The hyper-parameters read from the file.</summary>
    public BertConfig Config { get; }

    /// <summary>The WordPiece tokenizer built from the file's <c>tokenizer.ggml.*</c> metadata.</summary>
    public override LlmTokenizer Tokenizer { get; }

    /// <inheritdoc />
    public override int MaxTokens { get; }

    /// <inheritdoc />
    public override int Dimension => Config.EmbeddingLength;

    /// <inheritdoc />
    public override EmbeddingPooling Pooling => Config.Pooling;

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>Opens and maps a BERT GGUF file.</summary>
    /// <exception cref="GgufException">The file is not a BERT encoder, or a tensor or key is missing or malformed (message names file and tensor/key).</exception>
    public static new BertEmbeddingModel Load(string path, EmbeddingLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(GgufFile.Open(path), options);
    }

    /// <summary>Loads from an opened file, which the model then owns (disposed here if loading fails).</summary>
    internal static BertEmbeddingModel Load(GgufFile file, EmbeddingLoadOptions? options)
    {
        try
        {
            var arch = file.TryGetString("general.architecture")
                ?? throw new GgufException($"{file.FileName}: metadata key 'general.architecture' not found");
            if (arch is not ("bert" or "nomic-bert"))
                throw new GgufException($"{file.FileName}: architecture '{arch}' is not a BERT encoder (supported: bert, nomic-bert)");
            var config = ReadConfig(file, arch, options);
            if (config.Pooling == EmbeddingPooling.Rank && config.ClassifierOutputs == 0)
                throw new GgufException($"{file.FileName}: pooling 4 (rank) needs the classification head tensor 'cls.output.weight'");
            var weights = BertWeights.Bind(file, config);
            var tokenizer = LlmTokenizer.FromGguf(file);
            if (tokenizer.VocabSize != config.VocabSize)
                throw new GgufException($"{file.FileName}: the tokenizer has {tokenizer.VocabSize} tokens but 'token_embd.weight' has {config.VocabSize} rows");
            int maxTokens = config.ContextLength;
            if (options?.MaxTokens is { } cap)
            {
                if (cap < 2) throw new ArgumentOutOfRangeException(nameof(options), cap, "MaxTokens must be at least 2");
                maxTokens = Math.Min(maxTokens, cap);
            }
            var name = file.TryGetString("general.name");
            if (string.IsNullOrWhiteSpace(name)) name = Path.GetFileNameWithoutExtension(file.FileName);
            return new BertEmbeddingModel(file, config, weights, tokenizer, maxTokens, name);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static BertConfig ReadConfig(GgufFile file, string arch, EmbeddingLoadOptions? options)
    {
        int Int(string key)
        {
            var v = file.GetInteger(arch + "." + key);
            if (v is <= 0 or > int.MaxValue) throw new GgufException($"{file.FileName}: metadata key '{arch}.{key}' has invalid value {v}");
            return (int)v;
        }
        int dim = Int("embedding_length"), heads = Int("attention.head_count");
        if (dim % heads != 0)
            throw new GgufException($"{file.FileName}: '{arch}.embedding_length' {dim} is not a multiple of '{arch}.attention.head_count' {heads}");
        bool rope = arch == "nomic-bert";
        if (rope && dim / heads % 2 != 0)
            throw new GgufException($"{file.FileName}: head dimension {dim / heads} must be even for rotary position embeddings");
        if (!file.TryGetTensor("token_embd.weight", out var embd))
            throw new GgufException($"{file.FileName}: tensor 'token_embd.weight' not found (required for a BERT encoder)");

        var pooling = options?.Pooling;
        if (pooling is null)
        {
            long code = file.TryGetInteger(arch + ".pooling_type") ?? 1;
            pooling = code switch
            {
                0 or 1 => EmbeddingPooling.Mean, // "none" yields per-token states; a sentence embedder needs one vector
                2 => EmbeddingPooling.Cls,
                3 => EmbeddingPooling.Last,
                4 => EmbeddingPooling.Rank,
                _ => throw new GgufException($"{file.FileName}: metadata key '{arch}.pooling_type' is {code}; supported: 0 (none, pooled as mean), 1 (mean), 2 (cls), 3 (last), 4 (rank)"),
            };
        }
        else if (!Enum.IsDefined(pooling.Value))
        {
            throw new ArgumentOutOfRangeException(nameof(options), pooling, "unknown pooling");
        }

        return new BertConfig(
            LayerCount: Int("block_count"),
            EmbeddingLength: dim,
            FeedForwardLength: Int("feed_forward_length"),
            HeadCount: heads,
            LayerNormEpsilon: file.TryGetFloat(arch + ".attention.layer_norm_epsilon") ?? 1e-12f,
            ContextLength: Int("context_length"),
            VocabSize: checked((int)embd.RowCount),
            Pooling: pooling.Value)
        {
            Architecture = arch,
            RopeFreqBase = rope ? file.TryGetFloat(arch + ".rope.freq_base") ?? 10000f : 0f,
            ClassifierOutputs = file.TryGetTensor("cls.output.weight", out var head) && head.Dimensions.Length == 2 ? checked((int)head.Dimensions[1]) : 0,
        };
    }

    /// <summary>Whether this is a reranking model (cross-encoder, <see cref="EmbeddingPooling.Rank"/>): it scores pairs, it does not embed.</summary>
    public bool IsReranker => Pooling == EmbeddingPooling.Rank;

    /// <summary>
    /// The tokens of a (query, document) pair for a cross-encoder, as llama.cpp's server builds rerank inputs: BOS/[CLS]
    /// when the vocabulary adds one, the query, EOS (or [SEP]) when it adds EOS, [SEP] when it adds a separator, the
    /// document, EOS again. Token types are all 0, as in llama.cpp. The document is cut (never the query) to fit
    /// <see cref="MaxTokens"/>; <paramref name="truncated"/> says so.
    /// </summary>
    public int[] TokenizePair(string query, string document, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(document);
        var t = Tokenizer;
        int eos = t.EosId >= 0 ? t.EosId : t.SeparatorId;
        var head = new List<int>();
        if ((t.AddBosByDefault || t.Model == "bert") && t.BosId >= 0) head.Add(t.BosId);
        head.AddRange(t.Encode(query, addSpecial: false, parseSpecial: false));
        if (t.AddEosByDefault && eos >= 0) head.Add(eos);
        if (t.AddSepByDefault && t.SeparatorId >= 0) head.Add(t.SeparatorId);
        var doc = t.Encode(document, addSpecial: false, parseSpecial: false);
        int tail = t.AddEosByDefault && eos >= 0 ? 1 : 0;
        int room = MaxTokens - head.Count - tail;
        if (room < 1) throw new ArgumentException($"the query takes {head.Count} tokens; the model takes at most {MaxTokens} with the document", nameof(query));
        truncated = doc.Count > room;
        var ids = new List<int>(head.Count + Math.Min(room, doc.Count) + tail);
        ids.AddRange(head);
        ids.AddRange(truncated ? doc.GetRange(0, room) : doc);
        if (tail == 1) ids.Add(eos);
        return [.. ids];
    }

    /// <summary>
    /// Relevance scores of token sequences (pairs from <see cref="TokenizePair"/>) from a reranking model:
    /// <paramref name="scores"/>[count × <see cref="BertConfig.ClassifierOutputs"/>], raw head outputs (higher = more relevant).
    /// </summary>
    public void ScoreTokens(IReadOnlyList<int[]> sequences, Span<float> scores)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsReranker) throw new InvalidOperationException($"{Name} is an embedding model (pooling {Pooling}), not a reranker");
        ArgumentNullException.ThrowIfNull(sequences);
        int outputs = Config.ClassifierOutputs;
        if (scores.Length < sequences.Count * outputs)
            throw new ArgumentException($"scores has room for {scores.Length} values; {sequences.Count} × {outputs} needed", nameof(scores));
        CheckSequences(sequences);
        Run(sequences, normalize: false, scores);
    }

    /// <inheritdoc />
    public override void EmbedTokens(IReadOnlyList<int[]> sequences, bool normalize, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsReranker) throw new InvalidOperationException($"{Name} is a reranking model (pooling rank): it scores query-document pairs (ScoreTokens, CrossEncoderReranker) and does not embed");
        CheckSequences(sequences, output);
        Run(sequences, normalize, output);
    }

    private void Run(IReadOnlyList<int[]> sequences, bool normalize, Span<float> output)
    {
        if (!_encoders.TryTake(out var encoder)) encoder = new BertEncoder(_weights, Config);
        try
        {
            encoder.Encode(sequences, Pooling, normalize, output);
        }
        finally
        {
            _encoders.Add(encoder);
        }
    }

    /// <summary>Unmaps the file. Embedding afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file.Dispose();
    }
}
