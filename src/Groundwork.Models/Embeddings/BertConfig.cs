namespace Groundwork.Models.Embeddings;

/// <summary>How token states become one sentence embedding; the values are llama.cpp's <c>pooling_type</c> codes.</summary>
public enum EmbeddingPooling
{
    /// <summary>The mean of all token states of the sequence (sentence-transformers' default; all-MiniLM, e5).</summary>
    Mean = 1,

    /// <summary>The state of the first token, [CLS] (bge).</summary>
    Cls = 2,

    /// <summary>The state of the last token (decoder embedders; for BERT, the final [SEP]).</summary>
    Last = 3,

    /// <summary>
    /// Reranking (cross-encoders such as ms-marco-MiniLM or bge-reranker): the [CLS] state through the classification
    /// head (<c>cls</c> dense + tanh, then <c>cls.output</c>) gives relevance score(s) instead of an embedding.
    /// </summary>
    Rank = 4,
}

/// <summary>The hyper-parameters of a BERT encoder, read from GGUF metadata (<c>bert.*</c> or <c>nomic-bert.*</c>).</summary>
/// <param name="LayerCount">Transformer blocks (<c>block_count</c>).</param>
/// <param name="EmbeddingLength">Model width and embedding dimension (<c>embedding_length</c>).</param>
/// <param name="FeedForwardLength">GELU hidden width (<c>feed_forward_length</c>).</param>
/// <param name="HeadCount">Attention heads (<c>attention.head_count</c>).</param>
/// <param name="LayerNormEpsilon">LayerNorm epsilon (<c>attention.layer_norm_epsilon</c>).</param>
/// <param name="ContextLength">Trained positions (<c>context_length</c>; rows of <c>position_embd</c>).</param>
/// <param name="VocabSize">Rows of the token embedding.</param>
/// <param name="Pooling">Pooling from <c>pooling_type</c>; <see cref="EmbeddingPooling.Mean"/> where the file says none.</param>
public sealed record BertConfig(
    int LayerCount,
    int EmbeddingLength,
    int FeedForwardLength,
    int HeadCount,
    float LayerNormEpsilon,
    int ContextLength,
    int VocabSize,
    EmbeddingPooling Pooling)
{
    /// <summary>Width of one attention head.</summary>
    public int HeadDim => EmbeddingLength / HeadCount;

    /// <summary>The GGUF architecture: "bert" (learned positions, GELU) or "nomic-bert" (rotary positions, SwiGLU).</summary>
    public string Architecture { get; init; } = "bert";

    /// <summary>RoPE base (<c>rope.freq_base</c>) of a "nomic-bert" model (NeoX pairing, all head dimensions); 0 for "bert".</summary>
    public float RopeFreqBase { get; init; }

    /// <summary>Outputs of the classification head (<c>cls.output</c> rows) of a reranking model; 0 without a head.</summary>
    public int ClassifierOutputs { get; init; }

    /// <summary>Whether positions are rotary (nomic-bert) rather than a learned <c>position_embd</c> table.</summary>
    public bool UsesRope => RopeFreqBase > 0;
}

