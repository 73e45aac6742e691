namespace Groundwork.Answering.Generation;

/// <summary>
/// One numbered source in a prompt: a chunk, or adjacent/overlapping chunks of one document merged, with the
/// exact document range it covers (Text == document.Text[StartOffset..EndOffset]).
/// </summary>
public sealed record ContextSource
{
    /// <summary>The [n] number.</summary>
    public required int Number { get; init; }
    /// <summary>The document.</summary>
    public required string DocumentId { get; init; }
    /// <summary>Source file path.</summary>
    public required string SourcePath { get; init; }
    /// <summary>Document title.</summary>
    public string? Title { get; init; }
    /// <summary>Section path of the first chunk.</summary>
    public IReadOnlyList<string> SectionPath { get; init; } = [];
    /// <summary>First page.</summary>
    public int? PageStart { get; init; }
    /// <summary>Last page.</summary>
    public int? PageEnd { get; init; }
    /// <summary>Start offset in the document text.</summary>
    public required int StartOffset { get; init; }
    /// <summary>End offset in the document text.</summary>
    public required int EndOffset { get; init; }
    /// <summary>The text.</summary>
    public required string Text { get; init; }
    /// <summary>Chunks merged into this source.</summary>
    public required IReadOnlyList<string> ChunkIds { get; init; }
    /// <summary>Best retrieval score among its chunks.</summary>
    public double Score { get; init; }
    /// <summary>Retrieval rank of its best chunk (0 = best).</summary>
    public int Rank { get; init; }
}
