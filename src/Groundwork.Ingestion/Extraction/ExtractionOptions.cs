namespace Groundwork.Ingestion.Extraction;

/// <summary>Which pdftotext output the PDF extractor uses.</summary>
public enum PdfTextMode
{
    /// <summary>Per page: the physical layout (keeps table rows on one line) unless the page has several text columns,
    /// then the reading order. Runs pdftotext twice.</summary>
    Auto,
    /// <summary>pdftotext's reading order (columns one after another; table cells one per line).</summary>
    ReadingOrder,
    /// <summary>pdftotext <c>-layout</c>: the physical layout (table rows on one line; columns side by side).</summary>
    Layout,
}

/// <summary>Limits and tool locations shared by the document extractors.</summary>
public sealed class ExtractionOptions
{
    /// <summary>Files larger than this are rejected before reading (default 256 MiB).</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long <c>pdftotext</c> may run before its process tree is killed (default 120 s).</summary>
    public TimeSpan PdfTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The <c>pdftotext</c> executable (poppler-utils); a bare name is looked up on PATH.</summary>
    public string PdfToTextPath { get; init; } = "pdftotext";

    /// <summary>How pdftotext lays out text (default <see cref="PdfTextMode.Auto"/>; scores in docs/ingestion.md).</summary>
    public PdfTextMode PdfTextMode { get; init; } = PdfTextMode.Auto;

    /// <summary>DOCX: the most uncompressed bytes all zip entries together may declare (default 200 MiB).</summary>
    public long DocxMaxUncompressedBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>DOCX: the most entries the zip may hold (default 10,000).</summary>
    public int DocxMaxEntries { get; init; } = 10_000;

    /// <summary>DOCX: the highest compression ratio allowed for an entry larger than 1 MiB (default 100).</summary>
    public double DocxMaxCompressionRatio { get; init; } = 100;

    /// <summary>Plain text: a paragraph longer than this many characters is cut at a space into several blocks, so
    /// memory stays bounded on huge single-line files (default 1 Mi characters).</summary>
    public int MaxBlockChars { get; init; } = 1 << 20;

    /// <summary>The defaults.</summary>
    public static ExtractionOptions Default { get; } = new();
}
