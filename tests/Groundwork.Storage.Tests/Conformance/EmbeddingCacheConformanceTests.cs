namespace Groundwork.Storage.Tests.Conformance;

/// <summary>
/// The embedding-cache behaviour (<see cref="IEmbeddingCache"/>) every <see cref="ICollectionStore"/> backend must show.
/// A backend's test project subclasses this and implements <see cref="CreateProviderAsync"/>.
/// </summary>
public abstract class EmbeddingCacheConformanceTests : IAsyncDisposable
{
    private readonly List<ICollectionStore> _opened = [];

    /// <summary>A provider over this test's storage (same storage on every call within one test).</summary>
    protected abstract Task<IStoreProvider> CreateProviderAsync();

    /// <summary>Removes this test's storage after every store opened by the suite has been disposed.</summary>
    protected virtual ValueTask CleanupAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened) await store.DisposeAsync();
        _opened.Clear();
        await CleanupAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<ICollectionStore> OpenAsync(string name = "embeddings")
    {
        var provider = await CreateProviderAsync();
        var store = await provider.OpenAsync(name, Ct);
        _opened.Add(store);
        return store;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static float[] Vec(params float[] v) => v;

    [Fact]
    public async Task Put_then_get_round_trips_vectors_bit_exactly_per_model()
    {
        var store = await OpenAsync();
        var a = Vec(1.5f, -0.25f, float.Epsilon, 3e38f);
        var b = Vec(0f, 1f, -1f, 0.1f);
        await store.PutEmbeddingsAsync("model-a", [new("h1", a), new("h2", b)], Ct);
        await store.PutEmbeddingsAsync("model-b", [new("h1", Vec(9f, 9f))], Ct);

        var got = await store.GetEmbeddingsAsync("model-a", ["h1", "h2", "missing"], Ct);
        Assert.Equal(2, got.Count);
        Assert.Equal(a, got["h1"]);
        Assert.Equal(b, got["h2"]);
        Assert.Equal(Vec(9f, 9f), (await store.GetEmbeddingsAsync("model-b", ["h1", "h2"], Ct))["h1"]);
        Assert.Single(await store.GetEmbeddingsAsync("model-b", ["h1", "h2"], Ct));
        Assert.Equal(2, await store.CountEmbeddingsAsync("model-a", Ct));
        Assert.Equal(1, await store.CountEmbeddingsAsync("model-b", Ct));
        Assert.Equal(0, await store.CountEmbeddingsAsync("model-c", Ct));
        Assert.Empty(await store.GetEmbeddingsAsync("model-c", ["h1"], Ct));
    }

    [Fact]
    public async Task Put_replaces_an_existing_vector_and_survives_reopening()
    {
        var store = await OpenAsync("reopen");
        await store.PutEmbeddingsAsync("m", [new("h", Vec(1f, 2f))], Ct);
        await store.PutEmbeddingsAsync("m", [new("h", Vec(3f, 4f))], Ct);
        await store.DisposeAsync();
        _opened.Remove(store);

        var again = await OpenAsync("reopen");
        Assert.Equal(Vec(3f, 4f), (await again.GetEmbeddingsAsync("m", ["h"], Ct))["h"]);
        Assert.Equal(1, await again.CountEmbeddingsAsync("m", Ct));
    }

    [Fact]
    public async Task Put_refuses_a_dimension_that_differs_from_the_models_vectors()
    {
        var store = await OpenAsync();
        await store.PutEmbeddingsAsync("m", [new("h1", Vec(1f, 2f, 3f))], Ct);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => store.PutEmbeddingsAsync("m", [new("h2", Vec(1f, 2f))], Ct));
        Assert.Contains("3-dimensional", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutEmbeddingsAsync("m2", [new("a", Vec(1f)), new("b", Vec(1f, 2f))], Ct));
        Assert.Equal(0, await store.CountEmbeddingsAsync("m2", Ct));
        Assert.Empty(await store.GetEmbeddingsAsync("m", ["h2"], Ct));
    }

    [Fact]
    public async Task Embeddings_do_not_change_the_collection_version()
    {
        var store = await OpenAsync();
        long before = await store.GetVersionAsync(Ct);
        await store.PutEmbeddingsAsync("m", [new("h", Vec(1f))], Ct);
        Assert.Equal(before, await store.GetVersionAsync(Ct));
    }

    [Fact]
    public async Task Chunk_keys_list_every_chunk_and_prune_drops_vectors_of_vanished_texts()
    {
        var store = await OpenAsync();
        var one = TestDocs.Make("one", "One", ["alpha text", "beta text"]);
        var two = TestDocs.Make("two", "Two", ["gamma text"]);
        await store.UpsertDocumentAsync(one.Document, one.Chunks, Ct);
        await store.UpsertDocumentAsync(two.Document, two.Chunks, Ct);

        var keys = new List<ChunkKey>();
        await foreach (var k in store.ListChunkKeysAsync(Ct)) keys.Add(k);
        Assert.Equal(["one#0", "one#1", "two#0"], keys.Select(k => k.ChunkId).ToArray());
        Assert.Equal("two", keys[2].DocumentId);
        Assert.Equal(ContentHash.Of("gamma text"), keys[2].ContentHash);

        await store.PutEmbeddingsAsync("m", [.. keys.Select(k => new CachedEmbedding(k.ContentHash, Vec(1f, 0f))), new("orphan", Vec(0f, 1f))], Ct);
        await store.RemoveDocumentAsync("two", Ct);
        Assert.Equal(2, await store.PruneEmbeddingsAsync(Ct));
        Assert.Equal(2, await store.CountEmbeddingsAsync("m", Ct));
        Assert.Empty(await store.GetEmbeddingsAsync("m", [ContentHash.Of("gamma text"), "orphan"], Ct));
    }
}
