using Groundwork.Answering.Generation;
using Groundwork.Training.DatasetBuilding;

namespace Groundwork.Training.Tests.DatasetBuilding;

/// <summary>The real answerer's prompt (PromptBuilder) behind IGroundedPrompt, as the CLI supplies it.</summary>
internal sealed class AnswererPrompt : IGroundedPrompt
{
    public string NoAnswerReply => PromptBuilder.NoAnswerReply;

    public string SystemPrompt(bool requestQuotes) => PromptBuilder.SystemPrompt(requestQuotes);

    public string UserMessage(IReadOnlyList<PromptSource> sources, string question) =>
        PromptBuilder.UserMessage(sources.Select(s => new ContextSource
        {
            Number = s.Number, DocumentId = s.Document.Id, SourcePath = s.Document.SourcePath, Title = s.Document.Title,
            SectionPath = s.Chunk.SectionPath, PageStart = s.Chunk.PageStart, PageEnd = s.Chunk.PageEnd,
            StartOffset = s.Chunk.StartOffset, EndOffset = s.Chunk.EndOffset, Text = s.Chunk.Text, ChunkIds = [s.Chunk.Id],
        }).ToList(), question);
}
