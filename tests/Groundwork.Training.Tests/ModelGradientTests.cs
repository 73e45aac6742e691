using Groundwork.Models.Transformers;
using Groundwork.Testing;
using Groundwork.Training.Lora;
using Groundwork.Training.Model;

namespace Groundwork.Training.Tests;

/// <summary>LoRA A/B gradients through the whole model (all layers, loss masking, packing) against finite differences.</summary>
public sealed class ModelGradientTests
{
    private static double RelErr(double[] g, double[] fd)
    {
        double num = 0, den = 0;
        for (int i = 0; i < g.Length; i++) { num += (g[i] - fd[i]) * (g[i] - fd[i]); den += fd[i] * fd[i]; }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-30);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public async Task Lora_gradients_through_the_model_match_finite_differences(string arch)
    {
        using var dir = TestPaths.CreateTempDir();
        var (file, w) = RandomModels.Open(await RandomModels.WriteAsync(dir.Path, arch, 11));
        using var _ = file;
        var lora = LoraParameters<double>.Create(w, 2, 4f, LoraTargetNames.All);
        lora.Initialize(5);
        var rng = new Random(9);
        foreach (var p in lora.Pairs) for (int i = 0; i < p.B.Length; i++) p.B[i] = (rng.NextDouble() * 2 - 1) * 0.3; // B ≠ 0 so A has gradients
        int[] tokens = [1, 5, 9, 13, 2, 40, 41, 42];
        int[] seg = [0, 0, 0, 0, 4, 4, 4, 4];
        int[] targets = [5, 9, -1, -1, 40, 41, 42, -1]; // masked prompt tokens and boundaries
        var graph = new TrainingGraph<double>(w, lora);
        double Loss() { graph.Forward(tokens, seg, false); return Layers<double>.CrossEntropyForwardBackward((double[])graph.Logits.Clone(), targets, w.Config.VocabSize, 1.0) / 5; }
        graph.Forward(tokens, seg, false);
        graph.LossAndBackward(targets, 1.0 / 5);

        double worst = 0;
        foreach (var p in lora.Pairs.Where(p => p.Layer == 0 && p.Target is LoraTarget.Q or LoraTarget.K || p.Layer == 1 && p.Target is LoraTarget.V or LoraTarget.O or LoraTarget.Gate or LoraTarget.Up or LoraTarget.Down))
        {
            worst = Math.Max(worst, RelErr(p.GradA, LayerGradientTests.Numeric(p.A, Loss)));
            worst = Math.Max(worst, RelErr(p.GradB, LayerGradientTests.Numeric(p.B, Loss)));
        }

        Assert.True(worst < 1e-6, $"{arch}: worst relative error {worst:G3}");

        // The float32 training path agrees with the float64 gradients.
        var lora32 = lora.Convert<float>();
        var g32 = new TrainingGraph<float>(w, lora32);
        g32.Forward(tokens, seg, false);
        g32.LossAndBackward(targets, 1f / 5);
        double worst32 = 0;
        for (int k = 0; k < lora.Pairs.Count; k++)
        {
            worst32 = Math.Max(worst32, RelErr(lora32.Pairs[k].GradA.Select(v => (double)v).ToArray(), lora.Pairs[k].GradA));
            worst32 = Math.Max(worst32, RelErr(lora32.Pairs[k].GradB.Select(v => (double)v).ToArray(), lora.Pairs[k].GradB));
        }

        Assert.True(worst32 < 1e-3, $"{arch}: float32 vs float64 gradients, worst relative error {worst32:G3}");
    }

    [Theory]
    [InlineData("tiny-llama-F32.gguf")]
    [InlineData("tiny-qwen2-F32.gguf")]
    [InlineData("tiny-llama-Q8_0.gguf")]
    public void Training_forward_matches_the_inference_runtime(string name)
    {
        string path = TestPaths.Shared("models", "tiny-random", name);
        using var model = LlamaModel.Load(path, new ModelLoadOptions { ContextLength = 32 });
        var w = BaseWeights.Bind(model.File, Groundwork.Models.Transformers.LlamaModel.ReadConfig(model.File));
        int[] tokens = [1, 100, 200, 300, 400, 500, 300, 200];
        var graph = new TrainingGraph<float>(w, null);
        graph.Forward(tokens, new int[tokens.Length], false);
        var session = model.CreateSession();
        int vocab = model.Config.VocabSize;
        float worst = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            var logits = session.Forward(tokens[i]);
            for (int v = 0; v < vocab; v++) worst = Math.Max(worst, Math.Abs(logits[v] - graph.Logits[i * vocab + v]));
        }

        // F32: float rounding only. Q8_0: the runtime rounds activations to 8 bits inside products, training does not.
        Assert.True(worst < (name.Contains("F32", StringComparison.Ordinal) ? 1e-4f : 0.15f), $"{name}: max |Δlogit| {worst:G3}");
    }
}
