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

    [Theory]
    [InlineData("tiny-f32-rank")]
    [InlineData("tiny-f16-rank")]
    public void Reranker_scores_match_llama_cpp_rank_pooling(string name)
    {
        var sequences = File.ReadLines(Golden("tokens.txt")).Where(l => l.Length > 0)
            .Select(l => l.Split(' ').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray()).ToList();
        var expected = File.ReadLines(Golden(name + ".llamacpp.txt")).Where(l => l.Length > 0)
            .Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(sequences.Count, expected.Count);
        Assert.True(expected.Max() - expected.Min() > 0.1, "the golden scores must differ between sequences");

        using var model = BertEmbeddingModel.Load(Golden(name + ".gguf"));
        Assert.True(model.IsReranker);
        Assert.Equal(1, model.Config.ClassifierOutputs);
        var scores = new float[sequences.Count];
        model.ScoreTokens(sequences, scores); // one batch
        for (int s = 0; s < sequences.Count; s++) Assert.Equal(expected[s], scores[s], 2e-3);
        // the ranking is what a reranker is for
        Assert.Equal(Enumerable.Range(0, expected.Count).OrderBy(i => expected[i]), Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]));

        Assert.Throws<InvalidOperationException>(() => model.EmbedTokens(sequences));
        var ex = Assert.Throws<ArgumentException>(() => new LocalEmbeddingGenerator(model));
        Assert.Contains("reranking model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pair_tokens_follow_llama_cpp_rerank_layout_and_cut_only_the_document()
    {
        using var model = BertEmbeddingModel.Load(Golden("tiny-f32-rank.gguf"), new EmbeddingLoadOptions { MaxTokens = 12 });
        var t = model.Tokenizer;
        var q = t.Encode("the", addSpecial: false, parseSpecial: false);
        var d = t.Encode("a of and to in is", addSpecial: false, parseSpecial: false);
        var ids = model.TokenizePair("the", "a of and to in is", out bool truncated);
        // WordPiece: [CLS] query [SEP] document (llama.cpp adds no EOS for bert vocabularies)
        Assert.Equal([t.BosId, .. q, t.SeparatorId, .. d], ids);
        Assert.False(truncated);

        var longDoc = string.Join(' ', Enumerable.Repeat("the", 40));
        var cut = model.TokenizePair("the", longDoc, out truncated);
        Assert.True(truncated);
        Assert.Equal(12, cut.Length);
        Assert.Equal([t.BosId, .. q, t.SeparatorId], cut[..(q.Count + 2)]);
    }
}
