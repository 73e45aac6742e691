using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Testing;
using Groundwork.Training.Data;

namespace Groundwork.Training.Tests;

/// <summary>LoRA on the real stories260K model: stories that all carry a new fact (a purple dragon named Zog).</summary>
public sealed class Stories260KLoraTests
{
    private static readonly string[] Friends = ["Lily", "Tom", "Ben", "Sue", "Mia", "Max", "Anna", "Sam"];
    private static readonly string[] Places = ["park", "forest", "beach", "garden", "river", "hill"];
    private static readonly string[] Toys = ["ball", "kite", "box", "toy car", "red hat", "big cake"];

    private static List<string> Stories(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            string f = Friends[rng.Next(Friends.Length)], p = Places[rng.Next(Places.Length)], t = Toys[rng.Next(Toys.Length)];
            return $"Once upon a time, there was a purple dragon named Zog. Zog liked to play with {f}. One day, Zog and {f} went to the {p}. They found a {t}. Zog was very happy.";
        }).ToList();
    }

    private static TrainingExample Encode(LlamaModel m, string text)
    {
        var ids = m.Tokenizer.Encode(text, addSpecial: true, parseSpecial: false).ToArray();
        return new TrainingExample(ids, ids.Select((_, i) => i > 0).ToArray());
    }

    private static string Greedy(LlamaModel m, string prompt, int n)
    {
        var s = m.CreateSession();
        var logits = s.Prefill(m.Tokenizer.Encode(prompt, addSpecial: true, parseSpecial: false).ToArray());
        var ids = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            if (m.Tokenizer.IsEog(next)) break;
            ids.Add(next);
            logits = s.Forward(next);
        }

        return string.Concat(ids.Select(m.Tokenizer.GetTokenText)).Replace('▁', ' ');
    }

    [Fact]
    public async Task Lora_teaches_stories260K_a_new_fact_and_generation_shows_it()
    {
        string path = TestPaths.Shared("models", "stories260K", "stories260K.gguf");
        using var model = LlamaModel.Load(path, new ModelLoadOptions { ContextLength = 128 });
        var train = Stories(32, 1).Select(s => Encode(model, s)).ToList();
        var heldOut = Stories(8, 2).Select(s => Encode(model, s)).ToList();
        const string prompt = "Once upon a time, there was a";
        string baseText = Greedy(model, prompt, 24);

        var trainer = new LoraTrainer(model.File, new LoraOptions { Rank = 8, Alpha = 16 },
            new TrainingOptions { LearningRate = 1e-2f, WarmupSteps = 5, MaxSteps = 60, BatchSize = 1, GradientAccumulation = 2, MaxSequenceLength = 128, Seed = 7 }, train);
        double before = trainer.Evaluate(heldOut);
        while (trainer.Step < trainer.TotalSteps) trainer.TrainStep();
        double after = trainer.Evaluate(heldOut);
        Assert.True(after < before * 0.6, $"held-out loss {before:F3} → {after:F3}");

        using var dir = TestPaths.CreateTempDir();
        string merged = Path.Combine(dir.Path, "zog.gguf");
        await trainer.ToAdapter().MergeAsync(model.File, merged, CancellationToken.None);
        using var tuned = LlamaModel.Load(merged, new ModelLoadOptions { ContextLength = 128 });
        string tunedText = Greedy(tuned, prompt, 24);
        Assert.DoesNotContain("Zog", baseText, StringComparison.Ordinal);
        Assert.Contains("purple dragon named Zog", tunedText, StringComparison.Ordinal);
    }
}
