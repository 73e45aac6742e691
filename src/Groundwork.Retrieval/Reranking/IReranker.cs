using Groundwork.Retrieval.Text;
using Groundwork.Storage;

namespace Groundwork.Retrieval.Reranking;

/// <summary>Reorders retrieved hits by relevance to the query, best first.</summary>
public interface IReranker
{
    /// <summary>Returns the hits reordered (scores replaced by the reranker's), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, int limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// The default reranker, needing no model: blends the retrieval rank with how much of the query's (IDF-weighted,
/// over the candidates) terms each chunk contains, so a chunk that matches every query term beats one that
/// repeats a single term many times.
/// </summary>
public sealed class LexicalReranker : IReranker
{
    /// <inheritdoc />
    public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, int limit, CancellationToken cancellationToken = default)
    {
        var q = TermAnalyzer.Terms(query).Distinct(StringComparer.Ordinal).ToArray();
        if (q.Length == 0 || hits.Count == 0) return Task.FromResult<IReadOnlyList<SearchHit>>(hits.Take(limit).ToList());
        var sets = hits.Select(h => TermAnalyzer.Terms(h.Chunk.Text + " " + string.Join(' ', h.Chunk.SectionPath)).ToHashSet(StringComparer.Ordinal)).ToArray();
        var idf = q.ToDictionary(t => t, t =>
        {
            int df = sets.Count(s => s.Contains(t));
            return Math.Log(1 + (hits.Count - df + 0.5) / (df + 0.5));
        }, StringComparer.Ordinal);
        double total = Math.Max(1e-9, idf.Values.Sum());
        var scored = hits.Select((h, i) =>
        {
            double coverage = q.Where(sets[i].Contains).Sum(t => idf[t]) / total;
            double rankPrior = 1.0 / (1 + i);
            return (Hit: h, Score: 0.7 * coverage + 0.3 * rankPrior, Rank: i);
        });
        IReadOnlyList<SearchHit> result = scored.OrderByDescending(s => s.Score).ThenBy(s => s.Rank).Take(limit)
            .Select(s => s.Hit with { Score = s.Score }).ToList();
        return Task.FromResult(result);
    }
}
