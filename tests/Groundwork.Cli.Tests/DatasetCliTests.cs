using System.Text.Json;
using Groundwork.Models.Transformers;
using Groundwork.Testing;
using Groundwork.Training.Data;

namespace Groundwork.Cli.Tests;

/// <summary>`groundwork dataset build` over the samples with the real stories260K runtime (whose generations are nonsense).</summary>
public sealed class DatasetCliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("dataset");
    private static string Stories => TestPaths.Shared("models", "stories260K", "stories260K.gguf");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Dataset_build_writes_trainable_jsonl_from_good_answers_and_counts_what_the_model_got_wrong()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "ingest", TestPaths.Repo("samples", "northwind"))).Exit);

        // Generated kinds without a model: one clear line, nothing written.
        var noModel = await CliProcess.RunAsync(_dir.Path, "dataset", "build", "--kinds", "log,raft", "--out", _dir.File("none"));
        Assert.Equal(1, noModel.Exit);
        Assert.Equal("groundwork: error: kinds qa and raft need a chat model: pass --model FILE.gguf, or --endpoint URL --model NAME (or use --kinds log)", noModel.Err.Trim());
        Assert.False(Directory.Exists(_dir.File("none")));
        Assert.Equal(1, (await CliProcess.RunAsync(_dir.Path, "dataset", "build", "--kinds", "log,wiki", "--out", _dir.File("none"))).Exit);

        // Two logged answers: one marked good (becomes an example), one bad (does not).
        var ids = new List<string>();
        foreach (var q in new[] { "How many weeks of paid parental leave do employees get?", "How often are laptops replaced?" })
        {
            var ask = await CliProcess.RunAsync(_dir.Path, "ask", q, "--model", Stories, "--json");
            Assert.True(ask.Exit == 0, ask.Err);
            using var answer = JsonDocument.Parse(ask.Out);
            ids.Add(answer.RootElement.GetProperty("id").GetString()!);
        }
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "feedback", ids[0], "good")).Exit);
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "feedback", ids[1], "bad")).Exit);

        var outDir = _dir.File("ds");
        var run = await CliProcess.RunAsync(_dir.Path, "dataset", "build", "--kinds", "log,raft", "--count", "3", "--validation", "0",
            "--model", Stories, "--out", outDir, "--json");
        Assert.True(run.Exit == 0, run.Err + run.Out);
        using var summary = JsonDocument.Parse(run.Out);
        var root = summary.RootElement;
        Assert.Equal(1, root.GetProperty("kinds").GetProperty("log").GetInt32());
        int skipped = root.GetProperty("skipped").EnumerateObject().Sum(p => p.Value.GetInt32());
        Assert.True(skipped > 0, "stories260K cannot write the JSON asked for, so its generations are skipped: " + run.Out);
        Assert.Equal(skipped, root.GetProperty("skippedReasons").GetArrayLength());
        int modelCalls = root.GetProperty("modelCalls").GetInt32();
        Assert.InRange(modelCalls, 0, 6);
        int written = root.GetProperty("trainExamples").GetInt32();
        Assert.Equal(0, root.GetProperty("validationExamples").GetInt32());

        // The files load with the trainer's reader and tokenize with the model's template.
        var train = Path.Combine(outDir, "train.jsonl");
        var conversations = await FineTuneDataset.ReadJsonlAsync(train, ct);
        Assert.Equal(written, conversations.Count);
        Assert.True(File.Exists(Path.Combine(outDir, "validation.jsonl")));
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp"));
        using var model = LlamaModel.Load(Stories);
        foreach (var c in conversations) Assert.True(FineTuneDataset.Tokenize(c, model.Tokenizer, model.Template).CountedTokens > 0);
        var line = (await File.ReadAllLinesAsync(train, ct)).Single(l => l.Contains("\"kind\":\"log\"", StringComparison.Ordinal));
        using var logged = JsonDocument.Parse(line);
        Assert.Equal(ids[0], logged.RootElement.GetProperty("metadata").GetProperty("origin").GetString());

        // Human-readable summary: counts per kind and skipped.
        var text = await CliProcess.RunAsync(_dir.Path, "dataset", "build", "--kinds", "log", "--out", _dir.File("ds2"));
        Assert.True(text.Exit == 0, text.Err);
        Assert.Contains("examples: log 1; skipped 0; duplicates 0", text.Out, StringComparison.Ordinal);
    }
}
