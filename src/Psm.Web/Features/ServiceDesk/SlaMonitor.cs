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
public sealed class SlaMonitor(IDbContextFactory<PsmDb> dbs, TimeProvider time, IConfiguration config, Infrastructure.Http.PublicAddress publicAddress)
{
    private const int Batch = 50_000;

    /// <summary>Escalate when this share of a target's business time is left, or less (default 20 %: 80 % used).</summary>
    private double EscalateWhenLeft => config.GetValue("Sla:EscalateWhenLeftPercent", 20) / 100.0;

    public async Task<SlaRunResult> RunAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var first = 0;
        var resolution = 0;
        bool more;
        do
        {
            (var marked, more) = await MarkAsync(now, FirstResponse, ct);
            first += marked;
        }
        while (more);

        do
        {
            (var marked, more) = await MarkAsync(now, Resolution, ct);
            resolution += marked;
        }
        while (more);

        return new SlaRunResult(first, resolution, await EscalateNearBreachesAsync(now, ct));
    }

    /// <summary>One target the monitor watches: its columns and the SQL that finds its unmarked breaches.</summary>
    private sealed record Target(string Name, string DueColumn, string BreachedColumn, string Missed);

    /// <summary>Not answered (nor resolved) by the due time, or answered after it.</summary>
    private static readonly Target FirstResponse = new("first-response", "FirstResponseDueAt", "FirstResponseBreachedAt", """
        (t."FirstResponseAt" IS NULL AND (t."ResolvedAt" IS NULL OR t."ResolvedAt" > t."FirstResponseDueAt") OR t."FirstResponseAt" > t."FirstResponseDueAt")
        """);

    /// <summary>
    /// Not resolved by the due time, and the clock not stopped: a pause that began before the due time
    /// stops it; one that began at or after it does not (ADR-007), so the breach is recorded at the due time.
    /// </summary>
    private static readonly Target Resolution = new("resolution", "ResolutionDueAt", "ResolutionBreachedAt", """
        (t."PausedAt" IS NULL OR t."PausedAt" >= t."ResolutionDueAt") AND (t."ResolvedAt" IS NULL OR t."ResolvedAt" > t."ResolutionDueAt")
        """);

    /// <summary>
    /// One batch, set-based, in one transaction: up to <see cref="Batch"/> unmarked breaches are
    /// picked into a temporary table; one INSERT ... SELECT writes their timeline entries, one UPDATE
    /// sets the breach time (the due time itself) and raises the escalation level; each team lead gets
    /// one notification. Returns the tickets marked and whether more may remain.
    /// </summary>
    private async Task<(int Marked, bool More)> MarkAsync(DateTimeOffset now, Target target, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!db.IsSqlite)
        {
            // One monitor at a time across app instances; SQLite serialises writers by itself.
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7042001)", ct);
        }

        var nowValue = db.IsSqlite ? new UtcTextConverter().ConvertToProvider(now)! : now;
        var due = $"t.\"{target.DueColumn}\"";
        // The unmarked breaches of this target ({0} is now). Any of them will do for a batch, so the
        // scan stops at the batch size instead of sorting them all.
        var breaches = $"t.\"{target.BreachedColumn}\" IS NULL AND {due} IS NOT NULL AND {due} <= {NowParameter} AND {target.Missed}";
        var (temporary, id, dueText) = db.IsSqlite
            ? ("TEMP TABLE \"SlaBatch\"",
                """upper(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89AB', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))""",
                $"substr({due}, 1, 16)")
            : ("TEMP TABLE \"SlaBatch\" ON COMMIT DROP", "gen_random_uuid()", $"to_char({due} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')");
        // The batch's tickets, checked again where they are written (an agent may have answered meanwhile).
        var batch = $"FROM \"SlaBatch\" b JOIN \"Tickets\" t ON t.\"Id\" = b.\"Id\" WHERE {breaches}";

        // Only SQL written here is concatenated (column names and fixed fragments); values are parameters.
