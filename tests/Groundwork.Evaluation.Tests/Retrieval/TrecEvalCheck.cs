using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Retrieval;

/// <summary>Runs tools/trec-eval-check/trec_eval_check.py, the independent Python implementation of the metrics.</summary>
internal static class TrecEvalCheck
{
    public sealed record Output(Dictionary<(string Measure, string Query), double> PerQuery, Dictionary<string, double> Means, int QueryCount);

    /// <summary>Runs the script; skips the calling test when python3 is not installed.</summary>
    public static async Task<Output> RunAsync(string qrelsPath, string runPath, IReadOnlyList<int> cutoffs, params string[] flags)
    {
        var script = TestPaths.Repo("tools", "trec-eval-check", "trec_eval_check.py");
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("-q");
        foreach (var flag in flags) start.ArgumentList.Add(flag);
        start.ArgumentList.Add("--cutoffs");
        start.ArgumentList.Add(string.Join(',', cutoffs));
        start.ArgumentList.Add(qrelsPath);
        start.ArgumentList.Add(runPath);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        }
        catch (Win32Exception)
        {
            Assert.Skip("python3 is not installed, so the independent trec_eval check cannot run");
            throw; // unreachable: Assert.Skip throws
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"trec_eval_check.py failed ({process.ExitCode}): {await stderr}");
            var perQuery = new Dictionary<(string, string), double>();
            var means = new Dictionary<string, double>(StringComparer.Ordinal);
            var count = -1;
            foreach (var line in (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split('\t');
                Assert.Equal(3, parts.Length);
                if (parts[0] == "num_q") count = int.Parse(parts[2], CultureInfo.InvariantCulture);
                else if (parts[1] == "all") means[parts[0]] = double.Parse(parts[2], CultureInfo.InvariantCulture);
                else perQuery[(parts[0], parts[1])] = double.Parse(parts[2], CultureInfo.InvariantCulture);
            }
            return new Output(perQuery, means, count);
        }
    }
}
