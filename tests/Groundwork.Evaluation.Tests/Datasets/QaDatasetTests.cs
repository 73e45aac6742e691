using Groundwork.Evaluation.Datasets;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Datasets;

public sealed class QaDatasetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Docugami(params string[] parts) => TestPaths.Shared(["data", "docugami-sec-10q", "data", "v1", .. parts]);

    [Fact]
    public async Task Reads_the_Docugami_SEC_10Q_questions()
    {
        var items = await QaDataset.ReadCsvAsync(Docugami("qna_data.csv"), cancellationToken: Ct).ToListAsync(Ct);

        Assert.Equal(195, items.Count);
        var first = items[0];
        Assert.Equal("1", first.Id);
        Assert.Equal("How has Apple's total net sales changed over time?", first.Question);
        Assert.Equal(["*AAPL*"], first.SupportingDocuments);
        Assert.Equal("Multi-Doc RAG", first.Metadata["Question Type"]);
        Assert.Equal("Table", first.Metadata["Source Chunk Type"]);
        var answer = Assert.Single(first.Answers);
        Assert.StartsWith("Based on the provided documents", answer, StringComparison.Ordinal);
        Assert.EndsWith("SOURCE(S): 2022 Q3 AAPL.pdf, 2023 Q1 AAPL.pdf, 2023 Q2 AAPL.pdf, 2023 Q3 AAPL.pdf", answer, StringComparison.Ordinal);
        Assert.Contains("\n- For the quarterly period ended June 25, 2022", answer, StringComparison.Ordinal);
        Assert.Contains(items, i => i.Answers[0].Contains("(\"R&D\")", StringComparison.Ordinal)); // doubled quotes
        Assert.All(items, i => Assert.True(i.Answerable));
    }

    [Fact]
    public async Task Expands_source_document_patterns_against_the_document_folder()
    {
        var documents = Directory.GetFiles(Docugami("docs"), "*.pdf").Select(Path.GetFileName).ToList();
        Assert.Equal(20, documents.Count);

        var items = await QaDataset.ReadCsvAsync(Docugami("qna_data.csv"), documents!, Ct).ToListAsync(Ct);

        Assert.Equal(["2022 Q3 AAPL.pdf", "2023 Q1 AAPL.pdf", "2023 Q2 AAPL.pdf", "2023 Q3 AAPL.pdf"], items[0].SupportingDocuments.Order(StringComparer.Ordinal));
        Assert.Contains(items, i => i.SupportingDocuments.SequenceEqual(["2023 Q3 NVDA.pdf"]));
        Assert.All(items, i => Assert.NotEmpty(i.SupportingDocuments));
    }

    [Fact]
    public async Task Csv_with_ids_pages_and_errors()
    {
        using var dir = TestPaths.CreateTempDir("gw-qa");
        var path = dir.File("qa.csv");
        await File.WriteAllTextAsync(path, "Id,Question,Answer,Source Pages\r\nx1,What?,\"It, is\",a.pdf#3; b.pdf # 12\r\n", Ct);
        var item = Assert.Single(await QaDataset.ReadCsvAsync(path, cancellationToken: Ct).ToListAsync(Ct));
        Assert.Equal("x1", item.Id);
        Assert.Equal(["It, is"], item.Answers);
        Assert.Equal([new EvidencePage("a.pdf", 3), new EvidencePage("b.pdf", 12)], item.SupportingPages);

        await File.WriteAllTextAsync(path, "Question,Answer\nq1,a1\nq2\n", Ct);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await QaDataset.ReadCsvAsync(path, cancellationToken: Ct).ToListAsync(Ct));
        Assert.Equal($"{path}:3: expected 2 fields as in the header, found 1", error.Message);

        await File.WriteAllTextAsync(path, "Question,Reply\nq1,a1\n", Ct);
        error = await Assert.ThrowsAsync<InvalidDataException>(async () => await QaDataset.ReadCsvAsync(path, cancellationToken: Ct).ToListAsync(Ct));
        Assert.Equal($"{path}:1: the header has no 'Answer' column", error.Message);

        await File.WriteAllTextAsync(path, "Question,Answer,Source Docs\nq1,a1,*TSLA*\n", Ct);
        error = await Assert.ThrowsAsync<InvalidDataException>(async () => await QaDataset.ReadCsvAsync(path, ["2023 Q1 AAPL.pdf"], Ct).ToListAsync(Ct));
        Assert.Equal($"{path}:2: field 'Source Docs': pattern '*TSLA*' matches no known document", error.Message);
    }

    [Fact]
    public async Task Reads_json_lines_in_every_accepted_shape()
    {
        using var dir = TestPaths.CreateTempDir("gw-qa");
        var path = dir.File("qa.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            "{\"id\": \"a\", \"question\": \"Q1?\", \"answers\": [\"x\", \"y\"], \"supporting_documents\": [\"d1.pdf\"], \"supporting_pages\": [{\"document\": \"d1.pdf\", \"page\": 3}], \"topic\": \"t\"}",
            "{\"question\": \"Q2?\", \"answer\": \"z\", \"supporting_documents\": \"d2\"}",
            "",
            "{\"question\": \"Q3?\", \"answerable\": false}",
        ], Ct);

        var items = await QaDataset.ReadJsonLinesAsync(path, Ct).ToListAsync(Ct);

        Assert.Equal(3, items.Count);
        Assert.Equal(["x", "y"], items[0].Answers);
        Assert.Equal([new EvidencePage("d1.pdf", 3)], items[0].SupportingPages);
        Assert.Equal("t", items[0].Metadata["topic"]);
        Assert.Equal("2", items[1].Id);
        Assert.Equal(["z"], items[1].Answers);
        Assert.Equal(["d2"], items[1].SupportingDocuments);
        Assert.False(items[2].Answerable);
        Assert.Empty(items[2].Answers);
        Assert.Equal("3", items[2].Id);
    }

    [Theory]
    [InlineData("{\"answers\": \"x\"}", "missing field 'question'")]
    [InlineData("{\"question\": \"q\"}", "missing field 'answers'")]
    [InlineData("{\"question\": \"q\", \"answers\": []}", "field 'answers' has no answer")]
    [InlineData("{\"question\": \"q\", \"answers\": [\"x\", 2]}", "field 'answers[1]' must be a string, found a number")]
    [InlineData("{\"question\": \"q\", \"answer\": \"x\", \"answers\": [\"y\"]}", "both 'answers' and 'answer' are present")]
    [InlineData("{\"question\": \"q\", \"answer\": \"x\", \"answerable\": \"no\"}", "field 'answerable' must be true or false, found a string")]
    [InlineData("{\"question\": \"q\", \"answer\": \"x\", \"supporting_pages\": [{\"document\": \"a.pdf\", \"page\": 0}]}", "field 'supporting_pages[0].page' must be a page number of 1 or more")]
    [InlineData("{\"question\": \"q\", \"answer\": \"x\", \"supporting_pages\": [{\"page\": 2}]}", "field 'supporting_pages[0].document' must be a non-empty string")]
    public async Task Malformed_json_lines_name_the_field(string line, string expected)
    {
        using var dir = TestPaths.CreateTempDir("gw-qa");
        var path = dir.File("qa.jsonl");
        await File.WriteAllLinesAsync(path, ["{\"question\": \"ok\", \"answer\": \"fine\"}", line], Ct);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await QaDataset.ReadJsonLinesAsync(path, Ct).ToListAsync(Ct));
        Assert.StartsWith($"{path}:2: {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_glob_patterns_by_file_name_without_case()
    {
        string[] docs = ["/data/2023 Q1 AAPL.pdf", "2023 Q2 aapl.pdf", "2023 Q1 MSFT.pdf"];
        Assert.Equal(["/data/2023 Q1 AAPL.pdf", "2023 Q2 aapl.pdf"], QaDataset.MatchDocuments("*AAPL*", docs));
        Assert.Equal(["/data/2023 Q1 AAPL.pdf", "2023 Q1 MSFT.pdf"], QaDataset.MatchDocuments("2023 Q1 ????.pdf", docs));
        Assert.Empty(QaDataset.MatchDocuments("AAPL", docs));
    }
}
