using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.OpenAI;

/// <summary>
/// An <see cref="IChatClient"/> over an OpenAI-compatible <c>/chat/completions</c> endpoint, with plain
/// <see cref="HttpClient"/>: streaming over server-sent events, retries with backoff on 429/5xx/timeouts (never
/// after streaming has started), per-attempt timeouts, cancellation, and usage accounting.
/// </summary>
public sealed class OpenAiCompatibleChatClient : IChatClient
{
    private readonly OpenAiHttp _http;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates the client; an <paramref name="httpClient"/> passed in is not disposed by it.</summary>
    public OpenAiCompatibleChatClient(OpenAiEndpointOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = new OpenAiHttp(options, httpClient);
        _metadata = new ChatClientMetadata("openai-compatible", options.Endpoint, options.Model);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var body = Body(messages, options, stream: false);
        using var response = await _http.PostAsync("chat/completions", body, cancellationToken).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("chat/completions: the response is not a JSON object");
        var choice = (root["choices"] as JsonArray)?.FirstOrDefault() as JsonObject
            ?? throw new InvalidDataException("chat/completions: the response has no choices");
        var text = choice["message"]?["content"]?.GetValue<string>() ?? "";
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = root["model"]?.GetValue<string>() ?? _http.Options.Model,
            ResponseId = root["id"]?.GetValue<string>(),
            FinishReason = Finish(choice["finish_reason"]?.GetValue<string>()),
            Usage = Usage(root["usage"]),
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var body = Body(messages, options, stream: true);
        using var response = await _http.PostAsync("chat/completions", body, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            // SSE: "data: {json}" lines, blank lines between events, ":" comments, "data: [DONE]" at the end.
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            var data = line[5..].Trim();
            if (data == "[DONE]") yield break;
            JsonObject? chunk;
            try { chunk = JsonNode.Parse(data) as JsonObject; }
            catch (JsonException ex) { throw new InvalidDataException($"chat/completions stream: bad event: {ex.Message}", ex); }
            if (chunk is null) continue;
            var update = new ChatResponseUpdate { Role = ChatRole.Assistant, ModelId = chunk["model"]?.GetValue<string>(), ResponseId = chunk["id"]?.GetValue<string>() };
            if ((chunk["choices"] as JsonArray)?.FirstOrDefault() is JsonObject choice)
            {
                if (choice["delta"]?["content"]?.GetValue<string>() is { Length: > 0 } piece) update.Contents.Add(new TextContent(piece));
                if (choice["finish_reason"]?.GetValue<string>() is { } finish) update.FinishReason = Finish(finish);
            }
            if (Usage(chunk["usage"]) is { } usage) update.Contents.Add(new UsageContent(usage));
            if (update.Contents.Count > 0 || update.FinishReason is not null) yield return update;
        }
    }

    private JsonObject Body(IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream)
    {
        var list = new JsonArray();
        foreach (var m in messages)
            list.Add(new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text });
        var body = new JsonObject { ["model"] = options?.ModelId ?? _http.Options.Model, ["messages"] = list, ["stream"] = stream };
        if (stream) body["stream_options"] = new JsonObject { ["include_usage"] = true };
        if (options?.Temperature is float t) body["temperature"] = t;
        if (options?.TopP is float p) body["top_p"] = p;
        if (options?.MaxOutputTokens is int max) body["max_tokens"] = max;
        if (options?.Seed is long seed) body["seed"] = seed;
        if (options?.FrequencyPenalty is float fp) body["frequency_penalty"] = fp;
        if (options?.PresencePenalty is float pp) body["presence_penalty"] = pp;
        if (options?.StopSequences is { Count: > 0 } stops) body["stop"] = new JsonArray(stops.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        return body;
    }

    private static ChatFinishReason? Finish(string? reason) => reason switch
    {
        null => null,
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "content_filter" => ChatFinishReason.ContentFilter,
        "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
        _ => new ChatFinishReason(reason),
    };

    private static UsageDetails? Usage(JsonNode? usage)
    {
        if (usage is not JsonObject u) return null;
        long? Read(string name) => u[name] is JsonValue v && v.TryGetValue(out long n) ? n : null;
        return new UsageDetails { InputTokenCount = Read("prompt_tokens"), OutputTokenCount = Read("completion_tokens"), TotalTokenCount = Read("total_tokens") };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
