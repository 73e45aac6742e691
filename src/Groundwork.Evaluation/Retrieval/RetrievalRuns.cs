using Groundwork.Storage;

namespace Groundwork.Evaluation.Retrieval;

/// <summary>Turns search results into run entries for <see cref="RetrievalEvaluator"/>.</summary>
public static class RetrievalRuns
{
    /// <summary>
    /// Document-level run entries from chunk hits (best first): each document appears once, with the score of its
    /// best-ranked chunk, because qrels judge documents and trec_eval rejects a document listed twice.
    /// </summary>
    public static IReadOnlyList<(string DocId, double Score)> ByDocument(IEnumerable<SearchHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<(string DocId, double Score)>();
        foreach (var hit in hits)
            if (seen.Add(hit.Document.Id)) entries.Add((hit.Document.Id, hit.Score));
        return entries;
    }
}
