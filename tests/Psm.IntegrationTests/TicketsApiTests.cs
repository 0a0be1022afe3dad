using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class TicketsApiTests
{
    private static async Task<Guid> UserIdAsync(HttpClient admin, string email) =>
        (await admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users", Json.Options))!.Single(u => u.Email == email).Id;

    [Fact]
    public async Task ATicketIsOpenedRepliedToNotedResolvedAndClosedWithItsTimelineAndRoleChecks()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
        var stranger = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Birch", email = "hi@birch.example", country = "DE" })).ReadAsync<CustomerDto>();
        var contact = await (await pm.PostAsJsonAsync($"/api/v1/customers/{stranger.Id}/contacts", new { name = "Bo", email = "bo@birch.example" })).ReadAsync<ContactDto>();

        // Bad input names the field; nothing is stored.
        Assert.Contains("customerId", (await Errors(await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Help", customerId = Guid.NewGuid() }))).Keys);
        Assert.Contains("contactId", (await Errors(await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Help", customerId = customer.Id, contactId = contact.Id }))).Keys);
        Assert.Empty((await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All", Json.Options))!.Items);

        var first = await (await agent.PostAsJsonAsync("/api/v1/tickets",
            new { subject = "Cannot export invoices", description = "The export button does nothing.", customerId = customer.Id, channel = "Chat", priority = "High", tags = new[] { "Billing", " export " } }))
            .ReadAsync<TicketDto>();
        var second = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Question about SSO", customerId = customer.Id })).ReadAsync<TicketDto>();
        Assert.Equal("T-1001", first.Summary.Key);
        Assert.Equal("T-1002", second.Summary.Key);
        Assert.Equal(["billing", "export"], first.Summary.Tags);
        Assert.Equal(TicketStatus.New, first.Summary.Status);

        // A reply is the first response and opens the ticket; a note is internal.
        var replied = await (await agent.PostAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/replies", new { text = "Looking into it now." })).ReadAsync<TicketDto>();
        Assert.NotNull(replied.Summary.FirstResponseAt);
        Assert.Equal(TicketStatus.Open, replied.Summary.Status);
        (await agent.PostAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/notes", new { text = "Customer is on the old billing plan; check with finance." })).EnsureSuccessStatusCode();
        Assert.Contains("text", (await Errors(await agent.PostAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/notes", new { text = "  " }))).Keys);

        // Roles: a marketer reads the ticket but not the internal note, and cannot reply; a product manager reads the note.
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var seenByMarketer = await marketer.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{first.Summary.Id}", Json.Options);
        Assert.DoesNotContain(seenByMarketer!.Timeline, e => e.Kind == TicketEventKind.Note);
        Assert.DoesNotContain(seenByMarketer.Timeline, e => e.Text.Contains("finance"));
        Assert.Contains(seenByMarketer.Timeline, e => e.Text == "Looking into it now.");
        Assert.Equal(HttpStatusCode.Forbidden, (await marketer.PostAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/replies", new { text = "Buy more!" })).StatusCode);
        Assert.Contains((await pm.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{first.Summary.Id}", Json.Options))!.Timeline, e => e.Internal && e.Text.Contains("finance"));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.DoesNotContain((await stakeholder.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{first.Summary.Id}", Json.Options))!.Timeline, e => e.Internal);

        // Status moves: resolve, close; resolving a closed ticket is refused with the moves it allows; reopening counts.
        (await agent.PutAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        var closed = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/status", new { status = "Closed" })).ReadAsync<TicketDto>();
        Assert.NotNull(closed.ClosedAt);
        var refused = await Errors(await agent.PutAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/status", new { status = "Resolved" }));
        Assert.Contains("can move to Reopened", refused["status"][0]);
        var reopened = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{first.Summary.Id}/status", new { status = "Reopened" })).ReadAsync<TicketDto>();
        Assert.Equal(1, reopened.Reopened);
        Assert.Null(reopened.Summary.ResolvedAt);
        Assert.Equal(
            [TicketEventKind.Created, TicketEventKind.CustomerMessage, TicketEventKind.Sla, TicketEventKind.Reply, TicketEventKind.Note, TicketEventKind.Status,
             TicketEventKind.Survey, TicketEventKind.Status, TicketEventKind.Status],
            reopened.Timeline.Select(e => e.Kind));
        // The customer's description opens the conversation, in the customer's name.
        var opening = reopened.Timeline.Single(e => e.Kind == TicketEventKind.CustomerMessage);
        Assert.Equal(("The export button does nothing.", customer.Name), (opening.Text, opening.Actor));
        // Every other entry is the agent's, the SLA one too: it was chosen on their action.
        Assert.All(reopened.Timeline.Where(e => e.Kind != TicketEventKind.CustomerMessage), e => Assert.Equal(PsmServer.EmailOf(Roles.SupportAgent), e.Actor));

        // The queue: by key, by customer name, by priority, and "all open" leaves out resolved ones.
        (await agent.PutAsJsonAsync($"/api/v1/tickets/{second.Summary.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        Assert.Equal("T-1001", Assert.Single((await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&search=T-1001", Json.Options))!.Items).Key);
        Assert.Equal(2, (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&search=aurora", Json.Options))!.Items.Count);
        Assert.Equal(["T-1001"], (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets", Json.Options))!.Items.Select(t => t.Key));

        // The default queue pages newest first with a cursor, like every other view.
        foreach (var subject in new[] { "Third", "Fourth" })
        {
            (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject, customerId = customer.Id })).EnsureSuccessStatusCode();
        }

        var page1 = (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?limit=2", Json.Options))!;
        Assert.Equal(["T-1004", "T-1003"], page1.Items.Select(t => t.Key));
        Assert.Equal(["Fourth", "Third"], page1.Items.Select(t => t.Subject));
        var page2 = (await agent.GetFromJsonAsync<Page<TicketSummary>>($"/api/v1/tickets?limit=2&cursor={page1.NextCursor}", Json.Options))!;
        Assert.Equal(["T-1001"], page2.Items.Select(t => t.Key));
        Assert.Equal(["billing", "export"], page2.Items[0].Tags);
        Assert.Null(page2.NextCursor);
        Assert.Equal(["T-1001"], (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&priority=High", Json.Options))!.Items.Select(t => t.Key));
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync("/api/v1/tickets/by-key/T-999")).StatusCode);
    }

    [Fact]
    public async Task RoundRobinGoesToTheAvailableAgentWhoWaitedLongestAndWorkloadIsVisible()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var customer = await (await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
        var sam = await UserIdAsync(admin, PsmServer.EmailOf(Roles.SupportAgent));
        var avery = await UserIdAsync(admin, PsmServer.EmailOf(Roles.Admin));
        Assert.Contains("memberIds", (await Errors(await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1", memberIds = new[] { Guid.NewGuid() } }))).Keys);
        var team = await (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1", leadId = avery, memberIds = new[] { sam, avery } })).ReadAsync<TeamDto>();

        var assigned = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = $"Issue {i}", customerId = customer.Id, teamId = team.Id })).ReadAsync<TicketDto>();
            var after = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/assignment", new { roundRobin = true })).ReadAsync<TicketDto>();
            assigned.Add(after.Summary.Assignee!.Name);
            Assert.Contains(after.Timeline, e => e.Kind == TicketEventKind.Assignment && e.Text.Contains("round-robin"));
        }

        // Alternating, whoever went first.
        Assert.Equal(2, assigned.Distinct().Count());
        Assert.NotEqual(assigned[0], assigned[1]);
        Assert.Equal(assigned[0], assigned[2]);

        // Someone away is skipped; with nobody available the API says so.
        (await admin.PutAsJsonAsync($"/api/v1/teams/{team.Id}/members/{avery}/availability", new { available = false })).EnsureSuccessStatusCode();
        var solo = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Solo", customerId = customer.Id, teamId = team.Id })).ReadAsync<TicketDto>();
        Assert.Equal("Sam Support", (await (await agent.PutAsJsonAsync($"/api/v1/tickets/{solo.Summary.Id}/assignment", new { roundRobin = true })).ReadAsync<TicketDto>()).Summary.Assignee!.Name);
        (await admin.PutAsJsonAsync($"/api/v1/teams/{team.Id}/members/{sam}/availability", new { available = false })).EnsureSuccessStatusCode();
        var nobody = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Nobody", customerId = customer.Id, teamId = team.Id })).ReadAsync<TicketDto>();
        Assert.Contains("Nobody in the team is available", (await Errors(await agent.PutAsJsonAsync($"/api/v1/tickets/{nobody.Summary.Id}/assignment", new { roundRobin = true })))["teamId"][0]);

        var workload = Assert.Single((await agent.GetFromJsonAsync<List<TeamDto>>("/api/v1/teams", Json.Options))!);
        Assert.Equal(3, workload.Members.Single(m => m.UserId == sam).OpenTickets);
        Assert.Equal(2, workload.Members.Single(m => m.UserId == avery).OpenTickets);
        Assert.Equal(1, workload.Unassigned);

        // The agent's queues: mine, and the team's unassigned.
        Assert.Equal(3, (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=Mine", Json.Options))!.Items.Count);
        Assert.Equal(["Nobody"], (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=TeamUnassigned", Json.Options))!.Items.Select(t => t.Subject));

        // Bulk: all or nothing, naming the ticket that cannot move.
        var mine = (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=Mine", Json.Options))!.Items.Select(t => t.Id).ToList();
        Assert.Equal(3, await (await agent.PostAsJsonAsync("/api/v1/tickets/bulk", new { ticketIds = mine, status = "Resolved" })).ReadAsync<int>());
        var again = await Errors(await agent.PostAsJsonAsync("/api/v1/tickets/bulk", new { ticketIds = mine.Append(nobody.Summary.Id), status = "Resolved" }));
        Assert.Contains("already Resolved", again["status"][0]);
        Assert.Equal(TicketStatus.New, (await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{nobody.Summary.Id}", Json.Options))!.Summary.Status);
        Assert.Empty((await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=Mine", Json.Options))!.Items);
    }

    [Fact]
    public async Task ResolvingCreatesAPersonalCsatLinkWhoseAnswerLandsOnTheTicketTheAgentAndFeedback()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var sam = await UserIdAsync(admin, PsmServer.EmailOf(Roles.SupportAgent));
        var team = await (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1", memberIds = new[] { sam } })).ReadAsync<TeamDto>();
        var customer = await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
        var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Export fails", customerId = customer.Id, teamId = team.Id, assigneeId = sam })).ReadAsync<TicketDto>();
        Assert.Null(ticket.SatisfactionLink);

        var resolved = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/status", new { status = "Resolved" })).ReadAsync<TicketDto>();
        var link = resolved.SatisfactionLink!;
        Assert.StartsWith("/r/", link);
        Assert.Contains(resolved.Timeline, e => e.Kind == TicketEventKind.Survey);

        // Reopened and resolved again: still the one link.
        (await agent.PutAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/status", new { status = "Reopened" })).EnsureSuccessStatusCode();
        Assert.Equal(link, (await (await agent.PutAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/status", new { status = "Resolved" })).ReadAsync<TicketDto>()).SatisfactionLink);

        // The customer answers without signing in: out of scale is refused, then once only.
        using var anonymous = app.Anonymous();
        var token = link["/r/".Length..];
        Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{token}/responses", new { score = 9 })).StatusCode);
        (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{token}/responses", new { score = 5, comment = "Quick and friendly, thank you" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{token}/responses", new { score = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsJsonAsync("/api/v1/public/invitations/nope/responses", new { score = 1 })).StatusCode);

        var rated = await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Summary.Id}", Json.Options);
        Assert.Equal(5, rated!.SatisfactionScore);
        Assert.Contains(rated.Timeline, e => e.Kind == TicketEventKind.Survey && e.Text.Contains("rated the service 5 of 5") && e.Text.Contains("Quick and friendly"));
        var member = Assert.Single(Assert.Single((await agent.GetFromJsonAsync<List<TeamDto>>("/api/v1/teams", Json.Options))!).Members);
        Assert.Equal((100.0, 1), (member.Csat, member.CsatAnswers));
        var feedback = await agent.GetFromJsonAsync<Page<Psm.Web.Features.Feedback.FeedbackDto>>($"/api/v1/feedback?customerId={customer.Id}", Json.Options);
        Assert.Equal("Quick and friendly, thank you", Assert.Single(feedback!.Items).Text);

        // A second ticket rated badly moves the agent's CSAT to 50 %.
        var second = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Again", customerId = customer.Id, teamId = team.Id, assigneeId = sam })).ReadAsync<TicketDto>();
        var secondLink = (await (await agent.PutAsJsonAsync($"/api/v1/tickets/{second.Summary.Id}/status", new { status = "Resolved" })).ReadAsync<TicketDto>()).SatisfactionLink!;
        (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{secondLink["/r/".Length..]}/responses", new { score = 2 })).EnsureSuccessStatusCode();
        member = Assert.Single(Assert.Single((await agent.GetFromJsonAsync<List<TeamDto>>("/api/v1/teams", Json.Options))!).Members);
        Assert.Equal((50.0, 2), (member.Csat, member.CsatAnswers));
    }

    [Fact]
    public async Task TheQueueExportsAsCsvWithItsFiltersAndEveryRowAcrossPages()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var customer = await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora, Labs", email = "hi@aurora.example", country = "DE" })).ReadAsync<CustomerDto>();
        var urgent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = $"Export \"{i}\" fails", customerId = customer.Id, priority = "Urgent", channel = "Phone" })).ReadAsync<TicketDto>();
            urgent.Add(ticket.Summary.Key);
        }

        (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Low one", customerId = customer.Id, priority = "Low" })).EnsureSuccessStatusCode();

        var response = await agent.GetAsync("/api/v1/tickets/export.csv?view=All&priority=Urgent&sort=Oldest");
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var rows = new List<string[]>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await foreach (var row in Csv.ReadAsync(reader))
        {
            rows.Add(row);
        }

        Assert.Equal("key", rows[0][0]);
        Assert.Equal(urgent, rows.Skip(1).Select(r => r[0]));
        Assert.Equal(["Export \"0\" fails", "Aurora, Labs", "Phone", "Urgent", "New"], rows[1][1..6]);
        Assert.Equal(rows[0].Length, rows[1].Length);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.GetAsync("/api/v1/tickets/export.csv?priority=Loud")).StatusCode);
    }
}
