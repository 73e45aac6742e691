using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Groundwork.Storage.Sqlite;

/// <summary>Tags, labels and section paths as small JSON columns (written by hand: no reflection, AOT-safe).</summary>
internal static class JsonColumns
{
    /// <summary>A JSON object with keys in ordinal order.</summary>
    internal static string Object(IReadOnlyDictionary<string, string>? map)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (map is not null)
            {
                foreach (var pair in map.OrderBy(p => p.Key, StringComparer.Ordinal))
                    writer.WriteString(pair.Key, pair.Value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON array of strings.</summary>
    internal static string Array(IEnumerable<string>? items)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            if (items is not null)
            {
                foreach (var item in items) writer.WriteStringValue(item);
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static Dictionary<string, string> ParseObject(string json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json);
        foreach (var property in doc.RootElement.EnumerateObject())
            result[property.Name] = property.Value.GetString() ?? "";
        return result;
    }

    internal static string[] ParseArray(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new string[doc.RootElement.GetArrayLength()];
        int i = 0;
        foreach (var item in doc.RootElement.EnumerateArray()) result[i++] = item.GetString() ?? "";
        return result;
    }
}
