using System.Net;
using System.Net.Http.Json;
using System.Text;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class CampaignsApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<ProductDto> Product(HttpClient pm, string name, LifecycleStage stage) =>
        await (await pm.PostAsJsonAsync("/api/v1/products", new { name, stage })).ReadAsync<ProductDto>();

    private static object Plan(Guid productId, string goal, int startInDays = 7, int days = 28, Guid? segmentId = null, string message = "",
        Guid[]? promises = null, decimal budget = 1000, string[]? channels = null) => new
    {
        name = $"Campaign {Guid.NewGuid():N}"[..20], productId, goal, segmentId, channels = channels ?? ["Email"], message, budget,
        startsOn = Today.AddDays(startInDays), endsOn = Today.AddDays(startInDays + days - 1), promisedInitiativeIds = promises ?? [],
    };

    [Fact]
    public async Task PlanningChecksTheFitWithReasonsAndRefusesBadInput()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var legacy = await Product(pm, "Legacy suite", LifecycleStage.Decline);
        var fresh = await Product(pm, "Fresh app", LifecycleStage.Introduction);

        // Goal vs stage: an acquisition push for a product in Decline is a problem, with its reason; the stage is recorded.
        var push = await (await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(legacy.Id, "Acquisition"))).ReadAsync<CampaignDetail>();
        var exported = (await marketer.GetStringAsync("/api/v1/campaigns/export.csv?goal=Acquisition")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("name,product,goal,planned_stage", exported[0]);
        Assert.StartsWith($"{push.Campaign.Name},Legacy suite,Acquisition,Decline,", Assert.Single(exported[1..]));
        Assert.Single((await marketer.GetStringAsync("/api/v1/campaigns/export.csv?goal=Awareness")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(LifecycleStage.Decline, push.Campaign.PlannedStage);
        Assert.Equal(CampaignStatus.Draft, push.Campaign.Status);
        var stage = push.Fit.Single(f => f.Area == FitArea.Stage);
        Assert.Equal(FitLevel.Problem, stage.Level);
        Assert.Contains("Decline", stage.Reason);
        var awareness = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/fit", Plan(fresh.Id, "Awareness"))).ReadAsync<List<FitCheck>>();
        Assert.Equal(FitLevel.Ok, awareness.Single(f => f.Area == FitArea.Stage).Level);

        // The stage moves on; the campaign keeps the stage it was planned in and says the product moved.
        (await pm.PostAsJsonAsync($"/api/v1/products/{legacy.Id}/lifecycle", new { stage = "Maturity", reason = "A niche revived it." })).EnsureSuccessStatusCode();
        var after = await marketer.GetFromJsonAsync<CampaignDetail>($"/api/v1/campaigns/{push.Campaign.Id}", Json.Options);
        Assert.Equal(LifecycleStage.Decline, after!.Campaign.PlannedStage);
        Assert.Equal(LifecycleStage.Maturity, after.Campaign.CurrentStage);
        Assert.Contains(after.Fit, f => f.Area == FitArea.Stage && f.Title.Contains("changed stage"));

        // Promises vs reality: unscheduled is a problem; planned to end after the start is a problem; before the start a warning.
        var feature = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Offline mode" })).ReadAsync<InitiativeDto>();
        var promising = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/fit", Plan(fresh.Id, "Awareness", startInDays: 10, promises: [feature.Summary.Id])))
            .ReadAsync<List<FitCheck>>();
        Assert.Equal(FitLevel.Problem, promising.Single(f => f.Area == FitArea.Promises).Level);
        (await pm.PutAsJsonAsync($"/api/v1/initiatives/{feature.Summary.Id}/schedule", new { plannedStart = Today.AddDays(-30), plannedEnd = Today.AddDays(20) }))
            .EnsureSuccessStatusCode();
        promising = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/fit", Plan(fresh.Id, "Awareness", startInDays: 10, promises: [feature.Summary.Id])))
            .ReadAsync<List<FitCheck>>();
        var late = promising.Single(f => f.Area == FitArea.Promises);
        Assert.Equal(FitLevel.Problem, late.Level);
        Assert.Contains("after the campaign starts", late.Title);
        promising = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/fit", Plan(fresh.Id, "Awareness", startInDays: 30, promises: [feature.Summary.Id])))
            .ReadAsync<List<FitCheck>>();
        Assert.Equal(FitLevel.Warning, promising.Single(f => f.Area == FitArea.Promises).Level);

        // Message vs evidence: stressing what customers complain about is flagged.
        (await pm.PostAsJsonAsync("/api/v1/themes", new { name = "Mobile app", keywords = new[] { "mobile" } })).EnsureSuccessStatusCode();
        foreach (var text in new[] { "The mobile app is terrible and crashes all the time", "Awful mobile experience, it loses my work" })
        {
            (await pm.PostAsJsonAsync("/api/v1/feedback", new { text, channel = "Email", productId = fresh.Id })).EnsureSuccessStatusCode();
        }

        var selling = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/fit", Plan(fresh.Id, "Awareness", message: "Work anywhere with our mobile app")))
            .ReadAsync<List<FitCheck>>();
        var message = selling.Single(f => f.Area == FitArea.Message);
        Assert.Equal(FitLevel.Warning, message.Level);
        Assert.Contains("Mobile app", message.Reason);
        var quiet = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/fit", Plan(fresh.Id, "Awareness", message: "Dispatch made simple")))
            .ReadAsync<List<FitCheck>>();
        Assert.Equal(FitLevel.Ok, quiet.Single(f => f.Area == FitArea.Message).Level);

        // Bad input: each names its field, and nothing is stored.
        var before = (await marketer.GetFromJsonAsync<List<CampaignListItem>>("/api/v1/campaigns", Json.Options))!.Count;
        var plan = Plan(fresh.Id, "Awareness");
        Assert.Contains("endsOn", (await Errors(await marketer.PostAsJsonAsync("/api/v1/campaigns",
            new { name = "Backwards", productId = fresh.Id, goal = "Awareness", channels = new[] { "Email" }, startsOn = Today.AddDays(5), endsOn = Today.AddDays(1) }))).Keys);
        Assert.Contains("budget", (await Errors(await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(fresh.Id, "Awareness", budget: -5)))).Keys);
        Assert.Contains("segmentId", (await Errors(await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(fresh.Id, "Awareness", segmentId: Guid.NewGuid())))).Keys);
        Assert.Contains("productId", (await Errors(await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(Guid.NewGuid(), "Awareness")))).Keys);
        Assert.Contains("channels", (await Errors(await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(fresh.Id, "Awareness", channels: [])))).Keys);
        var retired = await Product(pm, "Gone", LifecycleStage.Retired);
        Assert.Contains("retired", (await Errors(await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(retired.Id, "Retention"))))["productId"][0]);
        Assert.Equal(before, (await marketer.GetFromJsonAsync<List<CampaignListItem>>("/api/v1/campaigns", Json.Options))!.Count);

        // A segment a campaign targets cannot be deleted from under it.
        var segment = await (await pm.PostAsJsonAsync("/api/v1/segments", new { name = "Everyone on Pro", rules = new { plans = new[] { "Pro" } } })).ReadAsync<SegmentDto>();
        var targeted = await (await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(fresh.Id, "Awareness", segmentId: segment.Id))).ReadAsync<CampaignDetail>();
        Assert.Equal("Everyone on Pro", targeted.Campaign.Segment!.Name);
        Assert.Contains("segment", (await Errors(await pm.DeleteAsync($"/api/v1/segments/{segment.Id}"))).Keys);

        // Status moves follow the lifecycle; a final status stays final; only drafts are deleted.
        Assert.Contains("status", (await Errors(await marketer.PutAsJsonAsync($"/api/v1/campaigns/{targeted.Campaign.Id}/status", new { status = "Completed" }))).Keys);
        (await marketer.PutAsJsonAsync($"/api/v1/campaigns/{targeted.Campaign.Id}/status", new { status = "Scheduled" })).EnsureSuccessStatusCode();
        Assert.Contains("status", (await Errors(await marketer.DeleteAsync($"/api/v1/campaigns/{targeted.Campaign.Id}"))).Keys);
        Assert.Equal(HttpStatusCode.NoContent, (await marketer.DeleteAsync($"/api/v1/campaigns/{push.Campaign.Id}")).StatusCode);

        // Roles: an agent cannot plan; a stakeholder reads and raises a concern, but cannot plan.
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/api/v1/campaigns", plan)).StatusCode);
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/v1/campaigns", plan)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.GetAsync($"/api/v1/campaigns/{targeted.Campaign.Id}/audience.csv")).StatusCode);
        Assert.Equal("Everyone on Pro", (await stakeholder.GetFromJsonAsync<CampaignDetail>($"/api/v1/campaigns/{targeted.Campaign.Id}", Json.Options))!.Campaign.Segment!.Name);
        var me = await stakeholder.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/v1/me");
        var who = await (await pm.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Fiona Finance", department = "Finance", userId = (string)me!["id"]! }))
            .ReadAsync<StakeholderDto>();
        (await stakeholder.PostAsJsonAsync("/api/v1/concerns",
            new { stakeholderId = who.Id, subject = "Campaign", subjectId = targeted.Campaign.Id, stance = "Concerned", text = "Too costly for a new product." }))
            .EnsureSuccessStatusCode();
        var concerns = await stakeholder.GetFromJsonAsync<List<ConcernDto>>($"/api/v1/concerns?subject=Campaign&subjectId={targeted.Campaign.Id}", Json.Options);
        Assert.Equal("Too costly for a new product.", Assert.Single(concerns!).Text);
    }

    [Fact]
    public async Task TheAudienceHoldsOnlyConsentingCustomersAndEveryExportIsAudited()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var product = await Product(pm, "Helpdesk", LifecycleStage.Growth);
        async Task<CustomerDto> Customer(string name, bool profiling, bool marketing)
        {
            var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name, email = $"{name.ToLowerInvariant()}@example.test", country = "DE", plan = "Pro" }))
                .ReadAsync<CustomerDto>();
            foreach (var (purpose, granted) in new[] { ("Profiling", profiling), ("Marketing", marketing) })
            {
                (await pm.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/consent", new { purpose, granted, source = "signup form" })).EnsureSuccessStatusCode();
            }

            return customer;
        }

        var both = await Customer("Both", profiling: true, marketing: true);
        await Customer("ProfilingOnly", profiling: true, marketing: false);
        await Customer("MarketingOnly", profiling: false, marketing: true);
        foreach (var (name, email) in new[] { ("Ana Buyer", "ana@both.example"), ("Ben User", "ben@both.example") })
        {
            (await pm.PostAsJsonAsync($"/api/v1/customers/{both.Id}/contacts", new { name, email })).EnsureSuccessStatusCode();
        }

        var segment = await (await pm.PostAsJsonAsync("/api/v1/segments", new { name = "Pro", rules = new { plans = new[] { "Pro" } } })).ReadAsync<SegmentDto>();
        var targeted = await (await marketer.PostAsJsonAsync("/api/v1/campaigns", Plan(product.Id, "Expansion", segmentId: segment.Id))).ReadAsync<CampaignDetail>();
        // Targeting by segment is profiling, so it needs both consents: one of three can be reached, through two contacts.
        Assert.Equal(new AudienceCount(3, 1, 2, 2), targeted.Audience);
        Assert.Equal(FitLevel.Warning, targeted.Fit.Single(f => f.Area == FitArea.Audience).Level);
        var everyone = await (await marketer.PostAsJsonAsync("/api/v1/campaigns/audience-preview", new { segmentId = (Guid?)null })).ReadAsync<AudienceCount>();
        Assert.Equal(new AudienceCount(3, 2, 1, 3), everyone);

        // Reach into the segment, as a registry metric over campaigns running in the period: one of three.
        var period = $"from={Today:yyyy-MM-dd}&to={Today.AddDays(60):yyyy-MM-dd}";
        async Task<double?> Reach() =>
            (await marketer.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/campaign.reach/value?{period}&segment=Pro", Json.Options))!.Value;
        Assert.Equal(33.33, await Reach());

        var csv = await marketer.GetStringAsync($"/api/v1/campaigns/{targeted.Campaign.Id}/audience.csv");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("customer,externalRef,contact,email", lines[0]);
        Assert.Equal(["ana@both.example", "ben@both.example"], lines.Skip(1).Select(l => l.Split(',')[3]).Order());
        Assert.DoesNotContain("profilingonly@", csv);
        Assert.DoesNotContain("marketingonly@", csv);

        // Withdrawing consent takes effect at once: the audience and the export shrink.
        (await pm.PostAsJsonAsync($"/api/v1/customers/{both.Id}/consent", new { purpose = "Marketing", granted = false, source = "unsubscribe link" })).EnsureSuccessStatusCode();
        var shrunk = await marketer.GetFromJsonAsync<CampaignDetail>($"/api/v1/campaigns/{targeted.Campaign.Id}", Json.Options);
        Assert.Equal(0, shrunk!.Audience.Audience);
        Assert.Equal(FitLevel.Warning, shrunk.Fit.Single(f => f.Area == FitArea.Audience).Level);
        Assert.Single((await marketer.GetStringAsync($"/api/v1/campaigns/{targeted.Campaign.Id}/audience.csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, await Reach());

        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var audit = await admin.GetFromJsonAsync<Page<Psm.Web.Features.Admin.AuditEntryDto>>(
            $"/api/v1/audit?entity=Campaign&entityKey={targeted.Campaign.Id}&action=Exported", Json.Options);
        Assert.Equal(2, audit!.Items.Count);
        Assert.All(audit.Items, e => Assert.Equal(PsmServer.EmailOf(Roles.Marketer), e.UserName));
        Assert.Contains("\"contacts\":2", audit.Items[^1].Changes);
        Assert.Contains("\"contacts\":0", audit.Items[0].Changes);
    }

    [Fact]
    public async Task ResultsAreCheckedReplacedImportedAndFeedTheRatesFlagsAndDecisions()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var legacy = await Product(pm, "Legacy CRM", LifecycleStage.Decline);
        var weak = (await (await marketer.PostAsJsonAsync("/api/v1/campaigns",
            Plan(legacy.Id, "Acquisition", startInDays: -20, days: 30, channels: ["Email", "Search"]))).ReadAsync<CampaignDetail>()).Campaign;
        var strong = (await (await marketer.PostAsJsonAsync("/api/v1/campaigns",
            Plan(legacy.Id, "Retention", startInDays: -20, days: 30, channels: ["Email"]))).ReadAsync<CampaignDetail>()).Campaign;
        object Row(int daysAgo, string channel, long impressions, long engagements, long conversions, decimal spend, decimal revenue = 0) =>
            new { day = Today.AddDays(-daysAgo), channel, impressions, engagements, conversions, spend, revenue };

        // A draft takes no results; nor does a cancelled campaign.
        Assert.Contains("draft", (await Errors(await marketer.PostAsJsonAsync($"/api/v1/campaigns/{weak.Id}/results", new { rows = new[] { Row(1, "Email", 10, 1, 0, 1) } })))["status"][0]);
        foreach (var id in new[] { weak.Id, strong.Id })
        {
            (await marketer.PutAsJsonAsync($"/api/v1/campaigns/{id}/status", new { status = "Scheduled" })).EnsureSuccessStatusCode();
            (await marketer.PutAsJsonAsync($"/api/v1/campaigns/{id}/status", new { status = "Running" })).EnsureSuccessStatusCode();
        }

        // Each bad row names its field; one bad row and nothing is written.
        var bad = await Errors(await marketer.PostAsJsonAsync($"/api/v1/campaigns/{weak.Id}/results", new
        {
            rows = new[] { Row(2, "Email", 100, 10, 1, 5), Row(3, "Email", 100, 10, 1, -5), Row(-1, "Email", 1, 1, 1, 1), Row(4, "Social", 1, 1, 1, 1) },
        }));
        Assert.Contains("rows[1].spend", bad.Keys);
        Assert.Contains("rows[2].day", bad.Keys);
        Assert.Contains("rows[3].channel", bad.Keys);
        Assert.Empty((await marketer.GetFromJsonAsync<List<CampaignResultDto>>($"/api/v1/campaigns/{weak.Id}/results", Json.Options))!);

        // Results land; the same day and channel again replaces the figures.
        (await marketer.PostAsJsonAsync($"/api/v1/campaigns/{weak.Id}/results", new { rows = new[] { Row(2, "Email", 999, 1, 1, 1), Row(2, "Search", 1000, 20, 2, 100, 300) } }))
            .EnsureSuccessStatusCode();
        (await marketer.PostAsJsonAsync($"/api/v1/campaigns/{weak.Id}/results", new { rows = new[] { Row(2, "Email", 1000, 30, 3, 50, 600) } })).EnsureSuccessStatusCode();
        Assert.Equal(2, (await marketer.GetFromJsonAsync<List<CampaignResultDto>>($"/api/v1/campaigns/{weak.Id}/results", Json.Options))!.Count);

        // CSV: a bad row stops the whole file unless the good rows are asked for.
        var file = $"Date,Medium,Shown,Clicks,Sales,Cost,Income\n{Today.AddDays(-5):yyyy-MM-dd},Email,1000,20,1,40,100\n{Today.AddDays(-6):yyyy-MM-dd},Fax,5,5,5,5,5\n";
        const string map = "day:Date,channel:Medium,impressions:Shown,engagements:Clicks,conversions:Sales,spend:Cost,revenue:Income";
        var refused = await marketer.PostAsync($"/api/v1/campaigns/{weak.Id}/results/import?map={Uri.EscapeDataString(map)}", new StringContent(file, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var report = await refused.ReadAsync<CsvImportResult>();
        Assert.False(report.Applied);
        Assert.Equal(new ImportRowProblem(3, "channel", "'Fax' is not a channel."), Assert.Single(report.Rejected));
        var partial = await (await marketer.PostAsync($"/api/v1/campaigns/{weak.Id}/results/import?allOrNothing=false&map={Uri.EscapeDataString(map)}",
            new StringContent(file, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        Assert.Equal(1, partial.Imported);

        // Totals and rates: impressions 3000, engagements 70, conversions 6, spend 190, revenue 1000.
        var summary = await marketer.GetFromJsonAsync<CampaignResultsView>($"/api/v1/campaigns/{weak.Id}/results/summary", Json.Options);
        Assert.Equal(new ResultTotals(3000, 70, 6, 190, 1000), summary!.Totals);
        Assert.Equal(70 / 3000.0 * 100, summary.Totals.EngagementRate!.Value, 6);
        Assert.Equal(31.67m, summary.Totals.CostPerAcquisition);
        Assert.Equal(190m, summary.Targets.Single(t => t.Name == "Budget spent").Actual);
        Assert.Empty(summary.Flags); // nothing to compare with yet

        // A sister campaign for the same product does far better: the weak one is flagged, with the causes PSM can see.
        (await marketer.PostAsJsonAsync($"/api/v1/campaigns/{strong.Id}/results", new { rows = new[] { Row(3, "Email", 5000, 600, 60, 100, 9000) } })).EnsureSuccessStatusCode();
        summary = await marketer.GetFromJsonAsync<CampaignResultsView>($"/api/v1/campaigns/{weak.Id}/results/summary", Json.Options);
        Assert.Contains(summary!.Flags, f => f.Rate == "Engagement rate" && f.Scope == "for this product" && f.Typical == 12);
        Assert.Contains(summary.LikelyCauses, c => c.Area == FitArea.Stage && c.Level == FitLevel.Problem);

        // Results that cannot be true are called out: revenue is attributed although nobody ordered the product in the window,
        // and 60 retention conversions came from an audience of nobody.
        Assert.Equal(["Revenue"], summary.Consistency.Select(w => w.Check));
        var strongDetail = await marketer.GetFromJsonAsync<CampaignDetail>($"/api/v1/campaigns/{strong.Id}", Json.Options);
        Assert.Equal(["Revenue", "Conversions"], strongDetail!.Consistency.Select(w => w.Check));
        var buyer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Buyer", email = "buyer@example.test", country = "DE" })).ReadAsync<Psm.Web.Features.Customers.CustomerDto>();
        (await pm.PostAsJsonAsync("/api/v1/orders", new { customerId = buyer.Id, productId = legacy.Id, amount = 5_000, currency = "EUR", orderedOn = Today.AddDays(-3) }))
            .EnsureSuccessStatusCode();
        Assert.Empty((await marketer.GetFromJsonAsync<CampaignResultsView>($"/api/v1/campaigns/{weak.Id}/results/summary", Json.Options))!.Consistency);
        Assert.Equal(["Revenue", "Conversions"], (await marketer.GetFromJsonAsync<CampaignDetail>($"/api/v1/campaigns/{strong.Id}", Json.Options))!.Consistency.Select(w => w.Check));

        // The rates are registry metrics, cut by channel, goal, stage and product.
        var from = Today.AddDays(-30).ToString("yyyy-MM-dd");
        var to = Today.AddDays(1).ToString("yyyy-MM-dd");
        async Task<double?> Metric(string key, string cut) =>
            (await marketer.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/{key}/value?from={from}&to={to}&{cut}", Json.Options))!.Value;
        Assert.Equal(Math.Round(50 / 2000.0 * 100, 2), await Metric("campaign.engagement_rate", "channel=Email&goal=Acquisition"));
        Assert.Equal(Math.Round(650 / 7000.0 * 100, 2), await Metric("campaign.engagement_rate", $"channel=Email&productId={legacy.Id}"));
        Assert.Equal(Math.Round(9000 / 100.0, 3), await Metric("campaign.return_on_spend", "goal=Retention&stage=Decline"));
        Assert.Equal((double)Math.Round(190m / 6, 2), await Metric("campaign.cost_per_acquisition", "goal=acquisition"));
        Assert.Contains("channel", (await Errors(await marketer.GetAsync($"/api/v1/metrics/campaign.conversion_rate/value?from={from}&to={to}&channel=Fax"))).Keys);
        Assert.Contains("channel", (await Errors(await marketer.GetAsync($"/api/v1/metrics/survey.nps/value?from={from}&to={to}&channel=Email"))).Keys);

        // The campaign page's KPIs include NPS for its product, before, during and after.
        var kpis = await marketer.GetFromJsonAsync<List<CampaignKpi>>($"/api/v1/campaigns/{weak.Id}/kpis", Json.Options);
        var nps = kpis!.Single(k => k.Key == "survey.nps");
        Assert.Equal("Legacy CRM", nps.Cut);
        Assert.Equal(weak.StartsOn, nps.During.From);
        Assert.Null(nps.After); // it has not ended

        // A joint review goes to the decision log, linked to the campaign; a cancelled campaign then takes no results.
        var decision = await (await marketer.PostAsJsonAsync($"/api/v1/campaigns/{weak.Id}/reviews",
            new { outcome = "Stop the push; move the budget to retention.", rationale = "The product is in Decline and the rates are a third of typical.", decidedBy = "Product and marketing" }))
            .ReadAsync<DecisionDto>();
        Assert.Equal(weak.Name, Assert.Single(decision.Campaigns).Name);
        Assert.Contains("Engagement rate", decision.Context);
        (await marketer.PutAsJsonAsync($"/api/v1/campaigns/{weak.Id}/status", new { status = "Cancelled" })).EnsureSuccessStatusCode();
        Assert.Contains("cancelled", (await Errors(await marketer.PostAsJsonAsync($"/api/v1/campaigns/{weak.Id}/results", new { rows = new[] { Row(1, "Email", 1, 1, 1, 1) } })))["status"][0]);

        // Campaigns show on the roadmap timeline; cancelled ones do not.
        var timeline = await pm.GetFromJsonAsync<TimelineDto>("/api/v1/roadmap/timeline", Json.Options);
        Assert.Equal([strong.Name], timeline!.Campaigns.Select(c => c.Name));
    }
}
