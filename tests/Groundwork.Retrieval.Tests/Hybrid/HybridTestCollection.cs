using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;

namespace Groundwork.Retrieval.Tests.Hybrid;

/// <summary>A real SQLite collection in a temporary folder, with helpers to add one-chunk documents.</summary>
internal sealed class HybridTestCollection : IAsyncDisposable
{
    private readonly TempDir _dir;

    private HybridTestCollection(TempDir dir, SqliteCollectionStore store)
    {
        _dir = dir;
        Store = store;
    }

    public SqliteCollectionStore Store { get; private set; }
    public string Directory => _dir.Path;

    public static async Task<HybridTestCollection> CreateAsync(string name = "hybrid")
    {
        var dir = TestPaths.CreateTempDir("gw-hybrid");
        var store = await SqliteCollectionStore.OpenAsync(Path.Combine(dir.Path, name + ".gwdb"), name, TestContext.Current.CancellationToken);
        return new HybridTestCollection(dir, store);
    }

    public async Task ReopenAsync()
    {
        var path = Store.FilePath;
        var name = Store.Name;
        await Store.DisposeAsync();
        Store = await SqliteCollectionStore.OpenAsync(path, name, TestContext.Current.CancellationToken);
    }

    public Task AddAsync(string id, string text, IReadOnlyDictionary<string, string>? tags = null, string? title = null)
    {
        var hash = ContentHash.Of(text);
        return Store.UpsertDocumentAsync(new StoredDocument
        {
            Id = id, SourcePath = "/docs/" + id + ".txt", Title = title, MediaType = "text/plain", ContentHash = hash,
            Text = text, Tags = tags ?? new Dictionary<string, string>(),
        }, [new StoredChunk { Id = id + "#0", DocumentId = id, Text = text, StartOffset = 0, EndOffset = text.Length, ContentHash = hash }],
            TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _dir.Dispose();
    }
}
