using Groundwork.Models.Embeddings;
using Groundwork.Models.Gguf;
using Groundwork.Testing;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.Tests.Embeddings;

/// <summary>Random-weight BERT GGUFs written once for the class: F32 and F16 matrices, each pooling code in metadata.</summary>
public sealed class RandomBertFiles : IAsyncLifetime
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("bert");

    internal RandomBert F32 { get; } = RandomBert.Create(seed: 11, f16: false);
    internal RandomBert F16 { get; } = RandomBert.Create(seed: 12, f16: true);

    public string F32Mean => _dir.File("f32-mean.gguf");
    public string F32Cls => _dir.File("f32-cls.gguf");
    public string F32Last => _dir.File("f32-last.gguf");
    public string F16Mean => _dir.File("f16-mean.gguf");
    public string F16Cls => _dir.File("f16-cls.gguf");
    public string Dir => _dir.Path;

    public async ValueTask InitializeAsync()
    {
        await F32.WriteAsync(F32Mean, pooling: 1);
        await F32.WriteAsync(F32Cls, pooling: 2);
        await F32.WriteAsync(F32Last, pooling: 3);
        await F16.WriteAsync(F16Mean, pooling: 1);
        await F16.WriteAsync(F16Cls, pooling: 2);
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class BertEmbeddingTests(RandomBertFiles files) : IClassFixture<RandomBertFiles>
{
    private static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Hello world",
        "Groundwork answers questions from an organisation's own documents, with verified citations!",
        "a",
        "Ünïcödé naïve café — 42 résumés.",
    ];

    public static TheoryData<string, int> Files => new()
    {
        { "f32-mean", 1 }, { "f32-cls", 2 }, { "f32-last", 3 }, { "f16-mean", 1 }, { "f16-cls", 2 },
    };

    private (string Path, RandomBert Model) Pick(string name) => name switch
    {
        "f32-mean" => (files.F32Mean, files.F32),
        "f32-cls" => (files.F32Cls, files.F32),
        "f32-last" => (files.F32Last, files.F32),
        "f16-mean" => (files.F16Mean, files.F16),
        "f16-cls" => (files.F16Cls, files.F16),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Embeddings_agree_with_float64_reference(string file, int pooling)
    {
        var (path, weights) = Pick(file);
        using var model = BertEmbeddingModel.Load(path);
        Assert.Equal((EmbeddingPooling)pooling, model.Pooling);
        using var gen = new LocalEmbeddingGenerator(model);
        var result = await gen.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Texts.Length, result.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            var ids = model.Tokenize(Texts[i], out _);
            var expected = ReferenceBert.Embed(weights, ids, pooling, normalize: true);
            var actual = result[i].Vector.Span;
            double cos = ReferenceBert.Cosine(actual, expected);
            Assert.True(cos >= 0.9999, $"{file} input {i}: cosine {cos:F6}");
            for (int c = 0; c < expected.Length; c++) Assert.Equal(expected[c], actual[c], 2e-3);
        }
    }

    [Fact]
    public void Unnormalised_embedding_matches_reference_length_and_direction()
    {
        using var model = BertEmbeddingModel.Load(files.F32Mean);
        var ids = model.Tokenize(Texts[0], out _);
        var actual = model.EmbedTokens([ids], normalize: false)[0];
        var expected = ReferenceBert.Embed(files.F32, ids, 1, normalize: false);
        Assert.True(ReferenceBert.Cosine(actual, expected) >= 0.9999);
        double expectedNorm = Math.Sqrt(expected.Sum(z => z * z));
        Assert.Equal(expectedNorm, Math.Sqrt(actual.Sum(z => (double)z * z)), expectedNorm * 1e-4);
        Assert.True(Math.Abs(expectedNorm - 1) > 0.1, "the test needs an embedding that is not unit length already");
    }

    [Fact]
    public async Task Normalised_embeddings_have_unit_length()
    {
        using var model = BertEmbeddingModel.Load(files.F16Cls);
        using var gen = new LocalEmbeddingGenerator(model);
        foreach (var e in await gen.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken))
        {
            double norm = Math.Sqrt(e.Vector.ToArray().Sum(z => (double)z * z));
            Assert.Equal(1.0, norm, 1e-5);
        }
    }

    [Theory]
    [InlineData("f32-mean")]
    [InlineData("f32-cls")]
    [InlineData("f32-last")]
    public void Batched_embedding_equals_single(string file)
    {
        using var model = BertEmbeddingModel.Load(Pick(file).Path);
        var shortIds = model.Tokenize(Texts[1], out _);
        var alone = model.EmbedTokens([shortIds])[0];
        var batch = model.EmbedTokens([model.Tokenize(Texts[2], out _), shortIds, model.Tokenize(Texts[0], out _)]);
        for (int c = 0; c < alone.Length; c++) Assert.Equal(alone[c], batch[1][c], 1e-5);
        Assert.NotEqual(batch[0], batch[1]);
    }

    [Fact]
    public async Task Long_input_is_truncated_with_a_warning()
    {
        var warnings = new List<string>();
        using var model = BertEmbeddingModel.Load(files.F32Mean, new EmbeddingLoadOptions { MaxTokens = 16 });
        Assert.Equal(16, model.MaxTokens);
        using var gen = new LocalEmbeddingGenerator(model, new LocalEmbeddingGeneratorOptions { OnWarning = warnings.Add, BatchSize = 2 });
        string longText = string.Join(' ', Enumerable.Repeat("document retrieval", 20));
        int full = model.Tokenizer.Encode(longText, addSpecial: true, parseSpecial: false).Count;
        var result = await gen.GenerateAsync(["short text", longText, "another"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal([$"input 2 of 3 has {full} tokens; truncated to 16"], warnings);
        var ids = model.Tokenize(longText, out int count);
        Assert.Equal(full, count);
        Assert.Equal(16, ids.Length);
        Assert.Equal(model.Tokenizer.BosId, ids[0]);
        Assert.Equal(model.Tokenizer.SeparatorId, ids[^1]);
        var expected = ReferenceBert.Embed(files.F32, ids, 1, normalize: true);
        Assert.True(ReferenceBert.Cosine(result[1].Vector.Span, expected) >= 0.9999);
    }

    [Fact]
    public async Task Generator_reports_model_id_dimension_and_usage()
    {
        using var model = BertEmbeddingModel.Load(files.F32Mean);
        using var gen = new LocalEmbeddingGenerator(model, new LocalEmbeddingGeneratorOptions { BatchSize = 2 });
        Assert.Equal("random-bert", gen.ModelId);
        var meta = gen.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(meta);
        Assert.Equal(RandomBert.Dim, meta.DefaultModelDimensions);
        Assert.Equal("random-bert", meta.DefaultModelId);
        Assert.Same(model, gen.GetService<BertEmbeddingModel>());
        Assert.Same(gen, gen.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        var result = await gen.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken);
        Assert.All(result, e => Assert.Equal("random-bert", e.ModelId));
        Assert.Equal(Texts.Sum(t => model.Tokenize(t, out _).Length), result.Usage?.InputTokenCount);
        await Assert.ThrowsAsync<NotSupportedException>(() => gen.GenerateAsync(Texts, new EmbeddingGenerationOptions { Dimensions = 32 }));
    }

    [Fact]
    public async Task Model_id_falls_back_to_file_name_and_pooling_option_overrides()
    {
        var path = Path.Combine(files.Dir, "no-name-model.gguf");
        await files.F32.WriteAsync(path, pooling: null, name: null);
        using var model = BertEmbeddingModel.Load(path, new EmbeddingLoadOptions { Pooling = EmbeddingPooling.Cls });
        Assert.Equal("no-name-model", model.Name);
        Assert.Equal(EmbeddingPooling.Cls, model.Pooling);
        var ids = model.Tokenize(Texts[0], out _);
        var expected = ReferenceBert.Embed(files.F32, ids, 2, normalize: true);
        Assert.True(ReferenceBert.Cosine(model.EmbedTokens([ids])[0], expected) >= 0.9999);
        using var absent = BertEmbeddingModel.Load(path);
        Assert.Equal(EmbeddingPooling.Mean, absent.Pooling);
    }

    [Fact]
    public async Task Non_bert_architecture_is_rejected_with_file_name()
    {
        var path = Path.Combine(files.Dir, "decoder.gguf");
        await files.F32.WriteAsync(path, pooling: 1, architecture: "llama");
        var ex = Assert.Throws<GgufException>(() => BertEmbeddingModel.Load(path));
        Assert.Contains("decoder.gguf", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'llama'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Missing_tensor_is_named()
    {
        var path = Path.Combine(files.Dir, "broken.gguf");
        await files.F32.WriteAsync(path, pooling: 1, skipTensor: "blk.1.ffn_up.weight");
        var ex = Assert.Throws<GgufException>(() => BertEmbeddingModel.Load(path));
        Assert.Contains("broken.gguf", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'blk.1.ffn_up.weight'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposed_model_refuses_work()
    {
        var model = BertEmbeddingModel.Load(files.F32Mean);
        var ids = model.Tokenize("x", out _);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.EmbedTokens([ids]));
    }
}
