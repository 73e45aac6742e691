using System.Globalization;

namespace Groundwork.Benchmarks.Ingestion;

/// <summary>
/// Peak memory of this process: resident set from /proc/self/status (VmHWM, the kernel's high-water mark) and the
/// managed heap sampled on a timer (the GC keeps no peak of its own). <see cref="ResetPeakAsync"/> asks the kernel to
/// reset VmHWM (writing "5" to /proc/self/clear_refs, Linux 4.0+) so each phase gets its own peak.
/// </summary>
internal sealed class MemoryProbe : IDisposable
{
    private readonly Timer _timer;
    private long _managedPeak;

    public MemoryProbe()
    {
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
    }

    /// <summary>Largest managed heap seen since the last reset, in bytes.</summary>
    public long ManagedPeakBytes
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _managedPeak);
        }
    }

    /// <summary>Resets both peaks; returns false when the kernel refused to reset VmHWM.</summary>
    public async Task<bool> ResetPeakAsync(CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _managedPeak, GC.GetTotalMemory(false));
        try
        {
            await File.WriteAllTextAsync("/proc/self/clear_refs", "5", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>VmHWM in bytes, or -1 where /proc is not available.</summary>
    public static async Task<long> PeakResidentBytesAsync(CancellationToken cancellationToken) => await ReadStatusAsync("VmHWM:", cancellationToken).ConfigureAwait(false);

    /// <summary>VmRSS in bytes, or -1 where /proc is not available.</summary>
    public static async Task<long> ResidentBytesAsync(CancellationToken cancellationToken) => await ReadStatusAsync("VmRSS:", cancellationToken).ConfigureAwait(false);

    private static async Task<long> ReadStatusAsync(string key, CancellationToken cancellationToken)
    {
        if (!File.Exists("/proc/self/status")) return -1;
        foreach (var line in await File.ReadAllLinesAsync("/proc/self/status", cancellationToken).ConfigureAwait(false))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024; // the kernel writes kB
        }
        return -1;
    }

    private void Sample()
    {
        long now = GC.GetTotalMemory(false);
        long peak = Interlocked.Read(ref _managedPeak);
        while (now > peak)
        {
            long seen = Interlocked.CompareExchange(ref _managedPeak, now, peak);
            if (seen == peak) break;
            peak = seen;
        }
    }

    public void Dispose() => _timer.Dispose();
}
