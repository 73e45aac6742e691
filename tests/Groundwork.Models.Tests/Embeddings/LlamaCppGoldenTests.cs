using System.Globalization;
using Groundwork.Models.Embeddings;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Embeddings;

/// <summary>
/// Compares with llama.cpp's own pooled embeddings of tiny random-weight BERT GGUFs (tools/llamacpp-embeddings/golden,
/// made by make-golden.sh there): every pooling mode, F16 and F32, bert and nomic-bert, sequences of different lengths
/// batched together.
/// </summary>
public sealed class LlamaCppGoldenTests
{
    private static string Golden(string name) => TestPaths.Repo("tools", "llamacpp-embeddings", "golden", name);

    [Theory]
    [InlineData("tiny-f16-mean", EmbeddingPooling.Mean)]
    [InlineData("tiny-f32-cls", EmbeddingPooling.Cls)]
    [InlineData("tiny-f16-last", EmbeddingPooling.Last)]
    [InlineData("tiny-nomic-f32-mean", EmbeddingPooling.Mean)] // nomic-bert: rotary positions, fused q/k/v, SwiGLU
    [InlineData("tiny-nomic-f16-mean", EmbeddingPooling.Mean)]
    public void Embeddings_match_llama_cpp(string name, EmbeddingPooling pooling)
    {
        var sequences = File.ReadLines(Golden("tokens.txt")).Where(l => l.Length > 0)
            .Select(l => l.Split(' ').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray()).ToList();
        var expected = File.ReadLines(Golden(name + ".llamacpp.txt")).Where(l => l.Length > 0)
            .Select(l => l.Split(' ').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(sequences.Count, expected.Count);
        Assert.True(sequences.Select(s => s.Length).Distinct().Count() > 3, "the golden batch needs sequences of different lengths");

        using var model = BertEmbeddingModel.Load(Golden(name + ".gguf"));
        Assert.Equal(pooling, model.Pooling);
        var actual = model.EmbedTokens(sequences); // one batch: packing must not leak between sequences
        for (int s = 0; s < sequences.Count; s++)
        {
            double cos = ReferenceBert.Cosine(actual[s], expected[s]);
            Assert.True(cos >= 0.9999, $"{name} sequence {s}: cosine {cos:F6}");
            for (int c = 0; c < expected[s].Length; c++) Assert.Equal(expected[s][c], actual[s][c], 1e-3);
        }
    }
}
