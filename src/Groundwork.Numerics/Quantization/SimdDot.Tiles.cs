using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Groundwork.Numerics.Quantization;

/// <summary>
/// Register-blocked tiles for batched products: <see cref="TileRows"/> weight rows × <see cref="TileTokens"/>
/// activations per call, one float accumulator per (row, activation), so each decoded weight block is reused for four
/// activations and each activation block for four rows (the row kernels reload and re-decode both for every pair).
/// Each (row, activation) gets the same integer block sums and the same float operations, in the same order, as the
/// 256-bit row kernel, so tiled and row results are identical. 256-bit only: with AVX-512 the JIT has 32 vector
/// registers for the 16 accumulators (a few still spill); narrower paths use the row kernels. Q4_1/Q5_1 (a per-block min added in scalar
/// float by the row kernel) and the other K-quants have no tile yet.
/// </summary>
internal static unsafe partial class SimdDot
{
    /// <summary>Weight rows per tile.</summary>
    public const int TileRows = 4;

    /// <summary>Activations per tile.</summary>
    public const int TileTokens = 4;

    /// <summary>
    /// The tile kernel for <paramref name="type"/>, or null where there is none. Arguments: first row, row stride in
    /// bytes, 4 activation views, output, output stride; writes y[t·ldy + r] for r, t &lt; 4.
    /// </summary>
    public static delegate*<byte*, nint, ActivationView*, float*, nint, void> Tile(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => &Blocks32Tile<Q8_0Block>,
        GgmlType.Q4_0 => &Blocks32Tile<Q4_0Block>,
        GgmlType.Q5_0 => &Blocks32Tile<Q5_0Block>,
        GgmlType.Q4_K => &Q4_K_Tile,
        GgmlType.Q6_K => &Q6_K_Tile,
        _ => null,
    };

    private enum Block32Kind
    {
        /// <summary>Q8_0: signed 8-bit weights.</summary>
        Signed8,
        /// <summary>Unsigned quants minus a fixed offset (Q4_0's 8, Q5_0's 16).</summary>
        Offset,
    }

    /// <summary>Layout of a 32-element block type, as constants: the tile is a generic method over a struct
    /// implementing this, so the JIT compiles one specialised body per type (the body is too large to inline).</summary>
    private interface IBlock32
    {
        static abstract int Bytes { get; }
        static abstract int QsOffset { get; }
        static abstract int QhOffset { get; } // −1: no fifth bits
        static abstract Block32Kind Kind { get; }
        static abstract int Offset { get; }
    }

    private struct Q8_0Block : IBlock32
    {
        public static int Bytes => 34;
        public static int QsOffset => 2;
        public static int QhOffset => -1;
        public static Block32Kind Kind => Block32Kind.Signed8;
        public static int Offset => 128; // with VNNI only: weights + 128 as unsigned bytes
    }

    private struct Q4_0Block : IBlock32
    {
        public static int Bytes => 18;
        public static int QsOffset => 2;
        public static int QhOffset => -1;
        public static Block32Kind Kind => Block32Kind.Offset;
        public static int Offset => 8;
    }

    private struct Q5_0Block : IBlock32
    {
        public static int Bytes => 22;
        public static int QsOffset => 6;
        public static int QhOffset => 2;
        public static Block32Kind Kind => Block32Kind.Offset;
        public static int Offset => 16;
    }

