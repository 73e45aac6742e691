using System.Text.Json;
using Groundwork.Storage;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>
/// Strict reading of what a chat model generates from a passage, and the seeded chunk sample it generates from.
/// Same rules as test-set synthesis (Groundwork.Evaluation.Synthesis), which the training side cannot reference:
/// the two sides of Groundwork meet only in Groundwork.Abstractions.
/// </summary>
internal static class GeneratedReply
{
    /// <summary>
    /// Parses <paramref name="reply"/> as one JSON object (optionally in a ``` fence) with exactly
    /// <paramref name="fields"/>, all strings; returns their trimmed values, or null and the reason.
    /// </summary>
    public static (IReadOnlyDictionary<string, string>? Fields, string Reason) ParseObject(string? reply, params string[] fields)
    {
        var text = (reply ?? "").Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            int firstLine = text.IndexOf('\n', StringComparison.Ordinal);
            int fence = text.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLine < 0 || fence <= firstLine) return (null, "unterminated code fence");
            text = text[(firstLine + 1)..fence].Trim();
        }
        if (text.Length == 0) return (null, "empty reply");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException ex) { return (null, "not a single JSON object: " + ex.Message.Split('.')[0]); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "reply is not a JSON object");
            var names = root.EnumerateObject().Select(p => p.Name).ToList();
            var expected = string.Join(", ", fields.Take(fields.Length - 1).Select(f => $"'{f}'")) + $" and '{fields[^1]}'";
            if (names.Count != fields.Length || fields.Any(f => !names.Contains(f)))
                return (null, $"expected exactly the fields {expected}, found {string.Join(", ", names.Select(n => $"'{n}'"))}");
            if (fields.Any(f => root.GetProperty(f).ValueKind != JsonValueKind.String))
                return (null, $"{expected} must be strings");
            return (fields.ToDictionary(f => f, f => root.GetProperty(f).GetString()!.Trim(), StringComparer.Ordinal), "");
        }
    }

    /// <summary>Chunks of at least <paramref name="minChars"/> characters with their documents, sorted by id, then shuffled by <paramref name="seed"/>.</summary>
    public static async Task<List<(StoredDocument Document, StoredChunk Chunk)>> SampleChunksAsync(ICollectionStore store, int minChars, int seed, CancellationToken cancellationToken)
    {
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
