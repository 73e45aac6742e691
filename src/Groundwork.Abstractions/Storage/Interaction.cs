namespace Groundwork.Storage;

/// <summary>
/// One logged question and answer: what was asked and retrieved, what the model was sent and said, how grounded it
/// was, how long each stage took, and the user's feedback. The log feeds evaluation and fine-tuning datasets.
/// </summary>
public sealed record InteractionRecord
{
    /// <summary>Unique id (assigned when appended if empty).</summary>
    public string Id { get; init; } = "";
    /// <summary>When it happened (UTC).</summary>
    public DateTimeOffset TimestampUtc { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>The question as asked.</summary>
    public required string Question { get; init; }
    /// <summary>Standalone rewrites and query variants searched.</summary>
    public IReadOnlyList<string> RewrittenQueries { get; init; } = [];
    /// <summary>Retrieved chunks with their scores, best first.</summary>
    public IReadOnlyList<RetrievedChunkLog> Retrieved { get; init; } = [];
    /// <summary>The answer text.</summary>
    public required string Answer { get; init; }
    /// <summary>Whether the answerer abstained.</summary>
    public bool Abstained { get; init; }
    /// <summary>Citations as "[n] path › section (start–end)" lines.</summary>
    public IReadOnlyList<string> Citations { get; init; } = [];
    /// <summary>Share of supported sentences, if measured.</summary>
    public double? Groundedness { get; init; }
    /// <summary>Model or answerer name.</summary>
    public string Model { get; init; } = "";
    /// <summary>Prompt tokens.</summary>
    public int PromptTokens { get; init; }
    /// <summary>Completion tokens.</summary>
    public int CompletionTokens { get; init; }
    /// <summary>Milliseconds per stage.</summary>
    public IReadOnlyDictionary<string, double> LatencyMs { get; init; } = new Dictionary<string, double>();
    /// <summary>"good", "bad", or null when none was given.</summary>
    public string? Feedback { get; init; }
}

/// <summary>A retrieved chunk in the log.</summary>
/// <param name="ChunkId">Chunk id.</param>
/// <param name="Score">Retrieval score.</param>
public sealed record RetrievedChunkLog(string ChunkId, double Score);

/// <summary>The interaction log of a collection.</summary>
public interface IInteractionLog
{
    /// <summary>Appends a record; returns its id.</summary>
    Task<string> AppendInteractionAsync(InteractionRecord record, CancellationToken cancellationToken = default);

    /// <summary>Sets the feedback of a logged interaction ("good" or "bad"); false when the id is unknown.</summary>
    Task<bool> SetFeedbackAsync(string interactionId, string feedback, CancellationToken cancellationToken = default);

    /// <summary>Logged interactions, newest first.</summary>
    IAsyncEnumerable<InteractionRecord> ListInteractionsAsync(int limit = int.MaxValue, CancellationToken cancellationToken = default);
}
