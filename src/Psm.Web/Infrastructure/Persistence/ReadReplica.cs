using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// A PostgreSQL streaming replica PSM reads reports from (<c>ConnectionStrings:PsmReplica</c>): the company view, the
/// quarterly business review, the service dashboard, custom dashboards and every CSV export. Everything else, and every
/// write, goes to the primary. Without the setting, reports read the primary.
/// </summary>
public sealed class ReadReplica
{
    private readonly PooledDbContextFactory<PostgresPsmDb>? pool;

    public ReadReplica(DatabaseSettings settings)
    {
        if (settings.ReplicaConnectionString is not { } replica)
        {
            return;
        }

        ConnectionString = replica;
        var builder = new DbContextOptionsBuilder<PostgresPsmDb>();
        builder.UseNpgsql(replica);
        // A replica takes no writes: nothing read from it is tracked for saving.
        builder.UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking);
        pool = new PooledDbContextFactory<PostgresPsmDb>(builder.Options);
    }

    public bool Configured => pool is not null;

    public string? ConnectionString { get; }

    /// <summary>
    /// A context on the replica bound to <paramref name="user"/>, which records nothing (it takes no writes); null without a
    /// replica, or while the replica did not answer its last check (then reports read the primary rather than fail).
    /// </summary>
    public PsmDb? LeaseFor(CurrentUser user)
    {
        if (pool is null)
        {
            return null;
        }

        CheckNowAndThen();
        if (!answering)
        {
            return null;
        }

        var db = pool.CreateDbContext();
        db.CurrentUser = user;
        db.SuppressRowAudit = true;
        db.SuppressEvents = true;
        return db;
    }

    private volatile bool answering;
    private long checkedAt = long.MinValue;

    /// <summary>Whether the replica answered its last check (checked in the background at most every five seconds).</summary>
    public bool Answering => answering;

    /// <summary>Starts a check in the background when the last one is five seconds old; until the first answers, reports read the primary.</summary>
    private void CheckNowAndThen()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref checkedAt);
        if (now - last < 5_000 || Interlocked.CompareExchange(ref checkedAt, now, last) != last)
        {
            return;
        }

        _ = Task.Run(async () => await StatusAsync());
    }

    /// <summary>
    /// How far the replica is behind, read on the replica: zero when it has replayed all it received, else the time since
    /// the last transaction it replayed (the primary has written since, and it has not caught up).
    /// </summary>
    public async Task<ReplicaStatus> StatusAsync(CancellationToken ct = default)
    {
        if (ConnectionString is null)
        {
            return new ReplicaStatus(false, null, null, null, null);
        }

        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                """
                SELECT pg_is_in_recovery(),
                       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END,
                       pg_last_xact_replay_timestamp(),
                       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END
                """, connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var standby = reader.GetBoolean(0);
            double? lag = reader.IsDBNull(1) ? null : Convert.ToDouble(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            DateTimeOffset? replayed = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
            answering = true;
            return new ReplicaStatus(true, standby ? null : "The replica's server is not in recovery: it is a primary, not a standby.",
                lag is { } seconds ? Math.Max(0, seconds) : null, replayed, reader.GetBoolean(3));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            answering = false;
            return new ReplicaStatus(true, $"The replica does not answer: {e.Message}", null, null, null);
        }
    }
}

/// <summary>
/// The read replica as admins see it. <see cref="LagSeconds"/>: seconds since the last transaction the replica replayed
/// while it has more to replay; zero when it is up to date.
/// </summary>
public sealed record ReplicaStatus(bool Configured, string? Problem, double? LagSeconds, DateTimeOffset? LastReplayedAt, bool? ReplayPaused);

/// <summary>Contexts for reports: on the replica when one is configured, else on the primary.</summary>
public sealed class ReportingDbFactory(ReadReplica replica, IDbContextFactory<PsmDb> primary, CurrentUser currentUser) : IDbContextFactory<PsmDb>
{
    public PsmDb CreateDbContext() => replica.LeaseFor(currentUser) ?? primary.CreateDbContext();

    public Task<PsmDb> CreateDbContextAsync(CancellationToken ct = default) => Task.FromResult(CreateDbContext());
}

/// <summary>Whether this request reads the replica (set on endpoints that only read: see <see cref="ReadRoutingExtensions.ReadsFromReplica"/>).</summary>
public sealed class ReadRouting
{
    public bool ToReplica { get; set; }
}

public static class ReadRoutingExtensions
{
    /// <summary>
    /// The endpoint only reads (an export): once the filters added before this one have run, every context the request
    /// takes is on the replica, when one is configured. An audited export needs no call: its audit filter writes its entry to
    /// the primary, then routes the rest of the request to the replica.
    /// </summary>
    public static RouteHandlerBuilder ReadsFromReplica(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.RequestServices.GetRequiredService<ReadRouting>().ToReplica = true;
            return await next(context);
        });
}
