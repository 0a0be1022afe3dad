using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Insights;

/// <summary>What a drill-down lists: the records a figure is computed from.</summary>
public enum RowKind { Answer, Customer, Ticket, Subscription, Campaign, Initiative }

/// <summary>
/// How the rows make the figure: the mean of their values, the share of rows counted, the sum of their values,
/// the median value (nearest rank), or the sum of values over the sum of weights.
/// </summary>
public enum RowAggregate { Mean, Share, Sum, Median, Ratio }

/// <summary>One record behind a figure: what it adds (value, weight) and whether it is one of those the figure counts.</summary>
public sealed class DrillRow
{
    public Guid Id { get; init; }
    public double? Value { get; init; }
    public double? Weight { get; init; }
    public bool Counted { get; init; }
}

/// <summary>The rows behind a metric for a query, and how they make its figure, in words a user reads beside them.</summary>
public sealed record RowSet(RowKind Kind, RowAggregate Aggregate, double Scale, string Basis, string CountedAs, string? ValueAs, IQueryable<DrillRow> Rows);

/// <summary>The rows' totals and the figure they make. Squares give the spread for a mean's significance test.</summary>
public sealed record DrillSummary(long Rows, long Counted, double? Sum, double? SumOfSquares, double? Weight, double? Figure, string Formula)
{
    /// <summary>The figure as a sample estimate with its margin at 95 %, when it is a mean or a share of independent rows.</summary>
    public ScoreEstimate? Estimate(RowAggregate aggregate, double scale)
    {
        if (Rows == 0 || Figure is not { } figure)
        {
            return null;
        }

        double n = Rows;
        switch (aggregate)
        {
            case RowAggregate.Share:
            {
                var p = Counted / n;
                return new ScoreEstimate(figure, SurveyScores.Z95 * Math.Sqrt(p * (1 - p) / n) * scale, Rows);
            }

            case RowAggregate.Mean:
            {
                var mean = (Sum ?? 0) / n;
                var variance = Math.Max(((SumOfSquares ?? 0) / n) - (mean * mean), 0);
                return new ScoreEstimate(figure, SurveyScores.Z95 * Math.Sqrt(variance / n) * scale, Rows);
            }

            default:
                return null;
        }
    }
}

/// <summary>A record behind a figure, named and linked for people.</summary>
public sealed record DrillItem(Guid Id, string Title, string Detail, string Href, double? Value, double? Weight, bool Counted);

public sealed record DrillDto(
    string Key, string Name, string Unit, DateOnly From, DateOnly To, string Definition, RowKind Kind, RowAggregate Aggregate, string Basis,
    string CountedAs, string? ValueAs, DrillSummary Summary, Page<DrillItem> Rows);

