using Groundwork.Evaluation.Retrieval;
using Groundwork.Storage;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Retrieval;

public sealed class RetrievalRunsTests
{
    private static SearchHit Hit(string documentId, int ordinal, double score)
    {
        var document = new StoredDocument { Id = documentId, SourcePath = documentId, MediaType = "text/plain", ContentHash = "h", Text = "" };
        var chunk = new StoredChunk { Id = $"{documentId}#{ordinal}", DocumentId = documentId, Ordinal = ordinal, Text = "t", ContentHash = "h" };
        return new SearchHit(chunk, document, score, "");
    }

    [Fact]
    public void Keeps_each_document_once_with_its_best_chunk_score()
    {
        var entries = RetrievalRuns.ByDocument([Hit("a", 2, 9.5), Hit("b", 0, 7.0), Hit("a", 0, 3.0), Hit("c", 1, 1.0)]);
        Assert.Equal([("a", 9.5), ("b", 7.0), ("c", 1.0)], entries);
    }

    [Theory]
    [InlineData("q Q0 d 1 0.5\n", "1: expected 6 fields (qid Q0 docno rank score tag), found 5")]
    [InlineData("q Q0 d 1 0.5 t\nq Q0 e 2 high t\n", "2: field 'score' must be a number, found 'high'")]
    public async Task Malformed_run_files_name_the_line(string content, string expected)
    {
        using var dir = TestPaths.CreateTempDir("gw-run");
        var path = dir.File("run");
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => TrecFormat.ReadRunAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal($"{path}:{expected}", error.Message);
    }

    [Fact]
    public async Task Writing_rejects_ids_the_format_cannot_hold()
    {
        using var dir = TestPaths.CreateTempDir("gw-run");
        var run = new Dictionary<string, IReadOnlyList<(string DocId, double Score)>> { ["q 1"] = [("d", 1.0)] };
        await Assert.ThrowsAsync<ArgumentException>(() => TrecFormat.WriteRunAsync(dir.File("run"), run, cancellationToken: TestContext.Current.CancellationToken));
    }
}
