using System.Runtime.InteropServices;
using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;
using Groundwork.Training.Model;

namespace Groundwork.Training.Tests;

/// <summary>Writes tiny random Llama/Qwen2 GGUF files (F32, no tokenizer) for gradient checks and training tests.</summary>
internal static class RandomModels
{
    public static async Task<string> WriteAsync(string dir, string arch, int seed, int layers = 2, int dim = 32, int heads = 4, int kvHeads = 2,
        int ff = 64, int vocab = 64, float std = 0.2f, float? outputStd = null)
    {
        var rng = new Random(seed);
        var w = new GgufWriter();
        w.SetMetadata("general.architecture", arch);
        w.SetMetadata("general.name", $"random-{arch}");
        w.SetMetadata($"{arch}.block_count", (uint)layers);
        w.SetMetadata($"{arch}.embedding_length", (uint)dim);
        w.SetMetadata($"{arch}.feed_forward_length", (uint)ff);
        w.SetMetadata($"{arch}.attention.head_count", (uint)heads);
        w.SetMetadata($"{arch}.attention.head_count_kv", (uint)kvHeads);
        w.SetMetadata($"{arch}.attention.layer_norm_rms_epsilon", 1e-5f);
        w.SetMetadata($"{arch}.rope.freq_base", arch == "qwen2" ? 1000000f : 10000f);
        w.SetMetadata($"{arch}.context_length", 256u);
        int hd = dim / heads, q = heads * hd, kv = kvHeads * hd;
        void Mat(string name, int rows, int cols) => Add(name, [cols, rows], Gauss(rng, rows * cols, std));
        void Vec(string name, int n, float center, float spread) => Add(name, [n], Enumerable.Range(0, n).Select(_ => center + spread * (float)(rng.NextDouble() * 2 - 1)).ToArray());
        void Add(string name, long[] dims, float[] data) => w.AddTensor(name, GgmlType.F32, dims, MemoryMarshal.AsBytes(data.AsSpan()));
        Mat("token_embd.weight", vocab, dim);
        for (int l = 0; l < layers; l++)
        {
            string p = $"blk.{l}.";
            Vec(p + "attn_norm.weight", dim, 1f, 0.3f);
            Mat(p + "attn_q.weight", q, dim);
            Mat(p + "attn_k.weight", kv, dim);
            Mat(p + "attn_v.weight", kv, dim);
            Mat(p + "attn_output.weight", dim, q);
            if (arch == "qwen2")
            {
                Vec(p + "attn_q.bias", q, 0f, 0.2f);
                Vec(p + "attn_k.bias", kv, 0f, 0.2f);
                Vec(p + "attn_v.bias", kv, 0f, 0.2f);
            }

            Vec(p + "ffn_norm.weight", dim, 1f, 0.3f);
            Mat(p + "ffn_gate.weight", ff, dim);
            Mat(p + "ffn_up.weight", ff, dim);
            Mat(p + "ffn_down.weight", dim, ff);
        }

        Vec("output_norm.weight", dim, 1f, 0.3f);
        if (arch != "qwen2") Add("output.weight", [dim, vocab], Gauss(rng, vocab * dim, outputStd ?? std)); // qwen2 variant: tied output
        string path = Path.Combine(dir, $"random-{arch}-{seed}.gguf");
        await w.WriteAsync(path, CancellationToken.None);
        return path;
    }

    public static float[] Gauss(Random rng, int n, float std)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            a[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return a;
    }

    public static (GgufFile File, BaseWeights Weights) Open(string path)
    {
        var f = GgufFile.Open(path);
        return (f, BaseWeights.Bind(f, Groundwork.Models.Transformers.LlamaModel.ReadConfig(f)));
    }
}
