using System.Net;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.OpenAI.Tests;

public sealed class OpenAiCompatibleClientTests : IAsyncLifetime
{
    private OpenAiWireServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await OpenAiWireServer.StartAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private OpenAiEndpointOptions Options(int retries = 3, TimeSpan? timeout = null, string? keyVariable = null) => new()
    {
        Endpoint = _server.BaseUrl,
        Model = "test-model",
        ApiKeyEnvironmentVariable = keyVariable,
        MaxRetries = retries,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        EmbeddingBatchSize = 2,
    };

    [Fact]
    public async Task Chat_round_trip_with_usage_and_api_key_from_the_environment()
    {
        Environment.SetEnvironmentVariable("GW_TEST_KEY", "sk-test-123");
        using var client = new OpenAiCompatibleChatClient(Options(keyVariable: "GW_TEST_KEY"));
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "say hello")],
            new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 20, StopSequences = ["\n\n"] }, TestContext.Current.CancellationToken);
        Assert.Equal("Hello from the wire server.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(4, response.Usage!.InputTokenCount);
        Assert.Equal(5, response.Usage.OutputTokenCount);
        var (path, auth, body) = Assert.Single(_server.Requests);
        Assert.Equal("/v1/chat/completions", path);
        Assert.Equal("Bearer sk-test-123", auth);
        Assert.Equal("test-model", body["model"]!.GetValue<string>());
        Assert.Equal(20, body["max_tokens"]!.GetValue<int>());
        Assert.Equal("system", body["messages"]![0]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Streaming_over_sse_yields_pieces_finish_reason_and_usage()
    {
        using var client = new OpenAiCompatibleChatClient(Options());
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "stream please")], cancellationToken: TestContext.Current.CancellationToken))
            updates.Add(u);
        Assert.Equal("Hello from the wire server.", string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count(u => u.Text.Length > 0) >= 5);
        Assert.Contains(updates, u => u.FinishReason == ChatFinishReason.Stop);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.Equal(5, usage.Details.OutputTokenCount);
        Assert.True(_server.Requests.Single().Body["stream"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Retries_with_backoff_on_429_and_5xx(int status)
    {
        _server.FailFirst = 2;
        _server.FailStatus = status;
        using var client = new OpenAiCompatibleChatClient(Options(retries: 3));
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Hello from the wire server.", response.Text);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task Gives_up_after_the_retries_with_a_clear_error()
    {
        _server.FailFirst = 10;
        using var client = new OpenAiCompatibleChatClient(Options(retries: 1));
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Contains("try again later", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        _server.FailFirst = 10;
        _server.FailStatus = 400;
        using var client = new OpenAiCompatibleChatClient(Options(retries: 3));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Times_out_per_attempt_and_honours_cancellation()
    {
        _server.Delay = TimeSpan.FromSeconds(5);
        using var client = new OpenAiCompatibleChatClient(Options(retries: 1, timeout: TimeSpan.FromMilliseconds(200)));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("no answer within", timeout.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(100);
        using var patient = new OpenAiCompatibleChatClient(Options(timeout: TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => patient.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Embeddings_are_batched_and_returned_in_input_order()
    {
        using var generator = new OpenAiCompatibleEmbeddingGenerator(Options());
        string[] inputs = ["alpha", "be", "cee dee", "e", "fffff"];
        var result = await generator.GenerateAsync(inputs, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(inputs.Length, result.Count);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(inputs[i].Length, result[i].Vector.Span[0]);
        Assert.Equal(3, _server.Requests.Count); // batches of 2
        Assert.Equal(15, result.Usage!.InputTokenCount);
    }
}
