using System.Diagnostics;
using System.Globalization;
using Groundwork.Models.Gguf;
using Groundwork.Training;
using Groundwork.Training.Data;

/// <summary>
/// One LoRA optimizer step exactly as benchmarks/lora/torch_lora_step.py does it: rank 16 (alpha 32) on q, k, v, o,
/// gate, up, down; batch 4 sequences of 256 random tokens, every next token counted; AdamW, clipping at 1.0. Prints
/// one line of key=value: median seconds per step after warm-up, training tokens/s, peak RSS.
/// </summary>
internal static class StepBenchmark
{
    public static int Run(string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("usage: step MODEL.gguf THREADS [STEPS] [WARMUP] [BUDGET_MB]");
        string path = args[0];
        int threads = int.Parse(args[1], CultureInfo.InvariantCulture);
        int steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        int warmup = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        long? budget = args.Length > 4 ? (long)(double.Parse(args[4], CultureInfo.InvariantCulture) * 1048576) : null;
        const int Batch = 4, SeqLen = 256, Rank = 16;
        Groundwork.Numerics.MatMul.Threads = threads;
        ThreadPool.SetMinThreads(threads, threads);
        using var file = GgufFile.Open(path);
        int vocab = Groundwork.Models.Transformers.LlamaModel.ReadConfig(file).VocabSize;
        var rng = new Random(1234);
        var examples = Enumerable.Range(0, Batch * (steps + warmup))
            .Select(_ => new TrainingExample(Enumerable.Range(0, SeqLen).Select(_ => rng.Next(vocab)).ToArray(), Enumerable.Repeat(true, SeqLen).ToArray()))
            .ToList();
        var trainer = new LoraTrainer(file, new LoraOptions { Rank = Rank, Alpha = 2 * Rank, ActivationMemoryBudget = budget },
            new TrainingOptions { LearningRate = 1e-4f, BatchSize = Batch, MaxSteps = steps + warmup, MaxSequenceLength = SeqLen, Packing = false, Seed = 1 },
            examples);
        var times = new List<double>();
        int tokens = 0;
        for (int s = 0; s < steps + warmup; s++)
        {
            var clock = Stopwatch.StartNew();
            var r = trainer.TrainStep();
            if (s >= warmup) times.Add(clock.Elapsed.TotalSeconds);
            tokens = r.Tokens;
        }

        times.Sort();
        double median = times[times.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step_s={median:F3} tokens_per_s={tokens / median:F1} vmhwm_kib={PeakRssKib()} threads={threads} tokens={tokens} recomputed={trainer.RecomputedLayers} act_mb={trainer.ActivationBytes / 1048576.0:F0} params={trainer.ParameterCount}"));
        return 0;
    }

    private static long PeakRssKib()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return -1;
    }
}
