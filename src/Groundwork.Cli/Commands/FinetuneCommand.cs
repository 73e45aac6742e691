using System.CommandLine;
using System.Globalization;
using Groundwork.Training;
using Groundwork.Training.Model;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork finetune --model BASE.gguf --data train.jsonl --out adapter.gguf [...]`: trains a LoRA adapter on the
/// built-in runtime; progress lines (step, loss, validation loss, tokens/s, ETA) go to stderr. Ctrl-C leaves a
/// resumable checkpoint (OUT.ckpt; resume with --resume).
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Base GGUF model", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL training data (chat messages or Alpaca)", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Adapter file to write (GGUF LoRA)", Required = true };
        var rank = new Option<int>("--rank") { DefaultValueFactory = _ => 8 };
        var alpha = new Option<float>("--alpha") { DefaultValueFactory = _ => 16f };
        var dropout = new Option<double>("--dropout") { DefaultValueFactory = _ => 0.0 };
        var targets = new Option<string>("--targets") { Description = "Comma-separated: q,k,v,o,gate,up,down", DefaultValueFactory = _ => "q,k,v,o,gate,up,down" };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 2e-4f };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1 };
        var maxSeq = new Option<int>("--max-seq-len") { DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1 };
        var accum = new Option<int>("--grad-accum") { DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 0 };
        var valSplit = new Option<double>("--val-split") { DefaultValueFactory = _ => 0.1 };
        var patience = new Option<int>("--patience") { Description = "Early stopping: evaluations without improvement", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42UL };
        var resume = new Option<string?>("--resume") { Description = "Checkpoint to resume from" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)" };
        var budget = new Option<string?>("--activation-budget") { Description = "Memory for activations kept for the backward, e.g. 512MB or 2GB (layers beyond it are recomputed)" };
        var command = new Command("finetune", "Train a LoRA adapter for a local GGUF model")
        {
            model, data, output, rank, alpha, dropout, targets, lr, epochs, maxSeq, batch, accum, warmup, valSplit, patience, seed, resume, threads, budget,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async token =>
        {
            if (result.GetValue(threads) is int t) Groundwork.Numerics.MatMul.Threads = Math.Max(1, t);
            var options = new FineTuneRunOptions
            {
                ModelPath = result.GetValue(model)!,
                DataPath = result.GetValue(data)!,
                OutputPath = result.GetValue(output)!,
                Lora = new LoraOptions
                {
                    Rank = result.GetValue(rank),
                    Alpha = result.GetValue(alpha),
                    Dropout = result.GetValue(dropout),
                    Targets = result.GetValue(targets)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(LoraTargetNames.ParsePublic).ToArray(),
                    ActivationMemoryBudget = result.GetValue(budget) is { } b ? ParseBytes(b) : null,
                },
                Training = new TrainingOptions
                {
                    LearningRate = result.GetValue(lr),
                    Epochs = result.GetValue(epochs),
                    MaxSequenceLength = result.GetValue(maxSeq),
                    BatchSize = result.GetValue(batch),
                    GradientAccumulation = result.GetValue(accum),
                    WarmupSteps = result.GetValue(warmup),
                    Seed = result.GetValue(seed),
                },
                ValidationSplit = result.GetValue(valSplit),
                EarlyStoppingPatience = result.GetValue(patience),
                ResumeFrom = result.GetValue(resume),
            };
            var progress = new Progress<FineTuneProgress>(p => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps}  loss {p.Loss:0.0000}{(p.ValidationLoss is { } v ? $"  val {v:0.0000}" : "")}  {p.TokensPerSecond:0} tok/s  ETA {p.Eta:hh\\:mm\\:ss}")));
            double best = await FineTuneRunner.RunAsync(options, progress, token).ConfigureAwait(false);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adapter written to {options.OutputPath} (best loss {best:0.0000})"));
            return GroundworkCli.Ok;
        }, $"cancelled; resume with --resume {result.GetValue(output)}.ckpt"));
        return command;
    }

    /// <summary>"512MB", "2GB", "300KB" or a plain number of bytes (binary units: 1 MB = 2^20 bytes).</summary>
    private static long ParseBytes(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        (string Suffix, long Scale)[] units = [("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1)];
        var (suffix, scale) = units.FirstOrDefault(u => t.EndsWith(u.Suffix, StringComparison.Ordinal), ("", 1));
        if (!double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v <= 0)
            throw new ArgumentException($"--activation-budget: '{text}' is not a size such as 512MB or 2GB");
        return (long)(v * scale);
    }
}
