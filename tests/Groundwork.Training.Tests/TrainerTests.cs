using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Testing;
using Groundwork.Training.Data;
using Groundwork.Training.Model;

namespace Groundwork.Training.Tests;

/// <summary>End-to-end training on tiny random models: convergence, resume, adapter formats and merging.</summary>
public sealed class TrainerTests
{
    /// <summary>A synthetic task: each sequence follows t → (5t + 3) mod 16 from a random start; the first token is the prompt.</summary>
    private static List<TrainingExample> ChainTask(int count, int seed, int length = 12)
    {
        var rng = new Random(seed);
        var list = new List<TrainingExample>();
        for (int e = 0; e < count; e++)
        {
            var tokens = new int[length];
            tokens[0] = rng.Next(16);
            for (int i = 1; i < length; i++) tokens[i] = (tokens[i - 1] * 5 + 3) % 16;
            list.Add(new TrainingExample(tokens, Enumerable.Range(0, length).Select(i => i > 0).ToArray()));
        }

        return list;
    }

    private static TrainingOptions Fast(int steps, ulong seed = 3, float lr = 1e-2f) => new()
    {
        LearningRate = lr, WarmupSteps = 5, MaxSteps = steps, BatchSize = 2, GradientAccumulation = 2, MaxSequenceLength = 48, Seed = seed,
    };

    [Fact]
    public async Task Lora_learns_a_synthetic_task_until_the_loss_is_near_zero()
    {
        using var dir = TestPaths.CreateTempDir();
        // A frozen output head of larger norm: RMSNorm bounds the final hidden state, so the head's norm bounds the reachable logit margin.
        using var file = GgufFile.Open(await RandomModels.WriteAsync(dir.Path, "llama", 21, outputStd: 1f));
        var train = ChainTask(48, 1);
        var val = ChainTask(8, 2);
        var trainer = new LoraTrainer(file, new LoraOptions { Rank = 8, Alpha = 16 }, Fast(250, lr: 3e-2f), train);
        double before = trainer.Evaluate(val);
        var losses = new List<double>();
        while (trainer.Step < trainer.TotalSteps) losses.Add(trainer.TrainStep().Loss);
        double after = trainer.Evaluate(val);
        Assert.True(before > 3, $"untrained validation loss {before:F3}");
        Assert.True(after < 0.1, $"validation loss {before:F3} → {after:F3} (train: first {losses[0]:F3}, last {losses[^1]:F3})");
    }

