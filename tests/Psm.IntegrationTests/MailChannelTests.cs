using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MimeKit;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Mail;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.IntegrationTests;

/// <summary>
/// The e-mail channel against the real mail server test.sh starts (Postfix + Dovecot on loopback): messages
/// go into PSM's mailbox over SMTP, PSM reads them over IMAP, and what PSM sends is read back out of the
/// customer's mailbox over IMAP. The background fetcher and sender are off; each test runs them through the API.
/// </summary>
public sealed class MailChannelTests
{
    private static readonly TestMail Mail = TestMail.Server;

    private sealed class Desk : IAsyncDisposable
    {
        public required PsmServer App { get; init; }
        public required HttpClient Admin { get; init; }
        public required HttpClient Agent { get; init; }
        public required string Support { get; init; }
        public required MailboxDto Mailbox { get; init; }

        public async Task<FetchResult> FetchAsync()
        {
            var response = await Admin.PostAsync($"/api/v1/mail/mailboxes/{Mailbox.Id}/fetch", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.ReadAsync<FetchResult>();
        }

        public async Task<OutboxRunResult> SendAsync() => await (await Admin.PostAsync("/api/v1/mail/outbox/send", null)).ReadAsync<OutboxRunResult>();

        public async Task<(CustomerDto Customer, ContactDto Contact)> CustomerAsync(string name, string contactName, string address)
        {
            var customer = await (await Admin.PostAsJsonAsync("/api/v1/customers", new { name, email = $"accounts@{name.ToLowerInvariant().Replace(" ", "")}.example", country = "DE" })).ReadAsync<CustomerDto>();
            var contact = await (await Admin.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/contacts", new { name = contactName, email = address })).ReadAsync<ContactDto>();
            return (customer, contact);
        }

        public async Task<List<TicketSummary>> TicketsAsync() =>
            (await Agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&limit=100", Json.Options))!.Items.ToList();

        public async Task<TicketDto> TicketAsync(Guid id) => (await Agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{id}", Json.Options))!;

        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            Agent.Dispose();
            await App.DisposeAsync();
        }
    }

    private static async Task<Desk> DeskAsync(Action<Dictionary<string, object?>>? mailbox = null)
    {
        var app = new PsmServer(new() { ["Mail:FetchSeconds"] = "0", ["Outbox:SendSeconds"] = "0", ["Sla:MonitorSeconds"] = "0" });
        var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var support = TestMail.NewAddress("support", "example.test");
        var input = Mail.MailboxInput(support);
        mailbox?.Invoke(input);
        var created = await admin.PostAsJsonAsync("/api/v1/mail/mailboxes", input);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return new Desk { App = app, Admin = admin, Agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent)), Support = support, Mailbox = await created.ReadAsync<MailboxDto>() };
    }

