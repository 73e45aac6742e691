namespace Groundwork.Storage;

/// <summary>
/// Opens named collections. A backend (SQLite file per collection, PostgreSQL schema, ...) implements this
/// and <see cref="ICollectionStore"/>; the conformance suite in the tests checks any implementation.
/// </summary>
public interface IStoreProvider
{
    /// <summary>Opens (creating and migrating if needed) the collection called <paramref name="name"/>.</summary>
    Task<ICollectionStore> OpenAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Names of existing collections.</summary>
    Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One collection: documents, their chunks, a keyword (BM25) index over the chunks, settings, the embedding cache and the
/// interaction log. Every write is atomic: after a crash a document is either fully present with all its chunks or absent.
/// </summary>
public interface ICollectionStore : IInteractionLog, IEmbeddingCache, IAsyncDisposable
{
    /// <summary>The collection name.</summary>
    string Name { get; }

    /// <summary>
    /// Monotonic content version, incremented by every committed change to documents or chunks (not by settings,
    /// so caches kept in settings do not invalidate themselves); answer caches key on it.
    /// </summary>
    Task<long> GetVersionAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces a document and all its chunks in one transaction.</summary>
    Task UpsertDocumentAsync(StoredDocument document, IReadOnlyList<StoredChunk> chunks, CancellationToken cancellationToken = default);

    /// <summary>Removes a document and its chunks. Returns false if it was not there.</summary>
    Task<bool> RemoveDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>Gets a document (with text) by id.</summary>
    Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>Lists documents without their text.</summary>
    IAsyncEnumerable<StoredDocument> ListDocumentsAsync(CancellationToken cancellationToken = default);

    /// <summary>The chunks of a document in order.</summary>
    Task<IReadOnlyList<StoredChunk>> GetChunksAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>Chunks by id (missing ids are skipped).</summary>
    Task<IReadOnlyList<StoredChunk>> GetChunksByIdAsync(IReadOnlyList<string> chunkIds, CancellationToken cancellationToken = default);

    /// <summary>BM25 keyword search over chunk text and document titles, best first.</summary>
    Task<IReadOnlyList<SearchHit>> KeywordSearchAsync(string query, int limit, SearchFilter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>Reads or writes a small collection-level setting (e.g. the embedding model); null removes.</summary>
    Task SetSettingAsync(string key, string? value, CancellationToken cancellationToken = default);

    /// <summary>Reads a collection-level setting.</summary>
    Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Counts.</summary>
    Task<CollectionStats> GetStatsAsync(CancellationToken cancellationToken = default);
}
