using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;

namespace Groundwork.Retrieval.Vectors;

/// <summary>The on-disk format of an HNSW index: a 4 KiB header, then page-aligned flat sections.</summary>
/// <remarks>
/// Header (little-endian): magic "GWHNSW01", version, dimension, M, efConstruction, efSearch, storage, metric, seed,
/// node count, live count, entry node, max level, code stride, layer-0 link stride, then the offsets of the sections
/// (ids, levels, tombstones, layer-0 links, upper links, codes, vectors) and the file length, then an FNV-1a 64
/// checksum of the bytes before it. Sections: ids long[n]; levels byte[n]; tombstones byte[n]; layer-0 links n x
/// [count, 2M ids] int32; upper links for each node with level &gt; 0, levels 1..L, [count, M ids]; codes n x stride
/// (int8: float scale + bytes; float16: halves; absent for float32); vectors n x dimension float32.
/// Written to a temporary file beside the target, flushed to disk and renamed over it, so a crash leaves the old or
/// the new file. On open the links, codes and vectors are mapped copy-on-write (never copied); ids, levels,
/// tombstones and the sparse upper links are read into memory.
/// </remarks>
internal static unsafe class HnswFile
{
    private const string Magic = "GWHNSW01";
    private const int Version = 1;
    private const int HeaderSize = 4096;
    private const int HeaderUsed = 128;
    private const int SectionCount = 8;

    /// <summary>Test hook: runs after the temporary file is complete and before it is renamed over the target (full path),
    /// so that tests can simulate a crash between the two.</summary>
    internal static Action<string>? BeforeRename { get; set; }

