using System.Data.Common;
using Psm.Web.Data;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// customers.new as a 24-month series through the metric registry, against the same GROUP BY written
/// by hand and read with ADO.NET.
/// </summary>
public static class MetricSeriesScenario
{
    public const string Name = "metric-series";

    public static async Task<ScenarioResult> RunAsync(string provider, int customers, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        await SeedAsync(database, WithoutPersonas(new DemoData().Customers(customers, now)));

        var factory = database.Factory();
        var registry = new MetricRegistry([new NewCustomersMetric()], factory);
        var to = new DateOnly(now.Year, now.Month, 1);
        var query = new MetricQuery(to.AddMonths(-24), to);

        var psmTotal = 0.0;
        var rawTotal = 0.0;
        async Task Psm() => psmTotal = (await registry.SeriesAsync("customers.new", query, Granularity.Month)).Sum(p => p.Value ?? 0);
        async Task Raw() => rawTotal = await RawSeriesAsync(database, query);

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);

        if (Math.Abs(psmTotal - rawTotal) > 0.5)
        {
            throw new InvalidOperationException($"The series disagree: PSM counted {psmTotal}, raw SQL {rawTotal}.");
        }

        return new ScenarioResult(Name, provider, customers, "series/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "hand-written GROUP BY, ADO.NET");
    }

    /// <summary>Bench databases hold no personas: the generated customers' persona links are dropped.</summary>
    internal static IEnumerable<Customer> WithoutPersonas(IEnumerable<Customer> customers) =>
        customers.Select(c =>
        {
            c.PersonaId = null;
            return c;
        });


    internal static async Task SeedAsync<T>(BenchDatabase database, IEnumerable<T> rows) where T : class
    {
        await using var db = database.Factory().CreateDbContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await using (var writer = BulkWriter<T>.Open(db))
        {
            foreach (var row in rows)
            {
                await writer.WriteAsync(row, default);
            }

            await writer.CompleteAsync(default);
        }

        await transaction.CommitAsync();
    }

    private static async Task<double> RawSeriesAsync(BenchDatabase database, MetricQuery query)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        await using var connection = await database.OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sqlite
            ? """SELECT strftime('%Y-%m-01', "CreatedAt"), COUNT(*) FROM "Customers" WHERE "CreatedAt" >= @from AND "CreatedAt" < @to GROUP BY 1"""
            : """SELECT date_trunc('month', "CreatedAt" AT TIME ZONE 'UTC'), COUNT(*) FROM "Customers" WHERE "CreatedAt" >= @from AND "CreatedAt" < @to GROUP BY 1""";
        Add(command, "@from", sqlite ? query.From.ToString("yyyy-MM-dd") + " 00:00:00.0000000" : query.FromUtc);
        Add(command, "@to", sqlite ? query.To.ToString("yyyy-MM-dd") + " 00:00:00.0000000" : query.ToUtc);
        var total = 0.0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            total += reader.GetInt64(1);
        }

        return total;
    }

    internal static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
