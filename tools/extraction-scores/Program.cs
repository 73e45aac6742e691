// Measures the Groundwork extractors on the shared fixtures and prints Markdown tables for docs/ingestion.md.
// Usage: dotnet run --project tools/extraction-scores -c Release -- [html|pdf|sec|all] [shared-dir]
using System.Diagnostics;
using System.Globalization;
using AngleSharp.Html.Parser;
using Groundwork.Documents;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Tests.Extraction;

var mode = args.Length > 0 ? args[0] : "all";
var shared = args.Length > 1 && mode != "dump" ? args[1] : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../shared"));
if (!Directory.Exists(shared)) shared = "/work/shared";
var registry = ExtractorRegistry.CreateDefault(new ExtractionOptions { PdfTextMode = args.Contains("--layout") ? PdfTextMode.Layout : args.Contains("--reading") ? PdfTextMode.ReadingOrder : PdfTextMode.Auto });
var inv = CultureInfo.InvariantCulture;

if (mode == "dump")
{
    var d = await registry.ExtractAsync(args[1], CancellationToken.None);
    Console.WriteLine($"title: {d.Title}; pages: {d.PageCount}; blocks: {d.Blocks.Count}; warnings: {string.Join(" / ", d.Warnings)}");
    foreach (var b in d.Blocks.Take(args.Length > 2 ? int.Parse(args[2], inv) : 60))
        Console.WriteLine($"[{b.Kind} p{b.Page} {string.Join(" > ", b.SectionPath)}] {d.Text.Substring(b.Start, Math.Min(b.Length, 160)).Replace('\n', '⏎')}");
    return;
}

if (mode is "html" or "all")
{
    var rows = new List<(string Name, double P, double R, double F1)>();
    var baseline = new List<double>(); // F1 of the whole <body> text: what main-content extraction adds
    foreach (var dir in Directory.GetDirectories(Path.Combine(shared, "fixtures", "html-readability")).Order(StringComparer.Ordinal))
    {
        var doc = await registry.ExtractAsync(Path.Combine(dir, "source.html"), CancellationToken.None);
        var expected = new HtmlParser().ParseDocument(await File.ReadAllTextAsync(Path.Combine(dir, "expected.html")));
        var (p, r, f1) = TextSimilarity.TokenF1(doc.Text, expected.Body?.TextContent ?? "");
        rows.Add((Path.GetFileName(dir), p, r, f1));
        var source = new HtmlParser().ParseDocument(await File.ReadAllTextAsync(Path.Combine(dir, "source.html")));
        foreach (var junk in source.QuerySelectorAll("script, style, noscript, template").ToList()) junk.Remove();
        baseline.Add(TextSimilarity.TokenF1(source.Body?.TextContent ?? "", expected.Body?.TextContent ?? "").F1);
    }
    Console.WriteLine($"HTML pages: {rows.Count}, mean F1 {rows.Average(x => x.F1).ToString("0.000", inv)}, mean P {rows.Average(x => x.P).ToString("0.000", inv)}, mean R {rows.Average(x => x.R).ToString("0.000", inv)}, median F1 {rows.Select(x => x.F1).Order().ElementAt(rows.Count / 2).ToString("0.000", inv)}");
    Console.WriteLine($"baseline (all body text minus scripts/styles): mean F1 {baseline.Average().ToString("0.000", inv)}");
    Console.WriteLine($"pages with F1 >= 0.95: {rows.Count(x => x.F1 >= 0.95)}, >= 0.80: {rows.Count(x => x.F1 >= 0.8)}, >= 0.50: {rows.Count(x => x.F1 >= 0.5)}");
    Console.WriteLine("| page | precision | recall | F1 |\n|---|---:|---:|---:|");
    foreach (var x in (args.Contains("--all-rows") ? rows : rows.OrderBy(x => x.F1).Take(15)))
        Console.WriteLine($"| {x.Name} | {TextSimilarity.F(x.P)} | {TextSimilarity.F(x.R)} | {TextSimilarity.F(x.F1)} |");
}

if (mode is "pdf" or "all")
{
    Console.WriteLine("\n| PDF | pages | oracle chars | extracted chars | LCS ratio | char-multiset F1 |\n|---|---:|---:|---:|---:|---:|");
    foreach (var pdf in Directory.GetFiles(Path.Combine(shared, "fixtures", "pdf-pdfpig"), "*.pdf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
    {
        var oracle = Path.ChangeExtension(pdf, ".txt");
        ExtractedDocument doc;
        try { doc = await registry.ExtractAsync(pdf, CancellationToken.None); }
        catch (ExtractionException e) { Console.WriteLine($"| {Path.GetFileName(pdf)} | error: {e.Reason} | | | |"); continue; }
        if (!File.Exists(oracle)) { Console.WriteLine($"| {Path.GetFileName(pdf)} | {doc.PageCount} | - | {TextSimilarity.NonSpace(doc.Text).Length} | - |"); continue; }
        var a = TextSimilarity.NonSpace(doc.Text);
        var b = TextSimilarity.NonSpace(await File.ReadAllTextAsync(oracle));
        Console.WriteLine($"| {Path.GetFileName(pdf)} | {doc.PageCount} | {b.Length} | {a.Length} | {TextSimilarity.LcsRatio(a, b).ToString("0.000", inv)} | {TextSimilarity.CharMultisetF1(a, b).ToString("0.000", inv)} |");
    }
}

if (mode is "sec" or "all")
{
    // Wall time moves with machine load; CPU time (this process plus the pdftotext children) much less.
    Console.WriteLine($"\nload average: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
    Console.WriteLine("| 10-Q | pages | chars | blocks | wall s | CPU s |\n|---|---:|---:|---:|---:|---:|");
    double totalWall = 0, totalCpu = 0;
    long totalChars = 0;
    int totalPages = 0;
    foreach (var pdf in Directory.GetFiles(Path.Combine(shared, "data", "docugami-sec-10q"), "*.pdf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
    {
        var cpu0 = CpuSeconds();
        var sw = Stopwatch.StartNew();
        var doc = await registry.ExtractAsync(pdf, CancellationToken.None);
        sw.Stop();
        var cpu = CpuSeconds() - cpu0;
        totalWall += sw.Elapsed.TotalSeconds;
        totalCpu += cpu;
        totalChars += doc.Text.Length;
        totalPages += doc.PageCount ?? 0;
        Console.WriteLine($"| {Path.GetFileNameWithoutExtension(pdf)} | {doc.PageCount} | {doc.Text.Length:N0} | {doc.Blocks.Count:N0} | {sw.Elapsed.TotalSeconds.ToString("0.00", inv)} | {cpu.ToString("0.00", inv)} |");
    }
    Console.WriteLine($"| total | {totalPages:N0} | {totalChars:N0} | | {totalWall.ToString("0.0", inv)} | {totalCpu.ToString("0.0", inv)} |");
}

// CPU seconds of this process plus its waited-for children (Linux /proc/self/stat fields 16 and 17, in clock ticks of 1/100 s).
static double CpuSeconds()
{
    double own = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    if (!File.Exists("/proc/self/stat")) return own;
    var stat = File.ReadAllText("/proc/self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    // fields[0] is field 3 (state), so cutime (16) and cstime (17) are fields[13] and fields[14].
    return own + (double.Parse(fields[13], CultureInfo.InvariantCulture) + double.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
}
