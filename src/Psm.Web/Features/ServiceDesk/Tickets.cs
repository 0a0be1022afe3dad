using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.ServiceDesk;

public enum QueueView { Mine, TeamUnassigned, BreachingSoon, AllOpen, All }

public enum QueueSort { Newest, Oldest, Priority, Due }

public sealed record QueueFilter(
    QueueView View = QueueView.AllOpen, TicketStatus? Status = null, TicketPriority? Priority = null, TicketChannel? Channel = null, Guid? TeamId = null,
    Guid? AssigneeId = null, Guid? CustomerId = null, string? Search = null, QueueSort Sort = QueueSort.Newest);

/// <summary>Tickets: creating, the queue, the timeline, replies and notes, status moves, assignment and bulk actions.</summary>
public sealed class Tickets(IDbContextFactory<PsmDb> dbs, TimeProvider time, CurrentUser user, IConfiguration config, PublicAddress publicAddress)
{
    /// <summary>"Breaching soon": the running target falls due within this many minutes (or has passed).</summary>
    private int BreachingSoonMinutes => config.GetValue("ServiceDesk:BreachingSoonMinutes", 120);

    /// <summary>Who may read internal notes: the people who work tickets and plan the product. Marketers and stakeholders may not.</summary>
    public static readonly string[] NoteReaders = [Roles.Admin, Roles.SupportLead, Roles.SupportAgent, Roles.ProductManager];

    /// <summary>Status moves a person may make (resolving and closing set their times; reopening counts).</summary>
    public static readonly IReadOnlyDictionary<TicketStatus, TicketStatus[]> Moves = new Dictionary<TicketStatus, TicketStatus[]>
    {
        [TicketStatus.New] = [TicketStatus.Open, TicketStatus.PendingOnCustomer, TicketStatus.Resolved],
        [TicketStatus.Open] = [TicketStatus.PendingOnCustomer, TicketStatus.Resolved],
        [TicketStatus.PendingOnCustomer] = [TicketStatus.Open, TicketStatus.Resolved],
        [TicketStatus.Resolved] = [TicketStatus.Closed, TicketStatus.Reopened],
        [TicketStatus.Closed] = [TicketStatus.Reopened],
        [TicketStatus.Reopened] = [TicketStatus.Open, TicketStatus.PendingOnCustomer, TicketStatus.Resolved],
    };

    private bool CanReadNotes => NoteReaders.Any(r => user.Principal?.IsInRole(r) == true);

    // ---- reading ----

    public async Task<Page<TicketSummary>> QueueAsync(QueueFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = Filter(db, filter);
        var after = QueueCursor.Parse(filter.Sort, page.After);
        List<TicketSummary> rows;
        if (filter == new QueueFilter(QueueView.AllOpen))
        {
            rows = await OpenNewestFirst.GetOrAdd(db.GetType(), CompileOpenNewestFirst)(db, after?.Number ?? int.MaxValue, page.Limit + 1)
                .Select(r => r.ToSummary()).ToListAsync(ct);
        }
        else
        {
            rows = await ProjectAsync(QueueCursor.Seek(query, filter.Sort, after).Take(page.Limit + 1), ct);
        }

        return page.ToPage(rows, t => QueueCursor.KeyOf(filter.Sort, t));
    }

