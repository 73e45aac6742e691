namespace Groundwork.Numerics.Tests;

internal static class TestData
{
    /// <summary>Deterministic normal-ish values (Box-Muller on a seeded Random).</summary>
    public static float[] Normal(int n, int seed, float std = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            a[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return a;
    }

    public static double Rms(ReadOnlySpan<float> a)
    {
        double s = 0;
        foreach (var v in a) s += (double)v * v;
        return a.Length == 0 ? 0 : Math.Sqrt(s / a.Length);
    }

    public static double RmsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        return a.Length == 0 ? 0 : Math.Sqrt(s / a.Length);
    }
}