    [Fact]
    public async Task MailOpensATicketForTheContactTheAgentsAnswerArrivesThreadedAndTheCustomersRepliesComeBackAndReopenIt()
    {
        await using var desk = await DeskAsync();
        var customerAddress = TestMail.NewAddress("mia");
        var (customer, contact) = await desk.CustomerAsync("Aurora Labs", "Mia Keller", customerAddress);

        var first = TestMail.Message(customerAddress, desk.Support, "Invoices export is empty", "Hello,\n\nthe March invoices export gives an empty file.\n\nMia", "Mia Keller");
        var firstId = await Mail.SendAsync(first, desk.Support);
        var fetched = await desk.FetchAsync();
        Assert.Equal((1, 1), (fetched.Read, fetched.NewTickets));
        Assert.Equal(0, (await desk.FetchAsync()).Read); // read by UID: never twice

        var summary = Assert.Single(await desk.TicketsAsync());
        Assert.Equal((TicketChannel.Email, customer.Id, "Invoices export is empty"), (summary.Channel, summary.Customer.Id, summary.Subject));
        var ticket = await desk.TicketAsync(summary.Id);
        Assert.Equal(contact.Id, ticket.Contact?.Id);
        var opening = Assert.Single(ticket.Timeline, e => e.Kind == TicketEventKind.CustomerMessage);
        Assert.Equal("Mia Keller", opening.Actor);
        Assert.Contains("empty file", opening.Text);
        Assert.True(opening.ByEmail);

        // The agent's reply goes out through the outbox: queued with the reply, sent by the sender.
        var replied = await (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{summary.Id}/replies", new { text = "Thanks Mia, a fix for the March export is on its way." })).ReadAsync<TicketDto>();
        var reply = Assert.Single(replied.Timeline, e => e.Kind == TicketEventKind.Reply);
        Assert.Equal(OutboxStatus.Queued, reply.Delivery?.Status);
        (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{summary.Id}/notes", new { text = "Internal: finance knows." })).EnsureSuccessStatusCode();
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var received = Assert.Single(await Mail.WaitForAsync(customerAddress, 1));
        Assert.Contains($"[{summary.Key}]", received.Subject);
        Assert.Equal(firstId, received.InReplyTo);
        Assert.Contains(firstId, received.References);
        Assert.Equal(desk.Support, received.From.Mailboxes.Single().Address);
        Assert.Contains("a fix for the March export", received.TextBody);
        Assert.DoesNotContain("finance knows", received.TextBody); // internal notes are never sent
        Assert.Equal(OutboxStatus.Sent, (await desk.TicketAsync(summary.Id)).Timeline.Single(e => e.Kind == TicketEventKind.Reply).Delivery?.Status);

        // The customer answers PSM's mail, quoting it: threaded by In-Reply-To, the quote trimmed.
        var answer = TestMail.Message(customerAddress, desk.Support, "Re: " + received.Subject,
            $"Great, thank you!\n\nOn Mon, 30 Nov 2026 at 10:00, Support <{desk.Support}> wrote:\n> {MailReading.ReplyAbove}\n> Thanks Mia, a fix is on its way.", "Mia Keller");
        answer.InReplyTo = received.MessageId;
        answer.References.Add(firstId);
        answer.References.Add(received.MessageId!);
        answer.Subject = "Re: about the export"; // a subject without the key still threads by header
        await Mail.SendAsync(answer, desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).Replies);
        var threaded = await desk.TicketAsync(summary.Id);
        Assert.Single(await desk.TicketsAsync());
        Assert.Equal("Great, thank you!", threaded.Timeline.Last(e => e.Kind == TicketEventKind.CustomerMessage).Text);

        // Resolved, then the customer writes with only the key in the subject: it reopens.
        (await desk.Agent.PutAsJsonAsync($"/api/v1/tickets/{summary.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        await Mail.SendAsync(TestMail.Message(customerAddress, desk.Support, $"[{summary.Key}] still empty", "Sorry, April is empty too."), desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).Replies);
        var reopened = await desk.TicketAsync(summary.Id);
        Assert.Equal((TicketStatus.Reopened, 1), (reopened.Summary.Status, reopened.Reopened));
        Assert.Equal("Sorry, April is empty too.", reopened.Timeline.Last(e => e.Kind == TicketEventKind.CustomerMessage).Text);

        // Someone outside the customer cannot add to its ticket by typing the key: a ticket of their own.
        var outsider = TestMail.NewAddress("eve");
        await Mail.SendAsync(TestMail.Message(outsider, desk.Support, $"[{summary.Key}] hello", "Let me in."), desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).NewTickets);
        Assert.Equal(2, (await desk.TicketsAsync()).Count);

        // Tickets by channel, in the registry.
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd");
        Assert.Equal(2, (await desk.Agent.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/service.tickets_opened/value?from={today}&to={tomorrow}&channel=Email", Json.Options))!.Value);
        Assert.Equal(0, (await desk.Agent.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/service.tickets_opened/value?from={today}&to={tomorrow}&channel=Phone", Json.Options))!.Value);
    }

    [Fact]
    public async Task AChatMessageLeftWhenNobodyWasAvailableIsAcknowledgedByMailAndAnsweredByMailAndTheVisitorsAnswerComesBack()
    {
        await using var desk = await DeskAsync();
        var site = await (await desk.Admin.PostAsJsonAsync("/api/v1/chat-sites", new { name = "Shop", allowedOrigins = new[] { "https://shop.example.com" } }))
            .ReadAsync<Psm.Web.Features.Chat.ChatSiteDto>();
        using var visitor = desk.App.Anonymous();
        visitor.DefaultRequestHeaders.Add("Origin", "https://shop.example.com");
        var started = await (await visitor.PostAsJsonAsync($"/api/v1/public/chat/{site.SiteKey}/conversations", new { question = "Do you invoice in EUR?" }))
            .ReadAsync<Psm.Web.Features.Chat.ChatStarted>();
        var address = TestMail.NewAddress("ines");
        using var leave = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/public/chat/{site.SiteKey}/conversations/{started.Id}/offline")
        {
            Content = JsonContent.Create(new { name = "Ines Roth", email = address, message = "We need EUR invoices from May. Possible?" }),
        };
        leave.Headers.Add(Psm.Web.Features.Chat.ChatApi.TokenHeader, started.Token);
        var left = await (await visitor.SendAsync(leave)).ReadAsync<Psm.Web.Features.Chat.ChatVisitorView>();
        Assert.Equal(Psm.Web.Features.Chat.ChatStatus.Missed, left.Status);

        // The acknowledgement goes out from the support mailbox with the ticket's key in the subject.
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var acknowledged = Assert.Single(await Mail.WaitForAsync(address, 1));
        Assert.Contains($"[{left.TicketKey}]", acknowledged.Subject);
        Assert.Contains("> We need EUR invoices from May. Possible?", acknowledged.TextBody);
        Assert.Equal(desk.Support, acknowledged.From.Mailboxes.Single().Address);

        // The agent answers on the ticket: by e-mail, threaded on the acknowledgement.
        var ticket = (await desk.TicketsAsync()).Single(t => t.Key == left.TicketKey);
        Assert.Equal(TicketChannel.Chat, ticket.Channel);
        (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { text = "Yes, from May your invoices will be in EUR." })).EnsureSuccessStatusCode();
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var answered = (await Mail.WaitForAsync(address, 2))[1];
        Assert.Contains("from May your invoices will be in EUR", answered.TextBody);
        Assert.Equal(acknowledged.MessageId, answered.InReplyTo);

        // The visitor's reply to the mail comes back onto the same ticket.
        var reply = TestMail.Message(address, desk.Support, "Re: " + answered.Subject, "Great, thanks!", "Ines Roth");
        reply.InReplyTo = answered.MessageId;
        await Mail.SendAsync(reply, desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).Replies);
        Assert.Equal("Great, thanks!", (await desk.TicketAsync(ticket.Id)).Timeline.Last(e => e.Kind == TicketEventKind.CustomerMessage).Text);
    }

    [Fact]
    public async Task UnknownSendersAreNeverLostAutoRepliesAndBouncesOpenNothingAndABounceMarksTheContact()
    {
        await using var desk = await DeskAsync();
        var stranger = TestMail.NewAddress("lars");
        await Mail.SendAsync(TestMail.Message(stranger, desk.Support, "Pricing for 40 seats?", "What would 40 seats cost?", "Lars Berg"), desk.Support);
        var known = TestMail.NewAddress("ana");
        var (_, contact) = await desk.CustomerAsync("Birch Foods", "Ana Lima", known);

        var auto = TestMail.Message(known, desk.Support, "Out of office", "I am away until Monday.");
        auto.Headers.Add("Auto-Submitted", "auto-replied");
        await Mail.SendAsync(auto, desk.Support);
        var bulk = TestMail.Message(TestMail.NewAddress("news"), desk.Support, "Our newsletter", "News!");
        bulk.Headers.Add("Precedence", "bulk");
        await Mail.SendAsync(bulk, desk.Support);
        await Mail.SendAsync(TestMail.Message(TestMail.NewAddress("noreply"), desk.Support, "Your receipt", "Thanks for your order."), desk.Support);

        // A bounce of mail to the known contact, as Postfix writes them (a delivery-status report).
        var bounce = new MimeMessage { Subject = "Undelivered Mail Returned to Sender" };
        bounce.From.Add(new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@mail.customer.test"));
        bounce.To.Add(MailboxAddress.Parse(desk.Support));
        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = $"I'm sorry to have to inform you that your message could not be delivered to {known}." },
        };
        var status = new MessageDeliveryStatus();
        using (var content = new MemoryStream(System.Text.Encoding.ASCII.GetBytes($"Reporting-MTA: dns; mail.customer.test\r\n\r\nFinal-Recipient: rfc822; {known}\r\nAction: failed\r\nStatus: 5.1.1\r\n")))
        {
            status.Content = new MimeContent(new MemoryStream(content.ToArray()));
        }

        report.Add(status);
        bounce.Body = report;
        await Mail.SendAsync(bounce, desk.Support);

        var fetched = await desk.FetchAsync();
        Assert.Equal((5, 1, 4), (fetched.Read, fetched.NewTickets, fetched.Ignored));
        var ticket = await desk.TicketAsync(Assert.Single(await desk.TicketsAsync()).Id);
        Assert.Equal("Unassigned senders", ticket.Summary.Customer.Name);
        Assert.Equal("Lars Berg", ticket.Contact?.Name);
        var contacts = await desk.Admin.GetFromJsonAsync<List<ContactDto>>($"/api/v1/customers/{ticket.Summary.Customer.Id}/contacts", Json.Options);
        Assert.Contains(contacts!, c => c.Email == stranger && c.Name == "Lars Berg");

        var bouncing = (await desk.Admin.GetFromJsonAsync<List<ContactDto>>($"/api/v1/customers/{await CustomerOfAsync(desk, contact.Id)}/contacts", Json.Options))!.Single(c => c.Id == contact.Id);
        Assert.NotNull(bouncing.BouncedAt);
        Assert.Empty((await desk.Admin.GetFromJsonAsync<List<QuarantinedMailDto>>("/api/v1/mail/quarantine", Json.Options))!);
        Assert.Equal(0, (await desk.SendAsync()).Sent); // nothing answered automatically

        // A mailbox set to "a new customer per unknown sender".
        var input = Mail.MailboxInput(desk.Support);
        input["unknownSenders"] = "NewCustomer";
        input["version"] = desk.Mailbox.Version;
        input.Remove("imapPassword"); // kept
        (await desk.Admin.PutAsJsonAsync($"/api/v1/mail/mailboxes/{desk.Mailbox.Id}", input)).EnsureSuccessStatusCode();
        var newcomer = TestMail.NewAddress("kai");
        await Mail.SendAsync(TestMail.Message(newcomer, desk.Support, "Trial question", "Can the trial be extended?", "Kai Olsen"), desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).NewTickets);
        Assert.Contains(await desk.TicketsAsync(), t => t.Customer.Name == "Kai Olsen");
    }

    private static async Task<Guid> CustomerOfAsync(Desk desk, Guid contactId)
    {
        await using var scope = desk.App.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Psm.Web.Data.PsmDb>>().CreateDbContextAsync();
        return Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.CustomerContacts).Single(c => c.Id == contactId).CustomerId;
    }

    [Fact]
    public async Task DuplicatesAreIgnoredUnreadableMailIsQuarantinedWithItsReasonAndTheNextMessageIsStillRead()
    {
        await using var desk = await DeskAsync(m => m["maxMessageMegabytes"] = 1);
        var customer = TestMail.NewAddress("noor");
        await desk.CustomerAsync("Cedar Health", "Noor Haddad", customer);

        var original = TestMail.Message(customer, desk.Support, "Login loop", "The login page loops.");
        await Mail.SendAsync(original, desk.Support);
        var again = TestMail.Message(customer, desk.Support, "Login loop", "The login page loops.");
        again.MessageId = original.MessageId!;
        await Mail.SendAsync(again, desk.Support);
        await Mail.SendRawAsync(customer, desk.Support,
            $"From: Noor <{customer}>\r\nTo: {desk.Support}\r\nSubject: Klingon\r\nMessage-ID: <klingon-{Guid.NewGuid():N}@customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nnuqneH\r\n");
        await Mail.SendRawAsync(customer, desk.Support,
            $"From: Noor <{customer}>\r\nTo: {desk.Support}\r\nSubject: No boundary\r\nMessage-ID: <nob-{Guid.NewGuid():N}@customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nbroken\r\n");
        var big = TestMail.Message(customer, desk.Support, "Screenshots", "See the attached recording.");
        var builder = new BodyBuilder { TextBody = "See the attached recording." };
        builder.Attachments.Add("recording.bin", Enumerable.Range(0, 1_500_000).Select(i => (byte)(i * 7)).ToArray());
        big.Body = builder.ToMessageBody();
        await Mail.SendAsync(big, desk.Support);
        var small = TestMail.Message(customer, desk.Support, "Log file", "Attached is the log.");
        var smallBody = new BodyBuilder { TextBody = "Attached is the log." };
        smallBody.Attachments.Add("app.log", "2026-11-30 ERROR login loop\n"u8.ToArray(), new ContentType("application", "octet-stream"));
        small.Body = smallBody.ToMessageBody();
        await Mail.SendAsync(small, desk.Support);

        var fetched = await desk.FetchAsync();
        Assert.Equal((6, 2, 1, 3), (fetched.Read, fetched.NewTickets, fetched.Duplicates, fetched.Quarantined));
        var quarantine = await desk.Admin.GetFromJsonAsync<List<QuarantinedMailDto>>("/api/v1/mail/quarantine", Json.Options);
        Assert.Equal(3, quarantine!.Count);
        Assert.Contains(quarantine, q => q.Subject == "Klingon" && q.Reason.Contains("charset \"x-klingon\""));
        Assert.Contains(quarantine, q => q.Subject == "No boundary" && q.Reason.Contains("boundary"));
        Assert.Contains(quarantine, q => q.Subject == "Screenshots" && q.Reason.Contains("over this mailbox's limit of 1 MB"));

        // The attachment under the limit is stored and downloadable by whoever reads the ticket.
        var withLog = (await desk.TicketsAsync()).Single(t => t.Subject == "Log file");
        var entry = (await desk.TicketAsync(withLog.Id)).Timeline.Single(e => e.Kind == TicketEventKind.CustomerMessage);
        var file = Assert.Single(entry.Attachments!);
        Assert.Equal("app.log", file.FileName);
        using var stakeholder = await desk.App.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var download = await stakeholder.GetAsync($"/api/v1/tickets/{withLog.Id}/attachments/{file.Id}");
        Assert.Equal("2026-11-30 ERROR login loop\n", await download.Content.ReadAsStringAsync());
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await stakeholder.GetAsync($"/api/v1/tickets/{(await desk.TicketsAsync()).First(t => t.Id != withLog.Id).Id}/attachments/{file.Id}")).StatusCode);

