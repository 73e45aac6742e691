namespace Groundwork.Numerics.Quantization;

/// <summary>
/// A row-major view of a (possibly quantized) weight matrix in unmanaged memory, typically memory-mapped GGUF data.
/// <see cref="Rows"/> is ggml's ne[1] and <see cref="Cols"/> is ne[0]; each row is <see cref="Cols"/> elements of
/// <see cref="Type"/> stored as whole blocks. The view does not own the memory.
/// </summary>
public readonly unsafe struct QuantizedMatrix
{
    /// <summary>Creates a view over <paramref name="rows"/> × <paramref name="cols"/> elements of <paramref name="type"/> at <paramref name="data"/>.</summary>
    public QuantizedMatrix(GgmlType type, byte* data, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (data is null && (long)rows * cols != 0) throw new ArgumentNullException(nameof(data));
        Type = type;
        Data = data;
        Rows = rows;
        Cols = cols;
        RowBytes = GgmlTypeInfo.RowBytes(type, cols);
        if (RowBytes > int.MaxValue) throw new ArgumentException($"a row of {cols} {type} elements is larger than 2 GiB");
    }

    /// <summary>The element type of every row.</summary>
    public GgmlType Type { get; }

    /// <summary>Start of row 0.</summary>
    public byte* Data { get; }

    /// <summary>Number of rows (ggml ne[1]).</summary>
    public int Rows { get; }

    /// <summary>Elements per row (ggml ne[0]).</summary>
    public int Cols { get; }

    /// <summary>Bytes per row.</summary>
    public long RowBytes { get; }

    /// <summary>The bytes of row <paramref name="r"/>.</summary>
    public ReadOnlySpan<byte> Row(int r)
    {
        if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(r), r, $"row index outside 0..{Rows - 1}");
        return new ReadOnlySpan<byte>(Data + r * RowBytes, (int)RowBytes);
    }

    /// <summary>Unchecked pointer to row <paramref name="r"/>.</summary>
    internal byte* RowPointer(int r) => Data + r * RowBytes;
}
