using System.CommandLine;
using Groundwork.Cli.Output;

namespace Groundwork.Cli.Commands;

/// <summary>`groundwork status`: counts for the collection and the list of collections.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show what the store holds");
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var stats = await ws.Store.GetStatsAsync(token).ConfigureAwait(false);
            var collections = await ws.Provider.ListCollectionsAsync(token).ConfigureAwait(false);
            var chunking = await ws.Store.GetSettingAsync(Ingestion.Pipeline.Ingestor.ChunkingSettingKey, token).ConfigureAwait(false);
            if (json)
            {
                JsonOutput.Write(new { store = Path.GetFullPath(ws.Options.StoreDirectory), collections, current = stats, chunking });
                return GroundworkCli.Ok;
            }
            Console.Out.WriteLine($"Store:       {Path.GetFullPath(ws.Options.StoreDirectory)}");
            Console.Out.WriteLine($"Collections: {string.Join(", ", collections)}");
            Console.Out.WriteLine($"Collection:  {stats.Name} (schema v{stats.SchemaVersion}, version {stats.Version})");
            Console.Out.WriteLine($"Documents:   {stats.Documents} ({stats.SourceBytes / 1e6:0.0} MB of sources)");
            Console.Out.WriteLine($"Chunks:      {stats.Chunks}");
            Console.Out.WriteLine($"Store size:  {stats.StoreBytes / 1e6:0.0} MB");
            if (chunking is not null) Console.Out.WriteLine($"Chunking:    {chunking}");
            return GroundworkCli.Ok;
        }));
        return command;
    }
}
