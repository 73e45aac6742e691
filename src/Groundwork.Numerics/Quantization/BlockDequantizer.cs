using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Groundwork.Numerics.Quantization;

/// <summary>
/// Scalar dequantization of ggml blocks, written to produce exactly ggml's float values (same operations in the same
/// order, no fused multiply-add). Layouts are ggml's block_* structs (ggml-common.h).
/// </summary>
internal static class BlockDequantizer
{
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        var bs = GgmlTypeInfo.BlockSize(type);
        var bb = GgmlTypeInfo.BlockBytes(type);
        if (dst.Length % bs != 0) throw new ArgumentException($"{dst.Length} elements is not a multiple of {type}'s block size {bs}", nameof(dst));
        var blocks = dst.Length / bs;
        if (src.Length < (long)blocks * bb) throw new ArgumentException($"{type}: {dst.Length} elements need {(long)blocks * bb} bytes, got {src.Length}", nameof(src));
        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.Cast<byte, float>(src[..(dst.Length * 4)]).CopyTo(dst);
                return;
            case GgmlType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src[..(dst.Length * 2)]), dst);
                return;
            case GgmlType.BF16:
                FloatDot.Bf16ToSingle(MemoryMarshal.Cast<byte, ushort>(src[..(dst.Length * 2)]), dst);
                return;
        }
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * bb, bb);
            var y = dst.Slice(i * bs, bs);
            switch (type)
            {
                case GgmlType.Q4_0: Q4_0(b, y); break;
                case GgmlType.Q4_1: Q4_1(b, y); break;
                case GgmlType.Q5_0: Q5_0(b, y); break;
                case GgmlType.Q5_1: Q5_1(b, y); break;
                case GgmlType.Q8_0: Q8_0(b, y); break;
                case GgmlType.Q8_1: Q8_0(b, y); break; // same quants; the extra s field is unused here
                case GgmlType.Q2_K: Q2_K(b, y); break;
                case GgmlType.Q3_K: Q3_K(b, y); break;
                case GgmlType.Q4_K: Q4_K(b, y); break;
                case GgmlType.Q5_K: Q5_K(b, y); break;
                case GgmlType.Q6_K: Q6_K(b, y); break;
                case GgmlType.Q8_K: Q8_K(b, y); break;
                default: throw new NotSupportedException($"dequantizing {type} is not supported (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K..Q8_K)");
            }
        }
    }

    internal static float Half(ReadOnlySpan<byte> b, int offset) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b[offset..]));

    // block_q4_0 { half d; uint8 qs[16]; }: element j = low nibble of qs[j], element j+16 = high nibble, both minus 8.
    private static void Q4_0(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        for (var j = 0; j < 16; j++)
        {
            int q = b[2 + j];
            y[j] = ((q & 0x0F) - 8) * d;
            y[j + 16] = ((q >> 4) - 8) * d;
        }
    }

    // block_q4_1 { half d; half m; uint8 qs[16]; }: x = q*d + m.
    private static void Q4_1(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        var m = Half(b, 2);
        for (var j = 0; j < 16; j++)
        {
            int q = b[4 + j];
            y[j] = (q & 0x0F) * d + m;
            y[j + 16] = (q >> 4) * d + m;
        }
    }

    // block_q5_0 { half d; uint8 qh[4]; uint8 qs[16]; }: bit e of qh is the fifth bit of element e; minus 16.
    private static void Q5_0(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        var qh = BinaryPrimitives.ReadUInt32LittleEndian(b[2..]);
        for (var j = 0; j < 16; j++)
        {
            int q = b[6 + j];
            var h0 = (int)((qh >> j) << 4) & 0x10;
            var h1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = (((q & 0x0F) | h0) - 16) * d;
            y[j + 16] = (((q >> 4) | h1) - 16) * d;
        }
    }

    // block_q5_1 { half d; half m; uint8 qh[4]; uint8 qs[16]; }: x = q*d + m.
    private static void Q5_1(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        var m = Half(b, 2);
        var qh = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        for (var j = 0; j < 16; j++)
        {
            int q = b[8 + j];
            var h0 = (int)((qh >> j) << 4) & 0x10;
            var h1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = ((q & 0x0F) | h0) * d + m;
            y[j + 16] = ((q >> 4) | h1) * d + m;
        }
    }

    // block_q8_0 { half d; int8 qs[32]; } (block_q8_1 adds half s after d; callers pass the right offset).
    private static void Q8_0(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        var off = b.Length == 36 ? 4 : 2;
        for (var j = 0; j < 32; j++) y[j] = (sbyte)b[off + j] * d;
    }

    // block_q2_K { uint8 scales[16]; uint8 qs[64]; half d; half dmin; }: scale low nibble, min high nibble.
    private static void Q2_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var scales = b[..16];
        var d = Half(b, 80);
        var min = Half(b, 82);
        var o = 0;
        var s = 0;
        for (var n = 0; n < 256; n += 128)
        {
            var q = b.Slice(16 + n / 4, 32);
            for (var shift = 0; shift < 8; shift += 2)
            {
                int sc = scales[s++];
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (var l = 0; l < 16; l++) y[o++] = dl * ((q[l] >> shift) & 3) - ml;
                sc = scales[s++];
                dl = d * (sc & 0xF);
                ml = min * (sc >> 4);
                for (var l = 0; l < 16; l++) y[o++] = dl * ((q[l + 16] >> shift) & 3) - ml;
            }
        }
    }

    // block_q3_K { uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d; }: 16 six-bit scales packed in 12 bytes.
    private static void Q3_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var hm = b[..32];
        Span<sbyte> scales = stackalloc sbyte[16];
        Q3KScales(b.Slice(96, 12), scales);
        var dAll = Half(b, 108);
        var o = 0;
        var s = 0;
        var m = 1;
        for (var n = 0; n < 256; n += 128)
        {
            var q = b.Slice(32 + n / 4, 32);
            for (var shift = 0; shift < 8; shift += 2)
            {
                var dl = dAll * (scales[s++] - 32);
                for (var l = 0; l < 16; l++) y[o++] = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4)); // ggml's expression
                dl = dAll * (scales[s++] - 32);
                for (var l = 0; l < 16; l++) y[o++] = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) != 0 ? 0 : 4));
                m <<= 1;
            }
        }
    }

    /// <summary>Unpacks Q3_K's 12 scale bytes into 16 unsigned 6-bit values (0..63, biased by 32).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void Q3KScales(ReadOnlySpan<byte> packed, Span<sbyte> scales)
    {
        const uint kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        var a0 = BinaryPrimitives.ReadUInt32LittleEndian(packed);
        var a1 = BinaryPrimitives.ReadUInt32LittleEndian(packed[4..]);
        var tmp = BinaryPrimitives.ReadUInt32LittleEndian(packed[8..]);
        var r2 = ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        var r3 = ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        var r0 = (a0 & kmask2) | (((tmp >> 0) & kmask1) << 4);
        var r1 = (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4);
        var bytes = MemoryMarshal.AsBytes(scales);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, r0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], r1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], r2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], r3);
    }

    /// <summary>ggml's get_scale_min_k4: the j-th 6-bit scale and min of Q4_K/Q5_K's 12 packed bytes.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out int d, out int m)
    {
        if (j < 4)
        {
            d = q[j] & 63;
            m = q[j + 4] & 63;
        }
        else
        {
            d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    // block_q4_K { half d; half dmin; uint8 scales[12]; uint8 qs[128]; }: 8 sub-blocks of 32 with 6-bit scale/min.
    private static void Q4_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        var min = Half(b, 2);
        var scales = b.Slice(4, 12);
        var o = 0;
        for (int j = 0, s = 0; j < 256; j += 64, s += 2)
        {
            var q = b.Slice(16 + j / 2, 32);
            ScaleMinK4(s, scales, out var sc, out var m);
            float d1 = d * sc, m1 = min * m;
            ScaleMinK4(s + 1, scales, out sc, out m);
            float d2 = d * sc, m2 = min * m;
            for (var l = 0; l < 32; l++) y[o++] = d1 * (q[l] & 0xF) - m1;
            for (var l = 0; l < 32; l++) y[o++] = d2 * (q[l] >> 4) - m2;
        }
    }

    // block_q5_K { half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; }.
    private static void Q5_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 0);
        var min = Half(b, 2);
        var scales = b.Slice(4, 12);
        var qh = b.Slice(16, 32);
        var o = 0;
        int u1 = 1, u2 = 2;
        for (int j = 0, s = 0; j < 256; j += 64, s += 2)
        {
            var ql = b.Slice(48 + j / 2, 32);
            ScaleMinK4(s, scales, out var sc, out var m);
            float d1 = d * sc, m1 = min * m;
            ScaleMinK4(s + 1, scales, out sc, out m);
            float d2 = d * sc, m2 = min * m;
            for (var l = 0; l < 32; l++) y[o++] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
            for (var l = 0; l < 32; l++) y[o++] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    // block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d; }: 6-bit quants minus 32, 16 sub-blocks of 16.
    private static void Q6_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = Half(b, 208);
        for (var n = 0; n < 2; n++)
        {
            var ql = b.Slice(n * 64, 64);
            var qh = b.Slice(128 + n * 32, 32);
            var sc = MemoryMarshal.Cast<byte, sbyte>(b.Slice(192 + n * 8, 8));
            var yy = y.Slice(n * 128, 128);
            for (var l = 0; l < 32; l++)
            {
                var s = l / 16;
                var q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                var q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                var q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                var q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                yy[l] = d * sc[s] * q1;
                yy[l + 32] = d * sc[s + 2] * q2;
                yy[l + 64] = d * sc[s + 4] * q3;
                yy[l + 96] = d * sc[s + 6] * q4;
            }
        }
    }

    // block_q8_K { float d; int8 qs[256]; int16 bsums[16]; }.
    private static void Q8_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var d = BinaryPrimitives.ReadSingleLittleEndian(b);
        for (var j = 0; j < 256; j++) y[j] = d * (sbyte)b[4 + j];
    }
}
