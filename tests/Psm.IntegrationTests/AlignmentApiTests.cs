using System.Net.Http.Json;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class AlignmentApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task ComputesTheScoreFromEffortAndListsTheGaps()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        async Task<ObjectiveDto> ActiveObjective(string title, bool withKeyResult)
        {
            var o = await (await pm.PostAsJsonAsync("/api/v1/objectives", new { title, periodStart = Today.AddDays(-10), periodEnd = Today.AddDays(80) }))
                .ReadAsync<ObjectiveDto>();
            if (withKeyResult)
            {
                await pm.PostAsJsonAsync($"/api/v1/objectives/{o.Summary.Id}/key-results",
                    new { title = "Measure", metricKey = "manual", baseline = 0, target = 10, direction = "Up" });
            }

            await pm.PostAsJsonAsync($"/api/v1/objectives/{o.Summary.Id}/activate", new { confirmSmartFailures = true });
            return o;
        }

        async Task Initiative(string title, decimal effort, Guid? serves)
        {
            var body = new
            {
                title, plannedStart = Today, plannedEnd = Today.AddDays(30),
                objectives = serves is { } id ? new[] { new { objectiveId = id, contribution = "" } } : [],
            };
            var i = await (await pm.PostAsJsonAsync("/api/v1/initiatives", body)).ReadAsync<InitiativeDto>();
            await pm.PutAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/scores", new { reach = 1, impact = 1, confidence = 100, effort });
            (await pm.PostAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/status", new { status = "InProgress" })).EnsureSuccessStatusCode();
        }

        var measured = await ActiveObjective("Raise satisfaction measurably", withKeyResult: true);
        await ActiveObjective("Be loved by everyone", withKeyResult: false);
        await Initiative("Serves the strategy", 6, measured.Summary.Id);
        await Initiative("Pet project", 2, null);

        var report = await pm.GetFromJsonAsync<AlignmentDto>("/api/v1/alignment", Json.Options);
        var window = $"from={Today:yyyy-MM-dd}&to={Today.AddDays(1):yyyy-MM-dd}";
        var score = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/alignment.score/value?{window}", Json.Options);
        var offStrategy = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/alignment.initiatives_off_strategy/value?{window}", Json.Options);

        Assert.Equal(75, report!.ScorePercent);
        Assert.Equal(8m, report.TotalEffort);
        Assert.Equal(["Be loved by everyone"], report.ObjectivesNoInitiativeServes.Select(o => o.Name));
        Assert.Equal(["Pet project"], report.InitiativesOutsideTheStrategy.Select(i => i.Name));
        Assert.Equal(["Be loved by everyone"], report.ObjectivesWithoutKeyResults.Select(o => o.Name));
        Assert.Equal(75, score!.Value);
        Assert.Equal(1, offStrategy!.Value);
    }
}
