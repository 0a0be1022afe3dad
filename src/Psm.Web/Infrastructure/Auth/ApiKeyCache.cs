using System.Collections.Concurrent;
using System.Security.Claims;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>
/// API keys as authentication last read them, kept for a few seconds (ApiKeys:CacheSeconds, default
/// 5) so a burst of calls costs one lookup instead of two queries each. A revoked key, a deactivated
/// user or changed roles are forgotten at once on the instance that made the change; other instances
/// see the change when their entry expires. Only keys that authenticated are kept: an unknown or
/// refused key is looked up every time.
/// </summary>
public sealed class ApiKeyCache(TimeProvider time, IConfiguration config)
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private long generation;

    public TimeSpan Lifetime { get; } = TimeSpan.FromSeconds(Math.Clamp(config.GetValue("ApiKeys:CacheSeconds", 5), 0, 300));

    /// <summary>What authentication needs of a key and its owner.</summary>
    public sealed class Entry(ApiKey key, IReadOnlyList<Claim> claims, DateTimeOffset loadedAt)
    {
        public ApiKey Key { get; } = key;
        public IReadOnlyList<Claim> Claims { get; } = claims;
        public DateTimeOffset LoadedAt { get; } = loadedAt;
        private long lastUsedTicks = key.LastUsedAt?.UtcTicks ?? 0;

        /// <summary>True when the last-used time should be written now (at most once per resolution, across threads).</summary>
        public bool ClaimLastUsedWrite(DateTimeOffset now, TimeSpan resolution)
        {
            var seen = Interlocked.Read(ref lastUsedTicks);
            return now.UtcTicks - seen > resolution.Ticks && Interlocked.CompareExchange(ref lastUsedTicks, now.UtcTicks, seen) == seen;
        }
    }

    /// <summary>A mark to pass back to <see cref="Store"/>: a load that began before a change is not kept.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public Entry? Find(string prefix)
    {
        if (!entries.TryGetValue(prefix, out var entry))
        {
            return null;
        }

        if (time.GetUtcNow() - entry.LoadedAt < Lifetime)
        {
            return entry;
        }

        entries.TryRemove(KeyValuePair.Create(prefix, entry));
        return null;
    }

    public void Store(string prefix, Entry entry, long loadedInGeneration)
    {
        if (Lifetime > TimeSpan.Zero && loadedInGeneration == Generation)
        {
            entries[prefix] = entry;
        }
    }

    /// <summary>Forgets every key: called when a key is revoked or a user's roles or status change.</summary>
    public void Forget()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }
}
