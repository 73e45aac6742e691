using Groundwork.Documents;

namespace Groundwork.Ingestion.Pipeline;

/// <summary>Settings for one ingest run.</summary>
public sealed record IngestionOptions
{
    /// <summary>Only files matching one of these globs are ingested (default: every supported extension).</summary>
    public IReadOnlyList<string> Include { get; init; } = [];
    /// <summary>Files matching any of these globs are skipped.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];
    /// <summary>Extraction workers; default: one per core.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;
    /// <summary>Documents extracted but not yet written that may wait in memory (bounds memory use).</summary>
    public int MaxPendingDocuments { get; init; } = 8;
    /// <summary>Remove stored documents whose files were deleted from an ingested folder.</summary>
    public bool RemoveDeleted { get; init; } = true;
    /// <summary>Tags attached to every document of this run.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>Access labels attached to every document of this run.</summary>
    public IReadOnlyList<string> AccessLabels { get; init; } = [];
}

/// <summary>What happened to one file.</summary>
public enum FileOutcome
{
    /// <summary>New document stored.</summary>
    Added,
    /// <summary>Changed document re-chunked and replaced.</summary>
    Updated,
    /// <summary>Content hash unchanged; nothing written.</summary>
    Unchanged,
    /// <summary>Stored document whose file is gone was removed.</summary>
    Removed,
    /// <summary>Could not be ingested; the store holds nothing new for it.</summary>
    Failed,
}

/// <summary>One line of the ingest report.</summary>
/// <param name="Path">The file.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Chunks">Chunks written (0 unless added or updated).</param>
/// <param name="Reason">For failures: the one-line reason.</param>
public sealed record FileResult(string Path, FileOutcome Outcome, int Chunks = 0, string? Reason = null);

/// <summary>Live counters, reported while ingesting.</summary>
public sealed record IngestProgress(int FilesFound, int FilesDone, int Added, int Updated, int Unchanged, int Removed, int Failed,
    int Chunks, long BytesRead, TimeSpan Elapsed, string? Current)
{
    /// <summary>Megabytes of source read per second so far.</summary>
    public double MegabytesPerSecond => Elapsed.TotalSeconds > 0 ? BytesRead / 1e6 / Elapsed.TotalSeconds : 0;
}

/// <summary>The outcome of an ingest run.</summary>
public sealed record IngestReport(IReadOnlyList<FileResult> Files, TimeSpan Elapsed, long BytesRead)
{
    /// <summary>Files that failed, with reasons.</summary>
    public IEnumerable<FileResult> Failures => Files.Where(f => f.Outcome == FileOutcome.Failed);
    /// <summary>Count of files with the given outcome.</summary>
    public int Count(FileOutcome outcome) => Files.Count(f => f.Outcome == outcome);
    /// <summary>Chunks written in this run.</summary>
    public int ChunksWritten => Files.Sum(f => f.Chunks);
    /// <summary>True when at least one file failed.</summary>
    public bool HasFailures => Files.Any(f => f.Outcome == FileOutcome.Failed);
}
