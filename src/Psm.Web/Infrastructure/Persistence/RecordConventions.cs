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

/// <summary>
/// A row that, when created together with its parent, is recorded in the parent's audit entry (as a list
/// of its <see cref="Field"/>) instead of an entry of its own; created later on its own, it is audited as
/// usual. For rows a machine derives at arrival, such as the themes matched in a new feedback item.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class AuditedWithParentAttribute(string field) : Attribute
{
    public string Field { get; } = field;
}

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
