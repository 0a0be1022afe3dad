using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

public sealed class StrategyApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<(ProductDto Product, ObjectiveDto Objective)> CreateObjective(HttpClient client, string title = "Raise helpdesk customer satisfaction")
    {
        var product = await (await client.PostAsJsonAsync("/api/v1/products", new { name = $"Helpdesk {Guid.NewGuid():N}" }))
            .ReadAsync<ProductDto>();
        var response = await client.PostAsJsonAsync("/api/v1/objectives", new
        {
            title, description = "Customers on Helpdesk rate support 4.5 or better after each ticket.",
            type = "CustomerSatisfaction", periodStart = Today.AddDays(-30), periodEnd = Today.AddDays(60),
            productIds = new[] { product.Id },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (product, await response.ReadAsync<ObjectiveDto>());
    }

    [Fact]
    public async Task TracksProgressFromCheckInsAndTheSmartCheckFollows()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var (_, objective) = await CreateObjective(pm);
        Assert.Equal(ObjectiveStatus.Draft, objective.Summary.Status);
        Assert.False(objective.Smart.Criteria.Single(c => c.Name == "Measurable").Passes);

        var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/key-results",
            new { title = "CSAT", metricKey = "manual", baseline = 4.0, target = 4.5, unit = "points", direction = "Up" })).ReadAsync<KeyResultDto>();
        var checkIn = await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins",
            new { value = 4.25, confidence = "OnTrack", note = "Better macros." });
        Assert.Equal(HttpStatusCode.Created, checkIn.StatusCode);

        var read = await pm.GetFromJsonAsync<ObjectiveDto>($"/api/v1/objectives/{objective.Summary.Id}", Json.Options);
        Assert.Equal(50, read!.Summary.Progress!.Value, 3);
        Assert.Equal(4.25, read.KeyResults.Single().Current!.Value, 3);
        Assert.True(read.Smart.Criteria.Single(c => c.Name == "Measurable").Passes);
        Assert.Equal(Confidence.OnTrack, read.KeyResults.Single().LatestConfidence);
    }

    [Fact]
    public async Task AsksForConfirmationBeforeActivatingAnObjectiveThatFailsSmart()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var (_, objective) = await CreateObjective(pm);

        var refused = await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/activate", new { confirmSmartFailures = false });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("smart.Measurable", (await refused.ReadAsync<ProblemBody>()).Errors!.Keys);

        var confirmed = await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/activate", new { confirmSmartFailures = true });
        Assert.Equal(ObjectiveStatus.Active, (await confirmed.ReadAsync<ObjectiveDto>()).Summary.Status);
    }

    [Fact]
    public async Task Returns400WithTheFieldAtFault()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var (_, objective) = await CreateObjective(pm);
        var id = objective.Summary.Id;

        async Task<IReadOnlyCollection<string>> Fields(HttpResponseMessage r)
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            return (await r.ReadAsync<ProblemBody>()).Errors!.Keys;
        }

        Assert.Contains("PeriodEnd", await Fields(await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Backwards", periodStart = Today, periodEnd = Today.AddDays(-1) })));
        Assert.Contains("Title", await Fields(await pm.PostAsJsonAsync("/api/v1/objectives", new { title = "", periodStart = Today })));
        Assert.Contains("OwnerId", await Fields(await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Owned by nobody", periodStart = Today, ownerId = Guid.NewGuid() })));
        Assert.Contains("Unit", await Fields(await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/key-results",
            new { title = "New logos", metricKey = "customers.new", baseline = 0, target = 50, unit = "EUR", direction = "Up" })));
        Assert.Contains("MetricKey", await Fields(await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/key-results",
            new { title = "Mystery", metricKey = "nope.metric", baseline = 0, target = 5, direction = "Up" })));
        Assert.Contains("Target", await Fields(await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/key-results",
            new { title = "Backwards", metricKey = "manual", baseline = 10, target = 5, direction = "Up" })));
        var derived = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/key-results",
            new { title = "New logos", metricKey = "customers.new", baseline = 0, target = 50, direction = "Up" })).ReadAsync<KeyResultDto>();
        Assert.Equal("customers", derived.Unit);
        Assert.Contains("Value", await Fields(await pm.PostAsJsonAsync($"/api/v1/key-results/{derived.Id}/check-ins",
            new { value = 12, confidence = "OnTrack" })));
    }

    [Fact]
    public async Task ComputesADerivedKeyResultFromTheMetricRegistry()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var (_, objective) = await CreateObjective(pm, "Win new customers for Helpdesk");
        var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/key-results",
            new { title = "New logos", metricKey = "customers.new", baseline = 0, target = 4, direction = "Up" })).ReadAsync<KeyResultDto>();
        Assert.Equal(0, kr.Current);

        for (var i = 0; i < 3; i++)
        {
            await pm.PostAsJsonAsync("/api/v1/customers", new { name = $"Logo {i}", email = $"l{i}@example.com", country = "DE", employees = 9 });
        }

        var checkIn = await (await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { confidence = "AtRisk" }))
            .ReadAsync<CheckInDto>();
        var read = await pm.GetFromJsonAsync<ObjectiveDto>($"/api/v1/objectives/{objective.Summary.Id}", Json.Options);

        Assert.Equal(3m, checkIn.Value);
        Assert.Equal(75, read!.Summary.Progress!.Value, 3);
    }

    [Fact]
    public async Task EvaluatesMetricsAsValuesAndSeriesComputedInTheDatabase()
    {
        await using var app = new PsmServer(new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var from = new DateOnly(Today.Year - 2, Today.Month, 1);
        var to = new DateOnly(Today.Year, Today.Month, 1);

        var metrics = await client.GetFromJsonAsync<List<MetricDefinition>>("/api/v1/metrics", Json.Options);
        var total = await client.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/customers.new/value?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}", Json.Options);
        var series = await client.GetFromJsonAsync<List<MetricPoint>>(
            $"/api/v1/metrics/customers.new/series?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity=Month", Json.Options);
        var quarters = await client.GetFromJsonAsync<List<MetricPoint>>(
            $"/api/v1/metrics/customers.new/series?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity=Quarter", Json.Options);
        var weeks = await client.GetFromJsonAsync<List<MetricPoint>>(
            $"/api/v1/metrics/customers.new/series?from={to.AddDays(-56):yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity=Week", Json.Options);

        Assert.Contains(metrics!, m => m.Key == "strategy.objectives_at_risk" && m.Better == BetterDirection.Down);
        Assert.Equal(24, series!.Count);
        Assert.All(series, p => Assert.Equal(1, p.Bucket.Day));
        Assert.Equal(total!.Value, series.Sum(p => p.Value ?? 0));
        Assert.True(total.Value > 100);
        Assert.Equal(total.Value, quarters!.Sum(p => p.Value ?? 0));
        Assert.All(weeks!, p => Assert.Equal(DayOfWeek.Monday, p.Bucket.DayOfWeek));
        Assert.InRange(weeks!.Count, 8, 9);

        var badCut = await client.GetAsync($"/api/v1/metrics/customers.new/value?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&productId={Guid.NewGuid()}");
        var noPeriod = await client.GetAsync("/api/v1/metrics/customers.new/value");
        Assert.Contains("productId", (await badCut.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("from", (await noPeriod.ReadAsync<ProblemBody>()).Errors!.Keys);
    }

    [Fact]
    public async Task CountsActiveObjectivesAtRisk()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var (_, objective) = await CreateObjective(pm);
        var id = objective.Summary.Id;
        var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/key-results",
            new { title = "CSAT", metricKey = "manual", baseline = 4.0, target = 4.5, direction = "Up" })).ReadAsync<KeyResultDto>();
        await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { value = 4.0, confidence = "OffTrack" });
        await pm.PostAsJsonAsync($"/api/v1/objectives/{id}/activate", new { confirmSmartFailures = true });
        var window = $"from={Today.AddDays(-1):yyyy-MM-dd}&to={Today.AddDays(1):yyyy-MM-dd}";

        // A third of the period gone, no progress: at risk with the 15-point margin.
        var atRisk = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/strategy.objectives_at_risk/value?{window}", Json.Options);
        var list = await pm.GetFromJsonAsync<Page<ObjectiveSummaryDto>>("/api/v1/objectives?status=Active", Json.Options);
        Assert.Equal(1, atRisk!.Value);
        Assert.True(Assert.Single(list!.Items).AtRisk);

        await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { value = 4.3, confidence = "OnTrack" });
        var after = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/strategy.objectives_at_risk/value?{window}", Json.Options);
        Assert.Equal(0, after!.Value);
    }

    [Fact]
    public async Task Returns409GivenAStaleVersionAndForbidsAStakeholder()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var (product, objective) = await CreateObjective(pm);
        object Edit(string title) => new
        {
            title, description = "d", type = "Financial", periodStart = Today, periodEnd = Today.AddDays(90),
            productIds = new[] { product.Id }, version = objective.Summary.Version,
        };

        Assert.Equal(HttpStatusCode.OK, (await pm.PutAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}", Edit("First edit wins"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await pm.PutAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}", Edit("Second edit loses"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/v1/objectives", new { title = "x", periodStart = Today })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await stakeholder.GetAsync($"/api/v1/objectives/{objective.Summary.Id}")).StatusCode);
        var read = await pm.GetFromJsonAsync<ObjectiveDto>($"/api/v1/objectives/{objective.Summary.Id}", Json.Options);
        Assert.Equal("First edit wins", read!.Summary.Title);
    }

    [Fact]
    public async Task RefusesAnObjectiveForARetiredProduct()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Old Fax", stage = "Decline" })).ReadAsync<ProductDto>();
        await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Retired", reason = "Gone." });

        var response = await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Grow fax revenue again", periodStart = Today, productIds = new[] { product.Id } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no new objectives", (await response.ReadAsync<ProblemBody>()).Errors!["productId"][0]);
    }

    [Fact]
    public async Task ExportsTheSameProgressTheListShows()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        foreach (var (title, value) in new[] { ("Grow helpdesk revenue steadily", 450m), ("Cut helpdesk backlog by half", 420m) })
        {
            var (_, objective) = await CreateObjective(pm, title);
            var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/key-results",
                new { title = "MRR", metricKey = "manual", baseline = 400, target = 500, direction = "Up" })).ReadAsync<KeyResultDto>();
            await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { value, confidence = "OnTrack" });
        }

        var list = await pm.GetFromJsonAsync<Page<ObjectiveSummaryDto>>("/api/v1/objectives?sort=Name", Json.Options);
        var csv = (await pm.GetStringAsync("/api/v1/objectives/export.csv?sort=Name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal([20.0, 50.0], list!.Items.Select(o => Math.Round(o.Progress!.Value, 1)));
        Assert.Equal(3, csv.Length);
        Assert.Contains("Cut helpdesk backlog by half,CustomerSatisfaction,Draft,", csv[1]);
        Assert.Contains(",20,no,1", csv[1]);
        Assert.Contains(",50,no,1", csv[2]);
    }

    [Fact]
    public async Task UsesTheConfiguredAtRiskMargin()
    {
        await using var app = new PsmServer(new Dictionary<string, string?> { ["Strategy:AtRiskMarginPoints"] = "50" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var (_, objective) = await CreateObjective(pm);
        var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/key-results",
            new { title = "CSAT", metricKey = "manual", baseline = 4.0, target = 4.5, direction = "Up" })).ReadAsync<KeyResultDto>();
        await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { value = 4.0, confidence = "OffTrack" });
        await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/activate", new { confirmSmartFailures = true });

        // A third of the period gone and no progress: at risk with the default 15 points, not with 50.
        var read = await pm.GetFromJsonAsync<ObjectiveDto>($"/api/v1/objectives/{objective.Summary.Id}", Json.Options);

        Assert.False(read!.Summary.AtRisk);
        Assert.Equal(0, read.Summary.Progress);
    }
}
