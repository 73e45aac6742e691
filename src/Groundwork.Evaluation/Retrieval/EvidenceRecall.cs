using Groundwork.Evaluation.Datasets;

namespace Groundwork.Evaluation.Retrieval;

/// <summary>A retrieved passage as evidence: its document and the pages it covers (null for unpaginated sources).</summary>
/// <param name="Document">Document id, file name or path.</param>
/// <param name="PageStart">First page covered, 1-based.</param>
/// <param name="PageEnd">Last page covered; defaults to <paramref name="PageStart"/>.</param>
public sealed record RetrievedEvidence(string Document, int? PageStart = null, int? PageEnd = null);

/// <summary>
/// Evidence recall for QA sets that cite documents or pages: the fraction of the gold evidence that the top k
/// retrieved passages cover. Documents match when equal, or when their file names (the part after the last
/// <c>/</c> or <c>\</c>) are equal, ignoring case, so a gold <c>x.pdf</c> matches a retrieved <c>/data/x.pdf</c>.
/// </summary>
public static class EvidenceRecall
{
    /// <summary>
    /// Page recall@k: gold pages (deduplicated) covered by a top-k passage of the same document whose page range
    /// includes the page, divided by the number of gold pages. Null when there are no gold pages.
    /// </summary>
    public static double? PageRecall(IReadOnlyList<RetrievedEvidence> retrieved, IReadOnlyList<EvidencePage> gold, int k)
    {
        ArgumentNullException.ThrowIfNull(retrieved);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var pages = gold.Distinct(PageComparer.Instance).ToList();
        if (pages.Count == 0) return null;
        var top = retrieved.Take(k).ToList();
        var covered = pages.Count(page => top.Any(r =>
            r.PageStart is { } start && SameDocument(r.Document, page.Document) &&
            start <= page.Page && page.Page <= (r.PageEnd ?? start)));
        return (double)covered / pages.Count;
    }

    /// <summary>
    /// Document recall@k: gold documents (deduplicated) with at least one top-k passage, divided by the number of
    /// gold documents. Null when there are no gold documents.
    /// </summary>
    public static double? DocumentRecall(IReadOnlyList<RetrievedEvidence> retrieved, IReadOnlyList<string> gold, int k)
    {
        ArgumentNullException.ThrowIfNull(retrieved);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var documents = gold.Select(Key).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (documents.Count == 0) return null;
        var top = retrieved.Take(k).ToList();
        var covered = documents.Count(d => top.Any(r => SameDocument(r.Document, d)));
        return (double)covered / documents.Count;
    }

    /// <summary>Whether two document references name the same document (see the class remarks).</summary>
    public static bool SameDocument(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || string.Equals(Key(a), Key(b), StringComparison.OrdinalIgnoreCase);
    }

    private static string Key(string document)
    {
        var slash = document.LastIndexOfAny(['/', '\\']);
        return slash >= 0 ? document[(slash + 1)..] : document;
    }

    private sealed class PageComparer : IEqualityComparer<EvidencePage>
    {
        public static readonly PageComparer Instance = new();

        public bool Equals(EvidencePage? x, EvidencePage? y) =>
            x is not null && y is not null && x.Page == y.Page && SameDocument(x.Document, y.Document);

        public int GetHashCode(EvidencePage obj) => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Key(obj.Document)), obj.Page);
    }
}
