using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Numerics;

namespace Groundwork.Training.Model;

/// <summary>
/// Reads a <see cref="LlamaConfig"/> from GGUF metadata the way the runtime does (same keys and defaults), without
/// needing a tokenizer in the file (test models and adapters' bases may lack one).
/// </summary>
internal static class ConfigReader
{
    public static LlamaConfig Read(GgufFile file)
    {
        string arch = file.Architecture;
        if (!LlamaModel.SupportedArchitectures.Contains(arch))
            throw new GgufException($"{file.FileName}: architecture '{arch}' is not supported for training (supported: {string.Join(", ", LlamaModel.SupportedArchitectures)})");
        int Int(string key) => checked((int)file.GetInteger($"{arch}.{key}"));
        int layers = Int("block_count"), dim = Int("embedding_length"), ff = Int("feed_forward_length"), heads = Int("attention.head_count");
        int kvHeads = file.TryGetInteger($"{arch}.attention.head_count_kv") is { } kvh ? checked((int)kvh) : heads;
        if (layers <= 0 || dim <= 0 || ff <= 0 || heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw new GgufException($"{file.FileName}: invalid hyper-parameters (layers {layers}, dim {dim}, ff {ff}, heads {heads}, kv heads {kvHeads})");
        int headDim = file.TryGetInteger($"{arch}.attention.key_length") is { } kl ? checked((int)kl) : dim / heads;
        float eps = file.TryGetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5f;
        float freqBase = file.TryGetFloat($"{arch}.rope.freq_base") ?? 10000f;
        float freqScale = 1f;
        string? scaling = file.TryGetString($"{arch}.rope.scaling.type");
        float? factor = file.TryGetFloat($"{arch}.rope.scaling.factor");
        if (scaling is null or "none") { if (scaling is null && factor is > 0 and not 1f) freqScale = 1f / factor.Value; }
        else if (scaling == "linear") { if (factor is > 0) freqScale = 1f / factor.Value; }
        else throw new GgufException($"{file.FileName}: {arch}.rope.scaling.type '{scaling}' is not supported");
        if (file.TryGetFloat($"{arch}.rope.freq_scale") is { } fs && fs > 0) freqScale = fs;
        int ctx = file.TryGetInteger($"{arch}.context_length") is { } cl ? checked((int)cl) : 2048;
        int vocab = file.GetTensor("token_embd.weight").Rows;
        bool tied = !file.TryGetTensor("output.weight", out _);
        bool bias = file.TryGetTensor("blk.0.attn_q.bias", out _);
        return new LlamaConfig(arch, layers, dim, ff, heads, kvHeads, headDim, vocab, eps, freqBase, freqScale, headDim,
            arch == "qwen2" ? RopeLayout.NeoX : RopeLayout.Normal, ctx, HasQkvBias: bias, TiedOutput: tied);
    }
}
