using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Embeddings;

/// <summary>An F32 vector (norm weight or bias) inside the mapped file; absent optional biases have a null pointer.</summary>
internal readonly unsafe struct BertVector
{
    public readonly float* Data;
    public readonly int Length;

    public BertVector(float* data, int length)
    {
        Data = data;
        Length = length;
    }

    public bool IsPresent => Data != null;

    public ReadOnlySpan<float> Span => new(Data, Length);
}

/// <summary>One BERT block's weights (post-LayerNorm): views into the mapped file, immutable and shared.</summary>
internal sealed class BertLayerWeights
{
    public required QuantizedMatrix Wq { get; init; }       // [dim rows, dim cols] (rows 0..dim-1 of a fused attn_qkv)
    public BertVector Bq { get; init; }                     // [dim] (required for bert, absent in nomic-bert)
    public required QuantizedMatrix Wk { get; init; }       // [dim, dim]
    public BertVector Bk { get; init; }                     // [dim]
    public required QuantizedMatrix Wv { get; init; }       // [dim, dim]
    public BertVector Bv { get; init; }                     // [dim]
    public required QuantizedMatrix Wo { get; init; }       // [dim, dim]
    public BertVector Bo { get; init; }                     // [dim] (optional)
    public required BertVector AttnNormW { get; init; }     // [dim] attn_output_norm
    public required BertVector AttnNormB { get; init; }     // [dim]
    public QuantizedMatrix? Gate { get; init; }             // [ff, dim] SwiGLU gate (nomic-bert); null: GELU(up)
    public required QuantizedMatrix Up { get; init; }       // [ff, dim]
    public BertVector UpB { get; init; }                    // [ff] (optional)
    public required QuantizedMatrix Down { get; init; }     // [dim, ff]
    public BertVector DownB { get; init; }                  // [dim] (optional)
    public required BertVector OutNormW { get; init; }      // [dim] layer_output_norm
    public required BertVector OutNormB { get; init; }      // [dim]
}

/// <summary>All weights of a BERT encoder, bound by llama.cpp's tensor names with shape checks.</summary>
internal sealed unsafe class BertWeights
{
    public required QuantizedMatrix TokenEmbedding { get; init; }    // [vocab rows, dim cols]
    public QuantizedMatrix? PositionEmbedding { get; init; }         // [context rows, dim cols]; null with rotary positions
    public QuantizedMatrix? TokenTypes { get; init; }                // [types rows, dim cols]; row 0 ("sentence A") is added
    public required BertVector EmbedNormW { get; init; }             // [dim] token_embd_norm
    public required BertVector EmbedNormB { get; init; }             // [dim]
    public required BertLayerWeights[] Layers { get; init; }         // [layerCount]
    public QuantizedMatrix? ClsDense { get; init; }                  // [dim, dim] reranking head: tanh(W·cls + b)
    public BertVector ClsDenseB { get; init; }                       // [dim] (optional)
    public QuantizedMatrix? ClsOut { get; init; }                    // [outputs, dim] scores = W·h + b
    public BertVector ClsOutB { get; init; }                         // [outputs] (optional)

    public static BertWeights Bind(GgufFile file, BertConfig c)
    {
        int dim = c.EmbeddingLength, ff = c.FeedForwardLength;
        var layers = new BertLayerWeights[c.LayerCount];
        bool nomic = c.UsesRope;
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            QuantizedMatrix wq, wk, wv;
            BertVector bq, bk, bv;
            if (!file.TryGetTensor(p + "attn_q.weight", out _) && file.TryGetTensor(p + "attn_qkv.weight", out _))
            {
                // Fused [dim, 3·dim]: rows 0..dim-1 are q, then k, then v (llama.cpp's views of the fused product).
                var qkv = Matrix(file, p + "attn_qkv.weight", 3 * dim, dim);
                wq = RowRange(qkv, 0, dim);
                wk = RowRange(qkv, dim, dim);
                wv = RowRange(qkv, 2 * dim, dim);
                var b = Vector(file, p + "attn_qkv.bias", 3 * dim, required: false);
                bq = Slice(b, 0, dim);
                bk = Slice(b, dim, dim);
                bv = Slice(b, 2 * dim, dim);
            }
            else
            {
                wq = Matrix(file, p + "attn_q.weight", dim, dim);
                wk = Matrix(file, p + "attn_k.weight", dim, dim);
                wv = Matrix(file, p + "attn_v.weight", dim, dim);
                bq = Vector(file, p + "attn_q.bias", dim, required: !nomic);
                bk = Vector(file, p + "attn_k.bias", dim, required: !nomic);
                bv = Vector(file, p + "attn_v.bias", dim, required: !nomic);
            }
            layers[i] = new BertLayerWeights
            {
                Wq = wq, Bq = bq, Wk = wk, Bk = bk, Wv = wv, Bv = bv,
                Wo = Matrix(file, p + "attn_output.weight", dim, dim),
                Bo = Vector(file, p + "attn_output.bias", dim, required: false),
                AttnNormW = Vector(file, p + "attn_output_norm.weight", dim, required: true),
                AttnNormB = Vector(file, p + "attn_output_norm.bias", dim, required: true),
                Gate = nomic ? Matrix(file, p + "ffn_gate.weight", ff, dim) : null,
                Up = Matrix(file, p + "ffn_up.weight", ff, dim),
                // llama.cpp's nomic-bert graph uses no FFN biases even where a file has them.
                UpB = nomic ? default : Vector(file, p + "ffn_up.bias", ff, required: false),
                Down = Matrix(file, p + "ffn_down.weight", dim, ff),
                DownB = nomic ? default : Vector(file, p + "ffn_down.bias", dim, required: false),
                OutNormW = Vector(file, p + "layer_output_norm.weight", dim, required: true),
                OutNormB = Vector(file, p + "layer_output_norm.bias", dim, required: true),
            };
        }

