using Groundwork.Documents;
using Groundwork.Ingestion.Extraction;
using Groundwork.Testing;

namespace Groundwork.Ingestion.Tests.Extraction;

public sealed class MarkdownExtractorTests
{
    private static readonly MarkdownExtractor Extractor = new();

    private static string BlockText(ExtractedDocument d, TextBlock b) => d.Text[b.Start..b.End];

    [Fact]
    public async Task Structure_becomes_blocks_and_inline_markup_plain_text()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("guide.md");
        await File.WriteAllTextAsync(path, """
            ---
            title: "The Guide"
            author: someone
            ---
            # Top

            Some *emphasis*, `code` and a [link text](https://example.com).

            ## Lists

            - first item
            - second **bold**
              - nested item

            1. numbered

            > quoted words

            ```csharp
            var x = 1;
              indented();
            ```

            | Name | Value |
            |------|-------|
            | a    | 1     |
            | b `c`| 2     |

            ### Deep
            Text under deep.

            ## Sibling
            Last.
            """, TestContext.Current.CancellationToken);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("The Guide", doc.Title);
        Assert.Equal("text/markdown", doc.MediaType);
        var blocks = doc.Blocks.Select(b => (b.Kind, Text: BlockText(doc, b), Path: string.Join(" > ", b.SectionPath))).ToList();
        Assert.Contains((BlockKind.Paragraph, "Some emphasis, code and a link text.", "Top"), blocks);
        Assert.Contains((BlockKind.ListItem, "first item", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.ListItem, "second bold", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.ListItem, "nested item", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.ListItem, "numbered", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.Quote, "quoted words", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.Code, "var x = 1;\n  indented();", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.TableRow, "Name | Value", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.TableRow, "a | 1", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.TableRow, "b c | 2", "Top > Lists"), blocks);
        Assert.Contains((BlockKind.Paragraph, "Text under deep.", "Top > Lists > Deep"), blocks);
        Assert.Contains((BlockKind.Paragraph, "Last.", "Top > Sibling"), blocks);
        Assert.DoesNotContain("author", doc.Text, StringComparison.Ordinal);
        Assert.Contains("Name | Value\na | 1\nb c | 2", doc.Text, StringComparison.Ordinal); // rows of one table are one line apart
    }

    [Fact]
    public async Task Title_falls_back_to_the_first_h1()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("plain.markdown");
        await File.WriteAllTextAsync(path, "Intro text.\n\n## Minor\n\n# Major *one*\n", TestContext.Current.CancellationToken);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("Major one", doc.Title);
    }

    [Fact]
    public async Task CommonMark_spec_gives_the_heading_path_of_a_known_section()
    {
        // The spec ships as spec.txt; as Markdown it needs a .md name (a copy in a temp dir; ../shared stays untouched).
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("spec.md");
        File.Copy(TestPaths.Shared("fixtures", "markdown-commonmark", "spec.txt"), path);
        var doc = await Extractor.ExtractAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("CommonMark Spec", doc.Title); // from the front matter, which ends with "..."
        var tabs = doc.Blocks.First(b => b.Kind == BlockKind.Paragraph && BlockText(doc, b).StartsWith("Tabs in lines are not expanded to", StringComparison.Ordinal));
        Assert.Equal(["Preliminaries", "Tabs"], tabs.SectionPath);
        var motivation = doc.Blocks.First(b => b.Kind == BlockKind.Heading && BlockText(doc, b) == "Motivation");
        Assert.Equal(["Container blocks", "List items", "Motivation"], motivation.SectionPath);
        Assert.True(doc.Blocks.Count(b => b.Kind == BlockKind.Code) > 600, "the spec's 655 examples are code blocks");
        // Headings inside the examples' fenced code stay code.
        Assert.DoesNotContain(doc.Blocks, b => b.Kind == BlockKind.Heading && BlockText(doc, b) == "foo");
    }

    [Fact]
    public async Task Binary_content_in_a_markdown_file_is_rejected()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("bin.md");
        await File.WriteAllBytesAsync(path, [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0], TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<ExtractionException>(() => Extractor.ExtractAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("looks like a binary file", e.Reason, StringComparison.Ordinal);
    }
}
