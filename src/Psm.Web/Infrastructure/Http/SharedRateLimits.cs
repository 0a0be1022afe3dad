using System.Data.Common;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Http;

/// <summary>How many requests one client address made to one public policy in one minute, counted by every instance alike.</summary>
[NotAudited]
public sealed class RateWindow
{
    /// <summary>The policy and the client address: <c>public-links|203.0.113.7</c>.</summary>
    public string Key { get; set; } = "";

    /// <summary>Minutes since 1970 (UTC): the fixed window this count belongs to.</summary>
    public long Window { get; set; }

    public int Count { get; set; }
}

internal sealed class RateWindowConfiguration : IEntityTypeConfiguration<RateWindow>
{
    public void Configure(EntityTypeBuilder<RateWindow> w)
    {
        w.ToTable("RateWindows");
        w.HasKey(x => new { x.Key, x.Window });
        w.Property(x => x.Key).HasMaxLength(200);
        w.HasIndex(x => x.Window);
    }
}

/// <summary>
/// Where the public links' limits are counted (<c>RateLimits:Store</c>): <c>Memory</c> (the default) keeps each instance's own
/// count, right for one instance; <c>Database</c> counts in the database, so that several instances behind a balancer
/// share one limit per client address (the forwarded one: UseForwardedHeaders runs first). ADR-020.
/// </summary>
public static class SharedRateLimits
{
    public const string Setting = "RateLimits:Store";

    /// <summary>True when the setting asks for the database; an unknown value stops the start and names the setting.</summary>
    public static bool InDatabase(IConfiguration configuration) =>
        (configuration[Setting] ?? "Memory").Trim().ToLowerInvariant() switch
        {
            "memory" or "" => false,
            "database" => true,
            var other => throw new InvalidOperationException($"{Setting} must be Memory or Database, not '{other}'."),
        };

    /// <summary>
    /// With the store in the database, checks the endpoint's public policy (<see cref="RateLimits.PublicLinks"/>,
    /// <see cref="RateLimits.HelpCentreReads"/>) against the shared count and answers 429 as the in-memory limiter does.
    /// </summary>
    public static IApplicationBuilder UseSharedRateLimits(this IApplicationBuilder app, IConfiguration configuration)
    {
        if (!InDatabase(configuration))
        {
            return app;
        }

        var limits = new Dictionary<string, int>
        {
            [RateLimits.PublicLinks] = RateLimits.PublicLinksPerMinute(configuration),
            [RateLimits.HelpCentreReads] = RateLimits.HelpCentreReadsPerMinute(configuration),
        };
        return app.Use(async (context, next) =>
        {
            var policy = context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;
            if (policy is not null && limits.TryGetValue(policy, out var limit))
            {
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                var store = context.RequestServices.GetRequiredService<RateWindowStore>();
                var wait = await store.TakeAsync($"{policy}|{address}", limit, context.RequestAborted);
                if (wait is { } seconds)
                {
                    await RateLimits.RejectAsync(context, seconds);
                    return;
                }
            }

            await next(context);
        });
    }
}

/// <summary>Counts requests in one-minute windows in the table RateWindows: one statement per request (an upsert that returns the new count).</summary>
public sealed class RateWindowStore(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    private static int calls;

    /// <summary>Counts one request under <paramref name="key"/>; null when it is within <paramref name="limit"/>, else the seconds until the window ends.</summary>
    public async Task<int?> TakeAsync(string key, int limit, CancellationToken ct = default)
    {
        key = key.Length > 200 ? key[..200] : key;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var window = now / 60;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        int count;
        await using (var command = connection.CreateCommand())
        {
            // The same statement on both engines (SQLite 3.35+ and PostgreSQL): the row is locked while it is counted up.
            command.CommandText = """
                INSERT INTO "RateWindows" ("Key", "Window", "Count") VALUES (@key, @window, 1)
                ON CONFLICT ("Key", "Window") DO UPDATE SET "Count" = "RateWindows"."Count" + 1
                RETURNING "Count"
                """;
            Add(command, "key", key);
            Add(command, "window", window);
            count = Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Interlocked.Increment(ref calls) % 500 == 0)
        {
            // Past windows count for nothing: drop them now and then.
            await using var sweep = connection.CreateCommand();
            sweep.CommandText = """DELETE FROM "RateWindows" WHERE "Window" < @window""";
            Add(sweep, "window", window - 1);
            await sweep.ExecuteNonQueryAsync(ct);
        }

        return count <= limit ? null : (int)(60 - (now % 60));
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
