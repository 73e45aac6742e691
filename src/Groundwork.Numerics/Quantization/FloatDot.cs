using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Groundwork.Numerics.Quantization;

/// <summary>Dot products and conversions for the plain float row types F32, F16 and BF16.</summary>
internal static class FloatDot
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(GgmlType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        switch (type)
        {
            case GgmlType.F32:
                return TensorPrimitives.Dot(MemoryMarshal.Cast<byte, float>(row)[..x.Length], x);
            case GgmlType.F16:
                return DotF16(MemoryMarshal.Cast<byte, Half>(row)[..x.Length], x);
            case GgmlType.BF16:
                return DotBf16(MemoryMarshal.Cast<byte, ushort>(row)[..x.Length], x);
            default:
                throw new NotSupportedException($"{type} is not a float type");
        }
    }

    /// <summary>F16 row · x: converts 16 halves per step in registers (see <see cref="HalfToSingle(Vector256{uint})"/>) and multiplies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotF16(ReadOnlySpan<Half> w, ReadOnlySpan<float> x)
    {
        var n = w.Length;
        ref var wr = ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(w));
        ref var xr = ref MemoryMarshal.GetReference(x);
        var i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            // 16 halves per step = two Vector256<float> (8 lanes each); two accumulators hide FMA latency.
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref wr, (nuint)i));
                acc0 = Vector256.FusedMultiplyAdd(HalfToSingle(lo), Vector256.LoadUnsafe(ref xr, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(HalfToSingle(hi), Vector256.LoadUnsafe(ref xr, (nuint)i + 8), acc1);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 8)
        {
            // 8 halves per step = two Vector128<float> (4 lanes each).
            var acc0 = Vector128<float>.Zero;
            var acc1 = Vector128<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref wr, (nuint)i));
                acc0 += HalfToSingle(lo) * Vector128.LoadUnsafe(ref xr, (nuint)i);
                acc1 += HalfToSingle(hi) * Vector128.LoadUnsafe(ref xr, (nuint)i + 4);
            }
            sum = Vector128.Sum(acc0 + acc1);
        }
        // Remainder (fewer than one vector step) and the scalar reference path.
        for (; i < n; i++) sum += (float)BitConverter.UInt16BitsToHalf(Unsafe.Add(ref wr, i)) * Unsafe.Add(ref xr, i);
        return sum;
    }

    /// <summary>
    /// Exact fp16 → fp32 for 8 values held in 32-bit lanes: exponent and mantissa shifted into float position and
    /// rescaled by 2^112 (this also handles subnormals), infinities/NaNs given the all-ones exponent, sign copied.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector256<uint> h)
    {
        var f = Vector256.ShiftLeft(h & Vector256.Create(0x7fffu), 13).AsSingle() * Vector256.Create(5.192296858534828e33f);
        var infNan = Vector256.Equals(h & Vector256.Create(0x7c00u), Vector256.Create(0x7c00u)) & Vector256.Create(0x7f800000u);
        return (f.AsUInt32() | infNan | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    /// <inheritdoc cref="HalfToSingle(Vector256{uint})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> HalfToSingle(Vector128<uint> h)
    {
        var f = Vector128.ShiftLeft(h & Vector128.Create(0x7fffu), 13).AsSingle() * Vector128.Create(5.192296858534828e33f);
        var infNan = Vector128.Equals(h & Vector128.Create(0x7c00u), Vector128.Create(0x7c00u)) & Vector128.Create(0x7f800000u);
        return (f.AsUInt32() | infNan | Vector128.ShiftLeft(h & Vector128.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary>Converts fp16 bits to floats with the vector conversion (the scalar loop takes the remainder).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void HalfToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        var i = 0;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= src.Length - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                HalfToSingle(lo).StoreUnsafe(ref d, (nuint)i);
                HalfToSingle(hi).StoreUnsafe(ref d, (nuint)i + 8);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= src.Length - 8; i += 8)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                HalfToSingle(lo).StoreUnsafe(ref d, (nuint)i);
                HalfToSingle(hi).StoreUnsafe(ref d, (nuint)i + 4);
            }
        }
        for (; i < src.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
    }

    /// <summary>BF16 row · x: a bf16 is the top half of a float, so widening to 32 bits and shifting left 16 converts it exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotBf16(ReadOnlySpan<ushort> w, ReadOnlySpan<float> x)
    {
        var n = w.Length;
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var xr = ref MemoryMarshal.GetReference(x);
        var i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            // 16 bf16 per step = two Vector256<float> (8 lanes each); two accumulators hide FMA latency.
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var raw = Vector256.LoadUnsafe(ref wr, (nuint)i);
                var (lo, hi) = Vector256.Widen(raw);
                acc0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(lo, 16).AsSingle(), Vector256.LoadUnsafe(ref xr, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(hi, 16).AsSingle(), Vector256.LoadUnsafe(ref xr, (nuint)i + 8), acc1);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 8)
        {
            // 8 bf16 per step = two Vector128<float> (4 lanes each).
            var acc0 = Vector128<float>.Zero;
            var acc1 = Vector128<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var raw = Vector128.LoadUnsafe(ref wr, (nuint)i);
                var (lo, hi) = Vector128.Widen(raw);
                acc0 += Vector128.ShiftLeft(lo, 16).AsSingle() * Vector128.LoadUnsafe(ref xr, (nuint)i);
                acc1 += Vector128.ShiftLeft(hi, 16).AsSingle() * Vector128.LoadUnsafe(ref xr, (nuint)i + 4);
            }
            sum = Vector128.Sum(acc0 + acc1);
        }
        // Remainder (fewer than one vector step) and the scalar reference path.
        for (; i < n; i++) sum += Bf16(Unsafe.Add(ref wr, i)) * Unsafe.Add(ref xr, i);
        return sum;
    }

    public static float Bf16(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Bf16ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        var i = 0;
        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        if (Vector256.IsHardwareAccelerated)
        {
            // 16 values per step (two 8-lane float vectors); the scalar loop takes the remainder.
            for (; i <= src.Length - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                Vector256.ShiftLeft(lo, 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
                Vector256.ShiftLeft(hi, 16).AsSingle().StoreUnsafe(ref d, (nuint)i + 8);
            }
        }
        for (; i < src.Length; i++) dst[i] = Bf16(src[i]);
    }

    /// <summary>Round-to-nearest-even float to bf16, NaN kept quiet, as ggml_compute_fp32_to_bf16.</summary>
    public static ushort ToBf16(float f)
    {
        var u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }
}
