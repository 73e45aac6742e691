using Groundwork.Storage;
using Microsoft.Extensions.AI;

namespace Groundwork.Ingestion.Pipeline;

/// <summary>
/// Computes the embeddings of a document's chunks that the cache lacks and stores them under the model id, keyed by
/// chunk content hash: re-ingesting or re-chunking never recomputes an unchanged text's vector. Runs after chunking;
/// the collection's vector index then picks the vectors up from the cache.
/// </summary>
public sealed class EmbedStep : IIngestStep, IDisposable
{
    private readonly IEmbeddingCache _cache;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly int _batchSize;
    // Local encoders are not re-entrant and saturate the CPU on their own: one batch at a time.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _embedded;

    /// <summary>Creates the step.</summary>
    /// <param name="cache">The collection's embedding cache.</param>
    /// <param name="generator">The embedding model.</param>
    /// <param name="modelId">The id vectors are cached under (the generator's model id).</param>
    /// <param name="batchSize">Texts per call to the generator.</param>
    public EmbedStep(IEmbeddingCache cache, IEmbeddingGenerator<string, Embedding<float>> generator, string modelId, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _cache = cache;
        _generator = generator;
        ModelId = modelId;
        _batchSize = batchSize;
    }

    /// <inheritdoc />
    public string Name => "embed";

    /// <summary>The model id vectors are cached under.</summary>
    public string ModelId { get; }

    /// <summary>Texts embedded so far (cache misses).</summary>
    public long Embedded => Interlocked.Read(ref _embedded);

    /// <inheritdoc />
    public async ValueTask RunAsync(IngestItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Chunks is not { Count: > 0 } chunks) return;
        var byHash = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in chunks) byHash.TryAdd(ContentHash.Of(c.Text), c.Text);
        var cached = await _cache.GetEmbeddingsAsync(ModelId, byHash.Keys, cancellationToken).ConfigureAwait(false);
        var missing = byHash.Where(p => !cached.ContainsKey(p.Key)).ToList();
        for (int start = 0; start < missing.Count; start += _batchSize)
        {
            var batch = missing.GetRange(start, Math.Min(_batchSize, missing.Count - start));
            GeneratedEmbeddings<Embedding<float>> result;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                result = await _generator.GenerateAsync(batch.Select(p => p.Value), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            finally { _gate.Release(); }
            if (result.Count != batch.Count)
                throw new InvalidOperationException($"{item.Path}: embedding model '{ModelId}' returned {result.Count} embeddings for {batch.Count} chunks");
            var items = new List<CachedEmbedding>(batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                if (result[i].ModelId is { } m && !string.Equals(m, ModelId, StringComparison.Ordinal))
                    throw new InvalidOperationException($"{item.Path}: the embedding generator made vectors with model '{m}', but they are cached as '{ModelId}'");
                items.Add(new CachedEmbedding(batch[i].Key, result[i].Vector.ToArray()));
            }
            await _cache.PutEmbeddingsAsync(ModelId, items, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _embedded, batch.Count);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
