using System.Numerics.Tensors;
using Groundwork.Storage;

namespace Groundwork.Retrieval.Hybrid;

/// <summary>
/// Maximal marginal relevance (Carbonell and Goldstein 1998): picks hits one at a time maximising
/// λ·relevance − (1 − λ)·max similarity to the hits already picked, so near-duplicates give way to other content.
/// </summary>
public static class Mmr
{
    /// <summary>Re-ranks <paramref name="candidates"/> (best first) and returns at most <paramref name="limit"/>.</summary>
    /// <param name="candidates">Hits best first; relevance is their score min-max normalised to [0, 1].</param>
    /// <param name="vectorOf">The embedding of a hit's chunk, or null when unknown (treated as similar to nothing).</param>
    /// <param name="lambda">Weight of relevance against novelty, in [0, 1]; 1 keeps the input order.</param>
    /// <param name="limit">Number of hits wanted.</param>
    public static List<SearchHit> Select(IReadOnlyList<SearchHit> candidates, Func<SearchHit, float[]?> vectorOf, double lambda, int limit)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(vectorOf);
        if (lambda is < 0 or > 1 || double.IsNaN(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "MMR lambda must be between 0 and 1");
        int n = candidates.Count;
        var picked = new List<SearchHit>(Math.Min(limit, n));
        if (n == 0 || limit <= 0) return picked;
        double min = candidates.Min(h => h.Score), max = candidates.Max(h => h.Score);
        var relevance = candidates.Select(h => max > min ? (h.Score - min) / (max - min) : 1.0).ToArray();
        var vectors = candidates.Select(vectorOf).ToArray();
        var maxSim = new double[n]; // highest similarity of each candidate to any picked hit
        var used = new bool[n];
        while (picked.Count < Math.Min(limit, n))
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                if (used[i]) continue;
                double score = lambda * relevance[i] - (1 - lambda) * maxSim[i];
                if (score > bestScore) { bestScore = score; best = i; }
            }
            used[best] = true;
            picked.Add(candidates[best]);
            if (vectors[best] is not { } chosen) continue;
            for (int i = 0; i < n; i++)
            {
                if (used[i] || vectors[i] is not { } v || v.Length != chosen.Length) continue;
                double sim = TensorPrimitives.CosineSimilarity(v, chosen);
                if (sim > maxSim[i]) maxSim[i] = sim;
            }
        }
        return picked;
    }
}
