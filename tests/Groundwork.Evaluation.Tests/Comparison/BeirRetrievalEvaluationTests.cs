using Groundwork.Evaluation.Comparison;
using Groundwork.Evaluation.Datasets;
using Groundwork.Retrieval.Search;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Comparison;

public sealed class BeirRetrievalEvaluationTests
{
    [Fact]
    public async Task Indexes_a_beir_folder_and_scores_the_run()
    {
        using var dir = TestPaths.CreateTempDir("beir");
        var data = Path.Combine(dir.Path, "mini");
        Directory.CreateDirectory(Path.Combine(data, "qrels"));
        File.WriteAllLines(Path.Combine(data, "corpus.jsonl"),
        [
            """{"_id": "d1", "title": "Parental leave", "text": "Parents receive sixteen weeks of paid parental leave."}""",
            """{"_id": "d2", "title": "Vacation", "text": "Employees receive twenty five days of vacation."}""",
            """{"_id": "d3", "title": "Offices", "text": "The Lisbon office opens at eight."}""",
        ]);
        File.WriteAllLines(Path.Combine(data, "queries.jsonl"),
        [
            """{"_id": "q1", "text": "parental leave weeks"}""",
            """{"_id": "q2", "text": "Lisbon office hours"}""",
            """{"_id": "q3", "text": "unrelated zebra"}""",
        ]);
        File.WriteAllLines(Path.Combine(data, "qrels", "test.tsv"), ["query-id\tcorpus-id\tscore", "q1\td1\t1", "q2\td3\t1", "q3\td2\t1"]);
        var dataset = BeirDataset.Open(data);
        await using var store = await new SqliteStoreProvider(Path.Combine(dir.Path, "store")).OpenAsync("beir");
        Assert.Equal(3, await BeirRetrievalEvaluation.IndexIfEmptyAsync(dataset, store));
        Assert.Equal(0, await BeirRetrievalEvaluation.IndexIfEmptyAsync(dataset, store));
        var (summary, report) = await BeirRetrievalEvaluation.EvaluateAsync(dataset, new Retriever(store));
        Assert.Equal(3, summary.Queries);
        // q1 and q2 find their document first; q3 finds nothing relevant.
        Assert.Equal(2.0 / 3, summary.Metrics["HitRate@1"], 9);
        Assert.Equal(2.0 / 3, summary.Metrics["nDCG@10"], 9);
        Assert.Equal(3, summary.Latency!.Count);
        Assert.Equal(2, (await BeirRetrievalEvaluation.EvaluateAsync(dataset, new Retriever(store), limit: 2)).Summary.Queries);
        Assert.NotNull(report);
    }
}
