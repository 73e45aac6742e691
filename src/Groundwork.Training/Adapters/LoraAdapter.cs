using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Numerics.Quantization;
using Groundwork.Training.Lora;
using Groundwork.Training.Model;

namespace Groundwork.Training;

/// <summary>
/// A trained LoRA adapter: per adapted projection W [out, in] of block l, A [rank, in] and B [out, rank]; the update is
/// (alpha / rank)·B·A. Saves and loads llama.cpp's GGUF LoRA format, writes PEFT, and merges into a base GGUF.
/// As an <see cref="IProjectionAdapter"/> it applies itself unmerged to an <see cref="InferenceSession"/>
/// (<c>session.Adapter = adapter</c>); one adapter may serve several sessions at once.
/// </summary>
public sealed class LoraAdapter : IProjectionAdapter
{
    [ThreadStatic] private static float[]? t_u;

    private readonly LoraParameters<float> _p;

    private LoraAdapter(LoraParameters<float> p, string architecture)
    {
        _p = p;
        Architecture = architecture;
    }

    /// <summary>Rank r.</summary>
    public int Rank => _p.Rank;

    /// <summary>Alpha (scale = alpha / rank).</summary>
    public float Alpha => _p.Alpha;

    /// <summary>The base model's architecture ("llama", "qwen2").</summary>
    public string Architecture { get; }

    /// <summary>Adapted projections, as GGUF base tensor names (e.g. "blk.0.attn_q.weight").</summary>
    public IReadOnlyList<string> TensorNames => _p.Pairs.Select(BaseName).ToArray();

    internal LoraParameters<float> Parameters => _p;

    internal static LoraAdapter FromParameters(LoraParameters<float> p, string architecture)
    {
        var copy = p.Convert<float>();
        return new LoraAdapter(copy, architecture);
    }

    /// <inheritdoc />
    public bool Adapts(int layer, AdaptedProjection projection)
        => (uint)layer < (uint)_p.ByLayer.GetLength(0) && _p.ByLayer[layer, (int)projection] is not null;

    /// <inheritdoc />
    public void Apply(int layer, AdaptedProjection projection, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        var p = _p.ByLayer[layer, (int)projection] ?? throw new ArgumentException($"block {layer} {projection} is not adapted", nameof(projection));
        float scale = Alpha / Rank;
        var u = t_u is { } t && t.Length >= p.Rank ? t : (t_u = new float[Math.Max(p.Rank, 64)]);
        for (int i = 0; i < n; i++)
        {
            var xi = x.Slice(i * p.In, p.In);
            var yi = y.Slice(i * p.Out, p.Out);
            for (int j = 0; j < p.Rank; j++) u[j] = System.Numerics.Tensors.TensorPrimitives.Dot(p.A.AsSpan(j * p.In, p.In), xi) * scale;
            var uj = u.AsSpan(0, p.Rank);
            for (int o = 0; o < p.Out; o++) yi[o] += System.Numerics.Tensors.TensorPrimitives.Dot(p.B.AsSpan(o * p.Rank, p.Rank), uj);
        }
    }

    private static string BaseName(LoraPair<float> p) => $"blk.{p.Layer}.{LoraTargetNames.Gguf(p.Target)}.weight";

    /// <summary>Writes llama.cpp's GGUF LoRA adapter (general.type = adapter, adapter.type = lora, F32 lora_a/lora_b).</summary>
    public async Task SaveGgufAsync(string path, CancellationToken cancellationToken)
    {
        var w = new GgufWriter();
        w.SetMetadata("general.architecture", Architecture);
        w.SetMetadata("general.type", "adapter");
        w.SetMetadata("general.name", Path.GetFileNameWithoutExtension(path));
        w.SetMetadata("adapter.type", "lora");
        w.SetMetadata("adapter.lora.alpha", Alpha);
        foreach (var p in _p.Pairs)
        {
            w.AddTensor(BaseName(p) + ".lora_a", GgmlType.F32, [p.In, p.Rank], MemoryMarshal.AsBytes(p.A.AsSpan()));
            w.AddTensor(BaseName(p) + ".lora_b", GgmlType.F32, [p.Rank, p.Out], MemoryMarshal.AsBytes(p.B.AsSpan()));
        }

        await w.WriteAsync(path, cancellationToken);
    }

