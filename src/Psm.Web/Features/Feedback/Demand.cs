using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;

namespace Psm.Web.Features.Feedback;

/// <summary>A theme or initiative with the customers asking for it and what they are worth.</summary>
public sealed record DemandRow(Guid Id, string Name, int Items, int Customers, decimal Mrr, decimal LifetimeValue);

public sealed record DemandDto(string? Segment, string Currency, DateOnly AsOf, IReadOnlyList<DemandRow> Themes, IReadOnlyList<DemandRow> Initiatives)
{
    public const string Definition =
        "Demand weighted by revenue: for each theme (feedback tagged with it) and each initiative (feedback linked to it as evidence), " +
        "the distinct customers behind that feedback, the sum of their MRR today (subscriptions running today, reporting currency) and " +
        "of their computed lifetime value. Ranked by MRR, then lifetime value. A segment keeps only its members.";
}

/// <summary>Ranks themes and initiatives by the revenue of the customers asking, optionally within a segment.</summary>
public sealed class Demand(IDbContextFactory<PsmDb> dbs, CustomerFigureKeeper figures)
{
    public async Task<DemandDto> RankAsync(string? segment, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var feedback = db.Feedback.AsNoTracking().Where(f => f.CustomerId != null);
        if (!string.IsNullOrWhiteSpace(segment))
        {
            var members = await Audiences.MemberIdsAsync(db, segment.Trim(), ct);
            feedback = feedback.Where(f => members.Contains(f.CustomerId!.Value));
        }

        var themed = await db.Set<FeedbackTheme>().AsNoTracking()
            .Join(feedback, t => t.FeedbackId, f => f.Id, (t, f) => new { Key = t.ThemeId, Customer = f.CustomerId!.Value })
            .ToListAsync(ct);
        var linked = await db.Evidence.AsNoTracking()
            .Join(feedback, e => e.FeedbackId, f => f.Id, (e, f) => new { Key = e.InitiativeId, Customer = f.CustomerId!.Value })
            .ToListAsync(ct);
        var asking = themed.Select(x => x.Customer).Concat(linked.Select(x => x.Customer)).Distinct().ToList();

        var today = figures.Today;
        var currency = figures.Currency;
        var running = CommerceRules.RunningOn(db.Subscriptions.AsNoTracking().Where(s => s.Currency == currency), today);
        var mrr = (await running.Where(s => asking.Contains(s.CustomerId)).Select(s => new { s.CustomerId, s.MonthlyAmount }).ToListAsync(ct))
            .GroupBy(s => s.CustomerId).ToDictionary(g => g.Key, g => g.Sum(s => s.MonthlyAmount));
        var value = await db.Customers.AsNoTracking().Where(c => asking.Contains(c.Id)).Select(c => new { c.Id, c.LifetimeValue })
            .ToDictionaryAsync(c => c.Id, c => c.LifetimeValue, ct);
        var themeNames = await db.Themes.AsNoTracking().Select(t => new { t.Id, t.Name }).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var initiativeNames = await db.Initiatives.AsNoTracking().Select(i => new { i.Id, i.Name }).ToDictionaryAsync(i => i.Id, i => i.Name, ct);

        List<DemandRow> Rank(IEnumerable<(Guid Key, Guid Customer)> pairs, Dictionary<Guid, string> names) =>
            pairs.GroupBy(p => p.Key).Where(g => names.ContainsKey(g.Key)).Select(g =>
                {
                    var customers = g.Select(p => p.Customer).Distinct().ToList();
                    return new DemandRow(g.Key, names[g.Key], g.Count(), customers.Count,
                        customers.Sum(c => mrr.GetValueOrDefault(c)), customers.Sum(c => value.GetValueOrDefault(c)));
                })
                .OrderByDescending(r => r.Mrr).ThenByDescending(r => r.LifetimeValue).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();

        return new DemandDto(string.IsNullOrWhiteSpace(segment) ? null : segment.Trim(), currency, today,
            Rank(themed.Select(x => (x.Key, x.Customer)), themeNames), Rank(linked.Select(x => (x.Key, x.Customer)), initiativeNames));
    }
}