        // Only an admin may retry or drop; a retry reads the message as well as PSM can; a drop removes it.
        using var lead = await desk.App.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        var klingon = quarantine.Single(q => q.Subject == "Klingon");
        Assert.Equal(HttpStatusCode.Forbidden, (await lead.PostAsync($"/api/v1/mail/quarantine/{klingon.Id}/retry", null)).StatusCode);
        var retried = await (await desk.Admin.PostAsync($"/api/v1/mail/quarantine/{klingon.Id}/retry", null)).ReadAsync<QuarantineRetryResult>();
        Assert.Equal(IngestOutcome.NewTicket, retried.Outcome);
        Assert.Contains(await desk.TicketsAsync(), t => t.Subject == "Klingon");
        var broken = quarantine.Single(q => q.Subject == "No boundary");
        Assert.Equal(HttpStatusCode.NoContent, (await desk.Admin.DeleteAsync($"/api/v1/mail/quarantine/{broken.Id}")).StatusCode);
        Assert.Equal(["Screenshots"], (await desk.Admin.GetFromJsonAsync<List<QuarantinedMailDto>>("/api/v1/mail/quarantine", Json.Options))!.Select(q => q.Subject));
    }

    [Fact]
    public async Task MailReadInOneBatchThreadsOntoTicketsOpenedMomentsBeforeAndAMessageTheDatabaseRefusesWaitsInTheQuarantineAlone()
    {
        await using var desk = await DeskAsync();

        // One batch: a stranger writes, then writes again in reply to their own first mail, then once more: one contact, one ticket, three messages in order.
        var stranger = TestMail.NewAddress("ilse");
        var first = TestMail.Message(stranger, desk.Support, "Label printer offline", "Since the update the label printer shows offline.", "Ilse Brandt");
        await Mail.SendAsync(first, desk.Support);
        var second = TestMail.Message(stranger, desk.Support, "Re: Label printer offline", "It also happens on the second station.", "Ilse Brandt");
        second.InReplyTo = first.MessageId;
        await Mail.SendAsync(second, desk.Support);
        var third = TestMail.Message(stranger, desk.Support, "Re: Label printer offline", "Restarting did not help.", "Ilse Brandt");
        third.InReplyTo = second.MessageId;
        third.References.Add(first.MessageId!);
        await Mail.SendAsync(third, desk.Support);
        var fetched = await desk.FetchAsync();
        Assert.Equal((3, 1, 2, 0), (fetched.Read, fetched.NewTickets, fetched.Replies, fetched.Quarantined));
        var ticket = Assert.Single(await desk.TicketsAsync());
        Assert.Equal(
            ["Since the update the label printer shows offline.", "It also happens on the second station.", "Restarting did not help."],
            (await desk.TicketAsync(ticket.Id)).Timeline.Where(e => e.Kind == TicketEventKind.CustomerMessage).OrderBy(e => e.At).Select(e => e.Text));
        await using (var scope = desk.App.Services.CreateAsyncScope())
        await using (var db = await scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Psm.Web.Data.PsmDb>>().CreateDbContextAsync())
        {
            Assert.Equal(1, db.CustomerContacts.Count(c => c.Email == stranger));

            // The database refuses one message of the next batch: that one waits in the quarantine with the reason, the others are read.
            var postgres = db.Database.ProviderName!.Contains("Npgsql");
            await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database, postgres
                ? """
                  CREATE FUNCTION refuse_mail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test''s trigger'; END $$ LANGUAGE plpgsql;
                  CREATE TRIGGER refuse_mail BEFORE INSERT ON "MailMessages" FOR EACH ROW WHEN (NEW."Subject" = 'Refuse me') EXECUTE FUNCTION refuse_mail();
                  """
                : """
                  CREATE TRIGGER refuse_mail BEFORE INSERT ON MailMessages WHEN NEW.Subject = 'Refuse me' BEGIN SELECT RAISE(ABORT, 'refused by the test''s trigger'); END;
                  """);
        }