    /// <summary>Loads a GGUF LoRA adapter (F32, F16 or any type the runtime dequantizes).</summary>
    /// <exception cref="GgufException">Not a LoRA adapter, or a tensor is missing or mis-shaped.</exception>
    public static Task<LoraAdapter> LoadGgufAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var f = GgufFile.Open(path);
        if (f.TryGetString("general.type") != "adapter" || f.TryGetString("adapter.type") != "lora")
            throw new GgufException($"{f.FileName}: not a LoRA adapter (general.type '{f.TryGetString("general.type")}', adapter.type '{f.TryGetString("adapter.type")}')");
        var pairs = new List<LoraPair<float>>();
        int rank = -1, layers = 0;
        foreach (var t in f.Tensors.Where(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal)))
        {
            string baseName = t.Name[..^".lora_a".Length];
            var parts = baseName.Split('.');
            if (parts.Length != 4 || parts[0] != "blk" || !int.TryParse(parts[1], out int layer))
                throw new GgufException($"{f.FileName}: tensor '{t.Name}' does not name a block projection");
            var target = LoraTargetNames.Parse(parts[2]);
            var b = f.GetTensor(baseName + ".lora_b");
            int r = checked((int)t.Dimensions[1]), inDim = checked((int)t.Dimensions[0]), outDim = b.Rows;
            if (b.Columns != r) throw new GgufException($"{f.FileName}: '{b.Name}' has ne[0] {b.Columns}, expected the rank {r}");
            if (rank >= 0 && r != rank) throw new GgufException($"{f.FileName}: mixed ranks {rank} and {r}");
            rank = r;
            var p = new LoraPair<float>(layer, target, r, inDim, outDim);
            Read(f, t, p.A);
            Read(f, b, p.B);
            pairs.Add(p);
            layers = Math.Max(layers, layer + 1);
        }

        if (pairs.Count == 0) throw new GgufException($"{f.FileName}: no lora_a tensors");
        float alpha = f.TryGetFloat("adapter.lora.alpha") ?? rank;
        pairs.Sort((x, y) => x.Layer != y.Layer ? x.Layer.CompareTo(y.Layer) : x.Target.CompareTo(y.Target));
        return Task.FromResult(new LoraAdapter(new LoraParameters<float>(rank, alpha, pairs, layers), f.Architecture));
    }

    private static void Read(GgufFile f, GgufTensorInfo t, float[] dst)
    {
        if (t.ElementCount != dst.Length) throw new GgufException($"{f.FileName}: '{t.Name}' has {t.ElementCount} elements, expected {dst.Length}");
        var bytes = f.GetTensorBytes(t);
        for (int r = 0; r < t.Rows; r++)
            QuantizedOps.Dequantize(t.Type, bytes.Slice((int)(r * t.RowBytes), (int)t.RowBytes), dst.AsSpan(r * t.Columns, t.Columns));
    }

    /// <summary>
    /// Writes a PEFT adapter folder: adapter_model.safetensors (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight
    /// [r, in], lora_B.weight [out, r]) and adapter_config.json. For "llama" the q/k rows are un-permuted back to
    /// Hugging Face order (GGUF conversion interleaves RoPE pairs).
    /// </summary>
    public async Task SavePeftAsync(string directory, int headCount, int kvHeadCount, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        foreach (var p in _p.Pairs)
        {
            string prefix = $"base_model.model.model.layers.{p.Layer}.{LoraTargetNames.PeftModule(p.Target)}.{LoraTargetNames.Peft(p.Target)}";
            var b = p.B;
            if (Architecture == "llama" && p.Target is LoraTarget.Q or LoraTarget.K)
                b = UnpermuteRows(b, p.Target == LoraTarget.Q ? headCount : kvHeadCount, p.Out, p.Rank);
            tensors.Add((prefix + ".lora_A.weight", [p.Rank, p.In], p.A));
            tensors.Add((prefix + ".lora_B.weight", [p.Out, p.Rank], b));
        }

        await SafeTensors.WriteAsync(Path.Combine(directory, "adapter_model.safetensors"), tensors, cancellationToken);
        var config = new Dictionary<string, object?>
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = Rank,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["target_modules"] = _p.Pairs.Select(p => LoraTargetNames.Peft(p.Target)).Distinct().ToArray(),
            ["base_model_name_or_path"] = null,
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "adapter_config.json"),
            JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    }

    /// <summary>GGUF row h·hd + 2k + s holds Hugging Face row h·hd + s·hd/2 + k (llama q/k permutation).</summary>
    private static float[] UnpermuteRows(float[] b, int heads, int rows, int cols)
    {
        int hd = rows / heads, half = hd / 2;
        var result = new float[b.Length];
        for (int h = 0; h < heads; h++)
            for (int k = 0; k < half; k++)
                for (int s = 0; s < 2; s++)
                    b.AsSpan((h * hd + 2 * k + s) * cols, cols).CopyTo(result.AsSpan((h * hd + s * half + k) * cols, cols));
        return result;
    }

    /// <summary>
    /// Writes a copy of <paramref name="baseModel"/> with W + (alpha/rank)·B·A merged into each adapted tensor (as
    /// F32); every other tensor and all metadata are copied unchanged.
    /// </summary>
    public async Task MergeAsync(GgufFile baseModel, string outputPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        var adapted = _p.Pairs.ToDictionary(BaseName);
        var w = new GgufWriter { Alignment = baseModel.Alignment };
        foreach (var (k, v) in baseModel.Metadata)
            if (k != "general.alignment") w.SetMetadata(k, v);
        foreach (var t in baseModel.Tensors)
        {
            if (!adapted.TryGetValue(t.Name, out var p))
            {
                var info = t;
                w.AddTensor(t.Name, t.Type, t.Dimensions, (s, ct) => CopyTensorAsync(baseModel, info, s, ct));
                continue;
            }

            if (t.Rows != p.Out || t.Columns != p.In) throw new GgufException($"{baseModel.FileName}: '{t.Name}' is [{t.Columns}, {t.Rows}], the adapter expects [{p.In}, {p.Out}]");
            var merged = new float[(long)p.Out * p.In];
            Read(baseModel, t, merged);
            float scale = Alpha / Rank;
            for (int o = 0; o < p.Out; o++)
            {
                var row = merged.AsSpan(o * p.In, p.In);
                for (int j = 0; j < p.Rank; j++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.A.AsSpan(j * p.In, p.In), scale * p.B[o * p.Rank + j], row, row);
            }

            w.AddTensor(t.Name, GgmlType.F32, [p.In, p.Out], MemoryMarshal.AsBytes(merged.AsSpan()));
        }

        await w.WriteAsync(outputPath, cancellationToken);
    }

    private static async Task CopyTensorAsync(GgufFile f, GgufTensorInfo t, Stream s, CancellationToken ct)
    {
        const int chunk = 1 << 20;
        var buffer = new byte[(int)Math.Min(chunk, t.ByteSize)];
        for (long off = 0; off < t.ByteSize; off += chunk)
        {
            int len = (int)Math.Min(chunk, t.ByteSize - off);
            unsafe
            {
                new ReadOnlySpan<byte>(f.GetTensorPointer(t) + off, len).CopyTo(buffer);
            }

            await s.WriteAsync(buffer.AsMemory(0, len), ct);
        }
    }
}

/// <summary>A minimal safetensors writer (F32 only): 8-byte header length, JSON header, then the data.</summary>
internal static class SafeTensors
{
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
        await fs.WriteAsync(BitConverter.GetBytes((ulong)headerBytes.Length), ct);
        await fs.WriteAsync(headerBytes, ct);
        foreach (var (_, _, data) in tensors) await fs.WriteAsync(MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), ct);
    }

    /// <summary>Reads every tensor of an F32 safetensors file (for round-trip checks).</summary>
    public static async Task<Dictionary<string, (int[] Shape, float[] Data)>> ReadAsync(string path, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct);
        long n = BitConverter.ToInt64(bytes, 0);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, (int[], float[])>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(8 + n + offs[0]), (int)(offs[1] - offs[0]))).ToArray();
            result[p.Name] = (shape, data);
        }

        return result;
    }
}
