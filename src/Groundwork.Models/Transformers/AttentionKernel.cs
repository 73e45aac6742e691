using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Groundwork.Models.Transformers;

/// <summary>
/// One query head against the cached keys and values of its KV head: scores = q·k_t·scale over positions
/// 0..count-1, softmax, output = Σ_t p_t·v_t. The weighted sum keeps 32 output dimensions in registers across all
/// positions instead of one span-library multiply-add per position (a 512-token prefill makes ~10⁵ such calls per
/// head and layer, where the call and the load/store of the output, not arithmetic, were the cost). Each output
/// element is the same chain as before, round(p_t·v_t) added in order of t, whatever the vector width, so results are
/// unchanged; single-token decoding and the batched prefill both use this and stay identical.
/// </summary>
internal static unsafe class AttentionKernel
{
    /// <param name="q">The query head [hd].</param>
    /// <param name="k">Key of position 0 of this KV head; position t is at k + t·stride.</param>
    /// <param name="v">Value of position 0, same layout.</param>
    /// <param name="stride">Floats between consecutive positions (the KV dimension).</param>
    /// <param name="count">Positions attended (pos + 1).</param>
    /// <param name="hd">Head dimension.</param>
    /// <param name="scale">Score scale (1/√hd).</param>
    /// <param name="scores">Scratch of at least <paramref name="count"/> floats.</param>
    /// <param name="output">The head's output [hd].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend(float* q, float* k, float* v, int stride, int count, int hd, float scale, Span<float> scores, float* output)
    {
        var s = scores[..count];
        fixed (float* sp = s)
        {
            // Scores through the span library's dot (its summation order is what the golden-logit tests were fitted
            // with; a different order moves logits by the 8-bit rounding of later activations).
            var qs = new ReadOnlySpan<float>(q, hd);
            for (var t = 0; t < count; t++) sp[t] = System.Numerics.Tensors.TensorPrimitives.Dot(qs, new ReadOnlySpan<float>(k + (long)t * stride, hd)) * scale;
            Groundwork.Numerics.Kernels.SoftmaxInPlace(s);
            WeightedSum(sp, v, stride, count, hd, output);
        }
    }

    /// <summary>output[j] = Σ_t p[t]·v_t[j], 32 dimensions at a time in registers across all positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedSum(float* p, float* v, int stride, int count, int hd, float* output)
    {
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= hd - 32; j += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var row = v + j;
                for (var t = 0; t < count; t++, row += stride)
                {
                    var w = Vector256.Create(p[t]);
                    a0 = a0 + Vector256.Load(row) * w;
                    a1 = a1 + Vector256.Load(row + 8) * w;
                    a2 = a2 + Vector256.Load(row + 16) * w;
                    a3 = a3 + Vector256.Load(row + 24) * w;
                }
                a0.Store(output + j);
                a1.Store(output + j + 8);
                a2.Store(output + j + 16);
                a3.Store(output + j + 24);
            }
            for (; j <= hd - 8; j += 8)
            {
                var a0 = Vector256<float>.Zero;
                var row = v + j;
                for (var t = 0; t < count; t++, row += stride) a0 += Vector256.Load(row) * Vector256.Create(p[t]);
                a0.Store(output + j);
            }
        }
        for (; j < hd; j++)
        {
            float a = 0;
            for (var t = 0; t < count; t++) a += v[(long)t * stride + j] * p[t];
            output[j] = a;
        }
    }
}
