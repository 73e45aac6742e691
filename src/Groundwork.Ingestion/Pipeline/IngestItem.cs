using Groundwork.Documents;
using Groundwork.Ingestion.Chunking;
using Groundwork.Storage;

namespace Groundwork.Ingestion.Pipeline;

/// <summary>One file travelling through the ingest steps; each step reads what earlier steps set.</summary>
public sealed class IngestItem
{
    internal IngestItem(string path, string documentId, long byteSize, DateTimeOffset modifiedUtc, StoredDocument? existing)
    {
        Path = path;
        DocumentId = documentId;
        ByteSize = byteSize;
        ModifiedUtc = modifiedUtc;
        Existing = existing;
    }

    /// <summary>Full path of the source file.</summary>
    public string Path { get; }
    /// <summary>The id the document is stored under.</summary>
    public string DocumentId { get; }
    /// <summary>File size when discovered.</summary>
    public long ByteSize { get; }
    /// <summary>File modification time when discovered.</summary>
    public DateTimeOffset ModifiedUtc { get; }
    /// <summary>The stored version of this document, if any (without text).</summary>
    public StoredDocument? Existing { get; }
    /// <summary>SHA-256 of the file, set by the hash step.</summary>
    public string? ContentHash { get; set; }
    /// <summary>The extracted document, set by the extract step.</summary>
    public ExtractedDocument? Extracted { get; set; }
    /// <summary>The chunks, set by the chunk step.</summary>
    public IReadOnlyList<TextChunk>? Chunks { get; set; }
    /// <summary>Set by a step that ends the item's journey early (e.g. unchanged).</summary>
    public FileOutcome? Outcome { get; set; }
}

/// <summary>
/// One step of the per-file ingest pipeline. Steps run in order on extraction workers; each is idempotent
/// and may end the item's journey by setting <see cref="IngestItem.Outcome"/>. Writing to the store happens
/// after the last step, one document per transaction.
/// </summary>
public interface IIngestStep
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>Runs the step. Throw <see cref="ExtractionException"/> (or any exception) to fail the file.</summary>
    ValueTask RunAsync(IngestItem item, CancellationToken cancellationToken);
}
