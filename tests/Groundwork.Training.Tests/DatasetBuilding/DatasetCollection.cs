using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;

namespace Groundwork.Training.Tests.DatasetBuilding;

/// <summary>A small real collection (SQLite store, real ingestion) of three documents, one chunk per section.</summary>
internal sealed class DatasetCollection : IAsyncDisposable
{
    private DatasetCollection(TempDir dir, ICollectionStore store)
    {
        Dir = dir;
        Store = store;
    }

    public TempDir Dir { get; }
    public ICollectionStore Store { get; }

    public static async Task<DatasetCollection> CreateAsync()
    {
        var dir = TestPaths.CreateTempDir("dataset");
        var docs = Path.Combine(dir.Path, "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "policy.md"), """
            # Leave policy

            ## Parental leave

            All parents receive 16 weeks of fully paid parental leave. Leave must be taken within 12 months of the birth or adoption.

            ## Vacation

            Full-time employees receive 25 working days of paid vacation per year. At most 5 unused days carry over to the next year.

            ## Sick leave

            Employees may take up to 10 days of paid sick leave per year without a note. Longer absences need a certificate from a physician.
            """);
        File.WriteAllText(Path.Combine(docs, "office.md"), """
            # Office notes

            ## Lisbon

            The Lisbon office opens at 8:00 and closes at 19:00 on weekdays. Visitors sign in at the front desk on the ground floor.

            ## Berlin

            The Berlin office is closed on public holidays in Berlin. Bicycles can be parked in the courtyard behind building B.

            ## Parking

            Car parking spaces are assigned by the facilities team each quarter. Electric vehicles charge for free at the four wall boxes.
            """);
        File.WriteAllText(Path.Combine(docs, "it.md"), """
            # IT support

            ## Passwords

            Passwords must be at least 14 characters long and are rotated every 12 months. Password managers approved by security may be used.

            ## Laptops

            New laptops are delivered within 5 working days of a request. Broken laptops are swapped at the service desk on the second floor.

            ## Leave requests

            Leave requests are entered in the HR portal, which IT keeps available around the clock. Parental leave requests go to HR directly.
            """);
        var store = await new SqliteStoreProvider(Path.Combine(dir.Path, "store")).OpenAsync("dataset");
        var ingestor = new Ingestor(store, ExtractorRegistry.CreateDefault(), new DefaultTokenizer(), new ChunkingOptions { MaxTokens = 48, OverlapFraction = 0 });
        await ingestor.IngestAsync([docs]);
        return new DatasetCollection(dir, store);
    }

    /// <summary>Every chunk with its document.</summary>
    public async Task<List<(StoredDocument Document, StoredChunk Chunk)>> ChunksAsync()
    {
        var result = new List<(StoredDocument, StoredChunk)>();
        await foreach (var d in Store.ListDocumentsAsync())
            foreach (var c in await Store.GetChunksAsync(d.Id)) result.Add((d, c));
        return result;
    }

    /// <summary>The first sentence of a passage's first line of prose (headings skipped).</summary>
    public static string FirstSentence(string passage)
    {
        var line = passage.Split('\n').Select(l => l.Trim()).First(l => l.Length > 0 && !l.StartsWith('#'));
        int end = line.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? line : line[..(end + 1)];
    }

    /// <summary>A well-behaved generator: asks about the first sentence of the passage and quotes it.</summary>
    public static string Generate(string passage, string? question = null)
    {
        var sentence = FirstSentence(passage);
        question ??= "What does the handbook say about " + string.Join(' ', sentence.TrimEnd('.').Split(' ').Take(6)) + "?";
        return System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["question"] = question, ["answer"] = sentence, ["quote"] = sentence });
    }

    public static string Passage(IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> messages) => messages[^1].Text!["Passage:\n".Length..];

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Dir.Dispose();
    }
}
