using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>The seeded demo as a careful analyst would check it: nothing before its customer, conversations, believable numbers.</summary>
public sealed class DemoDataTests
{
    [Fact]
    public async Task TheDemoIsCoherent()
    {
        await using var app = new PsmServer(new() { ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0" });
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var customers = await db.Customers.AsNoTracking().ToDictionaryAsync(c => c.Id);
        var since = customers.Values.ToDictionary(c => c.Id, c => c.CreatedAt);
        var sinceDay = customers.Values.ToDictionary(c => c.Id, c => DateOnly.FromDateTime(c.CreatedAt.UtcDateTime));

        // Nothing predates its customer.
        var feedback = await db.Feedback.AsNoTracking().Where(f => f.CustomerId != null).Select(f => new { Customer = f.CustomerId!.Value, f.ReceivedAt }).ToListAsync();
        Assert.DoesNotContain(feedback, f => f.ReceivedAt < since[f.Customer]);
        var tickets = await db.Tickets.AsNoTracking().ToListAsync();
        Assert.DoesNotContain(tickets, t => t.CreatedAt < since[t.CustomerId]);
        var answers = await db.SurveyResponses.AsNoTracking().Where(r => r.CustomerId != null).Select(r => new { Customer = r.CustomerId!.Value, r.RespondedAt }).ToListAsync();
        Assert.DoesNotContain(answers, a => a.RespondedAt < since[a.Customer]);
        var subscriptions = await db.Subscriptions.AsNoTracking().ToListAsync();
        Assert.DoesNotContain(subscriptions, s => s.StartedOn < sinceDay[s.CustomerId]);
        var orders = await db.Orders.AsNoTracking().ToListAsync();
        Assert.DoesNotContain(orders, o => o.OrderedOn < sinceDay[o.CustomerId]);

        // Every ticket opens with the customer's own message, and the desk carries an open backlog, some of it breaching.
        var opened = await db.TicketEvents.AsNoTracking().Where(e => e.Kind == TicketEventKind.CustomerMessage).Select(e => e.TicketId).Distinct().ToListAsync();
        Assert.Equal(tickets.Count, opened.Count);
        var open = tickets.Where(t => t.Status is not (TicketStatus.Resolved or TicketStatus.Closed)).ToList();
        Assert.InRange(open.Count, 20, tickets.Count / 4);
        Assert.Contains(open, t => t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null);
        Assert.True(tickets.Select(t => t.Description).Distinct().Count() > tickets.Count * 9 / 10, "ticket openings should differ");

        // Hundreds of distinct feedback texts; surveys with distinct names; every persona on a journey map; contacts on customers.
        Assert.True(await db.Feedback.Select(f => f.Text).Distinct().CountAsync() >= 300);
        var surveyNames = await db.Surveys.Select(s => s.Name).ToListAsync();
        Assert.Equal(surveyNames.Count, surveyNames.Distinct().Count());
        var mapped = await db.JourneyMaps.Select(m => m.PersonaId).Distinct().ToListAsync();
        var personas = await db.Personas.Select(p => (Guid?)p.Id).ToListAsync();
        Assert.DoesNotContain(personas, p => !mapped.Contains(p!.Value));
        var withContacts = await db.CustomerContacts.Select(c => c.CustomerId).Distinct().CountAsync();
        Assert.Equal(customers.Count, withContacts);

        // Lifetime value and churn are computed: every customer whose subscriptions have all ended is churned, and only they are.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var churned = customers.Values.Where(c => c.ChurnedAt != null).Select(c => c.Id).ToHashSet();
        var expected = subscriptions.GroupBy(s => s.CustomerId).Where(g => CustomerFigures.ChurnedOn(g, today) is not null).Select(g => g.Key).ToHashSet();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Order(), churned.Order());
        var sample = customers.Values.First(c => subscriptions.Any(s => s.CustomerId == c.Id));
        Assert.Equal(CustomerFigures.LifetimeValue(orders.Where(o => o.CustomerId == sample.Id), subscriptions.Where(s => s.CustomerId == sample.Id), "EUR", today),
            sample.LifetimeValue, 2);

        // Campaigns claim no more than the business behind them: no consistency warning and none flagged while on target.
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        foreach (var campaign in await db.Campaigns.AsNoTracking().ToListAsync())
        {
            var view = await marketer.GetFromJsonAsync<CampaignResultsView>($"/api/v1/campaigns/{campaign.Id}/results/summary", Json.Options);
            Assert.True(view!.Consistency.Count == 0, $"{campaign.Name}: {string.Join(" ", view.Consistency.Select(w => w.Reason))}");
            if (Underperformance.TargetsMet(view.Totals, campaign.TargetConversions, campaign.TargetRevenue))
            {
                Assert.Empty(view.Flags);
            }
        }

        // Key results read registry metrics where one exists; the MRR one starts from the product's MRR on the first day of the year.
        var mrr = await db.KeyResults.AsNoTracking().SingleAsync(k => k.MetricKey == "commerce.mrr");
        Assert.Equal("EUR", mrr.Unit);
        Assert.True(mrr.Baseline > 0 && mrr.Target > mrr.Baseline);
        Assert.DoesNotContain("points", await db.KeyResults.AsNoTracking().Select(k => k.Unit).ToListAsync());
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var yearStart = new DateOnly(today.Year, 1, 1);
        var atStart = await pm.GetFromJsonAsync<MetricValue>(
            $"/api/v1/metrics/commerce.mrr/value?from={yearStart.AddDays(-1):yyyy-MM-dd}&to={yearStart:yyyy-MM-dd}&productId={mrr.ProductId}", Json.Options);
        Assert.Equal((double)mrr.Baseline, atStart!.Value);
    }
}
