using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
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
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var sam = (await admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users"))!.Single(u => u.Email == PsmServer.EmailOf(Roles.SupportAgent)).Id;
            (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1", memberIds = new[] { sam } })).EnsureSuccessStatusCode();
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
            (await api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Password reset mail never arrives", customerId = customer.Id, priority = "Low" })).EnsureSuccessStatusCode();
            var urgent = await (await api.PostAsJsonAsync("/api/v1/tickets",
                new { subject = "Invoices export fails", description = "Clicking export does nothing since Monday.", customerId = customer.Id, priority = "Urgent", channel = "Chat" }))
                .ReadAsync<TicketDto>();
            var rework = await (await admin.PostAsJsonAsync("/api/v1/initiatives", new { title = "Invoice export rework" }))
                .ReadAsync<Psm.Web.Features.Roadmap.InitiativeDto>();

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
            // The customer's own words open the conversation.
            await Expect(page.Locator("[data-testid=event][data-kind=CustomerMessage]")).ToContainTextAsync("Clicking export does nothing since Monday.");

            // The ticket is product evidence: linked to the initiative it supports, it counts there with the feedback.
            await page.GetByTestId("evidence-initiative").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Invoice export rework" }).ClickAsync();
            await page.GetByTestId("link-evidence").ClickAsync();
            await Expect(page.GetByTestId("ticket-feedback-link")).ToBeVisibleAsync();
            var evidence = await admin.GetFromJsonAsync<Psm.Web.Features.Feedback.EvidenceSummaryDto>($"/api/v1/initiatives/{rework.Summary.Id}/evidence", Json.Options);
            Assert.Equal((1, 1), (evidence!.Items, evidence.Customers));
            Assert.Contains("Clicking export does nothing", Assert.Single(evidence.Quotes).Text);

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

            // The customer answers the personal CSAT link, without signing in; the agent's CSAT moves.
            var link = await page.GetByTestId("satisfaction-link").GetAttributeAsync("href");
            await using (var outside = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString(), ViewportSize = new() { Width = 390, Height = 800 } }))
            {
                var customerPage = await outside.NewPageAsync();
                await customerPage.GotoAsync(link!);
                await Expect(customerPage.GetByTestId("survey-about")).ToContainTextAsync(urgent.Summary.Key);
                await customerPage.Locator("label[for=score-5]").ClickAsync();
                await customerPage.Locator("#comment").FillAsync("Fixed within the hour, thank you!");
                await customerPage.GetByTestId("survey-submit").ClickAsync();
                await Expect(customerPage.GetByTestId("survey-thanks")).ToBeVisibleAsync();
                await customerPage.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, "ServiceDesk-customer-csat.png") });
                await customerPage.GotoAsync(link!);
                await Expect(customerPage.GetByTestId("survey-already")).ToBeVisibleAsync();
            }

            await page.ReloadAsync();
            await Expect(page.GetByTestId("satisfaction")).ToContainTextAsync("rated 5");
            await session.NavigateAsync("Teams");
            await Expect(page.GetByTestId("member-csat")).ToContainTextAsync("CSAT 100 % (1)");
            await session.ScreenshotAsync("teams");

            // Resolved tickets leave the open queue.
            await session.NavigateAsync("Ticket queue");
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("ticket-link")).ToContainTextAsync("Password reset");
        });
    }

    [Fact]
    public async Task ATicketNearingItsSlaShowsInBreachingSoonWithTheTimeLeft()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var calendar = await (await admin.PostAsJsonAsync("/api/v1/sla/calendars", new
            {
                name = "Around the clock", timeZoneId = "UTC", opens = "00:00", closes = "23:59",
                workingDays = new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" },
            })).ReadAsync<ServiceCalendarDto>();
            (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "High: 1 h", priority = "High", firstResponseMinutes = 60, resolutionMinutes = 480, calendarId = calendar.Id }))
                .EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "Low: 2 days", priority = "Low", firstResponseMinutes = 2880, resolutionMinutes = 5760, calendarId = calendar.Id }))
                .EnsureSuccessStatusCode();
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
            (await api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Checkout is down", customerId = customer.Id, priority = "High" })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Typo on the invoice", customerId = customer.Id, priority = "Low" })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Ticket queue");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(2);
            await page.GetByTestId("queue-view").GetByText("Breaching soon").ClickAsync();
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("ticket-link")).ToContainTextAsync("Checkout is down");
            await session.ScreenshotAsync("breaching-soon");

            await page.GetByTestId("ticket-link").ClickAsync();
            await Expect(page.GetByTestId("sla-first")).ToContainTextAsync("min of business time left");
            await Expect(page.GetByTestId("sla")).ToContainTextAsync("High: 1 h");
            await session.ScreenshotAsync("ticket-sla");

            // The policies page: agents read it; the support lead configures it.
            await session.NavigateAsync("SLA policies");
            await Expect(page.GetByTestId("policies")).ToContainTextAsync("High: 1 h");
            await Expect(page.GetByTestId("policy-name")).ToHaveCountAsync(0);
            await page.Context.ClearCookiesAsync();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportLead));
            await session.NavigateAsync("SLA policies");

            // A bad target is refused with its reason, a good one is listed.
            await Expect(page.GetByTestId("policies")).ToContainTextAsync("High: 1 h");
            await page.GetByTestId("policy-name").FillAsync("Urgent: 15 min");
            await page.GetByTestId("policy-priority").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Urgent" }).ClickAsync();
            await page.GetByTestId("policy-first").FillAsync("60");
            await page.GetByTestId("policy-resolution").FillAsync("30");
            await page.GetByTestId("add-policy").ClickAsync();
            await Expect(page.GetByTestId("policy-error")).ToContainTextAsync("cannot be shorter than the first-response target");
            await page.GetByTestId("policy-first").FillAsync("15");
            await page.GetByTestId("add-policy").ClickAsync();
            await Expect(page.GetByTestId("policies")).ToContainTextAsync("Urgent: 15 min");
            await session.ScreenshotAsync("sla-policies");

            // Changing it: the form loads the policy, the table shows the new target; unused, it can be deleted.
            await page.GetByTestId("policies").Locator("tr", new() { HasText = "Urgent: 15 min" }).GetByTestId("edit-policy").ClickAsync();
            await Expect(page.GetByTestId("policy-form-title")).ToContainTextAsync("Edit \"Urgent: 15 min\"");
            await page.GetByTestId("policy-name").FillAsync("Urgent: 20 min");
            await page.GetByTestId("policy-first").FillAsync("20");
            await page.GetByTestId("add-policy").ClickAsync();
            var edited = page.GetByTestId("policies").Locator("tr", new() { HasText = "Urgent: 20 min" });
            await Expect(edited).ToContainTextAsync("20 min");
            await Expect(page.GetByTestId("policy-form-title")).ToContainTextAsync("Add a policy");
            await edited.GetByTestId("delete-policy").ClickAsync();
            await Expect(page.GetByTestId("policies")).Not.ToContainTextAsync("Urgent: 20 min");

            // The calendar gets next year's holiday; a policy tickets ran on cannot be deleted.
            await page.GetByTestId("edit-calendar").First.ClickAsync();
            await page.GetByTestId("calendar-holidays").FillAsync("2026-12-25, 2027-01-01");
            await page.GetByTestId("add-calendar").ClickAsync();
            await Expect(page.GetByTestId("calendar-summary").First).ToContainTextAsync("1 Jan 2027");
            await page.GetByTestId("policies").Locator("tr", new() { HasText = "High: 1 h" }).GetByTestId("delete-policy").ClickAsync();
            await Expect(page.GetByTestId("policy-error")).ToContainTextAsync("stays for their history");
            await session.ScreenshotAsync("sla-policies-edited");
        });
    }

    [Fact]
    public async Task TheDemoDeskShowsAYearOfTicketsWithBreachesEscalationsAndCsat()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Ticket queue");
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("queue-view").GetByText("All", new() { Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(50);
            await Expect(page.GetByTestId("due").GetByText("breached").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("demo-queue");
            // Every demo ticket opens with what the customer wrote.
            await page.GetByTestId("ticket-link").First.ClickAsync();
            await Expect(page.Locator("[data-testid=event][data-kind=CustomerMessage]").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("demo-ticket");

            await session.NavigateAsync("Teams");
            await Expect(page.GetByTestId("member-csat").First).ToContainTextAsync("CSAT");
            await Expect(page.GetByTestId("member-csat").First).ToContainTextAsync("%");
            await session.ScreenshotAsync("demo-teams");

            await session.NavigateAsync("Service dashboard");
            await Expect(page.GetByTestId("tile-sla-compliance")).ToContainTextAsync("%");
            await Expect(page.GetByTestId("tile-first-response-median")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\d (min|h)"));
            await Expect(page.GetByTestId("tile-csat")).ToContainTextAsync("%");
            await Expect(page.Locator(".mud-chart svg").First).ToBeVisibleAsync();
            // The monthly charts show complete months: last month is the last one, and the running month is not there yet.
            var thisMonth = new DateTime(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1);
            await Expect(page.Locator(".mud-chart svg").First).ToContainTextAsync(thisMonth.AddMonths(-1).ToString("MMM yy"));
            await Expect(page.Locator(".mud-chart svg").First).Not.ToContainTextAsync(thisMonth.ToString("MMM yy"));
            await Expect(page.GetByText("the running month joins when it ends").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("demo-dashboard");

            // Drill down: the backlog tile opens the open queue.
            await page.GetByTestId("tile-backlog").GetByText("see the tickets").ClickAsync();
            await Expect(page.GetByTestId("ticket-link").First).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task AnAgentWorksTheQueueFromTheKeyboardAndExportsWhatItShows()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
            var keys = new List<string>();
            foreach (var subject in new[] { "First in line", "Second in line", "Third in line" })
            {
                keys.Add((await (await api.PostAsJsonAsync("/api/v1/tickets", new { subject, customerId = customer.Id, priority = "High" })).ReadAsync<TicketDto>()).Summary.Key);
            }

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await page.GotoAsync("/service/queue");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(3);
            await page.GetByTestId("queue-keys").FocusAsync();
            await page.Keyboard.PressAsync("?");
            await Expect(page.GetByTestId("queue-shortcuts")).ToBeVisibleAsync();
            // Newest first: j moves from the third ticket to the second; x selects it for a bulk action.
            await page.Keyboard.PressAsync("j");
            await Expect(page.Locator("tr.queue-current")).ToContainTextAsync("Second in line");
            await page.Keyboard.PressAsync("x");
            await Expect(page.GetByTestId("bulk-bar")).ToContainTextAsync("1 selected");
            await session.ScreenshotAsync("keyboard");

            // The export holds the tickets the queue shows, with the same filters.
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-tickets").ClickAsync());
            var csv = await File.ReadAllLinesAsync((await download.PathAsync())!);
            Assert.StartsWith("key,subject,customer", csv[0]);
            Assert.Equal(keys.AsEnumerable().Reverse(), csv.Skip(1).Select(l => l.Split(',')[0]));

            await page.GetByTestId("queue-keys").FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/service/tickets/"));
            await Expect(page.GetByTestId("ticket-key")).ToHaveTextAsync(keys[1]);
        });
    }

    [Fact]
    public async Task ASavedViewSurvivesSignOutAndTheQueueOpensOnIt()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
            (await api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Server down", customerId = customer.Id, priority = "Urgent" })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Typo on invoice", customerId = customer.Id, priority = "Low" })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await page.GotoAsync("/service/queue?view=All&priority=Urgent");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(1);
            await page.GetByTestId("views-menu").ClickAsync();
            await page.GetByTestId("save-view").ClickAsync();
            await page.GetByTestId("view-name").FillAsync("Urgent only");
            await page.GetByTestId("view-default").CheckAsync();
            await session.ScreenshotAsync("save-view");
            await page.GetByTestId("save-view-confirm").ClickAsync();
            await Expect(page.GetByText("Saved the view “Urgent only”.")).ToBeVisibleAsync();

            // Signed out and in again, the queue opens on the default view.
            await page.GetByTestId("sign-out").ClickAsync();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await page.GotoAsync("/service/queue");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("views-menu")).ToContainTextAsync("View: Urgent only");
            await Expect(page.GetByTestId("ticket-link")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("ticket-link")).ToContainTextAsync("Server down");
            await page.GetByTestId("views-menu").ClickAsync();
            await Expect(page.GetByTestId("view-item")).ToContainTextAsync("Urgent only (default)");
            await session.ScreenshotAsync("default-view");
        });
    }
}
