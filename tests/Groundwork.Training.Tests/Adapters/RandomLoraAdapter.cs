using Groundwork.Models.Gguf;

namespace Groundwork.Training.Tests.Adapters;

/// <summary>
/// A deterministic LoRA adapter for any llama-shaped GGUF: every projection of every block, rank 4, alpha 8 (scale 2),
/// A ~ U(±1/√in), B ~ U(±0.05) from SplitMix64 (integer → float steps only, so the bytes do not depend on the
/// machine). B is nonzero so the adapter moves the logits. Compiled into tools/llamacpp-reference too, whose
/// make-golden.sh hands the same bytes to llama.cpp.
/// </summary>
internal static class RandomLoraAdapter
{
    public const int Rank = 4;
    public const float Alpha = 8f;
    public const float BRange = 0.05f;

    private static readonly string[] Projections = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];

    public static LoraAdapter Create(GgufFile baseModel, ulong seed)
    {
        string arch = baseModel.Architecture;
        int layers = checked((int)baseModel.GetInteger(arch + ".block_count"));
        ulong state = seed;
        float Uniform(float range)
        {
            state += 0x9E3779B97F4A7C15UL; // SplitMix64
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            int bits = (int)(z >> 40) - (1 << 23); // uniform integer in [-2^23, 2^23)
            return bits * (range / (1 << 23));
        }

        var matrices = new List<LoraMatrices>();
        for (int l = 0; l < layers; l++)
            foreach (var proj in Projections)
            {
                var t = baseModel.GetTensor($"blk.{l}.{proj}.weight");
                int inDim = t.Columns, outDim = checked((int)t.RowCount);
                float aRange = 1f / MathF.Sqrt(inDim);
                var a = new float[Rank * inDim];
                var b = new float[outDim * Rank];
                for (int i = 0; i < a.Length; i++) a[i] = Uniform(aRange);
                for (int i = 0; i < b.Length; i++) b[i] = Uniform(BRange);
                matrices.Add(new LoraMatrices(t.Name, a, b));
            }

        return LoraAdapter.Create(arch, Rank, Alpha, matrices);
    }
}
