using System.Globalization;
using System.Text;
using System.Text.Json;
using Groundwork.Evaluation.Answers;
using Groundwork.Evaluation.Datasets;
using Groundwork.Storage;
using Groundwork.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Evaluation.Synthesis;

/// <summary>A generated question with its reference answer and the chunk it came from.</summary>
/// <param name="Item">The QA item (id, question, answer, supporting document and pages).</param>
/// <param name="ChunkId">The source chunk.</param>
/// <param name="Passage">The source chunk's text.</param>
public sealed record SynthesizedItem(QaItem Item, string ChunkId, string Passage);

/// <summary>What synthesis produced: the valid items, and how many generations were rejected and why.</summary>
/// <param name="Items">Valid items.</param>
/// <param name="Attempts">Model calls made.</param>
/// <param name="Rejections">One reason per invalid generation.</param>
public sealed record SynthesisResult(IReadOnlyList<SynthesizedItem> Items, int Attempts, IReadOnlyList<string> Rejections);

/// <summary>Settings of test-set synthesis.</summary>
public sealed record SynthesisOptions
{
    /// <summary>Items wanted.</summary>
    public int Count { get; init; } = 50;
    /// <summary>Seed of the chunk sample (same seed, same chunks).</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Chunks shorter than this (characters) are not used.</summary>
    public int MinPassageChars { get; init; } = 200;
    /// <summary>Most model calls, as a multiple of <see cref="Count"/>.</summary>
    public double MaxAttemptsFactor { get; init; } = 2;
}

/// <summary>
/// Generates question / reference answer / source chunk triples from a collection with a chat model. The model
/// must reply with one JSON object <c>{"question": "...", "answer": "..."}</c>, the answer copied from the passage;
/// anything else (not JSON, extra or missing fields, empty strings, a question without '?', an answer not found
/// in the passage, a duplicate question) is rejected and counted.
/// </summary>
public sealed class TestSetSynthesizer(IChatClient chat, SynthesisOptions? options = null)
{
    private readonly SynthesisOptions _options = options ?? new SynthesisOptions();

    /// <summary>The system prompt.</summary>
    public const string Instructions = """
        You write evaluation questions for a document search system. Given a passage, write ONE question that the
        passage answers on its own, and its answer. The answer must be a short phrase copied word for word from the
        passage (a number, name, date or short clause). Do not mention "the passage" in the question.
        Reply with exactly one JSON object and nothing else: {"question": "...?", "answer": "..."}
        """;

    /// <summary>Samples chunks from the store and generates items.</summary>
    public async Task<SynthesisResult> GenerateAsync(ICollectionStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var candidates = await ChunkSampling.ShuffledAsync(store, _options.MinPassageChars, _options.Seed, cancellationToken).ConfigureAwait(false);

        var items = new List<SynthesizedItem>();
        var rejections = new List<string>();
        var questions = new HashSet<string>(StringComparer.Ordinal);
        int attempts = 0, maxAttempts = (int)Math.Ceiling(_options.Count * _options.MaxAttemptsFactor);
        foreach (var (document, chunk) in candidates)
        {
            if (items.Count >= _options.Count || attempts >= maxAttempts) break;
            attempts++;
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, Instructions), new ChatMessage(ChatRole.User, "Passage:\n" + chunk.Text)],
                new ChatOptions { Temperature = 0, MaxOutputTokens = 200 }, cancellationToken).ConfigureAwait(false);
            var (parsed, reason) = Parse(response.Text, chunk.Text);
            if (parsed is null)
            {
                rejections.Add($"{chunk.Id}: {reason}");
                continue;
            }
            if (!questions.Add(AnswerMetrics.Normalize(parsed.Value.Question)))
            {
                rejections.Add($"{chunk.Id}: duplicate question");
                continue;
            }
            var name = Path.GetFileName(document.SourcePath);
            var pages = chunk.PageStart is int p ? Enumerable.Range(p, (chunk.PageEnd ?? p) - p + 1).Select(n => new EvidencePage(name, n)).ToList() : [];
            var id = "syn-" + (items.Count + 1).ToString(CultureInfo.InvariantCulture);
            items.Add(new SynthesizedItem(new QaItem
            {
                Id = id, Question = parsed.Value.Question, Answers = [parsed.Value.Answer], SupportingDocuments = [name], SupportingPages = pages,
                Metadata = new Dictionary<string, string> { ["source_chunk"] = chunk.Id, ["approved"] = "yes" },
            }, chunk.Id, chunk.Text));
        }
        return new SynthesisResult(items, attempts, rejections);
    }

    /// <summary>Strictly parses a generation; returns the pair or the reason it was rejected.</summary>
    public static ((string Question, string Answer)? Pair, string Reason) Parse(string? reply, string passage)
    {
        ArgumentNullException.ThrowIfNull(passage);
        var (fields, reason) = JsonReply.ParseObject(reply, "question", "answer");
        if (fields is null) return (null, reason);
        var question = fields["question"];
        var answer = fields["answer"];
        if (question.Length < 8) return (null, "question is empty or too short");
        if (!question.EndsWith('?')) return (null, "question does not end with '?'");
        if (answer.Length == 0) return (null, "answer is empty");
        var normalizedAnswer = AnswerMetrics.Normalize(answer);
        if (normalizedAnswer.Length == 0 || !AnswerMetrics.Normalize(passage).Contains(normalizedAnswer, StringComparison.Ordinal))
            return (null, "answer is not copied from the passage");
        return ((question, answer), "");
    }
}

