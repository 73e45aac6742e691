using System.Text.Json;
using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Hosting;
using Groundwork.Testing;

namespace Groundwork.Cli.Tests;

/// <summary>
/// The whole pipeline with the real built-in runtime on stories260K: its answers are nonsense (a 260K-parameter story
/// model), but retrieval, the token budget, streaming, verification and logging all run for real.
/// </summary>
public sealed class RuntimeEndToEndTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("e2e");
    private static string Stories => TestPaths.Shared("models", "stories260K", "stories260K.gguf");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Grounded_answer_with_the_local_runtime_fits_the_window_streams_and_is_logged()
    {
        await using var ws = await GroundworkWorkspace.OpenAsync(new GroundworkOptions { StoreDirectory = _dir.Path });
        await ws.Ingestor.IngestAsync([TestPaths.Repo("samples", "northwind")], cancellationToken: TestContext.Current.CancellationToken);
        using var backend = await ChatBackend.OpenAsync(new ModelOptions { ModelPath = Stories }, TestContext.Current.CancellationToken);
        Assert.True(backend.ContextWindow >= 512);
        // A small window makes the budget bite: most retrieved sources cannot fit.
        var options = new GroundedAnswerOptions { ContextWindow = 1024, AnswerReserve = 64, RewriteQuery = false };
        var answerer = ws.CreateGroundedAnswerer(backend, options);

        var updates = new List<AnswerUpdate>();
        await foreach (var u in answerer.StreamAsync("How many weeks of paid parental leave do employees get?", cancellationToken: TestContext.Current.CancellationToken))
            updates.Add(u);
        var answer = Assert.IsType<AnswerUpdate.Completed>(updates[^1]).Answer;
        Assert.True(updates.OfType<AnswerUpdate.TextDelta>().Count() > 3, "the reply streams token by token");
        Assert.NotNull(answer.Usage);
        Assert.True(answer.Usage!.PromptTokens + options.AnswerReserve <= options.ContextWindow,
            $"prompt {answer.Usage.PromptTokens} + reserve {options.AnswerReserve} must fit the {options.ContextWindow}-token window");
        Assert.InRange(answer.Usage.CompletionTokens, 1, options.AnswerReserve);
        Assert.Contains("generate", answer.Usage.StageMilliseconds.Keys);
        Assert.NotNull(answer.Groundedness);

        var id = await ws.Store.AppendInteractionAsync(InteractionRecords.From(answer), TestContext.Current.CancellationToken);
        Assert.True(await ws.Store.SetFeedbackAsync(id, "bad", TestContext.Current.CancellationToken));
        var logged = new List<Groundwork.Storage.InteractionRecord>();
        await foreach (var r in ws.Store.ListInteractionsAsync(5, TestContext.Current.CancellationToken)) logged.Add(r);
        var record = Assert.Single(logged);
        Assert.Equal("bad", record.Feedback);
        Assert.Equal(answer.Usage.PromptTokens, record.PromptTokens);
        Assert.NotEmpty(record.Retrieved);
    }

    [Fact]
    public async Task Generate_reproduces_llama2c_greedy_output_byte_for_byte()
    {
        var run = await CliProcess.RunAsync(_dir.Path, "generate", "--model", Stories, "--temperature", "0", "-n", "200", "");
        Assert.True(run.Exit == 0, run.Err);
        var expected = await File.ReadAllTextAsync(TestPaths.Shared("models", "stories260K", "reference", "expected_greedy_200steps.txt"), TestContext.Current.CancellationToken);
        Assert.Equal(expected, run.Out);
        Assert.Contains("tok/s", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_with_a_model_logs_and_feedback_and_export_work_from_the_cli()
    {
        var docs = Path.Combine(_dir.Path, "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "story.md"), "# Lily\n\nOnce upon a time, there was a little girl named Lily. She loved to play outside in the park.");
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "ingest", docs)).Exit);

        var ask = await CliProcess.RunAsync(_dir.Path, "ask", "Where did the girl named Lily love to play?", "--model", Stories, "--json");
        Assert.True(ask.Exit == 0, ask.Err);
        using var answer = JsonDocument.Parse(ask.Out);
        var id = answer.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("llama", answer.RootElement.GetProperty("method").GetString());

        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "feedback", id, "good")).Exit);
        Assert.Equal(1, (await CliProcess.RunAsync(_dir.Path, "feedback", "nope", "good")).Exit);
        var export = Path.Combine(_dir.Path, "log.jsonl");
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "log", "--export", export, "--feedback", "good")).Exit);
        var line = Assert.Single(File.ReadAllLines(export));
        using var record = JsonDocument.Parse(line);
        Assert.Equal(id, record.RootElement.GetProperty("id").GetString());
        Assert.Equal("good", record.RootElement.GetProperty("feedback").GetString());
    }
}
