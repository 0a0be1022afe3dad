using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Account;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class SlaTests
{
    // Monday 23 November 2026, 08:00 UTC = 09:00 in Berlin, when the desk opens.
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, string?> ManualMonitor => new() { ["Sla:MonitorSeconds"] = "0" };

    private static async Task<(HttpClient Admin, HttpClient Agent, Guid Calendar)> SetUpAsync(PsmServer app)
    {
        var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var calendar = await (await admin.PostAsJsonAsync("/api/v1/sla/calendars", new
        {
            name = "Berlin office", timeZoneId = "Europe/Berlin", workingDays = new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" },
            opens = "09:00", closes = "17:00", holidays = new[] { "2026-12-25" },
        })).ReadAsync<ServiceCalendarDto>();
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "Urgent", priority = "Urgent", firstResponseMinutes = 60, resolutionMinutes = 240, calendarId = calendar.Id }))
            .EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "Urgent, Enterprise", priority = "Urgent", plan = "Enterprise", firstResponseMinutes = 30, resolutionMinutes = 120, calendarId = calendar.Id }))
            .EnsureSuccessStatusCode();
        return (admin, agent, calendar.Id);
    }

    private static async Task<CustomerDto> CustomerAsync(HttpClient client, string name, string plan) =>
        await (await client.PostAsJsonAsync("/api/v1/customers", new { name, email = $"{name.ToLowerInvariant()}@example.test", country = "DE", plan })).ReadAsync<CustomerDto>();

    [Fact]
    public async Task ThePolicyIsChosenAndRecordedDueTimesRunInBusinessHoursAndPendingPausesTheClock()
    {
        var clock = new TestClock(Monday);
        await using var app = new PsmServer(ManualMonitor, clock);
        var (admin, agent, calendarId) = await SetUpAsync(app);
        using var _ = admin;
        using var __ = agent;
        Assert.Contains("timeZoneId", (await Errors(await admin.PostAsJsonAsync("/api/v1/sla/calendars", new { name = "Nowhere", timeZoneId = "Mars/Olympus", workingDays = new[] { "Monday" } }))).Keys);
        var pro = await CustomerAsync(agent, "Aurora", "Pro");
        var enterprise = await CustomerAsync(agent, "Birch", "Enterprise");

        var general = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Down", customerId = pro.Id, priority = "Urgent" })).ReadAsync<TicketDto>();
        Assert.Equal("Urgent", general.Sla!.Policy);
        Assert.Equal(Monday.AddHours(1), general.Sla.FirstResponseDueAt);
        Assert.Equal(Monday.AddHours(4), general.Sla.ResolutionDueAt);
        Assert.Equal(60, general.Sla.FirstResponseLeftMinutes);
        Assert.Contains(general.Timeline, e => e.Kind == TicketEventKind.Sla && e.Text.Contains("\"Urgent\" applies (opened)"));

        // The plan makes a more specific policy apply.
        var vip = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Down too", customerId = enterprise.Id, priority = "Urgent" })).ReadAsync<TicketDto>();
        Assert.Equal("Urgent, Enterprise", vip.Sla!.Policy);
        Assert.Equal(Monday.AddMinutes(30), vip.Sla.FirstResponseDueAt);

        // Opened on Friday at 16:30 in Berlin: the hour runs 30 minutes on Friday and 30 on Monday.
        clock.Set(new DateTimeOffset(2026, 11, 27, 15, 30, 0, TimeSpan.Zero));
        var friday = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Late Friday", customerId = pro.Id, priority = "Urgent" })).ReadAsync<TicketDto>();
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 8, 30, 0, TimeSpan.Zero), friday.Sla!.FirstResponseDueAt);

        // A priority with no policy: recorded as such, and the due times go.
        var low = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{friday.Summary.Id}/priority", new { priority = "Low" })).ReadAsync<TicketDto>();
        Assert.Null(low.Sla);
        Assert.Contains(low.Timeline, e => e.Kind == TicketEventKind.Sla && e.Text.StartsWith("No SLA policy covers Low tickets on the Pro plan", StringComparison.Ordinal));

        // Pending on customer stops the resolution clock. Paused Monday 10:00 Berlin with 3 business hours left; resumed on Wednesday at 15:00 Berlin,
        // the resolution falls due 3 business hours later: Thursday 10:00 Berlin (2 hours on Wednesday, 1 on Thursday).
        clock.Set(Monday.AddHours(1));
        (await agent.PostAsJsonAsync($"/api/v1/tickets/{general.Summary.Id}/replies", new { text = "We need your logs." })).EnsureSuccessStatusCode();
        var paused = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{general.Summary.Id}/status", new { status = "PendingOnCustomer" })).ReadAsync<TicketDto>();
        Assert.True(paused.Sla!.Paused);
        Assert.Equal(180, paused.Sla.ResolutionLeftMinutes);
        clock.Set(new DateTimeOffset(2026, 11, 25, 14, 0, 0, TimeSpan.Zero));
        var resumed = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{general.Summary.Id}/status", new { status = "Open" })).ReadAsync<TicketDto>();
        Assert.False(resumed.Sla!.Paused);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero), resumed.Sla.ResolutionDueAt);
        Assert.Equal(180, resumed.Sla.ResolutionLeftMinutes);
        Assert.Contains(resumed.Timeline, e => e.Text.StartsWith("Resolution clock paused", StringComparison.Ordinal));
        Assert.Contains(resumed.Timeline, e => e.Text.StartsWith("Resolution clock resumed", StringComparison.Ordinal));

        // A priority change chooses the policy again from the opening and credits the 21 business hours spent pending:
        // 8 hours of High resolution plus 21 hours from Monday 09:00 Berlin = Thursday 14:00 Berlin.
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "High", priority = "High", firstResponseMinutes = 120, resolutionMinutes = 480, calendarId }))
            .EnsureSuccessStatusCode();
        var replanned = await (await agent.PutAsJsonAsync($"/api/v1/tickets/{general.Summary.Id}/priority", new { priority = "High" })).ReadAsync<TicketDto>();
        Assert.Equal("High", replanned.Sla!.Policy);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 13, 0, 0, TimeSpan.Zero), replanned.Sla.ResolutionDueAt);
        Assert.Contains("resolutionMinutes", (await Errors(await admin.PostAsJsonAsync("/api/v1/sla/policies",
            new { name = "Odd", priority = "High", firstResponseMinutes = 60, resolutionMinutes = 30, calendarId }))).Keys);
    }

    [Fact]
    public async Task EveryPathGivesTheSameDueTimeForTheSameHistoryAndABreachBeforeAPauseIsRecorded()
    {
        // Friday 27 November 2026, 09:00 Berlin (08:00 UTC). Urgent tickets are due in 4 business hours (13:00 Berlin),
        // high ones in 8 (17:00 Berlin).
        var friday = new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);
        var clock = new TestClock(friday);
        await using var app = new PsmServer(ManualMonitor, clock);
        var (admin, agent, calendarId) = await SetUpAsync(app);
        using var _ = admin;
        using var __ = agent;
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "High", priority = "High", firstResponseMinutes = 120, resolutionMinutes = 480, calendarId }))
            .EnsureSuccessStatusCode();
        var customer = await CustomerAsync(agent, "Aurora", "Pro");
        async Task<Guid> Open(string subject, string priority)
        {
            var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject, customerId = customer.Id, priority })).ReadAsync<TicketDto>();
            (await agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/replies", new { text = "Looking into it." })).EnsureSuccessStatusCode();
            return ticket.Summary.Id;
        }

        async Task<TicketDto> Status(Guid id, string status) =>
            await (await agent.PutAsJsonAsync($"/api/v1/tickets/{id}/status", new { status })).ReadAsync<TicketDto>();
        async Task Priority(Guid id, string priority) =>
            (await agent.PutAsJsonAsync($"/api/v1/tickets/{id}/priority", new { priority })).EnsureSuccessStatusCode();

        // Paused after both due times (Friday 18:00 Berlin), resumed on Saturday. An urgent ticket stays due at 13:00 Berlin, overdue;
        // a high one stays due at 17:00 Berlin, whether it was high from the start or made high during the pause.
        var (urgentLate, highLate, madeHighLate) = (await Open("Urgent, paused late", "Urgent"), await Open("High, paused late", "High"), await Open("Made high, paused late", "Urgent"));
        clock.Set(friday.AddHours(9));
        foreach (var id in new[] { urgentLate, highLate, madeHighLate })
        {
            await Status(id, "PendingOnCustomer");
        }

        // While they are pending, the monitor records the breaches that happened before the pauses, at the due times.
        clock.Set(friday.AddDays(1));
        Assert.Equal(3, (await (await admin.PostAsync("/api/v1/sla/monitor/run", null)).ReadAsync<SlaRunResult>()).ResolutionBreaches);
        await Priority(madeHighLate, "High");
        clock.Set(friday.AddDays(1).AddHours(2));
        var urgentResumed = await Status(urgentLate, "Open");
        Assert.Equal(friday.AddHours(4), urgentResumed.Sla!.ResolutionDueAt);
        Assert.Equal(friday.AddHours(4), urgentResumed.Sla.ResolutionBreachedAt);
        Assert.True(urgentResumed.Sla.ResolutionLeftMinutes < 0);
        var highResumed = await Status(highLate, "Open");
        Assert.Equal(friday.AddHours(8), highResumed.Sla!.ResolutionDueAt);
        Assert.Equal(friday.AddHours(8), highResumed.Sla.ResolutionBreachedAt);
        Assert.Equal(friday.AddHours(8), (await Status(madeHighLate, "Open")).Sla!.ResolutionDueAt);

        // Paused before the due times (Friday 11:00 Berlin: 2 hours left if urgent, 6 if high), resumed Monday 10:00 Berlin:
        // due Monday 12:00 Berlin if urgent; Monday 16:00 Berlin if high, from the start or made high during the pause.
        clock.Set(friday);
        var (urgentEarly, highEarly, madeHighEarly) = (await Open("Urgent, paused early", "Urgent"), await Open("High, paused early", "High"), await Open("Made high, paused early", "Urgent"));
        clock.Set(friday.AddHours(2));
        Assert.Equal(120, (await Status(urgentEarly, "PendingOnCustomer")).Sla!.ResolutionLeftMinutes);
        Assert.Equal(360, (await Status(highEarly, "PendingOnCustomer")).Sla!.ResolutionLeftMinutes);
        await Status(madeHighEarly, "PendingOnCustomer");
        clock.Set(friday.AddDays(1));
        Assert.Equal(0, (await (await admin.PostAsync("/api/v1/sla/monitor/run", null)).ReadAsync<SlaRunResult>()).ResolutionBreaches);
        await Priority(madeHighEarly, "High");
        clock.Set(friday.AddDays(3).AddHours(1));
        var urgent = await Status(urgentEarly, "Open");
        Assert.Equal(friday.AddDays(3).AddHours(3), urgent.Sla!.ResolutionDueAt);
        Assert.Null(urgent.Sla.ResolutionBreachedAt);
        Assert.Equal(friday.AddDays(3).AddHours(7), (await Status(highEarly, "Open")).Sla!.ResolutionDueAt);
        Assert.Equal(friday.AddDays(3).AddHours(7), (await Status(madeHighEarly, "Open")).Sla!.ResolutionDueAt);
    }

    [Fact]
    public async Task BreachesAreRecordedOnceEscalatedAndTheLeadIsNotifiedAndTicketsAboutToBreachAreEscalatedToo()
    {
        var clock = new TestClock(Monday);
        await using var app = new PsmServer(ManualMonitor, clock);
        var (admin, agent, _) = await SetUpAsync(app);
        using var __ = agent;
        using var ___ = admin;
        var users = (await admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users", Json.Options))!;
        var lead = users.Single(u => u.Email == PsmServer.EmailOf(Roles.Admin)).Id;
        var team = await (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1", leadId = lead, memberIds = new[] { users.Single(u => u.Email == PsmServer.EmailOf(Roles.SupportAgent)).Id } }))
            .ReadAsync<TeamDto>();
        var customer = await CustomerAsync(agent, "Aurora", "Pro");
        var silent = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Nobody answers", customerId = customer.Id, priority = "Urgent", teamId = team.Id })).ReadAsync<TicketDto>();
        var answered = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Answered in time", customerId = customer.Id, priority = "Urgent", teamId = team.Id })).ReadAsync<TicketDto>();
        (await agent.PostAsJsonAsync($"/api/v1/tickets/{answered.Summary.Id}/replies", new { text = "On it." })).EnsureSuccessStatusCode();

        // 50 minutes in, 10 of 60 minutes are left (under 20 %): "about to breach" escalates once, and it shows in "breaching soon".
        clock.Set(Monday.AddMinutes(50));
        var soon = await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=BreachingSoon", Json.Options);
        Assert.Equal(["Nobody answers"], soon!.Items.Select(t => t.Subject)); // the other was answered; its resolution is due at 12:00
        var run = await (await admin.PostAsync("/api/v1/sla/monitor/run", null)).ReadAsync<SlaRunResult>();
        Assert.Equal(new SlaRunResult(0, 0, 1), run);
        Assert.Equal(new SlaRunResult(0, 0, 0), await (await admin.PostAsync("/api/v1/sla/monitor/run", null)).ReadAsync<SlaRunResult>());

        // Past 09:00 UTC the first response is breached: recorded at the due time, once, escalated, the lead told.
        clock.Set(Monday.AddMinutes(75));
        Assert.Equal(new SlaRunResult(1, 0, 0), await (await admin.PostAsync("/api/v1/sla/monitor/run", null)).ReadAsync<SlaRunResult>());
        Assert.Equal(new SlaRunResult(0, 0, 0), await (await admin.PostAsync("/api/v1/sla/monitor/run", null)).ReadAsync<SlaRunResult>());
        var breached = await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{silent.Summary.Id}", Json.Options);
        Assert.Equal(Monday.AddHours(1), breached!.Sla!.FirstResponseBreachedAt);
        Assert.Equal(2, breached.Summary.EscalationLevel);
        Assert.True(breached.Summary.Breached);
        Assert.Single(breached.Timeline, e => e.Kind == TicketEventKind.Escalation && e.At == Monday.AddHours(1)
            && e.Text == "First-response target missed (due 2026-11-23 09:00 UTC): escalated to level 2.");
        Assert.Equal(2, breached.Timeline.Count(e => e.Kind == TicketEventKind.Escalation));
        Assert.Null((await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{answered.Summary.Id}", Json.Options))!.Sla!.FirstResponseBreachedAt);

        // Both escalations wrote their webhook events in the same transaction: the breach's (built by the database's JSON
        // functions), at the due time, and the near-breach's.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Psm.Web.Data.PsmDb>();
            var events = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
                db.WebhookEvents.Where(e => e.Type == Psm.Web.Features.Integrations.EventTypes.TicketSlaBreached || e.Type == Psm.Web.Features.Integrations.EventTypes.TicketEscalated));
            var breach = System.Text.Json.JsonDocument.Parse(Assert.Single(events, e => e.Type == "ticket.sla_breached").Data).RootElement;
            Assert.Equal(Monday.AddHours(1), events.Single(e => e.Type == "ticket.sla_breached").OccurredAt);
            Assert.Equal(silent.Summary.Key, breach.GetProperty("key").GetString());
            Assert.Equal(silent.Summary.Id, breach.GetProperty("ticketId").GetGuid());
            Assert.Equal("first-response", breach.GetProperty("target").GetString());
            Assert.Equal(2, breach.GetProperty("escalationLevel").GetInt32());
            Assert.Equal($"/service/tickets/{silent.Summary.Id}", breach.GetProperty("path").GetString());
            var near = System.Text.Json.JsonDocument.Parse(Assert.Single(events, e => e.Type == "ticket.escalated").Data).RootElement;
            Assert.Equal(silent.Summary.Key, near.GetProperty("ticket").GetProperty("key").GetString());
            Assert.Equal(1, near.GetProperty("level").GetInt32());
            Assert.StartsWith("about to breach", near.GetProperty("reason").GetString());
        }

        var notes = (await admin.GetFromJsonAsync<List<NotificationDto>>("/api/v1/notifications", Json.Options))!;
        Assert.Equal([$"{silent.Summary.Key} breached its first-response SLA.", $"{silent.Summary.Key} is about to breach its SLA (10 business minutes left)."],
            notes.Select(n => n.Text));
        Assert.All(notes, n => Assert.False(n.Read));
        (await admin.PostAsync("/api/v1/notifications/read", null)).EnsureSuccessStatusCode();
        Assert.All((await admin.GetFromJsonAsync<List<NotificationDto>>("/api/v1/notifications", Json.Options))!, n => Assert.True(n.Read));

        // By hand, with a conflict flagged; a stakeholder may not.
        var escalated = await (await agent.PostAsJsonAsync($"/api/v1/tickets/{answered.Summary.Id}/escalations", new { reason = "Customer threatens to cancel", conflict = true })).ReadAsync<TicketDto>();
        Assert.Equal(1, escalated.Summary.EscalationLevel);
        Assert.Contains("conflict", escalated.Summary.Tags);
        Assert.Contains(escalated.Timeline, e => e.Kind == TicketEventKind.Escalation && e.Text.Contains("conflict between agent and customer"));
        Assert.Contains((await admin.GetFromJsonAsync<List<NotificationDto>>("/api/v1/notifications", Json.Options))!, n => n.Text.Contains("Customer threatens to cancel") && !n.Read);
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync($"/api/v1/tickets/{answered.Summary.Id}/escalations", new { reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync("/api/v1/sla/monitor/run", null)).StatusCode);
    }

    [Fact]
    public async Task TheBackgroundMonitorRecordsABreachWithoutBeingAsked()
    {
        var clock = new TestClock(Monday);
        await using var app = new PsmServer(new Dictionary<string, string?> { ["Sla:MonitorSeconds"] = "1" }, clock);
        var (admin, agent, _) = await SetUpAsync(app);
        using var __ = agent;
        using var ___ = admin;
        var customer = await CustomerAsync(agent, "Aurora", "Pro");
        var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Down", customerId = customer.Id, priority = "Urgent" })).ReadAsync<TicketDto>();
        clock.Set(Monday.AddHours(2));
        TicketDto? seen = null;
        for (var i = 0; i < 50 && seen?.Sla?.FirstResponseBreachedAt is null; i++)
        {
            await Task.Delay(200);
            seen = await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Summary.Id}", Json.Options);
        }

        Assert.Equal(Monday.AddHours(1), seen!.Sla!.FirstResponseBreachedAt);
    }

    [Fact]
    public async Task ServiceMetricsAreComputedFromTicketsInBusinessTimeAndCutByTeamAndPriority()
    {
        var clock = new TestClock(Monday);
        await using var app = new PsmServer(ManualMonitor, clock);
        var (admin, agent, _) = await SetUpAsync(app);
        using var __ = agent;
        using var ___ = admin;
        var team = await (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Tier 1" })).ReadAsync<TeamDto>();
        var customer = await CustomerAsync(agent, "Aurora", "Pro");
        async Task<Guid> Open(string subject) =>
            (await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject, customerId = customer.Id, priority = "Urgent", teamId = team.Id })).ReadAsync<TicketDto>()).Summary.Id;
        var (a, b, c, d) = (await Open("A"), await Open("B"), await Open("C"), await Open("D"));
        async Task At(int minutes, Guid id, string action, string? status = null)
        {
            clock.Set(Monday.AddMinutes(minutes));
            var response = action == "reply"
                ? await agent.PostAsJsonAsync($"/api/v1/tickets/{id}/replies", new { text = "On it." })
                : await agent.PutAsJsonAsync($"/api/v1/tickets/{id}/status", new { status });
            response.EnsureSuccessStatusCode();
        }

        // First responses after 10, 30 and 90 business minutes (B misses its hour); D is resolved without a reply, reopened and resolved again.
        await At(10, c, "reply");
        await At(20, d, "status", "Resolved");
        await At(25, d, "status", "Reopened");
        await At(30, a, "reply");
        await At(40, d, "status", "Resolved");
        await At(60, c, "status", "Resolved");
        await At(90, b, "reply");
        await At(120, a, "status", "Resolved");
        await At(270, b, "status", "Resolved");
        (await admin.PostAsync("/api/v1/sla/monitor/run", null)).EnsureSuccessStatusCode();

        var links = new Dictionary<Guid, string>();
        foreach (var id in new[] { a, b })
        {
            links[id] = (await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{id}", Json.Options))!.SatisfactionLink!;
        }

        using var anonymous = app.Anonymous();
        (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{links[a]["/r/".Length..]}/responses", new { score = 5 })).EnsureSuccessStatusCode();
        (await anonymous.PostAsJsonAsync($"/api/v1/public/invitations/{links[b]["/r/".Length..]}/responses", new { score = 2 })).EnsureSuccessStatusCode();

        async Task<double?> Metric(string key, string cut = "") =>
            (await agent.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>($"/api/v1/metrics/{key}/value?from=2026-11-23&to=2026-11-24{cut}", Json.Options))!.Value;
        Assert.Equal(30, await Metric("service.first_response_median"));    // 10, 30, 90
        Assert.Equal(90, await Metric("service.first_response_p90"));
        Assert.Equal(60, await Metric("service.resolution_median"));        // 40 (D, twice resolved), 60, 120, 270
        Assert.Equal(270, await Metric("service.resolution_p90"));
        Assert.Equal(75, await Metric("service.sla_compliance"));            // B missed both targets
        Assert.Equal(25, await Metric("service.escalation_rate"));
        Assert.Equal(25, await Metric("service.reopen_rate"));
        Assert.Equal(4, await Metric("service.tickets_per_customer"));
        Assert.Equal(0, await Metric("service.backlog"));
        Assert.Equal(50, await Metric("service.csat", $"&teamId={team.Id}"));
        Assert.Null(await Metric("service.first_response_median", "&priority=Low"));
        Assert.Equal(30, await Metric("service.first_response_median", "&priority=Urgent&channel=Email"));
        var refused = await agent.GetAsync("/api/v1/metrics/service.csat/value?from=2026-11-23&to=2026-11-24&priority=Whenever");
        Assert.Contains("priority", (await Errors(refused)).Keys);
    }

    [Fact]
    public async Task CalendarsAndPoliciesCanBeChangedAndOnlyUnusedOnesDeletedAndTicketsKeepTheirRecordedDueTimes()
    {
        var clock = new TestClock(Monday);
        await using var app = new PsmServer(ManualMonitor, clock);
        var (admin, agent, calendarId) = await SetUpAsync(app);
        using var _ = admin;
        using var __ = agent;
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        using var lead = await app.ClientFor(PsmServer.EmailOf(Roles.SupportLead)); // configuring SLAs is the support lead's, not the agent's
        var customer = await CustomerAsync(agent, "Aurora", "Pro");
        var before = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Before the change", customerId = customer.Id, priority = "Urgent" })).ReadAsync<TicketDto>();
        var urgent = (await agent.GetFromJsonAsync<List<SlaPolicyDto>>("/api/v1/sla/policies", Json.Options))!.Single(p => p.Name == "Urgent");

        // Next year's holidays and a longer day; bad input names the field and changes nothing.
        var berlin = new
        {
            name = "Berlin office", timeZoneId = "Europe/Berlin", workingDays = new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" },
            opens = "08:00", closes = "18:00", holidays = new[] { "2026-12-25", "2027-01-01" },
        };
        Assert.Contains("closes", (await Errors(await lead.PutAsJsonAsync($"/api/v1/sla/calendars/{calendarId}", berlin with { closes = "07:00" }))).Keys);
        Assert.Equal(HttpStatusCode.Forbidden, (await marketer.PutAsJsonAsync($"/api/v1/sla/calendars/{calendarId}", berlin)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await lead.PutAsJsonAsync($"/api/v1/sla/calendars/{Guid.NewGuid()}", berlin)).StatusCode);
        Assert.Equal(new TimeOnly(17, 0), (await agent.GetFromJsonAsync<List<ServiceCalendarDto>>("/api/v1/sla/calendars", Json.Options))!.Single().Closes);
        var changed = await (await lead.PutAsJsonAsync($"/api/v1/sla/calendars/{calendarId}", berlin)).ReadAsync<ServiceCalendarDto>();
        Assert.Equal([new DateOnly(2026, 12, 25), new DateOnly(2027, 1, 1)], changed.Holidays);
        Assert.Equal(new TimeOnly(18, 0), changed.Closes);

        // A tighter urgent target: the ticket opened before keeps its recorded due time, a new one gets the new target.
        var tighter = new { name = "Urgent", priority = "Urgent", firstResponseMinutes = 30, resolutionMinutes = 180, calendarId };
        Assert.Contains("resolutionMinutes", (await Errors(await lead.PutAsJsonAsync($"/api/v1/sla/policies/{urgent.Id}", tighter with { resolutionMinutes = 10 }))).Keys);
        Assert.Equal(30, (await (await lead.PutAsJsonAsync($"/api/v1/sla/policies/{urgent.Id}", tighter)).ReadAsync<SlaPolicyDto>()).FirstResponseMinutes);
        Assert.Equal(Monday.AddHours(1), (await agent.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{before.Summary.Id}", Json.Options))!.Sla!.FirstResponseDueAt);
        var after = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "After the change", customerId = customer.Id, priority = "Urgent" })).ReadAsync<TicketDto>();
        Assert.Equal(Monday.AddMinutes(30), after.Sla!.FirstResponseDueAt);

        // A policy tickets ran on stays (compliance counts them); an unused one goes; a calendar in use stays.
        var inUse = await Errors(await lead.DeleteAsync($"/api/v1/sla/policies/{urgent.Id}"));
        Assert.Contains("recorded on 2 tickets", inUse["id"][0]);
        var enterprise = (await agent.GetFromJsonAsync<List<SlaPolicyDto>>("/api/v1/sla/policies", Json.Options))!.Single(p => p.Name == "Urgent, Enterprise");
        Assert.Equal(HttpStatusCode.NoContent, (await lead.DeleteAsync($"/api/v1/sla/policies/{enterprise.Id}")).StatusCode);
        Assert.Equal(["Urgent"], (await agent.GetFromJsonAsync<List<SlaPolicyDto>>("/api/v1/sla/policies", Json.Options))!.Select(p => p.Name));
        Assert.Contains("'Urgent'", (await Errors(await lead.DeleteAsync($"/api/v1/sla/calendars/{calendarId}")))["id"][0]);
        var spare = await (await admin.PostAsJsonAsync("/api/v1/sla/calendars", berlin with { name = "Spare" })).ReadAsync<ServiceCalendarDto>();
        Assert.Contains("name", (await Errors(await lead.PutAsJsonAsync($"/api/v1/sla/calendars/{spare.Id}", berlin))).Keys); // the name is taken
        Assert.Equal(HttpStatusCode.NoContent, (await lead.DeleteAsync($"/api/v1/sla/calendars/{spare.Id}")).StatusCode);
        Assert.Single((await agent.GetFromJsonAsync<List<ServiceCalendarDto>>("/api/v1/sla/calendars", Json.Options))!);
    }
}
