using System.Text.Json;

namespace Groundwork.Evaluation.Comparison;

/// <summary>Model prices in US dollars per million tokens.</summary>
/// <param name="InputPerMillion">Price of 1M prompt tokens.</param>
/// <param name="OutputPerMillion">Price of 1M completion tokens.</param>
public sealed record ModelPrice(double InputPerMillion, double OutputPerMillion);

/// <summary>
/// A price table read from JSON: <c>{"model-name": {"input": 0.15, "output": 0.60}, ...}</c> ($ per 1M tokens).
/// A <c>"*"</c> entry prices every model not listed (e.g. 0 for local models).
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    /// <summary>Creates a table.</summary>
    public PriceTable(IReadOnlyDictionary<string, ModelPrice> prices) =>
        _prices = new Dictionary<string, ModelPrice>(prices, StringComparer.OrdinalIgnoreCase);

    /// <summary>An empty table (nothing priced).</summary>
    public static PriceTable Empty { get; } = new(new Dictionary<string, ModelPrice>());

    /// <summary>Cost of the tokens, or null when the model has no price. Model-free answers (null model) cost 0.</summary>
    public double? Cost(string? model, long promptTokens, long completionTokens)
    {
        if (model is null) return 0;
        if (!_prices.TryGetValue(model, out var price) && !_prices.TryGetValue("*", out price)) return null;
        return (promptTokens * price.InputPerMillion + completionTokens * price.OutputPerMillion) / 1e6;
    }

    /// <summary>Reads a price table; bad input fails naming the file and the model entry.</summary>
    public static async Task<PriceTable> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            JsonDocument doc;
            try { doc = await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false); }
            catch (JsonException ex) { throw new InvalidDataException($"{path}:{(ex.LineNumber ?? 0) + 1}: invalid JSON: {ex.Message}", ex); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{path}: expected an object mapping model names to {{\"input\", \"output\"}} prices");
                var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
                foreach (var entry in doc.RootElement.EnumerateObject())
                    prices[entry.Name] = new ModelPrice(Price(entry, "input"), Price(entry, "output"));
                return new PriceTable(prices);
            }
        }

        double Price(JsonProperty entry, string field)
        {
            if (entry.Value.ValueKind != JsonValueKind.Object || !entry.Value.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Number || v.GetDouble() < 0)
                throw new InvalidDataException($"{path}: model '{entry.Name}': field '{field}' must be a non-negative number ($ per 1M tokens)");
            return v.GetDouble();
        }
    }
}
