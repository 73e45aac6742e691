using System.Numerics.Tensors;
using Groundwork.Numerics;

namespace Groundwork.Models.Transformers;

/// <summary>
/// One conversation over a <see cref="LlamaModel"/>: owns its KV cache and scratch buffers (allocated once) and the
/// tokens it has processed. <see cref="Forward"/> decodes one token; <see cref="Prefill(ReadOnlySpan{int})"/> runs a
/// prompt through each layer as matrix–matrix work. Not thread-safe; use one session per thread (the model is shared).
/// </summary>
public sealed class InferenceSession
{
    /// <summary>Prompt tokens processed per batched chunk (bounds the batch scratch).</summary>
    private const int MaxBatch = 128;

    /// <summary>Cached positions × query width above which one token's attention heads run in parallel.</summary>
    private const long ParallelAttentionWork = 1 << 17;

    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly LlamaWeights _w;
    private readonly int _ctx;
    private readonly float _attnScale;

    // KV cache, per layer: [ctx positions][kvHeads * headDim], float32.
    private readonly float[][] _kCache;
    private readonly float[][] _vCache;
    private readonly int[] _tokens;        // [ctx] tokens at each cached position

    // Decode scratch (one token).
    private readonly float[] _x;           // [dim] residual stream
    private readonly float[] _xn;          // [dim] normalised input of a sub-layer
    private readonly float[] _q;           // [heads * headDim]
    private readonly float[] _attOut;      // [heads * headDim] attention output before Wo
    private readonly float[] _proj;        // [dim] sub-layer output added to the residual
    private readonly float[] _gate;        // [ff]
    private readonly float[] _up;          // [ff]
    private readonly float[] _scores;      // [heads][ctx] attention weights, one row per head
    private readonly float[] _logits;      // [vocab]
    private readonly PreparedActivations _prep = new(); // [n, dim] normalised input, 8-bit-rounded once for q/k/v and gate/up

    // Batch scratch for Prefill, allocated on first use: [MaxBatch][...].
    private float[]? _bx;                  // [B, dim]
    private float[]? _bxn;                 // [B, dim]
    private float[]? _bq;                  // [B, heads * headDim]
    private float[]? _bAttOut;             // [B, heads * headDim]
    private float[]? _bproj;               // [B, dim]
    private float[]? _bgate;               // [B, ff]
    private float[]? _bup;                 // [B, ff]

    private readonly Action<int> _attendDecodeHead; // cached delegate: no allocation per call
    private int _decodeLayer, _decodePos;

    internal InferenceSession(LlamaModel model, int contextLength)
    {
        _attendDecodeHead = h => AttendHead(_decodeLayer, h, _q, _attOut, _decodePos, _scores.AsSpan(h * _ctx, _ctx));
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        _model = model;
        _c = model.Config;
        _w = model.Weights;
        _ctx = contextLength;
        _attnScale = 1f / MathF.Sqrt(_c.HeadDim);
        _kCache = new float[_c.LayerCount][];
        _vCache = new float[_c.LayerCount][];
        long cacheLen = (long)contextLength * _c.KvDim;
        if (cacheLen > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "the KV cache of one layer would exceed the largest array");
        for (int l = 0; l < _c.LayerCount; l++)
        {
            _kCache[l] = new float[cacheLen];
            _vCache[l] = new float[cacheLen];
        }

        _tokens = new int[contextLength];
        _x = new float[_c.EmbeddingLength];
        _xn = new float[_c.EmbeddingLength];
        _q = new float[_c.QueryDim];
        _attOut = new float[_c.QueryDim];
        _proj = new float[_c.EmbeddingLength];
        _gate = new float[_c.FeedForwardLength];
        _up = new float[_c.FeedForwardLength];
        _scores = new float[(long)_c.HeadCount * contextLength];
        _logits = new float[_c.VocabSize];
    }

    /// <summary>The model this session runs.</summary>
    public LlamaModel Model => _model;

    /// <summary>The next position to be written (= number of tokens in the KV cache).</summary>
    public int Position { get; private set; }

    /// <summary>The KV-cache capacity in positions.</summary>
    public int ContextLength => _ctx;

    /// <summary>The tokens in the KV cache, in order (length <see cref="Position"/>).</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Position);

