using System.Net.Http.Json;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class AlignmentTests(BrowserFixture browser)
{
    [Fact]
    public async Task RecordsAConcernOnAnInitiativeAndADecisionWithItsDissent()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var initiative = await (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Call recording" })).ReadAsync<InitiativeDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Stakeholders");
            await page.GetByTestId("add-stakeholder").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Name").FillAsync("Lena Legal");
            await dialog.GetByLabel("Department").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Legal", Exact = true }).ClickAsync();
            await page.GetByTestId("save-stakeholder").ClickAsync();
            await Expect(page.GetByTestId("stakeholders-table")).ToContainTextAsync("Lena Legal");

            await page.GotoAsync($"/roadmap/initiatives/{initiative.Summary.Id}");
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("add-concern").ClickAsync();
            await dialog.GetByLabel("Stance").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Opposes" }).ClickAsync();
            await dialog.GetByLabel("The concern").FillAsync("Recording needs consent in three markets.");
            await page.GetByTestId("save-concern").ClickAsync();
            var concern = page.GetByTestId("concern");
            await Expect(concern).ToContainTextAsync("Opposes");
            await Expect(concern).ToContainTextAsync("Lena Legal (Legal)");
            await session.ScreenshotAsync("concern");

            await session.NavigateAsync("Decision log");
            await page.GetByTestId("record-decision").ClickAsync();
            await page.GetByTestId("save-decision").ClickAsync();
            await Expect(dialog.GetByText("Record why: the rationale is what a decision log is for.")).ToBeVisibleAsync();
            await dialog.GetByLabel("Title").FillAsync("Record calls only with consent");
            await dialog.GetByLabel("What was decided").FillAsync("Ask for consent at the start of every call.");
            await dialog.GetByLabel("Why (rationale)").FillAsync("Legal requires it in three markets; one rule is simpler.");
            await dialog.GetByLabel("Decided by").FillAsync("Product leadership");
            await page.GetByTestId("save-decision").ClickAsync();

            var decision = page.GetByTestId("decision");
            await Expect(decision).ToContainTextAsync("Legal requires it in three markets");
            await decision.GetByTestId("add-concern").ClickAsync();
            await dialog.GetByLabel("The concern").FillAsync("Consent prompts will lengthen calls.");
            await page.GetByTestId("save-concern").ClickAsync();
            await Expect(decision.GetByTestId("concern")).ToContainTextAsync("Consent prompts will lengthen calls.");
            await session.ScreenshotAsync("decisions");
        });
    }
}
