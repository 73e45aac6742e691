using System.Text.Json;

namespace Groundwork.Text;

/// <summary>
/// Strict reading of a chat model's structured reply: one JSON object with exactly the expected string fields,
/// optionally inside a ``` fence. Used wherever Groundwork asks a model for data (test-set synthesis, fine-tuning
/// datasets), so a malformed generation is rejected with a reason instead of being half-used.
/// </summary>
public static class JsonReply
{
    /// <summary>
    /// Parses <paramref name="reply"/> as one JSON object with exactly <paramref name="fields"/>, all strings; returns
    /// their trimmed values, or null and the reason (e.g. "expected exactly the fields 'question' and 'answer', found 'q'").
    /// </summary>
    public static (IReadOnlyDictionary<string, string>? Fields, string Reason) ParseObject(string? reply, params string[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Length == 0) throw new ArgumentException("at least one field is needed", nameof(fields));
        var text = (reply ?? "").Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            int firstLine = text.IndexOf('\n', StringComparison.Ordinal);
            int fence = text.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLine < 0 || fence <= firstLine) return (null, "unterminated code fence");
            text = text[(firstLine + 1)..fence].Trim();
        }
        if (text.Length == 0) return (null, "empty reply");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException ex) { return (null, "not a single JSON object: " + ex.Message.Split('.')[0]); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "reply is not a JSON object");
            var names = root.EnumerateObject().Select(p => p.Name).ToList();
            var expected = fields.Length == 1
                ? $"'{fields[0]}'"
                : string.Join(", ", fields.Take(fields.Length - 1).Select(f => $"'{f}'")) + $" and '{fields[^1]}'";
            if (names.Count != fields.Length || fields.Any(f => !names.Contains(f)))
                return (null, $"expected exactly the fields {expected}, found {string.Join(", ", names.Select(n => $"'{n}'"))}");
            if (fields.Any(f => root.GetProperty(f).ValueKind != JsonValueKind.String))
                return (null, $"{expected} must be strings");
            return (fields.ToDictionary(f => f, f => root.GetProperty(f).GetString()!.Trim(), StringComparer.Ordinal), "");
        }
    }
}
