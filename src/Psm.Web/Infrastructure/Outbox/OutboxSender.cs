using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Infrastructure.Outbox;

/// <summary>
/// Delivers what is due in the outbox. A batch is claimed with one guarded UPDATE (status queued, due,
/// not claimed or its claim expired), so two senders never take the same row; each message is marked
/// sent the moment its receiver accepted it. A failure is retried with doubling waits (1, 2, 4 ... 60
/// minutes) up to <c>Outbox:MaxAttempts</c>; a refusal for good fails it at once. Nothing is sent from
/// inside a request.
/// </summary>
public sealed class OutboxSender(IDbContextFactory<PsmDb> dbs, IEnumerable<IOutboxChannel> channels, TimeProvider time, IConfiguration config, ILogger<OutboxSender> logger)
{
    private const int Batch = 200;
    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(5);

    private int MaxAttempts => Math.Max(1, config.GetValue("Outbox:MaxAttempts", 10));

    /// <summary>The wait before attempt n + 1 after n failures: 1, 2, 4 ... minutes, at most an hour.</summary>
    public static TimeSpan Backoff(int failures) => TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Max(0, failures - 1))));

    public async Task<OutboxRunResult> SendDueAsync(CancellationToken ct = default)
    {
        var byName = channels.ToDictionary(c => c.Name);
        var sessions = new Dictionary<string, IOutboxSession>();
        int sent = 0, retrying = 0, failed = 0;
        try
        {
            while (true)
            {
                var claimed = await ClaimAsync(ct);
                if (claimed.Count == 0)
                {
                    break;
                }

                foreach (var message in claimed)
                {
                    var outcome = await DeliverAsync(message, byName, sessions, ct);
                    sent += outcome == OutboxStatus.Sent ? 1 : 0;
                    failed += outcome == OutboxStatus.Failed ? 1 : 0;
                    retrying += outcome == OutboxStatus.Queued ? 1 : 0;
                }
            }
        }
        finally
        {
            foreach (var session in sessions.Values)
            {
                await session.DisposeAsync();
            }
        }

        return new OutboxRunResult(sent, retrying, failed);
    }

    private async Task<List<OutboxMessage>> ClaimAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var token = Guid.NewGuid().ToString("N");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var due = await db.Outbox.Where(m => m.Status == OutboxStatus.Queued && m.NextAttemptAt <= now && (m.LockedUntil == null || m.LockedUntil < now))
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Select(m => m.Id).Take(Batch).ToListAsync(ct);
        if (due.Count == 0)
        {
            return [];
        }

        // The same condition again in the UPDATE: a row another sender claimed in between is left to it.
        await db.Outbox.Where(m => due.Contains(m.Id) && m.Status == OutboxStatus.Queued && (m.LockedUntil == null || m.LockedUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedBy, token).SetProperty(m => m.LockedUntil, now + ClaimFor), ct);
        return await db.Outbox.AsNoTracking().Where(m => m.LockedBy == token).OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).ToListAsync(ct);
    }

    private async Task<OutboxStatus> DeliverAsync(OutboxMessage message, Dictionary<string, IOutboxChannel> byName, Dictionary<string, IOutboxSession> sessions, CancellationToken ct)
    {
        string? error = null;
        var permanent = false;
        try
        {
            if (!byName.TryGetValue(message.Channel, out var channel))
            {
                throw new PermanentDeliveryException($"No sender delivers '{message.Channel}' messages.");
            }

            if (!sessions.TryGetValue(channel.Name, out var session))
            {
                sessions[channel.Name] = session = channel.Open();
            }

            await session.DeliverAsync(message, ct);
        }
        catch (PermanentDeliveryException e)
        {
            (error, permanent) = (e.Message, true);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = e.Message;
        }

        var now = time.GetUtcNow();
        var attempts = message.Attempts + 1;
        var status = error is null ? OutboxStatus.Sent : permanent || attempts >= MaxAttempts ? OutboxStatus.Failed : OutboxStatus.Queued;
        if (error is not null)
        {
            logger.LogWarning("Outbox {Channel} message {Id}, attempt {Attempt}: {Error}", message.Channel, message.Id, attempts, error);
        }

        await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
        await db.Outbox.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, status)
            .SetProperty(m => m.Attempts, attempts)
            .SetProperty(m => m.SentAt, status == OutboxStatus.Sent ? now : null)
            .SetProperty(m => m.LastError, error == null ? null : error.Length > 2000 ? error[..2000] : error)
            .SetProperty(m => m.NextAttemptAt, status == OutboxStatus.Queued ? now + Backoff(attempts) : message.NextAttemptAt)
            .SetProperty(m => m.LockedBy, (string?)null)
            .SetProperty(m => m.LockedUntil, (DateTimeOffset?)null), CancellationToken.None);
        return status;
    }

    /// <summary>Makes a queued or failed message due now (after its cause was fixed); a failed one gets its attempts back.</summary>
    public async Task<OutboxMessageDto?> RetryAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var message = await db.Outbox.SingleOrDefaultAsync(m => m.Id == id, ct);
        if (message is null)
        {
            return null;
        }

        if (message.Status == OutboxStatus.Sent)
        {
            throw new RequestValidationException("id", "This message was sent already; it is not sent twice.");
        }

        if (message.Status == OutboxStatus.Failed)
        {
            message.Attempts = 0;
        }

        message.Status = OutboxStatus.Queued;
        message.NextAttemptAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return ToDto(message);
    }

    public async Task<IReadOnlyList<OutboxMessageDto>> ListAsync(OutboxStatus? status, int limit, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Outbox.AsNoTracking();
        if (status is { } s)
        {
            query = query.Where(m => m.Status == s);
        }

        return (await query.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(Math.Clamp(limit, 1, 500)).ToListAsync(ct)).Select(ToDto).ToList();
    }

    private static OutboxMessageDto ToDto(OutboxMessage m) =>
        new(m.Id, m.Channel, m.Reference, m.CreatedAt, m.Status, m.Attempts, m.NextAttemptAt, m.LastError, m.SentAt);
}

/// <summary>Runs the outbox sender every <c>Outbox:SendSeconds</c> (5 by default; 0 turns it off).</summary>
public sealed class OutboxJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<OutboxJob> logger) : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(config.GetValue("Outbox:SendSeconds", 5.0));

    protected override string What => "The outbox sender";

    // Every instance sends: the sender claims its batch row by row.
    protected override bool OnceAcrossInstances => false;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await services.GetRequiredService<OutboxSender>().SendDueAsync(ct);
        // What is left queued, for the psm.outbox.queued gauge.
        await using var db = await services.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync(ct);
        PsmMetrics.OutboxQueued(await db.Outbox.CountAsync(m => m.Status == OutboxStatus.Queued, ct));
    }
}
