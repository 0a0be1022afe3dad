using System.Reflection;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Audit;

/// <summary>
/// Writes an audit entry for every tracked insert, update and delete in the same SaveChanges, so a
/// change and its record of who made it commit or roll back together. Also rotates concurrency
/// tokens on every update.
/// </summary>
public sealed class AuditInterceptor(TimeProvider time) : SaveChangesInterceptor
{
    // Secrets, derived copies, and Identity's bookkeeping (a failed sign-in is not a change to a record;
    // the lockout it may cause is, through LockoutEnd).
    private static readonly HashSet<string> AlwaysHidden =
    [
        "PasswordHash", "SecurityStamp", "ConcurrencyStamp", "Hash", "NormalizedEmail", "NormalizedUserName",
        "NormalizedName", "AccessFailedCount", "LockoutEnabled", "PhoneNumberConfirmed", "TwoFactorEnabled",
    ];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Record(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Record(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Record(DbContext? context)
    {
        if (context is not PsmDb db)
        {
            return;
        }

        var now = time.GetUtcNow();
        var actor = db.CurrentUser?.Actor ?? Actor.System;
        var entries = new List<AuditEntry>();

        foreach (var entry in db.ChangeTracker.Entries().ToList())
        {
            if (entry.Entity is AuditEntry || entry.State is EntityState.Unchanged or EntityState.Detached)
            {
                continue;
            }

            if (entry is { State: EntityState.Modified, Entity: IVersioned versioned })
            {
                versioned.Version = Guid.NewGuid();
            }

            if (db.SuppressRowAudit || NotAuditedTypes.GetOrAdd(entry.Metadata.ClrType, type => type.GetCustomAttribute<NotAuditedAttribute>() is not null))
            {
                continue;
            }

            var changes = DescribeChanges(entry);
            if (entry.State == EntityState.Modified && changes.Count == 0)
            {
                continue;
            }

            entries.Add(new AuditEntry
            {
                At = now,
                UserId = actor.UserId,
                UserName = actor.Name,
                Action = ActionOf(entry),
                Entity = AuditNames.Of(entry.Metadata),
                EntityKey = KeyOf(entry),
                Changes = JsonSerializer.Serialize(changes),
            });
        }

        db.AuditEntries.AddRange(entries);
    }

    private static string ActionOf(EntityEntry entry)
    {
        if (entry.State == EntityState.Added)
        {
            return AuditActions.Created;
        }

        if (entry.State == EntityState.Deleted)
        {
            return AuditActions.Deleted;
        }

        if (entry.Entity is IArchivable && entry.Property(nameof(IArchivable.ArchivedAt)) is { IsModified: true } archived)
        {
            return archived.CurrentValue is null ? AuditActions.Restored : AuditActions.Archived;
        }

        return AuditActions.Updated;
    }

    private static string KeyOf(EntityEntry entry) =>
        string.Join(",", entry.Metadata.FindPrimaryKey()?.Properties
            .Select(p => Convert.ToString(entry.Property(p.Name).CurrentValue, System.Globalization.CultureInfo.InvariantCulture))
            ?? []);

    private static Dictionary<string, AuditChange> DescribeChanges(EntityEntry entry)
    {
        var changes = new Dictionary<string, AuditChange>();
        foreach (var property in entry.Properties)
        {
            var name = property.Metadata.Name;
            if (name == nameof(IVersioned.Version) || property.Metadata.IsPrimaryKey()
                || IsHidden(property.Metadata.PropertyInfo, name))
            {
                continue;
            }

            switch (entry.State)
            {
                case EntityState.Added when property.CurrentValue is not null:
                    changes[name] = new AuditChange(null, property.CurrentValue);
                    break;
                case EntityState.Deleted:
                    changes[name] = new AuditChange(property.OriginalValue, null);
                    break;
                case EntityState.Modified when property.IsModified && !Equals(property.OriginalValue, property.CurrentValue):
                    changes[name] = new AuditChange(property.OriginalValue, property.CurrentValue);
                    break;
            }
        }

        return changes;
    }

    private static bool IsHidden(PropertyInfo? info, string name) =>
        AlwaysHidden.Contains(name) || (info is not null && NotAuditedProperties.GetOrAdd(info, p => p.GetCustomAttribute<NotAuditedAttribute>() is not null));

    // Reading an attribute allocates on every call; the answer never changes for a type or property.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> NotAuditedTypes = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<PropertyInfo, bool> NotAuditedProperties = new();
}

public sealed record AuditChange(object? Old, object? New);

/// <summary>The names records go by in the audit log: the users' words, not CLR type names.</summary>
public static class AuditNames
{
    public static string Of(Microsoft.EntityFrameworkCore.Metadata.IEntityType entity)
    {
        // Join tables of many-to-many links share one CLR type; their model name says what they are.
        if (entity.HasSharedClrType)
        {
            return entity.Name;
        }

        var type = entity.ClrType;
        return type.Name switch
        {
            "PsmUser" => "User",
            _ when type.IsGenericType => type.Name[..type.Name.IndexOf('`')].Replace("Identity", ""),
            _ => type.Name,
        };
    }
}
