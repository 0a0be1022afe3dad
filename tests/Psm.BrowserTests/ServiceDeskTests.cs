using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class ServiceDeskTests(BrowserFixture browser)
{
    [Fact]
    public async Task AnAgentPicksATicketFromTheQueueRepliesAddsANoteAndResolvesIt()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
            (await api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Password reset mail never arrives", customerId = customer.Id, priority = "Low" })).EnsureSuccessStatusCode();
            var urgent = await (await api.PostAsJsonAsync("/api/v1/tickets",
                new { subject = "Invoices export fails", description = "Clicking export does nothing since Monday.", customerId = customer.Id, priority = "Urgent", channel = "Chat" }))
                .ReadAsync<TicketDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Ticket queue");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(2);

            // Sorted by priority, the urgent one comes first.
            await page.GetByLabel("Sort").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Priority" }).ClickAsync();
            await Expect(page.GetByTestId("ticket-link").First).ToContainTextAsync(urgent.Summary.Key);
            await session.ScreenshotAsync("queue");
            await page.GetByTestId("ticket-link").First.ClickAsync();

            await Expect(page.GetByTestId("ticket-key")).ToHaveTextAsync(urgent.Summary.Key);
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("take").ClickAsync();
            await Expect(page.GetByTestId("assignee")).ToHaveTextAsync("Sam Support");

            await page.GetByTestId("message").FillAsync("Thanks, we found the cause and are fixing it now.");
            await page.GetByTestId("send").ClickAsync();
            await Expect(page.Locator("[data-testid=event][data-kind=Reply]")).ToContainTextAsync("found the cause");
            await Expect(page.GetByTestId("ticket-status")).ToHaveTextAsync("Open");

            await page.GetByText("Internal note").ClickAsync();
            await page.GetByTestId("message").FillAsync("Root cause: the export job timed out on large accounts.");
            await page.GetByTestId("send").ClickAsync();
            await Expect(page.Locator("[data-testid=event][data-kind=Note]")).ToContainTextAsync("timed out");

            await page.GetByTestId("move-Resolved").ClickAsync();
            await Expect(page.GetByTestId("ticket-status")).ToHaveTextAsync("Resolved");
            await Expect(page.GetByTestId("move-Reopened")).ToBeVisibleAsync();
            await session.ScreenshotAsync("resolved");

            // Resolved tickets leave the open queue.
            await session.NavigateAsync("Ticket queue");
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("ticket-link")).ToContainTextAsync("Password reset");
        });
    }
}
