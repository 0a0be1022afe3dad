using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>The search box in the app bar: "/" reaches it from anywhere, results come grouped, and role rules apply.</summary>
[Collection(BrowserLanes.One)]
public sealed class SearchTests(BrowserFixture browser)
{
    [Fact]
    public async Task FindsATicketByKeyAndACustomerByNameAndHidesUsersFromAStakeholder()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var agent = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            var customer = await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Lindqvist Logistics", email = "ops@lindqvist.example", country = "SE" })).ReadAsync<CustomerDto>();
            var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Invoices export fails", customerId = customer.Id })).ReadAsync<TicketDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await page.Keyboard.PressAsync("/");
            await Expect(page.GetByTestId("global-search")).ToBeFocusedAsync();
            await page.Keyboard.TypeAsync(ticket.Summary.Key);
            await page.Keyboard.PressAsync("Enter");
            await session.WaitUntilInteractiveAsync();
            var tickets = page.GetByTestId("search-tickets");
            await Expect(tickets.GetByTestId("search-hit").First).ToContainTextAsync($"{ticket.Summary.Key} Invoices export fails");
            await session.ScreenshotAsync("ticket-by-key");
            await tickets.GetByRole(AriaRole.Link).First.ClickAsync();
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/service/tickets/{ticket.Summary.Id}$"));

            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("global-search").FillAsync("lindq");
            await page.GetByTestId("global-search").PressAsync("Enter");
            await Expect(page.GetByTestId("search-customers").GetByRole(AriaRole.Link, new() { Name = "Lindqvist Logistics" })).ToBeVisibleAsync();
            await session.ScreenshotAsync("customer-by-name");

            // Users are only an administrator's to find.
            await page.GotoAsync("/search?q=priya");
            await Expect(page.GetByTestId("search-nothing")).ToContainTextAsync("Nothing matches “priya”.");
            await page.GetByTestId("sign-out").ClickAsync();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            await page.GotoAsync("/search?q=priya");
            await Expect(page.GetByTestId("search-users").GetByTestId("search-hit")).ToContainTextAsync("Priya Patel");
            await session.ScreenshotAsync("admin-finds-users");
        });
    }
}
