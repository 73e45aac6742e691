using System.Text;
using Groundwork.Documents;
using Groundwork.Ingestion.Extraction;
using Groundwork.Testing;

namespace Groundwork.Ingestion.Tests.Extraction;

public sealed class PlainTextExtractorTests
{
    private static readonly PlainTextExtractor Extractor = new();

    private static string BlockText(ExtractedDocument d, int i) => d.Text[d.Blocks[i].Start..d.Blocks[i].End];

    [Fact]
    public async Task Paragraphs_split_on_blank_lines_and_keep_line_breaks()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("notes.txt");
        await File.WriteAllTextAsync(path, "First line\r\nsecond   line\r\n\r\n  \t \r\nNext paragraph\n\n\n", TestContext.Current.CancellationToken);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("First line\nsecond line\n\nNext paragraph", doc.Text);
        Assert.Equal(2, doc.Blocks.Count);
        Assert.All(doc.Blocks, b => Assert.Equal(BlockKind.Paragraph, b.Kind));
        Assert.Equal("notes", doc.Title);
        Assert.Equal("text/plain", doc.MediaType);
        Assert.Equal(ContentHash.Of(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken)), doc.ContentHash);
        Assert.Empty(doc.Warnings);
    }

    public static TheoryData<string, byte[]> Encodings() => new()
    {
        { "utf-8 bom", [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("Grüße ✓\n\nzwei")] },
        { "utf-16 le", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("Grüße ✓\n\nzwei")] },
        { "utf-16 be", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes("Grüße ✓\n\nzwei")] },
        { "utf-32 le", [.. Encoding.UTF32.GetPreamble(), .. Encoding.UTF32.GetBytes("Grüße ✓\n\nzwei")] },
        { "utf-8 no bom", Encoding.UTF8.GetBytes("Grüße ✓\n\nzwei") },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Byte_order_marks_select_the_encoding(string name, byte[] bytes)
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("enc.txt");
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.True(doc.Text == "Grüße ✓\n\nzwei", $"{name}: got '{doc.Text}'");
        Assert.Empty(doc.Warnings);
    }

    [Fact]
    public async Task Invalid_utf8_is_replaced_and_the_first_offset_reported()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("bad.txt");
        byte[] bytes = [.. "hello "u8, 0xC3, 0x28, .. " world "u8, 0xFF, .. "!"u8];
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("hello \uFFFD( world \uFFFD!", doc.Text);
        var warning = Assert.Single(doc.Warnings);
        Assert.Contains("2 invalid byte sequence(s)", warning, StringComparison.Ordinal);
        Assert.Contains("byte offset 6", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_across_read_chunks_reports_the_absolute_offset()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("late.txt");
        // A valid 3-byte sequence straddling the 64 KiB read boundary, then a truncated one at 200,000.
        var bytes = new byte[200_010];
        Array.Fill(bytes, (byte)'a');
        "€"u8.CopyTo(bytes.AsSpan(65_535));
        bytes[200_000] = 0xE2;
        bytes[200_001] = 0x82;
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.Contains("€", doc.Text, StringComparison.Ordinal);
        Assert.Contains("byte offset 200,000", Assert.Single(doc.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_file_named_txt_is_rejected()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("image.txt");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[10] = 0;
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Extractor.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.StartsWith($"{path}: looks like a binary file, not text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_characters_without_nul_are_rejected_too()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("ctrl.txt");
        var bytes = Enumerable.Range(0, 2000).Select(i => (byte)(i % 3 == 0 ? 0x01 : 'a')).ToArray();
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Extractor.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("looks like a binary file", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_file_is_rejected()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("empty.txt");
        await File.WriteAllBytesAsync(path, [], TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Extractor.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal($"{path}: empty file", e.Message);
    }

    [Fact]
    public async Task File_over_the_size_limit_is_rejected_before_reading()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("big.txt");
        await File.WriteAllTextAsync(path, new string('x', 2000), TestContext.Current.CancellationToken);
        var extractor = new PlainTextExtractor(new ExtractionOptions { MaxFileBytes = 1000 });
        var e = await Assert.ThrowsAsync<ExtractionException>(() => extractor.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("file too large: 2,000 bytes exceeds the limit of 1,000 bytes", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlong_paragraph_is_cut_at_spaces_into_bounded_blocks()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("long.txt");
        var line = string.Concat(Enumerable.Repeat("word ", 1000)).TrimEnd();
        await File.WriteAllTextAsync(path, line, TestContext.Current.CancellationToken);
        var doc = await new PlainTextExtractor(new ExtractionOptions { MaxBlockChars = 1000 }).ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.True(doc.Blocks.Count >= 4);
        Assert.All(doc.Blocks, b => Assert.InRange(b.Length, 1, 1010));
        Assert.All(doc.Blocks, b => Assert.DoesNotContain("wo rd", doc.Text.Substring(b.Start, b.Length), StringComparison.Ordinal));
        Assert.Equal(1000, TextSimilarity.Tokens(doc.Text).Count);
    }
}
