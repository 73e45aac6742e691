using System.IO.Compression;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Groundwork.Documents;
using Groundwork.Ingestion.Extraction;
using Groundwork.Testing;
using WText = DocumentFormat.OpenXml.Wordprocessing.Text;

namespace Groundwork.Ingestion.Tests.Extraction;

public sealed class DocxExtractorTests
{
    private static readonly DocxExtractor Extractor = new();

    private static string Mammoth(string name) => TestPaths.Shared("fixtures", "docx-mammoth", "test-data", name);

    private static List<(BlockKind Kind, string Text, string Path)> Blocks(ExtractedDocument d)
        => d.Blocks.Select(b => (b.Kind, d.Text[b.Start..b.End], string.Join(" > ", b.SectionPath))).ToList();

    private static Task<ExtractedDocument> ExtractAsync(string path) => Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);

    // Expected content from mammoth's own tests (test/mammoth.tests.js) for these files.
    [Fact]
    public async Task Tables_become_one_row_block_per_row()
    {
        var doc = await ExtractAsync(Mammoth("tables.docx"));
        Assert.Equal([(BlockKind.Paragraph, "Above", ""), (BlockKind.TableRow, "Top left | Top right", ""),
            (BlockKind.TableRow, "Bottom left | Bottom right", ""), (BlockKind.Paragraph, "Below", "")], Blocks(doc));
        Assert.Equal("Above\n\nTop left | Top right\nBottom left | Bottom right\n\nBelow", doc.Text);
    }

    [Fact]
    public async Task Numbered_paragraphs_are_list_items()
        => Assert.Equal([(BlockKind.ListItem, "Apple", ""), (BlockKind.ListItem, "Banana", "")], Blocks(await ExtractAsync(Mammoth("simple-list.docx"))));

    [Theory]
    [InlineData("footnotes.docx")]
    [InlineData("endnotes.docx")]
    public async Task Notes_follow_the_body_under_Footnotes(string file)
    {
        var doc = await ExtractAsync(Mammoth(file));
        Assert.Equal([(BlockKind.Paragraph, "Ouch[1].[2]", ""), (BlockKind.Heading, "Footnotes", "Footnotes"),
            (BlockKind.Footnote, "[1] A tachyon walks into a bar.", "Footnotes"), (BlockKind.Footnote, "[2] Fin.", "Footnotes")], Blocks(doc));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), doc.Title); // not the "Footnotes" heading
    }

    [Fact]
    public async Task Hyperlink_text_inside_a_footnote_is_kept()
    {
        var doc = await ExtractAsync(Mammoth("footnote-hyperlink.docx"));
        Assert.Contains((BlockKind.Footnote, "[1] Example", "Footnotes"), Blocks(doc));
    }

    [Fact]
    public async Task Text_box_text_is_included_once()
    {
        var doc = await ExtractAsync(Mammoth("text-box.docx"));
        Assert.Equal("Datum plane", doc.Text); // Word stores it twice (DrawingML and VML fallback)
    }

    [Fact]
    public async Task Comments_are_excluded()
    {
        var doc = await ExtractAsync(Mammoth("comments.docx"));
        Assert.Equal("Ouch.", doc.Text);
    }

    [Theory]
    [InlineData("strict-format.docx", "Test")]
    [InlineData("utf8-bom.docx", "This XML has a byte order mark.")]
    [InlineData("single-paragraph.docx", "Walking on imported air")]
    [InlineData("strikethrough.docx", "Today's Special: Salmon Sold out")]
    public async Task Single_paragraph_fixtures(string file, string text)
        => Assert.Equal(text, (await ExtractAsync(Mammoth(file))).Text);

    [Fact]
    public async Task Empty_document_gives_no_blocks()
    {
        var doc = await ExtractAsync(Mammoth("empty.docx"));
        Assert.Empty(doc.Blocks);
        Assert.Equal("empty", doc.Title);
    }

    [Fact]
    public async Task Headings_by_style_id_style_name_and_outline_level_hyperlinks_and_comments()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("built.docx");
        using (var package = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document))
        {
            var main = package.AddMainDocumentPart();
            var styles = main.AddNewPart<StyleDefinitionsPart>();
            styles.Styles = new Styles(
                new Style(new StyleName { Val = "heading 2" }) { Type = StyleValues.Paragraph, StyleId = "Kapitel2" },
                new Style(new StyleName { Val = "Custom Outline" }, new StyleParagraphProperties(new OutlineLevel { Val = 2 }))
                { Type = StyleValues.Paragraph, StyleId = "Outlined" },
                new Style(new StyleName { Val = "Bulleted" }, new StyleParagraphProperties(new NumberingProperties(new NumberingId { Val = 3 })))
                { Type = StyleValues.Paragraph, StyleId = "Bulleted" });
            var comments = main.AddNewPart<WordprocessingCommentsPart>();
            comments.Comments = new Comments(new Comment(new Paragraph(new Run(new WText("reviewer remark")))) { Id = "1", Author = "r" });
            main.Document = new Document(new Body(
                Styled("Report Title", "Title"),
                Styled("Chapter One", "Heading1"),
                new Paragraph(new Run(new WText("Intro with a ")), new Hyperlink(new Run(new WText("link text"))) { Anchor = "x" },
                    new CommentRangeStart { Id = "1" }, new Run(new WText(" and more.")), new CommentRangeEnd { Id = "1" },
                    new Run(new CommentReference { Id = "1" })),
                Styled("Section by name", "Kapitel2"),
                Styled("Outline level three", "Outlined"),
                new Paragraph(new ParagraphProperties(new NumberingProperties(new NumberingLevelReference { Val = 0 }, new NumberingId { Val = 1 })),
                    new Run(new WText("direct list item"))),
                Styled("styled list item", "Bulleted"),
                new Paragraph(new Run(new WText("tab"), new TabChar(), new WText("bed"), new Break(), new WText("next line"))),
                Styled("Chapter Two", "heading 1")));
        }
        var doc = await ExtractAsync(path);
        Assert.Equal("Report Title", doc.Title);
        Assert.Equal([
            (BlockKind.Heading, "Report Title", "Report Title"),
            (BlockKind.Heading, "Chapter One", "Chapter One"),
            (BlockKind.Paragraph, "Intro with a link text and more.", "Chapter One"),
            (BlockKind.Heading, "Section by name", "Chapter One > Section by name"),
            (BlockKind.Heading, "Outline level three", "Chapter One > Section by name > Outline level three"),
            (BlockKind.ListItem, "direct list item", "Chapter One > Section by name > Outline level three"),
            (BlockKind.ListItem, "styled list item", "Chapter One > Section by name > Outline level three"),
            (BlockKind.Paragraph, "tab bed\nnext line", "Chapter One > Section by name > Outline level three"),
            (BlockKind.Heading, "Chapter Two", "Chapter Two"),
        ], Blocks(doc));
        Assert.DoesNotContain("reviewer", doc.Text, StringComparison.Ordinal);
    }

    private static Paragraph Styled(string text, string styleId)
        => new(new ParagraphProperties(new ParagraphStyleId { Val = styleId }), new Run(new WText(text)));

    [Fact]
    public async Task Truncated_docx_is_a_corrupt_zip()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("truncated.docx");
        var bytes = await File.ReadAllBytesAsync(Mammoth("tables.docx"), TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)], TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => ExtractAsync(path));
        Assert.Equal($"{path}: not a valid DOCX (corrupt or truncated zip)", e.Message);
    }

    [Theory]
    [InlineData("empty.zip")]
    [InlineData("hello.zip")]
    public async Task A_zip_that_is_not_a_word_document_is_rejected(string fixture)
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("renamed.docx");
        File.Copy(Mammoth(fixture), path);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => ExtractAsync(path));
        Assert.StartsWith($"{path}: not a valid DOCX", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zip_bomb_is_rejected_from_the_central_directory()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("bomb.docx");
        // 256 MiB of zeros deflate to about 250 KB; written in 1 MiB pieces so the test stays small in memory.
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            await using var entry = await zip.CreateEntry("word/document.xml", CompressionLevel.Optimal).OpenAsync(TestContext.Current.CancellationToken);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) await entry.WriteAsync(zeros, TestContext.Current.CancellationToken);
        }
        Assert.True(new FileInfo(path).Length < 4 * 1024 * 1024, $"bomb is {new FileInfo(path).Length:N0} bytes");
        TestContext.Current.TestOutputHelper?.WriteLine($"zip bomb: {new FileInfo(path).Length:N0} bytes");
        var e = await Assert.ThrowsAsync<ExtractionException>(() => ExtractAsync(path));
        Assert.StartsWith($"{path}: rejected as a possible zip bomb: uncompressed size exceeds the limit of 209,715,200 bytes", e.Message, StringComparison.Ordinal);

        var ratioOnly = new DocxExtractor(new ExtractionOptions { DocxMaxUncompressedBytes = long.MaxValue });
        var r = await Assert.ThrowsAsync<ExtractionException>(() => ratioOnly.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("entry 'word/document.xml' expands", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_entries_are_rejected()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("many.docx");
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
            for (int i = 0; i < 50; i++) zip.CreateEntry($"x/{i}.xml");
        var extractor = new DocxExtractor(new ExtractionOptions { DocxMaxEntries = 20 });
        var e = await Assert.ThrowsAsync<ExtractionException>(() => extractor.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("50 zip entries exceed the limit of 20", e.Reason, StringComparison.Ordinal);
    }
}
