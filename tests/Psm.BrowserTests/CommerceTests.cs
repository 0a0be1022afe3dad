using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class CommerceTests(BrowserFixture browser)
{
    [Fact]
    public async Task AnAgentRecordsAnOrderAndCancelsASubscriptionOnTheCustomerPageAndChurnMoves()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).ReadAsync<ProductDto>();
            var customers = new List<CustomerDto>();
            foreach (var name in new[] { "Aurora Labs", "Birch Retail" })
            {
                var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name, email = $"hi@{name[..5].ToLowerInvariant()}.example", country = "DE" }))
                    .ReadAsync<CustomerDto>();
                (await pm.PostAsJsonAsync("/api/v1/subscriptions", new
                {
                    customerId = customer.Id, productId = product.Id, plan = "Pro", monthlyAmount = 390, currency = "EUR",
                    startedOn = DateOnly.FromDateTime(DateTime.UtcNow).AddMonths(-14),
                })).EnsureSuccessStatusCode();
                customers.Add(customer);
            }

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Orders & subscriptions");
            await Expect(page.GetByTestId("tile-churn")).ToContainTextAsync("0 %");

            await page.GotoAsync($"/customers/{customers[0].Id}");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("subscription")).ToContainTextAsync("Helpdesk · Pro · 390.00 EUR / month");

            await page.GetByTestId("order-product").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Helpdesk" }).ClickAsync();
            await page.GetByTestId("order-amount").FillAsync("-20");
            await page.GetByTestId("add-order").ClickAsync();
            await Expect(page.GetByText("The amount cannot be negative.")).ToBeVisibleAsync();
            await page.GetByTestId("order-amount").FillAsync("1250");
            await page.GetByTestId("add-order").ClickAsync();
            await Expect(page.GetByTestId("order")).ToContainTextAsync("Helpdesk · 1,250.00 EUR");

            await page.GetByTestId("cancel-subscription").ClickAsync();
            await page.GetByTestId("cancel-reason").FillAsync("Moved to a competitor");
            await page.GetByTestId("confirm-cancel").ClickAsync();
            await Expect(page.GetByTestId("subscription")).ToContainTextAsync("Moved to a competitor");
            await Expect(page.GetByTestId("cancel-subscription")).ToHaveCountAsync(0);
            await session.ScreenshotAsync("customer-commerce");

            // One of the two customers with a subscription running at the start of the year left: churn is 50 %.
            await session.NavigateAsync("Orders & subscriptions");
            await Expect(page.GetByTestId("tile-churn")).ToContainTextAsync("50 %");
            await Expect(page.GetByTestId("tile-revenue")).ToContainTextAsync("1,250 EUR");
            await Expect(page.GetByTestId("latest-orders")).ToContainTextAsync("Aurora Labs");
            await session.ScreenshotAsync("commerce-overview");
        });
    }
}
