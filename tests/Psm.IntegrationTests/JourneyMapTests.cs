using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class JourneyMapTests
{
    [Fact]
    public async Task StagesShowTheVolumeAndSentimentOfTheFeedbackLinkedToTheirPainPoints()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var persona = await (await pm.PostAsJsonAsync("/api/v1/personas", new { name = "Marco, technician" })).ReadAsync<PersonaDto>();

        var missing = await pm.PostAsJsonAsync("/api/v1/journey-maps", new { name = "No one's journey" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        var map = await (await pm.PostAsJsonAsync("/api/v1/journey-maps", new { name = "A day on site", personaId = persona.Id })).ReadAsync<JourneyMapDto>();
        Assert.Equal(Journeys.DefaultStages, map.Stages.Select(s => s.Name));
        var use = map.Stages.Single(s => s.Name == "Use");

        var tooStrong = await pm.PostAsJsonAsync($"/api/v1/journey-maps/{map.Id}/stages/{use.Id}/touchpoints", new { name = "Notes", emotion = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, tooStrong.StatusCode);
        map = await (await pm.PostAsJsonAsync($"/api/v1/journey-maps/{map.Id}/stages/{use.Id}/touchpoints",
            new { name = "Writes notes offline", channel = "mobile", emotion = -2, painPoint = "Notes get lost" })).ReadAsync<JourneyMapDto>();
        var touchpoint = map.Stages.Single(s => s.Name == "Use").Touchpoints.Single();

        var angry = await (await pm.PostAsJsonAsync("/api/v1/feedback", new { text = "Terrible, the app lost my notes", channel = "InApp" })).ReadAsync<FeedbackDto>();
        var calm = await (await pm.PostAsJsonAsync("/api/v1/feedback", new { text = "Notes sync later, fine", channel = "InApp" })).ReadAsync<FeedbackDto>();
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Offline notes" })).ReadAsync<InitiativeDto>();
        foreach (var link in new object[] { new { feedbackId = angry.Id }, new { feedbackId = calm.Id }, new { feedbackId = angry.Id }, new { initiativeId = initiative.Summary.Id } })
        {
            (await pm.PostAsJsonAsync($"/api/v1/touchpoints/{touchpoint.Id}/links", link)).EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.BadRequest,
            (await pm.PostAsJsonAsync($"/api/v1/touchpoints/{touchpoint.Id}/links", new { feedbackId = angry.Id, initiativeId = initiative.Summary.Id })).StatusCode);

        var shown = await pm.GetFromJsonAsync<JourneyMapDto>($"/api/v1/journey-maps/{map.Id}", Json.Options);
        var stage = shown!.Stages.Single(s => s.Name == "Use");
        Assert.Equal(2, stage.FeedbackItems); // linked twice, counted once
        Assert.Equal((angry.Sentiment + calm.Sentiment) / 2, stage.AverageSentiment!.Value, 3);
        Assert.Equal(-2, stage.AverageEmotion);
        var point = Assert.Single(stage.Touchpoints);
        Assert.Equal("Notes get lost", point.PainPoint);
        Assert.Equal("Offline notes", Assert.Single(point.Initiatives).Name);
        Assert.Equal(0, shown.Stages.Single(s => s.Name == "Support").FeedbackItems);

        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.DeleteAsync($"/api/v1/touchpoints/{touchpoint.Id}")).StatusCode);
        Assert.Single((await stakeholder.GetFromJsonAsync<List<JourneyMapSummaryDto>>("/api/v1/journey-maps", Json.Options))!);
    }
}
