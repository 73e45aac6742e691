using Groundwork.Models.Gguf;
using Groundwork.Testing;
using Groundwork.Training.Data;
using Groundwork.Training.Lora;
using Groundwork.Training.Model;
using Groundwork.Training.Optim;

namespace Groundwork.Training.Tests;

/// <summary>Layer recomputation under an activation budget, and the float kernels it runs on.</summary>
public sealed class RecomputationTests
{
    private static (float[][] GradA, float[][] GradB, double Loss, int Recomputed, long Kept) Gradients(BaseWeights w, long? budget, double dropout, int? force = null)
    {
        var lora = LoraParameters<float>.Create(w, 4, 8f, LoraTargetNames.All);
        lora.Initialize(5);
        var rng = new Random(9);
        foreach (var p in lora.Pairs) for (int i = 0; i < p.B.Length; i++) p.B[i] = (float)((rng.NextDouble() * 2 - 1) * 0.3);
        var graph = new TrainingGraph<float>(w, lora) { ActivationBudget = budget, Dropout = dropout, DropoutRng = new SplitMix64(77), RecomputeOverride = force };
        int[] tokens = [1, 5, 9, 13, 2, 40, 41, 42, 7, 3, 11, 60, 17, 19, 23, 29];
        int[] seg = [0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 10, 10, 10, 10, 10, 10];
        int[] targets = [5, 9, -1, -1, 40, 41, 42, 7, 3, -1, 60, 17, 19, 23, 29, -1];
        double loss = 0;
        for (int s = 0; s < 2; s++) // two sequences accumulate, as a batch does
        {
            graph.Forward(tokens, seg, training: true);
            loss += graph.LossAndBackward(targets, 1f / 20);
        }

        return (lora.Pairs.Select(p => p.GradA).ToArray(), lora.Pairs.Select(p => p.GradB).ToArray(), loss, graph.RecomputedLayers, graph.KeptActivationBytes);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    public async Task Gradients_are_bit_identical_whether_no_some_or_all_layers_are_recomputed(double dropout)
    {
        using var dir = TestPaths.CreateTempDir();
        var (file, w) = RandomModels.Open(await RandomModels.WriteAsync(dir.Path, "qwen2", 31, layers: 4));
        using var _ = file;
        var probe = new TrainingGraph<float>(w, LoraParameters<float>.Create(w, 4, 8f, LoraTargetNames.All)) { Dropout = dropout };
        var reference = Gradients(w, probe.PlannedBytes(16, 0), dropout);
        Assert.Equal(0, reference.Recomputed);
        Assert.Contains(reference.GradA, g => g.Any(v => v != 0));
        foreach (int k in new[] { 1, 2, 3, 4 })
        {
            // Recomputing all 4 layers needs as much memory as 3 (they share one set of buffers): the planner stops at
            // 3, so that case is forced.
            long budget = probe.PlannedBytes(16, k);
            var r = Gradients(w, budget, dropout, force: k == 4 ? 4 : null);
            Assert.Equal(k, r.Recomputed);
            Assert.True(r.Kept <= budget, $"{k} recomputed: {r.Kept} bytes kept, budget {budget}");
            Assert.True(r.Kept < reference.Kept, $"{k} recomputed keeps {r.Kept} bytes, all kept {reference.Kept}");
            Assert.Equal(reference.Loss, r.Loss);
            for (int i = 0; i < reference.GradA.Length; i++)
            {
                Assert.Equal(reference.GradA[i], r.GradA[i]);
                Assert.Equal(reference.GradB[i], r.GradB[i]);
            }
        }
    }

    [Fact]
    public async Task The_budget_sets_how_many_layers_are_recomputed_and_bounds_the_bytes_kept()
    {
        using var dir = TestPaths.CreateTempDir();
        var (file, w) = RandomModels.Open(await RandomModels.WriteAsync(dir.Path, "llama", 32, layers: 6));
        using var _ = file;
        var graph = new TrainingGraph<float>(w, LoraParameters<float>.Create(w, 2, 4f, LoraTargetNames.All));
        int n = 24;
        long all = graph.PlannedBytes(n, 0), none = graph.PlannedBytes(n, 6);
        Assert.True(none < all);
        var tokens = Enumerable.Range(0, n).Select(i => i * 7 % 64).ToArray();
        var seg = new int[n];
        foreach (long budget in new[] { all, all - 1, (all + none) / 2, none })
        {
            graph.ActivationBudget = budget;
            graph.Forward(tokens, seg, training: true);
            Assert.True(graph.KeptActivationBytes <= budget, $"budget {budget}: kept {graph.KeptActivationBytes}");
            Assert.True(graph.PlannedBytes(n, graph.RecomputedLayers) == graph.KeptActivationBytes, $"budget {budget} all {all} none {none}: k={graph.RecomputedLayers} planned {graph.PlannedBytes(n, graph.RecomputedLayers)} kept {graph.KeptActivationBytes}"); // the plan is the measurement
            if (graph.RecomputedLayers > 0) Assert.True(graph.PlannedBytes(n, graph.RecomputedLayers - 1) > budget, "no more layers recomputed than needed");
        }

        // Longer sequences under the same budget recompute more layers.
        graph.ActivationBudget = graph.PlannedBytes(n, 2);
        graph.Forward(tokens, seg, training: false);
        Assert.Equal(2, graph.RecomputedLayers);
        var longer = Enumerable.Range(0, 2 * n).Select(i => i % 64).ToArray();
        graph.Forward(longer, new int[2 * n], training: false);
        Assert.True(graph.RecomputedLayers > 2, $"{graph.RecomputedLayers} layers recomputed for {2 * n} tokens");
    }

    [Fact]
    public async Task An_impossible_budget_is_refused_with_the_minimum_it_needs()
    {
        using var dir = TestPaths.CreateTempDir();
        using var file = GgufFile.Open(await RandomModels.WriteAsync(dir.Path, "llama", 33));
        var train = Enumerable.Range(0, 4).Select(i => new TrainingExample(Enumerable.Range(i, 12).Select(t => t % 64).ToArray(), Enumerable.Repeat(true, 12).ToArray())).ToList();
        var trainer = new LoraTrainer(file, new LoraOptions { Rank = 2, ActivationMemoryBudget = 1000 }, new TrainingOptions { MaxSteps = 1, MaxSequenceLength = 48 }, train);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.TrainStep());
        Assert.Contains("activation memory budget of 0.0 MB is too small for sequences of 48 tokens", e.Message, StringComparison.Ordinal);
        Assert.Contains("at least", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoraTrainer(file, new LoraOptions { ActivationMemoryBudget = 0 }, new TrainingOptions(), train));
    }