    /// <summary>Every ticket the filter matches, in the queue's order, a keyset page at a time (for the CSV export).</summary>
    public async IAsyncEnumerable<TicketSummary> StreamAsync(
        QueueFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        string? cursor = null;
        do
        {
            var page = await QueueAsync(filter, PageRequest.Parse(PageRequest.MaxLimit, cursor), ct);
            foreach (var ticket in page.Items)
            {
                yield return ticket;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    public async Task<int> CountAsync(QueueFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Filter(db, filter).CountAsync(ct);
    }

    public async Task<TicketDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var summary = (await ProjectAsync(db.Tickets.AsNoTracking().Where(t => t.Id == id), ct)).SingleOrDefault();
        if (summary is null)
        {
            return null;
        }

        var ticket = await db.Tickets.AsNoTracking().Where(t => t.Id == id).Select(t => new
        {
            t.Description, t.ClosedAt, t.Reopened, t.SlaPolicyId, t.FirstResponseDueAt, t.ResolutionDueAt, t.PausedAt, t.FirstResponseBreachedAt,
            t.ResolutionBreachedAt, t.FirstResponseAt, t.ResolvedAt,
            Contact = db.CustomerContacts.Where(c => c.Id == t.ContactId).Select(c => new NamedRef(c.Id, c.Name)).FirstOrDefault(),
            Product = db.Products.Where(p => p.Id == t.ProductId).Select(p => new NamedRef(p.Id, p.Name)).FirstOrDefault(),
            Service = db.Services.Where(s => s.Id == t.ServiceId).Select(s => new NamedRef(s.Id, s.Name)).FirstOrDefault(),
        }).SingleAsync(ct);
        var events = db.TicketEvents.AsNoTracking().Where(e => e.TicketId == id);
        if (!CanReadNotes)
        {
            events = events.Where(e => !e.Internal);
        }

        var mail = await Mail.Mailboxes.ForTicketAsync(db, id, ct);
        var timeline = (await events.OrderBy(e => e.At).ThenBy(e => e.Id)
                .Select(e => new TicketEventDto(e.Id, e.At, e.Kind, e.Internal, e.Actor, e.Text, null, null, false)).ToListAsync(ct))
            .Select(e => mail.TryGetValue(e.Id, out var m) ? e with { Delivery = m.Delivery, Attachments = m.Attachments, ByEmail = true, HasHtml = m.HasHtml } : e)
            .ToList();
        TicketSlaDto? sla = null;
        if (ticket.SlaPolicyId is { } policyId)
        {
            var policy = await db.SlaPolicies.AsNoTracking().Include(p => p.Calendar).SingleAsync(p => p.Id == policyId, ct);
            var calendar = policy.Calendar!.ToCalendar();
            var now = time.GetUtcNow();
            double? Left(DateTimeOffset? due, DateTimeOffset? done, DateTimeOffset? stoppedAt) =>
                due is { } d && done is null ? Math.Round(SlaRules.Left(calendar, d, stoppedAt ?? now).TotalMinutes, 1) : null;
            sla = new TicketSlaDto(policy.Name, ticket.FirstResponseDueAt, Left(ticket.FirstResponseDueAt, ticket.FirstResponseAt, null),
                ticket.ResolutionDueAt, Left(ticket.ResolutionDueAt, ticket.ResolvedAt, SlaRules.Stops(ticket.PausedAt, ticket.ResolutionDueAt) ? ticket.PausedAt : null),
                ticket.PausedAt is not null,
                ticket.FirstResponseBreachedAt, ticket.ResolutionBreachedAt);
        }

        var invitation = await db.SurveyInvitations.AsNoTracking().Where(i => i.TicketId == id).OrderBy(i => i.CreatedAt).FirstOrDefaultAsync(ct);
        var route = await Mail.OutgoingMail.ReplyRouteAsync(db, await db.Tickets.AsNoTracking().SingleAsync(t => t.Id == id, ct), ct);
        return new TicketDto(summary, ticket.Description, ticket.Contact, ticket.Product, ticket.Service, ticket.ClosedAt, ticket.Reopened, sla,
            invitation?.PublicPath, invitation?.Score, timeline, route?.To);
    }

    public async Task<Guid?> FindByKeyAsync(string key, CancellationToken ct = default)
    {
        if (!key.StartsWith("T-", StringComparison.OrdinalIgnoreCase) || !int.TryParse(key[2..], out var number))
        {
            return null;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Tickets.Where(t => t.Number == number).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(ct);
    }

    // ---- writing ----

    public async Task<TicketDto> CreateAsync(TicketInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Subject)) problems.Add(("subject", "Subject is required."));
        if (input.CustomerId is not { } customerId || !await db.Customers.AnyAsync(c => c.Id == customerId, ct))
        {
            problems.Add(("customerId", "There is no such customer."));
        }
        else if (input.ContactId is { } contact && !await db.CustomerContacts.AnyAsync(c => c.Id == contact && c.CustomerId == customerId, ct))
        {
            problems.Add(("contactId", "That contact does not belong to the customer."));
        }

        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct)) problems.Add(("productId", "There is no such product."));
        if (input.ServiceId is { } service && !await db.Services.AnyAsync(s => s.Id == service && (input.ProductId == null || s.ProductId == input.ProductId), ct))
        {
            problems.Add(("serviceId", "There is no such service for that product."));
        }

