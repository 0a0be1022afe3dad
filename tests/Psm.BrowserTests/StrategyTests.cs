using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Psm.Web.Features.Catalog;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
public sealed class StrategyTests(BrowserFixture browser)
{
    [Fact]
    public async Task CreatesAnObjectiveWithAKeyResultChecksInAndSeesProgressAndTheSmartCheckMove()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            await api.PostAsJsonAsync("/api/v1/products", new { name = "Northwind Helpdesk", stage = "Growth" });

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Objectives");
            await page.GetByTestId("new-objective").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Title").FillAsync("Raise helpdesk customer satisfaction");
            await dialog.GetByLabel("What will change, and for whom?").FillAsync("Helpdesk customers rate support 4.5 or better.");
            await page.GetByTestId("save-objective").ClickAsync();

            await Expect(page).ToHaveURLAsync(new Regex("/objectives/[0-9a-f-]{36}$"));
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("objective-status")).ToHaveTextAsync("Draft");
            await Expect(page.GetByTestId("smart-Measurable")).ToHaveAttributeAsync("data-passes", "false");
            await Expect(page.GetByTestId("smart-Relevant")).ToHaveAttributeAsync("data-passes", "false");

            await page.GetByTestId("add-key-result").ClickAsync();
            await dialog.GetByLabel("Title").FillAsync("Average CSAT");
            await dialog.GetByLabel("Baseline").FillAsync("4");
            await dialog.GetByLabel("Target").FillAsync("4.5");
            await dialog.GetByLabel("Unit").FillAsync("points");
            await page.GetByTestId("save-key-result").ClickAsync();
            await Expect(page.GetByTestId("smart-Measurable")).ToHaveAttributeAsync("data-passes", "true");
            await Expect(page.GetByTestId("objective-progress")).ToHaveTextAsync("0%");

            await page.GetByTestId("check-in").ClickAsync();
            await dialog.GetByLabel("Value (points)").FillAsync("4.25");
            await dialog.GetByLabel("Note").FillAsync("New macros halved reopen rates.");
            await page.GetByTestId("save-check-in").ClickAsync();
            await Expect(page.GetByTestId("objective-progress")).ToHaveTextAsync("50%");
            await Expect(page.GetByTestId("kr-current")).ToContainTextAsync("4.25 points");

            await page.GetByTestId("check-in").ClickAsync();
            await dialog.GetByLabel("Value (points)").FillAsync("4.4");
            await page.GetByTestId("save-check-in").ClickAsync();
            await Expect(page.GetByTestId("objective-progress")).ToHaveTextAsync("80%");
            // Two readings on one day are no trend: the sparkline waits for a second date.
            await Expect(page.GetByTestId("sparkline")).ToHaveCountAsync(0);

            await page.GetByTestId("activate").ClickAsync();
            await Expect(page.GetByTestId("confirm-failure")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("confirm-failure")).ToContainTextAsync("Relevant: Not linked to any product, service or parent objective.");
            await session.ScreenshotAsync("confirm");
            await page.GetByTestId("confirm-activate").ClickAsync();
            await Expect(page.GetByTestId("objective-status")).ToHaveTextAsync("Active");
            await session.ScreenshotAsync("objective");
        });
    }

    [Fact]
    public async Task ShowsTheDemoPortfolioWithProgressAndObjectivesAtRisk()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Stakeholder));
            await session.NavigateAsync("Objectives");
            var table = page.GetByTestId("objectives-table");
            await Expect(table).ToContainTextAsync("Cut first-response time for support");
            await Expect(table.Locator("tr", new() { HasText = "Cut first-response time" })).ToContainTextAsync("At risk");
            await Expect(page.GetByTestId("new-objective")).ToHaveCountAsync(0);
            await session.ScreenshotAsync("objectives");

            // As a tree, the first-response objective sits under the satisfaction objective it contributes to.
            await page.GetByTestId("tree-switch").ClickAsync();
            await Expect(table.Locator("td[data-depth='1']")).ToContainTextAsync("Cut first-response time for support");
            await session.ScreenshotAsync("objectives-tree");
            await page.GetByRole(AriaRole.Link, new() { Name = "Raise support satisfaction on Helpdesk" }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("child")).ToContainTextAsync("Cut first-response time for support");
            await Expect(page.GetByTestId("children-progress")).ToContainTextAsync("%");
            await Expect(page.GetByTestId("serving-initiatives")).ToContainTextAsync("Help centre with guided answers");
            await page.GetByTestId("child").GetByRole(AriaRole.Link).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cut first-response time for support" })).ToBeVisibleAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("serving-initiatives")).ToContainTextAsync("First-response routing rules");
            await Expect(page.GetByTestId("kr-current")).ToContainTextAsync("business minutes");
            await session.ScreenshotAsync("objective-cascade");
            await session.NavigateAsync("Objectives");

            await page.GetByRole(AriaRole.Link, new() { Name = "Grow recurring revenue from Helpdesk" }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("key-result")).ToHaveCountAsync(2);
            await Expect(page.GetByTestId("sparkline").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("objective");

            await session.NavigateAsync("Catalog");
            await Expect(page.GetByTestId("products-table")).ToContainTextAsync("Northwind Legacy CRM");
            await session.ScreenshotAsync("catalog");

            // The demo's one active initiative serving no active objective: the migration serves a Draft.
            await session.NavigateAsync("Alignment");
            await Expect(page.GetByTestId("alignment-score")).ToHaveTextAsync("77%");
            await Expect(page.GetByTestId("gap-off-strategy")).ToContainTextAsync("Legacy CRM migration assistant");
            await Expect(page.GetByTestId("alignment-matrix")).ToContainTextAsync("Help centre with guided answers");
            await Expect(page.GetByTestId("gap-opposed")).ToContainTextAsync("Premium Support upsell in-app");
            await Expect(page.GetByTestId("gap-unconsulted")).ToContainTextAsync("First-response routing rules");
            await session.ScreenshotAsync("alignment");
        });
    }

    [Fact]
    public async Task SavedDefaultViewsOpenTheObjectivesAndCampaignsListsOnTheirFilters()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            foreach (var (title, type) in new[] { ("Grow renewals revenue", "Financial"), ("Lift support satisfaction", "CustomerSatisfaction") })
            {
                (await api.PostAsJsonAsync("/api/v1/objectives", new { title, type, periodStart = today.AddDays(-10), periodEnd = today.AddDays(80) })).EnsureSuccessStatusCode();
            }

            var product = await (await api.PostAsJsonAsync("/api/v1/products", new { name = "Kiln Care", stage = "Growth" })).ReadAsync<ProductDto>();
            foreach (var (name, goal) in new[] { ("Spring win-back", "WinBack"), ("Trade show push", "Awareness") })
            {
                var created = await api.PostAsJsonAsync("/api/v1/campaigns", new
                {
                    name, productId = product.Id, goal, channels = new[] { "Email" }, startsOn = today.AddDays(3), endsOn = today.AddDays(30), budget = 500,
                });
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }

            foreach (var (title, team) in new[] { ("Usage-based billing", "Platform"), ("Onboarding checklist", "Growth") })
            {
                (await api.PostAsJsonAsync("/api/v1/initiatives", new { title, team })).EnsureSuccessStatusCode();
            }

            // Default views kept through the API open the bare campaigns list and board on their filters.
            (await api.PostAsJsonAsync("/api/v1/saved-views", new { list = "campaigns", name = "Win-backs", query = "goal=WinBack", isDefault = true })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/api/v1/saved-views", new { list = "roadmap", name = "Platform team", query = "team=Platform", isDefault = true })).EnsureSuccessStatusCode();

            // Objectives: saved from the filters on screen, as one's default.
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync("/objectives?type=Financial");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("objectives-table")).Not.ToContainTextAsync("Lift support satisfaction");
            await page.GetByTestId("views-menu").ClickAsync();
            await page.GetByTestId("save-view").ClickAsync();
            await page.GetByTestId("view-name").FillAsync("Money");
            await page.GetByTestId("view-default").CheckAsync();
            await page.GetByTestId("save-view-confirm").ClickAsync();
            await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Saved the view “Money”");

            await page.GotoAsync("/objectives");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("views-menu")).ToContainTextAsync("View: Money");
            await Expect(page.GetByTestId("objectives-table")).ToContainTextAsync("Grow renewals revenue");
            await Expect(page.GetByTestId("objectives-table")).Not.ToContainTextAsync("Lift support satisfaction");

            await page.GotoAsync("/campaigns");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("views-menu")).ToContainTextAsync("View: Win-backs");
            await Expect(page.GetByText("Spring win-back")).ToBeVisibleAsync();
            await Expect(page.GetByText("Trade show push")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("export-campaigns")).ToHaveAttributeAsync("href", new Regex("goal=WinBack"));
            await session.ScreenshotAsync("campaigns-view");

            await page.GotoAsync("/roadmap");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("views-menu")).ToContainTextAsync("View: Platform team");
            await Expect(page.GetByTestId("card-Usage-based billing")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("card-Onboarding checklist")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("export-initiatives")).ToHaveAttributeAsync("href", new Regex("team=Platform"));
        });
    }
}
