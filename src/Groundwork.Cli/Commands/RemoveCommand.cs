using System.CommandLine;
using Groundwork.Cli.Output;

namespace Groundwork.Cli.Commands;

/// <summary>`groundwork remove PATH|ID`.</summary>
internal static class RemoveCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("path-or-id") { Description = "A document id, a file path, or a folder (removes everything under it)" };
        var command = new Command("remove", "Remove documents from the collection") { target };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var what = result.GetValue(target) ?? "";
            var removed = await ws.Ingestor.RemoveAsync(what, token).ConfigureAwait(false);
            if (json) JsonOutput.Write(new { removed });
            else if (removed.Count == 0) Console.Error.WriteLine($"groundwork: error: nothing stored matches '{what}'");
            else foreach (var r in removed) Console.Out.WriteLine($"removed {r}");
            return removed.Count == 0 ? GroundworkCli.Error : GroundworkCli.Ok;
        }));
        return command;
    }
}