        QuantizedMatrix? types = null;
        if (file.TryGetTensor("token_types.weight", out var tt))
            types = Matrix(file, "token_types.weight", checked((int)tt.RowCount), dim, rowsOnly: true);
        return new BertWeights
        {
            TokenEmbedding = Matrix(file, "token_embd.weight", c.VocabSize, dim, rowsOnly: true),
            PositionEmbedding = nomic ? null : Matrix(file, "position_embd.weight", c.ContextLength, dim, rowsOnly: true),
            TokenTypes = types,
            EmbedNormW = Vector(file, "token_embd_norm.weight", dim, required: true),
            EmbedNormB = Vector(file, "token_embd_norm.bias", dim, required: true),
            Layers = layers,
            ClsDense = file.TryGetTensor("cls.weight", out _) ? Matrix(file, "cls.weight", dim, dim) : null,
            ClsDenseB = Vector(file, "cls.bias", dim, required: false),
            ClsOut = c.ClassifierOutputs > 0 ? Matrix(file, "cls.output.weight", c.ClassifierOutputs, dim) : null,
            ClsOutB = c.ClassifierOutputs > 0 ? Vector(file, "cls.output.bias", c.ClassifierOutputs, required: false) : default,
        };
    }

    /// <summary>A 2-D weight of <paramref name="rows"/> × <paramref name="cols"/>; rowsOnly: only dequantized row by row.</summary>
    private static QuantizedMatrix Matrix(GgufFile file, string name, int rows, int cols, bool rowsOnly = false)
    {
        if (!file.TryGetTensor(name, out var t))
            throw new GgufException($"{file.FileName}: tensor '{name}' not found (required for a BERT encoder)");
        if (t.Dimensions.Length != 2 || t.Dimensions[0] != cols || t.Dimensions[1] != rows)
            throw new GgufException($"{file.FileName}: tensor '{name}' has shape [{string.Join(", ", t.Dimensions)}], expected [{cols}, {rows}]");
        if (rowsOnly ? GgmlTypeInfo(t.Type) : !QuantizedOps.CanMultiply(t.Type))
            throw new GgufException($"{file.FileName}: tensor '{name}' has type {t.Type}, which the kernels do not support");
        return new QuantizedMatrix(t.Type, file.GetTensorPointer(t), rows, cols);
    }

    /// <summary>Rows [start, start + count) of <paramref name="m"/> as a matrix of their own (rows are whole blocks).</summary>
    private static QuantizedMatrix RowRange(in QuantizedMatrix m, int start, int count) => new(m.Type, m.Data + start * m.RowBytes, count, m.Cols);

    private static BertVector Slice(BertVector v, int start, int length) => v.IsPresent ? new BertVector(v.Data + start, length) : default;

    // Row lookups dequantize; every type the matrix kernels multiply can also be dequantized.
    private static bool GgmlTypeInfo(GgmlType type) => !QuantizedOps.CanMultiply(type) && type != GgmlType.F32;

    private static BertVector Vector(GgufFile file, string name, int length, bool required)
    {
        if (!file.TryGetTensor(name, out var t))
        {
            if (required) throw new GgufException($"{file.FileName}: tensor '{name}' not found (required for a BERT encoder)");
            return default;
        }
        if (t.ElementCount != length || t.Dimensions.Length != 1)
            throw new GgufException($"{file.FileName}: tensor '{name}' has shape [{string.Join(", ", t.Dimensions)}], expected [{length}]");
        if (t.Type != GgmlType.F32)
            throw new GgufException($"{file.FileName}: tensor '{name}' has type {t.Type}, expected F32");
        return new BertVector((float*)file.GetTensorPointer(t), length);
    }
}
