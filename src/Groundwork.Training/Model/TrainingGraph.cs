using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Groundwork.Training.Optim;
using Groundwork.Training.Lora;

namespace Groundwork.Training.Model;

/// <summary>
/// The training forward and backward of a Llama-family model over one packed sequence, laid out like llm.c: the
/// forward records per layer what the backward needs; the backward walks the layers in reverse and accumulates LoRA
/// gradients. Base weights stay frozen in the mapped file. Generic: float to train, double to check gradients.
/// </summary>
internal sealed class TrainingGraph<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BaseWeights _w;
    private readonly T[][] _attnNorm, _ffnNorm;
    private readonly T[]?[] _bq, _bk, _bv;
    private readonly T[] _outNorm;
    private readonly T _eps;
    private LayerActivations[] _acts = [];
    private LayerActivations? _work;        // where recomputed layers run: the first kept layer's, or its own when all are recomputed
    private T[][] _xs = [];                 // layer inputs [layers + 1][n, dim]; the last is the final hidden state
    private ulong[] _rngState = [];         // dropout RNG state at each layer's start (to replay its masks)
    private T[] _o = [], _d = [];            // projection outputs before the residual add (scratch)
    private T[] _xnFinal = [], _invFinal = [], _logits = [];
    private T[] _ropeCos = [], _ropeSin = [];   // [positions, headDim/2], grown to the longest sequence seen
    private int[] _tokens = [], _targets = [], _segStart = [];
    private int _n;
    private bool _training;

    public TrainingGraph(BaseWeights w, LoraParameters<T>? lora)
    {
        _w = w;
        Lora = lora;
        var c = w.Config;
        _eps = T.CreateTruncating(c.RmsEpsilon);
        _attnNorm = w.Layers.Select(l => Conv(l.AttnNorm)!).ToArray();
        _ffnNorm = w.Layers.Select(l => Conv(l.FfnNorm)!).ToArray();
        _bq = w.Layers.Select(l => Conv(l.Bq)).ToArray();
        _bk = w.Layers.Select(l => Conv(l.Bk)).ToArray();
        _bv = w.Layers.Select(l => Conv(l.Bv)).ToArray();
        _outNorm = Conv(w.OutputNorm)!;
    }

    public LoraParameters<T>? Lora { get; }

    /// <summary>LoRA dropout probability on the adapters' inputs (training only).</summary>
    public double Dropout { get; set; }

    /// <summary>Source of dropout masks (required when <see cref="Dropout"/> &gt; 0 in a training forward).</summary>
    public SplitMix64? DropoutRng { get; set; }

    public BaseWeights Weights => _w;

    /// <summary>Logits [n, vocab] of the last <see cref="Forward"/> (replaced by their gradient after <see cref="LossAndBackward"/>).</summary>
    public T[] Logits => _logits;

    private static T[]? Conv(float[]? a) => a?.Select(T.CreateTruncating).ToArray();

    private sealed class LoraActs
    {
        public T[] Xd = [];      // [n, in] adapter input after dropout (the input itself without dropout)
        public T[]? Mask;        // [n, in] dropout keep/(1−p) factors, null without dropout
        public T[] Dropped = []; // storage of Xd under dropout
        public T[] U = [];     // [n, rank] A·xd
    }

    /// <summary>What the backward of one layer needs. Arrays are reused while the sequence length stays the same.</summary>
    private sealed class LayerActivations
    {
        public T[] Xn1 = [], Inv1 = [], Q = [], K = [], V = [], Probs = [], Att = [];
        public T[] X2 = [], Xn2 = [], Inv2 = [], G = [], Up = [], H = [];
        public LoraActs?[] Lora = new LoraActs?[7];

        public void Ensure(int n, ModelShape s)
        {
            Size(ref Xn1, n * s.Dim); Size(ref Inv1, n); Size(ref Q, n * s.QDim); Size(ref K, n * s.KvDim); Size(ref V, n * s.KvDim);
            Size(ref Probs, s.Heads * n * n); Size(ref Att, n * s.QDim); Size(ref X2, n * s.Dim); Size(ref Xn2, n * s.Dim);
            Size(ref Inv2, n); Size(ref G, n * s.Ff); Size(ref Up, n * s.Ff); Size(ref H, n * s.Ff);
        }

        /// <summary>Drops everything (the layer is recomputed from its input during the backward).</summary>
        public void Release()
        {
            Xn1 = Inv1 = Q = K = V = Probs = Att = X2 = Xn2 = Inv2 = G = Up = H = [];
            Array.Clear(Lora);
        }

        public long Bytes()
        {
            long e = (long)Xn1.Length + Inv1.Length + Q.Length + K.Length + V.Length + Probs.Length + Att.Length + X2.Length
                + Xn2.Length + Inv2.Length + G.Length + Up.Length + H.Length;
            foreach (var l in Lora)
                if (l is not null) e += l.U.Length + (l.Mask is null ? 0 : l.Mask.Length + l.Dropped.Length);
            return e * Unsafe.SizeOf<T>();
        }
    }

    private readonly record struct ModelShape(int Dim, int QDim, int KvDim, int Ff, int Heads, int Vocab, int Layers);

    private static void Size(ref T[] a, int length)
    {
        if (a.Length != length) a = new T[length];
    }

    private ModelShape Shape
    {
        get
        {
            var c = _w.Config;
            return new ModelShape(c.EmbeddingLength, c.QueryDim, c.KvDim, c.FeedForwardLength, c.HeadCount, c.VocabSize, c.LayerCount);
        }
    }

    /// <summary>
    /// Bytes of activations kept for a sequence of <paramref name="n"/> tokens when <paramref name="recomputed"/> layers
    /// keep only their input: every layer's input, the full set of the other layers, two [n, dim] projection outputs,
    /// and the final norm and logits. Recomputed layers work in the buffers of the first kept layer (its backward is
    /// done before theirs start), so only recomputing every layer costs one extra full set.
    /// </summary>
    public long PlannedBytes(int n, int recomputed)
    {
        var s = Shape;
        long full = FullLayerElements(n, s), inputs = (long)s.Layers * n * s.Dim;
        long final = (long)n * s.Dim * 4 + n + (long)n * s.Vocab;
        long kept = (long)(s.Layers - recomputed) * full + (recomputed == s.Layers ? full : 0);
        return (inputs + kept + final) * Unsafe.SizeOf<T>();
    }

    private long FullLayerElements(int n, ModelShape s)
    {
        long e = (long)n * (3L * s.Dim + 2L * s.QDim + 2L * s.KvDim + 3L * s.Ff) + 2L * n + (long)s.Heads * n * n;
        if (Lora is { } lora)
            for (int t = 0; t < 7; t++)
                if (lora.ByLayer[0, t] is { } p) e += (long)n * p.Rank + (Dropout > 0 ? 2L * n * p.In : 0);
        return e;
    }

    /// <summary>
    /// How many layers to recompute for a sequence of <paramref name="n"/> tokens: the fewest that bring
    /// <see cref="PlannedBytes"/> within <see cref="ActivationBudget"/> (the first layers are the ones recomputed).
    /// Recomputing all layers needs as much as all but one (they would share one set of buffers), so the plan stops at
    /// all but one. Without a budget: keep all when that fits in a quarter of the memory available to the process,
    /// else recompute as many as needed to fit there (at most all but one, whatever that needs).
    /// </summary>
    /// <exception cref="InvalidOperationException">Even recomputing all layers but one does not fit the budget.</exception>
    public int PlanRecomputation(int n)
    {
        int layers = _w.Config.LayerCount;
        if (RecomputeOverride is { } forced) return Math.Clamp(forced, 0, layers);
        long budget = ActivationBudget ?? Math.Max(PlannedBytes(n, Math.Max(0, layers - 1)), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);
        for (int k = 0; k < Math.Max(1, layers); k++) // all but one recomputed needs as much as all
            if (PlannedBytes(n, k) <= budget) return k;
        throw new InvalidOperationException(
            $"activation memory budget of {budget / 1048576.0:F1} MB is too small for sequences of {n} tokens: at least {PlannedBytes(n, Math.Max(0, layers - 1)) / 1048576.0:F1} MB " +
            $"are needed with all layers but one recomputed (all kept: {PlannedBytes(n, 0) / 1048576.0:F1} MB); raise the budget or shorten the sequences");
    }

    /// <summary>Tests only: recompute exactly this many layers regardless of the budget.</summary>
    internal int? RecomputeOverride { get; set; }

    /// <summary>Activation budget in bytes (null = the default of <see cref="PlanRecomputation"/>).</summary>
    public long? ActivationBudget { get; set; }

    /// <summary>Layers recomputed during the last <see cref="Forward"/>'s backward (the first ones).</summary>
    public int RecomputedLayers { get; private set; }

    /// <summary>Bytes of activation arrays actually held after the last <see cref="Forward"/> (what the budget bounds).</summary>
    public long KeptActivationBytes
    {
        get
        {
            long e = (long)_xs.Sum(a => (long)a.Length) + _o.Length + _d.Length + _xnFinal.Length + _invFinal.Length + _logits.Length;
            return e * Unsafe.SizeOf<T>() + _acts.Sum(a => a.Bytes()) + (_work is { } own && !_acts.Contains(own) ? own.Bytes() : 0);
        }
    }

    /// <summary>
    /// Runs the forward over <paramref name="tokens"/> (a packed sequence: token i belongs to the document starting at
    /// segStart[i], positions restart per document) and records activations. Logits go to <see cref="Logits"/>.
    /// Layers below <see cref="RecomputedLayers"/> (planned from the budget) keep only their input.
    /// </summary>
    public void Forward(int[] tokens, int[] segStart, bool training)
    {
        var c = _w.Config;
        var s = Shape;
        int n = tokens.Length;
        _n = n;
        _tokens = tokens;
        _segStart = segStart;
        _training = training;
        int recompute = PlanRecomputation(n);
        RecomputedLayers = recompute;
        if (_acts.Length != c.LayerCount)
        {
            _acts = Enumerable.Range(0, c.LayerCount).Select(_ => new LayerActivations()).ToArray();
            _xs = Enumerable.Range(0, c.LayerCount + 1).Select(_ => Array.Empty<T>()).ToArray();
            _rngState = new ulong[c.LayerCount];
        }

        for (int l = 0; l <= c.LayerCount; l++) Size(ref _xs[l], n * s.Dim);
        Size(ref _o, n * s.Dim); Size(ref _d, n * s.Dim);
        // Recomputed layers run in the first kept layer's buffers: its forward comes after theirs, its backward before.
        _work = recompute == 0 ? null : recompute < c.LayerCount ? _acts[recompute] : _work is { } own && !_acts.Contains(own) ? own : new LayerActivations();
        _work?.Ensure(n, s);
        if (_ropeCos.Length < n * (c.HeadDim / 2))
            (_ropeCos, _ropeSin) = Layers<T>.RopeTable(n, c.HeadDim, c.RopeFreqBase, c.RopeFreqScale, _w.RopeFactors);
        Layers<T>.EmbeddingForward(_w.TokenEmbedding, tokens, _xs[0]);
        for (int l = 0; l < c.LayerCount; l++)
        {
            LayerActivations a;
            if (l < recompute)
            {
                _acts[l].Release();
                a = _work!;
            }
            else
            {
                a = _acts[l];
                a.Ensure(n, s);
            }

            _rngState[l] = DropoutRng?.State ?? 0;
            ForwardLayer(l, a, DropoutRng);
        }

        var x = _xs[c.LayerCount];
        Size(ref _xnFinal, n * s.Dim); Size(ref _invFinal, n);
        Layers<T>.RmsNormForward(x, _outNorm, _eps, _xnFinal, _invFinal, n);
        Size(ref _logits, n * c.VocabSize);
        _w.Output.Forward(_xnFinal, _logits, n);
    }

    /// <summary>One block: _xs[l] → _xs[l + 1], recording into <paramref name="a"/>. Deterministic, so a recomputation is bit-identical.</summary>
    private void ForwardLayer(int l, LayerActivations a, SplitMix64? rng)
    {
        var c = _w.Config;
        int n = _n, qDim = c.QueryDim, kvDim = c.KvDim;
        bool training = _training;
        var x = _xs[l];
        Layers<T>.RmsNormForward(x, _attnNorm[l], _eps, a.Xn1, a.Inv1, n);
        Linear(l, LoraTarget.Q, a, a.Xn1, a.Q, n, training, rng);
        Linear(l, LoraTarget.K, a, a.Xn1, a.K, n, training, rng);
        Linear(l, LoraTarget.V, a, a.Xn1, a.V, n, training, rng);
        for (int i = 0; i < n; i++)
        {
            if (_bq[l] is { } bq)
            {
                TensorPrimitives.Add<T>(a.Q.AsSpan(i * qDim, qDim), bq, a.Q.AsSpan(i * qDim, qDim));
                TensorPrimitives.Add<T>(a.K.AsSpan(i * kvDim, kvDim), _bk[l], a.K.AsSpan(i * kvDim, kvDim));
                TensorPrimitives.Add<T>(a.V.AsSpan(i * kvDim, kvDim), _bv[l], a.V.AsSpan(i * kvDim, kvDim));
            }

            int pos = i - _segStart[i];
            Layers<T>.Rope(a.Q.AsSpan(i * qDim, qDim), c.HeadCount, c.HeadDim, pos, _ropeCos, _ropeSin, c.Rope, false);
            Layers<T>.Rope(a.K.AsSpan(i * kvDim, kvDim), c.KvHeadCount, c.HeadDim, pos, _ropeCos, _ropeSin, c.Rope, false);
        }

        Layers<T>.AttentionForward(a.Q, a.K, a.V, _segStart, n, c.HeadCount, c.KvHeadCount, c.HeadDim, a.Probs, a.Att);
        Linear(l, LoraTarget.O, a, a.Att, _o, n, training, rng);
        TensorPrimitives.Add<T>(x, _o, a.X2);
        Layers<T>.RmsNormForward(a.X2, _ffnNorm[l], _eps, a.Xn2, a.Inv2, n);
        Linear(l, LoraTarget.Gate, a, a.Xn2, a.G, n, training, rng);
        Linear(l, LoraTarget.Up, a, a.Xn2, a.Up, n, training, rng);
        Layers<T>.SwiGluForward(a.G, a.Up, a.H);
        Linear(l, LoraTarget.Down, a, a.H, _d, n, training, rng);
        TensorPrimitives.Add<T>(a.X2, _d, _xs[l + 1]);
    }

    /// <summary>
    /// Cross-entropy against <paramref name="targets"/> (−1 = masked), then the backward pass: LoRA gradients
    /// accumulate (+=) scaled by <paramref name="gradScale"/> (e.g. 1 / counted tokens of the whole step). Returns the summed loss.
    /// </summary>
    public double LossAndBackward(int[] targets, T gradScale)
    {
        var c = _w.Config;
        int n = _n, dim = c.EmbeddingLength, qDim = c.QueryDim, kvDim = c.KvDim, ff = c.FeedForwardLength;
        _targets = targets;
        double loss = Layers<T>.CrossEntropyForwardBackward(_logits, targets, c.VocabSize, gradScale);
        var dxn = new T[n * dim];
        _w.Output.BackwardInput(_logits, dxn, n);
        var dx = new T[n * dim];
        Layers<T>.RmsNormBackward(dxn, _xs[c.LayerCount], _outNorm, _invFinal, dx, n);
        var dh = new T[n * ff];
        var dg = new T[n * ff];
        var du = new T[n * ff];
        var dxn2 = new T[n * dim];
        var dAtt = new T[n * qDim];
        var dq = new T[n * qDim];
        var dk = new T[n * kvDim];
        var dv = new T[n * kvDim];
        var dxn1 = new T[n * dim];
        for (int l = c.LayerCount - 1; l >= 0; l--)
        {
            var a = _acts[l];
            if (l < RecomputedLayers)
            {
                // Recompute this layer's internals from its kept input, with the dropout masks of the forward.
                a = _work!;
                var rng = DropoutRng is null ? null : new SplitMix64(0) { State = _rngState[l] };
                ForwardLayer(l, a, rng);
            }

            // x_out = x2 + Down(h): dx flows to x2 and into the FFN.
            var dx2 = dx;
            Array.Clear(dh); Array.Clear(dg); Array.Clear(du); Array.Clear(dxn2); Array.Clear(dAtt);
            Array.Clear(dq); Array.Clear(dk); Array.Clear(dv); Array.Clear(dxn1);
            LinearBackward(l, LoraTarget.Down, a, dx, dh, n);
            Layers<T>.SwiGluBackward(dh, a.G, a.Up, dg, du);
            LinearBackward(l, LoraTarget.Gate, a, dg, dxn2, n);
            LinearBackward(l, LoraTarget.Up, a, du, dxn2, n);
            Layers<T>.RmsNormBackward(dxn2, a.X2, _ffnNorm[l], a.Inv2, dx2, n);
            // x2 = x_in + Wo(att).
            LinearBackward(l, LoraTarget.O, a, dx2, dAtt, n);
            Layers<T>.AttentionBackward(dAtt, a.Q, a.K, a.V, a.Probs, _segStart, n, c.HeadCount, c.KvHeadCount, c.HeadDim, dq, dk, dv);
            for (int i = 0; i < n; i++)
            {
                int pos = i - _segStart[i];
                Layers<T>.Rope(dq.AsSpan(i * qDim, qDim), c.HeadCount, c.HeadDim, pos, _ropeCos, _ropeSin, c.Rope, true);
                Layers<T>.Rope(dk.AsSpan(i * kvDim, kvDim), c.KvHeadCount, c.HeadDim, pos, _ropeCos, _ropeSin, c.Rope, true);
            }

            LinearBackward(l, LoraTarget.Q, a, dq, dxn1, n);
            LinearBackward(l, LoraTarget.K, a, dk, dxn1, n);
            LinearBackward(l, LoraTarget.V, a, dv, dxn1, n);
            Layers<T>.RmsNormBackward(dxn1, _xs[l], _attnNorm[l], a.Inv1, dx2, n);
            dx = dx2;
        }

        // The token embedding is frozen: dx (the gradient at the embeddings) is where the backward ends.
        return loss;
    }

    private void Linear(int layer, LoraTarget target, LayerActivations a, T[] x, T[] y, int n, bool training, SplitMix64? rng)
    {
        _w.Layers[layer].Proj[(int)target].Forward(x, y, n);
        var p = Lora?.ByLayer[layer, (int)target];
        if (p is null) { a.Lora[(int)target] = null; return; }
        var acts = a.Lora[(int)target] ??= new LoraActs();
        if (!(training && Dropout > 0))
        {
            acts.Mask = null;
            acts.Dropped = [];
            acts.Xd = x;
        }
        else
        {
            if (rng is null) throw new InvalidOperationException("dropout needs an RNG");
            T keep = T.CreateTruncating(1 / (1 - Dropout));
            acts.Mask = acts.Mask is { } m && m.Length == x.Length ? m : new T[x.Length];
            Size(ref acts.Dropped, x.Length);
            acts.Xd = acts.Dropped;
            for (int i = 0; i < x.Length; i++)
            {
                acts.Mask[i] = rng.NextDouble() < Dropout ? T.Zero : keep;
                acts.Xd[i] = x[i] * acts.Mask[i];
            }
        }

        Size(ref acts.U, n * p.Rank);
        p.Forward(acts.Xd, acts.U, y, n, Lora!.Scale);
    }

    private void LinearBackward(int layer, LoraTarget target, LayerActivations a, T[] dy, T[] dx, int n)
    {
        _w.Layers[layer].Proj[(int)target].BackwardInput(dy, dx, n);
        var p = Lora?.ByLayer[layer, (int)target];
        if (p is null) return;
        var acts = a.Lora[(int)target]!;
        if (acts.Mask is null)
        {
            p.Backward(dy, acts.Xd, acts.U, dx, n, Lora!.Scale);
            return;
        }

        var dxd = new T[dx.Length];
        p.Backward(dy, acts.Xd, acts.U, dxd, n, Lora!.Scale);
        for (int i = 0; i < dx.Length; i++) dx[i] += dxd[i] * acts.Mask[i];
    }
}
