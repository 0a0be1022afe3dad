using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;

namespace Psm.Web.Features.Chat;

/// <summary>
/// What every widget request needs to know about its site, kept in memory (the widget's requests must not each read the
/// sites table): key, team, allowed origins; reloaded when a site changes here and every 30 seconds (another instance's change).
/// Also the signed conversation tokens and the per-visitor and per-site limits.
/// </summary>
public sealed class ChatSites(IServiceScopeFactory scopes, TimeProvider time, IDataProtectionProvider protection, IConfiguration config)
{
    public sealed record Site(Guid Id, string Key, string Name, Guid? TeamId, IReadOnlySet<string> Origins);

    private volatile Dictionary<string, Site>? known;
    private DateTimeOffset loadedAt;
    private readonly SemaphoreSlim loading = new(1, 1);

    public ChatTokens Tokens { get; } = new(protection.CreateProtector("Psm.Chat.ConversationToken.v1"));

    public ChatLimits Limits { get; } = new(
        config.GetValue("Chat:VisitorRequestsPerMinute", 30), config.GetValue("Chat:MessagesPerMinute", 60), config.GetValue("Chat:SiteRequestsPerMinute", 3000));

    public void Invalidate() => known = null;

    /// <summary>An active site by its key, or null.</summary>
    public async ValueTask<Site?> FindAsync(string? key, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 64)
        {
            return null;
        }

        var sites = known;
        if (sites is null || time.GetUtcNow() - loadedAt > TimeSpan.FromSeconds(30))
        {
            await loading.WaitAsync(ct);
            try
            {
                sites = known;
                if (sites is null || time.GetUtcNow() - loadedAt > TimeSpan.FromSeconds(30))
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync(ct);
                    sites = (await db.ChatSites.AsNoTracking().Where(s => s.Active).ToListAsync(ct))
                        .ToDictionary(s => s.SiteKey, s => new Site(s.Id, s.SiteKey, s.Name, s.TeamId, s.Origins.ToHashSet(StringComparer.OrdinalIgnoreCase)), StringComparer.Ordinal);
                    (known, loadedAt) = (sites, time.GetUtcNow());
                }
            }
            finally
            {
                loading.Release();
            }
        }

        return sites.GetValueOrDefault(key);
    }

    /// <summary>
    /// The origin a browser request came from: its Origin header, else its Referer's origin (a same-origin GET carries no
    /// Origin). Null when it names neither: not a browser on an allowed page.
    /// </summary>
    public static string? OriginOf(HttpRequest request)
    {
        if (request.Headers.Origin.ToString() is { Length: > 0 } origin && origin != "null")
        {
            return NormaliseOrigin(origin);
        }

        return Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out var referer) ? NormaliseOrigin(referer.GetLeftPart(UriPartial.Authority)) : null;
    }

    /// <summary>A site's own origins, and PSM's own (its help centre and sample page embed the widget too).</summary>
    public static bool Allows(Site site, HttpRequest request) =>
        OriginOf(request) is { } origin && (site.Origins.Contains(origin) || string.Equals(origin, NormaliseOrigin($"{request.Scheme}://{request.Host}"), StringComparison.OrdinalIgnoreCase));

    /// <summary>scheme://host[:port] in lower case without a default port, or null when the text is not an origin (a path, a query, another scheme).</summary>
    public static string? NormaliseOrigin(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }

        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host.ToLowerInvariant()}" : $"{uri.Scheme}://{uri.Host.ToLowerInvariant()}:{uri.Port}";
    }
}

/// <summary>A conversation's token: its id, signed and encrypted with the app's data-protection keys. Only the visitor who started it holds it.</summary>
public sealed class ChatTokens(IDataProtector protector)
{
    public string For(Guid conversationId) => protector.Protect(conversationId.ToString("N"));

    public bool Valid(string? token, Guid conversationId)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 512)
        {
            return false;
        }

        try
        {
            return protector.Unprotect(token) == conversationId.ToString("N");
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}

/// <summary>
/// Widget limits, per visitor (their address on a site, for starting and asking; their conversation, for messages) and per
/// site, in fixed one-minute windows. A refusal says when to try again.
/// </summary>
public sealed class ChatLimits(int visitorPerMinute, int messagesPerMinute, int sitePerMinute)
{
    private readonly PartitionedRateLimiter<string> visitors = Limiter(visitorPerMinute);
    private readonly PartitionedRateLimiter<string> messages = Limiter(messagesPerMinute);
    private readonly PartitionedRateLimiter<string> sites = Limiter(sitePerMinute);

    private static PartitionedRateLimiter<string> Limiter(int perMinute) => PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, perMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

    /// <summary>Null when allowed; else how long to wait.</summary>
    public TimeSpan? Request(Guid site, string visitorAddress) => Take(visitors, $"{site:N}|{visitorAddress}") ?? Take(sites, site.ToString("N"));

    public TimeSpan? Message(Guid site, Guid conversation) => Take(messages, conversation.ToString("N")) ?? Take(sites, site.ToString("N"));

    private static TimeSpan? Take(PartitionedRateLimiter<string> limiter, string key)
    {
        using var lease = limiter.AttemptAcquire(key);
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }
}
