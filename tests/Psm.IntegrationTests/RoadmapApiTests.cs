using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class RoadmapApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<InitiativeDto> Create(HttpClient client, string title, object? extra = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/initiatives", extra ?? new { title });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<InitiativeDto>();
    }

    private static async Task<IReadOnlyCollection<string>> Fields(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.ReadAsync<ProblemBody>()).Errors!.Keys;
    }

    [Fact]
    public async Task CreatesAnInitiativeServingAnObjectiveAndScoresItInAllThreeFrameworks()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var objective = await (await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Raise support satisfaction", periodStart = Today })).ReadAsync<ObjectiveDto>();
        var initiative = await Create(pm, "Self-service help centre", new
        {
            title = "Self-service help centre", problem = "Customers wait for answers they could find themselves.", team = "Support tools",
            objectives = new[] { new { objectiveId = objective.Summary.Id, contribution = "Fewer tickets, faster answers." } },
        });
        Assert.Equal(InitiativeStatus.Idea, initiative.Summary.Status);
        Assert.Equal("Fewer tickets, faster answers.", Assert.Single(initiative.Objectives).Contribution);

        var criteria = await pm.GetFromJsonAsync<List<CriterionDto>>("/api/v1/scoring-criteria", Json.Options);
        Assert.Equal(5, criteria!.Count);
        var scored = await pm.PutAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/scores", new
        {
            reach = 1000, impact = 2, confidence = 80, effort = 4, moscow = "Must",
            criteria = criteria.ToDictionary(c => c.Id, _ => 5),
        });
        var result = await scored.ReadAsync<InitiativeDto>();
        Assert.Equal(400m, result.Summary.RiceScore);
        Assert.Equal(100m, result.Summary.WeightedScore);
        Assert.Equal(Moscow.Must, result.Summary.Moscow);

        await pm.PutAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/scores",
            new { reach = 1000, impact = 1, confidence = 80, effort = 4, moscow = "Should" });
        var history = await pm.GetFromJsonAsync<List<ScoreChangeDto>>($"/api/v1/initiatives/{initiative.Summary.Id}/score-history", Json.Options);
        Assert.NotNull(history);
        Assert.Equal([200m, 400m], history.Select(h => h.RiceScore!.Value));
        Assert.Contains("Customer impact", history[1].Criteria);
    }

    [Fact]
    public async Task Returns400GivenBadScoresDatesOrADependencyCycle()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var a = await Create(pm, "A");
        var b = await Create(pm, "B", new { title = "B", dependsOn = new[] { a.Summary.Id } });

        Assert.Contains("effort", await Fields(await pm.PutAsJsonAsync($"/api/v1/initiatives/{a.Summary.Id}/scores",
            new { reach = 10, impact = 1, confidence = 50, effort = 0 })));
        Assert.Contains("confidence", await Fields(await pm.PutAsJsonAsync($"/api/v1/initiatives/{a.Summary.Id}/scores",
            new { reach = 10, impact = 1, confidence = 140, effort = 1 })));
        Assert.Contains("rice", await Fields(await pm.PutAsJsonAsync($"/api/v1/initiatives/{a.Summary.Id}/scores", new { reach = 10 })));
        Assert.Contains("PlannedEnd", await Fields(await pm.PostAsJsonAsync("/api/v1/initiatives",
            new { title = "Backwards", plannedStart = Today, plannedEnd = Today.AddDays(-3) })));
        Assert.Contains("DependsOn", await Fields(await pm.PutAsJsonAsync($"/api/v1/initiatives/{a.Summary.Id}",
            new { title = "A", dependsOn = new[] { b.Summary.Id }, version = a.Summary.Version })));
        Assert.Contains("Status", await Fields(await pm.PostAsJsonAsync($"/api/v1/initiatives/{a.Summary.Id}/status", new { status = "Planned" })));

        var stored = await pm.GetFromJsonAsync<InitiativeDto>($"/api/v1/initiatives/{a.Summary.Id}", Json.Options);
        Assert.Null(stored!.Summary.RiceScore);
        Assert.Empty(stored.DependsOn);
    }

    [Fact]
    public async Task MovesAcrossTheBoardAndStampsTheReleaseDate()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var initiative = await Create(pm, "Dated", new { title = "Dated", plannedStart = Today, plannedEnd = Today.AddDays(30) });

        foreach (var status in new[] { "Backlog", "Planned", "InProgress", "Released" })
        {
            var moved = await pm.PostAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/status", new { status });
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        var board = await pm.GetFromJsonAsync<List<InitiativeSummaryDto>>("/api/v1/initiatives/board", Json.Options);
        var card = Assert.Single(board!);
        Assert.Equal(InitiativeStatus.Released, card.Status);
        Assert.Equal(Today, card.ReleasedOn);

        // Moved back before release, it loses its release date.
        var back = await (await pm.PostAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/status", new { status = "InProgress" })).ReadAsync<InitiativeSummaryDto>();
        Assert.Null(back.ReleasedOn);
    }

    [Fact]
    public async Task RanksByTheChosenFrameworkAndFlagsDisagreements()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var plans = new[] { ("Low must", 10, "Must"), ("Mid", 100, "Could"), ("High", 200, "Should"), ("Top wont", 400, "Wont") };
        foreach (var (title, reach, moscow) in plans)
        {
            var i = await Create(pm, title);
            await pm.PutAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/scores", new { reach, impact = 1, confidence = 100, effort = 1, moscow });
        }

        var byRice = await pm.GetFromJsonAsync<List<RankedInitiative>>("/api/v1/prioritisation?framework=Rice", Json.Options);
        var byMoscow = await pm.GetFromJsonAsync<List<RankedInitiative>>("/api/v1/prioritisation?framework=Moscow", Json.Options);

        Assert.NotNull(byRice);
        Assert.Equal(["Top wont", "High", "Mid", "Low must"], byRice.Select(r => r.Initiative.Title));
        Assert.Equal(["Low must", "High", "Mid", "Top wont"], byMoscow!.Select(r => r.Initiative.Title));
        Assert.Contains("A Must with a bottom-quartile RICE score.", byRice.Single(r => r.Initiative.Title == "Low must").Disagreements);
        Assert.Contains("Won't this time, yet a top-quartile RICE score.", byRice.Single(r => r.Initiative.Title == "Top wont").Disagreements);
    }

    [Fact]
    public async Task RecomputesWeightedScoresWhenTheModelChanges()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var criteria = await pm.GetFromJsonAsync<List<CriterionDto>>("/api/v1/scoring-criteria", Json.Options);
        var i = await Create(pm, "Weighted");
        await pm.PutAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/scores",
            new { criteria = new Dictionary<Guid, int> { [criteria![0].Id] = 5, [criteria[1].Id] = 1 } });

        var model = await pm.PutAsJsonAsync("/api/v1/scoring-criteria", new[]
        {
            new { id = (Guid?)criteria[0].Id, name = "Customer impact", description = "", weight = 3m },
            new { id = (Guid?)criteria[1].Id, name = "Business viability", description = "", weight = 1m },
        });

        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        var read = await pm.GetFromJsonAsync<InitiativeDto>($"/api/v1/initiatives/{i.Summary.Id}", Json.Options);
        Assert.Equal(75m, read!.Summary.WeightedScore);
        Assert.Equal(2, read.Criteria.Count);
    }

    [Fact]
    public async Task LetsAStakeholderReadButNotReprioritise()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var i = await Create(pm, "Guarded");

        Assert.Equal(HttpStatusCode.OK, (await stakeholder.GetAsync("/api/v1/prioritisation")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PutAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/scores", new { moscow = "Must" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/status", new { status = "Backlog" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PutAsJsonAsync("/api/v1/scoring-criteria", new[] { new { name = "Only", weight = 1 } })).StatusCode);
    }

    [Fact]
    public async Task RefusesAnInitiativeOnARetiredProduct()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Old Pager", stage = "Decline" })).ReadAsync<ProductDto>();
        await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Retired", reason = "Gone." });

        var response = await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Pager 2.0", productIds = new[] { product.Id } });

        Assert.Contains("no new initiatives", (await response.ReadAsync<ProblemBody>()).Errors!["productId"][0]);
    }
}
