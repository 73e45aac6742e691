using Groundwork.Retrieval.Fusion;
using Groundwork.Retrieval.Hybrid;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;

namespace Groundwork.Retrieval.Tests.Hybrid;

public sealed class HybridRetrieverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The embedder knows that a car is an automobile; BM25 does not.
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.Ordinal) { ["automobile"] = "car", ["automobiles"] = "car", ["cars"] = "car" };

    private static async Task SeedAsync(HybridTestCollection c)
    {
        var x = new Dictionary<string, string> { ["team"] = "x" };
        var y = new Dictionary<string, string> { ["team"] = "y" };
        await c.AddAsync("car", "How to service a car engine and change the oil.", y);
        await c.AddAsync("auto", "Automobile insurance rules for new drivers.", x);
        await c.AddAsync("bike", "Bicycle maintenance: chain oil and tyre pressure.", x);
        await c.AddAsync("cake", "A chocolate cake recipe with cocoa and butter.", y);
        await c.AddAsync("tax", "Filing a tax return for a small automobile business.", y);
    }

    [Fact]
    public async Task Hybrid_fuses_both_legs_by_reciprocal_rank()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        using var index = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(synonyms: Synonyms), options: new() { Exact = true });
        var retriever = new Retriever(c.Store, index);
        const string q = "automobile";

        var keyword = await retriever.SearchAsync(new SearchRequest(q, 5, SearchMode.Keyword), Ct);
        var vector = await retriever.SearchAsync(new SearchRequest(q, 5, SearchMode.Vector), Ct);
        var hybrid = await retriever.SearchAsync(new SearchRequest(q, 5, SearchMode.Hybrid), Ct);

        // The legs disagree: only the vector leg knows the car document is about automobiles.
        Assert.DoesNotContain(keyword, h => h.Document.Id == "car");
        Assert.Contains(vector.Take(3), h => h.Document.Id == "car");
        // Hybrid is exactly RRF (k = 60) of the two legs, and holds what each leg alone found.
        var expected = RankFusion.Reciprocal([keyword, vector], 5);
        Assert.Equal(expected.Select(h => h.Chunk.Id), hybrid.Select(h => h.Chunk.Id));
        Assert.Equal(expected.Select(h => h.Score), hybrid.Select(h => h.Score));
        Assert.Contains(hybrid, h => h.Document.Id == "car");
        Assert.Contains("«", hybrid.First(h => keyword.Any(k => k.Chunk.Id == h.Chunk.Id)).Snippet, StringComparison.Ordinal);

        var weighted = await retriever.SearchAsync(new SearchRequest(q, 5, SearchMode.Hybrid) { Fusion = FusionMethod.Weighted, VectorWeight = 1.0 }, Ct);
        Assert.Equal(vector.Select(h => h.Chunk.Id), weighted.Select(h => h.Chunk.Id).Take(vector.Count));
        var keywordOnly = await retriever.SearchAsync(new SearchRequest(q, 5, SearchMode.Hybrid) { Fusion = FusionMethod.Weighted, VectorWeight = 0.0 }, Ct);
        Assert.Equal(keyword.Select(h => h.Chunk.Id), keywordOnly.Select(h => h.Chunk.Id).Take(keyword.Count));
    }

    [Fact]
    public async Task Filters_apply_in_both_legs_of_a_hybrid_search()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await SeedAsync(c);
        using var index = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(synonyms: Synonyms));
        var retriever = new Retriever(c.Store, index);
        var filter = new SearchFilter { Tags = new Dictionary<string, string> { ["team"] = "x" } };
        var all = await retriever.SearchAsync(new SearchRequest("automobile oil", 5, SearchMode.Hybrid), Ct);
        Assert.Contains(all, h => h.Document.Tags["team"] == "y");

        foreach (var mode in new[] { SearchMode.Keyword, SearchMode.Vector, SearchMode.Hybrid })
        {
            var hits = await retriever.SearchAsync(new SearchRequest("automobile oil", 5, mode, filter), Ct);
            Assert.NotEmpty(hits);
            Assert.All(hits, h => Assert.Equal("x", h.Document.Tags["team"]));
        }
    }

    [Fact]
    public async Task Mmr_gives_way_to_different_content_over_near_duplicates()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        await c.AddAsync("d1", "Reset your password from the account settings page.");
        await c.AddAsync("d2", "Reset your password from the account settings page today.");
        await c.AddAsync("d3", "Reset your password from the account settings page now.");
        await c.AddAsync("other", "Password rules: at least twelve characters, reset yearly by policy.");
        await c.AddAsync("noise", "The cafeteria menu changes every Monday.");
        using var index = new CollectionVectorIndex(c.Store, new BagOfWordsEmbedder(dimensions: 256));
        var retriever = new Retriever(c.Store, index);
        const string q = "reset password account settings page";

        var plain = await retriever.SearchAsync(new SearchRequest(q, 3, SearchMode.Vector), Ct);
        Assert.Equal(["d1", "d2", "d3"], plain.Select(h => h.Document.Id).Order().ToArray());

        var diverse = await retriever.SearchAsync(new SearchRequest(q, 3, SearchMode.Vector) { MmrLambda = 0.5 }, Ct);
        Assert.Equal(3, diverse.Count);
        Assert.Equal(plain[0].Chunk.Id, diverse[0].Chunk.Id); // the most relevant stays first
        Assert.Contains(diverse, h => h.Document.Id == "other");

        var relevanceOnly = await retriever.SearchAsync(new SearchRequest(q, 3, SearchMode.Vector) { MmrLambda = 1.0 }, Ct);
        Assert.Equal(plain.Select(h => h.Chunk.Id), relevanceOnly.Select(h => h.Chunk.Id));

        var hybrid = await retriever.SearchAsync(new SearchRequest(q, 3, SearchMode.Hybrid) { MmrLambda = 0.5 }, Ct);
        Assert.Contains(hybrid, h => h.Document.Id == "other");
    }

    [Fact]
    public void Mmr_select_is_greedy_and_validates_lambda()
    {
        static SearchHit Hit(string id, double score) => new(
            new StoredChunk { Id = id, DocumentId = id, Text = id, ContentHash = id }, new StoredDocument { Id = id, SourcePath = id, MediaType = "t", ContentHash = id, Text = "" }, score, id);
        var hits = new[] { Hit("a", 1.0), Hit("a2", 0.95), Hit("b", 0.5) };
        var vectors = new Dictionary<string, float[]> { ["a"] = [1, 0], ["a2"] = [1, 0.01f], ["b"] = [0, 1] };
        Assert.Equal(["a", "b", "a2"], Mmr.Select(hits, h => vectors[h.Chunk.Id], 0.5, 3).Select(h => h.Chunk.Id).ToArray());
        Assert.Equal(["a", "a2"], Mmr.Select(hits, h => vectors[h.Chunk.Id], 1.0, 2).Select(h => h.Chunk.Id).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Mmr.Select(hits, _ => null, 1.5, 2));
    }
}
