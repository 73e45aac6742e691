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

/// <summary>A search request.</summary>
/// <param name="Query">The user's query text.</param>
/// <param name="Limit">Maximum number of hits.</param>
/// <param name="Mode">Matching mode.</param>
/// <param name="Filter">Optional metadata filter.</param>
public sealed record SearchRequest(string Query, int Limit = 10, SearchMode Mode = SearchMode.Keyword, SearchFilter? Filter = null);

/// <summary>Finds the chunks of a collection that best match a query.</summary>
public sealed class Retriever
{
    private readonly ICollectionStore _store;

    /// <summary>Creates a retriever over <paramref name="store"/>.</summary>
    public Retriever(ICollectionStore store) => _store = store;

    /// <summary>The collection searched.</summary>
    public ICollectionStore Store => _store;

    /// <summary>Runs the search; best hits first.</summary>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit <= 0) throw new ArgumentOutOfRangeException(nameof(request), $"limit must be positive, got {request.Limit}");
        return request.Mode switch
        {
            SearchMode.Keyword => _store.KeywordSearchAsync(request.Query, request.Limit, request.Filter, cancellationToken),
            _ => throw new NotSupportedException(
                $"search mode '{request.Mode.ToString().ToLowerInvariant()}' needs an embedding model, and collection '{_store.Name}' has none configured; use --mode keyword"),
        };
    }
}
