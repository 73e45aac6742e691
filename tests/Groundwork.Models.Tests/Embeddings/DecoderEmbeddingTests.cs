using System.Globalization;
using Groundwork.Models.Embeddings;
using Groundwork.Models.Gguf;
using Groundwork.Testing;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.Tests.Embeddings;

/// <summary>
/// Decoder GGUFs used as embedders (<see cref="DecoderEmbeddingModel"/>), against llama.cpp's own pooled embeddings
/// of the tiny-random llama and qwen2 models (tools/llamacpp-embeddings/golden/decoder-*, made by
/// make-golden.sh with the pooling forced to last or mean).
/// </summary>
public sealed class DecoderEmbeddingTests
{
    private static string Golden(string name) => TestPaths.Repo("tools", "llamacpp-embeddings", "golden", name);

    private static string Model(string name) => TestPaths.Shared("models", "tiny-random", name + ".gguf");

    private static List<int[]> Sequences() => File.ReadLines(Golden("decoder-tokens.txt")).Where(l => l.Length > 0)
        .Select(l => l.Split(' ').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray()).ToList();

    [Theory]
    [InlineData("tiny-llama-F32", EmbeddingPooling.Last, 1e-4)]
    [InlineData("tiny-llama-F32", EmbeddingPooling.Mean, 1e-4)]
    [InlineData("tiny-qwen2-F32", EmbeddingPooling.Last, 1e-4)]
    // llama.cpp rounds activations to 8-bit blocks inside Q8_0 products; the runtime multiplies float activations.
    [InlineData("tiny-llama-Q8_0", EmbeddingPooling.Last, 2e-2)]
    public void Embeddings_match_llama_cpp(string model, EmbeddingPooling pooling, double tolerance)
    {
        var sequences = Sequences();
        var expected = File.ReadLines(Golden($"decoder-{model}-{pooling.ToString().ToLowerInvariant()}.llamacpp.txt")).Where(l => l.Length > 0)
            .Select(l => l.Split(' ').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(sequences.Count, expected.Count);
        Assert.True(sequences.Select(s => s.Length).Distinct().Count() > 3, "the golden batch needs sequences of different lengths");

        using var m = DecoderEmbeddingModel.Load(Model(model), new EmbeddingLoadOptions { Pooling = pooling });
        Assert.Equal(pooling, m.Pooling);
        var actual = m.EmbedTokens(sequences);
        for (int s = 0; s < sequences.Count; s++)
        {
            double cos = ReferenceBert.Cosine(actual[s], expected[s]);
            Assert.True(cos >= 1 - tolerance, $"{model} sequence {s}: cosine {cos:F6}");
            for (int c = 0; c < expected[s].Length; c++) Assert.Equal(expected[s][c], actual[s][c], tolerance * 10);
        }

        // Different pooling really is different (the comparison above can fail for the wrong mode).
        var other = pooling == EmbeddingPooling.Last ? EmbeddingPooling.Mean : EmbeddingPooling.Last;
        using var m2 = DecoderEmbeddingModel.Load(Model(model), new EmbeddingLoadOptions { Pooling = other });
        var longest = sequences.MaxBy(s => s.Length)!;
        Assert.True(ReferenceBert.Cosine(m2.EmbedTokens([longest])[0], expected[sequences.IndexOf(longest)]) < 0.99);
    }

    [Fact]
    public void Load_dispatches_on_architecture_and_defaults_to_last_token_pooling()
    {
        using var decoder = LocalEmbeddingModel.Load(Model("tiny-qwen2-F32"));
        var d = Assert.IsType<DecoderEmbeddingModel>(decoder);
        Assert.Equal(EmbeddingPooling.Last, d.Pooling);
        Assert.Equal(256, d.Dimension);

        using var bert = LocalEmbeddingModel.Load(Golden("tiny-f32-cls.gguf"));
        Assert.IsType<BertEmbeddingModel>(bert);
    }

    [Fact]
    public async Task Generator_over_a_decoder_returns_unit_vectors_that_do_not_depend_on_the_batch()
    {
        using var model = DecoderEmbeddingModel.Load(Model("tiny-qwen2-F32"), new EmbeddingLoadOptions { MaxTokens = 8 });
        var warnings = new List<string>();
        using var gen = new LocalEmbeddingGenerator(model, new LocalEmbeddingGeneratorOptions { BatchSize = 2, OnWarning = warnings.Add });
        string[] texts = ["hello world", "the quick brown fox jumps over the lazy dog again and again and again", "hello"];
        var all = await gen.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(3, all.Count);
        Assert.Single(warnings); // the long input was truncated to 8 tokens
        foreach (var e in all) Assert.Equal(1.0, Math.Sqrt(e.Vector.Span.ToArray().Sum(v => (double)v * v)), 1e-5);
        var alone = await gen.GenerateAsync([texts[2]], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(alone[0].Vector.ToArray(), all[2].Vector.ToArray());
        Assert.Equal(model.Name, gen.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task Unknown_pooling_type_is_a_clear_error_naming_the_file_and_key()
    {
        using var dir = TestPaths.CreateTempDir();
        var path = dir.File("bad-pooling.gguf");
        var w = new GgufWriter();
        using (var src = GgufFile.Open(Model("tiny-llama-F32")))
        {
            foreach (var (key, value) in src.Metadata) w.SetMetadata(key, value);
            w.SetMetadata("llama.pooling_type", 7u);
            foreach (var t in src.Tensors) w.AddTensor(t.Name, t.Type, t.Dimensions, src.GetTensorBytes(t));
        }
        await w.WriteAsync(path, TestContext.Current.CancellationToken);
        var ex = Assert.Throws<GgufException>(() => DecoderEmbeddingModel.Load(path));
        Assert.Contains("bad-pooling.gguf", ex.Message);
        Assert.Contains("llama.pooling_type", ex.Message);
    }
}
