using Groundwork.Retrieval.Vectors;

namespace Groundwork.Retrieval.Tests.Vectors;

/// <summary>Clustered Gaussian vectors with a fixed seed: centroids ~ N(0, 1), points = centroid + N(0, noise).</summary>
internal sealed class ClusteredData
{
    private readonly float[] _centroids;
    private readonly Random _rng;

    public ClusteredData(int dimension, int clusters, float noise, int seed)
    {
        Dimension = dimension;
        Noise = noise;
        _rng = new Random(seed);
        _centroids = new float[clusters * dimension];
        for (int i = 0; i < _centroids.Length; i++) _centroids[i] = Gaussian();
        Clusters = clusters;
    }

    public int Dimension { get; }
    public int Clusters { get; }
    public float Noise { get; }

    public float[] Next(int count)
    {
        var data = new float[count * Dimension];
        for (int i = 0; i < count; i++)
        {
            int c = _rng.Next(Clusters);
            for (int d = 0; d < Dimension; d++) data[i * Dimension + d] = _centroids[c * Dimension + d] + Noise * Gaussian();
        }
        return data;
    }

    private float Gaussian()
    {
        double u1 = 1.0 - _rng.NextDouble();
        double u2 = _rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public static ReadOnlySpan<float> Row(float[] data, int dimension, int i) => data.AsSpan(i * dimension, dimension);

    /// <summary>Mean fraction of the exact top-k ids that the approximate results contain.</summary>
    public static double Recall(IVectorIndex approximate, IVectorIndex exact, float[] queries, int dimension, int k,
        Func<long, bool>? filter = null, int? ef = null)
    {
        int n = queries.Length / dimension;
        double total = 0;
        for (int q = 0; q < n; q++)
        {
            var truth = exact.Search(Row(queries, dimension, q), k, filter).Select(h => h.Id).ToHashSet();
            var got = approximate.Search(Row(queries, dimension, q), k, filter, ef);
            total += truth.Count == 0 ? 1 : got.Count(h => truth.Contains(h.Id)) / (double)truth.Count;
        }
        return total / n;
    }
}
