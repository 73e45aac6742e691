using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Groundwork.Ingestion.Extraction;

/// <summary>Runs a command-line tool with a timeout, capturing stdout and stderr as UTF-8; kills the process tree on
/// timeout or cancellation.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    /// <summary>Thrown when the executable cannot be started (not installed).</summary>
    public sealed class NotFoundException(string tool, Exception inner) : Exception($"{tool} not found", inner);

    /// <summary>Thrown when the timeout elapsed first.</summary>
    public sealed class TimeoutException(TimeSpan timeout) : Exception($"timed out after {timeout.TotalSeconds:0.#} s")
    {
        public TimeSpan Timeout { get; } = timeout;
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = new UTF8Encoding(false, false),
            StandardErrorEncoding = new UTF8Encoding(false, false),
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = new Process { StartInfo = info };
        try
        {
            if (!process.Start()) throw new NotFoundException(fileName, new InvalidOperationException("process did not start"));
        }
        catch (Win32Exception e) { throw new NotFoundException(fileName, e); }

        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var stdout = process.StandardOutput.ReadToEndAsync(linked.Token);
        var stderr = process.StandardError.ReadToEndAsync(linked.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (Win32Exception) { }
            try { await Task.WhenAll(stdout, stderr).ConfigureAwait(false); } catch (OperationCanceledException) { }
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(timeout);
        }
    }
}
