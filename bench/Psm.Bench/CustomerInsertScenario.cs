using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Customers;

namespace Psm.Bench;

/// <summary>
/// Bulk insert of generated customers: PSM's import (validation, mapping, audit entry, bulk writer)
/// against the same rows written by hand-written ADO.NET, the fastest path each engine offers
/// (one prepared INSERT in one transaction on SQLite, binary COPY on PostgreSQL).
/// </summary>
public static class CustomerInsertScenario
{
    public const string Name = "customers-insert";

    public static async Task<ScenarioResult> RunAsync(string provider, int rows, int repeats)
    {
        var customers = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(rows, DateTimeOffset.UtcNow)).ToList();
        var inputs = customers.Select(CustomerInput.From).ToList();

        // Warm-up: JIT, connection pools and the EF model, outside any measurement.
        await MeasureAsync(provider, db => PsmImportAsync(db, inputs.Take(2_000).ToList()));
        await MeasureAsync(provider, db => RawInsertAsync(db, customers.Take(2_000).ToList()));

        var psm = new List<Measurement>();
        var raw = new List<Measurement>();
        for (var i = 0; i < repeats; i++)
        {
            raw.Add(await MeasureAsync(provider, db => RawInsertAsync(db, customers)));
            psm.Add(await MeasureAsync(provider, db => PsmImportAsync(db, inputs)));
        }

        return new ScenarioResult(Name, provider, rows, "rows/s", Measurement.Median(psm), Measurement.Median(raw),
            rows / Measurement.Median(psm).Elapsed.TotalSeconds, rows / Measurement.Median(raw).Elapsed.TotalSeconds,
            Limit: provider == "postgres" ? "binary COPY" : "prepared INSERT, one transaction");
    }


    private static async Task<Measurement> MeasureAsync(string provider, Func<BenchDatabase, Task<int>> work)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var written = 0;
        var measurement = await Measurement.OfAsync(async () => written = await work(database));
        await using var db = database.Factory().CreateDbContext();
        var stored = await db.Customers.CountAsync();
        if (stored != written)
        {
            throw new InvalidOperationException($"Expected {written} stored customers, found {stored}.");
        }

        return measurement;
    }

    private static async Task<int> PsmImportAsync(BenchDatabase database, IReadOnlyList<CustomerInput> inputs)
    {
        var import = new CustomerImport(database.Factory(), TimeProvider.System);
        var result = await import.ImportAsync(inputs.Select((input, i) => (i + 2, input)).ToAsyncEnumerable());
        return result is { Applied: true, Rejected.Count: 0 } ? result.Imported : throw new InvalidOperationException("The import rejected generated rows.");
    }

    private static Task<int> RawInsertAsync(BenchDatabase database, IReadOnlyList<Customer> customers) =>
        database.Settings.Provider == Psm.Web.Infrastructure.Persistence.DatabaseProvider.Postgres
            ? RawCopyAsync(database.Settings.ConnectionString, customers)
            : RawSqliteAsync(database.Settings.ConnectionString, customers);

    private static async Task<int> RawSqliteAsync(string connectionString, IReadOnlyList<Customer> customers)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO "Customers" ("Id", "Name", "Email", "Country", "Industry", "Employees", "ExternalRef", "Plan", "Region",
                "SignupDate", "LifetimeValue", "ProfilingConsent", "MarketingConsent", "CreatedAt", "ArchivedAt", "Version")
            VALUES ($id, $name, $email, $country, $industry, $employees, $ref, $plan, $region, $signup, $value, $profiling, $marketing,
                $created, NULL, $version)
            """;
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var name = command.Parameters.Add("$name", SqliteType.Text);
        var email = command.Parameters.Add("$email", SqliteType.Text);
        var country = command.Parameters.Add("$country", SqliteType.Text);
        var industry = command.Parameters.Add("$industry", SqliteType.Text);
        var employees = command.Parameters.Add("$employees", SqliteType.Integer);
        var reference = command.Parameters.Add("$ref", SqliteType.Text);
        var plan = command.Parameters.Add("$plan", SqliteType.Text);
        var region = command.Parameters.Add("$region", SqliteType.Text);
        var signup = command.Parameters.Add("$signup", SqliteType.Text);
        var value = command.Parameters.Add("$value", SqliteType.Real);
        var profiling = command.Parameters.Add("$profiling", SqliteType.Integer);
        var marketing = command.Parameters.Add("$marketing", SqliteType.Integer);
        var created = command.Parameters.Add("$created", SqliteType.Text);
        var version = command.Parameters.Add("$version", SqliteType.Text);
        command.Prepare();
        foreach (var c in customers)
        {
            id.Value = c.Id.ToString().ToUpperInvariant();
            name.Value = c.Name;
            email.Value = c.Email;
            country.Value = c.Country;
            industry.Value = c.Industry;
            employees.Value = c.Employees;
            reference.Value = (object?)c.ExternalRef ?? DBNull.Value;
            plan.Value = c.Plan;
            region.Value = c.Region;
            signup.Value = c.SignupDate is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : DBNull.Value;
            value.Value = (double)c.LifetimeValue;
            profiling.Value = c.ProfilingConsent ? 1 : 0;
            marketing.Value = c.MarketingConsent ? 1 : 0;
            created.Value = c.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
            version.Value = c.Version.ToString().ToUpperInvariant();
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return customers.Count;
    }

    private static async Task<int> RawCopyAsync(string connectionString, IReadOnlyList<Customer> customers)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            """
            COPY "Customers" ("Id", "Name", "Email", "Country", "Industry", "Employees", "ExternalRef", "Plan", "Region", "SignupDate",
                "LifetimeValue", "ProfilingConsent", "MarketingConsent", "CreatedAt", "Version") FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var c in customers)
            {
                copy.StartRow();
                copy.Write(c.Id, NpgsqlDbType.Uuid);
                copy.Write(c.Name, NpgsqlDbType.Varchar);
                copy.Write(c.Email, NpgsqlDbType.Varchar);
                copy.Write(c.Country, NpgsqlDbType.Varchar);
                copy.Write(c.Industry, NpgsqlDbType.Varchar);
                copy.Write(c.Employees, NpgsqlDbType.Integer);
                copy.Write(c.ExternalRef, NpgsqlDbType.Varchar);
                copy.Write(c.Plan, NpgsqlDbType.Varchar);
                copy.Write(c.Region, NpgsqlDbType.Varchar);
                copy.Write(c.SignupDate!.Value, NpgsqlDbType.Date);
                copy.Write(c.LifetimeValue, NpgsqlDbType.Numeric);
                copy.Write(c.ProfilingConsent, NpgsqlDbType.Boolean);
                copy.Write(c.MarketingConsent, NpgsqlDbType.Boolean);
                copy.Write(c.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write(c.Version, NpgsqlDbType.Uuid);
            }

            await copy.CompleteAsync();
        }

        await transaction.CommitAsync();
        return customers.Count;
    }
}
