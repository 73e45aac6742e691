using System.Numerics.Tensors;
using Groundwork.Numerics;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Embeddings;

/// <summary>
/// The scratch of one BERT forward pass over a batch. Sequences are packed back to back (no padding rows): every matrix
/// product runs over all real tokens of the batch at once, and attention only looks inside each sequence's own span,
/// which is what a padded batch with an attention mask computes, without the wasted rows. Not thread-safe: one per caller.
/// </summary>
internal sealed class BertEncoder
{
    private const float GeluCoefA = 0.044715f;
    private const float Sqrt2OverPi = 0.7978845608028654f;

    /// <summary>Tokens per matrix product (see <see cref="Product"/>); overridable for the benchmark.</summary>
    internal static int TokenBlock { get; set; } = 64;

    private readonly BertWeights _w;
    private readonly BertConfig _c;
    private readonly PreparedActivations _prep = new();
    private float[] _x = [];      // [n, dim] hidden states
    private float[] _q = [];      // [n, dim]
    private float[] _k = [];      // [n, dim]
    private float[] _v = [];      // [n, dim]
    private float[] _att = [];    // [n, dim] attention output before wo
    private float[] _tmp = [];    // [n, dim]
    private float[] _ff = [];     // [n, ff]
    private float[] _gate = [];   // [n, ff] SwiGLU gate (nomic-bert)
    private float[] _row = [];    // [dim] dequantized embedding row
    private int[] _starts = [];   // [batch + 1] token offset of each sequence

    public BertEncoder(BertWeights weights, BertConfig config)
    {
        _w = weights;
        _c = config;
    }

    /// <summary>
    /// Embeds <paramref name="sequences"/> (token ids, already truncated) into <paramref name="output"/>[count, dim],
    /// pooled as <paramref name="pooling"/> and L2-normalised when <paramref name="normalize"/>.
    /// </summary>
    public void Encode(IReadOnlyList<int[]> sequences, EmbeddingPooling pooling, bool normalize, Span<float> output)
    {
        int b = sequences.Count, dim = _c.EmbeddingLength, ff = _c.FeedForwardLength;
        if (b == 0) return;
        if (_starts.Length < b + 1) _starts = new int[b + 1];
        int n = 0;
        for (int s = 0; s < b; s++)
        {
            var len = sequences[s].Length;
            if (len == 0) throw new ArgumentException($"sequence {s} has no tokens", nameof(sequences));
            if (len > _c.ContextLength) throw new ArgumentException($"sequence {s} has {len} tokens; the model takes at most {_c.ContextLength}", nameof(sequences));
            _starts[s] = n;
            n += len;
        }
        _starts[b] = n;
        Grow(ref _x, n * dim); Grow(ref _q, n * dim); Grow(ref _k, n * dim); Grow(ref _v, n * dim);
        Grow(ref _att, n * dim); Grow(ref _tmp, n * dim); Grow(ref _ff, n * ff); Grow(ref _row, dim);

        EmbedTokens(sequences, n);
        foreach (var layer in _w.Layers) LayerForward(layer, b, n);
        Pool(b, pooling, normalize, output);
    }

