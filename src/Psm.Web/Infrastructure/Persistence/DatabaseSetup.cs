using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Infrastructure.Persistence;

public enum DatabaseProvider { Sqlite, Postgres }

public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString)
{
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

        return new DatabaseSettings(provider, connectionString);
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
        }
        else
        {
            options.UseNpgsql(ConnectionString);
        }
    }
}

/// <summary>Creates the provider's context type, bound to whoever is acting in this scope.</summary>
public sealed class PsmDbFactory(DbContextOptions<PsmDb> options, DatabaseSettings settings, CurrentUser currentUser)
    : IDbContextFactory<PsmDb>
{
    public PsmDb CreateDbContext()
    {
        PsmDb db = settings.Provider == DatabaseProvider.Sqlite
            ? new SqlitePsmDb(options)
            : new PostgresPsmDb(options);
        db.CurrentUser = currentUser;
        return db;
    }
}

public static class DatabaseServiceCollectionExtensions
{
    public static IServiceCollection AddPsmDatabase(this IServiceCollection services, DatabaseSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton<AuditInterceptor>();
        services.AddSingleton(sp =>
        {
            var builder = new DbContextOptionsBuilder<PsmDb>();
            settings.Configure(builder);
            builder.AddInterceptors(sp.GetRequiredService<AuditInterceptor>());
            return builder.Options;
        });
        services.AddScoped<IDbContextFactory<PsmDb>, PsmDbFactory>();
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContext());
        return services;
    }
}
