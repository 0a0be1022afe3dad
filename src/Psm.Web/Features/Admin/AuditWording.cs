using System.Globalization;
using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Text;

namespace Psm.Web.Features.Admin;

/// <summary>An audit entry in words: the record's name, and each change as "Field: before → after".</summary>
public sealed record AuditReading(string Record, string Type, IReadOnlyList<string> Lines);

/// <summary>
/// Puts audit entries into words when they are read, so old entries read as well as new ones: field names in sentence
/// case, enum values by name (the log stores their numbers), references to other records by those records' names, and
/// the changed record by its own name. A record deleted since shows by its id.
/// </summary>
public static class AuditWording
{
    private static readonly string[] NameProperties = ["Name", "Title", "DisplayName", "Subject", "Email", "Text"];

    public static async Task<IReadOnlyDictionary<Guid, AuditReading>> ReadAsync(PsmDb db, IReadOnlyList<AuditEntryDto> rows, CancellationToken ct = default)
    {
        var types = db.Model.GetEntityTypes().Where(t => !t.IsOwned() && t.FindPrimaryKey() is not null)
            .GroupBy(AuditNames.Of).ToDictionary(g => g.Key, g => g.First());

        // First pass: which records' names are needed, by the type that holds them.
        var wanted = new Dictionary<IEntityType, HashSet<Guid>>();
        void Want(IEntityType type, Guid id)
        {
            if (NameOf(type) is not null)
            {
                (wanted.TryGetValue(type, out var ids) ? ids : wanted[type] = []).Add(id);
            }
        }

        var parsed = new List<(AuditEntryDto Row, IEntityType? Type, List<(string Field, JsonElement? Old, JsonElement? New)> Changes)>();
        foreach (var row in rows)
        {
            types.TryGetValue(row.Entity, out var type);
            var changes = Parse(row.Changes);
            parsed.Add((row, type, changes));
            if (type is null)
            {
                continue;
            }

            if (Guid.TryParse(row.EntityKey, out var key))
            {
                Want(type, key);
            }

            foreach (var (field, old, now) in changes)
            {
                if (Reference(type, field) is { } principal)
                {
                    foreach (var value in new[] { old, now })
                    {
                        if (value is { ValueKind: JsonValueKind.String } s && s.TryGetGuid(out var id))
                        {
                            Want(principal, id);
                        }
                    }
                }
            }
        }

        var names = new Dictionary<(IEntityType, Guid), string>();
        foreach (var (type, ids) in wanted)
        {
            var method = typeof(AuditWording).GetMethod(nameof(NamesAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(type.ClrType);
            var found = await (Task<List<(Guid, string)>>)method.Invoke(null, [db, ids.ToList(), NameOf(type)!, ct])!;
            foreach (var (id, name) in found)
            {
                names[(type, id)] = name;
            }
        }

        var readings = new Dictionary<Guid, AuditReading>();
        foreach (var (row, type, changes) in parsed)
        {
            var record = type is not null && Guid.TryParse(row.EntityKey, out var key) && names.TryGetValue((type, key), out var own) ? own : row.EntityKey;
            var lines = new List<string>();
            foreach (var (field, old, now) in changes)
            {
                var property = type?.FindProperty(field);
                var principal = type is null ? null : Reference(type, field);
                string Show(JsonElement? value) => Value(value, property, principal, names);
                var label = Words.Of(principal is not null && field.EndsWith("Id", StringComparison.Ordinal) ? field[..^2] : field);
                var before = Show(old);
                var after = Show(now);
                lines.Add(old is null || before.Length == 0 ? $"{label}: {after}" : $"{label}: {before} → {after}");
            }

            readings[row.Id] = new AuditReading(Shorten(record), Words.Of(row.Entity), lines);
        }

        return readings;
    }

    private static string Value(JsonElement? value, IProperty? property, IEntityType? principal, Dictionary<(IEntityType, Guid), string> names)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null)
        {
            return "";
        }

        if (principal is not null && v.ValueKind == JsonValueKind.String && v.TryGetGuid(out var id))
        {
            return names.TryGetValue((principal, id), out var name) ? Shorten(name) : id.ToString();
        }

        var clr = property is null ? null : Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        if (clr is { IsEnum: true } && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var number))
        {
            return Words.Of(Enum.GetName(clr, Enum.ToObject(clr, number)) ?? number.ToString(CultureInfo.InvariantCulture));
        }

        if (clr is { IsEnum: true } && v.ValueKind == JsonValueKind.String)
        {
            return Words.Of(v.GetString() ?? "");
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.String when v.TryGetDateTimeOffset(out var at) && v.GetString()!.Contains('T', StringComparison.Ordinal) =>
                at.ToUniversalTime().ToString("d MMM yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture),
            JsonValueKind.String => Shorten(v.GetString() ?? ""),
            JsonValueKind.Array => string.Join(", ", v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.ToString())),
            _ => v.ToString(),
        };
    }

    private static List<(string, JsonElement?, JsonElement?)> Parse(string json)
    {
        var changes = new List<(string, JsonElement?, JsonElement?)>();
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return changes;
        }

        foreach (var field in document.RootElement.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Object && (field.Value.TryGetProperty("Old", out _) || field.Value.TryGetProperty("New", out _)))
            {
                changes.Add((field.Name,
                    field.Value.TryGetProperty("Old", out var o) ? o.Clone() : null,
                    field.Value.TryGetProperty("New", out var n) ? n.Clone() : null));
            }
            else
            {
                changes.Add((field.Name, null, field.Value.Clone()));
            }
        }

        return changes;
    }

    /// <summary>The record type a foreign-key field points at, if it is one.</summary>
    private static IEntityType? Reference(IEntityType type, string field) =>
        type.FindProperty(field) is { } property && property.IsForeignKey()
            ? property.GetContainingForeignKeys().First().PrincipalEntityType
            : null;

    private static string? NameOf(IEntityType type) =>
        type.FindPrimaryKey() is { Properties: [{ ClrType: var key }] } && key == typeof(Guid)
            ? NameProperties.FirstOrDefault(n => type.FindProperty(n) is { ClrType: var t } && t == typeof(string))
            : null;

    private static async Task<List<(Guid, string)>> NamesAsync<T>(PsmDb db, List<Guid> ids, string nameProperty, CancellationToken ct) where T : class
    {
        var entity = Expression.Parameter(typeof(T), "e");
        var id = Expression.Call(typeof(EF), nameof(EF.Property), [typeof(Guid)], entity, Expression.Constant("Id"));
        var filter = Expression.Lambda<Func<T, bool>>(Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(Guid)], Expression.Constant(ids), id), entity);
        var rows = await db.Set<T>().IgnoreQueryFilters().AsNoTracking().Where(filter)
            .Select(e => new { Id = EF.Property<Guid>(e, "Id"), Name = EF.Property<string>(e, nameProperty) })
            .ToListAsync(ct);
        return rows.Select(r => (r.Id, r.Name)).ToList();
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "…";
}
