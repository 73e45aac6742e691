using Groundwork.Storage;

namespace Groundwork.Retrieval.Fusion;

/// <summary>Combines several ranked hit lists into one.</summary>
public static class RankFusion
{
    /// <summary>
    /// Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ 1 / (k + rank_i(d)), ranks from 1. Robust to
    /// lists whose scores are not comparable (BM25 vs cosine). Hits are identified by chunk id; the first list's
    /// hit object is kept, its score replaced by the fused score.
    /// </summary>
    public static List<SearchHit> Reciprocal(IReadOnlyList<IReadOnlyList<SearchHit>> lists, int limit, int k = 60)
    {
        var scores = new Dictionary<string, (SearchHit Hit, double Score, int FirstSeen)>(StringComparer.Ordinal);
        int seen = 0;
        foreach (var list in lists)
            for (int r = 0; r < list.Count; r++)
            {
                var h = list[r];
                double add = 1.0 / (k + r + 1);
                scores[h.Chunk.Id] = scores.TryGetValue(h.Chunk.Id, out var cur) ? (cur.Hit, cur.Score + add, cur.FirstSeen) : (h, add, seen++);
            }
        return scores.Values.OrderByDescending(v => v.Score).ThenBy(v => v.FirstSeen).Take(limit)
            .Select(v => v.Hit with { Score = v.Score }).ToList();
    }

    /// <summary>
    /// Weighted score fusion: each list's scores are min-max normalised to [0, 1], multiplied by its weight and
    /// summed per chunk.
    /// </summary>
    public static List<SearchHit> Weighted(IReadOnlyList<(IReadOnlyList<SearchHit> Hits, double Weight)> lists, int limit)
    {
        var scores = new Dictionary<string, (SearchHit Hit, double Score)>(StringComparer.Ordinal);
        foreach (var (hits, weight) in lists)
        {
            if (hits.Count == 0) continue;
            double min = hits.Min(h => h.Score), max = hits.Max(h => h.Score);
            foreach (var h in hits)
            {
                double norm = max > min ? (h.Score - min) / (max - min) : 1.0;
                scores[h.Chunk.Id] = scores.TryGetValue(h.Chunk.Id, out var cur) ? (cur.Hit, cur.Score + weight * norm) : (h, weight * norm);
            }
        }
        return scores.Values.OrderByDescending(v => v.Score).Take(limit).Select(v => v.Hit with { Score = v.Score }).ToList();
    }
}
