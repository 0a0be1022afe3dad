using Psm.Web.Features.Chat;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.HelpCentre;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Web.Data.Demo;

public sealed partial class DemoData
{
    /// <summary>The demo website's widget key (the sample page at /chat-demo uses it).</summary>
    public const string ChatSiteKey = "northwind-cloud-website";

    /// <summary>
    /// Northwind's website with the chat widget, and its chats with the assistant: one chat for each assistant conversation of
    /// the demo history, its question and the answer given (or "I could not find…"), ended when the visitor said it helped.
    /// </summary>
    public (Features.Chat.ChatSite Site, IReadOnlyList<Features.Chat.ChatConversation> Chats, IReadOnlyList<Features.Chat.ChatMessage> Lines) Chats(
        DateTimeOffset now, IReadOnlyList<AssistantConversation> conversations, IReadOnlyList<AssistantExchange> exchanges, IReadOnlyList<Article> articles)
    {
        var rng = new Random(seed + 14);
        var site = new Features.Chat.ChatSite
        {
            Id = DeterministicId(rng, now.AddDays(-60)), Name = "Northwind Cloud website", SiteKey = ChatSiteKey, AllowedOrigins = "https://www.northwind.example\nhttps://app.northwind.example",
            CreatedAt = now.AddDays(-60),
        };
        var chats = new List<Features.Chat.ChatConversation>();
        var lines = new List<Features.Chat.ChatMessage>();
        var byId = articles.ToDictionary(a => a.Id);
        // Half the assistant's conversations began in the widget; the rest on the help centre's own page.
        foreach (var conversation in conversations.Where((_, i) => i % 2 == 0))
        {
            var exchange = exchanges.First(e => e.ConversationId == conversation.Id);
            var article = exchange.Answered && exchange.ArticleId is { } id ? byId[id] : null;
            var chat = new Features.Chat.ChatConversation
            {
                Id = DeterministicId(rng, conversation.StartedAt), SiteId = site.Id, VisitorKey = "w:" + conversation.VisitorKey, AssistantToken = conversation.Token,
                Status = Features.Chat.ChatStatus.Ended, StartedAt = conversation.StartedAt, LastAt = conversation.LastAt, EndedAt = conversation.LastAt,
                PageUrl = rng.Next(2) == 0 ? "https://www.northwind.example/pricing" : "https://app.northwind.example/settings",
            };
            chats.Add(chat);
            lines.Add(new Features.Chat.ChatMessage { Id = DeterministicId(rng, exchange.At), ConversationId = chat.Id, At = exchange.At, Author = Features.Chat.ChatAuthor.Visitor, Name = "Visitor", Text = exchange.Question });
            lines.Add(new Features.Chat.ChatMessage
            {
                Id = DeterministicId(rng, exchange.At), ConversationId = chat.Id, At = exchange.At.AddMicroseconds(1), Author = Features.Chat.ChatAuthor.Assistant, Name = Features.Chat.LiveChat.AssistantName,
                Text = article is null ? Assistant.NotKnown : exchange.Passage, ArticleSlug = article?.Slug, ArticleTitle = article?.Title,
            });
            lines.Add(new Features.Chat.ChatMessage
            {
                Id = DeterministicId(rng, conversation.LastAt), ConversationId = chat.Id, At = conversation.LastAt, Author = Features.Chat.ChatAuthor.System, Name = "",
                Text = conversation.Outcome == ConversationOutcome.Resolved ? "Glad that helped. The chat has ended." : "The visitor left.",
            });
        }

        return (site, chats, lines);
    }

    public sealed record PersonChatData(
        IReadOnlyList<ChatConversation> Chats, IReadOnlyList<ChatMessage> Lines, IReadOnlyList<Ticket> Tickets, IReadOnlyList<TicketEvent> Events,
        IReadOnlyList<SurveyInvitation> Invitations, IReadOnlyList<SurveyResponse> Responses, IReadOnlyList<ChatAgent> Agents);

    private sealed record ChatScript(string Question, string[] Exchange, int? Rating);

