using Groundwork.Documents;

namespace Groundwork.Ingestion.Extraction;

/// <summary>Maps file extensions to extractors and extracts a file with the right one.</summary>
public sealed class ExtractorRegistry
{
    private readonly Dictionary<string, IDocumentExtractor> _byExtension = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a registry over the given extractors; a later extractor wins for a shared extension.</summary>
    public ExtractorRegistry(IEnumerable<IDocumentExtractor> extractors)
    {
        ArgumentNullException.ThrowIfNull(extractors);
        foreach (var extractor in extractors)
            foreach (var extension in extractor.Extensions) _byExtension[extension] = extractor;
        SupportedExtensions = _byExtension.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The registry of the built-in extractors: .txt, .md/.markdown, .html/.htm, .docx, .pdf.</summary>
    public static ExtractorRegistry CreateDefault(ExtractionOptions? options = null) => new([
        new PlainTextExtractor(options), new MarkdownExtractor(options), new HtmlExtractor(options),
        new DocxExtractor(options), new PdfExtractor(options)]);

    /// <summary>Supported extensions, lower case with the dot, sorted.</summary>
    public IReadOnlyList<string> SupportedExtensions { get; }

    /// <summary>Finds the extractor for <paramref name="path"/>'s extension.</summary>
    public bool TryGet(string path, out IDocumentExtractor extractor)
    {
        extractor = null!;
        var extension = Path.GetExtension(path);
        if (string.IsNullOrEmpty(extension) || !_byExtension.TryGetValue(extension, out var found)) return false;
        extractor = found;
        return true;
    }

    /// <summary>
    /// Extracts <paramref name="path"/>. Throws <see cref="ExtractionException"/> ("&lt;path&gt;: &lt;reason&gt;") for a
    /// missing or unreadable file, an unsupported extension, or bad content.
    /// </summary>
    public Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new ExtractionException(path, "not a readable file (it is a directory)");
        if (!File.Exists(path)) throw new ExtractionException(path, "file not found");
        if (!TryGet(path, out var extractor))
        {
            var extension = Path.GetExtension(path);
            throw new ExtractionException(path, $"unsupported file type '{(extension.Length == 0 ? "(no extension)" : extension)}' (supported: {string.Join(", ", SupportedExtensions)})");
        }
        return extractor.ExtractAsync(path, cancellationToken);
    }
}
