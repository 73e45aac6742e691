using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Groundwork.Numerics.Quantization;

/// <summary>Which instruction-set path the row kernels may use; tests lower it to exercise every path on one machine.</summary>
internal enum KernelIsa
{
    Scalar = 0,
    Vector128 = 1,
    Vector256 = 2,
}

/// <summary>
/// Row · activation kernels. Quantized rows multiply with 8-bit activations in integers (llama.cpp's scheme): 32-element
/// block types against Q8_0-style activations, K-quants against Q8_K-style ones. Each type has a scalar reference
/// kernel; the SIMD kernels live in <see cref="SimdDot"/>. Kernels are marked AggressiveOptimization: tier-0 code of
/// these loops is 10-50× slower, and under CPU contention tiering can take seconds to replace it.
/// </summary>
internal static unsafe class RowDot
{
    [ThreadStatic] private static KernelIsa? t_maxIsa;

    /// <summary>The widest path the kernels may take on this thread (capped by the hardware); tests lower it. Kernels
    /// are chosen on the calling thread, so workers follow the caller's setting.</summary>
    internal static KernelIsa MaxIsa
    {
        get => t_maxIsa ?? KernelIsa.Vector256;
        set => t_maxIsa = value;
    }

    /// <summary>The path actually taken for integer kernels on this machine and settings.</summary>
    internal static KernelIsa ActiveIsa =>
        MaxIsa >= KernelIsa.Vector256 && SimdDot.Has256 ? KernelIsa.Vector256
        : MaxIsa >= KernelIsa.Vector128 && SimdDot.Has128 ? KernelIsa.Vector128
        : KernelIsa.Scalar;

    public static bool Supports(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>0 for float rows, 32 for Q8_0-style activations, 256 for Q8_K-style.</summary>
    public static int ActivationKind(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 0,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 => 32,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => 256,
        _ => throw new NotSupportedException($"matrix products with {type} rows are not supported (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K)"),
    };

    [ThreadStatic] private static PreparedActivations? t_scratch;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(GgmlType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        var need = GgmlTypeInfo.RowBytes(type, x.Length);
        if (row.Length < need) throw new ArgumentException($"a {type} row of {x.Length} elements needs {need} bytes, got {row.Length}", nameof(row));
        if (ActivationKind(type) == 0) return FloatDot.Dot(type, row, x);
        if (x.IsEmpty) return 0;
        var prep = t_scratch ??= new PreparedActivations();
        prep.Load(x);
        var view = prep.View(0, type);
        fixed (byte* w = row) return Kernel(type)(w, &view);
    }

    /// <summary>The row kernel for <paramref name="type"/> at the current <see cref="ActiveIsa"/>.</summary>
    public static delegate*<byte*, ActivationView*, float> Kernel(GgmlType type)
    {
        var isa = ActiveIsa;
        return type switch
        {
            GgmlType.F32 => &DotF32,
            GgmlType.F16 => &DotF16,
            GgmlType.BF16 => &DotBf16,
            GgmlType.Q8_0 => isa == KernelIsa.Vector256 ? &SimdDot.Q8_0_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q8_0_128 : &Q8_0,
            GgmlType.Q4_0 => isa == KernelIsa.Vector256 ? &SimdDot.Q4_0_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q4_0_128 : &Q4_0,
            GgmlType.Q4_1 => isa == KernelIsa.Vector256 ? &SimdDot.Q4_1_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q4_1_128 : &Q4_1,
            GgmlType.Q5_0 => isa == KernelIsa.Vector256 ? &SimdDot.Q5_0_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q5_0_128 : &Q5_0,
            GgmlType.Q5_1 => isa == KernelIsa.Vector256 ? &SimdDot.Q5_1_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q5_1_128 : &Q5_1,
            GgmlType.Q4_K => isa == KernelIsa.Vector256 ? &SimdDot.Q4_K_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q4_K_128 : &Q4_K,
            GgmlType.Q6_K => isa == KernelIsa.Vector256 ? &SimdDot.Q6_K_256 : isa == KernelIsa.Vector128 ? &SimdDot.Q6_K_128 : &Q6_K,
            GgmlType.Q5_K => isa == KernelIsa.Vector256 ? &SimdDot.Q5_K_256 : &Q5_K, // no 128-bit version yet: scalar
            GgmlType.Q3_K => &Q3_K,
            GgmlType.Q2_K => &Q2_K,
            _ => throw new NotSupportedException($"matrix products with {type} rows are not supported"),
        };
    }

    internal static float Half(byte* p) => (float)BitConverter.UInt16BitsToHalf(Unsafe.ReadUnaligned<ushort>(p));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotF32(byte* w, ActivationView* a) => FloatDot.Dot(GgmlType.F32, new ReadOnlySpan<byte>(w, a->Cols * 4), new ReadOnlySpan<float>(a->F, a->Cols));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotF16(byte* w, ActivationView* a) => FloatDot.DotF16(new ReadOnlySpan<Half>(w, a->Cols), new ReadOnlySpan<float>(a->F, a->Cols));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotBf16(byte* w, ActivationView* a) => FloatDot.DotBf16(new ReadOnlySpan<ushort>(w, a->Cols), new ReadOnlySpan<float>(a->F, a->Cols));

    // ---- scalar reference kernels: 32-element blocks against Q8_0-style activations (q, d, s = d·Σq) ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q8_0(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 32;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 34)
        {
            var q = a->Q + b * 32;
            var qs = (sbyte*)(w + 2);
            var isum = 0;
            for (var j = 0; j < 32; j++) isum += qs[j] * q[j];
            sum += Half(w) * a->D[b] * isum;
        }
        return sum;
    }

