namespace Groundwork.Storage;

/// <summary>Reproducible samples of a collection's chunks (for generating questions or training examples from them).</summary>
public static class ChunkSampling
{
    /// <summary>
    /// Every chunk of at least <paramref name="minChars"/> characters with its document, sorted by chunk id and then
    /// shuffled by <paramref name="seed"/>: the same collection and seed give the same order on every machine.
    /// </summary>
    public static async Task<List<(StoredDocument Document, StoredChunk Chunk)>> ShuffledAsync(ICollectionStore store, int minChars, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var candidates = new List<(StoredDocument Document, StoredChunk Chunk)>();
        await foreach (var document in store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
            foreach (var chunk in await store.GetChunksAsync(document.Id, cancellationToken).ConfigureAwait(false))
                if (chunk.Text.Length >= minChars) candidates.Add((document, chunk));
        candidates.Sort((a, b) => string.CompareOrdinal(a.Chunk.Id, b.Chunk.Id));
        var random = new Random(seed);
        for (int i = candidates.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
        }
        return candidates;
    }
}