#pragma warning disable EF1002, EF1003
        await db.Database.ExecuteSqlRawAsync($"DROP TABLE IF EXISTS {(db.IsSqlite ? "temp" : "pg_temp")}.\"SlaBatch\"", ct);
        await db.Database.ExecuteSqlRawAsync($"CREATE {temporary} AS SELECT t.\"Id\" FROM \"Tickets\" t WHERE {breaches} LIMIT {Batch}", [nowValue], ct);
        var picked = (await db.Database.SqlQueryRaw<int>("SELECT CAST(COUNT(*) AS INTEGER) AS \"Value\" FROM \"SlaBatch\"").ToListAsync(ct)).Single();

        var leads = await db.Database.SqlQueryRaw<LeadBreaches>($"""
                SELECT tm."LeadId" AS "LeadId", CAST(COUNT(*) AS INTEGER) AS "Count"
                {batch.Replace("WHERE", "JOIN \"Teams\" tm ON tm.\"Id\" = t.\"TeamId\" WHERE", StringComparison.Ordinal)} AND tm."LeadId" IS NOT NULL
                GROUP BY tm."LeadId"
                """, nowValue)
            .ToListAsync(ct);
        var leadTickets = new Dictionary<Guid, List<TicketRef>>();
        foreach (var lead in leads)
        {
            leadTickets[lead.LeadId] = await db.Database.SqlQueryRaw<TicketRef>($"""
                    SELECT t."Id" AS "Id", t."Number" AS "Number"
                    {batch.Replace("WHERE", "JOIN \"Teams\" tm ON tm.\"Id\" = t.\"TeamId\" WHERE", StringComparison.Ordinal)} AND tm."LeadId" = {LeadParameter}
                    ORDER BY t."Number" LIMIT 10
                    """, nowValue, lead.LeadId)
                .ToListAsync(ct);
        }

        // One timeline entry per breach, at the breach time: the target missed and the escalation it caused.
        await db.Database.ExecuteSqlRawAsync($"""
            INSERT INTO "TicketEvents" ("Id", "TicketId", "At", "Kind", "Internal", "Actor", "Text")
            SELECT {id}, t."Id", {due}, 'Escalation', FALSE, 'SLA monitor',
                   '{Capitalised(target.Name)} target missed (due ' || {dueText} || ' UTC): escalated to level ' || (t."EscalationLevel" + 1) || '.'
            {batch}
            """, [nowValue], ct);
        // One ticket.sla_breached event per breach, in the same transaction (webhooks; the JSON is built by the database).
        var (json, ticketId, jsonEnd) = db.IsSqlite ? ("json_object(", "lower(t.\"Id\")", ")") : ("json_build_object(", "t.\"Id\"", ")::text");
        await db.Database.ExecuteSqlRawAsync($"""
            INSERT INTO "WebhookEvents" ("Id", "Type", "OccurredAt", "Data", "FannedOut")
            SELECT {id}, '{Integrations.EventTypes.TicketSlaBreached}', {due},
                   {json}'ticketId', {ticketId}, 'key', 'T-' || t."Number", 'subject', t."Subject", 'priority', t."Priority", 'status', t."Status",
                   'target', '{target.Name}', 'escalationLevel', t."EscalationLevel" + 1, 'path', '/service/tickets/' || {ticketId}{jsonEnd}, FALSE
            {batch}
            """, [nowValue], ct);
        var marked = await db.Database.ExecuteSqlRawAsync($"""
            UPDATE "Tickets" AS t SET "{target.BreachedColumn}" = "{target.DueColumn}", "EscalationLevel" = "EscalationLevel" + 1
            WHERE t."Id" IN (SELECT "Id" FROM "SlaBatch") AND {breaches}
            """, [nowValue], ct);
        await db.Database.ExecuteSqlRawAsync($"DROP TABLE IF EXISTS {(db.IsSqlite ? "temp" : "pg_temp")}.\"SlaBatch\"", ct);
