using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>New customers won in a period: one COUNT, or one GROUP BY for a series.</summary>
public sealed class NewCustomersMetric : IMetric
{
    public MetricDefinition Definition { get; } = new(
        "customers.new", "New customers", "customers", BetterDirection.Up, [MetricDimension.Period],
        "Customers whose account was created in the period.");

    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) =>
        await db.Customers.CountAsync(c => c.CreatedAt >= query.FromUtc && c.CreatedAt < query.ToUtc, ct);

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct)
    {
        var provider = db.IsSqlite ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres;
        var bucket = Buckets.Sql(provider, granularity, "\"CreatedAt\"");
        var count = provider == DatabaseProvider.Sqlite ? "CAST(COUNT(*) AS REAL)" : "CAST(COUNT(*) AS double precision)";
        // Only SQL chosen from enums is concatenated; the values are parameters.
#pragma warning disable EF1003
        var rows = await db.Database.SqlQueryRaw<BucketRow>(
                $"SELECT {bucket} AS \"Bucket\", {count} AS \"Value\" FROM \"Customers\" " +
                "WHERE \"CreatedAt\" >= {0} AND \"CreatedAt\" < {1} GROUP BY 1",
                Parameter(db, query.FromUtc), Parameter(db, query.ToUtc))
            .ToListAsync(ct);
#pragma warning restore EF1003
        return rows.Select(r => new MetricPoint(r.Bucket, r.Value)).ToList();
    }

    /// <summary>Timestamps are passed in the column's own stored form (UTC text on SQLite).</summary>
    internal static object Parameter(PsmDb db, DateTimeOffset value) =>
        db.IsSqlite ? new UtcTextConverter().ConvertToProvider(value)! : value;
}

/// <summary>Customers on the books at the end of the period: created by then and not archived by then.</summary>
public sealed class ActiveCustomersMetric : IMetric
{
    public MetricDefinition Definition { get; } = new(
        "customers.active", "Active customers", "customers", BetterDirection.Up, [MetricDimension.Period],
        "Customers created before the end of the period, not archived and not churned by then (churn as computed from subscriptions; " +
        "a customer who came back counts again).");

    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) =>
        await db.Customers.CountAsync(c => c.CreatedAt < query.ToUtc && (c.ArchivedAt == null || c.ArchivedAt >= query.ToUtc)
                                           && (c.ChurnedAt == null || c.ChurnedAt >= query.ToUtc), ct);

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct)
    {
        // A level, not a flow: each bucket's value is the count at its end. One COUNT per bucket keeps
        // it in the database; a series is at most a few dozen buckets.
        var points = new List<MetricPoint>();
        foreach (var bucket in Buckets.Between(query.From, query.To, granularity))
        {
            var end = Buckets.Next(bucket, granularity);
            points.Add(new MetricPoint(bucket, await EvaluateAsync(db, query with { To = end < query.To ? end : query.To }, ct)));
        }

        return points;
    }
}

public sealed record BucketRow(DateOnly Bucket, double Value);
