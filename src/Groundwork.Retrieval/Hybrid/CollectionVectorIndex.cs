using Groundwork.Retrieval.Vectors;
using Groundwork.Storage;
using Microsoft.Extensions.AI;

namespace Groundwork.Retrieval.Hybrid;

/// <summary>Options of a <see cref="CollectionVectorIndex"/>.</summary>
public sealed record CollectionVectorIndexOptions
{
    /// <summary>Use exact (brute-force) search instead of HNSW; right for small collections and tests. Default false.</summary>
    public bool Exact { get; init; }

    /// <summary>HNSW parameters (cosine similarity); defaults when null.</summary>
    public HnswOptions? Hnsw { get; init; }

    /// <summary>Texts per call to the embedding generator when vectors are missing from the cache. Default 32.</summary>
    public int EmbedBatchSize { get; init; } = 32;
}

/// <summary>What <see cref="CollectionVectorIndex.UpdateAsync"/> did.</summary>
/// <param name="Added">Vectors added or replaced.</param>
/// <param name="Removed">Vectors removed (their chunks are gone).</param>
/// <param name="Embedded">Texts sent to the embedding model (the rest came from the cache).</param>
/// <param name="Switched">Whether the collection's embedding model was set or switched to this index's model.</param>
/// <param name="Version">The collection version the index now reflects.</param>
public sealed record VectorIndexUpdate(int Added, int Removed, int Embedded, bool Switched, long Version);

/// <summary>
/// The vector index of one collection for one embedding model. Vectors come from the store's embedding cache (keyed by
/// model and chunk hash), missing ones from the generator; the index is keyed by <see cref="EmbeddingModels.KeyOf"/>
/// of the chunk id and, when a path is given, saved to <c>&lt;collection&gt;.&lt;model-slug&gt;.vec</c> with a binary
/// <c>.vec.manifest</c> beside it (<see cref="ChunkManifest"/>) recording the collection version and chunk hashes it
/// reflects; the JSON sidecar of earlier versions is read once and replaced. Before serving, it catches up
/// incrementally with the store (adds new or changed chunks, removes deleted ones). The collection setting
/// <see cref="EmbeddingModels.ModelSettingKey"/> names the model queries must be embedded with; it is switched to a new
/// model only after that model's index is fully built and saved, so there is never a half-built index in use.
/// </summary>
public sealed class CollectionVectorIndex : IDisposable
{
    private readonly ICollectionStore _store;
    private readonly CollectionVectorIndexOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IVectorIndex? _index;
    private Dictionary<long, ChunkKey> _chunks = [];
    private long _version = -1;
    private Dictionary<string, StoredDocument>? _documents;
    private long _documentsVersion = -1;
    private bool _loaded;

