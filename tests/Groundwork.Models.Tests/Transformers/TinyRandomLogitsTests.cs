using System.Text.Json;
using Groundwork.Models.Transformers;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Transformers;

/// <summary>Logits of the tiny random llama/qwen2 models against llama.cpp's, for every tensor type.</summary>
public sealed class TinyRandomLogitsTests
{
    private static string Dir => TestPaths.Shared("models", "tiny-random");

    /// <summary>
    /// Max |logit − llama.cpp logit| allowed per type (documented in docs/models.md). Both sides round activations to
    /// 8-bit blocks inside quantized products, so F32 and the K-quants agree to float rounding. llama.cpp also rounds
    /// activations to F16/BF16 for F16/BF16 weights (we keep float), and stores the scales of its 32-element activation
    /// blocks (Q8_0/Q8_1) as F16 (the kernels keep float32 scales): those types differ a little more.
    /// </summary>
    private static float Tolerance(string type) => !Wide ? NarrowTolerance(type) : type switch
    {
        "F32" or "Q2_K" or "Q3_K" or "Q4_K" or "Q5_K" or "Q6_K" => 1e-4f, // measured ≤ 2e-6
        "F16" => 5e-3f,                                                  // measured 0.0023
        "BF16" => 3e-2f,                                                 // measured 0.018
        "Q4_K_M" => 2e-2f,                                               // measured 0.0069 (mixes in 32-block types)
        _ => 0.1f,                                                       // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: measured 0.050–0.073
    };

