namespace Groundwork.Numerics.Quantization;

/// <summary>Dequantization, quantization and row dot products for ggml block formats.</summary>
public static class QuantizedOps
{
    /// <summary>
    /// Dequantizes <paramref name="dst"/>.Length elements (a multiple of the block size) from <paramref name="src"/>,
    /// bit-for-bit as ggml does. Supports F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 and Q2_K..Q8_K.
    /// </summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst) => BlockDequantizer.Dequantize(type, src, dst);

    /// <summary>
    /// Dot product of one row of <paramref name="type"/> (x.Length elements) with <paramref name="x"/>. Float types are
    /// exact up to float summation order; quantized types round <paramref name="x"/> to 8-bit blocks first (Q8_0 for
    /// 32-element blocks, Q8_K for K-quants) and multiply in integers, as llama.cpp does.
    /// </summary>
    public static float Dot(GgmlType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x) => RowDot.Dot(type, row, x);

    /// <summary>
    /// Quantizes <paramref name="src"/> (a multiple of the block size) into <paramref name="dst"/> with ggml's reference
    /// rounding. Supports F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q6_K and Q8_K; other types throw
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst) => BlockQuantizer.Quantize(type, src, dst);

    /// <summary>Whether <see cref="Dot"/>, <see cref="Dequantize"/> and the matrix products accept rows of <paramref name="type"/>.</summary>
    public static bool CanMultiply(GgmlType type) => RowDot.Supports(type);
}
