using System.Diagnostics;
using System.Globalization;
using System.Text;
using Groundwork.Storage.Sqlite;
using Groundwork.Storage.Tests.Conformance;
using Groundwork.Testing;
using Microsoft.Data.Sqlite;

namespace Groundwork.Storage.Tests.Sqlite;

/// <summary>What only the SQLite backend promises: file layout, pragmas, schema versions, crash consistency.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.CreateTempDir("gw-sqlite");

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SqliteConnection Raw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task Provider_stores_each_collection_in_its_own_file()
    {
        var root = Path.Combine(_dir.Path, "collections");
        var provider = new SqliteStoreProvider(root);
        Assert.Empty(await provider.ListCollectionsAsync(Ct)); // root not created yet
        await using (var store = await provider.OpenAsync("hr-docs_2024", Ct))
            Assert.Equal(Path.Combine(root, "hr-docs_2024.gwdb"), ((SqliteCollectionStore)store).FilePath);
        await using (await provider.OpenAsync("Alpha", Ct)) { }
        await File.WriteAllTextAsync(Path.Combine(root, "notes.txt"), "not a collection", Ct);

        Assert.True(File.Exists(Path.Combine(root, "hr-docs_2024.gwdb")));
        Assert.Equal(["Alpha", "hr-docs_2024"], await provider.ListCollectionsAsync(Ct));
    }

    [Fact]
    public async Task Name_validation_allows_64_characters_and_no_more()
    {
        var provider = new SqliteStoreProvider(_dir.Path);
        await using (await provider.OpenAsync(new string('a', 64), Ct)) { }
        var e = await Assert.ThrowsAsync<ArgumentException>(() => provider.OpenAsync(new string('a', 65), Ct));
        Assert.Contains("1-64", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => provider.OpenAsync("naïve", Ct));
    }

    [Fact]
    public async Task File_is_in_wal_mode_with_normal_sync_and_foreign_keys()
    {
        var path = _dir.File("wal.gwdb");
        await using (var store = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct))
        {
            var (sync, fk) = await store.WithConnectionAsync(c => (Scalar(c, "PRAGMA synchronous"), Scalar(c, "PRAGMA foreign_keys")), Ct);
            Assert.Equal(1L, sync); // NORMAL
            Assert.Equal(1L, fk);
            await store.UpsertDocumentAsync(TestDocs.Make("a", "A", ["x"]).Document, TestDocs.Make("a", "A", ["x"]).Chunks, Ct);
            Assert.True(File.Exists(path + "-wal"));
        }
        using var raw = Raw(path);
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode"));
        Assert.Equal((long)SchemaMigrations.ApplicationId, Scalar(raw, "PRAGMA application_id"));
    }

    [Fact]
    public async Task Dispose_closes_the_file_so_it_can_be_deleted()
    {
        var path = _dir.File("close.gwdb");
        var store = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct);
        var doc = TestDocs.Make("a", "A", ["some text"]);
        await store.UpsertDocumentAsync(doc.Document, doc.Chunks, Ct);
        await store.DisposeAsync();
        await store.DisposeAsync(); // idempotent
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetVersionAsync(Ct));

        // The last connection checkpoints and removes the log on close; a still-open connection would keep it.
        Assert.False(File.Exists(path + "-wal"));
        File.Delete(path);
        await using var fresh = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct);
        Assert.Equal(0, (await fresh.GetStatsAsync(Ct)).Documents);
    }

    [Fact]
    public async Task New_file_has_current_schema_version_and_contiguous_migrations()
    {
        Assert.Equal(Enumerable.Range(1, SchemaMigrations.All.Count), SchemaMigrations.All.Select(m => m.Version));
        var path = _dir.File("new.gwdb");
        await using (var store = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct))
        {
            Assert.Equal(SchemaMigrations.CurrentVersion, store.SchemaVersion);
            Assert.Equal(SchemaMigrations.CurrentVersion, (await store.GetStatsAsync(Ct)).SchemaVersion);
            Assert.Equal(0, await store.GetVersionAsync(Ct));
        }
        using var raw = Raw(path);
        Assert.Equal(SchemaMigrations.CurrentVersion.ToString(CultureInfo.InvariantCulture), Scalar(raw, "SELECT value FROM meta WHERE key = 'schema_version'"));
    }

    // The version-1 schema as shipped, written out here on purpose: the migration test must not depend on the code's copy.
    private const string HandWrittenV1 = """
        CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE documents (id TEXT PRIMARY KEY NOT NULL, source_path TEXT NOT NULL UNIQUE, title TEXT, media_type TEXT NOT NULL,
            content_hash TEXT NOT NULL, byte_size INTEGER NOT NULL, modified_utc TEXT NOT NULL, ingested_utc TEXT NOT NULL,
            page_count INTEGER, tags TEXT NOT NULL DEFAULT '{}', access_labels TEXT NOT NULL DEFAULT '[]', text TEXT NOT NULL);
        CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, ordinal INTEGER NOT NULL, text TEXT NOT NULL,
            start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, section_path TEXT NOT NULL DEFAULT '[]',
            section TEXT NOT NULL DEFAULT '', page_start INTEGER, page_end INTEGER, token_count INTEGER NOT NULL, content_hash TEXT NOT NULL);
        CREATE INDEX ix_chunks_document ON chunks(document_id, ordinal);
        CREATE VIEW chunks_fts_source AS SELECT c.rowid AS chunk_rowid, c.document_id AS document_id, d.title AS title,
            c.section AS section, c.text AS text FROM chunks c JOIN documents d ON d.id = c.document_id;
        CREATE VIRTUAL TABLE chunks_fts USING fts5(title, section, text, content = 'chunks_fts_source',
            content_rowid = 'chunk_rowid', tokenize = 'porter unicode61');
        INSERT INTO meta VALUES ('schema_version', '1'), ('version', '7');
        INSERT INTO settings VALUES ('embedding.model', 'legacy');
        INSERT INTO documents VALUES ('old', '/old.md', 'Legacy manual', 'text/markdown', 'abc', 42,
            '2020-01-01T00:00:00.0000000+00:00', '2020-01-02T00:00:00.0000000+00:00', NULL, '{"team":"lab"}', '[]',
            'Calibrate the spectrometer.' || char(10) || char(10) || 'Clean the lens.');
        INSERT INTO chunks(id, document_id, ordinal, text, start_offset, end_offset, section_path, section, token_count, content_hash)
            VALUES ('old#0', 'old', 0, 'Calibrate the spectrometer.', 0, 27, '["Lab"]', 'Lab', 4, 'h0'),
                   ('old#1', 'old', 1, 'Clean the lens.', 29, 44, '["Lab"]', 'Lab', 3, 'h1');
        INSERT INTO chunks_fts(rowid, title, section, text) SELECT chunk_rowid, title, section, text FROM chunks_fts_source;
        """;

    [Fact]
    public async Task Version_1_file_is_migrated_to_current_keeping_its_data()
    {
        var path = _dir.File("v1.gwdb");
        using (var raw = Raw(path)) Exec(raw, HandWrittenV1);

        await using (var store = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct))
        {
            Assert.Equal(SchemaMigrations.CurrentVersion, store.SchemaVersion);
            Assert.Equal(7, await store.GetVersionAsync(Ct)); // migrating is not a content change
            Assert.Equal("legacy", await store.GetSettingAsync("embedding.model", Ct));
            Assert.Equal("Legacy manual", (await store.GetDocumentAsync("old", Ct))?.Title);
            var hit = Assert.Single(await store.KeywordSearchAsync("spectrometer calibration", 10, null, Ct));
            Assert.Equal("old#0", hit.Chunk.Id);
            Assert.Equal(["Lab"], hit.Chunk.SectionPath);
            // New writes work against the migrated file.
            var doc = TestDocs.Make("old", "Legacy manual v2", ["Replace the lens."]);
            await store.UpsertDocumentAsync(doc.Document, doc.Chunks, Ct);
            Assert.Empty(await store.KeywordSearchAsync("spectrometer", 10, null, Ct));
        }
        using (var raw = Raw(path))
        {
            Assert.Equal(SchemaMigrations.CurrentVersion.ToString(CultureInfo.InvariantCulture), Scalar(raw, "SELECT value FROM meta WHERE key = 'schema_version'"));
            Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'ix_documents_content_hash'"));
            Assert.Equal("ok", Scalar(raw, "PRAGMA integrity_check"));
        }
        // Reopening an up-to-date file applies nothing.
        await using (var again = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct))
            Assert.Equal(SchemaMigrations.CurrentVersion, again.SchemaVersion);
    }

    [Fact]
    public async Task Newer_schema_version_is_refused_with_a_clear_error()
    {
        var path = _dir.File("future.gwdb");
        await using (await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct)) { }
        using (var raw = Raw(path)) Exec(raw, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("99", e.Message, StringComparison.Ordinal);
        Assert.Contains($"version {SchemaMigrations.CurrentVersion}", e.Message, StringComparison.Ordinal);
        using (var raw = Raw(path)) Assert.Equal("99", Scalar(raw, "SELECT value FROM meta WHERE key = 'schema_version'")); // untouched
    }

    [Fact]
    public async Task Foreign_sqlite_file_and_garbage_file_are_refused()
    {
        var foreign = _dir.File("foreign.gwdb");
        using (var raw = Raw(foreign)) Exec(raw, "CREATE TABLE customers(id INTEGER PRIMARY KEY)");
        var e1 = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteCollectionStore.OpenAsync(foreign, cancellationToken: Ct));
        Assert.Contains(foreign, e1.Message, StringComparison.Ordinal);
        Assert.Contains("not a Groundwork collection", e1.Message, StringComparison.Ordinal);

        var garbage = _dir.File("garbage.gwdb");
        await File.WriteAllTextAsync(garbage, new string('x', 5000), Ct);
        var e2 = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteCollectionStore.OpenAsync(garbage, cancellationToken: Ct));
        Assert.Contains(garbage, e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Index_stays_consistent_through_replacements_and_removals()
    {
        var path = _dir.File("fts.gwdb");
        await using var store = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct);
        var rng = new Random(7);
        for (int i = 0; i < 60; i++)
        {
            if (i % 5 == 4) await store.RemoveDocumentAsync($"doc{rng.Next(10)}", Ct);
            else
            {
                var (d, c) = CrashWorker.MakeDocument(rng, rng.Next(10), i);
                await store.UpsertDocumentAsync(d, c, Ct);
            }
        }
        await AssertInvariantsAsync(store);
    }

    [Fact]
    public async Task Reads_run_beside_an_open_write_and_see_only_committed_data()
    {
        await using var store = await SqliteCollectionStore.OpenAsync(_dir.File("readers.gwdb"), cancellationToken: Ct);
        var committed = TestDocs.Make("committed", "Doc", ["walrus facts"]);
        await store.UpsertDocumentAsync(committed.Document, committed.Chunks, Ct);

        // Hold the writer inside an uncommitted transaction while other callers read.
        var (hits, document, version) = await store.WithConnectionAsync(c =>
        {
            using var tx = c.BeginTransaction();
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "DELETE FROM settings; UPDATE meta SET value = '999' WHERE key = 'version';" +
                    "UPDATE documents SET title = 'uncommitted' WHERE id = 'committed'";
                cmd.ExecuteNonQuery();
            }
            var reads = Task.Run(async () => (
                await store.KeywordSearchAsync("walrus", 10, null, Ct),
                await store.GetDocumentAsync("committed", Ct),
                await store.GetVersionAsync(Ct)));
            Assert.True(reads.Wait(TimeSpan.FromSeconds(30)), "reads waited for the writer");
            return reads.Result; // the transaction rolls back on dispose
        }, Ct);
        Assert.Single(hits);
        Assert.Equal("Doc", document?.Title);
        Assert.Equal(1, version);
    }

    [Fact]
    public async Task Optimize_keeps_results_and_version()
    {
        await using var store = await SqliteCollectionStore.OpenAsync(_dir.File("optimize.gwdb"), cancellationToken: Ct);
        var rng = new Random(3);
        for (int i = 0; i < 20; i++)
        {
            var (d, c) = CrashWorker.MakeDocument(rng, i, i);
            await store.UpsertDocumentAsync(d, c, Ct);
        }
        var before = await store.KeywordSearchAsync("river glacier", 15, null, Ct);
        long version = await store.GetVersionAsync(Ct);
        await store.OptimizeAsync(Ct);
        var after = await store.KeywordSearchAsync("river glacier", 15, null, Ct);
        Assert.Equal(before.Select(h => h.Chunk.Id), after.Select(h => h.Chunk.Id));
        Assert.Equal(before.Select(h => h.Score), after.Select(h => h.Score), (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.Equal(version, await store.GetVersionAsync(Ct));
        await AssertInvariantsAsync(store);
    }

    [Fact]
    public async Task Diacritics_are_folded_in_search()
    {
        await using var store = await SqliteCollectionStore.OpenAsync(_dir.File("fold.gwdb"), cancellationToken: Ct);
        var doc = TestDocs.Make("cafe", "Menu", ["The café serves crème brûlée."]);
        await store.UpsertDocumentAsync(doc.Document, doc.Chunks, Ct);
        Assert.Single(await store.KeywordSearchAsync("cafe creme brulee", 10, null, Ct));
        var hit = Assert.Single(await store.KeywordSearchAsync("CAFÉ", 10, null, Ct));
        Assert.Contains("«café»", hit.Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killed_writer_process_leaves_a_consistent_store()
    {
        var path = _dir.File("crash.gwdb");
        int seed = Environment.TickCount;
        var rng = new Random(seed);
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}");
        long lastVersion = 0;
        for (int round = 0; round < 4; round++)
        {
            var stderr = new StringBuilder();
            using (var process = StartWorker(path, rng.Next(), stderr))
            {
                try
                {
                    var ready = await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(90), Ct);
                    Assert.True(ready == "ready", $"worker did not start (round {round}): {ready} {stderr}");
                    await Task.Delay(rng.Next(20, 500), Ct);
                    Assert.False(process.HasExited, $"worker exited early with {(process.HasExited ? process.ExitCode : 0)}: {stderr}");
                }
                finally
                {
                    if (!process.HasExited) process.Kill(); // SIGKILL: no finally blocks, no dispose, no checkpoint
                    await process.WaitForExitAsync(Ct);
                }
            }

            await using var store = await SqliteCollectionStore.OpenAsync(path, cancellationToken: Ct);
            long version = await store.GetVersionAsync(Ct);
            Assert.True(version > lastVersion, $"round {round}: no commit survived (version {version})");
            lastVersion = version;
            await AssertInvariantsAsync(store);
        }
    }

    private static Process StartWorker(string path, int seed, StringBuilder stderr)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
            host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", typeof(CrashWorker).Assembly.Location, CrashWorker.Verb, path, seed.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + host);
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>File integrity, index integrity, and every document complete with its chunks.</summary>
    private static async Task AssertInvariantsAsync(SqliteCollectionStore store)
    {
        await store.WithConnectionAsync(c =>
        {
            Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check"));
            Exec(c, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)"); // throws on mismatch
            Assert.Equal(Scalar(c, "SELECT count(*) FROM chunks"), Scalar(c, "SELECT count(*) FROM chunks_fts_docsize"));
            Assert.Null(Scalar(c, "PRAGMA foreign_key_check"));
            return 0;
        }, Ct);

        int documents = 0;
        await foreach (var listed in store.ListDocumentsAsync(Ct))
        {
            documents++;
            var document = await store.GetDocumentAsync(listed.Id, Ct);
            Assert.NotNull(document);
            var chunks = await store.GetChunksAsync(listed.Id, Ct);
            int expected = int.Parse(document.Tags[CrashWorker.ChunkCountTag], CultureInfo.InvariantCulture);
            Assert.Equal(expected, chunks.Count);
            Assert.Equal(Enumerable.Range(0, expected), chunks.Select(c => c.Ordinal));
            Assert.All(chunks, c => Assert.Equal(document.Text[c.StartOffset..c.EndOffset], c.Text));
            // The title in the index is the document's current one: its generation word finds this document.
            var generation = document.Title!.Split(' ')[^1];
            var hits = await store.KeywordSearchAsync("gen" + generation, 100, new SearchFilter { DocumentIds = [document.Id] }, Ct);
            Assert.Equal(expected, hits.Count);
        }
        Assert.Equal(documents, (await store.GetStatsAsync(Ct)).Documents);
    }
}
