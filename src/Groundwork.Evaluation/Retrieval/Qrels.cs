namespace Groundwork.Evaluation.Retrieval;

/// <summary>
/// Relevance judgments: for each query, the judged documents and their graded relevance. A grade of 1 or more
/// means relevant (trec_eval's default relevance level); 0 means judged non-relevant; a negative grade means
/// "in the pool but unjudged" and counts as neither. Immutable.
/// </summary>
public sealed class Qrels
{
    private static readonly IReadOnlyDictionary<string, int> NoJudgments = new Dictionary<string, int>();
    private readonly Dictionary<string, Dictionary<string, int>> _byQuery;
    private readonly List<string> _queryIds;

    private Qrels(Dictionary<string, Dictionary<string, int>> byQuery, List<string> queryIds)
    {
        _byQuery = byQuery;
        _queryIds = queryIds;
    }

    /// <summary>Builds qrels from judgments. A (query, document) pair judged twice is an error, as in trec_eval.</summary>
    /// <exception cref="ArgumentException">An id is empty or a pair is repeated.</exception>
    public static Qrels Create(IEnumerable<(string QueryId, string DocumentId, int Relevance)> judgments)
    {
        ArgumentNullException.ThrowIfNull(judgments);
        var builder = new Builder();
        foreach (var (queryId, documentId, relevance) in judgments)
        {
            var error = builder.Add(queryId, documentId, relevance);
            if (error is not null) throw new ArgumentException(error, nameof(judgments));
        }
        return builder.Build();
    }

    /// <summary>Query ids in first-seen order.</summary>
    public IReadOnlyList<string> QueryIds => _queryIds;

    /// <summary>Number of judged queries.</summary>
    public int Count => _queryIds.Count;

    /// <summary>Total number of judgments.</summary>
    public int JudgmentCount => _byQuery.Values.Sum(j => j.Count);

    /// <summary>Whether the query has any judgment.</summary>
    public bool Contains(string queryId) => _byQuery.ContainsKey(queryId);

    /// <summary>The judgments of a query (document id to grade); empty when the query is not judged.</summary>
    public IReadOnlyDictionary<string, int> Judgments(string queryId) =>
        _byQuery.TryGetValue(queryId, out var j) ? j : NoJudgments;

    /// <summary>How many documents of the query have a grade of at least 1.</summary>
    public int RelevantCount(string queryId) =>
        _byQuery.TryGetValue(queryId, out var j) ? j.Values.Count(g => g >= RetrievalEvaluator.RelevanceLevel) : 0;

    /// <summary>Accumulates judgments; <see cref="Add"/> returns an error message instead of throwing so loaders can prefix file:line.</summary>
    internal sealed class Builder
    {
        private readonly Dictionary<string, Dictionary<string, int>> _byQuery = new(StringComparer.Ordinal);
        private readonly List<string> _queryIds = [];

        public string? Add(string queryId, string documentId, int relevance)
        {
            if (string.IsNullOrEmpty(queryId)) return "query id is empty";
            if (string.IsNullOrEmpty(documentId)) return "document id is empty";
            if (!_byQuery.TryGetValue(queryId, out var judgments))
            {
                judgments = new Dictionary<string, int>(StringComparer.Ordinal);
                _byQuery.Add(queryId, judgments);
                _queryIds.Add(queryId);
            }
            if (!judgments.TryAdd(documentId, relevance))
                return $"document '{documentId}' is judged twice for query '{queryId}'";
            return null;
        }

        public Qrels Build() => new(_byQuery, _queryIds);
    }
}
