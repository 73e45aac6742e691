// Embedding throughput of the built-in BERT encoder (and helpers to run llama.cpp on the same inputs).
//   write-model PATH f32|f16 VOCAB_GGUF [tiny POOLING]
//                                           all-MiniLM-L6-v2 shape, random weights, the vocabulary's tokenizer metadata;
//                                           tiny: 2 layers, dim 64, 4 heads, ffn 128, context 64, the first 2000 tokens
//   write-tokens PATH COUNT LENGTH SEED [MAXID]
//                                           COUNT sequences of token ids ([CLS] … [SEP]), one per line: LENGTH each, or
//                                           with MAXID (tiny vocabularies) random lengths 3..LENGTH of ids 1000..MAXID
//   bench MODEL TOKENS THREADS BATCH REPEATS  prints chunks/s (best and mean over REPEATS after one warm-up pass)
//   compare MODEL TOKENS LLAMA_OUT          cosine of our normalised embeddings with llama.cpp's (llamacpp_embed OUT file)
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Groundwork.Models.Embeddings;
using Groundwork.Models.Gguf;
using Groundwork.Numerics;
using Groundwork.Numerics.Quantization;

var inv = CultureInfo.InvariantCulture;
switch (args.FirstOrDefault())
{
    case "write-model":
        await WriteModelAsync(args[1], args[2] == "f16", args[3], args.Length > 4 && args[4] == "tiny", args.Length > 5 ? uint.Parse(args[5], inv) : 1u,
            args.Length > 6 ? args[6] : "bert");
        return 0;
    case "write-tokens":
        WriteTokens(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), int.Parse(args[4], inv), args.Length > 5 ? int.Parse(args[5], inv) : 0);
        return 0;
    case "bench":
        return Bench(args[1], args[2], int.Parse(args[3], inv), int.Parse(args[4], inv), int.Parse(args[5], inv));
    case "compare":
        return Compare(args[1], args[2], args[3]);
    default:
        Console.Error.WriteLine("usage: write-model PATH f32|f16 VOCAB_GGUF [tiny POOLING [bert|nomic-bert]] | write-tokens PATH COUNT LENGTH VOCAB | bench MODEL TOKENS THREADS BATCH REPEATS | compare MODEL TOKENS LLAMA_OUT");
        return 2;
}

static async Task WriteModelAsync(string path, bool f16, string vocabPath, bool tiny, uint pooling, string arch)
{
    // arch "nomic-bert": rotary positions (no position_embd), fused attn_qkv, SwiGLU FFN, no q/k/v or FFN biases.
    bool nomic = arch == "nomic-bert";
    int layers = tiny ? 2 : 6, dim = tiny ? 64 : 384, heads = tiny ? 4 : 12, ff = tiny ? 128 : 1536, context = tiny ? 64 : 512;
    float wScale = tiny ? 0.25f : 0.1f;
    var rng = new Random(tiny ? 4242 : 42);
    var w = new GgufWriter();
    w.SetMetadata("general.architecture", arch);
    w.SetMetadata("general.name", nomic ? "random-nomic-bert-tiny" : tiny ? "random-bert-tiny" : "random-minilm-l6");
    w.SetMetadata(arch + ".block_count", (uint)layers);
    w.SetMetadata(arch + ".embedding_length", (uint)dim);
    w.SetMetadata(arch + ".feed_forward_length", (uint)ff);
    w.SetMetadata(arch + ".attention.head_count", (uint)heads);
    w.SetMetadata(arch + ".attention.layer_norm_epsilon", 1e-12f);
    w.SetMetadata(arch + ".context_length", (uint)context);
    w.SetMetadata(arch + ".attention.causal", false);
    w.SetMetadata(arch + ".pooling_type", pooling);
    if (nomic) w.SetMetadata(arch + ".rope.freq_base", 1000f);
    int vocab;
    using (var v = GgufFile.Open(vocabPath))
    {
        vocab = v.GetStringArray("tokenizer.ggml.tokens").Count;
        if (tiny) vocab = Math.Min(vocab, 2000);
        foreach (var (key, value) in v.Metadata)
        {
            if (!key.StartsWith("tokenizer.", StringComparison.Ordinal)) continue;
            if (tiny && key == "tokenizer.ggml.tokens") w.SetMetadata(key, v.GetStringArray(key).Take(vocab).ToArray());
            else if (tiny && key == "tokenizer.ggml.scores") w.SetMetadata(key, v.GetFloatArray(key).Take(vocab).ToArray());
            else if (tiny && key == "tokenizer.ggml.token_type") w.SetMetadata(key, v.GetInt32Array(key).Take(vocab).ToArray());
            else w.SetMetadata(key, value);
        }
    }
    void Matrix(string name, int rows, int cols, float scale, bool forceF32 = false)
    {
        var d = new float[rows * cols];
        for (int i = 0; i < d.Length; i++) d[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        if (f16 && !forceF32)
        {
            var h = new Half[d.Length];
            for (int i = 0; i < d.Length; i++) h[i] = (Half)d[i];
            w.AddTensor(name, GgmlType.F16, [cols, rows], MemoryMarshal.AsBytes(h.AsSpan()));
        }
        else
        {
            w.AddTensor(name, GgmlType.F32, [cols, rows], MemoryMarshal.AsBytes(d.AsSpan()));
        }
    }
    void Vector(string name, int n, float center, float scale)
    {
        var d = new float[n];
        for (int i = 0; i < n; i++) d[i] = center + (float)(rng.NextDouble() * 2 - 1) * scale;
        w.AddTensor(name, GgmlType.F32, [n], MemoryMarshal.AsBytes(d.AsSpan()));
    }
    Matrix("token_embd.weight", vocab, dim, 0.5f);
    if (!nomic) Matrix("position_embd.weight", context, dim, 0.2f);
    Matrix("token_types.weight", 2, dim, 0.2f, forceF32: true);
    Vector("token_embd_norm.weight", dim, 1, 0.1f);
    Vector("token_embd_norm.bias", dim, 0, 0.05f);
    for (int l = 0; l < layers; l++)
    {
        string p = $"blk.{l}.";
        if (nomic)
        {
            Matrix(p + "attn_qkv.weight", 3 * dim, dim, wScale);
            Matrix(p + "attn_output.weight", dim, dim, wScale);
            Vector(p + "attn_output_norm.weight", dim, 1, 0.1f);
            Vector(p + "attn_output_norm.bias", dim, 0, 0.05f);
            Matrix(p + "ffn_gate.weight", ff, dim, wScale);
            Matrix(p + "ffn_up.weight", ff, dim, wScale);
            Matrix(p + "ffn_down.weight", dim, ff, 0.1f);
            Vector(p + "layer_output_norm.weight", dim, 1, 0.1f);
            Vector(p + "layer_output_norm.bias", dim, 0, 0.05f);
            continue;
        }
        foreach (var m in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
        {
            Matrix(p + m + ".weight", dim, dim, wScale);
            Vector(p + m + ".bias", dim, 0, 0.05f);
        }
        Vector(p + "attn_output_norm.weight", dim, 1, 0.1f);
        Vector(p + "attn_output_norm.bias", dim, 0, 0.05f);
        Matrix(p + "ffn_up.weight", ff, dim, wScale);
        Vector(p + "ffn_up.bias", ff, 0, 0.05f);
        Matrix(p + "ffn_down.weight", dim, ff, 0.05f);
        Vector(p + "ffn_down.bias", dim, 0, 0.05f);
        Vector(p + "layer_output_norm.weight", dim, 1, 0.1f);
        Vector(p + "layer_output_norm.bias", dim, 0, 0.05f);
    }
    if (pooling == 4)
    {
        // Reranking head (cross-encoder): cls dense [dim, dim] + tanh, then cls.output [1, dim] → one score.
        Matrix("cls.weight", dim, dim, wScale);
        Vector("cls.bias", dim, 0, 0.05f);
        Matrix("cls.output.weight", 1, dim, 0.5f);
        Vector("cls.output.bias", 1, 0, 0.1f);
    }
    await w.WriteAsync(path, CancellationToken.None);
    Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1e6:F1} MB)");
}

