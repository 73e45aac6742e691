using System.Numerics;
using System.Numerics.Tensors;
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
    private T[] _xFinal = [], _xnFinal = [], _invFinal = [], _logits = [];
    private int[] _tokens = [], _targets = [], _segStart = [];
    private int _n;

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
        public T[] Xd = [];    // [n, in] adapter input after dropout
        public T[]? Mask;      // [n, in] dropout keep/(1−p) factors, null without dropout
        public T[] U = [];     // [n, rank] A·xd
    }

    private sealed class LayerActivations
    {
        public T[] XIn = [], Xn1 = [], Inv1 = [], Q = [], K = [], V = [], Probs = [], Att = [];
        public T[] X2 = [], Xn2 = [], Inv2 = [], G = [], Up = [], H = [];
        public LoraActs?[] Lora = new LoraActs?[7];
    }

    /// <summary>
    /// Runs the forward over <paramref name="tokens"/> (a packed sequence: token i belongs to the document starting at
    /// segStart[i], positions restart per document) and records activations. Logits go to <see cref="Logits"/>.
    /// </summary>
    public void Forward(int[] tokens, int[] segStart, bool training)
    {
        var c = _w.Config;
        int n = tokens.Length, dim = c.EmbeddingLength, qDim = c.QueryDim, kvDim = c.KvDim, ff = c.FeedForwardLength;
        _n = n;
        _tokens = tokens;
        _segStart = segStart;
        if (_acts.Length != c.LayerCount) _acts = Enumerable.Range(0, c.LayerCount).Select(_ => new LayerActivations()).ToArray();
        var x = new T[n * dim];
        Layers<T>.EmbeddingForward(_w.TokenEmbedding, tokens, x);
        for (int l = 0; l < c.LayerCount; l++)
        {
            var a = _acts[l];
            var bl = _w.Layers[l];
            a.XIn = x;
            a.Xn1 = new T[n * dim]; a.Inv1 = new T[n];
            Layers<T>.RmsNormForward(x, _attnNorm[l], _eps, a.Xn1, a.Inv1, n);
            a.Q = new T[n * qDim]; a.K = new T[n * kvDim]; a.V = new T[n * kvDim];
            Linear(l, LoraTarget.Q, a, a.Xn1, a.Q, n, training);
            Linear(l, LoraTarget.K, a, a.Xn1, a.K, n, training);
            Linear(l, LoraTarget.V, a, a.Xn1, a.V, n, training);
            for (int i = 0; i < n; i++)
            {
                if (_bq[l] is { } bq)
                {
                    TensorPrimitives.Add<T>(a.Q.AsSpan(i * qDim, qDim), bq, a.Q.AsSpan(i * qDim, qDim));
                    TensorPrimitives.Add<T>(a.K.AsSpan(i * kvDim, kvDim), _bk[l], a.K.AsSpan(i * kvDim, kvDim));
                    TensorPrimitives.Add<T>(a.V.AsSpan(i * kvDim, kvDim), _bv[l], a.V.AsSpan(i * kvDim, kvDim));
                }

                int pos = i - segStart[i];
                Layers<T>.Rope(a.Q.AsSpan(i * qDim, qDim), c.HeadCount, c.HeadDim, pos, c.RopeFreqBase, c.RopeFreqScale, _w.RopeFactors, c.Rope, false);
                Layers<T>.Rope(a.K.AsSpan(i * kvDim, kvDim), c.KvHeadCount, c.HeadDim, pos, c.RopeFreqBase, c.RopeFreqScale, _w.RopeFactors, c.Rope, false);
            }

            a.Probs = new T[c.HeadCount * n * n]; a.Att = new T[n * qDim];
            Layers<T>.AttentionForward(a.Q, a.K, a.V, segStart, n, c.HeadCount, c.KvHeadCount, c.HeadDim, a.Probs, a.Att);
            var o = new T[n * dim];
            Linear(l, LoraTarget.O, a, a.Att, o, n, training);
            a.X2 = new T[n * dim];
            TensorPrimitives.Add<T>(x, o, a.X2);
            a.Xn2 = new T[n * dim]; a.Inv2 = new T[n];
            Layers<T>.RmsNormForward(a.X2, _ffnNorm[l], _eps, a.Xn2, a.Inv2, n);
            a.G = new T[n * ff]; a.Up = new T[n * ff]; a.H = new T[n * ff];
            Linear(l, LoraTarget.Gate, a, a.Xn2, a.G, n, training);
            Linear(l, LoraTarget.Up, a, a.Xn2, a.Up, n, training);
            Layers<T>.SwiGluForward(a.G, a.Up, a.H);
            var d = new T[n * dim];
            Linear(l, LoraTarget.Down, a, a.H, d, n, training);
            x = new T[n * dim];
            TensorPrimitives.Add<T>(a.X2, d, x);
        }

        _xFinal = x;
        _xnFinal = new T[n * dim]; _invFinal = new T[n];
        Layers<T>.RmsNormForward(x, _outNorm, _eps, _xnFinal, _invFinal, n);
        _logits = new T[n * c.VocabSize];
        _w.Output.Forward(_xnFinal, _logits, n);
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
        Layers<T>.RmsNormBackward(dxn, _xFinal, _outNorm, _invFinal, dx, n);
        for (int l = c.LayerCount - 1; l >= 0; l--)
        {
            var a = _acts[l];
            // x_out = x2 + Down(h): dx flows to x2 and into the FFN.
            var dx2 = dx;
            var dh = new T[n * ff];
            LinearBackward(l, LoraTarget.Down, a, dx, dh, n);
            var dg = new T[n * ff];
            var du = new T[n * ff];
            Layers<T>.SwiGluBackward(dh, a.G, a.Up, dg, du);
            var dxn2 = new T[n * dim];
            LinearBackward(l, LoraTarget.Gate, a, dg, dxn2, n);
            LinearBackward(l, LoraTarget.Up, a, du, dxn2, n);
            Layers<T>.RmsNormBackward(dxn2, a.X2, _ffnNorm[l], a.Inv2, dx2, n);
            // x2 = x_in + Wo(att).
            var dAtt = new T[n * qDim];
            LinearBackward(l, LoraTarget.O, a, dx2, dAtt, n);
            var dq = new T[n * qDim];
            var dk = new T[n * kvDim];
            var dv = new T[n * kvDim];
            Layers<T>.AttentionBackward(dAtt, a.Q, a.K, a.V, a.Probs, _segStart, n, c.HeadCount, c.KvHeadCount, c.HeadDim, dq, dk, dv);
            for (int i = 0; i < n; i++)
            {
                int pos = i - _segStart[i];
                Layers<T>.Rope(dq.AsSpan(i * qDim, qDim), c.HeadCount, c.HeadDim, pos, c.RopeFreqBase, c.RopeFreqScale, _w.RopeFactors, c.Rope, true);
                Layers<T>.Rope(dk.AsSpan(i * kvDim, kvDim), c.KvHeadCount, c.HeadDim, pos, c.RopeFreqBase, c.RopeFreqScale, _w.RopeFactors, c.Rope, true);
            }

            var dxn1 = new T[n * dim];
            LinearBackward(l, LoraTarget.Q, a, dq, dxn1, n);
            LinearBackward(l, LoraTarget.K, a, dk, dxn1, n);
            LinearBackward(l, LoraTarget.V, a, dv, dxn1, n);
            Layers<T>.RmsNormBackward(dxn1, a.XIn, _attnNorm[l], a.Inv1, dx2, n);
            dx = dx2;
        }

        // The token embedding is frozen: dx (the gradient at the embeddings) is where the backward ends.
        return loss;
    }

    private void Linear(int layer, LoraTarget target, LayerActivations a, T[] x, T[] y, int n, bool training)
    {
        _w.Layers[layer].Proj[(int)target].Forward(x, y, n);
        var p = Lora?.ByLayer[layer, (int)target];
        if (p is null) { a.Lora[(int)target] = null; return; }
        var acts = a.Lora[(int)target] ??= new LoraActs();
        acts.Mask = null;
        acts.Xd = x;
        if (training && Dropout > 0)
        {
            var rng = DropoutRng ?? throw new InvalidOperationException("dropout needs an RNG");
            T keep = T.CreateTruncating(1 / (1 - Dropout));
            acts.Mask = new T[x.Length];
            acts.Xd = new T[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                acts.Mask[i] = rng.NextDouble() < Dropout ? T.Zero : keep;
                acts.Xd[i] = x[i] * acts.Mask[i];
            }
        }

        acts.U = new T[n * p.Rank];
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
