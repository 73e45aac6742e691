using System.CommandLine;
using System.Text.Json;
using Groundwork.Cli.Output;
using Groundwork.Storage;

namespace Groundwork.Cli.Commands;

/// <summary>`groundwork log [--limit N] [--export FILE.jsonl] [--feedback good|bad]`.</summary>
internal static class LogCommand
{
    public static Command Create()
    {
        var limit = new Option<int>("--limit", "-n") { Description = "Newest N interactions", DefaultValueFactory = _ => 20 };
        var export = new Option<string?>("--export") { Description = "Write all matching interactions as JSONL to this file" };
        var feedback = new Option<string?>("--feedback") { Description = "Only interactions marked good or bad" };
        var command = new Command("log", "List or export the interaction log") { limit, export, feedback };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var path = result.GetValue(export);
            var only = result.GetValue(feedback);
            int max = path is null ? result.GetValue(limit) : int.MaxValue;
            var records = new List<InteractionRecord>();
            await foreach (var r in ws.Store.ListInteractionsAsync(int.MaxValue, token).ConfigureAwait(false))
            {
                if (only is not null && r.Feedback != only) continue;
                records.Add(r);
                if (records.Count >= max) break;
            }
            if (path is not null)
            {
                // Write to a temporary file first: an interrupted export never leaves half a file behind.
                var temp = path + ".tmp";
                await using (var writer = new StreamWriter(temp))
                    foreach (var r in records) await writer.WriteLineAsync(JsonSerializer.Serialize(r, JsonOutput.Compact).AsMemory(), token).ConfigureAwait(false);
                File.Move(temp, path, overwrite: true);
                if (!json) Console.Out.WriteLine($"exported {records.Count} interactions to {path}");
                else JsonOutput.Write(new { exported = records.Count, path });
                return GroundworkCli.Ok;
            }
            if (json) { JsonOutput.Write(records); return GroundworkCli.Ok; }
            foreach (var r in records)
                Console.Out.WriteLine($"{r.Id}  {r.TimestampUtc:yyyy-MM-dd HH:mm}  {r.Model,-12} {(r.Feedback ?? "-"),-4}  {Shorten(r.Question, 60)}");
            return GroundworkCli.Ok;
        }));
        return command;
    }

    private static string Shorten(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
