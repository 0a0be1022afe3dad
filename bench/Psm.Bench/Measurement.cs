using System.Diagnostics;

namespace Psm.Bench;

/// <summary>Wall time, allocations and peak working set of one piece of work.</summary>
public sealed record Measurement(TimeSpan Elapsed, long AllocatedBytes, long PeakWorkingSetBytes)
{
    public static async Task<Measurement> OfAsync(Func<Task> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var baseline = process.WorkingSet64;
        long peak = baseline;
        using var stop = new CancellationTokenSource();
        // Sampling is the only portable way to see a peak inside one run of one process.
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                try
                {
                    await Task.Delay(5, stop.Token);
                }
                catch (TaskCanceledException)
                {
                    break;
                }
            }
        });

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await work();
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await stop.CancelAsync();
        await sampler;
        process.Refresh();
        peak = Math.Max(peak, process.WorkingSet64);
        return new Measurement(clock.Elapsed, allocated, peak - baseline);
    }
}
