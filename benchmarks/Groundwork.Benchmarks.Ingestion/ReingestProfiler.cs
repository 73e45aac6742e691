using System.Diagnostics;
using Groundwork.Hosting;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Storage;

namespace Groundwork.Benchmarks.Ingestion;

/// <summary>
/// Times, one at a time, the parts an unchanged re-ingest is made of, doing what <see cref="Ingestor.IngestAsync"/>
/// does for each (same store calls, same folder walk, same hash stream): opening the store, reading the chunking
/// setting, listing stored documents, walking the folders, stat-ing each file and hashing its path into an id,
/// hashing every file's bytes on the same number of workers, and the deleted-file check (one File.Exists per stored
/// document). What the pipeline costs beyond these is the difference to the measured re-ingest.
/// </summary>
internal static class ReingestProfiler
{
    // A copy of Ingestor's private walk options, so the walk timed here is the walk it does.
    private static readonly EnumerationOptions Walk = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.Device,
        ReturnSpecialDirectories = false,
    };

    public static async Task<ReingestProfile> RunAsync(GroundworkOptions options, IReadOnlyList<string> paths, IReadOnlyList<string> includes,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ws = await GroundworkWorkspace.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        await using (ws.ConfigureAwait(false))
        {
            double open = Lap(clock);

            _ = await ws.Store.GetSettingAsync(Ingestor.ChunkingSettingKey, cancellationToken).ConfigureAwait(false);
            double setting = Lap(clock);

            var existing = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
            await foreach (var doc in ws.Store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false)) existing[doc.SourcePath] = doc;
            double list = Lap(clock);

            var globs = includes.Select(g => new GlobPattern(g)).ToArray();
            var files = new List<string>();
            foreach (var raw in paths)
            {
                var full = Path.GetFullPath(raw);
                if (File.Exists(full)) { files.Add(full); continue; }
                foreach (var file in Directory.EnumerateFiles(full, "*", Walk).Order(StringComparer.Ordinal).ToList())
                {
                    var rel = Path.GetRelativePath(full, file);
                    if (globs.Length > 0 ? !globs.Any(g => g.IsMatch(rel)) : !ws.Extractors.TryGet(file, out _)) continue;
                    files.Add(file);
                }
            }
            double walk = Lap(clock);

            long bytes = 0;
            foreach (var file in files)
            {
                var info = new FileInfo(file);
                bytes += info.Length;
                _ = info.LastWriteTimeUtc;
                _ = Ingestor.DocumentId(file);
                existing.TryGetValue(file, out _);
            }
            double stat = Lap(clock);

            int matches = 0;
            await Parallel.ForEachAsync(files, new ParallelOptions
            {
                MaxDegreeOfParallelism = Environment.ProcessorCount,
                CancellationToken = cancellationToken,
            }, async (file, ct) =>
            {
                var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                string hash;
                await using (stream.ConfigureAwait(false)) hash = await ContentHash.OfStreamAsync(stream, ct).ConfigureAwait(false);
                if (existing.TryGetValue(file, out var doc) && doc.ContentHash == hash) Interlocked.Increment(ref matches);
            }).ConfigureAwait(false);
            double hashing = Lap(clock);

            int present = 0;
            foreach (var doc in existing.Values) if (File.Exists(doc.SourcePath)) present++;
            double deletedCheck = Lap(clock);

            return new ReingestProfile(files.Count, existing.Count, matches, bytes / 1e6, open, setting, list, walk, stat, hashing, deletedCheck);
        }
    }

    private static double Lap(Stopwatch clock)
    {
        double ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return Math.Round(ms, 1);
    }
}

/// <summary>Milliseconds spent in each part of an unchanged re-ingest, each timed alone.</summary>
internal sealed record ReingestProfile(int Files, int StoredDocuments, int HashMatches, double Megabytes,
    double OpenMs, double SettingMs, double ListDocumentsMs, double WalkMs, double StatAndIdMs, double HashMs, double DeletedCheckMs)
{
    public double TotalMs => OpenMs + SettingMs + ListDocumentsMs + WalkMs + StatAndIdMs + HashMs + DeletedCheckMs;
}
