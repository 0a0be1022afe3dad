using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.HelpCentre;

/// <summary>The help centre's figures in the metric registry: views and how helpful readers found what they read, cut by the article's product or service.</summary>
public sealed class ArticleMetric(string key, string name, string unit, BetterDirection better, string description, Func<PsmDb, MetricQuery, CancellationToken, Task<double?>> evaluate,
    bool periodOnly = false) : IMetric
{
    public MetricDefinition Definition { get; } = new(key, name, unit, better,
        periodOnly ? [MetricDimension.Period] : [MetricDimension.Period, MetricDimension.Product, MetricDimension.Service], description);

    public static IEnumerable<ArticleMetric> All()
    {
        yield return new("helpcentre.article_views", "Help-centre article views", "views", BetterDirection.Up,
            "Times the public help centre showed a published article in the period (each page read counts once).",
            async (db, q, ct) => await Articles(db, q).Join(db.ArticleViews.Where(v => v.Day >= q.From && v.Day < q.To), a => a.Id, v => v.ArticleId, (_, v) => v.Views)
                .SumAsync(v => (int?)v, ct) ?? 0);
        yield return new("helpcentre.helpful_rate", "Help-centre helpfulness", "%", BetterDirection.Up,
            "Of the readers who answered \"was this helpful?\" in the period, the share who said yes. Empty when nobody answered.",
            async (db, q, ct) =>
            {
                var votes = Articles(db, q).Join(db.ArticleVotes.Where(v => v.At >= q.FromUtc && v.At < q.ToUtc), a => a.Id, v => v.ArticleId, (_, v) => v.Helpful);
                var counts = await votes.GroupBy(_ => 1).Select(g => new { N = g.Count(), Yes = g.Count(h => h) }).SingleOrDefaultAsync(ct);
                return counts is null || counts.N == 0 ? null : Math.Round(100.0 * counts.Yes / counts.N, 2);
            });
        yield return new("assistant.deflection_rate", "Assistant deflection rate", "%", BetterDirection.Up,
            "Of the assistant conversations started in the period, the share it closed: at least one question answered, not handed to a person, "
            + "and the same visitor (a cookie) did not start another conversation within 7 days. Empty when there were none.",
            async (db, q, ct) =>
            {
                var started = await db.AssistantConversations.AsNoTracking().Where(c => c.StartedAt >= q.FromUtc && c.StartedAt < q.ToUtc)
                    .Select(c => new { c.VisitorKey, c.StartedAt, Closed = c.Outcome != ConversationOutcome.HandedOver && db.AssistantExchanges.Any(e => e.ConversationId == c.Id && e.Answered) })
                    .ToListAsync(ct);
                if (started.Count == 0)
                {
                    return null;
                }

                // Who came back: the same visitors' conversations up to seven days after the period.
                var visitors = started.Where(c => c.Closed).Select(c => c.VisitorKey).Distinct().ToList();
                var until = q.ToUtc.AddDays(7);
                var later = (await db.AssistantConversations.AsNoTracking().Where(c => visitors.Contains(c.VisitorKey) && c.StartedAt >= q.FromUtc && c.StartedAt < until)
                        .Select(c => new { c.VisitorKey, c.StartedAt }).ToListAsync(ct))
                    .ToLookup(c => c.VisitorKey, c => c.StartedAt);
                var closed = started.Count(c => c.Closed && !later[c.VisitorKey].Any(at => at > c.StartedAt && at <= c.StartedAt.AddDays(7)));
                return Math.Round(100.0 * closed / started.Count, 2);
            }, periodOnly: true);
        yield return new("assistant.handover_rate", "Assistant handover rate", "%", BetterDirection.Down,
            "Of the assistant conversations started in the period, the share the visitor handed to a person (a ticket). Empty when there were none.",
            async (db, q, ct) =>
            {
                var counts = await db.AssistantConversations.AsNoTracking().Where(c => c.StartedAt >= q.FromUtc && c.StartedAt < q.ToUtc).GroupBy(_ => 1)
                    .Select(g => new { N = g.Count(), Handed = g.Count(c => c.Outcome == ConversationOutcome.HandedOver) }).SingleOrDefaultAsync(ct);
                return counts is null || counts.N == 0 ? null : Math.Round(100.0 * counts.Handed / counts.N, 2);
            }, periodOnly: true);
        yield return new("assistant.unanswered_questions", "Questions with no good article", "questions", BetterDirection.Down,
            "Questions asked of the assistant in the period for which no published article reached the confidence setting (each also lands in the feedback inbox).",
            async (db, q, ct) => await db.AssistantExchanges.AsNoTracking().CountAsync(e => !e.Answered && e.At >= q.FromUtc && e.At < q.ToUtc, ct), periodOnly: true);
    }

    private static IQueryable<Article> Articles(PsmDb db, MetricQuery query)
    {
        var articles = db.Articles.AsNoTracking();
        if (query.ProductId is { } product) articles = articles.Where(a => a.ProductId == product);
        if (query.ServiceId is { } service) articles = articles.Where(a => a.ServiceId == service);
        return articles;
    }

    public Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) => evaluate(db, query, ct);

    public Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct) =>
        Buckets.EachAsync(query, granularity, q => evaluate(db, q, ct));
}
