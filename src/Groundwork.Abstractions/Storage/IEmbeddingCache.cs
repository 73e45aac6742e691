namespace Groundwork.Storage;

/// <summary>A vector computed by an embedding model for one chunk text, identified by the text's content hash.</summary>
/// <param name="ChunkHash">Lower-case hex SHA-256 of the chunk text (<see cref="StoredChunk.ContentHash"/>).</param>
/// <param name="Vector">The embedding.</param>
public sealed record CachedEmbedding(string ChunkHash, ReadOnlyMemory<float> Vector);

/// <summary>The identity of a stored chunk without its text: what a vector index needs to follow the collection.</summary>
/// <param name="ChunkId">Chunk id.</param>
/// <param name="DocumentId">Owning document id.</param>
/// <param name="ContentHash">Content hash of the chunk text.</param>
public sealed record ChunkKey(string ChunkId, string DocumentId, string ContentHash);

/// <summary>
/// Embeddings cached per (model id, chunk content hash): re-ingesting or re-chunking never recomputes the vector of a
/// text that was embedded before by the same model. Writing embeddings is not a content change (the collection version
/// stays as it is).
/// </summary>
public interface IEmbeddingCache
{
    /// <summary>The cached vectors of <paramref name="chunkHashes"/> under <paramref name="model"/>; hashes not cached are absent.</summary>
    Task<IReadOnlyDictionary<string, float[]>> GetEmbeddingsAsync(string model, IReadOnlyCollection<string> chunkHashes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores vectors under <paramref name="model"/> (replacing any with the same hash) in one transaction. All vectors of
    /// one model have the same dimension; a vector of another dimension is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    Task PutEmbeddingsAsync(string model, IReadOnlyList<CachedEmbedding> items, CancellationToken cancellationToken = default);

    /// <summary>Number of vectors cached under <paramref name="model"/>.</summary>
    Task<int> CountEmbeddingsAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Removes cached vectors whose hash no longer belongs to any chunk (any model); returns how many.</summary>
    Task<int> PruneEmbeddingsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every chunk of the collection (id, document, content hash), in chunk-id order.</summary>
    IAsyncEnumerable<ChunkKey> ListChunkKeysAsync(CancellationToken cancellationToken = default);
}
