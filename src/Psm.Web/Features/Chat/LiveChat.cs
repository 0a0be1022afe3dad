using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.HelpCentre;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Chat;

/// <summary>
/// Live chat: a visitor on a site that embeds the widget talks to the assistant first; when they ask for a person the
/// chat becomes a ticket (channel Chat) and goes to an available agent of the site's team (round-robin among those
/// under their limit of concurrent chats), or waits for one; with nobody available the visitor leaves a message
/// (a ticket answered by e-mail). Every line is kept; the ticket holds the transcript; ending the chat resolves the
/// ticket and the widget asks the CSAT question, answered as the ticket's survey.
/// </summary>
public sealed class LiveChat(
    IDbContextFactory<PsmDb> dbs, TimeProvider time, CurrentUser user, Assistant assistant, Tickets tickets, Feedback.Surveys surveys,
    ChatRelay relay, ChatSites sites, ChatLineWriter writer)
{
    // One dispatcher at a time, so two chats ending at once do not both hand an agent their last free place: in this process
    // the semaphore, across instances on PostgreSQL a transaction-scoped advisory lock (ExclusiveDispatchAsync).
    private static readonly SemaphoreSlim Dispatching = new(1, 1);
    private const long DispatchLock = 0x50534D_43484154; // "PSM" "CHAT"

    public const string AssistantName = "Assistant";

    // ---- visitors ----

    public async Task<ChatSiteInfo> InfoAsync(ChatSites.Site site, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var settings = await db.HelpCentreSettings.AsNoTracking().SingleOrDefaultAsync(ct);
        var company = settings?.CompanyName is { Length: > 0 } name ? name : "Support";
        return new ChatSiteInfo(company, settings?.AccentColour ?? "#1f6feb",
            $"Hi! Ask a question and our assistant answers from {company}'s help centre; a person is a click away.", await AgentsAvailableAsync(db, site.TeamId, ct));
    }

    /// <summary>A new conversation; with a first question, the assistant answers it at once.</summary>
    public async Task<ChatStarted> StartAsync(ChatSites.Site site, ChatStartInput input, CancellationToken ct = default)
    {
        if (input.Question is { } question && !string.IsNullOrWhiteSpace(question) && question.Trim().Length < 3)
        {
            throw new RequestValidationException("question", "Ask a question of at least 3 characters.");
        }

        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = new ChatConversation
        {
            SiteId = site.Id, Status = ChatStatus.Assistant, StartedAt = now, LastAt = now, TeamId = site.TeamId,
            PageUrl = Assistant.Clip(input.PageUrl?.Trim() ?? "", 1000),
        };
        chat.VisitorKey = "w:" + (input.Visitor is { Length: >= 16 and <= 64 } visitor && visitor.All(char.IsAsciiLetterOrDigit) ? visitor : chat.Id.ToString("N"));
        db.ChatConversations.Add(chat);
        await db.SaveChangesAsync(ct);
        if (!string.IsNullOrWhiteSpace(input.Question))
        {
            await AskAssistantAsync(db, chat, input.Question.Trim(), ct);
        }

        return new ChatStarted(chat.Id, sites.Tokens.For(chat.Id), (await VisitorViewAsync(chat.Id, ct))!);
    }

    /// <summary>What the visitor wrote, and the conversation after it.</summary>
    public async Task<ChatVisitorView?> VisitorSaysAsync(Guid id, string text, CancellationToken ct = default) =>
        await VisitorWritesAsync(id, text, ct) is null ? null : await VisitorViewAsync(id, ct);

    /// <summary>
    /// What the visitor wrote: to the assistant before a person was asked for (its answer is returned with the question),
    /// else to the agent and the ticket. Returns the new lines (the widget's hub call: no re-read of the conversation).
    /// </summary>
    public async Task<IReadOnlyList<ChatLine>?> VisitorWritesAsync(Guid id, string text, CancellationToken ct = default)
    {
        text = Checked(text);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var status = await db.ChatConversations.Where(c => c.Id == id).Select(c => (ChatStatus?)c.Status).SingleOrDefaultAsync(ct);
        switch (status)
        {
            case null:
                return null;
            case ChatStatus.Assistant:
                var chat = await db.ChatConversations.SingleAsync(c => c.Id == id, ct);
                return (await AskAssistantAsync(db, chat, Assistant.Clip(text, 500), ct)).Select(View).ToList();
            case ChatStatus.Waiting or ChatStatus.Active:
                // Stored (with the ticket's entry) together with other chats' lines, then relayed to the agent.
                return [await writer.WriteAsync(id, text)];
            default:
                throw new RequestValidationException("text", "This chat has ended; start a new one to write again.");
        }
    }

    private async Task<IReadOnlyList<ChatMessage>> AskAssistantAsync(PsmDb db, ChatConversation chat, string question, CancellationToken ct)
    {
        if (question.Length < 3)
        {
            throw new RequestValidationException("text", "Ask a question of at least 3 characters.");
        }

        var answer = await assistant.AskAsync(new AssistantQuestionInput { Question = question, Conversation = chat.AssistantToken }, chat.VisitorKey, ct);
        var now = time.GetUtcNow();
        chat.AssistantToken ??= answer?.Conversation;
        chat.LastAt = now;
        var asked = Line(chat, ChatAuthor.Visitor, chat.VisitorName, question, now);
        db.ChatMessages.Add(asked);
        var source = answer is { Answered: true } ? answer.Sources[0] : null;
        var passage = source is null ? null : await db.AssistantExchanges.Where(e => e.ConversationId == db.AssistantConversations.Where(c => c.Token == answer!.Conversation).Select(c => c.Id).First())
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Select(e => e.Passage).FirstAsync(ct);
        var answered = new ChatMessage
        {
            ConversationId = chat.Id, At = now.AddMicroseconds(1), Author = ChatAuthor.Assistant, Name = AssistantName,
            Text = passage ?? answer?.Text ?? Assistant.NotKnown, ArticleSlug = source?.Slug, ArticleTitle = source?.Title,
        };
        db.ChatMessages.Add(answered);
        await db.SaveChangesAsync(ct);
        return [asked, answered];
    }

    /// <summary>
    /// The visitor asks for a person. With an agent available: a ticket (channel Chat) for the contact with that address, its
    /// description the conversation so far, routed at once or waiting. With nobody available: nothing changes and the view
    /// says so (the widget offers to leave a message).
    /// </summary>
    public async Task<ChatVisitorView?> RequestPersonAsync(Guid id, ChatPersonInput input, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        if (chat.Status != ChatStatus.Assistant)
        {
            throw new RequestValidationException("status", chat.Status is ChatStatus.Waiting or ChatStatus.Active
                ? "A person has already been asked for." : "This chat has ended; start a new one.");
        }

        if (!await AgentsAvailableAsync(db, chat.TeamId, ct))
        {
            return await VisitorViewAsync(id, ct);
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await OpenTicketAsync(db, chat, input.Name, input.Email, null, now, ct);
            chat.Status = ChatStatus.Waiting;
            chat.HandedAt = now;
            db.ChatMessages.Add(Line(chat, ChatAuthor.System, "", "Asked for a person: someone will be with you shortly.", now.AddMicroseconds(3)));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        await DispatchAsync(ct);
        await relay.BoardChangedAsync();
        return await VisitorViewAsync(id, ct);
    }

    /// <summary>Nobody was available: the visitor's message becomes a ticket (channel Chat) answered by e-mail; an acknowledgement goes out at once.</summary>
    public async Task<ChatVisitorView?> LeaveMessageAsync(Guid id, ChatOfflineInput input, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        if (chat.Status != ChatStatus.Assistant)
        {
            throw new RequestValidationException("status", "This chat is already with a person or has ended.");
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var ticket = await OpenTicketAsync(db, chat, input.Name, input.Email, input.Message.Trim(), now, ct);
            chat.Status = ChatStatus.Missed;
            chat.HandedAt = now;
            chat.EndedAt = now;
            db.ChatMessages.Add(Line(chat, ChatAuthor.Visitor, chat.VisitorName, input.Message.Trim(), now.AddMicroseconds(3)));
            await db.SaveChangesAsync(ct);
            var mail = await Mail.OutgoingMail.QueueChatAcknowledgementAsync(db, ticket, input.Message.Trim(), now, ct);
            db.ChatMessages.Add(Line(chat, ChatAuthor.System, "", mail is null
                ? $"Thanks — nobody is available right now. Your message is request {ticket.Key}; we will answer at {chat.VisitorEmail}."
                : $"Thanks — nobody is available right now. Your message is request {ticket.Key}; we sent a copy to {chat.VisitorEmail} and will answer there.",
                now.AddMicroseconds(4)));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        await relay.BoardChangedAsync();
        return await VisitorViewAsync(id, ct);
    }

    private async Task<Ticket> OpenTicketAsync(PsmDb db, ChatConversation chat, string name, string email, string? message, DateTimeOffset now, CancellationToken ct)
    {
        chat.VisitorName = Assistant.Clip(name.Trim(), 200);
        chat.VisitorEmail = Assistant.Clip(email.Trim().ToLowerInvariant(), 256);
        var (customerId, contactId) = await Assistant.ContactForAsync(db, chat.VisitorName, chat.VisitorEmail, now, ct);
        var lines = await db.ChatMessages.AsNoTracking().Where(m => m.ConversationId == chat.Id).OrderBy(m => m.At).ThenBy(m => m.Id).ToListAsync(ct);
        var transcript = string.Join("\n", lines.Select(l => $"{(l.Author == ChatAuthor.Visitor ? "Visitor" : l.Name)}: {(l.ArticleTitle is { } t ? $"answered from “{t}”" : l.Text)}"));
        var first = lines.FirstOrDefault(l => l.Author == ChatAuthor.Visitor)?.Text ?? message ?? $"Chat with {chat.VisitorName}";
        var product = lines.LastOrDefault(l => l.ArticleSlug != null)?.ArticleSlug is { } slug
            ? await db.Articles.Where(a => a.Slug == slug).Select(a => a.ProductId).FirstOrDefaultAsync(ct) : null;
        var description = (message is null ? "" : message + "\n\n") + (transcript.Length > 0 ? $"From the chat with the assistant:\n{transcript}" : "");
        var (ticket, _) = await Tickets.OpenAsync(db, new TicketInput
        {
            Subject = Assistant.Clip(first.ReplaceLineEndings(" "), 300), Description = Assistant.Clip(description.Length > 0 ? description : "Chat started.", 20_000),
            CustomerId = customerId, ContactId = contactId, ProductId = product, Channel = TicketChannel.Chat, Priority = TicketPriority.Normal, TeamId = chat.TeamId,
            Tags = message is null ? ["chat"] : ["chat", "chat-offline"],
        }, chat.VisitorName, now, ct);
        chat.TicketId = ticket.Id;
        await Tickets.SaveNumberedAsync(db, ticket, ct);
        if (chat.AssistantToken is { } token)
        {
            await db.AssistantConversations.Where(c => c.Token == token)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Outcome, ConversationOutcome.HandedOver).SetProperty(c => c.TicketId, ticket.Id).SetProperty(c => c.LastAt, now), ct);
        }

        return ticket;
    }

    /// <summary>The visitor says the assistant's answer helped: the chat ends there (the assistant's deflection counts it).</summary>
    public async Task<ChatVisitorView?> HelpedAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        if (chat.Status != ChatStatus.Assistant)
        {
            throw new RequestValidationException("status", "Only a chat with the assistant can end this way.");
        }

        if (chat.AssistantToken is { } token)
        {
            await assistant.ResolvedAsync(token, ct);
        }

        var now = time.GetUtcNow();
        chat.Status = ChatStatus.Ended;
        chat.EndedAt = chat.LastAt = now;
        db.ChatMessages.Add(Line(chat, ChatAuthor.System, "", "Glad that helped. The chat has ended.", now));
        await db.SaveChangesAsync(ct);
        return await VisitorViewAsync(id, ct);
    }

    /// <summary>Ends a chat (the visitor or the agent): the ticket is resolved, which creates its CSAT link; the agent's place goes to the next waiting chat.</summary>
    public async Task<ChatVisitorView?> EndAsync(Guid id, bool byVisitor, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        if (chat.Status is ChatStatus.Ended or ChatStatus.Missed)
        {
            return await VisitorViewAsync(id, ct);
        }

        if (!byVisitor)
        {
            RequireWriter(chat);
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            chat.Status = ChatStatus.Ended;
            chat.EndedAt = chat.LastAt = now;
            db.ChatMessages.Add(Line(chat, ChatAuthor.System, "", byVisitor ? "You ended the chat." : "The agent ended the chat.", now));
            if (chat.TicketId is { } ticketId && await db.Tickets.SingleOrDefaultAsync(t => t.Id == ticketId, ct) is { } ticket)
            {
                await tickets.ResolveInAsync(db, ticket, now.AddMicroseconds(1), ct);
            }

            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        await DispatchAsync(ct);
        var view = (await VisitorViewAsync(id, ct))!;
        await relay.StateAsync(id, view);
        return view;
    }

    /// <summary>The visitor's answer to the CSAT question after the chat: recorded as the ticket's satisfaction survey answer.</summary>
    public async Task<ChatVisitorView?> CsatAsync(Guid id, ChatCsatInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        var invitation = chat.TicketId is { } ticketId && chat.Status == ChatStatus.Ended
            ? await db.SurveyInvitations.AsNoTracking().Where(i => i.TicketId == ticketId).Select(i => i.Token).FirstOrDefaultAsync(ct)
            : null;
        if (invitation is null)
        {
            throw new RequestValidationException("score", "There is no satisfaction question for this chat (it has not ended, or nobody answered it).");
        }

        await surveys.AnswerInvitationAsync(invitation, input.Score, input.Comment, ct);
        var view = (await VisitorViewAsync(id, ct))!;
        await relay.StateAsync(id, view);
        return view;
    }

    /// <summary>One line as a widget shows it (for a line another instance relays).</summary>
    internal async Task<ChatLine?> LineAsync(Guid lineId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.ChatMessages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == lineId, ct) is { } line ? View(line) : null;
    }

    /// <summary>The conversation as its visitor sees it.</summary>
    public async Task<ChatVisitorView?> VisitorViewAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        var lines = await LinesAsync(db, id, ct);
        var agent = chat.AgentId is { } agentId ? await db.Users.Where(u => u.Id == agentId).Select(u => u.DisplayName).SingleOrDefaultAsync(ct) : null;
        var ticket = chat.TicketId is { } ticketId ? await db.Tickets.Where(t => t.Id == ticketId).Select(t => (int?)t.Number).SingleOrDefaultAsync(ct) : null;
        ChatCsatQuestion? csat = null;
        if (chat.Status == ChatStatus.Ended && chat.TicketId is { } tid
            && await db.SurveyInvitations.AsNoTracking().Where(i => i.TicketId == tid).Select(i => new { i.Survey!.Question, i.Survey.Kind, i.AnsweredAt, i.Score }).FirstOrDefaultAsync(ct) is { } invitation)
        {
            var (min, max) = Feedback.Survey.ScaleOf(invitation.Kind);
            csat = new ChatCsatQuestion(invitation.Question, min, max, invitation.AnsweredAt is not null, invitation.Score);
        }

        var available = chat.Status == ChatStatus.Assistant && await AgentsAvailableAsync(db, chat.TeamId, ct);
        return new ChatVisitorView(chat.Id, chat.Status, agent, ticket is { } n ? $"T-{n}" : null, available, csat, lines);
    }

    public Task VisitorTypingAsync(Guid id) => relay.TypingAsync(id, "visitor", toVisitor: false);

    // ---- agents ----

    /// <summary>Waiting chats (oldest first), active ones (the caller's first), the last 12 ended, and every chat agent with their load.</summary>
    public async Task<ChatBoard> BoardAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var me = user.Actor.UserId;
        var open = await Summaries(db, db.ChatConversations.Where(c => c.Status == ChatStatus.Waiting || c.Status == ChatStatus.Active), ct);
        var recent = await Summaries(db, db.ChatConversations.Where(c => c.Status == ChatStatus.Ended || c.Status == ChatStatus.Missed)
            .OrderByDescending(c => c.LastAt).Take(12), ct);
        var agents = await AgentsAsync(db, ct);
        return new ChatBoard(
            agents.FirstOrDefault(a => a.UserId == me) ?? (me is { } id && await db.Users.Where(u => u.Id == id).Select(u => u.DisplayName).SingleOrDefaultAsync(ct) is { } name
                ? new ChatAgentDto(id, name, false, 3, 0) : null),
            agents,
            open.Where(c => c.Status == ChatStatus.Waiting).OrderBy(c => c.HandedAt).ToList(),
            open.Where(c => c.Status == ChatStatus.Active).OrderBy(c => c.Agent?.Id == me ? 0 : 1).ThenBy(c => c.HandedAt).ToList(),
            recent.OrderByDescending(c => c.LastAt).ToList());
    }

    public async Task<ChatDetail?> DetailAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var summary = (await Summaries(db, db.ChatConversations.Where(c => c.Id == id), ct)).SingleOrDefault();
        if (summary is null)
        {
            return null;
        }

        var page = await db.ChatConversations.Where(c => c.Id == id).Select(c => c.PageUrl).SingleAsync(ct);
        var score = summary.TicketId is { } ticketId ? await db.SurveyInvitations.Where(i => i.TicketId == ticketId && i.AnsweredAt != null).Select(i => i.Score).FirstOrDefaultAsync(ct) : null;
        return new ChatDetail(summary, page, await LinesAsync(db, id, ct), score);
    }

    /// <summary>The caller's chat availability and limit; becoming available takes the oldest waiting chats up to the limit.</summary>
    public async Task<ChatAgentDto> SetAvailabilityAsync(ChatAvailabilityInput input, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        if (input.MaxChats is < 1 or > 10)
        {
            throw new RequestValidationException("maxChats", "An agent takes 1 to 10 chats at once.");
        }

        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var agent = await db.ChatAgents.SingleOrDefaultAsync(a => a.UserId == me, ct);
            if (agent is null)
            {
                agent = new ChatAgent { UserId = me };
                db.ChatAgents.Add(agent);
            }

            (agent.Available, agent.MaxChats, agent.ChangedAt) = (input.Available, input.MaxChats, time.GetUtcNow());
            await db.SaveChangesAsync(ct);
        }

        await DispatchAsync(ct);
        await relay.BoardChangedAsync();
        await using var read = await dbs.CreateDbContextAsync(ct);
        return (await AgentsAsync(read, ct)).Single(a => a.UserId == me);
    }

    /// <summary>The caller takes a waiting chat (within their limit).</summary>
    public async Task<ChatDetail?> TakeAsync(Guid id, CancellationToken ct = default)
    {
        var me = user.RequireUserId();
        await Dispatching.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await using var exclusive = await ExclusiveDispatchAsync(db, ct);
            var chat = await db.ChatConversations.SingleOrDefaultAsync(c => c.Id == id, ct);
            if (chat is null)
            {
                return null;
            }

            if (chat.Status != ChatStatus.Waiting)
            {
                throw new RequestValidationException("status", chat.Status == ChatStatus.Active ? "Someone has already taken this chat." : "This chat is not waiting for anyone.");
            }

            var limit = await db.ChatAgents.Where(a => a.UserId == me).Select(a => (int?)a.MaxChats).SingleOrDefaultAsync(ct) ?? 3;
            if (await db.ChatConversations.CountAsync(c => c.AgentId == me && c.Status == ChatStatus.Active, ct) >= limit)
            {
                throw new RequestValidationException("maxChats", $"You already have {limit} chats, your limit: end one, or raise the limit.");
            }

            await AssignAsync(db, chat, me, "took the chat", ct);
            await (exclusive?.CommitAsync(ct) ?? Task.CompletedTask);
        }
        finally
        {
            Dispatching.Release();
        }

        await relay.BoardChangedAsync();
        await relay.StateAsync(id, (await VisitorViewAsync(id, ct))!);
        return await DetailAsync(id, ct);
    }

    /// <summary>An agent's line: to the visitor at once, and on the ticket as a reply (the first one is the first response).</summary>
    public async Task<ChatLine?> AgentSaysAsync(Guid id, ChatTextInput input, CancellationToken ct = default)
    {
        var text = Checked(input.Text);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var chat = await db.ChatConversations.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
        {
            return null;
        }

        if (chat.Status != ChatStatus.Active)
        {
            throw new RequestValidationException("status", chat.Status == ChatStatus.Waiting ? "Take the chat first." : "This chat is not active.");
        }

        RequireWriter(chat);
        var now = time.GetUtcNow();
        var name = await db.Users.Where(u => u.Id == user.Actor.UserId).Select(u => u.DisplayName).SingleOrDefaultAsync(ct) ?? user.Actor.Name;
        var line = Line(chat, ChatAuthor.Agent, name, text, now);
        db.ChatMessages.Add(line);
        if (chat.TicketId is { } ticketId && await db.Tickets.SingleOrDefaultAsync(t => t.Id == ticketId, ct) is { } ticket)
        {
            db.TicketEvents.Add(await Tickets.AnsweredAsync(db, ticket, text, now, ct));
        }

        chat.LastAt = now;
        await db.SaveChangesAsync(ct);
        var view = View(line);
        await relay.LineAsync(id, view, toVisitor: true);
        return view;
    }

    public async Task AgentTypingAsync(Guid id)
    {
        var name = user.Actor.Name;
        await using var db = await dbs.CreateDbContextAsync();
        if (user.Actor.UserId is { } me && await db.Users.Where(u => u.Id == me).Select(u => u.DisplayName).SingleOrDefaultAsync() is { } display)
        {
            name = display;
        }

        await relay.TypingAsync(id, name, toVisitor: true);
    }

    /// <summary>The agent who has the chat writes and ends it; a lead or an admin may step in.</summary>
    private void RequireWriter(ChatConversation chat)
    {
        var me = user.Actor.UserId;
        if (chat.AgentId != me && !(user.Principal?.IsInRole(Roles.Admin) == true || user.Principal?.IsInRole(Roles.SupportLead) == true))
        {
            throw new RequestValidationException("agent", "Another agent has this chat.");
        }
    }

    /// <summary>Hands waiting chats (oldest first) to available agents under their limit, the one who waited longest first, within each chat's team.</summary>
    public async Task DispatchAsync(CancellationToken ct = default)
    {
        var changed = new List<Guid>();
        await Dispatching.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await using var exclusive = await ExclusiveDispatchAsync(db, ct);
            var waiting = await db.ChatConversations.Where(c => c.Status == ChatStatus.Waiting).OrderBy(c => c.HandedAt).Take(50).ToListAsync(ct);
            foreach (var chat in waiting)
            {
                var candidates = db.ChatAgents.Where(a => a.Available && db.Users.Any(u => u.Id == a.UserId && u.DeactivatedAt == null)
                    && db.ChatConversations.Count(c => c.AgentId == a.UserId && c.Status == ChatStatus.Active) < a.MaxChats);
                if (chat.TeamId is { } team)
                {
                    candidates = candidates.Where(a => db.TeamMembers.Any(m => m.TeamId == team && m.UserId == a.UserId));
                }

                var next = await candidates.OrderBy(a => a.LastAssignedAt == null ? 0 : 1).ThenBy(a => a.LastAssignedAt).ThenBy(a => a.UserId).FirstOrDefaultAsync(ct);
                if (next is null)
                {
                    continue;
                }

                await AssignAsync(db, chat, next.UserId, "round-robin", ct);
                changed.Add(chat.Id);
            }

            await (exclusive?.CommitAsync(ct) ?? Task.CompletedTask);
        }
        finally
        {
            Dispatching.Release();
        }

        foreach (var id in changed)
        {
            await relay.StateAsync(id, (await VisitorViewAsync(id, ct))!);
        }

        if (changed.Count > 0)
        {
            await relay.BoardChangedAsync();
        }
    }

    /// <summary>
    /// On PostgreSQL, a transaction that holds the dispatch lock until it commits: another instance's dispatcher waits for it,
    /// then counts this one's assignments. Null on SQLite, where one instance runs and the semaphore is enough.
    /// </summary>
    private static async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction?> ExclusiveDispatchAsync(PsmDb db, CancellationToken ct)
    {
        if (db.IsSqlite)
        {
            return null;
        }

        var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({DispatchLock})", ct);
        return transaction;
    }

    private async Task AssignAsync(PsmDb db, ChatConversation chat, Guid agentId, string how, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var agent = await db.ChatAgents.SingleOrDefaultAsync(a => a.UserId == agentId, ct);
        if (agent is null)
        {
            agent = new ChatAgent { UserId = agentId, ChangedAt = now };
            db.ChatAgents.Add(agent);
        }

        agent.LastAssignedAt = now;
        var name = await db.Users.Where(u => u.Id == agentId).Select(u => u.DisplayName).SingleAsync(ct);
        (chat.Status, chat.AgentId, chat.AcceptedAt, chat.LastAt) = (ChatStatus.Active, agentId, now, now);
        db.ChatMessages.Add(Line(chat, ChatAuthor.System, "", $"{name} joined the chat.", now));
        if (chat.TicketId is { } ticketId && await db.Tickets.SingleOrDefaultAsync(t => t.Id == ticketId, ct) is { } ticket)
        {
            ticket.AssigneeId = agentId;
            db.TicketEvents.Add(new TicketEvent
            {
                TicketId = ticket.Id, Kind = TicketEventKind.Assignment, At = now, Actor = (db.CurrentUser?.Actor ?? Actor.System).Name,
                Text = $"Chat assigned to {name} ({how}).",
            });
        }

        await db.SaveChangesAsync(ct);
    }

    // ---- sites ----

    public async Task<IReadOnlyList<ChatSiteDto>> SitesAsync(string publicUrl, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var since = time.GetUtcNow().AddDays(-30);
        var rows = await db.ChatSites.AsNoTracking().OrderBy(s => s.Name)
            .Select(s => new { Site = s, Team = db.Teams.Where(t => t.Id == s.TeamId).Select(t => t.Name).FirstOrDefault(), Chats = db.ChatConversations.Count(c => c.SiteId == s.Id && c.StartedAt >= since) })
            .ToListAsync(ct);
        return rows.Select(r => Dto(r.Site, r.Team, r.Chats, publicUrl)).ToList();
    }

    public async Task<ChatSiteDto> CreateSiteAsync(ChatSiteInput input, string publicUrl, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var site = new ChatSite { SiteKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), CreatedAt = time.GetUtcNow() };
        await ApplyAsync(db, site, input, ct);
        db.ChatSites.Add(site);
        await db.SaveChangesAsync(ct);
        await relay.SitesChangedAsync();
        return (await SitesAsync(publicUrl, ct)).Single(s => s.Id == site.Id);
    }

    public async Task<ChatSiteDto?> UpdateSiteAsync(Guid id, ChatSiteInput input, string publicUrl, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var site = await db.ChatSites.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (site is null)
        {
            return null;
        }

        await ApplyAsync(db, site, input, ct);
        await db.SaveChangesAsync(ct);
        await relay.SitesChangedAsync();
        return (await SitesAsync(publicUrl, ct)).Single(s => s.Id == site.Id);
    }

    private static async Task ApplyAsync(PsmDb db, ChatSite site, ChatSiteInput input, CancellationToken ct)
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Trim().Length > 200)
        {
            problems.Add(("name", "Name the site (at most 200 characters)."));
        }

        var origins = new List<string>();
        var given = input.AllowedOrigins ?? [];
        if (given.Count > 20)
        {
            problems.Add(("allowedOrigins", "At most 20 origins."));
        }

        for (var i = 0; i < Math.Min(given.Count, 20); i++)
        {
            if (ChatSites.NormaliseOrigin(given[i]) is { } origin)
            {
                origins.Add(origin);
            }
            else
            {
                problems.Add(($"allowedOrigins[{i}]", "An origin is a scheme and a host, such as https://www.example.com (a port if it is not the usual one); no path."));
            }
        }

        if (input.TeamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct))
        {
            problems.Add(("teamId", "There is no such team."));
        }

        RequestValidationException.ThrowIfAny(problems);
        site.Name = input.Name.Trim();
        site.AllowedOrigins = string.Join('\n', origins.Distinct());
        site.TeamId = input.TeamId;
        site.Active = input.Active;
    }

    private static ChatSiteDto Dto(ChatSite site, string? team, int chats, string publicUrl) => new(
        site.Id, site.Name, site.SiteKey, site.Origins, site.TeamId, team, site.Active,
        $"<script src=\"{publicUrl.TrimEnd('/')}/chat/widget.js\" data-site=\"{site.SiteKey}\" async></script>", chats);

    // ---- shared ----

    private static string Checked(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new RequestValidationException("text", "Write something.");
        }

        text = text.Trim();
        if (text.Length > 4000)
        {
            throw new RequestValidationException("text", "A message is at most 4000 characters.");
        }

        return text;
    }

    private static ChatMessage Line(ChatConversation chat, ChatAuthor author, string name, string text, DateTimeOffset at) =>
        new() { ConversationId = chat.Id, Author = author, Name = author == ChatAuthor.Visitor && name.Length == 0 ? "Visitor" : name, Text = text, At = at };

    internal static ChatLine View(ChatMessage m) => new(
        m.Id, m.At, m.Author, m.Name, m.Text, m.Author == ChatAuthor.Assistant && m.ArticleSlug is not null ? Markdown.ToSafeHtml(m.Text) : null,
        m.ArticleTitle, m.ArticleSlug is { } slug ? $"/help/{slug}" : null);

    private static async Task<IReadOnlyList<ChatLine>> LinesAsync(PsmDb db, Guid id, CancellationToken ct) =>
        (await db.ChatMessages.AsNoTracking().Where(m => m.ConversationId == id).OrderBy(m => m.At).ThenBy(m => m.Id).ToListAsync(ct)).Select(View).ToList();

    private static async Task<bool> AgentsAvailableAsync(PsmDb db, Guid? teamId, CancellationToken ct) =>
        await db.ChatAgents.AnyAsync(a => a.Available && db.Users.Any(u => u.Id == a.UserId && u.DeactivatedAt == null)
                                          && (teamId == null || db.TeamMembers.Any(m => m.TeamId == teamId && m.UserId == a.UserId)), ct);

    private static async Task<List<ChatAgentDto>> AgentsAsync(PsmDb db, CancellationToken ct) =>
        (await db.ChatAgents.AsNoTracking()
            .Select(a => new
            {
                a.UserId, Name = db.Users.Where(u => u.Id == a.UserId).Select(u => u.DisplayName).First(), a.Available, a.MaxChats,
                Active = db.ChatConversations.Count(c => c.AgentId == a.UserId && c.Status == ChatStatus.Active),
            })
            .ToListAsync(ct)).Select(a => new ChatAgentDto(a.UserId, a.Name, a.Available, a.MaxChats, a.Active)).OrderBy(a => a.Name, StringComparer.CurrentCulture).ToList();

    private static async Task<List<ChatSummary>> Summaries(PsmDb db, IQueryable<ChatConversation> chats, CancellationToken ct)
    {
        var rows = await chats.AsNoTracking().Select(c => new
        {
            Chat = c,
            Site = db.ChatSites.Where(s => s.Id == c.SiteId).Select(s => s.Name).First(),
            Agent = db.Users.Where(u => u.Id == c.AgentId).Select(u => u.DisplayName).FirstOrDefault(),
            Ticket = db.Tickets.Where(t => t.Id == c.TicketId).Select(t => (int?)t.Number).FirstOrDefault(),
            Last = db.ChatMessages.Where(m => m.ConversationId == c.Id && m.Author != ChatAuthor.System).OrderByDescending(m => m.At).ThenByDescending(m => m.Id).Select(m => m.Text).FirstOrDefault(),
            Lines = db.ChatMessages.Count(m => m.ConversationId == c.Id),
        }).ToListAsync(ct);
        return rows.Select(r => new ChatSummary(
            r.Chat.Id, r.Chat.Status, r.Site, r.Chat.VisitorName.Length > 0 ? r.Chat.VisitorName : "Visitor", r.Chat.VisitorEmail.Length > 0 ? r.Chat.VisitorEmail : null,
            r.Chat.AgentId is { } a && r.Agent is { } n ? new NamedRef(a, n) : null, r.Ticket is { } number ? $"T-{number}" : null, r.Chat.TicketId,
            r.Chat.StartedAt, r.Chat.HandedAt, r.Chat.LastAt, Assistant.Clip(r.Last ?? "", 140), r.Lines)).ToList();
    }
}
