using Groundwork.Retrieval.Vectors;
using Groundwork.Testing;

namespace Groundwork.Retrieval.Tests.Vectors;

public sealed class HnswCompactionTests
{
    private const int Dim = 32;
    private const int Size = 3000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (HnswIndex Index, ExactVectorIndex Exact, float[] Queries) Build(int seed)
    {
        var gen = new ClusteredData(Dim, 30, 0.6f, seed);
        var data = gen.Next(Size);
        var index = new HnswIndex(Dim, new HnswOptions { EfConstruction = 100 });
        var exact = new ExactVectorIndex(Dim);
        index.AddRange(Enumerable.Range(0, Size).Select(i => (long)i).ToArray(), data, maxDegreeOfParallelism: 1);
        for (int i = 0; i < Size; i++) exact.Add(i, ClusteredData.Row(data, Dim, i));
        return (index, exact, gen.Next(40));
    }

    private static long[][] TopIds(IVectorIndex index, float[] queries, int ef = 400) =>
        Enumerable.Range(0, queries.Length / Dim).Select(q => index.Search(ClusteredData.Row(queries, Dim, q), 10, efSearch: ef).Select(h => h.Id).ToArray()).ToArray();

    private static double Overlap(long[][] got, long[][] truth) =>
        Enumerable.Range(0, got.Length).Average(q => got[q].Intersect(truth[q]).Count() / (double)truth[q].Length);

    private static void RemoveFraction(HnswIndex index, ExactVectorIndex exact, int tenths)
    {
        for (long id = 0; id < Size; id++)
            if (id % 10 < tenths) { Assert.True(index.Remove(id)); exact.Remove(id); }
    }

    [Fact]
    public async Task Save_compacts_past_the_tombstone_threshold_with_unchanged_results_and_a_smaller_file()
    {
        var (index, exact, queries) = Build(seed: 31);
        using var _ = index;
        using var __ = exact;
        using var dir = TestPaths.CreateTempDir("gw-hnsw-compact");
        RemoveFraction(index, exact, 3); // 30% tombstones, past the default 20%
        Assert.Equal(Size, index.NodeCount);
        var before = TopIds(index, queries);
        var truth = TopIds(exact, queries);

        index.CompactionThreshold = 1; // disabled: the file keeps the tombstones
        await index.SaveAsync(dir.File("kept.gwv"), Ct);
        Assert.Equal(Size, index.NodeCount);
        index.CompactionThreshold = 0.2;
        await index.SaveAsync(dir.File("compacted.gwv"), Ct);
        Assert.Equal(exact.Count, index.NodeCount);
        Assert.Equal(exact.Count, index.Count);

        long kept = new FileInfo(dir.File("kept.gwv")).Length, compacted = new FileInfo(dir.File("compacted.gwv")).Length;
        TestContext.Current.TestOutputHelper?.WriteLine($"with tombstones {kept} bytes, compacted {compacted} bytes");
        Assert.True(compacted < kept * 0.8, $"compacted file {compacted} bytes is not smaller than {kept} by the 30% dropped");

        // The rebuilt graph answers as the tombstoned one did: the same top-10 for nearly every query, recall kept.
        var after = TopIds(index, queries);
        int same = Enumerable.Range(0, after.Length).Count(q => after[q].Order().SequenceEqual(before[q].Order()));
        double recallBefore = Overlap(before, truth), recallAfter = Overlap(after, truth);
        TestContext.Current.TestOutputHelper?.WriteLine($"identical top-10 {same}/{after.Length}; recall@10 before {recallBefore:F3}, after {recallAfter:F3}");
        // The rebuild links in parallel, so the new graph differs run to run (measured 0.985-1.000 recall at ef 400 across
        // CI runs): the bars are the 0.95 and a small drop, not identity.
        Assert.True(same >= after.Length * 0.8, $"only {same} of {after.Length} queries keep their top-10 after compaction");
        Assert.True(recallAfter >= 0.95 && recallAfter >= recallBefore - 0.03, $"recall@10 {recallBefore:F3} before compaction, {recallAfter:F3} after");
        Assert.DoesNotContain(after.SelectMany(ids => ids), id => id % 10 < 3); // no removed vector comes back
        using (var reopened = await HnswIndex.OpenAsync(dir.File("compacted.gwv"), Ct))
        {
            Assert.Equal(exact.Count, reopened.NodeCount);
            Assert.Equal(after, TopIds(reopened, queries)); // the file is the compacted graph
        }

        // Below the threshold a save keeps the tombstones (compaction costs a rebuild).
        for (long id = 3; id < Size; id += 20) { Assert.True(index.Remove(id)); exact.Remove(id); }
        int nodes = index.NodeCount;
        Assert.True(nodes - index.Count < 0.2 * nodes);
        await index.SaveAsync(dir.File("compacted.gwv"), Ct);
        Assert.Equal(nodes, index.NodeCount);
    }

    [Fact]
    public async Task A_crash_between_writing_and_renaming_a_compaction_leaves_the_old_index_usable()
    {
        var (index, exact, queries) = Build(seed: 32);
        using var _ = index;
        using var __ = exact;
        using var dir = TestPaths.CreateTempDir("gw-hnsw-compact");
        string path = Path.GetFullPath(dir.File("v.gwv"));
        await index.SaveAsync(path, Ct);
        var savedBytes = await File.ReadAllBytesAsync(path, Ct);
        var savedResults = TopIds(index, queries);

        RemoveFraction(index, exact, 4);
        var before = TopIds(index, queries);
        HnswFile.BeforeRename = p => { if (p == path) throw new IOException("simulated crash before rename"); };
        try
        {
            var e = await Assert.ThrowsAsync<IOException>(() => index.SaveAsync(path, Ct));
            Assert.Equal("simulated crash before rename", e.Message);
        }
        finally { HnswFile.BeforeRename = null; }

        // The in-memory index is the old graph, whole and searchable; the file on disk is the old file.
        Assert.Equal(Size, index.NodeCount);
        Assert.Equal(exact.Count, index.Count);
        Assert.Equal(before, TopIds(index, queries));
        Assert.Equal(savedBytes, await File.ReadAllBytesAsync(path, Ct));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
        using (var old = await HnswIndex.OpenAsync(path, Ct))
        {
            Assert.Equal(Size, old.Count);
            Assert.Equal(savedResults, TopIds(old, queries));
        }

        // The next save (no crash) compacts.
        await index.SaveAsync(path, Ct);
        Assert.Equal(exact.Count, index.NodeCount);
        using var reopened = await HnswIndex.OpenAsync(path, Ct);
        Assert.Equal(TopIds(index, queries), TopIds(reopened, queries));
        double recall = Overlap(TopIds(reopened, queries), TopIds(exact, queries));
        // 0.95 is the bar: the rebuild links in parallel, so the graph (not the answer set) varies run to run.
        Assert.True(recall >= 0.95, $"recall@10 after the compacting save {recall:F3}");
    }

    [Fact]
    public void Compaction_threshold_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(4, new HnswOptions { CompactionThreshold = 0 }));
        using var index = new HnswIndex(4, new HnswOptions { CompactionThreshold = 0.5 });
        Assert.Equal(0.5, index.CompactionThreshold);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.CompactionThreshold = -1);
    }
}