        if (input.TeamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct)) problems.Add(("teamId", "There is no such team."));
        if (input.AssigneeId is { } assignee && !await db.Users.AnyAsync(u => u.Id == assignee && u.DeactivatedAt == null, ct)) problems.Add(("assigneeId", "No active user has this id."));
        RequestValidationException.ThrowIfAny(problems);

        var now = time.GetUtcNow();
        // What the customer wrote, phoned in or chatted opens the conversation, in their name.
        var writer = input.ContactId is { } contactId
            ? await db.CustomerContacts.Where(c => c.Id == contactId).Select(c => c.Name).SingleAsync(ct)
            : await db.Customers.Where(c => c.Id == input.CustomerId!.Value).Select(c => c.Name).SingleAsync(ct);
        var (ticket, _) = await OpenAsync(db, input, writer, now, ct);
        await SaveNumberedAsync(db, ticket, ct);
        return (await GetAsync(ticket.Id, ct))!;
    }

    /// <summary>
    /// Adds a new ticket (input already checked) with its opening entries to <paramref name="db"/> without saving:
    /// the caller saves it with <see cref="SaveNumberedAsync"/>, together with whatever else belongs to the same
    /// transaction (the mail it came from). Returns the ticket and the customer's first message, if any.
    /// </summary>
    /// <param name="sla">Policies and plans read once for many new tickets (a batch of mail); without it they are read for this ticket.</param>
    internal static async Task<(Ticket Ticket, TicketEvent? Message)> OpenAsync(PsmDb db, TicketInput input, string writer, DateTimeOffset now, CancellationToken ct, SlaLookup? sla = null)
    {
        var ticket = new Ticket
        {
            Subject = input.Subject.Trim(), Description = input.Description.Trim(), CustomerId = input.CustomerId!.Value, ContactId = input.ContactId,
            ProductId = input.ProductId, ServiceId = input.ServiceId, Channel = input.Channel, Priority = input.Priority, Status = TicketStatus.New,
            TeamId = input.TeamId, AssigneeId = input.AssigneeId, Tags = string.Join(',', (input.Tags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct()),
            CreatedAt = now,
        };
        db.Tickets.Add(ticket);
        db.TicketEvents.Add(Event(ticket, TicketEventKind.Created, $"Opened via {input.Channel}.", now, db));
        TicketEvent? message = null;
        if (ticket.Description.Length > 0)
        {
            // A microsecond (PostgreSQL's precision) after "Created": entries of one moment are ordered by id, and ids minted in one millisecond are not ordered.
            message = Event(ticket, TicketEventKind.CustomerMessage, ticket.Description, now.AddMicroseconds(1), db);
            message.Actor = writer;
            db.TicketEvents.Add(message);
        }

        db.TicketEvents.Add(await ApplySlaAsync(db, ticket, "opened", now.AddMicroseconds(2), ct, sla));
        return (ticket, message);
    }

    /// <summary>Saves a new ticket with the next number: one more than the highest, retried if another writer took it first (the unique index decides).</summary>
    internal static async Task SaveNumberedAsync(PsmDb db, Ticket ticket, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            ticket.Number = (await db.Tickets.MaxAsync(t => (int?)t.Number, ct) ?? 1000) + 1;
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>
    /// The customer wrote again (a mail reply): their message joins the timeline; a resolved or closed ticket
    /// reopens, one pending on the customer goes back to open (its resolution clock resumes). Not saved.
    /// </summary>
    internal async Task<TicketEvent> CustomerWroteAsync(PsmDb db, Ticket ticket, string writer, string text, DateTimeOffset now, CancellationToken ct)
    {
        var message = Event(ticket, TicketEventKind.CustomerMessage, text, now, db);
        message.Actor = writer;
        db.TicketEvents.Add(message);
        var next = ticket.Status switch
        {
            TicketStatus.Resolved or TicketStatus.Closed => TicketStatus.Reopened,
            TicketStatus.PendingOnCustomer => TicketStatus.Open,
            _ => (TicketStatus?)null,
        };
        if (next is { } status)
        {
            var moves = await MoveAsync(db, ticket, status, now.AddMicroseconds(1), ct);
            foreach (var move in moves)
            {
                move.Actor = writer;
            }

            db.TicketEvents.AddRange(moves);
        }

        return message;
    }

    /// <summary>A public reply. The first reply by someone other than the customer is the first response.</summary>
    public Task<TicketDto?> ReplyAsync(Guid id, TicketMessageInput input, CancellationToken ct = default) =>
        ChangeAsyncAwait(id, async (db, ticket, now) =>
        {
            Text(input.Text);
            var files = Attachments(input);
            var reply = await AnsweredAsync(db, ticket, input.Text.Trim(), now, ct);
            // An e-mail conversation gets the answer by e-mail: queued in the outbox in this same transaction.
            if (await Mail.OutgoingMail.QueueReplyAsync(db, ticket, reply, now, ct, files) is null && files.Count > 0)
            {
                throw new RequestValidationException("attachments", "Files go out with e-mailed replies, and this ticket's replies are not e-mailed (it is not an e-mail conversation, or there is no address or mailbox).");
            }
            return (IReadOnlyList<TicketEvent>)[reply];
        }, ct);

    /// <summary>
    /// Someone other than the customer answered (a reply, a chat message): the first answer is the first response,
    /// and a new or reopened ticket is open. The entry is returned, not added; nothing is saved.
    /// </summary>
    internal static async Task<TicketEvent> AnsweredAsync(PsmDb db, Ticket ticket, string text, DateTimeOffset now, CancellationToken ct)
    {
        if (ticket.FirstResponseAt is null)
        {
            ticket.FirstResponseAt = now;
            ticket.FirstResponseMinutes = await MinutesAsync(db, ticket, ticket.CreatedAt, now, ct);
        }

        if (ticket.Status is TicketStatus.New or TicketStatus.Reopened)
        {
            ticket.Status = TicketStatus.Open;
        }

        return Event(ticket, TicketEventKind.Reply, text, now, db);
    }

    /// <summary>Resolves a ticket inside the caller's transaction (a chat that ended): its times, the CSAT link. Entries added; nothing saved.</summary>
    internal async Task ResolveInAsync(PsmDb db, Ticket ticket, DateTimeOffset now, CancellationToken ct)
    {
        if (ticket.Status is TicketStatus.Resolved or TicketStatus.Closed)
        {
            return;
        }

        db.TicketEvents.AddRange(await MoveAsync(db, ticket, TicketStatus.Resolved, now, ct));
    }

    /// <summary>At most 20 MB together (what most mail servers take); each named, each with content.</summary>
    private static IReadOnlyList<ReplyAttachmentInput> Attachments(TicketMessageInput input)
    {
        var files = input.Attachments ?? [];
        if (files.Count > 10)
        {
            throw new RequestValidationException("attachments", "At most 10 attachments.");
        }

        for (var i = 0; i < files.Count; i++)
        {
            if (files[i] is null || string.IsNullOrWhiteSpace(files[i].FileName) || files[i].FileName.Length > 255)
            {
                throw new RequestValidationException($"attachments[{i}].fileName", "Name each file (at most 255 characters).");
            }

            if (files[i].Content is not { Length: > 0 })
            {
                throw new RequestValidationException($"attachments[{i}].content", $"{files[i].FileName} is empty.");
            }
        }

        if (files.Sum(f => (long)f.Content.Length) > ReplyAttachmentBytes)
        {
            throw new RequestValidationException("attachments", $"The files come to {files.Sum(f => (long)f.Content.Length) / 1048576.0:0.0} MB; a reply carries at most {ReplyAttachmentBytes / 1048576} MB.");
        }

        return files;
    }

    public const long ReplyAttachmentBytes = 20L * 1024 * 1024;

    /// <summary>An internal note: colleagues see it, the customer never does, and neither do marketers or stakeholders.</summary>
    public Task<TicketDto?> NoteAsync(Guid id, TicketMessageInput input, CancellationToken ct = default) =>
        ChangeAsync(id, (db, ticket, now) =>
        {
            Text(input.Text);
            if (input.Attachments is { Count: > 0 })
            {
                throw new RequestValidationException("attachments", "Files go out with e-mailed replies; a note cannot carry them.");
            }

            var note = Event(ticket, TicketEventKind.Note, input.Text.Trim(), now, db);
            note.Internal = true;
            return [note];
        }, ct);

    public Task<TicketDto?> SetStatusAsync(Guid id, TicketStatus status, CancellationToken ct = default) =>
        ChangeAsyncAwait(id, (db, ticket, now) => MoveAsync(db, ticket, status, now, ct), ct);

    public Task<TicketDto?> SetPriorityAsync(Guid id, TicketPriority priority, CancellationToken ct = default) =>
        ChangeAsyncAwait(id, async (db, ticket, now) =>
        {
            if (ticket.Priority == priority)
            {
                return [];
            }

            var entry = Event(ticket, TicketEventKind.Priority, $"Priority {ticket.Priority} → {priority}.", now, db);
            ticket.Priority = priority;
            return [entry, await ApplySlaAsync(db, ticket, "priority changed", now.AddTicks(1), ct)];
        }, ct);

    /// <summary>Assigns by hand, or round-robin among the team's available members (the one who waited longest gets it).</summary>
    public Task<TicketDto?> AssignAsync(Guid id, TicketAssignInput input, CancellationToken ct = default) =>
        ChangeAsyncAwait(id, async (db, ticket, now) => [await AssignAsync(db, ticket, input, now, ct)], ct);

    /// <summary>
    /// Escalates by hand with a reason (a conflict between agent and customer is flagged too): the level
    /// rises by one, the timeline keeps it, and the team lead is notified.
    /// </summary>
    public Task<TicketDto?> EscalateAsync(Guid id, EscalationInput input, CancellationToken ct = default) =>
        ChangeAsyncAwait(id, async (db, ticket, now) =>
        {
            if (string.IsNullOrWhiteSpace(input.Reason))
            {
                throw new RequestValidationException("reason", "Say why it is escalated.");
            }

            ticket.EscalationLevel++;
            if (input.Conflict && !ticket.Tags.Split(',').Contains("conflict"))
            {
                ticket.Tags = ticket.Tags.Length == 0 ? "conflict" : ticket.Tags + ",conflict";
            }

            var text = $"Escalated to level {ticket.EscalationLevel}{(input.Conflict ? " (conflict between agent and customer)" : "")}: {input.Reason.Trim()}";
            if (ticket.TeamId is { } team && await db.Teams.Where(t => t.Id == team).Select(t => t.LeadId).SingleAsync(ct) is { } lead)
            {
                await Account.Notifications.NotifyAsync(db, lead, $"{ticket.Key} escalated by {Who(db)}: {input.Reason.Trim()}", $"/service/tickets/{ticket.Id}", now, publicAddress.Base, ct);
            }

            return [Event(ticket, TicketEventKind.Escalation, text, now, db)];
        }, ct);

    /// <summary>The same change to many tickets: all or none (one that cannot move stops the lot, naming it).</summary>
    public async Task<int> BulkAsync(TicketBulkInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var ids = (input.TicketIds ?? []).Distinct().ToList();
        if (ids.Count == 0 || ids.Count > 500)
        {
            throw new RequestValidationException("ticketIds", "Choose between 1 and 500 tickets.");
        }

        if (input.Status is null && input.AssigneeId is null && input.TeamId is null)
        {
            throw new RequestValidationException("status", "Say what to change: a status, an assignee or a team.");
        }

        var tickets = await db.Tickets.Where(t => ids.Contains(t.Id)).ToListAsync(ct);
        if (tickets.Count != ids.Count)
        {
            throw new RequestValidationException("ticketIds", "One or more tickets do not exist.");
        }

        var now = time.GetUtcNow();
        foreach (var ticket in tickets.OrderBy(t => t.Number))
        {
            if (input.Status is { } status)
            {
                db.TicketEvents.AddRange(await MoveAsync(db, ticket, status, now, ct));
            }

            if (input.AssigneeId is not null || input.TeamId is not null)
            {
                db.TicketEvents.Add(await AssignAsync(db, ticket, new TicketAssignInput { AssigneeId = input.AssigneeId, TeamId = input.TeamId ?? ticket.TeamId }, now, ct));
            }
        }

        await db.SaveChangesAsync(ct);
        return tickets.Count;
    }

    // ---- teams ----

    public async Task<IReadOnlyList<TeamDto>> TeamsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var open = await db.Tickets.Where(t => t.AssigneeId != null && t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed)
            .GroupBy(t => t.AssigneeId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        var unassigned = await db.Tickets.Where(t => t.TeamId != null && t.AssigneeId == null && t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed)
            .GroupBy(t => t.TeamId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        var since = time.GetUtcNow().AddDays(-90);
        var csat = await (from r in db.SurveyResponses
                          where r.TicketId != null && r.RespondedAt >= since && r.Survey!.Kind == Feedback.SurveyKind.Csat
                          join t in db.Tickets on r.TicketId equals t.Id
                          where t.AssigneeId != null
                          group r by t.AssigneeId into g
                          select new { Id = g.Key!.Value, N = g.Count(), Good = g.Count(x => x.Score >= 4) })
            .ToDictionaryAsync(x => x.Id, ct);
        var teams = await db.Teams.AsNoTracking().Include(t => t.Lead).Include(t => t.Members).ThenInclude(m => m.User).OrderBy(t => t.Name).ToListAsync(ct);
        return teams.Select(t => new TeamDto(t.Id, t.Name, t.Lead is { } l ? new NamedRef(l.Id, l.DisplayName) : null,
            t.Members.OrderBy(m => m.User!.DisplayName).Select(m => new TeamMemberDto(m.UserId, m.User!.DisplayName, m.Available, open.GetValueOrDefault(m.UserId),
                csat.TryGetValue(m.UserId, out var c) ? Math.Round(100.0 * c.Good / c.N, 1) : null, c?.N ?? 0)).ToList(),
            unassigned.GetValueOrDefault(t.Id), t.CsatByEmail, t.CsatDelayMinutes)).ToList();
    }

    public async Task<TeamDto> CreateTeamAsync(TeamInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var name = input.Name.Trim();
        var problems = new List<(string, string)>();
        if (name.Length == 0) problems.Add(("name", "Name is required."));
        if (await db.Teams.AnyAsync(t => t.Name == name, ct)) problems.Add(("name", $"There is already a team called '{name}'."));
        var members = (input.MemberIds ?? []).Distinct().ToList();
        if (await db.Users.CountAsync(u => members.Contains(u.Id) && u.DeactivatedAt == null, ct) != members.Count) problems.Add(("memberIds", "One or more members are not active users."));
        if (input.LeadId is { } lead && !await db.Users.AnyAsync(u => u.Id == lead && u.DeactivatedAt == null, ct)) problems.Add(("leadId", "No active user has this id."));
        RequestValidationException.ThrowIfAny(problems);
        var team = new Team { Name = name, LeadId = input.LeadId, CreatedAt = time.GetUtcNow(), Members = members.Select(m => new TeamMember { UserId = m }).ToList() };
        db.Teams.Add(team);
        await db.SaveChangesAsync(ct);
        return (await TeamsAsync(ct)).Single(t => t.Id == team.Id);
    }

    /// <summary>Marks a member available or not for round-robin (their tickets stay theirs).</summary>
    public async Task<TeamDto?> SetAvailabilityAsync(Guid teamId, Guid userId, bool available, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var member = await db.TeamMembers.SingleOrDefaultAsync(m => m.TeamId == teamId && m.UserId == userId, ct);
        if (member is null)
        {
            return null;
        }

        member.Available = available;
        await db.SaveChangesAsync(ct);
        return (await TeamsAsync(ct)).Single(t => t.Id == teamId);
    }

    /// <summary>Whether the team's resolved tickets get their satisfaction survey by e-mail, and after how many minutes.</summary>
    public async Task<TeamDto?> SetSurveyMailAsync(Guid teamId, TeamSurveyMailInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var team = await db.Teams.SingleOrDefaultAsync(t => t.Id == teamId, ct);
        if (team is null)
        {
            return null;
        }

        (team.CsatByEmail, team.CsatDelayMinutes) = (input.Enabled, input.DelayMinutes);
        await db.SaveChangesAsync(ct);
        return (await TeamsAsync(ct)).Single(t => t.Id == teamId);
    }

    // ---- shared ----

    private IQueryable<Ticket> Filter(PsmDb db, QueueFilter filter)
    {
        var query = db.Tickets.AsNoTracking();
        var me = user.Actor.UserId;
        query = filter.View switch
        {
            QueueView.Mine => query.Where(t => t.AssigneeId == me && t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed),
            QueueView.TeamUnassigned => query.Where(t => t.AssigneeId == null && t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed
                && t.TeamId != null && db.TeamMembers.Any(m => m.TeamId == t.TeamId && m.UserId == me)),
            QueueView.AllOpen => query.Where(t => t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed),
            QueueView.BreachingSoon => BreachingSoon(query, time.GetUtcNow().AddMinutes(BreachingSoonMinutes)),
            _ => query,
        };
        if (filter.Status is { } status) query = query.Where(t => t.Status == status);
        if (filter.Priority is { } priority) query = query.Where(t => t.Priority == priority);
        if (filter.Channel is { } channel) query = query.Where(t => t.Channel == channel);
        if (filter.TeamId is { } team) query = query.Where(t => t.TeamId == team);
        if (filter.AssigneeId is { } assignee) query = query.Where(t => t.AssigneeId == assignee);
        if (filter.CustomerId is { } customer) query = query.Where(t => t.CustomerId == customer);
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var text = filter.Search.Trim();
            if (text.StartsWith("T-", StringComparison.OrdinalIgnoreCase) && int.TryParse(text[2..], out var number))
            {
                query = query.Where(t => t.Number == number);
            }
            else
            {
                var term = text.ToLowerInvariant();
                query = query.Where(t => t.Subject.ToLower().Contains(term) || t.Customer!.Name.ToLower().Contains(term));
            }
        }

        return query;
    }

    /// <summary>Open tickets whose running target (first response, else resolution unless paused) falls due before <paramref name="limit"/>.</summary>
    public static IQueryable<Ticket> BreachingSoon(IQueryable<Ticket> tickets, DateTimeOffset limit) =>
        tickets.Where(t => t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed
                           && ((t.FirstResponseAt == null && t.FirstResponseDueAt < limit)
                               || (t.FirstResponseAt != null && (t.PausedAt == null || t.PausedAt >= t.ResolutionDueAt) && t.ResolutionDueAt < limit)));

    private sealed record SummaryRow(TicketSummary Summary, int Number, string Tags)
    {
        public TicketSummary ToSummary() => Summary with { Key = $"T-{Number}", Tags = Tags.Split(',', StringSplitOptions.RemoveEmptyEntries) };
    }

    private static readonly Expression<Func<Ticket, SummaryRow>> Summarise = QueueCursor.With<DateTimeOffset?, SummaryRow>(QueueCursor.NextDue, (nextDue, t) => new SummaryRow(
        new TicketSummary(t.Id, "", t.Subject, new NamedRef(t.CustomerId, t.Customer!.Name), t.Channel, t.Priority, t.Status,
            t.Team == null ? null : new NamedRef(t.Team.Id, t.Team.Name), t.Assignee == null ? null : new NamedRef(t.Assignee.Id, t.Assignee.DisplayName),
            t.CreatedAt, t.FirstResponseAt, t.ResolvedAt, Array.Empty<string>(), nextDue,
            t.FirstResponseBreachedAt != null || t.ResolutionBreachedAt != null, t.EscalationLevel, t.Version),
        t.Number, t.Tags));

    /// <summary>
    /// The queue everyone opens first (all open tickets, newest first, no filter), compiled once per
    /// context type (a compiled query belongs to one model): it skips building and looking up the LINQ
    /// tree on every page (docs/benchmarks.md, service-queue).
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<PsmDb, int, int, IAsyncEnumerable<SummaryRow>>> OpenNewestFirst = new();

    private static Func<PsmDb, int, int, IAsyncEnumerable<SummaryRow>> CompileOpenNewestFirst(Type _) => EF.CompileAsyncQuery(
        (PsmDb db, int before, int take) => db.Tickets.AsNoTracking()
            .Where(t => t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed && t.Number < before)
            .OrderByDescending(t => t.Number).Take(take)
            .Select(Summarise));

    private static async Task<List<TicketSummary>> ProjectAsync(IQueryable<Ticket> query, CancellationToken ct) =>
        (await query.Select(Summarise).ToListAsync(ct)).Select(r => r.ToSummary()).ToList();

    private async Task<TicketDto?> ChangeAsync(Guid id, Func<PsmDb, Ticket, DateTimeOffset, IReadOnlyList<TicketEvent>> change, CancellationToken ct) =>
        await ChangeAsyncAwait(id, (db, ticket, now) => Task.FromResult(change(db, ticket, now)), ct);

    private async Task<TicketDto?> ChangeAsyncAwait(Guid id, Func<PsmDb, Ticket, DateTimeOffset, Task<IReadOnlyList<TicketEvent>>> change, CancellationToken ct)
    {
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var ticket = await db.Tickets.SingleOrDefaultAsync(t => t.Id == id, ct);
            if (ticket is null)
            {
                return null;
            }

            db.TicketEvents.AddRange(await change(db, ticket, time.GetUtcNow()));
            await db.SaveChangesAsync(ct);
        }

        return await GetAsync(id, ct);
    }

    private async Task<IReadOnlyList<TicketEvent>> MoveAsync(PsmDb db, Ticket ticket, TicketStatus status, DateTimeOffset now, CancellationToken ct)
    {
        if (!Moves[ticket.Status].Contains(status))
        {
            throw new RequestValidationException("status", ticket.Status == status
                ? $"{ticket.Key} is already {Describe(status)}."
                : $"{ticket.Key} is {Describe(ticket.Status)}: it can move to {string.Join(" or ", Moves[ticket.Status].Select(Describe))}, not {Describe(status)}.");
        }

        var entry = Event(ticket, TicketEventKind.Status, $"{Describe(ticket.Status)} → {Describe(status)}.", now, db);
        switch (status)
        {
            case TicketStatus.Resolved:
                ticket.ResolvedAt = now;
                ticket.ResolutionMinutes = Math.Max(0, await MinutesAsync(db, ticket, ticket.CreatedAt, now, ct) - ticket.PausedMinutes
                    - (ticket.PausedAt is { } pausedSince ? await MinutesAsync(db, ticket, pausedSince, now, ct) : 0));
                await InviteAsync(db, ticket, now, ct);
                break;
            case TicketStatus.Closed:
                ticket.ClosedAt = now;
                break;
            case TicketStatus.Reopened:
                ticket.Reopened++;
                ticket.ResolvedAt = null;
                ticket.ClosedAt = null;
                break;
        }

        var events = new List<TicketEvent> { entry };
        // "Pending on customer" stops the resolution clock; leaving it restarts it with the business time that was left.
        if (status == TicketStatus.PendingOnCustomer && ticket.ResolutionDueAt is not null && ticket.PausedAt is null)
        {
            ticket.PausedAt = now;
            events.Add(Event(ticket, TicketEventKind.Sla, "Resolution clock paused while pending on the customer.", now, db));
        }
        else if (ticket.Status == TicketStatus.PendingOnCustomer && ticket.PausedAt is { } paused && ticket.ResolutionDueAt is { } due
                 && await PolicyOfAsync(db, ticket, ct) is { } policy)
        {
            var calendar = policy.Calendar!.ToCalendar();
            ticket.CreditedPauseMinutes += SlaRules.Credit(calendar, due, paused, now);
            ticket.PausedMinutes += calendar.Between(paused, now).TotalMinutes;
            ticket.PausedAt = null;
            ticket.ResolutionDueAt = SlaRules.Due(calendar, policy, ticket.CreatedAt, ticket.CreditedPauseMinutes).Resolution;
            events.Add(Event(ticket, TicketEventKind.Sla, ticket.ResolutionDueAt > due
                ? $"Resolution clock resumed: due {ticket.ResolutionDueAt:yyyy-MM-dd HH:mm} UTC."
                : $"Resolution clock resumed: still due {ticket.ResolutionDueAt:yyyy-MM-dd HH:mm} UTC (it was overdue when it paused, so the pause moved nothing).", now, db));
        }

        ticket.Status = status;
        return events;
    }

    /// <summary>
    /// Chooses the SLA policy for a ticket (priority, product, the customer's plan) and sets its due times
    /// from when it was opened; the timeline records which policy applied and why it was chosen now.
    /// </summary>
    private static async Task<TicketEvent> ApplySlaAsync(PsmDb db, Ticket ticket, string why, DateTimeOffset now, CancellationToken ct, SlaLookup? sla = null)
    {
        var plan = sla is null ? await db.Customers.Where(c => c.Id == ticket.CustomerId).Select(c => c.Plan).SingleAsync(ct) : await sla.PlanAsync(db, ticket.CustomerId, ct);
        var policies = sla?.Policies ?? await db.SlaPolicies.AsNoTracking().Include(p => p.Calendar).Where(p => p.Priority == ticket.Priority).ToListAsync(ct);
        var policy = SlaRules.Select(policies, new SlaSubject(ticket.Priority, ticket.ProductId, plan));
        ticket.SlaPolicyId = policy?.Id;
        if (policy is null)
        {
            ticket.FirstResponseDueAt = null;
            ticket.ResolutionDueAt = null;
            return Event(ticket, TicketEventKind.Sla, $"No SLA policy covers {ticket.Priority} tickets{(plan.Length > 0 ? $" on the {plan} plan" : "")} ({why}).", now, db);
        }

        var calendar = sla?.CalendarOf(policy) ?? policy.Calendar!.ToCalendar();
        if (ticket.PausedAt is { } pausedSince)
        {
            // Chosen again during a pause: the pause so far is judged against this policy's due time as if
            // it had applied from the opening (ADR-007); the rest is judged the same way when it ends.
            var dueWhenPaused = SlaRules.Due(calendar, policy, ticket.CreatedAt, ticket.CreditedPauseMinutes).Resolution;
            ticket.CreditedPauseMinutes += SlaRules.Credit(calendar, dueWhenPaused, pausedSince, now);
            ticket.PausedMinutes += calendar.Between(pausedSince, now).TotalMinutes;
            ticket.PausedAt = now;
        }

        var (first, resolution) = SlaRules.Due(calendar, policy, ticket.CreatedAt, ticket.CreditedPauseMinutes);
        ticket.FirstResponseDueAt = first;
        ticket.ResolutionDueAt = resolution;

        return Event(ticket, TicketEventKind.Sla,
            $"SLA policy \"{policy.Name}\" applies ({why}): first response by {first:yyyy-MM-dd HH:mm} UTC, resolution by {resolution:yyyy-MM-dd HH:mm} UTC (business hours: {policy.Calendar!.Name}).",
            now, db);
    }

    /// <summary>
    /// On resolution, a personal survey link for the ticket's contact (or the customer), once per ticket:
    /// the survey named in ServiceDesk:SurveyName (CSAT, created if missing).
    /// </summary>
    private async Task InviteAsync(PsmDb db, Ticket ticket, DateTimeOffset now, CancellationToken ct)
    {
        if (await db.SurveyInvitations.AnyAsync(i => i.TicketId == ticket.Id, ct))
        {
            return;
        }

        var survey = await Feedback.Surveys.SupportSurveyAsync(db, config.GetValue("ServiceDesk:SurveyName", "Support satisfaction")!, now, ct);
        var invitation = new Feedback.SurveyInvitation
        {
            SurveyId = survey.Id, Survey = db.Entry(survey).State == EntityState.Added ? survey : null, CustomerId = ticket.CustomerId, ContactId = ticket.ContactId,
            TicketId = ticket.Id, CreatedAt = now,
        };
        db.SurveyInvitations.Add(invitation);
        var mail = await Mail.OutgoingMail.QueueSatisfactionSurveyAsync(db, ticket, invitation, publicAddress.Base, now, ct);
        var how = mail is null ? "" : $" It is e-mailed to {mail.ToAddress}{(await db.Teams.Where(t => t.Id == ticket.TeamId).Select(t => t.CsatDelayMinutes).SingleAsync(ct) is > 0 and var delay ? $" in {delay} minutes" : "")}.";
        var entry = Event(ticket, TicketEventKind.Survey, $"Satisfaction survey link created for the customer ({survey.Kind.ToString().ToUpperInvariant()}).{how}", now.AddTicks(1), db);
        db.TicketEvents.Add(entry);
        if (mail is not null)
        {
            mail.TicketEventId = entry.Id;
        }
    }

    /// <summary>Business minutes between two moments on the ticket's SLA calendar, or wall-clock minutes without one.</summary>
    private static async Task<double> MinutesAsync(PsmDb db, Ticket ticket, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        await CalendarOfAsync(db, ticket, ct) is { } calendar ? calendar.Between(from, to).TotalMinutes : (to - from).TotalMinutes;

    private static async Task<BusinessCalendar?> CalendarOfAsync(PsmDb db, Ticket ticket, CancellationToken ct) =>
        (await PolicyOfAsync(db, ticket, ct))?.Calendar!.ToCalendar();

    private static async Task<SlaPolicy?> PolicyOfAsync(PsmDb db, Ticket ticket, CancellationToken ct) =>
        ticket.SlaPolicyId is { } id ? await db.SlaPolicies.AsNoTracking().Include(p => p.Calendar).SingleOrDefaultAsync(p => p.Id == id, ct) : null;

    private async Task<TicketEvent> AssignAsync(PsmDb db, Ticket ticket, TicketAssignInput input, DateTimeOffset now, CancellationToken ct)
    {
        var teamId = input.TeamId ?? ticket.TeamId;
        if (input.TeamId is { } t && !await db.Teams.AnyAsync(x => x.Id == t, ct))
        {
            throw new RequestValidationException("teamId", "There is no such team.");
        }

        Guid? assignee = input.AssigneeId;
        if (input.RoundRobin)
        {
            if (teamId is null)
            {
                throw new RequestValidationException("teamId", "Round-robin needs a team.");
            }

            var next = await db.TeamMembers.Where(m => m.TeamId == teamId && m.Available && m.User!.DeactivatedAt == null)
                .OrderBy(m => m.LastAssignedAt == null ? 0 : 1).ThenBy(m => m.LastAssignedAt).ThenBy(m => m.UserId).FirstOrDefaultAsync(ct)
                ?? throw new RequestValidationException("teamId", "Nobody in the team is available: mark someone available or assign by hand.");
            next.LastAssignedAt = now;
            assignee = next.UserId;
        }
        else if (assignee is { } a && !await db.Users.AnyAsync(u => u.Id == a && u.DeactivatedAt == null, ct))
        {
            throw new RequestValidationException("assigneeId", "No active user has this id.");
        }

        var names = await db.Users.Where(u => u.Id == assignee).Select(u => u.DisplayName).SingleOrDefaultAsync(ct);
        var teamName = teamId is { } tid ? await db.Teams.Where(x => x.Id == tid).Select(x => x.Name).SingleAsync(ct) : null;
        ticket.TeamId = teamId;
        ticket.AssigneeId = assignee;
        var text = (names, teamName) switch
        {
            ({ } n, { } tn) => $"Assigned to {n} ({tn}){(input.RoundRobin ? " by round-robin" : "")}.",
            ({ } n, null) => $"Assigned to {n}.",
            (null, { } tn) => $"Unassigned, in the {tn} queue.",
            _ => "Unassigned.",
        };
        return Event(ticket, TicketEventKind.Assignment, text, now, db);
    }

    private static void Text(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new RequestValidationException("text", "Write something.");
        }
    }

    private static string Who(PsmDb db) => (db.CurrentUser?.Actor ?? Actor.System).Name;

    private static TicketEvent Event(Ticket ticket, TicketEventKind kind, string text, DateTimeOffset at, PsmDb? db = null) =>
        new() { TicketId = ticket.Id, Kind = kind, Text = text, At = at, Actor = db is null ? "" : Who(db) };

    public static string Describe(TicketStatus status) => status switch
    {
        TicketStatus.PendingOnCustomer => "Pending on customer",
        _ => status.ToString(),
    };
}

