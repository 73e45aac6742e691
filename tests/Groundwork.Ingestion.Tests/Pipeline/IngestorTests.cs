using System.IO.Compression;
using System.Text;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;

namespace Groundwork.Ingestion.Tests.Pipeline;

public sealed class IngestorTests : IAsyncLifetime
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("ingest");
    private ICollectionStore _store = null!;
    private Ingestor _ingestor = null!;

    private string Docs => Path.Combine(_dir.Path, "docs");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Docs);
        _store = await new SqliteStoreProvider(Path.Combine(_dir.Path, "store")).OpenAsync("test");
        _ingestor = NewIngestor(new ChunkingOptions { MaxTokens = 64, OverlapFraction = 0.15 });
    }

    private Ingestor NewIngestor(ChunkingOptions chunking) => new(_store, ExtractorRegistry.CreateDefault(), new DefaultTokenizer(), chunking);

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private string Write(string relative, string text)
    {
        var path = Path.Combine(Docs, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Paragraphs(string topic, int count) => string.Join("\n\n",
        Enumerable.Range(1, count).Select(i => $"Paragraph {i} about {topic}. It explains the {topic} rules in some detail, sentence after sentence, so that chunking has work to do."));

    [Fact]
    public async Task Add_change_delete_are_incremental()
    {
        var a = Write("a.md", "# Alpha\n\n" + Paragraphs("alpha", 12));
        var b = Write("sub/b.txt", Paragraphs("bravo", 3));
        Write("notes.bin", "not a supported type");

        var first = await _ingestor.IngestAsync([Docs], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, first.Count(FileOutcome.Added));
        Assert.False(first.HasFailures);
        var stats = await _store.GetStatsAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, stats.Documents);
        Assert.True(stats.Chunks > 2, "the long document should be split into several chunks");

        var again = await _ingestor.IngestAsync([Docs], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, again.Count(FileOutcome.Unchanged));
        Assert.Equal(stats.Version, (await _store.GetStatsAsync(TestContext.Current.CancellationToken)).Version);

        File.WriteAllText(b, "Completely new text about zebras and their stripes.");
        File.Delete(a);
        Write("c.md", "# Charlie\n\nCharlie content about quokkas.");
        var third = await _ingestor.IngestAsync([Docs], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, third.Count(FileOutcome.Updated));
        Assert.Equal(1, third.Count(FileOutcome.Added));
        Assert.Equal(1, third.Count(FileOutcome.Removed));

        Assert.Empty(await _store.KeywordSearchAsync("alpha", 10, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Empty(await _store.KeywordSearchAsync("bravo", 10, cancellationToken: TestContext.Current.CancellationToken));
        var zebra = Assert.Single(await _store.KeywordSearchAsync("zebras stripes", 10, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(b, zebra.Document.SourcePath);
        Assert.Single(await _store.KeywordSearchAsync("quokkas", 10, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Stored_chunks_map_back_to_the_document_text()
    {
        var path = Write("long.md", "# Top\n\n## Part one\n\n" + Paragraphs("one", 8) + "\n\n## Part two\n\n" + Paragraphs("two", 8));
        await _ingestor.IngestAsync([path], cancellationToken: TestContext.Current.CancellationToken);
        var id = Ingestor.DocumentId(path);
        var doc = await _store.GetDocumentAsync(id, TestContext.Current.CancellationToken);
        Assert.NotNull(doc);
        var chunks = await _store.GetChunksAsync(id, TestContext.Current.CancellationToken);
        Assert.True(chunks.Count >= 4);
        foreach (var c in chunks)
        {
            Assert.Equal(doc.Text[c.StartOffset..c.EndOffset], c.Text);
            Assert.Equal(ContentHash.Of(c.Text), c.ContentHash);
            Assert.True(c.TokenCount <= 64);
        }
        Assert.Contains(chunks, c => c.SectionPath.SequenceEqual(["Top", "Part two"]));
    }

    [Fact]
    public async Task Changing_chunk_size_rechunks_unchanged_files()
    {
        var path = Write("doc.md", "# Doc\n\n" + Paragraphs("size", 10));
        await _ingestor.IngestAsync([Docs], cancellationToken: TestContext.Current.CancellationToken);
        int before = (await _store.GetChunksAsync(Ingestor.DocumentId(path), TestContext.Current.CancellationToken)).Count;

        var bigger = NewIngestor(new ChunkingOptions { MaxTokens = 400, OverlapFraction = 0.1 });
        var report = await bigger.IngestAsync([Docs], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, report.Count(FileOutcome.Updated));
        int after = (await _store.GetChunksAsync(Ingestor.DocumentId(path), TestContext.Current.CancellationToken)).Count;
        Assert.True(after < before, $"larger chunks should mean fewer chunks ({before} -> {after})");
    }

    [Fact]
    public async Task Bad_files_are_reported_one_line_each_and_the_rest_is_ingested()
    {
        var good = Write("good.md", "# Good\n\nThe good document mentions pelicans.");
        var binary = Path.Combine(Docs, "binary.txt");
        File.WriteAllBytes(binary, [0x00, 0x01, 0x02, 0xFF, 0x00, 0x10, 0x00, 0x00, 0x7F, 0x00]);
        var empty = Write("empty.txt", "");
        var corruptPdf = Path.Combine(Docs, "corrupt.pdf");
        File.WriteAllText(corruptPdf, "%PDF-1.7\nthis is not really a pdf");
        var truncatedDocx = Path.Combine(Docs, "truncated.docx");
        File.WriteAllBytes(truncatedDocx, MakeZipBytes()[..40]);
        var spaced = Write("dir with spaces/ünïcödé file ✓.md", "# Unicode\n\nNon-ASCII paths hold flamingos.");
        var missing = Path.Combine(Docs, "does-not-exist.md");

        var report = await _ingestor.IngestAsync([Docs, missing], cancellationToken: TestContext.Current.CancellationToken);

        var failures = report.Failures.ToDictionary(f => f.Path, f => f.Reason!);
        Assert.Equal(5, failures.Count);
        foreach (var bad in new[] { binary, empty, corruptPdf, truncatedDocx, missing })
        {
            Assert.True(failures.ContainsKey(bad), $"{bad} should fail");
            Assert.DoesNotContain('\n', failures[bad]);
            Assert.False(string.IsNullOrWhiteSpace(failures[bad]));
            Assert.Null(await _store.GetDocumentAsync(Ingestor.DocumentId(bad), TestContext.Current.CancellationToken));
        }
        Assert.Contains("not found", failures[missing], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, report.Count(FileOutcome.Added));
        Assert.NotNull(await _store.GetDocumentAsync(Ingestor.DocumentId(good), TestContext.Current.CancellationToken));
        Assert.Single(await _store.KeywordSearchAsync("flamingos", 5, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains(report.Files, f => f.Path == spaced && f.Outcome == FileOutcome.Added);
    }

    [Fact]
    public async Task Include_and_exclude_globs_select_files()
    {
        Write("keep/a.md", "alpha keepers");
        Write("keep/b.txt", "bravo keepers");
        Write("drafts/c.md", "charlie drafts");
        var report = await _ingestor.IngestAsync([Docs], new IngestionOptions { Include = ["**/*.md"], Exclude = ["drafts/**"] },
            cancellationToken: TestContext.Current.CancellationToken);
        var added = Assert.Single(report.Files, f => f.Outcome == FileOutcome.Added);
        Assert.EndsWith("a.md", added.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_by_path_and_by_folder()
    {
        var a = Write("x/a.md", "alpha");
        Write("x/b.md", "bravo");
        Write("y/c.md", "charlie");
        await _ingestor.IngestAsync([Docs], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([a], await _ingestor.RemoveAsync(a, TestContext.Current.CancellationToken));
        Assert.Single(await _ingestor.RemoveAsync(Path.Combine(Docs, "x"), TestContext.Current.CancellationToken));
        Assert.Empty(await _ingestor.RemoveAsync("no-such-id", TestContext.Current.CancellationToken));
        Assert.Equal(1, (await _store.GetStatsAsync(TestContext.Current.CancellationToken)).Documents);
    }

    [Fact]
    public async Task Progress_is_reported()
    {
        for (int i = 0; i < 5; i++) Write($"f{i}.md", $"# File {i}\n\nText number {i}.");
        var seen = new List<IngestProgress>();
        var progress = new SyncProgress(seen.Add);
        await _ingestor.IngestAsync([Docs], progress: progress, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEmpty(seen);
        var last = seen[^1];
        Assert.Equal(5, last.FilesFound);
        Assert.Equal(5, last.FilesDone);
        Assert.Equal(5, last.Added);
        Assert.True(last.BytesRead > 0);
    }

    private sealed class SyncProgress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        private readonly Lock _lock = new();
        public void Report(IngestProgress value) { lock (_lock) report(value); }
    }

    private static byte[] MakeZipBytes()
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var e = zip.CreateEntry("word/document.xml");
            using var w = new StreamWriter(e.Open(), Encoding.UTF8);
            w.Write(new string('x', 5000));
        }
        return ms.ToArray();
    }
}

public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("*.md", "a.md", true)]
    [InlineData("*.md", "sub/dir/a.md", true)]
    [InlineData("*.md", "a.txt", false)]
    [InlineData("docs/**/*.md", "docs/a.md", true)]
    [InlineData("docs/**/*.md", "docs/x/y/a.md", true)]
    [InlineData("docs/**/*.md", "other/a.md", false)]
    [InlineData("drafts/**", "drafts/x/y.md", true)]
    [InlineData("*.{md,txt}", "n/a.txt", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    public void Matches(string pattern, string path, bool expected) => Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));
}
