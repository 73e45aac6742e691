using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Groundwork.Storage.Sqlite;

// The embedding cache: one row per (model, chunk hash) with the vector as little-endian float32 bytes.
public sealed partial class SqliteCollectionStore
{
    private const int HashesPerQuery = 500;

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, float[]>> GetEmbeddingsAsync(string model, IReadOnlyCollection<string> chunkHashes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(chunkHashes);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (chunkHashes.Count == 0) return Task.FromResult<IReadOnlyDictionary<string, float[]>>(result);
        var all = chunkHashes.Distinct(StringComparer.Ordinal).ToList();
        return ReadAsync<IReadOnlyDictionary<string, float[]>>(s =>
        {
            for (int start = 0; start < all.Count; start += HashesPerQuery)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = all.GetRange(start, Math.Min(HashesPerQuery, all.Count - start));
                var cmd = s.Command("SELECT e.chunk_hash, e.dim, e.vector FROM json_each($h) j JOIN embeddings e ON e.model = $m AND e.chunk_hash = j.value");
                cmd.Parameters.AddWithValue("$m", model);
                cmd.Parameters.AddWithValue("$h", JsonColumns.Array(page));
                using var reader = cmd.ExecuteReader();
                while (reader.Read())
                {
                    var hash = reader.GetString(0);
                    int dim = reader.GetInt32(1);
                    var bytes = (byte[])reader.GetValue(2);
                    if (bytes.Length != dim * sizeof(float))
                        throw new InvalidDataException($"{FilePath}: embedding of '{hash}' under model '{model}' has {bytes.Length} bytes, expected {dim * sizeof(float)}");
                    result[hash] = FromBytes(bytes, dim);
                }
            }
            return result;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task PutEmbeddingsAsync(string model, IReadOnlyList<CachedEmbedding> items, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return Task.CompletedTask;
        int dim = items[0]?.Vector.Length ?? 0;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? throw new ArgumentException($"embedding {i} is null", nameof(items));
            if (string.IsNullOrWhiteSpace(item.ChunkHash)) throw new ArgumentException($"embedding {i}: chunk hash is empty", nameof(items));
            if (item.Vector.Length == 0) throw new ArgumentException($"embedding {i} ('{item.ChunkHash}'): vector is empty", nameof(items));
            if (item.Vector.Length != dim)
                throw new ArgumentException($"embedding {i} ('{item.ChunkHash}'): {item.Vector.Length} dimensions, but embedding 0 has {dim}", nameof(items));
        }
        return WriteAsync(s =>
        {
            using var tx = s.Connection.BeginTransaction(deferred: false);
            var probe = s.Command("SELECT dim FROM embeddings WHERE model = $m LIMIT 1", tx);
            probe.Parameters.AddWithValue("$m", model);
            if (probe.ExecuteScalar() is long existing && existing != dim)
                throw new ArgumentException($"model '{model}' has {existing}-dimensional embeddings in collection '{Name}'; got {dim}-dimensional ones", nameof(items));
            foreach (var item in items)
            {
                var cmd = s.Command("INSERT INTO embeddings(model, chunk_hash, dim, vector) VALUES($m, $h, $d, $v) " +
                    "ON CONFLICT(model, chunk_hash) DO UPDATE SET dim = excluded.dim, vector = excluded.vector", tx);
                cmd.Parameters.AddWithValue("$m", model);
                cmd.Parameters.AddWithValue("$h", item.ChunkHash);
                cmd.Parameters.AddWithValue("$d", dim);
                cmd.Parameters.AddWithValue("$v", ToBytes(item.Vector.Span));
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> CountEmbeddingsAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ReadAsync(s =>
        {
            var cmd = s.Command("SELECT count(*) FROM embeddings WHERE model = $m");
            cmd.Parameters.AddWithValue("$m", model);
            return (int)(long)cmd.ExecuteScalar()!;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> PruneEmbeddingsAsync(CancellationToken cancellationToken = default)
        => WriteAsync(s =>
        {
            using var tx = s.Connection.BeginTransaction(deferred: false);
            int n = s.Command("DELETE FROM embeddings WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.content_hash = embeddings.chunk_hash)", tx).ExecuteNonQuery();
            tx.Commit();
            return n;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Pages through the chunks by id, so other calls on this store may run while enumerating.</remarks>
    public async IAsyncEnumerable<ChunkKey> ListChunkKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string after = "";
        while (true)
        {
            var page = await ReadAsync(s =>
            {
                var cmd = s.Command($"SELECT id, document_id, content_hash FROM chunks WHERE id > $after ORDER BY id LIMIT {ListPageSize * 10}");
                cmd.Parameters.AddWithValue("$after", after);
                using var reader = cmd.ExecuteReader();
                var list = new List<ChunkKey>();
                while (reader.Read()) list.Add(new ChunkKey(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                return list;
            }, cancellationToken).ConfigureAwait(false);
            foreach (var key in page) yield return key;
            if (page.Count < ListPageSize * 10) yield break;
            after = page[^1].ChunkId;
        }
    }

    private static byte[] ToBytes(ReadOnlySpan<float> vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(vector).CopyTo(bytes);
        else
            for (int i = 0; i < vector.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        return bytes;
    }

    private static float[] FromBytes(byte[] bytes, int dim)
    {
        var vector = new float[dim];
        if (BitConverter.IsLittleEndian) bytes.AsSpan(0, dim * sizeof(float)).CopyTo(MemoryMarshal.AsBytes(vector.AsSpan()));
        else
            for (int i = 0; i < dim; i++) vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        return vector;
    }
}
