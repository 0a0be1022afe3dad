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

/// <summary>
/// A database of its own for one test: a SQLite file, or a PostgreSQL database dropped afterwards.
/// Made empty, or as a copy of a template (a file copy, or PostgreSQL's CREATE DATABASE ... TEMPLATE).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? sqliteFolder;
    private readonly string? postgresName;

    public TestDatabase()
        : this(template: null)
    {
    }

    /// <summary>A copy of <paramref name="template"/> (from <see cref="Template"/>), or an empty database when it is null.</summary>
    internal TestDatabase(TestDatabase? template)
    {
        if (TestProvider.IsPostgres)
        {
            postgresName = $"psm_test_{Guid.NewGuid():N}";
            var builder = new NpgsqlConnectionStringBuilder(TestProvider.PostgresServer) { Database = postgresName };
            ConnectionString = builder.ToString();
            Provider = "Postgres";
            if (template is not null)
            {
                using var connection = new NpgsqlConnection(TestProvider.PostgresServer);
                connection.Open();
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{postgresName}\" TEMPLATE \"{template.postgresName}\"", connection);
                create.ExecuteNonQuery();
            }
        }
        else
        {
            sqliteFolder = Path.Combine(Path.GetTempPath(), "psm-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(sqliteFolder);
            var file = Path.Combine(sqliteFolder, "psm.db");
            ConnectionString = $"Data Source={file};Pooling=False";
            Provider = "Sqlite";
            if (template is not null)
            {
                File.Copy(Path.Combine(template.sqliteFolder!, "psm.db"), file);
            }
        }
    }

    public string Provider { get; }
    public string ConnectionString { get; }

    /// <summary>
    /// Makes the template ready to copy once nothing holds it open: PostgreSQL refuses to copy a database
    /// anyone is connected to; SQLite's last writes may still sit in the write-ahead log.
    /// </summary>
    internal void Seal()
    {
        if (postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
        }
        else
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection(ConnectionString);
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }
    }

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
