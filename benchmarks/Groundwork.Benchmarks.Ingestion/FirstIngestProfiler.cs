using System.Diagnostics;
using Groundwork.Hosting;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Storage;

namespace Groundwork.Benchmarks.Ingestion;

/// <summary>
/// Where a first ingest spends its time: every file goes through the same stages the Ingestor runs (SHA-256 of the
/// file, extraction, chunking, building the stored records with a hash per chunk, one upsert transaction), one file
/// at a time on one thread so each stage's time is its own, into a separate scratch collection.
/// </summary>
internal static class FirstIngestProfiler
{
    private static readonly EnumerationOptions Walk = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.Device,
        ReturnSpecialDirectories = false,
    };

    public static async Task<FirstIngestProfile> RunAsync(GroundworkOptions options, IReadOnlyList<string> paths, IReadOnlyList<string> includes,
        CancellationToken cancellationToken)
    {
        var scratch = options with { Collection = "profile-first" };
        var ws = await GroundworkWorkspace.OpenAsync(scratch, cancellationToken).ConfigureAwait(false);
        await using (ws.ConfigureAwait(false))
        {
            var globs = includes.Select(g => new GlobPattern(g)).ToArray();
            var files = new List<string>();
            foreach (var raw in paths)
            {
                var full = Path.GetFullPath(raw);
                if (File.Exists(full)) { files.Add(full); continue; }
                foreach (var file in Directory.EnumerateFiles(full, "*", Walk).Order(StringComparer.Ordinal))
                {
                    var rel = Path.GetRelativePath(full, file);
                    if (globs.Length > 0 ? !globs.Any(g => g.IsMatch(rel)) : !ws.Extractors.TryGet(file, out _)) continue;
                    files.Add(file);
                }
            }

            var chunker = new Chunker(ws.Tokenizer, options.Chunking);
            var hash = new Stopwatch();
            var extract = new Stopwatch();
            var chunk = new Stopwatch();
            var build = new Stopwatch();
            var write = new Stopwatch();
            var byType = new Dictionary<string, (double Seconds, long Bytes, int Files)>(StringComparer.OrdinalIgnoreCase);
            var slowest = new List<(double Seconds, string File, long Bytes)>();
            long bytes = 0, chars = 0;
            int chunks = 0, failed = 0;
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.Start();
                string contentHash;
                var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (stream.ConfigureAwait(false))
                {
                    bytes += stream.Length;
                    contentHash = await ContentHash.OfStreamAsync(stream, cancellationToken).ConfigureAwait(false);
                }
                hash.Stop();

                var before = extract.Elapsed;
                extract.Start();
                Groundwork.Documents.ExtractedDocument? doc = null;
                try { doc = await ws.Extractors.ExtractAsync(file, cancellationToken).ConfigureAwait(false); }
                catch (Groundwork.Documents.ExtractionException) { failed++; }
                extract.Stop();
                double took = (extract.Elapsed - before).TotalSeconds;
                long size = new FileInfo(file).Length;
                var ext = Path.GetExtension(file).ToLowerInvariant();
                var sum = byType.GetValueOrDefault(ext);
                byType[ext] = (sum.Seconds + took, sum.Bytes + size, sum.Files + 1);
                slowest.Add((took, file, size));
                if (slowest.Count > 50) { slowest.Sort((a, b) => b.Seconds.CompareTo(a.Seconds)); slowest.RemoveRange(10, slowest.Count - 10); }
                if (doc is null) continue;
                chars += doc.Text.Length;

                chunk.Start();
                var pieces = chunker.Chunk(doc);
                chunk.Stop();
                chunks += pieces.Count;

                build.Start();
                var id = Ingestor.DocumentId(file);
                var stored = new StoredDocument
                {
                    Id = id, SourcePath = file, Title = doc.Title, MediaType = doc.MediaType, ContentHash = contentHash,
                    ByteSize = doc.ByteSize, ModifiedUtc = File.GetLastWriteTimeUtc(file), IngestedUtc = DateTimeOffset.UtcNow,
                    PageCount = doc.PageCount, Text = doc.Text,
                };
                var records = pieces.Select(c => new StoredChunk
                {
                    Id = $"{id}:{c.Ordinal}", DocumentId = id, Ordinal = c.Ordinal, Text = c.Text, StartOffset = c.Start, EndOffset = c.End,
                    SectionPath = c.SectionPath, PageStart = c.PageStart, PageEnd = c.PageEnd, TokenCount = c.TokenCount,
                    ContentHash = ContentHash.Of(c.Text),
                }).ToArray();
                build.Stop();

                write.Start();
                await ws.Store.UpsertDocumentAsync(stored, records, cancellationToken).ConfigureAwait(false);
                write.Stop();
            }
            slowest.Sort((a, b) => b.Seconds.CompareTo(a.Seconds));
            return new FirstIngestProfile(files.Count, failed, chunks, Math.Round(bytes / 1e6, 2), Math.Round(chars / 1e6, 2),
                S(hash), S(extract), S(chunk), S(build), S(write),
                byType.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => new ExtractionByType(kv.Key, kv.Value.Files, Math.Round(kv.Value.Bytes / 1e6, 2), Math.Round(kv.Value.Seconds, 2),
                        Math.Round(kv.Value.Bytes / 1e6 / Math.Max(kv.Value.Seconds, 1e-9), 2))).ToArray(),
                slowest.Take(10).Select(x => new SlowFile(x.File, Math.Round(x.Bytes / 1e6, 3), Math.Round(x.Seconds, 3))).ToArray());
        }
    }

    private static double S(Stopwatch watch) => Math.Round(watch.Elapsed.TotalSeconds, 2);
}

/// <summary>Seconds per stage of a first ingest, run one file at a time on one thread.</summary>
internal sealed record FirstIngestProfile(int Files, int Failed, int Chunks, double Megabytes, double ExtractedMegachars,
    double HashSeconds, double ExtractSeconds, double ChunkSeconds, double BuildRecordsSeconds, double WriteSeconds,
    IReadOnlyList<ExtractionByType>? ExtractionByType = null, IReadOnlyList<SlowFile>? SlowestExtractions = null)
{
    public double TotalSeconds => HashSeconds + ExtractSeconds + ChunkSeconds + BuildRecordsSeconds + WriteSeconds;
}

/// <summary>Extraction time for one file type.</summary>
internal sealed record ExtractionByType(string Extension, int Files, double Megabytes, double Seconds, double MegabytesPerSecond);

/// <summary>One of the slowest files to extract.</summary>
internal sealed record SlowFile(string Path, double Megabytes, double Seconds);
