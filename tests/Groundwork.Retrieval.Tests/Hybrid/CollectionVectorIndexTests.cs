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
}
