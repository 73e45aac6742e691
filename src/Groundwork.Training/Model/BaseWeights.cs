using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Numerics;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Training.Model;

/// <summary>The projections of a block that LoRA can target.</summary>
public enum LoraTarget
{
    /// <summary>attn_q (q_proj).</summary>
    Q,
    /// <summary>attn_k (k_proj).</summary>
    K,
    /// <summary>attn_v (v_proj).</summary>
    V,
    /// <summary>attn_output (o_proj).</summary>
    O,
    /// <summary>ffn_gate (gate_proj).</summary>
    Gate,
    /// <summary>ffn_up (up_proj).</summary>
    Up,
    /// <summary>ffn_down (down_proj).</summary>
    Down,
}

/// <summary>Names of <see cref="LoraTarget"/> in GGUF and PEFT.</summary>
public static class LoraTargetNames
{
    /// <summary>Parses "q", "q_proj" or "attn_q" (and so on for k, v, o, gate, up, down).</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static LoraTarget ParsePublic(string name) => Parse(name);

    internal static readonly LoraTarget[] All = Enum.GetValues<LoraTarget>();

    internal static string Gguf(LoraTarget t) => t switch
    {
        LoraTarget.Q => "attn_q", LoraTarget.K => "attn_k", LoraTarget.V => "attn_v", LoraTarget.O => "attn_output",
        LoraTarget.Gate => "ffn_gate", LoraTarget.Up => "ffn_up", _ => "ffn_down",
    };

    internal static string Peft(LoraTarget t) => t switch
    {
        LoraTarget.Q => "q_proj", LoraTarget.K => "k_proj", LoraTarget.V => "v_proj", LoraTarget.O => "o_proj",
        LoraTarget.Gate => "gate_proj", LoraTarget.Up => "up_proj", _ => "down_proj",
    };

    internal static string PeftModule(LoraTarget t) => t is LoraTarget.Gate or LoraTarget.Up or LoraTarget.Down ? "mlp" : "self_attn";

    internal static LoraTarget Parse(string s) => s.Trim().ToLowerInvariant() switch
    {
        "q" or "q_proj" or "attn_q" => LoraTarget.Q,
        "k" or "k_proj" or "attn_k" => LoraTarget.K,
        "v" or "v_proj" or "attn_v" => LoraTarget.V,
        "o" or "o_proj" or "attn_output" => LoraTarget.O,
        "gate" or "gate_proj" or "ffn_gate" => LoraTarget.Gate,
        "up" or "up_proj" or "ffn_up" => LoraTarget.Up,
        "down" or "down_proj" or "ffn_down" => LoraTarget.Down,
        _ => throw new ArgumentException($"unknown LoRA target module '{s}' (q, k, v, o, gate, up, down)"),
    };
}

/// <summary>One block's frozen weights (views into the mapped file; norms and biases as small float copies).</summary>
internal sealed class BaseLayer
{
    public required float[] AttnNorm { get; init; }     // [dim]
    public required float[] FfnNorm { get; init; }      // [dim]
    public float[]? Bq { get; init; }                   // [qDim] (qwen2)
    public float[]? Bk { get; init; }                   // [kvDim]
    public float[]? Bv { get; init; }                   // [kvDim]
    public required FrozenMatrix[] Proj { get; init; }  // indexed by LoraTarget: q [qDim, dim], k/v [kvDim, dim], o [dim, qDim], gate/up [ff, dim], down [dim, ff]
}

/// <summary>The frozen base model for training, bound to a <see cref="GgufFile"/> with the runtime's own config reader.</summary>
internal sealed unsafe class BaseWeights
{
    public required LlamaConfig Config { get; init; }
    public required FrozenMatrix TokenEmbedding { get; init; } // [vocab, dim]
    public required BaseLayer[] Layers { get; init; }
    public required float[] OutputNorm { get; init; }          // [dim]
    public required FrozenMatrix Output { get; init; }         // [vocab, dim]
    public float[]? RopeFactors { get; init; }                 // [headDim/2] or null

    public static BaseWeights Bind(GgufFile file, LlamaConfig c)
    {
        var layers = new BaseLayer[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            layers[i] = new BaseLayer
            {
                AttnNorm = file.GetF32(p + "attn_norm.weight").ToArray(),
                FfnNorm = file.GetF32(p + "ffn_norm.weight").ToArray(),
                Bq = c.HasQkvBias ? file.GetF32(p + "attn_q.bias").ToArray() : null,
                Bk = c.HasQkvBias ? file.GetF32(p + "attn_k.bias").ToArray() : null,
                Bv = c.HasQkvBias ? file.GetF32(p + "attn_v.bias").ToArray() : null,
                Proj = LoraTargetNames.All.Select(t => Matrix(file, p + LoraTargetNames.Gguf(t) + ".weight")).ToArray(),
            };
        }

        var emb = Matrix(file, "token_embd.weight");
        return new BaseWeights
        {
            Config = c,
            TokenEmbedding = emb,
            Layers = layers,
            OutputNorm = file.GetF32("output_norm.weight").ToArray(),
            Output = file.TryGetTensor("output.weight", out _) ? Matrix(file, "output.weight") : emb,
            RopeFactors = file.TryGetTensor("rope_freqs.weight", out _) ? file.GetF32("rope_freqs.weight").ToArray() : null,
        };
    }

    public (int Out, int In) Shape(LoraTarget t)
    {
        var c = Config;
        return t switch
        {
            LoraTarget.Q => (c.QueryDim, c.EmbeddingLength),
            LoraTarget.K or LoraTarget.V => (c.KvDim, c.EmbeddingLength),
            LoraTarget.O => (c.EmbeddingLength, c.QueryDim),
            LoraTarget.Gate or LoraTarget.Up => (c.FeedForwardLength, c.EmbeddingLength),
            _ => (c.EmbeddingLength, c.FeedForwardLength),
        };
    }

    private static FrozenMatrix Matrix(GgufFile file, string name)
    {
        var t = file.GetTensor(name);
        if (t.Dimensions.Length != 2) throw new GgufException($"{file.FileName}: tensor '{name}' is not 2-D");
        if (!QuantizedOps.CanMultiply(t.Type)) throw new GgufException($"{file.FileName}: tensor '{name}' has type {t.Type}, which training does not support");
        return new FrozenMatrix(name, new QuantizedMatrix(t.Type, file.GetTensorPointer(t), t.Rows, t.Columns));
    }
}
