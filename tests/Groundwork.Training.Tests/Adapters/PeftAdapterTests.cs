using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Testing;

namespace Groundwork.Training.Tests.Adapters;

/// <summary>PEFT adapters in: save PEFT → load PEFT gives the same adapter, and malformed folders fail with one line.</summary>
public sealed class PeftAdapterTests
{
    private static readonly int[] Tokens = [1, 100, 200, 300, 400, 500, 300, 200];

    private static float[] Logits(LlamaModel model, LoraAdapter? adapter)
    {
        var s = model.CreateSession();
        s.Adapter = adapter;
        var logits = new float[Tokens.Length * model.Config.VocabSize];
        s.Prefill(Tokens, logits);
        return logits;
    }

    [Theory]
    [InlineData("tiny-llama-F32")]  // llama: q/k rows go through the Hugging Face un-permutation and back
    [InlineData("tiny-qwen2-F32")]  // qwen2: no permutation
    public async Task Save_peft_then_load_peft_gives_identical_logits(string baseName)
    {
        var ct = TestContext.Current.CancellationToken;
        using var model = LlamaModel.Load(TestPaths.Shared("models", "tiny-random", baseName + ".gguf"), new ModelLoadOptions { ContextLength = 16 });
        var c = model.Config;
        var original = RandomLoraAdapter.Create(model.File, 77);
        using var dir = TestPaths.CreateTempDir("peft");
        await original.SavePeftAsync(dir.Path, c.HeadCount, c.KvHeadCount, ct);

        var loaded = await LoraAdapter.LoadPeftAsync(dir.Path, c.Architecture, c.HeadCount, c.KvHeadCount, ct);
        Assert.Equal(original.Rank, loaded.Rank);
        Assert.Equal(original.Alpha, loaded.Alpha);
        Assert.Equal(original.TensorNames, loaded.TensorNames);
        for (int i = 0; i < original.Parameters.Pairs.Count; i++)
        {
            Assert.Equal(original.Parameters.Pairs[i].A, loaded.Parameters.Pairs[i].A);
            Assert.Equal(original.Parameters.Pairs[i].B, loaded.Parameters.Pairs[i].B);
        }

        var expected = Logits(model, original);
        Assert.Equal(expected, Logits(model, loaded));
        Assert.NotEqual(Logits(model, null), expected);
        // the CLI's entry point: a folder is read as PEFT
        Assert.Equal(expected, Logits(model, await LoraAdapter.LoadAsync(dir.Path, c, ct)));
    }