    /// <summary>
    /// Whether the 256-bit integer kernels run (AVX2 + FMA), the path the tolerances above were measured on. On the
    /// 128-bit and scalar paths (ARM64, or DOTNET_EnableAVX2=0; CI reruns these tests so) the products are the same
    /// integer sums, but the float work around them (norms, softmax, attention through TensorPrimitives) sums in another
    /// order; the 8-bit rounding of the next product's activations turns those last-bit differences into flips of a
    /// quantum here and there, so the 8-bit-activation types get the same margin as the 32-block types have always needed.
    /// </summary>
    private static bool Wide => System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    private static float NarrowTolerance(string type) => type switch
    {
        "F32" => 1e-4f,
        "F16" => 5e-3f,
        "BF16" => 3e-2f,
        _ => 0.15f, // measured on DOTNET_EnableAVX2=0: Q3_K 0.10, Q4_K_M 0.025, Q8_0 and 4/5-bit ≤ 0.08
    };

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Dir, "tiny-*.gguf").Order(StringComparer.Ordinal)) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    private sealed record Reference(int[] Tokens, float[] Logits, int Vocab, int[][] Top5, float[][] Top5Logits, int[] Greedy);

    private static Reference LoadReference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name + ".logits.json")));
        var root = doc.RootElement;
        int[] tokens = root.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int vocab = root.GetProperty("logits_shape")[1].GetInt32();
        var bytes = File.ReadAllBytes(Path.Combine(Dir, name + ".logits.f32"));
        var logits = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length);
        var top = root.GetProperty("top5_per_position").EnumerateArray().ToArray();
        int[][] top5 = top.Select(p => p.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        float[][] top5Logits = top.Select(p => p.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
        int[] greedy = root.GetProperty("greedy_generation").GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(tokens.Length * vocab, logits.Length);
        return new Reference(tokens, logits, vocab, top5, top5Logits, greedy);
    }

    /// <summary>Loads a model; a tensor type the kernels lack skips the test (named in the skip reason).</summary>
    private static LlamaModel LoadOrSkip(string name)
    {
        try
        {
            return LlamaModel.Load(Path.Combine(Dir, name + ".gguf"), new ModelLoadOptions { ContextLength = 64 });
        }
        catch (Groundwork.Models.Gguf.GgufException e) when (e.Message.Contains("do not support", StringComparison.Ordinal))
        {
            Assert.Skip(e.Message);
            throw;
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_match_llama_cpp(string name)
    {
        var r = LoadReference(name);
        using var model = LoadOrSkip(name);
        Assert.Equal(r.Vocab, model.Config.VocabSize);
        string type = name[(name.IndexOf('-', 5) + 1)..];
        float tol = Tolerance(type);

        var session = model.CreateSession();
        var stepLogits = new float[r.Logits.Length];
        for (int i = 0; i < r.Tokens.Length; i++) session.Forward(r.Tokens[i]).CopyTo(stepLogits.AsSpan(i * r.Vocab));

        float maxDiff = 0;
        for (int i = 0; i < r.Logits.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(stepLogits[i] - r.Logits[i]));
        Assert.True(maxDiff <= tol, $"{name}: max |Δlogit| {maxDiff:G4} > {tol}");

        for (int pos = 0; pos < r.Tokens.Length; pos++)
        {
            var row = stepLogits.AsSpan(pos * r.Vocab, r.Vocab);
            bool tied = r.Top5Logits[pos][0] - r.Top5Logits[pos][1] < 2 * tol;
            if (!tied) Assert.Equal(r.Top5[pos][0], System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row));
        }

        // The batched prefill path gives the same logits as one token at a time.
        var batchLogits = new float[r.Logits.Length];
        var batch = model.CreateSession();
        batch.Prefill(r.Tokens, batchLogits);
        float maxPathDiff = 0;
        for (int i = 0; i < batchLogits.Length; i++) maxPathDiff = Math.Max(maxPathDiff, Math.Abs(batchLogits[i] - stepLogits[i]));
        Assert.True(maxPathDiff <= 1e-4f, $"{name}: prefill vs step max |Δ| {maxPathDiff:G4}");
        Assert.Equal(r.Tokens.Length, batch.Position);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Greedy_continuation_matches_llama_cpp(string name)
    {
        var r = LoadReference(name);
        using var model = LoadOrSkip(name);
        string type = name[(name.IndexOf('-', 5) + 1)..];
        float margin = 2 * Tolerance(type); // logits may differ by the type's tolerance, so may the order of two this close
        var session = model.CreateSession();
        var logits = session.Prefill(r.Tokens);
        var ids = new List<int>();
        for (int i = 0; i < r.Greedy.Length; i++)
        {
            // Where our top two are nearly tied the rest of the sequence is not comparable: stop there.
            var sorted = logits.ToArray().OrderDescending().Take(2).ToArray();
            int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            if (sorted[0] - sorted[1] < Math.Max(0.02f, margin) && next != r.Greedy[i]) break;
            ids.Add(next);
            logits = session.Forward(next);
        }

        // The narrow paths (see Wide) may meet a near tie sooner; what they generate up to it must still match.
        Assert.True(ids.Count >= (Wide ? 4 : 1), $"{name}: only {ids.Count} tokens before a near tie");
        Assert.Equal(r.Greedy.Take(ids.Count), ids);
    }

    [Fact]
    public void Long_context_step_and_prefill_paths_agree()
    {
        // 600 positions: past the thresholds where attention heads run in parallel (decode and prefill).
        using var model = LlamaModel.Load(Path.Combine(Dir, "tiny-qwen2-F32.gguf"), new ModelLoadOptions { ContextLength = 640 });
        var rng = new Random(5);
        int[] tokens = Enumerable.Range(0, 600).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        var step = model.CreateSession();
        float[] last = [];
        foreach (var t in tokens) last = step.Forward(t).ToArray();
        var batch = model.CreateSession();
        var prefilled = batch.Prefill(tokens);
        float maxDiff = 0;
        for (int i = 0; i < last.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(last[i] - prefilled[i]));
        Assert.True(maxDiff <= 1e-4f, $"max |Δ| {maxDiff:G4}");
        Assert.Equal(tokens, batch.Tokens.ToArray());
    }
}
