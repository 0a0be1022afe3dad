using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.ServiceDesk;

/// <summary>
/// The service desk's figures, computed in the database from tickets, cut by product, service, team,
/// agent, channel, priority and period. Percentiles are nearest-rank (the value at position ceil(p·n)),
/// read with ORDER BY and OFFSET so both databases compute them the same way.
/// </summary>
public sealed class ServiceMetric(string key, string name, string unit, BetterDirection better, string description, bool outcome,
    Func<PsmDb, MetricQuery, CancellationToken, Task<double?>> evaluate, ServiceMetric.Rolled? rolled = null) : IRolledUpMetric
{
    /// <summary>How the metric reads the daily rollups: the figure from the summed days, whether it needs the time bins, and whether it sums every day before the period's end.</summary>
    public sealed record Rolled(Func<TicketDay, double?> Value, bool Bins = false, bool SinceStart = false);

    private static readonly MetricDimension[] Cuts =
    [
        MetricDimension.Period, MetricDimension.Product, MetricDimension.Service, MetricDimension.Team, MetricDimension.Agent, MetricDimension.Channel,
        MetricDimension.Priority,
    ];

    public MetricDefinition Definition { get; } = new(key, name, unit, better, Cuts, description, outcome);

    public static IEnumerable<ServiceMetric> All()
    {
        yield return Percentile("service.first_response_median", "First response time (median)", 0.5, resolution: false);
        yield return Percentile("service.first_response_p90", "First response time (90th percentile)", 0.9, resolution: false);
        yield return Percentile("service.resolution_median", "Resolution time (median)", 0.5, resolution: true);
        yield return Percentile("service.resolution_p90", "Resolution time (90th percentile)", 0.9, resolution: true);
        yield return new("service.sla_compliance", "SLA compliance", "%", BetterDirection.Up,
            "Tickets opened in the period under an SLA policy that missed neither target, as a share of them.", true,
            async (db, q, ct) =>
            {
                var tickets = (await TicketsAsync(db, q, ct)).Where(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc && t.SlaPolicyId != null);
                return await RatioAsync(tickets, t => t.FirstResponseBreachedAt == null && t.ResolutionBreachedAt == null, ct);
            },
            new(d => TicketDay.Rate(d.SlaMet, d.UnderSla)));
        yield return new("service.backlog", "Backlog", "tickets", BetterDirection.Down,
            "Tickets open at the end of the period: opened before it ends and not resolved by then.", false,
            async (db, q, ct) => await (await TicketsAsync(db, q, ct)).CountAsync(t => t.CreatedAt < q.ToUtc && (t.ResolvedAt == null || t.ResolvedAt >= q.ToUtc), ct),
            // Every ticket is resolved after it is opened: those open at the end are those opened before it less those resolved before it.
            new(d => d.Opened - d.Resolved, SinceStart: true));
        yield return new("service.escalation_rate", "Escalation rate", "%", BetterDirection.Down,
            "Tickets opened in the period that were escalated (by hand or by the SLA monitor), as a share of them.", false,
            async (db, q, ct) => await RatioAsync((await TicketsAsync(db, q, ct)).Where(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc), t => t.EscalationLevel > 0, ct),
            new(d => TicketDay.Rate(d.Escalated, d.Opened)));
        yield return new("service.reopen_rate", "Reopen rate", "%", BetterDirection.Down,
            "Tickets resolved in the period that had been reopened at least once, as a share of them.", false,
            async (db, q, ct) => await RatioAsync((await TicketsAsync(db, q, ct)).Where(t => t.ResolvedAt >= q.FromUtc && t.ResolvedAt < q.ToUtc), t => t.Reopened > 0, ct),
            new(d => TicketDay.Rate(d.Reopened, d.Resolved)));
        yield return new("service.tickets_opened", "Tickets opened", "tickets", BetterDirection.Down,
            "Tickets opened in the period; cut by channel it is how customers reach the desk (e-mail, chat, phone, portal, API).", false,
            async (db, q, ct) => await (await TicketsAsync(db, q, ct)).CountAsync(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc, ct),
            new(d => d.Opened));
        yield return new("service.tickets_per_customer", "Tickets per customer", "tickets", BetterDirection.Down,
            "Tickets opened in the period per customer who opened at least one.", false,
            async (db, q, ct) =>
            {
                var opened = (await TicketsAsync(db, q, ct)).Where(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc);
                var counts = await opened.GroupBy(_ => 1).Select(g => new { Tickets = g.Count(), Customers = g.Select(t => t.CustomerId).Distinct().Count() }).SingleOrDefaultAsync(ct);
                return counts is null || counts.Customers == 0 ? null : Math.Round((double)counts.Tickets / counts.Customers, 2);
            });
        yield return new("service.csat", "Support CSAT", "%", BetterDirection.Up,
            "Answers of 4 or 5 to post-resolution CSAT surveys given in the period, as a share of them; cut by the ticket's team, agent, product and channel.", true,
            async (db, q, ct) =>
            {
                var tickets = await TicketsAsync(db, q, ct);
                var (from, to) = (q.From, q.To);
                var answers = db.SurveyResponses.AsNoTracking()
                    .Where(r => r.TicketId != null && r.RespondedOn >= from && r.RespondedOn < to && r.Survey!.Kind == SurveyKind.Csat && tickets.Any(t => t.Id == r.TicketId));
                var counts = await answers.GroupBy(_ => 1).Select(g => new { N = g.Count(), Good = g.Count(r => r.Score >= 4) }).SingleOrDefaultAsync(ct);
                return counts is null || counts.N == 0 ? null : Math.Round(100.0 * counts.Good / counts.N, 2);
            });
    }

    private static ServiceMetric Percentile(string key, string name, double p, bool resolution) => new(key, name, "business minutes", BetterDirection.Down,
        $"{(resolution ? "Business minutes from opening to resolution, less time pending on the customer" : "Business minutes from opening to the first response")}, " +
        $"for tickets {(resolution ? "resolved" : "first answered")} in the period: the {(p == 0.5 ? "median" : $"{p * 100:0}th percentile")} (nearest rank). " +
        "Read from daily rollups: exact to the tenth of a minute under an hour; above, the lower edge of a bin at most 1/60 as wide as the time.", false,
        async (db, q, ct) =>
        {
            var tickets = await TicketsAsync(db, q, ct);
            var values = resolution
                ? tickets.Where(t => t.ResolvedAt >= q.FromUtc && t.ResolvedAt < q.ToUtc && t.ResolutionMinutes != null).Select(t => t.ResolutionMinutes!.Value)
                : tickets.Where(t => t.FirstResponseAt >= q.FromUtc && t.FirstResponseAt < q.ToUtc && t.FirstResponseMinutes != null).Select(t => t.FirstResponseMinutes!.Value);
            var n = await values.CountAsync(ct);
            if (n == 0)
            {
                return null;
            }

            var rank = (int)Math.Ceiling(p * n) - 1;
            return Math.Round(await values.OrderBy(v => v).Skip(rank).FirstAsync(ct), 1);
        },
        new(d => MinuteBins.Percentile(resolution ? d.Resolution : d.FirstResponse, p), Bins: true));

    public bool ReadsRollups => rolled is not null;

    /// <summary>From the daily rollups when the query has at most one cut; otherwise from the tickets.</summary>
    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        if (rolled is not null && await TicketRollups.ReadAsync(db, query, rolled.SinceStart ? DateOnly.MinValue : query.From, query.To, rolled.Bins, ct) is { } days)
        {
            return rolled.Value(days);
        }

        return await evaluate(db, query, ct);
    }

    public Task<double?> EvaluateRawAsync(PsmDb db, MetricQuery query, CancellationToken ct) => evaluate(db, query, ct);

    public Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct) =>
        Buckets.EachAsync(query, granularity, q => EvaluateAsync(db, q, ct));

    /// <summary>The tickets a query's cuts select (the period is applied by each metric, to the time it is about).</summary>
    public static Task<IQueryable<Ticket>> TicketsAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var tickets = db.Tickets.AsNoTracking();
        if (query.ProductId is { } product) tickets = tickets.Where(t => t.ProductId == product);
        if (query.ServiceId is { } service) tickets = tickets.Where(t => t.ServiceId == service);
        if (query.TeamId is { } team) tickets = tickets.Where(t => t.TeamId == team);
        if (query.AgentId is { } agent) tickets = tickets.Where(t => t.AssigneeId == agent);
        if (query.Channel is { } channelText)
        {
            var channel = MetricRegistry.Cut<TicketChannel>(channelText, "channel");
            tickets = tickets.Where(t => t.Channel == channel);
        }

        if (query.Priority is { } priorityText)
        {
            var priority = MetricRegistry.Cut<TicketPriority>(priorityText, "priority");
            tickets = tickets.Where(t => t.Priority == priority);
        }

        return Task.FromResult(tickets);
    }

    private static async Task<double?> RatioAsync(IQueryable<Ticket> tickets, System.Linq.Expressions.Expression<Func<Ticket, bool>> hit, CancellationToken ct)
    {
        var total = await tickets.CountAsync(ct);
        return total == 0 ? null : Math.Round(100.0 * await tickets.CountAsync(hit, ct) / total, 2);
    }
}
