using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.ServiceDesk;

public static class TicketsApi
{
    public static RouteGroupBuilder MapTicketsApi(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets").WithTags("Service desk");
        tickets.MapGet("/export.csv", Export).WithName("ExportTickets").ReadsFromReplica()
            .WithSummary("Exports every ticket the queue's filters match as CSV, in the queue's order.");
        tickets.MapGet("/", Queue).WithName("ListTickets")
            .WithSummary("The queue: view=Mine|TeamUnassigned|AllOpen|All, filters by status, priority, channel, team, assignee, customer, search (subject, customer or T-key); sort=Newest|Oldest|Priority; paged.");
        tickets.MapGet("/{id:guid}", (Guid id, Tickets t, CancellationToken ct) => ApiResults.Found(t.GetAsync(id, ct))).WithName("GetTicket")
            .WithSummary("A ticket with its timeline in order. Internal notes are left out for roles that may not read them (marketers, stakeholders).");
        tickets.MapGet("/by-key/{key}", async (string key, Tickets t, CancellationToken ct) =>
                await t.FindByKeyAsync(key, ct) is { } id ? Results.Ok(await t.GetAsync(id, ct)) : Results.NotFound())
            .WithName("GetTicketByKey").WithSummary("A ticket by its key, e.g. T-1042.");
        tickets.MapGet("/{id:guid}/attachments/{attachmentId:guid}", async Task<Results<FileContentHttpResult, NotFound>> (Guid id, Guid attachmentId, Mail.Mailboxes m, CancellationToken ct) =>
                await m.AttachmentAsync(id, attachmentId, ct) is { } file
                    ? TypedResults.File(file.Content, "application/octet-stream", file.FileName)
                    : TypedResults.NotFound())
            .WithName("DownloadTicketAttachment")
            .WithSummary("A file that came with the ticket's mail, as a download (never shown inline, whatever its type).");
        tickets.MapGet("/{id:guid}/events/{eventId:guid}/html", async Task<Results<Ok<MailHtmlDto>, NotFound>> (Guid id, Guid eventId, Mail.Mailboxes m, CancellationToken ct) =>
                await m.HtmlAsync(id, eventId, ct) is { } html ? TypedResults.Ok(new MailHtmlDto(html)) : TypedResults.NotFound())
            .WithName("GetTicketMailHtml")
            .WithSummary("The HTML of the mail behind a timeline entry, sanitised when it was read (no scripts, event handlers or javascript: links).");
        tickets.MapPost("/", async (TicketInput input, Tickets t, CancellationToken ct) =>
            {
                var ticket = await t.CreateAsync(input, ct);
                return TypedResults.Created($"/api/v1/tickets/{ticket.Summary.Id}", ticket);
            })
            .WithName("CreateTicket").WithSummary("Opens a ticket for a customer (and contact), product or service, channel, priority, team and assignee.")
            .RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPost("/{id:guid}/replies", (Guid id, TicketMessageInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.ReplyAsync(id, input, ct)))
            .WithName("ReplyToTicket").WithSummary("A public reply; the first one sets the first-response time.").RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPost("/{id:guid}/notes", (Guid id, TicketMessageInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.NoteAsync(id, input, ct)))
            .WithName("AddTicketNote").WithSummary("An internal note for colleagues.").RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPut("/{id:guid}/status", (Guid id, TicketStatusInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.SetStatusAsync(id, input.Status!.Value, ct)))
            .WithName("SetTicketStatus")
            .WithSummary("New → Open → Pending on customer → Resolved → Closed; a resolved or closed ticket can be Reopened. Other moves get a 400 naming the allowed ones.")
            .RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPut("/{id:guid}/priority", (Guid id, TicketPriorityInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.SetPriorityAsync(id, input.Priority!.Value, ct)))
            .WithName("SetTicketPriority").WithSummary("Changes the priority; the timeline keeps the change.").RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPut("/{id:guid}/assignment", (Guid id, TicketAssignInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.AssignAsync(id, input, ct)))
            .WithName("AssignTicket").WithSummary("Assigns to a team and person by hand, or roundRobin=true for the team's available agent who waited longest.")
            .RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPost("/{id:guid}/escalations", (Guid id, EscalationInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.EscalateAsync(id, input, ct)))
            .WithName("EscalateTicket").WithSummary("Escalates by hand with a reason (conflict=true flags a conflict with the customer); the team lead is notified.")
            .RequireAuthorization(Permissions.ServiceWork);
        tickets.MapPost("/bulk", async (TicketBulkInput input, Tickets t, CancellationToken ct) => TypedResults.Ok(await t.BulkAsync(input, ct)))
            .WithName("BulkUpdateTickets").WithSummary("The same status, assignee or team for up to 500 tickets, all or none.").RequireAuthorization(Permissions.ServiceWork);

        tickets.MapPost("/{id:guid}/feedback", (Guid id, TicketEvidence e, CancellationToken ct) => ApiResults.Found(e.ToFeedbackAsync(id, ct)))
            .WithName("TicketToFeedback")
            .WithSummary("Turns a ticket into a feedback item (channel SupportTicket, source reference its key); asked again, returns the same item.")
            .RequireAuthorization(Permissions.FeedbackTriage);
        tickets.MapPost("/evidence", async (TicketEvidenceInput input, TicketEvidence e, CancellationToken ct) => TypedResults.Ok(await e.LinkAsync(input, ct)))
            .WithName("LinkTicketsAsEvidence")
            .WithSummary("Links up to 500 tickets to an initiative as evidence (each through its feedback item), so they count in evidence, prioritisation and RICE reach.")
            .RequireAuthorization(Permissions.FeedbackTriage);

        var teams = api.MapGroup("/teams").WithTags("Service desk");
        teams.MapGet("/", (Tickets t, CancellationToken ct) => t.TeamsAsync(ct)).WithName("ListTeams")
            .WithSummary("Teams with their members, availability and each member's open tickets (the workload a lead balances), and the team's unassigned tickets.");
        teams.MapPost("/", async (TeamInput input, Tickets t, CancellationToken ct) =>
            {
                var team = await t.CreateTeamAsync(input, ct);
                return TypedResults.Created($"/api/v1/teams/{team.Id}", team);
            })
            .WithName("CreateTeam").WithSummary("Creates a team with a lead and members.").RequireAuthorization(Permissions.ServiceConfigure);
        teams.MapPut("/{id:guid}/members/{userId:guid}/availability", (Guid id, Guid userId, AvailabilityInput input, Tickets t, CancellationToken ct) =>
                ApiResults.Found(t.SetAvailabilityAsync(id, userId, input.Available, ct)))
            .WithName("SetMemberAvailability").WithSummary("Marks a member available for round-robin or not.").RequireAuthorization(Permissions.ServiceConfigure);
        teams.MapPut("/{id:guid}/survey-mail", (Guid id, TeamSurveyMailInput input, Tickets t, CancellationToken ct) => ApiResults.Found(t.SetSurveyMailAsync(id, input, ct)))
            .WithName("SetTeamSurveyMail")
            .WithSummary("Whether the team's resolved tickets get their satisfaction survey by e-mail (from the ticket's mailbox), and how many minutes after resolving (0-10080).")
            .RequireAuthorization(Permissions.ServiceConfigure);
        var sla = api.MapGroup("/sla").WithTags("Service desk");
        sla.MapGet("/calendars", (SlaSettings s, CancellationToken ct) => s.CalendarsAsync(ct)).WithName("ListServiceCalendars")
            .WithSummary("Business-hours calendars: time zone, working days and hours, holidays.");
        sla.MapPost("/calendars", async (ServiceCalendarInput input, SlaSettings s, CancellationToken ct) => TypedResults.Created("/api/v1/sla/calendars", await s.AddCalendarAsync(input, ct)))
            .WithName("AddServiceCalendar").WithSummary("Adds a business-hours calendar.").RequireAuthorization(Permissions.ServiceConfigure);
        sla.MapPut("/calendars/{id:guid}", async Task<Results<Ok<ServiceCalendarDto>, NotFound>> (Guid id, ServiceCalendarInput input, SlaSettings s, CancellationToken ct) =>
                await s.UpdateCalendarAsync(id, input, ct) is { } calendar ? TypedResults.Ok(calendar) : TypedResults.NotFound())
            .WithName("UpdateServiceCalendar").WithSummary("Changes a calendar; due times already planned stay, new ones use the new hours and holidays.")
            .RequireAuthorization(Permissions.ServiceConfigure);
        sla.MapDelete("/calendars/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, SlaSettings s, CancellationToken ct) =>
                await s.DeleteCalendarAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DeleteServiceCalendar").WithSummary("Removes a calendar no policy uses (400 naming the policies otherwise).")
            .RequireAuthorization(Permissions.ServiceConfigure);
        sla.MapGet("/policies", (SlaSettings s, CancellationToken ct) => s.PoliciesAsync(ct)).WithName("ListSlaPolicies")
            .WithSummary("SLA policies: priority, optional product and plan, first-response and resolution targets in business minutes.");
        sla.MapPost("/policies", async (SlaPolicyInput input, SlaSettings s, CancellationToken ct) => TypedResults.Created("/api/v1/sla/policies", await s.AddPolicyAsync(input, ct)))
            .WithName("AddSlaPolicy").WithSummary("Adds an SLA policy; new tickets (and priority changes) pick the most specific that matches.")
            .RequireAuthorization(Permissions.ServiceConfigure);
        sla.MapPut("/policies/{id:guid}", async Task<Results<Ok<SlaPolicyDto>, NotFound>> (Guid id, SlaPolicyInput input, SlaSettings s, CancellationToken ct) =>
                await s.UpdatePolicyAsync(id, input, ct) is { } policy ? TypedResults.Ok(policy) : TypedResults.NotFound())
            .WithName("UpdateSlaPolicy").WithSummary("Changes a policy; tickets keep the due times recorded when it was chosen.")
            .RequireAuthorization(Permissions.ServiceConfigure);
        sla.MapDelete("/policies/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, SlaSettings s, CancellationToken ct) =>
                await s.DeletePolicyAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DeleteSlaPolicy").WithSummary("Removes a policy no ticket recorded (400 otherwise: it stays for their history).")
            .RequireAuthorization(Permissions.ServiceConfigure);
        sla.MapPost("/monitor/run", (SlaMonitor m, CancellationToken ct) => m.RunAsync(ct)).WithName("RunSlaMonitor")
            .WithSummary("Runs the SLA monitor now (it also runs every minute): records breaches and escalates tickets about to breach.")
            .RequireAuthorization(Permissions.ServiceConfigure);

        var notifications = api.MapGroup("/notifications").WithTags("Notifications").RequireAuthorization(Permissions.AccountSelf);
        notifications.MapGet("/", (Psm.Web.Features.Account.Notifications n, CancellationToken ct) => n.MineAsync(50, ct)).WithName("ListMyNotifications")
            .WithSummary("Your latest notifications (escalations for team leads, for example).");
        notifications.MapPost("/{id:guid}/read", (Guid id, Psm.Web.Features.Account.Notifications n, CancellationToken ct) => n.MarkReadAsync(id, ct))
            .WithName("MarkNotificationRead").WithSummary("Marks one of your notifications read.");
        notifications.MapPost("/read", (Psm.Web.Features.Account.Notifications n, CancellationToken ct) => n.MarkReadAsync(null, ct))
            .WithName("MarkAllNotificationsRead").WithSummary("Marks all your notifications read.");
        notifications.MapGet("/settings", (Psm.Web.Features.Account.Notifications n, CancellationToken ct) => n.SettingsAsync(ct))
            .WithName("GetMyNotificationSettings").WithSummary("Whether your notifications also go to your e-mail address (and whether PSM has a mailbox to send them from).");
        notifications.MapPut("/settings", (Psm.Web.Features.Account.NotificationSettingsInput input, Psm.Web.Features.Account.Notifications n, CancellationToken ct) => n.SaveSettingsAsync(input, ct))
            .WithName("SaveMyNotificationSettings").WithSummary("Turns e-mailing your notifications on or off.");
        return api;
    }

    private static Task Export(
        HttpContext http, Tickets tickets, QueueView? view, TicketStatus? status, TicketPriority? priority, TicketChannel? channel, Guid? teamId,
        Guid? assigneeId, Guid? customerId, string? search, QueueSort? sort, CancellationToken ct)
    {
        var filter = new QueueFilter(view ?? QueueView.AllOpen, status, priority, channel, teamId, assigneeId, customerId, search, sort ?? QueueSort.Newest);
        return Csv.WriteAsync(http.Response, "tickets.csv",
            ["key", "subject", "customer", "channel", "priority", "status", "team", "assignee", "created_at", "first_response_at", "resolved_at",
                "next_due_at", "breached", "escalation_level", "tags", "id"],
            Rows(tickets.StreamAsync(filter, ct)), ct);

        static async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<TicketSummary> items)
        {
            await foreach (var t in items)
            {
                yield return
                [
                    t.Key, t.Subject, t.Customer.Name, t.Channel.ToString(), t.Priority.ToString(), t.Status.ToString(), t.Team?.Name, t.Assignee?.Name,
                    t.CreatedAt.ToString("O"), t.FirstResponseAt?.ToString("O"), t.ResolvedAt?.ToString("O"), t.NextDueAt?.ToString("O"), t.Breached ? "true" : "false",
                    t.EscalationLevel.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(";", t.Tags), t.Id.ToString(),
                ];
            }
        }
    }

    private static async Task<Ok<Page<TicketSummary>>> Queue(
        Tickets tickets, QueueView? view, TicketStatus? status, TicketPriority? priority, TicketChannel? channel, Guid? teamId, Guid? assigneeId,
        Guid? customerId, string? search, QueueSort? sort, int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await tickets.QueueAsync(
            new QueueFilter(view ?? QueueView.AllOpen, status, priority, channel, teamId, assigneeId, customerId, search, sort ?? QueueSort.Newest),
            PageRequest.Parse(limit, cursor), ct));
}

public sealed record MailHtmlDto(string Html);
