using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Strategy;

public enum MetricDimension { Period, Product, Service, Segment, Persona, Stage, Channel, Goal, Team, Agent, Priority, Plan }

public enum Granularity { Week, Month, Quarter }

/// <summary>
/// What a metric is: the registry's entry, shown to users when they pick one for a key result.
/// A customer-outcome metric (NPS, churn, repeat purchase...) is one that promotion is meant to move:
/// every campaign page shows it before, during and after the campaign.
/// </summary>
public sealed record MetricDefinition(
    string Key, string Name, string Unit, BetterDirection Better, IReadOnlyList<MetricDimension> Dimensions, string Description,
    bool CustomerOutcome = false);

/// <summary>
/// A period (From inclusive, To exclusive, in UTC days) and the cuts to apply. Stage, channel and goal
/// are names (a lifecycle stage, a channel, a campaign goal); each metric that takes them checks them.
/// </summary>
public sealed record MetricQuery(
    DateOnly From, DateOnly To, Guid? ProductId = null, Guid? ServiceId = null, string? Segment = null, Guid? PersonaId = null,
    string? Stage = null, string? Channel = null, string? Goal = null, Guid? TeamId = null, Guid? AgentId = null, string? Priority = null,
    string? Plan = null)
{
    public DateTimeOffset FromUtc => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    public DateTimeOffset ToUtc => new(To.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The period asked for, or the twelve calendar months up to and including today.</summary>
    public static (DateOnly From, DateOnly To) Period(TimeProvider time, DateOnly? from, DateOnly? to)
    {
        var end = to ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(1);
        var start = from ?? new DateOnly(end.Year, end.Month, 1).AddMonths(-11);
        return end <= start ? throw new RequestValidationException("to", "The period must end after it starts.") : (start, end);
    }
}

public sealed record MetricPoint(DateOnly Bucket, double? Value);

/// <summary>A metric an area computes from its own data, in the database.</summary>
public interface IMetric
{
    MetricDefinition Definition { get; }

    Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct);

    /// <summary>One value per bucket that has data; the registry fills the empty buckets.</summary>
    Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct);
}

/// <summary>
/// A metric that reads the daily rollups where they can answer (ADR-015), and can still be computed from the
/// rows alone: the rollup test compares the two on random data.
/// </summary>
public interface IRolledUpMetric : IMetric
{
    bool ReadsRollups { get; }

    Task<double?> EvaluateRawAsync(PsmDb db, MetricQuery query, CancellationToken ct);
}

/// <summary>
/// The one place metrics are found and evaluated. Key results, dashboards and the API read every
/// figure through it, so one definition serves every screen.
/// </summary>
public sealed class MetricRegistry(IEnumerable<IMetric> metrics, IDbContextFactory<PsmDb> dbs)
{
    /// <summary>
    /// The key of the registry that reads the replica when one is configured: for pages and endpoints that only show figures
    /// (the service dashboard, custom dashboards). Whatever stores a computed figure uses the default registry, on the primary.
    /// </summary>
    public const string Reporting = "reporting";

    private readonly Dictionary<string, IMetric> byKey = metrics.ToDictionary(m => m.Definition.Key);

    /// <summary>A cut given by name (a channel, a goal, a priority) read as the metric's own enum, or a 400 naming the field.</summary>
    public static T Cut<T>(string text, string field) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new RequestValidationException(field, $"'{text}' is not a {field}; use one of {string.Join(", ", Enum.GetNames<T>())}.");

    public IReadOnlyList<MetricDefinition> Definitions => byKey.Values.Select(m => m.Definition).OrderBy(d => d.Key).ToList();

    public MetricDefinition? Find(string key) => byKey.GetValueOrDefault(key)?.Definition;

    /// <summary>The metrics that read rollups.</summary>
    public IReadOnlyList<IRolledUpMetric> RolledUp => byKey.Values.OfType<IRolledUpMetric>().Where(m => m.ReadsRollups).OrderBy(m => m.Definition.Key).ToList();

    /// <summary>A metric computed from the rows alone, skipping the rollups (for checking them).</summary>
    public async Task<double?> EvaluateRawAsync(string key, MetricQuery query, CancellationToken ct = default)
    {
        var metric = Resolve(key, query);
        await using var db = await dbs.CreateDbContextAsync(ct);
        return metric is IRolledUpMetric rolled ? await rolled.EvaluateRawAsync(db, query, ct) : await metric.EvaluateAsync(db, query, ct);
    }

