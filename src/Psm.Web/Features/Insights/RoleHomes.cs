using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Features.Insights;

public sealed record TicketLine(Guid Id, string Key, string Subject, string Customer, TicketPriority Priority, TicketStatus Status, DateTimeOffset? DueAt, bool PastTarget);

/// <summary>An agent's or a lead's home: their open tickets, those past a target, the unassigned ones, and the CSAT their customers gave.</summary>
public sealed record SupportHome(int MyOpen, int MyPastTarget, int Unassigned, double? MyCsat, string CsatDefinition, IReadOnlyList<TicketLine> MyNext);

public sealed record CampaignLine(Guid Id, string Name, CampaignStatus Status, DateOnly StartsOn, DateOnly EndsOn, decimal Spend, decimal Budget, string? Flag);

/// <summary>A marketer's home: campaigns running or coming, with spend against budget and the first flag on each, and return on spend.</summary>
public sealed record MarketingHome(IReadOnlyList<CampaignLine> Campaigns, KpiCard ReturnOnSpend);

public sealed record ConcernLine(Guid Id, ConcernSubject Subject, Guid SubjectId, string SubjectName, string Href, Stance Stance, ConcernStatus Status, string Text);

public sealed record DecisionLine(Guid Id, string Title, DateOnly DecidedOn, string Outcome);

/// <summary>A stakeholder's own page: the concerns they raised and the decisions they were consulted on.</summary>
public sealed record StakeholderHome(bool Linked, IReadOnlyList<ConcernLine> Concerns, IReadOnlyList<DecisionLine> Decisions);

/// <summary>The home that fits the caller's role. The company view is for admins, product managers and stakeholders.</summary>
public sealed record MyHome(string Role, CompanyView? Company, SupportHome? Support, MarketingHome? Marketing, StakeholderHome? Stakeholder);

public sealed class RoleHomes(IDbContextFactory<PsmDb> dbs, MetricRegistry registry, CompanyDashboard company, Campaigns.Campaigns campaigns, TimeProvider time)
{
    /// <summary>The role whose home a user sees: the first of theirs in the order roles are listed.</summary>
    public static string RoleOf(System.Security.Claims.ClaimsPrincipal user) => Roles.All.FirstOrDefault(user.IsInRole) ?? Roles.Stakeholder;

    public async Task<MyHome> ForAsync(string role, Guid userId, int days, CancellationToken ct = default) => role switch
    {
        Roles.SupportAgent or Roles.SupportLead => new MyHome(role, null, await SupportAsync(userId, ct), null, null),
        Roles.Marketer => new MyHome(role, null, null, await MarketingAsync(days, ct), null),
        Roles.Stakeholder => new MyHome(role, await company.BuildAsync(days, ct), null, null, await StakeholderAsync(userId, ct)),
        _ => new MyHome(role, await company.BuildAsync(days, ct), null, null, null),
    };

