using System.Runtime.InteropServices;
using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Embeddings;

/// <summary>
/// A small random-weight BERT (llama.cpp tensor names) held as float64 arrays, with the vocabulary of llama.cpp's
/// ggml-vocab-bert-bge.gguf. The same values are written to a GGUF (F32 or F16 matrices) and fed to ReferenceBert
/// (linked into the retrieval tests too, which need a real encoder file).
/// </summary>
internal sealed class RandomBert
{
    public const int Layers = 2, Dim = 64, Heads = 4, Ff = 128;

    public required int Context { get; init; }
    public required int Vocab { get; init; }
    public required bool F16 { get; init; }
    public required Dictionary<string, (double[] Data, long[] Dims)> Tensors { get; init; }

    public double[] T(string name) => Tensors[name].Data;

    public static string VocabPath => TestPaths.Shared("models", "llamacpp-vocab", "ggml-vocab-bert-bge.gguf");

    public static RandomBert Create(int seed, bool f16, int context = 64)
    {
        int vocab;
        using (var v = GgufFile.Open(VocabPath)) vocab = v.GetStringArray("tokenizer.ggml.tokens").Count;
        var rng = new Random(seed);
        var tensors = new Dictionary<string, (double[], long[])>();
        void Matrix(string name, int rows, int cols, double scale)
        {
            var d = new double[rows * cols];
            for (int i = 0; i < d.Length; i++)
            {
                double x = (rng.NextDouble() * 2 - 1) * scale;
                d[i] = f16 ? (double)(float)(Half)x : (float)x; // the exact values the file holds
            }
            tensors[name] = (d, [cols, rows]);
        }
        void Vector(string name, int n, double center, double scale)
        {
            var d = new double[n];
            for (int i = 0; i < n; i++) d[i] = (float)(center + (rng.NextDouble() * 2 - 1) * scale);
            tensors[name] = (d, [n]);
        }

        Matrix("token_embd.weight", vocab, Dim, 1.0);
        Matrix("position_embd.weight", context, Dim, 0.5);
        var types = new double[2 * Dim];
        for (int i = 0; i < types.Length; i++) types[i] = (float)((rng.NextDouble() * 2 - 1) * 0.3);
        tensors["token_types.weight"] = (types, [Dim, 2]);
        Vector("token_embd_norm.weight", Dim, 1, 0.2);
        Vector("token_embd_norm.bias", Dim, 0, 0.1);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            foreach (var m in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
            {
                Matrix(p + m + ".weight", Dim, Dim, 0.25);
                Vector(p + m + ".bias", Dim, 0, 0.1);
            }
            Vector(p + "attn_output_norm.weight", Dim, 1, 0.2);
            Vector(p + "attn_output_norm.bias", Dim, 0, 0.1);
            Matrix(p + "ffn_up.weight", Ff, Dim, 0.25);
            Vector(p + "ffn_up.bias", Ff, 0, 0.1);
            Matrix(p + "ffn_down.weight", Dim, Ff, 0.2);
            Vector(p + "ffn_down.bias", Dim, 0, 0.1);
            Vector(p + "layer_output_norm.weight", Dim, 1, 0.2);
            Vector(p + "layer_output_norm.bias", Dim, 0, 0.1);
        }
        return new RandomBert { Context = context, Vocab = vocab, F16 = f16, Tensors = tensors };
    }

    /// <summary>Writes the model; <paramref name="pooling"/> is llama.cpp's pooling_type code (null: key absent).</summary>
    public async Task WriteAsync(string path, int? pooling, string? name = "random-bert", string architecture = "bert", string? skipTensor = null)
    {
        var w = new GgufWriter();
        w.SetMetadata("general.architecture", architecture);
        if (name is not null) w.SetMetadata("general.name", name);
        w.SetMetadata("bert.block_count", (uint)Layers);
        w.SetMetadata("bert.embedding_length", (uint)Dim);
        w.SetMetadata("bert.feed_forward_length", (uint)Ff);
        w.SetMetadata("bert.attention.head_count", (uint)Heads);
        w.SetMetadata("bert.attention.layer_norm_epsilon", 1e-12f);
        w.SetMetadata("bert.context_length", (uint)Context);
        w.SetMetadata("bert.attention.causal", false);
        if (pooling is { } p) w.SetMetadata("bert.pooling_type", (uint)p);
        using (var v = GgufFile.Open(VocabPath))
        {
            foreach (var (key, value) in v.Metadata)
            {
                if (key.StartsWith("tokenizer.", StringComparison.Ordinal)) w.SetMetadata(key, value);
            }
        }
        foreach (var (tensorName, (data, dims)) in Tensors)
        {
            if (tensorName == skipTensor) continue;
            bool matrix = dims.Length == 2 && tensorName != "token_types.weight";
            if (matrix && F16)
            {
                var h = new Half[data.Length];
                for (int i = 0; i < h.Length; i++) h[i] = (Half)data[i];
                w.AddTensor(tensorName, GgmlType.F16, dims, MemoryMarshal.AsBytes(h.AsSpan()));
            }
            else
            {
                var f = new float[data.Length];
                for (int i = 0; i < f.Length; i++) f[i] = (float)data[i];
                w.AddTensor(tensorName, GgmlType.F32, dims, MemoryMarshal.AsBytes(f.AsSpan()));
            }
        }
        await w.WriteAsync(path, CancellationToken.None);
    }
}
