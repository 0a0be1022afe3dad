using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Admin;

public sealed record AuditEntryDto(
    Guid Id, DateTimeOffset At, Guid? UserId, string UserName, string Action, string Entity, string EntityKey, string Changes);

public sealed record AuditFilter(
    string? Entity = null, string? EntityKey = null, string? User = null, string? Action = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>Reads the audit log newest first, filtered, one keyset page at a time.</summary>
public sealed class AuditLog(IDbContextFactory<PsmDb> dbs)
{
    public async Task<Page<AuditEntryDto>> ListAsync(AuditFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await PageOf(db, filter, page)
            .Select(e => new AuditEntryDto(e.Id, e.At, e.UserId, e.UserName, e.Action, e.Entity, e.EntityKey, e.Changes))
            .ToListAsync(ct);
        return page.ToPage(rows, e => PageRequest.NewestFirstKey(e.At, e.Id));
    }

    /// <summary>The entries in words: record names for ids, enum names for numbers (AuditWording).</summary>
    public async Task<IReadOnlyDictionary<Guid, AuditReading>> ReadAsync(IReadOnlyList<AuditEntryDto> rows, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await AuditWording.ReadAsync(db, rows, ct);
    }

    /// <summary>The entries of one page, newest first, plus one to tell whether another follows.</summary>
    public static IQueryable<AuditEntry> PageOf(PsmDb db, AuditFilter filter, PageRequest page)
    {
        var query = Filtered(db, filter);
        if (page.NewestFirstAfter() is ({ } at, { } id))
        {
            query = query.Seek(e => e.At, e => e.Id, at, id, descending: true);
        }

        return query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(page.Limit + 1);
    }

    /// <summary>Every matching entry, newest first, streamed for export.</summary>
    public async IAsyncEnumerable<AuditEntryDto> StreamAsync(
        AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = Filtered(db, filter).OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Select(e => new AuditEntryDto(e.Id, e.At, e.UserId, e.UserName, e.Action, e.Entity, e.EntityKey, e.Changes));
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return row;
        }
    }

    private static IQueryable<AuditEntry> Filtered(PsmDb db, AuditFilter filter)
    {
        if (filter.From > filter.To)
        {
            throw new RequestValidationException("from", "From must be on or before To.");
        }

        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Entity))
        {
            query = query.Where(e => e.Entity == filter.Entity);
        }

        if (!string.IsNullOrWhiteSpace(filter.EntityKey))
        {
            query = query.Where(e => e.EntityKey == filter.EntityKey);
        }

        if (!string.IsNullOrWhiteSpace(filter.User))
        {
            var user = filter.User.Trim().ToLowerInvariant();
            query = query.Where(e => e.UserName.ToLower().Contains(user));
        }

        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            query = query.Where(e => e.Action == filter.Action);
        }

        if (filter.From is { } from)
        {
            query = query.Where(e => e.At >= from);
        }

        if (filter.To is { } to)
        {
            query = query.Where(e => e.At <= to);
        }

        return query;
    }

    public async Task<IReadOnlyList<string>> EntitiesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.AuditEntries.Select(e => e.Entity).Distinct().OrderBy(e => e).ToListAsync(ct);
    }
}
