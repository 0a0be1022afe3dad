using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// Computed customer figures at scale: recomputing every customer's lifetime value and churn after an import
/// (1 000 000 customers, 5 000 000 orders, 500 000 subscriptions), and MRR as a twelve-month series over
/// 1 000 000 subscriptions, each against the same work written by hand.
/// </summary>
public static class CommerceScenarios
{
    public const string Figures = "customer-figures";
    public const string MrrSeries = "mrr-series";

    public static async Task<ScenarioResult> RunFiguresAsync(string provider, int customers, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var ids = await SeedAsync(database, customers, ordersPerCustomer: 5, subscriptionEvery: 2, today);
        var psmChanged = 0;
        var rawChanged = 0;

        async Task Psm()
        {
            await using var db = await database.Factory().CreateDbContextAsync();
            psmChanged = await CustomerFigures.RecomputeAsync(db, "EUR", today, null, default);
        }

        async Task Raw() => rawChanged = await RawRecomputeAsync(database, today);

        // Each run starts from figures that are all wrong (as after an import), so both paths write every row.
        var p = new List<Measurement>();
        var r = new List<Measurement>();
        await Reset(database);
        await Psm();
        for (var i = 0; i < repeats; i++)
        {
            await Reset(database);
            r.Add(await Measurement.OfAsync(Raw));
            await Reset(database);
            p.Add(await Measurement.OfAsync(Psm));
        }

        if (psmChanged != customers || rawChanged != customers)
        {
            throw new InvalidOperationException($"Expected every customer rewritten: PSM changed {psmChanged}, the limit {rawChanged}, of {customers}.");
        }

        await CheckAgreesAsync(database, ids, today);
        var (pm, rm) = (Measurement.Median(p), Measurement.Median(r));
        return new ScenarioResult(Figures, provider, customers, "customers/s", pm, rm, customers / pm.Elapsed.TotalSeconds, customers / rm.Elapsed.TotalSeconds,
            Limit: "one hand-written UPDATE ... FROM (orders and subscriptions aggregated per customer), ADO.NET");
    }

    public static async Task<ScenarioResult> RunMrrSeriesAsync(string provider, int subscriptions, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await SeedAsync(database, subscriptions, ordersPerCustomer: 0, subscriptionEvery: 1, today);
        var registry = new MetricRegistry([CommerceMetric.Mrr("EUR", TimeProvider.System)], database.Factory());
        var to = new DateOnly(today.Year, today.Month, 1);
        var query = new MetricQuery(to.AddMonths(-12), to);
        var psm = Array.Empty<double>();
        var raw = Array.Empty<double>();
        async Task Psm() => psm = (await registry.SeriesAsync("commerce.mrr", query, Granularity.Month)).Select(x => x.Value ?? 0).ToArray();
        async Task Raw() => raw = await RawMrrAsync(database, query);
        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);
        if (psm.Length != raw.Length || psm.Zip(raw).Any(x => Math.Abs(x.First - x.Second) > 0.01) || psm.Sum() == 0)
        {
            throw new InvalidOperationException($"The series disagree: PSM {string.Join(", ", psm)}; the limit {string.Join(", ", raw)}.");
        }

        return new ScenarioResult(MrrSeries, provider, subscriptions, "series/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "twelve hand-written SUMs of the subscriptions running at each month's close, one connection, ADO.NET");
    }

    /// <summary>Customers, each with orders over two years and (every n-th) a subscription, some cancelled; returns a sample of ids.</summary>
    private static async Task<List<Guid>> SeedAsync(BenchDatabase database, int customers, int ordersPerCustomer, int subscriptionEvery, DateOnly today)
    {
        var now = DateTimeOffset.UtcNow;
        var people = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(customers, now)).ToList();
        await MetricSeriesScenario.SeedAsync(database, people);
        var product = new Product { Name = "Bench product", CreatedAt = now };
        await MetricSeriesScenario.SeedAsync(database, new[] { product });
        var rng = new Random(29);
        // Orders go in chunks of about a million rows: one COPY of five million outlasts the driver's read timeout.
        foreach (var chunk in people.Chunk(Math.Max(1, 1_000_000 / Math.Max(1, ordersPerCustomer))).Where(_ => ordersPerCustomer > 0))
        {
            await MetricSeriesScenario.SeedAsync(database, chunk.SelectMany(c => Enumerable.Range(0, ordersPerCustomer).Select(_ => new Order
            {
                CustomerId = c.Id, ProductId = product.Id, Amount = Math.Round((decimal)(50 + rng.NextDouble() * 2_000), 2), Currency = rng.Next(20) == 0 ? "USD" : "EUR",
                OrderedOn = today.AddDays(-rng.Next(730)), CreatedAt = now,
            })));
        }

