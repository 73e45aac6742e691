using System.IO.Compression;
using System.Text;
using Groundwork.Evaluation.Datasets;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Datasets;

public sealed class BeirDatasetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_the_real_SciFact_dataset()
    {
        var dataset = BeirDataset.Open(TestPaths.Shared("data", "scifact"));
        Assert.EndsWith("corpus.jsonl.gz", dataset.CorpusPath, StringComparison.Ordinal);

        var documents = 0;
        BeirDocument? first = null;
        await foreach (var doc in dataset.ReadCorpusAsync(Ct))
        {
            first ??= doc;
            documents++;
            Assert.False(string.IsNullOrEmpty(doc.Id));
        }
        var queries = await dataset.ReadQueriesAsync(Ct).ToListAsync(Ct);
        var qrels = await dataset.ReadQrelsAsync("train", Ct);

        Assert.Equal(5183, documents);
        Assert.Equal("4983", first!.Id);
        Assert.StartsWith("Microstructural development of human newborn", first.Title, StringComparison.Ordinal);
        Assert.StartsWith("Alterations of the architecture", first.Text, StringComparison.Ordinal);
        Assert.Equal(1109, queries.Count);
        Assert.Equal(new BeirQuery("0", "0-dimensional biomaterials lack inductive properties."), queries[0]);
        Assert.Equal(809, qrels.Count);
        Assert.Equal(919, qrels.JudgmentCount);
        Assert.Equal(1, qrels.Judgments("0")["31715818"]);
        Assert.All(qrels.QueryIds, q => Assert.Contains(queries, x => x.Id == q));
    }

    [Fact]
    public async Task Reads_plain_and_gzip_files_with_numeric_ids_and_missing_titles()
    {
        using var dir = TestPaths.CreateTempDir("gw-beir");
        const string corpus = "{\"_id\": \"a\", \"title\": \"T\", \"text\": \"x\"}\n\n{\"_id\": 7, \"text\": \"y\"}\n";
        await using (var gz = new GZipStream(File.Create(dir.File("corpus.jsonl.gz")), CompressionLevel.Fastest))
            await gz.WriteAsync(Encoding.UTF8.GetBytes(corpus), Ct);
        await File.WriteAllTextAsync(dir.File("queries.jsonl"), "{\"_id\": \"q\", \"text\": \"hello\"}", Ct);
        Directory.CreateDirectory(dir.File("qrels"));
        await File.WriteAllTextAsync(dir.File("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq\ta\t2\nq\t7\t0\n", Ct);

        var dataset = BeirDataset.Open(dir.Path);
        var docs = await dataset.ReadCorpusAsync(Ct).ToListAsync(Ct);
        var qrels = await dataset.ReadQrelsAsync("test", Ct);

        Assert.Equal([new BeirDocument("a", "T", "x"), new BeirDocument("7", "", "y")], docs);
        Assert.Equal(2, qrels.Judgments("q")["a"]);
        Assert.Equal(1, qrels.RelevantCount("q"));
    }

    [Fact]
    public async Task Malformed_queries_name_file_line_and_field()
    {
        using var dir = TestPaths.CreateTempDir("gw-beir");
        var lines = Enumerable.Range(1, 16).Select(i => $"{{\"_id\": \"{i}\", \"text\": \"q{i}\"}}").Append("{\"text\": \"no id\"}");
        var path = dir.File("queries.jsonl");
        await File.WriteAllLinesAsync(path, lines, Ct);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await BeirDataset.ReadQueriesAsync(path, Ct).ToListAsync(Ct));
        Assert.Equal($"{path}:17: missing field '_id'", error.Message);
    }

    [Theory]
    [InlineData("{\"_id\": \"a\"}", "1: missing field 'text'")]
    [InlineData("{\"_id\": \"a\", \"text\": 3}", "1: field 'text' must be a string, found a number")]
    [InlineData("{\"_id\": [1], \"text\": \"x\"}", "1: field '_id' must be a string, found an array")]
    [InlineData("[1, 2]", "1: expected a JSON object, found an array")]
    [InlineData("{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}", "2: duplicate '_id' 'a'")]
    [InlineData("{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": ", "2: invalid JSON")]
    public async Task Malformed_corpus_lines_are_reported(string content, string expected)
    {
        using var dir = TestPaths.CreateTempDir("gw-beir");
        var path = dir.File("corpus.jsonl");
        await File.WriteAllTextAsync(path, content, Ct);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await BeirDataset.ReadCorpusAsync(path, Ct).ToListAsync(Ct));
        Assert.StartsWith($"{path}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("q\td\t1\n", "1: expected the header")]
    [InlineData("query-id\tcorpus-id\tscore\nq\td\n", "2: expected 3 tab-separated fields")]
    [InlineData("query-id\tcorpus-id\tscore\nq\td\thigh\n", "2: field 'score' must be an integer, found 'high'")]
    [InlineData("query-id\tcorpus-id\tscore\nq\t\t1\n", "2: field 'corpus-id' is empty")]
    [InlineData("query-id\tcorpus-id\tscore\nq\td\t1\nq\td\t2\n", "3: document 'd' is judged twice for query 'q'")]
    [InlineData("", "1: empty qrels file")]
    public async Task Malformed_qrels_are_reported(string content, string expected)
    {
        using var dir = TestPaths.CreateTempDir("gw-beir");
        var path = dir.File("test.tsv");
        await File.WriteAllTextAsync(path, content, Ct);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => BeirDataset.ReadQrelsFileAsync(path, Ct));
        Assert.StartsWith($"{path}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_reports_a_missing_corpus()
    {
        using var dir = TestPaths.CreateTempDir("gw-beir");
        var error = Assert.Throws<FileNotFoundException>(() => BeirDataset.Open(dir.Path));
        Assert.Contains("neither corpus.jsonl nor corpus.jsonl.gz", error.Message, StringComparison.Ordinal);
    }
}
