using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.OpenAI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an OpenAI-compatible <c>/embeddings</c> endpoint:
/// inputs are sent in batches of <see cref="OpenAiEndpointOptions.EmbeddingBatchSize"/>, with the shared retry,
/// timeout and cancellation behaviour; results come back in input order whatever order the server uses.
/// </summary>
public sealed class OpenAiCompatibleEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAiHttp _http;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Creates the generator; an <paramref name="httpClient"/> passed in is not disposed by it.</summary>
    public OpenAiCompatibleEmbeddingGenerator(OpenAiEndpointOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = new OpenAiHttp(options, httpClient);
        _metadata = new EmbeddingGeneratorMetadata("openai-compatible", options.Endpoint, options.Model);
    }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>();
        long promptTokens = 0;
        int batchSize = Math.Max(1, _http.Options.EmbeddingBatchSize);
        for (int start = 0; start < inputs.Count; start += batchSize)
        {
            var batch = inputs.GetRange(start, Math.Min(batchSize, inputs.Count - start));
            var body = new JsonObject
            {
                ["model"] = options?.ModelId ?? _http.Options.Model,
                ["input"] = new JsonArray(batch.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["encoding_format"] = "float",
            };
            if (options?.Dimensions is int dims) body["dimensions"] = dims;
            using var response = await _http.PostAsync("embeddings", body, cancellationToken).ConfigureAwait(false);
            var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("embeddings: the response is not a JSON object");
            var data = root["data"] as JsonArray ?? throw new InvalidDataException("embeddings: the response has no 'data' array");
            if (data.Count != batch.Count) throw new InvalidDataException($"embeddings: sent {batch.Count} inputs, got {data.Count} vectors");
            var vectors = new float[batch.Count][];
            for (int i = 0; i < data.Count; i++)
            {
                var item = data[i] as JsonObject ?? throw new InvalidDataException($"embeddings: data[{i}] is not an object");
                int index = item["index"]?.GetValue<int>() ?? i;
                if (index < 0 || index >= batch.Count) throw new InvalidDataException($"embeddings: data[{i}].index {index} is out of range");
                var array = item["embedding"] as JsonArray ?? throw new InvalidDataException($"embeddings: data[{i}].embedding is missing or not an array");
                vectors[index] = array.Select(v => v!.GetValue<float>()).ToArray();
            }
            foreach (var v in vectors) result.Add(new Embedding<float>(v) { ModelId = _http.Options.Model, CreatedAt = DateTimeOffset.UtcNow });
            if (root["usage"]?["prompt_tokens"] is JsonValue pt && pt.TryGetValue(out long n)) promptTokens += n;
        }
        if (promptTokens > 0) result.Usage = new UsageDetails { InputTokenCount = promptTokens, TotalTokenCount = promptTokens };
        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
