namespace Groundwork.Models.OpenAI;

/// <summary>
/// Where and how to reach an OpenAI-compatible HTTP API (OpenAI, Azure OpenAI, Ollama, llama.cpp server, vLLM, TEI).
/// </summary>
public sealed record OpenAiEndpointOptions
{
    /// <summary>Base URL up to and including the version segment, e.g. "https://api.openai.com/v1" or "http://127.0.0.1:11434/v1".</summary>
    public required Uri Endpoint { get; init; }
    /// <summary>Model (or Azure deployment) name.</summary>
    public required string Model { get; init; }
    /// <summary>Environment variable holding the API key (read when the client is created). Default OPENAI_API_KEY.</summary>
    public string? ApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";
    /// <summary>Header carrying the key: "Authorization" sends "Bearer KEY" (OpenAI); "api-key" sends the key as is (Azure).</summary>
    public string ApiKeyHeader { get; init; } = "Authorization";
    /// <summary>Query string appended to every request, e.g. "api-version=2024-10-21" for Azure.</summary>
    public string? Query { get; init; }
    /// <summary>Time allowed for one attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Retries after a 429, a 5xx, a timeout or a connection failure.</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>First backoff delay; doubles per retry (with jitter) unless the server sends Retry-After.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Inputs per embeddings request.</summary>
    public int EmbeddingBatchSize { get; init; } = 64;
}
