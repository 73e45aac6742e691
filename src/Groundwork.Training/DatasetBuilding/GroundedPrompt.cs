using Groundwork.Storage;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>A chunk placed in a grounded prompt as source [<paramref name="Number"/>].</summary>
/// <param name="Number">The [n] number.</param>
/// <param name="Document">Its document (the text need not be loaded).</param>
/// <param name="Chunk">The chunk.</param>
public sealed record PromptSource(int Number, StoredDocument Document, StoredChunk Chunk);

/// <summary>
/// The prompt the grounded answerer sends, so that RAFT and log examples train on exactly what the model sees when it
/// answers. Supplied by the caller (<c>Groundwork.Hosting.AnswererGroundedPrompt</c> adapts the answerer's PromptBuilder): the training
/// side does not reference the RAG side.
/// </summary>
public interface IGroundedPrompt
{
    /// <summary>The exact reply the answerer asks for when the sources do not answer.</summary>
    string NoAnswerReply { get; }

    /// <summary>The system message; with <paramref name="requestQuotes"/>, it asks for a "Quotes:" block after the answer.</summary>
    string SystemPrompt(bool requestQuotes);

    /// <summary>The user message: the numbered sources, then the question.</summary>
    string UserMessage(IReadOnlyList<PromptSource> sources, string question);

    /// <summary>The source numbers an answer cites in its [n] markers, in order (as the answerer's citation parser reads them).</summary>
    IReadOnlyList<int> CitedNumbers(string answer);

    /// <summary>The answer with every cited source number mapped through <paramref name="map"/>.</summary>
    string Renumber(string answer, Func<int, int> map);

    /// <summary>Whether the answer carries the "Quotes:" block the system prompt can ask for.</summary>
    bool HasQuotesBlock(string answer);
}
