using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.ServiceDesk;

public sealed record SlaRunResult(int FirstResponseBreaches, int ResolutionBreaches, int NearBreachEscalations);

/// <summary>
/// Records SLA breaches when they happen and escalates tickets about to breach. Everything it decides
/// is stored (the breach time is the due time itself), and every step only touches tickets not yet
/// marked, so a run after a restart catches up and a second run changes nothing.
/// </summary>
public sealed class SlaMonitor(IDbContextFactory<PsmDb> dbs, TimeProvider time, IConfiguration config)
{
    private const int Batch = 5_000;

    /// <summary>Escalate when this share of a target's business time is left, or less (default 20 %: 80 % used).</summary>
    private double EscalateWhenLeft => config.GetValue("Sla:EscalateWhenLeftPercent", 20) / 100.0;

    public async Task<SlaRunResult> RunAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var first = 0;
        var resolution = 0;
        while (true)
        {
            var marked = await MarkAsync(now, resolution: false, ct);
            first += marked;
            if (marked < Batch) break;
        }

        while (true)
        {
            var marked = await MarkAsync(now, resolution: true, ct);
            resolution += marked;
            if (marked < Batch) break;
        }

        return new SlaRunResult(first, resolution, await EscalateNearBreachesAsync(now, ct));
    }

    /// <summary>Open-or-late tickets whose first response was not given (or resolved) by its due time, not yet marked.</summary>
    public static IQueryable<Ticket> FirstResponseBreaches(IQueryable<Ticket> tickets, DateTimeOffset now) =>
        tickets.Where(t => t.FirstResponseBreachedAt == null && t.FirstResponseDueAt != null && t.FirstResponseDueAt <= now
                           && (t.FirstResponseAt == null ? t.ResolvedAt == null || t.ResolvedAt > t.FirstResponseDueAt : t.FirstResponseAt > t.FirstResponseDueAt));

    /// <summary>Tickets not resolved by their (unpaused) resolution due time, not yet marked.</summary>
    public static IQueryable<Ticket> ResolutionBreaches(IQueryable<Ticket> tickets, DateTimeOffset now) =>
        tickets.Where(t => t.ResolutionBreachedAt == null && t.ResolutionDueAt != null && t.ResolutionDueAt <= now && t.PausedAt == null
                           && (t.ResolvedAt == null || t.ResolvedAt > t.ResolutionDueAt));

    /// <summary>One batch: the breach time and an escalation level set in one UPDATE, the timeline entries and team leads' notifications written alongside.</summary>
    private async Task<int> MarkAsync(DateTimeOffset now, bool resolution, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!db.IsSqlite)
        {
            // One monitor at a time across app instances; SQLite serialises writers by itself.
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7042001)", ct);
        }

        var candidates = resolution ? ResolutionBreaches(db.Tickets, now) : FirstResponseBreaches(db.Tickets, now);
        var rows = await candidates.OrderBy(t => t.Id).Take(Batch)
            .Select(t => new { t.Id, t.Number, Due = resolution ? t.ResolutionDueAt : t.FirstResponseDueAt, LeadId = t.Team == null ? null : t.Team.LeadId })
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return 0;
        }

        var ids = rows.Select(r => r.Id).ToList();
        var updated = resolution
            ? await db.Tickets.Where(t => ids.Contains(t.Id) && t.ResolutionBreachedAt == null).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.ResolutionBreachedAt, t => t.ResolutionDueAt).SetProperty(t => t.EscalationLevel, t => t.EscalationLevel + 1), ct)
            : await db.Tickets.Where(t => ids.Contains(t.Id) && t.FirstResponseBreachedAt == null).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.FirstResponseBreachedAt, t => t.FirstResponseDueAt).SetProperty(t => t.EscalationLevel, t => t.EscalationLevel + 1), ct);
        var target = resolution ? "resolution" : "first-response";
        await using (var writer = BulkWriter<TicketEvent>.Open(db))
        {
            foreach (var row in rows)
            {
                await writer.WriteAsync(new TicketEvent
                {
                    TicketId = row.Id, At = row.Due!.Value, Kind = TicketEventKind.Sla, Actor = "SLA monitor",
                    Text = $"The {target} target was missed (due {row.Due:yyyy-MM-dd HH:mm} UTC).",
                }, ct);
                await writer.WriteAsync(new TicketEvent
                {
                    TicketId = row.Id, At = now, Kind = TicketEventKind.Escalation, Actor = "SLA monitor", Text = $"Escalated: {target} SLA breached.",
                }, ct);
            }

            await writer.CompleteAsync(ct);
        }

        foreach (var lead in rows.Where(r => r.LeadId is not null).GroupBy(r => r.LeadId!.Value))
        {
            var keys = lead.OrderBy(r => r.Number).Select(r => $"T-{r.Number}").ToList();
            db.Notifications.Add(new Notification
            {
                UserId = lead.Key, At = now,
                Text = keys.Count == 1 ? $"{keys[0]} breached its {target} SLA." : $"{keys.Count} tickets breached their {target} SLA: {string.Join(", ", keys.Take(10))}{(keys.Count > 10 ? ", …" : "")}.",
                Link = keys.Count == 1 ? $"/service/tickets/{lead.First().Id}" : "/service/queue",
            });
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return updated;
    }

    /// <summary>
    /// Open tickets with little business time left on their running target are escalated once ("about
    /// to breach"). Candidates are narrowed in SQL by wall-clock time (business time left can never
    /// exceed it), then measured on their own calendar.
    /// </summary>
    private async Task<int> EscalateNearBreachesAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var horizon = now.AddDays(14);
        var candidates = await Tickets.BreachingSoon(db.Tickets, horizon)
            .Where(t => t.NearBreachEscalatedAt == null && t.FirstResponseBreachedAt == null && t.ResolutionBreachedAt == null && t.SlaPolicyId != null)
            .Select(t => new { t.Id, t.Number, t.CreatedAt, t.FirstResponseAt, t.FirstResponseDueAt, t.ResolutionDueAt, t.SlaPolicyId, LeadId = t.Team == null ? null : t.Team.LeadId })
            .ToListAsync(ct);
        if (candidates.Count == 0)
        {
            return 0;
        }

        var policies = await db.SlaPolicies.AsNoTracking().Include(p => p.Calendar).ToDictionaryAsync(p => p.Id, ct);
        var calendars = policies.Values.Select(p => p.Calendar!).DistinctBy(c => c.Id).ToDictionary(c => c.Id, c => c.ToCalendar());
        var escalate = new List<(Guid Id, int Number, Guid? Lead, double LeftMinutes)>();
        foreach (var t in candidates)
        {
            if (!policies.TryGetValue(t.SlaPolicyId!.Value, out var policy))
            {
                continue;
            }

            var calendar = calendars[policy.CalendarId];
            var (due, target) = t.FirstResponseAt is null ? (t.FirstResponseDueAt!.Value, policy.FirstResponseMinutes) : (t.ResolutionDueAt!.Value, policy.ResolutionMinutes);
            var left = SlaRules.Left(calendar, due, now);
            if (left > TimeSpan.Zero && left.TotalMinutes <= target * EscalateWhenLeft)
            {
                escalate.Add((t.Id, t.Number, t.LeadId, left.TotalMinutes));
            }
        }

        if (escalate.Count == 0)
        {
            return 0;
        }

        var ids = escalate.Select(e => e.Id).ToList();
        await db.Tickets.Where(t => ids.Contains(t.Id) && t.NearBreachEscalatedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.NearBreachEscalatedAt, now).SetProperty(t => t.EscalationLevel, t => t.EscalationLevel + 1), ct);
        foreach (var e in escalate)
        {
            db.TicketEvents.Add(new TicketEvent
            {
                TicketId = e.Id, At = now, Kind = TicketEventKind.Escalation, Actor = "SLA monitor",
                Text = $"Escalated: about to breach, {e.LeftMinutes:0} business minutes left.",
            });
            if (e.Lead is { } lead)
            {
                db.Notifications.Add(new Notification { UserId = lead, At = now, Text = $"T-{e.Number} is about to breach its SLA ({e.LeftMinutes:0} business minutes left).", Link = $"/service/tickets/{e.Id}" });
            }
        }

        await db.SaveChangesAsync(ct);
        return escalate.Count;
    }
}

/// <summary>Runs the SLA monitor every <c>Sla:MonitorSeconds</c> (60 by default; 0 turns it off).</summary>
public sealed class SlaMonitorJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<SlaMonitorJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = config.GetValue("Sla:MonitorSeconds", 60);
        if (seconds <= 0)
        {
            return;
        }

        // The first run waits one period, so it never races the start-up migration.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var result = await scope.ServiceProvider.GetRequiredService<SlaMonitor>().RunAsync(stoppingToken);
                if (result != new SlaRunResult(0, 0, 0))
                {
                    logger.LogInformation("SLA monitor: {First} first-response and {Resolution} resolution breaches recorded, {Near} tickets escalated as about to breach.",
                        result.FirstResponseBreaches, result.ResolutionBreaches, result.NearBreachEscalations);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "The SLA monitor failed; it will try again.");
            }
        }
    }
}
