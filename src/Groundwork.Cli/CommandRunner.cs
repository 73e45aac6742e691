using System.CommandLine;
using Groundwork.Documents;
using Groundwork.Hosting;
using Spectre.Console;

namespace Groundwork.Cli;

/// <summary>Runs a command body with the shared error policy: one clear line and a non-zero exit code.</summary>
internal static class CommandRunner
{
    /// <summary>Opens the workspace named by the global options and runs <paramref name="body"/> on it.</summary>
    public static Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken,
        Func<GroundworkWorkspace, bool, CancellationToken, Task<int>> body)
        => RunAsync(result, cancellationToken, async token =>
        {
            var workspace = await GroundworkWorkspace.OpenAsync(GlobalOptions.ToOptions(result), token).ConfigureAwait(false);
            await using (workspace.ConfigureAwait(false))
                return await body(workspace, result.GetValue(GlobalOptions.Json), token).ConfigureAwait(false);
        });

    /// <summary>
    /// Runs <paramref name="body"/> (a command that needs no collection) with the error policy: Ctrl-C exits 130 with
    /// <paramref name="cancelledMessage"/>, any other failure prints one line (the stack trace with --verbose) and exits 1.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken,
        Func<CancellationToken, Task<int>> body, string cancelledMessage = "cancelled")
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("groundwork: " + cancelledMessage);
            return 130;
        }
        catch (Exception ex)
        {
            if (result.GetValue(GlobalOptions.Verbose)) Console.Error.WriteLine(ex.ToString());
            else Console.Error.WriteLine("groundwork: error: " + OneLine(ex));
            return GroundworkCli.Error;
        }
    }

    public static string OneLine(Exception ex)
    {
        var inner = ex is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : ex;
        var message = inner is ExtractionException ee ? ee.Message : inner.Message;
        return message.ReplaceLineEndings(" ").Trim();
    }

    /// <summary>Whether to draw live displays: only on an interactive terminal and not in JSON mode.</summary>
    public static bool Interactive(bool json) => !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
}
