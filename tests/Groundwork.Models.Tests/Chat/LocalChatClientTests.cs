using System.Text;
using Groundwork.Models.Chat;
using Groundwork.Models.Transformers;
using Groundwork.Testing;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.Tests.Chat;

/// <summary>The IChatClient over stories260K: the text is nonsense, but counts, finish reasons and determinism are real.</summary>
public sealed class LocalChatClientTests : IClassFixture<LocalChatClientTests.ModelFixture>
{
    public sealed class ModelFixture : IDisposable
    {
        public LlamaModel Model { get; } = LlamaModel.Load(TestPaths.Shared("models", "stories260K", "stories260K.gguf"));

        public void Dispose() => Model.Dispose();
    }

    private readonly LlamaModel _model;

    public LocalChatClientTests(ModelFixture fixture) => _model = fixture.Model;

    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Tell me a story about a cat.")];

    private static ChatOptions Greedy(int max) => new() { Temperature = 0, MaxOutputTokens = max };

    [Fact]
    public async Task Non_streaming_reports_usage_finish_reason_and_model()
    {
        using IChatClient client = new LocalChatClient(_model);
        var response = await client.GetResponseAsync(Messages, Greedy(16), TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(16, response.Usage!.OutputTokenCount);
        // The prompt is the plain template's rendering, tokenized with BOS.
        int promptTokens = new TextGenerator(_model).EncodePrompt("User: Tell me a story about a cat.\nAssistant:", new GenerationOptions()).Length;
        Assert.Equal(promptTokens, response.Usage.InputTokenCount);
        Assert.Equal(_model.Name, response.ModelId);
        Assert.Equal(ChatRole.Assistant, response.Messages[0].Role);
    }

    [Fact]
    public async Task Streaming_yields_pieces_that_add_up_to_the_non_streaming_text()
    {
        using IChatClient client = new LocalChatClient(_model);
        var whole = await client.GetResponseAsync(Messages, Greedy(24), TestContext.Current.CancellationToken);
        var sb = new StringBuilder();
        int updates = 0;
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (var u in client.GetStreamingResponseAsync(Messages, Greedy(24), TestContext.Current.CancellationToken))
        {
            updates++;
            sb.Append(u.Text);
            finish ??= u.FinishReason;
            usage ??= u.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
        }

        Assert.Equal(whole.Text, sb.ToString());
        Assert.True(updates > 5, $"only {updates} updates");
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(24, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Stop_sequences_end_with_finish_reason_stop()
    {
        using IChatClient client = new LocalChatClient(_model);
        var free = await client.GetResponseAsync(Messages, Greedy(40), TestContext.Current.CancellationToken);
        var words = free.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length > 3);
        string stop = words[2];
        var options = Greedy(40);
        options.StopSequences = [stop];
        var stopped = await client.GetResponseAsync(Messages, options, TestContext.Current.CancellationToken);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
    }

    [Fact]
    public async Task Concurrent_calls_are_independent_and_deterministic()
    {
        using IChatClient client = new LocalChatClient(_model);
        var options = new ChatOptions { Temperature = 0.9f, Seed = 7, MaxOutputTokens = 30 };
        var expected = (await client.GetResponseAsync(Messages, options, TestContext.Current.CancellationToken)).Text;
        var tasks = Enumerable.Range(0, 6).Select(_ => Task.Run(() => client.GetResponseAsync(Messages, options, TestContext.Current.CancellationToken))).ToArray();
        var results = await Task.WhenAll(tasks);
        foreach (var r in results) Assert.Equal(expected, r.Text);
    }

    [Fact]
    public void GetService_exposes_metadata_and_model()
    {
        using IChatClient client = new LocalChatClient(_model);
        Assert.Same(_model, client.GetService<LlamaModel>());
        Assert.Equal(_model.Name, client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal("plain", client.GetService<ChatTemplate>()!.Name);
        Assert.Null(client.GetService<string>());
    }

    /// <summary>Adds a fixed vector to every ffn_down output: enough to steer stories260K's greedy text.</summary>
    private sealed class ShiftAdapter(float shift, int seed) : IProjectionAdapter
    {
        public bool Adapts(int layer, AdaptedProjection projection) => projection == AdaptedProjection.Down;

        public void Apply(int layer, AdaptedProjection projection, ReadOnlySpan<float> x, Span<float> y, int n)
        {
            var rng = new Random(seed + layer);
            int width = y.Length / n;
            var delta = new float[width];
            for (int i = 0; i < width; i++) delta[i] = shift * (float)(rng.NextDouble() * 2 - 1);
            for (int t = 0; t < n; t++)
                for (int i = 0; i < width; i++) y[t * width + i] += delta[i];
        }
    }

    [Fact]
    public async Task Requests_choose_a_named_adapter_by_model_id_over_one_shared_base()
    {
        var ct = TestContext.Current.CancellationToken;
        IProjectionAdapter a = new ShiftAdapter(0.8f, 1), b = new ShiftAdapter(0.8f, 2);
        ChatOptions Ask(string? id) => new() { Temperature = 0, MaxOutputTokens = 24, ModelId = id };

        // References: one client per adapter, as before named adapters existed.
        string baseline = (await new LocalChatClient(_model).GetResponseAsync(Messages, Ask(null), ct)).Text;
        string soloA = (await new LocalChatClient(_model, new() { Adapter = a }).GetResponseAsync(Messages, Ask(null), ct)).Text;
        string soloB = (await new LocalChatClient(_model, new() { Adapter = b }).GetResponseAsync(Messages, Ask(null), ct)).Text;
        Assert.NotEqual(baseline, soloA);
        Assert.NotEqual(soloA, soloB);

        using var client = new LocalChatClient(_model, new() { Adapters = new Dictionary<string, IProjectionAdapter> { ["style-a"] = a, ["style-b"] = b } });
        // Interleaved requests must not reuse a KV cache computed under another adapter.
        foreach (var (id, expected) in new[] { ("style-a", soloA), ("style-b", soloB), (null, baseline), ("style-a", soloA), (_model.Name, baseline), ("style-b", soloB) })
        {
            var response = await client.GetResponseAsync(Messages, Ask(id), ct);
            Assert.Equal(expected, response.Text);
            Assert.Equal(id ?? _model.Name, response.ModelId);
        }

        var streamed = new StringBuilder();
        await foreach (var u in client.GetStreamingResponseAsync(Messages, Ask("style-b"), ct))
        {
            streamed.Append(u.Text);
            Assert.Equal("style-b", u.ModelId);
        }
        Assert.Equal(soloB, streamed.ToString());

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Messages, Ask("style-c"), ct));
        Assert.Contains("unknown model 'style-c'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'style-a', 'style-b'", ex.Message, StringComparison.Ordinal);
    }
}
