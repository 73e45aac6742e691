using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Groundwork.Storage.Sqlite;

/// <summary>
/// One collection in one SQLite file (WAL, FTS5 BM25). One writer connection and a small pool of reader connections
/// make it safe for concurrent async callers, and reads never wait for a write. Every write is one IMMEDIATE
/// transaction, so after a crash a document is either fully present with all its chunks and index rows or absent.
/// Dispose closes the file.
/// </summary>
public sealed partial class SqliteCollectionStore : ICollectionStore
{
    // BM25 column weights (title, section, text). Title weight 2 matched or beat 1 on SciFact (measured-facts.md);
    // headings are a similarly strong but shorter signal.
    internal const double TitleWeight = 2.0;
    internal const double SectionWeight = 1.5;
    internal const double TextWeight = 1.0;
    internal const int SnippetTokens = 24;
    private const int ListPageSize = 500;
    private const int SqliteConstraint = 19;

    private const string DocumentColumns =
        "d.id, d.source_path, d.title, d.media_type, d.content_hash, d.byte_size, d.modified_utc, d.ingested_utc, d.page_count, d.tags, d.access_labels";
    private const int DocumentColumnCount = 11;
    private const string ChunkColumns =
        "c.id, c.document_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.section_path, c.page_start, c.page_end, c.token_count, c.content_hash";
    private const int ChunkColumnCount = 11;

    private const string DeleteFtsRowsSql =
        "INSERT INTO chunks_fts(chunks_fts, rowid, title, section, text) " +
        "SELECT 'delete', chunk_rowid, title, section, text FROM chunks_fts_source WHERE document_id = $id";
    private const string InsertFtsRowsSql =
        "INSERT INTO chunks_fts(rowid, title, section, text) " +
        "SELECT chunk_rowid, title, section, text FROM chunks_fts_source WHERE document_id = $id";
    private const string BumpVersionSql = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'";

    private const int MaxReaders = 4;

    // Writes go through one connection; reads through a small pool of read-only connections, which WAL lets run
    // beside the writer and each other, each seeing the last committed state.
    private readonly Session _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly string _connectionString;
    private readonly SemaphoreSlim _readGate = new(MaxReaders, MaxReaders);
    private readonly ConcurrentBag<Session> _idleReaders = [];
    private readonly List<Session> _allReaders = [];
    private bool _disposed;

    private SqliteCollectionStore(string name, string filePath, string connectionString, SqliteConnection connection, int schemaVersion)
    {
        Name = name;
        FilePath = filePath;
        _connectionString = connectionString;
        _writer = new Session(connection);
        SchemaVersion = schemaVersion;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Full path of the collection's database file.</summary>
    public string FilePath { get; }

    /// <summary>The schema version of the open file (always the current one after opening).</summary>
    public int SchemaVersion { get; }

    /// <summary>
    /// Opens (creating and migrating if needed) the store in <paramref name="filePath"/>. A file written by a newer
    /// Groundwork, or one that is not a Groundwork store, is refused with an <see cref="InvalidDataException"/>.
    /// </summary>
    /// <param name="filePath">The database file.</param>
    /// <param name="name">Collection name; defaults to the file name without extension.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<SqliteCollectionStore> OpenAsync(string filePath, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var full = Path.GetFullPath(filePath);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Execute(connection, "PRAGMA busy_timeout = 10000;");
            // WAL: readers never block the writer, and a commit is one append, durable against process crashes.
            var mode = Scalar(connection, "PRAGMA journal_mode = WAL;") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"{full}: could not switch to WAL journal mode (got '{mode}'); is the folder on a network file system?");
            // NORMAL in WAL mode: no fsync per commit; committed transactions survive a process crash (kill -9),
            // only an OS crash or power loss can lose the last few commits, and never corrupts the file.
            Execute(connection, "PRAGMA synchronous = NORMAL;");
            Execute(connection, "PRAGMA foreign_keys = ON;");
            int version = SchemaMigrations.Migrate(connection, full);
            return new SqliteCollectionStore(name ?? Path.GetFileNameWithoutExtension(full), full, connectionString, connection, version);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"{full}: not a readable Groundwork collection ({e.Message})", e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task<long> GetVersionAsync(CancellationToken cancellationToken = default)
        => ReadAsync(ReadVersion, cancellationToken);