    // Σ (q-8)·a = Σ q·a - 8·Σa, and d_a·Σa is the precomputed s.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q4_0(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 32;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 18)
        {
            var q = a->Q + b * 32;
            var isum = 0;
            for (var j = 0; j < 16; j++) isum += (w[2 + j] & 0xF) * q[j] + (w[2 + j] >> 4) * q[j + 16];
            var d = Half(w);
            sum += d * a->D[b] * isum - 8 * d * a->S[b];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q4_1(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 32;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 20)
        {
            var q = a->Q + b * 32;
            var isum = 0;
            for (var j = 0; j < 16; j++) isum += (w[4 + j] & 0xF) * q[j] + (w[4 + j] >> 4) * q[j + 16];
            sum += Half(w) * a->D[b] * isum + Half(w + 2) * a->S[b];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q5_0(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 32;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 22)
        {
            var q = a->Q + b * 32;
            var qh = Unsafe.ReadUnaligned<uint>(w + 2);
            var isum = 0;
            for (var j = 0; j < 16; j++)
            {
                var lo = (w[6 + j] & 0xF) | (int)(((qh >> j) & 1) << 4);
                var hi = (w[6 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
                isum += lo * q[j] + hi * q[j + 16];
            }
            var d = Half(w);
            sum += d * a->D[b] * isum - 16 * d * a->S[b];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q5_1(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 32;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 24)
        {
            var q = a->Q + b * 32;
            var qh = Unsafe.ReadUnaligned<uint>(w + 4);
            var isum = 0;
            for (var j = 0; j < 16; j++)
            {
                var lo = (w[8 + j] & 0xF) | (int)(((qh >> j) & 1) << 4);
                var hi = (w[8 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
                isum += lo * q[j] + hi * q[j + 16];
            }
            sum += Half(w) * a->D[b] * isum + Half(w + 2) * a->S[b];
        }
        return sum;
    }

    // ---- scalar reference kernels: K-quants against Q8_K-style activations (q, d per 256, sums per 16) ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q4_K(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 256;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 144)
        {
            var q = a->Q + b * 256;
            var bs = a->Bsums + b * 16;
            var scales = new ReadOnlySpan<byte>(w + 4, 12);
            var qs = w + 16;
            int isum = 0, msum = 0;
            for (var j = 0; j < 4; j++)
            {
                BlockDequantizer.ScaleMinK4(2 * j, scales, out var s1, out var m1);
                BlockDequantizer.ScaleMinK4(2 * j + 1, scales, out var s2, out var m2);
                int d1 = 0, d2 = 0;
                for (var l = 0; l < 32; l++)
                {
                    d1 += (qs[j * 32 + l] & 0xF) * q[j * 64 + l];
                    d2 += (qs[j * 32 + l] >> 4) * q[j * 64 + 32 + l];
                }
                isum += s1 * d1 + s2 * d2;
                msum += m1 * (bs[4 * j] + bs[4 * j + 1]) + m2 * (bs[4 * j + 2] + bs[4 * j + 3]);
            }
            var da = a->D[b];
            sum += Half(w) * da * isum - Half(w + 2) * da * msum;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q5_K(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 256;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 176)
        {
            var q = a->Q + b * 256;
            var bs = a->Bsums + b * 16;
            var scales = new ReadOnlySpan<byte>(w + 4, 12);
            var qh = w + 16;
            var ql = w + 48;
            int isum = 0, msum = 0;
            for (var j = 0; j < 4; j++)
            {
                BlockDequantizer.ScaleMinK4(2 * j, scales, out var s1, out var m1);
                BlockDequantizer.ScaleMinK4(2 * j + 1, scales, out var s2, out var m2);
                int d1 = 0, d2 = 0;
                for (var l = 0; l < 32; l++)
                {
                    var v1 = (ql[j * 32 + l] & 0xF) | (((qh[l] >> (2 * j)) & 1) << 4);
                    var v2 = (ql[j * 32 + l] >> 4) | (((qh[l] >> (2 * j + 1)) & 1) << 4);
                    d1 += v1 * q[j * 64 + l];
                    d2 += v2 * q[j * 64 + 32 + l];
                }
                isum += s1 * d1 + s2 * d2;
                msum += m1 * (bs[4 * j] + bs[4 * j + 1]) + m2 * (bs[4 * j + 2] + bs[4 * j + 3]);
            }
            var da = a->D[b];
            sum += Half(w) * da * isum - Half(w + 2) * da * msum;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q6_K(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 256;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 210)
        {
            var q = a->Q + b * 256;
            var bs = a->Bsums + b * 16;
            var sc = (sbyte*)(w + 192);
            var isum = 0;
            for (var n = 0; n < 2; n++)
            {
                var ql = w + n * 64;
                var qh = w + 128 + n * 32;
                var qa = q + n * 128;
                var s = sc + n * 8;
                // Four 32-element groups, each two 16-element sub-blocks with their own scale; quants stored +32.
                for (var half = 0; half < 2; half++)
                {
                    int d1 = 0, d2 = 0, d3 = 0, d4 = 0;
                    for (var l = half * 16; l < half * 16 + 16; l++)
                    {
                        d1 += ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) * qa[l];
                        d2 += ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) * qa[l + 32];
                        d3 += ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) * qa[l + 64];
                        d4 += ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) * qa[l + 96];
                    }
                    isum += s[half] * d1 + s[half + 2] * d2 + s[half + 4] * d3 + s[half + 6] * d4;
                }
            }
            // Remove the +32 bias: Σ_k sc[k]·32·Σa over sub-block k.
            var bias = 0;
            for (var k = 0; k < 16; k++) bias += sc[k] * bs[k];
            sum += Half(w + 208) * a->D[b] * (isum - 32 * bias);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q3_K(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 256;
        float sum = 0;
        Span<sbyte> scales = stackalloc sbyte[16];
        for (var b = 0; b < nb; b++, w += 110)
        {
            var q = a->Q + b * 256;
            var hm = w;
            BlockDequantizer.Q3KScales(new ReadOnlySpan<byte>(w + 96, 12), scales);
            var isum = 0;
            var o = 0;
            var s = 0;
            var bit = 0;
            for (var n = 0; n < 2; n++)
            {
                var qs = w + 32 + n * 32;
                for (var shift = 0; shift < 8; shift += 2, bit++)
                {
                    for (var half = 0; half < 2; half++)
                    {
                        var d = 0;
                        // Branch-free "minus 4 unless the hmask bit is set": random bits defeat branch prediction.
                        for (var l = half * 16; l < half * 16 + 16; l++)
                            d += (((qs[l] >> shift) & 3) - ((((hm[l] >> bit) & 1) ^ 1) << 2)) * q[o++];
                        isum += (scales[s++] - 32) * d;
                    }
                }
            }
            sum += Half(w + 108) * a->D[b] * isum;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Q2_K(byte* w, ActivationView* a)
    {
        var nb = a->Cols / 256;
        float sum = 0;
        for (var b = 0; b < nb; b++, w += 84)
        {
            var q = a->Q + b * 256;
            var bs = a->Bsums + b * 16;
            var scales = w;
            int isum = 0, msum = 0;
            var o = 0;
            var s = 0;
            for (var n = 0; n < 2; n++)
            {
                var qs = w + 16 + n * 32;
                for (var shift = 0; shift < 8; shift += 2)
                {
                    for (var half = 0; half < 2; half++)
                    {
                        var d = 0;
                        for (var l = half * 16; l < half * 16 + 16; l++) d += ((qs[l] >> shift) & 3) * q[o++];
                        isum += (scales[s] & 0xF) * d;
                        msum += (scales[s] >> 4) * bs[s];
                        s++;
                    }
                }
            }
            var da = a->D[b];
            sum += Half(w + 80) * da * isum - Half(w + 82) * da * msum;
        }
        return sum;
    }
}