    /// <summary>x = LayerNorm(token + type[0] + position) for every packed token (no position term with rotary positions).</summary>
    private void EmbedTokens(IReadOnlyList<int[]> sequences, int n)
    {
        int dim = _c.EmbeddingLength;
        var row = _row.AsSpan(0, dim);
        for (int s = 0; s < sequences.Count; s++)
        {
            var ids = sequences[s];
            for (int i = 0; i < ids.Length; i++)
            {
                int id = ids[i];
                if ((uint)id >= (uint)_c.VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary of {_c.VocabSize}", nameof(sequences));
                var x = _x.AsSpan((_starts[s] + i) * dim, dim);
                Dequantize(_w.TokenEmbedding, id, x);
                if (_w.PositionEmbedding is { } positions)
                {
                    Dequantize(positions, i, row);
                    TensorPrimitives.Add(x, row, x);
                }
                if (_w.TokenTypes is { } types)
                {
                    Dequantize(types, 0, row);
                    TensorPrimitives.Add(x, row, x);
                }
            }
        }
        for (int t = 0; t < n; t++)
        {
            var x = _x.AsSpan(t * dim, dim);
            LayerNorm(x, _w.EmbedNormW.Span, _w.EmbedNormB.Span, _c.LayerNormEpsilon, x);
        }
    }

    private static void Dequantize(in QuantizedMatrix m, int row, Span<float> dst) => QuantizedOps.Dequantize(m.Type, m.Row(row), dst[..m.Cols]);

    private void LayerForward(BertLayerWeights l, int b, int n)
    {
        int dim = _c.EmbeddingLength, ff = _c.FeedForwardLength;
        var x = _x.AsSpan(0, n * dim);
        var tmp = _tmp.AsSpan(0, n * dim);

        // q, k, v = x·Wᵀ + b (one preparation of each token block shared by the three products)
        for (int t0 = 0; t0 < n; t0 += TokenBlock)
        {
            int cnt = Math.Min(TokenBlock, n - t0);
            _prep.Load(x.Slice(t0 * dim, cnt * dim), cnt);
            MatMul.MatMulBatch(l.Wq, _prep, _q.AsSpan(t0 * dim, cnt * dim));
            MatMul.MatMulBatch(l.Wk, _prep, _k.AsSpan(t0 * dim, cnt * dim));
            MatMul.MatMulBatch(l.Wv, _prep, _v.AsSpan(t0 * dim, cnt * dim));
        }
        AddBias(_q.AsSpan(0, n * dim), l.Bq, n);
        AddBias(_k.AsSpan(0, n * dim), l.Bk, n);
        AddBias(_v.AsSpan(0, n * dim), l.Bv, n);
        if (_c.UsesRope) RotatePositions(b);

        Attention(b);

        // x = LayerNorm(att·Woᵀ + bo + x)
        Product(l.Wo, _att.AsSpan(0, n * dim), tmp, n);
        AddBias(tmp, l.Bo, n);
        TensorPrimitives.Add(tmp, x, tmp);
        for (int t = 0; t < n; t++)
            LayerNorm(tmp.Slice(t * dim, dim), l.AttnNormW.Span, l.AttnNormB.Span, _c.LayerNormEpsilon, x.Slice(t * dim, dim));

        // x = LayerNorm(GELU(x·Upᵀ + bu)·Downᵀ + bd + x), or with a gate (nomic-bert) LayerNorm((SiLU(x·Gateᵀ) ⊙ x·Upᵀ)·Downᵀ + x)
        var h = _ff.AsSpan(0, n * ff);
        Product(l.Up, x, h, n);
        AddBias(h, l.UpB, n);
        if (l.Gate is { } gate)
        {
            Grow(ref _gate, n * ff);
            var g = _gate.AsSpan(0, n * ff);
            Product(gate, x, g, n);
            Kernels.SwiGlu(g, h, h);
        }
        else
        {
            Gelu(h);
        }
        Product(l.Down, h, tmp, n);
        AddBias(tmp, l.DownB, n);
        TensorPrimitives.Add(tmp, x, tmp);
        for (int t = 0; t < n; t++)
            LayerNorm(tmp.Slice(t * dim, dim), l.OutNormW.Span, l.OutNormB.Span, _c.LayerNormEpsilon, x.Slice(t * dim, dim));
    }

    /// <summary>RoPE (NeoX pairing, every head dimension) on q and k, positions counted from 0 within each sequence.</summary>
    private void RotatePositions(int b)
    {
        int dim = _c.EmbeddingLength;
        for (int s = 0; s < b; s++)
        {
            for (int t = _starts[s]; t < _starts[s + 1]; t++)
            {
                int pos = t - _starts[s];
                Kernels.Rope(_q.AsSpan(t * dim, dim), _c.HeadCount, _c.HeadDim, pos, _c.RopeFreqBase, 1f, RopeLayout.NeoX);
                Kernels.Rope(_k.AsSpan(t * dim, dim), _c.HeadCount, _c.HeadDim, pos, _c.RopeFreqBase, 1f, RopeLayout.NeoX);
            }
        }
    }

    /// <summary>
    /// y[n, Rows] = x[n, Cols]·Wᵀ in blocks of <see cref="TokenBlock"/> tokens: the batched kernel streams every
    /// activation per weight row, so a block keeps the activations (and the rows of y being written) cache-resident.
    /// </summary>
    private void Product(in QuantizedMatrix w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        for (int t0 = 0; t0 < n; t0 += TokenBlock)
        {
            int cnt = Math.Min(TokenBlock, n - t0);
            _prep.Load(x.Slice(t0 * w.Cols, cnt * w.Cols), cnt);
            MatMul.MatMulBatch(w, _prep, y.Slice(t0 * w.Rows, cnt * w.Rows));
        }
    }

    /// <summary>Bidirectional attention of every head, each query seeing only the keys of its own sequence.</summary>
    private void Attention(int b)
    {
        int heads = _c.HeadCount;
        int jobs = b * heads;
        int threads = Math.Min(MatMul.Threads, jobs);
        int maxLen = MaxLength(b);
        if (threads <= 1)
        {
            var scratch = new HeadScratch(maxLen, _c.HeadDim);
            for (int j = 0; j < jobs; j++) AttendHead(j / heads, j % heads, scratch);
            return;
        }
        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new HeadScratch(maxLen, _c.HeadDim),
            (j, _, scratch) => { AttendHead(j / heads, j % heads, scratch); return scratch; },
            _ => { });
    }

    private int MaxLength(int b)
    {
        int max = 0;
        for (int s = 0; s < b; s++) max = Math.Max(max, _starts[s + 1] - _starts[s]);
        return max;
    }

    /// <summary>Per-worker buffers of one head's attention: keys and values transposed to [headDim, len], scores [len].</summary>
    private sealed class HeadScratch(int maxLen, int headDim)
    {
        public readonly float[] KT = new float[headDim * maxLen]; // [headDim][len]
        public readonly float[] VT = new float[headDim * maxLen]; // [headDim][len]
        public readonly float[] Scores = new float[maxLen];       // [len]
    }

