using System.Text.Json;
using Groundwork.Testing;

namespace Groundwork.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("cli");

    public void Dispose() => _dir.Dispose();

    private string Samples => TestPaths.Repo("samples", "northwind");

    [Fact]
    public async Task Ingest_search_ask_status_on_the_samples()
    {
        var ingest = await CliProcess.RunAsync(_dir.Path, "ingest", Samples, "--json");
        Assert.True(ingest.Exit == 0, ingest.Err + ingest.Out);
        using var report = JsonDocument.Parse(ingest.Out);
        int added = report.RootElement.GetProperty("added").GetInt32();
        Assert.True(added >= 8, $"expected the sample set to ingest, got {added}");
        Assert.Equal(0, report.RootElement.GetProperty("failed").GetInt32());
        Assert.True(File.Exists(Path.Combine(_dir.Path, ".groundwork", "default.gwdb")), "default store location");

        var again = await CliProcess.RunAsync(_dir.Path, "ingest", Samples, "--json");
        using var againReport = JsonDocument.Parse(again.Out);
        Assert.Equal(added, againReport.RootElement.GetProperty("unchanged").GetInt32());

        var search = await CliProcess.RunAsync(_dir.Path, "search", "parental leave", "-k", "3", "--json");
        Assert.Equal(0, search.Exit);
        using var hits = JsonDocument.Parse(search.Out);
        Assert.InRange(hits.RootElement.GetArrayLength(), 1, 3);
        Assert.Contains("«", hits.RootElement[0].GetProperty("snippet").GetString(), StringComparison.Ordinal);

        var status = await CliProcess.RunAsync(_dir.Path, "status");
        Assert.Equal(0, status.Exit);
        Assert.Contains("Documents:", status.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_cites_and_abstains()
    {
        Assert.Equal(0, (await CliProcess.RunAsync(_dir.Path, "ingest", Samples)).Exit);
        var ask = await CliProcess.RunAsync(_dir.Path, "ask", "How many weeks of paid parental leave do employees get?", "--json");
        Assert.True(ask.Exit == 0, ask.Err);
        using var answer = JsonDocument.Parse(ask.Out);
        Assert.False(answer.RootElement.GetProperty("abstained").GetBoolean(), ask.Out);
        var citations = answer.RootElement.GetProperty("citations");
        Assert.True(citations.GetArrayLength() >= 1);
        Assert.Contains("[1]", answer.RootElement.GetProperty("answer").GetString(), StringComparison.Ordinal);
        foreach (var c in citations.EnumerateArray())
        {
            var path = c.GetProperty("path").GetString()!;
            Assert.True(File.Exists(path), path);
            Assert.True(c.GetProperty("endOffset").GetInt32() > c.GetProperty("startOffset").GetInt32());
        }

        var none = await CliProcess.RunAsync(_dir.Path, "ask", "What is the airspeed velocity of an unladen swallow?", "--json");
        using var noAnswer = JsonDocument.Parse(none.Out);
        Assert.True(noAnswer.RootElement.GetProperty("abstained").GetBoolean(), none.Out);
        Assert.Equal(0, noAnswer.RootElement.GetProperty("citations").GetArrayLength());
    }

    [Fact]
    public async Task Errors_are_one_line_with_non_zero_exit()
    {
        var docs = Path.Combine(_dir.Path, "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "ok.md"), "# Fine\n\nA fine document about herons.");
        File.WriteAllBytes(Path.Combine(docs, "bad.txt"), [0, 0, 0, 1, 2, 3, 0, 0]);

        var partial = await CliProcess.RunAsync(_dir.Path, "ingest", docs);
        Assert.Equal(2, partial.Exit);
        var failLines = partial.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(failLines);
        Assert.Contains("bad.txt", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", partial.Err, StringComparison.Ordinal);

        var badCollection = await CliProcess.RunAsync(_dir.Path, "status", "--collection", "no/slashes");
        Assert.Equal(1, badCollection.Exit);
        Assert.Single(badCollection.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("groundwork: error:", badCollection.Err, StringComparison.Ordinal);

        var removeMissing = await CliProcess.RunAsync(_dir.Path, "remove", "nothing-here");
        Assert.Equal(1, removeMissing.Exit);
    }
}
