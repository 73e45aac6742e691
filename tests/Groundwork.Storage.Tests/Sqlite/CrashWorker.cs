using System.Globalization;
using Groundwork.Storage.Sqlite;
using Groundwork.Storage.Tests.Conformance;

namespace Groundwork.Storage.Tests.Sqlite;

/// <summary>
/// The writer that the crash-consistency test kills: run as <c>dotnet exec Groundwork.Storage.Tests.dll crash-worker
/// FILE SEED</c>, it upserts and removes documents in a loop forever and prints "ready" after its first commit.
/// Every document records its own chunk count in a tag so a checker can verify it is complete.
/// </summary>
internal static class CrashWorker
{
    public const string Verb = "crash-worker";
    public const string ChunkCountTag = "expected_chunks";
    public const int DocumentIds = 30;

    private static readonly string[] Vocabulary =
    [
        "river", "engine", "ledger", "harbour", "quartz", "violet", "summit", "copper", "lantern", "meadow",
        "signal", "thunder", "orchard", "canvas", "falcon", "glacier", "pepper", "saddle", "timber", "velvet",
    ];

    public static int Run(string[] args)
    {
        if (args.Length != 2) return 2;
        return RunAsync(args[0], int.Parse(args[1], CultureInfo.InvariantCulture)).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string path, int seed)
    {
        var rng = new Random(seed);
        await using var store = await SqliteCollectionStore.OpenAsync(path);
        for (long i = 0; ; i++)
        {
            int docNo = rng.Next(DocumentIds);
            if (i > 0 && rng.Next(8) == 0)
            {
                await store.RemoveDocumentAsync($"doc{docNo}");
            }
            else
            {
                var (document, chunks) = MakeDocument(rng, docNo, i);
                await store.UpsertDocumentAsync(document, chunks);
            }
            if (i == 0)
            {
                Console.Out.WriteLine("ready");
                Console.Out.Flush();
            }
        }
    }

    public static (StoredDocument Document, IReadOnlyList<StoredChunk> Chunks) MakeDocument(Random rng, int docNo, long generation)
    {
        int count = rng.Next(1, 40);
        var texts = new List<string>(count);
        for (int k = 0; k < count; k++)
        {
            int words = rng.Next(20, 80);
            texts.Add(string.Join(' ', Enumerable.Range(0, words).Select(_ => Vocabulary[rng.Next(Vocabulary.Length)])) + $" gen{generation}");
        }
        var tags = new Dictionary<string, string> { [ChunkCountTag] = count.ToString(CultureInfo.InvariantCulture) };
        return TestDocs.Make($"doc{docNo}", $"Document {docNo} generation {generation}", texts, tags, sourcePath: $"/crash/doc{docNo}.txt");
    }
}
