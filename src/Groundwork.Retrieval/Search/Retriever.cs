using Groundwork.Retrieval.Fusion;
using Groundwork.Retrieval.Hybrid;
using Groundwork.Storage;

namespace Groundwork.Retrieval.Search;

/// <summary>How a query is matched against the collection.</summary>
public enum SearchMode
{
    /// <summary>BM25 over the keyword index.</summary>
    Keyword,
    /// <summary>Nearest neighbours of the query embedding.</summary>
    Vector,
    /// <summary>Keyword and vector results fused.</summary>
    Hybrid,
}

/// <summary>How hybrid search combines the keyword and vector lists.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal rank fusion (k = 60): uses ranks only, robust to incomparable scores.</summary>
    Reciprocal,
    /// <summary>Min-max normalised scores, weighted by <see cref="SearchRequest.VectorWeight"/> and summed.</summary>
    Weighted,
}

/// <summary>A search request.</summary>
/// <param name="Query">The user's query text.</param>
/// <param name="Limit">Maximum number of hits.</param>
/// <param name="Mode">Matching mode.</param>
/// <param name="Filter">Optional metadata filter (applied to every leg of a hybrid search).</param>
public sealed record SearchRequest(string Query, int Limit = 10, SearchMode Mode = SearchMode.Keyword, SearchFilter? Filter = null)
{
    /// <summary>How hybrid results are fused. Default <see cref="FusionMethod.Reciprocal"/>.</summary>
    public FusionMethod Fusion { get; init; } = FusionMethod.Reciprocal;

    /// <summary>Weight of the vector list in weighted fusion, in [0, 1]; the keyword list gets 1 − this. Default 0.5.</summary>
    public double VectorWeight { get; init; } = 0.5;

    /// <summary>When set, maximal-marginal-relevance diversification with this λ in [0, 1] (1 = relevance only).</summary>
    public double? MmrLambda { get; init; }

    /// <summary>Candidates taken from each leg before fusion or MMR; default max(3 × limit, 50).</summary>
    public int? CandidateDepth { get; init; }
}

/// <summary>Finds the chunks of a collection that best match a query.</summary>
public sealed class Retriever
{
    private readonly ICollectionStore _store;

    /// <summary>Creates a retriever over <paramref name="store"/>; <paramref name="vectors"/> enables vector and hybrid modes.</summary>
    public Retriever(ICollectionStore store, CollectionVectorIndex? vectors = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (vectors is not null && !ReferenceEquals(vectors.Store, store))
            throw new ArgumentException("the vector index belongs to another collection store", nameof(vectors));
        _store = store;
        Vectors = vectors;
    }

    /// <summary>The collection searched.</summary>
    public ICollectionStore Store => _store;

    /// <summary>The collection's vector index, or null when no embedding model is configured.</summary>
    public CollectionVectorIndex? Vectors { get; }

    /// <summary>Runs the search; best hits first.</summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit <= 0) throw new ArgumentOutOfRangeException(nameof(request), $"limit must be positive, got {request.Limit}");
        if (request.VectorWeight is < 0 or > 1 || double.IsNaN(request.VectorWeight))
            throw new ArgumentOutOfRangeException(nameof(request), $"vector weight must be between 0 and 1, got {request.VectorWeight}");
        if (request.MmrLambda is { } l && (l is < 0 or > 1 || double.IsNaN(l)))
            throw new ArgumentOutOfRangeException(nameof(request), $"MMR lambda must be between 0 and 1, got {l}");
        if (request.CandidateDepth is { } cd && cd < request.Limit)
            throw new ArgumentOutOfRangeException(nameof(request), $"candidate depth {cd} is below the limit {request.Limit}");
        bool mmr = request.MmrLambda is not null;
        if ((request.Mode != SearchMode.Keyword || mmr) && Vectors is null)
            throw new NotSupportedException(
                (mmr ? "MMR diversification" : $"search mode '{request.Mode.ToString().ToLowerInvariant()}'") +
                $" needs an embedding model, and collection '{_store.Name}' has none configured; use --mode keyword or pass --embedding-model");

        int depth = request.CandidateDepth ?? Math.Max(3 * request.Limit, 50);
        int take = mmr ? depth : request.Limit;
        IReadOnlyList<SearchHit> hits = request.Mode switch
        {
            SearchMode.Keyword => await _store.KeywordSearchAsync(request.Query, take, request.Filter, cancellationToken).ConfigureAwait(false),
            SearchMode.Vector => await Vectors!.SearchAsync(request.Query, take, request.Filter, cancellationToken).ConfigureAwait(false),
            SearchMode.Hybrid => await HybridAsync(request, depth, take, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(request), $"unknown search mode {request.Mode}"),
        };
        if (!mmr) return hits;
        var vectors = await Vectors!.GetVectorsAsync(hits, cancellationToken).ConfigureAwait(false);
        return Mmr.Select(hits, h => vectors.TryGetValue(h.Chunk.ContentHash, out var v) ? v : null, request.MmrLambda!.Value, request.Limit);
    }

    private async Task<IReadOnlyList<SearchHit>> HybridAsync(SearchRequest request, int depth, int take, CancellationToken cancellationToken)
    {
        // The vector leg first: it refuses a model mismatch before any keyword work is done.
        var dense = await Vectors!.SearchAsync(request.Query, depth, request.Filter, cancellationToken).ConfigureAwait(false);
        var keyword = await _store.KeywordSearchAsync(request.Query, depth, request.Filter, cancellationToken).ConfigureAwait(false);
        // Keyword first: fusion keeps the first list's hit object, whose snippet marks the matched terms.
        return request.Fusion == FusionMethod.Weighted
            ? RankFusion.Weighted([(keyword, 1 - request.VectorWeight), (dense, request.VectorWeight)], take)
            : RankFusion.Reciprocal([keyword, dense], take);
    }
}
