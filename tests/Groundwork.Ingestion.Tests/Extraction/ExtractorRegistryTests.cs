using Groundwork.Documents;
using Groundwork.Ingestion.Extraction;
using Groundwork.Testing;

namespace Groundwork.Ingestion.Tests.Extraction;

public sealed class ExtractorRegistryTests
{
    private static readonly ExtractorRegistry Registry = ExtractorRegistry.CreateDefault();

    [Fact]
    public void Default_registry_covers_the_built_in_formats()
    {
        Assert.Equal([".docx", ".htm", ".html", ".markdown", ".md", ".pdf", ".txt"], Registry.SupportedExtensions);
        Assert.True(Registry.TryGet("/a/b/Report.PDF", out var pdf));
        Assert.IsType<PdfExtractor>(pdf);
        Assert.True(Registry.TryGet("notes.markdown", out var md));
        Assert.IsType<MarkdownExtractor>(md);
        Assert.False(Registry.TryGet("archive.zip", out _));
        Assert.False(Registry.TryGet("Makefile", out _));
    }

    [Fact]
    public async Task Missing_file_is_reported_in_one_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gw-missing-{Guid.NewGuid():N}", "nothing.md");
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Registry.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal($"{path}: file not found", e.Message);
        Assert.Equal(path, e.SourcePath);
    }

    [Fact]
    public async Task Unsupported_extension_lists_the_supported_ones()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("sheet.xlsx");
        await File.WriteAllTextAsync(path, "x", TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Registry.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal($"{path}: unsupported file type '.xlsx' (supported: .docx, .htm, .html, .markdown, .md, .pdf, .txt)", e.Message);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Unreadable_file_is_reported_as_permission_denied()
    {
        if (Environment.IsPrivilegedProcess) Assert.Skip("running as root: chmod 000 does not stop root from reading the file");
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("secret.txt");
        await File.WriteAllTextAsync(path, "top secret", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(path, UnixFileMode.None);
        try
        {
            var e = await Assert.ThrowsAsync<ExtractionException>(() => Registry.ExtractAsync(path, TestContext.Current.CancellationToken));
            Assert.Equal($"{path}: permission denied", e.Message);
        }
        finally { File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); }
    }

    [Fact]
    public async Task A_directory_named_like_a_document_is_not_readable_as_one()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("x.txt");
        Directory.CreateDirectory(path);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Registry.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal($"{path}: not a readable file (it is a directory)", e.Message);
        var direct = await Assert.ThrowsAsync<ExtractionException>(() => new PlainTextExtractor().ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(e.Message, direct.Message);
    }

    [Fact]
    public async Task Paths_with_spaces_and_non_ascii_characters_work()
    {
        using var dir = TestPaths.CreateTempDir();
        var folder = Path.Combine(dir.Path, "Ünïcode dir");
        Directory.CreateDirectory(folder);
        var md = Path.Combine(folder, "my file ✓.md");
        await File.WriteAllTextAsync(md, "# Überschrift\n\nText mit Ümlauten ✓.\n", TestContext.Current.CancellationToken);
        var pdf = Path.Combine(folder, "my file ✓.pdf");
        TestPdf.Write(pdf, ["Hello from a PDF"]);

        var mdDoc = await Registry.ExtractAsync(md, TestContext.Current.CancellationToken);
        Assert.Equal("Überschrift", mdDoc.Title);
        Assert.Equal(md, mdDoc.SourcePath);
        Assert.Contains("Text mit Ümlauten ✓.", mdDoc.Text, StringComparison.Ordinal);

        var pdfDoc = await Registry.ExtractAsync(pdf, TestContext.Current.CancellationToken);
        Assert.Equal("Hello from a PDF", pdfDoc.Text);
        Assert.Equal("my file ✓", pdfDoc.Title);
    }

    [Fact]
    public async Task Every_extractor_reports_size_hash_and_consistent_blocks()
    {
        var files = new[]
        {
            TestPaths.Shared("fixtures", "docx-mammoth", "test-data", "tables.docx"),
            TestPaths.Shared("fixtures", "html-readability", "001", "source.html"),
            TestPaths.Shared("fixtures", "pdf-pdfpig", "Documents", "Type0 Font.pdf"),
        };
        foreach (var file in files)
        {
            var doc = await Registry.ExtractAsync(file, TestContext.Current.CancellationToken);
            var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
            Assert.Equal(bytes.Length, doc.ByteSize);
            Assert.Equal(ContentHash.Of(bytes), doc.ContentHash);
            Assert.NotEmpty(doc.Blocks);
            int end = 0;
            foreach (var b in doc.Blocks)
            {
                Assert.True(b.Start >= end, $"{file}: overlapping blocks");
                Assert.True(b.End <= doc.Text.Length);
                Assert.False(char.IsWhiteSpace(doc.Text[b.Start]));
                end = b.End;
            }
        }
    }
}
