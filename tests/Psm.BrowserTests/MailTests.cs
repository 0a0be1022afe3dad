using System.Net.Http.Json;
using MimeKit;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>The e-mail channel as people use it, against the real mail server test.sh starts.</summary>
[Collection(BrowserLanes.Two)]
public sealed class MailTests(BrowserFixture browser)
{
    private static readonly TestMail Mail = TestMail.Server;

    [Fact]
    public async Task AnAdminAddsTheMailboxAnAgentAnswersAMailedTicketTheCustomerGetsTheAnswerAndTheirReplyComesBack()
    {
        // The fetcher and the sender run in the background, as in production, every second or two.
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Mail:FetchSeconds"] = "2", ["Outbox:SendSeconds"] = "1", ["Sla:MonitorSeconds"] = "0" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            var support = TestMail.NewAddress("help", "example.test");
            var customerAddress = TestMail.NewAddress("mia");
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var customer = await (await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "accounts@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
            (await admin.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/contacts", new { name = "Mia Keller", email = customerAddress })).EnsureSuccessStatusCode();

            // The admin adds the support mailbox on the Mailboxes page.
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            await session.NavigateAsync("Mailboxes");
            await Expect(page.GetByTestId("no-mailboxes")).ToBeVisibleAsync();
            await page.GetByTestId("new-mailbox").ClickAsync();
            await page.GetByTestId("mb-name").FillAsync("Aurora support");
            await page.GetByTestId("mb-address").FillAsync(support);
            await page.GetByTestId("mb-imap-host").FillAsync(Mail.ImapHost);
            await page.GetByTestId("mb-imap-port").FillAsync(Mail.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByTestId("mb-imap-security").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "none (trusted network only)" }).ClickAsync();
            await page.GetByTestId("mb-imap-user").FillAsync(support);
            await page.GetByTestId("mb-imap-password").FillAsync(Mail.Password);
            await page.GetByTestId("mb-smtp-host").FillAsync(Mail.SmtpHost);
            await page.GetByTestId("mb-smtp-port").FillAsync(Mail.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByTestId("mb-smtp-security").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "none (trusted network only)" }).ClickAsync();
            await session.ScreenshotAsync("mailbox-form");
            await page.GetByTestId("save-mailbox").ClickAsync();
            await Expect(page.Locator($"[data-testid=mailbox][data-address='{support}']")).ToBeVisibleAsync();

            // A customer writes in; the mail carries script in both its text and its HTML.
            var mail = TestMail.Message(customerAddress, support, "Invoices export is empty", "", "Mia Keller");
            mail.Body = new BodyBuilder
            {
                TextBody = "Hello, the March export is an empty file. <img src=x onerror=\"window.__xss='text'\">",
                HtmlBody = "<p>Hello, the <b>March export</b> is an empty file.</p><script>window.__xss='html'</script><img src=x onerror=\"window.__xss='img'\">",
            }.ToMessageBody();
            await Mail.SendAsync(mail, support);
            // "Read now" reads it, unless the background fetch holds the mailbox at that moment and reads it itself.
            var row = page.Locator($"[data-testid=mailbox][data-address='{support}']");
            for (var attempt = 0; attempt < 10 && await row.GetByTestId("messages-read").InnerTextAsync() != "1"; attempt++)
            {
                await row.GetByTestId("fetch").ClickAsync();
                await Task.Delay(500);
            }

            await Expect(row.GetByTestId("messages-read")).ToHaveTextAsync("1");
            await session.ScreenshotAsync("mailboxes");
            await page.GetByTestId("sign-out").ClickAsync();

            // An agent finds it in the queue and answers.
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Ticket queue");
            await page.GetByTestId("ticket-link").Filter(new() { HasText = "Invoices export is empty" }).ClickAsync();
            await Expect(page.GetByTestId("ticket-key")).ToBeVisibleAsync();
            await session.WaitUntilInteractiveAsync();
            var opening = page.Locator("[data-testid=event][data-kind=CustomerMessage]");
            await Expect(opening).ToContainTextAsync("<img src=x onerror=");   // shown as the text it is
            await Expect(opening.GetByTestId("by-email")).ToBeVisibleAsync();
            await opening.GetByTestId("show-html").ClickAsync();
            await Expect(page.GetByTestId("mail-html")).ToBeVisibleAsync();
            await Expect(page.FrameLocator("[data-testid=mail-html]").Locator("b")).ToHaveTextAsync("March export");
            Assert.Equal("none", await page.EvaluateAsync<string>("() => String(window.__xss ?? 'none')"));

            await page.GetByTestId("message").FillAsync("Thanks Mia, a fix for the March export is on its way.");
            await Expect(page.GetByTestId("mailed-to")).ToContainTextAsync(customerAddress);
            await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
            {
                Name = "march-export.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes("invoice,amount\nINV-0312,1250.00\n"),
            });
            await Expect(page.GetByTestId("attached")).ToContainTextAsync("march-export.csv");
            await page.GetByTestId("send").ClickAsync();
            var reply = page.Locator("[data-testid=event][data-kind=Reply]");
            // On failure the chip's text says why (the SMTP server's answer, the next attempt).
            await Expect(reply.GetByTestId("delivery")).ToContainTextAsync($"E-mailed to {customerAddress}", new() { Timeout = 20_000 });
            await Expect(reply.GetByTestId("delivery")).ToHaveAttributeAsync("data-status", "Sent");
            await session.ScreenshotAsync("ticket-answered");
            var key = await page.GetByTestId("ticket-key").InnerTextAsync();

