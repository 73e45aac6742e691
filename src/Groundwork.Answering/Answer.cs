using Groundwork.Answers;
using Groundwork.Storage;

namespace Groundwork.Answering;

/// <summary>One sentence of an answer and the citations that support it.</summary>
/// <param name="Text">The sentence text, without citation markers.</param>
/// <param name="CitationNumbers">The [n] numbers supporting it.</param>
/// <param name="Support">How well the evidence supports the sentence, 0–1.</param>
/// <param name="Supported">Whether the support reaches the grounding threshold.</param>
public sealed record AnswerSentence(string Text, IReadOnlyList<int> CitationNumbers, double Support, bool Supported = true);

/// <summary>An answer with its evidence.</summary>
public sealed record Answer
{
    /// <summary>The question as asked.</summary>
    public required string Question { get; init; }
    /// <summary>The answer text with [n] markers.</summary>
    public required string Text { get; init; }
    /// <summary>True when the documents do not answer the question and the text says so.</summary>
    public required bool Abstained { get; init; }
    /// <summary>The answer's sentences.</summary>
    public IReadOnlyList<AnswerSentence> Sentences { get; init; } = [];
    /// <summary>Citations, numbered from 1.</summary>
    public IReadOnlyList<Citation> Citations { get; init; } = [];
    /// <summary>The retrieved chunks the answer was built from, best first.</summary>
    public IReadOnlyList<SearchHit> Sources { get; init; } = [];
    /// <summary>Confidence 0–1 (for extractive answers: the best sentence's weighted coverage of the question's terms).</summary>
    public double Confidence { get; init; }
    /// <summary>Which answerer produced it ("extractive", or a model name).</summary>
    public string Method { get; init; } = "extractive";
    /// <summary>Share of the answer's sentences that the cited sources support (1 for extractive answers), or null.</summary>
    public double? Groundedness { get; init; }
    /// <summary>True when this answer came from the answer cache.</summary>
    public bool FromCache { get; init; }
    /// <summary>The queries searched (the question, its standalone rewrite, model-written variants).</summary>
    public IReadOnlyList<string> SearchQueries { get; init; } = [];
    /// <summary>Token usage and timings, when a model produced the answer.</summary>
    public AnswerUsage? Usage { get; init; }
}

/// <summary>Tokens and time spent on an answer.</summary>
/// <param name="PromptTokens">Prompt tokens (as counted by the model's tokenizer or reported by the server).</param>
/// <param name="CompletionTokens">Generated tokens.</param>
/// <param name="StageMilliseconds">Wall time per pipeline stage, in order.</param>
public sealed record AnswerUsage(int PromptTokens, int CompletionTokens, IReadOnlyDictionary<string, double> StageMilliseconds);

/// <summary>Turns answers into interaction-log records.</summary>
public static class InteractionRecords
{
    /// <summary>The log record of <paramref name="answer"/>.</summary>
    public static Groundwork.Storage.InteractionRecord From(Answer answer) => new()
    {
        Question = answer.Question,
        RewrittenQueries = answer.SearchQueries.Where(q => q != answer.Question).ToArray(),
        Retrieved = answer.Sources.Select(h => new Groundwork.Storage.RetrievedChunkLog(h.Chunk.Id, Math.Round(h.Score, 6))).ToArray(),
        Answer = answer.Text,
        Abstained = answer.Abstained,
        Citations = answer.Citations.Select(c => $"[{c.Number}] {c.Location} ({c.StartOffset}-{c.EndOffset})" + (c.Verified == false ? " UNVERIFIED: " + c.Problem : "")).ToArray(),
        Groundedness = answer.Groundedness,
        Model = answer.Method,
        PromptTokens = answer.Usage?.PromptTokens ?? 0,
        CompletionTokens = answer.Usage?.CompletionTokens ?? 0,
        LatencyMs = answer.Usage?.StageMilliseconds ?? new Dictionary<string, double>(),
    };
}