    /// <summary>
    /// 4 × 4 tile of a 32-element block type. Offsets are removed in integers by starting each activation's sum at
    /// −offset·Σq (one dot per activation and block, shared by the four rows). Q8_0 weights with VNNI become unsigned
    /// by adding 128 (u8·s8 then cannot saturate); without VNNI, pmaddubsw could, so they keep the abs/sign form.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks32Tile<T>(byte* w, nint rb, ActivationView* a, float* y, nint ldy) where T : struct, IBlock32
    {
        var blockBytes = T.Bytes;
        var kind = T.Kind;
        var offset = T.Offset;
        var t16 = s_fp16Table;
        var nb = a->Cols / 32;
        byte* w0 = w, w1 = w + rb, w2 = w + 2 * rb, w3 = w + 3 * rb;
        sbyte* q0 = a[0].Q, q1 = a[1].Q, q2 = a[2].Q, q3 = a[3].Q;
        float* d0 = a[0].D, d1 = a[1].D, d2 = a[2].D, d3 = a[3].D;
        var signedPath = kind == Block32Kind.Signed8 && !AvxVnni.IsSupported;
        var even = stackalloc Vector256<float>[16];
        // The row kernels add even blocks into one accumulator and odd blocks into another; two passes (even blocks,
        // then odd) give the same float operations per (row, activation) with 16 accumulators in registers, so a
        // batch equals one-token-at-a-time bit for bit (the 8-bit activation rounding of the next layer would turn
        // any last-bit difference into visible logit differences).
        for (var parity = 0; parity < 2; parity++)
        {
            Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
            for (var b = parity; b < nb; b += 2)
            {
                var o = b * 32;
                var wo = b * blockBytes;
                w0 = w + wo; w1 = w + rb + wo; w2 = w + 2 * rb + wo; w3 = w + 3 * rb + wo;
                var x0 = Vector256.Load(q0 + o);
                var x1 = Vector256.Load(q1 + o);
                var x2 = Vector256.Load(q2 + o);
                var x3 = Vector256.Load(q3 + o);
                // Start values of the activations' integer sums: −offset·Σq takes the weights' offset off (Q8_0 with
                // VNNI: weights + 128 as unsigned bytes, so the offset is 128).
                Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
                if (!signedPath)
                {
                    var off = Vector256.Create((byte)offset);
                    i0 = -Dot4(Vector256<int>.Zero, off, x0);
                    i1 = -Dot4(Vector256<int>.Zero, off, x1);
                    i2 = -Dot4(Vector256<int>.Zero, off, x2);
                    i3 = -Dot4(Vector256<int>.Zero, off, x3);
                }
                // Scales as broadcasts multiplied per pair: lane for lane the same product as broadcasting f·e.
                var e0 = Vector256.Create(d0[b]); var e1 = Vector256.Create(d1[b]); var e2 = Vector256.Create(d2[b]); var e3 = Vector256.Create(d3[b]);
                // One weight row at a time, so that only its decoded block and scale are live next to the accumulators.
                {
                    var u = Weights<T>(w0, signedPath);
                    var f = Vector256.Create(Fp16(t16, w0));
                    c00 = Acc(c00, P(signedPath, u, i0, x0), f * e0);
                    c01 = Acc(c01, P(signedPath, u, i1, x1), f * e1);
                    c02 = Acc(c02, P(signedPath, u, i2, x2), f * e2);
                    c03 = Acc(c03, P(signedPath, u, i3, x3), f * e3);
                }
                {
                    var u = Weights<T>(w1, signedPath);
                    var f = Vector256.Create(Fp16(t16, w1));
                    c10 = Acc(c10, P(signedPath, u, i0, x0), f * e0);
                    c11 = Acc(c11, P(signedPath, u, i1, x1), f * e1);
                    c12 = Acc(c12, P(signedPath, u, i2, x2), f * e2);
                    c13 = Acc(c13, P(signedPath, u, i3, x3), f * e3);
                }
                {
                    var u = Weights<T>(w2, signedPath);
                    var f = Vector256.Create(Fp16(t16, w2));
                    c20 = Acc(c20, P(signedPath, u, i0, x0), f * e0);
                    c21 = Acc(c21, P(signedPath, u, i1, x1), f * e1);
                    c22 = Acc(c22, P(signedPath, u, i2, x2), f * e2);
                    c23 = Acc(c23, P(signedPath, u, i3, x3), f * e3);
                }
                {
                    var u = Weights<T>(w3, signedPath);
                    var f = Vector256.Create(Fp16(t16, w3));
                    c30 = Acc(c30, P(signedPath, u, i0, x0), f * e0);
                    c31 = Acc(c31, P(signedPath, u, i1, x1), f * e1);
                    c32 = Acc(c32, P(signedPath, u, i2, x2), f * e2);
                    c33 = Acc(c33, P(signedPath, u, i3, x3), f * e3);
                }
            }
            if (parity == 0)
            {
                even[0] = c00; even[1] = c01; even[2] = c02; even[3] = c03;
                even[4] = c10; even[5] = c11; even[6] = c12; even[7] = c13;
                even[8] = c20; even[9] = c21; even[10] = c22; even[11] = c23;
                even[12] = c30; even[13] = c31; even[14] = c32; even[15] = c33;
            }
            else
            {
                Store4(y, ldy, 0, even[0] + c00, even[1] + c01, even[2] + c02, even[3] + c03);
                Store4(y, ldy, 1, even[4] + c10, even[5] + c11, even[6] + c12, even[7] + c13);
                Store4(y, ldy, 2, even[8] + c20, even[9] + c21, even[10] + c22, even[11] + c23);
                Store4(y, ldy, 3, even[12] + c30, even[13] + c31, even[14] + c32, even[15] + c33);
            }
        }
    }

