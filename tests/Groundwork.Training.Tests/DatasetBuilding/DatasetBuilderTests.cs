using System.Text.Json;
using System.Text.RegularExpressions;
using Groundwork.Answering.Generation;
using Groundwork.Hosting;
using Groundwork.Storage;
using Groundwork.Testing;
using Groundwork.Training.Data;
using Groundwork.Training.DatasetBuilding;

namespace Groundwork.Training.Tests.DatasetBuilding;

/// <summary>Dataset building on a real SQLite collection with a scripted model: RAFT prompts, abstention share, dedup, split, log examples, output files.</summary>
public sealed partial class DatasetBuilderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly AnswererGroundedPrompt Prompt = AnswererGroundedPrompt.Instance;

    [GeneratedRegex("<source id=\"(\\d+)\"[^>]*>\\n(.*?)\\n</source>", RegexOptions.Singleline)]
    private static partial Regex SourceBlock();

    private static Dictionary<int, string> Sources(string user) =>
        SourceBlock().Matches(user).ToDictionary(m => int.Parse(m.Groups[1].Value), m => m.Groups[2].Value);

    [Theory]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"It is 16 weeks.\", \"quote\": \"16 weeks of fully\\n paid\"}", null)]
    [InlineData("```json\n{\"question\": \"How long is parental leave?\", \"answer\": \"16 weeks.\", \"quote\": \"16 weeks\"}\n```", null)]
    [InlineData("Sure! {\"question\": \"How long?\", \"answer\": \"x\", \"quote\": \"16 weeks\"}", "not a single JSON object")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"16 weeks\"}", "expected exactly the fields 'question', 'answer' and 'quote'")]
    [InlineData("{\"question\": \"How long is parental leave\", \"answer\": \"16 weeks\", \"quote\": \"16 weeks\"}", "does not end with '?'")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"16 weeks\", \"quote\": \"20 weeks\"}", "not copied from the passage")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"\", \"quote\": \"16 weeks\"}", "answer is empty")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": 16, \"quote\": \"16 weeks\"}", "must be strings")]
    [InlineData("", "empty reply")]
    public void Generations_are_parsed_strictly_and_quotes_are_returned_as_the_passage_spells_them(string reply, string? rejection)
    {
        const string passage = "All parents receive 16 weeks of fully   paid parental leave.";
        var (pair, reason) = DatasetBuilder.ParseGeneration(reply, passage);
        if (rejection is not null)
        {
            Assert.Null(pair);
            Assert.Contains(rejection, reason, StringComparison.Ordinal);
            return;
        }
        Assert.NotNull(pair);
        Assert.Equal("How long is parental leave?", pair.Value.Question);
        Assert.Contains(pair.Value.Quote, passage, StringComparison.Ordinal);
        Assert.StartsWith("16 weeks", pair.Value.Quote, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raft_prompts_are_the_answerers_prompt_with_the_oracle_among_distractors_from_other_documents_and_cite_it()
    {
        await using var c = await DatasetCollection.CreateAsync();
        var chunks = (await c.ChunksAsync()).ToDictionary(x => x.Chunk.Id);
        var model = new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m)));
        var result = await new DatasetBuilder(c.Store, model, Prompt, new DatasetBuildOptions
        {
            Kinds = DatasetKinds.Raft, Count = 50, Distractors = 2, NoAnswerShare = 0, ValidationFraction = 0, MinPassageChars = 40,
        }).BuildAsync(cancellationToken: Ct);

        var raft = result.Train;
        Assert.True(raft.Count >= 6, $"expected a pair per chunk, got {raft.Count}");
        Assert.Equal(model.Calls.Count, result.ModelCalls);
        Assert.All(raft, e => Assert.Equal(ExampleKind.Raft, e.Kind));
        var oracleNumbers = new HashSet<int>();
        foreach (var e in raft)
        {
            Assert.Equal(["system", "user", "assistant"], e.Messages.Select(t => t.Role));
            Assert.Equal(PromptBuilder.SystemPrompt(requestQuotes: true), e.Messages[0].Content);
            Assert.EndsWith("Question: " + e.Question, e.Messages[1].Content, StringComparison.Ordinal);
            var sources = Sources(e.Messages[1].Content);
            Assert.Equal(3, sources.Count);
            var oracle = Assert.Single(e.Sources, s => s.Role == "oracle");
            var oracleDoc = chunks[oracle.ChunkId].Document.Id;
            Assert.Equal(chunks[oracle.ChunkId].Chunk.Text, sources[oracle.Number]);
            Assert.All(e.Sources.Where(s => s.Role == "distractor"), d =>
            {
                Assert.NotEqual(oracleDoc, chunks[d.ChunkId].Document.Id);
                Assert.Equal(chunks[d.ChunkId].Chunk.Text, sources[d.Number]);
                Assert.Equal(chunks[d.ChunkId].Chunk.StartOffset, d.StartOffset);
            });
            // The reply reads back through the answerer's own citation parser: one cited sentence, a verbatim quote of the oracle.
            var parsed = CitationVerifier.Parse(e.Messages[2].Content);
            Assert.Equal([oracle.Number], parsed.Sentences.SelectMany(s => s.Numbers).Distinct());
            Assert.Contains(parsed.Quotes[oracle.Number], sources[oracle.Number], StringComparison.Ordinal);
            oracleNumbers.Add(oracle.Number);
        }
        Assert.True(oracleNumbers.Count > 1, "the oracle's position varies");

        // Same seed, same dataset.
        var again = await new DatasetBuilder(c.Store, new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m))), Prompt, new DatasetBuildOptions
        {
            Kinds = DatasetKinds.Raft, Count = 50, Distractors = 2, NoAnswerShare = 0, ValidationFraction = 0, MinPassageChars = 40,
        }).BuildAsync(cancellationToken: Ct);
        Assert.Equal(raft.Select(DatasetFiles.ToJsonLine), again.Train.Select(DatasetFiles.ToJsonLine));
    }

    [Fact]
    public async Task The_configured_share_of_raft_examples_loses_its_oracle_and_abstains_with_the_answerers_sentence()
    {
        await using var c = await DatasetCollection.CreateAsync();
        var options = new DatasetBuildOptions { Kinds = DatasetKinds.Raft, Count = 50, Distractors = 2, NoAnswerShare = 0.3, ValidationFraction = 0, MinPassageChars = 40, Seed = 7 };
        var result = await new DatasetBuilder(c.Store, new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m))), Prompt, options).BuildAsync(cancellationToken: Ct);
        var all = result.Train;
        var none = all.Where(e => e.Kind == ExampleKind.RaftNoAnswer).ToList();
        Assert.Equal((int)Math.Round(all.Count * 0.3, MidpointRounding.AwayFromZero), none.Count);
        Assert.NotEmpty(none);
        foreach (var e in none)
        {
            Assert.Equal(PromptBuilder.NoAnswerReply, e.Messages[^1].Content);
            Assert.DoesNotContain(e.Sources, s => s.Role == "oracle");
            Assert.Equal(3, e.Sources.Count); // the oracle's place goes to one more distractor
            Assert.Equal(3, Sources(e.Messages[1].Content).Count);
            Assert.DoesNotContain(e.Sources, s => s.ChunkId == e.Origin);
        }
        Assert.All(all.Except(none), e => Assert.Single(e.Sources, s => s.Role == "oracle"));

        var other = await new DatasetBuilder(c.Store, new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m))), Prompt, options with { Seed = 7 }).BuildAsync(cancellationToken: Ct);
        Assert.Equal(none.Select(e => e.Question), other.Train.Where(e => e.Kind == ExampleKind.RaftNoAnswer).Select(e => e.Question));
    }

    [Fact]
    public async Task Malformed_model_output_is_skipped_counted_and_never_written()
    {
        await using var c = await DatasetCollection.CreateAsync();
        int call = 0;
        string[] bad = ["I'm sorry, I can't do that.", "{\"question\": \"What?\"}", "{\"question\": \"Where is the office located?\", \"answer\": \"Mars\", \"quote\": \"on Mars\"}"];
        var model = new ScriptedChatClient(m => ++call <= bad.Length ? bad[call - 1] : DatasetCollection.Generate(DatasetCollection.Passage(m)));
        var result = await new DatasetBuilder(c.Store, model, Prompt, new DatasetBuildOptions { Kinds = DatasetKinds.Qa, Count = 4, ValidationFraction = 0, MinPassageChars = 40 })
            .BuildAsync(cancellationToken: Ct);
        Assert.Equal(3, result.Skipped.Count(s => s.Kind == "malformed"));
        Assert.Equal(4, result.Train.Count);
        Assert.Equal(7, result.ModelCalls);
        Assert.Contains(result.Skipped, s => s.Reason.Contains("not copied from the passage", StringComparison.Ordinal));
        Assert.All(result.Train, e =>
        {
            Assert.Equal(ExampleKind.Qa, e.Kind);
            Assert.Equal(["user", "assistant"], e.Messages.Select(t => t.Role));
            Assert.DoesNotContain("Mars", e.Messages[1].Content, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Exact_and_near_duplicate_questions_are_dropped()
    {
        await using var c = await DatasetCollection.CreateAsync();
        int call = 0;
        string?[] questions = ["What does the handbook say about parental leave for parents?", "what does the handbook say about parental leave for parents", "What does handbook say about parental leave for all parents?"];
        var model = new ScriptedChatClient(m =>
        {
            var q = ++call <= questions.Length ? questions[call - 1] : null;
            return DatasetCollection.Generate(DatasetCollection.Passage(m), q is null ? null : q.EndsWith('?') ? q : q + "?");
        });
        var result = await new DatasetBuilder(c.Store, model, Prompt, new DatasetBuildOptions { Kinds = DatasetKinds.Qa, Count = 50, ValidationFraction = 0, MinPassageChars = 40 })
            .BuildAsync(cancellationToken: Ct);
        Assert.Equal(2, result.Duplicates);
        Assert.Equal(result.ModelCalls - 2, result.Train.Count);
        Assert.Single(result.Train, e => e.Question.Contains("parental leave for", StringComparison.Ordinal));

        var dedup = new QuestionDeduplicator(0.8);
        Assert.True(dedup.TryAdd("How many vacation days do employees get?"));
        Assert.False(dedup.TryAdd("How many vacation days do the employees get"));
        Assert.True(dedup.TryAdd("How many sick days do employees get?"));
        Assert.Equal(1, dedup.Duplicates);
    }

    [Fact]
    public async Task Split_is_seeded_disjoint_and_complete()
    {
        await using var c = await DatasetCollection.CreateAsync();
        async Task<DatasetBuildResult> Build(int seed) => await new DatasetBuilder(c.Store, new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m))), Prompt,
            new DatasetBuildOptions { Kinds = DatasetKinds.Qa | DatasetKinds.Raft, Count = 50, ValidationFraction = 0.25, MinPassageChars = 40, Seed = seed }).BuildAsync(cancellationToken: Ct);
        var a = await Build(1);
        var b = await Build(1);
        var d = await Build(2);
        int total = a.Train.Count + a.Validation.Count;
        Assert.Equal((int)Math.Round(total * 0.25), a.Validation.Count);
        Assert.Equal(a.Validation.Select(DatasetFiles.ToJsonLine), b.Validation.Select(DatasetFiles.ToJsonLine));
        Assert.Equal(a.Train.Select(DatasetFiles.ToJsonLine), b.Train.Select(DatasetFiles.ToJsonLine));
        Assert.Empty(a.Train.Select(DatasetFiles.ToJsonLine).Intersect(a.Validation.Select(DatasetFiles.ToJsonLine)));
        Assert.Equal(total, d.Train.Count + d.Validation.Count);
        Assert.NotEqual(a.Validation.Select(DatasetFiles.ToJsonLine).Order(), d.Validation.Select(DatasetFiles.ToJsonLine).Order());
    }

    [Fact]
    public async Task Log_examples_come_only_from_answers_marked_good_with_their_citations_renumbered_to_the_rebuilt_sources()
    {
        await using var c = await DatasetCollection.CreateAsync();
        var chunks = await c.ChunksAsync();
        var leave = chunks.Single(x => x.Chunk.Text.Contains("16 weeks", StringComparison.Ordinal));
        var lisbon = chunks.Single(x => x.Chunk.Text.Contains("Lisbon office", StringComparison.Ordinal));
        int start = leave.Chunk.StartOffset + leave.Chunk.Text.IndexOf("All parents", StringComparison.Ordinal);
        const string quote = "All parents receive 16 weeks of fully paid parental leave.";
        InteractionRecord Record(string question, string answer, params string[] citations) => new()
        {
            Question = question, Answer = answer, Citations = citations,
            Retrieved = [new RetrievedChunkLog(lisbon.Chunk.Id, 2.0), new RetrievedChunkLog(leave.Chunk.Id, 1.5)],
        };
        var citation = $"[2] policy.md › Leave policy › Parental leave ({start}-{start + quote.Length})";
        var answer = $"Parents get 16 weeks of paid leave [2].\nQuotes:\n[2] \"{quote}\"";
        var good = await c.Store.AppendInteractionAsync(Record("How long is parental leave?", answer, citation), Ct);
        var bad = await c.Store.AppendInteractionAsync(Record("How long is the parental leave in weeks?", answer, citation), Ct);
        await c.Store.AppendInteractionAsync(Record("What is parental leave?", answer, citation), Ct);
        var unverified = await c.Store.AppendInteractionAsync(Record("Who gets parental leave?", answer, citation + " UNVERIFIED: quote not found"), Ct);
        var uncited = await c.Store.AppendInteractionAsync(Record("When does leave start?", "Leave starts at birth [3].", citation), Ct);
        var abstained = await c.Store.AppendInteractionAsync(Record("What is the dress code?", PromptBuilder.NoAnswerReply) with { Abstained = true }, Ct);
        foreach (var id in new[] { good, unverified, uncited, abstained }) Assert.True(await c.Store.SetFeedbackAsync(id, "good", Ct));
        Assert.True(await c.Store.SetFeedbackAsync(bad, "bad", Ct));

        // No model is needed for log examples.
        var result = await new DatasetBuilder(c.Store, null, Prompt, new DatasetBuildOptions { Kinds = DatasetKinds.Log, ValidationFraction = 0, Distractors = 3 }).BuildAsync(cancellationToken: Ct);
        Assert.Equal(new[] { abstained, good }.Order(), result.Train.Select(e => e.Origin).Order());
        Assert.Equal(new[] { unverified, uncited }.Order(), result.Skipped.Where(s => s.Kind == "log").Select(s => s.Origin).Order());

        var example = result.Train.Single(e => e.Origin == good);
        Assert.Equal(ExampleKind.Log, example.Kind);
        Assert.Equal(PromptBuilder.SystemPrompt(requestQuotes: true), example.Messages[0].Content);
        var sources = Sources(example.Messages[1].Content);
        Assert.Equal(2, sources.Count);
        var cited = Assert.Single(example.Sources, s => s.Role == "cited");
        Assert.Equal(leave.Chunk.Id, cited.ChunkId);
        Assert.Contains("16 weeks", sources[cited.Number], StringComparison.Ordinal);
        var parsed = CitationVerifier.Parse(example.Messages[2].Content);
        Assert.Equal([cited.Number], parsed.Sentences.SelectMany(s => s.Numbers).Distinct());
        Assert.Equal(quote, parsed.Quotes[cited.Number]);

        var abstain = result.Train.Single(e => e.Origin == abstained);
        Assert.Equal(PromptBuilder.NoAnswerReply, abstain.Messages[^1].Content);
        Assert.Equal(PromptBuilder.SystemPrompt(requestQuotes: false), abstain.Messages[0].Content);
    }

    [Fact]
    public async Task Generated_kinds_need_a_model_and_bad_settings_are_refused()
    {
        await using var c = await DatasetCollection.CreateAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new DatasetBuilder(c.Store, null, Prompt, new DatasetBuildOptions { Kinds = DatasetKinds.Raft }).BuildAsync(cancellationToken: Ct));
        Assert.Contains("need a chat model", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => new DatasetBuilder(c.Store, null, Prompt, new DatasetBuildOptions { Kinds = DatasetKinds.Log, ValidationFraction = 1 }).BuildAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Written_files_load_with_the_trainers_reader_and_carry_source_metadata()
    {
        await using var c = await DatasetCollection.CreateAsync();
        var chunks = (await c.ChunksAsync()).ToDictionary(x => x.Chunk.Id);
        var result = await new DatasetBuilder(c.Store, new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m))), Prompt,
            new DatasetBuildOptions { Kinds = DatasetKinds.Qa | DatasetKinds.Raft, Count = 50, MinPassageChars = 40, ValidationFraction = 0.2 }).BuildAsync(cancellationToken: Ct);
        var dir = Path.Combine(c.Dir.Path, "out", "ds");
        var (train, validation) = await DatasetFiles.WriteAsync(result, dir, Ct);
        Assert.Equal(["train.jsonl", "validation.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        var loaded = await FineTuneDataset.ReadJsonlAsync(train, Ct);
        Assert.Equal(result.Train.Count, loaded.Count);
        Assert.Equal(result.Validation.Count, (await FineTuneDataset.ReadJsonlAsync(validation, Ct)).Count);
        Assert.Equal(result.Train[0].Messages, loaded[0]);

        foreach (var line in await File.ReadAllLinesAsync(train, Ct))
        {
            using var doc = JsonDocument.Parse(line);
            var meta = doc.RootElement.GetProperty("metadata");
            Assert.Contains(meta.GetProperty("kind").GetString(), new[] { ExampleKind.Qa, ExampleKind.Raft, ExampleKind.RaftNoAnswer });
            foreach (var s in meta.GetProperty("sources").EnumerateArray())
            {
                var chunk = chunks[s.GetProperty("chunk_id").GetString()!];
                Assert.Equal(chunk.Document.SourcePath, s.GetProperty("document").GetString());
                Assert.Equal(chunk.Chunk.StartOffset, s.GetProperty("start").GetInt32());
                Assert.Equal(chunk.Chunk.EndOffset, s.GetProperty("end").GetInt32());
            }
        }
    }
}

