namespace Psm.Web.Infrastructure.Persistence;

/// <summary>An editable record: writes must name the version they read, or they get a conflict.</summary>
public interface IVersioned
{
    Guid Version { get; set; }
}

/// <summary>A record that is archived instead of deleted; only an admin purges.</summary>
public interface IArchivable
{
    DateTimeOffset? ArchivedAt { get; set; }
}

/// <summary>
/// Marks a property whose value must never be copied into the audit log, or a record that is delivery
/// bookkeeping (outbox rows, leases, stored mail), not a change someone made: the change it serves is audited.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class)]
public sealed class NotAuditedAttribute : Attribute;

public static class NewId
{
    /// <summary>Time-ordered ids (UUID version 7) keep inserts local in the primary key index.</summary>
    public static Guid Next() => Guid.CreateVersion7();
}

public static class Concurrency
{
    /// <summary>
    /// Binds an edit to the version the user read: a stale version is refused before anything is
    /// written, and the database checks it again in the UPDATE's WHERE clause.
    /// </summary>
    public static void ExpectVersion<T>(this Microsoft.EntityFrameworkCore.DbContext db, T record, Guid? expected)
        where T : class, IVersioned
    {
        if (expected is not { } version || version != record.Version)
        {
            throw new Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException(
                Http.ProblemExceptionHandler.StaleRecordMessage);
        }

        db.Entry(record).Property(nameof(IVersioned.Version)).OriginalValue = version;
    }
}
