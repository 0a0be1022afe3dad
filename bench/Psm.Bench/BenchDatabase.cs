using Microsoft.EntityFrameworkCore;
using Npgsql;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>A fresh database for one measured run, migrated by PSM's own migrations.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string? sqliteFolder;
    private PsmDbPool? pool;
    private readonly string? postgresName;
    private readonly string? postgresServer;

    private BenchDatabase(DatabaseSettings settings, string? sqliteFolder, string? postgresName, string? postgresServer)
    {
        Settings = settings;
        this.sqliteFolder = sqliteFolder;
        this.postgresName = postgresName;
        this.postgresServer = postgresServer;
    }

    public DatabaseSettings Settings { get; }

    public static async Task<BenchDatabase> CreateAsync(string provider)
    {
        BenchDatabase database;
        if (provider == "postgres")
        {
            var server = Environment.GetEnvironmentVariable("PSM_PG_CONNECTION")
                ?? throw new InvalidOperationException("PSM_PG_CONNECTION is not set: run the bench through bench/run.sh.");
            var name = $"psm_bench_{Guid.NewGuid():N}";
            var connection = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
            database = new BenchDatabase(new DatabaseSettings(DatabaseProvider.Postgres, connection), null, name, server);
        }
        else
        {
            var folder = Path.Combine(Path.GetTempPath(), "psm-bench", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            var connection = $"Data Source={Path.Combine(folder, "psm.db")}";
            database = new BenchDatabase(new DatabaseSettings(DatabaseProvider.Sqlite, connection), folder, null, null);
        }

        await using var db = database.Factory().CreateDbContext();
        await db.Database.MigrateAsync();
        return database;
    }

    /// <summary>A plain ADO.NET connection, opened, for the limit's hand-written SQL.</summary>
    public async Task<System.Data.Common.DbConnection> OpenRawAsync()
    {
        System.Data.Common.DbConnection connection = Settings.Provider == DatabaseProvider.Sqlite
            ? new Microsoft.Data.Sqlite.SqliteConnection(Settings.ConnectionString)
            : new NpgsqlConnection(Settings.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public IDbContextFactory<PsmDb> Factory()
    {
        pool ??= new PsmDbPool(Settings, [Events(), new Psm.Web.Infrastructure.Audit.AuditInterceptor(TimeProvider.System)]);
        return new PsmDbFactory(pool, new CurrentUser(), new ReadRouting(), new ReadReplica(Settings));
    }

    /// <summary>Contexts that write no webhook events: the cost of a change without its event, for comparison.</summary>
    public IDbContextFactory<PsmDb> FactoryWithoutEvents()
    {
        bare ??= new PsmDbPool(Settings, [new Psm.Web.Infrastructure.Audit.AuditInterceptor(TimeProvider.System)]);
        return new PsmDbFactory(bare, new CurrentUser(), new ReadRouting(), new ReadReplica(Settings));
    }

    /// <summary>Drops the triggers that mark rollup days: the cost of a change without keeping the rollups, for comparison.</summary>
    public async Task DropRollupTriggersAsync()
    {
        await using var connection = await OpenRawAsync();
        foreach (var trigger in Psm.Web.Infrastructure.Rollups.RollupMarks.Triggers)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Settings.Provider == DatabaseProvider.Sqlite
                ? $"DROP TRIGGER \"{trigger}\""
                : $"DROP TRIGGER \"{trigger}\" ON \"{(trigger.Contains("Tickets", StringComparison.Ordinal) ? "Tickets" : "SurveyResponses")}\"";
            await command.ExecuteNonQueryAsync();
        }
    }

    private static Psm.Web.Features.Integrations.EventInterceptor Events() => new(TimeProvider.System, new Psm.Web.Features.Integrations.WebhookSignal());

    /// <summary>Brings the daily rollups up to date, as the app's rollup job does.</summary>
    public Task<int> CatchUpRollupsAsync() =>
        new Psm.Web.Infrastructure.Rollups.RollupKeeper(Factory(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Psm.Web.Infrastructure.Rollups.RollupKeeper>.Instance)
            .CatchUpAsync();

    private PsmDbPool? bare;

    public async ValueTask DisposeAsync()
    {
        if (postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(postgresServer);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{postgresName}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        if (sqliteFolder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(sqliteFolder, recursive: true);
        }
    }
}