/// <summary>
/// The records behind the figures the dashboards show. Each set is written with the same cuts and period rules as
/// its metric, so its rows make the very figure the card shows (a test checks every card). The rows are read
/// from the records themselves, never from the daily rollups.
/// </summary>
public sealed class DrillDowns(IDbContextFactory<PsmDb> dbs, MetricRegistry registry, CustomerFigureKeeper commerce, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Keys =
    [
        "survey.nps", "survey.csat", "survey.ces", "commerce.churn_rate", "commerce.mrr", "commerce.repeat_purchase_rate",
        "service.sla_compliance", "service.first_response_median", "alignment.score", "campaign.return_on_spend",
        "service.backlog", "service.tickets_opened", "service.escalation_rate",
    ];

    public static bool Has(string key) => Keys.Contains(key);

    public async Task<DrillDto> PageAsync(string key, MetricQuery query, PageRequest page, CancellationToken ct = default)
    {
        var definition = Definition(key, query);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var set = await RowsAsync(db, key, query, ct);
        var summary = await SummarizeAsync(set, ct);
        var rows = set.Rows;
        if (page.After is { Count: 1 } after)
        {
            if (!Guid.TryParse(after[0], out var last))
            {
                throw new RequestValidationException("cursor", "The cursor is not one this list issued.");
            }

            rows = rows.Where(r => r.Id.CompareTo(last) > 0);
        }
        else if (page.After is not null)
        {
            throw new RequestValidationException("cursor", "The cursor is not one this list issued.");
        }

        var fetched = await rows.OrderBy(r => r.Id).Take(page.Limit + 1).ToListAsync(ct);
        var named = await NameAsync(db, set.Kind, fetched, ct);
        return new DrillDto(key, definition.Name, definition.Unit, query.From, query.To, definition.Description, set.Kind, set.Aggregate, set.Basis,
            set.CountedAs, set.ValueAs, summary, page.ToPage(named, i => [i.Id.ToString()]));
    }

    /// <summary>The totals of the rows behind a figure, and the figure they make.</summary>
    public async Task<(RowSet Set, DrillSummary Summary)> SummaryAsync(string key, MetricQuery query, CancellationToken ct = default)
    {
        Definition(key, query);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var set = await RowsAsync(db, key, query, ct);
        return (set, await SummarizeAsync(set, ct));
    }

    /// <summary>
    /// Whether a figure changed by more than chance explains between two periods: the survey scores' two-sided z-test on the
    /// estimates the two periods' rows give. No test (null) for a level, a median or a ratio of sums, or without rows in both.
    /// </summary>
    public async Task<(RowAggregate Aggregate, ChangeTest? Test)> ChangeAsync(string key, MetricQuery before, MetricQuery now, CancellationToken ct = default)
    {
        Definition(key, now);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var set = await RowsAsync(db, key, now, ct);
        if (set.Aggregate is not (RowAggregate.Mean or RowAggregate.Share))
        {
            return (set.Aggregate, null);
        }

        var after = await SummarizeAsync(set, ct);
        var earlier = await SummarizeAsync(await RowsAsync(db, key, before, ct), ct);
        return (set.Aggregate, SurveyScores.Compare(earlier.Estimate(set.Aggregate, set.Scale), after.Estimate(set.Aggregate, set.Scale)));
    }

    private MetricDefinition Definition(string key, MetricQuery query)
    {
        if (!Has(key))
        {
            throw new RequestValidationException("key", registry.Find(key) is null
                ? $"There is no metric '{key}'."
                : $"'{key}' has no drill-down; these do: {string.Join(", ", Keys)}.");
        }

        return registry.Check(key, query);
    }

    private static async Task<DrillSummary> SummarizeAsync(RowSet set, CancellationToken ct)
    {
        var rows = set.Rows;
        long n, counted = 0;
        double? sum = null, squares = null, weight = null, figure = null;
        switch (set.Aggregate)
        {
            // A mean's and a share's totals in one pass over the rows.
            case RowAggregate.Mean:
            {
                var t = await rows.GroupBy(_ => 1).Select(g => new { N = g.LongCount(), Sum = g.Sum(r => r.Value), Squares = g.Sum(r => r.Value * r.Value) }).SingleOrDefaultAsync(ct);
                (n, sum, squares) = (t?.N ?? 0, t?.Sum ?? 0, t?.Squares ?? 0);
                break;
            }

            case RowAggregate.Share:
            {
                var t = await rows.GroupBy(_ => 1).Select(g => new { N = g.LongCount(), Counted = g.LongCount(r => r.Counted) }).SingleOrDefaultAsync(ct);
                (n, counted) = (t?.N ?? 0, t?.Counted ?? 0);
                break;
            }

            default:
                n = await rows.LongCountAsync(ct);
                if (set.Aggregate is RowAggregate.Sum or RowAggregate.Ratio)
                {
                    sum = await rows.SumAsync(r => r.Value, ct) ?? 0;
                }

                if (set.Aggregate == RowAggregate.Ratio)
                {
                    weight = await rows.SumAsync(r => r.Weight, ct) ?? 0;
                }

                break;
        }

        string formula;
        switch (set.Aggregate)
        {
            case RowAggregate.Share:
                figure = n == 0 ? null : Math.Round(set.Scale * counted / n, 2);
                formula = $"{counted:N0} {set.CountedAs} of {n:N0} {set.Basis}";
                break;
            case RowAggregate.Mean:
                figure = n == 0 ? null : Math.Round(set.Scale * sum!.Value / n, 2);
                formula = $"the mean {set.ValueAs} over {n:N0} {set.Basis}";
                break;
            case RowAggregate.Sum:
                figure = Math.Round(set.Scale * sum!.Value, 2);
                formula = $"the sum of {set.ValueAs} over {n:N0} {set.Basis}";
                break;
            case RowAggregate.Ratio:
                figure = weight is > 0 ? Math.Round(set.Scale * sum!.Value / weight.Value, 2) : null;
                formula = $"{set.ValueAs} over {n:N0} {set.Basis}";
                break;
            default:
                var values = rows.Where(r => r.Value != null);
                var count = await values.CountAsync(ct);
                figure = count == 0 ? null : Math.Round(set.Scale * (await values.OrderBy(r => r.Value).Skip((int)Math.Ceiling(0.5 * count) - 1).Select(r => r.Value).FirstAsync(ct))!.Value, 1);
                formula = $"the median {set.ValueAs} (nearest rank) over {n:N0} {set.Basis}";
                break;
        }

        return new DrillSummary(n, counted, sum, squares, weight, figure, formula);
    }

    private async Task<RowSet> RowsAsync(PsmDb db, string key, MetricQuery q, CancellationToken ct)
    {
        switch (key)
        {
            case "survey.nps":
            {
                var answers = await SurveyMetric.ResponsesAsync(db, q, SurveyKind.Nps, ct);
                return new RowSet(RowKind.Answer, RowAggregate.Mean, 1, "NPS answers given in the period", "promoters",
                    "of +100 per promoter (9-10), 0 per passive (7-8) and -100 per detractor (0-6)",
                    answers.Select(r => new DrillRow { Id = r.Id, Value = r.Score >= 9 ? 100.0 : r.Score <= 6 ? -100.0 : 0.0, Counted = r.Score >= 9 }));
            }

            case "survey.csat":
            {
                var answers = await SurveyMetric.ResponsesAsync(db, q, SurveyKind.Csat, ct);
                return new RowSet(RowKind.Answer, RowAggregate.Share, 100, "CSAT answers given in the period", "answered 4 or 5", "score",
                    answers.Select(r => new DrillRow { Id = r.Id, Value = r.Score, Counted = r.Score >= 4 }));
            }

            case "survey.ces":
            {
                var answers = await SurveyMetric.ResponsesAsync(db, q, SurveyKind.Ces, ct);
                return new RowSet(RowKind.Answer, RowAggregate.Mean, 1, "CES answers given in the period", "answered 6 or 7", "score (1-7)",
                    answers.Select(r => new DrillRow { Id = r.Id, Value = r.Score, Counted = r.Score >= 6 }));
            }

            case "commerce.churn_rate":
            {
                var (active, churned) = CommerceRules.Churn(await CommerceMetric.SubscriptionsAsync(db, q, ct), q.From, q.To);
                return new RowSet(RowKind.Customer, RowAggregate.Share, 100, "customers with a subscription running on the period's first day",
                    "whose last subscription ended in the period", null,
                    db.Customers.AsNoTracking().Where(c => active.Contains(c.Id)).Select(c => new DrillRow { Id = c.Id, Counted = churned.Contains(c.Id) }));
            }

            case "commerce.mrr":
            {
                var close = CommerceRules.Close(q.To, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
                var running = CommerceRules.RunningOn(CommerceMetric.InCurrency(await CommerceMetric.SubscriptionsAsync(db, q, ct), commerce.Currency), close);
                return new RowSet(RowKind.Subscription, RowAggregate.Sum, 1, $"subscriptions in {commerce.Currency} running at the period's close ({close:yyyy-MM-dd})",
                    "running", "monthly amounts", running.Select(s => new DrillRow { Id = s.Id, Value = (double)s.MonthlyAmount, Counted = true }));
            }

            case "commerce.repeat_purchase_rate":
            {
                var orders = (await CommerceMetric.OrdersAsync(db, q, ct)).Where(o => o.OrderedOn >= q.From && o.OrderedOn < q.To);
                return new RowSet(RowKind.Customer, RowAggregate.Share, 100, "customers with an order in the period", "with two or more", "orders in the period",
                    orders.GroupBy(o => o.CustomerId).Select(g => new DrillRow { Id = g.Key, Value = g.Count(), Counted = g.Count() >= 2 }));
            }

            case "service.sla_compliance":
            {
                var tickets = (await ServiceMetric.TicketsAsync(db, q, ct)).Where(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc && t.SlaPolicyId != null);
                return new RowSet(RowKind.Ticket, RowAggregate.Share, 100, "tickets opened in the period under an SLA policy", "that missed neither target", null,
                    tickets.Select(t => new DrillRow { Id = t.Id, Counted = t.FirstResponseBreachedAt == null && t.ResolutionBreachedAt == null }));
            }

            case "service.first_response_median":
            {
                var tickets = (await ServiceMetric.TicketsAsync(db, q, ct))
                    .Where(t => t.FirstResponseAt >= q.FromUtc && t.FirstResponseAt < q.ToUtc && t.FirstResponseMinutes != null);
                return new RowSet(RowKind.Ticket, RowAggregate.Median, 1, "tickets first answered in the period", "answered", "business minutes to the first response",
                    tickets.Select(t => new DrillRow { Id = t.Id, Value = t.FirstResponseMinutes, Counted = true }));
            }

            case "service.backlog":
            {
                var tickets = (await ServiceMetric.TicketsAsync(db, q, ct)).Where(t => t.CreatedAt < q.ToUtc && (t.ResolvedAt == null || t.ResolvedAt >= q.ToUtc));
                return new RowSet(RowKind.Ticket, RowAggregate.Sum, 1, "tickets opened before the period's end and not resolved by then", "open", "one per ticket",
                    tickets.Select(t => new DrillRow { Id = t.Id, Value = 1, Counted = true }));
            }

            case "service.tickets_opened":
            {
                var tickets = (await ServiceMetric.TicketsAsync(db, q, ct)).Where(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc);
                return new RowSet(RowKind.Ticket, RowAggregate.Sum, 1, "tickets opened in the period", "opened", "one per ticket",
                    tickets.Select(t => new DrillRow { Id = t.Id, Value = 1, Counted = true }));
            }

            case "service.escalation_rate":
            {
                var tickets = (await ServiceMetric.TicketsAsync(db, q, ct)).Where(t => t.CreatedAt >= q.FromUtc && t.CreatedAt < q.ToUtc);
                return new RowSet(RowKind.Ticket, RowAggregate.Share, 100, "tickets opened in the period", "escalated", null,
                    tickets.Select(t => new DrillRow { Id = t.Id, Counted = t.EscalationLevel > 0 }));
            }

            case "alignment.score":
            {
                var active = db.Initiatives.AsNoTracking().Where(i => AlignmentScore.ActiveStatuses.Contains(i.Status) && i.Effort > 0);
                return new RowSet(RowKind.Initiative, RowAggregate.Ratio, 100, "active initiatives with an effort estimate (planned, in progress, released, measuring)",
                    "serving an active objective", "the effort of those serving an active objective",
                    active.Select(i => new DrillRow
                    {
                        Id = i.Id,
                        Counted = db.InitiativeObjectives.Any(l => l.InitiativeId == i.Id && l.Objective!.Status == ObjectiveStatus.Active),
                        Value = db.InitiativeObjectives.Any(l => l.InitiativeId == i.Id && l.Objective!.Status == ObjectiveStatus.Active) ? (double)i.Effort! : 0.0,
                        Weight = (double)i.Effort!,
                    }));
            }

            case "campaign.return_on_spend":
            {
                var campaigns = await CampaignRateMetric.CampaignsAsync(db, q, ct);
                var results = db.Set<CampaignResult>().AsNoTracking().Where(r => r.Day >= q.From && r.Day < q.To);
                if (q.Channel is { } text)
                {
                    var channel = MetricRegistry.Cut<CampaignChannel>(text, "channel");
                    results = results.Where(r => r.Channel == channel);
                }

                if (campaigns is not null)
                {
                    results = results.Where(r => campaigns.Any(c => c.Id == r.CampaignId));
                }

                return new RowSet(RowKind.Campaign, RowAggregate.Ratio, 1, "campaigns with results in the period", "with attributed revenue",
                    "attributed revenue over spend",
                    results.GroupBy(r => r.CampaignId).Select(g => new DrillRow
                    {
                        Id = g.Key, Value = g.Sum(r => (double)r.Revenue), Weight = g.Sum(r => (double)r.Spend), Counted = g.Sum(r => (double)r.Revenue) > 0,
                    }));
            }

            default:
                throw new RequestValidationException("key", $"'{key}' has no drill-down.");
        }
    }

    /// <summary>Names and links for a page of rows, read in one query per page.</summary>
    private static async Task<List<DrillItem>> NameAsync(PsmDb db, RowKind kind, List<DrillRow> rows, CancellationToken ct)
    {
        var ids = rows.Select(r => r.Id).ToList();
        Dictionary<Guid, (string Title, string Detail, string Href)> names;
        switch (kind)
        {
            case RowKind.Answer:
                names = (await db.SurveyResponses.AsNoTracking().Where(r => ids.Contains(r.Id))
                        .Select(r => new { r.Id, Customer = r.Customer!.Name, r.CustomerId, Survey = r.Survey!.Name, r.SurveyId, r.Score, r.RespondedOn })
                        .ToListAsync(ct))
                    .ToDictionary(r => r.Id, r => (r.Customer ?? "Anonymous respondent", $"{r.Survey}: {r.Score}, {r.RespondedOn:yyyy-MM-dd}",
                        r.CustomerId is { } c ? $"/customers/{c}" : $"/surveys/{r.SurveyId}"));
                break;
            case RowKind.Customer:
                names = (await db.Customers.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Name, c.Plan, c.Country }).ToListAsync(ct))
                    .ToDictionary(c => c.Id, c => (c.Name, string.Join(" · ", new[] { c.Plan, c.Country }.Where(s => s.Length > 0)), $"/customers/{c.Id}"));
                break;
            case RowKind.Ticket:
                names = (await db.Tickets.AsNoTracking().Where(t => ids.Contains(t.Id)).Select(t => new { t.Id, t.Number, t.Subject, t.Status, Customer = t.Customer!.Name })
                        .ToListAsync(ct))
                    .ToDictionary(t => t.Id, t => ($"T-{t.Number} {t.Subject}", $"{t.Customer} · {t.Status}", $"/service/tickets/{t.Id}"));
                break;
            case RowKind.Subscription:
                names = (await db.Subscriptions.AsNoTracking().Where(s => ids.Contains(s.Id))
                        .Select(s => new { s.Id, Customer = s.Customer!.Name, s.CustomerId, s.Plan, s.StartedOn, s.Currency }).ToListAsync(ct))
                    .ToDictionary(s => s.Id, s => (s.Customer, $"{s.Plan} since {s.StartedOn:yyyy-MM-dd} ({s.Currency})", $"/customers/{s.CustomerId}"));
                break;
            case RowKind.Campaign:
                names = (await db.Set<Campaign>().AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Name, c.Status }).ToListAsync(ct))
                    .ToDictionary(c => c.Id, c => (c.Name, c.Status.ToString(), $"/campaigns/{c.Id}/results"));
                break;
            default:
                names = (await db.Initiatives.AsNoTracking().Where(i => ids.Contains(i.Id)).Select(i => new { i.Id, i.Name, i.Status }).ToListAsync(ct))
                    .ToDictionary(i => i.Id, i => (i.Name, i.Status.ToString(), $"/roadmap/initiatives/{i.Id}"));
                break;
        }

        return rows.Select(r => names.TryGetValue(r.Id, out var n)
            ? new DrillItem(r.Id, n.Title, n.Detail, n.Href, r.Value, r.Weight, r.Counted)
            : new DrillItem(r.Id, "(removed)", "", "", r.Value, r.Weight, r.Counted)).ToList();
    }
}
