using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class RoadmapHistoryTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<InitiativeDto> Initiative(HttpClient client, string title, object? body = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/initiatives", body ?? new { title });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<InitiativeDto>();
    }

    [Fact]
    public async Task AReviewSnapshotsTheRoadmapAndTheNextOneShowsWhatChanged()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var keep = await Initiative(pm, "Keep", new { title = "Keep", plannedStart = Today, plannedEnd = Today.AddDays(30) });
        var drop = await Initiative(pm, "Drop");
        await pm.PutAsJsonAsync($"/api/v1/initiatives/{keep.Summary.Id}/scores", new { reach = 100, impact = 1, confidence = 100, effort = 1, moscow = "Should" });

        Assert.Equal(HttpStatusCode.BadRequest, (await pm.PostAsJsonAsync("/api/v1/roadmap/reviews", new { title = "Future", heldOn = Today.AddDays(3) })).StatusCode);
        var first = await (await pm.PostAsJsonAsync("/api/v1/roadmap/reviews",
            new { title = "Q1 review", heldOn = Today.AddDays(-1), attendees = "PM, support", decisions = "Keep going" })).ReadAsync<ReviewDto>();
        Assert.Equal(2, first.Snapshot.Count);
        Assert.Equal(1, first.Snapshot.Single(s => s.Title == "Keep").Rank);

        await pm.PutAsJsonAsync($"/api/v1/initiatives/{keep.Summary.Id}/schedule", new { plannedStart = Today.AddDays(14), plannedEnd = Today.AddDays(60) });
        await pm.PutAsJsonAsync($"/api/v1/initiatives/{keep.Summary.Id}/scores", new { reach = 300, impact = 1, confidence = 100, effort = 1, moscow = "Must" });
        await pm.PostAsJsonAsync($"/api/v1/initiatives/{drop.Summary.Id}/status", new { status = "Dropped" });
        await Initiative(pm, "New");
        var second = await (await pm.PostAsJsonAsync("/api/v1/roadmap/reviews", new { title = "Q2 review" })).ReadAsync<ReviewDto>();

        // Either order: the earlier review is "before".
        var diff = await pm.GetFromJsonAsync<ReviewDiffDto>($"/api/v1/roadmap/reviews/compare?from={second.Id}&to={first.Id}", Json.Options);
        Assert.Equal(["New"], diff!.Added.Select(c => c.Title));
        Assert.Equal(["Drop"], diff.Dropped.Select(c => c.Title));
        Assert.Equal(["Keep"], diff.Moved.Select(c => c.Title));
        Assert.Equal(("100", "300"), (diff.Rescored.Single().Before, diff.Rescored.Single().After));
        Assert.Contains(diff.Reprioritised, c => c.What == "MoSCoW" && c.After == "Must");
        Assert.Equal(HttpStatusCode.BadRequest, (await pm.GetAsync($"/api/v1/roadmap/reviews/compare?from={first.Id}")).StatusCode);

        var action = await (await pm.PostAsJsonAsync($"/api/v1/roadmap/reviews/{second.Id}/action-items",
            new { text = "Tell sales", owner = "Dana", dueOn = Today.AddDays(-1) })).ReadAsync<ActionItemDto>();
        Assert.True(action.Overdue);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await pm.PostAsJsonAsync($"/api/v1/roadmap/reviews/{second.Id}/action-items", new { text = "Nobody's job" })).StatusCode);
        var done = await (await pm.PutAsJsonAsync($"/api/v1/action-items/{action.Id}",
            new { text = "Tell sales", owner = "Dana", status = "Done", version = action.Version })).ReadAsync<ActionItemDto>();
        Assert.False(done.Overdue);
        Assert.Equal(HttpStatusCode.Conflict, (await pm.PutAsJsonAsync($"/api/v1/action-items/{action.Id}",
            new { text = "Tell sales", owner = "Dana", status = "Open", version = action.Version })).StatusCode);

        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/v1/roadmap/reviews", new { title = "Mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/api/v1/roadmap/reviews", new { title = "Mine" })).StatusCode);
        Assert.Equal(2, (await stakeholder.GetFromJsonAsync<List<ReviewSummaryDto>>("/api/v1/roadmap/reviews", Json.Options))!.Count);
    }

    [Fact]
    public async Task RetrospectivesKeepWhatWentWellWhatToImproveAndTheirActions()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PostAsJsonAsync("/api/v1/retrospectives", new { title = "Empty" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await agent.PostAsJsonAsync("/api/v1/retrospectives", new { title = "Ghost", wentWell = "x", initiativeId = Guid.NewGuid() })).StatusCode);
        var retro = await (await agent.PostAsJsonAsync("/api/v1/retrospectives",
            new { title = "After the release", wentWell = "Shipped on time", toImprove = "Test earlier" })).ReadAsync<RetrospectiveDto>();
        await agent.PostAsJsonAsync($"/api/v1/retrospectives/{retro.Id}/action-items", new { text = "Add a test stage", owner = "Sam", dueOn = Today.AddDays(7) });
        var listed = Assert.Single((await agent.GetFromJsonAsync<List<RetrospectiveDto>>("/api/v1/retrospectives", Json.Options))!);
        Assert.Equal("Add a test stage", Assert.Single(listed.ActionItems).Text);
    }

    [Fact]
    public async Task ASharedLinkShowsOnlyWhatItsOwnerChoseUntilRevoked()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var planned = await Initiative(pm, "Public plan", new { title = "Public plan", problem = "Secret problem", plannedStart = new DateOnly(2026, 2, 10), plannedEnd = new DateOnly(2026, 3, 1) });
        await pm.PutAsJsonAsync($"/api/v1/initiatives/{planned.Summary.Id}/scores", new { reach = 10, impact = 1, confidence = 50, effort = 1 });
        await pm.PostAsJsonAsync($"/api/v1/initiatives/{planned.Summary.Id}/status", new { status = "Planned" });
        await Initiative(pm, "Only an idea");

        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/v1/roadmap/shares", new { title = "Mine" })).StatusCode);
        var share = await (await pm.PostAsJsonAsync("/api/v1/roadmap/shares", new { title = "For the board" })).ReadAsync<RoadmapShareDto>();
        Assert.True(share.Token.Length >= 22);

        using var visitor = app.Anonymous();
        var view = await visitor.GetFromJsonAsync<SharedRoadmapDto>($"/api/v1/public/roadmaps/{share.Token}", Json.Options);
        var quarter = Assert.Single(view!.Quarters);
        Assert.Equal("Q1 2026", quarter.Quarter);
        var item = Assert.Single(quarter.Initiatives);
        Assert.Equal("Public plan", item.Title);
        Assert.Null(item.RiceScore);
        Assert.Null(item.Start);
        Assert.Null(item.Problem);
        var raw = await visitor.GetStringAsync($"/api/v1/public/roadmaps/{share.Token}");
        Assert.DoesNotContain("Secret problem", raw);
        Assert.DoesNotContain("Only an idea", raw);
        Assert.Contains("Public plan", await visitor.GetStringAsync(share.Path));

        (await pm.DeleteAsync($"/api/v1/roadmap/shares/{share.Id}")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync($"/api/v1/public/roadmaps/{share.Token}")).StatusCode);
        Assert.Contains("does not work", await visitor.GetStringAsync(share.Path));
    }

    [Fact]
    public async Task TheTimelineFlagsOverrunsAndEarlyStartsAndBarsCanBeMoved()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var late = await Initiative(pm, "Late", new { title = "Late", plannedStart = Today.AddDays(-40), plannedEnd = Today.AddDays(-5) });
        await pm.PostAsJsonAsync($"/api/v1/initiatives/{late.Summary.Id}/status", new { status = "InProgress" });
        var waits = await Initiative(pm, "Waits", new { title = "Waits", plannedStart = Today.AddDays(-10), plannedEnd = Today.AddDays(20), dependsOn = new[] { late.Summary.Id } });
        await Initiative(pm, "Unscheduled");

        var timeline = await pm.GetFromJsonAsync<TimelineDto>("/api/v1/roadmap/timeline", Json.Options);
        var bars = timeline!.Groups.SelectMany(g => g.Bars).ToDictionary(b => b.Title);
        Assert.True(bars["Late"].Overrun);
        Assert.True(bars["Waits"].StartsBeforeDependency);
        Assert.Equal([late.Summary.Id], bars["Waits"].DependsOn);
        Assert.Equal(1, timeline.Unscheduled);
        Assert.Equal("No product", Assert.Single(timeline.Groups).Name);

        Assert.Equal(HttpStatusCode.BadRequest, (await pm.PutAsJsonAsync($"/api/v1/initiatives/{waits.Summary.Id}/schedule",
            new { plannedStart = Today, plannedEnd = Today.AddDays(-1) })).StatusCode);
        var moved = await (await pm.PutAsJsonAsync($"/api/v1/initiatives/{waits.Summary.Id}/schedule",
            new { plannedStart = Today, plannedEnd = Today.AddDays(30) })).ReadAsync<TimelineBar>();
        Assert.False(moved.StartsBeforeDependency);
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PutAsJsonAsync($"/api/v1/initiatives/{waits.Summary.Id}/schedule",
            new { plannedStart = Today, plannedEnd = Today.AddDays(1) })).StatusCode);
    }

    [Fact]
    public async Task AReleasedInitiativeShowsItsKeyResultsBeforeAndAfterTheRelease()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var objective = await (await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Cut handling time", periodStart = Today.AddDays(-60), periodEnd = Today.AddDays(60) })).ReadAsync<ObjectiveDto>();
        var kr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{objective.Summary.Id}/key-results",
            new { title = "Minutes per ticket", metricKey = "manual", baseline = 30, target = 20, direction = "Down" })).ReadAsync<KeyResultDto>();
        var other = await (await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Unrelated", periodStart = Today.AddDays(-60), periodEnd = Today.AddDays(60) })).ReadAsync<ObjectiveDto>();
        var otherKr = await (await pm.PostAsJsonAsync($"/api/v1/objectives/{other.Summary.Id}/key-results",
            new { title = "Other", metricKey = "manual", baseline = 0, target = 1, direction = "Up" })).ReadAsync<KeyResultDto>();
        foreach (var (daysAgo, value) in new[] { (30, 29), (15, 27), (5, 22) })
        {
            (await pm.PostAsJsonAsync($"/api/v1/key-results/{kr.Id}/check-ins", new { date = Today.AddDays(-daysAgo), value, confidence = "OnTrack" })).EnsureSuccessStatusCode();
        }

        var initiative = await Initiative(pm, "Macros", new
        {
            title = "Macros", plannedStart = Today.AddDays(-40), plannedEnd = Today.AddDays(-12),
            objectives = new[] { new { objectiveId = objective.Summary.Id, contribution = "Fewer keystrokes" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, (await pm.PostAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/status",
            new { status = "Released", releasedOn = Today.AddDays(2) })).StatusCode);
        (await pm.PostAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/status", new { status = "Released", releasedOn = Today.AddDays(-10) }))
            .EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.BadRequest, (await pm.PutAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/key-results",
            new { keyResultIds = new[] { otherKr.Id } })).StatusCode);
        var impact = await (await pm.PutAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/key-results",
            new { keyResultIds = new[] { kr.Id } })).ReadAsync<ReleaseImpactDto>();
        var row = Assert.Single(impact.KeyResults);
        Assert.Equal(Today.AddDays(-10), impact.ReleasedOn);
        Assert.Equal((27, 22), (row.Before, row.After));
        Assert.Equal(-5, row.Change);
        Assert.True(row.Improved); // down is better here
    }

    [Fact]
    public async Task EffortByObjectiveTypeIsComparedWithLeadershipsWeights()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var money = await (await pm.PostAsJsonAsync("/api/v1/objectives",
            new { title = "Grow revenue", type = "Financial", periodStart = Today.AddDays(-10), periodEnd = Today.AddDays(80) })).ReadAsync<ObjectiveDto>();
        await pm.PostAsJsonAsync($"/api/v1/objectives/{money.Summary.Id}/activate", new { confirmSmartFailures = true });
        var work = await Initiative(pm, "Upsell", new
        {
            title = "Upsell", plannedStart = Today, plannedEnd = Today.AddDays(30), objectives = new[] { new { objectiveId = money.Summary.Id, contribution = "" } },
        });
        await pm.PutAsJsonAsync($"/api/v1/initiatives/{work.Summary.Id}/scores", new { reach = 1, impact = 1, confidence = 100, effort = 4 });
        await pm.PostAsJsonAsync($"/api/v1/initiatives/{work.Summary.Id}/status", new { status = "InProgress" });

        Assert.Equal(HttpStatusCode.BadRequest, (await pm.PutAsJsonAsync("/api/v1/alignment/type-weights",
            new { weights = new { Financial = 50, CustomerSatisfaction = 40 } })).StatusCode);
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PutAsJsonAsync("/api/v1/alignment/type-weights",
            new { weights = new { Financial = 100 } })).StatusCode);
        (await pm.PutAsJsonAsync("/api/v1/alignment/type-weights", new { weights = new { Financial = 40, CustomerSatisfaction = 60 } })).EnsureSuccessStatusCode();

        var report = await pm.GetFromJsonAsync<AlignmentDto>("/api/v1/alignment", Json.Options);
        var financial = report!.EffortByObjectiveType.Single(r => r.Type == ObjectiveType.Financial);
        Assert.Equal((100, 40m, 60), (financial.ActualPercent, financial.TargetPercent!.Value, financial.GapPoints!.Value));
        Assert.True(financial.OffTarget);
        Assert.True(report.EffortByObjectiveType.Single(r => r.Type == ObjectiveType.CustomerSatisfaction).OffTarget);
    }
}
