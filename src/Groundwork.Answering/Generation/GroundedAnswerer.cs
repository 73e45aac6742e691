using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Groundwork.Answers;
using Groundwork.Retrieval.Fusion;
using Groundwork.Retrieval.Reranking;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;
using Groundwork.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Answering.Generation;

/// <summary>
/// The generated-answer pipeline: question → standalone rewrite (follow-ups) → retrieval (with optional multi-query
/// variants fused by RRF) → rerank → abstain if evidence is weak → context assembly within the token budget →
/// prompt with fenced sources → generation (streamed) → citation parsing → citation verification → grounding
/// policy → answer, cached per collection version.
/// </summary>
public sealed partial class GroundedAnswerer
{
    /// <summary>Text of an answer refused by the <see cref="GroundingPolicy.Refuse"/> policy.</summary>
    public const string RefusalText = "I cannot give an answer that the documents fully support.";

    private readonly Retriever _retriever;
    private readonly IChatClient _chat;
    private readonly ITokenizer _tokenizer;
    private readonly GroundedAnswerOptions _options;
    private readonly IReranker _reranker;
    private readonly IAnswerCache? _cache;
    private readonly string _modelId;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="retriever">Searches the collection.</param>
    /// <param name="chat">The generating model.</param>
    /// <param name="tokenizer">The generating model's tokenizer (for the context budget).</param>
    /// <param name="options">Settings.</param>
    /// <param name="reranker">Reranker; default <see cref="LexicalReranker"/>.</param>
    /// <param name="cache">Answer cache; default none.</param>
    /// <param name="modelId">Model identity for cache keys and reports.</param>
    /// <param name="embedder">When given, grounding also measures embedding similarity between sentences and cited sources.</param>
    public GroundedAnswerer(Retriever retriever, IChatClient chat, ITokenizer tokenizer, GroundedAnswerOptions? options = null,
        IReranker? reranker = null, IAnswerCache? cache = null, string? modelId = null,
        IEmbeddingGenerator<string, Embedding<float>>? embedder = null)
    {
        _embedder = embedder;
        _retriever = retriever;
        _chat = chat;
        _tokenizer = tokenizer;
        _options = options ?? new GroundedAnswerOptions();
        _reranker = reranker ?? new LexicalReranker();
        _cache = cache;
        _modelId = modelId ?? chat.GetService<ChatClientMetadata>()?.DefaultModelId ?? "model";
    }

    /// <summary>Answers a question; <paramref name="conversation"/> holds earlier turns (user and assistant).</summary>
    public async Task<Answer> AnswerAsync(string question, IReadOnlyList<ChatMessage>? conversation = null, CancellationToken cancellationToken = default)
    {
        await foreach (var update in StreamAsync(question, conversation, cancellationToken).ConfigureAwait(false))
            if (update is AnswerUpdate.Completed done) return done.Answer;
        throw new InvalidOperationException("the answer stream ended without an answer");
    }

