using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Groundwork.Numerics.Quantization;

/// <summary>
/// SIMD versions of <see cref="RowDot"/>'s integer kernels. The core step multiplies 8-bit unsigned weights by 8-bit
/// signed activations and sums each 4 adjacent products into an int32 lane: one vpdpbusd with AVX-VNNI, else
/// pmaddubsw + pmaddwd (exact while the unsigned operand is ≤ 128). Weights stored with an offset (Q4_0's −8, Q5_0's
/// −16, Q6_K's −32) are multiplied unsigned and the offset is removed afterwards through the activation block sums.
/// 256-bit kernels take one 32-element group per step; 128-bit kernels take 16 elements that share one scale per step.
/// Row lengths are whole blocks, so no kernel has a remainder loop.
/// </summary>
internal static unsafe partial class SimdDot
{
    public static bool Has256 => Avx2.IsSupported && Fma.IsSupported;

    public static bool Has128 => Ssse3.IsSupported || Vector128.IsHardwareAccelerated;

    // ---------------------------------------------------------------- helpers

    /// <summary>fp16 → fp32 for every bit pattern (256 KiB, built once), as ggml's table on CPUs without F16C: one load
    /// per block scale. Weight scales of a model share a few exponents, so the part in use stays cached.</summary>
    private static readonly float* s_fp16Table = BuildFp16Table();

    private static float* BuildFp16Table()
    {
        var t = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (var i = 0; i < 65536; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    /// <summary>The fp16 at <paramref name="p"/> as float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Fp16(byte* p) => s_fp16Table[Unsafe.ReadUnaligned<ushort>(p)];

    /// <summary>As <see cref="Fp16(byte*)"/> with the table in a local: AggressiveOptimization code does not fold static
    /// readonly fields, so hot loops read the table pointer once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fp16(float* table, byte* p) => table[Unsafe.ReadUnaligned<ushort>(p)];

    /// <summary>acc + Σ of each 4 adjacent u·s products (8 int32 lanes; lane i covers bytes 4i..4i+3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot4(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        return acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256<short>.One);
    }

    /// <summary>acc + Σ u·s over 16 bytes, spread over 4 int32 lanes (only the lane total is meaningful on the portable path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot4(Vector128<int> acc, Vector128<byte> u, Vector128<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        if (Ssse3.IsSupported) return acc + Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(u, s), Vector128<short>.One);
        // Portable: widen to 16 bits (|u·s| ≤ 255·128 fits), multiply, widen-add to 32 bits.
        var (ul, uh) = Vector128.Widen(u);
        var (sl, sh) = Vector128.Widen(s);
        var (a, b) = Vector128.Widen(ul.AsInt16() * sl);
        var (c, d) = Vector128.Widen(uh.AsInt16() * sh);
        return acc + (a + b) + (c + d);
    }

    /// <summary>Signed·signed version: |w| unsigned times a with w's sign (|w| ≤ 128 keeps pmaddubsw exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotSigned(Vector256<int> acc, Vector256<sbyte> w, Vector256<sbyte> a) =>
        Dot4(acc, Avx2.Abs(w), Avx2.Sign(a, w));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> DotSigned(Vector128<int> acc, Vector128<sbyte> w, Vector128<sbyte> a)
    {
        if (Ssse3.IsSupported) return Dot4(acc, Ssse3.Abs(w), Ssse3.Sign(a, w));
        var (wl, wh) = Vector128.Widen(w);
        var (al, ah) = Vector128.Widen(a);
        var (p, q) = Vector128.Widen(wl * al);
        var (r, s) = Vector128.Widen(wh * ah);
        return acc + (p + q) + (r + s);
    }

    /// <summary>Byte k of entry b is 0x10 when bit k of b is set: expands Q5's packed fifth bits to byte lanes.</summary>
    private static readonly ulong[] s_bitsToBytes = BuildBitsToBytes();

    private static ulong[] BuildBitsToBytes()
    {
        var t = GC.AllocateArray<ulong>(256, pinned: true);
        for (var b = 0; b < 256; b++)
        {
            ulong v = 0;
            for (var k = 0; k < 8; k++) if ((b & (1 << k)) != 0) v |= 0x10UL << (8 * k);
            t[b] = v;
        }
        return t;
    }