        var customer = TestMail.NewAddress("omar");
        await desk.CustomerAsync("Harbour Freight", "Omar Said", customer);
        await Mail.SendAsync(TestMail.Message(customer, desk.Support, "Invoice 4471 twice", "We were charged twice for invoice 4471."), desk.Support);
        await Mail.SendAsync(TestMail.Message(customer, desk.Support, "Refuse me", "This one the database will not take."), desk.Support);
        var reply = TestMail.Message(stranger, desk.Support, "Re: Label printer offline", "Now it works again, thanks.", "Ilse Brandt");
        reply.InReplyTo = third.MessageId;
        await Mail.SendAsync(reply, desk.Support);
        fetched = await desk.FetchAsync();
        Assert.Equal((3, 1, 1, 1), (fetched.Read, fetched.NewTickets, fetched.Replies, fetched.Quarantined));
        var refused = Assert.Single((await desk.Admin.GetFromJsonAsync<List<QuarantinedMailDto>>("/api/v1/mail/quarantine", Json.Options))!);
        Assert.Equal("Refuse me", refused.Subject);
        Assert.Contains("PSM could not store it", refused.Reason);
        Assert.Contains("refused by the test's trigger", refused.Reason);
        Assert.Equal(["Invoice 4471 twice", "Label printer offline"], (await desk.TicketsAsync()).Select(t => t.Subject).Order());
        Assert.Equal(4, (await desk.TicketAsync(ticket.Id)).Timeline.Count(e => e.Kind == TicketEventKind.CustomerMessage));

