using Npgsql;

namespace Psm.TestSupport;

/// <summary>
/// Which database the suite runs on: PSM_TEST_PROVIDER=sqlite|postgres. For PostgreSQL,
/// PSM_TEST_POSTGRES is a connection string to a server where tests may create databases
/// (test.sh starts a throwaway one).
/// </summary>
public static class TestProvider
{
    public static string Name { get; } = (Environment.GetEnvironmentVariable("PSM_TEST_PROVIDER") ?? "sqlite").ToLowerInvariant();

    public static bool IsPostgres => Name == "postgres";

    public static string PostgresServer =>
        Environment.GetEnvironmentVariable("PSM_TEST_POSTGRES")
        ?? throw new InvalidOperationException("PSM_TEST_POSTGRES is not set; run the suite through ./test.sh.");
}

/// <summary>A database of its own for one test: a SQLite file, or a PostgreSQL database dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? sqliteFolder;
    private readonly string? postgresName;

    public TestDatabase()
    {
        if (TestProvider.IsPostgres)
        {
            postgresName = $"psm_test_{Guid.NewGuid():N}";
            var builder = new NpgsqlConnectionStringBuilder(TestProvider.PostgresServer) { Database = postgresName };
            ConnectionString = builder.ToString();
            Provider = "Postgres";
        }
        else
        {
            sqliteFolder = Path.Combine(Path.GetTempPath(), "psm-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(sqliteFolder);
            ConnectionString = $"Data Source={Path.Combine(sqliteFolder, "psm.db")};Pooling=False";
            Provider = "Sqlite";
        }
    }

    public string Provider { get; }
    public string ConnectionString { get; }

    public async ValueTask DisposeAsync()
    {
        if (postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(TestProvider.PostgresServer);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{postgresName}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        if (sqliteFolder is not null)
        {
            try
            {
                Directory.Delete(sqliteFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is left for the OS temp cleaner; it belongs to no one else.
            }
        }
    }
}
