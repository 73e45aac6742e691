using Microsoft.Extensions.AI;

namespace Groundwork.Models.Embeddings;

/// <summary>Options for <see cref="LocalEmbeddingGenerator"/>.</summary>
public sealed class LocalEmbeddingGeneratorOptions
{
    /// <summary>Inputs per forward pass (default 32). Larger batches use the matrix kernels better and more memory.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>L2-normalise each embedding (default true), so dot product equals cosine similarity.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Receives one line per warning, e.g. "input 3 of 8 has 700 tokens; truncated to 512".</summary>
    public Action<string>? OnWarning { get; init; }

    /// <summary>Dispose the model when the generator is disposed (default false).</summary>
    public bool OwnsModel { get; init; }
}

/// <summary>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over a local <see cref="LocalEmbeddingModel"/> (BERT encoder or decoder): tokenizes,
/// truncates inputs longer than <see cref="LocalEmbeddingModel.MaxTokens"/> (with a warning), embeds in batches and
/// returns one embedding per input, in order.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly LocalEmbeddingModel _model;
    private readonly LocalEmbeddingGeneratorOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Creates a generator over <paramref name="model"/>.</summary>
    public LocalEmbeddingGenerator(LocalEmbeddingModel model, LocalEmbeddingGeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Pooling == EmbeddingPooling.Rank)
            throw new ArgumentException($"{model.Name} is a reranking model (pooling rank): use it to rerank (CrossEncoderReranker, --reranker), not to embed", nameof(model));
        _model = model;
        _options = options ?? new LocalEmbeddingGeneratorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1, nameof(options));
        _metadata = new EmbeddingGeneratorMetadata("groundwork-local", null, model.Name, model.Dimension);
    }

    /// <summary>The model id reported on embeddings (<c>general.name</c> or the file name).</summary>
    public string ModelId => _model.Name;

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } d && d != _model.Dimension)
            throw new NotSupportedException($"model '{_model.Name}' produces {_model.Dimension}-dimensional embeddings; {d} were requested");
        var texts = values as IReadOnlyList<string> ?? [.. values];
        int dim = _model.Dimension;
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        long tokens = 0;
        var batch = new List<int[]>(_options.BatchSize);
        var created = DateTimeOffset.UtcNow;
        for (int start = 0; start < texts.Count; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            int end = Math.Min(texts.Count, start + _options.BatchSize);
            for (int i = start; i < end; i++)
            {
                var text = texts[i] ?? throw new ArgumentException($"input {i + 1} of {texts.Count} is null", nameof(values));
                var ids = _model.Tokenize(text, out int full);
                if (full > ids.Length)
                    _options.OnWarning?.Invoke($"input {i + 1} of {texts.Count} has {full} tokens; truncated to {ids.Length}");
                tokens += ids.Length;
                batch.Add(ids);
            }
            var flat = new float[batch.Count * dim];
            _model.EmbedTokens(batch, _options.Normalize, flat);
            for (int i = 0; i < batch.Count; i++)
            {
                result.Add(new Embedding<float>(flat.AsMemory(i * dim, dim)) { ModelId = _model.Name, CreatedAt = created });
            }
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_model)) return _model;
        return null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_options.OwnsModel) _model.Dispose();
    }
}
