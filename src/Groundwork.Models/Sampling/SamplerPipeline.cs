using System.Numerics.Tensors;

namespace Groundwork.Models.Sampling;

/// <summary>
/// Chooses tokens from logits with an ordered list of small steps built from <see cref="SamplingOptions"/>
/// (penalties → top-k → top-p → min-p → temperature → draw; greedy: penalties → argmax). Reuses its candidate buffers,
/// so sampling allocates nothing per token. Seeded pipelines are reproducible. Not thread-safe (one per session).
/// </summary>
public sealed class SamplerPipeline
{
    private readonly SamplerStep[] _steps;
    private readonly CandidateSet _candidates;
    private readonly TokenHistory _history;
    private readonly bool _greedy;

    private SamplerPipeline(SamplingOptions options, int vocabSize)
    {
        Options = options;
        _candidates = new CandidateSet(vocabSize);
        _history = new TokenHistory(Math.Max(options.RepetitionLastN, 0));
        _greedy = options.Temperature <= 0;
        var steps = new List<SamplerStep>();
        if (options.HasPenalties) steps.Add(new PenaltyStep(options, _history, vocabSize));
        if (_greedy)
        {
            steps.Add(new GreedyStep());
        }
        else
        {
            if (options.TopK > 0) steps.Add(new TopKStep(options.TopK));
            if (options.TopP < 1f) steps.Add(new TopPStep(options.TopP));
            if (options.MinP > 0f) steps.Add(new MinPStep(options.MinP));
            steps.Add(new TemperatureStep(options.Temperature));
            steps.Add(new DistributionStep(options.Seed is { } seed ? new Random(seed) : new Random()));
        }

        _steps = [.. steps];
    }

    /// <summary>The options the pipeline was built from.</summary>
    public SamplingOptions Options { get; }

    /// <summary>The step names in order (e.g. "penalties", "top-k", "top-p", "min-p", "temperature", "dist").</summary>
    public IReadOnlyList<string> StepNames => Array.ConvertAll(_steps, s => s.Name);

    /// <summary>Builds a pipeline for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public static SamplerPipeline Create(SamplingOptions options, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        options.Validate();
        return new SamplerPipeline(options, vocabSize);
    }

    /// <summary>Chooses the next token from <paramref name="logits"/> [vocab] (not modified). Call <see cref="Accept"/> with the token kept.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (logits.Length != _candidates.Ids.Length)
            throw new ArgumentException($"expected {_candidates.Ids.Length} logits, got {logits.Length}", nameof(logits));
        if (_greedy && _steps.Length == 1) return TensorPrimitives.IndexOfMax(logits); // plain argmax: no copy
        _candidates.Load(logits);
        foreach (var step in _steps) step.Apply(_candidates);
        return _candidates.Ids[_candidates.Selected];
    }

    /// <summary>Records a token as generated (or fed as prompt), so the penalties see it.</summary>
    public void Accept(int token) => _history.Add(token);

    /// <summary>Forgets the token history.</summary>
    public void Reset() => _history.Clear();
}

/// <summary>The working set of candidates: ids with their (adjusted) logits and, once computed, probabilities.</summary>
internal sealed class CandidateSet
{
    public CandidateSet(int vocabSize)
    {
        Ids = new int[vocabSize];
        Logits = new float[vocabSize];
        Probs = new float[vocabSize];
    }

    public int[] Ids { get; }       // [vocab] candidate token ids (first Count valid)
    public float[] Logits { get; }  // [vocab] candidate logits, parallel to Ids
    public float[] Probs { get; }   // [vocab] softmax of Logits[..Count] after ComputeProbabilities
    public int Count { get; set; }
    public bool Sorted { get; set; } // Logits[..Count] descending
    public int Selected { get; set; } // index into Ids of the chosen candidate

    public void Load(ReadOnlySpan<float> logits)
    {
        logits.CopyTo(Logits);
        for (int i = 0; i < Ids.Length; i++) Ids[i] = i;
        Count = logits.Length;
        Sorted = false;
        Selected = -1;
    }

    /// <summary>Sorts the first <paramref name="k"/> candidates descending by logit (all when k ≥ Count); no allocation.</summary>
    public void SortDescending(int k)
    {
        if (Sorted) return;
        k = Math.Min(k, Count);
        if (k < Count) SelectTop(k);
        var keys = Logits.AsSpan(0, k);
        TensorPrimitives.Negate(keys, keys); // Array.Sort is ascending: sort the negated keys
        Array.Sort(Logits, Ids, 0, k);
        TensorPrimitives.Negate(keys, keys);
        Count = k;
        Sorted = true;
    }

    /// <summary>Moves the k largest logits (with their ids) to the front in O(Count): quickselect, Hoare partition.</summary>
    private void SelectTop(int k)
    {
        int lo = 0, hi = Count - 1;
        while (lo < hi)
        {
            float pivot = Median(Logits[lo], Logits[lo + (hi - lo) / 2], Logits[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (Logits[i] > pivot) i++;
                while (Logits[j] < pivot) j--;
                if (i <= j)
                {
                    (Logits[i], Logits[j]) = (Logits[j], Logits[i]);
                    (Ids[i], Ids[j]) = (Ids[j], Ids[i]);
                    i++;
                    j--;
                }
            }

            // Now [lo..j] >= pivot >= [i..hi]; keep narrowing towards index k-1.
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else break;
        }
    }

    private static float Median(float a, float b, float c)
        => a > b ? (b > c ? b : Math.Min(a, c)) : (a > c ? a : Math.Min(b, c));

    /// <summary>Probs[..Count] = softmax(Logits[..Count]) (max-subtracted, so stable).</summary>
    public void ComputeProbabilities()
    {
        var logits = Logits.AsSpan(0, Count);
        var probs = Probs.AsSpan(0, Count);
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, probs);
        TensorPrimitives.Exp(probs, probs);
        float sum = TensorPrimitives.Sum(probs);
        TensorPrimitives.Divide(probs, sum, probs);
    }
}

