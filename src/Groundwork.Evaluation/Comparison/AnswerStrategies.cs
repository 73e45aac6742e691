using System.Diagnostics;
using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Answers;
using Groundwork.Evaluation.Datasets;
using Groundwork.Retrieval.Search;
using Groundwork.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Evaluation.Comparison;

/// <summary>A retrieved passage as recorded in a strategy's answer.</summary>
/// <param name="Document">The source file name (or document id when it has no path).</param>
/// <param name="PageStart">First page, for paginated sources.</param>
/// <param name="PageEnd">Last page, for paginated sources.</param>
/// <param name="Score">Retrieval score (comparable only within one list).</param>
public sealed record RetrievedSource(string Document, int? PageStart, int? PageEnd, double Score);

/// <summary>What one strategy answered to one question, with its evidence, cost and timings.</summary>
public sealed record StrategyAnswer
{
    /// <summary>The answer text (citation markers included, as the strategy produced it).</summary>
    public required string Text { get; init; }
    /// <summary>True when the strategy declined to answer.</summary>
    public bool Abstained { get; init; }
    /// <summary>Retrieved passages, best first (empty for strategies without retrieval).</summary>
    public IReadOnlyList<RetrievedSource> Sources { get; init; } = [];
    /// <summary>The retrieved passages' texts, best first (for answer-in-context; not written to reports).</summary>
    public IReadOnlyList<string> Contexts { get; init; } = [];
    /// <summary>The answer's citations.</summary>
    public IReadOnlyList<Citation> Citations { get; init; } = [];
    /// <summary>The answer's sentences with the citation numbers that support them.</summary>
    public IReadOnlyList<AnswerSentence> Sentences { get; init; } = [];
    /// <summary>Share of sentences the cited sources support, when measured.</summary>
    public double? Groundedness { get; init; }
    /// <summary>Wall time per pipeline stage in milliseconds.</summary>
    public IReadOnlyDictionary<string, double> StageMilliseconds { get; init; } = new Dictionary<string, double>();
    /// <summary>Prompt tokens spent.</summary>
    public int PromptTokens { get; init; }
    /// <summary>Completion tokens spent.</summary>
    public int CompletionTokens { get; init; }
    /// <summary>The model that answered (null for model-free strategies); keys the price table.</summary>
    public string? Model { get; init; }
}

/// <summary>One way of answering questions (extractive, RAG, base model, fine-tuned model, hybrid).</summary>
public interface IAnswerStrategy
{
    /// <summary>The strategy's name in reports (<c>extractive</c>, <c>rag</c>, <c>base</c>, <c>finetuned</c>, <c>hybrid</c>).</summary>
    string Name { get; }

    /// <summary>Answers one question.</summary>
    Task<StrategyAnswer> AnswerAsync(QaItem item, CancellationToken cancellationToken = default);
}

/// <summary>Model-free: the best-matching sentences of the retrieved chunks, cited (<see cref="ExtractiveAnswerer"/>).</summary>
public sealed class ExtractiveStrategy(ExtractiveAnswerer answerer) : IAnswerStrategy
{
    /// <inheritdoc />
    public string Name => "extractive";

    /// <inheritdoc />
    public async Task<StrategyAnswer> AnswerAsync(QaItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        var answer = await answerer.AnswerAsync(item.Question, cancellationToken).ConfigureAwait(false);
        // Extractive quotes are copied from the source text, so they are verified by construction.
        return AnswerStrategies.FromAnswer(answer, null) with
        {
            Citations = answer.Citations.Select(c => c with { Verified = c.Verified ?? true }).ToList(),
        };
    }
}

/// <summary>Retrieval-augmented generation with a chat model (<see cref="GroundedAnswerer"/>): <c>rag</c>, or <c>hybrid</c> with a fine-tuned model.</summary>
public sealed class RagStrategy : IAnswerStrategy
{
    private readonly GroundedAnswerer _answerer;
    private readonly string _model;

    /// <summary>Creates the strategy.</summary>
    /// <param name="name"><c>rag</c> or <c>hybrid</c>.</param>
    /// <param name="retriever">Searches the collection.</param>
    /// <param name="chat">The generating model.</param>
    /// <param name="tokenizer">The model's tokenizer (context budget).</param>
    /// <param name="model">Model name for reports and prices; default the client's metadata.</param>
    /// <param name="options">Pipeline settings; the answer cache is always off so every question is measured.</param>
    public RagStrategy(string name, Retriever retriever, IChatClient chat, ITokenizer tokenizer, string? model = null, GroundedAnswerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chat);
        Name = name;
        _model = model ?? chat.GetService<ChatClientMetadata>()?.DefaultModelId ?? "model";
        _answerer = new GroundedAnswerer(retriever, chat, tokenizer, (options ?? new GroundedAnswerOptions()) with { UseCache = false }, modelId: _model);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task<StrategyAnswer> AnswerAsync(QaItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        var answer = await _answerer.AnswerAsync(item.Question, null, cancellationToken).ConfigureAwait(false);
        return AnswerStrategies.FromAnswer(answer, _model);
    }
}

/// <summary>The chat model alone, without retrieval: <c>base</c>, or <c>finetuned</c> with a fine-tuned model.</summary>
public sealed class ModelOnlyStrategy : IAnswerStrategy
{
    /// <summary>What the model is told to reply when it does not know.</summary>
    public const string UnknownReply = "I don't know.";

    private readonly IChatClient _chat;
    private readonly ITokenizer? _tokenizer;
    private readonly string _model;
    private readonly int _maxTokens;

