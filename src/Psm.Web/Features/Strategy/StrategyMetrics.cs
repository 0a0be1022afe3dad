using Psm.Web.Data;

namespace Psm.Web.Features.Strategy;

/// <summary>
/// Metrics over the objectives themselves. They are computed from key results, so they resolve the
/// objectives service when evaluated (it reads other metrics through the registry that lists these).
/// </summary>
public abstract class PortfolioMetric(IServiceProvider services) : IMetric
{
    public abstract MetricDefinition Definition { get; }

    protected abstract double? Measure(IReadOnlyList<ObjectiveSummaryDto> active);

    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) =>
        Measure(await services.GetRequiredService<Objectives>().ActiveOnAsync(db, query.To.AddDays(-1), ct));

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct)
    {
        var points = new List<MetricPoint>();
        foreach (var bucket in Buckets.Between(query.From, query.To, granularity))
        {
            var end = Buckets.Next(bucket, granularity);
            points.Add(new MetricPoint(bucket, await EvaluateAsync(db, query with { To = end < query.To ? end : query.To }, ct)));
        }

        return points;
    }
}

public sealed class ObjectivesAtRiskMetric(IServiceProvider services) : PortfolioMetric(services)
{
    public override MetricDefinition Definition { get; } = new(
        "strategy.objectives_at_risk", "Active objectives at risk", "objectives", BetterDirection.Down, [MetricDimension.Period],
        "Active objectives whose progress trails the share of their period already spent by more than the margin, at the end of the period.");

    protected override double? Measure(IReadOnlyList<ObjectiveSummaryDto> active) => active.Count(o => o.AtRisk);
}

public sealed class ObjectiveProgressMetric(IServiceProvider services) : PortfolioMetric(services)
{
    public override MetricDefinition Definition { get; } = new(
        "strategy.objective_progress", "Average objective progress", "%", BetterDirection.Up, [MetricDimension.Period],
        "The mean progress of the objectives active at the end of the period (those with key results).");

    protected override double? Measure(IReadOnlyList<ObjectiveSummaryDto> active) =>
        active.Where(o => o.Progress is not null).Select(o => o.Progress!.Value).DefaultIfEmpty().Average() is var mean
        && active.Any(o => o.Progress is not null) ? mean : null;
}
