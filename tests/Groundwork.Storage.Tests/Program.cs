using System.Runtime.CompilerServices;
using Groundwork.Storage.Tests.Sqlite;

namespace Groundwork.Storage.Tests;

/// <summary>
/// The test executable's entry point: runs xunit exactly as the generated entry point would, or, with
/// <c>crash-worker</c> as first argument, the writer loop that the crash-consistency test kills with SIGKILL.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == CrashWorker.Verb) return CrashWorker.Run(args[1..]);
        return RunTests(args);
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // keeps xunit unloaded in the worker process
    private static int RunTests(string[] args)
    {
        if (args.Any(arg => arg == "--server" || arg == "--internal-msbuild-node"))
            return Xunit.MicrosoftTestingPlatform.TestPlatformTestFramework.RunAsync(args, SelfRegisteredExtensions.AddSelfRegisteredExtensions).GetAwaiter().GetResult();
        return Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args).GetAwaiter().GetResult();
    }
}