    /// <summary>Answers a question as a stream of text pieces and citations, ending with the verified answer.</summary>
    public async IAsyncEnumerable<AnswerUpdate> StreamAsync(string question, IReadOnlyList<ChatMessage>? conversation = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        conversation ??= [];
        var stages = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        void Stage(string name) { stages[name] = clock.Elapsed.TotalMilliseconds; clock.Restart(); }

        string? cacheKey = null;
        if (_cache is not null && _options.UseCache && conversation.Count == 0)
        {
            long version = await _retriever.Store.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            cacheKey = CollectionAnswerCache.Key(question, version, _modelId, SettingsSignature());
            var cached = await _cache.GetAsync(cacheKey, cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                yield return new AnswerUpdate.TextDelta(cached.Text);
                yield return new AnswerUpdate.Completed(cached with { FromCache = true });
                yield break;
            }
        }

        // 1. A follow-up ("and for Toronto?") becomes a standalone question for retrieval.
        string searchQuestion = question;
        if (_options.RewriteQuery && conversation.Count > 0)
            searchQuestion = await RewriteAsync(question, conversation, cancellationToken).ConfigureAwait(false);
        Stage("rewrite");

        // 2. Retrieve (the question, its standalone form, and any model-written variants, fused by RRF) and rerank.
        var queries = new List<string> { searchQuestion };
        if (!string.Equals(searchQuestion, question, StringComparison.Ordinal)) queries.Add(question);
        if (_options.QueryVariants > 0 || _options.HypotheticalDocument)
            queries.AddRange(await VariantsAsync(searchQuestion, cancellationToken).ConfigureAwait(false));
        var lists = new List<IReadOnlyList<SearchHit>>();
        foreach (var q in queries)
            lists.Add(await _retriever.SearchAsync(new SearchRequest(q, _options.Candidates), cancellationToken).ConfigureAwait(false));
        var hits = lists.Count == 1 ? lists[0] : RankFusion.Reciprocal(lists, _options.Candidates);
        Stage("retrieve");
        hits = await _reranker.RerankAsync(searchQuestion, hits, _options.Candidates, cancellationToken).ConfigureAwait(false);
        Stage("rerank");

        // 3. Weak evidence: abstain without spending a model call.
        // Confidence: how well the best candidate sentence covers any of the queries (variants exist for vocabulary mismatch).
        var extractive = new ExtractiveAnswerer(_retriever);
        double confidence = queries.Max(q => extractive.Answer(q, hits).Confidence);
        if (hits.Count == 0 || confidence < _options.MinRetrievalConfidence)
        {
            var abstained = new Answer
            {
                Question = question, Text = ExtractiveAnswerer.NoAnswerText, Abstained = true, Sources = hits,
                Confidence = confidence, Method = _modelId, Groundedness = null, SearchQueries = queries,
                Usage = new AnswerUsage(0, 0, stages),
            };
            yield return new AnswerUpdate.TextDelta(abstained.Text);
            yield return new AnswerUpdate.Completed(abstained);
            yield break;
        }

        // 4. Assemble sources and prompt within the budget.
        var texts = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var id in hits.Select(h => h.Chunk.DocumentId).Distinct(StringComparer.Ordinal))
            texts[id] = null;
        foreach (var id in texts.Keys.ToList())
            texts[id] = (await _retriever.Store.GetDocumentAsync(id, cancellationToken).ConfigureAwait(false))?.Text;
        var merged = ContextBudget.MergeSources(hits, id => texts.GetValueOrDefault(id));
        var prompt = new ContextBudget(_tokenizer, _options).Assemble(conversation, merged, question);
        Stage("assemble");

        // 5. Generate, streaming text and citations as they appear.
        var reply = new StringBuilder();
        var seen = new HashSet<int>();
        int completionTokens = 0, promptTokens = prompt.PromptTokens;
        var chatOptions = new ChatOptions { Temperature = _options.Temperature, MaxOutputTokens = _options.AnswerReserve };
        await foreach (var update in _chat.GetStreamingResponseAsync(prompt.Messages, chatOptions, cancellationToken).ConfigureAwait(false))
        {
            foreach (var usage in update.Contents.OfType<UsageContent>())
            {
                if (usage.Details.InputTokenCount is long i) promptTokens = (int)i;
                if (usage.Details.OutputTokenCount is long o) completionTokens = (int)o;
            }
            var piece = update.Text;
            if (string.IsNullOrEmpty(piece)) continue;
            // Scan only the new text plus a short tail, where a marker split across pieces ("[1" + "2]") can start.
            int scanFrom = Math.Max(0, reply.Length - 8);
            reply.Append(piece);
            yield return new AnswerUpdate.TextDelta(piece);
            foreach (Match m in StreamMarker().Matches(reply.ToString(scanFrom, reply.Length - scanFrom)))
                if (int.TryParse(m.Groups[1].ValueSpan, out int n) && n >= 1 && n <= prompt.Sources.Count && seen.Add(n))
                    yield return new AnswerUpdate.CitationSeen(n, prompt.Sources[n - 1]);
        }
        if (completionTokens == 0) completionTokens = _tokenizer.CountTokens(reply.ToString());
        Stage("generate");

