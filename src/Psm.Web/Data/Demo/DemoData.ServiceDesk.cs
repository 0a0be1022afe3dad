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

    /// <summary>
    /// Subjects with the customer's opening message, the agent's first answer and the customer's follow-up; {0} is a number
    /// that differs per ticket (a row, an invoice, a count), so no two conversations read alike.
    /// </summary>
    private static readonly (string Subject, string Opening, string Answer, string FollowUp)[] Conversations =
    [
        ("Cannot export invoices", "When I click Export on the invoices page nothing downloads. We need the {0} invoices of last quarter for our auditor by Friday.",
            "Thanks, I can reproduce it with large date ranges. As a workaround, export one month at a time; I have asked engineering to look at the full range.",
            "Month by month works, thanks. Please tell me when the full export is fixed."),
        ("Password reset mail never arrives", "Two of our agents requested a password reset this morning and no mail arrived, not even in spam. Our domain is on an allow-list of {0} senders.",
            "Our mail log shows the messages were rejected by your server. Could you add our sending address to the allow-list? I have sent the details.",
            "Added it; the reset mail came through now."),
        ("SLA report shows wrong totals", "The SLA report says {0} breaches last month but the queue export only lists a handful. Which one is right?",
            "The report counts first-response and resolution breaches separately, so one ticket can count twice. I have attached a breakdown by ticket.",
            "That explains it. It would help if the report said so."),
        ("Mobile app loses notes offline", "Our technicians lose their job notes when the phone has no signal. It happened {0} times this week in basements.",
            "Sorry about that. Notes are only kept once the app reaches the server; offline mode is on the roadmap. Until then, please save before going underground.",
            "Please keep us posted on offline mode, this costs us real time."),
        ("How do I set up routing rules?", "We are adding a second team of {0} agents and want billing questions to go to them automatically. Where do I set that up?",
            "Under Service desk, Teams: create the team, then add a routing rule on the tag billing. I have linked the guide.",
            "Done, the first tickets arrived in the right queue."),
        ("Charged twice this month", "Our card was charged twice for the same subscription this month (invoice {0}). Please refund the duplicate.",
            "You are right, the renewal ran twice. The refund is on its way and should appear within five working days.",
            "Refund received, thank you."),
        ("Dashboard loads slowly", "The main dashboard takes about {0} seconds to load every morning for our whole team.",
            "Thanks, we see slow queries for accounts with a long history. A fix is scheduled; archiving closed tickets older than a year speeds it up meanwhile.",
            "Archiving helped a bit, still slow on Mondays."),
        ("API sync with CRM fails", "The nightly sync with our CRM stopped after {0} records with a timeout. Nothing changed on our side.",
            "The sync hit the rate limit. I have raised your limit; the next run should complete. Let me know tomorrow morning.",
            "Last night's sync completed."),
        ("Add a second admin", "Our only admin is leaving the company. How can we make {0} more people admins without losing the settings?",
            "An admin can grant the role under Administration, Users. Since your admin is still there, ask them to do it before leaving.",
            "Thanks, done before the handover."),
        ("Webhook retries flood our endpoint", "Our endpoint was down for an hour and then received {0} retries within a minute, which took it down again.",
            "Retries should back off. I have passed your timeline to engineering and paused the retries on your subscription for now.",
            "Please re-enable them once the back-off is fixed."),
        ("Import stops at row 5000", "Importing our contact list stops at row 5000 of {0} without an error message.",
            "The import stops at a row with an unclosed quote. Fix that row and import again; the rest will follow.",
            "Found the row, the import went through."),
        ("Need an invoice copy", "Could you send us a copy of invoice {0}? Our accounts team cannot find it.",
            "Attached. You can also download any invoice under Billing, Invoices.",
            "Got it, thanks."),
        ("SSO login loop", "Since this morning our agents are sent back to the sign-in page after signing in with SSO. About {0} people are affected.",
            "Your identity provider's certificate changed last night. Please upload the new metadata under Administration, Single sign-on.",
            "Uploaded, everyone can sign in again."),
        ("Agent cannot see queue", "A new agent sees an empty queue although there are {0} open tickets in her team.",
            "She was added to the team but not given the agent role. I have sent the steps; it takes effect at her next sign-in.",
            "Works now."),
    ];

    private static readonly string[] ContactFirstNames =
        ["Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Katrin", "Lukas", "Marta", "Nils", "Olivia", "Paul", "Rosa", "Tomas"];

    private static readonly string[] ContactLastNames =
        ["Berg", "Costa", "Dahl", "Esposito", "Fischer", "Garcia", "Hansen", "Ivanova", "Jansen", "Keller", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quinn"];

    /// <summary>One to three people at each customer whom support and marketing may address.</summary>
    public IReadOnlyList<CustomerContact> Contacts(IReadOnlyList<Customer> customers)
    {
        var rng = new Random(seed + 17);
        var contacts = new List<CustomerContact>();
        foreach (var customer in customers)
        {
            var domain = customer.Email[(customer.Email.IndexOf('@') + 1)..];
            var names = new HashSet<string>();
            for (var i = 1 + rng.Next(3); i > 0; i--)
            {
                var name = $"{ContactFirstNames[rng.Next(ContactFirstNames.Length)]} {ContactLastNames[rng.Next(ContactLastNames.Length)]}";
                if (names.Add(name))
                {
                    contacts.Add(new CustomerContact
                    {
                        Id = DeterministicId(rng, customer.CreatedAt), CustomerId = customer.Id, Name = name,
                        Email = $"{name.ToLowerInvariant().Replace(' ', '.')}@{domain}",
                    });
                }
            }
        }

        return contacts;
    }

    public ServiceDeskData ServiceDesk(
        DateTimeOffset now, IReadOnlyList<Customer> customers, IReadOnlyList<CustomerContact> contacts, IReadOnlyList<Product> products, Guid? lead, Guid? agent,
        IReadOnlyList<Psm.Web.Features.Commerce.Subscription>? subscriptions = null)
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
        var contactsOf = contacts.ToLookup(c => c.CustomerId);
        // Customers whose every subscription ended, and the day the last one did.
        var byId = customers.ToDictionary(c => c.Id);
        var leavers = (subscriptions ?? []).GroupBy(s => s.CustomerId)
            .Where(g => g.All(s => s.CancelledOn is not null) && byId.ContainsKey(g.Key))
            .Select(g => (Customer: byId[g.Key], On: g.Max(s => s.CancelledOn!.Value))).OrderBy(l => l.On).ToList();
        for (var i = 0; i < count; i++)
        {
            // The last fortnight is busier than the year's average: that is the open backlog a desk carries.
            var created = i < count / 10
                ? now.AddMinutes(-rng.NextDouble() * 14 * 24 * 60)
                : start.AddMinutes(rng.NextDouble() * (now - start).TotalMinutes);
            created = new DateTimeOffset(created.Ticks - created.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
            // Only a customer who had signed up by then can write in; customers about to leave write in more often.
            var customer = CustomerAt(rng, customers, created);
            var day = DateOnly.FromDateTime(created.UtcDateTime);
            if (rng.NextDouble() < 0.3 && leavers.Where(l => l.On > day && l.On <= day.AddDays(100) && l.Customer.CreatedAt <= created).ToList() is { Count: > 0 } soon)
            {
                customer = soon[rng.Next(soon.Count)].Customer;
            }
            if (customer is null)
            {
                continue;
            }

            var priority = rng.Next(20) switch { 0 => TicketPriority.Urgent, < 4 => TicketPriority.High, < 15 => TicketPriority.Normal, _ => TicketPriority.Low };
            var enterprise = customer.Plan == "Enterprise";
            var team = enterprise ? enterpriseDesk : tier1;
            var assignee = team.Members.Count == 0 ? (Guid?)null : team.Members[rng.Next(team.Members.Count)].UserId;
            var conversation = Conversations[rng.Next(Conversations.Length)];
            var opening = string.Format(System.Globalization.CultureInfo.InvariantCulture, conversation.Opening, 3 + rng.Next(2_000));
            var reachable = contactsOf[customer.Id].ToList();
            var contact = reachable.Count == 0 ? null : reachable[rng.Next(reachable.Count)];
            var ticket = new Ticket
            {
                Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), Number = 1001 + i, Subject = conversation.Subject,
                Description = opening, CustomerId = customer.Id, ContactId = contact?.Id,
                ProductId = rng.Next(4) == 0 ? analytics.Id : helpdesk.Id, Channel = (TicketChannel)rng.Next(5), Priority = priority, TeamId = team.Id,
                AssigneeId = assignee, CreatedAt = created, Status = TicketStatus.New,
            };
            var policy = SlaRules.Select(policies, new SlaSubject(priority, ticket.ProductId, customer.Plan))!;
            ticket.SlaPolicyId = policy.Id;
            (ticket.FirstResponseDueAt, ticket.ResolutionDueAt) = SlaRules.Due(business, policy, created);
            void Log(DateTimeOffset at, TicketEventKind kind, string text, string actor = "agent@northwind.test") =>
                events.Add(new TicketEvent { Id = DeterministicId(rng, at), TicketId = ticket.Id, At = at, Kind = kind, Actor = actor, Text = text });
            var writer = contact?.Name ?? customer.Name;
            Log(created, TicketEventKind.Created, $"Opened via {ticket.Channel}.", writer);
            Log(created.AddMicroseconds(1), TicketEventKind.CustomerMessage, opening, writer);
            Log(created.AddMicroseconds(2), TicketEventKind.Sla, $"SLA policy \"{policy.Name}\" applies (opened).");
            var recent = created > now.AddDays(-14);

            // Most first responses come well inside the target; about one in ten is late. Busier weeks are later.
            var lateFirst = rng.Next(10) == 0;
            // The desk got faster over the year (routing rules, a second agent): a year ago answers took over half as long again.
            var trend = 1.6 - 0.7 * ((created - start) / (now - start));
            var firstAt = business.Add(created, TimeSpan.FromMinutes(policy.FirstResponseMinutes * trend
                * (lateFirst ? 1.2 + rng.NextDouble() : 0.1 + rng.NextDouble() * 0.8)));
            var lateResolution = lateFirst ? rng.Next(2) == 0 : rng.Next(9) == 0;
            var resolvedAt = business.Add(created, TimeSpan.FromMinutes(policy.ResolutionMinutes * (lateResolution ? 1.1 + rng.NextDouble() : 0.3 + rng.NextDouble() * 0.65)));
            if (resolvedAt <= firstAt)
            {
                // Nothing is resolved before it is answered.
                resolvedAt = business.Add(firstAt, TimeSpan.FromMinutes(30 + rng.Next(90)));
            }
            if (firstAt < now)
            {
                ticket.FirstResponseAt = firstAt;
                ticket.FirstResponseMinutes = Math.Round(business.Between(created, firstAt).TotalMinutes, 1);
                ticket.Status = TicketStatus.Open;
                Log(firstAt, TicketEventKind.Reply, conversation.Answer);
            }

            if (ticket.FirstResponseDueAt < now && (ticket.FirstResponseAt is null || ticket.FirstResponseAt > ticket.FirstResponseDueAt))
            {
                ticket.FirstResponseBreachedAt = ticket.FirstResponseDueAt;
                ticket.EscalationLevel++;
                Log(ticket.FirstResponseDueAt!.Value, TicketEventKind.Escalation, $"First-response target missed (due {ticket.FirstResponseDueAt:yyyy-MM-dd HH:mm} UTC): escalated to level {ticket.EscalationLevel}.", "SLA monitor");
            }

            // Most of the last fortnight's tickets are still being worked on.
            if (resolvedAt < now.AddDays(-1) && !(recent && rng.Next(10) < 6))
            {
                var followUp = firstAt.AddMinutes(20 + rng.Next(600));
                if (followUp < resolvedAt)
                {
                    Log(followUp, TicketEventKind.CustomerMessage, conversation.FollowUp, writer);
                }

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

    /// <summary>A customer who had signed up by <paramref name="at"/>, or null when none had.</summary>
    private static Customer? CustomerAt(Random rng, IReadOnlyList<Customer> customers, DateTimeOffset at)
    {
        // Customers are ordered by creation: find how many were created by then, and pick one of them.
        int low = 0, high = customers.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (customers[middle].CreatedAt <= at) low = middle + 1;
            else high = middle;
        }

        return low == 0 ? null : customers[rng.Next(low)];
    }
}
