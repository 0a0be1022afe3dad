using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.IntegrationTests;

/// <summary>The documented backups work: SQLite's online backup from a crash image, PostgreSQL's pg_dump and pg_restore.</summary>
public sealed class BackupTests
{
    [Fact]
    public async Task ABackupKeepsEveryCommittedWriteAndRestoresIntoAWorkingPsm()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" }))
            .ReadAsync<CustomerDto>();
        var connection = app.Services.GetRequiredService<IConfiguration>().GetConnectionString("Psm")!;
        var folder = Directory.CreateTempSubdirectory("psm-backup-").FullName;
        string restored;

        if (!TestProvider.IsPostgres)
        {
            // The files as a crash leaves them while PSM runs: the main file and its WAL, still holding committed writes.
            var live = new SqliteConnectionStringBuilder(connection).DataSource;
            Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode;"));
            var crashed = Path.Combine(folder, "crashed.db");
            File.Copy(live, crashed);
            if (File.Exists(live + "-wal"))
            {
                File.Copy(live + "-wal", crashed + "-wal");
            }

            var backup = Path.Combine(folder, "backup.db");
            Assert.True(await DatabaseBackup.SqliteAsync($"Data Source={crashed};Pooling=False", backup) > 0);
            Assert.False(File.Exists(backup + "-wal"));
            restored = $"Data Source={backup};Pooling=False";
            Assert.Equal("1", await ScalarAsync(restored, $"SELECT COUNT(*) FROM \"Customers\" WHERE \"Id\" = '{customer.Id.ToString().ToUpperInvariant()}' OR \"Id\" = '{customer.Id}'"));
        }
        else
        {
            var source = new NpgsqlConnectionStringBuilder(connection);
            var dump = Path.Combine(folder, "psm.dump");
            var copyName = $"psm_restore_{Guid.NewGuid():N}";
            await RunAsync("pg_dump", $"-Fc -h {source.Host} -p {source.Port} -U {source.Username} -f {dump} {source.Database}");
            await ScalarAsync(new NpgsqlConnectionStringBuilder(connection) { Database = "postgres" }.ToString(), $"CREATE DATABASE \"{copyName}\"");
            await RunAsync("pg_restore", $"--no-owner -h {source.Host} -p {source.Port} -U {source.Username} -d {copyName} {dump}");
            restored = new NpgsqlConnectionStringBuilder(connection) { Database = copyName }.ToString();
        }

        // PSM starts on the restored database and shows what was written before the backup.
        await using var again = new PsmServer(new() { ["ConnectionStrings:Psm"] = restored });
        using var reader = await again.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var found = await reader.GetAsync($"/api/v1/customers/{customer.Id}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("Aurora Labs", (await found.ReadAsync<CustomerDto>()).Name);
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using System.Data.Common.DbConnection connection = TestProvider.IsPostgres
            ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    /// <summary>Runs a PostgreSQL client tool from the server's own version folder, as docs/operations.md tells operators to.</summary>
    private static async Task RunAsync(string tool, string arguments)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => d).Select(d => Path.Combine(d, "bin", tool)).LastOrDefault(File.Exists)
            : null;
        using var process = Process.Start(new ProcessStartInfo(bin ?? tool, arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {errors}");
    }
}
