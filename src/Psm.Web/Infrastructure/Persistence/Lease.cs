using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// A named lease in the database: the one instance holding it (until it expires) runs the work it
/// names, so a background job runs once when several PSM instances share one database.
/// </summary>
[NotAudited]
public sealed class Lease
{
    public string Name { get; set; } = "";
    public string Holder { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>For a periodic job (<c>job:…</c>): when its last run ended, on which instance, how many runs so far, and what failed.</summary>
    public DateTimeOffset? LastRunAt { get; set; }

    public string? LastRunBy { get; set; }

    public long Runs { get; set; }

    public string? LastError { get; set; }
}

/// <summary>A background job as admins see it: who holds it and how its last run went.</summary>
public sealed record JobDto(string Name, string? Holder, DateTimeOffset? HeldUntil, DateTimeOffset? LastRunAt, string? LastRunBy, long Runs, string? LastError);

public static class Leases
{
    /// <summary>This process; a lease taken by it is renewed, not fought over.</summary>
    public static readonly string ThisInstance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>
    /// Takes or renews the lease <paramref name="name"/> for <paramref name="holder"/> until now + <paramref name="duration"/>.
    /// True when it is held; false when someone else holds it and it has not expired. The guarded UPDATE decides
    /// between two callers (the database re-checks its condition on the row it locks); a first taker INSERTs and
    /// the primary key refuses a second.
    /// </summary>
    public static async Task<bool> TryTakeAsync(PsmDb db, string name, string holder, TimeSpan duration, DateTimeOffset now, CancellationToken ct = default)
    {
        var until = now + duration;
        if (await db.Leases.Where(l => l.Name == name && (l.Holder == holder || l.ExpiresAt < now))
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, holder).SetProperty(l => l.ExpiresAt, until), ct) == 1)
        {
            return true;
        }

        if (await db.Leases.AnyAsync(l => l.Name == name, ct))
        {
            return false;
        }

        db.Leases.Add(new Lease { Name = name, Holder = holder, ExpiresAt = until });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>Records a job's run (its row is made the first time, held by nobody); <paramref name="error"/> is null when it went well.</summary>
    public static async Task RecordRunAsync(PsmDb db, string name, string by, DateTimeOffset at, string? error, CancellationToken ct = default)
    {
        if (!await TryRecordRunAsync(db, name, by, at, error, ct))
        {
            // Another instance made the row meanwhile: count the run on it.
            await TryRecordRunAsync(db, name, by, at, error, ct);
        }
    }

    private static async Task<bool> TryRecordRunAsync(PsmDb db, string name, string by, DateTimeOffset at, string? error, CancellationToken ct)
    {
        error = error is { Length: > 500 } text ? text[..500] : error;
        if (await db.Leases.Where(l => l.Name == name)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.LastRunAt, at).SetProperty(l => l.LastRunBy, by)
                    .SetProperty(l => l.Runs, l => l.Runs + 1).SetProperty(l => l.LastError, error), ct) == 1)
        {
            return true;
        }

        db.Leases.Add(new Lease { Name = name, ExpiresAt = at, LastRunAt = at, LastRunBy = by, Runs = 1, LastError = error });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>The periodic jobs, by name.</summary>
    public static async Task<IReadOnlyList<JobDto>> JobsAsync(PsmDb db, DateTimeOffset now, CancellationToken ct = default) =>
        (await db.Leases.AsNoTracking().Where(l => l.Name.StartsWith(JobPrefix)).OrderBy(l => l.Name).ToListAsync(ct))
        .Select(l => new JobDto(l.Name[JobPrefix.Length..], l.Holder.Length > 0 && l.ExpiresAt > now ? l.Holder : null,
            l.Holder.Length > 0 && l.ExpiresAt > now ? l.ExpiresAt : null, l.LastRunAt, l.LastRunBy, l.Runs, l.LastError))
        .ToList();

    public const string JobPrefix = "job:";

    /// <summary>Gives a job's lease up at once and keeps its run record (the next taker need not wait for it to expire).</summary>
    public static Task GiveUpAsync(PsmDb db, string name, string holder, CancellationToken ct = default) =>
        db.Leases.Where(l => l.Name == name && l.Holder == holder)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, "").SetProperty(l => l.ExpiresAt, DateTimeOffset.UnixEpoch), ct);

    /// <summary>Gives the lease up at once (the next taker need not wait for it to expire).</summary>
    public static Task ReleaseAsync(PsmDb db, string name, string holder, CancellationToken ct = default) =>
        db.Leases.Where(l => l.Name == name && l.Holder == holder).ExecuteDeleteAsync(ct);
}

internal sealed class LeaseConfiguration : IEntityTypeConfiguration<Lease>
{
    public void Configure(EntityTypeBuilder<Lease> lease)
    {
        lease.ToTable("Leases");
        lease.HasKey(l => l.Name);
        lease.Property(l => l.Name).HasMaxLength(200);
        lease.Property(l => l.Holder).HasMaxLength(200);
        lease.Property(l => l.LastRunBy).HasMaxLength(200);
        lease.Property(l => l.LastError).HasMaxLength(500);
    }
}
