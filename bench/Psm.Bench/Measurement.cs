using System.Diagnostics;

namespace Psm.Bench;

/// <summary>Wall time, allocations and peak working set of one piece of work.</summary>
public sealed record Measurement(TimeSpan Elapsed, long AllocatedBytes, long PeakWorkingSetBytes)
{
    /// <summary>The run in the middle by wall time.</summary>
    public static Measurement Median(IReadOnlyList<Measurement> runs) => runs.OrderBy(r => r.Elapsed).ElementAt(runs.Count / 2);

    /// <summary>Runs both paths once to warm up, then measures them in turn (the limit first) and gives each one's median run.</summary>
    public static async Task<(Measurement Psm, Measurement Raw)> PairAsync(Func<Task> psm, Func<Task> raw, int repeats)
    {
        await psm();
        await raw();
        var p = new List<Measurement>();
        var r = new List<Measurement>();
        for (var i = 0; i < repeats; i++)
        {
            r.Add(await OfAsync(raw));
            p.Add(await OfAsync(psm));
        }

        return (Median(p), Median(r));
    }

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
