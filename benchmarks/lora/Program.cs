// LoRA fine-tuning measurements: loss curve, held-out loss and training throughput on a GGUF model, with stories that
// all carry one new fact ("a purple dragon named Zog"). Usage: Groundwork.Benchmarks.Lora MODEL.gguf [STEPS] [RANK] [THREADS]
// or: Groundwork.Benchmarks.Lora step MODEL.gguf THREADS [STEPS] [WARMUP] [BUDGET_MB] (the step the PyTorch peer times, see StepBenchmark.cs)
using System.Diagnostics;
using System.Globalization;
using Groundwork.Models.Transformers;
using Groundwork.Training;
using Groundwork.Training.Data;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "step") return StepBenchmark.Run(args[1..]);
string modelPath = args.Length > 0 ? args[0] : throw new ArgumentException("usage: MODEL.gguf [STEPS] [RANK] [THREADS]");
int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
int rank = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
if (args.Length > 3) Groundwork.Numerics.MatMul.Threads = int.Parse(args[3], CultureInfo.InvariantCulture);

string[] friends = ["Lily", "Tom", "Ben", "Sue", "Mia", "Max", "Anna", "Sam"];
string[] places = ["park", "forest", "beach", "garden", "river", "hill"];
string[] toys = ["ball", "kite", "box", "toy car", "red hat", "big cake"];
List<string> Stories(int count, int seed)
{
    var rng = new Random(seed);
    return Enumerable.Range(0, count).Select(_ =>
    {
        string f = friends[rng.Next(friends.Length)], p = places[rng.Next(places.Length)], t = toys[rng.Next(toys.Length)];
        return $"Once upon a time, there was a purple dragon named Zog. Zog liked to play with {f}. One day, Zog and {f} went to the {p}. They found a {t}. Zog was very happy.";
    }).ToList();
}

using var model = LlamaModel.Load(modelPath, new ModelLoadOptions { ContextLength = 256 });
TrainingExample Encode(string s)
{
    var ids = model.Tokenizer.Encode(s, addSpecial: true, parseSpecial: false).ToArray();
    return new TrainingExample(ids, ids.Select((_, i) => i > 0).ToArray());
}

var train = Stories(32, 1).Select(Encode).ToList();
var heldOut = Stories(8, 2).Select(Encode).ToList();
var trainer = new LoraTrainer(model.File, new LoraOptions { Rank = rank, Alpha = 2 * rank },
    new TrainingOptions { LearningRate = 1e-2f, WarmupSteps = 5, MaxSteps = steps, BatchSize = 1, GradientAccumulation = 2, MaxSequenceLength = 128, Seed = 7 }, train);
Console.WriteLine($"model {model}, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, LoRA rank {rank}: {trainer.ParameterCount} parameters, {trainer.SequenceCount} packed sequences");
Console.WriteLine($"held-out loss before: {trainer.Evaluate(heldOut):F4}");
var clock = Stopwatch.StartNew();
long tokens = 0;
while (trainer.Step < trainer.TotalSteps)
{
    var s = trainer.TrainStep();
    tokens += s.Tokens;
    if (s.Step % 10 == 0 || s.Step == 1) Console.WriteLine($"step {s.Step,4}  loss {s.Loss:F4}  lr {s.LearningRate:G3}  |g| {s.GradNorm:F3}  {tokens / clock.Elapsed.TotalSeconds:F0} tok/s");
}

Console.WriteLine($"held-out loss after: {trainer.Evaluate(heldOut):F4}; {tokens} tokens in {clock.Elapsed.TotalSeconds:F1} s = {tokens / clock.Elapsed.TotalSeconds:F0} tokens/s (forward + backward)");
return 0;
