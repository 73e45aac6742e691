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
        var file = GgufFile.Open(path);
        try
        {
            var arch = file.TryGetString("general.architecture")
                ?? throw new GgufException($"{file.FileName}: metadata key 'general.architecture' not found");
            if (arch is not ("bert" or "nomic-bert"))
                throw new GgufException($"{file.FileName}: architecture '{arch}' is not a BERT encoder (supported: bert, nomic-bert)");
            var config = ReadConfig(file, arch, options);
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
                _ => throw new GgufException($"{file.FileName}: metadata key '{arch}.pooling_type' is {code}; supported: 0 (none, pooled as mean), 1 (mean), 2 (cls), 3 (last)"),
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
        };
    }

    /// <inheritdoc />
    public override void EmbedTokens(IReadOnlyList<int[]> sequences, bool normalize, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckSequences(sequences, output);
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