    /// <summary>Creates the index manager; nothing is read until the first update or search.</summary>
    /// <param name="store">The collection.</param>
    /// <param name="generator">Embeds chunk texts and queries.</param>
    /// <param name="modelId">The model id vectors are cached and checked under; defaults to the generator's.</param>
    /// <param name="indexPath">Where the index is saved (see <see cref="EmbeddingModels.IndexPath"/>); null keeps it in memory only.</param>
    /// <param name="options">Index options.</param>
    public CollectionVectorIndex(ICollectionStore store, IEmbeddingGenerator<string, Embedding<float>> generator, string? modelId = null,
        string? indexPath = null, CollectionVectorIndexOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(generator);
        _store = store;
        Generator = generator;
        ModelId = modelId ?? EmbeddingModels.IdOf(generator);
        IndexPath = indexPath is null ? null : Path.GetFullPath(indexPath);
        _options = options ?? new CollectionVectorIndexOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EmbedBatchSize, 1, nameof(options));
    }

    /// <summary>The embedding model of this index.</summary>
    public string ModelId { get; }

    /// <summary>The generator that embeds chunks and queries.</summary>
    public IEmbeddingGenerator<string, Embedding<float>> Generator { get; }

    /// <summary>The index file, or null when kept in memory only.</summary>
    public string? IndexPath { get; }

    /// <summary>The collection searched.</summary>
    public ICollectionStore Store => _store;

    /// <summary>Number of vectors in the index (after the last update).</summary>
    public int Count => _index?.Count ?? 0;

    /// <summary>The embedding model the collection is indexed with, or null when it has no vector index yet.</summary>
    public Task<string?> GetCollectionModelAsync(CancellationToken cancellationToken = default)
        => _store.GetSettingAsync(EmbeddingModels.ModelSettingKey, cancellationToken);

    /// <summary>
    /// Brings the index up to the collection's current content (embedding what the cache lacks) and saves it. When the
    /// collection is indexed with another model or none, this builds the whole index for this model first and then
    /// switches the collection's model to it.
    /// </summary>
    public async Task<VectorIndexUpdate> UpdateAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var update = await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var current = await GetCollectionModelAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(current, ModelId, StringComparison.Ordinal))
            {
                // The index for this model is complete and saved: only now do queries move to it.
                await _store.SetSettingAsync(EmbeddingModels.ModelSettingKey, ModelId, cancellationToken).ConfigureAwait(false);
                update = update with { Switched = true };
            }
            return update;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Embeds <paramref name="query"/> with this index's model and returns the nearest chunks, best first.</summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int limit, SearchFilter? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var embeddings = await Generator.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (embeddings.Count != 1) throw new InvalidOperationException($"embedding model '{ModelId}' returned {embeddings.Count} embeddings for one query");
        var e = embeddings[0];
        return await SearchAsync(e.ModelId ?? ModelId, e.Vector, limit, filter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the chunks nearest to a query vector made by <paramref name="queryModelId"/>, best first (score: cosine
    /// similarity). A query embedded by another model than the collection's is refused with an
    /// <see cref="InvalidOperationException"/>. A collection without a vector index gets one built first.
    /// </summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string queryModelId, ReadOnlyMemory<float> queryVector, int limit, SearchFilter? filter = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queryModelId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var collectionModel = await GetCollectionModelAsync(cancellationToken).ConfigureAwait(false);
        if (collectionModel is null)
        {
            await UpdateAsync(cancellationToken).ConfigureAwait(false);
            collectionModel = ModelId;
        }
        if (!string.Equals(collectionModel, queryModelId, StringComparison.Ordinal))
            throw new InvalidOperationException(EmbeddingModels.Mismatch(_store.Name, collectionModel, queryModelId));
        if (!string.Equals(collectionModel, ModelId, StringComparison.Ordinal))
            throw new InvalidOperationException(EmbeddingModels.Mismatch(_store.Name, collectionModel, ModelId));

        IVectorIndex? index;
        Dictionary<long, ChunkKey> chunks;
        Dictionary<string, StoredDocument> documents;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_loaded || await _store.GetVersionAsync(cancellationToken).ConfigureAwait(false) != _version)
                await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            index = _index;
            chunks = _chunks;
            documents = await DocumentsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
        if (index is null || index.Count == 0) return [];
        if (queryVector.Length != index.Dimension)
            throw new ArgumentException($"query vector has {queryVector.Length} dimensions; collection '{_store.Name}' vectors from '{ModelId}' have {index.Dimension}", nameof(queryVector));

        Func<long, bool>? accept = null;
        if (filter is not null)
        {
            var allowed = documents.Values.Where(d => Matches(d, filter)).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            accept = key => chunks.TryGetValue(key, out var c) && allowed.Contains(c.DocumentId);
        }
        int ef = Math.Max(limit, (_options.Hnsw ?? new HnswOptions()).EfSearch);
        var found = index.Search(queryVector.Span, limit, accept, ef);
        var ids = new List<string>(found.Count);
        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var hit in found)
        {
            if (!chunks.TryGetValue(hit.Id, out var c)) continue;
            ids.Add(c.ChunkId);
            scores[c.ChunkId] = hit.Score;
        }
        var stored = await _store.GetChunksByIdAsync(ids, cancellationToken).ConfigureAwait(false);
        var hits = new List<SearchHit>(stored.Count);
        foreach (var chunk in stored)
        {
            if (!documents.TryGetValue(chunk.DocumentId, out var doc)) continue; // removed since the catch-up
            hits.Add(new SearchHit(chunk, doc, scores[chunk.Id], Snippet(chunk.Text)));
        }
        hits.Sort((a, b) => b.Score.CompareTo(a.Score));
        return hits;
    }

    /// <summary>The cached vectors of <paramref name="hits"/>' chunks under this model, by chunk content hash.</summary>
    public Task<IReadOnlyDictionary<string, float[]>> GetVectorsAsync(IEnumerable<SearchHit> hits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hits);
        return _store.GetEmbeddingsAsync(ModelId, hits.Select(h => h.Chunk.ContentHash).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _index?.Dispose();
        _index = null;
        _gate.Dispose();
    }

    internal static bool Matches(StoredDocument d, SearchFilter filter)
    {
        if (filter.Tags is { Count: > 0 } tags)
            foreach (var (k, v) in tags)
                if (!d.Tags.TryGetValue(k, out var have) || !string.Equals(have, v, StringComparison.Ordinal)) return false;
        if (filter.AccessLabels is { } labels && d.AccessLabels.Count > 0 && !d.AccessLabels.Any(l => labels.Contains(l, StringComparer.Ordinal)))
            return false;
        if (filter.DocumentIds is { } docIds && !docIds.Contains(d.Id, StringComparer.Ordinal)) return false;
        return true;
    }

    private static string Snippet(string text)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 200 ? flat : flat[..200] + "…";
    }

    private async Task<Dictionary<string, StoredDocument>> DocumentsAsync(CancellationToken cancellationToken)
    {
        if (_documents is not null && _documentsVersion == _version) return _documents;
        var docs = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
        await foreach (var d in _store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false)) docs[d.Id] = d;
        _documents = docs;
        _documentsVersion = _version;
        return docs;
    }

    // Loads the saved index on first use, then applies the difference between what it holds and the store's chunks.
    private async Task<VectorIndexUpdate> CatchUpAsync(CancellationToken cancellationToken)
    {
        // What the index holds: the saved manifest on first use (no per-chunk strings), the last listing afterwards.
        ChunkManifest? saved = null;
        bool migrate = false;
        if (!_loaded)
        {
            (_index, saved, migrate) = await LoadAsync(cancellationToken).ConfigureAwait(false);
            _version = saved?.Version ?? -1;
            _loaded = true;
        }
        var held = _chunks;
        bool Holds(ChunkKey c, long key) => saved is not null ? saved.Matches(key, c.ContentHash)
            : held.TryGetValue(key, out var h) && string.Equals(h.ContentHash, c.ContentHash, StringComparison.Ordinal);
        bool HoldsKey(long key) => saved is not null ? saved.Contains(key) : held.ContainsKey(key);

        // Read the version before the chunks: a write in between only makes the next catch-up redo a little.
        long version = await _store.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        var current = new Dictionary<long, ChunkKey>();
        await foreach (var c in _store.ListChunkKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            long key = EmbeddingModels.KeyOf(c.ChunkId);
            if (!current.TryAdd(key, c))
                throw new InvalidDataException($"collection '{_store.Name}': chunk ids '{current[key].ChunkId}' and '{c.ChunkId}' share a 64-bit vector key");
        }
        var toAdd = current.Where(p => !Holds(p.Value, p.Key)).Select(p => p.Value).ToList();
        var toRemove = new List<long>();
        if (saved is not null) { foreach (long k in saved.Keys) if (!current.ContainsKey(k)) toRemove.Add(k); }
        else toRemove.AddRange(held.Keys.Where(k => !current.ContainsKey(k)));

        int embedded = 0, removedCount = toRemove.Count;
        if (toAdd.Count > 0)
        {
            var vectors = new Dictionary<string, float[]>(await _store.GetEmbeddingsAsync(ModelId, toAdd.Select(c => c.ContentHash).ToHashSet(StringComparer.Ordinal), cancellationToken)
                .ConfigureAwait(false), StringComparer.Ordinal);
            var wanted = toAdd.Count;
            embedded = await EmbedMissingAsync(toAdd, vectors, cancellationToken).ConfigureAwait(false);
            if (toAdd.Count < wanted)
                foreach (var key in current.Where(p => !vectors.ContainsKey(p.Value.ContentHash)).Select(p => p.Key).ToList())
                    if (!HoldsKey(key)) current.Remove(key);
            if (vectors.Count > 0)
            {
                int dim = vectors.Values.First().Length;
                if (_index is not null && _index.Dimension != dim)
                {
                    // Same model id, other dimension (a replaced model file): start again.
                    _index.Dispose();
                    _index = null;
                    toAdd = [.. current.Values.Where(c => vectors.ContainsKey(c.ContentHash))];
                    toRemove.Clear();
                }
                _index ??= _options.Exact ? new ExactVectorIndex(dim) : new HnswIndex(dim, _options.Hnsw);
                if (_index is HnswIndex hnsw)
                {
                    var ids = new long[toAdd.Count];
                    var flat = new float[toAdd.Count * dim];
                    for (int i = 0; i < toAdd.Count; i++)
                    {
                        ids[i] = EmbeddingModels.KeyOf(toAdd[i].ChunkId);
                        hnsw.Remove(ids[i]); // replacing: drop the old vector first
                        vectors[toAdd[i].ContentHash].CopyTo(flat.AsSpan(i * dim));
                    }
                    hnsw.AddRange(ids, flat);
                }
                else
                {
                    foreach (var c in toAdd) _index.Add(EmbeddingModels.KeyOf(c.ChunkId), vectors[c.ContentHash]);
                }
            }
        }
        if (_index is not null)
            foreach (var key in toRemove) _index.Remove(key);

        bool changed = toAdd.Count > 0 || removedCount > 0 || version != _version || migrate;
        _chunks = current;
        _version = version;
        if (changed && IndexPath is not null && _index is not null) await SaveAsync(cancellationToken).ConfigureAwait(false);
        return new VectorIndexUpdate(toAdd.Count, removedCount, embedded, false, version);
    }

    private async Task<int> EmbedMissingAsync(List<ChunkKey> chunks, Dictionary<string, float[]> vectors, CancellationToken cancellationToken)
    {
        var missing = chunks.Where(c => !vectors.ContainsKey(c.ContentHash)).DistinctBy(c => c.ContentHash, StringComparer.Ordinal).ToList();
        int embedded = 0;
        for (int start = 0; start < missing.Count; start += _options.EmbedBatchSize)
        {
            var batch = missing.GetRange(start, Math.Min(_options.EmbedBatchSize, missing.Count - start));
            var stored = await _store.GetChunksByIdAsync([.. batch.Select(c => c.ChunkId)], cancellationToken).ConfigureAwait(false);
            var texts = stored.Where(c => !vectors.ContainsKey(c.ContentHash)).DistinctBy(c => c.ContentHash, StringComparer.Ordinal).ToList();
            if (texts.Count == 0) continue;
            var result = await Generator.GenerateAsync(texts.Select(c => c.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Count != texts.Count)
                throw new InvalidOperationException($"embedding model '{ModelId}' returned {result.Count} embeddings for {texts.Count} texts");
            var items = new List<CachedEmbedding>(texts.Count);
            for (int i = 0; i < texts.Count; i++)
            {
                var v = result[i].Vector.ToArray();
                vectors[texts[i].ContentHash] = v;
                items.Add(new CachedEmbedding(texts[i].ContentHash, v));
            }
            await _store.PutEmbeddingsAsync(ModelId, items, cancellationToken).ConfigureAwait(false);
            embedded += texts.Count;
        }
        // Chunks removed between listing and reading have no text: they are dropped at the next catch-up.
        chunks.RemoveAll(c => !vectors.ContainsKey(c.ContentHash));
        return embedded;
    }

    /// <summary>The manifest beside the index file (see <see cref="ChunkManifest"/>).</summary>
    private string ManifestPath => IndexPath + ChunkManifest.Suffix;

    /// <summary>The JSON sidecar of earlier versions, read once and replaced by the manifest.</summary>
    private string LegacySidecarPath => IndexPath + ".json";

    /// <summary>
    /// Why the saved index was not used at the last load, as one line naming the file (a damaged or mismatched index
    /// is rebuilt from the embedding cache rather than served); null when it loaded or there was none.
    /// </summary>
    public string? LoadProblem { get; private set; }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        var path = IndexPath!;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The index first (it compacts itself here when tombstones pass its threshold), then the manifest, which
        // records the index file's length and header checksum: a manifest that does not match its index is not trusted.
        await _index!.SaveAsync(path, cancellationToken).ConfigureAwait(false);
        var stamp = ChunkManifest.StampOf(path);
        var manifest = ChunkManifest.Create(ModelId, _index.Dimension, _options.Exact, _version,
            _chunks.Select(p => new KeyValuePair<long, string>(p.Key, p.Value.ContentHash)).ToList(), stamp.Length, stamp.Head);
        await manifest.WriteAsync(ManifestPath, cancellationToken).ConfigureAwait(false);
        if (File.Exists(LegacySidecarPath)) File.Delete(LegacySidecarPath); // migrated
    }

    private async Task<(IVectorIndex? Index, ChunkManifest? Manifest, bool Migrate)> LoadAsync(CancellationToken cancellationToken)
    {
        LoadProblem = null;
        if (IndexPath is null || !File.Exists(IndexPath)) return (null, null, false);
        bool legacy = !File.Exists(ManifestPath);
        if (legacy && !File.Exists(LegacySidecarPath)) return (null, null, false);
        IVectorIndex? index = null;
        try
        {
            var manifest = legacy
                ? await ChunkManifest.ReadLegacyJsonAsync(LegacySidecarPath, cancellationToken).ConfigureAwait(false)
                : await ChunkManifest.ReadAsync(ManifestPath, cancellationToken).ConfigureAwait(false);
            if (manifest.Model != ModelId || manifest.Exact != _options.Exact)
            {
                LoadProblem = $"{(legacy ? LegacySidecarPath : ManifestPath)}: describes a {(manifest.Exact ? "exact" : "HNSW")} index of model '{manifest.Model}', not this one; rebuilding.";
                return (null, null, false);
            }
            if (manifest.IndexLength >= 0 && ChunkManifest.StampOf(IndexPath) != (manifest.IndexLength, manifest.IndexHead))
            {
                // The index was saved after this manifest (a crash in between): which chunks it holds is unknown.
                LoadProblem = $"{ManifestPath}: does not match {IndexPath} (saved after it); rebuilding.";
                return (null, null, false);
            }
            index = manifest.Exact
                ? await ExactVectorIndex.OpenAsync(IndexPath, cancellationToken).ConfigureAwait(false)
                : await HnswIndex.OpenAsync(IndexPath, cancellationToken).ConfigureAwait(false);
            if (index.Dimension != manifest.Dimension)
                throw new InvalidDataException($"{IndexPath}: has {index.Dimension} dimensions; its manifest says {manifest.Dimension}.");
            if (index is HnswIndex hnsw) hnsw.CompactionThreshold = (_options.Hnsw ?? new HnswOptions()).CompactionThreshold;
            return (index, manifest, legacy);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // A damaged index is rebuilt from the embedding cache rather than served; the reason is kept.
            index?.Dispose();
            LoadProblem = e.Message.Split('\n')[0];
            return (null, null, false);
        }
    }
}
