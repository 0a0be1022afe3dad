using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class PreferencesTests(BrowserFixture browser)
{
    [Fact]
    public async Task APersonsTimeZoneAndDateStyleShowOnTheirPagesAndTheNavigationGroupsTheyCloseStayClosed()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers", new { name = "Kagoshima Kilns", email = "k@kilns.example", country = "JP" })).ReadAsync<CustomerDto>();
            var product = await (await api.PostAsJsonAsync("/api/v1/products", new { name = "Glaze Kit", stage = "Growth" })).ReadAsync<ProductDto>();
            var ordered = await api.PostAsJsonAsync("/api/v1/orders", new { customerId = customer.Id, productId = product.Id, amount = 120, currency = "JPY", orderedOn = "2026-11-15" });
            Assert.True(ordered.IsSuccessStatusCode, await ordered.Content.ReadAsStringAsync());
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));

            // "My account" starts closed; opening it and closing Roadmap are remembered.
            ILocator Group(string title) => page.GetByTestId("nav").Locator($"nav[aria-label='{title}'] > button");
            await Expect(Group("My account")).ToHaveAttributeAsync("aria-expanded", "false");
            await Group("My account").ClickAsync();
            await Expect(Group("My account")).ToHaveAttributeAsync("aria-expanded", "true");
            await Group("Roadmap").ClickAsync();
            await Expect(Group("Roadmap")).ToHaveAttributeAsync("aria-expanded", "false");

            // Tokyo time, dates written year first.
            await session.NavigateAsync("Display preferences");
            await page.GetByLabel("Time zone", new() { Exact = true }).FillAsync("Tokyo");
            await page.GetByRole(AriaRole.Option, new() { Name = "Asia/Tokyo" }).ClickAsync();
            await page.GetByLabel("Dates", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "2026-12-02, 15:30" }).ClickAsync();
            await page.GetByTestId("pref-save").ClickAsync();
            await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("15:30 UTC on 2 December 2026 now reads 2026-12-03, 00:30");
            await session.ScreenshotAsync("preferences");

            // After a reload (a new circuit): the customer's first day in Tokyo's calendar, in that style; the groups as left.
            await page.GotoAsync("/customers?search=Kagoshima");
            await session.WaitUntilInteractiveAsync();
            var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync(TimeZoneInfo.ConvertTime(customer.CreatedAt, tokyo).ToString("yyyy-MM-dd"));
            await Expect(Group("Roadmap")).ToHaveAttributeAsync("aria-expanded", "false");
            await Expect(Group("My account")).ToHaveAttributeAsync("aria-expanded", "true");

            // Days follow the style too, in text and in date fields (the order form's day is today's).
            await page.GotoAsync($"/customers/{customer.Id}");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("order").First).ToContainTextAsync("2026-11-15");
            await Expect(page.Locator("[data-testid='order-day'] input, input[data-testid='order-day']").First).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(@"^\d{4}-\d{2}-\d{2}$"));
            await session.ScreenshotAsync("preferences-days");
        });
    }
}