        // 6. Verify and apply the grounding policy.
        Answer answer;
        if (IsNoAnswer(reply.ToString())) answer = NoAnswer(question, hits, confidence);
        else
        {
            var (sentences, citations) = Verify(reply.ToString(), prompt.Sources);
            if (_embedder is not null) await AddEmbeddingSupportAsync(sentences, citations, prompt.Sources, cancellationToken).ConfigureAwait(false);
            answer = ApplyPolicy(question, sentences, citations, hits, confidence);
        }
        Stage("ground");
        answer = answer with { Usage = new AnswerUsage(promptTokens, completionTokens, stages), SearchQueries = queries };
        if (cacheKey is not null) await _cache!.SetAsync(cacheKey, answer, cancellationToken).ConfigureAwait(false);
        yield return new AnswerUpdate.Completed(answer);
    }

    /// <summary>Turns a model reply into a verified answer (lexical support only) under the configured grounding policy.</summary>
    public Answer Ground(string question, string reply, IReadOnlyList<ContextSource> sources, IReadOnlyList<SearchHit> hits, double confidence)
    {
        if (IsNoAnswer(reply)) return NoAnswer(question, hits, confidence);
        var (sentences, citations) = Verify(reply, sources);
        return ApplyPolicy(question, sentences, citations, hits, confidence);
    }

    private static bool IsNoAnswer(string reply)
        => string.IsNullOrWhiteSpace(reply) || reply.Contains(PromptBuilder.NoAnswerReply, StringComparison.OrdinalIgnoreCase);

    private Answer NoAnswer(string question, IReadOnlyList<SearchHit> hits, double confidence) => new()
    {
        Question = question, Text = ExtractiveAnswerer.NoAnswerText, Abstained = true, Sources = hits,
        Confidence = confidence, Method = _modelId,
    };

    /// <summary>Parses the reply's sentences and citations and checks each citation against its source.</summary>
    private (List<AnswerSentence> Sentences, List<Citation> Citations) Verify(string reply, IReadOnlyList<ContextSource> sources)
    {
        var parsed = CitationVerifier.Parse(reply);
        var citations = new List<Citation>();
        var byKey = new Dictionary<(int Source, string Quote), int>();
        var sentences = new List<AnswerSentence>();
        foreach (var (text, numbers) in parsed.Sentences)
        {
            var own = new List<int>();
            double support = 0;
            foreach (int n in numbers)
            {
                if (n < 1 || n > sources.Count)
                {
                    var bogus = new Citation
                    {
                        Number = citations.Count + 1, DocumentId = "", SourcePath = "", ChunkId = "", StartOffset = 0, EndOffset = 0,
                        Quote = "", Verified = false, Problem = $"cites [{n}], but only {sources.Count} sources were given",
                    };
                    citations.Add(bogus);
                    own.Add(bogus.Number);
                    continue;
                }
                var source = sources[n - 1];
                var c = CitationVerifier.Verify(source, text, parsed.Quotes.GetValueOrDefault(n), _options.SupportThreshold);
                var key = (n, c.Quote);
                if (!byKey.TryGetValue(key, out int number))
                {
                    number = citations.Count + 1;
                    citations.Add(c with { Number = number });
                    byKey[key] = number;
                }
                own.Add(number);
                support = Math.Max(support, CitationVerifier.LexicalSupport(text, source.Text) * (c.Verified == true ? 1 : 0.5));
            }
            sentences.Add(new AnswerSentence(text, own, support, numbers.Count > 0 && support >= _options.SupportThreshold));
        }
        return (sentences, citations);
    }

    /// <summary>Applies flag/strip/refuse and renumbers the citations the kept sentences use.</summary>
    private Answer ApplyPolicy(string question, List<AnswerSentence> sentences, List<Citation> citations, IReadOnlyList<SearchHit> hits, double confidence)
    {
        bool abstained = false;
        var kept = sentences;
        switch (_options.Policy)
        {
            case GroundingPolicy.Strip:
                kept = sentences.Where(s => s.Supported).ToList();
                abstained = kept.Count == 0;
                break;
            case GroundingPolicy.Refuse when sentences.Any(s => !s.Supported):
                return new Answer
                {
                    Question = question, Text = RefusalText, Abstained = true, Sentences = sentences, Citations = citations,
                    Sources = hits, Confidence = confidence, Method = _modelId,
                    Groundedness = sentences.Count == 0 ? 0 : sentences.Count(s => s.Supported) / (double)sentences.Count,
                };
        }

        // Renumber the citations the kept sentences use, in order of first use.
        var renumber = new Dictionary<int, int>();
        var finalCitations = new List<Citation>();
        var textOut = new StringBuilder();
        foreach (var s in kept)
        {
            var nums = new List<int>();
            foreach (int n in s.CitationNumbers)
            {
                if (!renumber.TryGetValue(n, out int m))
                {
                    m = finalCitations.Count + 1;
                    renumber[n] = m;
                    finalCitations.Add(citations[n - 1] with { Number = m });
                }
                nums.Add(m);
            }
            if (textOut.Length > 0) textOut.Append(' ');
            textOut.Append(s.Text);
            foreach (int m in nums) textOut.Append(" [").Append(m).Append(']');
            if (!s.Supported && _options.Policy == GroundingPolicy.Flag) textOut.Append(" (unsupported)");
        }
        var finalSentences = kept.Select(s => s with { CitationNumbers = s.CitationNumbers.Select(n => renumber[n]).ToArray() }).ToList();

        return new Answer
        {
            Question = question,
            Text = abstained ? ExtractiveAnswerer.NoAnswerText : textOut.ToString(),
            Abstained = abstained,
            Sentences = abstained ? [] : finalSentences,
            Citations = abstained ? [] : finalCitations,
            Sources = hits,
            Confidence = confidence,
            Method = _modelId,
            Groundedness = sentences.Count == 0 ? 0 : sentences.Count(s => s.Supported) / (double)sentences.Count,
        };
    }

    /// <summary>
    /// Raises each sentence's support to the embedding similarity with its cited sources where that is higher
    /// (faithful paraphrases share few words); cosine is mapped so 0.5 → 0 and 0.9 → 1. A citation whose quote
    /// was not found stays unverified: similarity of meaning does not excuse a false quote.
    /// </summary>
    private async Task AddEmbeddingSupportAsync(List<AnswerSentence> sentences, List<Citation> citations, IReadOnlyList<ContextSource> sources, CancellationToken cancellationToken)
    {
        if (sentences.Count == 0 || sources.Count == 0) return;
        var embedded = await _embedder!.GenerateAsync(sentences.Select(s => s.Text).Concat(sources.Select(s => s.Text)), cancellationToken: cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < sentences.Count; i++)
        {
            var s = sentences[i];
            double best = s.Support;
            foreach (int n in s.CitationNumbers)
            {
                var c = citations[n - 1];
                int src = -1;
                for (int k = 0; k < sources.Count; k++)
                    if (sources[k].DocumentId == c.DocumentId && c.StartOffset >= sources[k].StartOffset && c.EndOffset <= sources[k].EndOffset) { src = k; break; }
                if (src < 0 || (c.Verified == false && c.Problem?.StartsWith("quote not found", StringComparison.Ordinal) == true)) continue;
                double cos = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(embedded[i].Vector.Span, embedded[sentences.Count + src].Vector.Span);
                double support = Math.Clamp((cos - 0.5) / 0.4, 0, 1);
                if (support >= _options.SupportThreshold && c.Verified == false) citations[n - 1] = c with { Verified = true, Problem = null };
                best = Math.Max(best, support);
            }
            sentences[i] = s with { Support = best, Supported = s.CitationNumbers.Count > 0 && best >= _options.SupportThreshold };
        }
    }

    private async Task<IReadOnlyList<string>> VariantsAsync(string question, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        if (_options.QueryVariants > 0)
        {
            var response = await _chat.GetResponseAsync([new ChatMessage(ChatRole.User,
                $"Write {_options.QueryVariants} different search queries that would find documents answering the question below. One per line, no numbering.\n\nQuestion: {question}")],
                new ChatOptions { Temperature = 0, MaxOutputTokens = 64 * _options.QueryVariants }, cancellationToken).ConfigureAwait(false);
            result.AddRange((response.Text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => l.TrimStart('-', '*', ' ', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '.', ')').Trim())
                .Where(l => l.Length > 3).Take(_options.QueryVariants));
        }
        if (_options.HypotheticalDocument)
        {
            var response = await _chat.GetResponseAsync([new ChatMessage(ChatRole.User,
                $"Write a short passage (2-3 sentences) that could appear in a company document and answers this question. Reply with the passage only.\n\nQuestion: {question}")],
                new ChatOptions { Temperature = 0, MaxOutputTokens = 128 }, cancellationToken).ConfigureAwait(false);
            if (response.Text is { Length: > 10 } passage) result.Add(passage.Trim());
        }
        return result;
    }

    private async Task<string> RewriteAsync(string question, IReadOnlyList<ChatMessage> conversation, CancellationToken cancellationToken)
    {
        var history = new StringBuilder();
        foreach (var m in conversation.TakeLast(6)) history.Append(m.Role.Value).Append(": ").AppendLine(m.Text);
        var prompt = $"Rewrite the last question as one standalone question that can be understood without the conversation. Reply with the question only.\n\nConversation:\n{history}\nLast question: {question}";
        var response = await _chat.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 96 }, cancellationToken).ConfigureAwait(false);
        var rewritten = (response.Text ?? "").Trim().Trim('"').Split('\n')[0].Trim();
        return rewritten.Length is > 3 and < 500 ? rewritten : question;
    }

    private string SettingsSignature()
        => $"{_options.ContextWindow};{_options.AnswerReserve};{_options.Candidates};{_options.MaxSources};{_options.Policy};{_options.SupportThreshold};{_options.RequestQuotes};{_options.Temperature};{_reranker.GetType().Name}";

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex StreamMarker();
}