    // What visitors asked people about, and how the agent and the visitor went on: each handed over after the assistant's answer.
    private static readonly ChatScript[] HandedOver =
    [
        new("Our invoice shows 14 seats but we only have 11 users", ["V:We removed three people last week but the March invoice still counts 14 seats.",
            "A:Thanks — removed users stay billable until the end of the period they were removed in. I have credited the three seats for March; you will see it on the next invoice.",
            "V:Perfect, thank you!"], 5),
        new("The Salesforce connector stopped syncing yesterday", ["V:It says 'token expired' and reconnecting does not help.",
            "A:Salesforce revoked tokens for connected apps on Tuesday. Please remove the connector and add it again with an admin account; the history is kept.",
            "V:That did it, data is flowing again."], 4),
        new("Can we get an invoice in EUR instead of USD?", ["V:Our finance team needs EUR invoices from next month.",
            "A:Yes. I switched your billing currency to EUR from 1 May; the price is converted at the list rate, 1 240 EUR a month for your plan.",
            "V:Great, thanks."], 5),
        new("Dashboard export to PDF cuts off the last column", ["V:Exporting the 'Regional revenue' dashboard to PDF loses the Q4 column.",
            "A:That is a known issue with landscape pages wider than 11 inches. Until the fix ships next week, choose A3 in the export dialog.",
            "V:A3 works. Annoying but fine."], 3),
        new("How do I give an auditor read-only access for two weeks?", ["V:External auditor, should not see customer names if possible.",
            "A:Invite them with the Viewer role and set an expiry date on the invitation; 'Mask personal data' under Workspace → Privacy hides names for viewers.",
            "V:Exactly what I needed."], 5),
        new("Two-factor codes are not accepted", ["V:Every code from my authenticator app is rejected.",
            "A:That usually means the phone's clock is off. Could you turn on automatic time on the phone and try again?",
            "V:The clock was 3 minutes behind. Works now."], 4),
        new("We want to move from Pro to Enterprise mid-contract", ["V:What happens to what we already paid for this year?",
            "A:The unused part of your Pro year is credited against Enterprise, pro rata by day. I have asked our account team to send the quote today.",
            "V:Okay, waiting for the quote."], null),
        new("API returns 429 during our nightly import", ["V:We send about 40 requests a second for an hour.",
            "A:Your plan allows 25 a second. Batch endpoints take 500 rows a call, which would bring you to 2 a second; here is the page on batch import.",
            "V:Will try batching tonight."], 2),
    ];

    private static readonly string[] Missed =
    [
        "Do you have a data processing agreement we can sign before the trial? Our legal team needs it by Friday.",
        "Is there a discount for non-profits? We are a foundation with 9 staff.",
        "Our SSO login loops back to the sign-in page since this morning. Nobody can get in.",
    ];

