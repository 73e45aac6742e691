using Groundwork.Numerics;
using Groundwork.Training.Model;
using L = Groundwork.Training.Model.Layers<double>;

namespace Groundwork.Training.Tests;

/// <summary>
/// Each layer's backward against central finite differences in float64: loss = Σ out ⊙ R for a random R, so the
/// analytic input gradient is the backward of R. Relative error = ‖g − g_fd‖ / ‖g_fd‖.
/// </summary>
public sealed class LayerGradientTests
{
    private const double Tolerance = 1e-6; // measured 1e-9 .. 1e-10 in float64

    private static double[] Rand(Random rng, int n, double scale = 1) => Enumerable.Range(0, n).Select(_ => (rng.NextDouble() * 2 - 1) * scale).ToArray();

    private static double RelErr(double[] g, double[] fd)
    {
        double num = 0, den = 0;
        for (int i = 0; i < g.Length; i++) { num += (g[i] - fd[i]) * (g[i] - fd[i]); den += fd[i] * fd[i]; }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-30);
    }

    /// <summary>Finite-difference gradient of f at x (x restored after).</summary>
    internal static double[] Numeric(double[] x, Func<double> f, double h = 1e-5)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h; double fp = f();
            x[i] = keep - h; double fm = f();
            x[i] = keep;
            g[i] = (fp - fm) / (2 * h);
        }

        return g;
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();

    [Fact]
    public void RmsNorm_backward_matches_finite_differences()
    {
        var rng = new Random(1);
        int n = 3, d = 16;
        var x = Rand(rng, n * d); var w = Rand(rng, d); var r = Rand(rng, n * d);
        double F() { var y = new double[n * d]; L.RmsNormForward(x, w, 1e-5, y, new double[n], n); return Dot(y, r); }
        var inv = new double[n]; L.RmsNormForward(x, w, 1e-5, new double[n * d], inv, n);
        var dx = new double[n * d]; var dw = new double[d];
        L.RmsNormBackward(r, x, w, inv, dx, n, dw);
        Assert.True(RelErr(dx, Numeric(x, F)) < Tolerance);
        Assert.True(RelErr(dw, Numeric(w, F)) < Tolerance);
    }

    [Theory]
    [InlineData(RopeLayout.Normal)]
    [InlineData(RopeLayout.NeoX)]
    public void Rope_backward_matches_finite_differences(RopeLayout layout)
    {
        var rng = new Random(2);
        int heads = 2, hd = 8;
        var x = Rand(rng, heads * hd); var r = Rand(rng, heads * hd);
        double F() { var y = (double[])x.Clone(); L.Rope(y, heads, hd, 5, 10000f, 1f, null, layout, false); return Dot(y, r); }
        var g = (double[])r.Clone();
        L.Rope(g, heads, hd, 5, 10000f, 1f, null, layout, true);
        Assert.True(RelErr(g, Numeric(x, F)) < Tolerance);
        // And the runtime's float kernel rotates the same way as the training forward.
        var f32 = x.Select(v => (float)v).ToArray(); var ours = (double[])x.Clone();
        Kernels.Rope(f32, heads, hd, 5, 10000f, 1f, layout);
        L.Rope(ours, heads, hd, 5, 10000f, 1f, null, layout, false);
        for (int i = 0; i < f32.Length; i++) Assert.Equal(ours[i], f32[i], 1e-5);
    }

    [Fact]
    public void Attention_backward_matches_finite_differences_with_gqa_and_packing()
    {
        var rng = new Random(3);
        int n = 6, heads = 4, kvHeads = 2, hd = 4;
        int[] seg = [0, 0, 0, 3, 3, 3]; // two packed documents
        var q = Rand(rng, n * heads * hd); var k = Rand(rng, n * kvHeads * hd); var v = Rand(rng, n * kvHeads * hd);
        var r = Rand(rng, n * heads * hd);
        double F() { var o = new double[n * heads * hd]; L.AttentionForward(q, k, v, seg, n, heads, kvHeads, hd, new double[heads * n * n], o); return Dot(o, r); }
        var probs = new double[heads * n * n];
        L.AttentionForward(q, k, v, seg, n, heads, kvHeads, hd, probs, new double[n * heads * hd]);
        var dq = new double[q.Length]; var dk = new double[k.Length]; var dv = new double[v.Length];
        L.AttentionBackward(r, q, k, v, probs, seg, n, heads, kvHeads, hd, dq, dk, dv);
        Assert.True(RelErr(dq, Numeric(q, F)) < Tolerance);
        Assert.True(RelErr(dk, Numeric(k, F)) < Tolerance);
        Assert.True(RelErr(dv, Numeric(v, F)) < Tolerance);
        // The causal mask and the document boundary hold: token 3 attends to itself only.
        Assert.Equal(1.0, probs[(0 * n + 3) * n + 3], 12);
    }

    [Fact]
    public void SwiGlu_backward_matches_finite_differences()
    {
        var rng = new Random(4);
        int n = 20;
        var g = Rand(rng, n, 3); var u = Rand(rng, n); var r = Rand(rng, n);
        double F() { var h = new double[n]; L.SwiGluForward(g, u, h); return Dot(h, r); }
        var dg = new double[n]; var du = new double[n];
        L.SwiGluBackward(r, g, u, dg, du);
        Assert.True(RelErr(dg, Numeric(g, F)) < Tolerance);
        Assert.True(RelErr(du, Numeric(u, F)) < Tolerance);
    }

    [Fact]
    public void CrossEntropy_gradient_matches_finite_differences_and_masks()
    {
        var rng = new Random(5);
        int n = 3, vocab = 7;
        var logits = Rand(rng, n * vocab, 2);
        int[] targets = [2, -1, 6];
        double F() => L.CrossEntropyForwardBackward((double[])logits.Clone(), targets, vocab, 1.0);
        var g = (double[])logits.Clone();
        L.CrossEntropyForwardBackward(g, targets, vocab, 1.0);
        Assert.True(RelErr(g, Numeric(logits, F)) < Tolerance);
        Assert.All(g.AsSpan(vocab, vocab).ToArray(), v => Assert.Equal(0.0, v)); // masked row: no gradient
    }

    [Fact]
    public async Task Frozen_linear_and_embedding_backward_match_finite_differences()
    {
        using var dir = Groundwork.Testing.TestPaths.CreateTempDir();
        var path = await RandomModels.WriteAsync(dir.Path, "llama", 7);
        var (file, w) = RandomModels.Open(path);
        using var _ = file;
        var m = w.Layers[0].Proj[(int)LoraTarget.Down]; // [32, 64]
        var rng = new Random(6);
        int n = 5;
        var x = Rand(rng, n * m.Cols); var r = Rand(rng, n * m.Rows);
        double F() { var y = new double[n * m.Rows]; m.Forward(x, y, n); return Dot(y, r); }
        var dx = new double[x.Length];
        m.BackwardInput(r, dx, n);
        Assert.True(RelErr(dx, Numeric(x, F)) < Tolerance);

        // Embedding: lookup then scatter-add.
        int[] tokens = [3, 9, 3];
        var emb = new double[tokens.Length * w.Config.EmbeddingLength];
        L.EmbeddingForward(w.TokenEmbedding, tokens, emb);
        var dEmb = new double[w.Config.VocabSize * w.Config.EmbeddingLength];
        var ones = Enumerable.Repeat(1.0, emb.Length).ToArray();
        L.EmbeddingBackward(tokens, ones, dEmb, w.Config.EmbeddingLength);
        Assert.Equal(2.0, dEmb[3 * w.Config.EmbeddingLength]);
        Assert.Equal(1.0, dEmb[9 * w.Config.EmbeddingLength]);
        Assert.Equal(0.0, dEmb[4 * w.Config.EmbeddingLength]);
    }
}
