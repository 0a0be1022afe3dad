using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

/// <summary>Objectives that cascade, tickets as product evidence, and demand weighted by the revenue of those asking.</summary>
public sealed class EvidenceAndCascadeTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<ObjectiveDto> Objective(HttpClient pm, string title, Guid? parentId = null) =>
        await (await pm.PostAsJsonAsync("/api/v1/objectives", new
        {
            title, description = $"{title}, measured by its key results.", type = "Financial", periodStart = Today.AddDays(-30), periodEnd = Today.AddDays(60), parentId,
        })).ReadAsync<ObjectiveDto>();

    private static async Task CheckIn(HttpClient pm, Guid objectiveId, decimal value)
    {
        var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{objectiveId}/key-results",
            new { title = "Share done", metricKey = "manual", baseline = 0, target = 100, unit = "%", direction = "Up" })).ReadAsync<KeyResultDto>();
        (await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { value, confidence = "OnTrack" })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task AParentShowsItsChildrenTheirRollUpAndTheInitiativesServingIt()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var parent = await Objective(pm, "Grow recurring revenue");
        var upsell = await Objective(pm, "Sell Premium Support", parent.Summary.Id);
        var renew = await Objective(pm, "Renew every Enterprise account", parent.Summary.Id);
        await Objective(pm, "Unmeasured child", parent.Summary.Id);
        await CheckIn(pm, upsell.Summary.Id, 40);
        await CheckIn(pm, renew.Summary.Id, 80);
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new
        {
            title = "Premium Support upsell in-app", objectives = new[] { new { objectiveId = parent.Summary.Id, contribution = "Upsell inside the product." } },
        })).ReadAsync<InitiativeDto>();

        var read = (await pm.GetFromJsonAsync<ObjectiveDto>($"/api/v1/objectives/{parent.Summary.Id}", Json.Options))!;
        Assert.Equal(["Renew every Enterprise account", "Sell Premium Support", "Unmeasured child"], read.Children.Select(c => c.Title));
        Assert.Equal(60, read.ChildrenProgress!.Value, 3); // the mean of 40 and 80; the unmeasured child has no progress to count
        var serving = Assert.Single(read.Initiatives);
        Assert.Equal((initiative.Summary.Id, "Upsell inside the product."), (serving.Id, serving.Contribution));
        Assert.Empty((await pm.GetFromJsonAsync<ObjectiveDto>($"/api/v1/objectives/{upsell.Summary.Id}", Json.Options))!.Children);

        // The list carries each objective's parent, so it can be drawn as a tree.
        var list = (await pm.GetFromJsonAsync<Page<ObjectiveSummaryDto>>("/api/v1/objectives?limit=50", Json.Options))!;
        Assert.Equal(parent.Summary.Id, list.Items.Single(o => o.Id == renew.Summary.Id).ParentId);
        Assert.Null(list.Items.Single(o => o.Id == parent.Summary.Id).ParentId);
    }

    [Fact]
    public async Task TicketsBecomeFeedbackAndCountAsEvidenceWithTheRestAndDemandIsRankedByRevenue()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).ReadAsync<ProductDto>();
        async Task<CustomerDto> Customer(string name, string plan, decimal monthly)
        {
            var c = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name, email = $"{name.ToLowerInvariant()}@example.test", country = "DE", plan })).ReadAsync<CustomerDto>();
            (await pm.PostAsJsonAsync("/api/v1/subscriptions", new { customerId = c.Id, productId = product.Id, plan, monthlyAmount = monthly, currency = "EUR", startedOn = Today.AddDays(-9) }))
                .EnsureSuccessStatusCode();
            // Segments only hold customers who agreed to profiling.
            (await pm.PostAsJsonAsync($"/api/v1/customers/{c.Id}/consent", new { purpose = "Profiling", granted = true, source = "contract" })).EnsureSuccessStatusCode();
            return c;
        }

        var big = await Customer("Big", "Enterprise", 1_990);
        var small = await Customer("Small", "Starter", 90);
        (await pm.PostAsJsonAsync("/api/v1/segments", new { name = "Enterprise", rules = new { plans = new[] { "Enterprise" } } })).EnsureSuccessStatusCode();
        var billing = await (await pm.PostAsJsonAsync("/api/v1/themes", new { name = "Billing", keywords = new[] { "invoice*" } })).ReadAsync<ThemeDto>();
        await pm.PostAsJsonAsync("/api/v1/themes", new { name = "Mobile", keywords = new[] { "mobile" } });
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Invoice portal" })).ReadAsync<InitiativeDto>();

        var tickets = new List<TicketDto>();
        foreach (var (who, subject, text) in new[] { (big, "Invoices", "We cannot download our invoices."), (small, "Invoices again", "Where are my invoices?"), (small, "App", "The mobile app crashes.") })
        {
            tickets.Add(await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject, description = text, customerId = who.Id, productId = product.Id })).ReadAsync<TicketDto>());
        }

        // One ticket becomes one feedback item, asked twice; a stakeholder (who does not triage feedback) may not.
        var item = await (await agent.PostAsync($"/api/v1/tickets/{tickets[0].Summary.Id}/feedback", null)).ReadAsync<FeedbackDto>();
        Assert.Equal((FeedbackChannel.SupportTicket, "T-1001", big.Id), (item.Channel, item.SourceRef, item.Customer!.Id));
        Assert.Equal("Invoices: We cannot download our invoices.", item.Text);
        Assert.Equal(["Billing"], item.Themes.Select(t => t.Name));
        Assert.Equal(item.Id, (await (await agent.PostAsync($"/api/v1/tickets/{tickets[0].Summary.Id}/feedback", null)).ReadAsync<FeedbackDto>()).Id);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsync($"/api/v1/tickets/{tickets[0].Summary.Id}/feedback", null)).StatusCode);

        // Linking tickets as evidence, several at once: they count with the feedback.
        Assert.Contains("initiativeId", (await Errors(await agent.PostAsJsonAsync("/api/v1/tickets/evidence", new { ticketIds = new[] { tickets[0].Summary.Id }, initiativeId = Guid.NewGuid() }))).Keys);
        Assert.Contains("ticketIds", (await Errors(await agent.PostAsJsonAsync("/api/v1/tickets/evidence", new { ticketIds = new[] { Guid.NewGuid() }, initiativeId = initiative.Summary.Id }))).Keys);
        var linked = await (await agent.PostAsJsonAsync("/api/v1/tickets/evidence", new
        {
            ticketIds = new[] { tickets[0].Summary.Id, tickets[1].Summary.Id }, initiativeId = initiative.Summary.Id, importance = "Critical",
        })).ReadAsync<TicketEvidenceResult>();
        Assert.Equal(2, linked.FeedbackIds.Count);
        Assert.Contains(item.Id, linked.FeedbackIds);
        var evidence = await pm.GetFromJsonAsync<EvidenceSummaryDto>($"/api/v1/initiatives/{initiative.Summary.Id}/evidence", Json.Options);
        Assert.Equal((2, 2, 2), (evidence!.Items, evidence.Customers, evidence.Critical));

        // Demand weighted by revenue: Billing is asked for by both customers (MRR 2 080), Mobile by the small one (90); the Enterprise
        // segment keeps only the big one.
        await agent.PostAsync($"/api/v1/tickets/{tickets[2].Summary.Id}/feedback", null);
        var demand = (await pm.GetFromJsonAsync<DemandDto>("/api/v1/feedback/demand", Json.Options))!;
        Assert.Equal(["Billing", "Mobile"], demand.Themes.Select(t => t.Name));
        Assert.Equal((2, 2_080m), (demand.Themes[0].Customers, demand.Themes[0].Mrr));
        Assert.True(demand.Themes[0].LifetimeValue > demand.Themes[1].LifetimeValue);
        Assert.Equal((initiative.Summary.Id, 2_080m), (demand.Initiatives.Single().Id, demand.Initiatives.Single().Mrr));
        demand = (await pm.GetFromJsonAsync<DemandDto>("/api/v1/feedback/demand?segment=Enterprise", Json.Options))!;
        Assert.Equal("Billing", Assert.Single(demand.Themes).Name);
        Assert.Equal(1_990m, demand.Themes[0].Mrr);
        Assert.Contains("segment", (await Errors(await pm.GetAsync("/api/v1/feedback/demand?segment=Nobody"))).Keys);
        Assert.Equal(billing.Id, demand.Themes[0].Id);
    }
}
