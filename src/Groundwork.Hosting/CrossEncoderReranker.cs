using Groundwork.Models.Embeddings;
using Groundwork.Retrieval.Reranking;
using Groundwork.Storage;

namespace Groundwork.Hosting;

/// <summary>
/// Reranks retrieved chunks with a local cross-encoder GGUF (a BERT-family reranking model: <c>pooling_type</c> 4,
/// e.g. ms-marco-MiniLM-L-6-v2 or bge-reranker-base converted by llama.cpp): each (query, chunk) pair is read
/// together by the model, which is more accurate than comparing separately made embeddings, at the cost of one
/// forward pass per candidate. It lives in Hosting, where the model side meets the RAG side's <see cref="IReranker"/>.
/// </summary>
public sealed class CrossEncoderReranker : IReranker, IDisposable
{
    private readonly BertEmbeddingModel _model;
    private readonly bool _ownsModel;
    private readonly int _batchSize;

    /// <summary>Wraps a loaded reranking model (<see cref="BertEmbeddingModel.IsReranker"/>).</summary>
    public CrossEncoderReranker(BertEmbeddingModel model, int batchSize = 16, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.IsReranker)
            throw new ArgumentException($"{model.Name} is an embedding model (pooling {model.Pooling}), not a reranker (pooling_type 4 with a classification head)", nameof(model));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _model = model;
        _batchSize = batchSize;
        _ownsModel = ownsModel;
    }

    /// <summary>Opens a reranking GGUF; the reranker owns it.</summary>
    public static CrossEncoderReranker Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: reranker model file not found", path);
        var model = BertEmbeddingModel.Load(path);
        try
        {
            return new CrossEncoderReranker(model, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model's name, for cache keys and reports.</summary>
    public string ModelId => _model.Name;

    /// <inheritdoc />
    public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(hits);
        var scores = new float[hits.Count];
        int outputs = _model.Config.ClassifierOutputs;
        var batch = new List<int[]>(_batchSize);
        var buffer = new float[_batchSize * outputs];
        for (int start = 0; start < hits.Count; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            int end = Math.Min(hits.Count, start + _batchSize);
            for (int i = start; i < end; i++) batch.Add(_model.TokenizePair(query, hits[i].Chunk.Text, out _));
            _model.ScoreTokens(batch, buffer);
            // A model with several outputs (labels) is read by its first: the relevance logit of single-output rerankers.
            for (int i = start; i < end; i++) scores[i] = buffer[(i - start) * outputs];
        }
        IReadOnlyList<SearchHit> result = Enumerable.Range(0, hits.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(limit)
            .Select(i => hits[i] with { Score = scores[i] }).ToList();
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
