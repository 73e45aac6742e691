using Groundwork.Ingestion.Chunking;

namespace Groundwork.Hosting;

/// <summary>Where Groundwork keeps its data and how it chunks.</summary>
public sealed record GroundworkOptions
{
    /// <summary>The store directory; one SQLite file per collection lives here. Default "./.groundwork".</summary>
    public string StoreDirectory { get; init; } = ".groundwork";
    /// <summary>The collection used when none is named. Default "default".</summary>
    public string Collection { get; init; } = "default";
    /// <summary>Chunk size and overlap.</summary>
    public ChunkingOptions Chunking { get; init; } = new();
    /// <summary>The embedding model for vector and hybrid search; null leaves keyword search only.</summary>
    public EmbeddingModelOptions? Embedding { get; init; }
}

/// <summary>
/// Which embedding model makes the vectors of vector and hybrid search: a local BERT GGUF file (run by the built-in
/// encoder), or a model at an OpenAI-compatible endpoint.
/// </summary>
public sealed record EmbeddingModelOptions
{
    /// <summary>A local BERT-family GGUF file, e.g. bge-small-en-v1.5-f16.gguf.</summary>
    public string? ModelPath { get; init; }
    /// <summary>An OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1.</summary>
    public Uri? Endpoint { get; init; }
    /// <summary>The embedding model name at the endpoint.</summary>
    public string? ModelName { get; init; }
    /// <summary>Environment variable holding the endpoint's API key.</summary>
    public string ApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";
    /// <summary>Use exact vector search instead of HNSW (small collections). Default false.</summary>
    public bool ExactIndex { get; init; }
}