            // The customer's mailbox holds the answer, threaded; their reply comes back onto the ticket.
            var received = Assert.Single(await Mail.WaitForAsync(customerAddress, 1));
            Assert.Contains($"[{key}]", received.Subject);
            Assert.Contains("a fix for the March export", received.TextBody);
            Assert.Equal("march-export.csv", Assert.Single(received.Attachments.OfType<MimePart>()).FileName);
            var answer = TestMail.Message(customerAddress, support, "Re: " + received.Subject, $"Wonderful, thank you.\n\n> {received.TextBody?.Replace("\n", "\n> ")}", "Mia Keller");
            answer.InReplyTo = received.MessageId;
            await Mail.SendAsync(answer, support);
            // The fetcher reads it within seconds; the agent looks again.
            for (var attempt = 0; ; attempt++)
            {
                await page.ReloadAsync();
                await session.WaitUntilInteractiveAsync();
                if ((await page.Locator("[data-testid=event][data-kind=CustomerMessage]").AllInnerTextsAsync()).Any(t => t.Contains("Wonderful, thank you.")) || attempt == 15)
                {
                    break;
                }

                await Task.Delay(2000);
            }

            await Expect(page.Locator("[data-testid=event][data-kind=CustomerMessage]").Last).ToContainTextAsync("Wonderful, thank you.");
            await Expect(page.Locator("[data-testid=event][data-kind=CustomerMessage]").Last).Not.ToContainTextAsync("a fix for the March export");
            await session.ScreenshotAsync("customer-replied");
        });
    }

    [Fact]
    public async Task AnAdminRewordsTheTicketReplyPreviewsItAndAMissingPlaceholderIsNamed()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Mail:FetchSeconds"] = "0", ["Outbox:SendSeconds"] = "0" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            await session.NavigateAsync("Mailboxes");
            var templates = page.GetByTestId("templates");
            await templates.GetByTestId("template-body").First.FillAsync("Dear {{contact.name}},\n\nthanks for waiting.\n\n{{agent}}");
            await templates.GetByTestId("template-save").First.ClickAsync();
            await Expect(templates.GetByTestId("template-error")).ToContainTextAsync("{{reply}}");

            await templates.GetByTestId("template-body").First.FillAsync("Dear {{contact.name}},\n\n{{reply}}\n\nWarm regards,\n{{agent}}");
            await templates.GetByTestId("template-preview").First.ClickAsync();
            await Expect(templates.GetByTestId("template-rendered")).ToContainTextAsync("Dear Mia Keller,");
            await Expect(templates.GetByTestId("template-rendered")).ToContainTextAsync("Warm regards,");
            await templates.GetByTestId("template-save").First.ClickAsync();
            await Expect(templates).ToContainTextAsync("your wording");
            await session.ScreenshotAsync("wording");
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var saved = (await admin.GetFromJsonAsync<List<Psm.Web.Features.Mail.MailTemplateDto>>("/api/v1/mail/templates", Json.Options))!
                .Single(t => t.Kind == Psm.Web.Features.Mail.MailTemplateKind.TicketReply);
            Assert.True(saved.Customised);
            Assert.Contains("Warm regards,", saved.Body);
        });
    }

    [Fact]
    public async Task ALeadTurnsOnNotificationsByMailAndIsToldThatNothingGoesOutWithoutAMailbox()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Mail:FetchSeconds"] = "0", ["Outbox:SendSeconds"] = "0" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using (var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin)))
            using (var agent = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent)))
            {
                var users = (await admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users", Json.Options))!;
                var team = await (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Billing", leadId = users.Single(u => u.Email == PsmServer.EmailOf(Roles.SupportLead)).Id }))
                    .ReadAsync<Psm.Web.Features.ServiceDesk.TeamDto>();
                var customer = await (await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "accounts@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
                var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Refund overdue", customerId = customer.Id, teamId = team.Id })).ReadAsync<Psm.Web.Features.ServiceDesk.TicketDto>();
                (await agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/escalations", new { reason = "Customer threatens to cancel" })).EnsureSuccessStatusCode();
            }

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportLead));
            await Expect(page.GetByTestId("notification-count")).ToContainTextAsync("1");
            await page.GetByTestId("notifications").ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/notifications$"));
            var row = page.GetByTestId("notification-row");
            await Expect(row).ToContainTextAsync($"escalated by {PsmServer.EmailOf(Roles.SupportAgent)}: Customer threatens to cancel");
            await Expect(row).ToHaveAttributeAsync("data-read", "false");
            var toggle = page.Locator("[data-testid=notify-by-email] input, input[data-testid=notify-by-email]");
            await Expect(toggle).Not.ToBeCheckedAsync();
            await toggle.CheckAsync();
            await Expect(page.GetByTestId("no-mailbox")).ToBeVisibleAsync();
            await session.ScreenshotAsync("notifications");

            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.Locator("[data-testid=notify-by-email] input, input[data-testid=notify-by-email]")).ToBeCheckedAsync();
            await Expect(page.GetByTestId("notification-row")).ToHaveAttributeAsync("data-read", "true");
            await Expect(page.GetByTestId("notification-count")).Not.ToContainTextAsync("1");
            using var lead = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
            Assert.True((await lead.GetFromJsonAsync<Psm.Web.Features.Account.NotificationSettingsDto>("/api/v1/notifications/settings", Json.Options))!.ByEmail);
        });
    }

    [Fact]
    public async Task AMarketerMailsASurveyWaveOnlyConsentingContactsGetItAndTheAnswerMovesTheWavesResponseRate()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Mail:FetchSeconds"] = "0", ["Outbox:SendSeconds"] = "1", ["Sla:MonitorSeconds"] = "0" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            (await admin.PostAsJsonAsync("/api/v1/mail/mailboxes", Mail.MailboxInput(TestMail.NewAddress("surveys", "example.test")))).EnsureSuccessStatusCode();
            var gus = TestMail.NewAddress("gus");
            var hana = TestMail.NewAddress("hana");
            var ivy = TestMail.NewAddress("ivy");
            var gale = await (await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Gale Logistics", email = "accounts@gale.example", country = "NO" })).ReadAsync<CustomerDto>();
            var holm = await (await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Holm Retail", email = "accounts@holm.example", country = "SE" })).ReadAsync<CustomerDto>();
            foreach (var (customer, name, address) in new[] { (gale, "Gus Dahl", gus), (gale, "Hana Mori", hana), (holm, "Ivy Lund", ivy) })
            {
                (await admin.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/contacts", new { name, email = address })).EnsureSuccessStatusCode();
            }

            (await admin.PostAsJsonAsync($"/api/v1/customers/{gale.Id}/consent", new { purpose = "Surveys", granted = true, source = "renewal call" })).EnsureSuccessStatusCode();
            using var marketer = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Marketer));
            var survey = await (await marketer.PostAsJsonAsync("/api/v1/surveys", new { name = "Quarterly NPS", kind = "Nps", question = "How likely are you to recommend Gale's carrier to a colleague?" }))
                .ReadAsync<Psm.Web.Features.Feedback.SurveyDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Marketer));
            await page.GotoAsync($"/surveys/{survey.Id}");
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("email-wave").ClickAsync();
            await page.GetByTestId("send-wave").ClickAsync();
            await Expect(page.GetByTestId("wave-result")).ToContainTextAsync("2 invited now");
            await Expect(page.GetByTestId("wave-result")).ToContainTextAsync("1 without survey consent");
            await session.ScreenshotAsync("wave-sent");

            // The sender delivers within seconds: Gus and Hana have their invitation, Ivy nothing.
            var invitation = Assert.Single(await Mail.WaitForAsync(gus, 1));
            Assert.Single(await Mail.WaitForAsync(hana, 1));
            Assert.Empty(await Mail.ReadAllAsync(ivy));
            var link = System.Text.RegularExpressions.Regex.Match(invitation.TextBody!, @"https?://\S+/r/[A-Za-z0-9_-]+").Value;

            // Gus answers from the mail, on his phone, without signing in.
            var phone = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 } });
            var visitor = await phone.NewPageAsync();
            await visitor.GotoAsync(link);
            await visitor.GetByText("9", new() { Exact = true }).ClickAsync();
            await visitor.GetByTestId("survey-submit").ClickAsync();
            await Expect(visitor.GetByTestId("survey-thanks")).ToBeVisibleAsync();
            await phone.DisposeAsync();

            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            var wave = page.GetByTestId("wave-row");
            await Expect(wave).ToContainTextAsync("2");
            await Expect(wave.GetByTestId("wave-rate")).ToHaveTextAsync("50 %");
            await session.ScreenshotAsync("wave-figures");
        });
    }
}
