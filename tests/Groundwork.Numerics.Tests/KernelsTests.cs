namespace Groundwork.Numerics.Tests;

public sealed class KernelsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(576)]
    public void RmsNorm_matches_the_formula(int n)
    {
        var x = TestData.Normal(n, seed: n);
        var g = TestData.Normal(n, seed: n + 1);
        var y = new float[n];
        Kernels.RmsNorm(x, g, 1e-5f, y);
        double ss = 0;
        foreach (var v in x) ss += (double)v * v;
        var scale = 1 / Math.Sqrt(ss / n + 1e-5);
        for (var i = 0; i < n; i++) Assert.Equal(x[i] * scale * g[i], y[i], 1e-5 * Math.Max(1, Math.Abs(x[i] * scale * g[i])));
        // In place.
        Kernels.RmsNorm(x, g, 1e-5f, x);
        Assert.Equal(y, x);
    }

    [Fact]
    public void Softmax_is_stable_for_huge_inputs_and_handles_negative_infinity()
    {
        float[] x = [1e30f, 1e30f, -1e30f, float.NegativeInfinity];
        Kernels.SoftmaxInPlace(x);
        Assert.Equal([0.5f, 0.5f, 0f, 0f], x);

        float[] big = [1000f, 1001f, 1002f];
        Kernels.SoftmaxInPlace(big);
        double e0 = Math.Exp(-2), e1 = Math.Exp(-1), z = e0 + e1 + 1;
        Assert.Equal(e0 / z, big[0], 1e-6);
        Assert.Equal(e1 / z, big[1], 1e-6);
        Assert.Equal(1 / z, big[2], 1e-6);

        float[] masked = [float.NegativeInfinity, 0f, float.NegativeInfinity];
        Kernels.SoftmaxInPlace(masked);
        Assert.Equal([0f, 1f, 0f], masked);

        float[] allMasked = [float.NegativeInfinity, float.NegativeInfinity];
        Kernels.SoftmaxInPlace(allMasked);
        Assert.Equal([0.5f, 0.5f], allMasked);

        Kernels.SoftmaxInPlace([]);
    }

    [Theory]
    [InlineData(RopeLayout.Normal)]
    [InlineData(RopeLayout.NeoX)]
    public void Rope_rotates_the_right_pairs_by_the_right_angle(RopeLayout layout)
    {
        const int heads = 3, dim = 64, pos = 17;
        const float fbase = 10000f, fscale = 0.5f;
        var x = TestData.Normal(heads * dim, seed: 2);
        var y = (float[])x.Clone();
        Kernels.Rope(y, heads, dim, pos, fbase, fscale, layout);
        for (var h = 0; h < heads; h++)
        {
            for (var k = 0; k < dim / 2; k++)
            {
                var theta = pos * fscale * Math.Pow(fbase, -2.0 * k / dim);
                var (i0, i1) = layout == RopeLayout.NeoX ? (h * dim + k, h * dim + k + dim / 2) : (h * dim + 2 * k, h * dim + 2 * k + 1);
                var e0 = x[i0] * Math.Cos(theta) - x[i1] * Math.Sin(theta);
                var e1 = x[i0] * Math.Sin(theta) + x[i1] * Math.Cos(theta);
                Assert.Equal(e0, y[i0], 1e-5);
                Assert.Equal(e1, y[i1], 1e-5);
            }
        }
    }

    [Fact]
    public void Rope_at_position_zero_is_identity_and_layouts_differ()
    {
        var x = TestData.Normal(128, seed: 8);
        var y = (float[])x.Clone();
        Kernels.Rope(y, 2, 64, 0, 10000f, 1f, RopeLayout.NeoX);
        Assert.Equal(x, y);
        var a = (float[])x.Clone();
        var b = (float[])x.Clone();
        Kernels.Rope(a, 2, 64, 3, 10000f, 1f, RopeLayout.Normal);
        Kernels.Rope(b, 2, 64, 3, 10000f, 1f, RopeLayout.NeoX);
        Assert.NotEqual(a, b);
        Assert.Throws<ArgumentException>(() => Kernels.Rope(a, 2, 63, 3, 10000f, 1f, RopeLayout.Normal));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(1536)]
    public void SwiGlu_matches_the_formula_also_in_place(int n)
    {
        var g = TestData.Normal(n, seed: 1, std: 4);
        var u = TestData.Normal(n, seed: 2);
        var y = new float[n];
        Kernels.SwiGlu(g, u, y);
        for (var i = 0; i < n; i++)
        {
            var e = g[i] / (1 + Math.Exp(-g[i])) * u[i];
            Assert.Equal(e, y[i], 1e-5 * Math.Max(1, Math.Abs(e)));
        }
        var gi = (float[])g.Clone();
        Kernels.SwiGlu(gi, u, gi);
        Assert.Equal(y, gi);
        var ui = (float[])u.Clone();
        Kernels.SwiGlu(g, ui, ui);
        Assert.Equal(y, ui);
    }

    [Fact]
    public void Small_helpers_compute_what_they_say()
    {
        float[] a = [1, 2, 3], b = [4, 5, 6];
        var y = new float[3];
        Kernels.Add(a, b, y);
        Assert.Equal([5f, 7f, 9f], y);
        Kernels.AddInPlace(y, a);
        Assert.Equal([6f, 9f, 12f], y);
        Kernels.Multiply(a, b, y);
        Assert.Equal([4f, 10f, 18f], y);
        Kernels.ScaleInPlace(y, 0.5f);
        Assert.Equal([2f, 5f, 9f], y);
        Assert.Equal(32f, Kernels.Dot(a, b));
        Kernels.MultiplyAddInPlace(a, 2f, y);
        Assert.Equal([4f, 9f, 15f], y);
        Assert.Equal(2, Kernels.ArgMax(b));
        Assert.Equal(-1, Kernels.ArgMax([]));
    }
}
