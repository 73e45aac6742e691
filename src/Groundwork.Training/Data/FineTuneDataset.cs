using System.Text.Json;
using Groundwork.Models.Chat;
using Groundwork.Models.Tokenizers;

namespace Groundwork.Training.Data;

/// <summary>
/// Fine-tuning data: JSONL in the OpenAI chat format (<c>{"messages":[{"role","content"}...]}</c>) or Alpaca
/// (<c>{"instruction","input","output"}</c>), rendered with the model's chat template; the loss counts only the
/// assistant's tokens (and the template's end-of-turn marker after them).
/// </summary>
public static class FineTuneDataset
{
    /// <summary>Reads conversations from a JSONL file; each line is chat or Alpaca format (blank lines are skipped).</summary>
    /// <exception cref="FormatException">"train.jsonl:17: missing field 'messages'" style messages for malformed lines.</exception>
    public static async Task<IReadOnlyList<IReadOnlyList<ChatTurn>>> ReadJsonlAsync(string path, CancellationToken cancellationToken)
    {
        string name = Path.GetFileName(path);
        var result = new List<IReadOnlyList<ChatTurn>>();
        int lineNo = 0;
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(ParseLine(line, $"{name}:{lineNo}"));
        }

        if (result.Count == 0) throw new FormatException($"{name}: no examples");
        return result;
    }

    /// <summary>Parses one JSONL line; <paramref name="where"/> prefixes error messages ("file:line").</summary>
    public static IReadOnlyList<ChatTurn> ParseLine(string line, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new FormatException($"{where}: invalid JSON ({e.Message.Split('.')[0]})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{where}: expected a JSON object");
            if (root.TryGetProperty("messages", out var msgs))
            {
                if (msgs.ValueKind != JsonValueKind.Array) throw new FormatException($"{where}: field 'messages' must be an array");
                var turns = new List<ChatTurn>();
                int i = 0;
                foreach (var m in msgs.EnumerateArray())
                {
                    string role = Str(m, "role", $"{where}: messages[{i}]");
                    if (role is not ("system" or "user" or "assistant"))
                        throw new FormatException($"{where}: messages[{i}]: role '{role}' is not system, user or assistant");
                    turns.Add(new ChatTurn(role, Str(m, "content", $"{where}: messages[{i}]")));
                    i++;
                }

                if (!turns.Any(t => t.Role == "assistant")) throw new FormatException($"{where}: no assistant message to learn from");
                return turns;
            }

            if (root.TryGetProperty("instruction", out _) || root.TryGetProperty("output", out _))
            {
                string instruction = Str(root, "instruction", where);
                string output = Str(root, "output", where);
                string input = root.TryGetProperty("input", out var inp) && inp.ValueKind == JsonValueKind.String ? inp.GetString()! : "";
                string user = input.Length == 0 ? instruction : instruction + "\n\n" + input;
                return [new ChatTurn("user", user), new ChatTurn("assistant", output)];
            }

            throw new FormatException($"{where}: missing field 'messages' (chat format) or 'instruction'/'output' (Alpaca format)");
        }
    }

    private static string Str(JsonElement e, string field, string where)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(field, out var v)) throw new FormatException($"{where}: missing field '{field}'");
        if (v.ValueKind != JsonValueKind.String) throw new FormatException($"{where}: field '{field}' must be a string");
        return v.GetString()!;
    }

    /// <summary>
    /// Renders a conversation with <paramref name="template"/> and tokenizes it piece by piece: each assistant reply
    /// (with the template's end-of-turn text) is counted by the loss, everything else is context.
    /// </summary>
    public static TrainingExample Tokenize(IReadOnlyList<ChatTurn> conversation, LlmTokenizer tokenizer, ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var tokens = new List<int>();
        var mask = new List<bool>();
        string done = "";
        bool first = true;
        void Add(string text, bool counted)
        {
            if (text.Length == 0) return;
            var ids = tokenizer.Encode(text, addSpecial: first, parseSpecial: true);
            first = false;
            tokens.AddRange(ids);
            mask.AddRange(Enumerable.Repeat(counted, ids.Count));
        }

        for (int j = 0; j < conversation.Count; j++)
        {
            if (conversation[j].Role != "assistant") continue;
            var before = conversation.Take(j).ToList();
            string prompt = template.Render(before, addAssistantPrompt: true);
            string full = template.Render(conversation.Take(j + 1).ToList(), addAssistantPrompt: false);
            if (!prompt.StartsWith(done, StringComparison.Ordinal) || !full.StartsWith(prompt, StringComparison.Ordinal))
                throw new InvalidOperationException($"chat template '{template.Name}' does not render turns as prefixes of each other");
            Add(prompt[done.Length..], false);
            Add(full[prompt.Length..], true);
            done = full;
        }

        if (tokenizer.EosId >= 0 && template.Kind == ChatTemplateKind.Plain)
        {
            // The plain template has no end-of-turn token: teach the model to stop with EOS.
            tokens.Add(tokenizer.EosId);
            mask.Add(true);
        }

        return new TrainingExample(tokens.ToArray(), mask.ToArray());
    }

    /// <summary>A deterministic split: <paramref name="validationFraction"/> of the items (at least one when the fraction is positive and there are 2+ items) go to validation.</summary>
    public static (List<T> Train, List<T> Validation) Split<T>(IReadOnlyList<T> items, double validationFraction, ulong seed)
    {
        if (validationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        var order = Enumerable.Range(0, items.Count).ToArray();
        new SplitMix64(seed).Shuffle(order);
        int nVal = validationFraction == 0 || items.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(items.Count * validationFraction));
        var val = order.Take(nVal).Order().Select(i => items[i]).ToList();
        var train = order.Skip(nVal).Order().Select(i => items[i]).ToList();
        return (train, val);
    }
}
