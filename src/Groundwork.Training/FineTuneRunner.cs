using System.Diagnostics;
using Groundwork.Models.Transformers;
using Groundwork.Training.Data;

namespace Groundwork.Training;

/// <summary>Settings of one fine-tuning run as the CLI takes them.</summary>
public sealed class FineTuneRunOptions
{
    /// <summary>The base GGUF model.</summary>
    public required string ModelPath { get; init; }

    /// <summary>JSONL training data (chat or Alpaca format).</summary>
    public required string DataPath { get; init; }

    /// <summary>Where the GGUF LoRA adapter is written.</summary>
    public required string OutputPath { get; init; }

    /// <summary>The adapter's shape.</summary>
    public LoraOptions Lora { get; init; } = new();

    /// <summary>Optimizer and batching.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Fraction of the examples held out for validation.</summary>
    public double ValidationSplit { get; init; } = 0.1;

    /// <summary>Validate every this many steps (0 = once per epoch).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Stop when validation loss has not improved for this many evaluations (0 = never).</summary>
    public int EarlyStoppingPatience { get; init; } = 3;

    /// <summary>Checkpoint file (default: OutputPath + ".ckpt"); written at each evaluation and on cancellation.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Resume from this checkpoint.</summary>
    public string? ResumeFrom { get; init; }
}

/// <summary>One progress report of <see cref="FineTuneRunner"/>.</summary>
/// <param name="Step">The step just done.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Loss">Training loss of the step.</param>
/// <param name="ValidationLoss">Validation loss when evaluated at this step, else null.</param>
/// <param name="TokensPerSecond">Training throughput so far.</param>
/// <param name="Eta">Estimated time left.</param>
public readonly record struct FineTuneProgress(int Step, int TotalSteps, double Loss, double? ValidationLoss, double TokensPerSecond, TimeSpan Eta);

/// <summary>The whole pipeline behind <c>groundwork finetune</c>: data → tokens → training with validation, early stopping, checkpoints → adapter.</summary>
public static class FineTuneRunner
{
    /// <summary>
    /// Runs the fine-tuning. On cancellation a resumable checkpoint is written before
    /// <see cref="OperationCanceledException"/> propagates. Returns the best validation loss (or the last training loss).
    /// </summary>
    public static async Task<double> RunAsync(FineTuneRunOptions options, IProgress<FineTuneProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var model = LlamaModel.Load(options.ModelPath, new ModelLoadOptions { ContextLength = Math.Max(16, options.Training.MaxSequenceLength) });
        var conversations = await FineTuneDataset.ReadJsonlAsync(options.DataPath, cancellationToken).ConfigureAwait(false);
        var (trainConv, valConv) = FineTuneDataset.Split(conversations, options.ValidationSplit, options.Training.Seed);
        var train = trainConv.Select(c => FineTuneDataset.Tokenize(c, model.Tokenizer, model.Template)).ToList();
        var val = valConv.Select(c => FineTuneDataset.Tokenize(c, model.Tokenizer, model.Template)).ToList();
        var trainer = new LoraTrainer(model.File, options.Lora, options.Training, train);
        string ckpt = options.CheckpointPath ?? options.OutputPath + ".ckpt";
        if (options.ResumeFrom is { } resume) await trainer.LoadCheckpointAsync(resume, cancellationToken).ConfigureAwait(false);
        int evalEvery = options.EvalEvery > 0 ? options.EvalEvery : Math.Max(1, trainer.TotalSteps / Math.Max(1, options.Training.Epochs));
        double best = double.PositiveInfinity, last = double.NaN;
        int bad = 0, startStep = trainer.Step;
        long tokens = 0;
        var clock = Stopwatch.StartNew();
        LoraAdapter? bestAdapter = null;
        while (trainer.Step < trainer.TotalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await trainer.SaveCheckpointAsync(ckpt, CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var s = trainer.TrainStep();
            tokens += s.Tokens;
            last = s.Loss;
            double? vl = null;
            if (val.Count > 0 && (s.Step % evalEvery == 0 || s.Step == trainer.TotalSteps))
            {
                vl = trainer.Evaluate(val);
                await trainer.SaveCheckpointAsync(ckpt, CancellationToken.None).ConfigureAwait(false);
                if (vl < best - 1e-4) { best = vl.Value; bad = 0; bestAdapter = trainer.ToAdapter(); }
                else bad++;
            }

            double secs = clock.Elapsed.TotalSeconds;
            double perStep = secs / Math.Max(1, s.Step - startStep);
            progress?.Report(new FineTuneProgress(s.Step, trainer.TotalSteps, s.Loss, vl, tokens / Math.Max(secs, 1e-9),
                TimeSpan.FromSeconds(perStep * (trainer.TotalSteps - s.Step))));
            if (options.EarlyStoppingPatience > 0 && bad >= options.EarlyStoppingPatience) break;
        }

        await (bestAdapter ?? trainer.ToAdapter()).SaveGgufAsync(options.OutputPath, cancellationToken).ConfigureAwait(false);
        return double.IsPositiveInfinity(best) ? last : best;
    }
}
