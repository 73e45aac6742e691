using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Groundwork.Retrieval.Vectors;

/// <summary>Distance kernels over raw node storage. Each SIMD path keeps a scalar reference beside it.</summary>
internal static unsafe class VectorKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(b, n));

    /// <summary>Dot product of a float query with half-precision codes.</summary>
    /// <remarks>Half to float by bit manipulation: magnitude bits shifted to float position and multiplied by 2^112
    /// (exact for normals and subnormals), sign ORed back. 8 lanes per Vector256; the remainder is scalar.</remarks>
    public static float DotHalf(float* q, ushort* h, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            var magic = Vector256.Create(5.192297e+33f); // 2^112
            var absMask = Vector256.Create(0x7fffu);
            var signMask = Vector256.Create(0x8000u);
            for (; i + 16 <= n; i += 16)
            {
                var raw = Vector256.Load(h + i);
                var (lo, hi) = Vector256.Widen(raw);
                acc0 = Vector256.FusedMultiplyAdd(HalfToFloat(lo, absMask, signMask, magic), Vector256.Load(q + i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(HalfToFloat(hi, absMask, signMask, magic), Vector256.Load(q + i + 8), acc1);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++) sum += (float)BitConverter.UInt16BitsToHalf(h[i]) * q[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfToFloat(Vector256<uint> bits, Vector256<uint> absMask, Vector256<uint> signMask, Vector256<float> magic)
    {
        var mag = ((bits & absMask) << 13).AsSingle() * magic;
        return (mag.AsUInt32() | ((bits & signMask) << 16)).AsSingle();
    }

    /// <summary>Integer dot product of two int8 code vectors (|x| &lt;= 127, so 16-bit products never overflow).</summary>
    public static int DotInt8(sbyte* a, sbyte* b, int n)
    {
        int i = 0;
        int sum = 0;
        if (Avx512BW.IsSupported && n >= 32)
        {
            // 32 bytes per step: sign-extend to 32 shorts, multiply-add adjacent pairs into 16 ints.
            var acc = Vector512<int>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                var x = Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i));
                var y = Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i));
                acc += Avx512BW.MultiplyAddAdjacent(x, y);
            }
            sum = Vector512.Sum(acc);
        }
        else if (Avx2.IsSupported && n >= 16)
        {
            // 16 bytes per step: sign-extend to 16 shorts, multiply-add adjacent pairs into 8 ints.
            var acc = Vector256<int>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var x = Avx2.ConvertToVector256Int16(Vector128.Load(a + i));
                var y = Avx2.ConvertToVector256Int16(Vector128.Load(b + i));
                acc += Avx2.MultiplyAddAdjacent(x, y);
            }
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 16)
        {
            // Portable: widen bytes to shorts, multiply (fits in 16 bits), widen to ints and add.
            var acc = Vector128<int>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var (xl, xh) = Vector128.Widen(Vector128.Load(a + i));
                var (yl, yh) = Vector128.Widen(Vector128.Load(b + i));
                var (p0, p1) = Vector128.Widen(xl * yl);
                var (p2, p3) = Vector128.Widen(xh * yh);
                acc += p0 + p1 + p2 + p3;
            }
            sum = Vector128.Sum(acc);
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Scalar references, used by the tests to check the SIMD paths.</summary>
    public static int DotInt8Scalar(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        int s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Quantises to int8 with a per-vector symmetric scale; returns the scale (value = code * scale).</summary>
    public static float QuantizeInt8(ReadOnlySpan<float> v, sbyte* dst)
    {
        float max = TensorPrimitives.MaxMagnitude(v);
        max = MathF.Abs(max);
        if (max == 0) { new Span<sbyte>(dst, v.Length).Clear(); return 0; }
        float inv = 127f / max;
        for (int i = 0; i < v.Length; i++) dst[i] = (sbyte)Math.Clamp(MathF.Round(v[i] * inv), -127, 127);
        return max / 127f;
    }

    public static void ToHalf(ReadOnlySpan<float> v, ushort* dst)
    {
        for (int i = 0; i < v.Length; i++) dst[i] = BitConverter.HalfToUInt16Bits((Half)v[i]);
    }
}
