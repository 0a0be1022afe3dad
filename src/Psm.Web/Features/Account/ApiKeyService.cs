using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;

namespace Psm.Web.Features.Account;

public sealed record ApiKeyDto(
    Guid Id, string Name, string Prefix, ApiKeyScope Scope, DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, DateTimeOffset? ExpiresAt = null, IReadOnlyList<string>? Areas = null);

/// <summary>The token appears here once; PSM keeps only its hash.</summary>
public sealed record IssuedApiKey(ApiKeyDto Key, string Token);

public sealed class NewApiKey
{
    [Required(ErrorMessage = "Name the key after where it will be used.")]
    [StringLength(100, ErrorMessage = "Name must be at most 100 characters.")]
    public string Name { get; set; } = "";

    public ApiKeyScope Scope { get; set; } = ApiKeyScope.Read;

    /// <summary>Days until the key stops working (1 to 730); empty: it does not expire.</summary>
    [Range(1, 730, ErrorMessage = "A key lasts 1 to 730 days (or leave it empty: no expiry).")]
    public int? ExpiresInDays { get; set; }

    /// <summary>Areas of the permission matrix the key may be used in (as GET /api/v1/permissions names them); empty: all its owner's.</summary>
    public List<string>? Areas { get; set; }
}

public sealed class ApiKeyService(IDbContextFactory<PsmDb> dbs, TimeProvider time, Infrastructure.Auth.ApiKeyCache cache)
{
    public async Task<IReadOnlyList<ApiKeyDto>> ListAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).ToListAsync(ct);
        return keys.OrderByDescending(k => k.CreatedAt).Select(ToDto).ToList();
    }

    public async Task<IssuedApiKey> IssueAsync(Guid userId, NewApiKey input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var known = Infrastructure.Auth.Permissions.Matrix.Select(p => p.Area).ToHashSet();
        var areas = (input.Areas ?? []).Select(a => a?.Trim() ?? "").Distinct().ToList();
        Infrastructure.Http.RequestValidationException.ThrowIfAny(areas.Select((a, i) => (a, i)).Where(x => !known.Contains(x.a))
            .Select(x => ($"areas[{x.i}]", $"'{(x.a.Length > 40 ? x.a[..40] : x.a)}' is not an area: {string.Join(", ", known.Order())}.")));
        var (token, key) = ApiKey.Issue(userId, input.Name.Trim(), input.Scope, time.GetUtcNow());
        key.ExpiresAt = input.ExpiresInDays is { } days ? time.GetUtcNow().AddDays(days) : null;
        key.Areas = string.Join(',', areas);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return new IssuedApiKey(ToDto(key), token);
    }

    /// <summary>Revokes one of the user's own keys; a revoked key stays listed so its use can be traced.</summary>
    public async Task<ApiKeyDto?> RevokeAsync(Guid userId, Guid keyId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId && k.UserId == userId, ct);
        if (key is null)
        {
            return null;
        }

        key.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        cache.Forget();
        return ToDto(key);
    }

    private static ApiKeyDto ToDto(ApiKey k) =>
        new(k.Id, k.Name, k.Prefix, k.Scope, k.CreatedAt, k.LastUsedAt, k.RevokedAt, k.ExpiresAt, k.Areas.Split(',', StringSplitOptions.RemoveEmptyEntries));
}
