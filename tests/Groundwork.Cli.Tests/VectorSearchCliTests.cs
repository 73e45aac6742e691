using System.Text.Json;
using Groundwork.Testing;

namespace Groundwork.Cli.Tests;

/// <summary>
/// Vector and hybrid search through the real CLI process: ingest with a local embedding model (a tiny random BERT
/// GGUF and a tiny random decoder GGUF: the vectors are meaningless, the plumbing is real), query in each mode, and
/// the collection's refusal of a query embedded by a different model.
/// </summary>
public sealed class VectorSearchCliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("cli-vec");

    public void Dispose() => _dir.Dispose();

    private static string Samples => TestPaths.Repo("samples", "northwind");

    private static string Bert => TestPaths.Repo("tools", "llamacpp-embeddings", "golden", "tiny-f32-cls.gguf");

    private static string Decoder => TestPaths.Shared("models", "tiny-random", "tiny-qwen2-F32.gguf");

    [Fact]
    public async Task Ingest_with_an_embedding_model_then_vector_and_hybrid_search_and_a_model_switch()
    {
        var ingest = await CliProcess.RunAsync(_dir.Path, "ingest", Samples, "--embedding-model", Bert, "--json");
        Assert.True(ingest.Exit == 0, ingest.Err + ingest.Out);
        var store = Path.Combine(_dir.Path, ".groundwork");
        Assert.Single(Directory.GetFiles(store, "default.*.vec"));

        foreach (var mode in new[] { "vector", "hybrid" })
        {
            var search = await CliProcess.RunAsync(_dir.Path, "search", "parental leave", "--mode", mode, "--embedding-model", Bert, "-k", "4", "--json");
            Assert.True(search.Exit == 0, mode + ": " + search.Err);
            using var hits = JsonDocument.Parse(search.Out);
            Assert.InRange(hits.RootElement.GetArrayLength(), 1, 4);
            foreach (var h in hits.RootElement.EnumerateArray()) Assert.True(File.Exists(h.GetProperty("path").GetString()), h.ToString());
        }

        // A query embedded by another model is refused with one clear line, not answered from the wrong vector space.
        var wrong = await CliProcess.RunAsync(_dir.Path, "search", "parental leave", "--mode", "vector", "--embedding-model", Decoder, "--json");
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains("is indexed with embedding model", wrong.Err, StringComparison.Ordinal);
        Assert.Single(wrong.Err.Trim().Split('\n'));

        // Re-ingesting with the decoder builds its index beside the first, then switches the collection to it.
        var switched = await CliProcess.RunAsync(_dir.Path, "ingest", Samples, "--embedding-model", Decoder, "--json");
        Assert.True(switched.Exit == 0, switched.Err + switched.Out);
        Assert.Equal(2, Directory.GetFiles(store, "default.*.vec").Length);
        var viaDecoder = await CliProcess.RunAsync(_dir.Path, "search", "parental leave", "--mode", "vector", "--embedding-model", Decoder, "--json");
        Assert.True(viaDecoder.Exit == 0, viaDecoder.Err);
        using var decoderHits = JsonDocument.Parse(viaDecoder.Out);
        Assert.True(decoderHits.RootElement.GetArrayLength() >= 1);
    }
}