        await MetricSeriesScenario.SeedAsync(database, people.Where((_, i) => i % subscriptionEvery == 0).Select(c =>
        {
            var start = today.AddDays(-rng.Next(900));
            return new Subscription
            {
                CustomerId = c.Id, ProductId = product.Id, Plan = "Pro", MonthlyAmount = new[] { 90m, 390m, 1_990m }[rng.Next(3)], Currency = "EUR",
                StartedOn = start, CancelledOn = rng.Next(4) == 0 ? start.AddDays(1 + rng.Next(600)) : null, CreatedAt = now,
            };
        }));
        return people.Where((_, i) => i % Math.Max(1, customers / 200) == 0).Select(c => c.Id).ToList();
    }

    private static async Task Reset(BenchDatabase database)
    {
        await using var connection = await database.OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """UPDATE "Customers" SET "LifetimeValue" = -1, "ChurnedAt" = NULL""";
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The figures PSM stored agree with the C# definition, on a sample of customers.</summary>
    private static async Task CheckAgreesAsync(BenchDatabase database, List<Guid> sample, DateOnly today)
    {
        await using var db = await database.Factory().CreateDbContextAsync();
        var orders = (await db.Orders.AsNoTracking().Where(o => sample.Contains(o.CustomerId)).ToListAsync()).ToLookup(o => o.CustomerId);
        var subscriptions = (await db.Subscriptions.AsNoTracking().Where(s => sample.Contains(s.CustomerId)).ToListAsync()).ToLookup(s => s.CustomerId);
        foreach (var customer in await db.Customers.AsNoTracking().Where(c => sample.Contains(c.Id)).ToListAsync())
        {
            var expected = CustomerFigures.LifetimeValue(orders[customer.Id], subscriptions[customer.Id], "EUR", today);
            if (Math.Abs(expected - customer.LifetimeValue) > 0.01m)
            {
                throw new InvalidOperationException($"{customer.Name}: stored {customer.LifetimeValue}, defined {expected}.");
            }
        }
    }

    private static async Task<int> RawRecomputeAsync(BenchDatabase database, DateOnly today)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        await using var connection = await database.OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 0;
        command.CommandText = sqlite
            ? """
              UPDATE "Customers" SET "LifetimeValue" = x.ltv, "ChurnedAt" = x.churned FROM (
                SELECT c."Id" AS id, round(COALESCE(o.total, 0) + COALESCE(s.revenue, 0), 2) AS ltv,
                  CASE WHEN COALESCE(s.running, 0) = 0 AND s.ended IS NOT NULL THEN s.ended || ' 00:00:00.0000000' END AS churned
                FROM "Customers" c
                LEFT JOIN (SELECT "CustomerId", SUM("Amount") AS total FROM "Orders" WHERE "Currency" = 'EUR' AND "OrderedOn" <= @today GROUP BY "CustomerId") o ON o."CustomerId" = c."Id"
                LEFT JOIN (SELECT "CustomerId",
                    SUM(CASE WHEN "Currency" = 'EUR' AND "StartedOn" <= @today
                        THEN "MonthlyAmount" * 12 * (julianday(MIN(COALESCE("CancelledOn", @tomorrow), @tomorrow)) - julianday("StartedOn")) / 365.0 ELSE 0 END) AS revenue,
                    MAX("StartedOn" <= @today AND ("CancelledOn" IS NULL OR "CancelledOn" > @today)) AS running,
                    MAX(CASE WHEN "CancelledOn" <= @today THEN "CancelledOn" END) AS ended
                  FROM "Subscriptions" GROUP BY "CustomerId") s ON s."CustomerId" = c."Id") x
              WHERE "Customers"."Id" = x.id
              """
            : """
              UPDATE "Customers" c SET "LifetimeValue" = x.ltv, "ChurnedAt" = x.churned FROM (
                SELECT c."Id" AS id, ROUND(COALESCE(o.total, 0) + COALESCE(s.revenue, 0), 2) AS ltv,
                  CASE WHEN NOT COALESCE(s.running, FALSE) THEN s.ended::timestamp AT TIME ZONE 'UTC' END AS churned
                FROM "Customers" c
                LEFT JOIN (SELECT "CustomerId", SUM("Amount") AS total FROM "Orders" WHERE "Currency" = 'EUR' AND "OrderedOn" <= @today GROUP BY "CustomerId") o ON o."CustomerId" = c."Id"
                LEFT JOIN (SELECT "CustomerId",
                    SUM(CASE WHEN "Currency" = 'EUR' AND "StartedOn" <= @today
                        THEN "MonthlyAmount" * 12 * (LEAST(COALESCE("CancelledOn", @tomorrow), @tomorrow) - "StartedOn") / 365.0 ELSE 0 END) AS revenue,
                    BOOL_OR("StartedOn" <= @today AND ("CancelledOn" IS NULL OR "CancelledOn" > @today)) AS running,
                    MAX("CancelledOn") FILTER (WHERE "CancelledOn" <= @today) AS ended
                  FROM "Subscriptions" GROUP BY "CustomerId") s ON s."CustomerId" = c."Id") x
              WHERE c."Id" = x.id
              """;
        MetricSeriesScenario.Add(command, "@today", sqlite ? today.ToString("yyyy-MM-dd") : today);
        MetricSeriesScenario.Add(command, "@tomorrow", sqlite ? today.AddDays(1).ToString("yyyy-MM-dd") : today.AddDays(1));
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task<double[]> RawMrrAsync(BenchDatabase database, MetricQuery query)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        await using var connection = await database.OpenRawAsync();
        var values = new List<double>();
        for (var month = query.From; month < query.To; month = month.AddMonths(1))
        {
            var close = month.AddMonths(1);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT COALESCE(SUM("MonthlyAmount"), 0) FROM "Subscriptions"
                WHERE "Currency" = 'EUR' AND "StartedOn" <= @day AND ("CancelledOn" IS NULL OR "CancelledOn" > @day)
                """;
            MetricSeriesScenario.Add(command, "@day", sqlite ? close.ToString("yyyy-MM-dd") : close);
            values.Add(Convert.ToDouble(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        return [.. values];
    }
}