    [Fact]
    public async Task Training_steps_end_with_the_same_weights_with_and_without_recomputation()
    {
        using var dir = TestPaths.CreateTempDir();
        var (file, w) = RandomModels.Open(await RandomModels.WriteAsync(dir.Path, "llama", 34, layers: 3));
        using var _ = file;
        var rng = new Random(3);
        var train = Enumerable.Range(0, 8).Select(_ => new TrainingExample(Enumerable.Range(0, 10).Select(_ => rng.Next(64)).ToArray(), Enumerable.Range(0, 10).Select(i => i > 1).ToArray())).ToList();
        var options = new TrainingOptions { LearningRate = 1e-2f, MaxSteps = 4, BatchSize = 2, MaxSequenceLength = 24, Seed = 5 };
        LoraTrainer Run(long? budget)
        {
            var t = new LoraTrainer(file, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1, ActivationMemoryBudget = budget }, options, train);
            while (t.Step < t.TotalSteps) t.TrainStep();
            return t;
        }

        // Packing puts two 10-token examples in each 24-token sequence.
        var probe = new TrainingGraph<float>(w, LoraParameters<float>.Create(w, 4, 8f, LoraTargetNames.All)) { Dropout = 0.1 };
        var kept = Run(null);
        Assert.Equal(0, kept.RecomputedLayers);
        foreach (int k in new[] { 1, 2 })
        {
            var recomputed = Run(probe.PlannedBytes(20, k));
            Assert.Equal(k, recomputed.RecomputedLayers);
            Assert.True(recomputed.ActivationBytes < kept.ActivationBytes);
            for (int i = 0; i < kept.Parameters.Pairs.Count; i++)
            {
                Assert.Equal(kept.Parameters.Pairs[i].A, recomputed.Parameters.Pairs[i].A);
                Assert.Equal(kept.Parameters.Pairs[i].B, recomputed.Parameters.Pairs[i].B);
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 4, 16)]
    [InlineData(7, 9, 37)]
    [InlineData(13, 70, 64)]
    [InlineData(8, 16, 130)]
    [InlineData(6, 300, 130)] // Nn depth 300: three depth chunks
    [InlineData(9, 257, 64)]
    public void Float_kernels_match_the_scalar_reference(int n, int rows, int cols)
    {
        var rng = new Random(n * 1000 + rows * 10 + cols);
        float[] R(int len) => Enumerable.Range(0, len).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        // Nt with strides larger than the widths, accumulating with a scale.
        int ldx = cols + 3, ldw = cols + 1, ldy = rows + 2;
        var x = R(n * ldx);
        var w = R(rows * ldw);
        var y0 = R(n * ldy);
        var y1 = (float[])y0.Clone();
        Gemm.Nt(x, ldx, w, ldw, y0, ldy, n, rows, cols, 0.5f, accumulate: true);
        Gemm.NtReference(x, ldx, w, ldw, y1, ldy, n, rows, cols, 0.5f, accumulate: true);
        for (int i = 0; i < y0.Length; i++) Assert.True(Math.Abs(y0[i] - y1[i]) <= 1e-5f * (1 + Math.Abs(y1[i])), $"Nt [{i}]: {y0[i]} vs {y1[i]}");

        // Nn: c[n, m] += alpha·a[n, depth]·b[depth, m] with m = cols, depth = rows.
        int lda = rows + 1, ldb = cols + 5, ldc = cols + 2;
        var a = R(n * lda);
        var b = R(rows * ldb);
        var c0 = R(n * ldc);
        var c1 = (float[])c0.Clone();
        Gemm.Nn(a, lda, b, ldb, c0, ldc, n, rows, cols, -2f);
        Gemm.NnReference(a, lda, b, ldb, c1, ldc, n, rows, cols, -2f);
        for (int i = 0; i < c0.Length; i++) Assert.True(Math.Abs(c0[i] - c1[i]) <= 1e-5f * (1 + Math.Abs(c1[i])), $"Nn [{i}]: {c0[i]} vs {c1[i]}");
    }
}
