using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Models.Embeddings;
using Groundwork.Models.OpenAI;
using Groundwork.Retrieval.Hybrid;
using Groundwork.Retrieval.Reranking;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Hosting;

/// <summary>
/// One open collection with everything that works on it: the ingestor, the retriever and the answerer.
/// This is the composition root the CLI, the server and library users share.
/// </summary>
public sealed class GroundworkWorkspace : IAsyncDisposable
{
    private GroundworkWorkspace(GroundworkOptions options, IStoreProvider provider, ICollectionStore store, ITokenizer tokenizer)
    {
        Options = options;
        Provider = provider;
        Store = store;
        Tokenizer = tokenizer;
        Extractors = ExtractorRegistry.CreateDefault();
        Retriever = new Retriever(store);
        Ingestor = new Ingestor(store, Extractors, tokenizer, options.Chunking);
        Answerer = new ExtractiveAnswerer(Retriever);
    }

    /// <summary>The options it was opened with.</summary>
    public GroundworkOptions Options { get; }
    /// <summary>The store backend.</summary>
    public IStoreProvider Provider { get; }
    /// <summary>The open collection.</summary>
    public ICollectionStore Store { get; }
    /// <summary>The tokenizer chunks are measured with.</summary>
    public ITokenizer Tokenizer { get; }
    /// <summary>Extractors by file type.</summary>
    public ExtractorRegistry Extractors { get; }
    /// <summary>Ingests files into the collection (computing missing embeddings when an embedding model is in use).</summary>
    public Ingestor Ingestor { get; private set; }
    /// <summary>Searches the collection.</summary>
    public Retriever Retriever { get; private set; }
    /// <summary>Answers questions without a model.</summary>
    public ExtractiveAnswerer Answerer { get; private set; }
    /// <summary>The embedding model in use, or null (keyword search only).</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingGenerator { get; private set; }
    /// <summary>The collection's vector index for <see cref="EmbeddingGenerator"/>, or null.</summary>
    public CollectionVectorIndex? VectorIndex { get; private set; }

    /// <summary>
    /// Switches vector and hybrid search on with the embedding model in <paramref name="options"/>: ingests then cache
    /// the chunks' vectors, and the retriever searches the vector index <c>&lt;collection&gt;.&lt;model-slug&gt;.vec</c>
    /// beside the collection file.
    /// </summary>
    /// <exception cref="ArgumentException">Neither or both of a model file and an endpoint, or an endpoint without a model name.</exception>
    public void UseEmbeddingModel(EmbeddingModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (EmbeddingGenerator is not null) throw new InvalidOperationException("an embedding model is already in use in this workspace");
        IEmbeddingGenerator<string, Embedding<float>> generator;
        if (options.Endpoint is not null)
        {
            if (options.ModelPath is not null) throw new ArgumentException("pass either --embedding-model FILE.gguf or --embedding-endpoint URL --embedding-model NAME, not both");
            if (string.IsNullOrWhiteSpace(options.ModelName))
                throw new ArgumentException("--embedding-endpoint needs --embedding-model NAME (the model name at the endpoint)");
            generator = new OpenAiCompatibleEmbeddingGenerator(new OpenAiEndpointOptions
            {
                Endpoint = options.Endpoint,
                Model = options.ModelName,
                ApiKeyEnvironmentVariable = options.ApiKeyEnvironmentVariable,
            });
        }
        else
        {
            var path = options.ModelPath ?? throw new ArgumentException("no embedding model configured: pass --embedding-model FILE.gguf, or --embedding-endpoint URL --embedding-model NAME");
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: embedding model file not found");
            generator = new LocalEmbeddingGenerator(LocalEmbeddingModel.Load(path), new LocalEmbeddingGeneratorOptions { OwnsModel = true });
        }
        UseEmbeddingGenerator(generator, new CollectionVectorIndexOptions { Exact = options.ExactIndex });
    }

    /// <summary>Switches vector and hybrid search on with <paramref name="generator"/> (owned by the workspace from now on).</summary>
    public void UseEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> generator, CollectionVectorIndexOptions? indexOptions = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (EmbeddingGenerator is not null) throw new InvalidOperationException("an embedding model is already in use in this workspace");
        var modelId = EmbeddingModels.IdOf(generator);
        var indexPath = EmbeddingModels.IndexPath(Path.GetFullPath(Options.StoreDirectory), Store.Name, modelId);
        EmbeddingGenerator = generator;
        VectorIndex = new CollectionVectorIndex(Store, generator, modelId, indexPath, indexOptions);
        _embedStep = new EmbedStep(Store, generator, modelId);
        Retriever = new Retriever(Store, VectorIndex);
        Ingestor = new Ingestor(Store, Extractors, Tokenizer, Options.Chunking, [_embedStep]);
        Answerer = new ExtractiveAnswerer(Retriever);
    }

    /// <summary>
    /// Brings the vector index up to date with the collection (after an ingest) and, if the collection was indexed with
    /// another model or none, switches it to this one once the new index is complete. Null without an embedding model.
    /// </summary>
    public async Task<VectorIndexUpdate?> UpdateVectorIndexAsync(CancellationToken cancellationToken = default)
        => VectorIndex is null ? null : await VectorIndex.UpdateAsync(cancellationToken).ConfigureAwait(false);

    private EmbedStep? _embedStep;

    /// <summary>
    /// The grounded-generation answerer over this collection with <paramref name="backend"/>'s model, cached in the
    /// collection; <paramref name="reranker"/> replaces the default lexical reranker (e.g. a <see cref="CrossEncoderReranker"/>,
    /// whose model then becomes part of the cache key).
    /// </summary>
    public GroundedAnswerer CreateGroundedAnswerer(ChatBackend backend, GroundedAnswerOptions? options = null, IReranker? reranker = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var modelId = reranker is CrossEncoderReranker cross ? $"{backend.ModelId}+rerank:{cross.ModelId}" : backend.ModelId;
        return new GroundedAnswerer(Retriever, backend.Chat, backend.Tokenizer, options, reranker, cache: new CollectionAnswerCache(Store), modelId: modelId);
    }

    /// <summary>Opens (creating if needed) the collection named in <paramref name="options"/>.</summary>
    public static async Task<GroundworkWorkspace> OpenAsync(GroundworkOptions options, CancellationToken cancellationToken = default)
    {
        var provider = new SqliteStoreProvider(Path.GetFullPath(options.StoreDirectory));
        var store = await provider.OpenAsync(options.Collection, cancellationToken).ConfigureAwait(false);
        var workspace = new GroundworkWorkspace(options, provider, store, new DefaultTokenizer());
        try
        {
            if (options.Embedding is { } embedding) workspace.UseEmbeddingModel(embedding);
        }
        catch
        {
            await workspace.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return workspace;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        VectorIndex?.Dispose();
        _embedStep?.Dispose();
        EmbeddingGenerator?.Dispose();
        await Store.DisposeAsync().ConfigureAwait(false);
    }
}
