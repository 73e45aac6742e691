using System.Text;
using Groundwork.Answers;
using Groundwork.Retrieval.Search;
using Groundwork.Retrieval.Text;
using Groundwork.Storage;
using Groundwork.Text;

namespace Groundwork.Answering;

/// <summary>Settings of the extractive answerer.</summary>
public sealed record ExtractiveOptions
{
    /// <summary>Chunks retrieved as candidate evidence.</summary>
    public int Candidates { get; init; } = 10;
    /// <summary>Most sentences in an answer.</summary>
    public int MaxSentences { get; init; } = 3;
    /// <summary>
    /// Minimum IDF-weighted share of the question's terms that the best sentence must contain; below it the
    /// answerer abstains. 0.5 keeps answers to questions whose key terms appear together in one sentence.
    /// </summary>
    public double MinConfidence { get; init; } = 0.5;
    /// <summary>A further sentence must reach this share of the best sentence's score.</summary>
    public double RelativeCutoff { get; init; } = 0.6;
    /// <summary>Search filter applied to retrieval.</summary>
    public SearchFilter? Filter { get; init; }
}

/// <summary>
/// Answers without any language model: retrieves candidate chunks, scores their sentences by how much of the
/// question they contain (terms weighted by rarity among the candidates, plus the chunk's retrieval rank),
/// and returns the best few sentences verbatim, each with a numbered citation to its exact offsets. When no
/// sentence covers enough of the question, it says the documents do not contain an answer.
/// </summary>
public sealed class ExtractiveAnswerer
{
    /// <summary>The text of an abstention.</summary>
    public const string NoAnswerText = "The documents do not contain an answer to this question.";

    private readonly Retriever _retriever;
    private readonly ExtractiveOptions _options;

    /// <summary>Creates an answerer over a retriever.</summary>
    public ExtractiveAnswerer(Retriever retriever, ExtractiveOptions? options = null)
    {
        _retriever = retriever;
        _options = options ?? new ExtractiveOptions();
    }

    /// <summary>Answers <paramref name="question"/> from the collection.</summary>
    public async Task<Answer> AnswerAsync(string question, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hits = await _retriever.SearchAsync(new SearchRequest(question, _options.Candidates, SearchMode.Keyword, _options.Filter), cancellationToken).ConfigureAwait(false);
        double retrieve = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var answer = Answer(question, hits);
        return answer with
        {
            SearchQueries = [question],
            Usage = new AnswerUsage(0, 0, new Dictionary<string, double> { ["retrieve"] = retrieve, ["extract"] = clock.Elapsed.TotalMilliseconds }),
        };
    }

    /// <summary>Builds the answer from already retrieved hits (best first).</summary>
    public Answer Answer(string question, IReadOnlyList<SearchHit> hits)
    {
        var questionTerms = TermAnalyzer.Terms(question).Distinct(StringComparer.Ordinal).ToArray();
        var candidates = new List<Candidate>();
        for (int rank = 0; rank < hits.Count; rank++)
        {
            var chunk = hits[rank].Chunk;
            // A sentence inherits the terms of the heading above it ("How often are laptops replaced?" over
            // "Laptops are refreshed every three years."), at half weight; headings themselves are not answers.
            var context = chunk.SectionPath.Count > 0 ? TermAnalyzer.Terms(chunk.SectionPath[^1]).ToHashSet(StringComparer.Ordinal) : [];
            foreach (var (start, end) in SentenceSplitter.SplitLines(chunk.Text))
            {
                var sentence = chunk.Text[start..end];
                var terms = TermAnalyzer.Terms(sentence).ToHashSet(StringComparer.Ordinal);
                if (terms.Count == 0) continue;
                if (IsHeadingLike(sentence, chunk.SectionPath))
                {
                    context = terms;
                    continue;
                }
                candidates.Add(new Candidate(rank, hits[rank], start, sentence, terms, context));
            }
        }

        if (questionTerms.Length == 0 || candidates.Count == 0) return Abstain(question, hits, 0);

        // Rarity among the candidate sentences: a term in every sentence tells nothing.
        var idf = questionTerms.ToDictionary(t => t, t =>
        {
            int df = candidates.Count(c => c.Terms.Contains(t));
            return Math.Log(1 + (candidates.Count - df + 0.5) / (df + 0.5));
        }, StringComparer.Ordinal);
        double total = idf.Values.Sum();
        if (total <= 0) return Abstain(question, hits, 0);

        bool wantsQuantity = AsksForQuantity(question);
        foreach (var c in candidates)
        {
            double covered = questionTerms.Sum(t => c.Terms.Contains(t) ? idf[t] : c.Context.Contains(t) ? idf[t] * 0.5 : 0);
            c.Coverage = covered / total;
            int words = c.Terms.Count;
            // Headings and fragments carry little; very long sentences dilute the answer.
            double shape = words < 4 ? 0.6 : words > 60 ? 0.85 : 1.0;
            c.Score = c.Coverage * shape + 0.05 / (1 + c.Rank);
            // "How many/much/long/often", "when": a sentence with a number is more likely the answer.
            if (wantsQuantity && c.Text.Any(char.IsDigit)) c.Score += 0.1;
        }

        var ranked = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Rank).ThenBy(c => c.Start).ToList();
        var best = ranked[0];
        if (best.Coverage < _options.MinConfidence) return Abstain(question, hits, best.Coverage);

