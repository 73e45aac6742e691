namespace Groundwork.Answers;

/// <summary>
/// A numbered reference from an answer to the exact place in a source document that supports it.
/// Offsets index the document's extracted text (the same text chunk offsets refer to).
/// </summary>
public sealed record Citation
{
    /// <summary>The number shown in the answer as [n].</summary>
    public required int Number { get; init; }
    /// <summary>The cited document.</summary>
    public required string DocumentId { get; init; }
    /// <summary>Path of the source file.</summary>
    public required string SourcePath { get; init; }
    /// <summary>Document title.</summary>
    public string? Title { get; init; }
    /// <summary>The chunk the evidence came from.</summary>
    public required string ChunkId { get; init; }
    /// <summary>Section heading path of the evidence.</summary>
    public IReadOnlyList<string> SectionPath { get; init; } = [];
    /// <summary>First page of the evidence (paginated sources).</summary>
    public int? PageStart { get; init; }
    /// <summary>Last page of the evidence (paginated sources).</summary>
    public int? PageEnd { get; init; }
    /// <summary>Start offset of the quoted evidence in the document text.</summary>
    public required int StartOffset { get; init; }
    /// <summary>End offset (exclusive) of the quoted evidence in the document text.</summary>
    public required int EndOffset { get; init; }
    /// <summary>The quoted evidence: document text [StartOffset, EndOffset).</summary>
    public required string Quote { get; init; }

    /// <summary>
    /// Whether the cited text was checked against the source and found there: true when the quote (or the
    /// sentence's content) is in the cited source, false when it is not, null when not checked.
    /// </summary>
    public bool? Verified { get; init; }
    /// <summary>Why the citation failed verification, if it did.</summary>
    public string? Problem { get; init; }

    /// <summary>"file.md › Section › Sub, p. 3" for display.</summary>
    public string Location
    {
        get
        {
            var where = Path.GetFileName(SourcePath);
            if (SectionPath.Count > 0) where += " › " + string.Join(" › ", SectionPath);
            if (PageStart is int p) where += PageEnd is int q && q != p ? $", pp. {p}–{q}" : $", p. {p}";
            return where;
        }
    }
}
