namespace Groundwork.Documents;

/// <summary>Turns one kind of file into an <see cref="ExtractedDocument"/>.</summary>
public interface IDocumentExtractor
{
    /// <summary>File extensions (lower case, with the dot) this extractor handles.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>
    /// Extracts the file at <paramref name="path"/>. Throws <see cref="ExtractionException"/> with a
    /// one-line reason for bad input (corrupt, encrypted, not text, too large).
    /// </summary>
    Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default);
}

/// <summary>A file could not be extracted; <see cref="Exception.Message"/> is one line naming the reason.</summary>
public sealed class ExtractionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExtractionException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        SourcePath = path;
        Reason = reason;
    }

    /// <summary>The file that failed.</summary>
    public string SourcePath { get; }
    /// <summary>Why, in one line.</summary>
    public string Reason { get; }
}
