using System.Buffers.Binary;
using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Tests.Reference;

/// <summary>The shape of a random-weight Llama-family model written by <see cref="RandomLlamaGguf"/>.</summary>
internal sealed record RandomLlamaSpec(
    string Architecture, int Layers, int Dim, int Heads, int KvHeads, int FeedForward, int Vocab,
    bool TiedOutput, bool QkvBias, float RopeBase, float RmsEpsilon, ulong Seed)
{
    /// <summary>2 layers, dim 256, 4 heads / 2 KV heads, FFN 512, stories260K's 512-token vocabulary: every 2-D
    /// weight is a multiple of 256 wide, so every type (K-quants included) applies without fallback.</summary>
    public static RandomLlamaSpec Tiny => new("llama", 2, 256, 4, 2, 512, 512, false, false, 10000f, 1e-5f, 4242);

    /// <summary>SmolLM2-135M's shape: 30 layers, dim 576, 9 heads / 3 KV heads, FFN 1536, vocab 49152, tied output.</summary>
    public static RandomLlamaSpec SmolLm2_135M => new("llama", 30, 576, 9, 3, 1536, 49152, true, false, 100000f, 1e-5f, 135);

    /// <summary>Qwen2.5-0.5B's shape: 24 layers, dim 896, 14 heads / 2 KV heads, FFN 4864, vocab 151936, tied, q/k/v biases.</summary>
    public static RandomLlamaSpec Qwen25_05B => new("qwen2", 24, 896, 14, 2, 4864, 151936, true, true, 1000000f, 1e-6f, 500);
}

/// <summary>
/// Writes deterministic random-weight Llama/Qwen2 GGUFs with <see cref="GgufWriter"/> and <see cref="QuantizedOps.Quantize"/>.
/// Weights are uniform in ±0.0866 (std 0.05) from a SplitMix64 stream (exact integer-to-float steps only, so the
/// bytes are the same on every machine for the same quantizer); norms are 1.0, biases uniform ±0.0866 as F32.
/// Every 2-D weight gets the requested type; a row length that is not a multiple of the type's block falls back the
/// way llama.cpp's llama-quantize does (Q4_K → Q5_0, Q6_K → Q8_0, a 32-block type → F16).
/// </summary>
internal static class RandomLlamaGguf
{
    /// <summary>The type llama-quantize uses for a tensor of row length <paramref name="rowLength"/>.</summary>
    public static GgmlType EffectiveType(GgmlType type, long rowLength)
    {
        int block = GgmlTypeInfo.BlockSize(type);
        if (rowLength % block == 0) return type;
        var fallback = type switch
        {
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q6_K => GgmlType.Q8_0,
            GgmlType.Q2_K or GgmlType.Q3_K => GgmlType.Q4_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            _ => GgmlType.F16,
        };
        return rowLength % GgmlTypeInfo.BlockSize(fallback) == 0 ? fallback : GgmlType.F16;
    }

