using System.Text;
using System.Text.RegularExpressions;
using Groundwork.Documents;

namespace Groundwork.Ingestion.Extraction;

/// <summary>
/// Extracts PDFs by running poppler's <c>pdftotext</c> (reading order, UTF-8) with a timeout. Pages are split at the form
/// feeds pdftotext writes after each page, so every block carries its 1-based page; paragraphs are separated by blank
/// lines, wrapped lines are re-joined and words hyphenated across a line break are mended.
/// </summary>
public sealed partial class PdfExtractor : IDocumentExtractor
{
    private readonly ExtractionOptions _options;

    /// <summary>Creates the extractor.</summary>
    public PdfExtractor(ExtractionOptions? options = null) => _options = options ?? ExtractionOptions.Default;

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".pdf"];

    /// <inheritdoc />
    public async Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default)
    {
        var size = SourceFile.CheckReadable(path, _options);
        string hash;
        await using (var stream = SourceFile.OpenRead(path))
        {
            var head = new byte[1024];
            int n = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (head.AsSpan(0, n).IndexOf("%PDF-"u8) < 0)
                throw new ExtractionException(path, "corrupt or truncated PDF: no %PDF- header in the first 1 KB");
            stream.Position = 0;
            hash = await ContentHash.OfStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        var mode = _options.PdfTextMode;
        var readingTask = mode == PdfTextMode.Layout ? null : RunPdfToTextAsync(path, layout: false, cancellationToken);
        var layoutTask = mode == PdfTextMode.ReadingOrder ? null : RunPdfToTextAsync(path, layout: true, cancellationToken);
        // Await both before reading either, so a failure in one never leaves the other unobserved.
        await Task.WhenAll(new[] { readingTask, layoutTask }.OfType<Task<ExternalTool.Result>>()).ConfigureAwait(false);
        var reading = readingTask is null ? null : await readingTask.ConfigureAwait(false);
        var layout = layoutTask is null ? null : await layoutTask.ConfigureAwait(false);
        var result = reading ?? layout!;
        var stderr = result.StandardError;

        var builder = new ExtractedDocumentBuilder();
        var readingPages = reading?.StandardOutput.Split('\f');
        var layoutPages = layout?.StandardOutput.Split('\f');
        var pages = readingPages ?? layoutPages!;
        // pdftotext ends every page with a form feed, so the last piece is what follows the final page (empty).
        int pageCount = pages.Length > 1 ? pages.Length - 1 : pages.Length;
        if (layoutPages is not null && layoutPages.Length != pages.Length) layoutPages = null; // disagreement: reading order
        int emptyPages = 0;
        for (int i = 0; i < pageCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            builder.CurrentPage = i + 1;
            bool useLayout = layoutPages is not null && (readingPages is null || !HasTextColumns(layoutPages[i]));
            if (!AddPage(builder, useLayout ? layoutPages![i] : pages[i], useLayout)) emptyPages++;
        }
        if (emptyPages == pageCount)
            builder.Warn($"no extractable text on any of the {pageCount} page(s): probably a scanned PDF (OCR is not supported)");
        else if (emptyPages > 0)
            builder.Warn($"{emptyPages} of {pageCount} page(s) have no extractable text (scanned or image-only pages; OCR is not supported)");
        if (stderr.Length > 0 && FirstErrorLine(stderr, 0) is var warning && warning.Length > 0 && stderr.Contains("Error", StringComparison.Ordinal))
            builder.Warn("pdftotext: " + warning);
        return builder.Build(path, null, hash, size, "application/pdf", pageCount);
    }

    private async Task<ExternalTool.Result> RunPdfToTextAsync(string path, bool layout, CancellationToken cancellationToken)
    {
        var args = new List<string> { "-enc", "UTF-8", "-eol", "unix" };
        if (layout) args.Add("-layout");
        args.Add(Path.GetFullPath(path));
        args.Add("-");
        ExternalTool.Result result;
        try
        {
            result = await ExternalTool.RunAsync(_options.PdfToTextPath, args, _options.PdfTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ExternalTool.NotFoundException e)
        {
            throw new ExtractionException(path, $"pdftotext not found ({_options.PdfToTextPath}): install Debian package poppler-utils", e);
        }
        catch (ExternalTool.TimeoutException e)
        {
            throw new ExtractionException(path, $"pdftotext timed out after {e.Timeout.TotalSeconds:0.#} s (ExtractionOptions.PdfTimeout); the process was killed", e);
        }
        if (result.ExitCode != 0)
        {
            var stderr = result.StandardError;
            if (result.ExitCode == 3 || stderr.Contains("Incorrect password", StringComparison.OrdinalIgnoreCase)
                || stderr.Contains("encrypt", StringComparison.OrdinalIgnoreCase))
                throw new ExtractionException(path, "encrypted PDF (password required)");
            throw new ExtractionException(path, "corrupt or truncated PDF: " + FirstErrorLine(stderr, result.ExitCode));
        }
        return result;
    }

    /// <summary>
    /// True when a <c>-layout</c> page sets prose in columns side by side: many lines hold two runs of words
    /// (at least 20 letters each) separated by a wide gap. Tables have gaps too, but between short cells.
    /// </summary>
    internal static bool HasTextColumns(string layoutPage)
    {
        int wide = 0, split = 0;
        foreach (var raw in layoutPage.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length < 40) continue;
            wide++;
            var parts = GapPattern().Split(line);
            if (parts.Length >= 2 && parts.Count(p => p.Count(char.IsLetter) >= 20) >= 2) split++;
        }
        return wide > 0 && split >= Math.Max(3, wide * 0.25);
    }

    [GeneratedRegex(@"\s{3,}")]
    private static partial Regex GapPattern();

    /// <summary>Cells of a layout table line: runs separated by 3+ spaces; a lone currency sign joins the number after it.</summary>
    internal static List<string> Cells(string line)
    {
        var cells = new List<string>();
        string? pending = null;
        foreach (var part in GapPattern().Split(line))
        {
            var cell = part.Trim();
            if (cell.Length == 0) continue;
            if (pending is not null) { cell = pending + " " + cell; pending = null; }
            if (cell is "$" or "€" or "£" or "¥") { pending = cell; continue; }
            cells.Add(cell);
        }
        if (pending is not null) cells.Add(pending);
        return cells;
    }

    private static string FirstErrorLine(string stderr, int exitCode)
    {
        foreach (var line in stderr.Split('\n'))
        {
            var l = line.Trim();
            if (l.Length > 0) return l.Length > 300 ? l[..300] : l;
        }
        return $"pdftotext exited with code {exitCode}";
    }

    /// <summary>Adds one page's paragraphs; false when the page has no text.</summary>
    internal static bool AddPage(ExtractedDocumentBuilder builder, string page, bool layout = false)
    {
        var lines = page.Split('\n');
        var lengths = lines.Select(l => l.Trim().Length).Where(l => l > 0).Order().ToArray();
        if (lengths.Length == 0) return false;
        // A line much shorter than the page's usual line ends its paragraph's line (heading, list entry, table cell).
        int typical = lengths[(int)(lengths.Length * 0.8)];
        var paragraph = new StringBuilder();
        var kind = BlockKind.Paragraph;
        string previous = "";
        void Flush()
        {
            if (paragraph.Length > 0) builder.AddBlock(kind, paragraph.ToString());
            paragraph.Clear();
            kind = BlockKind.Paragraph;
            previous = "";
        }
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            // In layout text a line with a wide gap is a table row (or a label and its value): one TableRow block.
            bool tabular = layout && line.Contains("   ", StringComparison.Ordinal);
            if (line.Length == 0) { Flush(); continue; }
            if (tabular)
            {
                Flush();
                builder.AddBlock(BlockKind.TableRow, string.Join(" | ", Cells(line)));
                continue;
            }
            bool bullet = line.Length > 1 && line[0] is '•' or '●' or '▪' or '◦' or '\uF0B7' && char.IsWhiteSpace(line[1]);
            if (bullet)
            {
                Flush();
                kind = BlockKind.ListItem;
                line = line[1..].TrimStart();
                if (line.Length == 0) continue;
            }
            if (previous.Length == 0) paragraph.Append(line);
            else if (previous.Length >= 2 && previous[^1] == '-' && char.IsLetter(previous[^2]) && char.IsLower(line[0]))
            {
                paragraph.Length--; // a word hyphenated across the line break
                paragraph.Append(line);
            }
            else if (previous.Length < typical * 0.6) paragraph.Append('\n').Append(line);
            else paragraph.Append(' ').Append(line);
            previous = line;
        }
        Flush();
        return true;
    }
}
