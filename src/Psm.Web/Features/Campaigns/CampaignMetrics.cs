using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Campaigns;

/// <summary>
/// A rate over campaign results in a period (engagement rate, conversion rate, cost per acquisition,
/// return on spend), cut by product, lifecycle stage at planning, channel, goal and target segment.
/// The database sums per day; buckets roll up from those sums, so every figure is exact.
/// </summary>
public sealed class CampaignRateMetric(string key, string name, string unit, BetterDirection better, string description, Func<ResultTotals, double?> rate) : IMetric
{
    private static readonly MetricDimension[] Cuts =
        [MetricDimension.Period, MetricDimension.Product, MetricDimension.Stage, MetricDimension.Channel, MetricDimension.Goal, MetricDimension.Segment];

    public static CampaignRateMetric EngagementRate() => new("campaign.engagement_rate", "Campaign engagement rate", "%", BetterDirection.Up,
        "Engagements (clicks, opens, replies) per impression, over campaign results in the period.", t => t.EngagementRate);

    public static CampaignRateMetric ConversionRate() => new("campaign.conversion_rate", "Campaign conversion rate", "%", BetterDirection.Up,
        "Conversions per engagement, over campaign results in the period.", t => t.ConversionRate);

    public static CampaignRateMetric CostPerAcquisition() => new("campaign.cost_per_acquisition", "Cost per acquisition", "per conversion", BetterDirection.Down,
        "Campaign spend divided by conversions in the period.", t => (double?)t.CostPerAcquisition);

    public static CampaignRateMetric ReturnOnSpend() => new("campaign.return_on_spend", "Return on campaign spend", "x", BetterDirection.Up,
        "Revenue attributed to campaigns divided by their spend in the period.", t => t.ReturnOnSpend is { } r ? Math.Round(r, 3) : null);

    public MetricDefinition Definition { get; } = new(key, name, unit, better, Cuts, description);

    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var days = await DailyAsync(db, query, ct);
        return Value(days.Aggregate(ResultTotals.Zero, (a, d) => a.Add(d.Totals)));
    }

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct)
    {
        var days = await DailyAsync(db, query, ct);
        return days.GroupBy(d => Buckets.StartOf(d.Day, granularity))
            .Select(g => new MetricPoint(g.Key, Value(g.Aggregate(ResultTotals.Zero, (a, d) => a.Add(d.Totals)))))
            .Where(p => p.Value is not null).OrderBy(p => p.Bucket).ToList();
    }

    private double? Value(ResultTotals totals) => rate(totals) is { } v ? Math.Round(v, 2) : null;

    /// <summary>Results in the period summed per day, in the database.</summary>
    private static async Task<List<DailyResults>> DailyAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var campaigns = await CampaignsAsync(db, query, ct);
        var results = db.Set<CampaignResult>().AsNoTracking().Where(r => r.Day >= query.From && r.Day < query.To);
        if (query.Channel is { } text)
        {
            var channel = MetricRegistry.Cut<CampaignChannel>(text, "channel");
            results = results.Where(r => r.Channel == channel);
        }

        if (campaigns is not null)
        {
            results = results.Where(r => campaigns.Any(c => c.Id == r.CampaignId));
        }

        return (await results.GroupBy(r => r.Day)
                .Select(g => new { g.Key, I = g.Sum(r => r.Impressions), E = g.Sum(r => r.Engagements), C = g.Sum(r => r.Conversions), S = g.Sum(r => r.Spend), R = g.Sum(r => r.Revenue) })
                .ToListAsync(ct))
            .Select(x => new DailyResults(x.Key, new ResultTotals(x.I, x.E, x.C, x.S, x.R))).ToList();
    }

    /// <summary>The campaigns a query's cuts select, or null when it cuts by none of their fields.</summary>
    internal static async Task<IQueryable<Campaign>?> CampaignsAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        if (query.ProductId is null && query.Stage is null && query.Goal is null && query.Segment is null)
        {
            return null;
        }

        var campaigns = db.Set<Campaign>().AsNoTracking();
        if (query.ProductId is { } product)
        {
            campaigns = campaigns.Where(c => c.ProductId == product);
        }

        if (query.Stage is { } stageText)
        {
            var stage = MetricRegistry.Cut<LifecycleStage>(stageText, "stage");
            campaigns = campaigns.Where(c => c.PlannedStage == stage);
        }

        if (query.Goal is { } goalText)
        {
            var goal = MetricRegistry.Cut<CampaignGoal>(goalText, "goal");
            campaigns = campaigns.Where(c => c.Goal == goal);
        }

        if (query.Segment is { } segmentText)
        {
            var segment = Guid.TryParse(segmentText, out var id)
                ? await db.Segments.AsNoTracking().Where(s => s.Id == id).Select(s => (Guid?)s.Id).SingleOrDefaultAsync(ct)
                : await db.Segments.AsNoTracking().Where(s => s.Name == segmentText).Select(s => (Guid?)s.Id).SingleOrDefaultAsync(ct);
            if (segment is null)
            {
                throw new RequestValidationException("segment", $"There is no segment '{segmentText}'.");
            }

            campaigns = campaigns.Where(c => c.SegmentId == segment);
        }

        return campaigns;
    }
}

/// <summary>
/// A campaign's reach into its target: the share of the customers it targets that it may contact
/// (marketing consent, and profiling consent when it targets a segment), over campaigns running in
/// the period. Consent is read as it stands today: a withdrawal shrinks every campaign's reach at once.
/// </summary>
public sealed class CampaignReachMetric : IMetric
{
    public MetricDefinition Definition { get; } = new(
        "campaign.reach", "Campaign reach into its segment", "%", BetterDirection.Up,
        [MetricDimension.Period, MetricDimension.Product, MetricDimension.Stage, MetricDimension.Goal, MetricDimension.Segment],
        "Customers a campaign may contact as a share of those it targets, over campaigns running in the period (consent as it stands now).");

    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var campaigns = await CampaignRateMetric.CampaignsAsync(db, query, ct) ?? db.Set<Campaign>().AsNoTracking();
        var running = await campaigns.Where(c => c.Status != CampaignStatus.Cancelled && c.StartsOn < query.To && c.EndsOn >= query.From)
            .Select(c => c.Segment).ToListAsync(ct);
        if (running.Count == 0)
        {
            return null;
        }

        long matched = 0, reachable = 0;
        foreach (var segment in running)
        {
            var audience = await Campaigns.AudienceAsync(db, segment, ct);
            matched += audience.Matched;
            reachable += audience.Audience;
        }

        return matched == 0 ? null : Math.Round(100.0 * reachable / matched, 2);
    }

    public Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct) =>
        Buckets.EachAsync(query, granularity, q => EvaluateAsync(db, q, ct));
}