    [Fact]
    public async Task A_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        using var dir = TestPaths.CreateTempDir();
        using var file = GgufFile.Open(await RandomModels.WriteAsync(dir.Path, "qwen2", 22));
        var train = ChainTask(20, 3);
        var lora = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1 };
        var full = new LoraTrainer(file, lora, Fast(12), train);
        while (full.Step < full.TotalSteps) full.TrainStep();

        var first = new LoraTrainer(file, lora, Fast(12), train);
        for (int i = 0; i < 5; i++) first.TrainStep();
        string ckpt = Path.Combine(dir.Path, "run.ckpt");
        await first.SaveCheckpointAsync(ckpt, CancellationToken.None);
        first.TrainStep(); // work after the checkpoint is lost, as after Ctrl-C

        var resumed = new LoraTrainer(file, lora, Fast(12), train);
        await resumed.LoadCheckpointAsync(ckpt, CancellationToken.None);
        Assert.Equal(5, resumed.Step);
        while (resumed.Step < resumed.TotalSteps) resumed.TrainStep();
        for (int k = 0; k < full.Parameters.Pairs.Count; k++)
        {
            Assert.Equal(full.Parameters.Pairs[k].A, resumed.Parameters.Pairs[k].A);
            Assert.Equal(full.Parameters.Pairs[k].B, resumed.Parameters.Pairs[k].B);
        }

        // A checkpoint of another shape is refused with a clear message.
        var other = new LoraTrainer(file, new LoraOptions { Rank = 2 }, Fast(12), train);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => other.LoadCheckpointAsync(ckpt, CancellationToken.None));
        Assert.Contains("run.ckpt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adapter_round_trips_through_gguf_and_peft_and_merges_into_the_base()
    {
        using var dir = TestPaths.CreateTempDir();
        string basePath = TestPaths.Shared("models", "tiny-random", "tiny-llama-F32.gguf");
        using var baseFile = GgufFile.Open(basePath);
        var rng = new Random(4);
        var examples = Enumerable.Range(0, 4).Select(_ => new TrainingExample(Enumerable.Range(0, 10).Select(_ => rng.Next(2, 512)).ToArray(), Enumerable.Repeat(true, 10).ToArray())).ToList();
        var trainer = new LoraTrainer(baseFile, new LoraOptions { Rank = 4, Alpha = 8, Targets = [LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.Down] },
            new TrainingOptions { LearningRate = 5e-3f, MaxSteps = 3, MaxSequenceLength = 16 }, examples);
        for (int i = 0; i < 3; i++) trainer.TrainStep();
        var adapter = trainer.ToAdapter();
        Assert.Contains(adapter.Parameters.Pairs, p => p.B.Any(v => v != 0));

        // GGUF adapter: llama.cpp's layout and metadata; loading gives back the same numbers.
        string ggufPath = Path.Combine(dir.Path, "adapter.gguf");
        await adapter.SaveGgufAsync(ggufPath, CancellationToken.None);
        using (var g = GgufFile.Open(ggufPath))
        {
            Assert.Equal("adapter", g.GetString("general.type"));
            Assert.Equal("lora", g.GetString("adapter.type"));
            Assert.Equal(8f, g.GetFloat("adapter.lora.alpha"));
            Assert.Equal([256L, 4L], g.GetTensor("blk.1.attn_q.weight.lora_a").Dimensions);
            Assert.Equal([4L, 128L], g.GetTensor("blk.1.attn_k.weight.lora_b").Dimensions);
        }

        var loaded = await LoraAdapter.LoadGgufAsync(ggufPath, CancellationToken.None);
        int[] tokens = [1, 100, 200, 300, 400, 500, 300, 200];
        var withTrained = Logits(trainer.Weights, adapter, tokens);
        var withLoaded = Logits(trainer.Weights, loaded, tokens);
        Assert.Equal(withTrained, withLoaded);
        var baseOnly = Logits(trainer.Weights, null, tokens);
        Assert.True(MaxDiff(baseOnly, withTrained) > 1e-3, "the adapter changes the logits");

        // Merged GGUF, run by the inference runtime, equals base + adapter.
        string merged = Path.Combine(dir.Path, "merged.gguf");
        await adapter.MergeAsync(baseFile, merged, CancellationToken.None);
        using var model = LlamaModel.Load(merged, new ModelLoadOptions { ContextLength = 16 });
        var session = model.CreateSession();
        var runtime = new float[withTrained.Length];
        session.Prefill(tokens, runtime);
        Assert.True(MaxDiff(runtime, withTrained) < 1e-4, $"merged vs base + adapter: max |Δ| {MaxDiff(runtime, withTrained):G3}");

        // Unmerged at inference: the runtime's session hook gives the same logits, step by step and batched,
        // and a second session over the same base without the adapter still gives the base logits.
        using var baseModel = LlamaModel.Load(basePath, new ModelLoadOptions { ContextLength = 16 });
        var adapted = baseModel.CreateSession();
        adapted.Adapter = loaded;
        var hooked = new float[withTrained.Length];
        adapted.Prefill(tokens, hooked);
        Assert.True(MaxDiff(hooked, withTrained) < 1e-4, $"session adapter vs base + adapter: max |Δ| {MaxDiff(hooked, withTrained):G3}");
        var stepSession = baseModel.CreateSession();
        stepSession.Adapter = loaded;
        for (int i = 0; i < tokens.Length; i++)
        {
            var row = stepSession.Forward(tokens[i]).ToArray();
            Assert.True(MaxDiff(row, hooked.AsSpan(i * row.Length, row.Length).ToArray()) < 1e-4);
        }

        var plain = new float[withTrained.Length];
        baseModel.CreateSession().Prefill(tokens, plain);
        Assert.True(MaxDiff(plain, baseOnly) < 1e-4);

        // PEFT: safetensors names and shapes; q rows un-permuted to Hugging Face order.
        string peft = Path.Combine(dir.Path, "peft");
        await adapter.SavePeftAsync(peft, 4, 2, CancellationToken.None);
        var st = await SafeTensors.ReadAsync(Path.Combine(peft, "adapter_model.safetensors"), CancellationToken.None);
        Assert.Equal([4, 256], st["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
        Assert.Equal([256, 4], st["base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"].Shape);
        var qB = adapter.Parameters.Pairs.First(p => p.Layer == 0 && p.Target == LoraTarget.Q).B;
        var hfB = st["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].Data;
        Assert.Equal(qB.AsSpan(1 * 4, 4).ToArray(), hfB.AsSpan(32 * 4, 4).ToArray()); // GGUF row 1 (k=0, s=1) = HF row hd/2 = 32
        Assert.Contains("\"lora_alpha\": 8", await File.ReadAllTextAsync(Path.Combine(peft, "adapter_config.json")), StringComparison.Ordinal);
    }

    internal static float[] Logits(BaseWeights w, LoraAdapter? adapter, int[] tokens)
    {
        var g = new TrainingGraph<float>(w, adapter?.Parameters);
        g.Forward(tokens, new int[tokens.Length], false);
        return g.Logits.ToArray();
    }

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
