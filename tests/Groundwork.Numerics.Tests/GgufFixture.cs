using System.Text;

namespace Groundwork.Numerics.Tests;

/// <summary>
/// TEST-ONLY minimal GGUF tensor locator: reads the header, skips the metadata, reads the tensor infos and returns a
/// tensor's raw bytes. Deliberately duplicates a small part of src/Groundwork.Models/Gguf so this leaf project's tests
/// need no dependency on it; do not use it outside these tests.
/// </summary>
internal sealed class GgufFixture
{
    public sealed record TensorInfo(string Name, long[] Dims, uint Type, long Offset);

    private readonly string _path;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorInfo> _tensors = new(StringComparer.Ordinal);

    public GgufFixture(string path)
    {
        _path = path;
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadUInt32() != 0x46554747) throw new InvalidDataException($"{path}: not a GGUF file");
        var version = r.ReadUInt32();
        if (version < 2) throw new InvalidDataException($"{path}: GGUF version {version} is not supported");
        var tensorCount = r.ReadInt64();
        var kvCount = r.ReadInt64();
        long alignment = 32;
        for (long i = 0; i < kvCount; i++)
        {
            var key = ReadString(r);
            var type = r.ReadUInt32();
            if (key == "general.alignment" && type == 4) alignment = r.ReadUInt32();
            else SkipValue(r, type);
        }
        for (long i = 0; i < tensorCount; i++)
        {
            var name = ReadString(r);
            var nd = r.ReadUInt32();
            var dims = new long[nd];
            for (var d = 0; d < nd; d++) dims[d] = r.ReadInt64();
            var type = r.ReadUInt32();
            var offset = r.ReadInt64();
            _tensors[name] = new TensorInfo(name, dims, type, offset);
        }
        var pos = r.BaseStream.Position;
        _dataStart = (pos + alignment - 1) / alignment * alignment;
    }

    public TensorInfo Info(string name) => _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{_path}: no tensor {name}");

    public byte[] ReadBytes(string name, long byteCount)
    {
        var t = Info(name);
        using var fs = File.OpenRead(_path);
        fs.Position = _dataStart + t.Offset;
        var buf = new byte[byteCount];
        fs.ReadExactly(buf);
        return buf;
    }

    private static string ReadString(BinaryReader r)
    {
        var n = r.ReadInt64();
        return Encoding.UTF8.GetString(r.ReadBytes(checked((int)n)));
    }

    private static void SkipValue(BinaryReader r, uint type)
    {
        switch (type)
        {
            case 0 or 1 or 7: r.ReadByte(); break;
            case 2 or 3: r.ReadUInt16(); break;
            case 4 or 5 or 6: r.ReadUInt32(); break;
            case 10 or 11 or 12: r.ReadUInt64(); break;
            case 8: ReadString(r); break;
            case 9:
                var itemType = r.ReadUInt32();
                var count = r.ReadInt64();
                for (long i = 0; i < count; i++) SkipValue(r, itemType);
                break;
            default: throw new InvalidDataException($"unknown GGUF value type {type}");
        }
    }
}
