using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
        // The demo company (a year of feedback, tickets, orders) with no background job writing while the backup is compared.
        await using var app = new PsmServer(new()
        {
            ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0", ["Mail:FetchSeconds"] = "0", ["Outbox:SendSeconds"] = "0", ["Rollups:Seconds"] = "0",
        });
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

        // Every table holds the same rows in the restored database: counts and a checksum of every row's values.
        var tables = TablesOf(app);
        var before = await FingerprintAsync(connection, tables);
        var after = await FingerprintAsync(restored, tables);
        Assert.True(before["Customers"].Rows > 1 && before["Feedback"].Rows > 100 && before["Tickets"].Rows > 10, "The demo company was not there to back up.");
        Assert.All(tables, table => Assert.True(before[table] == after[table], $"{table}: {before[table]} before the backup, {after[table]} restored."));

        // PSM starts on the restored database and shows what was written before the backup.
        await using var again = new PsmServer(new() { ["ConnectionStrings:Psm"] = restored });
        using var reader = await again.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var found = await reader.GetAsync($"/api/v1/customers/{customer.Id}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("Aurora Labs", (await found.ReadAsync<CustomerDto>()).Name);
    }

    /// <summary>Every table PSM's model maps, and the migrations' history.</summary>
    private static List<string> TablesOf(PsmServer app)
    {
        using var scope = app.Services.CreateScope();
        using var db = scope.ServiceProvider.GetRequiredService<IDbContextFactory<Psm.Web.Data.PsmDb>>().CreateDbContext();
        return db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Append("__EFMigrationsHistory").Distinct().Order().ToList();
    }

    /// <summary>Per table: its row count and a SHA-256 over its rows' values, the rows in a fixed order (their text, sorted).</summary>
    private static async Task<Dictionary<string, (long Rows, string Sum)>> FingerprintAsync(string connectionString, IEnumerable<string> tables)
    {
        await using System.Data.Common.DbConnection connection = TestProvider.IsPostgres
            ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var result = new Dictionary<string, (long, string)>();
        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            var rows = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                var values = new object[reader.FieldCount];
                while (await reader.ReadAsync())
                {
                    reader.GetValues(values);
                    rows.Add(string.Join('\u001f', values.Select(v => v switch
                    {
                        byte[] bytes => Convert.ToBase64String(bytes),
                        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                        _ => v.ToString(),
                    })));
                }
            }

            rows.Sort(StringComparer.Ordinal);
            var sum = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\u001e', rows))));
            result[table] = (rows.Count, sum);
        }

        return result;
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
