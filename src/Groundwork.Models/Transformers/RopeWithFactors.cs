using Groundwork.Numerics;

namespace Groundwork.Models.Transformers;

/// <summary>
/// RoPE with per-pair frequency factors (Llama 3.1+ files carry <c>rope_freqs.weight</c> [headDim/2]): pair k turns by
/// position · freqScale · freqBase^(-2k/headDim) / factor[k], as ggml's rope with freq_factors does.
/// Stop-gap until <see cref="Kernels.Rope"/> takes frequency factors; same arithmetic as that kernel otherwise.
/// </summary>
internal static class RopeWithFactors
{
    [ThreadStatic] private static float[]? t_table;

    public static void Apply(Span<float> headsVector, int headCount, int headDim, int position, float freqBase, float freqScale,
        ReadOnlySpan<float> factors, RopeLayout layout)
    {
        int half = headDim / 2;
        if (factors.Length < half) throw new ArgumentException($"RoPE frequency factors: {factors.Length} values, {half} needed", nameof(factors));
        var table = t_table is { } t && t.Length >= headDim ? t : (t_table = new float[Math.Max(headDim, 128)]);
        var cos = table.AsSpan(0, half);
        var sin = table.AsSpan(half, half);
        for (int k = 0; k < half; k++)
        {
            double theta = position * (double)freqScale * Math.Pow(freqBase, -2.0 * k / headDim) / factors[k];
            cos[k] = (float)Math.Cos(theta);
            sin[k] = (float)Math.Sin(theta);
        }

        for (int h = 0; h < headCount; h++)
        {
            var v = headsVector.Slice(h * headDim, headDim);
            for (int k = 0; k < half; k++)
            {
                // NeoX pairs (k, k + half); normal pairs (2k, 2k + 1).
                int a = layout == RopeLayout.NeoX ? k : 2 * k;
                int b = layout == RopeLayout.NeoX ? k + half : 2 * k + 1;
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * cos[k] - x1 * sin[k];
                v[b] = x0 * sin[k] + x1 * cos[k];
            }
        }
    }
}
