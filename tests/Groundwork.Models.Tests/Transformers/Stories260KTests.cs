using System.Text;
using Groundwork.Models.Sampling;
using Groundwork.Models.Transformers;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Transformers;

/// <summary>End-to-end generation on Karpathy's stories260K (llama2.c's own reference output).</summary>
public sealed class Stories260KTests : IClassFixture<Stories260KTests.ModelFixture>
{
    public sealed class ModelFixture : IDisposable
    {
        public LlamaModel Model { get; } = LlamaModel.Load(TestPaths.Shared("models", "stories260K", "stories260K.gguf"));

        public void Dispose() => Model.Dispose();
    }

    private readonly LlamaModel _model;

    public Stories260KTests(ModelFixture fixture) => _model = fixture.Model;

    private static GenerationOptions Greedy(int maxTokens) => new()
    {
        MaxTokens = maxTokens,
        Sampling = SamplingOptions.Greedy,
        AddBos = true,
    };

    private static async Task<string> Collect(IAsyncEnumerable<GeneratedToken> stream)
    {
        var sb = new StringBuilder();
        await foreach (var t in stream) sb.Append(t.Text);
        return sb.ToString();
    }

    [Fact]
    public void Hyper_parameters_come_from_the_metadata()
    {
        var c = _model.Config;
        Assert.Equal(("llama", 5, 64, 8, 4, 512), (c.Architecture, c.LayerCount, c.EmbeddingLength, c.HeadCount, c.KvHeadCount, c.VocabSize));
        Assert.False(c.TiedOutput); // stories260K ships its own output.weight
    }

    [Fact]
    public async Task Greedy_200_steps_reproduce_llama2c_byte_for_byte()
    {
        // llama2.c: start from BOS with an empty prompt, 200 forward steps, greedy; the first piece's leading space is dropped.
        var expected = await File.ReadAllBytesAsync(TestPaths.Shared("models", "stories260K", "reference", "expected_greedy_200steps.txt"), TestContext.Current.CancellationToken);
        var generator = new TextGenerator(_model);
        var text = await Collect(generator.GenerateAsync("", Greedy(200), TestContext.Current.CancellationToken));
        Assert.Equal(Encoding.UTF8.GetString(expected), text);
        var stats = generator.LastStats!;
        Assert.Equal(1, stats.PromptTokens);
        Assert.Equal(200, stats.GeneratedTokens);
        Assert.Equal(GenerationFinishReason.MaxTokens, stats.FinishReason);
        Assert.True(stats.GenerationTokensPerSecond > 0);
    }

    [Fact]
    public async Task Stop_sequence_cuts_the_text_before_it()
    {
        var generator = new TextGenerator(_model);
        var options = Greedy(100) with { StopSequences = ["named Lily"] };
        var text = await Collect(generator.GenerateAsync("", options, TestContext.Current.CancellationToken));
        Assert.Equal("Once upon a time, there was a little girl ", text);
        Assert.Equal(GenerationFinishReason.StopSequence, generator.LastStats!.FinishReason);
    }

    [Fact]
    public async Task Max_tokens_and_prefix_reuse()
    {
        var generator = new TextGenerator(_model);
        var first = await Collect(generator.GenerateAsync("Once upon a time", Greedy(12), TestContext.Current.CancellationToken));
        Assert.Equal(12, generator.LastStats!.GeneratedTokens);
        Assert.Equal(GenerationFinishReason.MaxTokens, generator.LastStats.FinishReason);
        Assert.Equal(0, generator.LastStats.CachedPromptTokens);

        var second = await Collect(generator.GenerateAsync("Once upon a time", Greedy(12), TestContext.Current.CancellationToken));
        Assert.Equal(first, second);
        Assert.Equal(generator.LastStats!.PromptTokens - 1, generator.LastStats.CachedPromptTokens);
    }

