using Groundwork.Answering;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;

namespace Groundwork.Answering.Tests.Extractive;

/// <summary>The extractive answerer on the real sample documents in a real SQLite store.</summary>
public sealed class ExtractiveAnswererTests : IAsyncLifetime
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("answer");
    private ICollectionStore _store = null!;
    private ExtractiveAnswerer _answerer = null!;

    public async ValueTask InitializeAsync()
    {
        _store = await new SqliteStoreProvider(_dir.Path).OpenAsync("samples");
        var ingestor = new Ingestor(_store, ExtractorRegistry.CreateDefault(), new DefaultTokenizer(), new ChunkingOptions());
        var report = await ingestor.IngestAsync([TestPaths.Repo("samples", "northwind")]);
        Assert.False(report.HasFailures, string.Join("; ", report.Failures.Select(f => f.Path + ": " + f.Reason)));
        _answerer = new ExtractiveAnswerer(new Retriever(_store));
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("How many weeks of paid parental leave do employees get?", "leave-policy.md", "16 weeks")]
    [InlineData("How many vacation days do full-time employees get per year?", "leave-policy.md", "25")]
    [InlineData("How often are laptops replaced?", "it-support-faq.html", "three years")]
    [InlineData("What was the total revenue in Q3 2025?", "quarterly-report-2025-q3.pdf", "9.4")]
    public async Task Answers_cite_the_right_document_with_exact_offsets(string question, string file, string expected)
    {
        var answer = await _answerer.AnswerAsync(question, TestContext.Current.CancellationToken);
        Assert.False(answer.Abstained, $"should answer: {question}");
        Assert.Contains(answer.Citations, c => Path.GetFileName(c.SourcePath) == file && c.Quote.Contains(expected, StringComparison.OrdinalIgnoreCase));
        for (int i = 0; i < answer.Citations.Count; i++)
        {
            var c = answer.Citations[i];
            Assert.Equal(i + 1, c.Number);
            Assert.Contains($"[{c.Number}]", answer.Text, StringComparison.Ordinal);
            var doc = await _store.GetDocumentAsync(c.DocumentId, TestContext.Current.CancellationToken);
            Assert.NotNull(doc);
            Assert.Equal(c.Quote, doc.Text[c.StartOffset..c.EndOffset]);
            Assert.True(c.SectionPath.Count > 0 || c.PageStart is not null, "a citation names a section or a page");
        }
    }

    [Fact]
    public async Task Pdf_citations_carry_page_numbers()
    {
        var answer = await _answerer.AnswerAsync("What was the total revenue in Q3 2025?", TestContext.Current.CancellationToken);
        var pdf = Assert.Single(answer.Citations, c => c.SourcePath.EndsWith(".pdf", StringComparison.Ordinal) && c.Quote.Contains("9.4", StringComparison.Ordinal));
        Assert.NotNull(pdf.PageStart);
        Assert.InRange(pdf.PageStart!.Value, 1, 3);
    }

    [Theory]
    [InlineData("What is the airspeed velocity of an unladen swallow?")]
    [InlineData("Which football team does the chief executive support?")]
    [InlineData("What is the vesting schedule for employee stock options?")]
    public async Task Abstains_when_the_documents_do_not_answer(string question)
    {
        var answer = await _answerer.AnswerAsync(question, TestContext.Current.CancellationToken);
        Assert.True(answer.Abstained, $"should abstain, answered: {answer.Text}");
        Assert.Equal(ExtractiveAnswerer.NoAnswerText, answer.Text);
        Assert.Empty(answer.Citations);
    }

    [Fact]
    public void Empty_retrieval_abstains()
    {
        var answer = _answerer.Answer("What is anything?", []);
        Assert.True(answer.Abstained);
    }
}
