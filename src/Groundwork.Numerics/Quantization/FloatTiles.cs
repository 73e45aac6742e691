using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Groundwork.Numerics.Quantization;

/// <summary>
/// Kernels for 16-bit float weights. Generation: F16 rows converted in registers with a shorter sequence than
/// <see cref="FloatDot.HalfToSingle(Vector256{uint})"/> (sign-extended halves, one shift and mask put sign, exponent
/// and mantissa in place), at 512 bits where the hardware has them. Prompt: rows converted to float once per tile,
/// then 4 rows × 4 activations of FMAs per step from 16 accumulators.
/// </summary>
internal static unsafe class FloatTiles
{
    /// <summary>fp16 (sign-extended to 32 bits) → fp32, exact for every bit pattern: shifted into float position and
    /// rescaled by 2^112 (this also scales subnormals right), the all-ones exponent restored for infinities and NaNs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Half512(Vector512<int> v)
    {
        var f = (Vector512.ShiftLeft(v, 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector512.Create(5.192296858534828e33f);
        var infNan = Vector512.Equals(v & Vector512.Create(0x7c00), Vector512.Create(0x7c00)) & Vector512.Create(0x7f800000);
        return (f.AsInt32() | infNan).AsSingle();
    }

    /// <inheritdoc cref="Half512"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Half256(Vector256<int> v)
    {
        var f = (Vector256.ShiftLeft(v, 13) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector256.Create(5.192296858534828e33f);
        var infNan = Vector256.Equals(v & Vector256.Create(0x7c00), Vector256.Create(0x7c00)) & Vector256.Create(0x7f800000);
        return (f.AsInt32() | infNan).AsSingle();
    }

    /// <summary>
    /// One F16 row · x (generation): 32 halves per step at 512 bits where available, converted with
    /// <see cref="Half512"/>, two accumulators. One row at a time on purpose: a 4-row version that shares the activation
    /// loads ran 2.3× faster on cache-resident matrices but 2× slower on a model's weights streamed from the mapped file
    /// (4 interleaved streams), which is the case that matters for generation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotF16Row(short* w, float* x, int cols)
    {
        var i = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && cols >= 32)
        {
            Vector512<float> a = default, b = default;
            for (; i <= cols - 32; i += 32)
            {
                var (l, h) = Vector512.Widen(Vector512.Load(w + i));
                a = Vector512.FusedMultiplyAdd(Half512(l), Vector512.Load(x + i), a);
                b = Vector512.FusedMultiplyAdd(Half512(h), Vector512.Load(x + i + 16), b);
            }
            s = Vector512.Sum(a + b);
        }
        else if (Vector256.IsHardwareAccelerated && cols >= 16)
        {
            Vector256<float> a = default, b = default;
            for (; i <= cols - 16; i += 16)
            {
                var (l, h) = Vector256.Widen(Vector256.Load(w + i));
                a = Vector256.FusedMultiplyAdd(Half256(l), Vector256.Load(x + i), a);
                b = Vector256.FusedMultiplyAdd(Half256(h), Vector256.Load(x + i + 8), b);
            }
            s = Vector256.Sum(a + b);
        }
        for (; i < cols; i++) s += Half(w[i]) * x[i];
        return s;
    }

    private static float Half(short bits) => (float)BitConverter.Int16BitsToHalf(bits);

    /// <summary>
    /// 4 × 4 tile of float rows (w, w + cols, ...) against the float values of 4 activation views: writes
    /// y[t·ldy + r]. Every loaded row vector serves 4 activations and every activation vector 4 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(float* w, ActivationView* a, float* y, nint ldy)
    {
        var cols = a->Cols;
        float* w0 = w, w1 = w + cols, w2 = w + 2 * cols, w3 = w + 3 * cols;
        float* x0 = a[0].F, x1 = a[1].F, x2 = a[2].F, x3 = a[3].F;
        var i = 0;
        Span<float> s = stackalloc float[16];
        if (Vector512.IsHardwareAccelerated && cols >= 16)
        {
            Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
            for (; i <= cols - 16; i += 16)
            {
                var v0 = Vector512.Load(x0 + i); var v1 = Vector512.Load(x1 + i);
                var v2 = Vector512.Load(x2 + i); var v3 = Vector512.Load(x3 + i);
                var r = Vector512.Load(w0 + i);
                c00 = Vector512.FusedMultiplyAdd(r, v0, c00); c01 = Vector512.FusedMultiplyAdd(r, v1, c01);
                c02 = Vector512.FusedMultiplyAdd(r, v2, c02); c03 = Vector512.FusedMultiplyAdd(r, v3, c03);
                r = Vector512.Load(w1 + i);
                c10 = Vector512.FusedMultiplyAdd(r, v0, c10); c11 = Vector512.FusedMultiplyAdd(r, v1, c11);
                c12 = Vector512.FusedMultiplyAdd(r, v2, c12); c13 = Vector512.FusedMultiplyAdd(r, v3, c13);
                r = Vector512.Load(w2 + i);
                c20 = Vector512.FusedMultiplyAdd(r, v0, c20); c21 = Vector512.FusedMultiplyAdd(r, v1, c21);
                c22 = Vector512.FusedMultiplyAdd(r, v2, c22); c23 = Vector512.FusedMultiplyAdd(r, v3, c23);
                r = Vector512.Load(w3 + i);
                c30 = Vector512.FusedMultiplyAdd(r, v0, c30); c31 = Vector512.FusedMultiplyAdd(r, v1, c31);
                c32 = Vector512.FusedMultiplyAdd(r, v2, c32); c33 = Vector512.FusedMultiplyAdd(r, v3, c33);
            }
            s[0] = Vector512.Sum(c00); s[1] = Vector512.Sum(c01); s[2] = Vector512.Sum(c02); s[3] = Vector512.Sum(c03);
            s[4] = Vector512.Sum(c10); s[5] = Vector512.Sum(c11); s[6] = Vector512.Sum(c12); s[7] = Vector512.Sum(c13);
            s[8] = Vector512.Sum(c20); s[9] = Vector512.Sum(c21); s[10] = Vector512.Sum(c22); s[11] = Vector512.Sum(c23);
            s[12] = Vector512.Sum(c30); s[13] = Vector512.Sum(c31); s[14] = Vector512.Sum(c32); s[15] = Vector512.Sum(c33);
        }
        else if (Vector256.IsHardwareAccelerated && cols >= 8)
        {
            Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
            for (; i <= cols - 8; i += 8)
            {
                var v0 = Vector256.Load(x0 + i); var v1 = Vector256.Load(x1 + i);
                var v2 = Vector256.Load(x2 + i); var v3 = Vector256.Load(x3 + i);
                var r = Vector256.Load(w0 + i);
                c00 = Vector256.FusedMultiplyAdd(r, v0, c00); c01 = Vector256.FusedMultiplyAdd(r, v1, c01);
                c02 = Vector256.FusedMultiplyAdd(r, v2, c02); c03 = Vector256.FusedMultiplyAdd(r, v3, c03);
                r = Vector256.Load(w1 + i);
                c10 = Vector256.FusedMultiplyAdd(r, v0, c10); c11 = Vector256.FusedMultiplyAdd(r, v1, c11);
                c12 = Vector256.FusedMultiplyAdd(r, v2, c12); c13 = Vector256.FusedMultiplyAdd(r, v3, c13);
                r = Vector256.Load(w2 + i);
                c20 = Vector256.FusedMultiplyAdd(r, v0, c20); c21 = Vector256.FusedMultiplyAdd(r, v1, c21);
                c22 = Vector256.FusedMultiplyAdd(r, v2, c22); c23 = Vector256.FusedMultiplyAdd(r, v3, c23);
                r = Vector256.Load(w3 + i);
                c30 = Vector256.FusedMultiplyAdd(r, v0, c30); c31 = Vector256.FusedMultiplyAdd(r, v1, c31);
                c32 = Vector256.FusedMultiplyAdd(r, v2, c32); c33 = Vector256.FusedMultiplyAdd(r, v3, c33);
            }
            s[0] = Vector256.Sum(c00); s[1] = Vector256.Sum(c01); s[2] = Vector256.Sum(c02); s[3] = Vector256.Sum(c03);
            s[4] = Vector256.Sum(c10); s[5] = Vector256.Sum(c11); s[6] = Vector256.Sum(c12); s[7] = Vector256.Sum(c13);
            s[8] = Vector256.Sum(c20); s[9] = Vector256.Sum(c21); s[10] = Vector256.Sum(c22); s[11] = Vector256.Sum(c23);
            s[12] = Vector256.Sum(c30); s[13] = Vector256.Sum(c31); s[14] = Vector256.Sum(c32); s[15] = Vector256.Sum(c33);
        }
        else s.Clear();
        // Remainder (fewer than one vector step) and the scalar reference path.
        for (; i < cols; i++)
        {
            float u0 = x0[i], u1 = x1[i], u2 = x2[i], u3 = x3[i];
            for (var r = 0; r < 4; r++)
            {
                var wr = w[r * cols + i];
                s[4 * r] += wr * u0; s[4 * r + 1] += wr * u1; s[4 * r + 2] += wr * u2; s[4 * r + 3] += wr * u3;
            }
        }
        for (var r = 0; r < 4; r++)
            for (var t = 0; t < 4; t++) y[t * ldy + r] = s[4 * r + t];
    }
}
