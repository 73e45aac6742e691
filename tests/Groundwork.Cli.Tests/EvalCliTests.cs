using System.Text.Json;
using Groundwork.Testing;

namespace Groundwork.Cli.Tests;

/// <summary>`groundwork eval` on the samples: extractive and the real stories260K runtime, reports, and the regression gate.</summary>
public sealed class EvalCliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("eval");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Eval_writes_reports_and_the_gate_fails_on_a_regression()
    {
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "ingest", TestPaths.Repo("samples", "northwind"))).Exit);
        var qa = _dir.File("qa.jsonl");
        await File.WriteAllLinesAsync(qa, [
            JsonSerializer.Serialize(new { question = "How many weeks of paid parental leave do employees get?", answers = new[] { "16 weeks" }, supporting_documents = new[] { "leave-policy.md" } }),
            JsonSerializer.Serialize(new { question = "How often are laptops replaced?", answers = new[] { "every three years" }, supporting_documents = new[] { "it-support-faq.html" } }),
            JsonSerializer.Serialize(new { question = "What is the vesting schedule for employee stock options?", answers = Array.Empty<string>(), answerable = false }),
        ], TestContext.Current.CancellationToken);

        var stories = TestPaths.Shared("models", "stories260K", "stories260K.gguf");
        var run = await CliProcess.RunAsync(_dir.Path, "eval", "--dataset", qa, "--strategies", "extractive,rag,base", "--model", stories, "--out", _dir.File("run1"));
        Assert.True(run.Exit == 0, run.Err + run.Out);
        foreach (var f in new[] { "report.json", "report.md", "report.html" }) Assert.True(File.Exists(Path.Combine(_dir.File("run1"), f)), f);
        var md = await File.ReadAllTextAsync(Path.Combine(_dir.File("run1"), "report.md"), TestContext.Current.CancellationToken);
        foreach (var s in new[] { "extractive", "rag", "base" }) Assert.Contains(s, md, StringComparison.Ordinal);

        var same = await CliProcess.RunAsync(_dir.Path, "eval", "--compare", Path.Combine(_dir.File("run1"), "report.json"),
            "--current", Path.Combine(_dir.File("run1"), "report.json"), "--fail-below", "F1=0.01");
        Assert.True(same.Exit == 0, same.Err + same.Out);

        // A baseline whose extractive F1 was higher: the current run has regressed beyond the threshold.
        var baseline = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir.File("run1"), "report.json"), TestContext.Current.CancellationToken))!;
        var extractive = baseline["strategies"]!.AsArray().First(s => s!["name"]!.GetValue<string>() == "extractive")!;
        extractive["metrics"]!["F1"] = extractive["metrics"]!["F1"]!.GetValue<double>() + 0.5;
        await File.WriteAllTextAsync(_dir.File("baseline.json"), baseline.ToJsonString(), TestContext.Current.CancellationToken);
        var worse = await CliProcess.RunAsync(_dir.Path, "eval", "--compare", _dir.File("baseline.json"),
            "--current", Path.Combine(_dir.File("run1"), "report.json"), "--fail-below", "F1=0.01");
        Assert.Equal(3, worse.Exit);
    }
}