    /// <summary>Writes the model to <paramref name="path"/> with the tokenizer (all <c>tokenizer.*</c> keys) of
    /// <paramref name="vocabGguf"/>, its token list trimmed or padded (with "&lt;pad_N&gt;" normal tokens) to the vocab size.</summary>
    public static async Task WriteAsync(string path, RandomLlamaSpec s, GgmlType type, string vocabGguf, CancellationToken cancellationToken)
    {
        var w = new GgufWriter();
        string a = s.Architecture;
        w.SetMetadata("general.architecture", a);
        w.SetMetadata("general.name", $"random-{a}-{s.Layers}x{s.Dim}-{type}");
        w.SetMetadata($"{a}.context_length", 2048u);
        w.SetMetadata($"{a}.embedding_length", (uint)s.Dim);
        w.SetMetadata($"{a}.block_count", (uint)s.Layers);
        w.SetMetadata($"{a}.feed_forward_length", (uint)s.FeedForward);
        w.SetMetadata($"{a}.attention.head_count", (uint)s.Heads);
        w.SetMetadata($"{a}.attention.head_count_kv", (uint)s.KvHeads);
        w.SetMetadata($"{a}.rope.dimension_count", (uint)(s.Dim / s.Heads));
        w.SetMetadata($"{a}.rope.freq_base", s.RopeBase);
        w.SetMetadata($"{a}.attention.layer_norm_rms_epsilon", s.RmsEpsilon);
        CopyVocabulary(w, vocabGguf, s.Vocab);

        var rng = new SplitMix64(s.Seed);
        int hd = s.Dim / s.Heads, kv = s.KvHeads * hd;
        Matrix(w, rng, "token_embd.weight", type, s.Vocab, s.Dim);
        for (int i = 0; i < s.Layers; i++)
        {
            string p = $"blk.{i}.";
            Ones(w, p + "attn_norm.weight", s.Dim);
            Matrix(w, rng, p + "attn_q.weight", type, s.Heads * hd, s.Dim);
            Matrix(w, rng, p + "attn_k.weight", type, kv, s.Dim);
            Matrix(w, rng, p + "attn_v.weight", type, kv, s.Dim);
            if (s.QkvBias)
            {
                Matrix(w, rng, p + "attn_q.bias", GgmlType.F32, 1, s.Heads * hd, vector: true);
                Matrix(w, rng, p + "attn_k.bias", GgmlType.F32, 1, kv, vector: true);
                Matrix(w, rng, p + "attn_v.bias", GgmlType.F32, 1, kv, vector: true);
            }
            Matrix(w, rng, p + "attn_output.weight", type, s.Dim, s.Heads * hd);
            Ones(w, p + "ffn_norm.weight", s.Dim);
            Matrix(w, rng, p + "ffn_gate.weight", type, s.FeedForward, s.Dim);
            Matrix(w, rng, p + "ffn_up.weight", type, s.FeedForward, s.Dim);
            Matrix(w, rng, p + "ffn_down.weight", type, s.Dim, s.FeedForward);
        }
        Ones(w, "output_norm.weight", s.Dim);
        if (!s.TiedOutput) Matrix(w, rng, "output.weight", type, s.Vocab, s.Dim);
        await w.WriteAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static void CopyVocabulary(GgufWriter w, string vocabGguf, int vocab)
    {
        using var f = GgufFile.Open(vocabGguf);
        var tokens = f.GetStringArray("tokenizer.ggml.tokens");
        int keep = Math.Min(vocab, tokens.Count);
        var kept = new HashSet<string>(tokens.Take(keep), StringComparer.Ordinal);
        foreach (var (key, value) in f.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!key.StartsWith("tokenizer.", StringComparison.Ordinal)) continue;
            if (key is "tokenizer.ggml.tokens" or "tokenizer.ggml.token_type" or "tokenizer.ggml.scores" or "tokenizer.ggml.merges") continue;
            if (value.IsInteger && key.EndsWith("_token_id", StringComparison.Ordinal) && value.AsInt64() >= vocab)
            {
                w.SetMetadata(key, (uint)(vocab - 1)); // e.g. GPT-2's <|endoftext|> (50256) trimmed away: use the last kept id
                continue;
            }
            w.SetMetadata(key, value);
        }
        var outTokens = new string[vocab];
        for (int i = 0; i < vocab; i++) outTokens[i] = i < keep ? tokens[i] : $"<pad_{i}>";
        w.SetMetadata("tokenizer.ggml.tokens", outTokens);
        if (f.Metadata.ContainsKey("tokenizer.ggml.token_type"))
        {
            var types = f.GetInt32Array("tokenizer.ggml.token_type");
            var t = new int[vocab];
            for (int i = 0; i < vocab; i++) t[i] = i < keep ? types[i] : 1;
            w.SetMetadata("tokenizer.ggml.token_type", t);
        }
        if (f.Metadata.ContainsKey("tokenizer.ggml.scores"))
        {
            var scores = f.GetFloatArray("tokenizer.ggml.scores");
            var sc = new float[vocab];
            for (int i = 0; i < vocab; i++) sc[i] = i < keep ? scores[i] : 0f;
            w.SetMetadata("tokenizer.ggml.scores", sc);
        }
        if (f.Metadata.ContainsKey("tokenizer.ggml.merges"))
        {
            // keep a merge only if both halves and the result survive the trim
            var merges = f.GetStringArray("tokenizer.ggml.merges").Where(m =>
            {
                int sp = m.IndexOf(' ', StringComparison.Ordinal);
                return sp > 0 && kept.Contains(m[..sp]) && kept.Contains(m[(sp + 1)..]) && kept.Contains(string.Concat(m.AsSpan(0, sp), m.AsSpan(sp + 1)));
            }).ToArray();
            w.SetMetadata("tokenizer.ggml.merges", merges);
        }
    }

    private static void Ones(GgufWriter w, string name, int n)
    {
        var b = new byte[n * 4];
        for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), 1f);
        w.AddTensor(name, GgmlType.F32, [n], b);
    }

    /// <summary>A [rows, cols] weight (ggml dims [cols, rows]) quantized row by row while the file is written.</summary>
    private static void Matrix(GgufWriter w, SplitMix64 rng, string name, GgmlType type, int rows, int cols, bool vector = false)
    {
        var t = vector ? GgmlType.F32 : EffectiveType(type, cols);
        long rowBytes = GgmlTypeInfo.RowBytes(t, cols);
        long[] dims = vector ? [cols] : [cols, rows];
        // the writer calls back in tensor order, so the random stream is consumed in the same order every time
        w.AddTensor(name, t, dims, async (stream, ct) =>
        {
            int chunk = Math.Max(1, Math.Min(rows, (1 << 20) / cols));
            var values = new float[chunk * cols];
            var buf = new byte[rowBytes * chunk];
            for (int r0 = 0; r0 < rows; r0 += chunk)
            {
                int n = Math.Min(chunk, rows - r0);
                for (int i = 0; i < n * cols; i++) values[i] = rng.NextWeight();
                for (int r = 0; r < n; r++)
                    QuantizedOps.Quantize(t, values.AsSpan(r * cols, cols), buf.AsSpan((int)(r * rowBytes), (int)rowBytes));
                await stream.WriteAsync(buf.AsMemory(0, (int)(n * rowBytes)), ct).ConfigureAwait(false);
            }
        });
    }

    /// <summary>SplitMix64; weights are 24-bit uniform integers scaled by a power of two, then by 0.0866 (std 0.05).</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public float NextWeight() => ((int)(Next() >> 40) - (1 << 23)) * (1f / (1 << 23)) * 0.0866f;
    }
}
