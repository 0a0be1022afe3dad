using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Feedback;

public sealed record AnalysisQuery(
    DateOnly? From, DateOnly? To, Granularity Granularity, Guid? ProductId = null, Guid? ServiceId = null, FeedbackChannel? Channel = null,
    string? Segment = null);

public sealed record BucketStat(DateOnly Bucket, long Items, double? AverageSentiment);

public sealed record ThemeSeries(Guid Id, string Name, long Items, double? AverageSentiment, IReadOnlyList<BucketStat> Buckets);

/// <summary>A theme's share of feedback in the last period against the period before, with a one-sided two-proportion z-test.</summary>
public sealed record RisingTheme(
    Guid Id, string Name, long Current, long CurrentTotal, long Previous, long PreviousTotal, double Z, double PValue, bool Significant);

public sealed record FeedbackAnalysisDto(
    DateOnly From, DateOnly To, Granularity Granularity, IReadOnlyList<BucketStat> Totals, IReadOnlyList<ThemeSeries> Themes,
    DateOnly? CurrentPeriod, DateOnly? PreviousPeriod, IReadOnlyList<RisingTheme> Rising);

/// <summary>Volume and sentiment by theme over time, and rising themes: all counted in the database by day, rolled up exactly.</summary>
public sealed class FeedbackAnalysis(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<FeedbackAnalysisDto> AnalyseAsync(AnalysisQuery query, CancellationToken ct = default)
    {
        var (from, to) = MetricQuery.Period(time, query.From, query.To);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var items = db.Set<FeedbackItem>().AsNoTracking().Where(f => f.ReceivedOn >= from && f.ReceivedOn < to);
        if (query.ProductId is { } product)
        {
            items = items.Where(f => f.ProductId == product);
        }

        if (query.ServiceId is { } service)
        {
            items = items.Where(f => f.ServiceId == service);
        }

        if (query.Channel is { } channel)
        {
            items = items.Where(f => f.Channel == channel);
        }

        if (query.Segment is { } segment)
        {
            var members = await Audiences.MemberIdsAsync(db, segment, ct);
            items = items.Where(f => f.CustomerId != null && members.Contains(f.CustomerId.Value));
        }

        var totalsByDay = await items.GroupBy(f => f.ReceivedOn)
            .Select(g => new { Day = g.Key, Items = g.LongCount(), Sentiment = g.Sum(f => f.Sentiment) }).ToListAsync(ct);
        var themeDays = await db.Set<FeedbackTheme>()
            .Join(items, t => t.FeedbackId, f => f.Id, (t, f) => new { t.ThemeId, f.ReceivedOn, f.Sentiment })
            .GroupBy(x => new { x.ThemeId, x.ReceivedOn })
            .Select(g => new { g.Key.ThemeId, Day = g.Key.ReceivedOn, Items = g.LongCount(), Sentiment = g.Sum(x => x.Sentiment) })
            .ToListAsync(ct);
        var names = await db.Set<Theme>().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var buckets = Buckets.Between(from, to, query.Granularity);

        IReadOnlyList<BucketStat> Roll(IEnumerable<(DateOnly Day, long Items, double Sentiment)> days)
        {
            var sums = days.GroupBy(d => Buckets.StartOf(d.Day, query.Granularity))
                .ToDictionary(g => g.Key, g => (Items: g.Sum(d => d.Items), Sentiment: g.Sum(d => d.Sentiment)));
            return buckets.Select(b => sums.TryGetValue(b, out var s)
                ? new BucketStat(b, s.Items, s.Items == 0 ? null : Math.Round(s.Sentiment / s.Items, 3))
                : new BucketStat(b, 0, null)).ToList();
        }

        var totals = Roll(totalsByDay.Select(d => (d.Day, d.Items, d.Sentiment)));
        var themes = themeDays.GroupBy(t => t.ThemeId).Select(g =>
            {
                var count = g.Sum(x => x.Items);
                return new ThemeSeries(g.Key, names.GetValueOrDefault(g.Key, "?"), count, count == 0 ? null : Math.Round(g.Sum(x => x.Sentiment) / count, 3),
                    Roll(g.Select(x => (x.Day, x.Items, x.Sentiment))));
            })
            .OrderByDescending(t => t.Items).ThenBy(t => t.Name).ToList();

        var rising = new List<RisingTheme>();
        DateOnly? current = null, previous = null;
        // The latest period with any feedback against the one before it: a period that has just begun and holds nothing yet (the 1st of a month) says nothing.
        var last = Enumerable.Range(0, totals.Count).LastOrDefault(i => totals[i].Items > 0, totals.Count - 1);
        if (buckets.Count >= 2)
        {
            last = Math.Max(1, last);
            current = buckets[last];
            previous = buckets[last - 1];
            var nowTotal = totals[last].Items;
            var beforeTotal = totals[last - 1].Items;
            foreach (var theme in themes)
            {
                var now = theme.Buckets[last].Items;
                var before = theme.Buckets[last - 1].Items;
                var (z, p) = Statistics.ProportionIncrease(now, nowTotal, before, beforeTotal);
                if (z > 0)
                {
                    rising.Add(new RisingTheme(theme.Id, theme.Name, now, nowTotal, before, beforeTotal, Math.Round(z, 2), Math.Round(p, 4), p < 0.05));
                }
            }
        }

        return new FeedbackAnalysisDto(from, to, query.Granularity, totals, themes, current, previous,
            rising.OrderByDescending(r => r.Significant).ThenByDescending(r => r.Z).ToList());
    }
}