/// <summary>
/// What choosing SLA policies for many new tickets needs, read once (a batch of mail): every policy with its
/// business hours, and each customer's plan the first time it is asked. Customers created in the batch are told with <see cref="Know"/>.
/// </summary>
internal sealed class SlaLookup
{
    private readonly Dictionary<Guid, string> plans = [];
    private readonly Dictionary<Guid, BusinessCalendar> calendars = [];

    private SlaLookup(List<SlaPolicy> policies) => Policies = policies;

    public List<SlaPolicy> Policies { get; }

    public static async Task<SlaLookup> LoadAsync(PsmDb db, CancellationToken ct) => new(await db.SlaPolicies.AsNoTracking().Include(p => p.Calendar).ToListAsync(ct));

    public void Know(Guid customerId, string plan) => plans[customerId] = plan;

    public async ValueTask<string> PlanAsync(PsmDb db, Guid customerId, CancellationToken ct) =>
        plans.TryGetValue(customerId, out var plan) ? plan : plans[customerId] = await db.Customers.Where(c => c.Id == customerId).Select(c => c.Plan).SingleAsync(ct);

    public BusinessCalendar CalendarOf(SlaPolicy policy) =>
        calendars.TryGetValue(policy.Id, out var known) ? known : calendars[policy.Id] = policy.Calendar!.ToCalendar();
}
