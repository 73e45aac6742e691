using Groundwork.Documents;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;

namespace Groundwork.Ingestion.Pipeline;

/// <summary>Hashes the file; an unchanged hash ends the journey (unless a re-chunk is forced).</summary>
internal sealed class HashStep(bool forceRechunk) : IIngestStep
{
    public string Name => "hash";

    public async ValueTask RunAsync(IngestItem item, CancellationToken cancellationToken)
    {
        // No FileStream buffer: the hash reads in large blocks itself, and a 64 KiB buffer per file was most of a
        // re-ingest's allocations (measured: 425 MB for 6,368 unchanged files).
        var stream = new FileStream(item.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
            item.ContentHash = await ContentHash.OfStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        if (!forceRechunk && item.Existing is { } existing && existing.ContentHash == item.ContentHash)
            item.Outcome = FileOutcome.Unchanged;
    }
}

/// <summary>Extracts structured text with the extractor for the file's extension.</summary>
internal sealed class ExtractStep(ExtractorRegistry registry) : IIngestStep
{
    public string Name => "extract";

    public async ValueTask RunAsync(IngestItem item, CancellationToken cancellationToken)
        => item.Extracted = await registry.ExtractAsync(item.Path, cancellationToken).ConfigureAwait(false);
}

/// <summary>Splits the extracted text into token-bounded chunks.</summary>
internal sealed class ChunkStep(Chunker chunker) : IIngestStep
{
    public string Name => "chunk";

    public ValueTask RunAsync(IngestItem item, CancellationToken cancellationToken)
    {
        var doc = item.Extracted ?? throw new InvalidOperationException("chunk step needs an extracted document");
        item.Chunks = chunker.Chunk(doc);
        return ValueTask.CompletedTask;
    }
}