static void WriteTokens(string path, int count, int length, int seed, int maxId)
{
    if (maxId > 0)
    {
        var r = new Random(seed);
        using var t = new StreamWriter(path);
        for (int s = 0; s < count; s++)
        {
            var ids = new int[r.Next(3, length + 1)];
            ids[0] = 101;
            ids[^1] = 102;
            for (int i = 1; i < ids.Length - 1; i++) ids[i] = r.Next(1000, maxId + 1);
            t.WriteLine(string.Join(' ', ids));
        }
        return;
    }
    // [CLS]=101, [SEP]=102 in the bert-base-uncased vocabulary; ordinary word pieces live in 1996..29611.
    var rng = new Random(seed);
    using var o = new StreamWriter(path);
    for (int s = 0; s < count; s++)
    {
        var ids = new int[length];
        ids[0] = 101;
        ids[^1] = 102;
        for (int i = 1; i < length - 1; i++) ids[i] = rng.Next(1996, 29612);
        o.WriteLine(string.Join(' ', ids));
    }
}

static List<int[]> ReadTokens(string path) =>
    [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray())];

static int Bench(string modelPath, string tokensPath, int threads, int batch, int repeats)
{
    MatMul.Threads = threads;
    using var model = BertEmbeddingModel.Load(modelPath);
    var seqs = ReadTokens(tokensPath);
    var output = new float[batch * model.Dimension];
    double best = double.MaxValue, total = 0;
    for (int r = 0; r <= repeats; r++)
    {
        var sw = Stopwatch.StartNew();
        for (int s0 = 0; s0 < seqs.Count; s0 += batch)
            model.EmbedTokens(seqs.GetRange(s0, Math.Min(batch, seqs.Count - s0)), true, output);
        double dt = sw.Elapsed.TotalSeconds;
        if (r == 0) continue;
        total += dt;
        best = Math.Min(best, dt);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"repeat {r}: {dt:F3} s, {seqs.Count / dt:F1} chunks/s"));
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"groundwork threads={threads} batch={batch} sequences={seqs.Count}: best {seqs.Count / best:F1} chunks/s, mean {seqs.Count * repeats / total:F1} chunks/s"));
    return 0;
}

static int Compare(string modelPath, string tokensPath, string llamaOut)
{
    using var model = BertEmbeddingModel.Load(modelPath);
    var seqs = ReadTokens(tokensPath);
    var theirs = File.ReadLines(llamaOut).Select(l => l.Split(' ').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray()).ToList();
    double min = 1;
    for (int s = 0; s < seqs.Count; s++)
    {
        var ours = model.EmbedTokens([seqs[s]])[0];
        double dot = 0, na = 0, nb = 0;
        for (int c = 0; c < ours.Length; c++) { dot += ours[c] * theirs[s][c]; na += (double)ours[c] * ours[c]; nb += theirs[s][c] * theirs[s][c]; }
        min = Math.Min(min, dot / Math.Sqrt(na * nb));
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"min cosine vs llama.cpp over {seqs.Count} sequences: {min:F6}"));
    return min >= 0.999 ? 0 : 1;
}
