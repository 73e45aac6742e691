using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Groundwork.Documents;
using WText = DocumentFormat.OpenXml.Wordprocessing.Text;

namespace Groundwork.Ingestion.Extraction;

/// <summary>
/// Extracts Word documents with DocumentFormat.OpenXml: Title/Heading1..9 styles (by id, name or outline level) open
/// sections, numbered and bulleted paragraphs become list items, tables become one row block per row, text boxes and
/// hyperlink text are kept, comments are left out, and footnotes and endnotes follow the body under "Footnotes".
/// The zip's central directory is checked against size, ratio and entry-count limits before the package is opened.
/// </summary>
public sealed partial class DocxExtractor : IDocumentExtractor
{
    private const long RatioCheckMinBytes = 1024 * 1024;
    private readonly ExtractionOptions _options;

    /// <summary>Creates the extractor.</summary>
    public DocxExtractor(ExtractionOptions? options = null) => _options = options ?? ExtractionOptions.Default;

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".docx"];

    /// <inheritdoc />
    public async Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default)
    {
        var size = SourceFile.CheckReadable(path, _options);
        var bytes = await SourceFile.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        CheckZip(path, bytes);
        cancellationToken.ThrowIfCancellationRequested();
        var builder = new ExtractedDocumentBuilder();
        string? title;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var document = WordprocessingDocument.Open(stream, false);
            var main = document.MainDocumentPart ?? throw new ExtractionException(path, "not a valid DOCX (no main document part)");
            var body = main.Document?.Body ?? throw new ExtractionException(path, "not a valid DOCX (no document body)");
            var walker = new Walker(builder, main);
            foreach (var element in body.ChildElements) walker.Block(element);
            var firstHeading = builder.FirstHeading; // before the "Footnotes" heading is added
            walker.AddNotes();
            title = document.PackageProperties.Title;
            if (string.IsNullOrWhiteSpace(title)) title = walker.TitleParagraph ?? firstHeading ?? Path.GetFileNameWithoutExtension(path);
        }
        catch (OpenXmlPackageException e) { throw new ExtractionException(path, "not a valid DOCX: " + SourceFile.OneLine(e.Message), e); }
        catch (InvalidDataException e) { throw new ExtractionException(path, "not a valid DOCX (corrupt or truncated zip): " + SourceFile.OneLine(e.Message), e); }
        catch (XmlException e) { throw new ExtractionException(path, "not a valid DOCX (malformed XML): " + SourceFile.OneLine(e.Message), e); }
        catch (FileFormatException e) { throw new ExtractionException(path, "not a valid DOCX: " + SourceFile.OneLine(e.Message), e); }
        return builder.Build(path, title, ContentHash.Of(bytes), size,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    }

    /// <summary>Rejects zip bombs and broken zips by reading only the central directory.</summary>
    private void CheckZip(string path, byte[] bytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count > _options.DocxMaxEntries)
                throw new ExtractionException(path, $"rejected as a possible zip bomb: {zip.Entries.Count:N0} zip entries exceed the limit of {_options.DocxMaxEntries:N0}");
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                total += entry.Length;
                if (total > _options.DocxMaxUncompressedBytes)
                    throw new ExtractionException(path, $"rejected as a possible zip bomb: uncompressed size exceeds the limit of {_options.DocxMaxUncompressedBytes:N0} bytes (ExtractionOptions.DocxMaxUncompressedBytes)");
                if (entry.Length > RatioCheckMinBytes && entry.Length > _options.DocxMaxCompressionRatio * Math.Max(1, entry.CompressedLength))
                    throw new ExtractionException(path, $"rejected as a possible zip bomb: entry '{entry.FullName}' expands {entry.Length / (double)Math.Max(1, entry.CompressedLength):N0}:1 (limit {_options.DocxMaxCompressionRatio:N0}:1)");
            }
            if (zip.GetEntry("word/document.xml") is null && !zip.Entries.Any(e => e.FullName.EndsWith("document.xml", StringComparison.OrdinalIgnoreCase)))
                throw new ExtractionException(path, "not a valid DOCX (zip has no word/document.xml)");
        }
        catch (InvalidDataException e)
        {
            throw new ExtractionException(path, "not a valid DOCX (corrupt or truncated zip)", e);
        }
    }

    [GeneratedRegex(@"^heading\s*([1-9])$", RegexOptions.IgnoreCase)]
    private static partial Regex HeadingName();

    private sealed class Walker(ExtractedDocumentBuilder builder, MainDocumentPart main)
    {
        private readonly Dictionary<string, Style> _styles = main.StyleDefinitionsPart?.Styles?.Elements<Style>()
            .Where(s => s.StyleId?.Value is not null).GroupBy(s => s.StyleId!.Value!).ToDictionary(g => g.Key, g => g.First())
            ?? [];
        private readonly List<(bool Endnote, long Id, int Number)> _notes = [];

        public string? TitleParagraph { get; private set; }

        public void Block(OpenXmlElement element)
        {
            switch (element)
            {
                case Paragraph p: AddParagraph(p); break;
                case Table t: AddTable(t); break;
                case SectionProperties: break;
                default:
                    foreach (var child in element.ChildElements) Block(child); // content controls, custom XML
                    break;
            }
        }

        private void AddParagraph(Paragraph p)
        {
            var sb = new StringBuilder();
            var textBoxes = new List<OpenXmlElement>();
            foreach (var child in p.ChildElements) Inline(child, sb, textBoxes);
            var text = sb.ToString();
            var (level, isTitle) = HeadingLevel(p);
            if (level > 0 && !string.IsNullOrWhiteSpace(text))
            {
                if (isTitle) TitleParagraph ??= ExtractedDocumentBuilder.NormalizeInline(text);
                builder.AddHeading(level, text);
            }
            else builder.AddBlock(IsListItem(p) ? BlockKind.ListItem : BlockKind.Paragraph, text);
            foreach (var box in textBoxes)
                foreach (var child in box.ChildElements) Block(child);
        }

        private void AddTable(Table table)
        {
            foreach (var row in table.Elements<TableRow>())
            {
                var cells = new List<string>();
                foreach (var cell in row.Elements<TableCell>())
                {
                    var sb = new StringBuilder();
                    var boxes = new List<OpenXmlElement>();
                    foreach (var cp in cell.Descendants<Paragraph>())
                    {
                        if (sb.Length > 0) sb.Append(' ');
                        foreach (var child in cp.ChildElements) Inline(child, sb, boxes);
                    }
                    cells.Add(ExtractedDocumentBuilder.NormalizeInline(sb.ToString()));
                }
                if (cells.Any(c => c.Length > 0)) builder.AddBlock(BlockKind.TableRow, string.Join(" | ", cells));
            }
        }

        private void Inline(OpenXmlElement e, StringBuilder sb, List<OpenXmlElement> textBoxes)
        {
            switch (e)
            {
                case WText t: sb.Append(t.Text); return;
                case TabChar: sb.Append('\t'); return;
                case Break or CarriageReturn: sb.Append('\n'); return;
                case NoBreakHyphen: sb.Append('-'); return;
                case DeletedText or FieldCode or DeletedFieldCode or ParagraphProperties or RunProperties: return;
                case FootnoteReference fr when fr.Id?.Value is long id: sb.Append(NoteMarker(false, id)); return;
                case EndnoteReference er when er.Id?.Value is long id: sb.Append(NoteMarker(true, id)); return;
                case TextBoxContent box: textBoxes.Add(box); return;
                case AlternateContent alternate:
                    // Word writes a text box twice (DrawingML choice and VML fallback): read only the first choice.
                    var chosen = alternate.ChildElements.FirstOrDefault();
                    if (chosen is not null) Inline(chosen, sb, textBoxes);
                    return;
            }
            if (e.LocalName == "AlternateContent" && e.FirstChild is { } first) { Inline(first, sb, textBoxes); return; }
            foreach (var child in e.ChildElements) Inline(child, sb, textBoxes);
        }

        private string NoteMarker(bool endnote, long id)
        {
            var number = _notes.Count + 1;
            _notes.Add((endnote, id, number));
            return $"[{number}]";
        }

        /// <summary>Appends footnote and endnote bodies, in order of first reference, under a "Footnotes" heading.</summary>
        public void AddNotes()
        {
            if (_notes.Count == 0) return;
            var footnotes = main.FootnotesPart?.Footnotes?.Elements<Footnote>().Where(f => f.Id?.Value is not null)
                .GroupBy(f => f.Id!.Value).ToDictionary(g => g.Key, g => (OpenXmlElement)g.First()) ?? [];
            var endnotes = main.EndnotesPart?.Endnotes?.Elements<Endnote>().Where(f => f.Id?.Value is not null)
                .GroupBy(f => f.Id!.Value).ToDictionary(g => g.Key, g => (OpenXmlElement)g.First()) ?? [];
            var added = new List<(int Number, string Text)>();
            foreach (var (endnote, id, number) in _notes)
            {
                if (!(endnote ? endnotes : footnotes).TryGetValue(id, out var note)) continue;
                var sb = new StringBuilder();
                var boxes = new List<OpenXmlElement>();
                foreach (var p in note.Elements<Paragraph>())
                {
                    if (sb.Length > 0) sb.Append('\n');
                    foreach (var child in p.ChildElements) Inline(child, sb, boxes);
                }
                added.Add((number, sb.ToString()));
            }
            if (added.Count == 0) return;
            builder.AddHeading(1, "Footnotes");
            foreach (var (number, text) in added) builder.AddBlock(BlockKind.Footnote, $"[{number}] {text.Trim()}");
        }

        private (int Level, bool IsTitle) HeadingLevel(Paragraph p)
        {
            var props = p.ParagraphProperties;
            var styleId = props?.ParagraphStyleId?.Val?.Value;
            int? outline = props?.OutlineLevel?.Val?.Value;
            for (int depth = 0; styleId is not null && depth < 10; depth++)
            {
                if (styleId.Equals("Title", StringComparison.OrdinalIgnoreCase)) return (1, true);
                var m = HeadingName().Match(styleId);
                if (m.Success) return (m.Groups[1].Value[0] - '0', false);
                if (!_styles.TryGetValue(styleId, out var style)) break;
                var name = style.StyleName?.Val?.Value ?? "";
                if (name.Equals("Title", StringComparison.OrdinalIgnoreCase)) return (1, true);
                m = HeadingName().Match(name);
                if (m.Success) return (m.Groups[1].Value[0] - '0', false);
                outline ??= style.StyleParagraphProperties?.OutlineLevel?.Val?.Value;
                styleId = style.BasedOn?.Val?.Value;
            }
            return outline is >= 0 and <= 8 ? (outline.Value + 1, false) : (0, false);
        }

        private bool IsListItem(Paragraph p)
        {
            var numbering = p.ParagraphProperties?.NumberingProperties;
            if (numbering is not null) return numbering.NumberingId?.Val?.Value is not 0;
            var styleId = p.ParagraphProperties?.ParagraphStyleId?.Val?.Value;
            for (int depth = 0; styleId is not null && depth < 10; depth++)
            {
                if (!_styles.TryGetValue(styleId, out var style)) break;
                if (style.StyleParagraphProperties?.NumberingProperties is { } n) return n.NumberingId?.Val?.Value is not 0;
                styleId = style.BasedOn?.Val?.Value;
            }
            return false;
        }
    }
}
