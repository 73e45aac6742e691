using System.Buffers.Binary;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Numerics.Tests.Quantization;

/// <summary>Random but valid rows of every type: random quant bits (the full bit space, including values our own
/// quantizers never emit) with finite, moderate fp16 scales.</summary>
internal static class BlockData
{
    public static readonly GgmlType[] DotTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    public static readonly GgmlType[] QuantizeTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q4_K, GgmlType.Q6_K,
    ];

    public static byte[] RandomRow(GgmlType type, int elements, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, elements)];
        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < elements; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), (float)(rng.NextDouble() * 2 - 1));
                return bytes;
            case GgmlType.F16:
                for (var i = 0; i < elements; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)(rng.NextDouble() * 2 - 1));
                return bytes;
            case GgmlType.BF16:
                for (var i = 0; i < elements; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16));
                return bytes;
        }
        rng.NextBytes(bytes);
        var bb = GgmlTypeInfo.BlockBytes(type);
        int[] halves = type switch
        {
            GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => [0],
            GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
            GgmlType.Q2_K => [80, 82],
            GgmlType.Q3_K => [108],
            GgmlType.Q6_K => [208],
            _ => throw new NotSupportedException(type.ToString()),
        };
        for (var b = 0; b < bytes.Length / bb; b++)
        {
            foreach (var h in halves)
                BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(b * bb + h), (Half)((rng.NextDouble() * 2 - 1) * 0.05));
        }
        return bytes;
    }

    public static float[] Dequantized(GgmlType type, byte[] row, int elements)
    {
        var w = new float[elements];
        QuantizedOps.Dequantize(type, row, w);
        return w;
    }

    /// <summary>
    /// Bound on |Dot − exact dot of the dequantized row with x|: float types only accumulate rounding; quantized types
    /// also round each activation to its 8-bit block grid, an error of at most amax(block)/254 per element.
    /// </summary>
    public static double DotBound(GgmlType type, ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        double l1 = 0;
        for (var i = 0; i < w.Length; i++) l1 += Math.Abs((double)w[i] * x[i]);
        var kind = type switch
        {
            GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 0,
            GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => 256,
            _ => 32,
        };
        var bound = 2e-5 * l1 + 1e-6;
        if (kind == 0) return bound;
        for (var b = 0; b < x.Length / kind; b++)
        {
            double amax = 0;
            for (var i = 0; i < kind; i++) amax = Math.Max(amax, Math.Abs(x[b * kind + i]));
            double wl1 = 0;
            for (var i = 0; i < kind; i++) wl1 += Math.Abs(w[b * kind + i]);
            bound += wl1 * amax / 254 * 1.001;
        }
        return bound;
    }

    public static double ExactDot(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        double s = 0;
        for (var i = 0; i < w.Length; i++) s += (double)w[i] * x[i];
        return s;
    }
}
