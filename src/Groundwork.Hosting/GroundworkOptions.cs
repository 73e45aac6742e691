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
}