/// <summary>
/// Writes a synthesised test set as QA JSON Lines plus a review CSV beside it (<c>NAME.review.csv</c>: Id,
/// Approved, Question, Answer, Source Docs, Source Pages, Source Chunk, Passage). A reviewer edits questions and
/// answers there or sets Approved to <c>no</c>; <see cref="ApplyReviewAsync"/> (used by <c>groundwork eval</c>)
/// keeps only approved rows and takes the edited text.
/// </summary>
public static class TestSetFiles
{
    /// <summary>The review file that belongs to a JSONL test set.</summary>
    public static string ReviewPath(string jsonlPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonlPath)) ?? ".", Path.GetFileNameWithoutExtension(jsonlPath) + ".review.csv");

    /// <summary>Writes the JSONL file and its review CSV.</summary>
    public static async Task WriteAsync(IReadOnlyList<SynthesizedItem> items, string jsonlPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var jsonl = new StringBuilder();
        foreach (var s in items)
        {
            jsonl.AppendLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["id"] = s.Item.Id,
                ["question"] = s.Item.Question,
                ["answers"] = s.Item.Answers,
                ["supporting_documents"] = s.Item.SupportingDocuments,
                ["supporting_pages"] = s.Item.SupportingPages.Select(p => new Dictionary<string, object> { ["document"] = p.Document, ["page"] = p.Page }).ToList(),
                ["source_chunk"] = s.ChunkId,
                ["approved"] = "yes",
            }));
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(jsonlPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(jsonlPath, jsonl.ToString(), cancellationToken).ConfigureAwait(false);

        var csv = new StringBuilder("Id,Approved,Question,Answer,Source Docs,Source Pages,Source Chunk,Passage\r\n");
        foreach (var s in items)
        {
            var pages = string.Join("; ", s.Item.SupportingPages.Select(p => $"{p.Document}#{p.Page}"));
            csv.Append(string.Join(',', new[] { s.Item.Id, "yes", s.Item.Question, s.Item.Answers[0], string.Join("; ", s.Item.SupportingDocuments), pages, s.ChunkId, s.Passage }.Select(Quote))).Append("\r\n");
        }
        await File.WriteAllTextAsync(ReviewPath(jsonlPath), csv.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether an approval cell means approved (yes, y, true, 1, x; case-insensitive).</summary>
    public static bool IsApproved(string? value) =>
        value?.Trim().ToUpperInvariant() is "YES" or "Y" or "TRUE" or "1" or "X";

    /// <summary>
    /// Applies review decisions: items whose own <c>approved</c> field is not approved are dropped; when the review
    /// CSV exists, items without an approved row are dropped and the row's question and answer replace the item's.
    /// </summary>
    public static async Task<IReadOnlyList<QaItem>> ApplyReviewAsync(IReadOnlyList<QaItem> items, string jsonlPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var kept = items.Where(i => Approval(i) is not string a || IsApproved(a)).ToList();
        var review = ReviewPath(jsonlPath);
        if (!File.Exists(review)) return kept;
        var rows = new Dictionary<string, QaItem>(StringComparer.Ordinal);
        await foreach (var row in QaDataset.ReadCsvAsync(review, null, cancellationToken).ConfigureAwait(false))
            if (IsApproved(Approval(row))) rows[row.Id] = row;
        return kept.Where(i => rows.ContainsKey(i.Id))
            .Select(i => i with { Question = rows[i.Id].Question, Answers = rows[i.Id].Answers }).ToList();
    }

    private static string? Approval(QaItem item) =>
        item.Metadata.FirstOrDefault(kv => kv.Key.Equals("approved", StringComparison.OrdinalIgnoreCase)).Value;

    private static string Quote(string field) => "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
