using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Groundwork.Numerics.Quantization;

/// <summary>Symmetric 8-bit quantization of activations (values in -127..127, one float scale per block).</summary>
internal static class ActivationQuantizer
{
    /// <summary>Q8_0-style blocks of 32: q, d per block and s = d·Σq per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize32(ReadOnlySpan<float> x, Span<sbyte> q, Span<float> d, Span<float> s)
    {
        for (var b = 0; b < x.Length / 32; b++)
        {
            var sum = QuantizeBlock(x.Slice(b * 32, 32), q.Slice(b * 32, 32), out var scale);
            d[b] = scale;
            s[b] = scale * sum;
        }
    }

    /// <summary>Q8_K-style blocks of 256: q, d per block and the sum of each 16 quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize256(ReadOnlySpan<float> x, Span<sbyte> q, Span<float> d, Span<short> bsums)
    {
        for (var b = 0; b < x.Length / 256; b++)
        {
            var qb = q.Slice(b * 256, 256);
            QuantizeBlock(x.Slice(b * 256, 256), qb, out d[b]);
            for (var k = 0; k < 16; k++)
            {
                var sum = 0;
                for (var i = 0; i < 16; i++) sum += qb[k * 16 + i];
                bsums[b * 16 + k] = (short)sum;
            }
        }
    }

    /// <summary>Quantizes one block with scale max|x|/127, rounding to nearest; returns the sum of the quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int QuantizeBlock(ReadOnlySpan<float> x, Span<sbyte> q, out float scale)
    {
        var amax = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x);
        amax = MathF.Abs(amax);
        scale = amax / 127f;
        var id = amax != 0 ? 127f / amax : 0f;
        var n = x.Length;
        var i = 0;
        var sum = 0;
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var qr = ref MemoryMarshal.GetReference(q);
        if (Vector256.IsHardwareAccelerated)
        {
            // 32 floats per step (four 8-lane vectors) narrowed int32 -> int16 -> int8 into one 32-byte store;
            // block sizes are multiples of 32 so there is no remainder.
            var vid = Vector256.Create(id);
            var acc = Vector256<int>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var i0 = Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref xr, (nuint)i) * vid));
                var i1 = Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref xr, (nuint)i + 8) * vid));
                var i2 = Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref xr, (nuint)i + 16) * vid));
                var i3 = Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref xr, (nuint)i + 24) * vid));
                acc += (i0 + i1) + (i2 + i3);
                Vector256.Narrow(Vector256.Narrow(i0, i1), Vector256.Narrow(i2, i3)).StoreUnsafe(ref qr, (nuint)i);
            }
            sum = Vector256.Sum(acc);
        }
        // Scalar reference path and remainder.
        for (; i < n; i++)
        {
            var v = (int)MathF.Round(Unsafe.Add(ref xr, i) * id);
            Unsafe.Add(ref qr, i) = (sbyte)v;
            sum += v;
        }
        return sum;
    }
}