    public static void Save(HnswGraph g, string path, CancellationToken ct)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        int n = g.NodeCount;
        long upperInts = 0;
        for (int i = 0; i < n; i++) upperInts += g.UpperLinks(i)?.Length ?? 0;
        long[] lengths =
        [
            8L * n, n, n, g.Links0.Stride * n, 4 * upperInts, (g.Codes?.Stride ?? 0) * n, g.Vectors.Stride * n,
        ];
        var offsets = new long[SectionCount];
        long pos = HeaderSize;
        for (int i = 0; i < lengths.Length; i++)
        {
            offsets[i] = pos;
            pos = Align(pos + lengths[i]);
        }
        offsets[SectionCount - 1] = pos; // file length
        AtomicFile.Replace(full, 1 << 20, fs =>
        {
            fs.SetLength(pos);
            fs.Write(WriteHeader(g, offsets));
            Seek(fs, offsets[0]);
            fs.Write(MemoryMarshal.AsBytes(g.Ids));
            Seek(fs, offsets[1]);
            fs.Write(g.Levels);
            Seek(fs, offsets[2]);
            fs.Write(g.Deleted);
            Seek(fs, offsets[3]);
            WriteRegion(fs, g.Links0, n, ct);
            Seek(fs, offsets[4]);
            for (int i = 0; i < n; i++)
            {
                if (g.UpperLinks(i) is { } u) fs.Write(MemoryMarshal.AsBytes(u.AsSpan()));
            }
            if (g.Codes is not null)
            {
                Seek(fs, offsets[5]);
                WriteRegion(fs, g.Codes, n, ct);
            }
            Seek(fs, offsets[6]);
            WriteRegion(fs, g.Vectors, n, ct);
        }, BeforeRename, ct);
    }

    private static long Align(long x) => (x + 4095) & ~4095L;

    private static void Seek(FileStream fs, long offset) => fs.Position = offset;

    private static void WriteRegion(FileStream fs, NodeRegion region, int count, CancellationToken ct)
    {
        foreach (var (pointer, length) in region.Blocks(count))
        {
            for (long done = 0; done < length; done += 1 << 26)
            {
                ct.ThrowIfCancellationRequested();
                int chunk = (int)Math.Min(1 << 26, length - done);
                fs.Write(new ReadOnlySpan<byte>((byte*)pointer + done, chunk));
            }
        }
    }

    private static byte[] WriteHeader(HnswGraph g, long[] offsets)
    {
        var h = new byte[HeaderSize];
        Encoding.ASCII.GetBytes(Magic).CopyTo(h, 0);
        var o = g.Options;
        int[] ints =
        [
            Version, g.Dim, o.M, o.EfConstruction, o.EfSearch, (int)o.Storage, (int)o.Metric, o.Seed,
            g.NodeCount, g.LiveCount, g.Entry, g.MaxLevel, (int)g.CodeStride, (int)g.Links0.Stride,
        ];
        for (int i = 0; i < ints.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(8 + 4 * i), ints[i]);
        for (int i = 0; i < offsets.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(64 + 8 * i), offsets[i]);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(HeaderUsed), Fnv1a(h.AsSpan(0, HeaderUsed)));
        return h;
    }

    internal static ulong Fnv1a(ReadOnlySpan<byte> data)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in data) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }

    public static HnswGraph Open(string path, CancellationToken ct)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: vector index file not found.", full);
        long fileLength;
        long[] ids;
        byte[] levels, deleted;
        int[]?[] upper;
        HnswOptions options;
        int dim, nodeCount, liveCount, entry, maxLevel, codeStride, linkStride;
        var offsets = new long[SectionCount];
        using (var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            fileLength = fs.Length;
            var h = new byte[HeaderUsed + 8];
            if (fileLength < h.Length) throw Corrupt(full, $"truncated: {fileLength} bytes is shorter than the {h.Length}-byte header");
            fs.ReadExactly(h);
            if (Encoding.ASCII.GetString(h, 0, 8) != Magic) throw Corrupt(full, "not a Groundwork HNSW index (bad magic)");
            if (BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(HeaderUsed)) != Fnv1a(h.AsSpan(0, HeaderUsed)))
                throw Corrupt(full, "header checksum mismatch");
            int I(int i) => BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(8 + 4 * i));
            if (I(0) != Version) throw Corrupt(full, $"unsupported version {I(0)} (expected {Version})");
            dim = I(1);
            options = new HnswOptions
            {
                M = I(2), EfConstruction = I(3), EfSearch = I(4), Storage = (VectorStorage)I(5), Metric = (DistanceMetric)I(6), Seed = I(7),
            };
            nodeCount = I(8);
            liveCount = I(9);
            entry = I(10);
            maxLevel = I(11);
            codeStride = I(12);
            linkStride = I(13);
            for (int i = 0; i < SectionCount; i++) offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(64 + 8 * i));
            try { options.Validate(); }
            catch (ArgumentOutOfRangeException e) { throw Corrupt(full, "bad options: " + e.Message.Split('\n')[0]); }
            if (dim <= 0 || nodeCount < 0 || liveCount < 0 || liveCount > nodeCount || entry < -1 || entry >= nodeCount
                || linkStride != 4 * (1 + 2 * options.M) || (nodeCount > 0) != (entry >= 0))
                throw Corrupt(full, "inconsistent header fields");
            for (int i = 1; i < SectionCount; i++)
                if (offsets[i] < offsets[i - 1] || offsets[0] < HeaderSize) throw Corrupt(full, "section offsets out of order");
            if (fileLength < offsets[SectionCount - 1])
                throw Corrupt(full, $"truncated: header expects {offsets[SectionCount - 1]} bytes, file has {fileLength}");
            if (offsets[1] - offsets[0] < 8L * nodeCount || offsets[4] - offsets[3] < (long)linkStride * nodeCount
                || offsets[7] - offsets[6] < 4L * dim * nodeCount || offsets[6] - offsets[5] < (long)codeStride * nodeCount)
                throw Corrupt(full, "sections too small for the node count");

            ids = new long[Math.Max(nodeCount, 16)];
            levels = new byte[ids.Length];
            deleted = new byte[ids.Length];
            upper = new int[]?[ids.Length];
            fs.Position = offsets[0];
            fs.ReadExactly(MemoryMarshal.AsBytes(ids.AsSpan(0, nodeCount)));
            fs.Position = offsets[1];
            fs.ReadExactly(levels.AsSpan(0, nodeCount));
            fs.Position = offsets[2];
            fs.ReadExactly(deleted.AsSpan(0, nodeCount));
            ct.ThrowIfCancellationRequested();
            fs.Position = offsets[4];
            long upperBudget = (offsets[5] - offsets[4]) / 4;
            int m1 = options.M + 1;
            for (int i = 0; i < nodeCount; i++)
            {
                int level = levels[i];
                if (level > 31) throw Corrupt(full, $"node {i} has level {level} (> 31)");
                if (level == 0) continue;
                upperBudget -= level * m1;
                if (upperBudget < 0) throw Corrupt(full, "upper-layer links section is shorter than the levels require");
                var u = new int[level * m1];
                fs.ReadExactly(MemoryMarshal.AsBytes(u.AsSpan()));
                upper[i] = u;
            }
            if (nodeCount > 0 && levels[entry] != maxLevel) throw Corrupt(full, "entry node level does not match the max level");
        }

        if (codeStride != CodeStrideFor(options.Storage, dim)) throw Corrupt(full, $"code stride {codeStride} does not match storage {options.Storage}");
        var map = MemoryMappedFile.CreateFromFile(full, FileMode.Open, null, 0, MemoryMappedFileAccess.CopyOnWrite);
        MemoryMappedViewAccessor view;
        try { view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite); }
        catch
        {
            map.Dispose();
            throw;
        }
        var mapping = new Mapping(map, view);
        byte* p = mapping.Pointer;
        var g = new HnswGraph(dim, options, 0, mapping,
            new NodeRegion(linkStride, p + offsets[3], nodeCount),
            new NodeRegion(4L * dim, p + offsets[6], nodeCount),
            codeStride == 0 ? null : new NodeRegion(codeStride, p + offsets[5], nodeCount));
        try
        {
            g.Restore(full, ids, levels, deleted, upper, nodeCount, entry, maxLevel);
            if (g.LiveCount != liveCount) throw Corrupt(full, $"live count {g.LiveCount} does not match the header's {liveCount}");
            return g;
        }
        catch
        {
            g.Dispose(); // releases the mapping
            throw;
        }
    }

    private static long CodeStrideFor(VectorStorage storage, int dim) => storage switch
    {
        VectorStorage.Int8 => 4 + ((dim + 3) & ~3),
        VectorStorage.Float16 => 2L * dim,
        _ => 0,
    };

    private static InvalidDataException Corrupt(string path, string problem) => new($"{path}: corrupt vector index: {problem}.");

    /// <summary>Keeps the mapping alive and its pointer acquired for the graph's lifetime.</summary>
    private sealed class Mapping : IDisposable
    {
        private readonly MemoryMappedFile _map;
        private readonly MemoryMappedViewAccessor _view;
        private bool _disposed;

        public Mapping(MemoryMappedFile map, MemoryMappedViewAccessor view)
        {
            _map = map;
            _view = view;
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Pointer = p + view.PointerOffset;
        }

        public byte* Pointer { get; }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map.Dispose();
        }
    }
}
