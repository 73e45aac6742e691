namespace Groundwork.Retrieval.Vectors;

/// <summary>How an HNSW index stores the vectors it traverses.</summary>
public enum VectorStorage
{
    /// <summary>Full-precision floats: 4 bytes per dimension, no re-scoring needed.</summary>
    Float32,

    /// <summary>IEEE half floats (2 bytes per dimension); the top candidates are re-scored with the float32 originals.</summary>
    Float16,

    /// <summary>Signed bytes with a per-vector scale (1 byte per dimension); the top candidates are re-scored with the float32 originals.</summary>
    Int8,
}

/// <summary>How similarity between two vectors is measured.</summary>
public enum DistanceMetric
{
    /// <summary>Cosine similarity: vectors are L2-normalised on insert and compared by inner product.</summary>
    Cosine,

    /// <summary>Raw inner product (vectors are stored as given).</summary>
    InnerProduct,
}

/// <summary>Parameters of an <see cref="HnswIndex"/> (Malkov and Yashunin's hierarchical navigable small world graph).</summary>
public sealed record HnswOptions
{
    /// <summary>Links per node on the upper layers; layer 0 keeps up to 2M. Default 16.</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list size while inserting (graph quality versus build time). Default 200.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>Default candidate list size while searching (recall versus speed). Default 64.</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>Representation traversed by searches. Default <see cref="VectorStorage.Float32"/>.</summary>
    public VectorStorage Storage { get; init; } = VectorStorage.Float32;

    /// <summary>Seed of the level generator, so that builds are reproducible. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Similarity measure. Default <see cref="DistanceMetric.Cosine"/>.</summary>
    public DistanceMetric Metric { get; init; } = DistanceMetric.Cosine;

    /// <summary>
    /// Fraction of graph nodes that may be tombstones (removed or replaced vectors kept for navigation) before
    /// <see cref="HnswIndex.SaveAsync"/> compacts the graph first. Default 0.2; 1 or more never compacts automatically.
    /// </summary>
    public double CompactionThreshold { get; init; } = 0.2;

    internal void Validate()
    {
        if (!(CompactionThreshold > 0)) throw new ArgumentOutOfRangeException(nameof(CompactionThreshold), CompactionThreshold, "HnswOptions.CompactionThreshold must be positive (1 or more disables compaction).");
        if (M is < 2 or > 128) throw new ArgumentOutOfRangeException(nameof(M), M, "HnswOptions.M must be between 2 and 128.");
        if (EfConstruction < 1) throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "HnswOptions.EfConstruction must be positive.");
        if (EfSearch < 1) throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, "HnswOptions.EfSearch must be positive.");
        if (!Enum.IsDefined(Storage)) throw new ArgumentOutOfRangeException(nameof(Storage), Storage, "Unknown vector storage.");
        if (!Enum.IsDefined(Metric)) throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown distance metric.");
    }
}

/// <summary>One search result: the caller's id and its similarity to the query (cosine or inner product; higher is better).</summary>
/// <param name="Id">The id given to <see cref="IVectorIndex.Add"/>.</param>
/// <param name="Score">Similarity to the query; higher is better.</param>
public readonly record struct VectorHit(long Id, float Score);

/// <summary>A nearest-neighbour index over fixed-dimension float vectors keyed by caller ids.</summary>
/// <remarks>Searches may run concurrently with each other; writes (<see cref="Add"/>, <see cref="Remove"/>) are serialised against searches.</remarks>
public interface IVectorIndex : IDisposable
{
    /// <summary>Number of dimensions of every vector.</summary>
    int Dimension { get; }

    /// <summary>Number of live (not removed) vectors.</summary>
    int Count { get; }

    /// <summary>Adds a vector, replacing any live vector with the same id.</summary>
    void Add(long id, ReadOnlySpan<float> vector);

    /// <summary>Removes a vector; returns false when the id is not present.</summary>
    bool Remove(long id);

    /// <summary>Returns up to <paramref name="k"/> nearest live vectors, best first, that pass <paramref name="filter"/>.</summary>
    /// <param name="query">Query vector of <see cref="Dimension"/> floats.</param>
    /// <param name="k">Number of results wanted.</param>
    /// <param name="filter">Optional predicate on ids; only passing ids are returned.</param>
    /// <param name="efSearch">Candidate list size for approximate indexes (ignored by exact search).</param>
    IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? filter = null, int? efSearch = null);

    /// <summary>Writes the index to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    Task SaveAsync(string path, CancellationToken ct);
}