    /// <summary>The 32 quants of the block at <paramref name="w"/> as unsigned bytes (Q8_0 with VNNI: + 128), or Q8_0's
    /// signed bytes as they are on the abs/sign path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Weights<T>(byte* w, bool signedPath) where T : struct, IBlock32
    {
        if (T.Kind == Block32Kind.Signed8)
        {
            var raw = Vector256.Load(w + T.QsOffset);
            return signedPath ? raw : raw ^ Vector256.Create((byte)0x80);
        }
        var u = Nibbles32(w + T.QsOffset);
        if (T.QhOffset >= 0) u |= HighBits256(Unsafe.ReadUnaligned<uint>(w + T.QhOffset));
        return u;
    }

    /// <summary>One weight block × one activation block: u8·s8 from <paramref name="init"/>, or (Q8_0 without VNNI) signed·signed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> P(bool signedPath, Vector256<byte> u, Vector256<int> init, Vector256<sbyte> x) =>
        signedPath ? DotSigned(Vector256<int>.Zero, u.AsSByte(), x) : Dot4(init, u, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Acc(Vector256<float> c, Vector256<int> isum, Vector256<float> scale) =>
        Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(isum), scale, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* y, nint ldy, int r, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3)
    {
        y[r] = Vector256.Sum(t0);
        y[ldy + r] = Vector256.Sum(t1);
        y[2 * ldy + r] = Vector256.Sum(t2);
        y[3 * ldy + r] = Vector256.Sum(t3);
    }

    // ---------------------------------------------------------------- K-quant tiles

    // A super-block row is decoded once into registers and used for the four activations in a loop; the 16
    // accumulators live in memory (one load and store per row, activation and 256 elements: noise next to 8 dots).
    // Float operations per (row, activation) are those of the row kernels, so batch and single-token results agree
    // bit for bit (integer sums are exact in any order).

