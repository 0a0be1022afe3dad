using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Audit;

/// <summary>One write to one record: who, when, what, and each changed field's old and new value.</summary>
public sealed class AuditEntry
{
    public Guid Id { get; set; } = NewId.Next();
    public DateTimeOffset At { get; set; }
    public Guid? UserId { get; set; }
    public string UserName { get; set; } = "";
    public string Action { get; set; } = "";
    public string Entity { get; set; } = "";
    public string EntityKey { get; set; } = "";

    /// <summary>JSON object: field name to { "old": ..., "new": ... }.</summary>
    public string Changes { get; set; } = "{}";
}

public static class AuditActions
{
    public const string Created = "Created";
    public const string Updated = "Updated";
    public const string Deleted = "Deleted";
    public const string Archived = "Archived";
    public const string Restored = "Restored";
    public const string Imported = "Imported";

    /// <summary>Personal data left PSM (an audience's contacts): who took it, and how much.</summary>
    public const string Exported = "Exported";
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.ToTable("AuditLog");
        entry.Property(e => e.UserName).HasMaxLength(256);
        entry.Property(e => e.Action).HasMaxLength(32);
        entry.Property(e => e.Entity).HasMaxLength(128);
        entry.Property(e => e.EntityKey).HasMaxLength(128);
        entry.HasIndex(e => new { e.At, e.Id });
        entry.HasIndex(e => new { e.Entity, e.EntityKey });
    }
}

public static class ExportAuditing
{
    /// <summary>
    /// Writes an Exported audit entry (who, what, with which filters) before a CSV export of personal
    /// data starts streaming, so no export leaves PSM unrecorded; the export then reads the replica, when one is configured.
    /// </summary>
    public static RouteHandlerBuilder AuditedExport(this RouteHandlerBuilder builder, string entity) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var actor = http.RequestServices.GetRequiredService<Auth.CurrentUser>().Actor;
            await using var db = await http.RequestServices
                .GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Data.PsmDb>>().CreateDbContextAsync(http.RequestAborted);
            db.AuditEntries.Add(new AuditEntry
            {
                At = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(), UserId = actor.UserId, UserName = actor.Name,
                Action = AuditActions.Exported, Entity = entity, EntityKey = "export.csv",
                Changes = System.Text.Json.JsonSerializer.Serialize(new
                {
                    filters = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
                }),
            });
            await db.SaveChangesAsync(http.RequestAborted);
            // Recorded on the primary; the rows themselves are read from the replica when there is one.
            http.RequestServices.GetRequiredService<Persistence.ReadRouting>().ToReplica = true;
            return await next(context);
        });
}
