using Groundwork.Retrieval.Hybrid;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;

namespace Groundwork.Retrieval.Tests.Hybrid;

public sealed class CollectionVectorIndexTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task SeedAsync(HybridTestCollection c)
    {
        await c.AddAsync("solar", "Solar panels convert sunlight into electricity for the house.");
        await c.AddAsync("wind", "Wind turbines turn moving air into electric power on the coast.");
        await c.AddAsync("bread", "Knead the dough and let the bread rise before baking it in the oven.");
        await c.AddAsync("pasta", "Boil the pasta in salted water and serve it with tomato sauce.");
    }

    [Fact]
    public async Task Vector_search_finds_the_nearest_chunk_and_builds_the_index_from_the_cache()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        var embedder = new BagOfWordsEmbedder();
        using var index = new CollectionVectorIndex(c.Store, embedder, indexPath: EmbeddingModels.IndexPath(c.Directory, "hybrid", embedder.ModelId));

        var update = await index.UpdateAsync(Ct);
        Assert.Equal(4, update.Added);
        Assert.Equal(4, update.Embedded);
        Assert.True(update.Switched);
        Assert.Equal("bow-64", await c.Store.GetSettingAsync(EmbeddingModels.ModelSettingKey, Ct));
        Assert.Equal(4, await c.Store.CountEmbeddingsAsync("bow-64", Ct));
        Assert.True(File.Exists(index.IndexPath));

        var hits = await index.SearchAsync("bread dough oven", 2, cancellationToken: Ct);
        Assert.Equal("bread#0", hits[0].Chunk.Id);
        Assert.Equal("bread", hits[0].Document.Id);
        Assert.InRange(hits[0].Score, 0.3, 1.0001);
        Assert.True(hits[0].Score > hits[1].Score);

        // A second manager over the same files serves from the saved index and the cache: nothing is re-embedded.
        var again = new BagOfWordsEmbedder();
        using var reopened = new CollectionVectorIndex(c.Store, again, indexPath: index.IndexPath);
        var second = await reopened.SearchAsync("salted water pasta", 1, cancellationToken: Ct);
        Assert.Equal("pasta#0", second[0].Chunk.Id);
        Assert.Equal(1, again.Calls); // the query only
        Assert.Equal(["salted water pasta"], again.Seen);
    }

    [Fact]
    public async Task Reopening_after_an_ingest_catches_up_incrementally()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        var path = EmbeddingModels.IndexPath(c.Directory, "hybrid", "bow-64");
        using (var first = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path))
            await first.UpdateAsync(Ct);

        await c.Store.RemoveDocumentAsync("wind", Ct);
        await c.AddAsync("rice", "Steam the rice and serve it with the curry sauce.");
        await c.AddAsync("solar", "Solar panels on the roof charge a battery for the night."); // changed text, same chunk id
        await c.ReopenAsync();

        var embedder = new BagOfWordsEmbedder();
        using var index = new CollectionVectorIndex(c.Store, embedder, indexPath: path);
        var update = await index.UpdateAsync(Ct);
        Assert.Equal(2, update.Added);   // rice, and solar's new text
        Assert.Equal(1, update.Removed); // wind
        Assert.Equal(2, update.Embedded);
        Assert.False(update.Switched);
        Assert.Equal(4, index.Count);
        Assert.DoesNotContain(embedder.Seen, t => t.Contains("bread", StringComparison.Ordinal));

        var hits = await index.SearchAsync("wind turbines moving air coast", 4, cancellationToken: Ct);
        Assert.DoesNotContain(hits, h => h.Document.Id == "wind");
        Assert.Equal("rice#0", (await index.SearchAsync("steam rice curry", 1, cancellationToken: Ct))[0].Chunk.Id);
        Assert.Equal("solar#0", (await index.SearchAsync("roof battery night", 1, cancellationToken: Ct))[0].Chunk.Id);
    }

    [Fact]
    public async Task A_query_embedded_by_another_model_is_refused_with_a_clear_error()
    {
        await using var c = await HybridTestCollection.CreateAsync("docs");
        await SeedAsync(c);
        using var a = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder("model-a"), options: new() { Exact = true });
        await a.UpdateAsync(Ct);

        using var b = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder("model-b"), options: new() { Exact = true });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => b.SearchAsync("bread", 3, cancellationToken: Ct));
        Assert.Equal("collection 'docs' is indexed with embedding model 'model-a'; this query was embedded with 'model-b'", e.Message);

        var v = new BagOfWordsEmbedder().Embed("bread");
        var e2 = await Assert.ThrowsAsync<InvalidOperationException>(() => a.SearchAsync("model-b", v, 3, cancellationToken: Ct));
        Assert.Contains("indexed with embedding model 'model-a'; this query was embedded with 'model-b'", e2.Message, StringComparison.Ordinal);
        Assert.NotEmpty(await a.SearchAsync("model-a", v, 3, cancellationToken: Ct));
    }

    [Fact]
    public async Task Switching_models_builds_the_new_index_beside_the_old_and_switches_only_when_complete()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        var pathA = EmbeddingModels.IndexPath(c.Directory, "hybrid", "model-a");
        var pathB = EmbeddingModels.IndexPath(c.Directory, "hybrid", "model-b");
        Assert.NotEqual(pathA, pathB);
        using var a = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder("model-a"), indexPath: pathA);
        await a.UpdateAsync(Ct);

        var slow = new BagOfWordsEmbedder("model-b", dimensions: 32) { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var b = new CollectionVectorIndex(c.Store, slow, indexPath: pathB);
        var building = b.UpdateAsync(Ct);
        await slow.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // Mid-build: the collection still answers model-a queries from the complete old index.
        Assert.Equal("model-a", await c.Store.GetSettingAsync(EmbeddingModels.ModelSettingKey, Ct));
        Assert.Equal("bread#0", (await a.SearchAsync("bread dough", 1, cancellationToken: Ct))[0].Chunk.Id);
        Assert.False(File.Exists(pathB));

        slow.Gate!.SetResult();
        var update = await building;
        Assert.True(update.Switched);
        Assert.Equal("model-b", await c.Store.GetSettingAsync(EmbeddingModels.ModelSettingKey, Ct));
        Assert.True(File.Exists(pathA));
        Assert.True(File.Exists(pathB));
        Assert.Equal("pasta#0", (await b.SearchAsync("pasta tomato", 1, cancellationToken: Ct))[0].Chunk.Id);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => a.SearchAsync("bread", 1, cancellationToken: Ct));
        Assert.Contains("indexed with embedding model 'model-b'; this query was embedded with 'model-a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_apply_in_the_vector_leg()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await c.AddAsync("a", "Bread and butter recipes", new Dictionary<string, string> { ["team"] = "x" });
        await c.AddAsync("b", "Bread and butter recipes for the weekend", new Dictionary<string, string> { ["team"] = "y" });
        await c.AddAsync("c", "Engine repair manual", new Dictionary<string, string> { ["team"] = "y" });
        using var index = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder());
        var filter = new SearchFilter { Tags = new Dictionary<string, string> { ["team"] = "y" } };
        var hits = await index.SearchAsync("bread and butter recipes", 3, filter, Ct);
        Assert.Equal(["b", "c"], hits.Select(h => h.Document.Id).ToArray());
        var byId = await index.SearchAsync("bread and butter recipes", 3, new SearchFilter { DocumentIds = ["a"] }, Ct);
        Assert.Equal(["a"], byId.Select(h => h.Document.Id).ToArray());
    }

    [Fact]
    public async Task Retriever_without_an_embedding_model_refuses_vector_modes()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        var retriever = new Retriever(c.Store);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => retriever.SearchAsync(new SearchRequest("x", 5, SearchMode.Hybrid), Ct));
        Assert.Contains("needs an embedding model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_JSON_sidecar_is_read_once_and_rewritten_as_the_binary_manifest()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        var path = EmbeddingModels.IndexPath(c.Directory, "hybrid", "bow-64");
        using (var first = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path))
            await first.UpdateAsync(Ct);
        Assert.True(File.Exists(path + ".manifest"));

        // Replace the manifest by the sidecar earlier versions wrote: { model, dimension, version, exact, chunks: { key: hash } }.
        var chunks = new Dictionary<string, string>();
        await foreach (var k in c.Store.ListChunkKeysAsync(Ct))
            chunks[EmbeddingModels.KeyOf(k.ChunkId).ToString(System.Globalization.CultureInfo.InvariantCulture)] = k.ContentHash;
        File.Delete(path + ".manifest");
        await File.WriteAllTextAsync(path + ".json", System.Text.Json.JsonSerializer.Serialize(new
        {
            model = "bow-64", dimension = 64, version = await c.Store.GetVersionAsync(Ct), exact = false, chunks,
        }), Ct);

        using (var migrated = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path))
        {
            var update = await migrated.UpdateAsync(Ct);
            Assert.Null(migrated.LoadProblem);
            Assert.Equal(0, update.Added); // the index was served, not rebuilt
            Assert.True(File.Exists(path + ".manifest"));
            Assert.False(File.Exists(path + ".json"));
            Assert.Equal("bread#0", (await migrated.SearchAsync("bread dough oven", 1, cancellationToken: Ct))[0].Chunk.Id);
        }
        using var again = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path);
        Assert.Equal(0, (await again.UpdateAsync(Ct)).Added);
        Assert.Null(again.LoadProblem);
        Assert.Equal(4, again.Count);
    }

    [Fact]
    public async Task A_corrupt_manifest_is_reported_by_file_and_the_index_rebuilt_from_the_cache()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        var path = EmbeddingModels.IndexPath(c.Directory, "hybrid", "bow-64");
        using (var first = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path))
            await first.UpdateAsync(Ct);
        var bytes = await File.ReadAllBytesAsync(path + ".manifest", Ct);
        bytes[^12] ^= 0x01;
        await File.WriteAllBytesAsync(path + ".manifest", bytes, Ct);

        var embedder = new BagOfWordsEmbedder();
        using var index = new CollectionVectorIndex(c.Store, embedder, indexPath: path);
        var update = await index.UpdateAsync(Ct);
        Assert.Equal(path + ".manifest: corrupt vector index manifest: checksum mismatch.", index.LoadProblem);
        Assert.Equal(4, update.Added);
        Assert.Equal(0, update.Embedded); // vectors came from the cache
        Assert.Equal(0, embedder.Calls);
        Assert.Equal("pasta#0", (await index.SearchAsync("salted water pasta", 1, cancellationToken: Ct))[0].Chunk.Id);
        Assert.Equal(4, (await ChunkManifest.ReadAsync(path + ".manifest", Ct)).Count); // rewritten whole
    }

    [Fact]
    public async Task A_manifest_older_than_its_index_is_not_trusted()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        var path = EmbeddingModels.IndexPath(c.Directory, "hybrid", "bow-64");
        using (var first = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path))
            await first.UpdateAsync(Ct);
        var manifest = await File.ReadAllBytesAsync(path + ".manifest", Ct);
        await c.Store.RemoveDocumentAsync("wind", Ct);
        using (var second = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path))
            Assert.Equal(1, (await second.UpdateAsync(Ct)).Removed);
        // A crash after the index was saved and before its manifest: the old manifest says "wind" is indexed.
        await File.WriteAllBytesAsync(path + ".manifest", manifest, Ct);
        await c.AddAsync("wind", "Wind turbines turn moving air into electric power on the coast.");

        using var index = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path);
        await index.UpdateAsync(Ct);
        Assert.Contains("does not match", index.LoadProblem, StringComparison.Ordinal);
        Assert.Equal("wind#0", (await index.SearchAsync("wind turbines coast", 1, cancellationToken: Ct))[0].Chunk.Id);
    }

    [Fact]
    public async Task Removing_most_chunks_compacts_the_saved_index()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        for (int i = 0; i < 40; i++) await c.AddAsync("d" + i, $"document {i} about topic {i % 7} with words w{i} x{i} y{i}");
        var path = EmbeddingModels.IndexPath(c.Directory, "hybrid", "bow-64");
        using var index = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(), indexPath: path);
        await index.UpdateAsync(Ct);
        long full = new FileInfo(path).Length;
        for (int i = 0; i < 40; i += 2) await c.Store.RemoveDocumentAsync("d" + i, Ct);
        var update = await index.UpdateAsync(Ct);
        Assert.Equal(20, update.Removed);
        using (var saved = await Groundwork.Retrieval.Vectors.HnswIndex.OpenAsync(path, Ct))
        {
            Assert.Equal(20, saved.Count);
            Assert.Equal(20, saved.NodeCount); // tombstones dropped on save
        }
        Assert.True(new FileInfo(path).Length < full, "the compacted index file is smaller");
        var hits = await index.SearchAsync("document 7 about topic 0 with words w7 x7 y7", 1, cancellationToken: Ct);
        Assert.Equal("d7#0", hits[0].Chunk.Id);
    }
}