/// <summary>Reading logged citations and renumbering markers; prompts that would not fit the model's window.</summary>
public sealed class DatasetBuilderPartsTests
{
    [Fact]
    public void Logged_citation_lines_and_markers_are_read_and_renumbered()
    {
        var c = LogCitation.Parse("[3] policy.md › Leave (2025) › Parental leave (120-178) UNVERIFIED: quote not found");
        Assert.NotNull(c);
        Assert.Equal((3, "policy.md › Leave (2025) › Parental leave", 120, 178, true), c.Value);
        Assert.False(LogCitation.Parse("[1] office.md (5-9)")!.Value.Unverified);
        Assert.Null(LogCitation.Parse("policy.md (5-9)"));

        const string answer = "Leave is 16 weeks [3]. Vacation is 25 days [1, 3][2].\nQuotes:\n[3] \"16 weeks\"";
        var prompt = AnswererGroundedPrompt.Instance;
        Assert.Equal([3, 1, 3, 2, 3], prompt.CitedNumbers(answer));
        Assert.True(prompt.HasQuotesBlock(answer));
        Assert.False(prompt.HasQuotesBlock("Leave is 16 weeks [3]."));
        Assert.Equal("Leave is 16 weeks [1]. Vacation is 25 days [2, 1][3].\nQuotes:\n[1] \"16 weeks\"",
            prompt.Renumber(answer, n => n switch { 3 => 1, 1 => 2, _ => 3 }));
    }

