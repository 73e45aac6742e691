using System.Text.RegularExpressions;
using Groundwork.Evaluation.Datasets;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Extraction;
using Groundwork.Ingestion.Pipeline;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;
using Groundwork.Storage.Sqlite;
using Groundwork.Testing;
using Microsoft.Extensions.AI;

namespace Groundwork.Evaluation.Tests.Comparison;

/// <summary>A tiny real collection (SQLite store, real ingestion) and a QA set over it.</summary>
internal sealed partial class TestCollection : IAsyncDisposable
{
    public const string Policy = """
        # Leave policy

        ## Parental leave

        All parents receive 16 weeks of fully paid parental leave. Leave must be taken within 12 months of the birth or adoption.

        ## Vacation

        Full-time employees receive 25 working days of paid vacation per year. At most 5 unused days carry over to the next year.
        """;

    public const string Office = """
        # Office notes

        The Lisbon office opens at 8:00 and closes at 19:00 on weekdays. Visitors sign in at the front desk on the ground floor.
        """;

    private TestCollection(TempDir dir, ICollectionStore store, Ingestor ingestor)
    {
        Dir = dir;
        Store = store;
        Ingestor = ingestor;
        Retriever = new Retriever(store);
    }

    public TempDir Dir { get; }
    public ICollectionStore Store { get; }
    public Ingestor Ingestor { get; }
    public Retriever Retriever { get; }
    public string Docs => Path.Combine(Dir.Path, "docs");

    public static async Task<TestCollection> CreateAsync()
    {
        var dir = TestPaths.CreateTempDir("eval");
        var docs = Path.Combine(dir.Path, "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "policy.md"), Policy);
        File.WriteAllText(Path.Combine(docs, "office.md"), Office);
        var store = await new SqliteStoreProvider(Path.Combine(dir.Path, "store")).OpenAsync("eval");
        var ingestor = new Ingestor(store, ExtractorRegistry.CreateDefault(), new DefaultTokenizer(), new ChunkingOptions { MaxTokens = 48, OverlapFraction = 0.1 });
        await ingestor.IngestAsync([docs]);
        return new TestCollection(dir, store, ingestor);
    }

    public static IReadOnlyList<QaItem> Items { get; } =
    [
        new() { Id = "leave", Question = "How many weeks of parental leave do parents receive?", Answers = ["16 weeks"], SupportingDocuments = ["policy.md"] },
        new() { Id = "vacation", Question = "How many days of paid vacation do full-time employees receive per year?", Answers = ["25 working days"], SupportingDocuments = ["policy.md"] },
        new() { Id = "lisbon", Question = "When does the Lisbon office open on weekdays?", Answers = ["8:00"], SupportingDocuments = ["office.md"] },
        new() { Id = "mars", Question = "What is the dress code at the Mars colony office?", Answerable = false },
    ];

    /// <summary>A RAG model: cites the source holding the known answer, or says the documents do not answer.</summary>
    public static ScriptedChatClient RagModel() => new(messages =>
    {
        var user = messages[^1].Text ?? "";
        var question = user[(user.LastIndexOf("Question:", StringComparison.Ordinal) + 1)..];
        foreach (var (needle, sentence) in new[] { ("16 weeks", "Parents receive 16 weeks of fully paid parental leave"), ("25 working days", "Full-time employees receive 25 working days of paid vacation"), ("8:00", "The Lisbon office opens at 8:00") })
        {
            foreach (Match m in SourceBlock().Matches(user))
                if (m.Groups[2].Value.Contains(needle, StringComparison.Ordinal) && question.Contains(QuestionKey(needle), StringComparison.OrdinalIgnoreCase))
                    return $"{sentence} [{m.Groups[1].Value}].";
        }
        return "The documents do not answer this question.";
    }, "rag-model");

    /// <summary>A model without documents: knows one answer, not the others.</summary>
    public static ScriptedChatClient BaseModel() => new(messages =>
        (messages[^1].Text ?? "").Contains("parental", StringComparison.OrdinalIgnoreCase) ? "16 weeks." : "I don't know.", "base-model");

    private static string QuestionKey(string needle) => needle switch { "16 weeks" => "parental", "25 working days" => "vacation", _ => "Lisbon" };

    [GeneratedRegex("<source id=\"(\\d+)\"[^>]*>\\n(.*?)\\n</source>", RegexOptions.Singleline)]
    private static partial Regex SourceBlock();

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Dir.Dispose();
    }
}