    /// <summary>The logits produced by the last <see cref="Forward"/> or <see cref="Prefill(ReadOnlySpan{int})"/>.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>
    /// An optional adapter (e.g. LoRA) added to this session's projections; the base weights stay shared and unmerged.
    /// Set it before processing tokens (changing it invalidates the KV cache: call <see cref="Reset"/>).
    /// </summary>
    public IProjectionAdapter? Adapter { get; set; }

    /// <summary>Forgets every cached token.</summary>
    public void Reset() => Position = 0;

    /// <summary>Keeps the first <paramref name="position"/> cached tokens (e.g. a shared prompt prefix) and forgets the rest.</summary>
    public void Truncate(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, Position);
        Position = position;
    }

    /// <summary>Decodes <paramref name="token"/> at <see cref="Position"/> and returns the next-token logits [vocab]. Allocates nothing.</summary>
    public ReadOnlySpan<float> Forward(int token)
    {
        CheckToken(token);
        if (Position >= _ctx) throw new InvalidOperationException($"the context is full ({_ctx} tokens)");
        int pos = Position;
        EmbeddingForward(token, _x);
        for (int l = 0; l < _c.LayerCount; l++)
        {
            var layer = _w.Layers[l];
            RmsNormForward(_x, layer.AttnNorm.Span, _xn);
            AttentionForward(l, _xn, _proj, pos);
            TensorPrimitives.Add(_x, _proj, _x);
            RmsNormForward(_x, layer.FfnNorm.Span, _xn);
            FeedForwardForward(layer, _xn, _proj);
            TensorPrimitives.Add(_x, _proj, _x);
        }

        RmsNormForward(_x, _w.OutputNorm.Span, _xn);
        OutputForward(_xn, _logits);
        _tokens[pos] = token;
        Position = pos + 1;
        return _logits;
    }

    /// <summary>
    /// Processes prompt tokens at positions <see cref="Position"/>.. in batches (each layer as matrix–matrix products,
    /// causal attention) and returns the logits after the last token.
    /// </summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        PrefillCore(tokens, []);
        return _logits;
    }

    /// <summary>
    /// Like <see cref="Prefill(ReadOnlySpan{int})"/>, and writes the logits of every position into
    /// <paramref name="allLogits"/> [tokens.Length, vocab] (for scoring and perplexity).
    /// </summary>
    public void Prefill(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        if (allLogits.Length < (long)tokens.Length * _c.VocabSize)
            throw new ArgumentException($"allLogits needs {tokens.Length} × {_c.VocabSize} floats", nameof(allLogits));
        PrefillCore(tokens, allLogits);
    }

    /// <summary>
    /// Processes <paramref name="tokens"/> like <see cref="Prefill(ReadOnlySpan{int})"/> but, instead of logits, writes
    /// the final hidden state of every position after the output norm into <paramref name="hidden"/>
    /// [tokens.Length, dim]: what decoder models used as embedders pool (llama.cpp's <c>result_norm</c>). The output
    /// projection is skipped. <see cref="Logits"/> is left unchanged.
    /// </summary>
    public void PrefillHiddenStates(ReadOnlySpan<int> tokens, Span<float> hidden)
    {
        int dim = _c.EmbeddingLength;
        if (hidden.Length < (long)tokens.Length * dim)
            throw new ArgumentException($"hidden needs {tokens.Length} × {dim} floats", nameof(hidden));
        PrefillCore(tokens, [], hidden);
    }

    private void PrefillCore(ReadOnlySpan<int> tokens, Span<float> allLogits, Span<float> hidden = default)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to prefill", nameof(tokens));
        foreach (var t in tokens) CheckToken(t);
        if (Position + tokens.Length > _ctx)
            throw new InvalidOperationException($"the prompt ({tokens.Length} tokens after {Position}) does not fit the context ({_ctx} tokens)");
        EnsureBatchScratch();
        int vocab = _c.VocabSize;
        for (int start = 0; start < tokens.Length; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, tokens.Length - start);
            var chunk = tokens.Slice(start, n);
            bool last = start + n == tokens.Length;
            var logits = allLogits.IsEmpty ? default : allLogits.Slice(start * vocab, n * vocab);
            var states = hidden.IsEmpty ? default : hidden.Slice(start * _c.EmbeddingLength, n * _c.EmbeddingLength);
            PrefillChunk(chunk, logits, states, last);
        }
    }

    private void PrefillChunk(ReadOnlySpan<int> tokens, Span<float> allLogits, Span<float> hidden, bool last)
    {
        int n = tokens.Length, dim = _c.EmbeddingLength, pos0 = Position;
        var x = _bx.AsSpan(0, n * dim);
        var xn = _bxn.AsSpan(0, n * dim);
        var proj = _bproj.AsSpan(0, n * dim);
        for (int i = 0; i < n; i++) EmbeddingForward(tokens[i], x.Slice(i * dim, dim));
        for (int l = 0; l < _c.LayerCount; l++)
        {
            var layer = _w.Layers[l];
            RmsNormForward(x, layer.AttnNorm.Span, xn, n);
            AttentionForwardBatch(l, xn, proj, pos0, n);
            TensorPrimitives.Add(x, proj, x);
            RmsNormForward(x, layer.FfnNorm.Span, xn, n);
            FeedForwardForwardBatch(layer, xn, proj, n);
            TensorPrimitives.Add(x, proj, x);
        }

        tokens.CopyTo(_tokens.AsSpan(pos0));
        Position = pos0 + n;
        if (!hidden.IsEmpty)
        {
            RmsNormForward(x, _w.OutputNorm.Span, hidden, n);
        }
        else if (!allLogits.IsEmpty)
        {
            RmsNormForward(x, _w.OutputNorm.Span, xn, n);
            _w.Output.MatMulBatch(xn, allLogits, n);
            if (last) allLogits.Slice((n - 1) * _c.VocabSize, _c.VocabSize).CopyTo(_logits);
        }
        else if (last)
        {
            var xLast = x.Slice((n - 1) * dim, dim);
            RmsNormForward(xLast, _w.OutputNorm.Span, _xn);
            OutputForward(_xn, _logits);
        }
    }

    // ---- layers (each has a mirroring *Backward in the LoRA trainer) ----

    /// <summary>x[dim] = dequantized row <paramref name="token"/> of token_embd.</summary>
    internal void EmbeddingForward(int token, Span<float> x) => _w.TokenEmbedding.DequantizeRow(token, x);

    /// <summary>y[dim] = RMSNorm(x[dim]) ⊙ weight.</summary>
    internal void RmsNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y)
        => Kernels.RmsNorm(x, weight, _c.RmsEpsilon, y);

    /// <summary>y[n, dim] = RMSNorm of each row of x[n, dim].</summary>
    internal void RmsNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int n)
    {
        int dim = _c.EmbeddingLength;
        for (int i = 0; i < n; i++)
            Kernels.RmsNorm(x.Slice(i * dim, dim), weight, _c.RmsEpsilon, y.Slice(i * dim, dim));
    }

    /// <summary>
    /// Self-attention of one token at <paramref name="pos"/>: q/k/v projections (+ biases), RoPE, the new k/v written
    /// into the cache, grouped-query causal attention over positions 0..pos, then Wo. xn[dim] → output[dim].
    /// </summary>
    internal void AttentionForward(int layerIndex, ReadOnlySpan<float> xn, Span<float> output, int pos)
    {
        var layer = _w.Layers[layerIndex];
        int kvDim = _c.KvDim;
        var k = _kCache[layerIndex].AsSpan(pos * kvDim, kvDim); // written in place: [kvDim] at pos
        var v = _vCache[layerIndex].AsSpan(pos * kvDim, kvDim);
        _prep.Load(xn);
        layer.Wq.MatVec(_prep, _q);
        layer.Wk.MatVec(_prep, k);
        layer.Wv.MatVec(_prep, v);
        Adapt(layerIndex, AdaptedProjection.Query, xn, _q, 1);
        Adapt(layerIndex, AdaptedProjection.Key, xn, k, 1);
        Adapt(layerIndex, AdaptedProjection.Value, xn, v, 1);
        if (layer.Bq.IsPresent)
        {
            TensorPrimitives.Add(_q, layer.Bq.Span, _q);
            TensorPrimitives.Add(k, layer.Bk.Span, k);
            TensorPrimitives.Add(v, layer.Bv.Span, v);
        }

        RopeForward(_q, _c.HeadCount, pos);
        RopeForward(k, _c.KvHeadCount, pos);
        if ((long)(pos + 1) * _c.QueryDim >= ParallelAttentionWork && MatMul.Threads > 1)
        {
            // Long context: heads in parallel (Parallel.For allocates a little; below the threshold nothing is allocated).
            _decodeLayer = layerIndex;
            _decodePos = pos;
            Parallel.For(0, _c.HeadCount, _attendDecodeHead);
        }
        else
        {
            for (int h = 0; h < _c.HeadCount; h++) AttendHead(layerIndex, h, _q, _attOut, pos, _scores.AsSpan(h * _ctx, _ctx));
        }

        layer.Wo.MatVec(_attOut, output);
        Adapt(layerIndex, AdaptedProjection.Output, _attOut, output, 1);
    }

    /// <summary>Batched <see cref="AttentionForward"/> for n tokens at positions pos0..pos0+n-1: xn[n, dim] → output[n, dim].</summary>
    internal void AttentionForwardBatch(int layerIndex, ReadOnlySpan<float> xn, Span<float> output, int pos0, int n)
    {
        var layer = _w.Layers[layerIndex];
        int kvDim = _c.KvDim, qDim = _c.QueryDim;
        var q = _bq.AsSpan(0, n * qDim);
        var k = _kCache[layerIndex].AsSpan(pos0 * kvDim, n * kvDim); // rows pos0.. of the cache, written in place
        var v = _vCache[layerIndex].AsSpan(pos0 * kvDim, n * kvDim);
        _prep.Load(xn, n);
        layer.Wq.MatMulBatch(_prep, q);
        layer.Wk.MatMulBatch(_prep, k);
        layer.Wv.MatMulBatch(_prep, v);
        Adapt(layerIndex, AdaptedProjection.Query, xn, q, n);
        Adapt(layerIndex, AdaptedProjection.Key, xn, k, n);
        Adapt(layerIndex, AdaptedProjection.Value, xn, v, n);
        for (int i = 0; i < n; i++)
        {
            var qi = q.Slice(i * qDim, qDim);
            var ki = k.Slice(i * kvDim, kvDim);
            if (layer.Bq.IsPresent)
            {
                TensorPrimitives.Add(qi, layer.Bq.Span, qi);
                TensorPrimitives.Add(ki, layer.Bk.Span, ki);
                var vi = v.Slice(i * kvDim, kvDim);
                TensorPrimitives.Add(vi, layer.Bv.Span, vi);
            }

            RopeForward(qi, _c.HeadCount, pos0 + i);
            RopeForward(ki, _c.KvHeadCount, pos0 + i);
        }

        // Heads are independent; each uses its own row of _scores.
        long work = (long)n * (pos0 + n) * _c.HeadCount * _c.HeadDim;
        if (work >= 1 << 18 && MatMul.Threads > 1)
        {
            Parallel.For(0, _c.HeadCount, h => AttendHeadBatch(layerIndex, h, pos0, n));
        }
        else
        {
            for (int h = 0; h < _c.HeadCount; h++) AttendHeadBatch(layerIndex, h, pos0, n);
        }

        layer.Wo.MatMulBatch(_bAttOut.AsSpan(0, n * qDim), output, n);
        Adapt(layerIndex, AdaptedProjection.Output, _bAttOut.AsSpan(0, n * qDim), output, n);
    }

    /// <summary>Rotates the heads of one token's q or k [heads * headDim] in place for <paramref name="pos"/>.</summary>
    internal void RopeForward(Span<float> heads, int headCount, int pos)
    {
        if (_w.RopeFreqs.IsPresent)
            RopeWithFactors.Apply(heads, headCount, _c.HeadDim, pos, _c.RopeFreqBase, _c.RopeFreqScale, _w.RopeFreqs.Span, _c.Rope);
        else
            Kernels.Rope(heads, headCount, _c.HeadDim, pos, _c.RopeFreqBase, _c.RopeFreqScale, _c.Rope);
    }

    private void AttendHeadBatch(int layerIndex, int h, int pos0, int n)
    {
        int qDim = _c.QueryDim;
        var scores = _scores.AsSpan(h * _ctx, _ctx);
        for (int i = 0; i < n; i++)
            AttendHead(layerIndex, h, _bq.AsSpan(i * qDim, qDim), _bAttOut.AsSpan(i * qDim, qDim), pos0 + i, scores);
    }

    /// <summary>
    /// Head h of a query at <paramref name="pos"/>: scores[t] = q_h·k_t/√d over t = 0..pos (causal), stable softmax,
    /// out_h = Σ scores[t]·v_t. Heads share a KV head in groups of heads/kvHeads (GQA).
    /// </summary>
    private void AttendHead(int layerIndex, int h, ReadOnlySpan<float> q, Span<float> attOut, int pos, Span<float> scores)
    {
        int hd = _c.HeadDim, kvDim = _c.KvDim;
        int kvOffset = h / (_c.HeadCount / _c.KvHeadCount) * hd;
        var qh = q.Slice(h * hd, hd);
        var oh = attOut.Slice(h * hd, hd);
        var kc = _kCache[layerIndex].AsSpan(kvOffset, pos * kvDim + hd);
        var vc = _vCache[layerIndex].AsSpan(kvOffset, pos * kvDim + hd);
        unsafe
        {
            fixed (float* qp = qh, op = oh, kp = kc, vp = vc)
                AttentionKernel.Attend(qp, kp, vp, kvDim, pos + 1, hd, _attnScale, scores, op);
        }
    }

    /// <summary>SwiGLU feed-forward: output[dim] = Down(SiLU(Gate·xn) ⊙ (Up·xn)).</summary>
    internal void FeedForwardForward(LlamaLayerWeights layer, ReadOnlySpan<float> xn, Span<float> output)
    {
        _prep.Load(xn);
        layer.Gate.MatVec(_prep, _gate);
        layer.Up.MatVec(_prep, _up);
        Adapt(layer.Index, AdaptedProjection.Gate, xn, _gate, 1);
        Adapt(layer.Index, AdaptedProjection.Up, xn, _up, 1);
        Kernels.SwiGlu(_gate, _up, _gate);
        layer.Down.MatVec(_gate, output);
        Adapt(layer.Index, AdaptedProjection.Down, _gate, output, 1);
    }

    /// <summary>Batched <see cref="FeedForwardForward"/>: xn[n, dim] → output[n, dim].</summary>
    internal void FeedForwardForwardBatch(LlamaLayerWeights layer, ReadOnlySpan<float> xn, Span<float> output, int n)
    {
        var gate = _bgate.AsSpan(0, n * _c.FeedForwardLength);
        var up = _bup.AsSpan(0, n * _c.FeedForwardLength);
        _prep.Load(xn, n);
        layer.Gate.MatMulBatch(_prep, gate);
        layer.Up.MatMulBatch(_prep, up);
        Adapt(layer.Index, AdaptedProjection.Gate, xn, gate, n);
        Adapt(layer.Index, AdaptedProjection.Up, xn, up, n);
        Kernels.SwiGlu(gate, up, gate);
        layer.Down.MatMulBatch(gate, output, n);
        Adapt(layer.Index, AdaptedProjection.Down, gate, output, n);
    }

    /// <summary>logits[vocab] = Output · xn[dim] (xn already passed through the final norm).</summary>
    internal void OutputForward(ReadOnlySpan<float> xn, Span<float> logits) => _w.Output.MatVec(xn, logits);

    /// <summary>y += the adapter's delta for this projection, when a session adapter adapts it.</summary>
    private void Adapt(int layer, AdaptedProjection projection, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        if (Adapter is { } a && a.Adapts(layer, projection)) a.Apply(layer, projection, x, y, n);
    }

    private void EnsureBatchScratch()
    {
        if (_bx is not null) return;
        int b = Math.Min(MaxBatch, _ctx);
        _bx = new float[b * _c.EmbeddingLength];
        _bxn = new float[b * _c.EmbeddingLength];
        _bproj = new float[b * _c.EmbeddingLength];
        _bq = new float[b * _c.QueryDim];
        _bAttOut = new float[b * _c.QueryDim];
        _bgate = new float[b * _c.FeedForwardLength];
        _bup = new float[b * _c.FeedForwardLength];
    }

    private void CheckToken(int token)
    {
        if ((uint)token >= (uint)_c.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary 0..{_c.VocabSize - 1}");
    }
}
