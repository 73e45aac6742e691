using System.Collections.Concurrent;
using Groundwork.Models.Gguf;
using Groundwork.Models.Tokenizers;
using Groundwork.Models.Transformers;

namespace Groundwork.Models.Embeddings;

/// <summary>
/// A decoder GGUF (architectures of <see cref="LlamaModel"/>: llama, qwen2) used as a sentence embedder, as
/// llama.cpp runs one with <c>--embeddings</c>: causal forward pass, the final hidden states after the output norm,
/// pooled by the file's <c>&lt;arch&gt;.pooling_type</c> (last token when it names none, the convention of
/// Qwen3-Embedding-style models; mean and first token are also supported), L2-normalised. The output projection is never
/// computed. Weights stay in the mapped file and are shared; each concurrent caller gets its own session (KV cache of
/// <see cref="MaxTokens"/> positions).
/// </summary>
public sealed class DecoderEmbeddingModel : LocalEmbeddingModel
{
    /// <summary>The default cap on tokens per input (the KV cache each concurrent caller holds).</summary>
    public const int DefaultMaxTokens = 2048;

    private readonly LlamaModel _model;
    private readonly ConcurrentBag<Worker> _workers = [];
    private bool _disposed;

    private DecoderEmbeddingModel(LlamaModel model, EmbeddingPooling pooling, int maxTokens)
    {
        _model = model;
        Pooling = pooling;
        MaxTokens = maxTokens;
    }

    /// <summary>The underlying decoder (for its configuration; sessions are managed here).</summary>
    public LlamaModel Model => _model;

    /// <inheritdoc />
    public override LlmTokenizer Tokenizer => _model.Tokenizer;

    /// <inheritdoc />
    public override int MaxTokens { get; }

    /// <inheritdoc />
    public override int Dimension => _model.Config.EmbeddingLength;

    /// <inheritdoc />
    public override EmbeddingPooling Pooling { get; }

    /// <inheritdoc />
    public override string Name => _model.Name;

    /// <summary>Opens and maps a decoder GGUF as an embedder.</summary>
    /// <exception cref="GgufException">The file is invalid, its architecture unsupported, or its pooling type unknown (the message names file and key).</exception>
    public static new DecoderEmbeddingModel Load(string path, EmbeddingLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Load(GgufFile.Open(path), options);
    }

    /// <summary>Loads from an opened file, which the model then owns (disposed here if loading fails).</summary>
    internal static DecoderEmbeddingModel Load(GgufFile file, EmbeddingLoadOptions? options)
    {
        var model = LlamaModel.Load(file, new ModelLoadOptions { ContextLength = 1 });
        try
        {
            var pooling = options?.Pooling ?? ReadPooling(model.File);
            if (!Enum.IsDefined(pooling)) throw new ArgumentOutOfRangeException(nameof(options), pooling, "unknown pooling");
            int maxTokens = Math.Min(model.Config.TrainedContextLength, DefaultMaxTokens);
            if (options?.MaxTokens is { } cap)
            {
                if (cap < 1) throw new ArgumentOutOfRangeException(nameof(options), cap, "MaxTokens must be at least 1");
                maxTokens = Math.Min(model.Config.TrainedContextLength, cap);
            }
            return new DecoderEmbeddingModel(model, pooling, maxTokens);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static EmbeddingPooling ReadPooling(GgufFile file)
    {
        string key = file.Architecture + ".pooling_type";
        long code = file.TryGetInteger(key) ?? 3;
        return code switch
        {
            0 or 3 => EmbeddingPooling.Last, // "none" gives per-token states; a sentence embedder needs one vector
            1 => EmbeddingPooling.Mean,
            2 => EmbeddingPooling.Cls,
            _ => throw new GgufException($"{file.FileName}: metadata key '{key}' is {code}; supported: 0 (none, pooled as last), 1 (mean), 2 (first token), 3 (last)"),
        };
    }

    /// <inheritdoc />
    public override void EmbedTokens(IReadOnlyList<int[]> sequences, bool normalize, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckSequences(sequences, output);
        if (!_workers.TryTake(out var worker)) worker = new Worker(_model.CreateSession(MaxTokens), MaxTokens * Dimension);
        try
        {
            int dim = Dimension;
            for (int s = 0; s < sequences.Count; s++)
            {
                var tokens = sequences[s];
                var hidden = worker.Hidden.AsSpan(0, tokens.Length * dim);
                worker.Session.Reset();
                worker.Session.PrefillHiddenStates(tokens, hidden);
                LocalEmbeddingModel.Pool(hidden, tokens.Length, Pooling, normalize, output.Slice(s * dim, dim));
            }
        }
        finally
        {
            _workers.Add(worker);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _model.Dispose();
    }

    /// <summary>One caller's session and hidden-state scratch.</summary>
    private sealed class Worker(InferenceSession session, int hiddenLength)
    {
        public InferenceSession Session { get; } = session;

        public float[] Hidden { get; } = new float[hiddenLength]; // [MaxTokens, dim] output-normed states
    }
}