#pragma warning restore EF1002, EF1003

        foreach (var lead in leads)
        {
            var tickets = leadTickets[lead.LeadId];
            var keys = tickets.Select(r => $"T-{r.Number}").ToList();
            await Notifications.NotifyAsync(db, lead.LeadId,
                lead.Count == 1 ? $"{keys[0]} breached its {target.Name} SLA." : $"{lead.Count} tickets breached their {target.Name} SLA: {string.Join(", ", keys)}{(lead.Count > keys.Count ? ", …" : "")}.",
                lead.Count == 1 ? $"/service/tickets/{tickets[0].Id}" : "/service/queue", now, publicAddress.Base, ct);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return (marked, picked == Batch);
    }

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private const string NowParameter = "{0}";
    private const string LeadParameter = "{1}";

    private sealed record LeadBreaches(Guid LeadId, int Count);

    private sealed record TicketRef(Guid Id, int Number);

    /// <summary>
    /// Open tickets with little business time left on their running target are escalated once ("about
    /// to breach"). Candidates are narrowed in SQL by wall-clock time (business time left can never
    /// exceed it), then measured on their own calendar.
    /// </summary>
    private async Task<int> EscalateNearBreachesAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var horizon = now.AddDays(14);
        // Only targets still in the future can be "about to" breach, which lets the due-time indexes narrow the scan.
        var candidates = await db.Tickets
            .Where(t => t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed
                        && ((t.FirstResponseAt == null && t.FirstResponseDueAt > now && t.FirstResponseDueAt < horizon)
                            || (t.FirstResponseAt != null && t.PausedAt == null && t.ResolutionDueAt > now && t.ResolutionDueAt < horizon)))
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
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var tickets = await db.Tickets.AsNoTracking().Where(t => ids.Contains(t.Id) && t.NearBreachEscalatedAt == null).ToDictionaryAsync(t => t.Id, ct);
        var escalated = 0;
        foreach (var e in escalate)
        {
            // Each ticket is escalated by the update that marks it, so a run that lost a race (the lease normally prevents
            // one) writes no second entry, event or notification for it.
            if (!tickets.TryGetValue(e.Id, out var ticket) || await db.Tickets.Where(t => t.Id == e.Id && t.NearBreachEscalatedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.NearBreachEscalatedAt, now).SetProperty(t => t.EscalationLevel, t => t.EscalationLevel + 1), ct) == 0)
            {
                continue;
            }

            escalated++;
            db.TicketEvents.Add(new TicketEvent
            {
                TicketId = e.Id, At = now, Kind = TicketEventKind.Escalation, Actor = "SLA monitor",
                Text = $"Escalated: about to breach, {e.LeftMinutes:0} business minutes left.",
            });
            ticket.EscalationLevel++;
            db.WebhookEvents.Add(new Integrations.WebhookEvent
            {
                Type = Integrations.EventTypes.TicketEscalated, OccurredAt = now,
                Data = Integrations.EventTypes.Serialize(new
                {
                    ticket = Integrations.EventInterceptor.TicketData(ticket), level = ticket.EscalationLevel,
                    reason = $"about to breach, {e.LeftMinutes:0} business minutes left",
                }),
            });

            if (e.Lead is { } lead)
            {
                await Notifications.NotifyAsync(db, lead, $"T-{e.Number} is about to breach its SLA ({e.LeftMinutes:0} business minutes left).", $"/service/tickets/{e.Id}", now, publicAddress.Base, ct);
            }
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return escalated;
    }
}

/// <summary>Runs the SLA monitor every <c>Sla:MonitorSeconds</c> (60 by default; 0 turns it off).</summary>
public sealed class SlaMonitorJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<SlaMonitorJob> logger) : Infrastructure.PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(config.GetValue("Sla:MonitorSeconds", 60));

    protected override string What => "The SLA monitor";

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var result = await services.GetRequiredService<SlaMonitor>().RunAsync(ct);
        if (result != new SlaRunResult(0, 0, 0))
        {
            logger.LogInformation("SLA monitor: {First} first-response and {Resolution} resolution breaches recorded, {Near} tickets escalated as about to breach.",
                result.FirstResponseBreaches, result.ResolutionBreaches, result.NearBreachEscalations);
        }
    }
}
