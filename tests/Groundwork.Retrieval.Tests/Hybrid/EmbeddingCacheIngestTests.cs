using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Models.Embeddings;
using Groundwork.Retrieval.Hybrid;
using Groundwork.Retrieval.Search;
using Groundwork.Models.Tests.Embeddings;
using Groundwork.Testing;

namespace Groundwork.Retrieval.Tests.Hybrid;

public sealed class EmbeddingCacheIngestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Ingestor NewIngestor(HybridTestCollection c, EmbedStep step, int maxTokens)
        => new(c.Store, ExtractorRegistry.CreateDefault(), new DefaultTokenizer(), new ChunkingOptions(maxTokens, 0), [step]);

    [Fact]
    public async Task Reingesting_or_rechunking_never_recomputes_an_unchanged_chunks_vector()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        using var files = TestPaths.CreateTempDir("gw-hybrid-src");
        string[] texts =
        [
            "Solar panels convert sunlight into electricity.",
            "Wind turbines turn moving air into electric power.",
            "Knead the dough and let the bread rise.",
            "Boil the pasta in salted water.",
        ];
        for (int i = 0; i < texts.Length; i++) await File.WriteAllTextAsync(Path.Combine(files.Path, $"doc{i}.txt"), texts[i], Ct);
        // A duplicate text in another file: one vector serves both chunks.
        await File.WriteAllTextAsync(Path.Combine(files.Path, "copy.txt"), texts[0], Ct);

        var embedder = new BagOfWordsEmbedder();
        using var step = new EmbedStep(c.Store, embedder, embedder.ModelId);
        var report = await NewIngestor(c, step, 200).IngestAsync([files.Path], cancellationToken: Ct);
        Assert.False(report.HasFailures);
        Assert.Equal(5, report.ChunksWritten);
        Assert.Equal(4, await c.Store.CountEmbeddingsAsync(embedder.ModelId, Ct));
        Assert.Equal(4, embedder.Seen.Distinct(StringComparer.Ordinal).Count());
        int textsAfterFirst = embedder.Texts;
        Assert.InRange(textsAfterFirst, 4, 5); // parallel files may race to embed the duplicate once each

        // Unchanged files: nothing is embedded.
        await NewIngestor(c, step, 200).IngestAsync([files.Path], cancellationToken: Ct);
        Assert.Equal(textsAfterFirst, embedder.Texts);

        // Re-chunking with another size re-writes every document, but the chunk texts are the same: still nothing.
        var rechunked = await NewIngestor(c, step, 300).IngestAsync([files.Path], cancellationToken: Ct);
        Assert.Equal(5, rechunked.Count(FileOutcome.Updated));
        Assert.Equal(textsAfterFirst, embedder.Texts);

        // One edited file: only its new text is embedded.
        await File.WriteAllTextAsync(Path.Combine(files.Path, "doc3.txt"), "Boil the rice in salted water.", Ct);
        await NewIngestor(c, step, 300).IngestAsync([files.Path], cancellationToken: Ct);
        Assert.Equal(textsAfterFirst + 1, embedder.Texts);
        Assert.Equal("Boil the rice in salted water.", embedder.Seen[^1]);

        // The vector index is built from the cache alone.
        var indexEmbedder = new BagOfWordsEmbedder();
        using var index = new CollectionVectorIndex(c.Store, indexEmbedder);
        var update = await index.UpdateAsync(Ct);
        Assert.Equal(0, update.Embedded);
        Assert.Equal(5, index.Count);
        Assert.Equal(0, indexEmbedder.Calls);
        var hits = await new Retriever(c.Store, index).SearchAsync(new SearchRequest("rice salted water", 1, SearchMode.Vector), Ct);
        Assert.EndsWith("doc3.txt", hits[0].Document.SourcePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_bert_gguf_encoder_indexes_and_finds_an_exact_chunk()
    {
        await using var c = await HybridTestCollection.CreateAsync();
        var gguf = Path.Combine(c.Directory, "random-bert.gguf");
        await RandomBert.Create(seed: 7, f16: false, context: 64).WriteAsync(gguf, pooling: 1, name: "random-bert");
        using var model = BertEmbeddingModel.Load(gguf);
        using var generator = new LocalEmbeddingGenerator(model);
        Assert.Equal("random-bert", EmbeddingModels.IdOf(generator));

        string[] texts =
        [
            "the quick brown fox jumps over the lazy dog",
            "an apple a day keeps the doctor away",
            "rain falls on the mountains in spring",
            "the stock market closed higher on friday",
        ];
        for (int i = 0; i < texts.Length; i++) await c.AddAsync($"t{i}", texts[i]);
        using var index = new CollectionVectorIndex(c.Store, generator, indexPath: EmbeddingModels.IndexPath(c.Directory, "hybrid", "random-bert"));
        var update = await index.UpdateAsync(Ct);
        Assert.Equal(4, update.Embedded);
        Assert.Equal(64, (await c.Store.GetEmbeddingsAsync("random-bert", [ContentHash.Of(texts[2])], Ct))[ContentHash.Of(texts[2])].Length);

        for (int i = 0; i < texts.Length; i++)
        {
            var hits = await index.SearchAsync(texts[i], 1, cancellationToken: Ct);
            Assert.Equal($"t{i}#0", hits[0].Chunk.Id);
            Assert.Equal(1.0, hits[0].Score, 3); // the same text embeds to the same vector
        }
    }
}
