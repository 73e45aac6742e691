using System.Buffers.Binary;
using Groundwork.Models.Gguf;
using Groundwork.Training.Data;
using Groundwork.Training.Lora;
using Groundwork.Training.Model;
using Groundwork.Training.Optim;

namespace Groundwork.Training;

/// <summary>
/// Trains a LoRA adapter on a frozen GGUF base model (any weight type the runtime reads; float32 compute): packing,
/// loss masking, gradient accumulation, global-norm clipping, AdamW with warmup + cosine, deterministic seeds, and
/// checkpoints that resume bit-identically. Not thread-safe (it parallelises internally).
/// </summary>
public sealed class LoraTrainer
{
    private const ulong CheckpointMagic = 0x31_4B_43_41_52_4F_4C_47; // "GLORACK1"
    private readonly BaseWeights _w;
    private readonly LoraParameters<float> _lora;
    private readonly TrainingGraph<float> _graph;
    private readonly AdamW _adam;
    private readonly List<PackedSequence> _train;
    private readonly SplitMix64 _dropoutRng;
    private readonly int _stepsPerEpoch;

    /// <summary>Prepares training of a new adapter on <paramref name="baseModel"/> (kept open by the caller).</summary>
    public LoraTrainer(GgufFile baseModel, LoraOptions lora, TrainingOptions training, IReadOnlyList<TrainingExample> trainSet)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentOutOfRangeException.ThrowIfLessThan(lora.Rank, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(training.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(training.GradientAccumulation, 1);
        if (lora.Targets.Count == 0) throw new ArgumentException("LoRA needs at least one target module", nameof(lora));
        if (lora.ActivationMemoryBudget is <= 0) throw new ArgumentOutOfRangeException(nameof(lora), lora.ActivationMemoryBudget, "the activation memory budget must be positive");
        if (lora.Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(lora), lora.Dropout, "dropout must be in [0, 1)");
        Lora = lora;
        Options = training;
        BaseModel = baseModel;
        _w = BaseWeights.Bind(baseModel, Groundwork.Models.Transformers.LlamaModel.ReadConfig(baseModel));
        _lora = LoraParameters<float>.Create(_w, lora.Rank, lora.Alpha, lora.Targets);
        _lora.Initialize(training.Seed);
        _dropoutRng = new SplitMix64(training.Seed ^ 0xD1B54A32D192ED03UL);
        _graph = new TrainingGraph<float>(_w, _lora) { Dropout = lora.Dropout, DropoutRng = _dropoutRng, ActivationBudget = lora.ActivationMemoryBudget };
        _adam = new AdamW(_lora.Pairs.SelectMany(p => new[] { p.A.Length, p.B.Length }).ToArray());
        _train = PackedSequence.Pack(trainSet, training.MaxSequenceLength, training.Packing);
        if (_train.Count == 0) throw new ArgumentException("the training set has no example of at least 2 tokens", nameof(trainSet));
        int perStep = training.BatchSize * training.GradientAccumulation;
        _stepsPerEpoch = (_train.Count + perStep - 1) / perStep;
        TotalSteps = training.MaxSteps ?? _stepsPerEpoch * Math.Max(1, training.Epochs);
    }

    /// <summary>The base model file.</summary>
    public GgufFile BaseModel { get; }

    /// <summary>The adapter's shape.</summary>
    public LoraOptions Lora { get; }

    /// <summary>The training settings.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Optimizer steps done.</summary>
    public int Step { get; private set; }

    /// <summary>Optimizer steps planned.</summary>
    public int TotalSteps { get; }

    /// <summary>Trainable parameters (all A and B matrices).</summary>
    public long ParameterCount => _lora.ParameterCount;

    /// <summary>Packed training sequences.</summary>
    public int SequenceCount => _train.Count;

    /// <summary>Layers recomputed in the backward of the last sequence (see <see cref="LoraOptions.ActivationMemoryBudget"/>).</summary>
    public int RecomputedLayers => _graph.RecomputedLayers;

    /// <summary>Bytes of activations held for the backward of the last sequence.</summary>
    public long ActivationBytes => _graph.KeptActivationBytes;

    internal LoraParameters<float> Parameters => _lora;

    internal BaseWeights Weights => _w;

    /// <summary>Runs one optimizer step (GradientAccumulation × BatchSize packed sequences).</summary>
    public TrainingStep TrainStep()
    {
        if (Step >= TotalSteps) throw new InvalidOperationException($"training is complete ({TotalSteps} steps)");
        var o = Options;
        int perStep = o.BatchSize * o.GradientAccumulation;
        int epoch = Step / _stepsPerEpoch, first = Step % _stepsPerEpoch * perStep;
        var order = EpochOrder(epoch);
        var batch = order.Skip(first).Take(perStep).Select(i => _train[i]).ToList();
        int counted = Math.Max(1, batch.Sum(s => s.Counted));
        _lora.ZeroGrad();
        double loss = 0;
        int tokens = 0;
        foreach (var s in batch)
        {
            _graph.Forward(s.Tokens, s.SegmentStart, training: true);
            loss += _graph.LossAndBackward(s.Targets, 1f / counted);
            tokens += s.Tokens.Length;
        }

        var grads = _lora.Pairs.SelectMany(p => new[] { p.GradA, p.GradB }).ToArray();
        double norm = AdamW.GlobalNorm(grads);
        if (o.MaxGradNorm > 0 && norm > o.MaxGradNorm)
        {
            float c = (float)(o.MaxGradNorm / norm);
            foreach (var g in grads) System.Numerics.Tensors.TensorPrimitives.Multiply(g, c, g);
        }

        float lr = LearningRateSchedule.At(Step, TotalSteps, o.WarmupSteps, o.LearningRate, o.MinLearningRateFraction);
        int k = 0;
        foreach (var p in _lora.Pairs)
        {
            _adam.Update(k++, p.A, p.GradA, Step + 1, lr, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
            _adam.Update(k++, p.B, p.GradB, Step + 1, lr, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
        }

        Step++;
        return new TrainingStep(Step, loss / counted, tokens, lr, norm);
    }

    /// <summary>Mean loss per counted token over <paramref name="examples"/> with the current adapter (no dropout).</summary>
    public double Evaluate(IReadOnlyList<TrainingExample> examples)
    {
        double loss = 0;
        long counted = 0;
        foreach (var s in PackedSequence.Pack(examples, Options.MaxSequenceLength, Options.Packing))
        {
            _graph.Forward(s.Tokens, s.SegmentStart, training: false);
            loss += Layers<float>.CrossEntropyForwardBackward(_graph.Logits, s.Targets, _w.Config.VocabSize, 0f);
            counted += s.Counted;
        }

        return counted == 0 ? double.NaN : loss / counted;
    }

    /// <summary>The adapter as trained so far (a copy).</summary>
    public LoraAdapter ToAdapter() => LoraAdapter.FromParameters(_lora, _w.Config.Architecture);

    private int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _train.Count).ToArray();
        new SplitMix64(Options.Seed * 0x9E3779B97F4A7C15UL + (ulong)epoch).Shuffle(order);
        return order;
    }

    /// <summary>
    /// Writes the step, the dropout RNG state, the adapter and the AdamW moments to one file, atomically (temporary
    /// file in the same folder, then a rename).
    /// </summary>
    public async Task SaveCheckpointAsync(string path, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var header = new byte[8 * 6];
                BinaryPrimitives.WriteUInt64LittleEndian(header, CheckpointMagic);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), Step);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), _dropoutRng.State);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), _lora.ParameterCount);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), _lora.Rank);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(40), Options.Seed);
                await fs.WriteAsync(header, cancellationToken);
                foreach (var a in CheckpointArrays()) await fs.WriteAsync(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()).ToArray(), cancellationToken);
                await fs.FlushAsync(cancellationToken);
            }

            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpointAsync"/> with the same options and data.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this adapter shape.</exception>
    public async Task LoadCheckpointAsync(string path, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        string name = Path.GetFileName(path);
        if (bytes.Length < 48 || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != CheckpointMagic)
            throw new InvalidDataException($"{name}: not a Groundwork LoRA checkpoint");
        long count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24));
        long rank = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32));
        if (count != _lora.ParameterCount || rank != _lora.Rank)
            throw new InvalidDataException($"{name}: checkpoint holds {count} parameters of rank {rank}, this run has {_lora.ParameterCount} of rank {_lora.Rank}");
        var arrays = CheckpointArrays().ToList();
        long expected = 48 + arrays.Sum(a => (long)a.Length * 4);
        if (bytes.Length != expected) throw new InvalidDataException($"{name}: {bytes.Length} bytes, expected {expected} (truncated or from another run)");
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40));
        if (seed != Options.Seed) throw new InvalidDataException($"{name}: checkpoint was trained with seed {seed}, this run uses {Options.Seed} (the data order would differ)");
        int step = checked((int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
        if (step > TotalSteps) throw new InvalidDataException($"{name}: step {step} is past this run's {TotalSteps} steps");
        int offset = 48;
        foreach (var a in arrays)
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset, a.Length * 4)).CopyTo(a);
            offset += a.Length * 4;
        }

        Step = step;
        _dropoutRng.State = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
    }

    private IEnumerable<float[]> CheckpointArrays()
    {
        int k = 0;
        foreach (var p in _lora.Pairs)
        {
            yield return p.A;
            yield return p.B;
            yield return _adam.M[k]; yield return _adam.V[k]; k++;
            yield return _adam.M[k]; yield return _adam.V[k]; k++;
        }
    }
}
