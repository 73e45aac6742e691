using Groundwork.Answering.Generation;
using Groundwork.Training.DatasetBuilding;

namespace Groundwork.Hosting;

/// <summary>
/// The grounded answerer's own prompt (<see cref="PromptBuilder"/>) behind the dataset builder's
/// <see cref="IGroundedPrompt"/>, so RAFT and log examples train on exactly what the model sees when it answers. It
/// lives here because Hosting is where the RAG side (Answering) and the model side (Training) meet.
/// </summary>
public sealed class AnswererGroundedPrompt : IGroundedPrompt
{
    /// <summary>The shared instance (stateless).</summary>
    public static AnswererGroundedPrompt Instance { get; } = new();

    /// <inheritdoc />
    public string NoAnswerReply => PromptBuilder.NoAnswerReply;

    /// <inheritdoc />
    public string SystemPrompt(bool requestQuotes) => PromptBuilder.SystemPrompt(requestQuotes);

    /// <inheritdoc />
    public string UserMessage(IReadOnlyList<PromptSource> sources, string question)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return PromptBuilder.UserMessage(sources.Select(s => new ContextSource
        {
            Number = s.Number,
            DocumentId = s.Document.Id,
            SourcePath = s.Document.SourcePath,
            Title = s.Document.Title,
            SectionPath = s.Chunk.SectionPath,
            PageStart = s.Chunk.PageStart,
            PageEnd = s.Chunk.PageEnd,
            StartOffset = s.Chunk.StartOffset,
            EndOffset = s.Chunk.EndOffset,
            Text = s.Chunk.Text,
            ChunkIds = [s.Chunk.Id],
        }).ToList(), question);
    }

    /// <inheritdoc />
    public IReadOnlyList<int> CitedNumbers(string answer) => CitationVerifier.MarkerNumbers(answer);

    /// <inheritdoc />
    public string Renumber(string answer, Func<int, int> map) => CitationVerifier.RenumberMarkers(answer, map);

    /// <inheritdoc />
    public bool HasQuotesBlock(string answer) => CitationVerifier.HasQuotesBlock(answer);
}
