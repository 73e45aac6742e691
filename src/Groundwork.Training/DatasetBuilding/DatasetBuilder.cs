using System.Globalization;
using System.Text;
using Groundwork.Models.Chat;
using Groundwork.Storage;
using Groundwork.Text;
using Groundwork.Training.Data;
using Microsoft.Extensions.AI;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>
/// Builds a fine-tuning dataset from a collection: question–answer pairs a chat model writes from chunks (closed-book
/// <c>qa</c> examples, and RAFT examples that put the question with its oracle chunk and distractor chunks in the very
/// prompt the grounded answerer sends), plus logged answers the user marked good. Questions are deduplicated, then a
/// seeded share is held out for validation. <paramref name="prompt"/> is the answerer's prompt format.
/// </summary>
public sealed class DatasetBuilder(ICollectionStore store, IChatClient? chat, IGroundedPrompt prompt, DatasetBuildOptions? options = null)
{
    private readonly DatasetBuildOptions _options = options ?? new DatasetBuildOptions();

    /// <summary>The system prompt of generation.</summary>
    public const string Instructions = """
        You write training questions for a document assistant. Given a passage, write ONE question that the passage
        answers on its own, a one-sentence answer to it, and the shortest quote copied word for word from the passage
        that supports the answer. Do not mention "the passage" in the question.
        Reply with exactly one JSON object and nothing else: {"question": "...?", "answer": "...", "quote": "..."}
        """;

    /// <summary>Builds the examples and splits them into training and validation sets.</summary>
    /// <exception cref="InvalidOperationException">qa or raft was asked for without a chat model.</exception>
    public async Task<DatasetBuildResult> BuildAsync(IProgress<DatasetProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(prompt);
        Validate(_options);
        bool generate = (_options.Kinds & (DatasetKinds.Qa | DatasetKinds.Raft)) != 0;
        if (generate && chat is null)
            throw new InvalidOperationException("kinds qa and raft need a chat model (kind log needs none)");

        var examples = new List<DatasetExample>();
        var skipped = new List<SkippedItem>();
        int duplicates = 0, calls = 0;
        if (generate)
        {
            var (pairs, dups, made) = await GeneratePairsAsync(skipped, progress, cancellationToken).ConfigureAwait(false);
            duplicates += dups;
            calls = made;
            if ((_options.Kinds & DatasetKinds.Qa) != 0) examples.AddRange(pairs.Select(QaExample));
            if ((_options.Kinds & DatasetKinds.Raft) != 0)
                examples.AddRange(await RaftExamplesAsync(pairs, cancellationToken).ConfigureAwait(false));
        }
        if ((_options.Kinds & DatasetKinds.Log) != 0)
        {
            var (logExamples, dups) = await LogExamplesAsync(skipped, cancellationToken).ConfigureAwait(false);
            examples.AddRange(logExamples);
            duplicates += dups;
        }

        var (train, validation) = FineTuneDataset.Split(examples, _options.ValidationFraction, unchecked((ulong)_options.Seed));
        return new DatasetBuildResult(train, validation, skipped, duplicates, calls);
    }