    [Fact]
    public async Task Peft_as_Hugging_Face_writes_it_bf16_default_names_rslora_gives_the_same_update()
    {
        var ct = TestContext.Current.CancellationToken;
        using var model = LlamaModel.Load(TestPaths.Shared("models", "tiny-random", "tiny-llama-F32.gguf"), new ModelLoadOptions { ContextLength = 16 });
        var c = model.Config;
        var original = RandomLoraAdapter.Create(model.File, 78);
        using var dir = TestPaths.CreateTempDir("peft-hf");
        await original.SavePeftAsync(dir.Path, c.HeadCount, c.KvHeadCount, ct);

        // rewrite as BF16 with ".default" in the names, and rsLoRA with alpha chosen so that alpha/√r = original alpha/r
        var st = await SafeTensors.ReadAsync(Path.Combine(dir.Path, "adapter_model.safetensors"), ct);
        WriteBf16(Path.Combine(dir.Path, "adapter_model.safetensors"),
            st.Select(kv => (kv.Key.Replace(".weight", ".default.weight", StringComparison.Ordinal), kv.Value.Shape, kv.Value.Data)).ToList());
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir.Path, "adapter_config.json"), ct))!.AsObject();
        config["use_rslora"] = true;
        config["lora_alpha"] = original.Alpha / MathF.Sqrt(original.Rank);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "adapter_config.json"), config.ToJsonString(), ct);

        var loaded = await LoraAdapter.LoadPeftAsync(dir.Path, c.Architecture, c.HeadCount, c.KvHeadCount, ct);
        Assert.Equal(original.Alpha / original.Rank, loaded.Alpha / loaded.Rank, 1e-6f);
        float maxDiff = Logits(model, original).Zip(Logits(model, loaded), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff < 0.01f, $"BF16 PEFT vs F32 original: max |Δlogit| {maxDiff:G3}"); // BF16 keeps 8 bits of mantissa
        Assert.True(maxDiff > 0, "BF16 rounding should show");
    }

    private static void WriteBf16(string path, List<(string Name, int[] Shape, float[] Data)> tensors)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            header[name] = new JsonObject { ["dtype"] = "BF16", ["shape"] = new JsonArray(shape.Select(d => JsonValue.Create(d)).ToArray()), ["data_offsets"] = new JsonArray(offset, offset + data.Length * 2L) };
            offset += data.Length * 2L;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var fs = File.Create(path);
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)json.Length);
        fs.Write(n);
        fs.Write(json);
        Span<byte> b = stackalloc byte[2];
        foreach (var (_, _, data) in tensors)
            foreach (var v in data)
            {
                uint bits = BitConverter.SingleToUInt32Bits(v);
                bits += 0x7FFF + ((bits >> 16) & 1); // round to nearest even, as torch does
                BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)(bits >> 16));
                fs.Write(b);
            }
    }

    public static TheoryData<string, string, string> Malformed() => new()
    {
        // case, what the error must name (file + field/tensor), and a second fragment
        { "truncated", "adapter_model.safetensors", "header length" },
        { "header-json", "adapter_model.safetensors", "not valid JSON" },
        { "dtype", "adapter_model.safetensors", "field 'dtype'" },
        { "offsets-outside", "adapter_model.safetensors", "field 'data_offsets'" },
        { "offsets-vs-shape", "adapter_model.safetensors", "needs" },
        { "unknown-tensor", "adapter_model.safetensors", "lm_head" },
        { "missing-partner", "adapter_model.safetensors", "partner" },
        { "rank-mismatch", "adapter_config.json", "field 'r'" },
        { "no-r", "adapter_config.json", "field 'r'" },
        { "dora", "adapter_config.json", "use_dora" },
        { "target-not-listed", "adapter_config.json", "target_modules" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_peft_fails_with_one_line_naming_file_and_field(string kind, string file, string fragment)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.CreateTempDir("peft-bad");
        string st = Path.Combine(dir.Path, "adapter_model.safetensors"), cfg = Path.Combine(dir.Path, "adapter_config.json");
        using (var f = GgufFile.Open(TestPaths.Shared("models", "tiny-random", "tiny-qwen2-F32.gguf")))
            await RandomLoraAdapter.Create(f, 5).SavePeftAsync(dir.Path, 4, 2, ct);
        var bytes = await File.ReadAllBytesAsync(st, ct);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(cfg, ct))!.AsObject();

        void ReplaceHeader(string newHeader)
        {
            var h = Encoding.UTF8.GetBytes(newHeader.PadRight(headerLength));
            Assert.Equal(headerLength, h.Length); // same length keeps the data where it was
            h.CopyTo(bytes, 8);
        }

        const string q0 = "base_model.model.model.layers.0.self_attn.q_proj";
        switch (kind)
        {
            case "truncated": bytes = bytes[..100]; break;
            case "header-json": ReplaceHeader(header[..^10]); break;
            case "dtype": ReplaceHeader(header.Replace("\"F32\"", "\"I8\"", StringComparison.Ordinal)); break;
            case "offsets-outside": bytes = bytes[..^4]; break; // a cut-off download: the last tensor ends past the data
            case "offsets-vs-shape":
            {
                var h = JsonNode.Parse(header)!.AsObject();
                h[q0 + ".lora_A.weight"]!["shape"] = new JsonArray(4, 255);
                ReplaceHeader(h.ToJsonString());
                break;
            }

            case "unknown-tensor": ReplaceHeader(header.Replace(q0 + ".lora_A.weight", "base_model.model.lm_head.lora_A.weight", StringComparison.Ordinal)); break;
            case "missing-partner": ReplaceHeader(header.Replace(q0 + ".lora_B.weight", "base_model.model.model.layers.9.self_attn.q_proj.lora_B.weight", StringComparison.Ordinal)); break;
            case "rank-mismatch": config["r"] = 8; break;
            case "no-r": config.Remove("r"); break;
            case "dora": config["use_dora"] = true; break;
            case "target-not-listed": config["target_modules"] = new JsonArray("v_proj"); break;
            default: throw new ArgumentException(kind);
        }

        await File.WriteAllBytesAsync(st, bytes, ct);
        await File.WriteAllTextAsync(cfg, config.ToJsonString(), ct);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => LoraAdapter.LoadPeftAsync(dir.Path, "qwen2", 4, 2, ct));
        TestContext.Current.TestOutputHelper?.WriteLine(e.Message);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_folder_without_safetensors_is_named()
    {
        using var dir = TestPaths.CreateTempDir("peft-empty");
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "adapter_config.json"), "{\"r\": 4, \"lora_alpha\": 8}", TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => LoraAdapter.LoadPeftAsync(dir.Path, "llama", 4, 2, TestContext.Current.CancellationToken));
        Assert.Contains("adapter_model.safetensors", e.Message, StringComparison.Ordinal);
    }
}