    /// <summary>The 32 fifth bits of a Q5 block as 0x10/0x00 bytes, element order: broadcast the 32-bit word, pshufb
    /// byte k/8 of it into byte k (in-lane: lane 0 takes bytes 0-1, lane 1 bytes 2-3), keep bit k%8, compare, mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> HighBits256(uint qh)
    {
        var spread = Avx2.Shuffle(Vector256.Create(qh).AsByte(), Vector256.Create(
            (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var bit = Vector256.Create(0x8040201008040201UL).AsByte();
        return Vector256.Equals(spread & bit, bit) & Vector256.Create((byte)0x10);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> HighBits128(uint qh16)
    {
        ref var t = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(s_bitsToBytes);
        return Vector128.Create(Unsafe.Add(ref t, qh16 & 0xff), Unsafe.Add(ref t, (qh16 >> 8) & 0xff)).AsByte();
    }

    /// <summary>16 packed nibbles → (low nibbles = elements 0..15, high nibbles = elements 16..31) in one 32-byte vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles32(byte* p)
    {
        var raw = Vector128.Load(p);
        var hi = Vector128.ShiftRightLogical(raw.AsUInt16(), 4).AsByte();
        return Vector256.Create(raw, hi) & Vector256.Create((byte)0x0F);
    }

    // ---------------------------------------------------------------- 32-element blocks, 256-bit

    // Each 256-bit kernel takes two blocks per iteration into two accumulators (the FMA chain, not the loads, limits
    // one accumulator), then at most one odd block.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8_0_256(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var b = 0;
        // 32 int8 weights against 32 int8 activations per block.
        for (; b + 1 < nb; b += 2, w += 68, q += 64)
        {
            var s0 = DotSigned(Vector256<int>.Zero, Vector256.Load((sbyte*)(w + 2)), Vector256.Load(q));
            var s1 = DotSigned(Vector256<int>.Zero, Vector256.Load((sbyte*)(w + 36)), Vector256.Load(q + 32));
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s0), Vector256.Create(Fp16(t16, w) * d[b]), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s1), Vector256.Create(Fp16(t16, w + 34) * d[b + 1]), acc1);
        }
        if (b < nb)
        {
            var s0 = DotSigned(Vector256<int>.Zero, Vector256.Load((sbyte*)(w + 2)), Vector256.Load(q));
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s0), Vector256.Create(Fp16(t16, w) * d[b]), acc0);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>Shared loop of the 4/5-bit 32-blocks: quants (unsigned) at <paramref name="qsOffset"/>, fifth bits at
    /// <paramref name="qhOffset"/> (or none). With <paramref name="hasMin"/>, Σ m·s (m = the fp16 at offset 2) is added
    /// to the result; otherwise the fixed offset comes off in integers (each block's sum starts at offset·Σq, one more
    /// dot), so that every block's integer sum is Σ w·q exactly as in the batch tiles, which must agree bit for bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Blocks32(byte* w, ActivationView* a, int blockBytes, int qsOffset, int qhOffset, bool hasMin, float fixedOffset)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D, s = a->S;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        float extra = 0;
        var off = Vector256.Create((byte)(int)-fixedOffset);
        var b = 0;
        for (; b + 1 < nb; b += 2, w += 2 * blockBytes, q += 64)
        {
            var w1 = w + blockBytes;
            var u0 = Nibbles32(w + qsOffset);
            var u1 = Nibbles32(w1 + qsOffset);
            if (qhOffset >= 0)
            {
                u0 |= HighBits256(Unsafe.ReadUnaligned<uint>(w + qhOffset));
                u1 |= HighBits256(Unsafe.ReadUnaligned<uint>(w1 + qhOffset));
            }
            var x0 = Vector256.Load(q);
            var x1 = Vector256.Load(q + 32);
            var s0 = Dot4(hasMin ? Vector256<int>.Zero : -Dot4(Vector256<int>.Zero, off, x0), u0, x0);
            var s1 = Dot4(hasMin ? Vector256<int>.Zero : -Dot4(Vector256<int>.Zero, off, x1), u1, x1);
            float d0 = Fp16(t16, w), d1 = Fp16(t16, w1);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s0), Vector256.Create(d0 * d[b]), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s1), Vector256.Create(d1 * d[b + 1]), acc1);
            if (hasMin) extra += Fp16(t16, w + 2) * s[b] + Fp16(t16, w1 + 2) * s[b + 1];
        }
        if (b < nb)
        {
            var u0 = Nibbles32(w + qsOffset);
            if (qhOffset >= 0) u0 |= HighBits256(Unsafe.ReadUnaligned<uint>(w + qhOffset));
            var x0 = Vector256.Load(q);
            var s0 = Dot4(hasMin ? Vector256<int>.Zero : -Dot4(Vector256<int>.Zero, off, x0), u0, x0);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(s0), Vector256.Create(Fp16(t16, w) * d[b]), acc0);
            if (hasMin) extra += Fp16(t16, w + 2) * s[b];
        }
        return Vector256.Sum(acc0 + acc1) + extra;
    }

    // Q4_0: half d, 16 bytes of nibbles; values q − 8.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_0_256(byte* w, ActivationView* a) => Blocks32(w, a, 18, 2, -1, false, -8);

    // Q4_1: half d, half m, 16 bytes of nibbles; values q·d + m.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_1_256(byte* w, ActivationView* a) => Blocks32(w, a, 20, 4, -1, true, 0);

    // Q5_0: half d, 4 bytes of fifth bits, 16 bytes of nibbles; values q − 16.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_0_256(byte* w, ActivationView* a) => Blocks32(w, a, 22, 6, 2, false, -16);

    // Q5_1: half d, half m, 4 bytes of fifth bits, 16 bytes of nibbles; values q·d + m.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_1_256(byte* w, ActivationView* a) => Blocks32(w, a, 24, 8, 4, true, 0);

    // ---------------------------------------------------------------- 32-element blocks, 128-bit (two halves per block)

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8_0_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D;
        var acc = Vector128<float>.Zero;
        for (var b = 0; b < nb; b++, w += 34, q += 32)
        {
            var sumi = DotSigned(Vector128<int>.Zero, Vector128.Load((sbyte*)(w + 2)), Vector128.Load(q));
            sumi = DotSigned(sumi, Vector128.Load((sbyte*)(w + 18)), Vector128.Load(q + 16));
            acc += Vector128.ConvertToSingle(sumi) * Vector128.Create(Fp16(t16, w) * d[b]);
        }
        return Vector128.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Nibbles128(byte* p, sbyte* q, Vector128<byte> hiBits0, Vector128<byte> hiBits1)
    {
        var raw = Vector128.Load(p);
        var m = Vector128.Create((byte)0x0F);
        var lo = (raw & m) | hiBits0;
        var hi = (Vector128.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & m) | hiBits1;
        return Dot4(Dot4(Vector128<int>.Zero, lo, Vector128.Load(q)), hi, Vector128.Load(q + 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_0_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D, s = a->S;
        var acc = Vector128<float>.Zero;
        float offset = 0;
        for (var b = 0; b < nb; b++, w += 18, q += 32)
        {
            var dw = Fp16(t16, w);
            var sumi = Nibbles128(w + 2, q, Vector128<byte>.Zero, Vector128<byte>.Zero);
            acc += Vector128.ConvertToSingle(sumi) * Vector128.Create(dw * d[b]);
            offset += dw * s[b];
        }
        return Vector128.Sum(acc) - 8 * offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_1_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D, s = a->S;
        var acc = Vector128<float>.Zero;
        float mins = 0;
        for (var b = 0; b < nb; b++, w += 20, q += 32)
        {
            var sumi = Nibbles128(w + 4, q, Vector128<byte>.Zero, Vector128<byte>.Zero);
            acc += Vector128.ConvertToSingle(sumi) * Vector128.Create(Fp16(t16, w) * d[b]);
            mins += Fp16(t16, w + 2) * s[b];
        }
        return Vector128.Sum(acc) + mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_0_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D, s = a->S;
        var acc = Vector128<float>.Zero;
        float offset = 0;
        for (var b = 0; b < nb; b++, w += 22, q += 32)
        {
            var dw = Fp16(t16, w);
            var qh = Unsafe.ReadUnaligned<uint>(w + 2);
            var sumi = Nibbles128(w + 6, q, HighBits128(qh & 0xffff), HighBits128(qh >> 16));
            acc += Vector128.ConvertToSingle(sumi) * Vector128.Create(dw * d[b]);
            offset += dw * s[b];
        }
        return Vector128.Sum(acc) - 16 * offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_1_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        sbyte* q = a->Q;
        float* d = a->D, s = a->S;
        var acc = Vector128<float>.Zero;
        float mins = 0;
        for (var b = 0; b < nb; b++, w += 24, q += 32)
        {
            var qh = Unsafe.ReadUnaligned<uint>(w + 4);
            var sumi = Nibbles128(w + 8, q, HighBits128(qh & 0xffff), HighBits128(qh >> 16));
            acc += Vector128.ConvertToSingle(sumi) * Vector128.Create(Fp16(t16, w) * d[b]);
            mins += Fp16(t16, w + 2) * s[b];
        }
        return Vector128.Sum(acc) + mins;
    }

    // ---------------------------------------------------------------- K-quants

    /// <summary>Q4_K's 12 scale bytes → 8 six-bit scales (bytes of <paramref name="scales"/>) and 8 mins (bytes of
    /// <paramref name="mins"/>), as ggml's kmask trick. Kept in registers: reading back bytes of freshly stored words
    /// would stall on store forwarding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackQ4KScales(byte* p, out ulong scales, out ulong mins)
    {
        const uint kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
        uint u0 = Unsafe.ReadUnaligned<uint>(p), u1 = Unsafe.ReadUnaligned<uint>(p + 4), u2 = Unsafe.ReadUnaligned<uint>(p + 8);
        var m1 = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4);
        var m0 = u1 & kmask1;
        var s1 = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4);
        var s0 = u0 & kmask1;
        scales = s0 | ((ulong)s1 << 32);
        mins = m0 | ((ulong)m1 << 32);
    }

    public static float Q4_K_256(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 256;
        sbyte* q = a->Q;
        var acc = Vector256<float>.Zero;
        float mins = 0;
        var m4 = Vector256.Create((byte)0x0F);
        for (var b = 0; b < nb; b++, w += 144, q += 256)
        {
            UnpackQ4KScales(w + 4, out var sc, out var mn);
            var msum = MinSum(mn, a->Bsums + b * 16);
            var isum = Vector256<int>.Zero;
            // 64 elements per step: 32 bytes of nibbles, low = sub-block 2j, high = sub-block 2j+1 (each 32 elements).
            for (var j = 0; j < 4; j++)
            {
                var raw = Vector256.Load(w + 16 + 32 * j);
                var lo = raw & m4;
                var hi = Vector256.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & m4;
                var p1 = Dot4(Vector256<int>.Zero, lo, Vector256.Load(q + 64 * j));
                var p2 = Dot4(Vector256<int>.Zero, hi, Vector256.Load(q + 64 * j + 32));
                isum += p1 * Vector256.Create((int)(sc >> (16 * j)) & 0xff) + p2 * Vector256.Create((int)(sc >> (16 * j + 8)) & 0xff);
            }
            var da = a->D[b];
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(isum), Vector256.Create(Fp16(t16, w) * da), acc);
            mins += Fp16(t16, w + 2) * da * msum;
        }
        return Vector256.Sum(acc) - mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_K_256(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 256;
        sbyte* q = a->Q;
        var acc = Vector256<float>.Zero;
        float mins = 0;
        var m4 = Vector256.Create((byte)0x0F);
        var v16 = Vector256.Create((byte)0x10);
        for (var b = 0; b < nb; b++, w += 176, q += 256)
        {
            UnpackQ4KScales(w + 4, out var sc, out var mn); // Q5_K packs scales and mins exactly as Q4_K
            var msum = MinSum(mn, a->Bsums + b * 16);
            var qh = Vector256.Load(w + 16);
            var isum = Vector256<int>.Zero;
            // 64 elements per step as Q4_K, plus fifth bits: bit 2j of qh[l] for the low nibble, bit 2j+1 for the high.
            for (var j = 0; j < 4; j++)
            {
                var raw = Vector256.Load(w + 48 + 32 * j);
                var mk1 = Vector256.Create((byte)(1 << (2 * j)));
                var mk2 = Vector256.Create((byte)(2 << (2 * j)));
                var lo = (raw & m4) | (Vector256.Equals(qh & mk1, mk1) & v16);
                var hi = (Vector256.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & m4) | (Vector256.Equals(qh & mk2, mk2) & v16);
                var p1 = Dot4(Vector256<int>.Zero, lo, Vector256.Load(q + 64 * j));
                var p2 = Dot4(Vector256<int>.Zero, hi, Vector256.Load(q + 64 * j + 32));
                isum += p1 * Vector256.Create((int)(sc >> (16 * j)) & 0xff) + p2 * Vector256.Create((int)(sc >> (16 * j + 8)) & 0xff);
            }
            var da = a->D[b];
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(isum), Vector256.Create(Fp16(t16, w) * da), acc);
            mins += Fp16(t16, w + 2) * da * msum;
        }
        return Vector256.Sum(acc) - mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_K_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 256;
        sbyte* q = a->Q;
        var acc = Vector128<float>.Zero;
        float mins = 0;
        var m4 = Vector128.Create((byte)0x0F);
        for (var b = 0; b < nb; b++, w += 144, q += 256)
        {
            UnpackQ4KScales(w + 4, out var sc, out var mn);
            var bs = a->Bsums + b * 16;
            var msum = 0;
            for (var j = 0; j < 8; j++) msum += (int)((mn >> (8 * j)) & 0xff) * (bs[2 * j] + bs[2 * j + 1]);
            var isum = Vector128<int>.Zero;
            // 16 bytes of nibbles per step: low nibbles belong to sub-block 2j, high to 2j+1.
            for (var j = 0; j < 4; j++)
            {
                for (var h = 0; h < 2; h++)
                {
                    var raw = Vector128.Load(w + 16 + 32 * j + 16 * h);
                    var lo = raw & m4;
                    var hi = Vector128.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & m4;
                    var p1 = Dot4(Vector128<int>.Zero, lo, Vector128.Load(q + 64 * j + 16 * h));
                    var p2 = Dot4(Vector128<int>.Zero, hi, Vector128.Load(q + 64 * j + 32 + 16 * h));
                    isum += p1 * Vector128.Create((int)(sc >> (16 * j)) & 0xff) + p2 * Vector128.Create((int)(sc >> (16 * j + 8)) & 0xff);
                }
            }
            var da = a->D[b];
            acc += Vector128.ConvertToSingle(isum) * Vector128.Create(Fp16(t16, w) * da);
            mins += Fp16(t16, w + 2) * da * msum;
        }
        return Vector128.Sum(acc) - mins;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K_256(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 256;
        sbyte* q = a->Q;
        var acc = Vector256<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        for (var b = 0; b < nb; b++, w += 210, q += 256)
        {
            var sc = (sbyte*)(w + 192);
            // Σ_k sc[k]·bsum[k] over the 16 sub-blocks: sign-extend the scales to 16 bits, pmaddwd, add the 8 lanes.
            var bias = Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(sc)), Vector256.Load(a->Bsums + b * 16)));
            var isum = Vector256<int>.Zero;
            for (var n = 0; n < 2; n++)
            {
                var l0 = Vector256.Load(w + 64 * n);
                var l1 = Vector256.Load(w + 64 * n + 32);
                var h = Vector256.Load(w + 128 + 32 * n);
                // Four 32-element groups of 6-bit quants (stored +32); lanes 0..3 and 4..7 of each product are
                // the two 16-element sub-blocks, hence a scale vector of (s, s, s, s, s', s', s', s').
                var q1 = (l0 & m4) | Vector256.ShiftLeft((h & m2).AsUInt16(), 4).AsByte();
                var q2 = (l1 & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(h.AsUInt16(), 2).AsByte() & m2).AsUInt16(), 4).AsByte();
                var q3 = (Vector256.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(h.AsUInt16(), 4).AsByte() & m2).AsUInt16(), 4).AsByte();
                var q4 = (Vector256.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(h.AsUInt16(), 6).AsByte() & m2).AsUInt16(), 4).AsByte();
                var s = sc + 8 * n;
                var qa = q + 128 * n;
                isum += Dot4(Vector256<int>.Zero, q1, Vector256.Load(qa)) * Pair(s[0], s[1]);
                isum += Dot4(Vector256<int>.Zero, q2, Vector256.Load(qa + 32)) * Pair(s[2], s[3]);
                isum += Dot4(Vector256<int>.Zero, q3, Vector256.Load(qa + 64)) * Pair(s[4], s[5]);
                isum += Dot4(Vector256<int>.Zero, q4, Vector256.Load(qa + 96)) * Pair(s[6], s[7]);
            }
            var scale = Vector256.Create(Fp16(t16, w + 208) * a->D[b]);
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(isum - Vector256.CreateScalar(32 * bias)), scale, acc);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>Σ_j mins[j]·(bsums[2j] + bsums[2j+1]) for Q4_K/Q5_K: each 8-bit min duplicated into two 16-bit lanes,
    /// then one pmaddwd against the 16 block sums gives the 8 products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinSum(ulong mins, short* bsums)
    {
        var m = Vector128.CreateScalar(mins).AsByte();
        var dup = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(m, m)); // zero-extends: mins are 0..63
        return Vector256.Sum(Avx2.MultiplyAddAdjacent(dup, Vector256.Load(bsums)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pair(int s0, int s1) => Vector256.Create(Vector128.Create(s0), Vector128.Create(s1));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K_128(byte* w, ActivationView* a)
    {
        var t16 = s_fp16Table;
        var nb = a->Cols / 256;
        sbyte* q = a->Q;
        var acc = Vector128<float>.Zero;
        var m4 = Vector128.Create((byte)0x0F);
        var m2 = Vector128.Create((byte)0x03);
        for (var b = 0; b < nb; b++, w += 210, q += 256)
        {
            var sc = (sbyte*)(w + 192);
            var bs = a->Bsums + b * 16;
            var bias = 0;
            for (var k = 0; k < 16; k++) bias += sc[k] * bs[k];
            var isum = Vector128<int>.Zero;
            // 16 elements (one sub-block, one scale) per vector: half n, 16-column slice c.
            for (var n = 0; n < 2; n++)
            {
                for (var c = 0; c < 2; c++)
                {
                    var l0 = Vector128.Load(w + 64 * n + 16 * c);
                    var l1 = Vector128.Load(w + 64 * n + 32 + 16 * c);
                    var h = Vector128.Load(w + 128 + 32 * n + 16 * c);
                    var q1 = (l0 & m4) | Vector128.ShiftLeft((h & m2).AsUInt16(), 4).AsByte();
                    var q2 = (l1 & m4) | Vector128.ShiftLeft((Vector128.ShiftRightLogical(h.AsUInt16(), 2).AsByte() & m2).AsUInt16(), 4).AsByte();
                    var q3 = (Vector128.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & m4) | Vector128.ShiftLeft((Vector128.ShiftRightLogical(h.AsUInt16(), 4).AsByte() & m2).AsUInt16(), 4).AsByte();
                    var q4 = (Vector128.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & m4) | Vector128.ShiftLeft((Vector128.ShiftRightLogical(h.AsUInt16(), 6).AsByte() & m2).AsUInt16(), 4).AsByte();
                    var s = sc + 8 * n + c;
                    var qa = q + 128 * n + 16 * c;
                    isum += Dot4(Vector128<int>.Zero, q1, Vector128.Load(qa)) * Vector128.Create((int)s[0]);
                    isum += Dot4(Vector128<int>.Zero, q2, Vector128.Load(qa + 32)) * Vector128.Create((int)s[2]);
                    isum += Dot4(Vector128<int>.Zero, q3, Vector128.Load(qa + 64)) * Vector128.Create((int)s[4]);
                    isum += Dot4(Vector128<int>.Zero, q4, Vector128.Load(qa + 96)) * Vector128.Create((int)s[6]);
                }
            }
            acc += Vector128.ConvertToSingle(isum - Vector128.CreateScalar(32 * bias)) * Vector128.Create(Fp16(t16, w + 208) * a->D[b]);
        }
        return Vector128.Sum(acc);
    }
}