    private static void Validate(DatasetBuildOptions o)
    {
        if (o.Kinds == DatasetKinds.None) throw new ArgumentException("no kinds of examples chosen (--kinds qa, raft, log)");
        if (o.Count < 1) throw new ArgumentException($"--count must be at least 1, got {o.Count}");
        if (o.Distractors < 0) throw new ArgumentException($"--distractors must be 0 or more, got {o.Distractors}");
        if (o.NoAnswerShare is < 0 or > 1) throw new ArgumentException($"--no-answer-share must be in [0, 1], got {o.NoAnswerShare.ToString(CultureInfo.InvariantCulture)}");
        if (o.ValidationFraction is < 0 or >= 1) throw new ArgumentException($"--validation must be in [0, 1), got {o.ValidationFraction.ToString(CultureInfo.InvariantCulture)}");
        if (o.NearDuplicateJaccard is <= 0 or > 1) throw new ArgumentException($"near-duplicate threshold must be in (0, 1], got {o.NearDuplicateJaccard.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>A valid generation: question, answer, the exact quote and the chunk it came from.</summary>
    internal sealed record GeneratedPair(string Question, string Answer, string Quote, StoredDocument Document, StoredChunk Chunk);

    private async Task<(List<GeneratedPair> Pairs, int Duplicates, int Calls)> GeneratePairsAsync(
        List<SkippedItem> skipped, IProgress<DatasetProgress>? progress, CancellationToken cancellationToken)
    {
        var candidates = await ChunkSampling.ShuffledAsync(store, _options.MinPassageChars, _options.Seed, cancellationToken).ConfigureAwait(false);
        var dedup = new QuestionDeduplicator(_options.NearDuplicateJaccard);
        var pairs = new List<GeneratedPair>();
        int calls = 0, failed = 0, maxCalls = (int)Math.Ceiling(_options.Count * _options.MaxAttemptsFactor);
        maxCalls = Math.Min(maxCalls, candidates.Count);
        var chatOptions = new ChatOptions { Temperature = 0, MaxOutputTokens = _options.MaxOutputTokens };
        foreach (var (document, chunk) in candidates)
        {
            if (pairs.Count >= _options.Count || calls >= maxCalls) break;
            List<ChatMessage> messages = [new(ChatRole.System, Instructions), new(ChatRole.User, "Passage:\n" + chunk.Text)];
            if (!Fits(messages))
            {
                skipped.Add(new SkippedItem("too-long", chunk.Id, $"the generation prompt does not fit the model's {_options.ContextWindow}-token context"));
                continue;
            }
            calls++;
            var response = await chat!.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
            var (pair, reason) = ParseGeneration(response.Text, chunk.Text);
            if (pair is null)
            {
                failed++;
                skipped.Add(new SkippedItem("malformed", chunk.Id, reason));
            }
            else if (dedup.TryAdd(pair.Value.Question)) pairs.Add(new GeneratedPair(pair.Value.Question, pair.Value.Answer, pair.Value.Quote, document, chunk));
            progress?.Report(new DatasetProgress(calls, maxCalls, pairs.Count, failed));
        }
        return (pairs, dedup.Duplicates, calls);
    }

    /// <summary>Whether the messages plus the reply budget fit the model's window (always, when the window is unknown).</summary>
    private bool Fits(IReadOnlyList<ChatMessage> messages)
    {
        if (_options.ContextWindow is not int window || _options.Tokenizer is not { } tokenizer) return true;
        // 16 tokens per message cover any chat template's role markers.
        int tokens = messages.Sum(m => tokenizer.CountTokens(m.Text) + 16);
        return tokens + _options.MaxOutputTokens <= window;
    }

    /// <summary>
    /// Strictly parses a generation: one JSON object with exactly question, answer and quote; the question ends with
    /// '?', the answer is not empty, the quote occurs in the passage (whitespace differences forgiven) and is returned
    /// as the passage spells it.
    /// </summary>
    public static ((string Question, string Answer, string Quote)? Pair, string Reason) ParseGeneration(string? reply, string passage)
    {
        ArgumentNullException.ThrowIfNull(passage);
        var (fields, reason) = JsonReply.ParseObject(reply, "question", "answer", "quote");
        if (fields is null) return (null, reason);
        var question = fields["question"].ReplaceLineEndings(" ");
        var answer = fields["answer"];
        var quote = fields["quote"].Trim('"', '“', '”', '\'', ' ');
        if (question.Length < 8) return (null, "question is empty or too short");
        if (!question.EndsWith('?')) return (null, "question does not end with '?'");
        if (answer.Length == 0) return (null, "answer is empty");
        if (quote.Length == 0) return (null, "quote is empty");
        var exact = FindInPassage(passage, quote);
        if (exact is null) return (null, "quote is not copied from the passage");
        return ((question, answer, exact), "");
    }

    /// <summary>The passage's own text of <paramref name="quote"/>, matching runs of whitespace loosely; null when absent.</summary>
    internal static string? FindInPassage(string passage, string quote)
    {
        var (flat, map) = CollapseWhitespace(passage);
        var (needle, _) = CollapseWhitespace(quote.Trim());
        if (needle.Length == 0) return null;
        int at = flat.IndexOf(needle, StringComparison.Ordinal);
        if (at < 0) return null;
        return passage[map[at]..(map[at + needle.Length - 1] + 1)];
    }

    private static (string Text, int[] Map) CollapseWhitespace(string text)
    {
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length);
        bool space = false;
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i])) { space = true; continue; }
            if (space && sb.Length > 0) { sb.Append(' '); map.Add(i - 1); }
            space = false;
            sb.Append(text[i]);
            map.Add(i);
        }
        return (sb.ToString(), map.ToArray());
    }

    private static DatasetExample QaExample(GeneratedPair p) => new(
        ExampleKind.Qa, p.Question,
        [new ChatTurn("user", p.Question), new ChatTurn("assistant", p.Answer)],
        [new ExampleSource("oracle", p.Document.SourcePath, p.Chunk.Id, p.Chunk.StartOffset, p.Chunk.EndOffset, 0)],
        p.Chunk.Id);

    private async Task<List<DatasetExample>> RaftExamplesAsync(List<GeneratedPair> pairs, CancellationToken cancellationToken)
    {
        // Distractors come from other documents: BM25 neighbours of the question first (hard negatives), then a seeded
        // random fill from the rest of the collection.
        var pool = await ChunkSampling.ShuffledAsync(store, 1, _options.Seed, cancellationToken).ConfigureAwait(false);
        int noAnswer = (int)Math.Round(pairs.Count * _options.NoAnswerShare, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, pairs.Count).ToArray();
        new SplitMix64(unchecked((ulong)_options.Seed) ^ 0x5241465455UL).Shuffle(order);
        var withoutOracle = order.Take(noAnswer).ToHashSet();
        var result = new List<DatasetExample>(pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var rng = new SplitMix64(unchecked((ulong)_options.Seed * 0x9E3779B97F4A7C15UL + (ulong)i));
            var distractors = await DistractorsAsync(p, pool, _options.Distractors + 1, rng, cancellationToken).ConfigureAwait(false);
            bool oracle = !withoutOracle.Contains(i);
            var chosen = new List<(string Role, StoredDocument Document, StoredChunk Chunk)>();
            if (oracle) chosen.Add(("oracle", p.Document, p.Chunk));
            chosen.AddRange(distractors.Take(oracle ? _options.Distractors : _options.Distractors + 1).Select(d => ("distractor", d.Document, d.Chunk)));
            rng.Shuffle(chosen);
            var sources = chosen.Select((c, n) => new PromptSource(n + 1, c.Document, c.Chunk)).ToList();
            int oracleNumber = chosen.FindIndex(c => c.Role == "oracle") + 1;
            string reply = oracle ? CitedAnswer(p.Answer, p.Quote, oracleNumber) : prompt.NoAnswerReply;
            result.Add(new DatasetExample(
                oracle ? ExampleKind.Raft : ExampleKind.RaftNoAnswer, p.Question,
                [new ChatTurn("system", prompt.SystemPrompt(requestQuotes: true)), new ChatTurn("user", prompt.UserMessage(sources, p.Question)), new ChatTurn("assistant", reply)],
                chosen.Select((c, n) => new ExampleSource(c.Role, c.Document.SourcePath, c.Chunk.Id, c.Chunk.StartOffset, c.Chunk.EndOffset, n + 1)).ToList(),
                p.Chunk.Id));
        }
        return result;
    }

    private async Task<List<(StoredDocument Document, StoredChunk Chunk)>> DistractorsAsync(GeneratedPair p,
        List<(StoredDocument Document, StoredChunk Chunk)> pool, int wanted, SplitMix64 rng, CancellationToken cancellationToken)
    {
        var result = new List<(StoredDocument Document, StoredChunk Chunk)>();
        if (wanted == 0) return result;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hits = await store.KeywordSearchAsync(p.Question, 8 * wanted + 8, null, cancellationToken).ConfigureAwait(false);
        foreach (var hit in hits)
        {
            if (result.Count >= wanted) break;
            if (hit.Document.Id != p.Document.Id && seen.Add(hit.Chunk.Id)) result.Add((hit.Document, hit.Chunk));
        }
        var others = pool.Where(c => c.Document.Id != p.Document.Id && !seen.Contains(c.Chunk.Id)).ToList();
        while (result.Count < wanted && others.Count > 0)
        {
            int j = rng.NextInt(others.Count);
            result.Add(others[j]);
            others.RemoveAt(j);
        }
        return result;
    }

    /// <summary>"Answer [n]." then the answerer's quotes block: "Quotes:" and "[n] "verbatim quote"" (the format its system prompt asks for).</summary>
    internal static string CitedAnswer(string answer, string quote, int number)
    {
        var text = answer.Trim().ReplaceLineEndings(" ");
        var marker = $" [{number.ToString(CultureInfo.InvariantCulture)}]";
        text = text.Length > 0 && text[^1] is '.' or '!' or '?' ? text[..^1] + marker + text[^1] : text + marker + ".";
        return $"{text}\nQuotes:\n[{number.ToString(CultureInfo.InvariantCulture)}] \"{quote.ReplaceLineEndings(" ")}\"";
    }


    private async Task<(List<DatasetExample> Examples, int Duplicates)> LogExamplesAsync(List<SkippedItem> skipped, CancellationToken cancellationToken)
    {
        var dedup = new QuestionDeduplicator(_options.NearDuplicateJaccard);
        var result = new List<DatasetExample>();
        var documents = new Dictionary<string, StoredDocument?>(StringComparer.Ordinal);
        int index = 0;
        await foreach (var record in store.ListInteractionsAsync(int.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (record.Feedback != "good") continue;
            var rng = new SplitMix64(unchecked((ulong)_options.Seed * 0xD1B54A32D192ED03UL + (ulong)index++));
            var (example, reason) = await LogExampleAsync(record, documents, rng, cancellationToken).ConfigureAwait(false);
            if (example is null) skipped.Add(new SkippedItem("log", record.Id, reason));
            else if (dedup.TryAdd(example.Question)) result.Add(example);
        }
        return (result, dedup.Duplicates);
    }

    private async Task<(DatasetExample? Example, string Reason)> LogExampleAsync(InteractionRecord record,
        Dictionary<string, StoredDocument?> documents, SplitMix64 rng, CancellationToken cancellationToken)
    {
        var found = await store.GetChunksByIdAsync(record.Retrieved.Select(r => r.ChunkId).ToList(), cancellationToken).ConfigureAwait(false);
        var byId = found.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var retrieved = new List<(StoredDocument Document, StoredChunk Chunk)>();
        foreach (var r in record.Retrieved)
        {
            if (!byId.TryGetValue(r.ChunkId, out var chunk)) continue;
            if (!documents.TryGetValue(chunk.DocumentId, out var document))
                documents[chunk.DocumentId] = document = await store.GetDocumentAsync(chunk.DocumentId, cancellationToken).ConfigureAwait(false);
            if (document is not null && retrieved.All(x => x.Chunk.Id != chunk.Id)) retrieved.Add((document, chunk));
        }

        // Each logged citation "[n] file › section (start-end)" points at evidence inside one of the retrieved chunks.
        var cited = new Dictionary<int, int>(); // old number → index in retrieved
        foreach (var line in record.Citations)
        {
            var c = LogCitation.Parse(line);
            if (c is null) return (null, $"unreadable citation '{line}'");
            if (c.Value.Unverified) return (null, $"citation [{c.Value.Number}] failed verification");
            int at = retrieved.FindIndex(x => c.Value.Location.StartsWith(Path.GetFileName(x.Document.SourcePath), StringComparison.Ordinal)
                && x.Chunk.StartOffset <= c.Value.Start && c.Value.End <= x.Chunk.EndOffset);
            if (at < 0) return (null, $"citation [{c.Value.Number}] is not in a retrieved chunk still in the collection");
            cited.TryAdd(c.Value.Number, at);
        }
        foreach (int n in prompt.CitedNumbers(record.Answer))
            if (!cited.ContainsKey(n)) return (null, $"the answer cites [{n}] without a logged citation");
        if (retrieved.Count == 0) return (null, "none of its retrieved chunks is still in the collection");

        // The prompt holds the cited chunks plus up to Distractors other retrieved ones, in a seeded order.
        var used = cited.Values.Distinct().ToList();
        used.AddRange(Enumerable.Range(0, retrieved.Count).Where(i => !used.Contains(i)).Take(cited.Count == 0 ? _options.Distractors + 1 : _options.Distractors));
        rng.Shuffle(used);
        var numberOf = used.Select((r, n) => (r, n + 1)).ToDictionary(x => x.r, x => x.Item2);
        var answer = prompt.Renumber(record.Answer, n => numberOf[cited[n]]);
        var sources = used.Select((r, n) => new PromptSource(n + 1, retrieved[r].Document, retrieved[r].Chunk)).ToList();
        bool quotes = prompt.HasQuotesBlock(answer);
        return (new DatasetExample(ExampleKind.Log, record.Question,
            [new ChatTurn("system", prompt.SystemPrompt(quotes)), new ChatTurn("user", prompt.UserMessage(sources, record.Question)), new ChatTurn("assistant", answer)],
            used.Select((r, n) => new ExampleSource(cited.ContainsValue(r) ? "cited" : "context", retrieved[r].Document.SourcePath, retrieved[r].Chunk.Id,
                retrieved[r].Chunk.StartOffset, retrieved[r].Chunk.EndOffset, n + 1)).ToList(),
            record.Id), "");
    }
}