    /// <summary>Creates the strategy.</summary>
    /// <param name="name"><c>base</c> or <c>finetuned</c>.</param>
    /// <param name="chat">The model.</param>
    /// <param name="tokenizer">Counts tokens when the client reports no usage.</param>
    /// <param name="model">Model name for reports and prices; default the client's metadata.</param>
    /// <param name="maxTokens">Most tokens generated.</param>
    public ModelOnlyStrategy(string name, IChatClient chat, ITokenizer? tokenizer = null, string? model = null, int maxTokens = 256)
    {
        ArgumentNullException.ThrowIfNull(chat);
        Name = name;
        _chat = chat;
        _tokenizer = tokenizer;
        _model = model ?? chat.GetService<ChatClientMetadata>()?.DefaultModelId ?? "model";
        _maxTokens = maxTokens;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The messages sent for a question: a plain question prompt.</summary>
    public static IReadOnlyList<ChatMessage> Prompt(string question) =>
    [
        new(ChatRole.System, $"Answer the question concisely and factually. If you do not know the answer, reply exactly: {UnknownReply}"),
        new(ChatRole.User, question),
    ];

    /// <inheritdoc />
    public async Task<StrategyAnswer> AnswerAsync(QaItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        var messages = Prompt(item.Question);
        var clock = Stopwatch.StartNew();
        var response = await _chat.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = _maxTokens }, cancellationToken).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        var text = response.Text.Trim();
        int prompt = (int)(response.Usage?.InputTokenCount ?? _tokenizer?.CountTokens(string.Concat(messages.Select(m => m.Text))) ?? 0);
        int completion = (int)(response.Usage?.OutputTokenCount ?? _tokenizer?.CountTokens(text) ?? 0);
        bool abstained = text.Length == 0 || text.Contains(UnknownReply.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            || text.Contains(PromptBuilder.NoAnswerReply, StringComparison.OrdinalIgnoreCase);
        return new StrategyAnswer
        {
            Text = text,
            Abstained = abstained,
            StageMilliseconds = new Dictionary<string, double> { ["generate"] = elapsed },
            PromptTokens = prompt,
            CompletionTokens = completion,
            Model = _model,
        };
    }
}

/// <summary>Builds the strategies named on the command line, skipping (with a note) those whose model is missing.</summary>
public static class AnswerStrategies
{
    /// <summary>Every strategy name, in report order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["extractive", "rag", "base", "finetuned", "hybrid"];

    /// <summary>Creates the named strategies.</summary>
    /// <param name="names">Strategy names (see <see cref="Names"/>).</param>
    /// <param name="retriever">Searches the collection.</param>
    /// <param name="tokenizer">The model's tokenizer (context budget, token counts).</param>
    /// <param name="baseModel">The base chat model, or null when none is configured.</param>
    /// <param name="fineTunedModel">The fine-tuned chat model (e.g. base + adapter), or null.</param>
    /// <param name="notes">Receives one line per skipped strategy.</param>
    /// <param name="ragOptions">Settings of the RAG pipeline.</param>
    public static IReadOnlyList<IAnswerStrategy> Create(IEnumerable<string> names, Retriever retriever, ITokenizer tokenizer,
        IChatClient? baseModel, IChatClient? fineTunedModel, ICollection<string> notes, GroundedAnswerOptions? ragOptions = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(notes);
        var strategies = new List<IAnswerStrategy>();
        foreach (var raw in names)
        {
            var name = raw.Trim().ToLowerInvariant();
            if (strategies.Any(s => s.Name == name)) continue;
            switch (name)
            {
                case "extractive": strategies.Add(new ExtractiveStrategy(new ExtractiveAnswerer(retriever))); break;
                case "rag" when baseModel is not null: strategies.Add(new RagStrategy("rag", retriever, baseModel, tokenizer, options: ragOptions)); break;
                case "base" when baseModel is not null: strategies.Add(new ModelOnlyStrategy("base", baseModel, tokenizer)); break;
                case "finetuned" when fineTunedModel is not null: strategies.Add(new ModelOnlyStrategy("finetuned", fineTunedModel, tokenizer)); break;
                case "hybrid" when fineTunedModel is not null: strategies.Add(new RagStrategy("hybrid", retriever, fineTunedModel, tokenizer, options: ragOptions)); break;
                case "rag" or "base": notes.Add($"skipped '{name}': no model configured (give --model or --endpoint)"); break;
                case "finetuned" or "hybrid": notes.Add($"skipped '{name}': no fine-tuned model configured (give --adapter with --model)"); break;
                default: throw new ArgumentException($"unknown strategy '{raw}' (expected one of: {string.Join(", ", Names)})");
            }
        }
        return strategies;
    }

    internal static StrategyAnswer FromAnswer(Answer answer, string? model) => new()
    {
        Text = answer.Text,
        Abstained = answer.Abstained,
        Sources = answer.Sources.Select(h => new RetrievedSource(DocumentName(h.Document.SourcePath, h.Document.Id), h.Chunk.PageStart, h.Chunk.PageEnd, h.Score)).ToList(),
        Contexts = answer.Sources.Select(h => h.Chunk.Text).ToList(),
        Citations = answer.Citations,
        Sentences = answer.Sentences,
        Groundedness = answer.Groundedness,
        StageMilliseconds = answer.Usage?.StageMilliseconds ?? new Dictionary<string, double>(),
        PromptTokens = answer.Usage?.PromptTokens ?? 0,
        CompletionTokens = answer.Usage?.CompletionTokens ?? 0,
        Model = model,
    };

    internal static string DocumentName(string? path, string id) =>
        string.IsNullOrEmpty(path) ? id : Path.GetFileName(path.Replace('\\', '/'));
}
