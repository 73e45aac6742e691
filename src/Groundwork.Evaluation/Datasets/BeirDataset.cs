using System.Globalization;
using System.Runtime.CompilerServices;
using Groundwork.Evaluation.Retrieval;

namespace Groundwork.Evaluation.Datasets;

/// <summary>A corpus document of a BEIR dataset.</summary>
/// <param name="Id">The <c>_id</c> field.</param>
/// <param name="Title">The <c>title</c> field; empty when absent.</param>
/// <param name="Text">The <c>text</c> field.</param>
public sealed record BeirDocument(string Id, string Title, string Text);

/// <summary>A query of a BEIR dataset.</summary>
/// <param name="Id">The <c>_id</c> field.</param>
/// <param name="Text">The <c>text</c> field.</param>
public sealed record BeirQuery(string Id, string Text);

/// <summary>
/// A dataset in the BEIR layout: <c>corpus.jsonl</c> (or <c>.jsonl.gz</c>) with <c>_id</c>, <c>title</c>, <c>text</c>;
/// <c>queries.jsonl</c> (or <c>.gz</c>) with <c>_id</c>, <c>text</c>; <c>qrels/&lt;split&gt;.tsv</c> with the header
/// <c>query-id corpus-id score</c>. Corpus and queries are streamed; malformed input fails with
/// "file:line: reason" naming the field.
/// </summary>
public sealed class BeirDataset
{
    private BeirDataset(string directory, string corpusPath, string queriesPath)
    {
        Directory = directory;
        CorpusPath = corpusPath;
        QueriesPath = queriesPath;
    }

    /// <summary>The dataset folder.</summary>
    public string Directory { get; }

    /// <summary>The corpus file found in the folder.</summary>
    public string CorpusPath { get; }

    /// <summary>The queries file found in the folder.</summary>
    public string QueriesPath { get; }

    /// <summary>Locates the files of a BEIR dataset folder (nothing is read yet).</summary>
    /// <exception cref="FileNotFoundException">The corpus or queries file is missing.</exception>
    public static BeirDataset Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"BEIR dataset folder not found: {directory}");
        return new BeirDataset(directory, Find(directory, "corpus"), Find(directory, "queries"));
    }

    /// <summary>The path of the qrels file for a split (e.g. <c>train</c>, <c>test</c>).</summary>
    public string QrelsPath(string split) => Path.Combine(Directory, "qrels", split + ".tsv");

    /// <summary>Streams the corpus.</summary>
    public IAsyncEnumerable<BeirDocument> ReadCorpusAsync(CancellationToken cancellationToken = default) =>
        ReadCorpusAsync(CorpusPath, cancellationToken);

    /// <summary>Streams the queries.</summary>
    public IAsyncEnumerable<BeirQuery> ReadQueriesAsync(CancellationToken cancellationToken = default) =>
        ReadQueriesAsync(QueriesPath, cancellationToken);

    /// <summary>Reads the qrels of a split.</summary>
    public Task<Qrels> ReadQrelsAsync(string split, CancellationToken cancellationToken = default) =>
        ReadQrelsFileAsync(QrelsPath(split), cancellationToken);

    /// <summary>Streams a corpus file (JSON Lines, optionally gzip-compressed).</summary>
    public static async IAsyncEnumerable<BeirDocument> ReadCorpusAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (number, line) in TextLines.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (doc, fields) = JsonFields.Parse(line, path, number);
            using (doc)
            {
                var id = fields.RequiredId("_id");
                if (!seen.Add(id)) throw fields.Error($"duplicate '_id' '{id}'");
                yield return new BeirDocument(id, fields.OptionalString("title") ?? "", fields.RequiredString("text"));
            }
        }
    }

    /// <summary>Streams a queries file (JSON Lines, optionally gzip-compressed).</summary>
    public static async IAsyncEnumerable<BeirQuery> ReadQueriesAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (number, line) in TextLines.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (doc, fields) = JsonFields.Parse(line, path, number);
            using (doc)
            {
                var id = fields.RequiredId("_id");
                if (!seen.Add(id)) throw fields.Error($"duplicate '_id' '{id}'");
                yield return new BeirQuery(id, fields.RequiredString("text"));
            }
        }
    }

    /// <summary>
    /// Reads a BEIR qrels file: tab-separated <c>query-id corpus-id score</c> with that header line; the score is an
    /// integer grade. A pair judged twice is an error.
    /// </summary>
    public static async Task<Qrels> ReadQrelsFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var builder = new Qrels.Builder();
        var sawHeader = false;
        await foreach (var (number, line) in TextLines.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split('\t');
            if (!sawHeader)
            {
                sawHeader = true;
                if (parts.Length != 3 || parts[0].Trim() != "query-id" || parts[1].Trim() != "corpus-id" || parts[2].Trim() != "score")
                    throw new InvalidDataException($"{path}:{number}: expected the header 'query-id<TAB>corpus-id<TAB>score', found '{Truncate(line)}'");
                continue;
            }
            if (parts.Length != 3)
                throw new InvalidDataException($"{path}:{number}: expected 3 tab-separated fields (query-id, corpus-id, score), found {parts.Length}");
            var queryId = parts[0].Trim();
            var docId = parts[1].Trim();
            if (queryId.Length == 0) throw new InvalidDataException($"{path}:{number}: field 'query-id' is empty");
            if (docId.Length == 0) throw new InvalidDataException($"{path}:{number}: field 'corpus-id' is empty");
            if (!int.TryParse(parts[2].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var score))
                throw new InvalidDataException($"{path}:{number}: field 'score' must be an integer, found '{Truncate(parts[2])}'");
            var error = builder.Add(queryId, docId, score);
            if (error is not null) throw new InvalidDataException($"{path}:{number}: {error}");
        }
        if (!sawHeader) throw new InvalidDataException($"{path}:1: empty qrels file (expected the header 'query-id<TAB>corpus-id<TAB>score')");
        return builder.Build();
    }

    private static string Find(string directory, string stem)
    {
        foreach (var name in new[] { stem + ".jsonl", stem + ".jsonl.gz" })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"BEIR dataset {directory}: neither {stem}.jsonl nor {stem}.jsonl.gz exists", Path.Combine(directory, stem + ".jsonl"));
    }

    internal static string Truncate(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
