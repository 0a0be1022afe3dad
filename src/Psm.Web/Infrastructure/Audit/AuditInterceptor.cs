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

        var tracked = db.ChangeTracker.Entries().ToList();
        // First the children created with their parent, whichever order the tracker lists them in.
        var folded = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var foldedInto = new Dictionary<object, Dictionary<string, AuditChange>>(ReferenceEqualityComparer.Instance);
        foreach (var entry in tracked)
        {
            if (entry.State == EntityState.Added && !db.SuppressRowAudit && !IsNotAudited(entry.Metadata.ClrType) && FoldChildren(entry, folded) is { } children)
            {
                foldedInto[entry.Entity] = children;
            }
        }

        foreach (var entry in tracked)
        {
            if (entry.Entity is AuditEntry || entry.State is EntityState.Unchanged or EntityState.Detached)
            {
                continue;
            }

            if (folded.Contains(entry.Entity))
            {
                continue;
            }

            if (entry is { State: EntityState.Modified, Entity: IVersioned versioned })
            {
                versioned.Version = Guid.NewGuid();
            }

            if (db.SuppressRowAudit || IsNotAudited(entry.Metadata.ClrType))
            {
                continue;
            }

            var changes = DescribeChanges(entry);
            if (foldedInto.GetValueOrDefault(entry.Entity) is { } children)
            {
                foreach (var (name, change) in children)
                {
                    changes[name] = change;
                }
            }

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

    /// <summary>
    /// Children marked [AuditedWithParent] that are created with this new record go into its entry, as the list of
    /// their identifying field, and get no entry of their own.
    /// </summary>
    private static Dictionary<string, AuditChange>? FoldChildren(EntityEntry entry, HashSet<object> folded)
    {
        Dictionary<string, AuditChange>? changes = null;
        foreach (var navigation in FoldedNavigations.GetOrAdd(entry.Metadata.ClrType, _ => entry.Metadata.GetNavigations()
                     .Where(n => n.IsCollection && n.TargetEntityType.ClrType.GetCustomAttribute<AuditedWithParentAttribute>() is not null)
                     .Select(n => (n.Name, n.TargetEntityType.ClrType.GetCustomAttribute<AuditedWithParentAttribute>()!.Field))
                     .ToArray()))
        {
            if (entry.Collection(navigation.Name).CurrentValue is not System.Collections.IEnumerable children)
            {
                continue;
            }

            var values = new List<object?>();
            foreach (var child in children)
            {
                var childEntry = entry.Context.Entry(child);
                if (childEntry.State == EntityState.Added && folded.Add(child))
                {
                    values.Add(childEntry.Property(navigation.Field).CurrentValue);
                }
            }

            if (values.Count > 0)
            {
                (changes ??= [])[navigation.Name] = new AuditChange(null, values);
            }
        }

        return changes;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, (string Name, string Field)[]> FoldedNavigations = new();

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

    // Data Protection's keys are no record anyone edits, and their XML is a secret.
    private static bool IsNotAudited(Type type) => NotAuditedTypes.GetOrAdd(type, t =>
        t.GetCustomAttribute<NotAuditedAttribute>() is not null || t == typeof(Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey));

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
