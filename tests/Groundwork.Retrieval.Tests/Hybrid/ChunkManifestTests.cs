using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Groundwork.Retrieval.Hybrid;
using Groundwork.Testing;

namespace Groundwork.Retrieval.Tests.Hybrid;

public sealed class ChunkManifestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<KeyValuePair<long, string>> Chunks(int count, int seed)
    {
        var rng = new Random(seed);
        var chunks = new List<KeyValuePair<long, string>>(count);
        var seen = new HashSet<long>();
        while (chunks.Count < count)
        {
            long key = rng.NextInt64(long.MinValue, long.MaxValue);
            if (seen.Add(key)) chunks.Add(new(key, ContentHash.Of("chunk " + key.ToString(CultureInfo.InvariantCulture))));
        }
        return chunks;
    }

    [Fact]
    public async Task Round_trip_keeps_every_chunk_hash_and_detects_changes()
    {
        using var dir = TestPaths.CreateTempDir("gw-manifest");
        var chunks = Chunks(1000, seed: 1);
        chunks.Add(new(12345, "not-a-sha256")); // other stores' hashes are fingerprinted by their text
        var manifest = ChunkManifest.Create("bow-64", 64, exact: false, version: 17, chunks, indexLength: 9000, indexHead: 77);
        string path = dir.File("c.vec.manifest");
        await manifest.WriteAsync(path, Ct);
        Assert.Equal(56 + 8 + 24L * chunks.Count + 8, new FileInfo(path).Length);

        var read = await ChunkManifest.ReadAsync(path, Ct);
        Assert.Equal(("bow-64", 64, false, 17L, 9000L, 77L), (read.Model, read.Dimension, read.Exact, read.Version, read.IndexLength, read.IndexHead));
        Assert.Equal(chunks.Count, read.Count);
        foreach (var (key, hash) in chunks)
        {
            Assert.True(read.Matches(key, hash));
            Assert.False(read.Matches(key, ContentHash.Of("changed " + hash)));
        }
        Assert.False(read.Matches(12345, "not-a-sha257"));
        Assert.False(read.Contains(chunks.Max(c => c.Key) + 1));
        Assert.Equal(chunks.Select(c => c.Key).Order(), read.Keys.ToArray());
    }

    [Fact]
    public async Task Corrupt_or_truncated_manifests_fail_with_one_line_naming_the_file()
    {
        using var dir = TestPaths.CreateTempDir("gw-manifest");
        string path = dir.File("c.vec.manifest");
        await ChunkManifest.Create("m", 8, exact: true, version: 3, Chunks(200, seed: 2)).WriteAsync(path, Ct);
        var good = await File.ReadAllBytesAsync(path, Ct);

        async Task<string> Fails(byte[] bytes)
        {
            await File.WriteAllBytesAsync(path, bytes, Ct);
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => ChunkManifest.ReadAsync(path, Ct));
            Assert.StartsWith(path + ": corrupt vector index manifest: ", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
            return e.Message;
        }

        var flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x10; // inside the keys/fingerprints
        Assert.Contains("checksum mismatch", await Fails(flipped));
        Assert.Contains("truncated", await Fails(good.AsSpan(0, good.Length - 24).ToArray()));
        Assert.Contains("truncated", await Fails(good.AsSpan(0, 20).ToArray()));
        var magic = (byte[])good.Clone();
        magic[2] = (byte)'X';
        Assert.Contains("bad magic", await Fails(magic));
        var version = (byte[])good.Clone();
        version[8] = 9;
        Assert.Contains("unsupported format version 9", await Fails(version));
    }

    [Fact]
    public async Task A_failed_write_leaves_the_previous_manifest()
    {
        using var dir = TestPaths.CreateTempDir("gw-manifest");
        string path = dir.File("c.vec.manifest");
        await ChunkManifest.Create("m", 8, exact: false, version: 1, Chunks(10, seed: 3)).WriteAsync(path, Ct);
        var before = await File.ReadAllBytesAsync(path, Ct);
        ChunkManifest.BeforeRename = p => { if (p == path) throw new IOException("simulated crash"); };
        try
        {
            await Assert.ThrowsAsync<IOException>(() => ChunkManifest.Create("m", 8, exact: false, version: 2, Chunks(20, seed: 4)).WriteAsync(path, Ct));
        }
        finally { ChunkManifest.BeforeRename = null; }
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
        Assert.Equal(1, (await ChunkManifest.ReadAsync(path, Ct)).Version);
    }

    /// <summary>Size and read time of 100k chunks in the old JSON sidecar and the binary manifest. Prints the numbers
    /// (docs/retrieval.md quotes them); asserts only the size, which does not depend on the machine.</summary>
    [Fact]
    public async Task Manifest_of_100k_chunks_is_a_fraction_of_the_JSON_sidecar()
    {
        using var dir = TestPaths.CreateTempDir("gw-manifest");
        var chunks = Chunks(100_000, seed: 5);
        string json = dir.File("c.vec.json"), binary = dir.File("c.vec.manifest");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new
        {
            model = "bow-64", dimension = 384, version = 5L, exact = false,
            chunks = chunks.ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value),
        }), Ct);
        await ChunkManifest.Create("bow-64", 384, false, 5, chunks).WriteAsync(binary, Ct);

        // Warm both paths once (JIT, page cache), then time one read each.
        await ChunkManifest.ReadLegacyJsonAsync(json, Ct);
        await ChunkManifest.ReadAsync(binary, Ct);
        var sw = Stopwatch.StartNew();
        var fromJson = await ChunkManifest.ReadLegacyJsonAsync(json, Ct);
        double jsonMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var fromBinary = await ChunkManifest.ReadAsync(binary, Ct);
        double binaryMs = sw.Elapsed.TotalMilliseconds;

        long jsonBytes = new FileInfo(json).Length, binaryBytes = new FileInfo(binary).Length;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"100k chunks: JSON sidecar {jsonBytes:N0} bytes, read {jsonMs:F0} ms; binary manifest {binaryBytes:N0} bytes, read {binaryMs:F1} ms (load {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")})");
        Assert.Equal(fromJson.Keys.ToArray(), fromBinary.Keys.ToArray());
        Assert.All(chunks.Take(1000), c => Assert.True(fromBinary.Matches(c.Key, c.Value)));
        Assert.Equal(56 + 8 + 24L * 100_000 + 8, binaryBytes);
        Assert.True(binaryBytes * 3 < jsonBytes, $"manifest {binaryBytes} bytes vs JSON {jsonBytes}");
    }
}