    [Fact]
    public async Task Cancellation_stops_between_tokens()
    {
        using var cts = new CancellationTokenSource();
        var generator = new TextGenerator(_model);
        int received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in generator.GenerateAsync("", Greedy(100), cts.Token))
            {
                if (++received == 3) await cts.CancelAsync();
            }
        });
        Assert.Equal(3, received);
        Assert.Null(generator.LastStats);
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible()
    {
        var options = new GenerationOptions { MaxTokens = 30, Sampling = new SamplingOptions { Temperature = 1.0f, Seed = 1234 } };
        var a = await Collect(new TextGenerator(_model).GenerateAsync("Once", options, TestContext.Current.CancellationToken));
        var b = await Collect(new TextGenerator(_model).GenerateAsync("Once", options, TestContext.Current.CancellationToken));
        var c = await Collect(new TextGenerator(_model).GenerateAsync("Once", options with { Sampling = options.Sampling with { Seed = 99 } }, TestContext.Current.CancellationToken));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Forward_allocates_nothing_and_truncate_replays_identically()
    {
        var session = _model.CreateSession();
        int[] tokens = [1, 400, 300, 200, 100, 50];
        var logits = new List<float[]>();
        foreach (var t in tokens) logits.Add(session.Forward(t).ToArray());

        // One replay first: lazily created per-thread scratch and pool state (which other tests running at the same
        // time can make this thread create late; seen once, 7 KB, on the 128-bit path) are not per-token costs.
        session.Truncate(2);
        for (int i = 2; i < tokens.Length; i++) session.Forward(tokens[i]);
        session.Truncate(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 2; i < tokens.Length; i++) session.Forward(tokens[i]);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(logits[^1], session.Logits.ToArray());

        session.Reset();
        Assert.Equal(0, session.Position);
        var prefilled = session.Prefill(tokens).ToArray();
        for (int i = 0; i < prefilled.Length; i++) Assert.Equal(logits[^1][i], prefilled[i], 1e-4f);
    }

    [Fact]
    public void Sessions_run_concurrently_over_shared_weights()
    {
        int[] tokens = [1, 403, 407, 261, 378, 285, 264, 286];
        float[] Run()
        {
            var s = _model.CreateSession();
            float[] last = [];
            for (int rep = 0; rep < 5; rep++)
            {
                s.Reset();
                foreach (var t in tokens) last = s.Forward(t).ToArray();
            }

            return last;
        }

        var expected = Run();
        var results = new float[4][];
        Parallel.For(0, 4, i => results[i] = Run());
        foreach (var r in results) Assert.Equal(expected, r);
    }

    [Fact]
    public void Bad_token_ids_and_a_full_context_are_clear_errors()
    {
        var session = _model.CreateSession(contextLength: 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Forward(512));
        session.Forward(1);
        session.Forward(2);
        var e = Assert.Throws<InvalidOperationException>(() => session.Forward(3));
        Assert.Contains("context is full", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_prompt_without_bos_is_rejected()
    {
        var generator = new TextGenerator(_model);
        var e = Assert.Throws<ArgumentException>(() => generator.GenerateAsync("", Greedy(5) with { AddBos = false }, TestContext.Current.CancellationToken));
        Assert.Contains("no tokens", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_ids_prompt_and_text_prompt_agree()
    {
        var generator = new TextGenerator(_model);
        var ids = generator.EncodePrompt("Once upon a time", new GenerationOptions());
        Assert.Equal(_model.Tokenizer.BosId, ids[0]);
        var fromIds = new List<int>();
        await foreach (var t in generator.GenerateAsync(ids, Greedy(10) with { ReusePrefix = false }, TestContext.Current.CancellationToken)) fromIds.Add(t.TokenId);
        var fromText = new List<int>();
        await foreach (var t in new TextGenerator(_model).GenerateAsync("Once upon a time", Greedy(10), TestContext.Current.CancellationToken)) fromText.Add(t.TokenId);
        Assert.Equal(fromText, fromIds);
        Assert.Equal(10, fromIds.Count(id => id >= 0));
    }
}
