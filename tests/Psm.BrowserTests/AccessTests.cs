using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>The permission matrix as people meet it: controls a role may not use are not there, and what they may do works.</summary>
[Collection(BrowserLanes.Two)]
public sealed class AccessTests(BrowserFixture browser)
{
    [Fact]
    public async Task AStakeholderSeesNoEditControlsAndRecordsAConcernInTheirOwnName()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var users = await admin.GetFromJsonAsync<JsonArray>("/api/v1/users");
            var stefan = (string)users!.Single(u => (string)u!["email"]! == PsmServer.EmailOf(Roles.Stakeholder))!["id"]!;
            (await admin.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Stefan Finance", department = "Finance", userId = stefan })).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Leo Leadership", department = "Leadership" })).EnsureSuccessStatusCode();
            var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Usage-based pricing" })).ReadAsync<InitiativeDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Stakeholder));
            await page.GotoAsync($"/roadmap/initiatives/{initiative.Summary.Id}");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Usage-based pricing" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit" })).ToHaveCountAsync(0);

            await page.GetByTestId("add-concern").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog.GetByTestId("concern-stakeholder")).ToContainTextAsync("Stefan Finance");
            await dialog.GetByLabel("The concern").FillAsync("Finance cannot forecast revenue per seat any more.");
            await session.ScreenshotAsync("concern-own-name");
            await page.GetByTestId("save-concern").ClickAsync();
            var concern = page.GetByTestId("concern");
            await Expect(concern).ToContainTextAsync("Stefan Finance (Finance)");
            await Expect(concern).ToContainTextAsync("Recorded by " + PsmServer.EmailOf(Roles.Stakeholder));
            await Expect(concern.GetByRole(AriaRole.Button, new() { Name = "Addressed" })).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task AnAgentCannotReachTheCatalogsArchiveActionAndTheAdminSeesTheMatrix()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Nimbus Backup" })).ReadAsync<ProductDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await page.GotoAsync($"/catalog/{product.Id}");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Nimbus Backup" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Archive" })).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("change-stage")).ToHaveCountAsync(0);
            await session.ScreenshotAsync("catalog-as-agent");
            await Expect(page.GetByTestId("nav")).Not.ToContainTextAsync("Permissions");

            await page.Context.ClearCookiesAsync();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            await page.GotoAsync($"/catalog/{product.Id}");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Archive" })).ToBeVisibleAsync();
            await session.NavigateAsync("Permissions");
            var matrix = page.GetByTestId("permission-matrix");
            await Expect(matrix).ToContainTextAsync("Support lead");
            await Expect(page.GetByTestId("permission-catalog.manage")).ToContainTextAsync("move lifecycle stages");
            await Expect(page.GetByTestId("permission-catalog.manage").GetByLabel("Support agent: not allowed")).ToHaveCountAsync(1);
            await session.ScreenshotAsync("permissions");
        });
    }
}
