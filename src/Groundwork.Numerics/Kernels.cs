using System.Numerics.Tensors;

namespace Groundwork.Numerics;

/// <summary>Element-wise and normalization kernels of a transformer forward pass, on spans.</summary>
public static class Kernels
{
    [ThreadStatic] private static float[]? t_rope;

    /// <summary>y = x / sqrt(mean(x²) + eps) ⊙ weight (RMSNorm). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        var n = x.Length;
        if (weight.Length < n || y.Length < n) throw new ArgumentException($"RmsNorm: x has {n} values, weight {weight.Length}, y {y.Length}");
        if (n == 0) return;
        var ss = TensorPrimitives.Dot(x, x);
        var scale = 1f / MathF.Sqrt(ss / n + eps);
        TensorPrimitives.Multiply(x, scale, y[..n]);
        TensorPrimitives.Multiply(y[..n], weight[..n], y[..n]);
    }

    /// <summary>
    /// Softmax in place, numerically stable: subtracts the maximum first, so huge inputs do not overflow; -∞ entries
    /// become 0. If every entry is -∞ the result is uniform.
    /// </summary>
    public static void SoftmaxInPlace(Span<float> x)
    {
        if (x.IsEmpty) return;
        var max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max))
        {
            x.Fill(1f / x.Length);
            return;
        }
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        var sum = TensorPrimitives.Sum(x);
        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    /// <summary>
    /// Rotary position embedding of all <paramref name="headCount"/> heads of one token in place: pair k of each head
    /// turns by position · freqScale · freqBase^(-2k/headDim).
    /// </summary>
    public static void Rope(Span<float> headsVector, int headCount, int headDim, int position, float freqBase, float freqScale, RopeLayout layout)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"RoPE head dimension {headDim} must be positive and even", nameof(headDim));
        if (headsVector.Length < (long)headCount * headDim) throw new ArgumentException($"RoPE: {headCount} heads × {headDim} need {headCount * headDim} values, got {headsVector.Length}");
        var half = headDim / 2;
        var table = t_rope is { } t && t.Length >= headDim ? t : (t_rope = new float[Math.Max(headDim, 128)]);
        var cos = table.AsSpan(0, half);
        var sin = table.AsSpan(half, half);
        for (var k = 0; k < half; k++)
        {
            var theta = position * (double)freqScale * Math.Pow(freqBase, -2.0 * k / headDim);
            cos[k] = (float)Math.Cos(theta);
            sin[k] = (float)Math.Sin(theta);
        }
        for (var h = 0; h < headCount; h++)
        {
            var v = headsVector.Slice(h * headDim, headDim);
            if (layout == RopeLayout.NeoX)
            {
                for (var k = 0; k < half; k++)
                {
                    float x0 = v[k], x1 = v[k + half];
                    v[k] = x0 * cos[k] - x1 * sin[k];
                    v[k + half] = x0 * sin[k] + x1 * cos[k];
                }
            }
            else
            {
                for (var k = 0; k < half; k++)
                {
                    float x0 = v[2 * k], x1 = v[2 * k + 1];
                    v[2 * k] = x0 * cos[k] - x1 * sin[k];
                    v[2 * k + 1] = x0 * sin[k] + x1 * cos[k];
                }
            }
        }
    }

    /// <summary>y = silu(gate) ⊙ up, silu(g) = g·sigmoid(g). <paramref name="y"/> may alias either input.</summary>
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        var n = gate.Length;
        if (up.Length < n || y.Length < n) throw new ArgumentException($"SwiGlu: gate has {n} values, up {up.Length}, y {y.Length}");
        // Chunks through a stack buffer so y may be exactly gate or up: t = sigmoid(g)·g·u is complete before y is written.
        Span<float> t = stackalloc float[256];
        for (var i = 0; i < n; i += t.Length)
        {
            var m = Math.Min(t.Length, n - i);
            var tt = t[..m];
            var g = gate.Slice(i, m);
            TensorPrimitives.Sigmoid(g, tt);
            TensorPrimitives.Multiply(tt, g, tt);
            TensorPrimitives.Multiply(tt, up.Slice(i, m), y.Slice(i, m));
        }
    }

    /// <summary>y = a + b.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <summary>y += x (residual connection).</summary>
    public static void AddInPlace(Span<float> y, ReadOnlySpan<float> x) => TensorPrimitives.Add(y, x, y);

    /// <summary>y = a ⊙ b.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);

    /// <summary>x *= s.</summary>
    public static void ScaleInPlace(Span<float> x, float s) => TensorPrimitives.Multiply(x, s, x);

    /// <summary>Dot product of two float vectors.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>y = a·x + y (AXPY), e.g. attention's weighted sum of values.</summary>
    public static void MultiplyAddInPlace(ReadOnlySpan<float> x, float a, Span<float> y) => TensorPrimitives.MultiplyAdd(x, a, y, y);

    /// <summary>Index of the largest value (first on ties); -1 for an empty span.</summary>
    public static int ArgMax(ReadOnlySpan<float> x) => x.IsEmpty ? -1 : TensorPrimitives.IndexOfMax(x);
}
