namespace Groundwork.Evaluation.Reports;

/// <summary>Writes <c>report.json</c>, <c>report.md</c> and <c>report.html</c> into a folder.</summary>
public static class ReportWriter
{
    /// <summary>Writes the three files; returns their paths (json, md, html).</summary>
    public static async Task<(string Json, string Markdown, string Html)> WriteAsync(EvaluationReport report, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, "report.json");
        var md = Path.Combine(directory, "report.md");
        var html = Path.Combine(directory, "report.html");
        await ReportJson.WriteAsync(report, json, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(md, MarkdownReport.Render(report), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(html, HtmlReport.Render(report), cancellationToken).ConfigureAwait(false);
        return (json, md, html);
    }
}
