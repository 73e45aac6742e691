using Groundwork.Models.Transformers;
using Groundwork.Numerics;

namespace Groundwork.Models.Tests.Transformers;

public sealed class RopeWithFactorsTests
{
    private static float[] Vector(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
    }

    [Theory]
    [InlineData(RopeLayout.Normal)]
    [InlineData(RopeLayout.NeoX)]
    public void Unit_factors_equal_the_kernel_and_a_constant_factor_scales_the_position(RopeLayout layout)
    {
        const int heads = 3, hd = 16, pos = 37;
        var expected = Vector(heads * hd, 1);
        var actual = (float[])expected.Clone();
        Kernels.Rope(expected, heads, hd, pos, 10000f, 1f, layout);
        RopeWithFactors.Apply(actual, heads, hd, pos, 10000f, 1f, Enumerable.Repeat(1f, hd / 2).ToArray(), layout);
        Assert.Equal(expected, actual);

        // factor 4 everywhere == freqScale 1/4
        var scaled = Vector(heads * hd, 2);
        var factored = (float[])scaled.Clone();
        Kernels.Rope(scaled, heads, hd, pos, 10000f, 0.25f, layout);
        RopeWithFactors.Apply(factored, heads, hd, pos, 10000f, 1f, Enumerable.Repeat(4f, hd / 2).ToArray(), layout);
        for (int i = 0; i < scaled.Length; i++) Assert.Equal(scaled[i], factored[i], 1e-6f);
    }
}
