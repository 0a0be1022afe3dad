using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Insights;

/// <summary>The target a key result of an active objective sets for a figure.</summary>
public sealed record KpiTarget(decimal Value, string KeyResult, Guid ObjectiveId, string Objective);

/// <summary>
/// The change against the previous period of the same length, and whether chance explains it: a two-sided z-test on
/// the difference (the survey scores' test), where the figure is a mean or a share of independent records.
/// </summary>
public sealed record KpiChange(double Difference, double? PValue, bool? Significant, string Test);

public sealed record KpiCard(
    string Key, string Name, string Unit, BetterDirection Better, string Definition, double? Value, double? Previous, KpiChange? Change,
    KpiTarget? Target, IReadOnlyList<MetricPoint> Trend, string TrendNote, string? DrillHref);

public enum AttentionKind { ObjectiveAtRisk, TicketBreaching, RisingTheme, CampaignUnderperforming, ActionOverdue, ChurnRisk }

public sealed record AttentionItem(AttentionKind Kind, string Title, string Detail, string Href);

public sealed record CompanyView(
    DateOnly From, DateOnly To, DateOnly PreviousFrom, IReadOnlyList<ObjectiveSummaryDto> Objectives, IReadOnlyList<KpiCard> Cards,
    IReadOnlyList<AttentionItem> Attention, int BreachingTickets);

