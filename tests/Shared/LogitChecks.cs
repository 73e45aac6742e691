using Xunit;

namespace Groundwork.Testing;

/// <summary>Comparisons of logit rows against a reference runtime's (llama.cpp golden files).</summary>
internal static class LogitChecks
{
    /// <summary>The largest |a[i] − b[i]|.</summary>
    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>
    /// For each of <paramref name="positions"/> rows of <paramref name="vocab"/> logits, the arg-max of
    /// <paramref name="actual"/> equals the reference's wherever the reference's top two differ by more than
    /// <paramref name="margin"/> (nearly tied rows may legitimately flip within the tolerance).
    /// </summary>
    public static void AssertTop1AgreesWhereNotTied(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int vocab, int positions, float margin)
    {
        for (int pos = 0; pos < positions; pos++)
        {
            var e = expected.Slice(pos * vocab, vocab);
            int top = ArgMax(e);
            float second = float.NegativeInfinity;
            for (int v = 0; v < vocab; v++) if (v != top) second = Math.Max(second, e[v]);
            if (e[top] - second > margin) Assert.Equal(top, ArgMax(actual.Slice(pos * vocab, vocab)));
        }
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
