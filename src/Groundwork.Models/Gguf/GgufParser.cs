using System.Buffers.Binary;
using System.Text;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Gguf;

/// <summary>
/// Parses and validates a GGUF header, metadata and tensor infos from a mapped buffer. Every length read from the file
/// is checked against the bytes that remain before anything is allocated from it.
/// </summary>
internal unsafe ref struct GgufParser
{
    internal const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    private const int MaxArrayNesting = 8;
    private const int MaxDimensions = 4;

    private readonly string _file;
    private readonly byte* _data;
    private readonly long _length;
    private long _pos;

    private GgufParser(string file, byte* data, long length)
    {
        _file = file;
        _data = data;
        _length = length;
    }

    internal sealed record Result(
        uint Version, OrderedDictionary<string, GgufValue> Metadata, GgufTensorInfo[] Tensors,
        Dictionary<string, GgufTensorInfo> ByName, long DataOffset, int Alignment);

    public static Result Parse(string file, byte* data, long length) => new GgufParser(file, data, length).Run();

    private Result Run()
    {
        if (_length < 4) throw Fail($"not a GGUF file (only {_length} bytes)");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(_data, 4));
        if (magic != Magic) throw Fail("not a GGUF file (bad magic; expected \"GGUF\")");
        _pos = 4;
        uint version = U32("the header");
        if (version is 0x02000000 or 0x03000000)
            throw Fail("big-endian GGUF files are not supported (only little-endian)");
        if (version == 1) throw Fail("GGUF version 1 is not supported (only versions 2 and 3)");
        if (version is not (2 or 3)) throw Fail($"unsupported GGUF version {version} (only versions 2 and 3)");

        ulong tensorCount = U64("the header");
        ulong kvCount = U64("the header");
        // Smallest possible entries: a KV pair is key length (8) + type (4) + a 1-byte value; a tensor info is
        // name length (8) + n_dims (4) + type (4) + offset (8).
        if (kvCount > (ulong)Remaining / 13)
            throw Fail($"metadata count {kvCount} is impossible for a file of {_length} bytes");
        if (tensorCount > (ulong)Remaining / 24)
            throw Fail($"tensor count {tensorCount} is impossible for a file of {_length} bytes");

        var metadata = new OrderedDictionary<string, GgufValue>((int)Math.Min(kvCount, 4096), StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = ReadString($"metadata key #{i}");
            var type = (GgufValueType)U32($"metadata key '{key}'");
            var value = ReadValue(key, type, 0);
            if (!metadata.TryAdd(key, value)) throw Fail($"duplicate metadata key '{key}'");
        }

        int alignment = GgufFile.DefaultAlignment;
        if (metadata.TryGetValue("general.alignment", out var alignValue))
        {
            if (!alignValue.IsInteger) throw Fail($"general.alignment is {alignValue.Describe()}, expected an integer");
            long a = alignValue.Value is ulong u && u > long.MaxValue ? -1 : alignValue.AsInt64();
            if (a <= 0 || (a & (a - 1)) != 0 || a > 1 << 30)
                throw Fail($"general.alignment {alignValue} is not a power of two between 1 and 2^30");
            alignment = (int)a;
        }

        // Capacities are capped: a count that passed the size check can still be huge for a big file.
        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 4096));
        var byName = new Dictionary<string, GgufTensorInfo>((int)Math.Min(tensorCount, 4096), StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var t = ReadTensorInfo(i);
            if (!byName.TryAdd(t.Name, t)) throw Fail($"duplicate tensor name '{t.Name}'");
            tensors.Add(t);
        }

        long dataOffset = AlignUp(_pos, alignment);
        foreach (var t in tensors)
        {
            if (t.Offset % alignment != 0)
                throw Fail($"tensor '{t.Name}' offset {t.Offset} is not a multiple of the alignment {alignment}");
            long start = dataOffset + t.Offset; // both bounded by the checks below, no overflow
            if (t.Offset > _length || start > _length || t.ByteSize > _length - start)
                throw Fail($"tensor '{t.Name}' data ({t.ByteSize} bytes at offset {t.Offset} of the data section at {dataOffset}) extends past the end of the file ({_length} bytes)");
        }

        return new Result(version, metadata, [.. tensors], byName, dataOffset, alignment);
    }

    private GgufTensorInfo ReadTensorInfo(ulong index)
    {
        string name = ReadString($"tensor info #{index}");
        string what = $"tensor '{name}'";
        uint nDims = U32(what);
        if (nDims is 0 or > MaxDimensions) throw Fail($"{what} has {nDims} dimensions (1 to {MaxDimensions} supported)");
        var dims = new long[nDims];
        long elements = 1;
        bool overflow = false;
        for (int d = 0; d < nDims; d++)
        {
            ulong raw = U64(what);
            if (raw == 0 || raw > long.MaxValue) throw Fail($"{what} has non-positive dimension {d} ({(long)raw})");
            dims[d] = (long)raw;
            if (!overflow)
            {
                try { elements = checked(elements * dims[d]); }
                catch (OverflowException) { overflow = true; }
            }
        }
        uint typeNumber = U32(what);
        var type = (GgmlType)typeNumber;
        if (!Enum.IsDefined(type) || !GgmlTypeInfo.IsKnown(type))
        {
            string known = Enum.IsDefined(type) ? $" ({type})" : "";
            throw Fail($"{what} has unsupported type {typeNumber}{known}");
        }
        ulong offset = U64(what);
        if (overflow) throw Fail($"{what} has too many elements ({string.Join(" x ", dims)})");
        int blockSize = GgmlTypeInfo.BlockSize(type);
        if (dims[0] % blockSize != 0)
            throw Fail($"{what} row length {dims[0]} is not a multiple of {type}'s block size {blockSize}");
        long byteSize;
        try { byteSize = checked(dims[0] / blockSize * GgmlTypeInfo.BlockBytes(type) * (elements / dims[0])); }
        catch (OverflowException) { throw Fail($"{what} is too large ({string.Join(" x ", dims)} {type})"); }
        if (offset > (ulong)_length) throw Fail($"{what} offset {offset} lies past the end of the file ({_length} bytes)");
        return new GgufTensorInfo(name, type, dims, (long)offset, elements, byteSize);
    }

    private GgufValue ReadValue(string key, GgufValueType type, int depth)
    {
        string what = $"metadata key '{key}'";
        switch (type)
        {
            case GgufValueType.UInt8: return GgufValue.FromUInt8(Bytes(1, what)[0]);
            case GgufValueType.Int8: return GgufValue.FromInt8((sbyte)Bytes(1, what)[0]);
            case GgufValueType.UInt16: return GgufValue.FromUInt16(BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, what)));
            case GgufValueType.Int16: return GgufValue.FromInt16(BinaryPrimitives.ReadInt16LittleEndian(Bytes(2, what)));
            case GgufValueType.UInt32: return GgufValue.FromUInt32(U32(what));
            case GgufValueType.Int32: return GgufValue.FromInt32(BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what)));
            case GgufValueType.Float32: return GgufValue.FromFloat32(BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, what)));
            case GgufValueType.Bool: return GgufValue.FromBool(ReadBool(what));
            case GgufValueType.String: return GgufValue.FromString(ReadString(what));
            case GgufValueType.UInt64: return GgufValue.FromUInt64(U64(what));
            case GgufValueType.Int64: return GgufValue.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, what)));
            case GgufValueType.Float64: return GgufValue.FromFloat64(BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8, what)));
            case GgufValueType.Array: return ReadArray(key, depth);
            default: throw Fail($"{what} has unknown value type {(uint)type}");
        }
    }

    private GgufValue ReadArray(string key, int depth)
    {
        string what = $"metadata key '{key}'";
        if (depth >= MaxArrayNesting) throw Fail($"{what} nests arrays deeper than {MaxArrayNesting} levels");
        uint rawElementType = U32(what);
        var et = (GgufValueType)rawElementType;
        if (rawElementType > (uint)GgufValueType.Float64) throw Fail($"{what} is an array of unknown value type {rawElementType}");
        ulong count = U64(what);
        int minSize = et switch { GgufValueType.String => 8, GgufValueType.Array => 12, _ => GgufValue.ScalarSize(et) };
        if (count > (ulong)(Remaining / minSize) || count > int.MaxValue - 64)
            throw Fail($"{what} array count {count} is impossible for the {Remaining} bytes left in the file");
        int n = (int)count;
        switch (et)
        {
            case GgufValueType.String:
            {
                // grown as read: element objects outweigh their bytes in the file, so never preallocate from the count
                var a = new List<string>(Math.Min(n, 4096));
                for (int i = 0; i < n; i++) a.Add(ReadString(what));
                return GgufValue.ArrayOf(et, a.ToArray());
            }
            case GgufValueType.Array:
            {
                var a = new List<GgufValue>(Math.Min(n, 4096));
                for (int i = 0; i < n; i++) a.Add(ReadArray(key, depth + 1));
                return GgufValue.ArrayOf(et, a.ToArray());
            }
            case GgufValueType.Bool:
            {
                var a = new bool[n];
                for (int i = 0; i < n; i++) a[i] = ReadBool(what);
                return GgufValue.ArrayOf(et, a);
            }
            case GgufValueType.UInt8: return GgufValue.ArrayOf(et, Bytes(n, what).ToArray());
            case GgufValueType.Int8: return GgufValue.ArrayOf(et, Scalars<sbyte>(n, what));
            case GgufValueType.UInt16: return GgufValue.ArrayOf(et, Scalars<ushort>(n, what));
            case GgufValueType.Int16: return GgufValue.ArrayOf(et, Scalars<short>(n, what));
            case GgufValueType.UInt32: return GgufValue.ArrayOf(et, Scalars<uint>(n, what));
            case GgufValueType.Int32: return GgufValue.ArrayOf(et, Scalars<int>(n, what));
            case GgufValueType.Float32: return GgufValue.ArrayOf(et, Scalars<float>(n, what));
            case GgufValueType.UInt64: return GgufValue.ArrayOf(et, Scalars<ulong>(n, what));
            case GgufValueType.Int64: return GgufValue.ArrayOf(et, Scalars<long>(n, what));
            default: return GgufValue.ArrayOf(et, Scalars<double>(n, what)); // Float64
        }
    }

    // Little-endian host assumed (checked by the writer too); GGUF is little-endian.
    private T[] Scalars<T>(int n, string what) where T : unmanaged
    {
        var src = Bytes((long)n * sizeof(T), what);
        var a = new T[n];
        src.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
        return a;
    }

    private bool ReadBool(string what)
    {
        byte b = Bytes(1, what)[0];
        return b switch { 0 => false, 1 => true, _ => throw Fail($"{what} has invalid bool byte {b}") };
    }

    private string ReadString(string what)
    {
        ulong len = U64(what);
        if (len > (ulong)Remaining)
            throw Fail($"{what}: string length {len} at offset {_pos - 8} exceeds the {Remaining} bytes left in the file");
        if (len > int.MaxValue) throw Fail($"{what}: string length {len} is too large");
        return Encoding.UTF8.GetString(Bytes((int)len, what));
    }

    private uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

    private ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

    private long Remaining => _length - _pos;

    private ReadOnlySpan<byte> Bytes(long n, string what)
    {
        if (n > Remaining) throw Fail($"truncated file: {what} needs {n} bytes at offset {_pos} but only {Remaining} remain");
        var span = new ReadOnlySpan<byte>(_data + _pos, checked((int)n));
        _pos += n;
        return span;
    }

    private static long AlignUp(long x, int alignment) => (x + alignment - 1) / alignment * alignment;

    private readonly GgufException Fail(string what) => new($"{_file}: {what}");
}
