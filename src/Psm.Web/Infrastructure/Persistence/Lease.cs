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
}

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
    }
}