        // Read again: nothing is taken twice, and the refused one is not read again by the fetcher (an admin retries it).
        Assert.Equal(0, (await desk.FetchAsync()).Read);
    }

    [Fact]
    public async Task HtmlMailIsStoredInertAndReadAsText()
    {
        await using var desk = await DeskAsync();
        var customer = TestMail.NewAddress("ola");
        var message = TestMail.Message(customer, desk.Support, "Dashboard broken", "");
        message.Body = new TextPart("html")
        {
            Text = "<html><body><p>The <b>dashboard</b> is blank.</p><script>fetch('/api/v1/users')</script><img src=x onerror=\"alert('xss')\"><a href=\"javascript:alert(1)\">details</a></body></html>",
        };
        await Mail.SendAsync(message, desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).NewTickets);
        var ticket = await desk.TicketAsync(Assert.Single(await desk.TicketsAsync()).Id);
        var entry = ticket.Timeline.Single(e => e.Kind == TicketEventKind.CustomerMessage);
        Assert.Contains("The dashboard is blank.", entry.Text);
        Assert.DoesNotContain("fetch(", entry.Text);
        Assert.True(entry.HasHtml);
        var html = await (await desk.Agent.GetAsync($"/api/v1/tickets/{ticket.Summary.Id}/events/{entry.Id}/html")).ReadAsync<MailHtmlDto>();
        Assert.Contains("<b>dashboard</b>", html.Html);
        Assert.DoesNotContain("<script", html.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onerror", html.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", html.Html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WhenSmtpIsDownTheReplyStaysQueuedWithTheReasonAndIsSentExactlyOnceWhenItIsBack()
    {
        var closedPort = ClosedPort();
        await using var desk = await DeskAsync(m => m["smtpPort"] = closedPort);
        var customer = TestMail.NewAddress("ivo");
        await desk.CustomerAsync("Delta Freight", "Ivo Petrov", customer);
        await Mail.SendAsync(TestMail.Message(customer, desk.Support, "Tracking page 404", "The tracking page gives 404."), desk.Support);
        await desk.FetchAsync();
        var ticket = Assert.Single(await desk.TicketsAsync());
        (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { text = "We are on it." })).EnsureSuccessStatusCode();

        Assert.Equal(new OutboxRunResult(0, 1, 0), await desk.SendAsync());
        var queued = Assert.Single((await desk.Admin.GetFromJsonAsync<List<OutboxMessageDto>>("/api/v1/mail/outbox", Json.Options))!);
        Assert.Equal((OutboxStatus.Queued, 1), (queued.Status, queued.Attempts));
        Assert.False(string.IsNullOrEmpty(queued.LastError));
        Assert.True(queued.NextAttemptAt > DateTimeOffset.UtcNow); // backing off
        var delivery = (await desk.TicketAsync(ticket.Id)).Timeline.Single(e => e.Kind == TicketEventKind.Reply).Delivery!;
        Assert.Equal((OutboxStatus.Queued, queued.LastError), (delivery.Status, delivery.LastError));
        Assert.Equal(new OutboxRunResult(0, 0, 0), await desk.SendAsync()); // not due yet

        // The admin fixes the port and retries: sent once; more runs send nothing more.
        var input = Mail.MailboxInput(desk.Support);
        input["version"] = (await desk.Admin.GetFromJsonAsync<MailboxDto>($"/api/v1/mail/mailboxes/{desk.Mailbox.Id}", Json.Options))!.Version;
        input["imapPassword"] = null;
        (await desk.Admin.PutAsJsonAsync($"/api/v1/mail/mailboxes/{desk.Mailbox.Id}", input)).EnsureSuccessStatusCode();
        (await desk.Admin.PostAsync($"/api/v1/mail/outbox/{queued.Id}/retry", null)).EnsureSuccessStatusCode();
        Assert.Equal(new OutboxRunResult(1, 0, 0), await desk.SendAsync());
        Assert.Equal(new OutboxRunResult(0, 0, 0), await desk.SendAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await desk.Admin.PostAsync($"/api/v1/mail/outbox/{queued.Id}/retry", null)).StatusCode);
        await Task.Delay(1500);
        var inbox = await Mail.ReadAllAsync(customer);
        Assert.Single(inbox);
        Assert.Contains("We are on it.", inbox[0].TextBody);
        Assert.Equal(OutboxStatus.Sent, (await desk.TicketAsync(ticket.Id)).Timeline.Single(e => e.Kind == TicketEventKind.Reply).Delivery?.Status);
    }

    [Fact]
    public async Task TwoFetchesAtOnceTakeEachMessageOnce()
    {
        await using var desk = await DeskAsync();
        var customer = TestMail.NewAddress("zoe");
        await desk.CustomerAsync("Elm Studio", "Zoe Park", customer);
        for (var i = 1; i <= 6; i++)
        {
            await Mail.SendAsync(TestMail.Message(customer, desk.Support, $"Question {i}", $"Question number {i}."), desk.Support);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => desk.FetchAsync()));
        var afterwards = await desk.FetchAsync();
        Assert.Equal(6, results.Sum(r => r.NewTickets) + afterwards.NewTickets);
        Assert.Equal(6, (await desk.TicketsAsync()).Count);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"Question {i}").Order(), (await desk.TicketsAsync()).Select(t => t.Subject).Order());
    }

    [Fact]
    public async Task MailboxesKeepTheirPasswordsToThemselvesAndOnlyAdminsChangeThem()
    {
        await using var desk = await DeskAsync();
        var json = await desk.Admin.GetStringAsync($"/api/v1/mail/mailboxes/{desk.Mailbox.Id}");
        Assert.DoesNotContain(Mail.Password, JsonNode.Parse(json)!.ToJsonString().Replace("\"hasImapPassword\"", ""));
        Assert.True(desk.Mailbox.HasImapPassword);
        Assert.DoesNotContain("Secret", json);
        using var lead = await desk.App.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        Assert.Equal(HttpStatusCode.OK, (await lead.GetAsync("/api/v1/mail/mailboxes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await lead.PostAsJsonAsync("/api/v1/mail/mailboxes", Mail.MailboxInput(TestMail.NewAddress("x", "example.test")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await desk.Agent.GetAsync("/api/v1/mail/mailboxes")).StatusCode);

        // Bad settings name the field; a wrong password shows on the mailbox, not as a failure of the call.
        var bad = Mail.MailboxInput("not-an-address");
        bad["imapPort"] = 70000;
        var errors = await Problems.Errors(await desk.Admin.PostAsJsonAsync("/api/v1/mail/mailboxes", bad));
        Assert.Contains("address", errors.Keys, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("imapPort", errors.Keys, StringComparer.OrdinalIgnoreCase);
        var wrong = Mail.MailboxInput(desk.Support);
        wrong["imapPassword"] = "not-the-password";
        wrong["version"] = desk.Mailbox.Version;
        (await desk.Admin.PutAsJsonAsync($"/api/v1/mail/mailboxes/{desk.Mailbox.Id}", wrong)).EnsureSuccessStatusCode();
        var failed = await desk.FetchAsync();
        Assert.NotNull(failed.Skipped);
        Assert.False(string.IsNullOrEmpty((await desk.Admin.GetFromJsonAsync<MailboxDto>($"/api/v1/mail/mailboxes/{desk.Mailbox.Id}", Json.Options))!.LastFetchError));
    }

    [Fact]
    public async Task AResolvedTicketsSatisfactionSurveyIsMailedWhenItsTeamSaysSoAfterItsDelayAndTheLinkTakesTheAnswer()
    {
        await using var desk = await DeskAsync();
        var customer = TestMail.NewAddress("pia");
        var (fjord, pia) = await desk.CustomerAsync("Fjord Energy", "Pia Holm", customer);
        var team = await (await desk.Admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1" })).ReadAsync<TeamDto>();
        foreach (var subject in new[] { "Meter readings missing", "Portal login slow" })
        {
            await Mail.SendAsync(TestMail.Message(customer, desk.Support, subject, $"{subject}, since Friday."), desk.Support);
        }

        await desk.FetchAsync();
        var tickets = await desk.TicketsAsync();
        var first = tickets.Single(t => t.Subject == "Meter readings missing");
        var second = tickets.Single(t => t.Subject == "Portal login slow");
        foreach (var t in tickets)
        {
            (await desk.Agent.PutAsJsonAsync($"/api/v1/tickets/{t.Id}/assignment", new { teamId = team.Id })).EnsureSuccessStatusCode();
        }

        // Off by default: resolving sends nothing.
        (await desk.Agent.PutAsJsonAsync($"/api/v1/tickets/{first.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        Assert.Equal(0, (await desk.SendAsync()).Sent);

        // On, 30 minutes after resolving: queued, not yet due.
        using var lead = await desk.App.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        Assert.Equal(HttpStatusCode.Forbidden, (await desk.Agent.PutAsJsonAsync($"/api/v1/teams/{team.Id}/survey-mail", new { enabled = true, delayMinutes = 30 })).StatusCode);
        Assert.Contains("delayMinutes", (await Problems.Errors(await lead.PutAsJsonAsync($"/api/v1/teams/{team.Id}/survey-mail", new { enabled = true, delayMinutes = -5 }))).Keys);
        var configured = await (await lead.PutAsJsonAsync($"/api/v1/teams/{team.Id}/survey-mail", new { enabled = true, delayMinutes = 30 })).ReadAsync<TeamDto>();
        Assert.Equal((true, 30), (configured.CsatByEmail, configured.CsatDelayMinutes));
        var resolved = await (await desk.Agent.PutAsJsonAsync($"/api/v1/tickets/{second.Id}/status", new { status = "Resolved" })).ReadAsync<TicketDto>();
        Assert.Contains($"e-mailed to {customer} in 30 minutes", resolved.Timeline.Single(e => e.Kind == TicketEventKind.Survey).Text);
        Assert.Equal(0, (await desk.SendAsync()).Sent);
        var queued = Assert.Single((await desk.Admin.GetFromJsonAsync<List<OutboxMessageDto>>("/api/v1/mail/outbox?status=Queued", Json.Options))!);
        Assert.InRange(queued.NextAttemptAt - queued.CreatedAt, TimeSpan.FromMinutes(29.9), TimeSpan.FromMinutes(30.1));

        // Due now (as if the half hour had passed): the customer gets the link, threaded on the ticket, and it takes one answer.
        (await desk.Admin.PostAsync($"/api/v1/mail/outbox/{queued.Id}/retry", null)).EnsureSuccessStatusCode();
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var survey = (await Mail.WaitForAsync(customer, 1)).Single(m => m.Subject!.StartsWith("How did we do?", StringComparison.Ordinal));
        Assert.Contains($"[{second.Key}]", survey.Subject);
        var token = System.Text.RegularExpressions.Regex.Match(survey.TextBody!, @"/r/([A-Za-z0-9_-]+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Contains($"{desk.App.BaseAddress.ToString().TrimEnd('/')}/r/{token}", survey.TextBody);
        using var anonymous = desk.App.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{token}/responses", new { score = 5, comment = "Quick and kind." })).StatusCode);
        Assert.Equal(5, (await desk.TicketAsync(second.Id)).SatisfactionScore);

        // A ticket reopened before its survey is due gets no survey: the mail is dropped with the reason.
        var third = await (await desk.Agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Tariff question", customerId = fjord.Id, contactId = pia.Id, teamId = team.Id }))
            .ReadAsync<TicketDto>();
        (await desk.Agent.PutAsJsonAsync($"/api/v1/tickets/{third.Summary.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        var waiting = Assert.Single((await desk.Admin.GetFromJsonAsync<List<OutboxMessageDto>>("/api/v1/mail/outbox?status=Queued", Json.Options))!);
        (await desk.Agent.PutAsJsonAsync($"/api/v1/tickets/{third.Summary.Id}/status", new { status = "Reopened" })).EnsureSuccessStatusCode();
        (await desk.Admin.PostAsync($"/api/v1/mail/outbox/{waiting.Id}/retry", null)).EnsureSuccessStatusCode();
        Assert.Equal(0, (await desk.SendAsync()).Sent);
        var dropped = Assert.Single((await desk.Admin.GetFromJsonAsync<List<OutboxMessageDto>>("/api/v1/mail/outbox?status=Failed", Json.Options))!);
        Assert.Equal(waiting.Id, dropped.Id);
        Assert.Contains("reopened", dropped.LastError);
        Assert.Single(await Mail.ReadAllAsync(customer), m => m.Subject!.StartsWith("How did we do?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASurveyWaveReachesOnlyConsentingContactsOncePerWaveAndUnsubscribingIsHonouredAtOnce()
    {
        await using var desk = await DeskAsync();
        using var marketer = await desk.App.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var (consenting, first) = await desk.CustomerAsync("Gale Logistics", "Gus Dahl", TestMail.NewAddress("gus"));
        var second = await (await desk.Admin.PostAsJsonAsync($"/api/v1/customers/{consenting.Id}/contacts", new { name = "Hana Mori", email = TestMail.NewAddress("hana") })).ReadAsync<ContactDto>();
        var (_, stranger) = await desk.CustomerAsync("Holm Retail", "Ivy Lund", TestMail.NewAddress("ivy"));
        (await desk.Admin.PostAsJsonAsync($"/api/v1/customers/{consenting.Id}/consent", new { purpose = "Surveys", granted = true, source = "renewal call" })).EnsureSuccessStatusCode();
        var survey = await (await marketer.PostAsJsonAsync("/api/v1/surveys", new { name = "Quarterly NPS", kind = "Nps", question = "How likely are you to recommend Gale's carrier to a colleague?" }))
            .ReadAsync<Psm.Web.Features.Feedback.SurveyDto>();

        Assert.Equal(HttpStatusCode.Forbidden, (await desk.Agent.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/invitations", new { })).StatusCode);
        var sent = await (await marketer.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/invitations", new { })).ReadAsync<WaveMailResult>();
        Assert.Equal(new WaveMailResult(1, 2, 0, 1, 0, 0), sent);
        Assert.Equal(new WaveMailResult(1, 0, 2, 1, 0, 0), await (await marketer.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/invitations", new { })).ReadAsync<WaveMailResult>());
        Assert.Equal(2, (await desk.SendAsync()).Sent);
        var toGus = Assert.Single(await Mail.WaitForAsync(first.Email, 1));
        Assert.Single(await Mail.WaitForAsync(second.Email, 1));
        Assert.Empty(await Mail.ReadAllAsync(stranger.Email));
        Assert.Contains("How likely are you to recommend", toGus.TextBody);
        Assert.StartsWith("<http", toGus.Headers["List-Unsubscribe"]);
        var unsubscribe = System.Text.RegularExpressions.Regex.Match(toGus.TextBody!, @"/u/([A-Za-z0-9_-]+)").Groups[1].Value;

        // Hana's invitation bounces (the bounce returns its headers): the wave's figures count it.
        var bounce = new MimeMessage { Subject = "Undelivered Mail Returned to Sender" };
        bounce.From.Add(new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@mail.customer.test"));
        bounce.To.Add(MailboxAddress.Parse(desk.Support));
        var toHanaFirst = (await Mail.ReadAllAsync(second.Email)).Single();
        var returned = new MimeMessage { MessageId = toHanaFirst.MessageId!, Subject = toHanaFirst.Subject! };
        returned.From.Add(MailboxAddress.Parse(desk.Support));
        returned.To.Add(MailboxAddress.Parse(second.Email));
        returned.Body = new TextPart("plain") { Text = "(headers only)" };
        bounce.Body = new MultipartReport("delivery-status") { new TextPart("plain") { Text = "The mailbox is full." }, new MessagePart("rfc822") { Message = returned } };
        await Mail.SendAsync(bounce, desk.Support);
        Assert.Equal(1, (await desk.FetchAsync()).Ignored);
        var wave1 = Assert.Single((await marketer.GetFromJsonAsync<List<WaveFiguresDto>>($"/api/v1/surveys/{survey.Id}/invitations/waves", Json.Options))!);
        Assert.Equal(new WaveFiguresDto(1, 2, 2, 1, 1, 0, 0), wave1);
        var window = $"from={DateTime.UtcNow:yyyy-MM-dd}&to={DateTime.UtcNow.AddDays(1):yyyy-MM-dd}";
        Assert.Equal(1, (await marketer.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/survey.invitations_bounced/value?{window}", Json.Options))!.Value);
        var contactsNow = await desk.Admin.GetFromJsonAsync<List<ContactDto>>($"/api/v1/customers/{consenting.Id}/contacts", Json.Options);
        Assert.NotNull(contactsNow!.Single(c => c.Id == second.Id).BouncedAt);
        // Her address works again (the customer fixed the full mailbox): re-adding the contact clears the flag.
        (await desk.Admin.DeleteAsync($"/api/v1/customers/{consenting.Id}/contacts/{second.Id}")).EnsureSuccessStatusCode();
        second = await (await desk.Admin.PostAsJsonAsync($"/api/v1/customers/{consenting.Id}/contacts", new { name = "Hana Mori", email = second.Email })).ReadAsync<ContactDto>();

        // Gus unsubscribes without signing in: the page asks first, the one-click POST does it.
        using var anonymous = desk.App.Anonymous();
        Assert.Contains("Unsubscribe", await anonymous.GetStringAsync($"/u/{unsubscribe}"));
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PostAsync($"/api/v1/public/unsubscribe/{unsubscribe}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsync($"/api/v1/public/unsubscribe/not-a-token", null)).StatusCode);
        var consent = await desk.Admin.GetFromJsonAsync<ConsentStateDto>($"/api/v1/customers/{consenting.Id}/consent", Json.Options);
        Assert.Contains(consent!.History, e => e is { Purpose: ConsentPurpose.Surveys, Granted: false } && e.Source.Contains(first.Email));
        Assert.True(consent.Surveys); // the company still consents: only Gus stopped

        // The next wave leaves him out.
        (await marketer.PostAsync($"/api/v1/surveys/{survey.Id}/waves", null)).EnsureSuccessStatusCode();
        Assert.Equal(new WaveMailResult(2, 1, 0, 1, 1, 0), await (await marketer.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/invitations", new { })).ReadAsync<WaveMailResult>());
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        Assert.Single(await Mail.ReadAllAsync(first.Email));
        var toHana = (await Mail.WaitForAsync(second.Email, 2)).Last();
        var link = System.Text.RegularExpressions.Regex.Match(toHana.TextBody!, @"/r/([A-Za-z0-9_-]+)").Groups[1].Value;
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{link}/responses", new { score = 9 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{link}/responses", new { score = 10 })).StatusCode);
        var waves = (await marketer.GetFromJsonAsync<List<WaveFiguresDto>>($"/api/v1/surveys/{survey.Id}/invitations/waves", Json.Options))!;
        Assert.Equal(new WaveFiguresDto(2, 1, 1, 0, 1, 1, 100), waves.Single(w => w.Wave == 2));
        Assert.Equal(3, (await marketer.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/survey.invitations_sent/value?{window}", Json.Options))!.Value);
        Assert.Equal(50, (await marketer.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/survey.invitation_response_rate/value?{window}", Json.Options))!.Value);
    }

    [Fact]
    public async Task TemplatesAreCheckedUsedForTheNextMailAndWhatPeopleTypedNeverBecomesMarkupOrAPlaceholder()
    {
        await using var desk = await DeskAsync();
        var errors = await Problems.Errors(await desk.Admin.PutAsJsonAsync("/api/v1/mail/templates/TicketReply", new { subject = "Re {{nope}}", body = "Hello" }));
        Assert.Contains("{{nope}}", string.Join(" ", errors["subject"]));
        Assert.Contains("{{reply}}", string.Join(" ", errors["body"]));
        using var lead = await desk.App.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        var wording = new { subject = "Northwind: {{ticket.subject}} [{{ticket.key}}]", body = "Dear {{contact.name}},\n\n{{reply}}\n\nKind regards,\n{{agent}}" };
        Assert.Equal(HttpStatusCode.Forbidden, (await lead.PutAsJsonAsync("/api/v1/mail/templates/TicketReply", wording)).StatusCode);
        var preview = await (await lead.PostAsJsonAsync("/api/v1/mail/templates/TicketReply/preview", wording)).ReadAsync<RenderedMail>();
        Assert.Equal("Northwind: Invoices export is empty [T-1042]", preview.Subject);
        Assert.StartsWith("Dear Mia Keller,", preview.Text);
        (await desk.Admin.PutAsJsonAsync("/api/v1/mail/templates/TicketReply", wording)).EnsureSuccessStatusCode();

        var customer = TestMail.NewAddress("eve");
        await desk.CustomerAsync("Iris Media", "Eve <b>Bold</b> {{reply}}", customer);
        await Mail.SendAsync(TestMail.Message(customer, desk.Support, "Upload fails", "The upload fails."), desk.Support);
        await desk.FetchAsync();
        var ticket = Assert.Single(await desk.TicketsAsync());
        (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { text = "Please avoid <script>alert(1)</script> in file names." })).EnsureSuccessStatusCode();
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var received = Assert.Single(await Mail.WaitForAsync(customer, 1));
        Assert.Equal($"Re: Northwind: Upload fails [{ticket.Key}]", received.Subject);
        Assert.Contains("Dear Eve <b>Bold</b> {{reply}},", received.TextBody);   // inserted as typed, not read as a placeholder
        Assert.Contains("Kind regards,\nSam Support", received.TextBody!.ReplaceLineEndings("\n"));
        Assert.Contains("Eve &lt;b&gt;Bold&lt;/b&gt;", received.HtmlBody);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", received.HtmlBody);
        Assert.DoesNotContain("<script", received.HtmlBody, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", received.HtmlBody);

        var reset = await (await desk.Admin.DeleteAsync("/api/v1/mail/templates/TicketReply")).ReadAsync<MailTemplateDto>();
        Assert.False(reset.Customised);
        Assert.Contains("{{reply}}", reset.Body);
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task ALeadWhoAsksForItGetsTheirNotificationsByMailAndALeadWhoDoesNotOnlySeesTheBell()
    {
        await using var desk = await DeskAsync();
        var leadAddress = TestMail.NewAddress("lee", "example.test");
        var created = await (await desk.Admin.PostAsJsonAsync("/api/v1/users", new { email = leadAddress, displayName = "Lee Lead", roles = new[] { Roles.SupportLead } }))
            .ReadAsync<Psm.Web.Features.Admin.CreatedUser>();
        using var lee = await desk.App.ClientFor(leadAddress);
        using var quietLead = await desk.App.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        var users = (await desk.Admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users", Json.Options))!;
        var mailed = await (await desk.Admin.PostAsJsonAsync("/api/v1/teams", new { name = "Billing", leadId = created.User.Id })).ReadAsync<TeamDto>();
        var quiet = await (await desk.Admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1", leadId = users.Single(u => u.Email == PsmServer.EmailOf(Roles.SupportLead)).Id })).ReadAsync<TeamDto>();

        // Off until the person turns it on; PSM says whether it has a mailbox to send from.
        var settings = await lee.GetFromJsonAsync<Psm.Web.Features.Account.NotificationSettingsDto>("/api/v1/notifications/settings", Json.Options);
        Assert.Equal(new Psm.Web.Features.Account.NotificationSettingsDto(false, leadAddress, true), settings);
        var saved = await (await lee.PutAsJsonAsync("/api/v1/notifications/settings", new { byEmail = true })).ReadAsync<Psm.Web.Features.Account.NotificationSettingsDto>();
        Assert.True(saved.ByEmail);

        var (customer, _) = await desk.CustomerAsync("Aurora Labs", "Mia Keller", TestMail.NewAddress("mia"));
        var billing = await (await desk.Agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Refund <b>now</b>", customerId = customer.Id, teamId = mailed.Id, channel = "Phone" })).ReadAsync<TicketDto>();
        var other = await (await desk.Agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Login fails", customerId = customer.Id, teamId = quiet.Id, channel = "Phone" })).ReadAsync<TicketDto>();
        foreach (var ticket in new[] { billing, other })
        {
            (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/escalations", new { reason = "Customer threatens to cancel" })).EnsureSuccessStatusCode();
        }

        // One mail: to the lead who asked; the other lead's notification stays in the app.
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var notice = Assert.Single(await Mail.WaitForAsync(leadAddress, 1));
        Assert.Contains($"{billing.Summary.Key} escalated by", notice.Subject);
        Assert.Equal(desk.Support, notice.From.Mailboxes.Single().Address);
        Assert.Contains("Hello Lee Lead,", notice.TextBody);
        Assert.Contains($"{desk.App.BaseAddress.ToString().TrimEnd('/')}/service/tickets/{billing.Summary.Id}", notice.TextBody);
        Assert.Contains("/account/notifications", notice.TextBody);
        Assert.Single((await lee.GetFromJsonAsync<List<Psm.Web.Features.Account.NotificationDto>>("/api/v1/notifications", Json.Options))!);
        var bell = Assert.Single((await quietLead.GetFromJsonAsync<List<Psm.Web.Features.Account.NotificationDto>>("/api/v1/notifications", Json.Options))!);
        Assert.Contains(other.Summary.Key, bell.Text);

        // Turned off, nothing more is mailed.
        (await lee.PutAsJsonAsync("/api/v1/notifications/settings", new { byEmail = false })).EnsureSuccessStatusCode();
        (await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{billing.Summary.Id}/escalations", new { reason = "Still waiting" })).EnsureSuccessStatusCode();
        Assert.Equal(0, (await desk.SendAsync()).Sent);
        Assert.Equal(2, (await lee.GetFromJsonAsync<List<Psm.Web.Features.Account.NotificationDto>>("/api/v1/notifications", Json.Options))!.Count);

        // An admin's password-reset link goes to the person's mailbox when asked; without mail=true it is only handed back.
        var handed = await (await desk.Admin.PostAsync($"/api/v1/users/{created.User.Id}/password-reset", null)).ReadAsync<Psm.Web.Infrastructure.Auth.PasswordReset>();
        Assert.Null(handed.MailedTo);
        var reset = await (await desk.Admin.PostAsync($"/api/v1/users/{created.User.Id}/password-reset?mail=true", null)).ReadAsync<Psm.Web.Infrastructure.Auth.PasswordReset>();
        Assert.Equal(leadAddress, reset.MailedTo);
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var resetMail = (await Mail.WaitForAsync(leadAddress, 2)).Single(m => m.Subject == "Set a new PSM password");
        Assert.Contains(desk.App.BaseAddress.ToString().TrimEnd('/') + reset.Link, resetMail.TextBody);
        Assert.Contains("Hello Lee Lead,", resetMail.TextBody);
    }

    [Fact]
    public async Task AnAgentsReplyCarriesFilesToTheCustomerAndFilesAreRefusedWhereNoMailGoesOut()
    {
        await using var desk = await DeskAsync();
        var customerAddress = TestMail.NewAddress("ola");
        var (customer, _) = await desk.CustomerAsync("Nordlys Foods", "Ola Berg", customerAddress);
        await Mail.SendAsync(TestMail.Message(customerAddress, desk.Support, "Need the signed contract", "Could you send the signed contract again?"), desk.Support);
        await desk.FetchAsync();
        var mailed = Assert.Single(await desk.TicketsAsync());
        Assert.Equal(customerAddress, (await desk.TicketAsync(mailed.Id)).RepliesEmailedTo);

        var pdf = "%PDF-1.4 signed contract"u8.ToArray();
        var csv = System.Text.Encoding.UTF8.GetBytes("line,amount\n1,12.50\n");
        var replied = await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{mailed.Id}/replies", new
        {
            text = "Here it is, with the price list.",
            attachments = new object[] { new { fileName = "contract.pdf", contentType = "application/pdf", content = pdf }, new { fileName = "../prices.csv", content = csv } },
        });
        Assert.Equal(HttpStatusCode.OK, replied.StatusCode);
        var reply = (await replied.ReadAsync<TicketDto>()).Timeline.Single(e => e.Kind == TicketEventKind.Reply);
        Assert.Equal(["contract.pdf", "prices.csv"], reply.Attachments!.Select(a => a.FileName).Order());
        Assert.Equal(1, (await desk.SendAsync()).Sent);
        var received = Assert.Single(await Mail.WaitForAsync(customerAddress, 1));
        var files = received.Attachments.OfType<MimePart>().ToDictionary(a => a.FileName!);
        Assert.Equal("application/pdf", files["contract.pdf"].ContentType.MimeType);
        using (var content = new MemoryStream())
        {
            files["contract.pdf"].Content!.DecodeTo(content);
            Assert.Equal(pdf, content.ToArray());
        }

        Assert.Contains("Here it is", received.TextBody);
        var download = await desk.Agent.GetAsync($"/api/v1/tickets/{mailed.Id}/attachments/{reply.Attachments!.Single(a => a.FileName == "prices.csv").Id}");
        Assert.Equal(csv, await download.Content.ReadAsByteArrayAsync());

        // Files go only where mail goes: not on notes, not on a phone ticket, not over 20 MB, not empty.
        Assert.Contains("attachments", (await Problems.Errors(await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{mailed.Id}/notes",
            new { text = "see file", attachments = new[] { new { fileName = "a.txt", content = csv } } }))).Keys);
        var phone = await (await desk.Agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Call back", customerId = customer.Id, channel = "Phone" })).ReadAsync<TicketDto>();
        Assert.Null(phone.RepliesEmailedTo);
        var onPhone = await Problems.Errors(await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{phone.Summary.Id}/replies",
            new { text = "see file", attachments = new[] { new { fileName = "a.txt", content = csv } } }));
        Assert.Contains("not e-mailed", onPhone["attachments"].Single());
        Assert.Contains("attachments", (await Problems.Errors(await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{mailed.Id}/replies",
            new { text = "big", attachments = new[] { new { fileName = "big.bin", content = new byte[21 * 1024 * 1024] } } }))).Keys);
        Assert.Contains("attachments[0].content", (await Problems.Errors(await desk.Agent.PostAsJsonAsync($"/api/v1/tickets/{mailed.Id}/replies",
            new { text = "empty", attachments = new[] { new { fileName = "empty.txt", content = Array.Empty<byte>() } } }))).Keys);
        Assert.Equal(0, (await desk.SendAsync()).Sent);
    }
}
