using Groundwork.Evaluation.Reports;

namespace Groundwork.Evaluation.Comparison;

/// <summary>Means, standard errors, percentiles and a paired bootstrap for comparing strategies.</summary>
internal static class Statistics
{
    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? 0 : values.Average();

    /// <summary>Sample standard deviation / √n; 0 when fewer than two values.</summary>
    public static double StandardError(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return Math.Sqrt(variance / values.Count);
    }

    /// <summary>Percentile by linear interpolation between closest ranks (numpy's default), p in [0, 100].</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return 0;
        double rank = p / 100 * (sorted.Count - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static LatencyStats Latency(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        if (sorted.Count == 0) return new LatencyStats(0, 0, 0, 0, 0, 0, 0, 0, 0);
        return new LatencyStats(sorted.Count, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99),
            sorted[0], sorted[^1], Percentile(sorted, 25), Percentile(sorted, 75));
    }

    /// <summary>
    /// 95% percentile-bootstrap interval of the mean of paired differences (a − b), resampling items with a fixed
    /// seed so reports are reproducible.
    /// </summary>
    public static (double Low, double High) PairedBootstrap(IReadOnlyList<double> differences, int resamples = 2000, int seed = 12345)
    {
        if (differences.Count == 0) return (0, 0);
        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < differences.Count; i++) sum += differences[random.Next(differences.Count)];
            means[r] = sum / differences.Count;
        }
        Array.Sort(means);
        return (Percentile(means, 2.5), Percentile(means, 97.5));
    }
}