    /// <summary>
    /// Chats that reached a person: eight handed over from the assistant and answered by the support agent in minutes (a ticket
    /// each, channel Chat, resolved when the chat ended, most rated), and three messages left when nobody was available (open tickets).
    /// </summary>
    public PersonChatData PersonChats(
        DateTimeOffset now, ChatSite site, IReadOnlyList<Customer> customers, IReadOnlyList<CustomerContact> contacts, ServiceDeskData desk, Guid? agent, string agentName)
    {
        var rng = new Random(seed + 15);
        var chats = new List<ChatConversation>();
        var lines = new List<ChatMessage>();
        var tickets = new List<Ticket>();
        var events = new List<TicketEvent>();
        var invitations = new List<SurveyInvitation>();
        var responses = new List<SurveyResponse>();
        var business = desk.Calendar.ToCalendar();
        var plans = customers.ToDictionary(c => c.Id, c => c.Plan);
        var reachable = contacts.Where(c => c.Email.Length > 0).ToList();

        void Line(ChatConversation chat, DateTimeOffset at, ChatAuthor author, string name, string text) =>
            lines.Add(new ChatMessage { Id = DeterministicId(rng, at), ConversationId = chat.Id, At = at, Author = author, Name = name, Text = text });

        Ticket Open(ChatConversation chat, CustomerContact contact, string subject, string description, DateTimeOffset at, string[] tags)
        {
            var policy = SlaRules.Select(desk.Policies, new SlaSubject(TicketPriority.Normal, null, plans.GetValueOrDefault(contact.CustomerId, "")))!;
            var ticket = new Ticket
            {
                Id = DeterministicId(rng, at), Version = DeterministicId(rng, at), Subject = subject, Description = description, CustomerId = contact.CustomerId, ContactId = contact.Id,
                Channel = TicketChannel.Chat, Priority = TicketPriority.Normal, Status = TicketStatus.New, CreatedAt = at, SlaPolicyId = policy.Id, Tags = string.Join(',', tags),
            };
            (ticket.FirstResponseDueAt, ticket.ResolutionDueAt) = SlaRules.Due(business, policy, at);
            events.Add(new TicketEvent { Id = DeterministicId(rng, at), TicketId = ticket.Id, At = at, Kind = TicketEventKind.Created, Actor = contact.Name, Text = "Opened via Chat." });
            events.Add(new TicketEvent { Id = DeterministicId(rng, at), TicketId = ticket.Id, At = at.AddMicroseconds(1), Kind = TicketEventKind.CustomerMessage, Actor = contact.Name, Text = description });
            events.Add(new TicketEvent
            {
                Id = DeterministicId(rng, at), TicketId = ticket.Id, At = at.AddMicroseconds(2), Kind = TicketEventKind.Sla, Actor = "system",
                Text = $"SLA policy \"{policy.Name}\" applies (opened): first response by {ticket.FirstResponseDueAt:yyyy-MM-dd HH:mm} UTC, resolution by {ticket.ResolutionDueAt:yyyy-MM-dd HH:mm} UTC (business hours: {desk.Calendar.Name}).",
            });
            chat.TicketId = ticket.Id;
            tickets.Add(ticket);
            return ticket;
        }

        for (var i = 0; i < HandedOver.Length; i++)
        {
            var script = HandedOver[i];
            var contact = reachable[rng.Next(reachable.Count)];
            // Inside business hours on a weekday of the last eight weeks, so an agent was there.
            var day = now.UtcDateTime.Date.AddDays(-(3 + i * 6 + rng.Next(4)));
            while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                day = day.AddDays(-1);
            }

            var at = new DateTimeOffset(day.AddHours(9 + rng.Next(7)).AddMinutes(rng.Next(60)), TimeSpan.Zero);
            var chat = new ChatConversation
            {
                Id = DeterministicId(rng, at), SiteId = site.Id, VisitorKey = $"w:demovisitor{i:D2}".PadRight(34, '0'), VisitorName = contact.Name, VisitorEmail = contact.Email,
                PageUrl = "https://app.northwind.example/settings", StartedAt = at, HandedAt = at.AddSeconds(50), AcceptedAt = at.AddSeconds(50 + 20 + rng.Next(100)), AgentId = agent,
            };
            Line(chat, at, ChatAuthor.Visitor, contact.Name, script.Question);
            Line(chat, at.AddMicroseconds(1), ChatAuthor.Assistant, LiveChat.AssistantName, Assistant.NotKnown);
            Line(chat, chat.HandedAt.Value, ChatAuthor.System, "", "Asked for a person: someone will be with you shortly.");
            var ticket = Open(chat, contact, script.Question, $"From the chat with the assistant:\nVisitor: {script.Question}\nAssistant: did not know", chat.HandedAt.Value, ["chat"]);
            ticket.AssigneeId = agent;
            Line(chat, chat.AcceptedAt!.Value, ChatAuthor.System, "", $"{agentName} joined the chat.");
            events.Add(new TicketEvent { Id = DeterministicId(rng, chat.AcceptedAt.Value), TicketId = ticket.Id, At = chat.AcceptedAt.Value, Kind = TicketEventKind.Assignment, Actor = "system", Text = $"Chat assigned to {agentName} (round-robin)." });
            var t = chat.AcceptedAt.Value;
            foreach (var turn in script.Exchange)
            {
                t = t.AddSeconds(40 + rng.Next(140));
                var byAgent = turn.StartsWith("A:", StringComparison.Ordinal);
                var text = turn[2..];
                Line(chat, t, byAgent ? ChatAuthor.Agent : ChatAuthor.Visitor, byAgent ? agentName : contact.Name, text);
                if (byAgent && ticket.FirstResponseAt is null)
                {
                    ticket.FirstResponseAt = t;
                    ticket.FirstResponseMinutes = Math.Round(business.Between(ticket.CreatedAt, t).TotalMinutes, 1);
                    ticket.Status = TicketStatus.Open;
                }

                events.Add(new TicketEvent
                {
                    Id = DeterministicId(rng, t), TicketId = ticket.Id, At = t, Kind = byAgent ? TicketEventKind.Reply : TicketEventKind.CustomerMessage,
                    Actor = byAgent ? "agent@northwind.test" : contact.Name, Text = text,
                });
            }

            var end = t.AddSeconds(30 + rng.Next(60));
            (chat.Status, chat.EndedAt, chat.LastAt) = (ChatStatus.Ended, end, end);
            Line(chat, end, ChatAuthor.System, "", "The agent ended the chat.");
            ticket.ResolvedAt = end;
            ticket.ResolutionMinutes = Math.Round(business.Between(ticket.CreatedAt, end).TotalMinutes, 1);
            ticket.Status = end < now.AddDays(-7) ? TicketStatus.Closed : TicketStatus.Resolved;
            ticket.ClosedAt = ticket.Status == TicketStatus.Closed ? end.AddDays(7) : null;
            events.Add(new TicketEvent { Id = DeterministicId(rng, end), TicketId = ticket.Id, At = end, Kind = TicketEventKind.Status, Actor = "agent@northwind.test", Text = "Open → Resolved." });
            var invitation = new SurveyInvitation { Id = DeterministicId(rng, end), SurveyId = desk.Survey.Id, CustomerId = contact.CustomerId, ContactId = contact.Id, TicketId = ticket.Id, CreatedAt = end };
            invitations.Add(invitation);
            if (script.Rating is { } score)
            {
                var answeredAt = end.AddSeconds(20 + rng.Next(60));
                (invitation.AnsweredAt, invitation.Score) = (answeredAt, score);
                responses.Add(new SurveyResponse
                {
                    Id = DeterministicId(rng, answeredAt), SurveyId = desk.Survey.Id, Wave = 1, Score = score, CustomerId = contact.CustomerId, TicketId = ticket.Id,
                    Channel = ResponseChannel.Web, RespondedAt = answeredAt, RespondedOn = DateOnly.FromDateTime(answeredAt.UtcDateTime),
                });
                events.Add(new TicketEvent { Id = DeterministicId(rng, answeredAt), TicketId = ticket.Id, At = answeredAt, Kind = TicketEventKind.Survey, Actor = "customer", Text = $"The customer rated the service {score} of 5 (CSAT)." });
            }

            chats.Add(chat);
        }