    /// <inheritdoc />
    public Task UpsertDocumentAsync(StoredDocument document, IReadOnlyList<StoredChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(chunks);
        Validate(document, chunks);
        var tags = JsonColumns.Object(document.Tags);
        var labels = JsonColumns.Array(document.AccessLabels);

        return WriteAsync(s =>
        {
            using var tx = s.Connection.BeginTransaction(deferred: false);

            var owner = s.Command("SELECT id FROM documents WHERE source_path = $path AND id <> $id", tx);
            owner.Parameters.AddWithValue("$path", document.SourcePath);
            owner.Parameters.AddWithValue("$id", document.Id);
            if (owner.ExecuteScalar() is string other)
                throw new InvalidOperationException(
                    $"collection '{Name}': source path '{document.SourcePath}' already belongs to document '{other}', not '{document.Id}'");

            // Index rows first: an external-content FTS5 delete needs the old values, which the view still shows.
            DeleteDocumentRows(s, document.Id, tx);

            var upsert = s.Command("""
                INSERT INTO documents(id, source_path, title, media_type, content_hash, byte_size, modified_utc, ingested_utc, page_count, text, tags, access_labels)
                VALUES($id, $path, $title, $media, $hash, $size, $modified, $ingested, $pages, $text, $tags, $labels)
                ON CONFLICT(id) DO UPDATE SET source_path = excluded.source_path, title = excluded.title, media_type = excluded.media_type,
                    content_hash = excluded.content_hash, byte_size = excluded.byte_size, modified_utc = excluded.modified_utc,
                    ingested_utc = excluded.ingested_utc, page_count = excluded.page_count, text = excluded.text,
                    tags = excluded.tags, access_labels = excluded.access_labels
                """, tx);
            var p = upsert.Parameters;
            p.AddWithValue("$id", document.Id);
            p.AddWithValue("$path", document.SourcePath);
            p.AddWithValue("$title", (object?)document.Title ?? DBNull.Value);
            p.AddWithValue("$media", document.MediaType);
            p.AddWithValue("$hash", document.ContentHash);
            p.AddWithValue("$size", document.ByteSize);
            p.AddWithValue("$modified", FormatTime(document.ModifiedUtc));
            p.AddWithValue("$ingested", FormatTime(document.IngestedUtc));
            p.AddWithValue("$pages", (object?)document.PageCount ?? DBNull.Value);
            p.AddWithValue("$text", document.Text);
            p.AddWithValue("$tags", tags);
            p.AddWithValue("$labels", labels);
            upsert.ExecuteNonQuery();

            var insert = s.Command("""
                INSERT INTO chunks(id, document_id, ordinal, text, start_offset, end_offset, section_path, section, page_start, page_end, token_count, content_hash)
                VALUES($id, $doc, $ordinal, $text, $start, $end, $sectionPath, $section, $pageStart, $pageEnd, $tokens, $hash)
                """, tx);
            var cp = insert.Parameters;
            var pId = cp.Add("$id", SqliteType.Text);
            var pDoc = cp.Add("$doc", SqliteType.Text);
            var pOrdinal = cp.Add("$ordinal", SqliteType.Integer);
            var pText = cp.Add("$text", SqliteType.Text);
            var pStart = cp.Add("$start", SqliteType.Integer);
            var pEnd = cp.Add("$end", SqliteType.Integer);
            var pSectionPath = cp.Add("$sectionPath", SqliteType.Text);
            var pSection = cp.Add("$section", SqliteType.Text);
            var pPageStart = cp.Add("$pageStart", SqliteType.Integer);
            var pPageEnd = cp.Add("$pageEnd", SqliteType.Integer);
            var pTokens = cp.Add("$tokens", SqliteType.Integer);
            var pHash = cp.Add("$hash", SqliteType.Text);
            foreach (var chunk in chunks)
            {
                pId.Value = chunk.Id;
                pDoc.Value = chunk.DocumentId;
                pOrdinal.Value = chunk.Ordinal;
                pText.Value = chunk.Text;
                pStart.Value = chunk.StartOffset;
                pEnd.Value = chunk.EndOffset;
                pSectionPath.Value = JsonColumns.Array(chunk.SectionPath);
                pSection.Value = string.Join(" > ", chunk.SectionPath);
                pPageStart.Value = (object?)chunk.PageStart ?? DBNull.Value;
                pPageEnd.Value = (object?)chunk.PageEnd ?? DBNull.Value;
                pTokens.Value = chunk.TokenCount;
                pHash.Value = chunk.ContentHash;
                try
                {
                    insert.ExecuteNonQuery();
                }
                catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
                {
                    throw new InvalidOperationException(
                        $"collection '{Name}': chunk id '{chunk.Id}' of document '{document.Id}' already belongs to another document", e);
                }
            }

            var fts = s.Command(InsertFtsRowsSql, tx);
            fts.Parameters.AddWithValue("$id", document.Id);
            fts.ExecuteNonQuery();
            s.Command(BumpVersionSql, tx).ExecuteNonQuery();
            tx.Commit();
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> RemoveDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        return WriteAsync(s =>
        {
            using var tx = s.Connection.BeginTransaction(deferred: false);
            DeleteDocumentRows(s, documentId, tx);
            var delete = s.Command("DELETE FROM documents WHERE id = $id", tx);
            delete.Parameters.AddWithValue("$id", documentId);
            if (delete.ExecuteNonQuery() == 0) return false; // nothing changed: roll back, version unchanged
            s.Command(BumpVersionSql, tx).ExecuteNonQuery();
            tx.Commit();
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        return ReadAsync(s =>
        {
            var cmd = s.Command($"SELECT {DocumentColumns}, d.text FROM documents d WHERE d.id = $id");
            cmd.Parameters.AddWithValue("$id", documentId);
            using var reader = cmd.ExecuteReader();
            return reader.Read() ? ReadDocument(reader, 0, reader.GetString(DocumentColumnCount)) : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Pages through the documents by id, so other calls on this store may run while enumerating.</remarks>
    public async IAsyncEnumerable<StoredDocument> ListDocumentsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string after = "";
        while (true)
        {
            var page = await ReadAsync(s =>
            {
                var cmd = s.Command($"SELECT {DocumentColumns} FROM documents d WHERE d.id > $after ORDER BY d.id LIMIT {ListPageSize}");
                cmd.Parameters.AddWithValue("$after", after);
                using var reader = cmd.ExecuteReader();
                var list = new List<StoredDocument>();
                while (reader.Read()) list.Add(ReadDocument(reader, 0, ""));
                return list;
            }, cancellationToken).ConfigureAwait(false);
            foreach (var document in page) yield return document;
            if (page.Count < ListPageSize) yield break;
            after = page[^1].Id;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredChunk>> GetChunksAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        return ReadAsync<IReadOnlyList<StoredChunk>>(s =>
        {
            var cmd = s.Command($"SELECT {ChunkColumns} FROM chunks c WHERE c.document_id = $id ORDER BY c.ordinal, c.rowid");
            cmd.Parameters.AddWithValue("$id", documentId);
            using var reader = cmd.ExecuteReader();
            var list = new List<StoredChunk>();
            while (reader.Read()) list.Add(ReadChunk(reader, 0));
            return list;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Results follow the order of <paramref name="chunkIds"/>.</remarks>
    public Task<IReadOnlyList<StoredChunk>> GetChunksByIdAsync(IReadOnlyList<string> chunkIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        if (chunkIds.Count == 0) return Task.FromResult<IReadOnlyList<StoredChunk>>([]);
        var ids = JsonColumns.Array(chunkIds);
        return ReadAsync<IReadOnlyList<StoredChunk>>(s =>
        {
            var cmd = s.Command($"SELECT {ChunkColumns} FROM json_each($ids) j JOIN chunks c ON c.id = j.value ORDER BY j.key");
            cmd.Parameters.AddWithValue("$ids", ids);
            using var reader = cmd.ExecuteReader();
            var list = new List<StoredChunk>();
            while (reader.Read()) list.Add(ReadChunk(reader, 0));
            return list;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The query is split into words, English stopwords are dropped (unless nothing else is left) and the rest are
    /// OR-ed, so any text is accepted. Score is <c>-bm25(title 2, section 1.5, text 1)</c>; the snippet comes from the
    /// chunk text with matched terms in « ».
    /// </remarks>
    public Task<IReadOnlyList<SearchHit>> KeywordSearchAsync(string query, int limit, SearchFilter? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var match = FtsQuery.Build(query);
        if (match is null || limit == 0) return Task.FromResult<IReadOnlyList<SearchHit>>([]);

        var where = new List<string>();
        string? tagsJson = null, labelsJson = null, idsJson = null;
        if (filter?.Tags is { Count: > 0 } tags)
        {
            tagsJson = JsonColumns.Object(tags);
            where.Add("NOT EXISTS (SELECT 1 FROM json_each($tags) ft WHERE NOT EXISTS " +
                      "(SELECT 1 FROM json_each(d.tags) dt WHERE dt.key = ft.key AND dt.value = ft.value))");
        }
        if (filter?.AccessLabels is { } labels)
        {
            labelsJson = JsonColumns.Array(labels);
            where.Add("(json_array_length(d.access_labels) = 0 OR EXISTS " +
                      "(SELECT 1 FROM json_each(d.access_labels) dl JOIN json_each($labels) fl ON fl.value = dl.value))");
        }
        if (filter?.DocumentIds is { } documentIds)
        {
            idsJson = JsonColumns.Array(documentIds);
            where.Add("d.id IN (SELECT value FROM json_each($docs))");
        }
        string bm25 = string.Create(CultureInfo.InvariantCulture, $"bm25(chunks_fts, {TitleWeight:R}, {SectionWeight:R}, {TextWeight:R})");
        // Filters pick the visible documents once (SQLite materialises the IN list); each match then costs one lookup.
        string join = where.Count > 0 ? " JOIN chunks c ON c.rowid = chunks_fts.rowid" : "";
        string filters = where.Count > 0
            ? " AND c.document_id IN (SELECT d.id FROM documents d WHERE " + string.Join(" AND ", where) + ")"
            : "";
        string rankSql = $"SELECT chunks_fts.rowid, {bm25} AS s FROM chunks_fts{join} WHERE chunks_fts MATCH $q{filters} ORDER BY s, chunks_fts.rowid LIMIT $limit";

        return ReadAsync<IReadOnlyList<SearchHit>>(s =>
        {
            // Phase 1 ranks every match but reads only rowids and scores; phase 2 loads rows and builds snippets
            // for the top hits only (a sorter would otherwise compute a snippet for every match).
            var rank = s.Command(rankSql);
            rank.Parameters.AddWithValue("$q", match);
            rank.Parameters.AddWithValue("$limit", limit);
            if (tagsJson is not null) rank.Parameters.AddWithValue("$tags", tagsJson);
            if (labelsJson is not null) rank.Parameters.AddWithValue("$labels", labelsJson);
            if (idsJson is not null) rank.Parameters.AddWithValue("$docs", idsJson);
            var top = new List<(long RowId, double Score)>();
            using (var reader = rank.ExecuteReader())
            {
                while (reader.Read()) top.Add((reader.GetInt64(0), -reader.GetDouble(1)));
            }
            if (top.Count == 0) return [];

            var load = s.Command($"""
                SELECT chunks_fts.rowid, snippet(chunks_fts, 2, '«', '»', '…', {SnippetTokens}), {ChunkColumns}, {DocumentColumns}
                FROM json_each($rowids) top CROSS JOIN chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN documents d ON d.id = c.document_id
                WHERE chunks_fts MATCH $q AND chunks_fts.rowid = top.value
                """);
            load.Parameters.AddWithValue("$q", match);
            load.Parameters.AddWithValue("$rowids", "[" + string.Join(",", top.Select(t => t.RowId.ToString(CultureInfo.InvariantCulture))) + "]");
            var rows = new Dictionary<long, (string Snippet, StoredChunk Chunk, StoredDocument Document)>(top.Count);
            using (var reader = load.ExecuteReader())
            {
                while (reader.Read())
                {
                    var snippet = reader.IsDBNull(1) ? "" : reader.GetString(1);
                    rows[reader.GetInt64(0)] = (snippet, ReadChunk(reader, 2), ReadDocument(reader, 2 + ChunkColumnCount, ""));
                }
            }
            var hits = new List<SearchHit>(top.Count);
            foreach (var (rowId, score) in top)
            {
                if (rows.TryGetValue(rowId, out var row)) hits.Add(new SearchHit(row.Chunk, row.Document, score, row.Snippet));
            }
            return hits;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<string> AppendInteractionAsync(InteractionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var stored = string.IsNullOrEmpty(record.Id) ? record with { Id = Guid.NewGuid().ToString("N")[..12] } : record;
        return WriteAsync(s =>
        {
            var cmd = s.Command("INSERT INTO interactions(id, created_utc, record, feedback) VALUES($id, $t, $r, $f)");
            cmd.Parameters.AddWithValue("$id", stored.Id);
            cmd.Parameters.AddWithValue("$t", stored.TimestampUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$r", System.Text.Json.JsonSerializer.Serialize(stored with { Feedback = null }, InteractionJson));
            cmd.Parameters.AddWithValue("$f", (object?)stored.Feedback ?? DBNull.Value);
            cmd.ExecuteNonQuery();
            return stored.Id;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> SetFeedbackAsync(string interactionId, string feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(interactionId);
        if (feedback is not ("good" or "bad")) throw new ArgumentException($"feedback must be 'good' or 'bad', got '{feedback}'", nameof(feedback));
        return WriteAsync(s =>
        {
            var cmd = s.Command("UPDATE interactions SET feedback = $f WHERE id = $id");
            cmd.Parameters.AddWithValue("$f", feedback);
            cmd.Parameters.AddWithValue("$id", interactionId);
            return cmd.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<InteractionRecord> ListInteractionsAsync(int limit = int.MaxValue, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long before = long.MaxValue;
        int remaining = limit;
        while (remaining > 0)
        {
            var page = await ReadAsync(s =>
            {
                var cmd = s.Command("SELECT seq, record, feedback FROM interactions WHERE seq < $before ORDER BY seq DESC LIMIT $n");
                cmd.Parameters.AddWithValue("$before", before);
                cmd.Parameters.AddWithValue("$n", Math.Min(remaining, ListPageSize));
                using var reader = cmd.ExecuteReader();
                var list = new List<(long Seq, InteractionRecord Record)>();
                while (reader.Read())
                {
                    var record = System.Text.Json.JsonSerializer.Deserialize<InteractionRecord>(reader.GetString(1), InteractionJson)!;
                    list.Add((reader.GetInt64(0), record with { Feedback = reader.IsDBNull(2) ? null : reader.GetString(2) }));
                }
                return list;
            }, cancellationToken).ConfigureAwait(false);
            foreach (var (_, record) in page) yield return record;
            if (page.Count == 0 || page.Count < Math.Min(remaining, ListPageSize)) yield break;
            remaining -= page.Count;
            before = page[^1].Seq;
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions InteractionJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public Task SetSettingAsync(string key, string? value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return WriteAsync(s =>
        {
            using var tx = s.Connection.BeginTransaction(deferred: false);
            var cmd = value is null
                ? s.Command("DELETE FROM settings WHERE key = $k", tx)
                : s.Command("INSERT INTO settings(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value", tx);
            cmd.Parameters.AddWithValue("$k", key);
            if (value is not null) cmd.Parameters.AddWithValue("$v", value);
            if (cmd.ExecuteNonQuery() == 0) return false;
            // Settings are not content: the version (which answer caches key on) stays as it is.
            tx.Commit();
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ReadAsync(s =>
        {
            var cmd = s.Command("SELECT value FROM settings WHERE key = $k");
            cmd.Parameters.AddWithValue("$k", key);
            return cmd.ExecuteScalar() as string;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks><see cref="CollectionStats.StoreBytes"/> counts the database file and its write-ahead log.</remarks>
    public Task<CollectionStats> GetStatsAsync(CancellationToken cancellationToken = default)
        => ReadAsync(s =>
        {
            var cmd = s.Command("""
                SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks),
                       (SELECT coalesce(sum(byte_size), 0) FROM documents), (SELECT value FROM meta WHERE key = 'version')
                """);
            using var reader = cmd.ExecuteReader();
            reader.Read();
            long bytes = FileLength(FilePath) + FileLength(FilePath + "-wal");
            return new CollectionStats(Name, reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2), bytes,
                long.Parse(reader.GetString(3), CultureInfo.InvariantCulture), SchemaVersion);
        }, cancellationToken);

    /// <summary>
    /// Merges the full-text index into one segment, refreshes planner statistics and truncates the write-ahead log.
    /// Worth calling after a bulk ingest: keyword searches on a merged index measured about twice as fast
    /// (10,000 chunks: 0.9 s to optimise). Does not change the collection version.
    /// </summary>
    public Task OptimizeAsync(CancellationToken cancellationToken = default)
        => WriteAsync(s =>
        {
            Execute(s.Connection, "INSERT INTO chunks_fts(chunks_fts) VALUES('optimize');");
            Execute(s.Connection, "PRAGMA optimize;");
            Execute(s.Connection, "PRAGMA wal_checkpoint(TRUNCATE);");
            return true;
        }, cancellationToken);

    /// <summary>Closes the file (checkpointing and removing the write-ahead log when this was its last user).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            // Wait for every read in flight, then close the readers before the writer so the writer closes last.
            for (int i = 0; i < MaxReaders; i++) await _readGate.WaitAsync().ConfigureAwait(false);
            lock (_allReaders)
            {
                foreach (var reader in _allReaders) reader.Dispose();
                _allReaders.Clear();
            }
            try
            {
                Execute(_writer.Connection, "PRAGMA optimize;");
            }
            catch (SqliteException)
            {
                // Best effort: optimize only refreshes planner statistics.
            }
            SqliteConnection.ClearPool(_writer.Connection);
            _writer.Dispose();
            _readGate.Release(MaxReaders); // late callers wake up and see the store disposed
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs <paramref name="action"/> on the connection under the store's lock (for tests and tools).</summary>
    internal Task<T> WithConnectionAsync<T>(Func<SqliteConnection, T> action, CancellationToken cancellationToken = default)
        => WriteAsync(s => action(s.Connection), cancellationToken);

    private static void Validate(StoredDocument document, IReadOnlyList<StoredChunk> chunks)
    {
        if (string.IsNullOrWhiteSpace(document.Id)) throw new ArgumentException("document id is empty", nameof(document));
        string where = $"document '{document.Id}'";
        if (string.IsNullOrWhiteSpace(document.SourcePath)) throw new ArgumentException($"{where}: source path is empty", nameof(document));
        if (document.Text is null) throw new ArgumentException($"{where}: text is null", nameof(document));
        if (document.MediaType is null) throw new ArgumentException($"{where}: media type is null", nameof(document));
        if (document.ContentHash is null) throw new ArgumentException($"{where}: content hash is null", nameof(document));
        if (document.ByteSize < 0) throw new ArgumentException($"{where}: byte size {document.ByteSize} is negative", nameof(document));
        if (document.Tags is not null)
        {
            foreach (var (key, value) in document.Tags)
            {
                if (value is null) throw new ArgumentException($"{where}: tag '{key}' has a null value", nameof(document));
            }
        }
        if (document.AccessLabels is not null && document.AccessLabels.Any(l => l is null))
            throw new ArgumentException($"{where}: access labels contain null", nameof(document));

        var ids = new HashSet<string>(StringComparer.Ordinal);
        int length = document.Text.Length;
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i] ?? throw new ArgumentException($"{where}: chunk {i} is null", nameof(chunks));
            string at = $"{where}, chunk {i} ('{chunk.Id}')";
            if (string.IsNullOrWhiteSpace(chunk.Id)) throw new ArgumentException($"{where}, chunk {i}: id is empty", nameof(chunks));
            if (!ids.Add(chunk.Id)) throw new ArgumentException($"{at}: duplicate chunk id", nameof(chunks));
            if (!string.Equals(chunk.DocumentId, document.Id, StringComparison.Ordinal))
                throw new ArgumentException($"{at}: chunk belongs to document '{chunk.DocumentId}'", nameof(chunks));
            if (chunk.Text is null) throw new ArgumentException($"{at}: text is null", nameof(chunks));
            if (chunk.ContentHash is null) throw new ArgumentException($"{at}: content hash is null", nameof(chunks));
            if (chunk.StartOffset < 0 || chunk.StartOffset > chunk.EndOffset || chunk.EndOffset > length)
                throw new ArgumentException(
                    $"{at}: offsets [{chunk.StartOffset}, {chunk.EndOffset}) are outside the document text (length {length})", nameof(chunks));
            if (!document.Text.AsSpan(chunk.StartOffset, chunk.EndOffset - chunk.StartOffset).SequenceEqual(chunk.Text))
                throw new ArgumentException(
                    $"{at}: text does not equal the document text at offsets [{chunk.StartOffset}, {chunk.EndOffset})", nameof(chunks));
            if (chunk.PageStart is { } ps && chunk.PageEnd is { } pe && pe < ps)
                throw new ArgumentException($"{at}: page end {pe} is before page start {ps}", nameof(chunks));
            if (chunk.TokenCount < 0) throw new ArgumentException($"{at}: token count {chunk.TokenCount} is negative", nameof(chunks));
            if (chunk.SectionPath is not null && chunk.SectionPath.Any(s => s is null))
                throw new ArgumentException($"{at}: section path contains null", nameof(chunks));
        }
    }

    private static void DeleteDocumentRows(Session s, string documentId, SqliteTransaction tx)
    {
        var fts = s.Command(DeleteFtsRowsSql, tx);
        fts.Parameters.AddWithValue("$id", documentId);
        fts.ExecuteNonQuery();
        var chunks = s.Command("DELETE FROM chunks WHERE document_id = $id", tx);
        chunks.Parameters.AddWithValue("$id", documentId);
        chunks.ExecuteNonQuery();
    }

    private static long ReadVersion(Session s)
        => long.Parse((string)s.Command("SELECT value FROM meta WHERE key = 'version'").ExecuteScalar()!, CultureInfo.InvariantCulture);

    private async Task<T> WriteAsync<T>(Func<Session, T> action, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            return action(_writer);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<T> ReadAsync<T>(Func<Session, T> action, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Session? reader = null;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            reader = _idleReaders.TryTake(out var idle) ? idle : OpenReader();
            return action(reader);
        }
        finally
        {
            if (reader is not null) _idleReaders.Add(reader);
            _readGate.Release();
        }
    }

    private Session OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 10000;");
            Execute(connection, "PRAGMA query_only = 1;");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        var session = new Session(connection);
        lock (_allReaders) _allReaders.Add(session);
        return session;
    }

    /// <summary>A connection with its prepared commands (prepared once, reused); used by one caller at a time.</summary>
    private sealed class Session(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        public SqliteConnection Connection { get; } = connection;

        public SqliteCommand Command(string sql, SqliteTransaction? tx = null)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = Connection.CreateCommand();
                command.CommandText = sql;
                _commands[sql] = command;
            }
            command.Transaction = tx;
            command.Parameters.Clear();
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values) command.Dispose();
            _commands.Clear();
            Connection.Dispose();
        }
    }

    private static StoredDocument ReadDocument(SqliteDataReader r, int o, string text) => new()
    {
        Id = r.GetString(o),
        SourcePath = r.GetString(o + 1),
        Title = r.IsDBNull(o + 2) ? null : r.GetString(o + 2),
        MediaType = r.GetString(o + 3),
        ContentHash = r.GetString(o + 4),
        ByteSize = r.GetInt64(o + 5),
        ModifiedUtc = ParseTime(r.GetString(o + 6)),
        IngestedUtc = ParseTime(r.GetString(o + 7)),
        PageCount = r.IsDBNull(o + 8) ? null : r.GetInt32(o + 8),
        Text = text,
        Tags = JsonColumns.ParseObject(r.GetString(o + 9)),
        AccessLabels = JsonColumns.ParseArray(r.GetString(o + 10)),
    };

    private static StoredChunk ReadChunk(SqliteDataReader r, int o) => new()
    {
        Id = r.GetString(o),
        DocumentId = r.GetString(o + 1),
        Ordinal = r.GetInt32(o + 2),
        Text = r.GetString(o + 3),
        StartOffset = r.GetInt32(o + 4),
        EndOffset = r.GetInt32(o + 5),
        SectionPath = JsonColumns.ParseArray(r.GetString(o + 6)),
        PageStart = r.IsDBNull(o + 7) ? null : r.GetInt32(o + 7),
        PageEnd = r.IsDBNull(o + 8) ? null : r.GetInt32(o + 8),
        TokenCount = r.GetInt32(o + 9),
        ContentHash = r.GetString(o + 10),
    };

    private static string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static long FileLength(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.Length : 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
