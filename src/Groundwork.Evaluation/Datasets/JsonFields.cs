using System.Text.Json;

namespace Groundwork.Evaluation.Datasets;

/// <summary>Reads typed fields from one JSON Lines record, failing with "file:line: ..." messages.</summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _object;

    private JsonFields(JsonElement obj, string location)
    {
        _object = obj;
        Location = location;
    }

    /// <summary>"path:line", the prefix of every error.</summary>
    public string Location { get; }

    /// <summary>The record's object.</summary>
    public JsonElement Object => _object;

    /// <summary>Parses one line, which must hold a JSON object. The returned document owns the memory.</summary>
    public static (JsonDocument Document, JsonFields Fields) Parse(string line, string path, int lineNumber)
    {
        var location = $"{path}:{lineNumber}";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{location}: invalid JSON ({ex.Message})", ex);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind;
            doc.Dispose();
            throw new InvalidDataException($"{location}: expected a JSON object, found {Describe(kind)}");
        }
        return (doc, new JsonFields(doc.RootElement, location));
    }

    public InvalidDataException Error(string message) => new($"{Location}: {message}");

    public bool Has(string field) =>
        _object.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A required id: a string, or a number taken verbatim (some corpora write numeric ids).</summary>
    public string RequiredId(string field)
    {
        if (!_object.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            throw Error($"missing field '{field}'");
        var id = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw Error($"field '{field}' must be a string, found {Describe(value.ValueKind)}"),
        };
        if (id.Length == 0) throw Error($"field '{field}' is empty");
        return id;
    }

    public string RequiredString(string field) =>
        OptionalString(field) ?? throw Error($"missing field '{field}'");

    public string? OptionalString(string field)
    {
        if (!_object.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw Error($"field '{field}' must be a string, found {Describe(value.ValueKind)}");
        return value.GetString()!;
    }

    public bool? OptionalBool(string field)
    {
        if (!_object.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"field '{field}' must be true or false, found {Describe(value.ValueKind)}"),
        };
    }

    /// <summary>A string or an array of strings; null when absent.</summary>
    public IReadOnlyList<string>? OptionalStringOrArray(string field)
    {
        if (!_object.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return [value.GetString()!];
        if (value.ValueKind != JsonValueKind.Array)
            throw Error($"field '{field}' must be a string or an array of strings, found {Describe(value.ValueKind)}");
        var list = new List<string>(value.GetArrayLength());
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw Error($"field '{field}[{index}]' must be a string, found {Describe(item.ValueKind)}");
            list.Add(item.GetString()!);
            index++;
        }
        return list;
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
