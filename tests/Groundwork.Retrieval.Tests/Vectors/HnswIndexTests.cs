using Groundwork.Retrieval.Vectors;
using Groundwork.Testing;

namespace Groundwork.Retrieval.Tests.Vectors;

public sealed class HnswIndexTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The acceptance scenario: build, delete 5%, insert 5% more, save, reopen mapped, then recall@10 against
    /// exact search over the same live set, with no tombstone ever returned.</summary>
    [Theory]
    [InlineData(VectorStorage.Float32, 100_000)]
    [InlineData(VectorStorage.Int8, 20_000)]
    [InlineData(VectorStorage.Float16, 20_000)]
    public async Task Recall_at_10_after_deletes_inserts_and_reopen(VectorStorage storage, int size)
    {
        const int dim = 384;
        var gen = new ClusteredData(dim, clusters: size / 100, noise: 0.6f, seed: 7);
        var data = gen.Next(size);
        var options = new HnswOptions { M = 16, EfConstruction = 64, EfSearch = 96, Storage = storage };
        using var dir = TestPaths.CreateTempDir("gw-hnsw");
        string path = dir.File("vectors.gwv");
        var exact = new ExactVectorIndex(dim);
        var removed = new HashSet<long>();
        using (var index = new HnswIndex(dim, options))
        {
            var ids = Enumerable.Range(0, size).Select(i => (long)i).ToArray();
            index.AddRange(ids, data);
            for (int i = 0; i < size; i++) exact.Add(i, ClusteredData.Row(data, dim, i));
            var rng = new Random(3);
            while (removed.Count < size / 20)
            {
                long id = rng.Next(size);
                if (removed.Add(id)) { Assert.True(index.Remove(id)); exact.Remove(id); }
            }
            var more = gen.Next(size / 20);
            var moreIds = Enumerable.Range(size, size / 20).Select(i => (long)i).ToArray();
            index.AddRange(moreIds, more);
            for (int i = 0; i < moreIds.Length; i++) exact.Add(moreIds[i], ClusteredData.Row(more, dim, i));
            Assert.Equal(exact.Count, index.Count);
            await index.SaveAsync(path, Ct);
        }

        using var reopened = await HnswIndex.OpenAsync(path, Ct);
        Assert.Equal(exact.Count, reopened.Count);
        var queries = gen.Next(200);
        double recall = ClusteredData.Recall(reopened, exact, queries, dim, 10);
        TestContext.Current.TestOutputHelper?.WriteLine($"{storage} {size}: recall@10 {recall:F4}");
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3} < 0.95 ({storage}, {size})");
        for (int q = 0; q < 200; q++)
            Assert.DoesNotContain(reopened.Search(ClusteredData.Row(queries, dim, q), 10), h => removed.Contains(h.Id));
        exact.Dispose();
    }

    [Fact]
    public void Tombstones_are_never_returned_and_compaction_preserves_results()
    {
        const int dim = 64;
        var gen = new ClusteredData(dim, 50, 0.7f, seed: 11);
        var data = gen.Next(4000);
        using var index = new HnswIndex(dim, new HnswOptions { EfConstruction = 100 });
        using var exact = new ExactVectorIndex(dim);
        index.AddRange(Enumerable.Range(0, 4000).Select(i => (long)i).ToArray(), data);
        for (int i = 0; i < 4000; i++) exact.Add(i, ClusteredData.Row(data, dim, i));
        var queries = gen.Next(50);
        // Remove every query's current best hits: the next search must not return them.
        var removed = new HashSet<long>();
        for (int q = 0; q < 50; q++)
        {
            foreach (var hit in index.Search(ClusteredData.Row(queries, dim, q), 3))
                if (removed.Add(hit.Id)) { Assert.True(index.Remove(hit.Id)); exact.Remove(hit.Id); }
        }
        Assert.Equal(4000, index.NodeCount);
        for (int q = 0; q < 50; q++)
            Assert.DoesNotContain(index.Search(ClusteredData.Row(queries, dim, q), 10), h => removed.Contains(h.Id));
        double before = ClusteredData.Recall(index, exact, queries, dim, 10);

        index.Compact();
        Assert.Equal(4000 - removed.Count, index.NodeCount);
        Assert.Equal(exact.Count, index.Count);
        double after = ClusteredData.Recall(index, exact, queries, dim, 10);
        Assert.True(before >= 0.95 && after >= 0.95, $"recall before {before:F3}, after compaction {after:F3}");
        for (int q = 0; q < 50; q++)
            Assert.DoesNotContain(index.Search(ClusteredData.Row(queries, dim, q), 10), h => removed.Contains(h.Id));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public void Filtered_search_returns_only_passing_ids_and_keeps_recall(int modulus)
    {
        const int dim = 64;
        var gen = new ClusteredData(dim, 60, 0.7f, seed: 5);
        var data = gen.Next(6000);
        using var index = new HnswIndex(dim, new HnswOptions { EfConstruction = 100 });
        using var exact = new ExactVectorIndex(dim);
        index.AddRange(Enumerable.Range(0, 6000).Select(i => (long)i).ToArray(), data);
        for (int i = 0; i < 6000; i++) exact.Add(i, ClusteredData.Row(data, dim, i));
        var queries = gen.Next(40);
        Func<long, bool> filter = id => id % modulus == 3;
        for (int q = 0; q < 40; q++)
        {
            var hits = index.Search(ClusteredData.Row(queries, dim, q), 10, filter);
            Assert.Equal(10, hits.Count);
            Assert.All(hits, h => Assert.True(filter(h.Id)));
        }
        double recall = ClusteredData.Recall(index, exact, queries, dim, 10, filter);
        Assert.True(recall >= 0.95, $"filtered recall@10 {recall:F3} (1 in {modulus} passes)");
    }

    [Fact]
    public async Task Reopened_index_takes_inserts_into_its_delta_and_saves_them()
    {
        const int dim = 32;
        var gen = new ClusteredData(dim, 10, 0.5f, seed: 9);
        var data = gen.Next(1200);
        using var dir = TestPaths.CreateTempDir("gw-hnsw");
        string path = dir.File("v.gwv");
        using (var index = new HnswIndex(dim, new HnswOptions { Storage = VectorStorage.Int8 }))
        {
            for (int i = 0; i < 1000; i++) index.Add(i, ClusteredData.Row(data, dim, i));
            await index.SaveAsync(path, Ct);
        }
        using (var reopened = await HnswIndex.OpenAsync(path, Ct))
        {
            Assert.Equal(VectorStorage.Int8, reopened.Options.Storage);
            for (int i = 1000; i < 1200; i++) reopened.Add(i, ClusteredData.Row(data, dim, i));
            Assert.True(reopened.Remove(5));
            await reopened.SaveAsync(path, Ct); // replaces the file it is mapped from
            for (int i = 0; i < 1200; i += 37)
            {
                if (i == 5) continue;
                Assert.Equal(i, reopened.Search(ClusteredData.Row(data, dim, i), 1)[0].Id);
            }
        }
        using var again = await HnswIndex.OpenAsync(path, Ct);
        Assert.Equal(1199, again.Count);
        Assert.False(again.Contains(5));
        int selfHits = 0;
        for (int i = 0; i < 1200; i++)
        {
            var hit = again.Search(ClusteredData.Row(data, dim, i), 1)[0];
            if (hit.Id == i) selfHits++;
            Assert.NotEqual(5, hit.Id);
        }
        Assert.True(selfHits >= 1190, $"{selfHits} of 1199 vectors find themselves");
    }

    [Fact]
    public async Task Corrupt_or_truncated_files_fail_with_the_file_and_the_problem()
    {
        const int dim = 16;
        var gen = new ClusteredData(dim, 4, 0.5f, seed: 4);
        var data = gen.Next(300);
        using var dir = TestPaths.CreateTempDir("gw-hnsw");
        string path = dir.File("v.gwv");
        using (var index = new HnswIndex(dim))
        {
            index.AddRange(Enumerable.Range(0, 300).Select(i => (long)i).ToArray(), data);
            await index.SaveAsync(path, Ct);
        }
        var good = await File.ReadAllBytesAsync(path, Ct);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));

        async Task<string> Fails(byte[] bytes)
        {
            await File.WriteAllBytesAsync(path, bytes, Ct);
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => HnswIndex.OpenAsync(path, Ct));
            Assert.Contains(path, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            return e.Message;
        }

        Assert.Contains("truncated", await Fails(good.AsSpan(0, good.Length - 5000).ToArray()));
        Assert.Contains("truncated", await Fails(good.AsSpan(0, 50).ToArray()));
        var badMagic = (byte[])good.Clone();
        badMagic[0] = (byte)'X';
        Assert.Contains("magic", await Fails(badMagic));
        var flipped = (byte[])good.Clone();
        flipped[20] ^= 0x40;
        Assert.Contains("checksum", await Fails(flipped));
    }

    [Fact]
    public void Concurrent_searches_agree_with_sequential_ones()
    {
        const int dim = 64;
        var gen = new ClusteredData(dim, 30, 0.7f, seed: 21);
        var data = gen.Next(3000);
        using var index = new HnswIndex(dim, new HnswOptions { Storage = VectorStorage.Float16 });
        index.AddRange(Enumerable.Range(0, 3000).Select(i => (long)i).ToArray(), data, maxDegreeOfParallelism: 2);
        var queries = gen.Next(64);
        var expected = Enumerable.Range(0, 64).Select(q => index.Search(ClusteredData.Row(queries, dim, q), 10)).ToArray();
        var actual = new IReadOnlyList<VectorHit>[64];
        Parallel.For(0, 64 * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => actual[i % 64] = index.Search(ClusteredData.Row(queries, dim, i % 64), 10));
        for (int q = 0; q < 64; q++) Assert.Equal(expected[q], actual[q]);
    }

    [Fact]
    public void Bad_input_is_rejected_with_a_reason()
    {
        using var index = new HnswIndex(4);
        Assert.Contains("3 dimensions", Assert.Throws<ArgumentException>(() => index.Add(1, [1, 2, 3])).Message);
        Assert.Contains("zero norm", Assert.Throws<ArgumentException>(() => index.Add(1, [0, 0, 0, 0])).Message);
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => index.Add(1, [float.NaN, 0, 0, 1])).Message);
        Assert.Empty(index.Search([1, 0, 0, 0], 3));
        index.Add(7, [1, 0, 0, 0]);
        index.Add(7, [0, 1, 0, 0]); // upsert
        Assert.Equal(1, index.Count);
        var hit = Assert.Single(index.Search([0, 1, 0, 0], 3));
        Assert.Equal(7, hit.Id);
        Assert.Equal(1f, hit.Score, 5);
    }
}