    [Fact]
    public void Cited_answers_put_the_marker_before_the_final_stop_and_quote_on_one_line()
    {
        Assert.Equal("Parents get 16 weeks [2].\nQuotes:\n[2] \"16 weeks of leave\"", DatasetBuilder.CitedAnswer("Parents get 16 weeks.", "16 weeks\nof leave", 2));
        Assert.Equal("16 weeks [1].\nQuotes:\n[1] \"16 weeks\"", DatasetBuilder.CitedAnswer("16 weeks", "16 weeks", 1));
    }

    [Fact]
    public async Task Chunks_whose_generation_prompt_exceeds_the_window_are_skipped_without_a_call()
    {
        await using var c = await DatasetCollection.CreateAsync();
        var model = new ScriptedChatClient(m => DatasetCollection.Generate(DatasetCollection.Passage(m)));
        var result = await new DatasetBuilder(c.Store, model, AnswererGroundedPrompt.Instance, new DatasetBuildOptions
        {
            Kinds = DatasetKinds.Qa, MinPassageChars = 40, MaxOutputTokens = 100, ContextWindow = 150, Tokenizer = new Groundwork.Ingestion.Tokenization.DefaultTokenizer(),
        }).BuildAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(model.Calls);
        Assert.Equal(0, result.ModelCalls);
        Assert.Empty(result.Train);
        Assert.NotEmpty(result.Skipped);
        Assert.All(result.Skipped, s => Assert.Equal("too-long", s.Kind));
    }
}
