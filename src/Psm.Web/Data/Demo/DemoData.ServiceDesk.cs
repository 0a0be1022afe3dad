using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Web.Data.Demo;

/// <summary>
/// A year of the service desk: business hours in Berlin, SLA policies per priority (tighter for Enterprise),
/// two teams, and tickets that mostly meet their targets, some that breach and are escalated, a few reopened,
/// the last fortnight still open, and CSAT answers that are lower when the SLA was missed.
/// </summary>
public sealed partial class DemoData
{
    public sealed record ServiceDeskData(
        ServiceCalendar Calendar, IReadOnlyList<SlaPolicy> Policies, IReadOnlyList<Team> Teams, IReadOnlyList<Ticket> Tickets, IReadOnlyList<TicketEvent> Events,
        Survey Survey, IReadOnlyList<SurveyInvitation> Invitations, IReadOnlyList<SurveyResponse> Responses);

    private static readonly string[] TicketSubjects =
    [
        "Cannot export invoices", "Password reset mail never arrives", "SLA report shows wrong totals", "Mobile app loses notes offline",
        "How do I set up routing rules?", "Charged twice this month", "Dashboard loads slowly", "API sync with CRM fails", "Add a second admin",
        "Webhook retries flood our endpoint", "Import stops at row 5000", "Need an invoice copy", "SSO login loop", "Agent cannot see queue",
    ];

