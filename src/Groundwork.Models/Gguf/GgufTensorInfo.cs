using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Gguf;

/// <summary>One tensor's entry in a GGUF file: name, element type, shape and where its bytes lie.</summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(string name, GgmlType type, long[] dimensions, long offset, long elementCount, long byteSize)
    {
        Name = name;
        Type = type;
        Dimensions = dimensions;
        Offset = offset;
        ElementCount = elementCount;
        ByteSize = byteSize;
    }

    /// <summary>The tensor's name, e.g. "blk.0.attn_q.weight".</summary>
    public string Name { get; }

    /// <summary>The element (block) type.</summary>
    public GgmlType Type { get; }

    /// <summary>The shape as ggml writes it: <c>Dimensions[0]</c> is the innermost (row length), 1 to 4 entries, all positive.</summary>
#pragma warning disable CA1819 // the shape is a small array by design; callers must not mutate it
    public long[] Dimensions { get; }
#pragma warning restore CA1819

    /// <summary>Byte offset of the tensor's data relative to <see cref="GgufFile.DataOffset"/>.</summary>
    public long Offset { get; }

    /// <summary>Bytes of data the tensor occupies (excluding alignment padding).</summary>
    public long ByteSize { get; }

    /// <summary>Number of elements (product of the dimensions).</summary>
    public long ElementCount { get; }

    /// <summary>Number of rows as a long: the product of <c>Dimensions[1..]</c> (1 for a vector).</summary>
    public long RowCount => ElementCount / Dimensions[0];

    /// <summary>Number of rows: the product of <c>Dimensions[1..]</c>; throws <see cref="OverflowException"/> past int.MaxValue.</summary>
    public int Rows => checked((int)RowCount);

    /// <summary>Row length, <c>Dimensions[0]</c>; throws <see cref="OverflowException"/> past int.MaxValue.</summary>
    public int Columns => checked((int)Dimensions[0]);

    /// <summary>Bytes per row.</summary>
    public long RowBytes => ByteSize / RowCount;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dimensions)}]";
}
