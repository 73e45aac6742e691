using Groundwork.Models.Gguf;
using Groundwork.Numerics;
using Groundwork.Models.Tokenizers;

namespace Groundwork.Models.Transformers;

/// <summary>
/// A Llama-family decoder (architectures <c>llama</c>, incl. Mistral-style llama files, and <c>qwen2</c>) loaded from a
/// GGUF file. The weights stay in the read-only memory mapping and are shared by every <see cref="InferenceSession"/>;
/// the model itself is immutable, so sessions on different threads may run concurrently.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    /// <summary>Architectures this runtime loads.</summary>
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["llama", "qwen2"];

    private readonly GgufFile _file;

    private LlamaModel(GgufFile file, LlamaConfig config, LlamaWeights weights, LlmTokenizer tokenizer, int contextLength, string? templateOverride)
    {
        _file = file;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        ContextLength = contextLength;
        ChatTemplate = file.TryGetString("tokenizer.chat_template");
        Name = file.TryGetString("general.name") ?? Path.GetFileNameWithoutExtension(file.Path);
        EosText = tokenizer.EosId >= 0 ? tokenizer.GetTokenText(tokenizer.EosId) : null;
        Template = templateOverride is null
            ? Chat.ChatTemplate.Detect(ChatTemplate, EosText)
            : Chat.ChatTemplate.FromName(templateOverride, EosText);
    }

    /// <summary>The hyper-parameters.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The model's tokenizer (from the same GGUF file).</summary>
    public LlmTokenizer Tokenizer { get; }

    /// <summary>The raw Jinja chat template (<c>tokenizer.chat_template</c>), or null when the file has none.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The chat template in use: detected from <see cref="ChatTemplate"/> or named by <see cref="ModelLoadOptions.ChatTemplate"/>.</summary>
    public Chat.ChatTemplate Template { get; }

    /// <summary>The model's name (<c>general.name</c>, else the file name without extension).</summary>
    public string Name { get; }

    /// <summary>The KV-cache length new sessions get.</summary>
    public int ContextLength { get; }

    /// <summary>The GGUF file (metadata, tensors); valid until the model is disposed.</summary>
    public GgufFile File => _file;

    internal LlamaWeights Weights { get; }

    /// <summary>The text of the EOS token (e.g. "&lt;/s&gt;"), written by some chat templates after a turn.</summary>
    internal string? EosText { get; }

    /// <summary>Loads a model from a GGUF file (memory-mapped; no weight is copied).</summary>
    /// <exception cref="GgufException">The file is invalid, its architecture or a tensor type is unsupported, or a tensor is missing or mis-shaped.</exception>
    public static LlamaModel Load(string path, ModelLoadOptions? options = null) => Load(GgufFile.Open(path), options);

    /// <summary>Loads a model from an opened file, which it then owns (disposed here if loading fails).</summary>
    internal static LlamaModel Load(GgufFile file, ModelLoadOptions? options)
    {
        options ??= new ModelLoadOptions();
        try
        {
            var config = ReadConfig(file);
            var weights = LlamaWeights.Bind(file, config);
            var tokenizer = LlmTokenizer.FromGguf(file);
            if (tokenizer.VocabSize != config.VocabSize)
                throw new GgufException($"{file.FileName}: the vocabulary has {tokenizer.VocabSize} tokens but token_embd.weight has {config.VocabSize} rows");
            int ctx = options.ContextLength ?? Math.Min(config.TrainedContextLength, 4096);
            if (ctx <= 0) throw new ArgumentOutOfRangeException(nameof(options), ctx, "ContextLength must be positive");
            return new LlamaModel(file, config, weights, tokenizer, ctx, options.ChatTemplate);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Creates a session (its own KV cache and scratch) with <paramref name="contextLength"/> positions (default <see cref="ContextLength"/>).</summary>
    public InferenceSession CreateSession(int? contextLength = null) => new(this, contextLength ?? ContextLength);

    /// <summary>Unmaps the file. Sessions must not be used afterwards.</summary>
    public void Dispose() => _file.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Config.Architecture}, {Config.LayerCount} layers, dim {Config.EmbeddingLength})";

    /// <summary>
    /// Reads and validates the hyper-parameters of a llama/qwen2 GGUF (no tokenizer needed), as the runtime and the
    /// LoRA trainer both use them. Throws <see cref="GgufException"/> naming the file and the problem.
    /// </summary>
    public static LlamaConfig ReadConfig(GgufFile file)
    {
        string arch = file.Architecture;
        if (!SupportedArchitectures.Contains(arch))
            throw new GgufException($"{file.FileName}: architecture '{arch}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})");

        int Int(string key) => checked((int)file.GetInteger($"{arch}.{key}"));
        int layers = Int("block_count");
        int dim = Int("embedding_length");
        int ff = Int("feed_forward_length");
        int heads = Int("attention.head_count");
        int kvHeads = file.TryGetInteger($"{arch}.attention.head_count_kv") is { } kvh ? checked((int)kvh) : heads;
        if (layers <= 0 || dim <= 0 || ff <= 0 || heads <= 0 || kvHeads <= 0)
            throw new GgufException($"{file.FileName}: hyper-parameters must be positive (layers {layers}, dim {dim}, ff {ff}, heads {heads}, kv heads {kvHeads})");
        if (dim % heads != 0)
            throw new GgufException($"{file.FileName}: {arch}.embedding_length {dim} is not a multiple of {arch}.attention.head_count {heads}");
        if (heads % kvHeads != 0)
            throw new GgufException($"{file.FileName}: {arch}.attention.head_count {heads} is not a multiple of head_count_kv {kvHeads}");
        int headDim = file.TryGetInteger($"{arch}.attention.key_length") is { } kl ? checked((int)kl) : dim / heads;
        if (headDim % 2 != 0)
            throw new GgufException($"{file.FileName}: head dimension {headDim} must be even for RoPE");
        int ropeDims = file.TryGetInteger($"{arch}.rope.dimension_count") is { } rd ? checked((int)rd) : headDim;
        if (ropeDims != headDim)
            throw new GgufException($"{file.FileName}: {arch}.rope.dimension_count {ropeDims} differs from the head dimension {headDim} (partial RoPE is not supported)");

        float eps = file.TryGetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5f;
        float freqBase = file.TryGetFloat($"{arch}.rope.freq_base") ?? 10000f;
        float freqScale = 1f;
        string? scaling = file.TryGetString($"{arch}.rope.scaling.type");
        float? factor = file.TryGetFloat($"{arch}.rope.scaling.factor");
        if (scaling is null or "none") { if (scaling is null && factor is > 0 and not 1f) freqScale = 1f / factor.Value; }
        else if (scaling == "linear") { if (factor is > 0) freqScale = 1f / factor.Value; }
        else throw new GgufException($"{file.FileName}: {arch}.rope.scaling.type '{scaling}' is not supported (supported: none, linear)");
        if (file.TryGetFloat($"{arch}.rope.freq_scale") is { } fs && fs > 0) freqScale = fs;

        int ctx = file.TryGetInteger($"{arch}.context_length") is { } cl ? checked((int)cl) : 2048;
        var embd = file.GetTensor("token_embd.weight");
        if (embd.Dimensions.Length != 2 || embd.Dimensions[0] != dim)
            throw new GgufException($"{file.FileName}: tensor 'token_embd.weight' has shape [{string.Join(", ", embd.Dimensions)}], expected [{dim}, vocab]");
        int vocab = embd.Rows;
        bool tied = !file.TryGetTensor("output.weight", out _);
        // Qwen2 always has q/k/v biases; other llama-like files may too, so the first block decides.
        bool bias = file.TryGetTensor("blk.0.attn_q.bias", out _);
        return new LlamaConfig(arch, layers, dim, ff, heads, kvHeads, headDim, vocab, eps, freqBase, freqScale, ropeDims,
            arch == "qwen2" ? RopeLayout.NeoX : RopeLayout.Normal, ctx, HasQkvBias: bias, TiedOutput: tied);
    }
}
