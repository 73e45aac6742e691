using System.Text.Json;
using Groundwork.Testing;

namespace Groundwork.Cli.Tests;

/// <summary>
/// `search --reranker` with a real cross-encoder GGUF (a tiny random BERT with a classification head, whose scores are
/// checked against llama.cpp in Groundwork.Models.Tests): the candidates are reordered by the model's scores.
/// </summary>
public sealed class RerankerCliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("cli-rerank");

    public void Dispose() => _dir.Dispose();

    private static string Golden(string name) => TestPaths.Repo("tools", "llamacpp-embeddings", "golden", name);

    [Fact]
    public async Task Search_with_a_cross_encoder_reorders_the_keyword_candidates_by_model_score()
    {
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "ingest", TestPaths.Repo("samples", "northwind"))).Exit);
        var plain = await CliProcess.RunAsync(_dir.Path, "search", "leave policy for employees", "-k", "20", "--json");
        Assert.True(plain.Exit == 0, plain.Err);
        using var plainHits = JsonDocument.Parse(plain.Out);
        var candidates = plainHits.RootElement.EnumerateArray().Select(h => h.GetProperty("chunkId").GetString()).ToList();

        var reranked = await CliProcess.RunAsync(_dir.Path, "search", "leave policy for employees", "-k", "5", "--reranker", Golden("tiny-f32-rank.gguf"), "--json");
        Assert.True(reranked.Exit == 0, reranked.Err);
        using var hits = JsonDocument.Parse(reranked.Out);
        var rows = hits.RootElement.EnumerateArray().Select(h => (Id: h.GetProperty("chunkId").GetString(), Score: h.GetProperty("score").GetDouble())).ToList();
        Assert.Equal(Math.Min(5, candidates.Count), rows.Count);
        Assert.All(rows, r => Assert.Contains(r.Id, candidates));             // reranking only reorders the candidates
        Assert.Equal(rows.Select(r => r.Score).OrderByDescending(s => s), rows.Select(r => r.Score));
        Assert.NotEqual(candidates.Take(rows.Count), rows.Select(r => r.Id)); // the random head does not agree with BM25 here

        var wrong = await CliProcess.RunAsync(_dir.Path, "search", "leave", "--reranker", Golden("tiny-f32-cls.gguf"));
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains("not a reranker", wrong.Err, StringComparison.Ordinal);
        Assert.Single(wrong.Err.Trim().Split('\n'));
    }
}