    public ServiceDeskData ServiceDesk(DateTimeOffset now, IReadOnlyList<Customer> customers, IReadOnlyList<Product> products, Guid? lead, Guid? agent)
    {
        var rng = new Random(seed + 13);
        var calendar = new ServiceCalendar
        {
            Id = DeterministicId(rng, now), Name = "Berlin office", TimeZoneId = "Europe/Berlin", Opens = new TimeOnly(8, 0), Closes = new TimeOnly(18, 0),
            Holidays = [new(now.Year - 1, 12, 25), new(now.Year - 1, 12, 26), new(now.Year, 1, 1), new(now.Year, 12, 25), new(now.Year, 12, 26)],
            CreatedAt = now.AddYears(-1).AddDays(-7),
        };
        SlaPolicy Policy(string name, TicketPriority priority, int first, int resolution, string? plan = null) => new()
        {
            Id = DeterministicId(rng, now), Name = name, Priority = priority, Plan = plan, FirstResponseMinutes = first, ResolutionMinutes = resolution,
            CalendarId = calendar.Id, Calendar = calendar, CreatedAt = calendar.CreatedAt,
        };
        var policies = new List<SlaPolicy>
        {
            Policy("Urgent", TicketPriority.Urgent, 30, 240), Policy("High", TicketPriority.High, 60, 480), Policy("Normal", TicketPriority.Normal, 240, 1_440),
            Policy("Low", TicketPriority.Low, 480, 2_880), Policy("Urgent, Enterprise", TicketPriority.Urgent, 15, 120, "Enterprise"),
            Policy("High, Enterprise", TicketPriority.High, 30, 240, "Enterprise"),
        };
        var people = new[] { agent, lead }.Where(p => p is not null).Select(p => p!.Value).Distinct().ToList();
        var tier1 = new Team
        {
            Id = DeterministicId(rng, now), Name = "Tier 1", LeadId = lead, CreatedAt = calendar.CreatedAt,
            Members = people.Select(p => new TeamMember { UserId = p }).ToList(),
        };
        var enterpriseDesk = new Team
        {
            Id = DeterministicId(rng, now), Name = "Enterprise desk", LeadId = lead, CreatedAt = calendar.CreatedAt,
            Members = people.Take(1).Select(p => new TeamMember { UserId = p }).ToList(),
        };
        var survey = new Survey
        {
            Id = DeterministicId(rng, now), Version = DeterministicId(rng, now), Name = "Support satisfaction", Kind = SurveyKind.Csat,
            Question = "How satisfied are you with how we handled your request?", FollowUpQuestion = "What could we have done better?", CreatedAt = calendar.CreatedAt,
        };

        var business = calendar.ToCalendar();
        var helpdesk = products.First(p => p.Name == "Northwind Helpdesk");
        var analytics = products.First(p => p.Name == "Northwind Analytics");
        var tickets = new List<Ticket>();
        var events = new List<TicketEvent>();
        var invitations = new List<SurveyInvitation>();
        var responses = new List<SurveyResponse>();
        var count = customers.Count * 3 / 2;
        var start = now.AddYears(-1);
        for (var i = 0; i < count; i++)
        {
            var customer = customers[rng.Next(customers.Count)];
            var created = start.AddMinutes(rng.NextDouble() * (now - start).TotalMinutes);
            created = new DateTimeOffset(created.Ticks - created.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
            var priority = rng.Next(20) switch { 0 => TicketPriority.Urgent, < 4 => TicketPriority.High, < 15 => TicketPriority.Normal, _ => TicketPriority.Low };
            var enterprise = customer.Plan == "Enterprise";
            var team = enterprise ? enterpriseDesk : tier1;
            var assignee = team.Members.Count == 0 ? (Guid?)null : team.Members[rng.Next(team.Members.Count)].UserId;
            var ticket = new Ticket
            {
                Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), Number = 1001 + i, Subject = TicketSubjects[rng.Next(TicketSubjects.Length)],
                Description = "Reported by the customer; details in the first message.", CustomerId = customer.Id,
                ProductId = rng.Next(4) == 0 ? analytics.Id : helpdesk.Id, Channel = (TicketChannel)rng.Next(5), Priority = priority, TeamId = team.Id,
                AssigneeId = assignee, CreatedAt = created, Status = TicketStatus.New,
            };
            var policy = SlaRules.Select(policies, new SlaSubject(priority, ticket.ProductId, customer.Plan))!;
            ticket.SlaPolicyId = policy.Id;
            (ticket.FirstResponseDueAt, ticket.ResolutionDueAt) = SlaRules.Due(business, policy, created);
            void Log(DateTimeOffset at, TicketEventKind kind, string text, string actor = "agent@northwind.test") =>
                events.Add(new TicketEvent { Id = DeterministicId(rng, at), TicketId = ticket.Id, At = at, Kind = kind, Actor = actor, Text = text });
            Log(created, TicketEventKind.Created, $"Opened via {ticket.Channel}.");
            Log(created.AddTicks(1), TicketEventKind.Sla, $"SLA policy \"{policy.Name}\" applies (opened).");

            // Most first responses come well inside the target; about one in ten is late. Busier weeks are later.
            var lateFirst = rng.Next(10) == 0;
            var firstAt = business.Add(created, TimeSpan.FromMinutes(policy.FirstResponseMinutes * (lateFirst ? 1.2 + rng.NextDouble() : 0.1 + rng.NextDouble() * 0.8)));
            var lateResolution = lateFirst ? rng.Next(2) == 0 : rng.Next(9) == 0;
            var resolvedAt = business.Add(created, TimeSpan.FromMinutes(policy.ResolutionMinutes * (lateResolution ? 1.1 + rng.NextDouble() : 0.3 + rng.NextDouble() * 0.65)));
            if (firstAt < now)
            {
                ticket.FirstResponseAt = firstAt;
                ticket.FirstResponseMinutes = Math.Round(business.Between(created, firstAt).TotalMinutes, 1);
                ticket.Status = TicketStatus.Open;
                Log(firstAt, TicketEventKind.Reply, "Thanks for reporting this; we are looking into it.");
            }

            if (ticket.FirstResponseDueAt < now && (ticket.FirstResponseAt is null || ticket.FirstResponseAt > ticket.FirstResponseDueAt))
            {
                ticket.FirstResponseBreachedAt = ticket.FirstResponseDueAt;
                ticket.EscalationLevel++;
                Log(ticket.FirstResponseDueAt!.Value, TicketEventKind.Escalation, $"First-response target missed (due {ticket.FirstResponseDueAt:yyyy-MM-dd HH:mm} UTC): escalated to level {ticket.EscalationLevel}.", "SLA monitor");
            }

            if (resolvedAt < now.AddDays(-1))
            {
                ticket.ResolvedAt = resolvedAt;
                ticket.ResolutionMinutes = Math.Round(business.Between(created, resolvedAt).TotalMinutes, 1);
                ticket.Status = resolvedAt < now.AddDays(-7) ? TicketStatus.Closed : TicketStatus.Resolved;
                ticket.ClosedAt = ticket.Status == TicketStatus.Closed ? resolvedAt.AddDays(7) : null;
                Log(resolvedAt, TicketEventKind.Status, "Open → Resolved.");
                if (rng.Next(25) == 0)
                {
                    ticket.Reopened = 1;
                    Log(resolvedAt.AddHours(2), TicketEventKind.Status, "Resolved → Reopened.");
                    Log(resolvedAt.AddHours(5), TicketEventKind.Status, "Reopened → Resolved.");
                }

                // Four in ten answer the satisfaction survey; a missed SLA shows in the score.
                if (rng.Next(10) < 4)
                {
                    var breached = lateFirst || lateResolution;
                    var score = Math.Clamp((int)Math.Round(breached ? 2.6 + rng.NextDouble() * 1.6 : 3.7 + rng.NextDouble() * 1.4), 1, 5);
                    var answeredAt = resolvedAt.AddHours(1 + rng.Next(48));
                    if (answeredAt < now)
                    {
                        invitations.Add(new SurveyInvitation
                        {
                            Id = DeterministicId(rng, resolvedAt), SurveyId = survey.Id, CustomerId = customer.Id, TicketId = ticket.Id, CreatedAt = resolvedAt,
                            AnsweredAt = answeredAt, Score = score,
                        });
                        responses.Add(new SurveyResponse
                        {
                            Id = DeterministicId(rng, answeredAt), SurveyId = survey.Id, Wave = 1, Score = score, CustomerId = customer.Id, TicketId = ticket.Id,
                            Channel = ResponseChannel.Web, RespondedAt = answeredAt, RespondedOn = DateOnly.FromDateTime(answeredAt.UtcDateTime),
                        });
                        Log(answeredAt, TicketEventKind.Survey, $"The customer rated the service {score} of 5 (CSAT).", "customer");
                    }
                }
            }
            else if (rng.Next(5) == 0 && ticket.FirstResponseAt is not null)
            {
                ticket.Status = TicketStatus.PendingOnCustomer;
                ticket.PausedAt = ticket.FirstResponseAt.Value.AddMinutes(5);
                Log(ticket.PausedAt.Value, TicketEventKind.Status, "Open → Pending on customer.");
            }

            if (ticket.ResolutionDueAt < now && !SlaRules.Stops(ticket.PausedAt, ticket.ResolutionDueAt) && (ticket.ResolvedAt is null || ticket.ResolvedAt > ticket.ResolutionDueAt))
            {
                ticket.ResolutionBreachedAt = ticket.ResolutionDueAt;
                ticket.EscalationLevel++;
                Log(ticket.ResolutionDueAt!.Value, TicketEventKind.Escalation, $"Resolution target missed (due {ticket.ResolutionDueAt:yyyy-MM-dd HH:mm} UTC): escalated to level {ticket.EscalationLevel}.", "SLA monitor");
            }

            tickets.Add(ticket);
        }

        // Keys follow the order tickets arrived in.
        foreach (var (ticket, index) in tickets.OrderBy(t => t.CreatedAt).Select((t, n) => (t, n)))
        {
            ticket.Number = 1001 + index;
        }

        return new ServiceDeskData(calendar, policies, [tier1, enterpriseDesk], tickets, events, survey, invitations, responses);
    }
}