    public async Task<double?> EvaluateAsync(string key, MetricQuery query, CancellationToken ct = default)
    {
        var metric = Resolve(key, query);
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await metric.EvaluateAsync(db, query, ct);
    }

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(string key, MetricQuery query, Granularity granularity, CancellationToken ct = default)
    {
        var metric = Resolve(key, query);
        var buckets = Buckets.Between(query.From, query.To, granularity);
        if (buckets.Count > 520)
        {
            throw new RequestValidationException("granularity", "That is more than 520 points: choose a coarser granularity or a shorter period.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var values = (await metric.SeriesAsync(db, query, granularity, ct)).ToDictionary(p => p.Bucket, p => p.Value);
        return buckets.Select(b => new MetricPoint(b, values.GetValueOrDefault(b))).ToList();
    }

    /// <summary>The metric's definition, once the query's period and cuts are checked against it (a 400 naming the field otherwise).</summary>
    public MetricDefinition Check(string key, MetricQuery query) => Resolve(key, query).Definition;

    private IMetric Resolve(string key, MetricQuery query)
    {
        if (!byKey.TryGetValue(key, out var metric))
        {
            throw new RequestValidationException("key", $"There is no metric '{key}'.");
        }

        if (query.To <= query.From)
        {
            throw new RequestValidationException("to", "The period must end after it starts.");
        }

        var dims = metric.Definition.Dimensions;
        if (query.ProductId is not null && !dims.Contains(MetricDimension.Product))
        {
            throw new RequestValidationException("productId", $"{metric.Definition.Name} cannot be cut by product.");
        }

        if (query.ServiceId is not null && !dims.Contains(MetricDimension.Service))
        {
            throw new RequestValidationException("serviceId", $"{metric.Definition.Name} cannot be cut by service.");
        }

        if (query.Segment is not null && !dims.Contains(MetricDimension.Segment))
        {
            throw new RequestValidationException("segment", $"{metric.Definition.Name} cannot be cut by segment.");
        }

        if (query.PersonaId is not null && !dims.Contains(MetricDimension.Persona))
        {
            throw new RequestValidationException("personaId", $"{metric.Definition.Name} cannot be cut by persona.");
        }

        foreach (var (value, dimension, field) in new[]
                 {
                     (query.Stage, MetricDimension.Stage, "stage"), (query.Channel, MetricDimension.Channel, "channel"), (query.Goal, MetricDimension.Goal, "goal"),
                     (query.TeamId?.ToString(), MetricDimension.Team, "teamId"), (query.AgentId?.ToString(), MetricDimension.Agent, "agentId"),
                     (query.Priority, MetricDimension.Priority, "priority"), (query.Plan, MetricDimension.Plan, "plan"),
                 })
        {
            if (value is not null && !dims.Contains(dimension))
            {
                throw new RequestValidationException(field, $"{metric.Definition.Name} cannot be cut by {field}.");
            }
        }

        return metric;
    }
}

/// <summary>Calendar buckets (weeks start on Monday), and the SQL that puts a timestamp in one.</summary>
public static class Buckets
{
    public static DateOnly StartOf(DateOnly day, Granularity granularity) => granularity switch
    {
        Granularity.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
        Granularity.Month => new DateOnly(day.Year, day.Month, 1),
        _ => new DateOnly(day.Year, ((day.Month - 1) / 3 * 3) + 1, 1),
    };

    public static DateOnly Next(DateOnly bucket, Granularity granularity) => granularity switch
    {
        Granularity.Week => bucket.AddDays(7),
        Granularity.Month => bucket.AddMonths(1),
        _ => bucket.AddMonths(3),
    };

    /// <summary>Every bucket that overlaps [from, to).</summary>
    public static IReadOnlyList<DateOnly> Between(DateOnly from, DateOnly to, Granularity granularity)
    {
        var list = new List<DateOnly>();
        for (var b = StartOf(from, granularity); b < to && list.Count <= 520; b = Next(b, granularity))
        {
            list.Add(b);
        }

        return list;
    }

    /// <summary>
    /// A series for a metric that is a ratio or a level over its period (not a sum of days): each bucket is
    /// evaluated as a period of its own, clipped to the query's; buckets without a value are left out.
    /// </summary>
    public static async Task<IReadOnlyList<MetricPoint>> EachAsync(MetricQuery query, Granularity granularity, Func<MetricQuery, Task<double?>> evaluate)
    {
        var points = new List<MetricPoint>();
        foreach (var bucket in Between(query.From, query.To, granularity))
        {
            var end = Next(bucket, granularity);
            if (await evaluate(query with { From = bucket < query.From ? query.From : bucket, To = end < query.To ? end : query.To }) is { } value)
            {
                points.Add(new MetricPoint(bucket, value));
            }
        }

        return points;
    }

    /// <summary>SQL for the first day of the bucket holding a timestamp column, as a date.</summary>
    public static string Sql(DatabaseProvider provider, Granularity granularity, string column) => provider switch
    {
        DatabaseProvider.Postgres => $"CAST(date_trunc('{granularity.ToString().ToLowerInvariant()}', {column} AT TIME ZONE 'UTC') AS date)",
        _ => granularity switch
        {
            // SQLite keeps PSM's timestamps as UTC text (ADR-002), which its date functions read directly.
            Granularity.Week => $"date({column}, '-6 days', 'weekday 1')",
            Granularity.Month => $"strftime('%Y-%m-01', {column})",
            _ => $"printf('%04d-%02d-01', CAST(strftime('%Y', {column}) AS INTEGER), ((CAST(strftime('%m', {column}) AS INTEGER) - 1) / 3) * 3 + 1)",
        },
    };
}
