namespace Groundwork.Storage.Tests.Conformance;

/// <summary>Builds consistent documents and chunks (chunk text = document text at its offsets) for store tests.</summary>
internal static class TestDocs
{
    public static readonly DateTimeOffset Modified = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
    public static readonly DateTimeOffset Ingested = new(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    /// <summary>A document whose text is the chunk texts joined by blank lines; one chunk per text.</summary>
    public static (StoredDocument Document, IReadOnlyList<StoredChunk> Chunks) Make(
        string id, string? title, IReadOnlyList<string> chunkTexts,
        IReadOnlyDictionary<string, string>? tags = null, IReadOnlyList<string>? labels = null,
        IReadOnlyList<string>? sectionPath = null, string? sourcePath = null)
    {
        const string separator = "\n\n";
        var text = string.Join(separator, chunkTexts);
        var chunks = new List<StoredChunk>();
        int offset = 0;
        for (int i = 0; i < chunkTexts.Count; i++)
        {
            var t = chunkTexts[i];
            chunks.Add(new StoredChunk
            {
                Id = $"{id}#{i}",
                DocumentId = id,
                Ordinal = i,
                Text = t,
                StartOffset = offset,
                EndOffset = offset + t.Length,
                SectionPath = sectionPath ?? [],
                PageStart = i + 1,
                PageEnd = i + 1,
                TokenCount = t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length,
                ContentHash = ContentHash.Of(t),
            });
            offset += t.Length + separator.Length;
        }
        var document = new StoredDocument
        {
            Id = id,
            SourcePath = sourcePath ?? $"/docs/{id}.md",
            Title = title,
            MediaType = "text/markdown",
            ContentHash = ContentHash.Of(text),
            ByteSize = System.Text.Encoding.UTF8.GetByteCount(text),
            ModifiedUtc = Modified,
            IngestedUtc = Ingested,
            PageCount = chunkTexts.Count,
            Text = text,
            Tags = tags ?? new Dictionary<string, string>(),
            AccessLabels = labels ?? [],
        };
        return (document, chunks);
    }
}
