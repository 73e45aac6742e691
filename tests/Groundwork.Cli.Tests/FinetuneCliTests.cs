using System.Text.Json;
using Groundwork.Testing;

namespace Groundwork.Cli.Tests;

/// <summary>`groundwork finetune` writes an adapter that `groundwork generate --adapter` then uses, on stories260K.</summary>
public sealed class FinetuneCliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("ft");
    private static string Stories => TestPaths.Shared("models", "stories260K", "stories260K.gguf");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Finetune_writes_an_adapter_that_changes_generation()
    {
        var data = _dir.File("train.jsonl");
        var lines = Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new
        {
            instruction = "Tell a story.",
            input = "",
            output = $"Zog the purple dragon flew over hill number {i}. Zog the purple dragon was happy.",
        }));
        await File.WriteAllLinesAsync(data, lines, TestContext.Current.CancellationToken);
        var adapter = _dir.File("zog.gguf");

        var train = await CliProcess.RunAsync(_dir.Path, "finetune", "--model", Stories, "--data", data, "--out", adapter,
            "--rank", "4", "--alpha", "8", "--lr", "0.01", "--epochs", "3", "--max-seq-len", "64", "--val-split", "0.2");
        Assert.True(train.Exit == 0, train.Err + train.Out);
        Assert.True(File.Exists(adapter));

        var plain = await CliProcess.RunAsync(_dir.Path, "generate", "--model", Stories, "--temperature", "0", "-n", "40", "Zog");
        var tuned = await CliProcess.RunAsync(_dir.Path, "generate", "--model", Stories, "--adapter", adapter, "--temperature", "0", "-n", "40", "Zog");
        Assert.True(tuned.Exit == 0, tuned.Err);
        Assert.NotEqual(plain.Out, tuned.Out);

        var bad = _dir.File("bad.jsonl");
        await File.WriteAllTextAsync(bad, "{\"nothing\": 1}\n", TestContext.Current.CancellationToken);
        var fail = await CliProcess.RunAsync(_dir.Path, "finetune", "--model", Stories, "--data", bad, "--out", _dir.File("x.gguf"));
        Assert.NotEqual(0, fail.Exit);
        Assert.Contains("bad.jsonl:1", fail.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("x.gguf")));
    }
}
