using System.Net.Http.Json;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
public sealed class CampaignsTests(BrowserFixture browser)
{
    [Fact]
    public async Task ResultsThatCannotBeTrueAreCalledOutOnTheCampaign()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            using var marketer = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Marketer));
            var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Maturity" })).ReadAsync<ProductDto>();
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var campaign = (await (await marketer.PostAsJsonAsync("/api/v1/campaigns", new
            {
                name = "Loyalty mailing", productId = product.Id, goal = "Retention", channels = new[] { "Email" }, budget = 1_000,
                startsOn = today.AddDays(-10), endsOn = today.AddDays(20), targetConversions = 5,
            })).ReadAsync<CampaignDetail>()).Campaign;
            foreach (var status in new[] { "Scheduled", "Running" })
            {
                (await marketer.PutAsJsonAsync($"/api/v1/campaigns/{campaign.Id}/status", new { status })).EnsureSuccessStatusCode();
            }

            // 40 retention conversions and 12 000 of revenue, although no customer could be reached and nobody ordered.
            (await marketer.PostAsJsonAsync($"/api/v1/campaigns/{campaign.Id}/results", new
            {
                rows = new[] { new { day = today.AddDays(-2), channel = "Email", impressions = 3_000, engagements = 400, conversions = 40, spend = 300, revenue = 12_000 } },
            })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Marketer));
            await page.GotoAsync($"/campaigns/{campaign.Id}");
            await session.WaitUntilInteractiveAsync();
            var warnings = page.GetByTestId("consistency-warning");
            await Expect(warnings).ToHaveCountAsync(2);
            await Expect(warnings.First).ToContainTextAsync("more than the product's whole order revenue");
            await Expect(warnings.Nth(1)).ToContainTextAsync("only 0 could be reached");
            await session.ScreenshotAsync("campaign-consistency");
            await page.GetByTestId("to-results").ClickAsync();
            await Expect(page.GetByTestId("consistency-warning")).ToHaveCountAsync(2);
        });
    }

    [Fact]
    public async Task PlanningAnAcquisitionPushForADecliningProductShowsTheFitWarning()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Legacy CRM", stage = "Decline" })).EnsureSuccessStatusCode();
            (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Field Service", stage = "Introduction" })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Marketer));
            await session.NavigateAsync("Campaigns");
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("new-campaign").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog.GetByTestId("fit-pending")).ToBeVisibleAsync();
            await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync("Spring acquisition push");
            await dialog.GetByLabel("Product", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Legacy CRM (Decline)" }).ClickAsync();
            await dialog.GetByLabel("Goal", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Acquisition", Exact = true }).ClickAsync();

            // The plan is judged as it is filled in: acquisition for a product in Decline is a problem, and the reason says why.
            var stage = dialog.Locator("[data-testid=fit-check][data-area=Stage]");
            await Expect(stage).ToHaveAttributeAsync("data-level", "Problem");
            await Expect(stage).ToContainTextAsync("Acquisition for a product in Decline");
            await Expect(stage).ToContainTextAsync("harvest, focus on a niche");
            await session.ScreenshotAsync("planning-fit-warning");

            // Switching to a goal that suits the stage clears it.
            await dialog.GetByLabel("Goal", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Retention/loyalty" }).ClickAsync();
            await Expect(stage).ToHaveAttributeAsync("data-level", "Ok");
            await dialog.GetByLabel("Goal", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Acquisition", Exact = true }).ClickAsync();
            await Expect(stage).ToHaveAttributeAsync("data-level", "Problem");

            await page.GetByTestId("save-campaign").ClickAsync();
            await Expect(page.GetByTestId("campaign-title")).ToHaveTextAsync("Spring acquisition push");
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(page.GetByTestId("campaign-stage")).ToContainTextAsync("Decline when planned");
            await Expect(page.GetByTestId("campaign-fit").Locator("[data-testid=fit-check][data-area=Stage]")).ToHaveAttributeAsync("data-level", "Problem");
            await session.ScreenshotAsync("campaign-page");

            await session.NavigateAsync("Campaigns");
            await Expect(page.GetByTestId("campaigns")).ToContainTextAsync("Spring acquisition push");
            await Expect(page.GetByTestId("stage-fit")).ToHaveTextAsync("Decline");
        });
    }

    [Fact]
    public async Task WithdrawingOneCustomersMarketingConsentShrinksTheAudienceByOne()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Maturity" })).ReadAsync<ProductDto>();
            var customers = new List<CustomerDto>();
            foreach (var name in new[] { "Aurora Labs", "Birch Retail", "Cobalt Foods" })
            {
                var customer = await (await pm.PostAsJsonAsync("/api/v1/customers",
                    new { name, email = $"hello@{name.Replace(' ', '-').ToLowerInvariant()}.example", country = "DE", plan = "Pro" })).ReadAsync<CustomerDto>();
                foreach (var purpose in new[] { "Profiling", "Marketing" })
                {
                    (await pm.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/consent", new { purpose, granted = true, source = "signup form" })).EnsureSuccessStatusCode();
                }

                customers.Add(customer);
            }

            var segment = await (await pm.PostAsJsonAsync("/api/v1/segments", new { name = "Pro customers", rules = new { plans = new[] { "Pro" } } })).ReadAsync<SegmentDto>();
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var campaign = await (await pm.PostAsJsonAsync("/api/v1/campaigns", new
            {
                name = "Renewal reminder", productId = product.Id, goal = "Retention", segmentId = segment.Id, channels = new[] { "Email" },
                startsOn = today.AddDays(3), endsOn = today.AddDays(30), budget = 500,
            })).ReadAsync<CampaignDetail>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Marketer));
            await page.GotoAsync($"/campaigns/{campaign.Campaign.Id}");
            await Expect(page.GetByTestId("audience-size")).ToHaveTextAsync("3");
            await Expect(page.GetByTestId("audience-left-out")).ToHaveTextAsync("0");

            await page.GotoAsync($"/customers/{customers[1].Id}");
            await session.WaitUntilInteractiveAsync();
            await page.GetByLabel("Source of the change (required)").FillAsync("Unsubscribe link in the newsletter");
            await page.GetByTestId("toggle-Marketing").ClickAsync();
            await Expect(page.GetByTestId("consent-Marketing")).ToHaveTextAsync("not granted");

            await page.GotoAsync($"/campaigns/{campaign.Campaign.Id}");
            await Expect(page.GetByTestId("audience-size")).ToHaveTextAsync("2");
            await Expect(page.GetByTestId("audience-left-out")).ToHaveTextAsync("1");
            await session.ScreenshotAsync("audience-after-withdrawal");
        });
    }

    [Fact]
    public async Task TheDemoShowsCampaignsOnTheTimelineTheCalendarAndAnUnderperformingPushWithItsCauses()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Campaigns");
            var table = page.GetByTestId("campaigns");
            await Expect(table).ToContainTextAsync("Helpdesk on the go");
            await session.ScreenshotAsync("campaign-list");

            // The campaign that promotes a feature not yet released, and stresses what customers complain about.
            await table.GetByRole(AriaRole.Link, new() { Name = "Helpdesk on the go" }).ClickAsync();
            await Expect(page.GetByTestId("campaign-fit").Locator("[data-testid=fit-check][data-area=Promises]")).ToHaveAttributeAsync("data-level", "Problem");
            await Expect(page.GetByTestId("campaign-fit").Locator("[data-testid=fit-check][data-area=Message]")).ToContainTextAsync("Mobile app");
            await Expect(page.GetByTestId("concerns")).ToContainTextAsync("losing notes");
            await session.ScreenshotAsync("unreleased-promise");

            // The one whose audience is mostly without consent.
            await session.NavigateAsync("Campaigns");
            await table.GetByRole(AriaRole.Link, new() { Name = "Asia-Pacific win-back" }).ClickAsync();
            await Expect(page.GetByTestId("campaign-fit").Locator("[data-testid=fit-check][data-area=Audience]")).ToHaveAttributeAsync("data-level", "Warning");

            // The acquisition push for the declining CRM underperformed; its results page names the likely causes.
            await session.NavigateAsync("Campaigns");
            await table.GetByRole(AriaRole.Link, new() { Name = "Legacy CRM spring acquisition push" }).ClickAsync();
            await page.GetByTestId("to-results").ClickAsync();
            await Expect(page.GetByTestId("underperformance")).ToContainTextAsync("below the typical");
            await Expect(page.GetByTestId("cause").First).ToContainTextAsync("Decline");
            await Expect(page.Locator("[data-testid=targets] .mud-progress-linear")).ToHaveCountAsync(3);
            await Expect(page.Locator(".mud-chart svg").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("results-underperforming");

            await session.NavigateAsync("Campaign calendar");
            await Expect(page.GetByTestId("calendar-campaign").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("calendar");

            await session.NavigateAsync("Timeline");
            await Expect(page.Locator("[data-testid=campaign-bar][data-title='Helpdesk on the go']")).ToHaveCountAsync(1);
            await Expect(page.Locator("[data-testid=promotes][data-early=true]").First).ToBeAttachedAsync();
            await session.ScreenshotAsync("timeline-with-campaigns");

            // The demo's subscriptions and orders give churn, repeat purchase and revenue figures, also on campaign pages.
            await session.NavigateAsync("Orders & subscriptions");
            await Expect(page.GetByTestId("tile-churn")).ToContainTextAsync("%");
            await Expect(page.GetByTestId("tile-repeat")).ToContainTextAsync("%");
            await Expect(page.Locator(".mud-chart svg").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("commerce-demo");
        });
    }
}
