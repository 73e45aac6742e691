using System.Diagnostics;
using System.Text.Json;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;
using Microsoft.Data.Sqlite;

namespace Groundwork.Cli.Tests;

/// <summary>Kills a real ingest process with SIGKILL mid-run, then checks the store and finishes the work.</summary>
public sealed class CrashConsistencyTests : IDisposable
{
    private const int Files = 400;
    private readonly TempDir _dir = TestPaths.CreateTempDir("crash");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Kill_9_during_ingest_leaves_a_consistent_store_and_the_next_run_completes()
    {
        var docs = Path.Combine(_dir.Path, "docs");
        Directory.CreateDirectory(docs);
        var random = new Random(42);
        for (int i = 0; i < Files; i++)
        {
            var paragraphs = Enumerable.Range(0, 30).Select(p =>
                $"Section {p} of file {i} describes item{random.Next(100000)} and widget{random.Next(1000)} with several words of filler text to chunk.");
            File.WriteAllText(Path.Combine(docs, $"doc{i:D4}.md"), $"# Document {i}\n\n" + string.Join("\n\n", paragraphs));
        }

        int kills = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using var p = Process.Start(CliProcess.StartInfo(_dir.Path, "ingest", docs))!;
            _ = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            _ = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await Task.Delay(800 + random.Next(1500), TestContext.Current.CancellationToken);
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
                kills++;
            }
            await p.WaitForExitAsync(TestContext.Current.CancellationToken);
            await AssertConsistentAsync(complete: false);
        }

        var final = await CliProcess.RunAsync(_dir.Path, "ingest", docs, "--json");
        Assert.True(final.Exit == 0, final.Err);
        using var report = JsonDocument.Parse(final.Out);
        Assert.Equal(0, report.RootElement.GetProperty("failed").GetInt32());
        await AssertConsistentAsync(complete: true);
        Assert.True(kills > 0 || report.RootElement.GetProperty("unchanged").GetInt32() == Files,
            "either a run was killed mid-way or every run had already finished");
    }

    private async Task AssertConsistentAsync(bool complete)
    {
        var storeDir = Path.Combine(_dir.Path, ".groundwork");
        var file = Path.Combine(storeDir, "default.gwdb");
        if (!File.Exists(file)) { Assert.False(complete); return; }

        await using (var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", (string?)await check.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }

        var store = await new SqliteStoreProvider(storeDir).OpenAsync("default", TestContext.Current.CancellationToken);
        await using (store)
        {
            var docs = new List<StoredDocument>();
            await foreach (var d in store.ListDocumentsAsync(TestContext.Current.CancellationToken)) docs.Add(d);
            if (complete) Assert.Equal(Files, docs.Count);
            foreach (var d in docs)
            {
                var full = await store.GetDocumentAsync(d.Id, TestContext.Current.CancellationToken);
                Assert.NotNull(full);
                var chunks = await store.GetChunksAsync(d.Id, TestContext.Current.CancellationToken);
                Assert.NotEmpty(chunks);
                Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Ordinal));
                foreach (var c in chunks) Assert.Equal(full.Text[c.StartOffset..c.EndOffset], c.Text);
            }
            var stats = await store.GetStatsAsync(TestContext.Current.CancellationToken);
            Assert.Equal(docs.Count, stats.Documents);
        }
    }
}
