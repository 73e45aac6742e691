using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Groundwork.Benchmarks.Ingestion;
using Groundwork.Hosting;
using Groundwork.Ingestion.Pipeline;

// Ingestion throughput on a real corpus: (1) first ingest into an empty store, (2) re-ingest of the unchanged corpus
// (several times, median reported), then a timed breakdown of what a re-ingest is made of. Run one process per corpus
// so that peak RSS belongs to that corpus alone.
//
//   Groundwork.Benchmarks.Ingestion run --label NAME --store DIR [--include GLOB]... [--json FILE] [--reruns N] PATH...
//   Groundwork.Benchmarks.Ingestion table RESULT.json...

const string Usage = """
    usage:
      Groundwork.Benchmarks.Ingestion run --label NAME --store DIR [--include GLOB]... [--json FILE] [--reruns N] [--no-profile] [--profile-first] PATH...
          DIR is deleted and recreated: the first ingest starts from an empty store.
          --profile-first also times each stage of a first ingest (one file at a time, into a scratch collection).
      Groundwork.Benchmarks.Ingestion table RESULT.json...
          prints the markdown tables of docs/performance.md for the given results.
    """;

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

try
{
    if (args.Length > 0 && args[0] == "table") return await TableAsync(args[1..], cts.Token);
    if (args.Length > 0 && args[0] == "run") return await RunAsync(args[1..], cts.Token);
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

static async Task<int> TableAsync(string[] files, CancellationToken ct)
{
    if (files.Length == 0) throw new ArgumentException("table: give at least one result .json file");
    var results = new List<BenchmarkResult>();
    foreach (var file in files)
    {
        var text = await File.ReadAllTextAsync(file, ct);
        results.Add(JsonSerializer.Deserialize<BenchmarkResult>(text, BenchmarkResult.Json)
            ?? throw new ArgumentException($"{file}: empty result"));
    }
    Console.Out.Write(MarkdownTable.Render(results));
    Console.Out.WriteLine();
    Console.Out.Write(MarkdownTable.RenderProfile(results));
    var firstStages = MarkdownTable.RenderFirstProfile(results);
    if (firstStages.Length > 0) Console.Out.Write(Environment.NewLine + firstStages);
    return 0;
}

static async Task<int> RunAsync(string[] args, CancellationToken ct)
{
    string? label = null, store = null, json = null;
    int reruns = 3;
    bool profile = true, profileFirst = false;
    var includes = new List<string>();
    var paths = new List<string>();
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]}: missing value");
        switch (args[i])
        {
            case "--label": label = Value(); break;
            case "--store": store = Value(); break;
            case "--json": json = Value(); break;
            case "--include": includes.Add(Value()); break;
            case "--reruns":
                var n = Value();
                if (!int.TryParse(n, CultureInfo.InvariantCulture, out reruns) || reruns < 1) throw new ArgumentException($"--reruns '{n}': expected a whole number >= 1");
                break;
            case "--no-profile": profile = false; break;
            case "--profile-first": profileFirst = true; break;
            default:
                if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unknown option '{args[i]}'");
                paths.Add(Path.GetFullPath(args[i]));
                break;
        }
    }
    if (label is null) throw new ArgumentException("--label is required");
    if (store is null) throw new ArgumentException("--store is required");
    if (paths.Count == 0) throw new ArgumentException("give at least one corpus path");
    foreach (var p in paths)
        if (!Directory.Exists(p) && !File.Exists(p)) throw new ArgumentException($"{p}: corpus path not found");

    store = Path.GetFullPath(store);
    if (Directory.Exists(store)) Directory.Delete(store, recursive: true);
    Directory.CreateDirectory(store);
    var options = new GroundworkOptions { StoreDirectory = store, Collection = "bench" };
    var ingestOptions = new IngestionOptions { Include = includes };
    var started = DateTimeOffset.UtcNow;

    using var memory = new MemoryProbe();
    Console.Error.WriteLine($"[{label}] first ingest of {string.Join(", ", paths)} into {store}");

    bool peakReset = await memory.ResetPeakAsync(ct);
    var openClock = Stopwatch.StartNew();
    var ws = await GroundworkWorkspace.OpenAsync(options, ct);
    double openSeconds = openClock.Elapsed.TotalSeconds;
    IngestReport firstReport;
    RunResult first;
    await using (ws)
    {
        (firstReport, first) = await MeasureAsync(ws, paths, ingestOptions, memory, label, "first", ct);
    }

    var reingests = new List<RunResult>();
    bool allUnchanged = true;
    for (int r = 0; r < reruns; r++)
    {
        peakReset &= await memory.ResetPeakAsync(ct);
        var rws = await GroundworkWorkspace.OpenAsync(options, ct);
        await using (rws)
        {
            var (_, rerun) = await MeasureAsync(rws, paths, ingestOptions, memory, label, $"re-ingest {r + 1}", ct);
            reingests.Add(rerun);
            // Every file that was stored must come back unchanged; failed files are retried (and fail again).
            allUnchanged &= rerun.Added == 0 && rerun.Updated == 0 && rerun.Removed == 0
                && rerun.Unchanged == first.Added + first.Updated && rerun.Failed == first.Failed;
            if (!allUnchanged)
                Console.Error.WriteLine($"[{label}] WARNING: re-ingest {r + 1} was not all-unchanged: {rerun.Added} added, {rerun.Updated} updated, {rerun.Removed} removed, {rerun.Unchanged} unchanged, {rerun.Failed} failed");
        }
    }

    ReingestProfile? breakdown = null;
    if (profile)
    {
        breakdown = await ReingestProfiler.RunAsync(options, paths, includes, ct);
        Console.Error.WriteLine($"[{label}] re-ingest parts (ms): {JsonSerializer.Serialize(breakdown, BenchmarkResult.Json).ReplaceLineEndings(" ")}");
    }

    FirstIngestProfile? firstProfile = null;
    if (profileFirst)
    {
        Console.Error.WriteLine($"[{label}] timing first-ingest stages one file at a time ...");
        firstProfile = await FirstIngestProfiler.RunAsync(options, paths, includes, ct);
        Console.Error.WriteLine($"[{label}] first-ingest stages (s): {JsonSerializer.Serialize(firstProfile, BenchmarkResult.Json).ReplaceLineEndings(" ")}");
    }

    var seconds = reingests.Select(r => r.Seconds).Order().ToArray();
    double median = seconds.Length % 2 == 1 ? seconds[seconds.Length / 2] : (seconds[seconds.Length / 2 - 1] + seconds[seconds.Length / 2]) / 2;
    double storeMb = Directory.EnumerateFiles(store, "bench*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1e6;
    var failures = firstReport.Failures
        .GroupBy(f => f.Reason ?? "(no reason)", StringComparer.Ordinal)
        .OrderByDescending(g => g.Count())
        .Select(g => new FailureGroup(g.Key, g.Count(), g.Select(f => f.Path).Take(5).ToArray()))
        .ToArray();

    var result = new BenchmarkResult(label, paths, includes, started, await MachineAsync(ct), Math.Round(openSeconds, 4), first, reingests,
        Math.Round(median, 4), Math.Round(first.Seconds / Math.Max(median, 1e-9), 1), allUnchanged,
        // VmHWM is reset per phase, so the process peak is the largest phase peak (or the peak since the last reset).
        Math.Max(Mb(await MemoryProbe.PeakResidentBytesAsync(ct)), reingests.Select(r => r.PeakRssMegabytes).Append(first.PeakRssMegabytes).Max()),
        Math.Round(storeMb, 1), failures, breakdown, firstProfile, peakReset);

    Console.Out.Write(MarkdownTable.Render([result]));
    if (breakdown is not null) Console.Out.Write(MarkdownTable.RenderProfile([result]));
    Console.Out.Write(MarkdownTable.RenderFirstProfile([result]));
    foreach (var g in failures)
        Console.Out.WriteLine($"failed x{g.Count}: {g.Reason} (e.g. {string.Join(", ", g.Examples.Take(2))})");
    if (json is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(result, BenchmarkResult.Json), ct);
        Console.Error.WriteLine($"[{label}] wrote {json}");
    }
    return allUnchanged ? 0 : 1;
}