    /// <summary>4 × 4 tile of Q4_K, in the float order of <see cref="Q4_K_256"/> (mins summed as scalars).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q4_K_Tile(byte* w, nint rb, ActivationView* a, float* y, nint ldy)
    {
        var nb = a->Cols / 256;
        var c = stackalloc Vector256<float>[16];
        var m = stackalloc float[16];
        for (var i = 0; i < 16; i++)
        {
            c[i] = default;
            m[i] = 0;
        }
        for (var b = 0; b < nb; b++)
        {
            var wb = w + 144 * b;
            Q4KRow(wb, a, b, c, m);
            Q4KRow(wb + rb, a, b, c + 4, m + 4);
            Q4KRow(wb + 2 * rb, a, b, c + 8, m + 8);
            Q4KRow(wb + 3 * rb, a, b, c + 12, m + 12);
        }
        for (var r = 0; r < TileRows; r++)
            for (var t = 0; t < TileTokens; t++) y[t * ldy + r] = Vector256.Sum(c[TileTokens * r + t]) - m[TileTokens * r + t];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q4KRow(byte* w, ActivationView* a, int b, Vector256<float>* c, float* m)
    {
        var t16 = s_fp16Table;
        UnpackQ4KScales(w + 4, out var sc, out var mn);
        var mb = Vector128.CreateScalar(mn).AsByte();
        var mins = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(mb, mb)); // each min in two 16-bit lanes (0..63)
        var m4 = Vector256.Create((byte)0x0F);
        var r0 = Vector256.Load(w + 16);
        var r1 = Vector256.Load(w + 48);
        var r2 = Vector256.Load(w + 80);
        var r3 = Vector256.Load(w + 112);
        // Low nibbles of the 32 bytes at step j are sub-block 2j, high nibbles sub-block 2j+1.
        var l0 = r0 & m4; var h0 = Vector256.ShiftRightLogical(r0.AsUInt16(), 4).AsByte() & m4;
        var l1 = r1 & m4; var h1 = Vector256.ShiftRightLogical(r1.AsUInt16(), 4).AsByte() & m4;
        var l2 = r2 & m4; var h2 = Vector256.ShiftRightLogical(r2.AsUInt16(), 4).AsByte() & m4;
        var l3 = r3 & m4; var h3 = Vector256.ShiftRightLogical(r3.AsUInt16(), 4).AsByte() & m4;
        var k0 = Vector256.Create((int)sc & 0xff);
        var k1 = Vector256.Create((int)(sc >> 8) & 0xff);
        var k2 = Vector256.Create((int)(sc >> 16) & 0xff);
        var k3 = Vector256.Create((int)(sc >> 24) & 0xff);
        var k4 = Vector256.Create((int)(sc >> 32) & 0xff);
        var k5 = Vector256.Create((int)(sc >> 40) & 0xff);
        var k6 = Vector256.Create((int)(sc >> 48) & 0xff);
        var k7 = Vector256.Create((int)(sc >> 56) & 0xff);
        float d = Fp16(t16, w), dmin = Fp16(t16, w + 2);
        var z = Vector256<int>.Zero;
        for (var t = 0; t < TileTokens; t++)
        {
            var x = a[t].Q + 256 * b;
            var da = a[t].D[b];
            var isum = Dot4(z, l0, Vector256.Load(x)) * k0 + Dot4(z, h0, Vector256.Load(x + 32)) * k1
                     + Dot4(z, l1, Vector256.Load(x + 64)) * k2 + Dot4(z, h1, Vector256.Load(x + 96)) * k3
                     + Dot4(z, l2, Vector256.Load(x + 128)) * k4 + Dot4(z, h2, Vector256.Load(x + 160)) * k5
                     + Dot4(z, l3, Vector256.Load(x + 192)) * k6 + Dot4(z, h3, Vector256.Load(x + 224)) * k7;
            var msum = Vector256.Sum(Avx2.MultiplyAddAdjacent(mins, Vector256.Load(a[t].Bsums + 16 * b)));
            c[t] = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(isum), Vector256.Create(d * da), c[t]);
            m[t] += dmin * da * msum; // the row kernel's order (scalar), for identical results
        }
    }

    /// <summary>4 × 4 tile of Q6_K, in the float order of <see cref="Q6_K_256"/>: the +32 of the stored quants comes
    /// off in integers (32·Σ scale × block sum, in lane 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q6_K_Tile(byte* w, nint rb, ActivationView* a, float* y, nint ldy)
    {
        var nb = a->Cols / 256;
        var c = stackalloc Vector256<float>[16];
        for (var i = 0; i < 16; i++) c[i] = default;
        for (var b = 0; b < nb; b++)
        {
            var wb = w + 210 * b;
            Q6KRow(wb, a, b, c);
            Q6KRow(wb + rb, a, b, c + 4);
            Q6KRow(wb + 2 * rb, a, b, c + 8);
            Q6KRow(wb + 3 * rb, a, b, c + 12);
        }
        StoreTile(c, y, ldy);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q6KRow(byte* w, ActivationView* a, int b, Vector256<float>* c)
    {
        var t16 = s_fp16Table;
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        var sc = (sbyte*)(w + 192);
        var sc16 = Avx2.ConvertToVector256Int16(Vector128.Load(sc));
        // Each half of the super-block: 128 quants as 4 vectors of 32 (see Q6_K_256).
        var la = Vector256.Load(w);
        var lb = Vector256.Load(w + 32);
        var ha = Vector256.Load(w + 128);
        var a1 = (la & m4) | Vector256.ShiftLeft((ha & m2).AsUInt16(), 4).AsByte();
        var a2 = (lb & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(ha.AsUInt16(), 2).AsByte() & m2).AsUInt16(), 4).AsByte();
        var a3 = (Vector256.ShiftRightLogical(la.AsUInt16(), 4).AsByte() & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(ha.AsUInt16(), 4).AsByte() & m2).AsUInt16(), 4).AsByte();
        var a4 = (Vector256.ShiftRightLogical(lb.AsUInt16(), 4).AsByte() & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(ha.AsUInt16(), 6).AsByte() & m2).AsUInt16(), 4).AsByte();
        la = Vector256.Load(w + 64);
        lb = Vector256.Load(w + 96);
        ha = Vector256.Load(w + 160);
        var b1 = (la & m4) | Vector256.ShiftLeft((ha & m2).AsUInt16(), 4).AsByte();
        var b2 = (lb & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(ha.AsUInt16(), 2).AsByte() & m2).AsUInt16(), 4).AsByte();
        var b3 = (Vector256.ShiftRightLogical(la.AsUInt16(), 4).AsByte() & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(ha.AsUInt16(), 4).AsByte() & m2).AsUInt16(), 4).AsByte();
        var b4 = (Vector256.ShiftRightLogical(lb.AsUInt16(), 4).AsByte() & m4) | Vector256.ShiftLeft((Vector256.ShiftRightLogical(ha.AsUInt16(), 6).AsByte() & m2).AsUInt16(), 4).AsByte();
        // Scale pairs: lanes 0..3 and 4..7 of each product are the two 16-element sub-blocks of a 32-element group.
        var sa1 = Pair(sc[0], sc[1]); var sa2 = Pair(sc[2], sc[3]); var sa3 = Pair(sc[4], sc[5]); var sa4 = Pair(sc[6], sc[7]);
        var sb1 = Pair(sc[8], sc[9]); var sb2 = Pair(sc[10], sc[11]); var sb3 = Pair(sc[12], sc[13]); var sb4 = Pair(sc[14], sc[15]);
        var d = Fp16(t16, w + 208);
        var z = Vector256<int>.Zero;
        for (var t = 0; t < TileTokens; t++)
        {
            var x = a[t].Q + 256 * b;
            var isum = Dot4(z, a1, Vector256.Load(x)) * sa1 + Dot4(z, a2, Vector256.Load(x + 32)) * sa2
                     + Dot4(z, a3, Vector256.Load(x + 64)) * sa3 + Dot4(z, a4, Vector256.Load(x + 96)) * sa4
                     + Dot4(z, b1, Vector256.Load(x + 128)) * sb1 + Dot4(z, b2, Vector256.Load(x + 160)) * sb2
                     + Dot4(z, b3, Vector256.Load(x + 192)) * sb3 + Dot4(z, b4, Vector256.Load(x + 224)) * sb4;
            var bias = Vector256.Sum(Avx2.MultiplyAddAdjacent(sc16, Vector256.Load(a[t].Bsums + 16 * b)));
            c[t] = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(isum - Vector256.CreateScalar(32 * bias)), Vector256.Create(d * a[t].D[b]), c[t]);
        }
    }

    /// <summary>Writes the horizontal sums of 16 accumulators (row-major 4 × 4) as y[t·ldy + r].</summary>
    private static void StoreTile(Vector256<float>* c, float* y, nint ldy)
    {
        for (var r = 0; r < TileRows; r++)
            for (var t = 0; t < TileTokens; t++) y[t * ldy + r] = Vector256.Sum(c[TileTokens * r + t]);
    }
}
