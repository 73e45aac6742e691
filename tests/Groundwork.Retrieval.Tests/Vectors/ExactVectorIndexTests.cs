using Groundwork.Retrieval.Vectors;
using Groundwork.Testing;

namespace Groundwork.Retrieval.Tests.Vectors;

public sealed class ExactVectorIndexTests
{
    private const int Dim = 48;

    [Fact]
    public void Search_matches_a_naive_double_loop()
    {
        var gen = new ClusteredData(Dim, 20, 0.8f, seed: 1);
        var data = gen.Next(1500);
        var queries = gen.Next(25);
        using var index = new ExactVectorIndex(Dim);
        for (int i = 0; i < 1500; i++) index.Add(1000 + i, ClusteredData.Row(data, Dim, i));
        Assert.Equal(1500, index.Count);

        for (int q = 0; q < 25; q++)
        {
            var query = ClusteredData.Row(queries, Dim, q);
            var naive = new List<(long Id, double Score)>();
            for (int i = 0; i < 1500; i++)
            {
                var row = ClusteredData.Row(data, Dim, i);
                double dot = 0, na = 0, nb = 0;
                for (int d = 0; d < Dim; d++) { dot += row[d] * query[d]; na += row[d] * row[d]; nb += query[d] * query[d]; }
                naive.Add((1000 + i, dot / Math.Sqrt(na * nb)));
            }
            var expected = naive.OrderByDescending(x => x.Score).Take(10).ToList();
            var hits = index.Search(query, 10);
            Assert.Equal(expected.Select(e => e.Id), hits.Select(h => h.Id));
            for (int i = 0; i < 10; i++) Assert.Equal(expected[i].Score, hits[i].Score, 4);
        }
    }

    [Fact]
    public void Remove_filter_and_upsert_behave()
    {
        using var index = new ExactVectorIndex(3);
        index.Add(1, [1, 0, 0]);
        index.Add(2, [0, 1, 0]);
        index.Add(3, [0.9f, 0.1f, 0]);
        Assert.Equal([1L, 3L], index.Search([1, 0, 0], 2).Select(h => h.Id));
        Assert.True(index.Remove(1));
        Assert.False(index.Remove(1));
        Assert.Equal([3L, 2L], index.Search([1, 0, 0], 5).Select(h => h.Id));
        Assert.Equal([2L], index.Search([1, 0, 0], 5, id => id == 2).Select(h => h.Id));
        index.Add(2, [1, 0, 0]); // replaces id 2
        Assert.Equal(2, index.Count);
        Assert.Equal(2L, index.Search([1, 0, 0], 1)[0].Id);
        Assert.Equal(1f, index.Search([1, 0, 0], 1)[0].Score, 5);
    }

    [Fact]
    public async Task Save_and_open_round_trip_and_reject_corruption()
    {
        using var dir = TestPaths.CreateTempDir("gw-exact");
        var gen = new ClusteredData(Dim, 5, 1f, seed: 2);
        var data = gen.Next(100);
        using var index = new ExactVectorIndex(Dim);
        for (int i = 0; i < 100; i++) index.Add(i, ClusteredData.Row(data, Dim, i));
        string path = dir.File("exact.gwv");
        await index.SaveAsync(path, TestContext.Current.CancellationToken);
        using var reopened = await ExactVectorIndex.OpenAsync(path, TestContext.Current.CancellationToken);
        var q = ClusteredData.Row(data, Dim, 7).ToArray();
        Assert.Equal(index.Search(q, 5), reopened.Search(q, 5));

        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(path, bytes.AsSpan(0, bytes.Length - 10).ToArray(), TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ExactVectorIndex.OpenAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }
}
