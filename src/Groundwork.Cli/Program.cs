using Groundwork.Cli;

return await GroundworkCli.RunAsync(args).ConfigureAwait(false);
