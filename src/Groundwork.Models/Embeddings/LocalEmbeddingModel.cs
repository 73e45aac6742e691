using System.Numerics.Tensors;
using Groundwork.Models.Gguf;
using Groundwork.Models.Tokenizers;

namespace Groundwork.Models.Embeddings;

/// <summary>Options for loading a local embedding model (<see cref="LocalEmbeddingModel.Load"/>).</summary>
public sealed class EmbeddingLoadOptions
{
    /// <summary>Overrides the pooling the file's metadata names.</summary>
    public EmbeddingPooling? Pooling { get; init; }

    /// <summary>
    /// Caps the tokens per input below the model's trained context length (inputs longer are truncated). Decoder
    /// embedders default to at most <see cref="DecoderEmbeddingModel.DefaultMaxTokens"/>, since each concurrent caller
    /// holds a KV cache of that length.
    /// </summary>
    public int? MaxTokens { get; init; }
}

/// <summary>
/// A sentence-embedding model that runs in-process from a GGUF file: a BERT-family encoder
/// (<see cref="BertEmbeddingModel"/>) or a decoder used as an embedder (<see cref="DecoderEmbeddingModel"/>, e.g.
/// Qwen3-Embedding-style last-token pooling). Thread-safe: concurrent callers each get their own scratch.
/// </summary>
public abstract class LocalEmbeddingModel : IDisposable
{
    /// <summary>Opens a GGUF embedding model, choosing the implementation from <c>general.architecture</c>.</summary>
    /// <exception cref="GgufException">The file is unreadable or its architecture is not supported (the message names the file).</exception>
    public static LocalEmbeddingModel Load(string path, EmbeddingLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = GgufFile.Open(path); // opened once: the loader takes it over (parsing a 150k-token vocabulary twice is not free)
        var arch = file.TryGetString("general.architecture");
        if (arch == "bert" || arch == "nomic-bert") return BertEmbeddingModel.Load(file, options);
        if (arch is not null && Transformers.LlamaModel.SupportedArchitectures.Contains(arch)) return DecoderEmbeddingModel.Load(file, options);
        file.Dispose();
        throw arch is null
            ? new GgufException($"{Path.GetFileName(path)}: metadata key 'general.architecture' not found")
            : new GgufException($"{Path.GetFileName(path)}: architecture '{arch}' cannot embed (supported: bert, nomic-bert, {string.Join(", ", Transformers.LlamaModel.SupportedArchitectures)})");
    }

    /// <summary>The tokenizer built from the file's <c>tokenizer.ggml.*</c> metadata.</summary>
    public abstract LlmTokenizer Tokenizer { get; }

    /// <summary>Most tokens per input, special tokens included; longer inputs are truncated.</summary>
    public abstract int MaxTokens { get; }

    /// <summary>Embedding dimension.</summary>
    public abstract int Dimension { get; }

    /// <summary>The pooling in use (metadata, or the load option that overrides it).</summary>
    public abstract EmbeddingPooling Pooling { get; }

    /// <summary><c>general.name</c>, or the file name without extension.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Tokenizes <paramref name="text"/> with the model's special tokens (BOS/EOS or [CLS] … [SEP], as its metadata
    /// says). When it has more than <see cref="MaxTokens"/> tokens it is cut to that length, keeping a final [SEP] or
    /// EOS (the token last-token pooling reads); <paramref name="fullCount"/> is the count before truncation.
    /// </summary>
    public int[] Tokenize(string text, out int fullCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
        fullCount = ids.Count;
        if (ids.Count <= MaxTokens) return [.. ids];
        var cut = new int[MaxTokens];
        ids.CopyTo(0, cut, 0, MaxTokens);
        int last = ids[^1];
        if (last >= 0 && (last == Tokenizer.SeparatorId || last == Tokenizer.EosId)) cut[^1] = last;
        return cut;
    }

    /// <summary>
    /// Embeds token sequences (each at most <see cref="MaxTokens"/> long, special tokens included): returns
    /// [count][<see cref="Dimension"/>], pooled as <see cref="Pooling"/>, unit length when <paramref name="normalize"/>.
    /// A sequence's embedding does not depend on the others in the batch.
    /// </summary>
    public float[][] EmbedTokens(IReadOnlyList<int[]> sequences, bool normalize = true)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var flat = new float[sequences.Count * Dimension];
        EmbedTokens(sequences, normalize, flat);
        var result = new float[sequences.Count][];
        for (int i = 0; i < result.Length; i++) result[i] = flat.AsSpan(i * Dimension, Dimension).ToArray();
        return result;
    }

    /// <summary>As <see cref="EmbedTokens(IReadOnlyList{int[]}, bool)"/>, into <paramref name="output"/>[count × Dimension].</summary>
    public abstract void EmbedTokens(IReadOnlyList<int[]> sequences, bool normalize, Span<float> output);

    /// <summary>Unmaps the file. Embedding afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public abstract void Dispose();

    /// <summary>
    /// Pools one sequence's token states <paramref name="states"/>[len, dim] into <paramref name="output"/>[dim]
    /// (first token, last token or mean), then scales it to unit length when <paramref name="normalize"/>.
    /// </summary>
    internal static void Pool(ReadOnlySpan<float> states, int len, EmbeddingPooling pooling, bool normalize, Span<float> output)
    {
        int dim = output.Length;
        switch (pooling)
        {
            case EmbeddingPooling.Cls:
                states[..dim].CopyTo(output);
                break;
            case EmbeddingPooling.Last:
                states.Slice((len - 1) * dim, dim).CopyTo(output);
                break;
            default:
                states[..dim].CopyTo(output);
                for (int t = 1; t < len; t++) TensorPrimitives.Add(output, states.Slice(t * dim, dim), output);
                TensorPrimitives.Multiply(output, 1f / len, output);
                break;
        }
        if (normalize)
        {
            float norm = TensorPrimitives.Norm(output);
            if (norm > 0) TensorPrimitives.Multiply(output, 1f / norm, output);
        }
    }

    /// <summary>Validates a batch: non-empty sequences of at most <see cref="MaxTokens"/> tokens, room in <paramref name="output"/>.</summary>
    protected void CheckSequences(IReadOnlyList<int[]> sequences, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (output.Length < sequences.Count * Dimension)
            throw new ArgumentException($"output has room for {output.Length} values; {sequences.Count} × {Dimension} needed", nameof(output));
        CheckSequences(sequences);
    }

    /// <summary>Validates a batch: non-empty sequences of at most <see cref="MaxTokens"/> tokens.</summary>
    protected void CheckSequences(IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        for (int s = 0; s < sequences.Count; s++)
        {
            if (sequences[s] is null || sequences[s].Length == 0) throw new ArgumentException($"sequence {s} is empty", nameof(sequences));
            if (sequences[s].Length > MaxTokens) throw new ArgumentException($"sequence {s} has {sequences[s].Length} tokens; at most {MaxTokens}", nameof(sequences));
        }
    }
}