        for (var i = 0; i < Missed.Length; i++)
        {
            var message = Missed[i];
            var contact = reachable[rng.Next(reachable.Count)];
            // Left when nobody was on chat; still waiting for the e-mailed answer.
            var at = now.AddDays(-(1 + i * 9)).AddHours(-rng.Next(2, 10));
            var chat = new ChatConversation
            {
                Id = DeterministicId(rng, at), SiteId = site.Id, VisitorKey = $"w:demomissed{i:D2}".PadRight(34, '0'), VisitorName = contact.Name, VisitorEmail = contact.Email,
                PageUrl = "https://www.northwind.example/pricing", StartedAt = at, HandedAt = at.AddMinutes(1), EndedAt = at.AddMinutes(1), LastAt = at.AddMinutes(1), Status = ChatStatus.Missed,
            };
            Line(chat, at, ChatAuthor.Visitor, contact.Name, message);
            Line(chat, at.AddMinutes(1), ChatAuthor.System, "", "Thanks — nobody is available right now. We will answer by e-mail.");
            Open(chat, contact, message.Split('.', '?')[0].Trim(), message, at.AddMinutes(1), ["chat", "chat-offline"]);
            chats.Add(chat);
        }

        var agents = agent is { } id
            ? new List<ChatAgent> { new() { UserId = id, Available = false, MaxChats = 3, LastAssignedAt = chats.Max(c => c.AcceptedAt), ChangedAt = now.AddDays(-1) } }
            : [];
        return new PersonChatData(chats, lines, tickets, events, invitations, responses, agents);
    }
}
