using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Account;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Data;

/// <summary>Thrown when PSM cannot start as configured; Program prints the message and exits.</summary>
public sealed class StartupException(string message) : Exception(message);

/// <summary>Brings the database to the current schema and makes sure someone can sign in.</summary>
public sealed class DatabaseInitializer(
    PsmDb db, UserManager<PsmUser> users, RoleManager<IdentityRole<Guid>> roles,
    IConfiguration config, IHostEnvironment environment, TimeProvider time, ILogger<DatabaseInitializer> logger)
{
    public const string AdminEmailVariable = "PSM_ADMIN_EMAIL";
    public const string AdminPasswordVariable = "PSM_ADMIN_PASSWORD";

    /// <summary>True (the default): PSM applies its migrations as it starts. False: it only checks that they were applied.</summary>
    public const string MigrateOnStartSetting = "Database:MigrateOnStart";

    public bool DemoUsersCreated { get; private set; }

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        if (db.IsSqlite)
        {
            // WAL: readers go on while a writer (an import, the SLA monitor) commits; kept in the file, so set once.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        if (config.GetValue(MigrateOnStartSetting, true))
        {
            await db.Database.MigrateAsync(ct);
        }
        else if ((await db.Database.GetPendingMigrationsAsync(ct)).ToList() is { Count: > 0 } pending)
        {
            // Production applies migrations with the bundle before any instance starts (docs/operations.md): an instance never
            // changes the schema under the others, and one built from older code cannot start on a schema it does not know.
            throw new StartupException(
                $"The database lacks {pending.Count} of this version's migrations (the first: {pending[0]}) and {MigrateOnStartSetting} is false. " +
                "Apply them with the migration bundle (scripts/migrations-bundle.sh, see docs/operations.md), then start PSM again.");
        }

        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole<Guid>(role) { Id = NewId.Next() });
            }
        }

        if (!await db.Users.AnyAsync(ct))
        {
            await CreateFirstUsersAsync();
        }

        await Features.Roadmap.Roadmap.EnsureDefaultCriteriaAsync(db, ct);

        if (config.GetValue("Demo:Seed", false) && !await db.Customers.AnyAsync(ct))
        {
            await SeedDemoDataAsync(config.GetValue("Demo:Scale", 1), ct);
        }

        // Lifetime value and churn are computed, never typed: bring every customer's up to today (rows
        // stored before they were computed, a reporting currency changed, days passed while stopped).
        await new Features.Commerce.CustomerFigureKeeper(config, time).RecomputeAsync(db, null, ct);
    }

    private async Task CreateFirstUsersAsync()
    {
        var email = config[AdminEmailVariable];
        var password = config[AdminPasswordVariable];
        if (!string.IsNullOrWhiteSpace(email) && !string.IsNullOrWhiteSpace(password))
        {
            await CreateUserAsync(email, "Administrator", Roles.Admin, password);
            logger.LogInformation("Created the first admin, {Email}, from {Variable}.", email, AdminEmailVariable);
            return;
        }

        if (!environment.IsDevelopment())
        {
            throw new StartupException(
                $"PSM has no users yet and runs outside Development, where there is no default password. " +
                $"Set {AdminEmailVariable} and {AdminPasswordVariable} to create the first admin, then start PSM again.");
        }

        foreach (var demo in DemoData.Users)
        {
            await CreateUserAsync(demo.Email, demo.DisplayName, demo.Role, DemoData.Password);
        }

        DemoUsersCreated = true;
    }

    private async Task CreateUserAsync(string email, string name, string role, string password)
    {
        var user = new PsmUser
        {
            Email = email, UserName = email, DisplayName = name, EmailConfirmed = true, CreatedAt = time.GetUtcNow(),
        };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            throw new StartupException(
                $"Could not create the user {email}: {string.Join(" ", created.Errors.Select(e => e.Description))}");
        }

        await users.AddToRoleAsync(user, role);
    }

    private async Task SeedDemoDataAsync(int scale, CancellationToken ct)
    {
        var demo = new DemoData(scale);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The demo's history happened before anyone subscribed: it makes no webhook events.
        db.SuppressEvents = true;
        // Personas first: customers refer to them.
        db.Personas.AddRange(DemoData.Personas(time.GetUtcNow()));
        await db.SaveChangesAsync(ct);
        var customers = demo.Customers(time.GetUtcNow()).ToList();
        var count = customers.Count;
        await using (var writer = BulkWriter<Customer>.Open(db))
        {
            foreach (var customer in customers)
            {
                await writer.WriteAsync(customer, ct);
            }

            await writer.CompleteAsync(ct);
        }

        var owner = await db.Users.Where(u => u.Email == DemoData.Users[1].Email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct);
        var (products, history) = demo.Catalog(time.GetUtcNow(), owner);
        db.SuppressRowAudit = true;
        db.Products.AddRange(products);
        db.LifecycleChanges.AddRange(history);
        var objectives = demo.Objectives(time.GetUtcNow(), owner, products);
        db.Objectives.AddRange(objectives);
        var criteria = await db.ScoringCriteria.Where(c => !c.Retired).ToListAsync(ct);
        var initiatives = demo.Initiatives(time.GetUtcNow(), owner, products, objectives, criteria);
        db.Initiatives.AddRange(initiatives);
        var (stakeholders, concerns, decisions) = demo.AlignmentRecords(time.GetUtcNow(), initiatives);
        // Demo people who are also stakeholders (Stefan Finance, Sam Support) record concerns in their own name.
        var people = await db.Users.Select(u => new { u.Id, u.DisplayName }).ToListAsync(ct);
        foreach (var stakeholder in stakeholders)
        {
            stakeholder.UserId ??= people.FirstOrDefault(p => p.DisplayName == stakeholder.Name)?.Id;
        }

        db.Stakeholders.AddRange(stakeholders);
        db.Concerns.AddRange(concerns);
        db.Decisions.AddRange(decisions);
        var roadmapHistory = demo.History(time.GetUtcNow(), initiatives, objectives);
        db.RoadmapReviews.AddRange(roadmapHistory.Reviews);
        db.Retrospectives.AddRange(roadmapHistory.Retrospectives);
        db.TypeWeights.AddRange(roadmapHistory.Weights);
        db.InitiativeKeyResults.AddRange(roadmapHistory.ExpectedKeyResults);
        db.RoadmapShares.Add(roadmapHistory.Share);
        var voice = demo.Voice(time.GetUtcNow(), customers, products, initiatives);
        db.ConsentEvents.AddRange(voice.Consent);
        db.Segments.AddRange(voice.Segments);
        db.Themes.AddRange(voice.Themes);
        db.Feedback.AddRange(voice.Feedback);
        db.Evidence.AddRange(voice.Evidence);
        db.Surveys.AddRange(voice.Surveys);
        db.SurveyResponses.AddRange(voice.Responses);
        db.JourneyMaps.AddRange(voice.Journeys);
        var marketer = await db.Users.Where(u => u.Email == DemoData.EmailOf(Roles.Marketer)).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct);
        var promotion = demo.Promotion(time.GetUtcNow(), products, initiatives, voice.Segments, stakeholders, marketer);
        db.Segments.AddRange(promotion.Segments);
        db.Campaigns.AddRange(promotion.Campaigns);
        db.CampaignResults.AddRange(promotion.Results);
        db.Concerns.AddRange(promotion.Concerns);
        var (subscriptions, orders) = demo.Commerce(time.GetUtcNow(), customers, products, voice.Responses,
            voice.Surveys.Where(s => s.Kind == Features.Feedback.SurveyKind.Nps).Select(s => s.Id).ToHashSet());
        DemoData.Reconcile(promotion, voice.Segments, orders, customers);
        db.Subscriptions.AddRange(subscriptions);
        db.Orders.AddRange(orders);
        var leadId = await db.Users.Where(u => u.Email == DemoData.EmailOf(Roles.SupportLead)).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct);
        var agentId = await db.Users.Where(u => u.Email == DemoData.EmailOf(Roles.SupportAgent)).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct);
        var contacts = demo.Contacts(customers);
        db.CustomerContacts.AddRange(contacts);
        var desk = demo.ServiceDesk(time.GetUtcNow(), customers, contacts, products, leadId, agentId, subscriptions);
        db.ServiceCalendars.Add(desk.Calendar);
        db.SlaPolicies.AddRange(desk.Policies);
        db.Teams.AddRange(desk.Teams);
        db.Tickets.AddRange(desk.Tickets);
        DemoData.SetBaselines(objectives, subscriptions, desk);
        var help = demo.HelpCentre(time.GetUtcNow(), products);
        db.HelpCentreSettings.Add(help.Settings);
        db.Articles.AddRange(help.Articles);
        db.ArticleRevisions.AddRange(help.Revisions);
        db.ArticleViews.AddRange(help.Views);
        db.ArticleVotes.AddRange(help.Votes);
        var (conversations, exchanges, asked) = demo.AssistantHistory(time.GetUtcNow(), help.Articles, voice.Themes);
        db.Feedback.AddRange(asked);
        db.AssistantConversations.AddRange(conversations);
        db.AssistantExchanges.AddRange(exchanges);
        var (chatSite, chats, chatLines) = demo.Chats(time.GetUtcNow(), conversations, exchanges, help.Articles);
        db.ChatSites.Add(chatSite);
        db.ChatConversations.AddRange(chats);
        db.ChatMessages.AddRange(chatLines);
        var chatAgent = DemoData.Users.Single(u => u.Role == Roles.SupportAgent);
        var chatPeople = demo.PersonChats(time.GetUtcNow(), chatSite, customers, contacts, desk,
            await db.Users.Where(u => u.Email == chatAgent.Email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct), chatAgent.DisplayName);
        db.ChatConversations.AddRange(chatPeople.Chats);
        db.ChatMessages.AddRange(chatPeople.Lines);
        db.Tickets.AddRange(chatPeople.Tickets);
        db.TicketEvents.AddRange(chatPeople.Events);
        db.SurveyInvitations.AddRange(chatPeople.Invitations);
        db.SurveyResponses.AddRange(chatPeople.Responses);
        db.ChatAgents.AddRange(chatPeople.Agents);
        // Keys follow the order tickets arrived in, chats' tickets among the others.
        foreach (var (ticket, index) in desk.Tickets.Concat(chatPeople.Tickets).OrderBy(t => t.CreatedAt).Select((t, n) => (t, n)))
        {
            ticket.Number = 1001 + index;
        }
        db.TicketEvents.AddRange(desk.Events);
        db.Surveys.Add(desk.Survey);
        db.SurveyInvitations.AddRange(desk.Invitations);
        db.SurveyResponses.AddRange(desk.Responses);
        foreach (var (entity, rows) in new[] { (nameof(Customer), count), (nameof(Product), products.Count), (nameof(Objective), objectives.Count), (nameof(Features.Roadmap.Initiative), initiatives.Count),
                     (nameof(Features.Feedback.FeedbackItem), voice.Feedback.Count), (nameof(Features.Feedback.SurveyResponse), voice.Responses.Count) })
        {
            db.AuditEntries.Add(new AuditEntry
            {
                At = time.GetUtcNow(), UserName = "system", Action = AuditActions.Imported, Entity = entity,
                EntityKey = "*", Changes = JsonSerializer.Serialize(new { rows, source = "demo data" }),
            });
        }

        await db.SaveChangesAsync(ct);
        db.SuppressRowAudit = false;
        db.SuppressEvents = false;
        await transaction.CommitAsync(ct);
        Features.Feedback.ThemeMatchers.Forget(db);
        logger.LogInformation(
            "Seeded demo data for {Company}: {Customers} customers, {Products} products, {Objectives} objectives, {Initiatives} initiatives.",
            DemoData.CompanyName, count, products.Count, objectives.Count, initiatives.Count);
    }
}
