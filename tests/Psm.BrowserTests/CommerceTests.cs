using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
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
            // Churn and lifetime value are computed: the page shows them at once, and the editor has no field for them.
            await Expect(page.GetByTestId("churned")).ToContainTextAsync($"Churned on {DateTime.UtcNow:d MMM yyyy}");
            var subscriptions = await pm.GetFromJsonAsync<List<SubscriptionDto>>($"/api/v1/subscriptions?customerId={customers[0].Id}", Json.Options);
            var orders = await pm.GetFromJsonAsync<List<OrderDto>>($"/api/v1/orders?customerId={customers[0].Id}", Json.Options);
            var expected = CustomerFigures.LifetimeValue(
                orders!.Select(o => new Order { Amount = o.Amount, Currency = o.Currency, OrderedOn = o.OrderedOn }),
                subscriptions!.Select(x => new Subscription { MonthlyAmount = x.MonthlyAmount, Currency = x.Currency, StartedOn = x.StartedOn, CancelledOn = x.CancelledOn }),
                "EUR", DateOnly.FromDateTime(DateTime.UtcNow));
            await Expect(page.GetByTestId("lifetime-value")).ToContainTextAsync($"lifetime value {expected:N2} EUR");
            await Expect(page.GetByTestId("lifetime-value")).ToHaveAttributeAsync("title", CustomerFigures.LifetimeValueDefinition);
            await session.ScreenshotAsync("customer-commerce");

            // One of the two customers with a subscription running at the start of the year left: churn is 50 %.
            await session.NavigateAsync("Orders & subscriptions");
            await Expect(page.GetByTestId("tile-churn")).ToContainTextAsync("50 %");
            await Expect(page.GetByTestId("tile-revenue")).ToContainTextAsync("1,250 EUR");
            // Recurring revenue: Birch's 390 a month runs on; of the 780 both had a year ago, half is retained.
            await Expect(page.GetByTestId("tile-mrr")).ToContainTextAsync("390 EUR");
            await Expect(page.GetByTestId("tile-arr")).ToContainTextAsync("4,680 EUR");
            await Expect(page.GetByTestId("tile-nrr")).ToContainTextAsync("50 %");
            await Expect(page.GetByTestId("definitions")).ToContainTextAsync("started on or before that day");
            await Expect(page.GetByTestId("latest-orders")).ToContainTextAsync("Aurora Labs");
            await session.ScreenshotAsync("commerce-overview");
        });
    }
}
