using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Groundwork.Storage.Sqlite;

/// <summary>One forward step: brings a file from <c>Version - 1</c> to <see cref="Version"/>.</summary>
internal sealed record Migration(int Version, string Description, Action<SqliteConnection, SqliteTransaction> Apply);

/// <summary>
/// The schema as an ordered list of forward migrations. A new file runs all of them; an older file runs the missing
/// ones; all in one transaction on open, so a file is never left half-migrated. Never edit a shipped step: append one.
/// </summary>
internal static class SchemaMigrations
{
    /// <summary>'GWDB' in <c>PRAGMA application_id</c>: marks the file as a Groundwork store.</summary>
    internal const int ApplicationId = 0x47574442;

    /// <summary>The steps in order; step i has version i + 1.</summary>
    internal static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "documents, chunks, FTS5 index, settings, meta", (c, t) => Exec(c, t, V1)),
        new(2, "index documents by content hash", (c, t) => Exec(c, t,
            "CREATE INDEX IF NOT EXISTS ix_documents_content_hash ON documents(content_hash);")),
        new(3, "interaction log", (c, t) => Exec(c, t, """
            CREATE TABLE IF NOT EXISTS interactions(
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                created_utc TEXT NOT NULL,
                record TEXT NOT NULL,
                feedback TEXT);
            """)),
        new(4, "embedding cache", (c, t) => Exec(c, t, """
            CREATE TABLE IF NOT EXISTS embeddings(
                model TEXT NOT NULL,
                chunk_hash TEXT NOT NULL,
                dim INTEGER NOT NULL,
                vector BLOB NOT NULL, -- dim float32 values, little-endian
                PRIMARY KEY(model, chunk_hash)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS ix_chunks_content_hash ON chunks(content_hash);
            """)),
    ];

    /// <summary>The schema version this code writes.</summary>
    internal static int CurrentVersion => All[^1].Version;

    /// <summary>The version-1 schema exactly as shipped (tests build v1 files from their own copy of it).</summary>
    internal const string V1 = """
        CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE documents (
            id            TEXT PRIMARY KEY NOT NULL,
            source_path   TEXT NOT NULL UNIQUE,
            title         TEXT,
            media_type    TEXT NOT NULL,
            content_hash  TEXT NOT NULL,
            byte_size     INTEGER NOT NULL,
            modified_utc  TEXT NOT NULL,
            ingested_utc  TEXT NOT NULL,
            page_count    INTEGER,
            tags          TEXT NOT NULL DEFAULT '{}',
            access_labels TEXT NOT NULL DEFAULT '[]',
            text          TEXT NOT NULL -- last: reading the other columns never walks its overflow pages
        );
        CREATE TABLE chunks (
            rowid         INTEGER PRIMARY KEY,
            id            TEXT NOT NULL UNIQUE,
            document_id   TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal       INTEGER NOT NULL,
            text          TEXT NOT NULL,
            start_offset  INTEGER NOT NULL,
            end_offset    INTEGER NOT NULL,
            section_path  TEXT NOT NULL DEFAULT '[]',
            section       TEXT NOT NULL DEFAULT '',
            page_start    INTEGER,
            page_end      INTEGER,
            token_count   INTEGER NOT NULL,
            content_hash  TEXT NOT NULL
        );
        CREATE INDEX ix_chunks_document ON chunks(document_id, ordinal);
        CREATE VIEW chunks_fts_source AS
            SELECT c.rowid AS chunk_rowid, c.document_id AS document_id, d.title AS title, c.section AS section, c.text AS text
            FROM chunks c JOIN documents d ON d.id = c.document_id;
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            title, section, text,
            content = 'chunks_fts_source', content_rowid = 'chunk_rowid',
            tokenize = 'porter unicode61');
        """;

    /// <summary>
    /// Reads the file's schema version and applies the missing steps in one IMMEDIATE transaction.
    /// Returns the version the file now has.
    /// </summary>
    internal static int Migrate(SqliteConnection connection, string filePath)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        int version = ReadVersion(connection, tx, filePath);
        if (version > CurrentVersion)
            throw new InvalidDataException(
                $"{filePath}: schema version {version} is newer than this Groundwork supports (version {CurrentVersion}); upgrade Groundwork to open it");
        if (version == CurrentVersion)
        {
            tx.Commit();
            return version;
        }

        foreach (var step in All)
        {
            if (step.Version <= version) continue;
            try
            {
                step.Apply(connection, tx);
            }
            catch (SqliteException e)
            {
                throw new InvalidDataException($"{filePath}: migration to schema version {step.Version} ({step.Description}) failed: {e.Message}", e);
            }
            SetMeta(connection, tx, "schema_version", step.Version.ToString(CultureInfo.InvariantCulture));
            version = step.Version;
        }
        if (ReadMeta(connection, tx, "version") is null)
            SetMeta(connection, tx, "version", "0");
        Exec(connection, tx, $"PRAGMA application_id = {ApplicationId};");
        tx.Commit();
        return version;
    }

    private static int ReadVersion(SqliteConnection connection, SqliteTransaction tx, string filePath)
    {
        bool hasMeta = Scalar(connection, tx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'") is long n && n > 0;
        if (!hasMeta)
        {
            long objects = (long)Scalar(connection, tx, "SELECT count(*) FROM sqlite_schema")!;
            if (objects > 0)
                throw new InvalidDataException($"{filePath}: is a SQLite database but not a Groundwork collection (no meta table)");
            return 0;
        }
        var text = ReadMeta(connection, tx, "schema_version")
            ?? throw new InvalidDataException($"{filePath}: meta table has no schema_version");
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new InvalidDataException($"{filePath}: meta schema_version '{text}' is not a positive integer");
        return version;
    }

    private static string? ReadMeta(SqliteConnection connection, SqliteTransaction tx, string key)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    private static void SetMeta(SqliteConnection connection, SqliteTransaction tx, string key, string value)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static void Exec(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
