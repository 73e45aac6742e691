namespace Groundwork.Storage;

/// <summary>A document as stored in a collection.</summary>
public sealed record StoredDocument
{
    /// <summary>Stable id: derived from the normalised source path.</summary>
    public required string Id { get; init; }
    /// <summary>Full path of the source file.</summary>
    public required string SourcePath { get; init; }
    /// <summary>Title.</summary>
    public string? Title { get; init; }
    /// <summary>Media type of the source.</summary>
    public required string MediaType { get; init; }
    /// <summary>Lower-case hex SHA-256 of the source bytes.</summary>
    public required string ContentHash { get; init; }
    /// <summary>Source size in bytes.</summary>
    public long ByteSize { get; init; }
    /// <summary>Source modification time (UTC) when ingested.</summary>
    public DateTimeOffset ModifiedUtc { get; init; }
    /// <summary>When this version was ingested (UTC).</summary>
    public DateTimeOffset IngestedUtc { get; init; }
    /// <summary>Number of pages for paginated sources.</summary>
    public int? PageCount { get; init; }
    /// <summary>The full extracted text that chunk offsets refer to.</summary>
    public required string Text { get; init; }
    /// <summary>Free-form tags (key = value).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>Access-control labels; empty means visible to everyone.</summary>
    public IReadOnlyList<string> AccessLabels { get; init; } = [];
}

/// <summary>A retrievable piece of a document.</summary>
public sealed record StoredChunk
{
    /// <summary>Stable id: document id + ordinal.</summary>
    public required string Id { get; init; }
    /// <summary>The owning document.</summary>
    public required string DocumentId { get; init; }
    /// <summary>0-based position in the document.</summary>
    public int Ordinal { get; init; }
    /// <summary>The chunk text; equals <c>document.Text[StartOffset..EndOffset]</c>.</summary>
    public required string Text { get; init; }
    /// <summary>Start character offset in the document's extracted text.</summary>
    public int StartOffset { get; init; }
    /// <summary>End character offset (exclusive).</summary>
    public int EndOffset { get; init; }
    /// <summary>Section heading path of the chunk's first block.</summary>
    public IReadOnlyList<string> SectionPath { get; init; } = [];
    /// <summary>First page covered (paginated sources).</summary>
    public int? PageStart { get; init; }
    /// <summary>Last page covered (paginated sources).</summary>
    public int? PageEnd { get; init; }
    /// <summary>Token count under the tokenizer used for chunking.</summary>
    public int TokenCount { get; init; }
    /// <summary>Lower-case hex SHA-256 of <see cref="Text"/>; keys embedding caches.</summary>
    public required string ContentHash { get; init; }
}

/// <summary>Restricts a search to documents with matching tags and visible labels.</summary>
public sealed record SearchFilter
{
    /// <summary>Every tag here must be present with this value.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    /// <summary>When set, only documents with no labels or with at least one of these labels are visible.</summary>
    public IReadOnlyList<string>? AccessLabels { get; init; }
    /// <summary>When set, only these documents.</summary>
    public IReadOnlyList<string>? DocumentIds { get; init; }
}

/// <summary>A ranked search result.</summary>
/// <param name="Chunk">The chunk.</param>
/// <param name="Document">The owning document (without its text loaded, <see cref="StoredDocument.Text"/> may be empty).</param>
/// <param name="Score">Higher is better; comparable only within one result list.</param>
/// <param name="Snippet">A short excerpt with matched terms wrapped in « ».</param>
public sealed record SearchHit(StoredChunk Chunk, StoredDocument Document, double Score, string Snippet);

/// <summary>Counts describing a collection.</summary>
public sealed record CollectionStats(string Name, int Documents, int Chunks, long SourceBytes, long StoreBytes, long Version, int SchemaVersion);
