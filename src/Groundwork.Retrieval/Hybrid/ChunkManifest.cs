using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using Groundwork.Retrieval.Vectors;

namespace Groundwork.Retrieval.Hybrid;

/// <summary>
/// What a saved collection vector index holds: the model, dimension and collection version it reflects, and for each
/// chunk key a 128-bit fingerprint of the chunk's content hash, sorted by key. Replaces the per-chunk JSON sidecar:
/// 24 bytes per chunk, read with two bulk reads and no per-chunk allocation, so a million-chunk index opens fast.
/// </summary>
/// <remarks>
/// File <c>&lt;index&gt;.manifest</c>, little-endian: magic "GWVMAN01"; int32 format version; int32 flags (bit 0:
/// exact index); int32 dimension; int32 model-id byte length; int64 collection version; int64 chunk count; int64 length
/// and int64 checksum of the first 4 KiB of the index file it describes; the model id in UTF-8, zero-padded to 8 bytes; the
/// keys int64[count] ascending; the fingerprints 16 bytes x count; a 64-bit checksum of everything before it. Written
/// to a temporary file, flushed and renamed over the old one. A fingerprint is the first 16 bytes of the hash when it
/// is 64 hex digits (a SHA-256, as the stores write), else the first 16 bytes of the SHA-256 of its UTF-8 text.
/// </remarks>
internal sealed class ChunkManifest
{
    internal const string Suffix = ".manifest";
    private const string Magic = "GWVMAN01";
    private const int FormatVersion = 1;
    private const int FixedHeader = 56;

    private readonly long[] _keys;
    private readonly UInt128[] _prints;

    private ChunkManifest(string model, int dimension, bool exact, long version, long[] keys, UInt128[] prints, long indexLength, long indexHead)
    {
        Model = model;
        Dimension = dimension;
        Exact = exact;
        Version = version;
        _keys = keys;
        _prints = prints;
        IndexLength = indexLength;
        IndexHead = indexHead;
    }

    public string Model { get; }
    public int Dimension { get; }
    public bool Exact { get; }
    public long Version { get; }
    public int Count => _keys.Length;

    /// <summary>Length of the index file this manifest was written after (-1: unknown, as for a migrated JSON sidecar).</summary>
    public long IndexLength { get; }

    /// <summary>Checksum of the first 4 KiB of that index file (its header: counts, entry, offsets); -1 unknown.</summary>
    public long IndexHead { get; }

    public ReadOnlySpan<long> Keys => _keys;

    /// <summary>Builds a manifest from chunk keys and content hashes (any order; keys must be distinct).</summary>
    public static ChunkManifest Create(string model, int dimension, bool exact, long version, IReadOnlyCollection<KeyValuePair<long, string>> chunks,
        long indexLength = -1, long indexHead = -1)
    {
        var keys = new long[chunks.Count];
        var prints = new UInt128[chunks.Count];
        int i = 0;
        foreach (var (key, hash) in chunks)
        {
            keys[i] = key;
            prints[i++] = Fingerprint(hash);
        }
        Array.Sort(keys, prints);
        for (int j = 1; j < keys.Length; j++)
            if (keys[j] == keys[j - 1]) throw new ArgumentException($"chunk key {keys[j]} appears twice", nameof(chunks));
        return new ChunkManifest(model, dimension, exact, version, keys, prints, indexLength, indexHead);
    }

    /// <summary>True when the manifest holds <paramref name="key"/> with this content hash.</summary>
    public bool Matches(long key, string contentHash)
    {
        int i = Array.BinarySearch(_keys, key);
        return i >= 0 && _prints[i] == Fingerprint(contentHash);
    }

    public bool Contains(long key) => Array.BinarySearch(_keys, key) >= 0;