        var chosen = new List<Candidate> { best };
        foreach (var c in ranked.Skip(1))
        {
            if (chosen.Count >= _options.MaxSentences) break;
            if (c.Score < best.Score * _options.RelativeCutoff || c.Coverage < _options.MinConfidence * 0.8) break;
            if (chosen.Any(s => Overlap(s.Terms, c.Terms) > 0.6)) continue;
            chosen.Add(c);
        }
        // Read in document order within a source, sources in rank order.
        chosen = chosen.OrderBy(c => c.Rank).ThenBy(c => c.Start).ToList();

        var citations = new List<Citation>();
        var sentences = new List<AnswerSentence>();
        var text = new StringBuilder();
        foreach (var c in chosen)
        {
            var chunk = c.Hit.Chunk;
            int docStart = chunk.StartOffset + c.Start;
            var citation = new Citation
            {
                Number = citations.Count + 1,
                DocumentId = chunk.DocumentId,
                SourcePath = c.Hit.Document.SourcePath,
                Title = c.Hit.Document.Title,
                ChunkId = chunk.Id,
                SectionPath = chunk.SectionPath,
                PageStart = chunk.PageStart,
                PageEnd = chunk.PageEnd,
                StartOffset = docStart,
                EndOffset = docStart + c.Text.Length,
                Quote = c.Text,
            };
            citations.Add(citation);
            sentences.Add(new AnswerSentence(c.Text, [citation.Number], c.Coverage));
            if (text.Length > 0) text.Append(' ');
            text.Append(c.Text.ReplaceLineEndings(" ")).Append(" [").Append(citation.Number).Append(']');
        }

        return new Answer
        {
            Question = question,
            Text = text.ToString(),
            Abstained = false,
            Sentences = sentences,
            Citations = citations,
            Sources = hits,
            Confidence = best.Coverage,
            Groundedness = 1,
        };
    }

    private static bool AsksForQuantity(string question)
    {
        var q = question.TrimStart().ToLowerInvariant();
        return q.StartsWith("when", StringComparison.Ordinal) || q.StartsWith("what year", StringComparison.Ordinal)
            || (q.StartsWith("how ", StringComparison.Ordinal) && (q.StartsWith("how many", StringComparison.Ordinal)
                || q.StartsWith("how much", StringComparison.Ordinal) || q.StartsWith("how long", StringComparison.Ordinal)
                || q.StartsWith("how often", StringComparison.Ordinal) || q.StartsWith("how soon", StringComparison.Ordinal)
                || q.StartsWith("how old", StringComparison.Ordinal) || q.StartsWith("how far", StringComparison.Ordinal)));
    }

    private static Answer Abstain(string question, IReadOnlyList<SearchHit> hits, double confidence) => new()
    {
        Question = question,
        Text = NoAnswerText,
        Abstained = true,
        Sources = hits,
        Confidence = confidence,
    };

    private static double Overlap(HashSet<string> a, HashSet<string> b)
    {
        int inter = a.Count(b.Contains);
        return inter / (double)Math.Max(1, Math.Min(a.Count, b.Count));
    }

    /// <summary>
    /// A line that reads as a heading or a question (FAQ entry) rather than a statement: a section title, a
    /// line ending in '?', or a short line without closing punctuation.
    /// </summary>
    private static bool IsHeadingLike(string sentence, IReadOnlyList<string> sectionPath)
    {
        if (sentence.EndsWith('?')) return true;
        foreach (var heading in sectionPath)
            if (string.Equals(heading, sentence, StringComparison.Ordinal)) return true;
        if (sentence.Contains('|', StringComparison.Ordinal)) return false; // a table row is data
        char last = sentence[^1];
        return !(last is '.' or '!' or ':' or ';' or ')' or '"' or '”' or '\'') && sentence.Count(char.IsWhiteSpace) < 10;
    }

    private sealed class Candidate(int rank, SearchHit hit, int start, string text, HashSet<string> terms, HashSet<string> context)
    {
        public HashSet<string> Context { get; } = context;
        public int Rank { get; } = rank;
        public SearchHit Hit { get; } = hit;
        /// <summary>Offset of the sentence in the chunk text.</summary>
        public int Start { get; } = start;
        public string Text { get; } = text;
        public HashSet<string> Terms { get; } = terms;
        public double Coverage { get; set; }
        public double Score { get; set; }
    }
}
