using System.Diagnostics;
using System.Text.RegularExpressions;
using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Evaluation.Comparison;
using Groundwork.Evaluation.Reports;
using Groundwork.Evaluation.Tests.Comparison;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Reports;

public sealed partial class HtmlReportTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static async Task<EvaluationReport> RunAsync(TestCollection c)
    {
        IAnswerStrategy[] strategies =
        [
            new ExtractiveStrategy(new ExtractiveAnswerer(c.Retriever)),
            new RagStrategy("rag", c.Retriever, TestCollection.RagModel(), new DefaultTokenizer(), options: new GroundedAnswerOptions { RewriteQuery = false }),
            new ModelOnlyStrategy("base", TestCollection.BaseModel()),
        ];
        return await new EvaluationRunner(new EvaluationOptions { Dataset = "tiny <set> & co" }).RunAsync(TestCollection.Items, strategies);
    }

    [Fact]
    public async Task Html_is_self_contained_with_charts_and_a_row_per_question()
    {
        await using var c = await TestCollection.CreateAsync();
        var report = await RunAsync(c);
        var html = HtmlReport.Render(report);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.Contains("tiny &lt;set&gt; &amp; co", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-f1\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-rouge-l\"", html, StringComparison.Ordinal);
        Assert.Equal(4, ItemRow().Matches(html).Count);
    }

    [Fact]
    public async Task Html_renders_in_headless_chromium()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Skip($"{Chromium} is not installed (Debian package 'chromium'); CI installs it");
            return;
        }
        await using var c = await TestCollection.CreateAsync();
        var report = await RunAsync(c);
        using var dir = TestPaths.CreateTempDir("html");
        var (_, _, html) = await ReportWriter.WriteAsync(report, dir.Path);
        var url = new Uri(html).AbsoluteUri;

        var dom = await RunChromiumAsync(dir.Path, "profile-dom", ["--dump-dom", url]);
        // The parsed DOM (not our source text) holds each chart as an svg element and a row per question.
        foreach (var id in new[] { "chart-f1", "chart-em", "chart-docrecall", "chart-citationprecision", "chart-latency" })
            Assert.Matches($"<svg[^>]*id=\"{id}\"", dom);
        var f1Chart = Regex.Match(dom, "<svg[^>]*id=\"chart-f1\".*?</svg>", RegexOptions.Singleline).Value;
        Assert.Equal(3, Regex.Matches(f1Chart, "<rect class=\"bar\"").Count);
        Assert.Equal(3, Regex.Matches(dom, "<g class=\"box\"").Count);
        Assert.Equal(4, ItemRow().Matches(dom).Count);
        foreach (var item in TestCollection.Items) Assert.Contains(System.Net.WebUtility.HtmlEncode(item.Question), dom, StringComparison.Ordinal);
        Assert.Contains("16 weeks", dom, StringComparison.Ordinal);

        var png = Path.Combine(dir.Path, "report.png");
        await RunChromiumAsync(dir.Path, "profile-shot", ["--hide-scrollbars", "--window-size=1280,1600", $"--screenshot={png}", url]);
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"screenshot is only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    private static async Task<string> RunChromiumAsync(string dir, string profile, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(dir, profile)}" }.Concat(args))
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 90 s: " + await stderr);
        }
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [GeneratedRegex("<tr class=\"item-row\"")]
    private static partial Regex ItemRow();
}
