namespace Psm.Web.Infrastructure;

/// <summary>
/// A background job that runs every <see cref="Period"/> (zero or less turns it off), each run in a scope
/// of its own. A failed run is logged and the next one tries again; the first run waits one period, so it
/// never races the start-up migration. Jobs that must run once across instances take a lease or a lock inside their run.
/// </summary>
public abstract class PeriodicJob(IServiceScopeFactory scopes, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Period { get; }

    /// <summary>What the job does, for the log line when a run fails.</summary>
    protected abstract string What { get; }

    protected abstract Task RunAsync(IServiceProvider services, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Period <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await RunAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{What} failed; it will try again.", What);
            }
        }
    }
}
