using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Text;

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
    /// <summary>Ingests files into the collection.</summary>
    public Ingestor Ingestor { get; }
    /// <summary>Searches the collection.</summary>
    public Retriever Retriever { get; }
    /// <summary>Answers questions without a model.</summary>
    public ExtractiveAnswerer Answerer { get; }

    /// <summary>The grounded-generation answerer over this collection with <paramref name="backend"/>'s model, cached in the collection.</summary>
    public GroundedAnswerer CreateGroundedAnswerer(ChatBackend backend, GroundedAnswerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return new GroundedAnswerer(Retriever, backend.Chat, backend.Tokenizer, options, cache: new CollectionAnswerCache(Store), modelId: backend.ModelId);
    }

    /// <summary>Opens (creating if needed) the collection named in <paramref name="options"/>.</summary>
    public static async Task<GroundworkWorkspace> OpenAsync(GroundworkOptions options, CancellationToken cancellationToken = default)
    {
        var provider = new SqliteStoreProvider(Path.GetFullPath(options.StoreDirectory));
        var store = await provider.OpenAsync(options.Collection, cancellationToken).ConfigureAwait(false);
        return new GroundworkWorkspace(options, provider, store, new DefaultTokenizer());
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
