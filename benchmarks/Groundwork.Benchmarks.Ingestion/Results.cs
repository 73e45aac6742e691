using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Groundwork.Benchmarks.Ingestion;

/// <summary>One ingest run measured.</summary>
internal sealed record RunResult(
    int Documents, int Added, int Updated, int Unchanged, int Removed, int Failed,
    double Megabytes, int Chunks, double Seconds, double DocsPerSecond, double MegabytesPerSecond, double ChunksPerSecond,
    double PeakRssMegabytes, double PeakManagedMegabytes, double AllocatedMegabytes);

/// <summary>Failures sharing one reason.</summary>
internal sealed record FailureGroup(string Reason, int Count, IReadOnlyList<string> Examples);

/// <summary>The machine a result was measured on.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, double MemoryGigabytes, string Os, string Runtime, string Simd);

/// <summary>Everything one benchmark process measured for one corpus.</summary>
internal sealed record BenchmarkResult(
    string Label, IReadOnlyList<string> Corpus, IReadOnlyList<string> Include, DateTimeOffset StartedUtc, MachineInfo Machine,
    double OpenSeconds, RunResult First, IReadOnlyList<RunResult> Reingests, double ReingestMedianSeconds, double Speedup,
    bool ReingestAllUnchanged, double ProcessPeakRssMegabytes, double StoreMegabytes,
    IReadOnlyList<FailureGroup> Failures, ReingestProfile? Profile, FirstIngestProfile? FirstProfile = null, bool PeakResetWorked = true)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>Renders results as the markdown table of docs/performance.md.</summary>
internal static class MarkdownTable
{
    public static string Render(IReadOnlyList<BenchmarkResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| corpus | docs | failed | MB | chunks | first ingest s | docs/s | MB/s | chunks/s | peak RSS MB (first) | peak managed MB | re-ingest s (median) | peak RSS MB (re-ingest) | speedup |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var f = r.First;
            var re = r.Reingests.Count > 0 ? r.Reingests[0] : null;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Label} | {f.Documents} | {f.Failed} | {f.Megabytes:0.0} | {f.Chunks} | {f.Seconds:0.00} | {f.DocsPerSecond:0.0} | {f.MegabytesPerSecond:0.00} | {f.ChunksPerSecond:0} | " +
                $"{Mb(f.PeakRssMegabytes)} | {f.PeakManagedMegabytes:0} | {r.ReingestMedianSeconds:0.000} | {Mb(re?.PeakRssMegabytes ?? -1)} | {r.Speedup:0.0}x{(r.ReingestAllUnchanged ? "" : " (!)")} |");
        }
        return sb.ToString();
    }

    public static string RenderProfile(IReadOnlyList<BenchmarkResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| corpus | re-ingest ms | open store | read setting | list stored docs | walk folders | stat + id | SHA-256 all files | deleted check | rest (pipeline) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            if (r.Profile is not { } p) continue;
            double total = r.ReingestMedianSeconds * 1000;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Label} | {total:0} | {p.OpenMs:0} | {p.SettingMs:0} | {p.ListDocumentsMs:0} | {p.WalkMs:0} | {p.StatAndIdMs:0} | {p.HashMs:0} | {p.DeletedCheckMs:0} | {Math.Max(0, total - (p.TotalMs - p.OpenMs)):0} |");
        }
        return sb.ToString();
    }

    public static string RenderFirstProfile(IReadOnlyList<BenchmarkResult> results)
    {
        if (!results.Any(r => r.FirstProfile is not null)) return "";
        var sb = new StringBuilder();
        sb.AppendLine("| corpus | first ingest, one thread, s | SHA-256 | extract | chunk | build records (+chunk hashes) | store write |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            if (r.FirstProfile is not { } p) continue;
            double t = Math.Max(p.TotalSeconds, 1e-9);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Label} | {p.TotalSeconds:0.0} | {Part(p.HashSeconds, t)} | {Part(p.ExtractSeconds, t)} | {Part(p.ChunkSeconds, t)} | {Part(p.BuildRecordsSeconds, t)} | {Part(p.WriteSeconds, t)} |");
        }
        return sb.ToString();
    }

    private static string Part(double seconds, double total)
        => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} ({100 * seconds / total:0}%)");

    private static string Mb(double mb) => mb < 0 ? "n/a" : mb.ToString("0", CultureInfo.InvariantCulture);
}