    public async Task<SupportHome> SupportAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var open = db.Tickets.AsNoTracking().Where(t => t.ResolvedAt == null);
        var mine = open.Where(t => t.AssigneeId == userId);
        var now = time.GetUtcNow();
        var next = await mine
            .OrderBy(t => t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null ? 0 : 1)
            .ThenBy(t => t.Priority == TicketPriority.Urgent ? 0 : t.Priority == TicketPriority.High ? 1 : t.Priority == TicketPriority.Normal ? 2 : 3)
            .ThenBy(t => t.CreatedAt).Take(8)
            .Select(t => new TicketLine(t.Id, "T-" + t.Number, t.Subject, t.Customer!.Name, t.Priority, t.Status,
                t.FirstResponseAt == null ? t.FirstResponseDueAt : t.ResolutionDueAt, t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null))
            .ToListAsync(ct);
        var to = DateOnly.FromDateTime(now.UtcDateTime).AddDays(1);
        var csat = await registry.EvaluateAsync("service.csat", new MetricQuery(to.AddDays(-90), to, AgentId: userId), ct);
        return new SupportHome(await mine.CountAsync(ct), await mine.CountAsync(t => t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null, ct),
            await open.CountAsync(t => t.AssigneeId == null, ct), csat, registry.Find("service.csat")!.Description + " Yours: tickets assigned to you, last 90 days.", next);
    }

    public async Task<MarketingHome> MarketingAsync(int days, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var list = await db.Set<Campaign>().AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Running || c.Status == CampaignStatus.Scheduled || (c.Status == CampaignStatus.Completed && c.EndsOn >= today.AddDays(-30)))
            .OrderBy(c => c.Status == CampaignStatus.Running ? 0 : c.Status == CampaignStatus.Scheduled ? 1 : 2).ThenBy(c => c.StartsOn)
            .Select(c => new { c.Id, c.Name, c.Status, c.StartsOn, c.EndsOn, c.Budget, Spend = db.Set<CampaignResult>().Where(r => r.CampaignId == c.Id).Sum(r => (decimal?)r.Spend) ?? 0 })
            .ToListAsync(ct);
        var lines = new List<CampaignLine>();
        foreach (var c in list)
        {
            var flag = c.Status == CampaignStatus.Scheduled ? null : (await campaigns.ResultsViewAsync(c.Id, ct))?.Flags.FirstOrDefault()?.Reason;
            lines.Add(new CampaignLine(c.Id, c.Name, c.Status, c.StartsOn, c.EndsOn, c.Spend, c.Budget, flag));
        }

        var (from, to, previousFrom) = company.Period(days);
        return new MarketingHome(lines, await company.CardAsync("campaign.return_on_spend", from, to, previousFrom, ct));
    }

    public async Task<StakeholderHome> StakeholderAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var me = await db.Stakeholders.AsNoTracking().Where(s => s.UserId == userId).Select(s => s.Id).ToListAsync(ct);
        if (me.Count == 0)
        {
            return new StakeholderHome(false, [], []);
        }

        var concerns = await db.Concerns.AsNoTracking().Where(c => me.Contains(c.StakeholderId))
            .OrderBy(c => c.Status).ThenByDescending(c => c.CreatedAt).Take(20)
            .Select(c => new { c.Id, c.Subject, c.SubjectId, c.Stance, c.Status, c.Text }).ToListAsync(ct);
        var ids = concerns.Select(c => c.SubjectId).ToList();
        var names = new Dictionary<Guid, string>();
        foreach (var x in await db.Initiatives.AsNoTracking().Where(i => ids.Contains(i.Id)).Select(i => new { i.Id, i.Name }).ToListAsync(ct)) names[x.Id] = x.Name;
        foreach (var x in await db.Objectives.AsNoTracking().Where(o => ids.Contains(o.Id)).Select(o => new { o.Id, o.Name }).ToListAsync(ct)) names[x.Id] = x.Name;
        foreach (var x in await db.Decisions.AsNoTracking().Where(d => ids.Contains(d.Id)).Select(d => new { d.Id, d.Title }).ToListAsync(ct)) names[x.Id] = x.Title;
        foreach (var x in await db.Set<Campaign>().AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Name }).ToListAsync(ct)) names[x.Id] = x.Name;
        var decisions = await db.Decisions.AsNoTracking().Where(d => d.Consulted.Any(s => me.Contains(s.Id)))
            .OrderByDescending(d => d.DecidedOn).Take(20).Select(d => new DecisionLine(d.Id, d.Title, d.DecidedOn, d.Outcome)).ToListAsync(ct);
        return new StakeholderHome(true,
            concerns.Select(c => new ConcernLine(c.Id, c.Subject, c.SubjectId, names.GetValueOrDefault(c.SubjectId, "(removed)"), c.Subject switch
            {
                ConcernSubject.Initiative => $"/roadmap/initiatives/{c.SubjectId}",
                ConcernSubject.Objective => $"/objectives/{c.SubjectId}",
                ConcernSubject.Campaign => $"/campaigns/{c.SubjectId}",
                _ => "/alignment/decisions",
            }, c.Stance, c.Status, c.Text)).ToList(),
            decisions);
    }
}
