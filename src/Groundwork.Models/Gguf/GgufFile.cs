using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Gguf;

/// <summary>
/// A GGUF file (version 2 or 3, little-endian), memory-mapped read-only. Metadata and tensor infos are parsed and
/// validated at <see cref="Open"/>; tensor data stays in the mapping and is never copied. Pointers and spans handed
/// out are valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>The GGUF default data alignment when <c>general.alignment</c> is absent.</summary>
    public const int DefaultAlignment = 32;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly Dictionary<string, GgufTensorInfo> _byName;
    private bool _disposed;

    private GgufFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr, long length,
        GgufParser.Result parsed)
    {
        Path = path;
        FileName = System.IO.Path.GetFileName(path);
        _map = map;
        _view = view;
        _base = basePtr;
        _length = length;
        Version = parsed.Version;
        Metadata = parsed.Metadata;
        Tensors = parsed.Tensors;
        DataOffset = parsed.DataOffset;
        Alignment = parsed.Alignment;
        _byName = parsed.ByName;
    }

    /// <summary>The GGUF version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The file name, used in error messages.</summary>
    public string FileName { get; }

    /// <summary>The file length in bytes.</summary>
    public long Length => _length;

    /// <summary>All metadata key/value pairs, in file order when enumerated.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>All tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Absolute file offset of the tensor data section (aligned to <see cref="Alignment"/>).</summary>
    public long DataOffset { get; }

    /// <summary>The data alignment in bytes (<c>general.alignment</c>, default 32).</summary>
    public int Alignment { get; }

    /// <summary>The model architecture (<c>general.architecture</c>, e.g. "llama"); throws when missing.</summary>
    public string Architecture => GetString("general.architecture");

    /// <summary>Opens and validates a GGUF file, memory-mapping it read-only.</summary>
    /// <exception cref="GgufException">The file is not a valid, supported GGUF file (the message names the file and the problem).</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var name = System.IO.Path.GetFileName(path);
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        }
        catch (FileNotFoundException) { throw new GgufException($"{name}: file not found ({path})"); }
        catch (DirectoryNotFoundException) { throw new GgufException($"{name}: file not found ({path})"); }
        catch (IOException e) { throw new GgufException($"{name}: cannot open: {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new GgufException($"{name}: cannot open: {e.Message}", e); }

        long length = fs.Length;
        if (length == 0)
        {
            fs.Dispose();
            throw new GgufException($"{name}: not a GGUF file (the file is empty)");
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* ptr = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            ptr += view.PointerOffset;
            var parsed = GgufParser.Parse(name, ptr, length);
            return new GgufFile(path, map, view, ptr, length, parsed);
        }
        catch
        {
            if (ptr != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (map is not null) map.Dispose(); else fs.Dispose();
            throw;
        }
    }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, out GgufTensorInfo info) => _byName.TryGetValue(name, out info!);

    /// <summary>Looks a tensor up by name; throws <see cref="GgufException"/> "file: tensor 'x' not found" when absent.</summary>
    public GgufTensorInfo GetTensor(string name)
        => _byName.TryGetValue(name, out var t) ? t : throw Error($"tensor '{name}' not found");

    /// <summary>A pointer to the tensor's first byte inside the mapping (works past 2 GiB); valid until the file is disposed.</summary>
    public byte* GetTensorPointer(GgufTensorInfo t)
    {
        ArgumentNullException.ThrowIfNull(t);
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckOwned(t);
        return _base + DataOffset + t.Offset;
    }

    /// <summary>The tensor's bytes as a span over the mapping; throws <see cref="GgufException"/> when larger than int.MaxValue bytes.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.ByteSize > int.MaxValue)
            throw Error($"tensor '{t.Name}' is {t.ByteSize} bytes, too large for a span; use GetTensorPointer");
        return new ReadOnlySpan<byte>(GetTensorPointer(t), (int)t.ByteSize);
    }

    /// <summary>The elements of an F32 tensor (norm weights, biases) as a span over the mapping.</summary>
    public ReadOnlySpan<float> GetF32(string tensorName)
    {
        var t = GetTensor(tensorName);
        if (t.Type != GgmlType.F32) throw Error($"tensor '{tensorName}' is {t.Type}, expected F32");
        return MemoryMarshal.Cast<byte, float>(GetTensorBytes(t));
    }

    /// <summary>A metadata value; throws when missing.</summary>
    public GgufValue GetValue(string key)
        => Metadata.TryGetValue(key, out var v) ? v : throw Error($"metadata key '{key}' not found");

    /// <summary>A string metadata value; throws when missing or not a string.</summary>
    public string GetString(string key) => TryGetString(key) ?? throw Error($"metadata key '{key}' not found");

    /// <summary>A string metadata value, or null when missing; throws when present with another type.</summary>
    public string? TryGetString(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v.Type == GgufValueType.String ? (string)v.Value : throw WrongType(key, v, "String");
    }

    /// <summary>An integer metadata value of any width; throws when missing, not an integer, or beyond Int64.</summary>
    public long GetInteger(string key) => TryGetInteger(key) ?? throw Error($"metadata key '{key}' not found");

    /// <summary>An integer metadata value of any width, or null when missing; throws when present with another type.</summary>
    public long? TryGetInteger(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        if (!v.IsInteger) throw WrongType(key, v, "an integer");
        try { return v.AsInt64(); }
        catch (InvalidCastException) { throw Error($"metadata key '{key}' value {v} does not fit in Int64"); }
    }

    /// <summary>A float metadata value (Float32, Float64 or an integer); throws when missing or of another type.</summary>
    public float GetFloat(string key) => TryGetFloat(key) ?? throw Error($"metadata key '{key}' not found");

    /// <summary>A float metadata value (Float32, Float64 or an integer), or null when missing; throws when of another type.</summary>
    public float? TryGetFloat(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        if (v.Type is GgufValueType.Float32 or GgufValueType.Float64 || v.IsInteger) return (float)v.AsDouble();
        throw WrongType(key, v, "a number");
    }

    /// <summary>A bool metadata value, or null when missing; throws when present with another type.</summary>
    public bool? TryGetBool(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v.Type == GgufValueType.Bool ? (bool)v.Value : throw WrongType(key, v, "Bool");
    }

    /// <summary>A string-array metadata value; throws when missing or of another type.</summary>
    public IReadOnlyList<string> GetStringArray(string key)
    {
        var v = GetValue(key);
        return v.IsArray && v.ElementType == GgufValueType.String ? (string[])v.Value : throw WrongType(key, v, "Array[String]");
    }

    /// <summary>A float-array metadata value (Float32 or Float64 elements) as float[]; throws when missing or of another type.</summary>
    public float[] GetFloatArray(string key)
    {
        var v = GetValue(key);
        if (v.IsArray && v.Value is float[] f) return f;
        if (v.IsArray && v.Value is double[] d) return Array.ConvertAll(d, x => (float)x);
        throw WrongType(key, v, "Array[Float32]");
    }

    /// <summary>An integer-array metadata value (any integer element width) as int[]; throws when missing, of another type, or a value does not fit.</summary>
    public int[] GetInt32Array(string key)
    {
        var v = GetValue(key);
        if (!v.IsArray || !GgufValue.IsIntegerType(v.ElementType)) throw WrongType(key, v, "Array[Int32]");
        if (v.Value is int[] ints) return ints;
        var src = (Array)v.Value;
        var result = new int[src.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long x = Convert.ToInt64(src.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            if (x is < int.MinValue or > int.MaxValue) throw Error($"metadata key '{key}' element {i} ({x}) does not fit in Int32");
            result[i] = (int)x;
        }
        return result;
    }

    /// <summary>Unmaps the file. Pointers and spans handed out become invalid.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"{FileName} (GGUF v{Version}, {Metadata.Count} keys, {Tensors.Count} tensors)";

    private void CheckOwned(GgufTensorInfo t)
    {
        if (!_byName.TryGetValue(t.Name, out var mine) || !ReferenceEquals(mine, t))
            throw new ArgumentException($"tensor '{t.Name}' does not belong to {FileName}", nameof(t));
    }

    private GgufException Error(string what) => new($"{FileName}: {what}");

    private GgufException WrongType(string key, GgufValue v, string expected)
        => Error($"metadata key '{key}' is {v.Describe()}, expected {expected}");
}
