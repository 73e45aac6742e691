using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Groundwork.Evaluation.Datasets;

/// <summary>A page of a document cited as evidence for an answer.</summary>
/// <param name="Document">The document's file name or id (e.g. <c>2023 Q3 AAPL.pdf</c>).</param>
/// <param name="Page">1-based page number.</param>
public sealed record EvidencePage(string Document, int Page);

/// <summary>One question of a question-answering evaluation set.</summary>
public sealed record QaItem
{
    /// <summary>The item's id (from the file, or its 1-based position when the file has none).</summary>
    public required string Id { get; init; }

    /// <summary>The question.</summary>
    public required string Question { get; init; }

    /// <summary>Reference answers; empty for an unanswerable question.</summary>
    public IReadOnlyList<string> Answers { get; init; } = [];

    /// <summary>Documents (ids or file names) that hold the answer; empty when not annotated.</summary>
    public IReadOnlyList<string> SupportingDocuments { get; init; } = [];

    /// <summary>Pages that hold the answer; empty when not annotated.</summary>
    public IReadOnlyList<EvidencePage> SupportingPages { get; init; } = [];

    /// <summary>False when the right behaviour is to abstain (the documents do not answer the question).</summary>
    public bool Answerable { get; init; } = true;

    /// <summary>Other string-valued fields or columns of the item (e.g. the question type).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Loads question-answer sets: JSON Lines (<c>question</c>, <c>answers</c> or <c>answer</c>, optional <c>id</c>,
/// <c>supporting_documents</c>, <c>supporting_pages</c>, <c>answerable</c>) and CSV files with a header row such as
/// Docugami's SEC 10-Q <c>qna_data.csv</c> (<c>Question</c>, <c>Answer</c>, <c>Source Docs</c>, ...).
/// Malformed input fails with "file:line: reason" naming the field.
/// </summary>
public static class QaDataset
{
    private static readonly string[] KnownJsonFields =
        ["id", "_id", "question", "answers", "answer", "supporting_documents", "supporting_pages", "answerable"];

    /// <summary>Streams a JSON Lines QA file (optionally gzip-compressed).</summary>
    /// <remarks>
    /// <c>answers</c> (or <c>answer</c>) is a string or an array of strings and is required unless
    /// <c>answerable</c> is false. <c>supporting_documents</c> is a string or an array of ids/file names;
    /// <c>supporting_pages</c> is an array of <c>{"document": "x.pdf", "page": 3}</c>. Other string fields go to
    /// <see cref="QaItem.Metadata"/>.
    /// </remarks>
    public static async IAsyncEnumerable<QaItem> ReadJsonLinesAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var ordinal = 0;
        await foreach (var (number, line) in TextLines.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            ordinal++;
            var (doc, fields) = JsonFields.Parse(line, path, number);
            using (doc)
            {
                var item = ReadJsonItem(fields, ordinal);
                if (!ids.Add(item.Id)) throw fields.Error($"duplicate id '{item.Id}'");
                yield return item;
            }
        }
    }

    private static QaItem ReadJsonItem(JsonFields fields, int ordinal)
    {
        var id = fields.Has("id") ? fields.RequiredId("id") : fields.Has("_id") ? fields.RequiredId("_id") : ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var question = fields.RequiredString("question");
        if (string.IsNullOrWhiteSpace(question)) throw fields.Error("field 'question' is empty");
        if (fields.Has("answers") && fields.Has("answer")) throw fields.Error("both 'answers' and 'answer' are present; use one");
        var answerField = fields.Has("answer") ? "answer" : "answers";
        var answers = fields.OptionalStringOrArray(answerField) ?? [];
        var answerable = fields.OptionalBool("answerable") ?? true;
        if (answerable && answers.Count == 0)
            throw fields.Has(answerField)
                ? fields.Error($"field '{answerField}' has no answer (set \"answerable\": false for a question that has none)")
                : fields.Error("missing field 'answers'");
        for (var i = 0; i < answers.Count; i++)
            if (answerable && string.IsNullOrWhiteSpace(answers[i])) throw fields.Error($"field '{answerField}[{i}]' is empty");

        var documents = fields.OptionalStringOrArray("supporting_documents") ?? [];
        var pages = ReadPages(fields);

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in fields.Object.EnumerateObject())
            if (property.Value.ValueKind == JsonValueKind.String && !KnownJsonFields.Contains(property.Name))
                metadata[property.Name] = property.Value.GetString()!;

