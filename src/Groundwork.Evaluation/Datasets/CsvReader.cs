using System.Runtime.CompilerServices;
using System.Text;

namespace Groundwork.Evaluation.Datasets;

/// <summary>One CSV record with the 1-based line on which it starts.</summary>
internal sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// An RFC 4180 CSV reader: comma-separated fields; records end with CRLF (LF or CR alone are accepted too);
/// a field in double quotes may hold commas, line breaks and doubled quotes (<c>""</c>). Strict about the rest:
/// a quote inside an unquoted field, text after a closing quote, or an unterminated quote is an error naming
/// the file and line. A UTF-8 BOM is skipped.
/// </summary>
internal static class CsvReader
{
    public static async IAsyncEnumerable<CsvRecord> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = TextLines.Open(path);
        var buffer = new char[1 << 15];
        var parser = new Parser(path);
        while (true)
        {
            var read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            for (var i = 0; i < read; i++)
            {
                var record = parser.Feed(buffer[i]);
                if (record is not null) yield return record;
            }
        }
        var last = parser.Finish();
        if (last is not null) yield return last;
    }

    /// <summary>Parses text already in memory (tests, small inputs).</summary>
    public static IEnumerable<CsvRecord> Parse(string text, string name)
    {
        var parser = new Parser(name);
        foreach (var c in text)
        {
            var record = parser.Feed(c);
            if (record is not null) yield return record;
        }
        var last = parser.Finish();
        if (last is not null) yield return last;
    }

    /// <summary>A character-at-a-time state machine, so the async loop stays simple and nothing is buffered twice.</summary>
    private sealed class Parser(string name)
    {
        private enum State { FieldStart, Unquoted, Quoted, QuoteInQuoted, AfterCr }

        private readonly StringBuilder _field = new();
        private List<string> _fields = [];
        private State _state = State.FieldStart;
        private int _line = 1;
        private int _recordLine = 1;
        private int _quoteLine;
        private bool _recordHasContent;

        public CsvRecord? Feed(char c)
        {
            switch (_state)
            {
                case State.AfterCr:
                    _state = State.FieldStart;
                    if (c == '\n') return null; // CRLF already ended the record
                    return Feed(c);
                case State.FieldStart:
                    if (c == '"')
                    {
                        _state = State.Quoted;
                        _quoteLine = _line;
                        _recordHasContent = true;
                        return null;
                    }
                    _state = State.Unquoted;
                    return Unquoted(c);
                case State.Unquoted:
                    return Unquoted(c);
                case State.Quoted:
                    if (c == '"') _state = State.QuoteInQuoted;
                    else
                    {
                        // CR, LF and CRLF inside quotes each count as one line break.
                        if (c == '\r' || (c == '\n' && !(_field.Length > 0 && _field[^1] == '\r'))) _line++;
                        _field.Append(c);
                    }
                    return null;
                case State.QuoteInQuoted:
                    if (c == '"')
                    {
                        _field.Append('"');
                        _state = State.Quoted;
                        return null;
                    }
                    if (c is ',' or '\r' or '\n')
                    {
                        _state = State.Unquoted;
                        return Unquoted(c);
                    }
                    throw new InvalidDataException($"{name}:{_line}: unexpected character '{c}' after the closing quote of a field (quotes inside a quoted field must be doubled)");
                default:
                    throw new InvalidOperationException("unreachable");
            }
        }

        private CsvRecord? Unquoted(char c)
        {
            switch (c)
            {
                case ',':
                    EndField();
                    _recordHasContent = true;
                    _state = State.FieldStart;
                    return null;
                case '\r':
                case '\n':
                    var record = EndRecord();
                    _line++;
                    _recordLine = _line;
                    _state = c == '\r' ? State.AfterCr : State.FieldStart;
                    return record;
                case '"':
                    throw new InvalidDataException($"{name}:{_line}: unexpected '\"' inside an unquoted field (a field containing quotes must be quoted)");
                default:
                    _field.Append(c);
                    _recordHasContent = true;
                    return null;
            }
        }

        public CsvRecord? Finish()
        {
            if (_state == State.Quoted)
                throw new InvalidDataException($"{name}:{_quoteLine}: unterminated quoted field (the file ends inside it)");
            return _state == State.AfterCr ? null : EndRecord();
        }

        private void EndField()
        {
            _fields.Add(_field.ToString());
            _field.Clear();
        }

        private CsvRecord? EndRecord()
        {
            if (!_recordHasContent && _field.Length == 0 && _fields.Count == 0) return null; // blank line
            EndField();
            var record = new CsvRecord(_recordLine, _fields);
            _fields = [];
            _recordHasContent = false;
            return record;
        }
    }
}
