using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Gguf;

public sealed class GgufSharedModelTests
{
    public static TheoryData<string> SharedFiles()
    {
        var data = new TheoryData<string>();
        var root = TestPaths.Shared("models");
        foreach (var f in Directory.GetFiles(root, "*.gguf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(SharedFiles))]
    public void Every_shared_gguf_file_opens_and_its_tensors_lie_inside_it(string relative)
    {
        using var f = GgufFile.Open(TestPaths.Shared("models", relative));
        Assert.Equal(3u, f.Version);
        Assert.False(string.IsNullOrEmpty(f.Architecture));
        var tokens = f.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(tokens.Count, f.GetInt32Array("tokenizer.ggml.token_type").Length);
        long end = f.DataOffset;
        foreach (var t in f.Tensors)
        {
            Assert.Equal(0, t.Offset % f.Alignment);
            Assert.Equal(GgmlTypeInfo.RowBytes(t.Type, t.Columns) * t.Rows, t.ByteSize);
            end = Math.Max(end, f.DataOffset + t.Offset + t.ByteSize);
        }
        Assert.True(f.Tensors.Count == 0 || end <= f.Length);
    }

    [Fact]
    public void Stories260K_has_the_expected_shapes_and_values()
    {
        using var f = GgufFile.Open(TestPaths.Shared("models", "stories260K", "stories260K.gguf"));
        Assert.Equal("llama", f.Architecture);
        Assert.Equal(64, f.GetInteger("llama.embedding_length"));
        Assert.Equal(5, f.GetInteger("llama.block_count"));
        Assert.Equal(48, f.Tensors.Count);
        var emb = f.GetTensor("token_embd.weight");
        Assert.Equal(GgmlType.F32, emb.Type);
        Assert.Equal([64L, 512L], emb.Dimensions);
        Assert.Equal((512, 64), (emb.Rows, emb.Columns));
        var norm = f.GetF32("blk.0.attn_norm.weight");
        Assert.Equal(64, norm.Length);
        Assert.All(norm.ToArray(), x => Assert.True(float.IsFinite(x) && x != 0));
        Assert.Equal(512, f.GetStringArray("tokenizer.ggml.tokens").Count);
        Assert.Equal(1e-5f, f.GetFloat("llama.attention.layer_norm_rms_epsilon"));
        // stories260K stores "no separator" as uint32 max
        Assert.Equal(uint.MaxValue, f.GetInteger("tokenizer.ggml.seperator_token_id"));
    }

    [Fact]
    public void Tiny_qwen2_quantized_file_has_quantized_weights_and_f32_biases()
    {
        using var f = GgufFile.Open(TestPaths.Shared("models", "tiny-random", "tiny-qwen2-Q4_K_M.gguf"));
        Assert.Equal("qwen2", f.Architecture);
        Assert.Equal(256, f.GetF32("blk.0.attn_q.bias").Length);
        var types = f.Tensors.Where(t => t.Dimensions.Length == 2).Select(t => t.Type).ToHashSet();
        Assert.Contains(GgmlType.Q4_K, types);
        Assert.Contains(GgmlType.Q6_K, types);
        Assert.False(f.TryGetTensor("output.weight", out _)); // tied embeddings
    }
}
