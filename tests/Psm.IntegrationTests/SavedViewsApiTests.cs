using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Views;
using Psm.Web.Infrastructure.Auth;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class SavedViewsApiTests
{
    [Fact]
    public async Task AViewIsTheOwnersSharedOnlyWithTheRoleTheyChoseAndOneDefaultAtATime()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var lead = await app.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));

        var created = await agent.PostAsJsonAsync("/api/v1/saved-views",
            new { list = "queue", name = "Urgent, all", query = "?view=All&priority=Urgent", sharedWithRole = "SupportLead", isDefault = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var urgent = await created.ReadAsync<SavedViewDto>();
        Assert.Equal(("view=All&priority=Urgent", true, true), (urgent.Query, urgent.Mine, urgent.IsDefault));

        var leads = await lead.GetFromJsonAsync<List<SavedViewDto>>("/api/v1/saved-views?list=queue", Json.Options);
        var shared = Assert.Single(leads!);
        Assert.False(shared.Mine);
        Assert.Empty((await stakeholder.GetFromJsonAsync<List<SavedViewDto>>("/api/v1/saved-views?list=queue", Json.Options))!);
        Assert.Equal(HttpStatusCode.NotFound, (await lead.DeleteAsync($"/api/v1/saved-views/{urgent.Id}")).StatusCode);

        // A second default replaces the first.
        var mine = await (await agent.PostAsJsonAsync("/api/v1/saved-views", new { list = "queue", name = "Mine", query = "view=Mine", isDefault = true })).ReadAsync<SavedViewDto>();
        var views = await agent.GetFromJsonAsync<List<SavedViewDto>>("/api/v1/saved-views?list=queue", Json.Options);
        Assert.Equal([(mine.Id, true), (urgent.Id, false)], views!.OrderBy(v => v.Name).Select(v => (v.Id, v.IsDefault)));

        // Bad input names the field; nothing is stored.
        Assert.Contains("list", (await Errors(await agent.PostAsJsonAsync("/api/v1/saved-views", new { list = "nope", name = "x" }))).Keys);
        Assert.Contains("query", (await Errors(await agent.PostAsJsonAsync("/api/v1/saved-views", new { list = "queue", name = "x", query = "colour=red" }))).Keys);
        Assert.Contains("sharedWithRole", (await Errors(await agent.PostAsJsonAsync("/api/v1/saved-views", new { list = "queue", name = "x", sharedWithRole = "Boss" }))).Keys);
        Assert.Contains("name", (await Errors(await agent.PostAsJsonAsync("/api/v1/saved-views", new { list = "queue", name = "" }))).Keys);
        Assert.Equal(2, (await agent.GetFromJsonAsync<List<SavedViewDto>>("/api/v1/saved-views?list=queue", Json.Options))!.Count);

        Assert.Equal(HttpStatusCode.NoContent, (await agent.DeleteAsync($"/api/v1/saved-views/{urgent.Id}")).StatusCode);
        Assert.Empty((await lead.GetFromJsonAsync<List<SavedViewDto>>("/api/v1/saved-views?list=queue", Json.Options))!);
    }
}
