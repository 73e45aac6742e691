using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Synthesis;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Comparison;

public sealed class TestSetSynthesizerTests
{
    private const string Passage = "All parents receive 16 weeks of fully paid parental leave.";

    [Theory]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"16 weeks\"}", null)]
    [InlineData("```json\n{\"question\": \"How long is parental leave?\", \"answer\": \"16 weeks\"}\n```", null)]
    [InlineData("Here you go: {\"question\": \"How long?\", \"answer\": \"16 weeks\"}", "not a single JSON object")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"16 weeks\", \"note\": \"x\"}", "expected exactly the fields")]
    [InlineData("{\"question\": \"How long is parental leave?\"}", "expected exactly the fields")]
    [InlineData("{\"question\": \"How long is parental leave\", \"answer\": \"16 weeks\"}", "does not end with '?'")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": \"20 weeks\"}", "not copied from the passage")]
    [InlineData("{\"question\": \"How long is parental leave?\", \"answer\": 16}", "must be strings")]
    [InlineData("[\"How long?\", \"16 weeks\"]", "not a JSON object")]
    [InlineData("", "empty reply")]
    public void Parses_generations_strictly(string reply, string? rejection)
    {
        var (pair, reason) = TestSetSynthesizer.Parse(reply, Passage);
        if (rejection is null)
        {
            Assert.Equal(("How long is parental leave?", "16 weeks"), pair!.Value);
            return;
        }
        Assert.Null(pair);
        Assert.Contains(rejection, reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generates_items_from_a_collection_skips_invalid_ones_and_honours_the_review_file()
    {
        await using var c = await TestCollection.CreateAsync();
        int call = 0;
        var model = new ScriptedChatClient(messages =>
        {
            call++;
            var passage = messages[^1].Text!;
            if (call == 2) return "Sure! Here is a question.";
            if (passage.Contains("16 weeks", StringComparison.Ordinal)) return "{\"question\": \"How many weeks of parental leave do parents get?\", \"answer\": \"16 weeks\"}";
            if (passage.Contains("25 working days", StringComparison.Ordinal)) return "{\"question\": \"How many vacation days do full-time employees get?\", \"answer\": \"25 working days\"}";
            if (passage.Contains("8:00", StringComparison.Ordinal)) return "{\"question\": \"When does the Lisbon office open?\", \"answer\": \"8:00\"}";
            return "{\"question\": \"What is it?\", \"answer\": \"not in the text at all\"}";
        });
        var result = await new TestSetSynthesizer(model, new SynthesisOptions { Count = 10, MinPassageChars = 40 }).GenerateAsync(c.Store);
        Assert.Equal(result.Attempts, model.Calls.Count);
        Assert.Equal(result.Attempts, result.Items.Count + result.Rejections.Count);
        Assert.Contains(result.Rejections, r => r.Contains("not a single JSON object", StringComparison.Ordinal));
        Assert.NotEmpty(result.Items);
        Assert.All(result.Items, s =>
        {
            Assert.Contains(s.Item.Answers[0], s.Passage, StringComparison.Ordinal);
            Assert.Single(s.Item.SupportingDocuments);
        });

        using var dir = TestPaths.CreateTempDir("synth");
        var jsonl = dir.File("testset.jsonl");
        await TestSetFiles.WriteAsync(result.Items, jsonl);
        var loaded = await QaDataset.ReadJsonLinesAsync(jsonl).ToListAsync();
        Assert.Equal(result.Items.Select(i => i.Item.Question), loaded.Select(i => i.Question));
        Assert.Equal(result.Items.Select(i => i.Item.SupportingDocuments[0]), loaded.Select(i => i.SupportingDocuments[0]));
        Assert.Equal(loaded.Count, (await TestSetFiles.ApplyReviewAsync(loaded, jsonl)).Count);

        // A reviewer rejects the first row and rewrites the second's answer.
        var review = TestSetFiles.ReviewPath(jsonl);
        Assert.True(File.Exists(review));
        var rows = await QaDataset.ReadCsvAsync(review).ToListAsync();
        Assert.Equal(loaded.Count, rows.Count);
        var text = File.ReadAllText(review);
        text = text.Replace($"\"{rows[0].Id}\",\"yes\"", $"\"{rows[0].Id}\",\"no\"", StringComparison.Ordinal);
        if (rows.Count > 1) text = text.Replace($"\"{rows[1].Answers[0]}\"", "\"edited answer\"", StringComparison.Ordinal);
        File.WriteAllText(review, text);
        var approved = await TestSetFiles.ApplyReviewAsync(loaded, jsonl);
        Assert.Equal(loaded.Count - 1, approved.Count);
        Assert.DoesNotContain(approved, i => i.Id == rows[0].Id);
        if (rows.Count > 1) Assert.Equal("edited answer", approved.Single(i => i.Id == rows[1].Id).Answers[0]);
    }
}
