using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Groundwork.Training;

/// <summary>
/// A minimal safetensors reader and writer: 8-byte little-endian header length, a JSON header (name → dtype, shape,
/// data_offsets relative to the data section), then the data. Writes F32; reads F32, F16 and BF16 into float32.
/// </summary>
internal static class SafeTensors
{
    /// <summary>Headers larger than this are refused before parsing (the format's own reference reader uses 100 MB).</summary>
    private const ulong MaxHeaderBytes = 100_000_000;

    public static async Task WriteAsync(string path, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, CancellationToken ct)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + data.Length * 4L } };
            offset += data.Length * 4L;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8;
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        headerBytes.AsSpan(json.Length).Fill((byte)' ');
        await using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await fs.WriteAsync(BitConverter.GetBytes((ulong)headerBytes.Length), ct).ConfigureAwait(false);
        await fs.WriteAsync(headerBytes, ct).ConfigureAwait(false);
        foreach (var (_, _, data) in tensors) await fs.WriteAsync(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), ct).ConfigureAwait(false);
    }

    /// <summary>Reads every tensor as float32, validating the header against the file.</summary>
    /// <exception cref="InvalidDataException">One line naming the file, the tensor and field, and what is wrong.</exception>
    public static async Task<Dictionary<string, (int[] Shape, float[] Data)>> ReadAsync(string path, CancellationToken ct)
        => Parse(await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false), path);

    internal static Dictionary<string, (int[] Shape, float[] Data)> Parse(byte[] bytes, string path)
    {
        InvalidDataException Bad(string what) => new($"{path}: {what}");
        if (bytes.Length < 8) throw Bad($"{bytes.Length} bytes, shorter than the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n < 2 || n > (ulong)(bytes.Length - 8) || n > MaxHeaderBytes)
            throw Bad($"header length {n} does not fit the file ({bytes.Length} bytes): not a safetensors file, or truncated");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        }
        catch (JsonException e)
        {
            throw Bad($"header is not valid JSON ({e.Message.Split('\n')[0]})");
        }

        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad($"header is a JSON {doc.RootElement.ValueKind}, expected an object");
        long dataStart = 8 + (long)n, dataLength = bytes.Length - dataStart;
        var result = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            string where = $"tensor '{p.Name}'";
            if (p.Value.ValueKind != JsonValueKind.Object) throw Bad($"{where} is a JSON {p.Value.ValueKind}, expected an object");
            string dtype = p.Value.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : throw Bad($"{where}: field 'dtype' is missing or not a string");
            int size = dtype switch
            {
                "F32" => 4,
                "F16" or "BF16" => 2,
                _ => throw Bad($"{where}: field 'dtype' is '{dtype}', expected F32, F16 or BF16"),
            };
            if (!p.Value.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array) throw Bad($"{where}: field 'shape' is missing or not an array");
            var shape = new int[s.GetArrayLength()];
            long elements = 1;
            int i = 0;
            foreach (var e in s.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int dim) || dim < 0) throw Bad($"{where}: field 'shape' holds {e.GetRawText()}, expected non-negative integers");
                shape[i++] = dim;
                elements = checked(elements * dim);
            }

            if (!p.Value.TryGetProperty("data_offsets", out var o) || o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2
                || !o[0].TryGetInt64(out long begin) || !o[1].TryGetInt64(out long end))
                throw Bad($"{where}: field 'data_offsets' is missing or not two integers");
            if (begin < 0 || end < begin || end > dataLength)
                throw Bad($"{where}: field 'data_offsets' [{begin}, {end}] lies outside the data section ({dataLength} bytes)");
            if (end - begin != elements * size)
                throw Bad($"{where}: field 'data_offsets' spans {end - begin} bytes, shape [{string.Join(", ", shape)}] of {dtype} needs {elements * size}");
            if (elements > Array.MaxLength) throw Bad($"{where}: {elements} elements is too large");

            var src = bytes.AsSpan(checked((int)(dataStart + begin)), checked((int)(end - begin)));
            var data = new float[elements];
            switch (dtype)
            {
                case "F32":
                    for (int k = 0; k < data.Length; k++) data[k] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * k)..]);
                    break;
                case "F16":
                    for (int k = 0; k < data.Length; k++) data[k] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * k)..]);
                    break;
                default: // BF16: the high half of a float32
                    for (int k = 0; k < data.Length; k++) data[k] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * k)..]) << 16);
                    break;
            }

            if (!result.TryAdd(p.Name, (shape, data))) throw Bad($"{where} appears twice in the header");
        }

        return result;
    }
}
