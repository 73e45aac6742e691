using Groundwork.Answers;

namespace Groundwork.Answering.Generation;

/// <summary>What a streaming answer reports, in order: text pieces and citations as they appear, then the final answer.</summary>
public abstract record AnswerUpdate
{
    /// <summary>A piece of answer text as generated.</summary>
    public sealed record TextDelta(string Text) : AnswerUpdate;

    /// <summary>A citation marker [n] completed in the stream; the source it points to (verified in the final answer).</summary>
    public sealed record CitationSeen(int Number, ContextSource Source) : AnswerUpdate;

    /// <summary>The finished, verified answer.</summary>
    public sealed record Completed(Answer Answer) : AnswerUpdate;
}