    private void AttendHead(int s, int h, HeadScratch scratch)
    {
        int dim = _c.EmbeddingLength, hd = _c.HeadDim;
        int start = _starts[s], len = _starts[s + 1] - start;
        float scale = 1f / MathF.Sqrt(hd);
        // Transposed copies make every inner operation a length-len vector op instead of many length-hd ones.
        var kt = scratch.KT.AsSpan(0, hd * len);
        var vt = scratch.VT.AsSpan(0, hd * len);
        for (int j = 0; j < len; j++)
        {
            int row = (start + j) * dim + h * hd;
            for (int c = 0; c < hd; c++)
            {
                kt[c * len + j] = _k[row + c];
                vt[c * len + j] = _v[row + c];
            }
        }
        var scores = scratch.Scores.AsSpan(0, len);
        for (int i = 0; i < len; i++)
        {
            var q = new ReadOnlySpan<float>(_q, (start + i) * dim + h * hd, hd);
            scores.Clear();
            for (int c = 0; c < hd; c++)
                TensorPrimitives.MultiplyAdd(kt.Slice(c * len, len), q[c] * scale, scores, scores);
            Kernels.SoftmaxInPlace(scores);
            var o = new Span<float>(_att, (start + i) * dim + h * hd, hd);
            for (int c = 0; c < hd; c++) o[c] = TensorPrimitives.Dot(scores, vt.Slice(c * len, len));
        }
    }

    private void Pool(int b, EmbeddingPooling pooling, bool normalize, Span<float> output)
    {
        int dim = _c.EmbeddingLength;
        if (pooling == EmbeddingPooling.Rank)
        {
            Rank(b, output);
            return;
        }
        for (int s = 0; s < b; s++)
        {
            int start = _starts[s], len = _starts[s + 1] - start;
            LocalEmbeddingModel.Pool(_x.AsSpan(start * dim, len * dim), len, pooling, normalize, output.Slice(s * dim, dim));
        }
    }

    /// <summary>
    /// Reranking head on each sequence's [CLS] state, as llama.cpp's rank pooling: h = tanh(Cls·x + b) when the model
    /// has the dense layer, then scores = ClsOut·h + b → <paramref name="output"/>[b, outputs].
    /// </summary>
    private void Rank(int b, Span<float> output)
    {
        int dim = _c.EmbeddingLength, outputs = _c.ClassifierOutputs;
        var cls = _tmp.AsSpan(0, dim);
        var h = _row.AsSpan(0, dim);
        for (int s = 0; s < b; s++)
        {
            _x.AsSpan(_starts[s] * dim, dim).CopyTo(cls);
            if (_w.ClsDense is { } dense)
            {
                MatMul.MatVec(dense, cls, h);
                AddBias(h, _w.ClsDenseB, 1);
                TensorPrimitives.Tanh(h, h);
            }
            else
            {
                cls.CopyTo(h);
            }
            var scores = output.Slice(s * outputs, outputs);
            MatMul.MatVec(_w.ClsOut!.Value, h, scores);
            AddBias(scores, _w.ClsOutB, 1);
        }
    }

    private static unsafe void AddBias(Span<float> y, BertVector bias, int n)
    {
        if (!bias.IsPresent) return;
        var b = bias.Span;
        for (int t = 0; t < n; t++)
        {
            var row = y.Slice(t * b.Length, b.Length);
            TensorPrimitives.Add(row, b, row);
        }
    }

    /// <summary>y = (x − mean) / sqrt(var + eps) · w + b, as ggml_norm followed by the affine weights.</summary>
    internal static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, float eps, Span<float> y)
    {
        float mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);
        float variance = TensorPrimitives.SumOfSquares(y) / x.Length;
        TensorPrimitives.Multiply(y, 1f / MathF.Sqrt(variance + eps), y);
        TensorPrimitives.Multiply(y, w, y);
        TensorPrimitives.Add(y, b, y);
    }

    /// <summary>GELU, tanh approximation (ggml_gelu, which llama.cpp's BERT graph uses), in place.</summary>
    internal static void Gelu(Span<float> x)
    {
        Span<float> t = stackalloc float[512];
        for (int off = 0; off < x.Length; off += t.Length)
        {
            var xs = x.Slice(off, Math.Min(t.Length, x.Length - off));
            var ts = t[..xs.Length];
            TensorPrimitives.Multiply(xs, xs, ts);                // x²
            TensorPrimitives.Multiply(ts, GeluCoefA, ts);
            TensorPrimitives.Add(ts, 1f, ts);                    // 1 + a·x²
            TensorPrimitives.Multiply(ts, xs, ts);                // x + a·x³
            TensorPrimitives.Multiply(ts, Sqrt2OverPi, ts);
            TensorPrimitives.Tanh(ts, ts);
            TensorPrimitives.Add(ts, 1f, ts);
            TensorPrimitives.Multiply(ts, xs, ts);
            TensorPrimitives.Multiply(ts, 0.5f, xs);
        }
    }

    private static void Grow(ref float[] a, int n)
    {
        if (a.Length < n) a = new float[n];
    }
}
