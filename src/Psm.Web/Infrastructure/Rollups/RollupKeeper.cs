using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Web.Infrastructure.Rollups;

/// <summary>A rollup row: one day's sums of something.</summary>
public interface IDayRollup
{
    DateOnly Day { get; }
}

/// <summary>What readers and the keeper of rollups share: whether a kind's rollups have started, which days are marked, runs of days.</summary>
public static class Rollup
{
    /// <summary>Replaces the rollups of the days given with the rows given (inside the caller's transaction).</summary>
    public static async Task ReplaceAsync<T>(PsmDb db, IReadOnlyCollection<DateOnly> days, IEnumerable<T> rows, CancellationToken ct) where T : class, IDayRollup
    {
        foreach (var chunk in days.Chunk(500))
        {
            await db.Set<T>().Where(r => chunk.Contains(r.Day)).ExecuteDeleteAsync(ct);
        }

        await using var writer = Persistence.BulkWriter<T>.Open(db);
        foreach (var row in rows)
        {
            await writer.WriteAsync(row, ct);
        }

        await writer.CompleteAsync(ct);
    }

    public static Task<bool> ReadyAsync(PsmDb db, string kind, CancellationToken ct) => db.RollupStates.AnyAsync(s => s.Kind == kind, ct);

    public static async Task<HashSet<DateOnly>> MarkedDaysAsync(PsmDb db, string kind, DateOnly from, DateOnly to, CancellationToken ct) =>
        (await db.RollupMarks.Where(m => m.Kind == kind && m.Day >= from && m.Day < to).Select(m => m.Day).Distinct().ToListAsync(ct)).ToHashSet();

    /// <summary>The days as runs [from, to) of consecutive days, none longer than <paramref name="longest"/>.</summary>
    public static IEnumerable<(DateOnly From, DateOnly To)> Ranges(IEnumerable<DateOnly> days, int longest)
    {
        DateOnly? start = null;
        var end = default(DateOnly);
        foreach (var day in days.Distinct().Order())
        {
            if (start is { } s && day == end && end.DayNumber - s.DayNumber < longest)
            {
                end = day.AddDays(1);
                continue;
            }

            if (start is { } open)
            {
                yield return (open, end);
            }

            (start, end) = (day, day.AddDays(1));
        }

        if (start is { } last)
        {
            yield return (last, end);
        }
    }
}

/// <summary>
/// Keeps the daily rollups (ADR-015): the first run marks every day that holds rows; every run recomputes the
/// marked days, a month at a time, each in its own transaction, and deletes the marks it read. One instance at a
/// time on PostgreSQL (an advisory lock); on SQLite the transaction holds the write lock.
/// </summary>
public sealed class RollupKeeper(IDbContextFactory<PsmDb> dbs, TimeProvider time, ILogger<RollupKeeper> logger)
{
    private const int DaysPerRun = 31;

    /// <summary>
    /// Recomputes every marked day once; returns how many days it recomputed. A day marked again while this runs
    /// (today, on a busy desk) waits for the next run, so a run ends however fast the writes come.
    /// </summary>
    public async Task<int> CatchUpAsync(CancellationToken ct = default)
    {
        var total = 0;
        foreach (var kind in RollupKinds.All)
        {
            await StartAsync(kind, ct);
            var done = new List<DateOnly>();
            while (await RunAsync(kind, done, ct) is > 0 and var count)
            {
                total += count;
            }
        }

        return total;
    }

    private async Task StartAsync(string kind, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await Rollup.ReadyAsync(db, kind, ct))
        {
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(db, ct);
        if (await Rollup.ReadyAsync(db, kind, ct))
        {
            return;
        }

        // Every day from the first row to the last: a day without rows recomputes to nothing.
        var (first, last) = kind == RollupKinds.Tickets
            ? (await db.Tickets.MinAsync(t => (DateTimeOffset?)t.CreatedAt, ct) is { } opened ? RollupMarks.DayOf(opened) : (DateOnly?)null,
                new[]
                {
                    await db.Tickets.MaxAsync(t => (DateTimeOffset?)t.CreatedAt, ct), await db.Tickets.MaxAsync(t => t.ResolvedAt, ct),
                    await db.Tickets.MaxAsync(t => t.FirstResponseAt, ct),
                }.Max() is { } latest ? RollupMarks.DayOf(latest) : (DateOnly?)null)
            : (await db.SurveyResponses.MinAsync(r => (DateOnly?)r.RespondedOn, ct), await db.SurveyResponses.MaxAsync(r => (DateOnly?)r.RespondedOn, ct));
        if (first is { } from && last is { } to)
        {
            db.RollupMarks.AddRange(Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(i => new RollupMark { Kind = kind, Day = from.AddDays(i) }));
        }

        db.RollupStates.Add(new RollupState { Kind = kind, StartedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Rollups of {Kind} started: {Days} days to compute.", kind, first is null ? 0 : last!.Value.DayNumber - first.Value.DayNumber + 1);
    }

    /// <summary>
    /// The earliest marked days of a kind not yet done in this run (up to a month's worth), in one transaction: the
    /// marks are read first, then the rows, then the rollups are replaced and exactly the marks read are deleted.
    /// PostgreSQL: under an advisory lock (one keeper at a time); a change committed after the marks were read wrote a
    /// mark of its own, which survives. SQLite: the transaction holds the one write lock from its start, so no change
    /// falls between the reads and the replacement (the triggers there skip a day already marked).
    /// </summary>
    private async Task<int> RunAsync(string kind, List<DateOnly> done, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(db, ct);
        var days = await db.RollupMarks.Where(m => m.Kind == kind && !done.Contains(m.Day)).Select(m => m.Day).Distinct().OrderBy(d => d).Take(DaysPerRun).ToListAsync(ct);
        if (days.Count == 0)
        {
            return 0;
        }

        done.AddRange(days);
        var marks = await db.RollupMarks.Where(m => m.Kind == kind && days.Contains(m.Day)).Select(m => m.Id).ToListAsync(ct);
        if (kind == RollupKinds.Tickets)
        {
            await Rollup.ReplaceAsync(db, days, await TicketRollups.RowsAsync(db, days, ct), ct);
        }
        else
        {
            await Rollup.ReplaceAsync(db, days, await AnswerRollups.RowsAsync(db, days, ct), ct);
        }

        foreach (var chunk in marks.Chunk(10_000))
        {
            await db.RollupMarks.Where(m => chunk.Contains(m.Id)).ExecuteDeleteAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return days.Count;
    }

    private static async Task LockAsync(PsmDb db, CancellationToken ct)
    {
        if (!db.IsSqlite)
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7042003)", ct);
        }
    }
}

/// <summary>Runs <see cref="RollupKeeper"/> every Rollups:Seconds (5; 0 turns it off).</summary>
public sealed class RollupJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<RollupJob> logger) : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(config.GetValue("Rollups:Seconds", 5.0));

    protected override string What => "Keeping the daily rollups";

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => services.GetRequiredService<RollupKeeper>().CatchUpAsync(ct);
}