/// <summary>A ring buffer of the last N accepted tokens.</summary>
internal sealed class TokenHistory(int capacity)
{
    private readonly int[] _items = new int[capacity];
    private int _next;

    public int Count { get; private set; }

    public ReadOnlySpan<int> Items => _items.AsSpan(0, Count); // order does not matter to the penalties

    public void Add(int token)
    {
        if (_items.Length == 0) return;
        _items[_next] = token;
        _next = (_next + 1) % _items.Length;
        if (Count < _items.Length) Count++;
    }

    public void Clear()
    {
        Count = 0;
        _next = 0;
    }
}

/// <summary>One step of a <see cref="SamplerPipeline"/>.</summary>
internal abstract class SamplerStep
{
    public abstract string Name { get; }

    public abstract void Apply(CandidateSet c);
}

/// <summary>
/// llama.cpp's penalties: for each distinct token among the last N, logit /= penalty when positive (× when negative),
/// then logit -= count × frequency + presence. Runs first, while candidate index = token id.
/// </summary>
internal sealed class PenaltyStep(SamplingOptions o, TokenHistory history, int vocabSize) : SamplerStep
{
    private readonly int[] _counts = new int[vocabSize]; // [vocab] occurrences in the window, zeroed after use

    public override string Name => "penalties";

    public override void Apply(CandidateSet c)
    {
        var recent = history.Items;
        foreach (var t in recent) if ((uint)t < (uint)_counts.Length) _counts[t]++;
        foreach (var t in recent)
        {
            if ((uint)t >= (uint)_counts.Length) continue;
            int n = _counts[t];
            if (n == 0) continue; // already applied for this token
            ref float l = ref c.Logits[t];
            l = l > 0 ? l / o.RepetitionPenalty : l * o.RepetitionPenalty;
            l -= n * o.FrequencyPenalty + o.PresencePenalty;
            _counts[t] = 0;
        }
    }
}

/// <summary>Selects the highest logit (first on ties).</summary>
internal sealed class GreedyStep : SamplerStep
{
    public override string Name => "greedy";

    public override void Apply(CandidateSet c) => c.Selected = TensorPrimitives.IndexOfMax(c.Logits.AsSpan(0, c.Count));
}

/// <summary>Keeps the K highest logits, sorted descending.</summary>
internal sealed class TopKStep(int k) : SamplerStep
{
    public override string Name => "top-k";

    public override void Apply(CandidateSet c) => c.SortDescending(k);
}

/// <summary>Keeps the smallest prefix (by probability) whose cumulative probability reaches P; at least one token.</summary>
internal sealed class TopPStep(float p) : SamplerStep
{
    public override string Name => "top-p";

    public override void Apply(CandidateSet c)
    {
        c.SortDescending(c.Count);
        c.ComputeProbabilities();
        float cum = 0;
        for (int i = 0; i < c.Count; i++)
        {
            cum += c.Probs[i];
            if (cum >= p)
            {
                c.Count = i + 1;
                return;
            }
        }
    }
}

/// <summary>Drops tokens whose probability is below MinP × the top probability (i.e. logit &lt; max + ln MinP); at least one token.</summary>
internal sealed class MinPStep(float minP) : SamplerStep
{
    public override string Name => "min-p";

    public override void Apply(CandidateSet c)
    {
        var logits = c.Logits.AsSpan(0, c.Count);
        float threshold = TensorPrimitives.Max(logits) + MathF.Log(minP);
        int kept = 0;
        for (int i = 0; i < c.Count; i++)
        {
            if (c.Logits[i] < threshold) continue;
            c.Logits[kept] = c.Logits[i];
            c.Ids[kept] = c.Ids[i];
            kept++;
        }

        c.Count = kept; // order (and sortedness) is preserved
    }
}

/// <summary>Divides the logits by the temperature.</summary>
internal sealed class TemperatureStep(float t) : SamplerStep
{
    public override string Name => "temperature";

    public override void Apply(CandidateSet c)
    {
        var logits = c.Logits.AsSpan(0, c.Count);
        TensorPrimitives.Divide(logits, t, logits);
    }
}

/// <summary>Draws one candidate from softmax(logits) with a (seeded) random generator.</summary>
internal sealed class DistributionStep(Random rng) : SamplerStep
{
    public override string Name => "dist";

    public override void Apply(CandidateSet c)
    {
        c.ComputeProbabilities();
        double r = rng.NextDouble();
        double cum = 0;
        for (int i = 0; i < c.Count; i++)
        {
            cum += c.Probs[i];
            if (r < cum)
            {
                c.Selected = i;
                return;
            }
        }

        c.Selected = c.Count - 1; // rounding left r above the last cumulative sum
    }
}
