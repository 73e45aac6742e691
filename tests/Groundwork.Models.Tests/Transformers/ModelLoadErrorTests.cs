using System.Text;
using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Transformers;

public sealed class ModelLoadErrorTests
{
    /// <summary>Writes a minimal GGUF v3 file: string/uint32/float32 metadata and zero-filled tensors.</summary>
    private static void WriteGguf(string path, (string Key, object Value)[] metadata, (string Name, uint Type, long[] Dims, int Bytes)[] tensors)
    {
        using var w = new BinaryWriter(File.Create(path));
        void Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            w.Write((ulong)b.Length);
            w.Write(b);
        }

        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)tensors.Length);
        w.Write((ulong)metadata.Length);
        foreach (var (key, value) in metadata)
        {
            Str(key);
            switch (value)
            {
                case string s: w.Write(8u); Str(s); break;
                case int i: w.Write(4u); w.Write((uint)i); break;
                case float f: w.Write(6u); w.Write(f); break;
                default: throw new ArgumentException(key);
            }
        }

        long offset = 0;
        foreach (var (name, type, dims, bytes) in tensors)
        {
            Str(name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write((ulong)d);
            w.Write(type);
            w.Write((ulong)offset);
            offset += (bytes + 31) / 32 * 32;
        }

        while (w.BaseStream.Position % 32 != 0) w.Write((byte)0);
        foreach (var t in tensors)
        {
            w.Write(new byte[t.Bytes]);
            while (w.BaseStream.Position % 32 != 0) w.Write((byte)0);
        }
    }

    private static (string, object)[] LlamaMetadata(string arch = "llama") =>
    [
        ("general.architecture", arch),
        ($"{arch}.block_count", 1),
        ($"{arch}.embedding_length", 32),
        ($"{arch}.feed_forward_length", 64),
        ($"{arch}.attention.head_count", 2),
        ($"{arch}.context_length", 16),
        ($"{arch}.attention.layer_norm_rms_epsilon", 1e-5f),
    ];

    [Fact]
    public void Unsupported_architecture_names_file_and_alternatives()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("model.gguf");
        WriteGguf(path, [("general.architecture", "mamba")], []);
        var e = Assert.Throws<GgufException>(() => LlamaModel.Load(path));
        Assert.Equal("model.gguf: architecture 'mamba' is not supported (supported: llama, qwen2)", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("model.gguf");
        WriteGguf(path, LlamaMetadata(), [("token_embd.weight", 0, [32, 8], 32 * 8 * 4)]);
        var e = Assert.Throws<GgufException>(() => LlamaModel.Load(path));
        Assert.StartsWith("model.gguf: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'blk.0.", e.Message, StringComparison.Ordinal);
        Assert.Contains("not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_mismatch_is_named()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("model.gguf");
        WriteGguf(path, LlamaMetadata(), [("token_embd.weight", 0, [16, 8], 16 * 8 * 4)]);
        var e = Assert.Throws<GgufException>(() => LlamaModel.Load(path));
        Assert.Equal("model.gguf: tensor 'token_embd.weight' has shape [16, 8], expected [32, vocab]", e.Message);
    }

    [Fact]
    public void Unsupported_tensor_type_is_named()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("model.gguf");
        WriteGguf(path, LlamaMetadata(),
        [
            ("token_embd.weight", 0, [32, 8], 32 * 8 * 4),
            ("blk.0.attn_norm.weight", 0, [32], 32 * 4),
            ("blk.0.attn_q.weight", 26 /* I32 */, [32, 32], 32 * 32 * 4),
        ]);
        var e = Assert.Throws<GgufException>(() => LlamaModel.Load(path));
        Assert.Contains("tensor 'blk.0.attn_q.weight' has type I32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var e = Assert.Throws<GgufException>(() => LlamaModel.Load("/nonexistent/x.gguf"));
        Assert.Contains("x.gguf", e.Message, StringComparison.Ordinal);
    }
}
