using System.Diagnostics;
using System.Threading.Channels;
using Groundwork.Documents;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Storage;
using Groundwork.Text;

namespace Groundwork.Ingestion.Pipeline;

/// <summary>
/// Incremental, idempotent ingestion of files and folders into a collection. Files are hashed, extracted and
/// chunked in parallel by a bounded set of workers; a single writer stores each document in one transaction,
/// so a crash at any moment leaves every document either in its old or its new version, and the next run
/// finishes the work. Unchanged files cost one hash; deleted files are removed from the collection.
/// </summary>
public sealed class Ingestor
{
    /// <summary>The collection setting that records how chunks were made; a change re-chunks everything.</summary>
    public const string ChunkingSettingKey = "ingest.chunking";

    private static readonly EnumerationOptions Walk = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.Device,
        ReturnSpecialDirectories = false,
    };

    private readonly ICollectionStore _store;
    private readonly ExtractorRegistry _extractors;
    private readonly ITokenizer _tokenizer;
    private readonly ChunkingOptions _chunking;
    private readonly IReadOnlyList<IIngestStep> _extraSteps;

    /// <summary>Creates an ingestor writing into <paramref name="store"/>.</summary>
    /// <param name="store">The collection to write to.</param>
    /// <param name="extractors">Extractors by file type.</param>
    /// <param name="tokenizer">Counts tokens for chunking.</param>
    /// <param name="chunking">Chunk size and overlap.</param>
    /// <param name="extraSteps">Steps run after chunking (e.g. embedding), in order.</param>
    public Ingestor(ICollectionStore store, ExtractorRegistry extractors, ITokenizer tokenizer, ChunkingOptions chunking,
        IReadOnlyList<IIngestStep>? extraSteps = null)
    {
        _store = store;
        _extractors = extractors;
        _tokenizer = tokenizer;
        _chunking = chunking;
        _extraSteps = extraSteps ?? [];
    }

    /// <summary>Ingests the given files and folders.</summary>
    public async Task<IngestReport> IngestAsync(IReadOnlyList<string> paths, IngestionOptions? options = null,
        IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new IngestionOptions();
        var clock = Stopwatch.StartNew();
        var results = new List<FileResult>();
        var counters = new Counters();

        // How chunks are made is part of a document's identity: a new tokenizer or size re-chunks every file.
        var chunkingSignature = $"{_tokenizer.Name};max={_chunking.MaxTokens};overlap={_chunking.OverlapFraction:0.###}";
        var previousSignature = await _store.GetSettingAsync(ChunkingSettingKey, cancellationToken).ConfigureAwait(false);
        bool forceRechunk = previousSignature is not null && previousSignature != chunkingSignature;

        var existing = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
        await foreach (var doc in _store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
            existing[doc.SourcePath] = doc;

        var include = options.Include.Select(p => new GlobPattern(p)).ToArray();
        var exclude = options.Exclude.Select(p => new GlobPattern(p)).ToArray();
        var items = new List<IngestItem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var roots = new List<string>();

        foreach (var raw in paths)
        {
            var full = Path.GetFullPath(raw);
            if (Directory.Exists(full))
            {
                roots.Add(Path.TrimEndingDirectorySeparator(full));
                IEnumerable<string> files;
                try { files = Directory.EnumerateFiles(full, "*", Walk).Order(StringComparer.Ordinal).ToList(); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    results.Add(new FileResult(full, FileOutcome.Failed, Reason: $"cannot list folder: {ex.Message}"));
                    continue;
                }
                foreach (var file in files)
                {
                    var rel = Path.GetRelativePath(full, file);
                    if (IsInHiddenFolder(rel)) continue;
                    if (include.Length > 0 ? !include.Any(g => g.IsMatch(rel)) : !_extractors.TryGet(file, out _)) continue;
                    if (exclude.Any(g => g.IsMatch(rel))) continue;
                    if (seen.Add(file)) AddItem(file);
                }
            }
            else if (File.Exists(full))
            {
                if (seen.Add(full)) AddItem(full);
            }
            else
            {
                results.Add(new FileResult(full, FileOutcome.Failed, Reason: "path not found"));
            }
        }

        counters.Found = items.Count;
        counters.Failed = results.Count;

        var steps = new List<IIngestStep> { new HashStep(forceRechunk), new ExtractStep(_extractors), new ChunkStep(new Chunker(_tokenizer, _chunking)) };
        steps.AddRange(_extraSteps);

        var channel = Channel.CreateBounded<IngestItem>(new BoundedChannelOptions(Math.Max(1, options.MaxPendingDocuments))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var resultLock = new Lock();
        void Record(FileResult r, long bytes)
        {
            lock (resultLock)
            {
                results.Add(r);
                counters.Done++;
                counters.Bytes += bytes;
                switch (r.Outcome)
                {
                    case FileOutcome.Added: counters.Added++; break;
                    case FileOutcome.Updated: counters.Updated++; break;
                    case FileOutcome.Unchanged: counters.Unchanged++; break;
                    case FileOutcome.Failed: counters.Failed++; break;
                }
                counters.Chunks += r.Chunks;
                progress?.Report(counters.Snapshot(clock.Elapsed, r.Path));
            }
        }

        var producer = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(items, new ParallelOptions
                {
                    MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelism),
                    CancellationToken = cancellationToken,
                }, async (item, ct) =>
                {
                    try
                    {
                        foreach (var step in steps)
                        {
                            await step.RunAsync(item, ct).ConfigureAwait(false);
                            if (item.Outcome is not null) break;
                        }
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
                    catch (Exception ex)
                    {
                        Record(new FileResult(item.Path, FileOutcome.Failed, Reason: OneLine(ex, item.Path)), item.ByteSize);
                        return;
                    }
                    if (item.Outcome == FileOutcome.Unchanged)
                        Record(new FileResult(item.Path, FileOutcome.Unchanged), item.ByteSize);
                    else
                        await channel.Writer.WriteAsync(item, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, cancellationToken);

        await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var (doc, chunks) = ToStored(item, options);
                await _store.UpsertDocumentAsync(doc, chunks, cancellationToken).ConfigureAwait(false);
                Record(new FileResult(item.Path, item.Existing is null ? FileOutcome.Added : FileOutcome.Updated, chunks.Count), item.ByteSize);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
            catch (Exception ex)
            {
                Record(new FileResult(item.Path, FileOutcome.Failed, Reason: OneLine(ex, item.Path)), item.ByteSize);
            }
            item.Extracted = null; // let the text go before the next document arrives
            item.Chunks = null;
        }
        await producer.ConfigureAwait(false);

        if (options.RemoveDeleted)
        {
            foreach (var doc in existing.Values)
            {
                // Walked files are known to exist; only files not seen in this run need a look at the disk.
                if (seen.Contains(doc.SourcePath) || !roots.Any(r => IsUnder(doc.SourcePath, r)) || File.Exists(doc.SourcePath)) continue;
                if (await _store.RemoveDocumentAsync(doc.Id, cancellationToken).ConfigureAwait(false))
                {
                    results.Add(new FileResult(doc.SourcePath, FileOutcome.Removed));
                    counters.Removed++;
                }
            }
        }

        if (previousSignature != chunkingSignature)
            await _store.SetSettingAsync(ChunkingSettingKey, chunkingSignature, cancellationToken).ConfigureAwait(false);

        progress?.Report(counters.Snapshot(clock.Elapsed, null));
        return new IngestReport(results, clock.Elapsed, counters.Bytes);

        void AddItem(string file)
        {
            try
            {
                var info = new FileInfo(file);
                existing.TryGetValue(file, out var stored);
                items.Add(new IngestItem(file, DocumentId(file), info.Length, info.LastWriteTimeUtc, stored));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                results.Add(new FileResult(file, FileOutcome.Failed, Reason: ex.Message));
            }
        }
    }

    /// <summary>
    /// Removes the document with this id or source path, or every document under a folder path.
    /// Returns the source paths removed (empty when nothing matched).
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveAsync(string idOrPath, CancellationToken cancellationToken = default)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(idOrPath));
        var matches = new List<StoredDocument>();
        await foreach (var doc in _store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
            if (doc.Id == idOrPath || doc.SourcePath == full || IsUnder(doc.SourcePath, full)) matches.Add(doc);
        var removed = new List<string>();
        foreach (var doc in matches)
            if (await _store.RemoveDocumentAsync(doc.Id, cancellationToken).ConfigureAwait(false)) removed.Add(doc.SourcePath);
        return removed;
    }

    /// <summary>The stable id of the document stored for a file: a hash of its full path.</summary>
    public static string DocumentId(string fullPath) => ContentHash.Of(fullPath)[..16];

    private (StoredDocument Doc, IReadOnlyList<StoredChunk> Chunks) ToStored(IngestItem item, IngestionOptions options)
    {
        var x = item.Extracted ?? throw new InvalidOperationException("nothing extracted");
        var doc = new StoredDocument
        {
            Id = item.DocumentId,
            SourcePath = item.Path,
            Title = x.Title,
            MediaType = x.MediaType,
            ContentHash = item.ContentHash ?? x.ContentHash,
            ByteSize = x.ByteSize,
            ModifiedUtc = item.ModifiedUtc,
            IngestedUtc = DateTimeOffset.UtcNow,
            PageCount = x.PageCount,
            Text = x.Text,
            Tags = options.Tags,
            AccessLabels = options.AccessLabels,
        };
        var chunks = (item.Chunks ?? []).Select(c => new StoredChunk
        {
            Id = $"{item.DocumentId}:{c.Ordinal}",
            DocumentId = item.DocumentId,
            Ordinal = c.Ordinal,
            Text = c.Text,
            StartOffset = c.Start,
            EndOffset = c.End,
            SectionPath = c.SectionPath,
            PageStart = c.PageStart,
            PageEnd = c.PageEnd,
            TokenCount = c.TokenCount,
            ContentHash = ContentHash.Of(c.Text),
        }).ToArray();
        return (doc, chunks);
    }

    private static string OneLine(Exception ex, string path)
    {
        var message = ex is ExtractionException ee ? ee.Reason : ex.Message;
        message = message.ReplaceLineEndings(" ").Trim();
        if (message.StartsWith(path + ": ", StringComparison.Ordinal)) message = message[(path.Length + 2)..];
        return message.Length == 0 ? ex.GetType().Name : message;
    }

    private static bool IsInHiddenFolder(string relativePath)
    {
        var parts = relativePath.Split(Path.DirectorySeparatorChar);
        for (int i = 0; i < parts.Length - 1; i++) if (parts[i].StartsWith('.')) return true;
        return false;
    }

    private static bool IsUnder(string path, string root)
        => path.StartsWith(root, StringComparison.Ordinal) && path.Length > root.Length && path[root.Length] == Path.DirectorySeparatorChar;

    private sealed class Counters
    {
        public int Found, Done, Added, Updated, Unchanged, Removed, Failed, Chunks;
        public long Bytes;

        public IngestProgress Snapshot(TimeSpan elapsed, string? current)
            => new(Found, Done, Added, Updated, Unchanged, Removed, Failed, Chunks, Bytes, elapsed, current);
    }
}
