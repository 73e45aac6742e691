using System.Text;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Gguf;

/// <summary>
/// Builds a GGUF version 3 file (little-endian): metadata in insertion order, then tensor infos, then each tensor's data
/// padded to <see cref="Alignment"/>. <see cref="WriteAsync"/> writes a temporary file beside the target and renames it,
/// so readers never see a half-written model.
/// </summary>
public sealed class GgufWriter
{
    private const string AlignmentKey = "general.alignment";
    private readonly OrderedDictionary<string, GgufValue> _metadata = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);
    private int _alignment = GgufFile.DefaultAlignment;

    /// <summary>Data alignment in bytes, a power of two (default 32). A value other than 32 is written as <c>general.alignment</c>.</summary>
    public int Alignment
    {
        get => _alignment;
        set
        {
            if (value <= 0 || (value & (value - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(value), value, "alignment must be a positive power of two");
            _alignment = value;
        }
    }

    /// <summary>The metadata set so far, in the order it will be written (general.alignment excluded; see <see cref="Alignment"/>).</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata => _metadata;

    /// <summary>Sets (or replaces) a metadata value. Setting <c>general.alignment</c> sets <see cref="Alignment"/>.</summary>
    public void SetMetadata(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == AlignmentKey)
        {
            if (!value.IsInteger) throw new ArgumentException($"{AlignmentKey} must be an integer", nameof(value));
            Alignment = checked((int)value.AsInt64());
            return;
        }
        _metadata[key] = value;
    }

    /// <summary>Sets a String value.</summary>
    public void SetMetadata(string key, string value) => SetMetadata(key, GgufValue.FromString(value));
    /// <summary>Sets a UInt32 value.</summary>
    public void SetMetadata(string key, uint value) => SetMetadata(key, GgufValue.FromUInt32(value));
    /// <summary>Sets an Int32 value.</summary>
    public void SetMetadata(string key, int value) => SetMetadata(key, GgufValue.FromInt32(value));
    /// <summary>Sets a UInt64 value.</summary>
    public void SetMetadata(string key, ulong value) => SetMetadata(key, GgufValue.FromUInt64(value));
    /// <summary>Sets an Int64 value.</summary>
    public void SetMetadata(string key, long value) => SetMetadata(key, GgufValue.FromInt64(value));
    /// <summary>Sets a Float32 value.</summary>
    public void SetMetadata(string key, float value) => SetMetadata(key, GgufValue.FromFloat32(value));
    /// <summary>Sets a Float64 value.</summary>
    public void SetMetadata(string key, double value) => SetMetadata(key, GgufValue.FromFloat64(value));
    /// <summary>Sets a Bool value.</summary>
    public void SetMetadata(string key, bool value) => SetMetadata(key, GgufValue.FromBool(value));
    /// <summary>Sets an array of String.</summary>
    public void SetMetadata(string key, string[] value) => SetMetadata(key, GgufValue.FromArray(value));
    /// <summary>Sets an array of Float32.</summary>
    public void SetMetadata(string key, float[] value) => SetMetadata(key, GgufValue.FromArray(value));
    /// <summary>Sets an array of Int32.</summary>
    public void SetMetadata(string key, int[] value) => SetMetadata(key, GgufValue.FromArray(value));

    /// <summary>Adds a tensor whose bytes are copied now. <paramref name="dims"/> is ggml order (row length first).</summary>
    public void AddTensor(string name, GgmlType type, long[] dims, ReadOnlySpan<byte> data)
    {
        long size = Validate(name, type, dims);
        if (data.Length != size)
            throw new ArgumentException($"tensor '{name}' needs {size} bytes of {type} data for [{string.Join(", ", dims)}], got {data.Length}", nameof(data));
        var copy = data.ToArray();
        Add(new PendingTensor(name, type, (long[])dims.Clone(), size,
            (s, ct) => s.WriteAsync(copy, ct).AsTask()));
    }

    /// <summary>
    /// Adds a tensor whose bytes are produced at write time (for tensors too big to hold): <paramref name="writeData"/>
    /// must write exactly the tensor's byte size at the stream's current position (it may seek forward to leave a hole).
    /// </summary>
    public void AddTensor(string name, GgmlType type, long[] dims, Func<Stream, CancellationToken, Task> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        long size = Validate(name, type, dims);
        Add(new PendingTensor(name, type, (long[])dims.Clone(), size, writeData));
    }

    /// <summary>Writes the file atomically (temporary file in the same folder, then rename over <paramref name="path"/>).</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GGUF writing needs a little-endian host");
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (fs.ConfigureAwait(false))
            {
                var header = BuildHeader();
                await fs.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                long dataStart = fs.Position;
                long offset = 0;
                foreach (var t in _tensors)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long before = fs.Position;
                    await t.Write(fs, cancellationToken).ConfigureAwait(false);
                    long written = fs.Position - before;
                    if (written != t.ByteSize)
                        throw new InvalidOperationException($"tensor '{t.Name}': the data callback wrote {written} bytes, expected {t.ByteSize}");
                    offset += t.ByteSize;
                    await WritePaddingAsync(fs, offset, cancellationToken).ConfigureAwait(false);
                    offset = AlignUp(offset, _alignment);
                }
                if (fs.Position != dataStart + offset) throw new InvalidOperationException("GGUF writer position mismatch");
                await fs.FlushAsync(cancellationToken).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private byte[] BuildHeader()
    {
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(GgufParser.Magic);
            w.Write(3u);
            w.Write((ulong)_tensors.Count);
            bool writeAlignment = _alignment != GgufFile.DefaultAlignment;
            w.Write((ulong)(_metadata.Count + (writeAlignment ? 1 : 0)));
            if (writeAlignment)
            {
                WriteString(w, AlignmentKey);
                w.Write((uint)GgufValueType.UInt32);
                w.Write((uint)_alignment);
            }
            foreach (var (key, value) in _metadata)
            {
                WriteString(w, key);
                w.Write((uint)value.Type);
                WriteValue(w, value);
            }
            long offset = 0;
            foreach (var t in _tensors)
            {
                WriteString(w, t.Name);
                w.Write((uint)t.Dims.Length);
                foreach (var d in t.Dims) w.Write((ulong)d);
                w.Write((uint)t.Type);
                w.Write((ulong)offset);
                offset = AlignUp(offset + t.ByteSize, _alignment);
            }
            w.Flush();
            long pad = AlignUp(ms.Length, _alignment) - ms.Length;
            for (long i = 0; i < pad; i++) w.Write((byte)0);
        }
        return ms.ToArray();
    }

    private static void WriteValue(BinaryWriter w, GgufValue v)
    {
        switch (v.Value)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write(x ? (byte)1 : (byte)0); break;
            case string x: WriteString(w, x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case Array a:
                w.Write((uint)v.ElementType);
                w.Write((ulong)a.Length);
                switch (a)
                {
                    case GgufValue[] nested: foreach (var e in nested) WriteValue(w, e); break;
                    case string[] s: foreach (var e in s) WriteString(w, e); break;
                    case bool[] b: foreach (var e in b) w.Write(e ? (byte)1 : (byte)0); break;
                    case byte[] b: w.Write(b); break;
                    default:
                        var bytes = new byte[Buffer.ByteLength(a)];
                        Buffer.BlockCopy(a, 0, bytes, 0, bytes.Length);
                        w.Write(bytes);
                        break;
                }
                break;
            default: throw new InvalidOperationException($"unexpected GGUF value {v.Value.GetType()}");
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private async Task WritePaddingAsync(Stream s, long offset, CancellationToken ct)
    {
        int pad = (int)(AlignUp(offset, _alignment) - offset);
        if (pad > 0) await s.WriteAsync(new byte[pad], ct).ConfigureAwait(false);
    }

    private long Validate(string name, GgmlType type, long[] dims)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (_tensorNames.Contains(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(name));
        if (!Enum.IsDefined(type) || !GgmlTypeInfo.IsKnown(type)) throw new ArgumentException($"tensor '{name}' has unsupported type {(uint)type}", nameof(type));
        if (dims.Length is 0 or > 4) throw new ArgumentException($"tensor '{name}' has {dims.Length} dimensions (1 to 4 supported)", nameof(dims));
        long elements = 1;
        foreach (var d in dims)
        {
            if (d <= 0) throw new ArgumentException($"tensor '{name}' has non-positive dimension {d}", nameof(dims));
            elements = checked(elements * d);
        }
        int bs = GgmlTypeInfo.BlockSize(type);
        if (dims[0] % bs != 0) throw new ArgumentException($"tensor '{name}' row length {dims[0]} is not a multiple of {type}'s block size {bs}", nameof(dims));
        return checked(dims[0] / bs * GgmlTypeInfo.BlockBytes(type) * (elements / dims[0]));
    }

    private void Add(PendingTensor t)
    {
        _tensorNames.Add(t.Name);
        _tensors.Add(t);
    }

    private static long AlignUp(long x, int alignment) => (x + alignment - 1) / alignment * alignment;

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dims, long ByteSize, Func<Stream, CancellationToken, Task> Write);
}
