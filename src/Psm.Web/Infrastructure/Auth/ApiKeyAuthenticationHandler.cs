using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Psm.Web.Data;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>Authenticates API calls that carry a personal key in the X-Api-Key header.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PsmDb db,
    ApiKeyCache cache,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "psm:scope";
    public const string AreasClaim = "psm:areas";

    /// <summary>Last-used time is written at most this often, so reads do not turn into writes.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKey.HeaderName, out var values))
        {
            return AuthenticateResult.NoResult();
        }

        var token = values.ToString().Trim();
        var prefix = ApiKey.PrefixOf(token);
        if (prefix is null)
        {
            return AuthenticateResult.Fail("The API key is malformed.");
        }

        var now = time.GetUtcNow();
        var entry = cache.Find(prefix);
        if (entry is null)
        {
            var generation = cache.Generation;
            entry = await LoadAsync(prefix);
            if (entry is null)
            {
                return AuthenticateResult.Fail("The API key is unknown, revoked, or belongs to a deactivated user.");
            }

            cache.Store(prefix, entry, generation);
        }

        var key = entry.Key;
        if (!key.Matches(token))
        {
            return AuthenticateResult.Fail("The API key is unknown, revoked, or belongs to a deactivated user.");
        }

        if (key.ExpiresAt is { } expires && expires <= now)
        {
            return AuthenticateResult.Fail($"The API key expired at {expires:u}; create a new one under My API keys.");
        }

        if (entry.ClaimLastUsedWrite(now, LastUsedResolution))
        {
            // A bookkeeping write, not a user's change: it bypasses the audit log on purpose. It gives way when the
            // database is busy (SQLite while a long import holds its one write lock): the call still goes through,
            // and the next call a minute later records the use.
            try
            {
                await db.ApiKeys.Where(k => k.Id == key.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
            }
            catch (System.Data.Common.DbException busy) when (db.IsSqlite)
            {
                Logger.LogDebug(busy, "The API key's last use was not recorded: the database is busy.");
            }
        }

        var identity = new ClaimsIdentity(entry.Claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The key, if it is live and its owner active, with the claims its calls carry.</summary>
    private async Task<ApiKeyCache.Entry?> LoadAsync(string prefix)
    {
        var key = await db.ApiKeys.AsNoTracking().Include(k => k.User)
            .SingleOrDefaultAsync(k => k.Prefix == prefix, Context.RequestAborted);
        if (key is null || key.IsRevoked || key.User is not { IsActive: true } user)
        {
            return null;
        }

        var roles = await db.UserRoles.Where(ur => ur.UserId == user.Id)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!)
            .ToListAsync(Context.RequestAborted);

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, user.UserName ?? user.Email ?? user.Id.ToString()),
            new(ScopeClaim, key.Scope.ToString()),
        };
        if (key.Areas.Length > 0)
        {
            claims.Add(new Claim(AreasClaim, key.Areas));
        }

        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        key.User = null;
        return new ApiKeyCache.Entry(key, claims, time.GetUtcNow());
    }
}
