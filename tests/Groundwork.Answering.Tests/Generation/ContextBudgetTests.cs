using Groundwork.Answering.Generation;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Storage;
using Microsoft.Extensions.AI;

namespace Groundwork.Answering.Tests.Generation;

public sealed class ContextBudgetTests
{
    private static readonly DefaultTokenizer Tokenizer = new();

    private static ContextSource Source(int rank, string text) => new()
    {
        Number = rank + 1, DocumentId = $"d{rank}", SourcePath = $"/docs/d{rank}.md", StartOffset = 0, EndOffset = text.Length,
        Text = text, ChunkIds = [$"d{rank}:0"], Rank = rank,
    };

    private static string Words(Random r, int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => "w" + r.Next(100000)));

    [Fact]
    public void Never_exceeds_the_window_over_random_inputs()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            var options = new GroundedAnswerOptions
            {
                ContextWindow = random.Next(300, 4000),
                AnswerReserve = random.Next(16, 200),
                MaxSources = random.Next(1, 12),
            };
            var sources = Enumerable.Range(0, random.Next(0, 15)).Select(i => Source(i, Words(random, random.Next(1, 600)))).ToList();
            var conversation = Enumerable.Range(0, random.Next(0, 6))
                .Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, Words(random, random.Next(1, 300)))).ToList();
            var question = "What about " + Words(random, random.Next(1, 20)) + "?";
            var budget = new ContextBudget(Tokenizer, options);
            AssembledPrompt prompt;
            try { prompt = budget.Assemble(conversation, sources, question); }
            catch (InvalidOperationException) { continue; } // the question alone does not fit: a clear error, tested below

            int measured = prompt.Messages.Sum(m => Tokenizer.CountTokens(m.Text ?? "")) + options.TemplateOverheadTokens;
            Assert.True(measured + options.AnswerReserve <= options.ContextWindow, $"trial {trial}: {measured} + {options.AnswerReserve} > {options.ContextWindow}");
            Assert.Contains(question, prompt.Messages[^1].Text, StringComparison.Ordinal);
            // Lowest-ranked drop first: the kept sources are a prefix of the ranking.
            Assert.Equal(sources.Take(prompt.Sources.Count).Select(s => s.Text), prompt.Sources.Select(s => s.Text));
            Assert.Equal(Enumerable.Range(1, prompt.Sources.Count), prompt.Sources.Select(s => s.Number));
            // Oldest turns drop first: the kept turns are a suffix of the conversation.
            var kept = prompt.Messages.Skip(1).Take(prompt.Messages.Count - 2).Select(m => m.Text).ToList();
            Assert.Equal(conversation.Skip(conversation.Count - kept.Count).Select(m => m.Text), kept);
        }
    }

    [Fact]
    public void A_question_that_cannot_fit_is_a_clear_error()
    {
        var budget = new ContextBudget(Tokenizer, new GroundedAnswerOptions { ContextWindow = 200, AnswerReserve = 100 });
        var ex = Assert.Throws<InvalidOperationException>(() => budget.Assemble([], [], "Why " + string.Join(' ', Enumerable.Repeat("really", 400)) + "?"));
        Assert.Contains("context window", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adjacent_and_overlapping_chunks_of_one_document_merge()
    {
        const string text = "Alpha one two three. Bravo four five six. Charlie seven eight nine. Delta ten.";
        var doc = new StoredDocument { Id = "d", SourcePath = "/d.md", MediaType = "text/markdown", ContentHash = "h", Text = "" };
        StoredChunk Chunk(int ordinal, int start, int end) => new()
        {
            Id = $"d:{ordinal}", DocumentId = "d", Ordinal = ordinal, Text = text[start..end], StartOffset = start, EndOffset = end, ContentHash = "x",
        };
        var other = new StoredDocument { Id = "e", SourcePath = "/e.md", MediaType = "text/markdown", ContentHash = "h", Text = "" };
        var hits = new List<SearchHit>
        {
            new(Chunk(1, 21, 41), doc, 3, ""),
            new(new StoredChunk { Id = "e:0", DocumentId = "e", Text = "Other.", StartOffset = 0, EndOffset = 6, ContentHash = "y" }, other, 2, ""),
            new(Chunk(0, 0, 25), doc, 1, ""),
            new(Chunk(3, text.IndexOf("Delta", StringComparison.Ordinal), text.Length), doc, 0.5, ""),
        };
        var merged = ContextBudget.MergeSources(hits, id => id == "d" ? text : "Other.");
        Assert.Equal(3, merged.Count);
        Assert.Equal(text[0..41], merged[0].Text);
        Assert.Equal(["d:0", "d:1"], merged[0].ChunkIds);
        Assert.Equal("e", merged[1].DocumentId);
        Assert.Equal("Delta ten.", merged[2].Text);
        Assert.Equal([1, 2, 3], merged.Select(s => s.Number));
    }
}