    /// <summary>128 bits that identify a content hash: decoded when it is a 64-digit hex SHA-256, hashed otherwise.</summary>
    internal static UInt128 Fingerprint(string contentHash)
    {
        Span<byte> bytes = stackalloc byte[32];
        if (contentHash.Length != 64 || Convert.FromHexString(contentHash, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            // Not a hex SHA-256: fingerprint its text instead (a different domain, so no clash with decoded hashes in practice).
            SHA256.HashData(Encoding.UTF8.GetBytes(contentHash), bytes);
        }
        return BinaryPrimitives.ReadUInt128LittleEndian(bytes);
    }

    /// <summary>Writes the manifest to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken) => Task.Run(() => Write(path, cancellationToken), cancellationToken);

    /// <summary>Test hook: runs after the temporary file is complete and before it is renamed over <c>path</c>.</summary>
    internal static Action<string>? BeforeRename { get; set; }

    private void Write(string path, CancellationToken cancellationToken)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the manifest format is little-endian");
        var modelBytes = Encoding.UTF8.GetBytes(Model);
        var header = new byte[FixedHeader + Pad8(modelBytes.Length)];
        Encoding.ASCII.GetBytes(Magic, header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), Exact ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), modelBytes.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), Version);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), _keys.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), IndexLength);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(48), IndexHead);
        modelBytes.CopyTo(header, FixedHeader);
        var keyBytes = MemoryMarshal.AsBytes(_keys.AsSpan());
        var printBytes = MemoryMarshal.AsBytes(_prints.AsSpan());
        var sum = new Checksum();
        sum.Append(header);
        sum.Append(keyBytes);
        sum.Append(printBytes);
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, sum.Value);

        AtomicFile.Replace(path, 1 << 16, fs =>
        {
            fs.Write(header);
            fs.Write(MemoryMarshal.AsBytes(_keys.AsSpan()));
            fs.Write(MemoryMarshal.AsBytes(_prints.AsSpan()));
            fs.Write(trailer);
        }, BeforeRename, cancellationToken);
    }

    /// <summary>Reads a manifest written by <see cref="WriteAsync"/> (two bulk reads straight into the arrays).</summary>
    /// <exception cref="InvalidDataException">Truncated, corrupt or of another format version; the message names the file.</exception>
    public static Task<ChunkManifest> ReadAsync(string path, CancellationToken cancellationToken) => Task.Run(() => Read(path, cancellationToken), cancellationToken);

    private static ChunkManifest Read(string path, CancellationToken cancellationToken)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = fs.Length;
        var head = new byte[FixedHeader];
        if (length < FixedHeader + 8) throw Corrupt(path, $"truncated: {length} bytes is shorter than the header");
        fs.ReadExactly(head);
        if (Encoding.ASCII.GetString(head, 0, 8) != Magic) throw Corrupt(path, "not a Groundwork chunk manifest (bad magic)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(8));
        if (version != FormatVersion) throw Corrupt(path, $"unsupported format version {version} (expected {FormatVersion})");
        int flags = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(12));
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(16));
        int modelLength = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(20));
        long collectionVersion = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(24));
        long count = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(32));
        long indexLength = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(40));
        long indexHead = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(48));
        if (modelLength is < 0 or > 4096 || count is < 0 or > int.MaxValue || dimension <= 0 || (flags & ~1) != 0)
            throw Corrupt(path, "inconsistent header fields");
        long expected = FixedHeader + Pad8(modelLength) + 24 * count + 8;
        if (length != expected) throw Corrupt(path, $"length {length} bytes does not match the {expected} bytes its header implies (truncated or damaged)");

        var model = new byte[Pad8(modelLength)];
        fs.ReadExactly(model);
        var keys = new long[count];
        var prints = new UInt128[count];
        fs.ReadExactly(MemoryMarshal.AsBytes(keys.AsSpan()));
        cancellationToken.ThrowIfCancellationRequested();
        fs.ReadExactly(MemoryMarshal.AsBytes(prints.AsSpan()));
        Span<byte> trailer = stackalloc byte[8];
        fs.ReadExactly(trailer);

        var sum = new Checksum();
        sum.Append(head);
        sum.Append(model);
        sum.Append(MemoryMarshal.AsBytes(keys.AsSpan()));
        sum.Append(MemoryMarshal.AsBytes(prints.AsSpan()));
        if (sum.Value != BinaryPrimitives.ReadUInt64LittleEndian(trailer)) throw Corrupt(path, "checksum mismatch");
        for (int i = 1; i < keys.Length; i++)
            if (keys[i] <= keys[i - 1]) throw Corrupt(path, $"keys out of order at entry {i}");
        return new ChunkManifest(Encoding.UTF8.GetString(model, 0, modelLength), dimension, (flags & 1) != 0, collectionVersion, keys, prints,
            indexLength, indexHead);
    }

    private sealed record JsonSidecar(string Model, int Dimension, long Version, bool Exact, Dictionary<string, string> Chunks);

    /// <summary>Reads the JSON sidecar written before the binary manifest existed (<c>&lt;index&gt;.json</c>).</summary>
    /// <exception cref="InvalidDataException">Unreadable or incomplete; the message names the file.</exception>
    public static async Task<ChunkManifest> ReadLegacyJsonAsync(string path, CancellationToken cancellationToken)
    {
        JsonSidecar? sidecar;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
                sidecar = await JsonSerializer.DeserializeAsync<JsonSidecar>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web), cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, "bad JSON at line " + ((e.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture) + ": " + e.Message.Split('\n')[0]);
        }
        if (sidecar?.Model is null || sidecar.Chunks is null || sidecar.Dimension <= 0) throw Corrupt(path, "missing model, dimension or chunks");
        var chunks = new List<KeyValuePair<long, string>>(sidecar.Chunks.Count);
        foreach (var (key, hash) in sidecar.Chunks)
        {
            if (!long.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long k) || hash is null)
                throw Corrupt(path, $"bad chunk entry '{key}'");
            chunks.Add(new(k, hash));
        }
        return Create(sidecar.Model, sidecar.Dimension, sidecar.Exact, sidecar.Version, chunks);
    }

    /// <summary>Identifies an index file's state without reading it all: its length and a checksum of its first 4 KiB.
    /// Survives copying (unlike timestamps); an index saved after its manifest changes counts in its header.</summary>
    public static (long Length, long Head) StampOf(string indexPath)
    {
        using var fs = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var head = new byte[(int)Math.Min(4096, fs.Length)];
        fs.ReadExactly(head);
        var sum = new Checksum();
        sum.Append(head);
        return (fs.Length, (long)(sum.Value & long.MaxValue));
    }

    private static int Pad8(int n) => (n + 7) & ~7;

    private static InvalidDataException Corrupt(string path, string problem) => new($"{path}: corrupt vector index manifest: {problem}.");

    /// <summary>A 64-bit checksum over 8-byte words (multiply-rotate, in the spirit of xxHash), fast enough to verify
    /// tens of megabytes on every open. Inputs here are multiples of 8 bytes; a tail is zero-padded.</summary>
    private struct Checksum()
    {
        private const ulong P1 = 0x9E3779B185EBCA87UL, P2 = 0xC2B2AE3D27D4EB4FUL;
        private ulong _h = 0x27D4EB2F165667C5UL;
        private long _length;

        public readonly ulong Value
        {
            get
            {
                ulong h = _h ^ (ulong)_length;
                h ^= h >> 33;
                h *= P2;
                h ^= h >> 29;
                return h;
            }
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(data);
            ulong h = _h;
            foreach (ulong w in words) h = BitOperations.RotateLeft(h ^ (w * P2), 31) * P1;
            int tail = data.Length - words.Length * 8;
            if (tail > 0)
            {
                Span<byte> last = stackalloc byte[8];
                last.Clear();
                data[^tail..].CopyTo(last);
                h = BitOperations.RotateLeft(h ^ (BinaryPrimitives.ReadUInt64LittleEndian(last) * P2), 31) * P1;
            }
            _h = h;
            _length += data.Length;
        }
    }
}
