using Groundwork.Storage.Sqlite;
using Groundwork.Storage.Tests.Conformance;
using Groundwork.Testing;

namespace Groundwork.Storage.Tests.Sqlite;

/// <summary>The embedding-cache conformance suite on real SQLite files in a fresh temporary folder per test.</summary>
public sealed class SqliteEmbeddingCacheConformanceTests : EmbeddingCacheConformanceTests
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("gw-emb");

    protected override Task<IStoreProvider> CreateProviderAsync() => Task.FromResult<IStoreProvider>(new SqliteStoreProvider(_dir.Path));

    protected override ValueTask CleanupAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}
