using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Groundwork.Numerics.Quantization;

/// <summary>
/// Float to block quantization following ggml's reference quantizers (quantize_row_*_ref): the same scale choice and the
/// same rounding, so a round trip lands on the values ggml itself would produce (up to float summation order in the
/// K-quant scale searches).
/// </summary>
internal static class BlockQuantizer
{
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        var bs = GgmlTypeInfo.BlockSize(type);
        if (src.Length % bs != 0) throw new ArgumentException($"{src.Length} elements is not a multiple of {type}'s block size {bs}", nameof(src));
        var bb = GgmlTypeInfo.BlockBytes(type);
        var blocks = src.Length / bs;
        if (dst.Length < (long)blocks * bb) throw new ArgumentException($"{type}: {src.Length} elements need {(long)blocks * bb} bytes, got {dst.Length}", nameof(dst));
        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.AsBytes(src).CopyTo(dst);
                return;
            case GgmlType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(src, MemoryMarshal.Cast<byte, Half>(dst[..(src.Length * 2)]));
                return;
            case GgmlType.BF16:
                var d16 = MemoryMarshal.Cast<byte, ushort>(dst[..(src.Length * 2)]);
                for (var i = 0; i < src.Length; i++) d16[i] = FloatDot.ToBf16(src[i]);
                return;
        }
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * bs, bs);
            var y = dst.Slice(i * bb, bb);
            switch (type)
            {
                case GgmlType.Q4_0: Q4_0(x, y); break;
                case GgmlType.Q4_1: Q4_1(x, y); break;
                case GgmlType.Q5_0: Q5_0(x, y); break;
                case GgmlType.Q5_1: Q5_1(x, y); break;
                case GgmlType.Q8_0: Q8_0(x, y, withSum: false); break;
                case GgmlType.Q8_1: Q8_0(x, y, withSum: true); break;
                case GgmlType.Q4_K: Q4_K(x, y); break;
                case GgmlType.Q6_K: Q6_K(x, y); break;
                case GgmlType.Q8_K: Q8_K(x, y); break;
                default:
                    throw new NotSupportedException($"quantizing to {type} is not supported (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q6_K, Q8_K)");
            }
        }
    }

    /// <summary>ggml's nearest_int: round half to even via the 1.5·2^23 trick (valid for |x| &lt; 2^22).</summary>
    internal static int NearestInt(float f)
    {
        var v = f + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007fffff) - 0x00400000;
    }

    private static void WriteHalf(Span<byte> b, int offset, float v) =>
        BinaryPrimitives.WriteUInt16LittleEndian(b[offset..], BitConverter.HalfToUInt16Bits((Half)v));

    private static float RoundHalf(float v) => (float)(Half)v;

    private static (float Amax, float Max) AbsMax(ReadOnlySpan<float> x)
    {
        float amax = 0, max = 0;
        foreach (var v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        return (amax, max);
    }

    private static (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        foreach (var v in x)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return (min, max);
    }

    private static void Q4_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (_, max) = AbsMax(x);
        var d = max / -8;
        var id = d != 0 ? 1.0f / d : 0.0f;
        WriteHalf(y, 0, d);
        for (var j = 0; j < 16; j++)
        {
            var xi0 = Math.Min(15, (int)(sbyte)(int)(x[j] * id + 8.5f));
            var xi1 = Math.Min(15, (int)(sbyte)(int)(x[16 + j] * id + 8.5f));
            y[2 + j] = (byte)(xi0 | (xi1 << 4));
        }
    }

    private static void Q4_1(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (min, max) = MinMax(x);
        var d = (max - min) / 15;
        var id = d != 0 ? 1.0f / d : 0.0f;
        WriteHalf(y, 0, d);
        WriteHalf(y, 2, min);
        for (var j = 0; j < 16; j++)
        {
            var xi0 = Math.Min(15, (int)(sbyte)(int)((x[j] - min) * id + 0.5f));
            var xi1 = Math.Min(15, (int)(sbyte)(int)((x[16 + j] - min) * id + 0.5f));
            y[4 + j] = (byte)(xi0 | (xi1 << 4));
        }
    }

    private static void Q5_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (_, max) = AbsMax(x);
        var d = max / -16;
        var id = d != 0 ? 1.0f / d : 0.0f;
        WriteHalf(y, 0, d);
        uint qh = 0;
        for (var j = 0; j < 16; j++)
        {
            var xi0 = Math.Min(31, (int)(sbyte)(int)(x[j] * id + 16.5f));
            var xi1 = Math.Min(31, (int)(sbyte)(int)(x[16 + j] * id + 16.5f));
            y[6 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= (uint)((xi0 & 0x10) >> 4) << j;
            qh |= (uint)((xi1 & 0x10) >> 4) << (j + 16);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(y[2..], qh);
    }

    private static void Q5_1(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (min, max) = MinMax(x);
        var d = (max - min) / 31;
        var id = d != 0 ? 1.0f / d : 0.0f;
        WriteHalf(y, 0, d);
        WriteHalf(y, 2, min);
        uint qh = 0;
        for (var j = 0; j < 16; j++)
        {
            var xi0 = (int)(byte)(int)((x[j] - min) * id + 0.5f);
            var xi1 = (int)(byte)(int)((x[16 + j] - min) * id + 0.5f);
            y[8 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= (uint)((xi0 & 0x10) >> 4) << j;
            qh |= (uint)((xi1 & 0x10) >> 4) << (j + 16);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(y[4..], qh);
    }

    private static void Q8_0(ReadOnlySpan<float> x, Span<byte> y, bool withSum)
    {
        var (amax, _) = AbsMax(x);
        var d = amax / 127;
        var id = d != 0 ? 1.0f / d : 0.0f;
        WriteHalf(y, 0, d);
        var off = withSum ? 4 : 2;
        var sum = 0;
        for (var j = 0; j < 32; j++)
        {
            var q = (int)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
            y[off + j] = (byte)(sbyte)q;
            sum += q;
        }
        if (withSum) WriteHalf(y, 2, sum * RoundHalf(d));
    }

    private static void Q8_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (amax, max) = AbsMax(x);
        if (amax == 0)
        {
            y[..292].Clear();
            return;
        }
        var iscale = -127f / max;
        for (var j = 0; j < 256; j++) y[4 + j] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * x[j]));
        for (var j = 0; j < 16; j++)
        {
            var s = 0;
            for (var k = 0; k < 16; k++) s += (sbyte)y[4 + j * 16 + k];
            BinaryPrimitives.WriteInt16LittleEndian(y[(260 + j * 2)..], (short)s);
        }
        BinaryPrimitives.WriteSingleLittleEndian(y, 1 / iscale);
    }

    // ggml's make_qkx2_quants: asymmetric (scale, min) search for one sub-block, returns scale and sets -min.
    private static float MakeQkx2Quants(int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> l, out float theMin,
        Span<byte> laux, float rmin, float rdelta, int nstep)
    {
        var n = x.Length;
        float min = x[0], max = x[0];
        var sumW = weights[0];
        var sumX = sumW * x[0];
        for (var i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            var w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            l[..n].Clear();
            theMin = -min;
            return 0;
        }
        var iscale = nmax / (max - min);
        var scale = 1 / iscale;
        float bestError = 0;
        for (var i = 0; i < n; i++)
        {
            var li = Math.Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
            l[i] = (byte)li;
            var diff = scale * l[i] + min - x[i];
            bestError += weights[i] * diff * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (var s = 0; s <= nstep; s++)
        {
            iscale = (rmin + rdelta * s + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (var i = 0; i < n; i++)
            {
                var li = Math.Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
                laux[i] = (byte)li;
                var w = weights[i];
                sumL += w * li;
                sumL2 += w * li * li;
                sumXl += w * li * x[i];
            }
            var det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                var thisScale = (sumW * sumXl - sumX * sumL) / det;
                var thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (var i = 0; i < n; i++)
                {
                    var diff = thisScale * laux[i] + thisMin - x[i];
                    curError += weights[i] * diff * diff;
                }
                if (curError < bestError)
                {
                    laux[..n].CopyTo(l);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    private static void Q4_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> l = stackalloc byte[256];
        Span<byte> laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        for (var j = 0; j < 8; j++)
        {
            var xs = x.Slice(32 * j, 32);
            float sumX2 = 0;
            foreach (var v in xs) sumX2 += v * v;
            var avX = MathF.Sqrt(sumX2 / 32);
            for (var k = 0; k < 32; k++) weights[k] = avX + MathF.Abs(xs[k]);
            scales[j] = MakeQkx2Quants(15, xs, weights, l.Slice(32 * j, 32), out mins[j], laux, -1f, 0.1f, 20);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        var invScale = maxScale > 0 ? 63f / maxScale : 0f;
        var invMin = maxMin > 0 ? 63f / maxMin : 0f;
        var sc = y.Slice(4, 12);
        for (var j = 0; j < 8; j++)
        {
            var ls = Math.Min(63, NearestInt(invScale * scales[j]));
            var lm = Math.Min(63, NearestInt(invMin * mins[j]));
            if (j < 4)
            {
                sc[j] = (byte)ls;
                sc[j + 4] = (byte)lm;
            }
            else
            {
                sc[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                sc[j - 4] |= (byte)((ls >> 4) << 6);
                sc[j] |= (byte)((lm >> 4) << 6);
            }
        }
        WriteHalf(y, 0, maxScale / 63f);
        WriteHalf(y, 2, maxMin / 63f);
        var d = BlockDequantizer.Half(y, 0);
        var dmin = BlockDequantizer.Half(y, 2);
        for (var j = 0; j < 8; j++)
        {
            BlockDequantizer.ScaleMinK4(j, sc, out var s, out var m);
            var dd = d * s;
            if (dd == 0) continue;
            var dm = dmin * m;
            for (var k = 0; k < 32; k++) l[32 * j + k] = (byte)Math.Clamp(NearestInt((x[32 * j + k] + dm) / dd), 0, 15);
        }
        var q = y.Slice(16, 128);
        for (var j = 0; j < 256; j += 64)
        {
            for (var k = 0; k < 32; k++) q[j / 2 + k] = (byte)(l[j + k] | (l[j + k + 32] << 4));
        }
    }

    // ggml's make_qx_quants with rmse_type 1 (weights x²) and no importance: symmetric scale search for one sub-block.
    private static float MakeQxQuants(int nmax, ReadOnlySpan<float> x, Span<sbyte> l)
    {
        var n = x.Length;
        var (amax, max) = AbsMax(x);
        if (amax < 1e-15f)
        {
            l[..n].Clear();
            return 0;
        }
        var iscale = -nmax / max;
        float sumLx = 0, sumL2 = 0;
        for (var i = 0; i < n; i++)
        {
            var li = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            l[i] = (sbyte)(li + nmax);
            var w = x[i] * x[i];
            sumLx += w * x[i] * li;
            sumL2 += w * li * li;
        }
        var scale = sumL2 != 0 ? sumLx / sumL2 : 0;
        var best = scale * sumLx;
        for (var s = -9; s <= 9; s++)
        {
            if (s == 0) continue;
            iscale = -(nmax + 0.1f * s) / max;
            sumLx = sumL2 = 0;
            for (var i = 0; i < n; i++)
            {
                var li = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
                var w = x[i] * x[i];
                sumLx += w * x[i] * li;
                sumL2 += w * li * li;
            }
            if (sumL2 > 0 && sumLx * sumLx > best * sumL2)
            {
                for (var i = 0; i < n; i++) l[i] = (sbyte)(nmax + Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
                scale = sumLx / sumL2;
                best = scale * sumLx;
            }
        }
        return scale;
    }

    private static void Q6_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<sbyte> l = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (var ib = 0; ib < 16; ib++)
        {
            var scale = MakeQxQuants(32, x.Slice(16 * ib, 16), l.Slice(16 * ib, 16));
            scales[ib] = scale;
            if (MathF.Abs(scale) > maxAbsScale)
            {
                maxAbsScale = MathF.Abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < 1e-15f)
        {
            y[..210].Clear();
            return;
        }
        var iscale = -128f / maxScale;
        WriteHalf(y, 208, 1 / iscale);
        var sc = y.Slice(192, 16);
        for (var ib = 0; ib < 16; ib++) sc[ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
        var dAll = BlockDequantizer.Half(y, 208);
        for (var j = 0; j < 16; j++)
        {
            var d = dAll * (sbyte)sc[j];
            if (d == 0) continue;
            for (var k = 0; k < 16; k++) l[16 * j + k] = (sbyte)(Math.Clamp(NearestInt(x[16 * j + k] / d), -32, 31) + 32);
        }
        for (var n = 0; n < 2; n++)
        {
            var ql = y.Slice(n * 64, 64);
            var qh = y.Slice(128 + n * 32, 32);
            var j = n * 128;
            for (var k = 0; k < 32; k++)
            {
                int q1 = l[j + k] & 0xF, q2 = l[j + k + 32] & 0xF, q3 = l[j + k + 64] & 0xF, q4 = l[j + k + 96] & 0xF;
                ql[k] = (byte)(q1 | (q3 << 4));
                ql[k + 32] = (byte)(q2 | (q4 << 4));
                qh[k] = (byte)((l[j + k] >> 4) | ((l[j + k + 32] >> 4) << 2) | ((l[j + k + 64] >> 4) << 4) | ((l[j + k + 96] >> 4) << 6));
            }
        }
    }
}