        return new QaItem
        {
            Id = id,
            Question = question,
            Answers = answers,
            Answerable = answerable,
            SupportingDocuments = documents,
            SupportingPages = pages,
            Metadata = metadata,
        };
    }

    private static List<EvidencePage> ReadPages(JsonFields fields)
    {
        var pages = new List<EvidencePage>();
        if (!fields.Object.TryGetProperty("supporting_pages", out var value) || value.ValueKind == JsonValueKind.Null) return pages;
        if (value.ValueKind != JsonValueKind.Array)
            throw fields.Error($"field 'supporting_pages' must be an array of {{\"document\", \"page\"}} objects, found {JsonFields.Describe(value.ValueKind)}");
        var index = 0;
        foreach (var entry in value.EnumerateArray())
        {
            var name = $"supporting_pages[{index}]";
            if (entry.ValueKind != JsonValueKind.Object)
                throw fields.Error($"field '{name}' must be an object with 'document' and 'page', found {JsonFields.Describe(entry.ValueKind)}");
            if (!entry.TryGetProperty("document", out var document) || document.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(document.GetString()))
                throw fields.Error($"field '{name}.document' must be a non-empty string");
            if (!entry.TryGetProperty("page", out var page) || page.ValueKind != JsonValueKind.Number || !page.TryGetInt32(out var pageNumber) || pageNumber < 1)
                throw fields.Error($"field '{name}.page' must be a page number of 1 or more");
            pages.Add(new EvidencePage(document.GetString()!, pageNumber));
            index++;
        }
        return pages;
    }

    /// <summary>
    /// Streams a CSV QA file with a header row (RFC 4180: quoted fields may span lines). Columns are matched by name,
    /// ignoring case: <c>Question</c> (required), <c>Answer</c> or <c>Answers</c> (required; one reference answer per
    /// row), <c>Id</c>, <c>Source Docs</c>/<c>Supporting Documents</c> (names separated by commas or semicolons; may be
    /// glob patterns such as <c>*2023 Q3 AAPL*</c>), <c>Source Pages</c>/<c>Supporting Pages</c> (entries
    /// <c>document#page</c> separated by semicolons). Any other column goes to <see cref="QaItem.Metadata"/>.
    /// </summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="knownDocuments">
    /// When given, each supporting-document pattern is expanded to the matching names in this list (file names
    /// compared without case), and a pattern that matches none is an error. When null, patterns are kept verbatim.
    /// </param>
    /// <param name="cancellationToken">Cancels reading.</param>
    public static async IAsyncEnumerable<QaItem> ReadCsvAsync(string path, IReadOnlyCollection<string>? knownDocuments = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CsvColumns? columns = null;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var ordinal = 0;
        await foreach (var record in CsvReader.ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (columns is null)
            {
                columns = CsvColumns.FromHeader(record, path);
                continue;
            }
            ordinal++;
            var item = columns.ToItem(record, path, ordinal, knownDocuments);
            if (!ids.Add(item.Id)) throw new InvalidDataException($"{path}:{record.Line}: duplicate id '{item.Id}'");
            yield return item;
        }
        if (columns is null) throw new InvalidDataException($"{path}:1: empty CSV file (expected a header row with 'Question' and 'Answer')");
    }

    /// <summary>Names in <paramref name="knownDocuments"/> that a pattern (<c>*</c> any run, <c>?</c> one character) matches, by file name and without case.</summary>
    public static IReadOnlyList<string> MatchDocuments(string pattern, IEnumerable<string> knownDocuments)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(knownDocuments);
        var regex = new Regex("^" + Regex.Escape(pattern.Trim()).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
        return knownDocuments.Where(d => regex.IsMatch(Path.GetFileName(d)) || regex.IsMatch(d)).ToList();
    }

    private sealed class CsvColumns
    {
        private int _id = -1, _question = -1, _answer = -1, _documents = -1, _pages = -1;
        private readonly List<(int Index, string Name)> _other = [];
        private int _count;

        public static CsvColumns FromHeader(CsvRecord header, string path)
        {
            var columns = new CsvColumns { _count = header.Fields.Count };
            for (var i = 0; i < header.Fields.Count; i++)
            {
                var name = header.Fields[i].Trim();
                switch (name.ToUpperInvariant())
                {
                    case "ID": Set(ref columns._id, i, name); break;
                    case "QUESTION": Set(ref columns._question, i, name); break;
                    case "ANSWER" or "ANSWERS": Set(ref columns._answer, i, name); break;
                    case "SOURCE DOCS" or "SOURCE DOCUMENTS" or "SUPPORTING DOCUMENTS": Set(ref columns._documents, i, name); break;
                    case "SOURCE PAGES" or "SUPPORTING PAGES": Set(ref columns._pages, i, name); break;
                    default: columns._other.Add((i, name)); break;
                }
            }
            if (columns._question < 0) throw new InvalidDataException($"{path}:{header.Line}: the header has no 'Question' column");
            if (columns._answer < 0) throw new InvalidDataException($"{path}:{header.Line}: the header has no 'Answer' column");
            return columns;

            void Set(ref int slot, int index, string name)
            {
                if (slot >= 0) throw new InvalidDataException($"{path}:{header.Line}: column '{name}' appears twice in the header");
                slot = index;
            }
        }

        public QaItem ToItem(CsvRecord record, string path, int ordinal, IReadOnlyCollection<string>? knownDocuments)
        {
            var at = $"{path}:{record.Line}";
            if (record.Fields.Count != _count)
                throw new InvalidDataException($"{at}: expected {_count} fields as in the header, found {record.Fields.Count}");
            var question = record.Fields[_question].Trim();
            if (question.Length == 0) throw new InvalidDataException($"{at}: field 'Question' is empty");
            var answer = record.Fields[_answer].Trim();
            if (answer.Length == 0) throw new InvalidDataException($"{at}: field 'Answer' is empty");
            var id = _id >= 0 ? record.Fields[_id].Trim() : ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (id.Length == 0) throw new InvalidDataException($"{at}: field 'Id' is empty");

            var documents = new List<string>();
            if (_documents >= 0)
            {
                foreach (var pattern in SplitList(record.Fields[_documents], ',', ';'))
                {
                    if (knownDocuments is null || !pattern.AsSpan().ContainsAny('*', '?'))
                    {
                        documents.Add(pattern);
                        continue;
                    }
                    var matches = MatchDocuments(pattern, knownDocuments);
                    if (matches.Count == 0) throw new InvalidDataException($"{at}: field 'Source Docs': pattern '{pattern}' matches no known document");
                    foreach (var m in matches)
                        if (!documents.Contains(m, StringComparer.Ordinal)) documents.Add(m);
                }
            }

            var pages = new List<EvidencePage>();
            if (_pages >= 0)
            {
                foreach (var entry in SplitList(record.Fields[_pages], ';'))
                {
                    var hash = entry.LastIndexOf('#');
                    if (hash <= 0 || !int.TryParse(entry.AsSpan(hash + 1).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var page) || page < 1)
                        throw new InvalidDataException($"{at}: field 'Source Pages': expected 'document#page', found '{BeirDataset.Truncate(entry)}'");
                    pages.Add(new EvidencePage(entry[..hash].Trim(), page));
                }
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (index, name) in _other) metadata[name] = record.Fields[index];

            return new QaItem
            {
                Id = id,
                Question = question,
                Answers = [answer],
                SupportingDocuments = documents,
                SupportingPages = pages,
                Metadata = metadata,
            };
        }

        private static IEnumerable<string> SplitList(string cell, params char[] separators) =>
            cell.Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
