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
/// (alpha / rank)·B·A. Saves and loads llama.cpp's GGUF LoRA format (checked against llama.cpp itself:
/// tools/llamacpp-reference/golden/lora), writes and reads PEFT folders, and merges into a base GGUF.
/// As an <see cref="IProjectionAdapter"/> it applies itself unmerged to an <see cref="InferenceSession"/>
/// (<c>session.Adapter = adapter</c>); one adapter may serve several sessions at once.
/// </summary>
public sealed partial class LoraAdapter : IProjectionAdapter
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

    /// <summary>
    /// Builds an adapter from matrices made elsewhere (another trainer, a converter, a test): per adapted GGUF base
    /// tensor, A [rank, in] and B [out, rank] row-major, in GGUF row order (for "llama" q/k rows as GGUF permutes them).
    /// The arrays are copied.
    /// </summary>
    /// <exception cref="ArgumentException">No matrices, a name is not a block projection or comes twice, or a matrix's length is not a multiple of the rank.</exception>
    public static LoraAdapter Create(string architecture, int rank, float alpha, IEnumerable<LoraMatrices> matrices)
    {
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentNullException.ThrowIfNull(matrices);
        var pairs = new List<LoraPair<float>>();
        foreach (var m in matrices)
        {
            var (layer, target) = ParseBaseName(m.TensorName) ?? throw new ArgumentException($"'{m.TensorName}' does not name a block projection (blk.N.attn_q.weight ...)", nameof(matrices));
            if (m.A.Length == 0 || m.A.Length % rank != 0 || m.B.Length == 0 || m.B.Length % rank != 0)
                throw new ArgumentException($"'{m.TensorName}': A has {m.A.Length} and B {m.B.Length} elements, both must be positive multiples of the rank {rank}", nameof(matrices));
            var p = new LoraPair<float>(layer, target, rank, m.A.Length / rank, m.B.Length / rank);
            m.A.CopyTo(p.A, 0);
            m.B.CopyTo(p.B, 0);
            pairs.Add(p);
        }

        try
        {
            return FromPairs(architecture, rank, alpha, pairs, "matrices");
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException(e.Message, nameof(matrices));
        }
    }

    private static LoraAdapter FromPairs(string architecture, int rank, float alpha, List<LoraPair<float>> pairs, string source)
    {
        if (pairs.Count == 0) throw new InvalidDataException($"{source}: no LoRA matrices");
        var duplicate = pairs.GroupBy(p => (p.Layer, p.Target)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{source}: block {duplicate.Key.Layer} {LoraTargetNames.Gguf(duplicate.Key.Target)} is adapted twice");
        pairs.Sort((x, y) => x.Layer != y.Layer ? x.Layer.CompareTo(y.Layer) : x.Target.CompareTo(y.Target));
        return new LoraAdapter(new LoraParameters<float>(rank, alpha, pairs, pairs.Max(p => p.Layer) + 1), architecture);
    }

    /// <summary>(layer, target) of "blk.N.attn_q.weight", or null if the name is no block projection.</summary>
    private static (int Layer, LoraTarget Target)? ParseBaseName(string name)
    {
        var parts = name.Split('.');
        if (parts.Length != 4 || parts[0] != "blk" || parts[3] != "weight" || !int.TryParse(parts[1], out int layer) || layer < 0) return null;
        try
        {
            return (layer, LoraTargetNames.Parse(parts[2]));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Loads an adapter for a model: a PEFT folder (adapter_config.json + adapter_model.safetensors) or a GGUF file,
    /// then checks that its architecture, blocks and matrix shapes fit <paramref name="config"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The adapter does not fit the model, or a PEFT file is malformed.</exception>
    /// <exception cref="GgufException">A malformed GGUF adapter.</exception>
    public static async Task<LoraAdapter> LoadAsync(string path, LlamaConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var adapter = Directory.Exists(path)
            ? await LoadPeftAsync(path, config.Architecture, config.HeadCount, config.KvHeadCount, cancellationToken).ConfigureAwait(false)
            : await LoadGgufAsync(path, cancellationToken).ConfigureAwait(false);
        adapter.CheckFits(config, path);
        return adapter;
    }

    private void CheckFits(LlamaConfig c, string source)
    {
        if (Architecture != c.Architecture) throw new InvalidDataException($"{source}: adapter for architecture '{Architecture}', the model is '{c.Architecture}'");
        foreach (var p in _p.Pairs)
        {
            if (p.Layer >= c.LayerCount) throw new InvalidDataException($"{source}: adapts block {p.Layer}, the model has {c.LayerCount} blocks");
            var (outDim, inDim) = p.Target switch
            {
                LoraTarget.Q => (c.QueryDim, c.EmbeddingLength),
                LoraTarget.K or LoraTarget.V => (c.KvDim, c.EmbeddingLength),
                LoraTarget.O => (c.EmbeddingLength, c.QueryDim),
                LoraTarget.Gate or LoraTarget.Up => (c.FeedForwardLength, c.EmbeddingLength),
                _ => (c.EmbeddingLength, c.FeedForwardLength),
            };
            if (p.In != inDim || p.Out != outDim)
                throw new InvalidDataException($"{source}: '{BaseName(p)}' is [in {p.In}, out {p.Out}] in the adapter, [in {inDim}, out {outDim}] in the model");
        }
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
        int rank = -1, loraB = 0;
        foreach (var t in f.Tensors)
        {
            if (t.Name.EndsWith(".lora_b", StringComparison.Ordinal)) { loraB++; continue; }
            if (t.Name.EndsWith("_norm.weight", StringComparison.Ordinal)) continue; // llama.cpp skips adapted norms too
            if (!t.Name.EndsWith(".lora_a", StringComparison.Ordinal)) throw new GgufException($"{f.FileName}: tensor '{t.Name}' is neither a lora_a nor a lora_b");
            string baseName = t.Name[..^".lora_a".Length];
            var (layer, target) = ParseBaseName(baseName) ?? throw new GgufException($"{f.FileName}: tensor '{t.Name}' does not name a block projection");
            if (!f.TryGetTensor(baseName + ".lora_b", out var b)) throw new GgufException($"{f.FileName}: '{t.Name}' has no '{baseName}.lora_b'");
            if (t.Dimensions.Length != 2 || b.Dimensions.Length != 2) throw new GgufException($"{f.FileName}: '{baseName}' lora_a/lora_b are not 2-D");
            int r = checked((int)t.Dimensions[1]), inDim = checked((int)t.Dimensions[0]), outDim = checked((int)b.Dimensions[1]);
            if (b.Columns != r) throw new GgufException($"{f.FileName}: '{b.Name}' has ne[0] {b.Columns}, expected the rank {r} (lora_a ne[1])");
            if (rank >= 0 && r != rank) throw new GgufException($"{f.FileName}: mixed ranks {rank} and {r}");
            rank = r;
            var p = new LoraPair<float>(layer, target, r, inDim, outDim);
            Read(f, t, p.A);
            Read(f, b, p.B);
            pairs.Add(p);
        }

        if (pairs.Count == 0) throw new GgufException($"{f.FileName}: no lora_a tensors");
        if (loraB != pairs.Count) throw new GgufException($"{f.FileName}: {loraB} lora_b tensors for {pairs.Count} lora_a: a lora_b without its lora_a");
        // llama.cpp scales by alpha / rank, or by 1 when alpha is missing or 0 (LLAMA_ADAPTER_LORA_WEIGHT get_scale)
        float alpha = f.TryGetFloat("adapter.lora.alpha") is { } a && a != 0 ? a : rank;
        try
        {
            return Task.FromResult(FromPairs(f.Architecture, rank, alpha, pairs, f.FileName));
        }
        catch (InvalidDataException e)
        {
            throw new GgufException(e.Message);
        }
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

    /// <summary>
    /// Reads a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, F32/F16/BF16), as
    /// <see cref="SavePeftAsync"/> writes and Hugging Face PEFT saves: tensors
    /// base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight [r, in] and .lora_B.weight [out, r] map to
    /// GGUF blk.N.attn_q.weight. For "llama" the q/k rows of B are permuted into GGUF order (as llama.cpp's converter
    /// permutes the base weights). use_rslora (scale alpha/√r) is kept by storing alpha·√r.
    /// </summary>
    /// <param name="directory">The adapter folder.</param>
    /// <param name="architecture">The base model's GGUF architecture ("llama", "qwen2").</param>
    /// <param name="headCount">The base model's query heads (for the llama q permutation).</param>
    /// <param name="kvHeadCount">The base model's key/value heads (for the llama k permutation).</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <exception cref="FileNotFoundException">A file of the folder is missing.</exception>
    /// <exception cref="InvalidDataException">A malformed file: one line naming the file, the field or tensor, and the reason.</exception>
    public static async Task<LoraAdapter> LoadPeftAsync(string directory, string architecture, int headCount, int kvHeadCount, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        string configPath = Path.Combine(directory, "adapter_config.json"), modelPath = Path.Combine(directory, "adapter_model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: PEFT adapter config not found", configPath);
        if (!File.Exists(modelPath))
            throw new FileNotFoundException(File.Exists(Path.Combine(directory, "adapter_model.bin"))
                ? $"{modelPath}: not found; adapter_model.bin (pickle) is not read, save with safe_serialization=True"
                : $"{modelPath}: PEFT adapter weights not found", modelPath);
        var config = PeftConfig.Parse(await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false), configPath);
        var tensors = await SafeTensors.ReadAsync(modelPath, cancellationToken).ConfigureAwait(false);

        var found = new Dictionary<(int Layer, LoraTarget Target), (float[]? A, int[]? AShape, float[]? B, int[]? BShape, string Name)>();
        foreach (var (name, (shape, data)) in tensors)
        {
            var m = PeftTensorName().Match(name);
            if (!m.Success) throw new InvalidDataException($"{modelPath}: tensor '{name}' is not a LoRA A/B of a decoder projection (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight ...)");
            string module = m.Groups["proj"].Value;
            var target = LoraTargetNames.Parse(module);
            if (LoraTargetNames.PeftModule(target) != m.Groups["mod"].Value) throw new InvalidDataException($"{modelPath}: tensor '{name}': {module} is not under {m.Groups["mod"].Value}");
            if (config.TargetModules is { } listed && !listed.Contains(module))
                throw new InvalidDataException($"{modelPath}: tensor '{name}' adapts {module}, which target_modules [{string.Join(", ", listed)}] of {configPath} does not list");
            if (shape.Length != 2) throw new InvalidDataException($"{modelPath}: tensor '{name}' has shape [{string.Join(", ", shape)}], expected 2-D");
            var key = (int.Parse(m.Groups["layer"].Value, System.Globalization.CultureInfo.InvariantCulture), target);
            found.TryGetValue(key, out var e);
            if (m.Groups["ab"].Value == "A") e = e with { A = data, AShape = shape, Name = name };
            else e = e with { B = data, BShape = shape, Name = name };
            found[key] = e;
        }

        var pairs = new List<LoraPair<float>>();
        foreach (var ((layer, target), e) in found)
        {
            if (e.A is null || e.B is null) throw new InvalidDataException($"{modelPath}: tensor '{e.Name}' has no lora_{(e.A is null ? "A" : "B")} partner");
            int r = e.AShape![0], inDim = e.AShape[1], outDim = e.BShape![0];
            if (r != config.Rank) throw new InvalidDataException($"{modelPath}: '{e.Name}' has rank {r}, field 'r' of {configPath} is {config.Rank}");
            if (e.BShape[1] != r) throw new InvalidDataException($"{modelPath}: '{e.Name}' lora_B is [{outDim}, {e.BShape[1]}], expected [out, {r}]");
            var p = new LoraPair<float>(layer, target, r, inDim, outDim);
            e.A.CopyTo(p.A, 0);
            var b = e.B;
            if (architecture == "llama" && target is LoraTarget.Q or LoraTarget.K)
            {
                int heads = target == LoraTarget.Q ? headCount : kvHeadCount;
                if (heads <= 0 || outDim % heads != 0 || outDim / heads % 2 != 0)
                    throw new InvalidDataException($"{modelPath}: '{e.Name}' has {outDim} rows, not a whole number of even-width heads for {heads} heads");
                b = PermuteRows(b, heads, outDim, r);
            }

            b.CopyTo(p.B, 0);
            pairs.Add(p);
        }

        // rsLoRA scales by alpha/√r; our (and llama.cpp's) scale is alpha/r, so alpha·√r gives the same update
        float alpha = config.UseRsLora ? config.Alpha * MathF.Sqrt(config.Rank) : config.Alpha;
        return FromPairs(architecture, config.Rank, alpha, pairs, modelPath);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:base_model\.model\.)?model\.layers\.(?<layer>\d+)\.(?<mod>self_attn|mlp)\.(?<proj>[qkvo]_proj|gate_proj|up_proj|down_proj)\.lora_(?<ab>[AB])(?:\.default)?\.weight$")]
    private static partial System.Text.RegularExpressions.Regex PeftTensorName();

    /// <summary>Hugging Face row h·hd + s·hd/2 + k moves to GGUF row h·hd + 2k + s (inverse of <see cref="UnpermuteRows"/>).</summary>
    private static float[] PermuteRows(float[] b, int heads, int rows, int cols)
    {
        int hd = rows / heads, half = hd / 2;
        var result = new float[b.Length];
        for (int h = 0; h < heads; h++)
            for (int k = 0; k < half; k++)
                for (int s = 0; s < 2; s++)
                    b.AsSpan((h * hd + s * half + k) * cols, cols).CopyTo(result.AsSpan((h * hd + 2 * k + s) * cols, cols));
        return result;
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
