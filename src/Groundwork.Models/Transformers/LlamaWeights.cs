using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Transformers;

/// <summary>An F32 vector (norm weight or bias) inside the mapped file.</summary>
internal readonly unsafe struct WeightVector
{
    public readonly float* Data;
    public readonly int Length;

    public WeightVector(float* data, int length)
    {
        Data = data;
        Length = length;
    }

    public bool IsPresent => Data != null;

    public ReadOnlySpan<float> Span => new(Data, Length);
}

/// <summary>One transformer block's weights; all views into the mapped file (immutable, shared by sessions).</summary>
internal sealed class LlamaLayerWeights
{
    public int Index { get; init; }                        // block number (for per-session adapters)
    public required WeightVector AttnNorm { get; init; }   // [dim]
    public required WeightMatrix Wq { get; init; }         // [qDim rows, dim cols]
    public required WeightMatrix Wk { get; init; }         // [kvDim, dim]
    public required WeightMatrix Wv { get; init; }         // [kvDim, dim]
    public required WeightMatrix Wo { get; init; }         // [dim, qDim]
    public WeightVector Bq { get; init; }                  // [qDim] (qwen2 only)
    public WeightVector Bk { get; init; }                  // [kvDim] (qwen2 only)
    public WeightVector Bv { get; init; }                  // [kvDim] (qwen2 only)
    public required WeightVector FfnNorm { get; init; }    // [dim]
    public required WeightMatrix Gate { get; init; }       // [ff, dim]
    public required WeightMatrix Up { get; init; }         // [ff, dim]
    public required WeightMatrix Down { get; init; }       // [dim, ff]
}

/// <summary>All weights of a Llama-family model, bound to tensors of a <see cref="GgufFile"/> by name with shape checks.</summary>
internal sealed unsafe class LlamaWeights
{
    public required WeightMatrix TokenEmbedding { get; init; } // [vocab rows, dim cols]
    public required LlamaLayerWeights[] Layers { get; init; }  // [layerCount]
    public required WeightVector OutputNorm { get; init; }     // [dim]
    public required WeightMatrix Output { get; init; }         // [vocab, dim] (token_embd when tied)
    public WeightVector RopeFreqs { get; init; }               // [headDim/2] RoPE frequency factors (Llama 3.1+), absent elsewhere

    public static LlamaWeights Bind(GgufFile file, LlamaConfig c)
    {
        int dim = c.EmbeddingLength, ff = c.FeedForwardLength, q = c.QueryDim, kv = c.KvDim, vocab = c.VocabSize;
        var layers = new LlamaLayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            layers[i] = new LlamaLayerWeights
            {
                Index = i,
                AttnNorm = Vector(file, p + "attn_norm.weight", dim),
                Wq = Matrix(file, p + "attn_q.weight", q, dim),
                Wk = Matrix(file, p + "attn_k.weight", kv, dim),
                Wv = Matrix(file, p + "attn_v.weight", kv, dim),
                Wo = Matrix(file, p + "attn_output.weight", dim, q),
                Bq = c.HasQkvBias ? Vector(file, p + "attn_q.bias", q) : default,
                Bk = c.HasQkvBias ? Vector(file, p + "attn_k.bias", kv) : default,
                Bv = c.HasQkvBias ? Vector(file, p + "attn_v.bias", kv) : default,
                FfnNorm = Vector(file, p + "ffn_norm.weight", dim),
                Gate = Matrix(file, p + "ffn_gate.weight", ff, dim),
                Up = Matrix(file, p + "ffn_up.weight", ff, dim),
                Down = Matrix(file, p + "ffn_down.weight", dim, ff),
            };
        }

        var embedding = Matrix(file, "token_embd.weight", vocab, dim);
        return new LlamaWeights
        {
            TokenEmbedding = embedding,
            Layers = layers,
            OutputNorm = Vector(file, "output_norm.weight", dim),
            Output = c.TiedOutput ? embedding : Matrix(file, "output.weight", vocab, dim),
            RopeFreqs = file.TryGetTensor("rope_freqs.weight", out _) ? Vector(file, "rope_freqs.weight", c.HeadDim / 2) : default,
        };
    }

    private static WeightMatrix Matrix(GgufFile file, string name, int rows, int cols)
    {
        var t = file.GetTensor(name);
        if (t.Dimensions.Length != 2 || t.Dimensions[0] != cols || t.Dimensions[1] != rows)
            throw new GgufException($"{file.FileName}: tensor '{name}' has shape [{string.Join(", ", t.Dimensions)}], expected [{cols}, {rows}]");
        if (!QuantizedOps.CanMultiply(t.Type))
            throw new GgufException($"{file.FileName}: tensor '{name}' has type {t.Type}, which the matrix kernels do not support");
        return new WeightMatrix(t.Type, file.GetTensorPointer(t), rows, cols);
    }

    private static WeightVector Vector(GgufFile file, string name, int length)
    {
        var t = file.GetTensor(name);
        if (t.ElementCount != length || t.Dimensions.Length != 1)
            throw new GgufException($"{file.FileName}: tensor '{name}' has shape [{string.Join(", ", t.Dimensions)}], expected [{length}]");
        if (t.Type != GgmlType.F32)
            throw new GgufException($"{file.FileName}: tensor '{name}' has type {t.Type}, expected F32");
        return new WeightVector((float*)file.GetTensorPointer(t), length);
    }
}
