using System.Globalization;
using System.Text;

namespace Groundwork.Evaluation.Retrieval;

/// <summary>
/// Reads and writes the plain-text formats of trec_eval: runs (<c>qid Q0 docno rank score tag</c>) and qrels
/// (<c>qid 0 docno grade</c>), whitespace-separated, one line each. Ids must not contain whitespace.
/// </summary>
public static class TrecFormat
{
    /// <summary>Writes a run, each query's documents in trec_eval's ranking order, scores in round-trip form.</summary>
    public static async Task WriteRunAsync(string path, IReadOnlyDictionary<string, IReadOnlyList<(string DocId, double Score)>> run,
        string tag = "groundwork", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        CheckToken(tag, "tag");
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var (queryId, docs) in run.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            CheckToken(queryId, "query id");
            var ranked = RetrievalEvaluator.Rank(docs);
            for (var i = 0; i < ranked.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                CheckToken(ranked[i].DocId, "document id");
                await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{queryId} Q0 {ranked[i].DocId} {i + 1} {ranked[i].Score:R} {tag}\n")).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes qrels in trec_eval's format.</summary>
    public static async Task WriteQrelsAsync(string path, Qrels qrels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(qrels);
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var queryId in qrels.QueryIds)
        {
            CheckToken(queryId, "query id");
            foreach (var (docId, grade) in qrels.Judgments(queryId))
            {
                cancellationToken.ThrowIfCancellationRequested();
                CheckToken(docId, "document id");
                await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{queryId} 0 {docId} {grade}\n")).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads a run file (<c>qid Q0 docno rank score tag</c>); the rank column is ignored, as trec_eval does.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<(string DocId, double Score)>>> ReadRunAsync(string path, CancellationToken cancellationToken = default)
    {
        var run = new Dictionary<string, List<(string DocId, double Score)>>(StringComparer.Ordinal);
        await foreach (var (number, line) in Datasets.TextLines.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 6)
                throw new InvalidDataException($"{path}:{number}: expected 6 fields (qid Q0 docno rank score tag), found {parts.Length}");
            if (!double.TryParse(parts[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || double.IsNaN(score))
                throw new InvalidDataException($"{path}:{number}: field 'score' must be a number, found '{parts[4]}'");
            if (!run.TryGetValue(parts[0], out var docs)) run[parts[0]] = docs = [];
            docs.Add((parts[2], score));
        }
        return run.ToDictionary(p => p.Key, p => (IReadOnlyList<(string DocId, double Score)>)p.Value, StringComparer.Ordinal);
    }

    /// <summary>Reads a trec_eval qrels file (<c>qid iter docno grade</c>).</summary>
    public static async Task<Qrels> ReadQrelsAsync(string path, CancellationToken cancellationToken = default)
    {
        var builder = new Qrels.Builder();
        await foreach (var (number, line) in Datasets.TextLines.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4)
                throw new InvalidDataException($"{path}:{number}: expected 4 fields (qid iter docno grade), found {parts.Length}");
            if (!int.TryParse(parts[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var grade))
                throw new InvalidDataException($"{path}:{number}: field 'grade' must be an integer, found '{parts[3]}'");
            var error = builder.Add(parts[0], parts[2], grade);
            if (error is not null) throw new InvalidDataException($"{path}:{number}: {error}");
        }
        return builder.Build();
    }

    private static void CheckToken(string value, string what)
    {
        if (string.IsNullOrEmpty(value) || value.Any(char.IsWhiteSpace))
            throw new ArgumentException($"{what} '{value}' is empty or contains whitespace, which the TREC format cannot hold");
    }
}