/// <summary>
/// The company view: active objectives, the KPI cards, and what needs attention today. Each card's figure is read
/// through the metric registry (the figure every other screen shows); its change is tested on the rows behind it
/// (<see cref="DrillDowns"/>), which are the rows its drill-down lists.
/// </summary>
public sealed class CompanyDashboard(
    Infrastructure.Persistence.ReportingDbFactory dbs, MetricRegistry registry, DrillDowns drills, Objectives objectives, FeedbackAnalysis analysis,
    Campaigns.Campaigns campaigns, TimeProvider time)
{
    public static readonly IReadOnlyList<string> CardKeys =
    [
        "survey.nps", "survey.csat", "survey.ces", "commerce.churn_rate", "commerce.mrr", "commerce.repeat_purchase_rate",
        "service.sla_compliance", "service.first_response_median", "alignment.score", "campaign.return_on_spend",
    ];

    public const int MaxDays = 366;

    /// <summary>The period: the last <paramref name="days"/> days up to and including today, and the same length before it.</summary>
    public (DateOnly From, DateOnly To, DateOnly PreviousFrom) Period(int days)
    {
        if (days is < 7 or > MaxDays)
        {
            throw new RequestValidationException("days", $"The period must be between 7 and {MaxDays} days.");
        }

        var to = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(1);
        return (to.AddDays(-days), to, to.AddDays(-2 * days));
    }

    public async Task<CompanyView> BuildAsync(int days, CancellationToken ct = default)
    {
        var (from, to, previousFrom) = Period(days);
        var reading = CardsAsync(CardKeys, from, to, previousFrom, ct);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var today = to.AddDays(-1);
        var active = (await objectives.ActiveOnAsync(db, today, ct)).OrderByDescending(o => o.AtRisk).ThenBy(o => o.Title).ToList();
        var (attention, breaching) = await AttentionAsync(db, active, today, ct);
        return new CompanyView(from, to, previousFrom, active, await reading, attention, breaching);
    }

    /// <summary>Cards at once, in the order of their keys: each reads through its own contexts, so the database works on them side by side.</summary>
    public async Task<IReadOnlyList<KpiCard>> CardsAsync(
        IEnumerable<string> keys, DateOnly from, DateOnly to, DateOnly previousFrom, CancellationToken ct = default, Guid? productId = null) =>
        await Task.WhenAll(keys.Select(key => CardAsync(key, from, to, previousFrom, ct, productId)));

    /// <summary>One KPI card, company-wide or for one product (its figures, trend, drill-down and the target of a key result on that product).</summary>
    public async Task<KpiCard> CardAsync(string key, DateOnly from, DateOnly to, DateOnly previousFrom, CancellationToken ct = default, Guid? productId = null)
    {
        var definition = registry.Find(key) ?? throw new RequestValidationException("key", $"There is no metric '{key}'.");
        var now = new MetricQuery(from, to, ProductId: productId);
        var before = new MetricQuery(previousFrom, from, ProductId: productId);
        var value = await registry.EvaluateAsync(key, now, ct);
        var hasHistory = key != "alignment.score";
        var previous = hasHistory ? await registry.EvaluateAsync(key, before, ct) : null;

        KpiChange? change = null;
        if (value is { } v && previous is { } p)
        {
            if (!DrillDowns.Has(key))
            {
                change = new KpiChange(Math.Round(v - p, 2), null, null, "Not tested: a sum, not a sample.");
            }
            else
            {
                var (aggregate, test) = await drills.ChangeAsync(key, before, now, ct);
                change = test is null
                    ? new KpiChange(Math.Round(v - p, 2), null, null, aggregate switch
                    {
                        RowAggregate.Sum => "Not tested: a level or a count, not a sample.",
                        RowAggregate.Median => "Not tested: no test of medians is applied.",
                        RowAggregate.Ratio => "Not tested: a ratio of sums, not a sample.",
                        _ => "Not tested: too few records.",
                    })
                    : new KpiChange(Math.Round(v - p, 2), Math.Round(test.PValue, 4), test.Significant,
                        $"Two-sided z-test on the difference: p = {test.PValue:0.###}{(test.Significant ? ", significant at 5 %" : ", within chance at 5 %")}.");
            }
        }

        // Twelve full months: a month the period ends inside is left out, so the last point is never a partial month.
        var thisMonth = Buckets.StartOf(to, Granularity.Month);
        var trend = hasHistory ? await registry.SeriesAsync(key, new MetricQuery(thisMonth.AddMonths(-12), thisMonth, ProductId: productId), Granularity.Month, ct) : [];
        var target = await TargetAsync(key, productId, ct);
        return new KpiCard(key, definition.Name, definition.Unit, definition.Better, definition.Description, value, previous, change, target, trend,
            hasHistory ? "Monthly, over the last twelve full months." : "No trend: the roadmap's past states are not kept as a series.",
            DrillDowns.Has(key) ? $"/insights/drill/{key}?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}{(productId is { } product ? $"&productId={product}" : "")}" : null);
    }

    /// <summary>The target of the first-ending active objective's key result on this metric with no other cut than the product (none: company-wide).</summary>
    private async Task<KpiTarget?> TargetAsync(string key, Guid? productId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<KeyResult>().AsNoTracking()
            .Where(k => k.MetricKey == key && k.ProductId == productId && k.ServiceId == null && k.Segment == null && k.Objective!.Status == ObjectiveStatus.Active)
            .OrderBy(k => k.Objective!.PeriodEnd).ThenBy(k => k.Id)
            .Select(k => new KpiTarget(k.Target, k.Title, k.ObjectiveId, k.Objective!.Name))
            .FirstOrDefaultAsync(ct);
    }

    private async Task<(List<AttentionItem> Items, int Breaching)> AttentionAsync(
        PsmDb db, IReadOnlyList<ObjectiveSummaryDto> active, DateOnly today, CancellationToken ct)
    {
        var items = new List<AttentionItem>();
        foreach (var o in active.Where(o => o.AtRisk))
        {
            items.Add(new AttentionItem(AttentionKind.ObjectiveAtRisk, o.Title,
                $"Progress {o.Progress:0} % trails the share of its period already spent (ends {o.PeriodEnd:yyyy-MM-dd}).", $"/objectives/{o.Id}"));
        }

        var breaching = db.Tickets.AsNoTracking().Where(t => t.ResolvedAt == null && (t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null));
        var breachingCount = await breaching.CountAsync(ct);
        foreach (var t in await breaching.OrderBy(t => t.Priority == TicketPriority.Urgent ? 0 : t.Priority == TicketPriority.High ? 1 : 2).ThenBy(t => t.CreatedAt)
                     .Take(5).Select(t => new { t.Id, t.Number, t.Subject, t.Priority, First = t.FirstResponseBreachedAt != null, Customer = t.Customer!.Name })
                     .ToListAsync(ct))
        {
            items.Add(new AttentionItem(AttentionKind.TicketBreaching, $"T-{t.Number} {t.Subject}",
                $"{t.Customer} · {t.Priority} priority · {(t.First ? "first-response" : "resolution")} target missed and still open.", $"/service/tickets/{t.Id}"));
        }

        // The last full month against the one before: a month just begun holds too few items to say anything.
        var thisMonth = Buckets.StartOf(today, Granularity.Month);
        var themes = await analysis.AnalyseAsync(new AnalysisQuery(thisMonth.AddMonths(-2), thisMonth, Granularity.Month), ct);
        foreach (var r in themes.Rising.Where(r => r.Significant).Take(5))
        {
            items.Add(new AttentionItem(AttentionKind.RisingTheme, r.Name,
                $"{r.Current} of {r.CurrentTotal} items in {themes.CurrentPeriod:MMMM yyyy} against {r.Previous} of {r.PreviousTotal} the month before (p = {r.PValue:0.###}).",
                $"/feedback/analysis"));
        }

        var running = await db.Set<Campaigns.Campaign>().AsNoTracking().Where(c => c.Status == Campaigns.CampaignStatus.Running)
            .OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        foreach (var c in running)
        {
            if (await campaigns.ResultsViewAsync(c.Id, ct) is { Flags.Count: > 0 } view)
            {
                items.Add(new AttentionItem(AttentionKind.CampaignUnderperforming, c.Name, view.Flags[0].Reason, $"/campaigns/{c.Id}/results"));
            }
        }

        foreach (var a in await db.ActionItems.AsNoTracking().Where(a => a.Status == ActionStatus.Open && a.DueOn < today)
                     .OrderBy(a => a.DueOn).Take(10).ToListAsync(ct))
        {
            items.Add(new AttentionItem(AttentionKind.ActionOverdue, a.Text, $"{(a.Owner.Length > 0 ? a.Owner : "No owner")} · due {a.DueOn:yyyy-MM-dd}",
                a.ReviewId is { } review ? $"/roadmap/reviews/{review}" : "/roadmap/retrospectives"));
        }

        foreach (var r in await db.ChurnScores.AsNoTracking().Where(s => s.TopDecile).OrderBy(s => s.Rank).Take(5)
                     .Join(db.Customers, s => s.CustomerId, c => c.Id, (s, c) => new { s.CustomerId, s.Score, s.Rank, c.Name }).ToListAsync(ct))
        {
            items.Add(new AttentionItem(AttentionKind.ChurnRisk, r.Name, $"Churn risk {r.Score:P0} over the next 90 days, ranked {r.Rank}.", $"/customers/{r.CustomerId}"));
        }

        return (items, breachingCount);
    }
}
