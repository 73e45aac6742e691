using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace Groundwork.Retrieval.Vectors;

/// <summary>Exact (brute-force) nearest-neighbour search over contiguous float32 rows with SIMD dot products; the
/// ground truth for <see cref="HnswIndex"/> and the right choice for small collections or very selective filters.</summary>
/// <remarks>Searches run concurrently with each other; writes take an exclusive lock. Removal moves the last row
/// into the hole, so storage stays contiguous. The file holds a header, the ids and the rows, read fully on open.</remarks>
public sealed class ExactVectorIndex : IVectorIndex
{
    private const string Magic = "GWEXACT1";
    private const int HeaderUsed = 32;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _rowOf = [];
    private readonly DistanceMetric _metric;
    private float[] _rows; // [capacity, Dimension]
    private long[] _ids;   // [capacity]
    private int _count;

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimension">Number of dimensions of every vector.</param>
    /// <param name="metric">Similarity measure (cosine normalises vectors on insert).</param>
    public ExactVectorIndex(int dimension, DistanceMetric metric = DistanceMetric.Cosine)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        _metric = metric;
        _rows = new float[16 * dimension];
        _ids = new long[16];
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public void Add(long id, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
            throw new ArgumentException($"Vector for id {id} has {vector.Length} dimensions; the index has {Dimension}.", nameof(vector));
        foreach (float x in vector)
            if (!float.IsFinite(x)) throw new ArgumentException($"Vector for id {id} has a non-finite value.", nameof(vector));
        float norm = _metric == DistanceMetric.Cosine ? TensorPrimitives.Norm(vector) : 1f;
        if (!(norm > 0)) throw new ArgumentException($"Vector for id {id} has zero norm and cannot be compared by cosine.", nameof(vector));
        _lock.EnterWriteLock();
        try
        {
            if (!_rowOf.TryGetValue(id, out int row))
            {
                row = _count++;
                if (_ids.Length < _count)
                {
                    Array.Resize(ref _ids, _ids.Length * 2);
                    Array.Resize(ref _rows, _ids.Length * Dimension);
                }
                _ids[row] = id;
                _rowOf[id] = row;
            }
            TensorPrimitives.Divide(vector, norm, _rows.AsSpan(row * Dimension, Dimension));
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <inheritdoc />
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_rowOf.Remove(id, out int row)) return false;
            int last = --_count;
            if (row != last)
            {
                _rows.AsSpan(last * Dimension, Dimension).CopyTo(_rows.AsSpan(row * Dimension, Dimension));
                _ids[row] = _ids[last];
                _rowOf[_ids[row]] = row;
            }
            return true;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <inheritdoc />
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? filter = null, int? efSearch = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (query.Length != Dimension) throw new ArgumentException($"Query has {query.Length} dimensions; the index has {Dimension}.", nameof(query));
        _lock.EnterReadLock();
        try
        {
            int n = Math.Min(k, _count);
            // Min-heap of the k best scores seen so far: the root is the weakest kept hit.
            var scores = new float[n];
            var rows = new int[n];
            int kept = 0;
            var data = _rows.AsSpan(0, _count * Dimension);
            for (int r = 0; r < _count; r++)
            {
                if (filter is not null && !filter(_ids[r])) continue;
                float score = TensorPrimitives.Dot(query, data.Slice(r * Dimension, Dimension));
                if (kept < n) SiftUp(scores, rows, kept++, score, r);
                else if (score > scores[0]) SiftDown(scores, rows, kept, score, r);
            }
            var hits = new VectorHit[kept];
            float qnorm = _metric == DistanceMetric.Cosine ? TensorPrimitives.Norm(query) : 1f;
            if (!(qnorm > 0)) qnorm = 1f;
            for (int i = kept - 1; i >= 0; i--)
            {
                hits[i] = new VectorHit(_ids[rows[0]], scores[0] / qnorm);
                float lastScore = scores[i];
                int lastRow = rows[i];
                if (i > 0) SiftDown(scores, rows, i, lastScore, lastRow);
            }
            return hits;
        }
        finally { _lock.ExitReadLock(); }
    }

