using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;

namespace Psm.Web.Features.Commerce;

/// <summary>
/// A customer's lifetime value and churn, computed from its orders and subscriptions, never typed in.
/// The definitions are written twice on purpose: once in C# over lists (what the unit tests check by hand
/// and what the pages state) and once as one set-based UPDATE per database (what keeps the stored
/// columns right for a million customers); an integration test holds the two to the same answers.
/// </summary>
public static class CustomerFigures
{
    public const string LifetimeValueDefinition =
        "Lifetime value: the sum of the customer's orders up to today, plus the revenue of its subscriptions to date " +
        "(monthly amount × 12 ÷ 365 for each day it ran, today included), in the reporting currency; " +
        "amounts in other currencies are not converted and not counted.";

    public const string ChurnedDefinition =
        "Churned: no subscription runs today and at least one has ended; the churn date is the day the last one ended. " +
        "A churned customer who subscribes again is a customer again.";

    /// <summary>Days a subscription ran up to and including <paramref name="today"/>.</summary>
    public static int DaysRun(Subscription s, DateOnly today)
    {
        var end = s.CancelledOn is { } cancelled && cancelled <= today ? cancelled : today.AddDays(1);
        return Math.Max(0, end.DayNumber - s.StartedOn.DayNumber);
    }

    public static decimal LifetimeValue(IEnumerable<Order> orders, IEnumerable<Subscription> subscriptions, string currency, DateOnly today)
    {
        var fromOrders = orders.Where(o => o.Currency == currency && o.OrderedOn <= today).Sum(o => o.Amount);
        var fromSubscriptions = subscriptions.Where(s => s.Currency == currency).Sum(s => s.MonthlyAmount * 12m * DaysRun(s, today) / 365m);
        return Math.Round(fromOrders + fromSubscriptions, 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>The day the customer churned, or null while one of its subscriptions runs (or none has ended).</summary>
    public static DateOnly? ChurnedOn(IEnumerable<Subscription> subscriptions, DateOnly today)
    {
        var list = subscriptions.ToList();
        if (list.Any(s => s.StartedOn <= today && (s.CancelledOn is null || s.CancelledOn > today)))
        {
            return null;
        }

        return list.Where(s => s.CancelledOn <= today).Max(s => s.CancelledOn);
    }

    /// <summary>
    /// Recomputes the stored lifetime value and churn date of one customer, or of every customer when
    /// <paramref name="customerId"/> is null; rows whose figures did not change are not written.
    /// Runs in the caller's transaction, if any. Returns the rows changed.
    /// </summary>
    public static Task<int> RecomputeAsync(PsmDb db, string currency, DateOnly today, Guid? customerId, CancellationToken ct)
    {
        // Every customer at once reads every order: give it the time a large book needs, not the default 30 seconds.
        if (customerId is null)
        {
            db.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
        }

        // Only fixed SQL is concatenated (the scope names a parameter); every value is a parameter.
#pragma warning disable EF1003
        if (db.IsSqlite)
        {
            var scope = customerId is null ? "" : " AND \"CustomerId\" = {3}";
            var sql = $"""
                WITH o AS (
                    SELECT "CustomerId", SUM("Amount") AS total FROM "Orders"
                    WHERE "Currency" = {"{0}"} AND "OrderedOn" <= {"{1}"}{scope} GROUP BY "CustomerId"),
                s AS (
                    SELECT "CustomerId",
                        SUM(CASE WHEN "Currency" = {"{0}"} AND "StartedOn" <= {"{1}"}
                            THEN "MonthlyAmount" * 12 * (julianday(MIN(COALESCE("CancelledOn", {"{2}"}), {"{2}"})) - julianday("StartedOn")) / 365.0
                            ELSE 0 END) AS revenue,
                        MAX("StartedOn" <= {"{1}"} AND ("CancelledOn" IS NULL OR "CancelledOn" > {"{1}"})) AS running,
                        MAX(CASE WHEN "CancelledOn" <= {"{1}"} THEN "CancelledOn" END) AS ended
                    FROM "Subscriptions" WHERE 1 = 1{scope} GROUP BY "CustomerId"),
                f AS (
                    SELECT c."Id" AS id, round(COALESCE(o.total, 0) + COALESCE(s.revenue, 0), 2) AS ltv,
                        CASE WHEN COALESCE(s.running, 0) = 0 AND s.ended IS NOT NULL THEN s.ended || ' 00:00:00.0000000' END AS churned
                    FROM "Customers" c LEFT JOIN o ON o."CustomerId" = c."Id" LEFT JOIN s ON s."CustomerId" = c."Id"
                    WHERE 1 = 1{scope.Replace("\"CustomerId\"", "c.\"Id\"")})
                UPDATE "Customers" SET "LifetimeValue" = f.ltv, "ChurnedAt" = f.churned
                FROM f WHERE "Customers"."Id" = f.id AND ("Customers"."LifetimeValue" IS NOT f.ltv OR "Customers"."ChurnedAt" IS NOT f.churned)
                """;
            object[] values = customerId is { } id ? [currency, Day(today), Day(today.AddDays(1)), id.ToString().ToUpperInvariant()] : [currency, Day(today), Day(today.AddDays(1))];
            return db.Database.ExecuteSqlRawAsync(sql, values, ct);
        }
        else
        {
            var scope = customerId is null ? "" : " AND \"CustomerId\" = {3}";
            var sql = $"""
                WITH o AS (
                    SELECT "CustomerId", SUM("Amount") AS total FROM "Orders"
                    WHERE "Currency" = {"{0}"} AND "OrderedOn" <= {"{1}"}{scope} GROUP BY "CustomerId"),
                s AS (
                    SELECT "CustomerId",
                        SUM(CASE WHEN "Currency" = {"{0}"} AND "StartedOn" <= {"{1}"}
                            THEN "MonthlyAmount" * 12 * (LEAST(COALESCE("CancelledOn", {"{2}"}), {"{2}"}) - "StartedOn") / 365.0
                            ELSE 0 END) AS revenue,
                        BOOL_OR("StartedOn" <= {"{1}"} AND ("CancelledOn" IS NULL OR "CancelledOn" > {"{1}"})) AS running,
                        MAX("CancelledOn") FILTER (WHERE "CancelledOn" <= {"{1}"}) AS ended
                    FROM "Subscriptions" WHERE TRUE{scope} GROUP BY "CustomerId"),
                f AS (
                    SELECT c."Id" AS id, ROUND(COALESCE(o.total, 0) + COALESCE(s.revenue, 0), 2) AS ltv,
                        CASE WHEN NOT COALESCE(s.running, FALSE) THEN s.ended::timestamp AT TIME ZONE 'UTC' END AS churned
                    FROM "Customers" c LEFT JOIN o ON o."CustomerId" = c."Id" LEFT JOIN s ON s."CustomerId" = c."Id"
                    WHERE TRUE{scope.Replace("\"CustomerId\"", "c.\"Id\"")})
                UPDATE "Customers" AS c SET "LifetimeValue" = f.ltv, "ChurnedAt" = f.churned
                FROM f WHERE c."Id" = f.id AND (c."LifetimeValue" <> f.ltv OR c."ChurnedAt" IS DISTINCT FROM f.churned)
                """;
            object[] values = customerId is { } id ? [currency, today, today.AddDays(1), id] : [currency, today, today.AddDays(1)];
            return db.Database.ExecuteSqlRawAsync(sql, values, ct);
        }
#pragma warning restore EF1003
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Where the reporting currency and today come from for the recomputation.</summary>
public sealed class CustomerFigureKeeper(IConfiguration config, TimeProvider time)
{
    public string Currency => config.GetValue("Commerce:ReportingCurrency", "EUR")!.ToUpperInvariant();

    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public Task<int> RecomputeAsync(PsmDb db, Guid? customerId, CancellationToken ct) =>
        CustomerFigures.RecomputeAsync(db, Currency, Today, customerId, ct);
}

/// <summary>
/// Lifetime value grows with every day a subscription runs, and a cancellation dated ahead takes effect
/// on its day: recomputes every customer at start-up and then every <c>Commerce:RecomputeMinutes</c>
/// (60 by default; 0 turns it off). On PostgreSQL one instance at a time recomputes (a transaction-scoped advisory
/// lock; the others skip that round); running it twice would change nothing anyway.
/// </summary>
public sealed class CustomerFiguresJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<CustomerFiguresJob> logger) : Infrastructure.PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromMinutes(config.GetValue("Commerce:RecomputeMinutes", 60));

    protected override string What => "Recomputing customer figures";

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!db.IsSqlite && !await db.Database.SqlQueryRaw<bool>("SELECT pg_try_advisory_xact_lock(7042002) AS \"Value\"").SingleAsync(ct))
        {
            // Another instance is recomputing right now: its run covers this one.
            return;
        }

        var changed = await services.GetRequiredService<CustomerFigureKeeper>().RecomputeAsync(db, null, ct);
        await transaction.CommitAsync(ct);
        if (changed > 0)
        {
            logger.LogInformation("Customer figures: {Changed} customers' lifetime value or churn changed with the date.", changed);
        }
    }
}
