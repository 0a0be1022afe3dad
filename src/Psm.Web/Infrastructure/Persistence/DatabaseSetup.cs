using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Infrastructure.Persistence;

public enum DatabaseProvider { Sqlite, Postgres }

public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>How long a SQLite writer waits for another's lock before giving up (Database:BusyTimeoutMs).</summary>
    public int BusyTimeoutMs { get; init; } = 5000;

    /// <summary>A PostgreSQL streaming replica reports read from (ConnectionStrings:PsmReplica); null: they read the primary.</summary>
    public string? ReplicaConnectionString { get; init; }

    public static DatabaseSettings From(IConfiguration config, string contentRoot)
    {
        var providerText = config["Database:Provider"] ?? "Sqlite";
        if (!Enum.TryParse<DatabaseProvider>(providerText, ignoreCase: true, out var provider))
        {
            throw new InvalidOperationException(
                $"Database:Provider is '{providerText}'; use 'Sqlite' or 'Postgres'.");
        }

        var connectionString = config.GetConnectionString("Psm");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = provider == DatabaseProvider.Sqlite
                ? "Data Source=data/psm.db"
                : throw new InvalidOperationException(
                    "ConnectionStrings:Psm is required when Database:Provider is Postgres.");
        }

        if (provider == DatabaseProvider.Sqlite)
        {
            connectionString = AnchorSqliteFile(connectionString, contentRoot);
        }

        var busyTimeout = config.GetValue("Database:BusyTimeoutMs", 5000);
        if (busyTimeout is < 0 or > 600_000)
        {
            throw new InvalidOperationException($"Database:BusyTimeoutMs is {busyTimeout}; use 0 to 600000 milliseconds.");
        }

        var replica = config.GetConnectionString("PsmReplica");
        if (!string.IsNullOrWhiteSpace(replica) && provider != DatabaseProvider.Postgres)
        {
            throw new InvalidOperationException(
                "ConnectionStrings:PsmReplica names a PostgreSQL read replica, so it needs Database:Provider Postgres; SQLite has no replicas.");
        }

        return new DatabaseSettings(provider, connectionString)
        {
            BusyTimeoutMs = busyTimeout, ReplicaConnectionString = string.IsNullOrWhiteSpace(replica) ? null : replica,
        };
    }

    /// <summary>A relative SQLite file is placed under the content root, and its folder is created.</summary>
    private static string AnchorSqliteFile(string connectionString, string contentRoot)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory)
        {
            return connectionString;
        }

        var path = Path.IsPathRooted(builder.DataSource)
            ? builder.DataSource
            : Path.GetFullPath(Path.Combine(contentRoot, builder.DataSource));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        builder.DataSource = path;
        return builder.ToString();
    }

    public void Configure(DbContextOptionsBuilder options)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            options.UseSqlite(ConnectionString);
            options.AddInterceptors(new SqliteBusyTimeout(BusyTimeoutMs));
        }
        else
        {
            options.UseNpgsql(ConnectionString);
        }
    }
}

/// <summary>
/// A pool of the provider's context type. Leasing a pooled context skips building EF Core's services
/// for every unit of work, which is a large share of a short query's time (docs/decisions/ADR-004).
/// </summary>
public sealed class PsmDbPool
{
    private readonly Func<PsmDb> lease;

    public PsmDbPool(DatabaseSettings settings, IEnumerable<IInterceptor> interceptors)
    {
        lease = settings.Provider == DatabaseProvider.Sqlite ? Pool<SqlitePsmDb>(settings, interceptors) : Pool<PostgresPsmDb>(settings, interceptors);
    }

    private static Func<PsmDb> Pool<T>(DatabaseSettings settings, IEnumerable<IInterceptor> interceptors) where T : PsmDb
    {
        var builder = new DbContextOptionsBuilder<T>();
        settings.Configure(builder);
        builder.AddInterceptors(interceptors);
        var factory = new PooledDbContextFactory<T>(builder.Options);
        return factory.CreateDbContext;
    }

    /// <summary>A context from the pool; disposing it returns it.</summary>
    public PsmDb Lease() => lease();
}

/// <summary>Leases the provider's context, bound to whoever is acting in this scope.</summary>
public sealed class PsmDbFactory(PsmDbPool pool, CurrentUser currentUser, ReadRouting routing, ReadReplica replica) : IDbContextFactory<PsmDb>
{
    public PsmDb CreateDbContext()
    {
        if (routing.ToReplica && replica.LeaseFor(currentUser) is { } onReplica)
        {
            return onReplica;
        }

        var db = pool.Lease();
        // A pooled context keeps its own properties between leases: set every one of them.
        db.CurrentUser = currentUser;
        db.SuppressRowAudit = false;
        db.SuppressEvents = false;
        return db;
    }
}

public static class DatabaseServiceCollectionExtensions
{
    public static IServiceCollection AddPsmDatabase(this IServiceCollection services, DatabaseSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton<AuditInterceptor>();
        services.AddSingleton<Features.Integrations.WebhookSignal>();
        services.AddSingleton<Features.Integrations.EventInterceptor>();
        services.AddSingleton(sp => new PsmDbPool(settings, [sp.GetRequiredService<Features.Integrations.EventInterceptor>(), sp.GetRequiredService<AuditInterceptor>()]));
        services.AddScoped<IDbContextFactory<PsmDb>, PsmDbFactory>();
        services.AddSingleton<ReadReplica>();
        services.AddScoped<ReportingDbFactory>();
        services.AddScoped<ReadRouting>();
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContext());
        return services;
    }
}
