using Groundwork.Numerics;

namespace Groundwork.Models.Transformers;

/// <summary>The hyper-parameters of a Llama-family decoder, read from GGUF metadata.</summary>
/// <param name="Architecture">The GGUF architecture name ("llama" or "qwen2").</param>
/// <param name="LayerCount">Transformer blocks (<c>block_count</c>).</param>
/// <param name="EmbeddingLength">Model width (<c>embedding_length</c>).</param>
/// <param name="FeedForwardLength">SwiGLU hidden width (<c>feed_forward_length</c>).</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="KvHeadCount">Key/value heads (grouped-query attention when smaller than <paramref name="HeadCount"/>).</param>
/// <param name="HeadDim">Width of one head.</param>
/// <param name="VocabSize">Rows of the token embedding.</param>
/// <param name="RmsEpsilon">RMSNorm epsilon.</param>
/// <param name="RopeFreqBase">RoPE theta.</param>
/// <param name="RopeFreqScale">RoPE position scale (1 / linear scaling factor).</param>
/// <param name="RopeDimensionCount">Rotated dimensions per head (equal to <paramref name="HeadDim"/> here).</param>
/// <param name="Rope">How RoPE pairs dimensions.</param>
/// <param name="TrainedContextLength">The context length the model was trained with (<c>context_length</c>).</param>
/// <param name="HasQkvBias">Whether the q/k/v projections carry biases (Qwen2).</param>
/// <param name="TiedOutput">Whether the output projection reuses the token embedding.</param>
public sealed record LlamaConfig(
    string Architecture,
    int LayerCount,
    int EmbeddingLength,
    int FeedForwardLength,
    int HeadCount,
    int KvHeadCount,
    int HeadDim,
    int VocabSize,
    float RmsEpsilon,
    float RopeFreqBase,
    float RopeFreqScale,
    int RopeDimensionCount,
    RopeLayout Rope,
    int TrainedContextLength,
    bool HasQkvBias,
    bool TiedOutput)
{
    /// <summary>Width of all query heads together (<c>HeadCount * HeadDim</c>).</summary>
    public int QueryDim => HeadCount * HeadDim;

    /// <summary>Width of all key (or value) heads together (<c>KvHeadCount * HeadDim</c>).</summary>
    public int KvDim => KvHeadCount * HeadDim;
}

/// <summary>Options for <see cref="LlamaModel.Load(string, ModelLoadOptions?)"/>.</summary>
public sealed class ModelLoadOptions
{
    /// <summary>
    /// The context length sessions are created with (KV-cache positions). Default: the trained context length,
    /// capped at 4096 to keep the cache small.
    /// </summary>
    public int? ContextLength { get; init; }

    /// <summary>A chat template name that overrides detection ("chatml", "llama3", "mistral", "zephyr", "llama2", "plain").</summary>
    public string? ChatTemplate { get; init; }
}
