namespace Groundwork.Documents;

/// <summary>The kind of a structural block of extracted text.</summary>
public enum BlockKind
{
    /// <summary>A heading; it also opens a section.</summary>
    Heading,
    /// <summary>A paragraph of running text.</summary>
    Paragraph,
    /// <summary>One item of a bulleted or numbered list.</summary>
    ListItem,
    /// <summary>One row of a table, cells separated by " | ". Chunkers never split a row.</summary>
    TableRow,
    /// <summary>Preformatted text or code.</summary>
    Code,
    /// <summary>A footnote or endnote body.</summary>
    Footnote,
    /// <summary>A block quote.</summary>
    Quote,
}

/// <summary>
/// A contiguous range of <see cref="ExtractedDocument.Text"/> with its structure:
/// what kind of block it is, which headings it sits under and which page it is on.
/// </summary>
/// <param name="Start">Character offset of the block in <see cref="ExtractedDocument.Text"/>.</param>
/// <param name="Length">Length in characters.</param>
/// <param name="Kind">The block's kind.</param>
/// <param name="SectionPath">Heading path, outermost first; empty before the first heading. A heading block's path includes itself.</param>
/// <param name="Page">1-based page number for paginated sources (PDF), otherwise null.</param>
public sealed record TextBlock(int Start, int Length, BlockKind Kind, IReadOnlyList<string> SectionPath, int? Page)
{
    /// <summary>Offset one past the last character of the block.</summary>
    public int End => Start + Length;
}

/// <summary>
/// A document turned into structured plain text by an extractor. <see cref="Text"/> is the
/// exact string every offset (blocks, chunks, citations) refers to.
/// </summary>
public sealed class ExtractedDocument
{
    /// <summary>Creates an extracted document.</summary>
    public ExtractedDocument(string sourcePath, string? title, string text, IReadOnlyList<TextBlock> blocks,
        string contentHash, long byteSize, string mediaType, IReadOnlyList<string>? warnings = null, int? pageCount = null)
    {
        SourcePath = sourcePath;
        Title = title;
        Text = text;
        Blocks = blocks;
        ContentHash = contentHash;
        ByteSize = byteSize;
        MediaType = mediaType;
        Warnings = warnings ?? [];
        PageCount = pageCount;
    }

    /// <summary>The path of the source file, as given to the extractor.</summary>
    public string SourcePath { get; }
    /// <summary>The document title (metadata, first heading, or file name), if any.</summary>
    public string? Title { get; }
    /// <summary>The extracted text. Blocks are separated by "\n\n" (table rows of one table by "\n").</summary>
    public string Text { get; }
    /// <summary>The structural blocks, in reading order, non-overlapping and increasing in <see cref="TextBlock.Start"/>.</summary>
    public IReadOnlyList<TextBlock> Blocks { get; }
    /// <summary>Lower-case hex SHA-256 of the source file's bytes.</summary>
    public string ContentHash { get; }
    /// <summary>Size of the source file in bytes.</summary>
    public long ByteSize { get; }
    /// <summary>Media type of the source, e.g. "text/markdown" or "application/pdf".</summary>
    public string MediaType { get; }
    /// <summary>Non-fatal problems met while extracting (e.g. invalid bytes replaced).</summary>
    public IReadOnlyList<string> Warnings { get; }
    /// <summary>Number of pages for paginated sources.</summary>
    public int? PageCount { get; }
}
