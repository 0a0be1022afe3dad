using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure;

/// <summary>This running copy of PSM, as leases and job records name it: machine, process and a short random part.</summary>
public sealed class PsmInstance
{
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}

/// <summary>
/// A job that runs every <see cref="Period"/> (zero or less: never). With <see cref="OnceAcrossInstances"/>, the instance
/// holding the lease <c>job:{Name}</c> runs it and the others skip their tick; the holder renews it each tick and gives it up
/// on stopping, and a holder that died loses it after three periods, or 30 seconds for short ones (ADR-008): a busy instance
/// whose tick comes a few seconds late keeps its job. Every run is recorded on that row, with
/// the instance and any error, for the jobs page.
/// </summary>
public abstract class PeriodicJob(IServiceScopeFactory scopes, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Period { get; }

    /// <summary>What the job does, for the log line when a run fails.</summary>
    protected abstract string What { get; }

    /// <summary>The job's name on the jobs page and in its lease: the class name without "Job".</summary>
    public string Name => GetType().Name is var type && type.EndsWith("Job", StringComparison.Ordinal) ? type[..^3] : GetType().Name;

    /// <summary>
    /// True (the default): one instance at a time runs it. False for jobs whose work is claimed row by row, which every
    /// instance may run side by side (the outbox sender, the mail fetcher with its lease per mailbox).
    /// </summary>
    protected virtual bool OnceAcrossInstances => true;

    protected abstract Task RunAsync(IServiceProvider services, CancellationToken ct);

    /// <summary>How long a tick holds the job: three periods, and never less than 30 seconds.</summary>
    private TimeSpan Hold => Period * 3 > TimeSpan.FromSeconds(30) ? Period * 3 : TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Period <= TimeSpan.Zero)
        {
            return;
        }

        string holder;
        await using (var scope = scopes.CreateAsyncScope())
        {
            holder = scope.ServiceProvider.GetRequiredService<PsmInstance>().Id;
        }

        var lease = Leases.JobPrefix + Name;
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await TickAsync(lease, holder, stoppingToken);
            }
        }
        finally
        {
            if (OnceAcrossInstances)
            {
                await ReleaseAsync(lease, holder);
            }
        }
    }

    private async Task TickAsync(string lease, string holder, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var dbs = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>();
            var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (OnceAcrossInstances && !await Leases.TryTakeAsync(db, lease, holder, Hold, time.GetUtcNow(), ct))
            {
                return;
            }

            string? error = null;
            try
            {
                await RunAsync(scope.ServiceProvider, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = e.Message;
                logger.LogError(e, "{What} failed; it will try again.", What);
            }

            PsmMetrics.JobRan(Name, error is not null);
            await Leases.RecordRunAsync(db, lease, holder, time.GetUtcNow(), error, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "{What} could not take its turn; it will try again.", What);
        }
    }

    private async Task ReleaseAsync(string lease, string holder)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
            await Leases.GiveUpAsync(db, lease, holder);
        }
        catch (Exception e)
        {
            // The lease then expires on its own after three periods.
            logger.LogWarning(e, "{What} could not give up its lease on stopping.", What);
        }
    }
}
