namespace Groundwork.Numerics.Quantization;

/// <summary>Tensor element types, numbered as in ggml/GGUF.</summary>
#pragma warning disable CA1707 // names follow ggml's spelling
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
}
#pragma warning restore CA1707

/// <summary>Block layout facts for each <see cref="GgmlType"/>.</summary>
public static class GgmlTypeInfo
{
    /// <summary>Elements per block (1 for plain types, 32 for Q*_0/1, 256 for K-quants).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64 or GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or GgmlType.IQ4_NL => 32,
        _ => 256,
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4, GgmlType.F16 => 2, GgmlType.BF16 => 2, GgmlType.F64 => 8,
        GgmlType.I8 => 1, GgmlType.I16 => 2, GgmlType.I32 => 4, GgmlType.I64 => 8,
        GgmlType.Q4_0 => 18, GgmlType.Q4_1 => 20, GgmlType.Q5_0 => 22, GgmlType.Q5_1 => 24,
        GgmlType.Q8_0 => 34, GgmlType.Q8_1 => 36,
        GgmlType.Q2_K => 84, GgmlType.Q3_K => 110, GgmlType.Q4_K => 144, GgmlType.Q5_K => 176,
        GgmlType.Q6_K => 210, GgmlType.Q8_K => 292,
        GgmlType.IQ4_NL => 18, GgmlType.IQ4_XS => 136,
        _ => throw new NotSupportedException($"tensor type {type} is not supported"),
    };

    /// <summary>Whether <paramref name="type"/> is a known type number with a known layout.</summary>
    public static bool IsKnown(GgmlType type)
    {
        try { _ = BlockBytes(type); return true; } catch (NotSupportedException) { return false; }
    }

    /// <summary>Bytes taken by a row of <paramref name="elements"/> elements; the count must be a multiple of the block size.</summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        var bs = BlockSize(type);
        if (elements % bs != 0) throw new ArgumentException($"row length {elements} is not a multiple of {type}'s block size {bs}");
        return elements / bs * BlockBytes(type);
    }
}
