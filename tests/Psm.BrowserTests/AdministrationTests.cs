using System.Net.Http.Json;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class AdministrationTests(BrowserFixture browser)
{
    [Fact]
    public async Task AddsAUserWhoCanSignInThenDeactivatesThemAndTheAuditLogShowsIt()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            await session.NavigateAsync("Users");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("users-table")).ToContainTextAsync(PsmServer.EmailOf(Roles.Stakeholder));

            await page.GetByTestId("invite-user").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Email").FillAsync("lena@northwind.test");
            await dialog.GetByLabel("Display name").FillAsync("Lena Legal");
            await page.GetByTestId("save-user").ClickAsync();
            var password = (await page.GetByTestId("generated-password").TextContentAsync())!.Trim();
            await Expect(page.GetByTestId("users-table")).ToContainTextAsync("Lena Legal");
            await session.ScreenshotAsync("users");

            await using (var second = await session.Context.Browser!.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString() }))
            {
                var lena = await second.NewPageAsync();
                await lena.GotoAsync("/account/sign-in");
                await lena.GetByLabel("Email").FillAsync("lena@northwind.test");
                await lena.GetByLabel("Password").FillAsync(password);
                await lena.GetByTestId("sign-in").ClickAsync();
                // The one-time password works once: she chooses her own before anything else opens.
                await Expect(lena.GetByTestId("password-required")).ToBeVisibleAsync();
                await lena.GetByLabel("Current password").FillAsync(password);
                await lena.GetByLabel("New password (at least 10 characters)").FillAsync("Lena-own-pass-2026");
                await lena.GetByLabel("New password again").FillAsync("Lena-own-pass-2026");
                await lena.GetByTestId("change-password").ClickAsync();
                await Expect(lena.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Lena Legal" })).ToBeVisibleAsync();
            }

            await page.GetByTestId("deactivate-lena@northwind.test").ClickAsync();
            await Expect(page.GetByTestId("users-table")).ToContainTextAsync("Deactivated");

            using (var agent = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent)))
            {
                var customer = await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" }))
                    .ReadAsync<Psm.Web.Features.Customers.CustomerDto>();
                (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Invoices export fails", customerId = customer.Id, priority = "Urgent", channel = "Phone" }))
                    .EnsureSuccessStatusCode();
            }

            await session.NavigateAsync("Audit log");
            await session.WaitUntilInteractiveAsync();
            var table = page.GetByTestId("audit-table");
            await Expect(table).ToContainTextAsync("lena@northwind.test");
            // In words: the user by name, the field in sentence case; the ticket by its subject, its customer by name, enums by name.
            var lenaRow = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByTestId("audit-record").GetByText("Lena Legal") })
                .Filter(new() { HasText = "Deactivated at: " });
            await Expect(lenaRow).ToHaveCountAsync(1);
            var ticket = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByTestId("audit-record").GetByText("Invoices export fails") })
                .Filter(new() { HasText = "Customer: Aurora Labs" });
            await Expect(ticket).ToHaveCountAsync(1);
            await Expect(ticket.GetByTestId("audit-changes")).ToContainTextAsync("Priority: Urgent");
            await Expect(ticket.GetByTestId("audit-changes")).ToContainTextAsync("Channel: Phone");
            await Expect(table).Not.ToContainTextAsync("Kind: 0");
            await session.ScreenshotAsync("audit");

            await using var third = await session.Context.Browser!.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString() });
            var again = await third.NewPageAsync();
            await again.GotoAsync("/account/sign-in");
            await again.GetByLabel("Email").FillAsync("lena@northwind.test");
            await again.GetByLabel("Password").FillAsync("Lena-own-pass-2026");
            await again.GetByTestId("sign-in").ClickAsync();
            // Refused with the one message every failed sign-in gets (it never tells whether an account exists).
            await Expect(again.GetByTestId("sign-in-error")).ToHaveTextAsync(Psm.Web.Features.Account.SignInPage.FailedMessage);
        });
    }
}
