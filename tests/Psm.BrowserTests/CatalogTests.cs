using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class CatalogTests(BrowserFixture browser)
{
    [Fact]
    public async Task AddsAProductAndAServiceThenMovesTheProductToDeclineAndSeesItOnTheTimeline()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Catalog");
            await Expect(page.GetByTestId("products-range")).ToHaveTextAsync("No products");

            await page.GetByTestId("new-product").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Name").FillAsync("Pioneer Payroll");
            await dialog.GetByLabel("Unique selling proposition").FillAsync("Payroll closed in one click.");
            await page.GetByTestId("save-product").ClickAsync();

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pioneer Payroll" })).ToBeVisibleAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("stage-guidance")).ToContainTextAsync("reference customers");

            await page.GetByTestId("add-service").ClickAsync();
            await dialog.GetByLabel("Name").FillAsync("Payroll Onboarding");
            await page.GetByTestId("save-service").ClickAsync();
            await Expect(page.GetByTestId("services-table")).ToContainTextAsync("Payroll Onboarding");

            await page.GetByTestId("change-stage").ClickAsync();
            await page.GetByTestId("save-stage").ClickAsync();
            await Expect(dialog.GetByText("Say why the stage changes: the history keeps it.")).ToBeVisibleAsync();
            await dialog.GetByLabel("New stage").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Decline: Harvest, focus on a niche, or plan retirement" }).ClickAsync();
            await dialog.GetByLabel("Why?").FillAsync("A competitor bundles payroll for free.");
            await page.GetByTestId("save-stage").ClickAsync();

            var timeline = page.GetByTestId("lifecycle-timeline");
            await Expect(timeline).ToContainTextAsync("Pioneer Payroll moved from Introduction to Decline");
            await Expect(timeline).ToContainTextAsync("A competitor bundles payroll for free.");
            await Expect(timeline).ToContainTextAsync("Payroll Onboarding (service) added in Introduction");
            await Expect(page.GetByTestId("stage-guidance")).ToContainTextAsync("Cut cost to serve");
            await session.ScreenshotAsync("product");

            await session.NavigateAsync("Catalog");
            await page.GetByTestId("stage-Decline").ClickAsync();
            await Expect(page.GetByTestId("products-table")).ToContainTextAsync("Pioneer Payroll");
            await session.ScreenshotAsync("catalog");
        });
    }

    [Fact]
    public async Task ExplainsThatARetiredProductTakesNoNewServices()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var product = await (await api.PostAsJsonAsync("/api/v1/products", new { name = "Zephyr Fax", stage = "Decline" }))
                .ReadAsync<ProductDto>();
            (await api.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Retired", reason = "Nobody faxes." }))
                .EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.Page.GotoAsync($"/catalog/{product.Id}");
            await session.WaitUntilInteractiveAsync();

            await Expect(session.Page.GetByTestId("retired-note")).ToHaveTextAsync("Retired: no new services.");
            await Expect(session.Page.GetByTestId("add-service")).ToHaveCountAsync(0);
        });
    }
}