static async Task<(IngestReport, RunResult)> MeasureAsync(GroundworkWorkspace ws, IReadOnlyList<string> paths, IngestionOptions options,
    MemoryProbe memory, string label, string phase, CancellationToken ct)
{
    var progress = new LatestProgress();
    using var ticker = new Timer(_ =>
    {
        if (progress.Latest is { } p)
            Console.Error.WriteLine($"[{label}] {phase}: {p.FilesDone}/{p.FilesFound} files, {p.Chunks} chunks, {p.BytesRead / 1e6:0.0} MB, {p.Failed} failed, {p.Elapsed.TotalSeconds:0.0} s");
    }, null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
    var report = await ws.Ingestor.IngestAsync(paths, options, progress, ct);
    long allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;

    double secs = Math.Max(report.Elapsed.TotalSeconds, 1e-9);
    int documents = report.Files.Count(f => f.Outcome != FileOutcome.Removed);
    double mb = report.BytesRead / 1e6;
    var result = new RunResult(documents, report.Count(FileOutcome.Added), report.Count(FileOutcome.Updated), report.Count(FileOutcome.Unchanged),
        report.Count(FileOutcome.Removed), report.Count(FileOutcome.Failed), Math.Round(mb, 2), report.ChunksWritten, Math.Round(secs, 4),
        Math.Round(documents / secs, 1), Math.Round(mb / secs, 2), Math.Round(report.ChunksWritten / secs, 1),
        Mb(await MemoryProbe.PeakResidentBytesAsync(ct)), Mb(memory.ManagedPeakBytes), Mb(allocated));
    Console.Error.WriteLine($"[{label}] {phase}: {documents} docs ({result.Added} added, {result.Unchanged} unchanged, {result.Failed} failed), " +
        $"{result.Chunks} chunks, {mb:0.0} MB in {secs:0.000} s; peak RSS {result.PeakRssMegabytes:0} MB");
    return (report, result);
}

static double Mb(long bytes) => bytes < 0 ? -1 : Math.Round(bytes / 1048576.0, 1);

static async Task<MachineInfo> MachineAsync(CancellationToken ct)
{
    string cpu = RuntimeInformation.ProcessArchitecture.ToString();
    double memGb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0;
    if (File.Exists("/proc/cpuinfo"))
    {
        var line = (await File.ReadAllLinesAsync("/proc/cpuinfo", ct)).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        if (line is not null) cpu = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
    if (File.Exists("/proc/meminfo"))
    {
        var line = (await File.ReadAllLinesAsync("/proc/meminfo", ct)).FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        if (line is not null)
            memGb = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1048576.0;
    }
    string simd = Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : "none";
    return new MachineInfo(cpu, Environment.ProcessorCount, Math.Round(memGb, 1), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, simd);
}

/// <summary>Keeps only the latest progress report: no per-file work beyond one reference write.</summary>
internal sealed class LatestProgress : IProgress<IngestProgress>
{
    private IngestProgress? _latest;

    public IngestProgress? Latest => Volatile.Read(ref _latest);

    public void Report(IngestProgress value) => Volatile.Write(ref _latest, value);
}
