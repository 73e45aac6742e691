using System.CommandLine;
using Groundwork.Cli.Commands;

namespace Groundwork.Cli;

/// <summary>The `groundwork` command line: builds the command tree and runs it.</summary>
public static class GroundworkCli
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;
    /// <summary>Exit code for an error that stopped the command.</summary>
    public const int Error = 1;
    /// <summary>Exit code when the command finished but some inputs failed (e.g. files that could not be ingested).</summary>
    public const int PartialFailure = 2;

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Groundwork: answers from your own documents, with verified citations.");
        foreach (var option in GlobalOptions.All) root.Options.Add(option);
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(AskCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(RemoveCommand.Create());
        root.Subcommands.Add(FeedbackCommand.Create());
        root.Subcommands.Add(LogCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ChatCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(DatasetCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}
