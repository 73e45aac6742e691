using System.Text.Json;

namespace Groundwork.Training;

/// <summary>
/// The fields of a PEFT adapter_config.json that decide what a LoRA adapter computes. Options that would change the
/// update in ways a plain (alpha/r)·B·A cannot express (DoRA, per-module ranks, fan_in_fan_out, modules_to_save) are
/// refused with one line rather than silently ignored.
/// </summary>
internal sealed record PeftConfig(int Rank, float Alpha, IReadOnlySet<string>? TargetModules, bool UseRsLora)
{
    public static PeftConfig Parse(string json, string path)
    {
        InvalidDataException Bad(string what) => new($"{path}: {what}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Bad($"not valid JSON ({e.Message.Split('\n')[0]})");
        }

        using var _ = doc;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Bad($"a JSON {root.ValueKind}, expected an object");
        JsonElement? Field(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        if (Field("peft_type") is { } type && (type.ValueKind != JsonValueKind.String || !string.Equals(type.GetString(), "LORA", StringComparison.OrdinalIgnoreCase)))
            throw Bad($"field 'peft_type' is {type.GetRawText()}, only LORA adapters are read");
        if (Field("r") is not { ValueKind: JsonValueKind.Number } r || !r.TryGetInt32(out int rank) || rank < 1)
            throw Bad($"field 'r' is {Field("r")?.GetRawText() ?? "missing"}, expected a positive integer");
        float alpha = rank; // PEFT's default lora_alpha is 8, but adapters always save it; a missing one means scale 1
        if (Field("lora_alpha") is { } a)
        {
            if (a.ValueKind != JsonValueKind.Number || !float.IsFinite(a.GetSingle())) throw Bad($"field 'lora_alpha' is {a.GetRawText()}, expected a number");
            alpha = a.GetSingle();
        }

        foreach (var flag in (string[])["use_dora", "fan_in_fan_out"])
            if (Field(flag) is { ValueKind: JsonValueKind.True }) throw Bad($"field '{flag}' is true, which is not supported");
        foreach (var pattern in (string[])["rank_pattern", "alpha_pattern"])
            if (Field(pattern) is { ValueKind: JsonValueKind.Object } o && o.EnumerateObject().Any()) throw Bad($"field '{pattern}' sets per-module values, which are not supported");
        if (Field("modules_to_save") is { ValueKind: JsonValueKind.Array } m && m.GetArrayLength() > 0)
            throw Bad($"field 'modules_to_save' is {m.GetRawText()}: fully trained modules are not supported");
        bool rs = Field("use_rslora") is { ValueKind: JsonValueKind.True };

        IReadOnlySet<string>? targets = null; // a string is a regex over module paths: the tensor names decide then
        if (Field("target_modules") is { ValueKind: JsonValueKind.Array } t)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in t.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) throw Bad($"field 'target_modules' holds {e.GetRawText()}, expected strings");
                set.Add(e.GetString()!);
            }

            targets = set;
        }

        return new PeftConfig(rank, alpha, targets, rs);
    }
}
