using Groundwork.Training.Model;

namespace Groundwork.Training;

/// <summary>The LoRA adapter's shape: y = W·x + (alpha/rank)·B·A·dropout(x) on each targeted projection.</summary>
public sealed class LoraOptions
{
    /// <summary>Rank r of A [r, in] and B [out, r].</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Alpha; the update is scaled by alpha / rank.</summary>
    public float Alpha { get; init; } = 16;

    /// <summary>Dropout probability on the adapters' inputs during training.</summary>
    public double Dropout { get; init; }

    /// <summary>Targeted projections (default: attention and MLP, all seven).</summary>
    public IReadOnlyList<LoraTarget> Targets { get; init; } = Enum.GetValues<LoraTarget>();

    /// <summary>
    /// Bytes of activations the training step may keep for the backward (per packed sequence: sequences of a batch
    /// run one after another). Layers whose activations do not fit keep only their input and are recomputed during the
    /// backward, the first layers first; the plan is made per sequence from its length. Null (default): keep everything
    /// when that fits in a quarter of the memory available to the process, else recompute as needed to fit there.
    /// A budget below what recomputing every layer needs makes the step throw <see cref="InvalidOperationException"/>.
    /// </summary>
    public long? ActivationMemoryBudget { get; init; }
}

/// <summary>Optimizer, schedule and batching settings.</summary>
public sealed class TrainingOptions
{
    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 2e-4f;

    /// <summary>Decoupled (AdamW) weight decay.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Adam β1.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Adam β2.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Adam ε.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Linear warmup steps.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>The cosine schedule ends at this fraction of the peak rate.</summary>
    public float MinLearningRateFraction { get; init; } = 0.1f;

    /// <summary>Passes over the training data (ignored when <see cref="MaxSteps"/> is set).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Optimizer steps to run in all (overrides <see cref="Epochs"/>).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Packed sequences per micro-batch.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Micro-batches whose gradients are accumulated into one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Clip the global gradient norm to this (0 = off).</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Tokens per packed sequence.</summary>
    public int MaxSequenceLength { get; init; } = 256;

    /// <summary>Pack several examples into one sequence (attention and positions restart per example).</summary>
    public bool Packing { get; init; } = true;

    /// <summary>Seed of the adapter init, the data order and dropout.</summary>
    public ulong Seed { get; init; } = 42;
}

/// <summary>What one optimizer step did.</summary>
/// <param name="Step">Steps done so far (1-based after the first step).</param>
/// <param name="Loss">Mean loss over the step's counted tokens.</param>
/// <param name="Tokens">Tokens processed (counted or not).</param>
/// <param name="LearningRate">The rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
public readonly record struct TrainingStep(int Step, double Loss, int Tokens, float LearningRate, double GradNorm);