    private static void SiftUp(float[] s, int[] r, int i, float score, int row)
    {
        while (i > 0)
        {
            int p = (i - 1) >> 1;
            if (s[p] <= score) break;
            s[i] = s[p];
            r[i] = r[p];
            i = p;
        }
        s[i] = score;
        r[i] = row;
    }

    /// <summary>Replaces the root with (score, row) and restores the heap over the first <paramref name="n"/> slots.</summary>
    private static void SiftDown(float[] s, int[] r, int n, float score, int row)
    {
        int i = 0;
        while (true)
        {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && s[c + 1] < s[c]) c++;
            if (s[c] >= score) break;
            s[i] = s[c];
            r[i] = r[c];
            i = c;
        }
        s[i] = score;
        r[i] = row;
    }

    /// <inheritdoc />
    public async Task SaveAsync(string path, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        byte[] header, ids, rows;
        _lock.EnterReadLock();
        try
        {
            ids = MemoryMarshal.AsBytes(_ids.AsSpan(0, _count)).ToArray();
            rows = MemoryMarshal.AsBytes(_rows.AsSpan(0, _count * Dimension)).ToArray();
            header = new byte[HeaderUsed + 8];
            Encoding.ASCII.GetBytes(Magic).CopyTo(header, 0);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), 1);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), Dimension);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), (int)_metric);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), _count);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(HeaderUsed), HnswFile.Fnv1a(header.AsSpan(0, HeaderUsed)));
        }
        finally { _lock.ExitReadLock(); }
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await fs.WriteAsync(header, ct).ConfigureAwait(false);
                await fs.WriteAsync(ids, ct).ConfigureAwait(false);
                await fs.WriteAsync(rows, ct).ConfigureAwait(false);
                await fs.FlushAsync(ct).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Reads an index written by <see cref="SaveAsync"/>.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or corrupt (the message names the file and the problem).</exception>
    public static async Task<ExactVectorIndex> OpenAsync(string path, CancellationToken ct)
    {
        string full = Path.GetFullPath(path);
        byte[] bytes = await File.ReadAllBytesAsync(full, ct).ConfigureAwait(false);
        InvalidDataException Corrupt(string problem) => new($"{full}: corrupt vector index: {problem}.");
        if (bytes.Length < HeaderUsed + 8) throw Corrupt($"truncated: {bytes.Length} bytes is shorter than the header");
        if (Encoding.ASCII.GetString(bytes, 0, 8) != Magic) throw Corrupt("not a Groundwork exact vector index (bad magic)");
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(HeaderUsed)) != HnswFile.Fnv1a(bytes.AsSpan(0, HeaderUsed)))
            throw Corrupt("header checksum mismatch");
        int dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        int metric = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20));
        if (dim <= 0 || count < 0 || !Enum.IsDefined((DistanceMetric)metric)) throw Corrupt("inconsistent header fields");
        long expected = HeaderUsed + 8 + 8L * count + 4L * count * dim;
        if (bytes.Length != expected) throw Corrupt($"truncated: header expects {expected} bytes, file has {bytes.Length}");
        var index = new ExactVectorIndex(dim, (DistanceMetric)metric);
        var ids = MemoryMarshal.Cast<byte, long>(bytes.AsSpan(HeaderUsed + 8, 8 * count));
        var rows = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderUsed + 8 + 8 * count));
        index._ids = ids.ToArray();
        index._rows = rows.ToArray();
        if (index._ids.Length == 0) { index._ids = new long[16]; index._rows = new float[16 * dim]; }
        index._count = count;
        for (int i = 0; i < count; i++)
            if (!index._rowOf.TryAdd(ids[i], i)) throw Corrupt($"id {ids[i]} appears twice");
        return index;
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
