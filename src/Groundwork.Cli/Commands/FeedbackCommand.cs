using System.CommandLine;
using Groundwork.Cli.Output;

namespace Groundwork.Cli.Commands;

/// <summary>`groundwork feedback ID good|bad`.</summary>
internal static class FeedbackCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "The interaction id printed by ask/chat" };
        var verdict = new Argument<string>("verdict") { Description = "good or bad" };
        verdict.AcceptOnlyFromAmong("good", "bad");
        var command = new Command("feedback", "Mark a logged answer good or bad") { id, verdict };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var which = result.GetValue(id) ?? "";
            bool ok = await ws.Store.SetFeedbackAsync(which, result.GetValue(verdict) ?? "", token).ConfigureAwait(false);
            if (json) JsonOutput.Write(new { id = which, updated = ok });
            else if (ok) Console.Out.WriteLine($"recorded {result.GetValue(verdict)} for {which}");
            else Console.Error.WriteLine($"groundwork: error: no logged interaction with id '{which}'");
            return ok ? GroundworkCli.Ok : GroundworkCli.Error;
        }));
        return command;
    }
}
